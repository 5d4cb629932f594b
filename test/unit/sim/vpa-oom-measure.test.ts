/** How the VPA OOM experiment reads the kills after a step (measureOomRecovery in vpa-oom-experiment.ts). */
import { describe, expect, it } from 'vitest';
import { measureOomRecovery, STABLE_AFTER_MS } from '../../../shared/sim/vpa-oom-experiment';

const STEP = Date.UTC(2026, 5, 1);
const END = STEP + 24 * 3_600_000;
const MiB = 2 ** 20;
const kill = (afterMs: number, limitMi: number, pod = `cache-${limitMi}`) => ({
  time: STEP + afterMs,
  limitBytes: limitMi * MiB,
  pod,
});

describe('OOM recovery after a step', () => {
  it('should count the kills up to the last one before six kill-free hours, per replica, and the limits they hit', () => {
    const kills = [
      kill(-60_000, 500),
      kill(1_000, 1000, 'a'),
      kill(2_000, 1000, 'b'),
      kill(30_000, 1000, 'a'),
      kill(120_000, 2000, 'c'),
    ];
    expect(measureOomRecovery(kills, STEP, END, 2)).toEqual({
      killsUntilStable: 4,
      killsPerReplica: 2,
      undersizedLimits: 2,
      podsKilled: 3,
      stable: true,
      timeToStableMs: 120_000,
      laterKills: 0,
    });
  });

  it('should count kills after the workload was stable as later kills, not as kills until stable', () => {
    const kills = [kill(1_000, 1000), kill(STABLE_AFTER_MS + 60_000, 2000)];
    expect(measureOomRecovery(kills, STEP, END, 1)).toMatchObject({
      killsUntilStable: 1,
      stable: true,
      laterKills: 1,
    });
  });

  it('given kills until the end of the run, should say it never got stable', () => {
    const kills = Array.from({ length: 30 }, (_, i) => kill(i * 3_600_000, 1000));
    const recovery = measureOomRecovery(kills, STEP, STEP + 30 * 3_600_000, 1);
    expect(recovery).toMatchObject({ killsUntilStable: 30, stable: false, laterKills: 0 });
    expect(recovery.timeToStableMs).toBeUndefined();
  });

  it('given no kill, should be stable at once', () => {
    expect(measureOomRecovery([], STEP, END, 10)).toEqual({
      killsUntilStable: 0,
      killsPerReplica: 0,
      undersizedLimits: 0,
      podsKilled: 0,
      stable: true,
      timeToStableMs: 0,
      laterKills: 0,
    });
  });
});
