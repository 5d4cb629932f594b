import { describe, expect, it, vi } from 'vitest';
import type {
  CollectedValues,
  Collector,
  CollectorRequest,
} from '../../../../shared/adapters/metrics/collector';
import {
  DEFAULT_METRIC_CONCURRENCY,
  FALLBACK_SOURCE,
  MetricRouter,
  type MetricRouterOptions,
} from '../../../../shared/adapters/metrics/router';
import type { LabelSelector } from '../../../../shared/ports/autoscaling-v2';
import type { Pod } from '../../../../shared/ports/kubernetes';
import {
  type ExternalMetricQuery,
  MetricError,
  type MetricResult,
  type MetricSource,
  type ObjectMetricQuery,
  type PodMetricSample,
  type PodsMetricQuery,
  type ScalarSample,
} from '../../../../shared/ports/metric-source';

const NOW = Date.parse('2025-01-01T00:00:00Z');

type Collect = (request: CollectorRequest, signal: AbortSignal) => Promise<MetricResult<CollectedValues>>;

/** A collector that records its calls and how many ran at once. */
class FakeCollector implements Collector {
  readonly calls: CollectorRequest[] = [];
  readonly signals: AbortSignal[] = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly timeoutMs: number;
  readonly batching: boolean;

  constructor(
    readonly name: string,
    private readonly behaviour: Collect = async () => scalars(1000),
    options: { timeoutMs?: number; batching?: boolean } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.batching = options.batching ?? false;
  }

  cacheKey(request: CollectorRequest): string {
    return JSON.stringify([
      request.type,
      request.namespace,
      request.metricName,
      request.podSelector,
      request.config,
    ]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    this.calls.push(request);
    this.signals.push(signal);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.behaviour(request, signal);
    } finally {
      this.inFlight--;
    }
  }
}

/** A fallback (the Kubernetes metrics APIs) that records its calls. */
class FakeFallback implements MetricSource {
  readonly calls: { kind: string; query: unknown }[] = [];
  ticks = 0;
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;

  beginTick(): void {
    this.ticks++;
  }

  private async track<T>(kind: string, query: unknown, value: T): Promise<MetricResult<T>> {
    this.calls.push({ kind, query });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delayMs) await sleep(this.delayMs);
    this.inFlight--;
    return { ok: true, value };
  }

  getPodsMetric(query: PodsMetricQuery): Promise<MetricResult<PodMetricSample[]>> {
    return this.track('Pods', query, [{ podName: 'p', milliValue: 7, timestamp: NOW, windowSeconds: 60 }]);
  }
  getObjectMetric(query: ObjectMetricQuery): Promise<MetricResult<ScalarSample>> {
    return this.track('Object', query, { milliValue: 8, timestamp: NOW });
  }
  getExternalMetric(query: ExternalMetricQuery): Promise<MetricResult<ScalarSample[]>> {
    return this.track('External', query, [{ milliValue: 9, timestamp: NOW }]);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function scalars(...milli: number[]): MetricResult<CollectedValues> {
  return {
    ok: true,
    value: { kind: 'scalar', values: milli.map((m) => ({ milliValue: m, timestamp: NOW })) },
  };
}

function podSamples(...samples: [string, number][]): MetricResult<CollectedValues> {
  return {
    ok: true,
    value: {
      kind: 'pods',
      samples: samples.map(([podName, milliValue]) => ({
        podName,
        milliValue,
        timestamp: NOW,
        windowSeconds: 30,
      })),
    },
  };
}

function pod(namespace: string, name: string, labels: Record<string, string>): Pod {
  return {
    namespace,
    name,
    uid: `${namespace}-${name}`,
    labels,
    annotations: {},
    phase: 'Running',
    podIP: '10.0.0.1',
    creationTimestamp: NOW,
    conditions: [],
    containers: [],
    initContainers: [],
    ownerReferences: [],
  };
}

const origin = (annotations: Record<string, string> = {}, name = 'web') => ({
  namespace: 'shop',
  name,
  annotations,
});

function external(
  metricName: string,
  annotations: Record<string, string> = {},
  matchLabels?: Record<string, string>,
) {
  const query: ExternalMetricQuery = { origin: origin(annotations), namespace: 'shop', metricName };
  if (matchLabels) query.metricSelector = { matchLabels } satisfies LabelSelector;
  return query;
}

function object(
  metricName: string,
  kind: string,
  annotations: Record<string, string> = {},
  matchLabels?: Record<string, string>,
) {
  const query: ObjectMetricQuery = {
    origin: origin(annotations),
    namespace: 'shop',
    metricName,
    describedObject: { apiVersion: 'networking.k8s.io/v1', kind, name: 'front' },
  };
  if (matchLabels) query.metricSelector = { matchLabels };
  return query;
}

function podsQuery(metricName: string, annotations: Record<string, string> = {}, podSelector = 'app=web') {
  return {
    origin: origin(annotations),
    namespace: 'shop',
    metricName,
    podSelector,
  } satisfies PodsMetricQuery;
}

function router(collectors: Collector[], options: Partial<MetricRouterOptions> = {}) {
  const fallback = new FakeFallback();
  const metrics = new MetricRouter({ collectors, fallback, ...options });
  metrics.beginTick({ now: NOW, pods: [] });
  return { metrics, fallback };
}

const errorOf = <T>(result: MetricResult<T>): MetricError => {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
};

describe('MetricRouter: routing', () => {
  it('sends an annotated Pods metric to the named collector with its config', async () => {
    const jsonPath = new FakeCollector('json-path', async () => podSamples(['web-1', 500]));
    const { metrics, fallback } = router([jsonPath]);
    const result = await metrics.getPodsMetric(
      podsQuery('rps', {
        'metric-config.pods.rps.json-path/json-key': '$.rps',
        'metric-config.pods.rps.json-path/port': '9090',
      }),
    );
    expect(result).toEqual({
      ok: true,
      value: [{ podName: 'web-1', milliValue: 500, timestamp: NOW, windowSeconds: 30 }],
    });
    expect(jsonPath.calls[0]).toMatchObject({
      type: 'Pods',
      namespace: 'shop',
      metricName: 'rps',
      podSelector: 'app=web',
      config: { 'json-key': '$.rps', port: '9090' },
      now: NOW,
    });
    expect(fallback.calls).toEqual([]);
  });

  it('sends a Pods metric annotated for an unknown collector to json-path, upstream’s only Pods collector', async () => {
    const jsonPath = new FakeCollector('json-path', async () => podSamples(['web-1', 1]));
    const { metrics } = router([jsonPath]);
    await metrics.getPodsMetric(podsQuery('rps', { 'metric-config.pods.rps.custom/json-key': '$.rps' }));
    expect(jsonPath.calls).toHaveLength(1);
  });

  it('sends an unannotated Pods metric to the Kubernetes custom metrics API', async () => {
    const jsonPath = new FakeCollector('json-path');
    const { metrics, fallback } = router([jsonPath]);
    const query = podsQuery('rps');
    expect(await metrics.getPodsMetric(query)).toMatchObject({ ok: true, value: [{ milliValue: 7 }] });
    expect(fallback.calls).toEqual([{ kind: 'Pods', query }]);
    expect(jsonPath.calls).toEqual([]);
  });

  it('routes an External metric by its type label, with the matchLabels and annotations as config', async () => {
    const prometheus = new FakeCollector('prometheus', async () => scalars(2500));
    const { metrics } = router([prometheus]);
    const result = await metrics.getExternalMetric(
      external(
        'processed-events-per-second',
        { 'metric-config.external.processed-events-per-second.prometheus/query': 'sum(rate(x[1m]))' },
        { type: 'prometheus' },
      ),
    );
    expect(result).toEqual({ ok: true, value: [{ milliValue: 2500, timestamp: NOW }] });
    expect(prometheus.calls[0]?.config).toEqual({ type: 'prometheus', query: 'sum(rate(x[1m]))' });
  });

  it('routes sqs-queue-length by metric name (legacy) or type label, configured from matchLabels', async () => {
    const sqs = new FakeCollector('sqs-queue-length', async () => scalars(42_000));
    const { metrics } = router([sqs]);
    const byName = await metrics.getExternalMetric(
      external('sqs-queue-length', {}, { 'queue-name': 'orders', region: 'eu-central-1' }),
    );
    const byType = await metrics.getExternalMetric(
      external('my-sqs', {}, { type: 'sqs-queue-length', 'queue-name': 'jobs', region: 'eu-west-1' }),
    );
    expect(byName).toMatchObject({ ok: true, value: [{ milliValue: 42_000 }] });
    expect(byType.ok).toBe(true);
    expect(sqs.calls.map((c) => c.config)).toEqual([
      { 'queue-name': 'orders', region: 'eu-central-1' },
      { type: 'sqs-queue-length', 'queue-name': 'jobs', region: 'eu-west-1' },
    ]);
  });

  it('lets annotations override matchLabels of the same key', async () => {
    const sqs = new FakeCollector('sqs-queue-length');
    const { metrics } = router([sqs]);
    await metrics.getExternalMetric(
      external(
        'q',
        { 'metric-config.external.q.sqs-queue-length/region': 'us-east-1' },
        { type: 'sqs-queue-length', 'queue-name': 'jobs', region: 'eu-west-1' },
      ),
    );
    expect(sqs.calls[0]?.config).toEqual({
      type: 'sqs-queue-length',
      'queue-name': 'jobs',
      region: 'us-east-1',
    });
  });

  it('maps upstream’s legacy metric names to their collectors', async () => {
    const prometheus = new FakeCollector('prometheus');
    const influxdb = new FakeCollector('influxdb');
    const { metrics } = router([prometheus, influxdb]);
    await metrics.getExternalMetric(
      external(
        'prometheus-query',
        { 'metric-config.external.prometheus-query.prometheus/processed': 'sum(x)' },
        { 'query-name': 'processed' },
      ),
    );
    await metrics.getExternalMetric(external('flux-query', {}, { 'query-name': 'depth' }));
    expect(prometheus.calls[0]?.config).toEqual({ 'query-name': 'processed', processed: 'sum(x)' });
    expect(influxdb.calls).toHaveLength(1);
  });

  it('takes the collector from the annotation when the selector has no type label', async () => {
    const influxdb = new FakeCollector('influxdb');
    const { metrics, fallback } = router([influxdb]);
    await metrics.getExternalMetric(
      external('queue-depth', { 'metric-config.external.queue-depth.influxdb/query': 'q' }),
    );
    expect(influxdb.calls).toHaveLength(1);
    expect(fallback.calls).toEqual([]);
  });

  it('reports a type label and an annotation that name different collectors, naming the key', async () => {
    const prometheus = new FakeCollector('prometheus');
    const influxdb = new FakeCollector('influxdb');
    const { metrics } = router([prometheus, influxdb]);
    const error = errorOf(
      await metrics.getExternalMetric(
        external('q', { 'metric-config.external.q.influxdb/query': 'x' }, { type: 'prometheus' }),
      ),
    );
    expect(error.reason).toBe('Invalid');
    expect(error.message).toMatch(/^metric-config\.external\.q\.influxdb\/query: .*type=prometheus/);
    expect(prometheus.calls).toEqual([]);
    expect(influxdb.calls).toEqual([]);
  });

  it('leaves External metrics no collector claims to the external metrics API', async () => {
    const prometheus = new FakeCollector('prometheus');
    const { metrics, fallback } = router([prometheus]);
    const plain = external('queue_depth', {}, { queue: 'orders' });
    const zmon = external(
      'my-check',
      { 'metric-config.external.my-check.zmon/key': 'custom.*' },
      { type: 'zmon' },
    );
    expect(await metrics.getExternalMetric(plain)).toMatchObject({ ok: true, value: [{ milliValue: 9 }] });
    expect((await metrics.getExternalMetric(zmon)).ok).toBe(true);
    expect(fallback.calls.map((c) => c.query)).toEqual([plain, zmon]);
    expect(prometheus.calls).toEqual([]);
  });

  it('sends requests-per-second on an Ingress or RouteGroup to the requests-per-second collector', async () => {
    const rps = new FakeCollector('requests-per-second', async () => scalars(120_000));
    const { metrics, fallback } = router([rps]);
    expect(await metrics.getObjectMetric(object('requests-per-second', 'Ingress'))).toEqual({
      ok: true,
      value: { milliValue: 120_000, timestamp: NOW },
    });
    await metrics.getObjectMetric(object('requests-per-second', 'RouteGroup', {}, { backend: 'blue' }));
    await metrics.getObjectMetric(object('requests-per-second,green', 'Ingress'));
    expect(rps.calls.map((c) => [c.describedObject?.kind, c.config])).toEqual([
      ['Ingress', {}],
      ['RouteGroup', { backend: 'blue' }],
      ['Ingress', { backend: 'green' }],
    ]);
    // Another metric on an Ingress, or requests-per-second on another kind, is not claimed.
    await metrics.getObjectMetric(object('latency', 'Ingress'));
    await metrics.getObjectMetric(object('requests-per-second', 'Service'));
    expect(fallback.calls).toHaveLength(2);
  });

  it('sends Object metrics on ScalingSchedule kinds to the scheduled-scaling collector', async () => {
    const schedule = new FakeCollector('scheduled-scaling');
    const { metrics } = router([schedule]);
    await metrics.getObjectMetric(object('morning', 'ClusterScalingSchedule'));
    await metrics.getObjectMetric(object('evening', 'ScalingSchedule'));
    expect(schedule.calls.map((c) => c.describedObject?.kind)).toEqual([
      'ClusterScalingSchedule',
      'ScalingSchedule',
    ]);
  });

  it('sends an annotated Object metric to the named collector, and an unclaimed one to the fallback', async () => {
    const prometheus = new FakeCollector('prometheus');
    const { metrics, fallback } = router([prometheus]);
    await metrics.getObjectMetric(
      object('events', 'Deployment', { 'metric-config.object.events.prometheus/query': 'sum(x)' }),
    );
    await metrics.getObjectMetric(object('events', 'Deployment'));
    expect(prometheus.calls[0]?.config).toEqual({ query: 'sum(x)' });
    expect(fallback.calls).toHaveLength(1);
  });

  it('answers Invalid naming the key for a malformed annotation, without touching other metrics', async () => {
    const prometheus = new FakeCollector('prometheus');
    const { metrics, fallback } = router([prometheus]);
    const annotations = {
      'metric-config.external.bad.prometheus/': 'sum(x)',
      'metric-config.external.good.prometheus/query': 'sum(y)',
    };
    const bad = errorOf(
      await metrics.getExternalMetric(external('bad', annotations, { type: 'prometheus' })),
    );
    expect(bad).toBeInstanceOf(MetricError);
    expect(bad.reason).toBe('Invalid');
    expect(bad.message).toMatch(/^metric-config\.external\.bad\.prometheus\/: empty config key/);
    expect((await metrics.getExternalMetric(external('good', annotations, { type: 'prometheus' }))).ok).toBe(
      true,
    );
    expect(prometheus.calls.map((c) => c.metricName)).toEqual(['good']);
    expect(fallback.calls).toEqual([]);
    expect(metrics.stats().invalid).toBe(1);
  });

  it('reports malformed annotations on metrics that would fall back too', async () => {
    const { metrics, fallback } = router([]);
    const error = errorOf(
      await metrics.getExternalMetric(
        external('q', { 'metric-config.external.q.prometheus/interval': 'soon' }),
      ),
    );
    expect(error.message).toMatch(/^metric-config\.external\.q\.prometheus\/interval: invalid interval/);
    expect(fallback.calls).toEqual([]);
  });

  it('passes queries without an origin by conventions only', async () => {
    const sqs = new FakeCollector('sqs-queue-length');
    const { metrics } = router([sqs]);
    const result = await metrics.getExternalMetric({
      namespace: 'shop',
      metricName: 'sqs-queue-length',
      metricSelector: { matchLabels: { 'queue-name': 'q', region: 'eu-central-1' } },
    });
    expect(result.ok).toBe(true);
  });

  it('refuses two collectors of one name and bad settings', () => {
    const fallback = new FakeFallback();
    expect(
      () => new MetricRouter({ collectors: [new FakeCollector('a'), new FakeCollector('a')], fallback }),
    ).toThrow(/two collectors are named "a"/);
    expect(() => new MetricRouter({ collectors: [], fallback, concurrency: 0 })).toThrow(/concurrency/);
    expect(
      () => new MetricRouter({ collectors: [new FakeCollector('a', undefined, { timeoutMs: 0 })], fallback }),
    ).toThrow(/timeoutMs/);
  });
});

describe('MetricRouter: pods of a Pods metric', () => {
  it('gives the collector the tick’s pods of the namespace that match the selector', async () => {
    const jsonPath = new FakeCollector('json-path', async () => podSamples(['web-1', 1]));
    const { metrics } = router([jsonPath]);
    metrics.beginTick({
      now: NOW,
      pods: [
        pod('shop', 'web-1', { app: 'web', tier: 'front' }),
        pod('shop', 'web-2', { app: 'web', tier: 'back' }),
        pod('shop', 'api-1', { app: 'api' }),
        pod('other', 'web-9', { app: 'web', tier: 'front' }),
      ],
    });
    const annotations = { 'metric-config.pods.rps.json-path/json-key': '$.rps' };
    await metrics.getPodsMetric(podsQuery('rps', annotations, 'app=web'));
    await metrics.getPodsMetric(podsQuery('rps', annotations, 'app=web,tier in (front)'));
    expect(jsonPath.calls.map((c) => c.pods?.map((p) => `${p.namespace}/${p.name}`))).toEqual([
      ['shop/web-1', 'shop/web-2'],
      ['shop/web-1'],
    ]);
  });

  it('answers Invalid for a pod selector that does not parse', async () => {
    const jsonPath = new FakeCollector('json-path');
    const { metrics } = router([jsonPath]);
    const error = errorOf(
      await metrics.getPodsMetric(
        podsQuery('rps', { 'metric-config.pods.rps.json-path/json-key': '$' }, 'app in ('),
      ),
    );
    expect(error.reason).toBe('Invalid');
    expect(error.message).toMatch(/invalid pod selector "app in \("/);
    expect(jsonPath.calls).toEqual([]);
  });
});

describe('MetricRouter: one fetch per distinct request and tick', () => {
  it('fetches 200 times for 1,000 queries over 200 distinct requests, and again after beginTick', async () => {
    const prometheus = new FakeCollector('prometheus', async (request) => {
      await sleep(1);
      return scalars(Number(request.config.query));
    });
    const { metrics } = router([prometheus]);
    const queries = Array.from({ length: 1000 }, (_, i) =>
      external(
        'load',
        { 'metric-config.external.load.prometheus/query': String(i % 200) },
        { type: 'prometheus' },
      ),
    );
    const results = await Promise.all(queries.map((q) => metrics.getExternalMetric(q)));
    expect(prometheus.calls).toHaveLength(200);
    expect(results.every((r, i) => r.ok && r.value[0]?.milliValue === i % 200)).toBe(true);
    expect(metrics.stats()).toEqual({
      queries: 1000,
      cacheHits: 800,
      fetches: { prometheus: 200 },
      timeouts: {},
      invalid: 0,
    });

    // Sequential identical queries share the fetch too.
    await metrics.getExternalMetric(queries[0] as ExternalMetricQuery);
    expect(prometheus.calls).toHaveLength(200);

    metrics.beginTick({ now: NOW + 15_000, pods: [] });
    expect(metrics.stats().queries).toBe(0);
    await Promise.all(queries.map((q) => metrics.getExternalMetric(q)));
    expect(prometheus.calls).toHaveLength(400);
    expect(prometheus.calls[200]?.now).toBe(NOW + 15_000);
  });

  it('caches fallback queries by everything but the origin, and forwards beginTick', async () => {
    const { metrics, fallback } = router([]);
    const a = { ...external('queue', {}, { q: 'a' }), origin: origin({}, 'one') };
    const b = { ...external('queue', {}, { q: 'a' }), origin: origin({}, 'two') };
    const c = external('queue', {}, { q: 'c' });
    await Promise.all([a, b, c, a].map((q) => metrics.getExternalMetric(q)));
    expect(fallback.calls).toHaveLength(2);
    expect(metrics.stats().fetches).toEqual({ [FALLBACK_SOURCE]: 2 });
    expect(metrics.stats().cacheHits).toBe(2);
    expect(fallback.ticks).toBe(1);
  });

  it('hands each query its own copy of a shared answer', async () => {
    const prometheus = new FakeCollector('prometheus');
    const { metrics } = router([prometheus]);
    const q = external('x', {}, { type: 'prometheus' });
    const first = await metrics.getExternalMetric(q);
    if (first.ok) first.value.push({ milliValue: 1, timestamp: 1 });
    const second = await metrics.getExternalMetric(q);
    expect(second.ok && second.value).toHaveLength(1);
  });
});

describe('MetricRouter: concurrency', () => {
  it('runs at most `concurrency` fetches of one collector at once', async () => {
    const slow = new FakeCollector('prometheus', async () => {
      await sleep(5);
      return scalars(1);
    });
    const other = new FakeCollector('influxdb', async () => {
      await sleep(5);
      return scalars(1);
    });
    const { metrics } = router([slow, other], { concurrency: 4 });
    const results = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) =>
        metrics.getExternalMetric(external(`p${i}`, {}, { type: 'prometheus' })),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        metrics.getExternalMetric(external(`i${i}`, {}, { type: 'influxdb' })),
      ),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(slow.calls).toHaveLength(40);
    expect(slow.maxInFlight).toBe(4);
    expect(other.maxInFlight).toBe(4);
  });

  it('bounds the fallback by the same limit', async () => {
    const { metrics, fallback } = router([], { concurrency: 3 });
    fallback.delayMs = 5;
    await Promise.all(Array.from({ length: 20 }, (_, i) => metrics.getExternalMetric(external(`m${i}`))));
    expect(fallback.calls).toHaveLength(20);
    expect(fallback.maxInFlight).toBe(3);
  });

  it('defaults to a named limit', () => {
    expect(DEFAULT_METRIC_CONCURRENCY).toBe(16);
  });

  it('calls a batching collector for all requests at once', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cloudwatch = new FakeCollector(
      'cloudwatch',
      async () => {
        await gate;
        return scalars(1);
      },
      { batching: true },
    );
    const { metrics } = router([cloudwatch], { concurrency: 2 });
    const pending = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        metrics.getExternalMetric(external(`c${i}`, {}, { type: 'cloudwatch' })),
      ),
    );
    await sleep(0);
    expect(cloudwatch.inFlight).toBe(30);
    release();
    expect((await pending).every((r) => r.ok)).toBe(true);
  });

  it('prefetch starts every query of the tick at once; the queries then share those fetches', async () => {
    const cloudwatch = new FakeCollector(
      'cloudwatch',
      async () => {
        await sleep(2);
        return scalars(1);
      },
      { batching: true },
    );
    const { metrics } = router([cloudwatch]);
    const queries = Array.from({ length: 50 }, (_, i) => external(`c${i}`, {}, { type: 'cloudwatch' }));
    const prefetched = metrics.prefetch(queries.map((query) => ({ kind: 'External' as const, query })));
    await sleep(0);
    expect(cloudwatch.maxInFlight).toBe(50);
    await prefetched;
    for (const q of queries) expect((await metrics.getExternalMetric(q)).ok).toBe(true);
    expect(cloudwatch.calls).toHaveLength(50);
    expect(metrics.stats().cacheHits).toBe(50);
  });
});

describe('MetricRouter: timeouts', () => {
  it('answers Timeout when a collector does not answer within its timeout, and aborts it', async () => {
    const dead = new FakeCollector('prometheus', () => new Promise(() => {}), { timeoutMs: 50 });
    const { metrics } = router([dead]);
    const started = performance.now();
    const error = errorOf(await metrics.getExternalMetric(external('x', {}, { type: 'prometheus' })));
    expect(error.reason).toBe('Timeout');
    expect(error.message).toBe('prometheus did not answer within 50 ms');
    expect(dead.signals[0]?.aborted).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(metrics.stats().timeouts).toEqual({ prometheus: 1 });
  });

  it('times out requests still waiting for a slot behind a dead collector at their own deadline', async () => {
    // Fake timers (and performance.now), so that the five deadlines fall on the same instant.
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    try {
      const dead = new FakeCollector('prometheus', () => new Promise(() => {}), { timeoutMs: 50 });
      const { metrics } = router([dead], { concurrency: 1 });
      const settled: string[] = [];
      const pending = Array.from({ length: 5 }, (_, i) =>
        metrics.getExternalMetric(external(`x${i}`, {}, { type: 'prometheus' })).then((r) => {
          settled.push(r.ok ? 'ok' : r.error.reason);
          return r;
        }),
      );
      await vi.advanceTimersByTimeAsync(49);
      expect(settled).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      // All five answer at 50 ms, not at 50, 100, … 250 ms as they would waiting in line.
      expect(settled).toEqual(Array(5).fill('Timeout'));
      await Promise.all(pending);
      await vi.runAllTimersAsync();
      expect(dead.calls).toHaveLength(1); // the others never got a slot before their deadline
    } finally {
      vi.useRealTimers();
    }
  });

  it('frees the slot of a timed-out fetch for the next tick', async () => {
    let hang = true;
    const flaky = new FakeCollector(
      'prometheus',
      () => (hang ? new Promise(() => {}) : Promise.resolve(scalars(3))),
      { timeoutMs: 50 },
    );
    const { metrics } = router([flaky], { concurrency: 1 });
    expect((await metrics.getExternalMetric(external('x', {}, { type: 'prometheus' }))).ok).toBe(false);
    hang = false;
    metrics.beginTick({ now: NOW, pods: [] });
    expect(await metrics.getExternalMetric(external('x', {}, { type: 'prometheus' }))).toMatchObject({
      ok: true,
    });
  });

  it('bounds the fallback by fallbackTimeoutMs', async () => {
    const fallback: MetricSource = {
      getPodsMetric: () => new Promise(() => {}),
      getObjectMetric: () => new Promise(() => {}),
      getExternalMetric: () => new Promise(() => {}),
    };
    const metrics = new MetricRouter({ collectors: [], fallback, fallbackTimeoutMs: 50 });
    const error = errorOf(await metrics.getExternalMetric(external('x')));
    expect(error).toMatchObject({
      reason: 'Timeout',
      message: `${FALLBACK_SOURCE} did not answer within 50 ms`,
    });
  });
});

describe('MetricRouter: checks every answer', () => {
  it.each([
    ['NaN', Number.NaN],
    ['negative', -1],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('a %s value is Invalid', async (_, value) => {
    const bad = new FakeCollector('prometheus', async () => scalars(value));
    const badPods = new FakeCollector('json-path', async () => podSamples(['web-1', 5], ['web-2', value]));
    const { metrics } = router([bad, badPods]);
    const externalError = errorOf(await metrics.getExternalMetric(external('x', {}, { type: 'prometheus' })));
    expect(externalError.reason).toBe('Invalid');
    expect(externalError.message).toBe(`prometheus: value ${value} is not a finite, non-negative number`);
    const objectError = errorOf(
      await metrics.getObjectMetric(
        object('x', 'Deployment', { 'metric-config.object.x.prometheus/query': 'q' }),
      ),
    );
    expect(objectError.reason).toBe('Invalid');
    const podsError = errorOf(
      await metrics.getPodsMetric(podsQuery('x', { 'metric-config.pods.x.json-path/json-key': '$' })),
    );
    expect(podsError.reason).toBe('Invalid');
    expect(podsError.message).toContain('pod web-2');
  });

  it('checks the fallback’s answers too', async () => {
    const fallback: MetricSource = {
      getPodsMetric: async () => ({ ok: true, value: [] }),
      getObjectMetric: async () => ({ ok: true, value: { milliValue: Number.NaN, timestamp: NOW } }),
      getExternalMetric: async () => ({ ok: true, value: [] }),
    };
    const metrics = new MetricRouter({ collectors: [], fallback });
    expect(errorOf(await metrics.getObjectMetric(object('x', 'Deployment'))).reason).toBe('Invalid');
  });

  it('turns a thrown exception or a rejection into Unavailable', async () => {
    const throwing = new FakeCollector('prometheus', () => {
      throw new Error('connection refused');
    });
    const rejecting = new FakeCollector('influxdb', async () => {
      throw new TypeError('fetch failed');
    });
    const { metrics } = router([throwing, rejecting]);
    expect(errorOf(await metrics.getExternalMetric(external('a', {}, { type: 'prometheus' })))).toMatchObject(
      {
        reason: 'Unavailable',
        message: 'prometheus: connection refused',
      },
    );
    expect(errorOf(await metrics.getExternalMetric(external('b', {}, { type: 'influxdb' })))).toMatchObject({
      reason: 'Unavailable',
      message: 'influxdb: fetch failed',
    });
  });

  it('turns an exception in cacheKey into Unavailable', async () => {
    const broken = new FakeCollector('prometheus');
    broken.cacheKey = () => {
      throw new Error('bad config');
    };
    const { metrics } = router([broken]);
    expect(errorOf(await metrics.getExternalMetric(external('a', {}, { type: 'prometheus' })))).toMatchObject(
      {
        reason: 'Unavailable',
        message: 'prometheus: bad config',
      },
    );
  });

  it('passes a collector’s own MetricError through', async () => {
    const missing = new FakeCollector('sqs-queue-length', async () => ({
      ok: false,
      error: new MetricError('NotFound', 'sqs-queue-length: queue orders does not exist in eu-central-1'),
    }));
    const { metrics } = router([missing]);
    expect(errorOf(await metrics.getExternalMetric(external('sqs-queue-length')))).toMatchObject({
      reason: 'NotFound',
      message: 'sqs-queue-length: queue orders does not exist in eu-central-1',
    });
  });

  it.each([[[]], [[1, 2]]])('an Object metric with values %j is Invalid', async (values) => {
    const prometheus = new FakeCollector('prometheus', async () => scalars(...values));
    const { metrics } = router([prometheus]);
    const error = errorOf(
      await metrics.getObjectMetric(
        object('x', 'Deployment', { 'metric-config.object.x.prometheus/query': 'q' }),
      ),
    );
    expect(error.reason).toBe('Invalid');
    expect(error.message).toBe(
      `prometheus returned ${values.length} values for Object metric x of Deployment shop/front, expected exactly one`,
    );
  });

  it('answers NotFound for no External values or no pod values, Invalid for the wrong kind of values', async () => {
    const empty = new FakeCollector('prometheus', async () => scalars());
    const emptyPods = new FakeCollector('json-path', async () => podSamples());
    const wrong = new FakeCollector('influxdb', async () => podSamples(['p', 1]));
    const { metrics } = router([empty, emptyPods, wrong]);
    expect(errorOf(await metrics.getExternalMetric(external('a', {}, { type: 'prometheus' }))).reason).toBe(
      'NotFound',
    );
    expect(
      errorOf(await metrics.getPodsMetric(podsQuery('a', { 'metric-config.pods.a.json-path/json-key': '$' })))
        .reason,
    ).toBe('NotFound');
    expect(errorOf(await metrics.getExternalMetric(external('b', {}, { type: 'influxdb' }))).message).toBe(
      'influxdb answered per-pod values for External metric b',
    );
  });

  it('returns External values as the collector gave them, for the HPA to sum', async () => {
    const prometheus = new FakeCollector('prometheus', async () => scalars(1000, 2000, 0));
    const { metrics } = router([prometheus]);
    const result = await metrics.getExternalMetric(external('a', {}, { type: 'prometheus' }));
    expect(result.ok && result.value.map((v) => v.milliValue)).toEqual([1000, 2000, 0]);
  });
});
