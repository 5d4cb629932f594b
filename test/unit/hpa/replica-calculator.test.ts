/**
 * Cases ported (by their facts: inputs → replicas, utilization, raw value) from upstream's
 * replica_calculator_test.go: two containers per pod, both requesting the same CPU, tolerance 0.1,
 * CPU initialization 2 min, readiness delay 10 s.
 */
import { describe, expect, it } from 'vitest';
import type { MetricInputs, MetricOutcome } from '../../../shared/hpa/metrics';
import { computeReplicasForMetric } from '../../../shared/hpa/metrics';
import {
  externalValueReplicas,
  isWithinTolerance,
  MAX_REPLICAS,
  objectValueReplicas,
  perPodValueReplicas,
  plainMetricReplicas,
  ReplicaCalcError,
  type Tolerances,
} from '../../../shared/hpa/replica-calculator';
import type { MetricSpec } from '../../../shared/ports/autoscaling-v2';
import type { PodPhase } from '../../../shared/ports/kubernetes';
import { formatMilliDecimalSI } from '../../../shared/units/quantity';
import {
  COOL,
  DEFAULT_TOLERANCES,
  HOT,
  levelsPerPod,
  makePodMetrics,
  makePods,
  NAMESPACE,
  NOW,
  podName,
  samples,
  TEST_READINESS,
} from './fixtures';

const INT64_MAX = 2 ** 63;

interface ResourceCase {
  current: number;
  requests: string[];
  levels: number[][];
  target: number;
  container?: string;
  readiness?: ('True' | 'False')[];
  phases?: PodPhase[];
  deleting?: boolean[];
  startTimes?: number[];
  tolerances?: Tolerances;
  metricPodNames?: string[];
}

function runResource(c: ResourceCase): MetricOutcome {
  const count = Math.max(c.current, c.phases?.length ?? 0);
  const pods = makePods({
    count,
    ...(c.readiness ? { readiness: c.readiness } : {}),
    ...(c.phases ? { phases: c.phases } : {}),
    ...(c.deleting ? { deleting: c.deleting } : {}),
    ...(c.startTimes ? { startTimes: c.startTimes } : {}),
  });
  pods.forEach((pod, i) => {
    const request = c.requests[i];
    for (const container of pod.containers)
      container.requests = request === undefined ? {} : { cpu: request };
  });
  const spec: MetricSpec = c.container
    ? {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          container: c.container,
          target: { type: 'Utilization', averageUtilization: c.target },
        },
      }
    : {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: c.target } },
      };
  const inputs: MetricInputs = {
    namespace: NAMESPACE,
    pods,
    podMetrics: makePodMetrics(c.levels, c.metricPodNames ? { names: c.metricPodNames } : {}),
    podMetricsServed: true,
    metricResults: {},
    specReplicas: c.current,
    statusReplicas: c.current,
    tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
    readiness: TEST_READINESS,
    now: NOW,
  };
  return computeReplicasForMetric(0, spec, inputs);
}

function expectResource(outcome: MetricOutcome, replicas: number, utilization: number, raw: number): void {
  if (!outcome.ok) throw new Error(`expected a proposal, got ${outcome.error}`);
  expect(outcome.replicas).toBe(replicas);
  expect(outcome.explanation.current).toEqual({
    averageUtilization: utilization,
    averageValue: formatMilliDecimalSI(raw),
  });
}

const cpu = (n: number, v = '1.0') => Array.from({ length: n }, () => v);

describe('GetResourceReplicas (Utilization)', () => {
  it.each<[string, ResourceCase, number, number, number]>([
    [
      'scale up',
      { current: 3, requests: cpu(3), levels: levelsPerPod(300, 500, 700), target: 30 },
      5,
      50,
      1000,
    ],
    [
      'scale up: container metric',
      {
        current: 3,
        requests: cpu(3),
        container: 'container2',
        levels: [
          [1000, 300],
          [1000, 500],
          [1000, 700],
        ],
        target: 30,
      },
      5,
      50,
      500,
    ],
    [
      'scale up: unready pod scales less',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['False', 'True', 'True'],
        levels: levelsPerPod(300, 500, 700),
        target: 30,
      },
      4,
      60,
      1200,
    ],
    [
      'scale up: hot-CPU container scales less',
      {
        current: 3,
        requests: cpu(3),
        startTimes: [HOT, COOL, COOL],
        container: 'container2',
        levels: [
          [0, 300],
          [0, 500],
          [0, 700],
        ],
        target: 30,
      },
      4,
      60,
      600,
    ],
    [
      'scale up: hot-CPU pod scales less',
      {
        current: 3,
        requests: cpu(3),
        startTimes: [HOT, COOL, COOL],
        levels: levelsPerPod(300, 500, 700),
        target: 30,
      },
      4,
      60,
      1200,
    ],
    [
      'no scale: unready pods ignored',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['True', 'False', 'False'],
        levels: levelsPerPod(400, 500, 700),
        target: 30,
      },
      3,
      40,
      800,
    ],
    [
      'no scale: hot-CPU pods ignored',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['True', 'False', 'False'],
        startTimes: [COOL, HOT, HOT],
        levels: levelsPerPod(400, 500, 700),
        target: 30,
      },
      3,
      40,
      800,
    ],
    [
      'scale up: failed pods ignored',
      {
        current: 2,
        requests: cpu(4),
        readiness: ['True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Failed', 'Failed'],
        levels: levelsPerPod(500, 700),
        target: 30,
      },
      4,
      60,
      1200,
    ],
    [
      'scale up: failed pods ignored with missing container metric',
      {
        current: 2,
        requests: cpu(4),
        readiness: ['True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Failed', 'Failed'],
        container: 'container2',
        levels: [[1000, 500], [9000, 700], [1000], [9000]],
        target: 30,
      },
      4,
      60,
      600,
    ],
    [
      'scale up: pods being deleted are ignored',
      {
        current: 2,
        requests: cpu(4),
        readiness: ['True', 'True', 'False', 'False'],
        deleting: [false, false, true, true],
        levels: levelsPerPod(500, 700),
        target: 30,
      },
      4,
      60,
      1200,
    ],
    [
      'scale down',
      { current: 5, requests: cpu(5), levels: levelsPerPod(100, 300, 500, 250, 250), target: 50 },
      3,
      28,
      560,
    ],
    [
      'scale down: container metric',
      {
        current: 5,
        requests: cpu(5),
        container: 'container2',
        levels: [
          [1000, 100],
          [1000, 300],
          [1000, 500],
          [1000, 250],
          [1000, 250],
        ],
        target: 50,
      },
      3,
      28,
      280,
    ],
    [
      'scale down: exclude unready pods',
      {
        current: 5,
        requests: cpu(5),
        readiness: ['True', 'True', 'True', 'False', 'False'],
        levels: levelsPerPod(100, 300, 500, 250, 250),
        target: 50,
      },
      2,
      30,
      600,
    ],
    [
      'scale down: exclude unscheduled (Pending) pods',
      {
        current: 5,
        requests: cpu(5),
        readiness: ['True', 'False', 'False', 'False', 'False'],
        phases: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'],
        levels: levelsPerPod(100),
        target: 50,
      },
      1,
      10,
      200,
    ],
    [
      'scale down: ignore hot-CPU pods',
      {
        current: 5,
        requests: cpu(5),
        startTimes: [COOL, COOL, COOL, HOT, HOT],
        levels: levelsPerPod(100, 300, 500, 250, 250),
        target: 50,
      },
      2,
      30,
      600,
    ],
    [
      'scale down: failed pods ignored',
      {
        current: 5,
        requests: cpu(7),
        readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
        levels: levelsPerPod(100, 300, 500, 250, 250),
        target: 50,
      },
      3,
      28,
      560,
    ],
    [
      'scale down: still-running pods being deleted are ignored',
      {
        current: 5,
        requests: cpu(7),
        readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
        phases: ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Running'],
        deleting: [false, false, false, false, false, true, true],
        levels: levelsPerPod(100, 300, 500, 250, 250),
        target: 50,
      },
      3,
      28,
      560,
    ],
  ])(
    'given %s, should propose the upstream count, utilization and raw value',
    (_name, c, replicas, util, raw) => {
      expectResource(runResource(c), replicas, util, raw);
    },
  );
});

describe('GetResourceReplicas tolerances', () => {
  const mixed = ['0.9', '1.0', '1.1'];
  it.each<[string, Tolerances, number[], number, number, number]>([
    ['within default tolerance', DEFAULT_TOLERANCES, [1010, 1030, 1020], 3, 102, 2040],
    ['outside 0% tolerance', { scaleDown: 0, scaleUp: 0 }, [909, 1010, 1111], 4, 101, 2020],
    ['within 200% scale-up tolerance', { scaleDown: 0.1, scaleUp: 2 }, [1890, 1910, 1900], 3, 190, 3800],
    [
      'outside 8% scale-up tolerance (superfluous scale-down tolerance)',
      { scaleDown: 2, scaleUp: 0.08 },
      [1100, 1080, 1090],
      4,
      109,
      2180,
    ],
    ['within 36% scale-down tolerance', { scaleDown: 0.36, scaleUp: 0.1 }, [660, 640, 650], 3, 65, 1300],
    ['outside 34% scale-down tolerance', { scaleDown: 0.34, scaleUp: 0.1 }, [660, 640, 650], 2, 65, 1300],
  ])('given %s, should propose %#', (_name, tolerances, levels, replicas, util, raw) => {
    expectResource(
      runResource({ current: 3, requests: mixed, levels: levelsPerPod(...levels), target: 100, tolerances }),
      replicas,
      util,
      raw,
    );
  });

  it('given the tolerance regression scenario (10 pods at 50% of jittered requests), should scale only past the band', () => {
    const per = 300;
    const requests = [
      per + 100,
      per - 100,
      per + 10,
      per - 10,
      per + 2,
      per - 2,
      per + 1,
      per - 1,
      per,
      per,
    ].map((r) => `${r}m`);
    const levels = levelsPerPod(...Array.from({ length: 10 }, () => 150));
    // target = 1 / (2 × 0.9) + 0.01 → 56%: usage ratio 50/56 is outside the band → ceil(0.893 × 10) = 9.
    expectResource(runResource({ current: 10, requests, levels, target: 56 }), 9, 50, 300);
    // target = 1 / (2 × 0.9) + 0.004 → 55%: usage ratio 50/55 is inside the band → stays at 10.
    expectResource(runResource({ current: 10, requests, levels, target: 55 }), 10, 50, 300);
  });

  it('given the band edges, should treat 0.9 and 1.1 as within tolerance', () => {
    expect(isWithinTolerance(DEFAULT_TOLERANCES, 0.9)).toBe(true);
    expect(isWithinTolerance(DEFAULT_TOLERANCES, 1.1)).toBe(true);
    expect(isWithinTolerance(DEFAULT_TOLERANCES, 1.1000001)).toBe(false);
    expect(isWithinTolerance(DEFAULT_TOLERANCES, 0.8999999)).toBe(false);
  });
});

describe('GetResourceReplicas missing metrics', () => {
  it.each<[string, ResourceCase, number, number, number]>([
    [
      'superfluous metrics of pods that are not selected',
      { current: 4, requests: cpu(4), levels: levelsPerPod(4000, 9500, 3000, 7000, 3200, 2000), target: 100 },
      24,
      587,
      11750,
    ],
    [
      'some pods missing metrics scales down (missing counted at 100%)',
      { current: 4, requests: cpu(4), levels: levelsPerPod(400, 95), target: 100 },
      3,
      24,
      495,
    ],
    [
      'no change: metric equal to target',
      { current: 2, requests: cpu(2), levels: levelsPerPod(1000), target: 100 },
      2,
      100,
      2000,
    ],
    [
      'no change: metric above target',
      { current: 2, requests: cpu(2), levels: levelsPerPod(1900), target: 100 },
      2,
      190,
      3800,
    ],
    [
      'no change: metric below target',
      { current: 2, requests: cpu(2), levels: levelsPerPod(600), target: 100 },
      2,
      60,
      1200,
    ],
    [
      'no change: unready pod, another missing its metric',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['False', 'True', 'True'],
        levels: levelsPerPod(100, 450),
        target: 50,
      },
      3,
      45,
      900,
    ],
    [
      'no change: hot-CPU pod, another missing its metric',
      {
        current: 3,
        requests: cpu(3),
        startTimes: [HOT, COOL, COOL],
        levels: levelsPerPod(100, 450),
        target: 50,
      },
      3,
      45,
      900,
    ],
    [
      'scale up: unready pod and a missing metric (both at 0)',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['False', 'True', 'True'],
        levels: levelsPerPod(100, 2000),
        target: 50,
      },
      4,
      200,
      4000,
    ],
    [
      'scale up: hot-CPU pod and a missing metric',
      {
        current: 3,
        requests: cpu(3),
        readiness: ['False', 'True', 'True'],
        startTimes: [HOT, COOL, COOL],
        levels: levelsPerPod(100, 2000),
        target: 50,
      },
      4,
      200,
      4000,
    ],
    [
      'scale down: unready pod and a missing metric',
      {
        current: 4,
        requests: cpu(4),
        readiness: ['False', 'True', 'True', 'True'],
        levels: levelsPerPod(100, 100, 100),
        target: 50,
      },
      3,
      10,
      200,
    ],
    [
      'scale down: target over 100% (missing counted at the target)',
      {
        current: 4,
        requests: ['1.0', '1.0', '2.0', '2.0'],
        readiness: ['False', 'True', 'True', 'True'],
        levels: levelsPerPod(200, 100, 100),
        target: 300,
      },
      2,
      6,
      200,
    ],
    [
      'rolling update with maxSurge: extra pod missing its metric',
      {
        current: 2,
        requests: cpu(3),
        phases: ['Running', 'Running', 'Running'],
        levels: levelsPerPod(100, 100),
        target: 50,
      },
      2,
      10,
      200,
    ],
  ])('given %s, should propose the upstream result', (_name, c, replicas, util, raw) => {
    expectResource(runResource(c), replicas, util, raw);
  });

  it('given a scale-down with missing pods, should explain the rebalance', () => {
    const outcome = runResource({ current: 4, requests: cpu(4), levels: levelsPerPod(400, 95), target: 100 });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.explanation.pods?.missing).toEqual([podName(2), podName(3)]);
    expect(outcome.explanation.rawProposal).toBe(1);
    expect(outcome.explanation.rebalance).toMatchObject({
      missingPodsAs: 'target',
      unreadyPodsAsZero: false,
      newReplicas: 3,
    });
    expect(outcome.explanation.rebalance?.newUsageRatio).toBeCloseTo(0.62);
  });

  it('given no pod metrics at all, should fail with FailedGetResourceMetric', () => {
    const outcome = runResource({ current: 4, requests: cpu(3), levels: [], target: 100 });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toBe('FailedGetResourceMetric');
    expect(outcome.eventMessage).toBe(
      'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    expect(outcome.error).toBe(`failed to get cpu resource metric value: ${outcome.eventMessage}`);
  });

  it('given metrics only for pods that are not selected, should fail like an empty metrics list (PodMetrics carry no labels in the port)', () => {
    const outcome = runResource({
      current: 1,
      requests: cpu(1),
      levels: levelsPerPod(100),
      target: 100,
      metricPodNames: ['an-older-pod-name'],
    });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.eventMessage).toContain('no metrics returned from resource metrics API');
  });

  it('given requests that sum to zero, should fail with "no metrics returned matched known pods"', () => {
    const outcome = runResource({ current: 1, requests: ['0'], levels: levelsPerPod(100), target: 100 });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.eventMessage).toContain('no metrics returned matched known pods');
  });

  it('given a container without a CPU request, should fail with "missing request for"', () => {
    const outcome = runResource({ current: 1, requests: [], levels: levelsPerPod(200), target: 100 });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.eventMessage).toContain(
        'missing request for cpu in container container1 of Pod test-pod-0',
      );
  });

  it('given only unready pods have metrics, should fail with "did not receive metrics for targeted pods"', () => {
    const outcome = runResource({
      current: 2,
      requests: cpu(2),
      readiness: ['False', 'False'],
      levels: levelsPerPod(100, 100),
      target: 50,
    });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.eventMessage).toContain(
        'did not receive metrics for targeted pods (pods might be unready)',
      );
  });

  it('given no selected pods, should fail with "no pods returned by selector"', () => {
    const outcome = runResource({ current: 0, requests: [], levels: [], target: 50 });
    expect(outcome.ok).toBe(false);
  });
});

function plain(
  current: number,
  values: number[],
  target: number,
  extra: {
    readiness?: ('True' | 'False')[];
    count?: number;
    startTimes?: number[];
    tolerances?: Tolerances;
  } = {},
) {
  const pods = makePods({
    count: extra.count ?? current,
    ...(extra.readiness ? { readiness: extra.readiness } : {}),
    ...(extra.startTimes ? { startTimes: extra.startTimes } : {}),
  });
  return plainMetricReplicas({
    currentReplicas: current,
    targetUsage: target,
    tolerances: extra.tolerances ?? DEFAULT_TOLERANCES,
    pods,
    metrics: samples(values, { timestamp: NOW }),
    readiness: TEST_READINESS,
    now: NOW,
  });
}

describe('GetMetricReplicas (Pods metrics)', () => {
  it.each<[string, ReturnType<typeof plain>, number, number]>([
    ['scale up', plain(3, [20000, 10000, 30000], 15000), 4, 20000],
    [
      'scale up: readiness does not matter for custom metrics',
      plain(3, [50000, 10000, 30000], 15000, {
        readiness: ['True', 'True', 'False'],
        startTimes: [COOL, COOL, HOT],
      }),
      6,
      30000,
    ],
    [
      'scale up: unready hot-CPU pods still count for custom metrics',
      plain(3, [50000, 15000, 30000], 15000, {
        readiness: ['False', 'True', 'False'],
        startTimes: [HOT, COOL, HOT],
      }),
      7,
      31666,
    ],
    ['scale down', plain(5, [12000, 12000, 12000, 12000, 12000], 20000), 3, 12000],
    ['within default tolerance', plain(3, [20000, 21000, 21000], 20000), 3, 20666],
    [
      'outside configurable 1% tolerance',
      plain(3, [20000, 21000, 21000], 20000, { tolerances: { scaleDown: 0.1, scaleUp: 0.01 } }),
      4,
      20666,
    ],
    ['no change: missing metrics at a ratio of exactly 1', plain(5, [20000, 19000, 21000], 20000), 5, 20000],
    [
      'rolling update with maxSurge: extra pod missing its metric',
      plain(2, [10000, 10000], 17000, { count: 3 }),
      2,
      10000,
    ],
  ])('given %s, should propose %#', (_name, calc, replicas, usage) => {
    expect(calc.proposal).toBe(replicas);
    expect(calc.usage).toBe(usage);
  });

  it('given the maxSurge case, should say the rebalanced count moved against the ratio', () => {
    expect(plain(2, [10000, 10000], 17000, { count: 3 }).rebalance).toMatchObject({
      missingPodsAs: 'target',
      newReplicas: 3,
      keptCurrent: 'replicaDirectionChanged',
    });
  });
});

describe('GetObjectMetricReplicas (Value) and scale from zero', () => {
  const object = (
    current: number,
    usage: number,
    target: number,
    extra: { readiness?: ('True' | 'False')[]; tolerances?: Tolerances } = {},
  ) =>
    objectValueReplicas({
      currentReplicas: current,
      usage,
      targetUsage: target,
      tolerances: extra.tolerances ?? DEFAULT_TOLERANCES,
      pods: makePods({ count: current, ...(extra.readiness ? { readiness: extra.readiness } : {}) }),
    });

  it.each<[string, ReturnType<typeof object>, number]>([
    ['scale up', object(3, 20000, 15000), 4],
    ['scale up: a huge value saturates at int32 max', object(3, INT64_MAX, 1), MAX_REPLICAS],
    [
      'scale up: only ready pods count',
      object(3, 50000, 10000, { readiness: ['False', 'True', 'False'] }),
      5,
    ],
    ['scale down', object(5, 12000, 20000), 3],
    ['within default tolerance', object(3, 20666, 20000), 3],
    [
      'outside configurable 1% tolerance',
      object(3, 20666, 20000, { tolerances: { scaleDown: 0.1, scaleUp: 0.01 } }),
      4,
    ],
    ['zero replicas and a zero value: stays at zero', object(0, 0, 1000), 0],
    ['zero replicas and 1.5× the target: ceil(1.5) = 2', object(0, 1500, 1000), 2],
  ])('given %s, should propose %#', (_name, calc, replicas) => {
    expect(calc.proposal).toBe(replicas);
  });

  it('given a value outside tolerance and no pods, should fail to count ready pods', () => {
    expect(() =>
      objectValueReplicas({
        currentReplicas: 2,
        usage: 5000,
        targetUsage: 1000,
        tolerances: DEFAULT_TOLERANCES,
        pods: [],
      }),
    ).toThrow(ReplicaCalcError);
  });
});

describe('GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas (AverageValue)', () => {
  const perPod = (
    status: number,
    total: number,
    target: number,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
  ) => perPodValueReplicas({ statusReplicas: status, total, targetPerPod: target, tolerances });

  it.each<[string, ReturnType<typeof perPod>, number, number]>([
    ['object: scale up', perPod(3, 20000, 5000), 4, 6667],
    ['object: scale down', perPod(5, 6000, 2000), 3, 1200],
    ['object: within default tolerance', perPod(4, 20166, 5000), 4, 5042],
    [
      'object: outside configurable 1% tolerance',
      perPod(4, 20208, 5000, { scaleDown: 0.1, scaleUp: 0.01 }),
      5,
      5052,
    ],
    ['external: scale up', perPod(3, 8600, 2150), 4, 2867],
    ['external: scale down', perPod(5, 8600, 2867), 3, 1720],
    ['external: within default tolerance', perPod(3, 8600, 2900), 3, 2867],
    [
      'external: outside configurable 1% tolerance',
      perPod(3, 8600, 2800, { scaleDown: 0.1, scaleUp: 0.01 }),
      4,
      2867,
    ],
    [
      'external: replica count overflow saturates to int32 max',
      perPod(1, INT64_MAX, 1),
      MAX_REPLICAS,
      INT64_MAX,
    ],
    [
      'external: usage overflow with huge target leaves replicas unchanged',
      perPod(1, INT64_MAX, INT64_MAX),
      1,
      INT64_MAX,
    ],
  ])('given %s, should propose %# with the upstream average', (_name, calc, replicas, usage) => {
    expect(calc.proposal).toBe(replicas);
    expect(calc.usage).toBe(usage);
  });
});

describe('GetExternalMetricReplicas (Value: sum of series)', () => {
  const external = (
    current: number,
    values: number[],
    target: number,
    extra: { readiness?: ('True' | 'False')[]; tolerances?: Tolerances } = {},
  ) =>
    externalValueReplicas({
      currentReplicas: current,
      values,
      targetUsage: target,
      tolerances: extra.tolerances ?? DEFAULT_TOLERANCES,
      pods: makePods({ count: current, ...(extra.readiness ? { readiness: extra.readiness } : {}) }),
    });

  it.each<[string, ReturnType<typeof external>, number, number]>([
    [
      'only ready pods count (would be 6 otherwise)',
      external(3, [8600], 4400, { readiness: ['False', 'True', 'False'] }),
      2,
      8600,
    ],
    ['scale down', external(5, [8600], 14334), 3, 8600],
    ['within default tolerance', external(3, [8600], 8888), 3, 8600],
    [
      'outside configurable 1% tolerance',
      external(3, [8900], 8800, { tolerances: { scaleDown: 0.1, scaleUp: 0.01 } }),
      4,
      8900,
    ],
    ['several series are summed', external(2, [1000, 2000, 3000], 1500), 8, 6000],
    [
      'usage overflow caps at int64 max',
      external(3, [INT64_MAX / 2 + 1, INT64_MAX / 2 + 1], INT64_MAX),
      3,
      INT64_MAX,
    ],
  ])('given %s, should propose %#', (_name, calc, replicas, usage) => {
    expect(calc.proposal).toBe(replicas);
    expect(calc.usage).toBe(usage);
  });
});
