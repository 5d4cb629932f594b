/**
 * Moving up or down an ordered ladder of rungs, by index, within a floor and a ceiling. The EC2
 * instance-type ladder and the EKS tier ladder step the same way; only how a name becomes a position
 * differs. Pure.
 */

/**
 * Where something sits on a ladder: on a rung, or between two rungs — `below` is the index of the first
 * rung above it (0: under the bottom rung, `count`: over the top one).
 */
export type LadderPosition = { on: number } | { below: number };

export type StepDirection = 'up' | 'down';

/** Why no step is possible. */
export type NoStepReason =
  /** Up from the top rung, or from above it. */
  | 'top'
  /** Down from the bottom rung, or from under it. */
  | 'bottom'
  /** Up from the ceiling, or from above it. */
  | 'ceiling'
  /** Down from the floor, or from under it. */
  | 'floor'
  /** The floor lies above the ceiling: no rung is allowed. */
  | 'bounds'
  | 'empty';

/** Each reason for a person, to follow "up from m7i.xlarge: none, ". */
export const NO_STEP_MESSAGES: Readonly<Record<NoStepReason, string>> = {
  top: 'already on the top rung',
  bottom: 'already on the bottom rung',
  ceiling: 'already at the ceiling',
  floor: 'already at the floor',
  bounds: 'the floor is above the ceiling',
  empty: 'nothing passes the ladder’s filters',
};

export type IndexStep =
  | {
      ok: true;
      index: number;
      /**
       * The rung differs from `steps` rungs away: held at the ceiling (or floor, or the ladder's end), or
       * lifted to the floor from under it (or lowered to the ceiling from above it).
       */
      clamped?: 'floor' | 'ceiling' | 'top' | 'bottom';
    }
  | { ok: false; reason: NoStepReason };

export interface StepBounds {
  floor?: LadderPosition | undefined;
  ceiling?: LadderPosition | undefined;
}

/**
 * The rung `steps` rungs up or down from `position` on a ladder of `count` rungs, never under the floor
 * nor over the ceiling (a floor between rungs allows the rung above it, a ceiling between rungs the one
 * under it). A jump past the ceiling or the ladder's end stops there; a move that starts outside the
 * bounds ends inside them (down from above the ceiling lands at most on the ceiling).
 *
 * @example
 * stepIndex(5, { on: 1 }, 'up', 2, {}) // { ok: true, index: 3 }
 * stepIndex(5, { on: 3 }, 'up', 2, { ceiling: { on: 4 } }) // { ok: true, index: 4 }
 * stepIndex(5, { below: 2 }, 'down', 1, {}) // { ok: true, index: 1 }
 * stepIndex(5, { on: 1 }, 'down', 1, { floor: { on: 1 } }) // { ok: false, reason: 'floor' }
 */
export function stepIndex(
  count: number,
  position: LadderPosition,
  direction: StepDirection,
  steps: number,
  bounds: StepBounds,
): IndexStep {
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`steps must be a whole number ≥ 1: ${steps}`);
  if (count === 0) return { ok: false, reason: 'empty' };
  const top = count - 1;
  const low = bounds.floor === undefined ? 0 : firstAtOrAbove(bounds.floor);
  const high = bounds.ceiling === undefined ? top : lastAtOrUnder(bounds.ceiling);
  if (low > high) return { ok: false, reason: 'bounds' };

  if (direction === 'up') {
    // The rung at or under the position; between rungs, up by one is the rung above.
    const base = 'on' in position ? position.on : position.below - 1;
    if (base >= high) return { ok: false, reason: high < top ? 'ceiling' : 'top' };
    const wanted = base + steps;
    if (wanted < low) return { ok: true, index: low, clamped: 'floor' };
    if (wanted > high) return { ok: true, index: high, clamped: high < top ? 'ceiling' : 'top' };
    return { ok: true, index: wanted };
  }
  // The rung at or above the position; between rungs, down by one is the rung under.
  const base = 'on' in position ? position.on : position.below;
  if (base <= low) return { ok: false, reason: low > 0 ? 'floor' : 'bottom' };
  const wanted = base - steps;
  if (wanted > high) return { ok: true, index: high, clamped: 'ceiling' };
  if (wanted < low) return { ok: true, index: low, clamped: low > 0 ? 'floor' : 'bottom' };
  return { ok: true, index: wanted };
}

function firstAtOrAbove(position: LadderPosition): number {
  return 'on' in position ? position.on : position.below;
}

function lastAtOrUnder(position: LadderPosition): number {
  return 'on' in position ? position.on : position.below - 1;
}

/**
 * Every rung reachable from `position` in `direction` within `bounds`, nearest first: what a caller
 * tries in order when the nearest candidate is unavailable.
 *
 * @example
 * reachableIndexes(5, { on: 1 }, 'up', { ceiling: { on: 3 } }) // [2, 3]
 */
export function reachableIndexes(
  count: number,
  position: LadderPosition,
  direction: StepDirection,
  bounds: StepBounds,
): number[] {
  const found: number[] = [];
  for (let steps = 1; steps <= count; steps++) {
    const step = stepIndex(count, position, direction, steps, bounds);
    if (!step.ok) break;
    if (!found.includes(step.index)) found.push(step.index);
  }
  return found;
}
