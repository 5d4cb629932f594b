import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  InvalidParameterValueException,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CLOUDWATCH_TIMEOUT_MS,
  CloudWatchCollector,
  MAX_QUERIES_PER_CALL,
  QUERY_ID_PATTERN,
  rewriteId,
} from '../../../../shared/adapters/metrics/cloudwatch';
import type { CollectedValues, CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import type { MetricResult } from '../../../../shared/ports/metric-source';

const cw = mockClient(CloudWatchClient);
/** 2024-05-01T12:07:42.500Z */
const NOW = Date.UTC(2024, 4, 1, 12, 7, 42, 500);
const at = (hh: number, mm: number) => new Date(Date.UTC(2024, 4, 1, hh, mm, 0));

const SQS_METRIC = {
  region: 'eu-central-1',
  namespace: 'AWS/SQS',
  'metric-name': 'ApproximateNumberOfMessagesVisible',
  'dimension-QueueName': 'orders',
  statistic: 'Maximum',
};

function request(config: Record<string, string>, now = NOW): CollectorRequest {
  return { type: 'External', namespace: 'shop', metricName: 'backlog', config, now };
}

function collector() {
  const regions: string[] = [];
  const c = new CloudWatchCollector({
    clientFor: (region) => {
      regions.push(region);
      return new CloudWatchClient({ region });
    },
  });
  return { c, regions };
}

const signal = () => new AbortController().signal;
const inputs = (): GetMetricDataCommandInput[] =>
  cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
const milliOf = (result: MetricResult<CollectedValues>): number | undefined =>
  result.ok && result.value.kind === 'scalar' ? result.value.values[0]?.milliValue : undefined;

/**
 * CloudWatch as it answers: one result per returned query (ReturnData not false), newest first, with the
 * value the test derives from the query (default: the QueueName dimension's number, else 1).
 */
function serve(value: (q: MetricDataQuery) => number | undefined = defaultValue) {
  cw.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? [])
      .filter((q) => q.ReturnData !== false)
      .map((q): MetricDataResult => {
        const v = value(q);
        return v === undefined
          ? { Id: q.Id, Label: q.Id, Timestamps: [], Values: [], StatusCode: 'Complete' }
          : {
              Id: q.Id,
              Label: q.Id,
              Timestamps: [at(12, 5), at(12, 4)],
              Values: [v, 1],
              StatusCode: 'Complete',
            };
      }),
    Messages: [],
    $metadata: {},
  }));
}
function defaultValue(q: MetricDataQuery): number {
  const queue = q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'QueueName')?.Value ?? '';
  const n = /(\d+)$/.exec(queue)?.[1];
  return n === undefined ? 1 : Number(n);
}

beforeEach(() => {
  cw.reset();
});
afterAll(() => {
  cw.restore();
});

describe('CloudWatchCollector request shapes', () => {
  it('is a batching collector named cloudwatch with a named default timeout', () => {
    const { c } = collector();
    expect(c.name).toBe('cloudwatch');
    expect(c.batching).toBe(true);
    expect(c.timeoutMs).toBe(CLOUDWATCH_TIMEOUT_MS);
  });

  it('asks for one metric over a period-aligned, lagged window and takes the latest datapoint', async () => {
    serve(() => 7);
    const { c, regions } = collector();
    const result = await c.collect(request(SQS_METRIC), signal());
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 7_000, timestamp: at(12, 5).getTime() }] },
    });
    // now 12:07:42.5, lag 60 s, period 60 s → EndTime 12:06:00; range 5 periods → StartTime 12:01:00.
    expect(inputs()).toEqual([
      {
        MetricDataQueries: [
          {
            Id: 'q0',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateNumberOfMessagesVisible',
                Dimensions: [{ Name: 'QueueName', Value: 'orders' }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
            ReturnData: true,
          },
        ],
        StartTime: at(12, 1),
        EndTime: at(12, 6),
        ScanBy: 'TimestampDescending',
      },
    ]);
    expect(regions).toEqual(['eu-central-1']);
  });

  it('takes the newest datapoint whatever the order CloudWatch returns them in', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'q0',
          Timestamps: [at(12, 3), at(12, 5), at(12, 4)],
          Values: [3, 5.25, 4],
          StatusCode: 'Complete',
        },
      ],
    });
    const result = await collector().c.collect(request(SQS_METRIC), signal());
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 5_250, timestamp: at(12, 5).getTime() }] },
    });
  });

  it('honours period, range, lag, unit and several dimensions', async () => {
    serve(() => 2);
    const { c } = collector();
    await c.collect(
      request({
        region: 'us-east-1',
        namespace: 'AWS/ApplicationELB',
        'metric-name': 'RequestCountPerTarget',
        'dimension-TargetGroup': 'targetgroup/web/0123456789abcdef',
        'dimension-LoadBalancer': 'app/web/fedcba9876543210',
        statistic: 'Sum',
        unit: 'Count',
        period: '5m',
        range: '900',
        lag: '120',
      }),
      signal(),
    );
    // now - 120 s = 12:05:42.5 → aligned to 5 min: 12:05:00; range 15 min → 11:50:00.
    expect(inputs()[0]).toEqual({
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'RequestCountPerTarget',
              Dimensions: [
                { Name: 'LoadBalancer', Value: 'app/web/fedcba9876543210' },
                { Name: 'TargetGroup', Value: 'targetgroup/web/0123456789abcdef' },
              ],
            },
            Period: 300,
            Stat: 'Sum',
            Unit: 'Count',
          },
          ReturnData: true,
        },
      ],
      StartTime: at(11, 50),
      EndTime: at(12, 5),
      ScanBy: 'TimestampDescending',
    });
  });

  it('accepts KEDA’s aws-cloudwatch metadata unchanged, with KEDA’s defaults (period 300, range 300, offset 0)', async () => {
    serve(() => 4);
    const { c } = collector();
    const result = await c.collect(
      request({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionName: 'QueueName;Stage',
        dimensionValue: 'orders;prod',
        metricStat: 'Sum',
        metricUnit: 'Count',
        awsRegion: 'eu-west-1',
        targetMetricValue: '2',
        minMetricValue: '0',
      }),
      signal(),
    );
    expect(milliOf(result)).toBe(4_000);
    expect(inputs()[0]).toEqual({
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [
                { Name: 'QueueName', Value: 'orders' },
                { Name: 'Stage', Value: 'prod' },
              ],
            },
            Period: 300,
            Stat: 'Sum',
            Unit: 'Count',
          },
          ReturnData: true,
        },
      ],
      StartTime: at(12, 0),
      EndTime: at(12, 5),
      ScanBy: 'TimestampDescending',
    });
  });

  it('sends an expression that refers to the configured metric as m1, with the metric not returned', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Timestamps: [at(12, 5)], Values: [0.5], StatusCode: 'Complete' }],
    });
    const result = await collector().c.collect(
      request({
        ...SQS_METRIC,
        statistic: 'Sum',
        expression: "FILL(m1, 0) / 60 + 0 * SEARCH('m1', 'Sum', 60)",
      }),
      signal(),
    );
    expect(milliOf(result)).toBe(500);
    expect(inputs()[0]?.MetricDataQueries).toEqual([
      {
        Id: 'q0_m1',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: 'orders' }],
          },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      { Id: 'q0', Expression: "FILL(q0_m1, 0) / 60 + 0 * SEARCH('m1', 'Sum', 60)", ReturnData: true },
    ]);
  });

  it('sends a Metrics Insights query on its own with its period, and only one such query per call', async () => {
    serve(() => 3);
    const { c } = collector();
    const select = (queue: string) =>
      request({
        awsRegion: 'eu-west-1',
        expression: `SELECT MAX(ApproximateNumberOfMessagesVisible) FROM "AWS/SQS" WHERE QueueName = '${queue}'`,
        metricName: 'ignored-by-keda-too',
      });
    const results = await Promise.all([c.collect(select('a'), signal()), c.collect(select('b'), signal())]);
    expect(results.map(milliOf)).toEqual([3_000, 3_000]);
    expect(inputs().map((i) => i.MetricDataQueries)).toEqual([
      [
        {
          Id: 'q0',
          Expression: `SELECT MAX(ApproximateNumberOfMessagesVisible) FROM "AWS/SQS" WHERE QueueName = 'a'`,
          Period: 300,
          ReturnData: true,
        },
      ],
      [
        {
          Id: 'q0',
          Expression: `SELECT MAX(ApproximateNumberOfMessagesVisible) FROM "AWS/SQS" WHERE QueueName = 'b'`,
          Period: 300,
          ReturnData: true,
        },
      ],
    ]);
  });

  it('returns one value per series of a query that yields several (SEARCH, GROUP BY)', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Label: 'orders', Timestamps: [at(12, 5)], Values: [2], StatusCode: 'Complete' },
        { Id: 'q0', Label: 'refunds', Timestamps: [at(12, 4)], Values: [3], StatusCode: 'Complete' },
        { Id: 'q0', Label: 'idle', Timestamps: [], Values: [], StatusCode: 'Complete' },
      ],
    });
    const result = await collector().c.collect(
      request({
        region: 'eu-central-1',
        expression: "SEARCH('{AWS/SQS,QueueName} ApproximateNumberOfMessagesVisible', 'Maximum', 60)",
      }),
      signal(),
    );
    expect(result).toEqual({
      ok: true,
      value: {
        kind: 'scalar',
        values: [
          { milliValue: 2_000, timestamp: at(12, 5).getTime() },
          { milliValue: 3_000, timestamp: at(12, 4).getTime() },
        ],
      },
    });
  });

  it('rewrites m1 only where it is an identifier outside quotes', () => {
    expect(rewriteId('m1 + am1 + m10 + \'m1\' + "m1" + RATE(m1)', 'm1', () => 'x')).toBe(
      'x + am1 + m10 + \'m1\' + "m1" + RATE(x)',
    );
  });
});

describe('CloudWatchCollector batching', () => {
  it('answers 1,200 requests for 300 distinct metrics with one GetMetricData call', async () => {
    serve();
    const { c } = collector();
    const requests = Array.from({ length: 1_200 }, (_, i) =>
      request({ ...SQS_METRIC, 'dimension-QueueName': `queue-${(i % 300) + 1}` }),
    );
    const results = await Promise.all(requests.map((r) => c.collect(r, signal())));
    expect(inputs()).toHaveLength(Math.ceil(300 / MAX_QUERIES_PER_CALL));
    const queries = inputs()[0]?.MetricDataQueries ?? [];
    expect(queries).toHaveLength(300);
    expect(new Set(queries.map((q) => q.Id)).size).toBe(300);
    for (const q of queries) expect(q.Id).toMatch(QUERY_ID_PATTERN);
    expect(results.map(milliOf)).toEqual(requests.map((_, i) => ((i % 300) + 1) * 1000));
  });

  it('splits 1,100 distinct metrics into calls of at most 500 queries', async () => {
    serve();
    const { c } = collector();
    const results = await Promise.all(
      Array.from({ length: 1_100 }, (_, i) =>
        c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': `queue-${i + 1}` }), signal()),
      ),
    );
    expect(inputs().map((i) => i.MetricDataQueries?.length)).toEqual([500, 500, 100]);
    for (const input of inputs()) {
      expect(input.StartTime).toEqual(at(12, 1));
      expect(input.EndTime).toEqual(at(12, 6));
      expect(new Set(input.MetricDataQueries?.map((q) => q.Id)).size).toBe(input.MetricDataQueries?.length);
    }
    expect(results.map(milliOf)).toEqual(Array.from({ length: 1_100 }, (_, i) => (i + 1) * 1000));
  });

  it('counts an expression and its metric as two queries against the 500', async () => {
    serve(() => 1);
    const { c } = collector();
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': `q${i}`, expression: 'm1 * 2' }), signal()),
      ),
    );
    expect(inputs().map((i) => i.MetricDataQueries?.length)).toEqual([500, 100]);
  });

  it('makes one call per region and time window', async () => {
    serve(() => 1);
    const { c, regions } = collector();
    await Promise.all([
      c.collect(request(SQS_METRIC), signal()),
      c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': 'b' }), signal()),
      c.collect(request({ ...SQS_METRIC, region: 'us-east-1' }), signal()),
      c.collect(request({ ...SQS_METRIC, period: '300' }), signal()),
    ]);
    const calls = inputs().map((i) => [
      i.MetricDataQueries?.length,
      i.StartTime?.toISOString(),
      i.EndTime?.toISOString(),
    ]);
    expect(calls).toEqual([
      [2, at(12, 1).toISOString(), at(12, 6).toISOString()],
      [1, at(12, 1).toISOString(), at(12, 6).toISOString()],
      [1, at(11, 40).toISOString(), at(12, 5).toISOString()],
    ]);
    expect(regions.sort()).toEqual(['eu-central-1', 'eu-central-1', 'us-east-1']);
  });

  it('follows NextToken with the same queries and window, merging the pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Timestamps: [at(12, 5), at(12, 4)], Values: [8, 6], StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Timestamps: [at(12, 3)], Values: [5], StatusCode: 'Complete' },
          { Id: 'q1', Timestamps: [at(12, 5)], Values: [9], StatusCode: 'Complete' },
        ],
      });
    const { c } = collector();
    const results = await Promise.all([
      c.collect(request(SQS_METRIC), signal()),
      c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': 'refunds' }), signal()),
    ]);
    expect(results.map(milliOf)).toEqual([8_000, 9_000]);
    const [first, second] = inputs();
    expect(first?.NextToken).toBeUndefined();
    expect(second).toEqual({ ...first, NextToken: 'page-2' });
  });

  it('keeps a value from PartialData, reports a series’ InternalError or Forbidden with its messages', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Timestamps: [at(12, 5)], Values: [1], StatusCode: 'PartialData' },
        {
          Id: 'q1',
          Timestamps: [],
          Values: [],
          StatusCode: 'InternalError',
          Messages: [{ Code: 'InternalError', Value: 'try again' }],
        },
        {
          Id: 'q2',
          Timestamps: [],
          Values: [],
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'no' }],
        },
      ],
    });
    const { c } = collector();
    const [partial, internal, forbidden] = await Promise.all(
      ['a', 'b', 'c'].map((q) => c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': q }), signal())),
    );
    expect(milliOf(partial as MetricResult<CollectedValues>)).toBe(1_000);
    expect(
      internal?.ok === false && [internal.error.reason, internal.error.message.includes('try again')],
    ).toEqual(['Unavailable', true]);
    expect(forbidden?.ok === false && forbidden.error.reason).toBe('Forbidden');
  });

  it('answers NotFound naming the metric when the window holds no datapoint', async () => {
    serve(() => undefined);
    const result = await collector().c.collect(request(SQS_METRIC), signal());
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.reason).toBe('NotFound');
    expect(!result.ok && result.error.message).toBe(
      'CloudWatch metric AWS/SQS ApproximateNumberOfMessagesVisible{QueueName=orders} Maximum/60s in eu-central-1: ' +
        'no datapoint between 2024-05-01T12:01:00.000Z and 2024-05-01T12:06:00.000Z',
    );
  });

  it('rejects a negative latest value', async () => {
    serve(() => -3);
    const result = await collector().c.collect(request({ ...SQS_METRIC, expression: 'm1 - 10' }), signal());
    expect(!result.ok && result.error.reason).toBe('Invalid');
  });

  it('maps a failed call to every request of it: throttling → Unavailable, AccessDenied → Forbidden', async () => {
    const { c } = collector();
    cw.on(GetMetricDataCommand).rejects(
      new CloudWatchServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const throttled = await Promise.all(
      ['a', 'b'].map((q) => c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': q }), signal())),
    );
    expect(throttled.map((r) => !r.ok && r.error.reason)).toEqual(['Unavailable', 'Unavailable']);
    expect(inputs()).toHaveLength(1);

    cw.reset();
    cw.on(GetMetricDataCommand).rejects(
      new CloudWatchServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform: cloudwatch:GetMetricData',
      }),
    );
    const denied = await c.collect(request(SQS_METRIC), signal());
    expect(!denied.ok && denied.error.reason).toBe('Forbidden');
    expect(!denied.ok && denied.error.message).toContain('cloudwatch:GetMetricData');
  });

  it('isolates a query CloudWatch rejects by splitting the batch, so the others still get values', async () => {
    cw.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput) => {
      if (input.MetricDataQueries?.some((q) => q.Expression?.includes('BAD(')))
        throw new InvalidParameterValueException({ message: 'Unrecognized function BAD', $metadata: {} });
      return {
        MetricDataResults: (input.MetricDataQueries ?? [])
          .filter((q) => q.ReturnData !== false)
          .map((q) => ({ Id: q.Id, Timestamps: [at(12, 5)], Values: [2], StatusCode: 'Complete' })),
      };
    });
    const { c } = collector();
    const configs = [
      { ...SQS_METRIC, 'dimension-QueueName': 'a' },
      { ...SQS_METRIC, 'dimension-QueueName': 'b' },
      { ...SQS_METRIC, 'dimension-QueueName': 'c', expression: 'BAD(m1)' },
      { ...SQS_METRIC, 'dimension-QueueName': 'd' },
    ];
    const results = await Promise.all(configs.map((config) => c.collect(request(config), signal())));
    expect(results.map((r) => (r.ok ? milliOf(r) : r.error.reason))).toEqual([
      2_000,
      2_000,
      'Invalid',
      2_000,
    ]);
    expect(!results[2]?.ok && results[2]?.error.message).toContain('Unrecognized function BAD');
  });
});

describe('CloudWatchCollector abort and cache', () => {
  it('gives Timeout to an aborted request while one sharing the call still gets its value', async () => {
    let answer!: (output: Partial<GetMetricDataCommandOutput>) => void;
    cw.on(GetMetricDataCommand).callsFake(() => new Promise((resolve) => (answer = resolve)));
    const { c } = collector();
    const impatient = new AbortController();
    const first = c.collect(request(SQS_METRIC), impatient.signal);
    const second = c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': 'other' }), signal());
    await new Promise((r) => setTimeout(r, 5));
    expect(inputs()).toHaveLength(1);
    impatient.abort();
    expect(await first).toMatchObject({ ok: false, error: { reason: 'Timeout' } });
    const options = cw.call(0).args as unknown[];
    expect((options[1] as { abortSignal: AbortSignal }).abortSignal.aborted).toBe(false);
    answer({
      MetricDataResults: [
        { Id: 'q0', Timestamps: [at(12, 5)], Values: [1], StatusCode: 'Complete' },
        { Id: 'q1', Timestamps: [at(12, 5)], Values: [6], StatusCode: 'Complete' },
      ],
    });
    expect(milliOf(await second)).toBe(6_000);
  });

  it('aborts the call when every request waiting for it has given up', async () => {
    cw.on(GetMetricDataCommand).callsFake(() => new Promise(() => {}));
    const { c } = collector();
    const controller = new AbortController();
    const pending = [
      c.collect(request(SQS_METRIC), controller.signal),
      c.collect(request(SQS_METRIC), controller.signal),
    ];
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const results = await Promise.all(pending);
    expect(results.map((r) => !r.ok && r.error.reason)).toEqual(['Timeout', 'Timeout']);
    const options = cw.call(0).args as unknown[];
    expect((options[1] as { abortSignal: AbortSignal }).abortSignal.aborted).toBe(true);
  });

  it('drops a query aborted before its batch is sent', async () => {
    serve(() => 1);
    const { c } = collector();
    const controller = new AbortController();
    const dropped = c.collect(request(SQS_METRIC), controller.signal);
    controller.abort();
    const kept = c.collect(request({ ...SQS_METRIC, 'dimension-QueueName': 'kept' }), signal());
    expect(await dropped).toMatchObject({ ok: false, error: { reason: 'Timeout' } });
    expect(milliOf(await kept)).toBe(1_000);
    expect(
      inputs().map((i) => i.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.Dimensions?.[0]?.Value)),
    ).toEqual([['kept']]);
    const already = new AbortController();
    already.abort();
    expect(await c.collect(request(SQS_METRIC), already.signal)).toMatchObject({
      ok: false,
      error: { reason: 'Timeout' },
    });
    expect(inputs()).toHaveLength(1);
  });

  it('keys the cache on the query and its aligned window', () => {
    const { c } = collector();
    expect(c.cacheKey(request(SQS_METRIC))).toBe(c.cacheKey(request({ ...SQS_METRIC }, NOW + 10_000)));
    expect(c.cacheKey(request(SQS_METRIC))).not.toBe(c.cacheKey(request(SQS_METRIC, NOW + 60_000)));
    expect(c.cacheKey(request(SQS_METRIC))).not.toBe(
      c.cacheKey(request({ ...SQS_METRIC, statistic: 'Sum' })),
    );
  });

  it.each([
    [{ ...SQS_METRIC, region: '' }, 'region is not set'],
    [{ ...SQS_METRIC, period: '45' }, 'period: 45s'],
    [{ ...SQS_METRIC, metricStatPeriod: '45' }, 'metricStatPeriod: 45s'],
    [{ ...SQS_METRIC, range: '90' }, 'range: 90s'],
    [{ ...SQS_METRIC, unit: 'Apples' }, 'unit'],
    [{ region: 'eu-central-1', namespace: 'AWS/SQS' }, 'metric-name is not set'],
    [
      { ...SQS_METRIC, dimensionName: 'A;B', dimensionValue: 'x', 'dimension-QueueName': undefined },
      'dimensionName',
    ],
  ])('rejects the configuration %j, naming the key', async (config, text) => {
    const clean = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const result = await collector().c.collect(request(clean), signal());
    expect(!result.ok && result.error.reason).toBe('Invalid');
    expect(!result.ok && result.error.message).toContain(text);
    expect(cw.calls()).toHaveLength(0);
  });

  it('rejects per-pod use', async () => {
    const result = await collector().c.collect({ ...request(SQS_METRIC), type: 'Pods' }, signal());
    expect(!result.ok && result.error.reason).toBe('Invalid');
  });
});
