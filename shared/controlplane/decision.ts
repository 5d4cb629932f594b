/**
 * Whether the control plane should change size now, and to what: the alarms say whether it is
 * overloaded or idle, the ladder says what is next, and history says whether a swap is allowed yet.
 * Pure: no I/O, time comes in as `now`.
 *
 * - Up when any scale-up signal holds (a high-load alarm in ALARM, API latency above its threshold); two
 *   or more rungs at once when the load is far above its threshold (`farAboveFactor`).
 * - Down when every low-load alarm is in ALARM and no scale-up signal holds; one rung, never below the
 *   floor (the candidates the caller gives already stop there).
 * - Never while a swap runs or a failed one waits for a person; not within the cooldown after the last
 *   swap that changed something (longer before going down; a rolled-back swap changed nothing, so the
 *   next rung may follow at once); not when the swap would reverse direction after `maxReversals`
 *   reversals within the flapping window (up, down, up: two reversals).
 * - Types (or tiers) that recently failed are skipped: the next candidate on the ladder is tried.
 */
import type { AlarmState } from '../ports/alarms';
import type { SwapHistoryEntry } from './swap-record';

export interface AlarmView {
  name: string;
  state: AlarmState;
  /** The latest datapoint and the threshold, when known, for "how far above". */
  value?: number;
  threshold?: number;
}

export interface DecisionSignals {
  high: readonly AlarmView[];
  low: readonly AlarmView[];
  /** API latency from an in-loop query (Prometheus), when configured. */
  latency?: { seconds: number; thresholdSeconds: number };
}

export interface DecisionInput {
  now: number;
  current: string;
  /** Rungs above the current one, nearest first, already cut at the ceiling. */
  upCandidates: readonly string[];
  /** Rungs below the current one, nearest first, already cut at the floor. */
  downCandidates: readonly string[];
  signals: DecisionSignals;
  history: readonly SwapHistoryEntry[];
  /** Type or tier → epoch ms until which it is skipped. */
  unavailable: Readonly<Record<string, number>>;
  /** A swap that has not finished, or failed and waits for a person: why nothing new starts. */
  blockedBy?: string;
  farAboveFactor: number;
  jumpSteps: number;
  cooldownUpMs: number;
  cooldownDownMs: number;
  flappingWindowMs: number;
  maxReversals: number;
}

export type Decision =
  | { action: 'hold'; reason: string; wanted?: 'up' | 'down' }
  | { action: 'swap'; direction: 'up' | 'down'; from: string; to: string; reason: string; steps: number };

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}

function firing(alarms: readonly AlarmView[]): AlarmView[] {
  return alarms.filter((alarm) => alarm.state === 'ALARM');
}

/** How far above its threshold the worst firing alarm is (1 = at the threshold). */
function overload(alarms: readonly AlarmView[]): number {
  let worst = 1;
  for (const alarm of alarms) {
    if (alarm.value !== undefined && alarm.threshold !== undefined && alarm.threshold > 0) {
      worst = Math.max(worst, alarm.value / alarm.threshold);
    }
  }
  return worst;
}

function describe(alarms: readonly AlarmView[]): string {
  return alarms
    .map((alarm) => (alarm.value !== undefined ? `${alarm.name} (${round(alarm.value)})` : alarm.name))
    .join(', ');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Direction changes among the successful swaps in the window, oldest first. */
export function reversals(history: readonly SwapHistoryEntry[], since: number): number {
  const directions = history
    .filter((entry) => entry.outcome === 'done' && entry.finishedAt >= since)
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((entry) => entry.direction);
  let count = 0;
  for (let i = 1; i < directions.length; i++) if (directions[i] !== directions[i - 1]) count++;
  return count;
}

/**
 * Decides one tick.
 *
 * @example
 * decideSwap({ now, current: 'm6i.xlarge', upCandidates: ['m6i.2xlarge', 'm6i.4xlarge'], downCandidates: ['m6i.large'],
 *   signals: { high: [{ name: 'cp-cpu-high', state: 'ALARM', value: 78, threshold: 70 }], low: [] }, history: [],
 *   unavailable: {}, farAboveFactor: 1.3, jumpSteps: 2, cooldownUpMs, cooldownDownMs, flappingWindowMs, maxReversals: 2 })
 * // { action: 'swap', direction: 'up', from: 'm6i.xlarge', to: 'm6i.2xlarge', steps: 1, reason: 'load high: cp-cpu-high (78)' }
 */
export function decideSwap(input: DecisionInput): Decision {
  const { now, signals } = input;
  const highAlarms = firing(signals.high);
  const latencyHigh =
    signals.latency !== undefined && signals.latency.seconds > signals.latency.thresholdSeconds;
  const upWanted = highAlarms.length > 0 || latencyHigh;
  const downWanted =
    !upWanted && signals.low.length > 0 && signals.low.every((alarm) => alarm.state === 'ALARM');
  if (!upWanted && !downWanted) {
    const waitingLow = signals.low.filter((alarm) => alarm.state !== 'ALARM').map((alarm) => alarm.name);
    return {
      action: 'hold',
      reason:
        signals.low.length === 0
          ? 'load within bounds'
          : `load within bounds (not idle: ${waitingLow.join(', ')} not in ALARM)`,
    };
  }
  const direction: 'up' | 'down' = upWanted ? 'up' : 'down';
  const why: string[] = [];
  if (highAlarms.length > 0) why.push(`load high: ${describe(highAlarms)}`);
  if (latencyHigh && signals.latency) {
    why.push(`API latency ${round(signals.latency.seconds)} s above ${signals.latency.thresholdSeconds} s`);
  }
  if (downWanted) why.push(`load low: ${describe(signals.low)}`);
  const reason = why.join('; ');

  if (input.blockedBy) return { action: 'hold', wanted: direction, reason: `${reason}; ${input.blockedBy}` };

  // A rolled-back swap changed nothing: the next rung may be tried at once (its type is skipped).
  const last = [...input.history]
    .filter((entry) => entry.outcome !== 'rolled-back')
    .sort((a, b) => b.finishedAt - a.finishedAt)[0];
  if (last) {
    const cooldown = direction === 'up' ? input.cooldownUpMs : input.cooldownDownMs;
    const since = now - last.finishedAt;
    if (since < cooldown) {
      return {
        action: 'hold',
        wanted: direction,
        reason: `${reason}; cooling down: last swap (${last.from} → ${last.to}, ${last.outcome}) ${minutes(since)} min ago, ${direction} needs ${minutes(cooldown)} min`,
      };
    }
  }

  const windowStart = now - input.flappingWindowMs;
  const lastDone = [...input.history]
    .filter((entry) => entry.outcome === 'done' && entry.finishedAt >= windowStart)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
  if (lastDone && lastDone.direction !== direction) {
    const count = reversals(input.history, windowStart);
    if (count + 1 > input.maxReversals) {
      return {
        action: 'hold',
        wanted: direction,
        reason: `${reason}; flapping: ${count} reversal(s) within ${minutes(input.flappingWindowMs) / 60} h already, another would exceed ${input.maxReversals}; swaps wait until the window passes (or a person decides)`,
      };
    }
  }

  const candidates = direction === 'up' ? input.upCandidates : input.downCandidates;
  const skipped = candidates.filter((type) => (input.unavailable[type] ?? 0) > now);
  const available = candidates.filter((type) => (input.unavailable[type] ?? 0) <= now);
  if (available.length === 0) {
    const edge =
      direction === 'up' ? 'top of the ladder (or the ceiling)' : 'bottom of the ladder (or the floor)';
    const why =
      skipped.length > 0
        ? `every candidate recently failed (${skipped.join(', ')})`
        : `${input.current} is at the ${edge}`;
    return { action: 'hold', wanted: direction, reason: `${reason}; ${why}` };
  }
  const far = direction === 'up' && overload(highAlarms) >= input.farAboveFactor;
  const steps = far ? input.jumpSteps : 1;
  const to = available[Math.min(steps, available.length) - 1] as string;
  const extra: string[] = [];
  if (far) extra.push(`far above the threshold (×${round(overload(highAlarms))}): ${steps} rungs`);
  if (skipped.length > 0) extra.push(`skipping recently failed ${skipped.join(', ')}`);
  return {
    action: 'swap',
    direction,
    from: input.current,
    to,
    steps,
    reason: extra.length > 0 ? `${reason}; ${extra.join('; ')}` : reason,
  };
}
