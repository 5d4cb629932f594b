/**
 * tideplane's fast OOM recovery: a memory floor that reacts to one OOM kill, whatever the replica count.
 *
 * Upstream turns an OOM kill into one synthetic peak among all the container's daily peaks; with ten
 * replicas over eight days it is one sample in eighty, below the 90th percentile, so the target barely
 * moves and the next kill follows. Here an OOM kill sets a floor under the memory target at once:
 *
 *   floor = max(base × ratio, base + minBump),  base = max(reported memory, the pod's usage peak)
 *
 * - Escalation: an OOM within `escalationWindowMs` of the previous escalation uses the next ratio
 *   (2 → 2.5 → 3 by default; the last repeats).
 * - Replica independence: while a floor holds, an OOM of a pod whose base is below the floor is one the
 *   floor already answers (that pod had not received the raised request yet). It extends the hold but
 *   does not escalate, so ten replicas killed by the same step count as one OOM, not ten.
 * - Hold: the floor applies until `holdMs` after the latest OOM; while it holds, the memory target
 *   also never goes down (the floor follows the highest target recommended since the OOM).
 *
 * The functions mutate the `OomState` they are given; `ingestContainer` works on a copy.
 */
import type { OomState } from './oom-state';
import type { FastOomOptions } from './options';

export type FastOomDecision =
  | { kind: 'escalated'; level: number; ratio: number; floorBytes: number; holdUntil: number }
  | { kind: 'covered'; floorBytes: number; holdUntil: number };

/** Forgets a floor whose hold has passed and an escalation whose window has closed (mutates `state`). */
export function expireFastOom(state: OomState, now: number, options: FastOomOptions): void {
  if (state.holdUntil !== undefined && now >= state.holdUntil) {
    delete state.floorBytes;
    delete state.holdUntil;
  }
  if (state.lastEscalationAt !== undefined && now - state.lastEscalationAt > options.escalationWindowMs) {
    delete state.lastEscalationAt;
    state.level = 0;
  }
}

/**
 * Applies one OOM kill at `at` with the given base (mutates `state`).
 *
 * @example applyFastOom(emptyOomState(), at, 1000 * MiB, DEFAULT_FAST_OOM_OPTIONS) // floor 2000 MiB
 */
export function applyFastOom(
  state: OomState,
  at: number,
  baseBytes: number,
  options: FastOomOptions,
): FastOomDecision {
  expireFastOom(state, at, options);
  const base = Math.max(0, Math.trunc(baseBytes));
  const holdUntil = Math.max(state.holdUntil ?? 0, at + options.holdMs);
  if (state.floorBytes !== undefined && base < state.floorBytes) {
    state.holdUntil = holdUntil;
    return { kind: 'covered', floorBytes: state.floorBytes, holdUntil };
  }
  const level = state.lastEscalationAt !== undefined ? state.level + 1 : 1;
  const ratios = options.bumpRatios;
  const ratio = ratios[Math.min(level, ratios.length) - 1] ?? 1;
  const bumped = Math.max(Math.trunc(base * ratio), base + Math.trunc(options.minBumpBytes));
  const floorBytes = Math.max(state.floorBytes ?? 0, bumped);
  state.floorBytes = floorBytes;
  state.holdUntil = holdUntil;
  state.level = level;
  state.lastEscalationAt = at;
  return { kind: 'escalated', level, ratio, floorBytes, holdUntil };
}

/** The floor in force at `now`, if any. */
export function activeMemoryFloor(state: OomState, now: number): number | undefined {
  if (state.floorBytes === undefined || state.holdUntil === undefined || now >= state.holdUntil)
    return undefined;
  return state.floorBytes;
}

/** Keeps the memory target from going down while the hold lasts (mutates `state`). */
export function holdMemoryTarget(state: OomState, now: number, targetBytes: number): void {
  const floor = activeMemoryFloor(state, now);
  if (floor !== undefined && targetBytes > floor) state.floorBytes = targetBytes;
}
