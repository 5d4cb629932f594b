/** `frozenJsonCopy` must give what a JSON round trip gives, frozen all the way down. */
import { describe, expect, it } from 'vitest';
import { frozenJsonCopy } from '../../../shared/sim/json-copy';

function isDeeplyFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

const CASES: Record<string, unknown> = {
  status: {
    observedGeneration: 1,
    currentReplicas: 3,
    desiredReplicas: 4,
    lastScaleTime: undefined,
    currentMetrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 71, averageValue: '355m' } },
      },
    ],
    conditions: [
      {
        type: 'AbleToScale',
        status: 'True',
        lastTransitionTime: '2025-06-03T10:00:00Z',
        reason: 'ReadyForNewScale',
      },
    ],
  },
  'JSON-only values': {
    nan: Number.NaN,
    inf: Number.NEGATIVE_INFINITY,
    negativeZero: -0,
    fn: () => 1,
    sym: Symbol('s'),
    list: [undefined, () => 1, Number.NaN, -0],
  },
  'a Date and a boxed number (toJSON and friends)': {
    at: new Date(Date.UTC(2025, 5, 3)),
    boxed: new Number(3),
  },
  'a __proto__ member': JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
  'integer-like keys (JSON orders them first)': { b: 1, 2: 'two', a: 3, 1: 'one' },
  'a null prototype': Object.assign(Object.create(null), { a: 1 }),
  'nested arrays': [[1, [2, [3]]], [], {}],
  primitives: 'text',
};

describe('frozenJsonCopy', () => {
  for (const [name, value] of Object.entries(CASES)) {
    it(`given ${name}, should equal a JSON round trip, deeply frozen`, () => {
      const copy = frozenJsonCopy(value);
      const expected: unknown = JSON.parse(JSON.stringify(value));
      expect(copy).toStrictEqual(expected);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(expected));
      expect(Object.keys(copy as object)).toEqual(Object.keys(expected as object));
      expect(isDeeplyFrozen(copy)).toBe(true);
    });
  }

  it('given a BigInt anywhere, should throw as JSON does', () => {
    expect(() => frozenJsonCopy({ a: [1n] })).toThrow(TypeError);
  });

  it('given a frozen input, should still copy it (a caller never shares objects with the store)', () => {
    const input = Object.freeze({ a: Object.freeze({ b: 1 }) });
    const copy = frozenJsonCopy(input);
    expect(copy).toStrictEqual(input);
    expect(copy.a).not.toBe(input.a);
  });
});
