import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../shared/adapters/metrics/collector';
import { INFLUXDB_TIMEOUT_MS, InfluxDbCollector } from '../../shared/adapters/metrics/influxdb';
import type { MetricResult } from '../../shared/ports/metric-source';
import { type InfluxDbServer, startInfluxDb } from './harness/influxdb';
import { type BlackHole, startBlackHole } from './harness/prometheus';

const ADMIN = { username: 'tideplane', password: 's3cr3t' };

function external(config: Record<string, string>, now = Date.now()): CollectorRequest {
  return { type: 'External', namespace: 'default', metricName: 'queue-depth', config, now };
}

function influxql(query: string, extra: Record<string, string> = {}, now?: number): CollectorRequest {
  return external({ 'query-language': 'influxql', query, ...extra }, now);
}

function sample(
  result: MetricResult<{ kind: string; values?: { milliValue: number; timestamp: number }[] }>,
) {
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

describe('InfluxDbCollector (InfluxQL) against a real InfluxDB 1.x with authentication', () => {
  let influx: InfluxDbServer;
  let collector: InfluxDbCollector;
  const t = Math.floor(Date.now() / 1000) * 1000 - 10_000;

  beforeAll(async () => {
    influx = await startInfluxDb({ admin: ADMIN });
    await influx.write(
      [
        `queue_depth,queue=jobs value=40 ${t - 1_000}`,
        `queue_depth,queue=jobs value=42.5 ${t}`,
        `queue_depth,queue=mail value=7 ${t}`,
        `ratio value=1.1 ${t}`,
        `counts n=7i ${t}`,
        `negative value=-3 ${t}`,
      ].join('\n'),
    );
    collector = new InfluxDbCollector({
      url: influx.url,
      username: ADMIN.username,
      password: ADMIN.password,
      database: influx.database,
    });
  });

  afterAll(async () => {
    collector?.close();
    await influx?.stop();
  });

  it('runs Debian’s InfluxDB 1.x', () => {
    expect(influx.version).toMatch(/^InfluxDB v1\.\d+/);
    expect(collector.name).toBe('influxdb');
    expect(collector.timeoutMs).toBe(INFLUXDB_TIMEOUT_MS);
  });

  it('given last() of one series, should return the exact value with the point’s time', async () => {
    const result = await collector.collect(
      influxql(`SELECT last("value") FROM "queue_depth" WHERE "queue" = 'jobs'`),
      never(),
    );
    expect(sample(result)).toEqual({ milliValue: 42_500, timestamp: t });
  });

  it('given an aggregate without GROUP BY time, should stamp it with the tick’s time', async () => {
    const now = Date.now();
    const result = await collector.collect(
      influxql('SELECT sum("value") FROM "queue_depth"', {}, now),
      never(),
    );
    expect(sample(result)).toEqual({ milliValue: 89_500, timestamp: now });
  });

  it('given 1.1 and an integer field, should convert exactly', async () => {
    expect(
      sample(await collector.collect(influxql('SELECT last(value) FROM ratio'), never())).milliValue,
    ).toBe(1_100);
    expect(sample(await collector.collect(influxql('SELECT last(n) FROM counts'), never())).milliValue).toBe(
      7_000,
    );
  });

  it('given several columns, should take the one named metricvalue', async () => {
    const query = `SELECT count(value), last(value) AS metricvalue FROM queue_depth WHERE queue = 'jobs'`;
    expect(sample(await collector.collect(influxql(query), never())).milliValue).toBe(42_500);
    const ambiguous = error(
      await collector.collect(
        influxql(`SELECT count(value), last(value) FROM queue_depth WHERE queue = 'jobs'`),
        never(),
      ),
    );
    expect(ambiguous.reason).toBe('Invalid');
    expect(ambiguous.message).toContain('metricvalue');
  });

  it('given the database and retention policy in annotations, should use them', async () => {
    const bare = new InfluxDbCollector({
      url: influx.url,
      username: ADMIN.username,
      password: ADMIN.password,
    });
    try {
      const request = influxql('SELECT last(value) FROM ratio', {
        database: influx.database,
        'retention-policy': 'autogen',
      });
      expect(sample(await bare.collect(request, never())).milliValue).toBe(1_100);
      const missing = error(await bare.collect(influxql('SELECT last(value) FROM ratio'), never()));
      expect(missing.reason).toBe('Invalid');
      expect(missing.message).toContain('metric-config.external.queue-depth.influxdb/database');
    } finally {
      bare.close();
    }
  });

  it('given no matching points, should be NotFound and name the query', async () => {
    const query = `SELECT last(value) FROM queue_depth WHERE queue = 'nope'`;
    const failure = error(await collector.collect(influxql(query), never()));
    expect(failure.reason).toBe('NotFound');
    expect(failure.message).toContain(query);
  });

  it('given several series, should be Invalid and say how many', async () => {
    const failure = error(
      await collector.collect(influxql('SELECT last(value) FROM queue_depth GROUP BY queue'), never()),
    );
    expect(failure.reason).toBe('Invalid');
    expect(failure.message).toContain('2 series');
  });

  it('given several rows, should be Invalid and say how many', async () => {
    const failure = error(
      await collector.collect(influxql(`SELECT value FROM queue_depth WHERE queue = 'jobs'`), never()),
    );
    expect(failure.reason).toBe('Invalid');
    expect(failure.message).toContain('2 rows');
  });

  it('given a negative value or a syntax error, should be Invalid', async () => {
    const negative = error(await collector.collect(influxql('SELECT last(value) FROM negative'), never()));
    expect(negative.reason).toBe('Invalid');
    const syntax = error(await collector.collect(influxql('SELECT FROM WHERE'), never()));
    expect(syntax.reason).toBe('Invalid');
    expect(syntax.message).toMatch(/error parsing query/);
  });

  it('given an unknown database, should be NotFound', async () => {
    const failure = error(
      await collector.collect(influxql('SELECT last(value) FROM ratio', { database: 'nope' }), never()),
    );
    expect(failure.reason).toBe('NotFound');
    expect(failure.message).toContain('database not found');
  });

  it('given a wrong password, should be Forbidden', async () => {
    const wrong = new InfluxDbCollector({
      url: influx.url,
      username: ADMIN.username,
      password: 'wrong',
      database: influx.database,
    });
    try {
      const failure = error(await wrong.collect(influxql('SELECT last(value) FROM ratio'), never()));
      expect(failure.reason).toBe('Forbidden');
      expect(failure.message).toContain('401');
    } finally {
      wrong.close();
    }
  });

  it('given the older form (query-name), should run the named query', async () => {
    const request: CollectorRequest = {
      ...external({ 'query-language': 'influxql', depth: 'SELECT last(value) FROM ratio' }),
      metricSelector: { matchLabels: { type: 'influxdb', 'query-name': 'depth' } },
    };
    expect(sample(await collector.collect(request, never())).milliValue).toBe(1_100);
  });

  it('given a token annotation, should refuse it and name the key', async () => {
    const failure = error(
      await collector.collect(influxql('SELECT last(value) FROM ratio', { token: 'x' }), never()),
    );
    expect(failure.reason).toBe('Invalid');
    expect(failure.message).toContain('metric-config.external.queue-depth.influxdb/token');
  });

  it('given Flux against InfluxDB 1.6 (which has no /api/v2/query), should be NotServed', async () => {
    const flux = new InfluxDbCollector({
      url: influx.url,
      org: 'o',
      username: ADMIN.username,
      password: ADMIN.password,
    });
    try {
      const failure = error(
        await flux.collect(external({ query: 'from(bucket: "tideplane") |> range(start: -1h)' }), never()),
      );
      expect(failure.reason).toBe('NotServed');
      expect(failure.message).toContain('/api/v2/query');
    } finally {
      flux.close();
    }
  });

  describe('timeouts', () => {
    let hole: BlackHole;

    beforeAll(async () => {
      hole = await startBlackHole();
    });

    afterAll(async () => {
      await hole?.stop();
    });

    it('given a server that never answers, should be Timeout after the collector’s timeout', async () => {
      const slow = new InfluxDbCollector({ url: hole.url, database: 'db', timeoutMs: 200 });
      try {
        const started = Date.now();
        const failure = error(await slow.collect(influxql('SELECT last(value) FROM ratio'), never()));
        expect(failure.reason).toBe('Timeout');
        expect(failure.message).toContain('200 ms');
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        slow.close();
      }
    });
  });
});

// Debian ships InfluxDB 1.6, which predates Flux; this local server answers /api/v2/query with the
// annotated CSV InfluxDB 2.x sends, to check the request the collector makes and how it reads the CSV.
describe('InfluxDbCollector (Flux) against a local server speaking the InfluxDB 2.x query API', () => {
  interface Seen {
    url: string;
    headers: IncomingHttpHeaders;
    body: Record<string, unknown>;
  }
  const seen: Seen[] = [];
  let reply: { status: number; body: string; type?: string } = { status: 200, body: '' };
  let server: Server;
  let url: string;

  const HEAD =
    '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string\r\n' +
    '#group,false,false,true,true,false,false,true,true,true\r\n' +
    '#default,_result,,,,,,,,\r\n' +
    ',result,table,_start,_stop,_time,_value,_field,_measurement,queue\r\n';
  const row = (table: number, value: string, queue: string) =>
    `,,${table},2024-05-01T12:00:00Z,2024-05-01T12:01:00Z,2024-05-01T12:00:30Z,${value},value,queue_depth,${queue}\r\n`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        });
        res
          .writeHead(reply.status, { 'Content-Type': reply.type ?? 'text/csv; charset=utf-8' })
          .end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const FLUX =
    'from(bucket: "apps") |> range(start: -30s) |> filter(fn: (r) => r._measurement == "queue_depth") |> last()';

  it('given one row, should POST the query with org, token and now, and read _value', async () => {
    reply = { status: 200, body: `${HEAD}${row(0, '42.5', 'jobs')}\r\n` };
    const collector = new InfluxDbCollector({ url, token: 'tok', org: 'acme' });
    try {
      const now = Date.parse('2024-05-01T12:01:00Z');
      const result = await collector.collect(external({ query: FLUX }, now), never());
      expect(sample(result)).toEqual({ milliValue: 42_500, timestamp: Date.parse('2024-05-01T12:00:30Z') });
      const request = seen.at(-1);
      expect(request?.url).toBe('/api/v2/query?org=acme');
      expect(request?.headers.authorization).toBe('Token tok');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.body).toEqual({
        query: FLUX,
        type: 'flux',
        now: '2024-05-01T12:01:00.000Z',
        dialect: { header: true, annotations: ['datatype', 'group', 'default'] },
      });
    } finally {
      collector.close();
    }
  });

  it('given upstream’s metricvalue column and org/address annotations, should use them', async () => {
    reply = {
      status: 200,
      body: '#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,metricvalue\r\n,,0,3.25\r\n\r\n',
    };
    const collector = new InfluxDbCollector({ token: 'tok' });
    try {
      const result = await collector.collect(external({ query: FLUX, address: url, org: 'team' }), never());
      expect(sample(result).milliValue).toBe(3_250);
      expect(seen.at(-1)?.url).toBe('/api/v2/query?org=team');
      // The token is configured for no origin here, so it is not sent to an annotation's address.
      expect(seen.at(-1)?.headers.authorization).toBeUndefined();
    } finally {
      collector.close();
    }
  });

  it('given no rows, several tables, or an error table, should be NotFound, Invalid, Invalid', async () => {
    const collector = new InfluxDbCollector({ url, token: 'tok', org: 'acme' });
    try {
      reply = { status: 200, body: '\r\n' };
      expect(error(await collector.collect(external({ query: FLUX }), never())).reason).toBe('NotFound');

      reply = { status: 200, body: `${HEAD}${row(0, '1', 'jobs')}${row(1, '2', 'mail')}\r\n` };
      const several = error(await collector.collect(external({ query: FLUX }), never()));
      expect(several.reason).toBe('Invalid');
      expect(several.message).toContain('2 rows');

      reply = {
        status: 200,
        body: '#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,"panic: boom, really",897\r\n\r\n',
      };
      const failed = error(await collector.collect(external({ query: FLUX }), never()));
      expect(failed.reason).toBe('Invalid');
      expect(failed.message).toContain('panic: boom, really');
    } finally {
      collector.close();
    }
  });

  it('given HTTP errors, should map 401 to Forbidden and 400 to Invalid with the server’s message', async () => {
    const collector = new InfluxDbCollector({ url, token: 'bad', org: 'acme' });
    try {
      reply = {
        status: 401,
        type: 'application/json',
        body: '{"code":"unauthorized","message":"unauthorized access"}',
      };
      const denied = error(await collector.collect(external({ query: FLUX }), never()));
      expect(denied.reason).toBe('Forbidden');
      expect(denied.message).toContain('unauthorized access');

      reply = {
        status: 400,
        type: 'application/json',
        body: '{"code":"invalid","message":"compilation failed: x"}',
      };
      const invalid = error(await collector.collect(external({ query: FLUX }), never()));
      expect(invalid.reason).toBe('Invalid');
      expect(invalid.message).toContain('compilation failed');
    } finally {
      collector.close();
    }
  });

  it('given no organization, should be Invalid and name the key', async () => {
    const collector = new InfluxDbCollector({ url, token: 'tok' });
    try {
      const failure = error(await collector.collect(external({ query: FLUX }), never()));
      expect(failure.reason).toBe('Invalid');
      expect(failure.message).toContain('metric-config.external.queue-depth.influxdb/org');
    } finally {
      collector.close();
    }
  });
});
