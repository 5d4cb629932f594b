import type { Clock } from '../../../shared/ports/clock';

/**
 * A clock the test moves by hand. The loops read `now()` for stabilization windows, history
 * timestamps, lease deadlines and TTLs, so a test can let five minutes of HPA time pass between two
 * ticks while the API server and DynamoDB run in real time. `sleep()` returns at once and moves the
 * clock, as the simulator's virtual clock does.
 */
export class FakeClock implements Clock {
  #now: number;
  /** Every `sleep()` asked for, in order (ms). */
  readonly sleeps: number[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#now += Math.max(0, ms);
  }

  /** Moves time forward by `ms` and returns the new time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }

  /** Moves time to `ms` (never backwards) and returns it. */
  set(ms: number): number {
    return this.advance(ms - this.#now);
  }
}
