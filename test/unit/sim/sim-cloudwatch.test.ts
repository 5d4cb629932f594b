import {
  GetMetricDataCommand,
  type GetMetricDataInput,
  InvalidParameterValueException,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { CloudWatchCollector } from '../../../shared/adapters/metrics/cloudwatch';
import {
  ALB_HISTORY_BEFORE_START_MS,
  ALB_NAMESPACE,
  ALB_PUBLISH_DELAY_MS,
  albLoadBalancerName,
  albTargetGroupName,
  SimCloudWatch,
} from '../../../shared/sim/sim-cloudwatch';
import { evaluateMetricMath, MetricMathError } from '../../../shared/sim/sim-cloudwatch-math';
import { START, smallCluster, workload } from './fixtures';

const REGION = 'eu-central-1';
const MINUTE = 60_000;
const LB = albLoadBalancerName('test-cluster');
const WEB_TG = albTargetGroupName('shop', 'web');

/** `shop/web`: 2 pods under 100 rps; `shop/api`: 3 pods under 30 rps; a queue worker (not behind the ALB). */
function setup() {
  const { clock, cluster } = smallCluster();
  cluster.addWorkload(workload({ replicas: 2, load: () => 100 }), { warm: true });
  cluster.addWorkload(workload({ name: 'api', replicas: 3, load: () => 30 }), { warm: true });
  cluster.addWorkload(
    workload({ name: 'consumer', replicas: 1, load: () => 5, queue: { name: 'jobs', capacityPerPod: 10 } }),
    { warm: true },
  );
  const cloudwatch = new SimCloudWatch({ cluster, region: REGION, loadBalancer: LB });
  const reconcile = () => {
    cluster.reconcile();
    cloudwatch.observe();
  };
  reconcile();
  /** Moves the clock in steps, reconciling like the driver does. */
  const advance = (ms: number) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advanceTo(Math.min(end, clock.now() + 5_000));
      reconcile();
    }
  };
  return { clock, cluster, cloudwatch, advance };
}

function stat(
  id: string,
  metricName: string,
  dimensions: Record<string, string>,
  extra: { stat?: string; period?: number; unit?: string; returnData?: boolean } = {},
): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: ALB_NAMESPACE,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: extra.period ?? 60,
      Stat: extra.stat ?? 'Sum',
      ...(extra.unit ? { Unit: extra.unit as 'Count' } : {}),
    },
    ...(extra.returnData === false ? { ReturnData: false } : {}),
  };
}

async function get(cloudwatch: SimCloudWatch, input: Partial<GetMetricDataInput>, region = REGION) {
  return cloudwatch.client(region).send(new GetMetricDataCommand(input as GetMetricDataInput));
}

const window = (start: number, end: number) => ({ StartTime: new Date(start), EndTime: new Date(end) });

describe('SimCloudWatch', () => {
  it('should name target groups and the ALB like the AWS Load Balancer Controller, deterministically', () => {
    expect(WEB_TG).toMatch(/^targetgroup\/k8s-shop-web-[0-9a-f]{10}\/[0-9a-f]{16}$/);
    expect(albTargetGroupName('storefront', 'recommendations').split('/')[1]?.length).toBeLessThanOrEqual(32);
    expect(albTargetGroupName('shop', 'web')).toBe(WEB_TG);
    expect(albTargetGroupName('shop', 'api')).not.toBe(WEB_TG);
    expect(LB).toMatch(/^app\/k8s-test-cluster\/[0-9a-f]{16}$/);
  });

  it('should publish a minute’s requests a minute after it ends, stamped with the minute, newest first', async () => {
    const { clock, cloudwatch, advance } = setup();
    advance(10 * MINUTE + 30_000); // 08:10:30
    const output = await get(cloudwatch, {
      MetricDataQueries: [stat('q0', 'RequestCount', { LoadBalancer: LB, TargetGroup: WEB_TG })],
      ...window(START - 3 * MINUTE + 12_000, clock.now()),
    });
    const [result] = output.MetricDataResults ?? [];
    // StartTime rounds down to 08:-3; the newest published minute is 08:08 (ended 08:09, +60 s).
    const minutes = (result?.Timestamps ?? []).map((t) => (t.getTime() - START) / MINUTE);
    expect(minutes).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -2, -3]);
    expect(result?.Values?.every((v) => v === 6000)).toBe(true);
    expect(result).toMatchObject({ Id: 'q0', Label: 'RequestCount', StatusCode: 'Complete' });
    expect(ALB_PUBLISH_DELAY_MS).toBe(MINUTE);

    const ascending = await get(cloudwatch, {
      MetricDataQueries: [stat('q0', 'RequestCount', { LoadBalancer: LB })],
      ...window(START, START + 3 * MINUTE),
      ScanBy: 'TimestampAscending',
    });
    // The whole ALB: web and api, not the queue worker.
    expect(ascending.MetricDataResults?.[0]?.Values).toEqual([7800, 7800, 7800]);
    expect(cloudwatch.stats().calls).toEqual({ GetMetricData: 2 });
    expect(cloudwatch.queryCount()).toBe(2);
  });

  it('should have history from before the start, as if the first pods had been serving', async () => {
    const { clock, cloudwatch } = setup();
    const output = await get(cloudwatch, {
      MetricDataQueries: [stat('q0', 'RequestCountPerTarget', { TargetGroup: WEB_TG })],
      ...window(clock.now() - 2 * ALB_HISTORY_BEFORE_START_MS, clock.now()),
    });
    const timestamps = output.MetricDataResults?.[0]?.Timestamps ?? [];
    // 07:00 to 07:58: 07:59 ends at 08:00 and is published a minute later.
    expect(timestamps).toHaveLength(ALB_HISTORY_BEFORE_START_MS / MINUTE - 1);
    expect(output.MetricDataResults?.[0]?.Values?.[0]).toBe(3000);
  });

  it('should divide requests by the healthy targets, time-averaged over each minute', async () => {
    const { cluster, cloudwatch, advance } = setup();
    advance(2 * MINUTE);
    cluster.setReplicas('shop', 'web', 4); // Ready 30 s later (10 s start-up, 20 s readiness)
    advance(5 * MINUTE);
    const minute = (n: number) => START + n * MINUTE;
    const output = await get(cloudwatch, {
      MetricDataQueries: [
        stat('perTarget', 'RequestCountPerTarget', { TargetGroup: WEB_TG, LoadBalancer: LB }),
        stat('healthy', 'HealthyHostCount', { TargetGroup: WEB_TG, LoadBalancer: LB }, { stat: 'Average' }),
      ],
      ...window(minute(1), minute(5)),
      ScanBy: 'TimestampAscending',
    });
    const [perTarget, healthy] = output.MetricDataResults ?? [];
    expect(healthy?.Values).toEqual([2, 3, 4, 4]);
    expect(perTarget?.Values).toEqual([3000, 2000, 1500, 1500]);
  });

  it('should match the exact dimension set, the unit, the region and the account, as CloudWatch does', async () => {
    const { clock, cloudwatch, advance } = setup();
    advance(5 * MINUTE);
    const empty = async (query: MetricDataQuery, region = REGION) => {
      const output = await get(
        cloudwatch,
        { MetricDataQueries: [query], ...window(START, clock.now()) },
        region,
      );
      return output.MetricDataResults?.[0]?.Values ?? [];
    };
    expect(await empty(stat('q', 'RequestCount', { TargetGroup: WEB_TG }))).toEqual([]);
    expect(
      await empty(stat('q', 'RequestCountPerTarget', { TargetGroup: WEB_TG }, { unit: 'Seconds' })),
    ).toEqual([]);
    expect(await empty(stat('q', 'RequestCountPerTarget', { TargetGroup: 'targetgroup/x/0' }))).toEqual([]);
    expect(await empty(stat('q', 'RequestCountPerTarget', { TargetGroup: WEB_TG }), 'us-east-1')).toEqual([]);
    expect(
      await empty({
        ...stat('q', 'RequestCountPerTarget', { TargetGroup: WEB_TG }),
        AccountId: '210987654321',
      }),
    ).toEqual([]);
    expect(
      await empty(
        stat('q', 'RequestCountPerTarget', { TargetGroup: albTargetGroupName('shop', 'consumer') }),
      ),
    ).toEqual([]);
    expect(
      await empty(stat('q', 'RequestCountPerTarget', { TargetGroup: WEB_TG }, { unit: 'Count' })),
    ).toHaveLength(4);
  });

  it('should aggregate the minutes of a period with the statistic, periods aligned to the start', async () => {
    const { clock, cloudwatch, advance } = setup();
    advance(12 * MINUTE);
    const dims = { TargetGroup: WEB_TG, LoadBalancer: LB };
    const output = await get(cloudwatch, {
      MetricDataQueries: [
        stat('sum', 'RequestCount', dims, { period: 300 }),
        stat('count', 'RequestCount', dims, { period: 300, stat: 'SampleCount' }),
        stat('avg', 'RequestCount', dims, { period: 300, stat: 'Average' }),
        stat('p90', 'RequestCount', dims, { period: 300, stat: 'p90' }),
        stat('sub', 'RequestCount', dims, { period: 10 }),
      ],
      ...window(START, clock.now()),
      ScanBy: 'TimestampAscending',
    });
    const byId = new Map((output.MetricDataResults ?? []).map((r) => [r.Id, r]));
    // 08:00–08:05 and 08:05–08:10 complete; 08:10 holds the one published minute (08:10) so far.
    expect(byId.get('sum')?.Values).toEqual([30000, 30000, 6000]);
    expect(byId.get('sum')?.Timestamps?.map((t) => t.getTime() - START)).toEqual([
      0,
      5 * MINUTE,
      10 * MINUTE,
    ]);
    expect(byId.get('count')?.Values).toEqual([5, 5, 1]);
    expect(byId.get('avg')?.Values).toEqual([6000, 6000, 6000]);
    expect(byId.get('p90')?.Values).toEqual([6000, 6000, 6000]);
    // Standard-resolution data: a 10-s period has datapoints only at the minutes.
    expect(byId.get('sub')?.Timestamps?.every((t) => (t.getTime() - START) % MINUTE === 0)).toBe(true);
    expect(byId.get('sub')?.Values).toHaveLength(11);
  });

  it('should evaluate the metric math the collector sends, and refuse what it cannot evaluate', async () => {
    const { clock, cloudwatch, advance } = setup();
    advance(4 * MINUTE);
    const output = await get(cloudwatch, {
      MetricDataQueries: [
        stat('q0_m1', 'RequestCount', { TargetGroup: WEB_TG, LoadBalancer: LB }, { returnData: false }),
        { Id: 'q0', Expression: 'q0_m1 / PERIOD(q0_m1)' },
        { Id: 'q1', Expression: '-(q0_m1 - 1000) * 2 / 0 + 1' },
      ],
      ...window(START, clock.now()),
    });
    expect(output.MetricDataResults?.map((r) => r.Id)).toEqual(['q0', 'q1']);
    expect(output.MetricDataResults?.[0]?.Values).toEqual([100, 100, 100]);
    expect(output.MetricDataResults?.[1]?.Values).toEqual([]);
    await expect(
      get(cloudwatch, {
        MetricDataQueries: [
          stat('m', 'RequestCount', { LoadBalancer: LB }, { returnData: false }),
          { Id: 'e', Expression: 'RATE(m)' },
        ],
        ...window(START, clock.now()),
      }),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(
      get(cloudwatch, {
        MetricDataQueries: [{ Id: 'e', Expression: '1 + 1' }],
        ...window(START, clock.now()),
      }),
    ).rejects.toThrow(/time series/);
  });

  it('should check the request as CloudWatch does', async () => {
    const { clock, cloudwatch } = setup();
    const now = clock.now();
    const q = stat('q', 'RequestCount', { LoadBalancer: LB });
    const rejects = (input: Partial<GetMetricDataInput>) =>
      expect(get(cloudwatch, input)).rejects.toBeInstanceOf(InvalidParameterValueException);
    await rejects({
      MetricDataQueries: Array.from({ length: 501 }, (_, i) => ({ ...q, Id: `q${i}` })),
      ...window(now - MINUTE, now),
    });
    await rejects({ MetricDataQueries: [q], ...window(now, now) });
    await rejects({ MetricDataQueries: [q, q], ...window(now - MINUTE, now) });
    await rejects({ MetricDataQueries: [{ ...q, Id: 'Q' }], ...window(now - MINUTE, now) });
    await rejects({
      MetricDataQueries: [stat('q', 'RequestCount', {}, { period: 45 })],
      ...window(now - MINUTE, now),
    });
    await rejects({
      MetricDataQueries: [stat('q', 'RequestCount', {}, { stat: 'Median' })],
      ...window(now - MINUTE, now),
    });
    await rejects({ MetricDataQueries: [{ ...q, ReturnData: false }], ...window(now - MINUTE, now) });
    await expect(get(cloudwatch, { MetricDataQueries: [q] })).rejects.toMatchObject({
      name: 'MissingRequiredParameterException',
    });
  });

  it('should serve the real cloudwatch collector: one call for all the requests of a tick', async () => {
    const { clock, cloudwatch, advance } = setup();
    advance(10 * MINUTE);
    const collector = new CloudWatchCollector({ clientFor: (region) => cloudwatch.client(region) });
    const config = (metric: string, name: string, extra: Record<string, string> = {}) => ({
      region: REGION,
      namespace: ALB_NAMESPACE,
      'metric-name': metric,
      'dimension-TargetGroup': albTargetGroupName('shop', name),
      statistic: 'Sum',
      period: '60',
      expression: 'm1 / PERIOD(m1)',
      ...extra,
    });
    const ask = (c: Record<string, string>) =>
      collector.collect(
        { type: 'External', namespace: 'shop', metricName: 'rps', config: c, now: clock.now() },
        new AbortController().signal,
      );
    const [perTarget, total, api, broken] = await Promise.all([
      ask(config('RequestCountPerTarget', 'web')),
      ask(config('RequestCount', 'web', { 'dimension-LoadBalancer': LB })),
      ask(config('RequestCountPerTarget', 'api')),
      ask(config('RequestCountPerTarget', 'api', { expression: 'm1 / MISSING(m1)' })),
    ]);
    const lastMinute = Math.floor((clock.now() - 60_000) / MINUTE) * MINUTE - MINUTE;
    expect(perTarget).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 50_000, timestamp: lastMinute }] },
    });
    expect(total).toMatchObject({ ok: true, value: { values: [{ milliValue: 100_000 }] } });
    expect(api).toMatchObject({ ok: true, value: { values: [{ milliValue: 10_000 }] } });
    // CloudWatch rejects the whole call for the bad expression; the collector splits it to find it.
    expect(broken).toMatchObject({ ok: false, error: { reason: 'Invalid' } });
    expect(cloudwatch.stats().calls.GetMetricData).toBeGreaterThan(1);

    cloudwatch.resetStats();
    const [a, b, c] = await Promise.all([
      ask(config('RequestCountPerTarget', 'web')),
      ask(config('RequestCount', 'web', { 'dimension-LoadBalancer': LB })),
      ask(config('RequestCountPerTarget', 'api')),
    ]);
    expect([a.ok, b.ok, c.ok]).toEqual([true, true, true]);
    expect(cloudwatch.stats().calls).toEqual({ GetMetricData: 1 });
    expect(cloudwatch.queryCount()).toBe(6);

    cloudwatch.failNext(1, Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect(await ask(config('RequestCountPerTarget', 'web'))).toMatchObject({
      ok: false,
      error: { reason: 'Unavailable' },
    });
  });
});

describe('evaluateMetricMath', () => {
  const series = {
    kind: 'series' as const,
    series: { timestamps: [1, 2, 3], values: [60, 120, 0], periodSeconds: 60 },
  };
  const other = {
    kind: 'series' as const,
    series: { timestamps: [2, 3], values: [2, 4], periodSeconds: 60 },
  };
  const resolve = (id: string) => {
    if (id === 'm1') return series;
    if (id === 'm2') return other;
    throw new MetricMathError(`Unrecognized Id ${id}`);
  };

  it('should compute series with scalars and with series on their common timestamps', () => {
    expect(evaluateMetricMath('m1 / PERIOD(m1)', resolve)).toEqual({
      kind: 'series',
      series: { timestamps: [1, 2, 3], values: [1, 2, 0], periodSeconds: 60 },
    });
    expect(evaluateMetricMath('m1 / m2', resolve)).toMatchObject({
      series: { timestamps: [2, 3], values: [60, 0] },
    });
    expect(evaluateMetricMath('2 * (3 + 4) - -1', resolve)).toEqual({ kind: 'scalar', value: 15 });
    expect(evaluateMetricMath('1e3 / m2', resolve)).toMatchObject({ series: { values: [500, 250] } });
  });

  it('should refuse what it does not implement or cannot parse', () => {
    expect(() => evaluateMetricMath('SEARCH(m1)', resolve)).toThrow(MetricMathError);
    expect(() => evaluateMetricMath('m1 +', resolve)).toThrow(MetricMathError);
    expect(() => evaluateMetricMath('m1 m2', resolve)).toThrow(MetricMathError);
    expect(() => evaluateMetricMath("m1 + 'x'", resolve)).toThrow(MetricMathError);
    expect(() => evaluateMetricMath('m3', resolve)).toThrow(/Unrecognized/);
    expect(() => evaluateMetricMath('PERIOD(2)', resolve)).toThrow(MetricMathError);
  });
});
