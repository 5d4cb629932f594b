/**
 * The simulator's memory model and OOM killer (shared/sim/memory-need.ts, shared/sim/oom-killer.ts):
 * when a container is killed, how the kubelet's back-off spaces its restarts, and what its status says.
 */
import { describe, expect, it } from 'vitest';
import { type MemoryNeed, memoryUsageBytes } from '../../../shared/sim/memory-need';
import {
  CRASH_LOOP_BACKOFF,
  containerStatusesOf,
  crashLoopBackoffMs,
  OOM_CHECK_MS,
  OOM_SCAN_HORIZON_MS,
  OomKiller,
  runUsageBytes,
  startRun,
} from '../../../shared/sim/oom-killer';

const MiB = 2 ** 20;
const T0 = Date.UTC(2026, 0, 1);
const owner = { namespace: 'shop', pod: 'cache-0', workload: 'shop/cache' };

/** 800 MiB until `stepAt`, then `factor` times that. */
function stepNeed(stepAt: number, factor: number, fillSeconds = 120): MemoryNeed {
  return { needMi: (t) => (t < stepAt ? 800 : 800 * factor), fillSeconds, startFraction: 0.2 };
}

describe('memory need', () => {
  it('should grow the working set from a fifth of the need to the need over the fill time, then follow it', () => {
    const need = stepNeed(T0 + 3_600_000, 2);
    const mi = (t: number) => memoryUsageBytes(need, T0, t) / MiB;
    expect(mi(T0)).toBeCloseTo(160);
    expect(mi(T0 + 60_000)).toBeCloseTo(480);
    expect(mi(T0 + 120_000)).toBeCloseTo(800);
    expect(mi(T0 + 3_600_000)).toBeCloseTo(1600);
  });
});

describe('OOM killer', () => {
  it('given a need below the limit, should never kill, only look ahead again at the horizon', () => {
    const killer = new OomKiller<string>();
    const run = startRun('cache', stepNeed(Number.POSITIVE_INFINITY, 1), 1000 * MiB, T0);
    killer.track('p', owner, [run]);
    expect(killer.nextEventAt()).toBe(T0 + OOM_SCAN_HORIZON_MS);
    expect(killer.advance(T0 + 6 * 3_600_000)).toEqual([]);
    expect(killer.log()).toEqual([]);
    expect(run.restartCount).toBe(0);
  });

  it('given a container without a memory limit, should never kill it', () => {
    const run = startRun('cache', stepNeed(T0, 10), undefined, T0);
    expect(run.next.at).toBe(Number.POSITIVE_INFINITY);
  });

  it('given a step of the need above the limit, should kill at once, restart after the back-off and kill again as the working set fills', () => {
    const step = T0 + 3_600_000 + 2_000;
    const killer = new OomKiller<string>();
    const run = startRun('cache', stepNeed(step, 2), 1000 * MiB, T0);
    killer.track('p', owner, [run]);
    const events = killer.advance(step + 60_000);
    // The first kill on the first check after the step; the restart 10 s later starts at 320 MiB and
    // passes 1000 MiB when it has filled (1000 − 320) / 1280 of its 120 s, i.e. after 63.75 s → 65 s.
    const firstKill = T0 + Math.ceil((step - T0) / OOM_CHECK_MS) * OOM_CHECK_MS;
    expect(events.map((e) => [e.kind, e.at])).toEqual([
      ['kill', firstKill],
      ['restart', firstKill + 10_000],
    ]);
    killer.advance(firstKill + 10_000 + 65_000);
    expect(killer.log().map((kill) => kill.time)).toEqual([firstKill, firstKill + 75_000]);
    expect(killer.log()[1]).toMatchObject({
      ...owner,
      container: 'cache',
      limitBytes: 1000 * MiB,
      needBytes: 1600 * MiB,
      restartCount: 2,
      restartAt: firstKill + 75_000 + 20_000,
    });
    // While it waits, metrics-server has nothing from it; once it runs again, it starts at a fifth.
    expect(runUsageBytes(run, firstKill + 80_000)).toBeUndefined();
    killer.advance(firstKill + 95_000);
    expect((runUsageBytes(run, firstKill + 95_000) ?? 0) / MiB).toBeCloseTo(320);
  });

  it('should double the back-off up to 5 min, and start over after 10 min of running', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(crashLoopBackoffMs)).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
    const killer = new OomKiller<string>();
    // Killed about 10 s after each start, for an hour: the delays between kills grow to the cap.
    const run = startRun(
      'cache',
      { needMi: () => 3000, fillSeconds: 60, startFraction: 0.2 },
      1000 * MiB,
      T0,
    );
    killer.track('p', owner, [run]);
    killer.advance(T0 + 3_600_000);
    const gaps = killer
      .log()
      .slice(1)
      .map((kill, i) => kill.time - (killer.log()[i]?.time ?? 0));
    expect(gaps.slice(0, 5)).toEqual([20_000, 30_000, 50_000, 90_000, 170_000]);
    expect(new Set(gaps.slice(6))).toEqual(new Set([CRASH_LOOP_BACKOFF.maxMs + 10_000]));
    expect(run.restartCount).toBe(killer.log().length);

    // A container that ran 10 min before its next kill gets the first delay again.
    const late = startRun('cache', stepNeed(T0 + 20 * 60_000, 2), 1000 * MiB, T0);
    late.backoffSteps = 5;
    const lateKiller = new OomKiller<string>();
    lateKiller.track('q', owner, [late]);
    lateKiller.advance(T0 + 20 * 60_000 + OOM_CHECK_MS);
    expect(lateKiller.log()[0]?.restartAt).toBe(
      (lateKiller.log()[0]?.time ?? 0) + CRASH_LOOP_BACKOFF.initialMs,
    );
  });

  it('should list only restarted containers in the status, with the OOMKilled reason and time', () => {
    // Both have run for an hour (their working sets are full) when the need triples at T0.
    const killed = startRun('cache', stepNeed(T0, 3), 1000 * MiB, T0 - 3_600_000);
    const fine = startRun('sidecar', stepNeed(Number.POSITIVE_INFINITY, 1), 1000 * MiB, T0 - 3_600_000);
    const killer = new OomKiller<string>();
    killer.track('p', owner, [killed, fine]);
    killer.advance(T0 + 1_000);
    expect(containerStatusesOf([killed, fine])).toEqual([
      {
        name: 'cache',
        restartCount: 1,
        lastTerminationReason: 'OOMKilled',
        lastTerminationAt: T0,
        lastTerminationStartedAt: T0 - 3_600_000,
      },
    ]);
  });

  it('given a pod it stopped watching, should play no more of its events and keep its counts', () => {
    const run = startRun('cache', stepNeed(T0, 3), 1000 * MiB, T0 - 3_600_000);
    const killer = new OomKiller<string>();
    killer.track('p', owner, [run]);
    killer.advance(T0);
    killer.stop('p');
    expect(killer.nextEventAt()).toBe(Number.POSITIVE_INFINITY);
    expect(killer.advance(T0 + 3_600_000)).toEqual([]);
    expect(run.restartCount).toBe(1);
  });

  it('should play the events of several pods in time order', () => {
    const killer = new OomKiller<string>();
    const warm = T0 - 3_600_000;
    killer.track('late', { ...owner, pod: 'late' }, [
      startRun('cache', stepNeed(T0 + 30_000, 3), 1000 * MiB, warm),
    ]);
    killer.track('early', { ...owner, pod: 'early' }, [
      startRun('cache', stepNeed(T0 + 10_000, 3), 1000 * MiB, warm),
    ]);
    const kills = killer.advance(T0 + 35_000).filter((event) => event.kind === 'kill');
    expect(kills.map((event) => [event.owner, event.at])).toEqual([
      ['early', T0 + 10_000],
      ['late', T0 + 30_000],
    ]);
  });
});
