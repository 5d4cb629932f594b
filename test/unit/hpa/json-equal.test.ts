/** `jsonEqual` must answer exactly as comparing sorted-key JSON does (what the status check used before). */
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../../shared/hpa/json-equal';

/** The comparison jsonEqual replaces: JSON of both with keys sorted and undefined members dropped. */
function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
          .map(([k, x]) => [k, canonical(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}

/** A small deterministic generator (mulberry32), so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const LEAVES: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  2.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'a',
  '1',
  true,
  false,
  () => 1,
];
const KEYS = ['type', 'status', 'reason', 'a', 'b', '1'];

function generate(next: () => number, depth: number): unknown {
  const roll = next();
  if (depth <= 0 || roll < 0.45) return LEAVES[Math.floor(next() * LEAVES.length)];
  if (roll < 0.7) return Array.from({ length: Math.floor(next() * 3) }, () => generate(next, depth - 1));
  const out: Record<string, unknown> = {};
  for (const key of KEYS) if (next() < 0.4) out[key] = generate(next, depth - 1);
  return out;
}

/** A variant of `value` that is often JSON-equal to it: keys reordered, undefined members added or dropped. */
function perturb(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) {
    const copy = value.map((v) => perturb(v, next));
    if (next() < 0.1) copy.push(null);
    return copy;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, perturb(v, next)] as const);
    if (next() < 0.5) entries.reverse();
    const out: Record<string, unknown> = Object.fromEntries(entries);
    if (next() < 0.2) out.extra = undefined;
    if (next() < 0.05) out.extra = 'x';
    return out;
  }
  if (value === undefined && next() < 0.3) return null;
  if (typeof value === 'number' && next() < 0.1) return value + 1;
  return value;
}

describe('jsonEqual', () => {
  it('given statuses that differ only in key order and undefined members, should call them equal', () => {
    expect(
      jsonEqual(
        {
          desiredReplicas: 3,
          currentReplicas: 2,
          lastScaleTime: undefined,
          conditions: [{ type: 'A', status: 'True' }],
        },
        { conditions: [{ status: 'True', type: 'A' }], currentReplicas: 2, desiredReplicas: 3 },
      ),
    ).toBe(true);
  });

  it('given an array and an object with the same entries, should call them different', () => {
    expect(jsonEqual(['x'], { 0: 'x' })).toBe(false);
  });

  it('given values JSON writes alike (undefined and NaN elements as null, -0 as 0), should call them equal', () => {
    expect(jsonEqual([undefined, Number.NaN, -0], [null, null, 0])).toBe(true);
    expect(jsonEqual({ a: () => 1 }, {})).toBe(true);
  });

  it('given random pairs of values, should always agree with comparing sorted-key JSON', () => {
    const next = random(20250603);
    let equalPairs = 0;
    for (let i = 0; i < 5_000; i++) {
      const a = generate(next, 4);
      const b = next() < 0.7 ? perturb(a, next) : generate(next, 4);
      // At the top, jsonEqual compares as inside an array (JSON.stringify(undefined) is no JSON at all).
      const expected = canonicalJson([a]) === canonicalJson([b]);
      if (expected) equalPairs++;
      expect(jsonEqual(a, b), `case ${i}: ${canonicalJson(a)} vs ${canonicalJson(b)}`).toBe(expected);
    }
    // Both answers must be exercised, or the comparison proves little.
    expect(equalPairs).toBeGreaterThan(500);
    expect(equalPairs).toBeLessThan(4_500);
  });
});
