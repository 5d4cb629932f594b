/** storeScaleEvent / markScaleEventsOutdated / recordInitialRecommendation, as upstream keeps them. */
import { describe, expect, it } from 'vitest';
import {
  emptyHistory,
  hpaHistorySchema,
  initHistory,
  pruneRecommendations,
  recordRescale,
  replicasChangedWithin,
} from '../../../shared/hpa/history';
import type { DefaultedBehavior } from '../../../shared/hpa/spec';
import { historyWith, NOW } from './fixtures';

const behavior: DefaultedBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 60 },
    ],
  },
  scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 600 }] },
};

describe('initHistory', () => {
  it('given no stored history, should record the current replicas as the first recommendation', () => {
    expect(initHistory(undefined, NOW, 4)).toEqual({
      recommendations: [{ timestamp: NOW, replicas: 4 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
    });
  });

  it('given a stored history (even an empty one), should keep it as it is', () => {
    expect(initHistory(emptyHistory(), NOW, 4)).toEqual(emptyHistory());
  });
});

describe('recordRescale', () => {
  it('given no behavior, should record no event (upstream keeps none)', () => {
    expect(recordRescale(emptyHistory(), undefined, NOW, 2, 6)).toEqual(emptyHistory());
  });

  it('given a scale-up, should append the positive change', () => {
    expect(recordRescale(emptyHistory(), behavior, NOW, 2, 6).scaleUpEvents).toEqual([
      { timestamp: NOW, replicaChange: 4, outdated: false },
    ]);
  });

  it('given a scale-down, should append the absolute change to the scale-down events', () => {
    expect(recordRescale(emptyHistory(), behavior, NOW, 6, 2).scaleDownEvents).toEqual([
      { timestamp: NOW, replicaChange: 4, outdated: false },
    ]);
  });

  it('given events older than the longest policy period of the direction, should mark them outdated and reuse the last slot', () => {
    // Longest scale-up period is 60 s: the events 100 s and 90 s ago are outdated, 30 s ago is not.
    const history = historyWith([], {
      up: [
        [100, 1],
        [30, 2],
        [90, 3],
      ],
    });
    expect(recordRescale(history, behavior, NOW, 5, 7).scaleUpEvents).toEqual([
      { timestamp: NOW - 100_000, replicaChange: 1, outdated: true },
      { timestamp: NOW - 30_000, replicaChange: 2, outdated: false },
      { timestamp: NOW, replicaChange: 2, outdated: false },
    ]);
  });

  it('given a scale-up event that a longer scale-down period still reads, should still reuse its slot as upstream does', () => {
    const history = historyWith([], { up: [[120, 3]] });
    const next = recordRescale(history, behavior, NOW, 5, 6);
    expect(next.scaleUpEvents).toEqual([{ timestamp: NOW, replicaChange: 1, outdated: false }]);
    expect(replicasChangedWithin(next.scaleUpEvents, NOW, 600)).toBe(1);
  });

  it('given no change, should record nothing', () => {
    expect(recordRescale(emptyHistory(), behavior, NOW, 3, 3)).toEqual(emptyHistory());
  });
});

describe('pruneRecommendations and replicasChangedWithin', () => {
  it('given recommendations older than the window, should drop them and keep the edge', () => {
    const pruned = pruneRecommendations(
      historyWith([
        [301, 1],
        [300, 2],
        [10, 3],
      ]),
      NOW,
      300,
    );
    expect(pruned.recommendations.map((r) => r.replicas)).toEqual([2, 3]);
  });

  it('given events at and inside the period edge, should count only those strictly inside', () => {
    const events = historyWith([], {
      up: [
        [60, 5],
        [59, 2],
        [1, 1],
      ],
    }).scaleUpEvents;
    expect(replicasChangedWithin(events, NOW, 60)).toBe(3);
  });
});

describe('hpaHistorySchema', () => {
  it('given stored JSON without optional parts, should fill them', () => {
    expect(
      hpaHistorySchema.parse({
        recommendations: [{ timestamp: 1, replicas: 2 }],
        scaleUpEvents: [{ timestamp: 1, replicaChange: 1 }],
      }),
    ).toEqual({
      recommendations: [{ timestamp: 1, replicas: 2 }],
      scaleUpEvents: [{ timestamp: 1, replicaChange: 1, outdated: false }],
      scaleDownEvents: [],
    });
  });

  it('given a history, should survive a JSON round trip unchanged', () => {
    const history = recordRescale(historyWith([[10, 3]], { down: [[5, 1]] }), behavior, NOW, 3, 5);
    expect(hpaHistorySchema.parse(JSON.parse(JSON.stringify(history)))).toEqual(history);
  });
});
