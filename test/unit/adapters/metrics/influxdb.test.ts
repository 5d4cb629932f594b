import { describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import { INFLUXDB_TIMEOUT_MS, InfluxDbCollector } from '../../../../shared/adapters/metrics/influxdb';
import type { MetricResult } from '../../../../shared/ports/metric-source';

// Configuration handling only: every case fails before any HTTP request. Answers from a real
// InfluxDB 1.x and the Flux wire format: test/peers/influxdb.test.ts.
const URL = 'http://127.0.0.1:9';

function request(config: Record<string, string>, extra: Partial<CollectorRequest> = {}): CollectorRequest {
  return { type: 'External', namespace: 'ns', metricName: 'depth', config, now: 1_700_000_000_000, ...extra };
}

async function failure(collector: InfluxDbCollector, req: CollectorRequest) {
  const result: MetricResult<unknown> = await collector.collect(req, new AbortController().signal);
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('InfluxDbCollector configuration', () => {
  const collector = new InfluxDbCollector({ url: URL, org: 'acme', database: 'db' });

  it('should be named influxdb with the default timeout, or the configured one', () => {
    expect(collector.name).toBe('influxdb');
    expect(collector.timeoutMs).toBe(INFLUXDB_TIMEOUT_MS);
    expect(new InfluxDbCollector({ timeoutMs: 10 }).timeoutMs).toBe(10);
  });

  it('given an unknown query-language, should be Invalid naming the key', async () => {
    const error = await failure(collector, request({ query: 'x', 'query-language': 'sql' }));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('metric-config.external.depth.influxdb/query-language');
  });

  it('given no query, should be Invalid naming the key', async () => {
    const error = await failure(collector, request({}));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('metric-config.external.depth.influxdb/query');
  });

  it('given a Pods metric, should be Invalid', async () => {
    expect((await failure(collector, request({ query: 'x' }, { type: 'Pods' }))).reason).toBe('Invalid');
  });

  it('given no server, should be NotServed; given a bad address, Invalid', async () => {
    expect((await failure(new InfluxDbCollector({ org: 'o' }), request({ query: 'x' }))).reason).toBe(
      'NotServed',
    );
    const error = await failure(collector, request({ query: 'x', address: 'not a url' }));
    expect(error.reason).toBe('Invalid');
    expect(error.message).toContain('influxdb/address');
  });

  it('should key the cache by everything the fetch depends on', () => {
    const base = request({ query: 'x' });
    const key = collector.cacheKey(base);
    expect(collector.cacheKey(request({ query: 'x' }))).toBe(key);
    for (const changed of [
      request({ query: 'y' }),
      request({ query: 'x', org: 'other' }),
      request({ query: 'x', address: 'http://other:8086' }),
      request({ query: 'x', 'query-language': 'influxql' }),
      { ...base, now: base.now + 1 },
    ]) {
      expect(collector.cacheKey(changed)).not.toBe(key);
    }
    const influxql = request({ query: 'x', 'query-language': 'influxql' });
    expect(collector.cacheKey({ ...influxql, config: { ...influxql.config, database: 'other' } })).not.toBe(
      collector.cacheKey(influxql),
    );
  });
});
