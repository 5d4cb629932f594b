/**
 * Stabilization and rate limits, as upstream's normalizeDesiredReplicas / ...WithBehaviors,
 * calculateScaleUpLimit and the policy tables of horizontal_test.go (TestScalingWithRules,
 * TestNormalizeDesiredReplicasWithBehavior, TestConvertDesiredReplicasWithRules).
 */
import { describe, expect, it } from 'vitest';
import { emptyHistory, type HpaHistory } from '../../../shared/hpa/history';
import {
  calculateScaleUpLimit,
  convertDesiredReplicasWithRules,
  normalizeDesiredReplicas,
} from '../../../shared/hpa/normalize';
import type { DefaultedBehavior, DefaultedScalingRules } from '../../../shared/hpa/spec';
import type { HPAScalingPolicy } from '../../../shared/ports/autoscaling-v2';
import { historyWith, NOW } from './fixtures';

const pods = (value: number, periodSeconds: number): HPAScalingPolicy => ({
  type: 'Pods',
  value,
  periodSeconds,
});
const pct = (value: number, periodSeconds: number): HPAScalingPolicy => ({
  type: 'Percent',
  value,
  periodSeconds,
});

function behavior(
  up: Partial<DefaultedScalingRules> = {},
  down: Partial<DefaultedScalingRules> = {},
): DefaultedBehavior {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [pods(4, 15), pct(100, 15)],
      ...up,
    } as DefaultedBehavior['scaleUp'],
    scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [pct(100, 15)], ...down },
  };
}

function normalize(args: {
  current: number;
  proposed: number;
  min?: number;
  max?: number;
  behavior?: DefaultedBehavior;
  history?: HpaHistory;
  downscale?: number;
}) {
  return normalizeDesiredReplicas({
    history: args.history ?? emptyHistory(),
    now: NOW,
    currentReplicas: args.current,
    proposedReplicas: args.proposed,
    minReplicas: args.min ?? 1,
    maxReplicas: args.max ?? 100,
    behavior: args.behavior,
    downscaleStabilizationSeconds: args.downscale ?? 300,
  });
}

describe('without behavior', () => {
  it.each([
    [1, 4],
    [2, 4],
    [3, 6],
    [10, 20],
  ])('given %d current replicas, should limit scale-up to %d (max(2 × current, 4))', (current, limit) => {
    expect(calculateScaleUpLimit(current)).toBe(limit);
  });

  it.each([
    [3, 20, 1, 30, 6, 'ScaleUpLimit'],
    [3, 20, 1, 5, 5, 'TooManyReplicas'],
    [3, 1, 2, 10, 2, 'TooFewReplicas'],
    [3, 5, 1, 10, 5, 'DesiredWithinRange'],
    [0, 3, 0, 10, 3, 'DesiredWithinRange'],
  ])(
    'given current %d and desired %d in [%d, %d], should set %d (%s)',
    (current, desired, min, max, expected, reason) => {
      const result = convertDesiredReplicasWithRules(current, desired, min, max);
      expect(result.replicas).toBe(expected);
      expect(result.reason).toBe(reason);
    },
  );

  it('given recent higher recommendations, should hold the highest (ScaleDownStabilized) and record the new one', () => {
    const result = normalize({
      current: 5,
      proposed: 2,
      history: historyWith([
        [120, 5],
        [60, 4],
      ]),
    });
    expect(result.desiredReplicas).toBe(5);
    expect(result.ableToScale.reason).toBe('ScaleDownStabilized');
    expect(result.scalingLimited).toEqual({
      status: 'False',
      reason: 'DesiredWithinRange',
      message: 'the desired count is within the acceptable range',
    });
    expect(result.history.recommendations).toEqual([
      { timestamp: NOW - 120_000, replicas: 5 },
      { timestamp: NOW - 60_000, replicas: 4 },
      { timestamp: NOW, replicas: 2 },
    ]);
  });

  it('given a recommendation exactly at the window edge, should still count it; one second older, should drop it', () => {
    expect(normalize({ current: 5, proposed: 2, history: historyWith([[300, 5]]) }).desiredReplicas).toBe(5);
    const older = normalize({ current: 5, proposed: 2, history: historyWith([[301, 5]]) });
    expect(older.desiredReplicas).toBe(2);
    expect(older.ableToScale.reason).toBe('ReadyForNewScale');
    expect(older.history.recommendations).toEqual([{ timestamp: NOW, replicas: 2 }]);
  });

  it('given a window of 0, should scale down at once', () => {
    expect(
      normalize({ current: 5, proposed: 2, downscale: 0, history: historyWith([[1, 5]]) }).desiredReplicas,
    ).toBe(2);
  });

  it('given stabilization above max, should clamp and report ScalingLimited True', () => {
    const result = normalize({ current: 8, proposed: 3, max: 6, history: historyWith([[10, 9]]) });
    expect(result.desiredReplicas).toBe(6);
    expect(result.scalingLimited.status).toBe('True');
    expect(result.scalingLimited.reason).toBe('TooManyReplicas');
  });
});

describe('behavior policies (calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors)', () => {
  it.each<
    [
      string,
      {
        current: number;
        proposed: number;
        max?: number;
        min?: number;
        behavior: DefaultedBehavior;
        history?: HpaHistory;
      },
      number,
      string,
    ]
  >([
    [
      'scale up with default behavior (Max of +4 pods and +100%)',
      { current: 5, proposed: 15, behavior: behavior() },
      10,
      'ScaleUpLimit',
    ],
    [
      'scale up from 1 with default behavior (+4 pods wins)',
      { current: 1, proposed: 15, behavior: behavior() },
      5,
      'ScaleUpLimit',
    ],
    [
      'scale up with a Pods policy only',
      { current: 5, proposed: 15, behavior: behavior({ policies: [pods(4, 60)] }) },
      9,
      'ScaleUpLimit',
    ],
    [
      'scale up with a Percent policy only (rounded up)',
      { current: 3, proposed: 15, behavior: behavior({ policies: [pct(10, 60)] }) },
      4,
      'ScaleUpLimit',
    ],
    [
      'scale up with selectPolicy Min',
      {
        current: 5,
        proposed: 15,
        behavior: behavior({ selectPolicy: 'Min', policies: [pods(4, 60), pct(100, 60)] }),
      },
      9,
      'ScaleUpLimit',
    ],
    [
      'scale up with selectPolicy Max',
      {
        current: 5,
        proposed: 15,
        behavior: behavior({ selectPolicy: 'Max', policies: [pods(4, 60), pct(100, 60)] }),
      },
      10,
      'ScaleUpLimit',
    ],
    [
      'scale up disabled',
      { current: 5, proposed: 15, behavior: behavior({ selectPolicy: 'Disabled' }) },
      5,
      'ScaleUpLimit',
    ],
    [
      'scale up limited by maxReplicas',
      { current: 5, proposed: 15, max: 8, behavior: behavior() },
      8,
      'TooManyReplicas',
    ],
    [
      'scale up within the policy',
      { current: 5, proposed: 7, behavior: behavior() },
      7,
      'DesiredWithinRange',
    ],
    [
      'scale up with earlier scale-ups in the period',
      {
        current: 10,
        proposed: 20,
        behavior: behavior({ policies: [pods(4, 60)] }),
        history: historyWith([], { up: [[30, 3]] }),
      },
      11,
      'ScaleUpLimit',
    ],
    [
      'scale up with earlier scale-ups outside the period',
      {
        current: 10,
        proposed: 20,
        behavior: behavior({ policies: [pods(4, 60)] }),
        history: historyWith([], { up: [[61, 3]] }),
      },
      14,
      'ScaleUpLimit',
    ],
    [
      'scale up after a scale-down in the period (the start of the period counts)',
      {
        current: 6,
        proposed: 20,
        behavior: behavior({ policies: [pods(2, 60)] }),
        history: historyWith([], { down: [[30, 4]] }),
      },
      12,
      'ScaleUpLimit',
    ],
    [
      'scale up already past the policy limit (no further scale-up until events age out)',
      {
        current: 10,
        proposed: 20,
        behavior: behavior({ policies: [pods(2, 60)] }),
        history: historyWith([], { up: [[10, 5]] }),
      },
      10,
      'ScaleUpLimit',
    ],
    [
      'scale down with default behavior (100%)',
      { current: 10, proposed: 2, behavior: behavior() },
      2,
      'DesiredWithinRange',
    ],
    [
      'scale down with a Pods policy',
      { current: 10, proposed: 2, behavior: behavior({}, { policies: [pods(2, 60)] }) },
      8,
      'ScaleDownLimit',
    ],
    [
      'scale down with a Percent policy (truncated)',
      { current: 10, proposed: 2, behavior: behavior({}, { policies: [pct(15, 60)] }) },
      8,
      'ScaleDownLimit',
    ],
    [
      'scale down with selectPolicy Min (the smaller change)',
      {
        current: 10,
        proposed: 1,
        behavior: behavior({}, { selectPolicy: 'Min', policies: [pods(2, 60), pct(50, 60)] }),
      },
      8,
      'ScaleDownLimit',
    ],
    [
      'scale down with selectPolicy Max (the larger change)',
      {
        current: 10,
        proposed: 1,
        behavior: behavior({}, { selectPolicy: 'Max', policies: [pods(2, 60), pct(50, 60)] }),
      },
      5,
      'ScaleDownLimit',
    ],
    [
      'scale down disabled',
      { current: 10, proposed: 1, behavior: behavior({}, { selectPolicy: 'Disabled' }) },
      10,
      'ScaleDownLimit',
    ],
    [
      'scale down limited by minReplicas',
      { current: 10, proposed: 1, min: 3, behavior: behavior() },
      3,
      'TooFewReplicas',
    ],
    [
      'scale down with earlier scale-downs in the period',
      {
        current: 8,
        proposed: 1,
        behavior: behavior({}, { policies: [pods(4, 60)] }),
        history: historyWith([], { down: [[20, 2]] }),
      },
      6,
      'ScaleDownLimit',
    ],
    [
      'scale down after a scale-up in the period',
      {
        current: 10,
        proposed: 1,
        behavior: behavior({}, { policies: [pct(20, 60)] }),
        history: historyWith([], { up: [[30, 2]] }),
      },
      6,
      'ScaleDownLimit',
    ],
  ])('given %s, should set %d (%s)', (_name, args, expected, reason) => {
    const result = normalize(args);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.scalingLimited.reason).toBe(reason);
    expect(result.scalingLimited.status).toBe(result.rateLimit.input === expected ? 'False' : 'True');
  });

  it('given policies, should explain each one with its period start and allowance', () => {
    const result = normalize({
      current: 10,
      proposed: 20,
      behavior: behavior({ policies: [pods(4, 60), pct(50, 120)] }),
      history: historyWith([], { up: [[90, 3]], down: [[30, 1]] }),
    });
    expect(result.rateLimit.policies).toEqual([
      {
        type: 'Pods',
        value: 4,
        periodSeconds: 60,
        replicasAddedInPeriod: 0,
        replicasRemovedInPeriod: 1,
        periodStartReplicas: 11,
        allowed: 15,
      },
      {
        type: 'Percent',
        value: 50,
        periodSeconds: 120,
        replicasAddedInPeriod: 3,
        replicasRemovedInPeriod: 1,
        periodStartReplicas: 8,
        allowed: 12,
      },
    ]);
    expect(result.desiredReplicas).toBe(15);
  });
});

describe('behavior stabilization windows', () => {
  it('given a scale-up window with a lower recent recommendation, should hold the lowest (ScaleUpStabilized)', () => {
    const result = normalize({
      current: 3,
      proposed: 6,
      behavior: behavior({ stabilizationWindowSeconds: 60 }),
      history: historyWith([[30, 4]]),
    });
    expect(result.desiredReplicas).toBe(4);
    expect(result.ableToScale.reason).toBe('ScaleUpStabilized');
    expect(result.stabilization.upperLimitFromScaleUpWindow).toBe(4);
  });

  it('given a scale-up window whose recommendations are all below current, should not scale (stays at current)', () => {
    const result = normalize({
      current: 3,
      proposed: 6,
      behavior: behavior({ stabilizationWindowSeconds: 60 }),
      history: historyWith([[30, 2]]),
    });
    expect(result.desiredReplicas).toBe(3);
    expect(result.ableToScale.reason).toBe('ScaleUpStabilized');
  });

  it('given a scale-down window with a higher recent recommendation, should hold the highest (ScaleDownStabilized)', () => {
    const result = normalize({
      current: 8,
      proposed: 2,
      behavior: behavior({}, { stabilizationWindowSeconds: 120 }),
      history: historyWith([
        [100, 6],
        [200, 9],
      ]),
    });
    expect(result.desiredReplicas).toBe(6);
    expect(result.ableToScale.reason).toBe('ScaleDownStabilized');
    expect(result.stabilization.recommendations).toEqual([
      { timestamp: NOW - 100_000, replicas: 6, usedFor: ['scaleDown'] },
    ]);
  });

  it('given an unset scale-down window, should use the controller setting', () => {
    const b = behavior();
    delete b.scaleDown.stabilizationWindowSeconds;
    const result = normalize({
      current: 8,
      proposed: 2,
      behavior: b,
      downscale: 300,
      history: historyWith([[200, 9]]),
    });
    expect(result.stabilization.scaleDownWindowSeconds).toBe(300);
    expect(result.desiredReplicas).toBe(8);
  });

  it('given a recommendation exactly at a behavior window edge, should not count it (strictly after the cutoff)', () => {
    const result = normalize({
      current: 8,
      proposed: 2,
      behavior: behavior({}, { stabilizationWindowSeconds: 100 }),
      history: historyWith([[100, 9]]),
    });
    expect(result.desiredReplicas).toBe(2);
  });

  it('given recommendations older than both windows, should prune them and keep those one window still reads', () => {
    const result = normalize({
      current: 5,
      proposed: 5,
      behavior: behavior({ stabilizationWindowSeconds: 30 }, { stabilizationWindowSeconds: 120 }),
      history: historyWith([
        [500, 1],
        [100, 2],
        [10, 3],
      ]),
    });
    expect(result.history.recommendations.map((r) => r.replicas)).toEqual([2, 3, 5]);
  });
});
