/**
 * The timeline of decisions (shared/sim/timeline.ts): which recorded decisions land in which lane, and
 * the chart drawn from them.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../../shared/sim/result';
import {
  renderTimelineChart,
  TIMELINE_CHART_TITLE,
  timelineEvents,
  usedLanes,
} from '../../../shared/sim/timeline';

const START = Date.UTC(2026, 5, 1, 22, 0, 0);
const MIN = 60_000;

const result = {
  scenario: { start: START },
  nodePools: {
    decisions: [
      {
        time: START + 30 * MIN,
        kind: 'scale-up',
        pool: 'default',
        asgName: 'default-a',
        zone: 'a',
        from: 3,
        to: 5,
        pods: 9,
        result: 'applied',
      },
      {
        time: START + 31 * MIN,
        kind: 'scale-up',
        pool: 'default',
        asgName: 'default-b',
        zone: 'b',
        from: 3,
        to: 4,
        pods: 2,
        result: 'would-apply',
      },
      {
        time: START + 20 * MIN,
        kind: 'failure',
        pool: 'default',
        asgName: 'default-c',
        failure: 'capacity',
        message: 'x',
        backedOffUntil: START,
      },
      {
        time: START + 90 * MIN,
        kind: 'scale-up',
        pool: 'default',
        asgName: 'default-c',
        zone: 'c',
        from: 0,
        to: 1,
        pods: 3,
        result: 'applied',
        rebalance: true,
      },
      { time: START + 120 * MIN, kind: 'drain-started', pool: 'fallback', node: 'n-1', reason: 'unneeded' },
    ],
  },
  controlPlane: {
    swaps: [{ startedAt: START + 60 * MIN, direction: 'up', from: 'm6i.xlarge', to: 'm6i.2xlarge' }],
  },
  vpa: { templatePatches: [{ time: START + 45 * MIN, workload: 'monitoring/prometheus' }] },
  quotas: { requests: [{ createdAt: START + 5 * MIN, quotaCode: 'L-1216C47A', desiredValue: 1296 }] },
} as unknown as SimulationResult;

describe('timelineEvents', () => {
  it('should put each applied decision of every loop in its lane, oldest first, and leave out what was not applied', () => {
    const events = timelineEvents(result);
    expect(events.map((e) => [(e.time - START) / MIN, e.lane])).toEqual([
      [5, 'quota request'],
      [20, 'scale-up failed'],
      [30, 'scale-up'],
      [45, 'VPA resize'],
      [60, 'control-plane swap'],
      [90, 'move back'],
      [120, 'drain'],
    ]);
    expect(events[2]?.text).toBe('default-a 3 → 5');
    expect(usedLanes(events).map((l) => l.lane)).not.toContain('spot event');
  });

  it('should draw one row per used lane with a mark per decision', () => {
    const events = timelineEvents(result);
    const svg = renderTimelineChart(
      events,
      { width: 800, height: 250 },
      { start: START, startLocalHour: 0, durationHours: 4 },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(TIMELINE_CHART_TITLE);
    for (const lane of usedLanes(events)) expect(svg).toContain(lane.lane);
    expect(svg).not.toContain('spot event');
  });
});
