import { describe, expect, it } from 'vitest';
import { reachableIndexes, stepIndex } from '../../../shared/controlplane/ladder-step';

// A ladder of 5 rungs (0–4); positions between rungs are { below: first rung above }.
describe('stepIndex', () => {
  it('given a rung, should move by the steps asked', () => {
    expect(stepIndex(5, { on: 1 }, 'up', 1, {})).toEqual({ ok: true, index: 2 });
    expect(stepIndex(5, { on: 1 }, 'up', 2, {})).toEqual({ ok: true, index: 3 });
    expect(stepIndex(5, { on: 3 }, 'down', 2, {})).toEqual({ ok: true, index: 1 });
  });

  it('given a position between rungs, should take the rung above for up and the one under for down', () => {
    expect(stepIndex(5, { below: 2 }, 'up', 1, {})).toEqual({ ok: true, index: 2 });
    expect(stepIndex(5, { below: 2 }, 'down', 1, {})).toEqual({ ok: true, index: 1 });
    expect(stepIndex(5, { below: 0 }, 'up', 1, {})).toEqual({ ok: true, index: 0 });
    expect(stepIndex(5, { below: 0 }, 'down', 1, {})).toEqual({ ok: false, reason: 'bottom' });
    expect(stepIndex(5, { below: 5 }, 'up', 1, {})).toEqual({ ok: false, reason: 'top' });
    expect(stepIndex(5, { below: 5 }, 'down', 1, {})).toEqual({ ok: true, index: 4 });
  });

  it('given a jump past the end, should stop on the last rung and say so', () => {
    expect(stepIndex(5, { on: 3 }, 'up', 3, {})).toEqual({ ok: true, index: 4, clamped: 'top' });
    expect(stepIndex(5, { on: 1 }, 'down', 3, {})).toEqual({ ok: true, index: 0, clamped: 'bottom' });
  });

  it('given a position outside the bounds, should move into them', () => {
    // Down from above the ceiling lands on the ceiling at least; up from under the floor on the floor.
    expect(stepIndex(5, { on: 4 }, 'down', 1, { ceiling: { on: 2 } })).toEqual({
      ok: true,
      index: 2,
      clamped: 'ceiling',
    });
    expect(stepIndex(5, { on: 4 }, 'up', 1, { ceiling: { on: 2 } })).toEqual({
      ok: false,
      reason: 'ceiling',
    });
    expect(stepIndex(5, { on: 0 }, 'up', 1, { floor: { on: 3 } })).toEqual({
      ok: true,
      index: 3,
      clamped: 'floor',
    });
    expect(stepIndex(5, { on: 0 }, 'down', 1, { floor: { on: 3 } })).toEqual({ ok: false, reason: 'floor' });
  });

  it('given bounds between rungs, should allow the rungs inside them only', () => {
    expect(stepIndex(5, { on: 3 }, 'down', 1, { floor: { below: 3 } })).toEqual({
      ok: false,
      reason: 'floor',
    });
    expect(stepIndex(5, { on: 1 }, 'up', 1, { ceiling: { below: 2 } })).toEqual({
      ok: false,
      reason: 'ceiling',
    });
    expect(stepIndex(5, { on: 1 }, 'up', 1, { ceiling: { below: 3 } })).toEqual({ ok: true, index: 2 });
  });

  it('given a ceiling above the top rung, should call the end the top', () => {
    expect(stepIndex(5, { on: 4 }, 'up', 1, { ceiling: { below: 5 } })).toEqual({ ok: false, reason: 'top' });
  });

  it('given no rungs, or a floor above the ceiling, should find none', () => {
    expect(stepIndex(0, { below: 0 }, 'up', 1, {})).toEqual({ ok: false, reason: 'empty' });
    expect(stepIndex(5, { on: 2 }, 'up', 1, { floor: { on: 3 }, ceiling: { on: 1 } })).toEqual({
      ok: false,
      reason: 'bounds',
    });
  });

  it('given fewer than one step, should throw', () => {
    expect(() => stepIndex(5, { on: 1 }, 'up', 0, {})).toThrow(RangeError);
    expect(() => stepIndex(5, { on: 1 }, 'up', 1.5, {})).toThrow(RangeError);
  });
});

describe('reachableIndexes', () => {
  it('should list the rungs within the bounds, nearest first', () => {
    expect(reachableIndexes(5, { on: 1 }, 'up', { ceiling: { on: 3 } })).toEqual([2, 3]);
    expect(reachableIndexes(5, { on: 3 }, 'down', {})).toEqual([2, 1, 0]);
    expect(reachableIndexes(5, { on: 0 }, 'up', { floor: { on: 2 } })).toEqual([2, 3, 4]);
    expect(reachableIndexes(5, { on: 4 }, 'up', {})).toEqual([]);
  });
});
