/**
 * A virtual clock: time moves only when the simulation driver (or a test) moves it, so a day replays in
 * seconds and every run is identical.
 */
import type { Clock } from '../ports/clock';

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets pending promise continuations and I/O callbacks run before going on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * `Clock` on virtual time. `sleep(ms)` resolves once the clock has been moved to or past `now + ms`;
 * sleepers wake in order of their deadline (ties: in order of the calls).
 *
 * @example
 * const clock = new VirtualClock(Date.UTC(2025, 5, 2));
 * const woke = clock.sleep(15_000).then(() => clock.now());
 * await clock.runUntil(clock.now() + 60_000); // woke resolves with start + 15 s
 */
export class VirtualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  private sleepListeners = new Set<() => void>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { at: this.current + ms, seq: this.seq++, resolve };
      let index = this.sleepers.length;
      while (index > 0 && (this.sleepers[index - 1] as Sleeper).at > sleeper.at) index--;
      this.sleepers.splice(index, 0, sleeper);
      for (const listener of this.sleepListeners) listener();
    });
  }

  /** How many `sleep` calls have not woken yet. */
  pendingSleepers(): number {
    return this.sleepers.length;
  }

  /** The earliest pending wake-up time, if any. */
  nextWakeAt(): number | undefined {
    return this.sleepers[0]?.at;
  }

  /**
   * Calls `listener` on every `sleep` call (the driver uses it to see that a controller now waits on
   * virtual time). Returns the unsubscribe function.
   */
  onSleep(listener: () => void): () => void {
    this.sleepListeners.add(listener);
    return () => this.sleepListeners.delete(listener);
  }

  /**
   * Moves the clock to `t` at once and resolves every sleeper due by then; their continuations run after
   * the caller yields, all seeing `t`. Time never goes back: `t < now()` throws.
   */
  advanceTo(t: number): void {
    if (t < this.current) throw new Error(`virtual time cannot go back from ${this.current} to ${t}`);
    this.current = t;
    while (this.sleepers.length > 0 && (this.sleepers[0] as Sleeper).at <= t) {
      (this.sleepers.shift() as Sleeper).resolve();
    }
  }

  /** `advanceTo(now() + ms)`. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /**
   * Moves to `t` sleeper by sleeper: the clock stops at each deadline, wakes that sleeper and lets the
   * event loop run its continuation (which may sleep again) before going on; ends at `t`.
   */
  async runUntil(t: number): Promise<void> {
    if (t < this.current) throw new Error(`virtual time cannot go back from ${this.current} to ${t}`);
    for (;;) {
      const next = this.sleepers[0];
      if (!next || next.at > t) break;
      this.advanceTo(next.at);
      await yieldToEventLoop();
    }
    this.advanceTo(t);
    await yieldToEventLoop();
  }
}
