import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../shared/adapters/metrics/collector';
import { PROMETHEUS_TIMEOUT_MS, PrometheusCollector } from '../../shared/adapters/metrics/prometheus';
import type { MetricResult } from '../../shared/ports/metric-source';
import { createCertificateAuthority, issueCertificate } from '../cluster/harness/pki';
import {
  type BlackHole,
  freePort,
  type MetricsEndpoint,
  type PrometheusServer,
  type RecordingProxy,
  serveMetrics,
  startBlackHole,
  startPrometheus,
  startRecordingProxy,
} from './harness/prometheus';

// Known series, scraped every second by a real Prometheus (Debian's package) from a /metrics endpoint
// this file serves on 127.0.0.1.
const EXPOSITION = `# TYPE tp_queue_depth gauge
tp_queue_depth{queue="jobs"} 42.5
tp_queue_depth{queue="mail"} 7
# TYPE tp_ratio gauge
tp_ratio 1.1
# TYPE tp_tiny gauge
tp_tiny 0.0001
# TYPE tp_nan gauge
tp_nan NaN
# TYPE tp_inf gauge
tp_inf +Inf
# TYPE tp_negative gauge
tp_negative -3
`;

const SERVICE_PROXY_PREFIX = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy';

function external(config: Record<string, string>, now = Date.now()): CollectorRequest {
  return { type: 'External', namespace: 'default', metricName: 'queue-depth', config, now };
}

function value<T>(result: MetricResult<{ kind: string; values?: T[] }>): T {
  if (!result.ok) throw new Error(`expected a value, got ${result.error.reason}: ${result.error.message}`);
  const [only] = result.value.values ?? [];
  if (only === undefined) throw new Error('no value');
  return only;
}

function error(result: MetricResult<unknown>) {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const never = () => new AbortController().signal;

describe('PrometheusCollector against a real Prometheus', () => {
  let metrics: MetricsEndpoint;
  let prom: PrometheusServer;
  let collector: PrometheusCollector;

  beforeAll(async () => {
    metrics = await serveMetrics(EXPOSITION);
    prom = await startPrometheus({ scrapeTargets: [metrics.target] });
    for (const series of ['tp_queue_depth', 'tp_ratio', 'tp_tiny', 'tp_nan', 'tp_inf', 'tp_negative']) {
      await prom.waitForQuery(series);
    }
    collector = new PrometheusCollector({ url: prom.url });
  });

  afterAll(async () => {
    collector?.close();
    await prom?.stop();
    await metrics?.stop();
  });

  it('runs Debian’s Prometheus 2.x and scrapes the test endpoint', () => {
    expect(prom.version).toMatch(/^prometheus, version 2\.\d+/);
    expect(metrics.scrapes()).toBeGreaterThan(0);
    expect(collector.name).toBe('prometheus');
    expect(collector.timeoutMs).toBe(PROMETHEUS_TIMEOUT_MS);
  });

  it('given a scalar query, should return its exact value in milli-units, stamped at the evaluation time', async () => {
    const now = Date.now();
    const result = await collector.collect(external({ query: 'scalar(sum(tp_queue_depth))' }, now), never());
    expect(value(result)).toEqual({ milliValue: 49_500, timestamp: now });
  });

  it('given a one-series vector (a plain gauge), should return its value', async () => {
    const result = await collector.collect(external({ query: 'tp_queue_depth{queue="jobs"}' }), never());
    expect(value(result).milliValue).toBe(42_500);
  });

  it('given an instant query outside the HPA pipeline (the control plane’s latency), should return its value', async () => {
    const now = Date.now();
    const sample = await collector.instantQuery(`${prom.url}/`, 'tp_ratio', now, AbortSignal.timeout(5_000));
    expect(sample).toEqual({ milliValue: 1_100, timestamp: now });
    await expect(
      collector.instantQuery(prom.url, 'tp_absent_series', now, AbortSignal.timeout(5_000)),
    ).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('given an aggregation to one series, should return the aggregate', async () => {
    const result = await collector.collect(external({ query: 'sum(tp_queue_depth)' }), never());
    expect(value(result).milliValue).toBe(49_500);
  });

  it('given 1.1 and 0.0001, should convert exactly and round up like MilliValue', async () => {
    expect(value(await collector.collect(external({ query: 'tp_ratio' }), never())).milliValue).toBe(1_100);
    expect(value(await collector.collect(external({ query: 'tp_tiny' }), never())).milliValue).toBe(1);
  });

  it('given an Object metric, should answer the same way', async () => {
    const request: CollectorRequest = {
      ...external({ query: 'tp_queue_depth{queue="mail"}' }),
      type: 'Object',
      describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    };
    expect(value(await collector.collect(request, never())).milliValue).toBe(7_000);
  });

  it('given an empty result, should be NotFound and name the query', async () => {
    const query = 'tp_queue_depth{queue="nope"}';
    const failure = error(await collector.collect(external({ query }), never()));
    expect(failure.reason).toBe('NotFound');
    expect(failure.message).toContain(query);
  });

  it('given a time before any sample, should evaluate at request.now and find nothing', async () => {
    const hourAgo = Date.now() - 3_600_000;
    const failure = error(
      await collector.collect(external({ query: 'tp_queue_depth{queue="jobs"}' }, hourAgo), never()),
    );
    expect(failure.reason).toBe('NotFound');
  });

  it('given several series, should be Invalid and say how many', async () => {
    const failure = error(await collector.collect(external({ query: 'tp_queue_depth' }), never()));
    expect(failure.reason).toBe('Invalid');
    expect(failure.message).toContain('2 series');
  });

  it('given NaN, +Inf or a negative value, should be Invalid', async () => {
    for (const query of ['tp_nan', 'tp_inf', 'tp_negative', 'scalar(tp_queue_depth)']) {
      const failure = error(await collector.collect(external({ query }), never()));
      expect(failure.reason, query).toBe('Invalid');
      expect(failure.message, query).toContain(query);
    }
  });

  it('given a bad query or a range vector, should be Invalid with Prometheus’s message', async () => {
    const bad = error(await collector.collect(external({ query: 'sum(' }), never()));
    expect(bad.reason).toBe('Invalid');
    expect(bad.message).toContain('bad_data');
    const matrix = error(await collector.collect(external({ query: 'tp_ratio[1m]' }), never()));
    expect(matrix.reason).toBe('Invalid');
    expect(matrix.message).toContain('matrix');
  });

  it('given the older External form (query-name label), should run the named query', async () => {
    const request: CollectorRequest = {
      ...external({ 'queue-length': 'tp_queue_depth{queue="jobs"}' }),
      metricName: 'prometheus-query',
      metricSelector: { matchLabels: { 'query-name': 'queue-length' } },
    };
    expect(value(await collector.collect(request, never())).milliValue).toBe(42_500);
  });

  it('given no query annotation, should be Invalid and name the key', async () => {
    const failure = error(await collector.collect(external({}), never()));
    expect(failure.reason).toBe('Invalid');
    expect(failure.message).toContain('metric-config.external.queue-depth.prometheus/query');
  });

  it('given a collector without URL, should use the prometheus-server annotation', async () => {
    const bare = new PrometheusCollector();
    try {
      const result = await bare.collect(
        external({ query: 'tp_ratio', 'prometheus-server': `${prom.url}/` }),
        never(),
      );
      expect(value(result).milliValue).toBe(1_100);
      expect(error(await bare.collect(external({ query: 'tp_ratio' }), never())).reason).toBe('NotServed');
    } finally {
      bare.close();
    }
  });

  it('given an answer over the size cap, should be Invalid without reading the rest', async () => {
    const capped = new PrometheusCollector({ url: prom.url, maxResponseBytes: 64 });
    try {
      const failure = error(await capped.collect(external({ query: 'tp_queue_depth' }), never()));
      expect(failure.reason).toBe('Invalid');
      expect(failure.message).toContain('larger than 64 bytes');
    } finally {
      capped.close();
    }
  });

  it('should key the cache by server, query and evaluation time', () => {
    const a = collector.cacheKey(external({ query: 'tp_ratio' }, 1_000));
    expect(collector.cacheKey(external({ query: 'tp_ratio' }, 1_000))).toBe(a);
    expect(collector.cacheKey(external({ query: 'tp_ratio' }, 2_000))).not.toBe(a);
    expect(collector.cacheKey(external({ query: 'tp_tiny' }, 1_000))).not.toBe(a);
    expect(
      collector.cacheKey(external({ query: 'tp_ratio', 'prometheus-server': 'http://other:9090' }, 1_000)),
    ).not.toBe(a);
  });

  describe('through a proxy (like the API server’s service proxy) that checks a bearer token', () => {
    let proxy: RecordingProxy;
    let other: RecordingProxy;

    beforeAll(async () => {
      proxy = await startRecordingProxy(prom.url, {
        pathPrefix: SERVICE_PROXY_PREFIX,
        requireAuthorization: 'Bearer t0k3n',
      });
      other = await startRecordingProxy(prom.url);
    });

    afterAll(async () => {
      await proxy?.stop();
      await other?.stop();
    });

    it('given a bearer token, should send it and the query at request.now, and read the value', async () => {
      const withToken = new PrometheusCollector({ url: proxy.url, bearerToken: 't0k3n' });
      try {
        const now = Date.now();
        const result = await withToken.collect(external({ query: 'sum(tp_queue_depth)' }, now), never());
        expect(value(result).milliValue).toBe(49_500);
        const request = proxy.requests.at(-1);
        expect(request?.method).toBe('POST');
        expect(request?.path).toBe(`${SERVICE_PROXY_PREFIX}/api/v1/query`);
        expect(request?.headers.authorization).toBe('Bearer t0k3n');
        const form = new URLSearchParams(request?.body);
        expect(form.get('query')).toBe('sum(tp_queue_depth)');
        expect(form.get('time')).toBe((now / 1000).toFixed(3));
        expect(form.get('timeout')).toBe(`${PROMETHEUS_TIMEOUT_MS}ms`);
      } finally {
        withToken.close();
      }
    });

    it('given a wrong token, should be Forbidden', async () => {
      const wrong = new PrometheusCollector({ url: proxy.url, bearerToken: 'nope' });
      try {
        const failure = error(await wrong.collect(external({ query: 'tp_ratio' }), never()));
        expect(failure.reason).toBe('Forbidden');
        expect(failure.message).toContain('401');
      } finally {
        wrong.close();
      }
    });

    it('given basic auth, should send it', async () => {
      const basic = new PrometheusCollector({
        url: other.url,
        basicAuth: { username: 'u', password: 'p:w' },
      });
      try {
        expect(value(await basic.collect(external({ query: 'tp_ratio' }), never())).milliValue).toBe(1_100);
        expect(other.requests.at(-1)?.headers.authorization).toBe(
          `Basic ${Buffer.from('u:p:w').toString('base64')}`,
        );
      } finally {
        basic.close();
      }
    });

    it('given prometheus-server pointing elsewhere, should not send the cluster’s credentials there', async () => {
      const withToken = new PrometheusCollector({
        url: proxy.url,
        bearerToken: 't0k3n',
        headers: { 'X-Scope-OrgID': 'a' },
      });
      try {
        const result = await withToken.collect(
          external({ query: 'tp_ratio', 'prometheus-server': other.url }),
          never(),
        );
        expect(value(result).milliValue).toBe(1_100);
        const request = other.requests.at(-1);
        expect(request?.headers.authorization).toBeUndefined();
        expect(request?.headers['x-scope-orgid']).toBeUndefined();
      } finally {
        withToken.close();
      }
    });
  });

  describe('timeouts and transport failures', () => {
    let hole: BlackHole;

    beforeAll(async () => {
      hole = await startBlackHole();
    });

    afterAll(async () => {
      await hole?.stop();
    });

    it('given a server that never answers, should be Timeout after the collector’s timeout', async () => {
      const slow = new PrometheusCollector({ url: hole.url, timeoutMs: 200 });
      try {
        const started = Date.now();
        const failure = error(await slow.collect(external({ query: 'tp_ratio' }), never()));
        const elapsed = Date.now() - started;
        expect(failure.reason).toBe('Timeout');
        expect(failure.message).toContain('200 ms');
        expect(elapsed).toBeGreaterThanOrEqual(190);
        expect(elapsed).toBeLessThan(2_000);
        expect(hole.connections()).toBeGreaterThan(0);
      } finally {
        slow.close();
      }
    });

    it('given the router aborts first, should be Timeout at once', async () => {
      const slow = new PrometheusCollector({ url: hole.url });
      try {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        const started = Date.now();
        const failure = error(await slow.collect(external({ query: 'tp_ratio' }), controller.signal));
        expect(failure.reason).toBe('Timeout');
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        slow.close();
      }
    });

    it('given nothing listening, should be Unavailable', async () => {
      const port = await freePort();
      const gone = new PrometheusCollector({ url: `http://127.0.0.1:${port}` });
      try {
        const failure = error(await gone.collect(external({ query: 'tp_ratio' }), never()));
        expect(failure.reason).toBe('Unavailable');
        expect(failure.message).toContain('ECONNREFUSED');
      } finally {
        gone.close();
      }
    });
  });
});

describe('PrometheusCollector against a real Prometheus serving HTTPS', () => {
  const ca = createCertificateAuthority('tideplane-test-ca');
  const leaf = issueCertificate(ca, { commonName: 'prometheus', hosts: ['127.0.0.1', 'localhost'] });
  let metrics: MetricsEndpoint;
  let prom: PrometheusServer;

  beforeAll(async () => {
    metrics = await serveMetrics('tp_tls_gauge 12.25\n');
    prom = await startPrometheus({
      scrapeTargets: [metrics.target],
      tls: { certPem: leaf.cert, keyPem: leaf.key, caPem: ca.cert },
    });
    await prom.waitForQuery('tp_tls_gauge');
  });

  afterAll(async () => {
    await prom?.stop();
    await metrics?.stop();
  });

  it('given the server’s CA, should verify TLS and read the value', async () => {
    expect(prom.url).toMatch(/^https:/);
    const collector = new PrometheusCollector({ url: prom.url, tls: { caPem: ca.cert } });
    try {
      expect(value(await collector.collect(external({ query: 'tp_tls_gauge' }), never())).milliValue).toBe(
        12_250,
      );
    } finally {
      collector.close();
    }
  });

  it('given the CA as caData in the cluster config, should verify TLS through the composed sources', async () => {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const { createMetricSources } = await import('../../shared/adapters/metrics/metric-sources');
    const router = await createMetricSources(
      { prometheus: { url: prom.url, caData: Buffer.from(ca.cert).toString('base64') } },
      {
        fallback: {
          getPodsMetric: async () => ({ ok: true, value: [] }),
          getObjectMetric: async () => ({ ok: true, value: { milliValue: 0, timestamp: 0 } }),
          getExternalMetric: async () => ({ ok: true, value: [] }),
        },
        secretsManager: new SecretsManagerClient({ region: 'eu-central-1' }),
        clock: { now: () => Date.now(), sleep: async () => undefined },
      },
    );
    router.beginTick({ now: Date.now(), pods: [] });
    const result = await router.getExternalMetric({
      origin: {
        namespace: 'shop',
        name: 'web',
        annotations: { 'metric-config.external.g.prometheus/query': 'tp_tls_gauge' },
      },
      namespace: 'shop',
      metricName: 'g',
      metricSelector: { matchLabels: { type: 'prometheus' } },
    });
    expect(result.ok && result.value.map((v) => v.milliValue)).toEqual([12_250]);
  });

  it('given no CA, should refuse the unknown certificate as Unavailable', async () => {
    const collector = new PrometheusCollector({ url: prom.url });
    try {
      const failure = error(await collector.collect(external({ query: 'tp_tls_gauge' }), never()));
      expect(failure.reason).toBe('Unavailable');
      expect(failure.message).toMatch(/certificate/i);
    } finally {
      collector.close();
    }
  });
});
