/**
 * The control-plane swap decision (shared/controlplane/decision.ts): signals, cooldowns, flapping,
 * unavailable types and jumps, one rule per test.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionInput, decideSwap, reversals } from '../../../shared/controlplane/decision';
import type { SwapHistoryEntry } from '../../../shared/controlplane/swap-record';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const HIGH = { name: 'cp-cpu-high', state: 'ALARM' as const, value: 78, threshold: 70 };
const HIGH_OK = { name: 'cp-cpu-high', state: 'OK' as const };
const LOW = { name: 'cp-cpu-low', state: 'ALARM' as const, value: 12, threshold: 25 };
const LOW_OK = { name: 'cp-cpu-low', state: 'OK' as const };

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    now: NOW,
    current: 'm6i.xlarge',
    upCandidates: ['m6i.2xlarge', 'm6i.4xlarge', 'm6i.8xlarge'],
    downCandidates: ['m6i.large'],
    signals: { high: [HIGH_OK], low: [LOW_OK] },
    history: [],
    unavailable: {},
    farAboveFactor: 1.3,
    jumpSteps: 2,
    cooldownUpMs: 30 * MINUTE,
    cooldownDownMs: 120 * MINUTE,
    flappingWindowMs: 24 * HOUR,
    maxReversals: 2,
    ...overrides,
  };
}

function swapDone(direction: 'up' | 'down', finishedAt: number, from = 'a', to = 'b'): SwapHistoryEntry {
  return {
    id: `s-${finishedAt}`,
    from,
    to,
    direction,
    startedAt: finishedAt - 10 * MINUTE,
    finishedAt,
    outcome: 'done',
  };
}

describe('decideSwap: signals', () => {
  it('should hold while no alarm fires', () => {
    expect(decideSwap(input())).toEqual({
      action: 'hold',
      reason: 'load within bounds (not idle: cp-cpu-low not in ALARM)',
    });
  });

  it('should go one rung up when a high-load alarm fires', () => {
    expect(decideSwap(input({ signals: { high: [HIGH], low: [LOW_OK] } }))).toEqual({
      action: 'swap',
      direction: 'up',
      from: 'm6i.xlarge',
      to: 'm6i.2xlarge',
      steps: 1,
      reason: 'load high: cp-cpu-high (78)',
    });
  });

  it('should go up on API latency above its threshold alone', () => {
    const decision = decideSwap(
      input({ signals: { high: [HIGH_OK], low: [LOW_OK], latency: { seconds: 1.8, thresholdSeconds: 1 } } }),
    );
    expect(decision).toMatchObject({ action: 'swap', direction: 'up', to: 'm6i.2xlarge' });
    expect(decision.reason).toBe('API latency 1.8 s above 1 s');
  });

  it('should jump two rungs when the load is far above the threshold', () => {
    const far = { ...HIGH, value: 91 }; // 91 / 70 = 1.3
    expect(decideSwap(input({ signals: { high: [far], low: [] } }))).toMatchObject({
      action: 'swap',
      to: 'm6i.4xlarge',
      steps: 2,
    });
    const near = { ...HIGH, value: 90 };
    expect(decideSwap(input({ signals: { high: [near], low: [] } }))).toMatchObject({
      to: 'm6i.2xlarge',
      steps: 1,
    });
  });

  it('should go one rung down only when every low-load alarm fires', () => {
    const other = { name: 'cp-latency-low', state: 'OK' as const };
    expect(decideSwap(input({ signals: { high: [HIGH_OK], low: [LOW, other] } }))).toMatchObject({
      action: 'hold',
      reason: 'load within bounds (not idle: cp-latency-low not in ALARM)',
    });
    expect(decideSwap(input({ signals: { high: [HIGH_OK], low: [LOW] } }))).toMatchObject({
      action: 'swap',
      direction: 'down',
      to: 'm6i.large',
      steps: 1,
    });
  });

  it('should never go down while a scale-up condition holds', () => {
    expect(decideSwap(input({ signals: { high: [HIGH], low: [LOW] } }))).toMatchObject({ direction: 'up' });
  });

  it('should treat INSUFFICIENT_DATA as not firing', () => {
    const missing = { name: 'cp-cpu-low', state: 'INSUFFICIENT_DATA' as const };
    expect(decideSwap(input({ signals: { high: [], low: [missing] } })).action).toBe('hold');
  });
});

describe('decideSwap: what holds a swap back', () => {
  const high = { signals: { high: [HIGH], low: [] } };

  it('should hold while another swap runs, saying which way it wanted', () => {
    expect(decideSwap(input({ ...high, blockedBy: 'swap s-1 in progress (replacing)' }))).toEqual({
      action: 'hold',
      wanted: 'up',
      reason: 'load high: cp-cpu-high (78); swap s-1 in progress (replacing)',
    });
  });

  it('should wait 30 minutes after any swap before going up', () => {
    const history = [swapDone('up', NOW - 29 * MINUTE, 'm6i.large', 'm6i.xlarge')];
    expect(decideSwap(input({ ...high, history }))).toMatchObject({
      action: 'hold',
      reason:
        'load high: cp-cpu-high (78); cooling down: last swap (m6i.large → m6i.xlarge, done) 29 min ago, up needs 30 min',
    });
    expect(decideSwap(input({ ...high, history: [swapDone('up', NOW - 30 * MINUTE)] })).action).toBe('swap');
  });

  it('should wait longer before going down', () => {
    const low = { signals: { high: [HIGH_OK], low: [LOW] } };
    expect(decideSwap(input({ ...low, history: [swapDone('up', NOW - 119 * MINUTE)] })).action).toBe('hold');
    expect(decideSwap(input({ ...low, history: [swapDone('up', NOW - 120 * MINUTE)] })).action).toBe('swap');
  });

  it('should try the next rung at once after a rollback (it changed nothing), but not after a failure', () => {
    const rolledBack = [{ ...swapDone('up', NOW - 5 * MINUTE), outcome: 'rolled-back' as const }];
    expect(
      decideSwap(input({ ...high, history: rolledBack, unavailable: { 'm6i.2xlarge': NOW + HOUR } })),
    ).toMatchObject({ action: 'swap', to: 'm6i.4xlarge' });
    const failed = [{ ...swapDone('up', NOW - 5 * MINUTE), outcome: 'failed' as const }];
    expect(decideSwap(input({ ...high, history: failed })).action).toBe('hold');
  });

  it('should stop a third reversal within the flapping window, and allow it once the window passed', () => {
    const history = [
      swapDone('up', NOW - 10 * HOUR),
      swapDone('down', NOW - 7 * HOUR),
      swapDone('up', NOW - 4 * HOUR),
    ];
    expect(reversals(history, NOW - 24 * HOUR)).toBe(2);
    const low = { signals: { high: [HIGH_OK], low: [LOW] } };
    expect(decideSwap(input({ ...low, history }))).toMatchObject({
      action: 'hold',
      wanted: 'down',
      reason: expect.stringContaining('flapping: 2 reversal(s) within 24 h already'),
    });
    // The same direction again is no reversal.
    expect(decideSwap(input({ ...high, history })).action).toBe('swap');
    // A day later the first two are out of the window.
    const later = input({ ...low, history, now: NOW + 15 * HOUR });
    expect(decideSwap(later).action).toBe('swap');
  });

  it('should skip types that recently failed and try the next rung', () => {
    const unavailable = { 'm6i.2xlarge': NOW + 10 * MINUTE };
    expect(decideSwap(input({ ...high, unavailable }))).toMatchObject({
      action: 'swap',
      to: 'm6i.4xlarge',
      reason: 'load high: cp-cpu-high (78); skipping recently failed m6i.2xlarge',
    });
    expect(decideSwap(input({ ...high, unavailable: { 'm6i.2xlarge': NOW - 1 } }))).toMatchObject({
      to: 'm6i.2xlarge',
    });
  });

  it('should hold at the top of the ladder and when every candidate failed', () => {
    expect(decideSwap(input({ ...high, upCandidates: [] }))).toMatchObject({
      action: 'hold',
      reason: 'load high: cp-cpu-high (78); m6i.xlarge is at the top of the ladder (or the ceiling)',
    });
    expect(
      decideSwap(input({ ...high, upCandidates: ['m6i.2xlarge'], unavailable: { 'm6i.2xlarge': NOW + 1 } })),
    ).toMatchObject({
      action: 'hold',
      reason: expect.stringContaining('every candidate recently failed (m6i.2xlarge)'),
    });
  });

  it('should jump as far as the ladder goes when fewer rungs are left than the jump', () => {
    const far = { signals: { high: [{ ...HIGH, value: 99 }], low: [] } };
    expect(decideSwap(input({ ...far, upCandidates: ['m6i.2xlarge'] }))).toMatchObject({
      to: 'm6i.2xlarge',
      steps: 2,
    });
  });
});
