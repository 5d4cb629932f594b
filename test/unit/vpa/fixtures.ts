/** Units and helpers shared by the VPA core tests. */
import { expect } from 'vitest';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Upstream's `assert.InEpsilon`: relative error at most `epsilon`. */
export function expectRelative(actual: number, expected: number, epsilon = 1e-15): void {
  const relative = Math.abs(actual - expected) / Math.abs(expected);
  expect(relative, `${actual} vs ${expected}`).toBeLessThanOrEqual(epsilon);
}

/** Upstream's `testTimestamp` in model/container_test.go: 2017-04-18 17:35:05 UTC. */
export const TEST_TIMESTAMP = Date.parse('2017-04-18T17:35:05Z');
