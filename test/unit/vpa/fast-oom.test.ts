/**
 * tideplane's fast OOM recovery against upstream's OOM handling, on a workload that used 600 MiB
 * (request 700 MiB) steadily for a week before an OOM kill at NOW.
 *
 * Upstream (`oomPolicy: 'upstream'`, container.go RecordOOM): one synthetic 840 MiB peak (700 × 1.2).
 * With one replica it is half the recent memory weight and the target follows (840 MiB bucket end
 * 903203073 B + 15% = 1038683533 B); with ten replicas it is one peak in ten and the target does not move
 * (600 MiB bucket end + 15% = 764046746 B).
 * Fast (default): floor = max(700 MiB × 2, 700 MiB + 100 MiB) = 1400 MiB, whatever the replica count.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerAggregateState } from '../../../shared/vpa/container-state';
import {
  DEFAULT_RECOMMENDER_OPTIONS,
  type RecommenderOptions,
  UPSTREAM_RECOMMENDER_OPTIONS,
} from '../../../shared/vpa/options';
import {
  type ContainerUsageSample,
  ingestContainer,
  type OomEvent,
  recommendVpa,
} from '../../../shared/vpa/recommender';
import { DAY, HOUR, MINUTE, MiB } from './fixtures';

const NOW = Date.parse('2024-06-10T12:00:00Z');
const REQUEST = 700 * MiB;
const STEADY_TARGET = 764_046_746;
const UPSTREAM_ONE_REPLICA_TARGET = 1_038_683_533;

function pods(replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `web-${i}`);
}

function steadyWeek(replicas: number): ContainerAggregateState {
  const samples: ContainerUsageSample[] = [];
  for (let at = NOW - 7 * DAY + 5 * MINUTE; at <= NOW; at += 5 * MINUTE) {
    for (const pod of pods(replicas)) samples.push({ pod, at, cpuMillicores: 500, memoryBytes: 600 * MiB });
  }
  return ingestContainer(undefined, { samples }, NOW).state;
}

function oom(pod: string, at: number, memoryBytes = REQUEST, containerStartedAt?: number): OomEvent {
  const event: OomEvent = { pod, at, reason: 'OOMKilled', memoryBytes };
  if (containerStartedAt !== undefined) event.containerStartedAt = containerStartedAt;
  return event;
}

function step(
  state: ContainerAggregateState,
  now: number,
  ooms: OomEvent[] = [],
  options: RecommenderOptions = DEFAULT_RECOMMENDER_OPTIONS,
) {
  const result = recommendVpa({ now, options, containers: [{ name: 'app', state, ooms }] }).containers[0];
  if (result === undefined) throw new Error('no result');
  return result;
}

describe('OOM policies compared', () => {
  it('upstream: one OOM moves the target with one replica but not with ten', () => {
    const one = step(steadyWeek(1), NOW, [oom('web-0', NOW)], UPSTREAM_RECOMMENDER_OPTIONS);
    expect(one.ooms[0]?.upstreamSampleBytes).toBe(840 * MiB);
    expect(one.recommendation?.target.memory).toBe(UPSTREAM_ONE_REPLICA_TARGET);
    const ten = step(steadyWeek(10), NOW, [oom('web-0', NOW)], UPSTREAM_RECOMMENDER_OPTIONS);
    expect(ten.recommendation?.target.memory).toBe(STEADY_TARGET);
    expect(ten.state.oom.floorBytes).toBeUndefined();
  });

  it('fast: one OOM raises target and bounds to 1400 MiB with one replica and with ten', () => {
    for (const replicas of [1, 10]) {
      const result = step(steadyWeek(replicas), NOW, [oom('web-0', NOW)]);
      expect(result.ooms[0]?.fast).toEqual({
        kind: 'escalated',
        level: 1,
        ratio: 2,
        floorBytes: 1400 * MiB,
        holdUntil: NOW + DAY,
      });
      expect(result.recommendation?.target.memory).toBe(1400 * MiB);
      expect(result.recommendation?.lowerBound.memory).toBe(1400 * MiB);
      expect(result.recommendation?.upperBound.memory).toBeGreaterThanOrEqual(1400 * MiB);
      expect(result.reasons.find((r) => r.code === 'OomFloor')).toMatchObject({ floorBytes: 1400 * MiB });
    }
  });
});

describe('fast OOM policy', () => {
  it('given ten replicas killed by the same step, should escalate once and count the rest as covered', () => {
    const ooms = pods(10).map((pod, i) => oom(pod, NOW - 10 * MINUTE + i * MINUTE));
    const result = step(steadyWeek(10), NOW, ooms);
    expect(result.ooms.map((o) => o.fast?.kind)).toEqual(['escalated', ...Array(9).fill('covered')]);
    expect(result.state.oom.floorBytes).toBe(1400 * MiB);
    expect(result.state.oom.level).toBe(1);
    expect(result.recommendation?.target.memory).toBe(1400 * MiB);
  });

  it('given repeated OOMs at the raised request, should grow the ratio 2 → 2.5 → 3 → 3', () => {
    let state = step(steadyWeek(1), NOW, [oom('web-0', NOW)]).state;
    const floors = [state.oom.floorBytes];
    let request = 1400 * MiB;
    for (let i = 1; i <= 3; i++) {
      const at = NOW + i * HOUR;
      state = step(state, at, [oom('web-0', at, request)]).state;
      floors.push(state.oom.floorBytes);
      request = state.oom.floorBytes ?? 0;
    }
    expect(floors).toEqual([1400 * MiB, 3500 * MiB, 10_500 * MiB, 31_500 * MiB]);
    expect(state.oom.level).toBe(4);
  });

  // The goal: a step of up to 4× in memory need costs at most two OOM kills.
  it('given a 4× step in need, should cover it after two OOM kills', () => {
    const need = 4 * REQUEST;
    const first = step(steadyWeek(10), NOW, [oom('web-0', NOW)]);
    const raised = first.recommendation?.target.memory ?? 0;
    expect(raised).toBeLessThan(need);
    const second = step(first.state, NOW + 2 * HOUR, [oom('web-3', NOW + 2 * HOUR, raised)]);
    expect(second.recommendation?.target.memory).toBe(3500 * MiB);
    expect(second.recommendation?.target.memory).toBeGreaterThan(need);
  });

  it('should hold memory for 24 h after the last OOM, then fall back to the histogram', () => {
    const afterOom = step(steadyWeek(1), NOW, [oom('web-0', NOW)]);
    const duringHold = step(afterOom.state, NOW + 23 * HOUR);
    expect(duringHold.recommendation?.target.memory).toBe(1400 * MiB);
    const afterHold = step(duringHold.state, NOW + DAY);
    expect(afterHold.state.oom.floorBytes).toBeUndefined();
    expect(afterHold.reasons.some((r) => r.code === 'OomFloor')).toBe(false);
    // The histogram still holds upstream's 840 MiB OOM peak, so the target is upstream's.
    expect(afterHold.recommendation?.target.memory).toBe(UPSTREAM_ONE_REPLICA_TARGET);
  });

  it('while holding, should never lower the memory target below the highest one recommended', () => {
    const afterOom = step(steadyWeek(1), NOW, [oom('web-0', NOW)]);
    // Usage jumps to 2 GiB: the histogram alone now asks for more than the floor.
    const spike = recommendVpa({
      now: NOW + HOUR,
      containers: [
        {
          name: 'app',
          state: afterOom.state,
          samples: [{ pod: 'web-0', at: NOW + HOUR, memoryBytes: 2048 * MiB }],
        },
      ],
    }).containers[0];
    const spikeTarget = spike?.recommendation?.target.memory ?? 0;
    expect(spikeTarget).toBeGreaterThan(1400 * MiB);
    expect(spike?.state.oom.floorBytes).toBe(spikeTarget);
    // A covered OOM of a pod still at the old request extends the hold without escalating.
    const later = step(spike?.state ?? afterOom.state, NOW + 20 * HOUR, [oom('web-0', NOW + 20 * HOUR)]);
    expect(later.ooms[0]?.fast?.kind).toBe('covered');
    expect(later.state.oom.holdUntil).toBe(NOW + 44 * HOUR);
    expect(later.recommendation?.target.memory).toBeGreaterThanOrEqual(spikeTarget);
  });

  it('given an OOM after the escalation window closed, should start again at the first ratio', () => {
    const options: RecommenderOptions = {
      ...DEFAULT_RECOMMENDER_OPTIONS,
      fastOom: { ...DEFAULT_RECOMMENDER_OPTIONS.fastOom, escalationWindowMs: HOUR },
    };
    const first = step(steadyWeek(1), NOW, [oom('web-0', NOW)], options);
    const at = NOW + 2 * HOUR;
    const second = step(first.state, at, [oom('web-0', at, 1400 * MiB)], options);
    expect(second.ooms[0]?.fast).toMatchObject({
      kind: 'escalated',
      level: 1,
      ratio: 2,
      floorBytes: 2800 * MiB,
    });
  });

  it('given the same kill reported on every tick, should apply it once', () => {
    const first = step(steadyWeek(1), NOW, [oom('web-0', NOW)]);
    const again = step(first.state, NOW + MINUTE, [oom('web-0', NOW)]);
    expect(again.ooms[0]?.status).toBe('duplicate');
    expect(again.state.oom.level).toBe(1);
    expect(again.state.oom.floorBytes).toBe(1400 * MiB);
  });

  it('given a kill older than the horizon, should ignore it', () => {
    const result = step(steadyWeek(1), NOW, [oom('web-0', NOW - 25 * HOUR)]);
    expect(result.ooms[0]?.status).toBe('stale');
    expect(result.state.oom.floorBytes).toBeUndefined();
  });

  it('should flag pods killed within 10 min of their start for an immediate update', () => {
    const result = step(steadyWeek(3), NOW, [
      oom('web-0', NOW, REQUEST, NOW - 3 * MINUTE),
      oom('web-1', NOW, REQUEST, NOW - 30 * MINUTE),
    ]);
    expect(result.ooms.map((o) => o.quick)).toEqual([true, false]);
    expect(result.quickOomPods).toEqual(['web-0']);
  });

  it('given an eviction for memory pressure, should bump from the reported usage', () => {
    const eviction: OomEvent = { pod: 'web-0', at: NOW, reason: 'Evicted', memoryBytes: 900 * MiB };
    const result = step(steadyWeek(1), NOW, [eviction]);
    expect(result.state.oom.floorBytes).toBe(1800 * MiB);
  });
});
