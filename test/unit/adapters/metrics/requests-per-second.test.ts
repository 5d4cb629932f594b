// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the query templates' placeholders are ${…}.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_WEIGHTS_ANNOTATION,
  ingressRouting,
  routeGroupRouting,
} from '../../../../shared/adapters/kubernetes/adapter';
import type { CollectedValues, CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import { createMetricSources } from '../../../../shared/adapters/metrics/metric-sources';
import {
  INGRESS_READ_TIMEOUT_MS,
  type IngressRouting,
  type IngressRoutingReader,
  NGINX_QUERY_TEMPLATE,
  RequestsPerSecondCollector,
  SKIPPER_QUERY_TEMPLATE,
} from '../../../../shared/adapters/metrics/requests-per-second';
import { MetricRouter } from '../../../../shared/adapters/metrics/router';
import { metricSourcesSchema } from '../../../../shared/config/schema';
import { ForbiddenError, MalformedObjectError } from '../../../../shared/ports/kubernetes';
import { MetricError, type MetricResult, type MetricSource } from '../../../../shared/ports/metric-source';
import { systemClock } from '../../../../shared/runtime/system-clock';

const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const never = () => new AbortController().signal;

type Ref = Parameters<IngressRoutingReader['getIngressRouting']>[0];

/** A reader answering from a table of objects (`<kind>/<namespace>/<name>`) and recording its calls. */
function fakeReader(objects: Record<string, IngressRouting | Error>) {
  const calls: Ref[] = [];
  const reader: IngressRoutingReader = {
    getIngressRouting: async (ref) => {
      calls.push(ref);
      const found = objects[`${ref.kind}/${ref.namespace}/${ref.name}`];
      if (found instanceof Error) throw found;
      return found;
    },
  };
  return { reader, calls };
}

/** Stands in for the PrometheusCollector: records the queries, answers 12.5 requests per second. */
function fakePrometheus() {
  const queries: string[] = [];
  const requests: CollectorRequest[] = [];
  return {
    queries,
    requests,
    prometheus: {
      timeoutMs: 5_000,
      collect: async (request: CollectorRequest): Promise<MetricResult<CollectedValues>> => {
        requests.push(request);
        queries.push(request.config.query ?? '');
        return {
          ok: true,
          value: { kind: 'scalar', values: [{ milliValue: 12_500, timestamp: request.now }] },
        };
      },
    },
  };
}

function objectRequest(
  overrides: Partial<CollectorRequest> & { kind?: string; name?: string } = {},
): CollectorRequest {
  const { kind = 'Ingress', name = 'shop', ...rest } = overrides;
  return {
    type: 'Object',
    namespace: 'web',
    metricName: 'requests-per-second',
    describedObject: {
      apiVersion: kind === 'RouteGroup' ? 'zalando.org/v1' : 'networking.k8s.io/v1',
      kind,
      name,
    },
    config: {},
    now: NOW,
    ...rest,
  };
}

function setup(objects: Record<string, IngressRouting | Error>, queryTemplate?: string) {
  const { reader, calls } = fakeReader(objects);
  const prom = fakePrometheus();
  const collector = new RequestsPerSecondCollector({
    reader,
    prometheus: prom.prometheus,
    ...(queryTemplate ? { queryTemplate } : {}),
  });
  return { collector, calls, ...prom };
}

function failure(result: MetricResult<unknown>) {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const SHOP: IngressRouting = { hosts: ['shop.example.org'], backendWeights: {} };
const SPLIT: IngressRouting = {
  hosts: ['shop.example.org'],
  backendWeights: { 'shop-blue': 60, 'shop-green': 40 },
};

describe('RequestsPerSecondCollector: the query', () => {
  it('given one host and no weights, should build upstream’s skipper query with weight 1', async () => {
    const { collector, queries, calls } = setup({ 'Ingress/web/shop': SHOP });
    const result = await collector.collect(objectRequest(), never());
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 12_500, timestamp: NOW }] },
    });
    expect(queries).toEqual([
      'scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"shop_example_org"}[1m])) * 1.0000)',
    ]);
    expect(calls).toEqual([
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'web', name: 'shop' },
    ]);
  });

  it('given several hosts, should match them all in one regex, as skipper labels them', async () => {
    const { collector, queries } = setup({
      'Ingress/web/shop': {
        hosts: ['example.org', 'foo.bar.com', 'test.org', 'api-v2.shop.example.org'],
        backendWeights: {},
      },
    });
    await collector.collect(objectRequest(), never());
    expect(queries[0]).toBe(
      'scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"example_org|foo_bar_com|test_org|api-v2_shop_example_org"}[1m])) * 1.0000)',
    );
  });

  it('given a wildcard host, should match exactly one DNS label in its place', async () => {
    const { collector, queries } = setup({
      'Ingress/web/shop': { hosts: ['*.shop.example.org'], backendWeights: {} },
    });
    await collector.collect(objectRequest(), never());
    expect(queries[0]).toContain('{host=~"[^_]+_shop_example_org"}');
  });

  it.each([
    ['the named backend’s weight / 100', 'shop-green', '0.4000'],
    ['0 for a backend with weight 0', 'shop-zero', '0.0000'],
    ['0 for a backend without a weight (upstream)', 'shop-gone', '0.0000'],
  ])('given weights and a backend, should multiply by %s', async (_what, backend, factor) => {
    const { collector, queries } = setup({
      'Ingress/web/shop': { ...SPLIT, backendWeights: { ...SPLIT.backendWeights, 'shop-zero': 0 } },
    });
    const result = await collector.collect(objectRequest({ config: { backend } }), never());
    expect(result.ok).toBe(true);
    expect(queries[0]).toBe(
      `scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"shop_example_org"}[1m])) * ${factor})`,
    );
  });

  it('given fractional weights, should print 4 decimals like upstream’s %.4f', async () => {
    const { collector, queries } = setup({
      'Ingress/web/shop': { hosts: ['a.org'], backendWeights: { a: 20.5, b: 79.5 } },
    });
    await collector.collect(objectRequest({ config: { backend: 'a' } }), never());
    expect(queries[0]).toMatch(/\* 0\.2050\)$/);
  });

  it('given no weights, should ignore the backend and count all the traffic', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SHOP });
    await collector.collect(objectRequest({ config: { backend: 'shop-green' } }), never());
    expect(queries[0]).toMatch(/\* 1\.0000\)$/);
  });

  it('given weights but no backend, should be Invalid and say how to name one (upstream refuses too)', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SPLIT });
    const error = failure(await collector.collect(objectRequest(), never()));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain(
      'Ingress web/shop splits traffic between backends (shop-blue, shop-green)',
    );
    expect(error.message).toContain('matchLabels.backend');
    expect(queries).toEqual([]);
  });

  it('given the legacy metric name requests-per-second,<backend>, should weigh that backend', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SPLIT });
    await collector.collect(objectRequest({ metricName: 'requests-per-second,shop-blue' }), never());
    expect(queries[0]).toMatch(/\* 0\.6000\)$/);
  });

  it('given both the backend setting and a legacy name, should prefer the setting (upstream)', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SPLIT });
    await collector.collect(
      objectRequest({ metricName: 'requests-per-second,shop-blue', config: { backend: 'shop-green' } }),
      never(),
    );
    expect(queries[0]).toMatch(/\* 0\.4000\)$/);
  });

  it('given a RouteGroup, should read it as a RouteGroup and weigh its backends the same way', async () => {
    const { collector, queries, calls } = setup({
      'RouteGroup/web/shop': {
        hosts: ['shop.example.org', 'm.shop.example.org'],
        backendWeights: { a: 30, b: 70 },
      },
    });
    await collector.collect(objectRequest({ kind: 'RouteGroup', config: { backend: 'b' } }), never());
    expect(calls[0]).toEqual({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      namespace: 'web',
      name: 'shop',
    });
    expect(queries[0]).toBe(
      'scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"shop_example_org|m_shop_example_org"}[1m])) * 0.7000)',
    );
  });

  it('should send the query through the prometheus collector as an Object metric at the tick’s time', async () => {
    const { collector, requests } = setup({ 'Ingress/web/shop': SHOP });
    await collector.collect(objectRequest(), never());
    expect(requests).toEqual([
      expect.objectContaining({
        type: 'Object',
        namespace: 'web',
        now: NOW,
        config: { query: expect.stringContaining('skipper_serve_host_duration_seconds_count') },
      }),
    ]);
    expect(Object.keys(requests[0]?.config ?? {})).toEqual(['query']);
  });
});

describe('RequestsPerSecondCollector: templates for other ingress controllers', () => {
  it('given the cluster’s nginx template, should put the hosts as written, dots escaped for the regex', async () => {
    const { collector, queries } = setup(
      { 'Ingress/web/shop': { hosts: ['shop.example.org', 'www.example.org'], backendWeights: {} } },
      NGINX_QUERY_TEMPLATE,
    );
    await collector.collect(objectRequest(), never());
    expect(queries[0]).toBe(
      'scalar(sum(rate(nginx_ingress_controller_requests{host=~"shop\\\\.example\\\\.org|www\\\\.example\\\\.org"}[1m])) * 1.0000)',
    );
  });

  it('given a query-template annotation, should use it with namespace, name and backend', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SPLIT });
    const template =
      'sum(rate(nginx_ingress_controller_requests{namespace="${namespace}",ingress="${name}",service="${backend}"}[1m]))';
    await collector.collect(
      objectRequest({ config: { backend: 'shop-blue', 'query-template': template } }),
      never(),
    );
    expect(queries[0]).toBe(
      'sum(rate(nginx_ingress_controller_requests{namespace="web",ingress="shop",service="shop-blue"}[1m]))',
    );
  });

  it('given an unknown placeholder in the annotation, should be Invalid naming the key', async () => {
    const { collector, calls } = setup({ 'Ingress/web/shop': SHOP });
    const error = failure(
      await collector.collect(
        objectRequest({ config: { 'query-template': 'sum(x{h="${host}"})' } }),
        never(),
      ),
    );
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain(
      'metric-config.object.requests-per-second.requests-per-second/query-template',
    );
    expect(error.message).toContain('${host}');
    expect(calls).toEqual([]);
  });

  it('given a malformed cluster template, should refuse to construct', () => {
    const { reader } = fakeReader({});
    expect(
      () =>
        new RequestsPerSecondCollector({
          reader,
          prometheus: fakePrometheus().prometheus,
          queryTemplate: 'x{${weights}}',
        }),
    ).toThrow(/unknown placeholder/);
    expect(SKIPPER_QUERY_TEMPLATE).toContain('${hosts}');
  });
});

describe('RequestsPerSecondCollector: errors', () => {
  it('given a missing Ingress, should be NotFound naming it, and not query Prometheus', async () => {
    const { collector, queries } = setup({});
    const error = failure(await collector.collect(objectRequest({ name: 'gone' }), never()));
    expect(error.reason).toBe('NotFound');
    expect(error.message).toBe('Ingress web/gone not found');
    expect(queries).toEqual([]);
  });

  it('given an Ingress without hosts, should be Invalid', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': { hosts: [], backendWeights: {} } });
    const error = failure(await collector.collect(objectRequest(), never()));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('no hosts defined on Ingress web/shop');
    expect(queries).toEqual([]);
  });

  it.each([
    ['403', new ForbiddenError('get ingresses.networking.k8s.io web/shop: HTTP 403'), 'Forbidden'],
    [
      'a malformed annotation',
      new MalformedObjectError('annotation zalando.org/backend-weights …'),
      'Invalid',
    ],
    ['a transport failure', new Error('socket hang up'), 'Unavailable'],
  ])('given %s while reading, should map it to %s', async (_what, thrown, reason) => {
    const { collector } = setup({ 'Ingress/web/shop': thrown });
    const error = failure(await collector.collect(objectRequest(), never()));
    expect(error.reason).toBe(reason);
    expect(error.message).toContain(thrown.message);
  });

  it('given a reader that never answers, should be Timeout when the router aborts', async () => {
    const prom = fakePrometheus();
    const collector = new RequestsPerSecondCollector({
      reader: { getIngressRouting: () => new Promise(() => {}) },
      prometheus: prom.prometheus,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = failure(await collector.collect(objectRequest(), controller.signal));
    expect(error.reason).toBe('Timeout');
    expect(prom.queries).toEqual([]);
  });

  it('given another kind or metric type, should be Invalid', async () => {
    const { collector } = setup({});
    expect(failure(await collector.collect(objectRequest({ kind: 'Service' }), never())).reason).toBe(
      'Invalid',
    );
    const external: CollectorRequest = {
      type: 'External',
      namespace: 'web',
      metricName: 'rps',
      config: {},
      now: NOW,
    };
    expect(failure(await collector.collect(external, never())).reason).toBe('Invalid');
  });

  it('should allow the Ingress read and the Prometheus query within its timeout', () => {
    const { collector } = setup({});
    expect(collector.name).toBe('requests-per-second');
    expect(collector.timeoutMs).toBe(INGRESS_READ_TIMEOUT_MS + 5_000);
  });
});

describe('RequestsPerSecondCollector: cache key', () => {
  it('should differ by object, backend, template and time, and match for identical requests', () => {
    const { collector } = setup({});
    const base = collector.cacheKey(objectRequest({ config: { backend: 'a' } }));
    expect(collector.cacheKey(objectRequest({ config: { backend: 'a' } }))).toBe(base);
    expect(collector.cacheKey(objectRequest({ metricName: 'requests-per-second,a' }))).toBe(base);
    for (const other of [
      objectRequest({ config: { backend: 'b' } }),
      objectRequest({ config: { backend: 'a' }, name: 'other' }),
      objectRequest({ config: { backend: 'a' }, kind: 'RouteGroup' }),
      objectRequest({ config: { backend: 'a' }, namespace: 'other' }),
      objectRequest({ config: { backend: 'a' }, now: NOW + 15_000 }),
      objectRequest({ config: { backend: 'a', 'query-template': NGINX_QUERY_TEMPLATE } }),
    ]) {
      expect(collector.cacheKey(other)).not.toBe(base);
    }
  });
});

describe('through the MetricRouter', () => {
  const fallback: MetricSource = {
    getPodsMetric: async () => ({ ok: true, value: [] }),
    getObjectMetric: async () => ({ ok: false, error: new MetricError('NotServed', 'fallback') }),
    getExternalMetric: async () => ({ ok: true, value: [] }),
  };

  it('given an Object metric requests-per-second on an Ingress with matchLabels.backend, should answer it', async () => {
    const { collector, queries } = setup({ 'Ingress/web/shop': SPLIT });
    const router = new MetricRouter({ collectors: [collector], fallback });
    router.beginTick({ now: NOW, pods: [] });
    const result = await router.getObjectMetric({
      namespace: 'web',
      describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' },
      metricName: 'requests-per-second',
      metricSelector: { matchLabels: { backend: 'shop-green' } },
    });
    expect(result).toEqual({ ok: true, value: { milliValue: 12_500, timestamp: NOW } });
    expect(queries[0]).toMatch(/\* 0\.4000\)$/);
  });

  it('given a query-template annotation (also under upstream’s collector name skipper), should use it', async () => {
    const { collector, queries } = setup({ 'RouteGroup/web/shop': SHOP });
    const router = new MetricRouter({ collectors: [collector], fallback });
    router.beginTick({ now: NOW, pods: [] });
    await router.getObjectMetric({
      origin: {
        namespace: 'web',
        name: 'shop',
        annotations: {
          'metric-config.object.requests-per-second,b.skipper/query-template':
            'sum(x{h=~"${hosts}"}) * ${weight}',
        },
      },
      namespace: 'web',
      describedObject: { apiVersion: 'zalando.org/v1', kind: 'RouteGroup', name: 'shop' },
      metricName: 'requests-per-second,b',
    });
    expect(queries).toEqual(['sum(x{h=~"shop_example_org"}) * 1.0000']);
  });
});

describe('createMetricSources', () => {
  const deps = (kubernetes?: IngressRoutingReader) => ({
    fallback: {} as MetricSource,
    secretsManager: {} as SecretsManagerClient,
    clock: systemClock,
    ...(kubernetes ? { kubernetes } : {}),
  });
  const ingressMetric = {
    describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' },
    metricName: 'requests-per-second',
  };
  const routedTo = (router: MetricRouter) => {
    const route = router.route('Object', ingressMetric);
    return route.kind === 'collector' ? route.collector.name : route.kind;
  };

  it('should compose the collector with Prometheus and the cluster’s Kubernetes reader', async () => {
    const { reader } = fakeReader({});
    const config = metricSourcesSchema.parse({ prometheus: { url: 'http://prometheus:9090' } });
    expect(routedTo(await createMetricSources(config, deps(reader)))).toBe('requests-per-second');
    expect(routedTo(await createMetricSources(config, deps()))).toBe('fallback');
    const off = metricSourcesSchema.parse({
      prometheus: { url: 'http://prometheus:9090', requestsPerSecond: { enabled: false } },
    });
    expect(routedTo(await createMetricSources(off, deps(reader)))).toBe('fallback');
    expect(routedTo(await createMetricSources({}, deps(reader)))).toBe('fallback');
  });

  it('should check the query template in the config', () => {
    const parse = (queryTemplate: string) =>
      metricSourcesSchema.safeParse({
        prometheus: { url: 'http://p:9090', requestsPerSecond: { queryTemplate } },
      });
    expect(parse(NGINX_QUERY_TEMPLATE).success).toBe(true);
    expect(parse('sum(x{h=~"${host}"})').success).toBe(false);
  });
});

describe('reading Ingresses and RouteGroups (KubernetesAdapter.getIngressRouting)', () => {
  it('given an Ingress, should take its rule hosts (each once, host-less rules skipped) and weights', () => {
    const routing = ingressRouting({
      metadata: { annotations: { [BACKEND_WEIGHTS_ANNOTATION]: '{"shop-blue": 60, "shop-green": 40.5}' } },
      spec: {
        rules: [{ host: 'shop.example.org' }, { host: 'www.example.org' }, {}, { host: 'shop.example.org' }],
      },
    });
    expect(routing).toEqual({
      hosts: ['shop.example.org', 'www.example.org'],
      backendWeights: { 'shop-blue': 60, 'shop-green': 40.5 },
    });
  });

  it('given an Ingress without the annotation, should have no weights', () => {
    expect(ingressRouting({ spec: { rules: [{ host: 'a.org' }] } })).toEqual({
      hosts: ['a.org'],
      backendWeights: {},
    });
  });

  it.each(['not json', '[1,2]', '{"a": "60"}', 'null'])(
    'given the annotation %s, should throw MalformedObjectError naming it',
    (annotation) => {
      expect(() =>
        ingressRouting(
          { metadata: { annotations: { [BACKEND_WEIGHTS_ANNOTATION]: annotation } } },
          'Ingress web/x',
        ),
      ).toThrow(MalformedObjectError);
      expect(() =>
        ingressRouting(
          { metadata: { annotations: { [BACKEND_WEIGHTS_ANNOTATION]: annotation } } },
          'Ingress web/x',
        ),
      ).toThrow(/zalando\.org\/backend-weights of Ingress web\/x/);
    },
  );

  it('given a RouteGroup with several default backends, should take spec.hosts and their weights', () => {
    const routing = routeGroupRouting({
      spec: {
        hosts: ['shop.example.org', 'm.shop.example.org'],
        defaultBackends: [
          { backendName: 'blue', weight: 80 },
          { backendName: 'green', weight: 20 },
          { backendName: 'dark' },
        ],
      },
    });
    expect(routing).toEqual({
      hosts: ['shop.example.org', 'm.shop.example.org'],
      backendWeights: { blue: 80, green: 20, dark: 0 },
    });
  });

  it('given a RouteGroup with one default backend, should have no weights (upstream: weight 1)', () => {
    expect(
      routeGroupRouting({
        spec: { hosts: ['a.org'], defaultBackends: [{ backendName: 'only', weight: 30 }] },
      }),
    ).toEqual({ hosts: ['a.org'], backendWeights: {} });
    expect(routeGroupRouting({ spec: {} })).toEqual({ hosts: [], backendWeights: {} });
  });
});
