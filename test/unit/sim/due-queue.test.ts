/** DueQueue: earliest first, ties in push order, stale entries never come out. */
import { describe, expect, it } from 'vitest';
import { DueQueue } from '../../../shared/sim/due-queue';

describe('DueQueue', () => {
  it('given entries pushed out of order, should hand out the due ones earliest first, ties in push order', () => {
    const queue = new DueQueue<string>(() => true);
    for (const [at, item] of [
      [30, 'c'],
      [10, 'a1'],
      [20, 'b'],
      [10, 'a2'],
      [40, 'd'],
    ] as const)
      queue.push(at, item);
    const out: string[] = [];
    for (let item = queue.popDue(30); item !== undefined; item = queue.popDue(30)) out.push(item);
    expect(out).toEqual(['a1', 'a2', 'b', 'c']);
    expect(queue.nextAt()).toBe(40);
  });

  it('given entries that no longer hold, should skip them in popDue and nextAt', () => {
    const current = new Map([
      ['a', 50],
      ['b', 20],
    ]);
    const queue = new DueQueue<string>((item, at) => current.get(item) === at);
    queue.push(10, 'a'); // stale: 'a' moved to 50
    queue.push(50, 'a');
    queue.push(20, 'b');
    queue.push(5, 'gone');
    expect(queue.nextAt()).toBe(20);
    expect(queue.popDue(100)).toBe('b');
    current.delete('b');
    expect(queue.popDue(100)).toBe('a');
    expect(queue.popDue(100)).toBeUndefined();
    expect(queue.nextAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it('given an infinite instant, should not keep it', () => {
    const queue = new DueQueue<string>(() => true);
    queue.push(Number.POSITIVE_INFINITY, 'never');
    expect(queue.size).toBe(0);
  });

  it('given many random entries, should agree with sorting them', () => {
    let state = 7;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state;
    };
    const queue = new DueQueue<number>(() => true);
    const entries: [number, number][] = [];
    for (let i = 0; i < 2_000; i++) {
      const at = next() % 500;
      entries.push([at, i]);
      queue.push(at, i);
    }
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const out: number[] = [];
    for (let item = queue.popDue(1_000); item !== undefined; item = queue.popDue(1_000)) out.push(item);
    expect(out).toEqual(entries.map(([, i]) => i));
  });
});
