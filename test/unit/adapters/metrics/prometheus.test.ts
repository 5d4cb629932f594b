import { describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import { milliFromDecimal } from '../../../../shared/adapters/metrics/http-client';
import { PROMETHEUS_TIMEOUT_MS, PrometheusCollector } from '../../../../shared/adapters/metrics/prometheus';
import { MetricError, type MetricResult } from '../../../../shared/ports/metric-source';

// Configuration handling only: every case here fails before any HTTP request (the collector is
// pointed at a port nothing listens on). Answers from a real server: test/peers/prometheus.test.ts.
const URL = 'http://127.0.0.1:9';

function request(config: Record<string, string>, extra: Partial<CollectorRequest> = {}): CollectorRequest {
  return { type: 'External', namespace: 'ns', metricName: 'queue', config, now: 1_700_000_000_000, ...extra };
}

async function failure(collector: PrometheusCollector, req: CollectorRequest) {
  const result: MetricResult<unknown> = await collector.collect(req, new AbortController().signal);
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('milliFromDecimal', () => {
  it.each([
    ['1.1', 1_100],
    ['42.5', 42_500],
    ['0.0001', 1],
    ['0.0011', 2],
    ['1e+06', 1_000_000_000],
    ['2.5E-3', 3],
    ['0', 0],
    ['-0', 0],
    ['+7', 7_000],
    ['3.3333333333333335', 3_334],
  ])('given %s, should give %i like MilliValue', (text, milli) => {
    expect(milliFromDecimal(text, 'v')).toBe(milli);
  });

  it.each(['NaN', '+Inf', '-Inf', 'inf', '-1', '-0.001', 'abc', '', '1e400000'])(
    'given %s, should throw Invalid',
    (text) => {
      expect(() => milliFromDecimal(text, 'the value')).toThrow(MetricError);
      try {
        milliFromDecimal(text, 'the value');
      } catch (error) {
        expect((error as MetricError).reason).toBe('Invalid');
        expect((error as MetricError).message).toContain('the value');
      }
    },
  );
});

describe('PrometheusCollector configuration', () => {
  const collector = new PrometheusCollector({ url: URL });

  it('should be named prometheus with the default timeout, or the configured one', () => {
    expect(collector.name).toBe('prometheus');
    expect(collector.timeoutMs).toBe(PROMETHEUS_TIMEOUT_MS);
    expect(new PrometheusCollector({ url: URL, timeoutMs: 750 }).timeoutMs).toBe(750);
  });

  it('given a Pods metric, should be Invalid', async () => {
    expect((await failure(collector, request({ query: 'up' }, { type: 'Pods' }))).reason).toBe('Invalid');
  });

  it('given per-replica, should refuse it and name the key', async () => {
    const error = await failure(collector, request({ query: 'up', 'per-replica': '' }, { type: 'Object' }));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('metric-config.object.queue.prometheus/per-replica');
  });

  it('given an empty query, or a query-name that names no key, should be Invalid naming the key', async () => {
    expect((await failure(collector, request({ query: '  ' }))).message).toContain(
      'metric-config.external.queue.prometheus/query',
    );
    const error = await failure(collector, request({ 'query-name': 'depth' }));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('metric-config.external.queue.prometheus/depth');
  });

  it('given a prometheus-server that is not an http(s) URL, should be Invalid naming the key', async () => {
    const error = await failure(collector, request({ query: 'up', 'prometheus-server': 'ftp://x' }));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('prometheus/prometheus-server');
  });

  it('given the annotation is not allowed, should ignore prometheus-server', () => {
    const strict = new PrometheusCollector({ url: URL, allowServerAnnotation: false });
    const req = request({ query: 'up', 'prometheus-server': 'http://elsewhere:9090' });
    expect(strict.cacheKey(req)).toBe(strict.cacheKey(request({ query: 'up' })));
    expect(collector.cacheKey(req)).not.toBe(collector.cacheKey(request({ query: 'up' })));
  });

  it('given no server at all, should be NotServed', async () => {
    expect((await failure(new PrometheusCollector(), request({ query: 'up' }))).reason).toBe('NotServed');
  });

  it('given an already aborted signal, should be Timeout without connecting', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await collector.collect(request({ query: 'up' }), controller.signal);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe('Timeout');
  });
});
