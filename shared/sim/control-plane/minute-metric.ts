/**
 * A CloudWatch metric at one-minute resolution, built from a value that holds between the instants the
 * simulator looked (piecewise constant): each minute's datapoint is the time-weighted average of what
 * held in it (CloudWatch's `Average` of a detailed-monitoring metric), missing when nothing did. A
 * datapoint can be read once its minute has ended and `delayMs` more have passed, as CloudWatch's own
 * metrics arrive a little after their period.
 */

export const MINUTE_MS = 60_000;

/** How long after its minute a datapoint of an AWS service metric is there to read. */
export const DEFAULT_DATAPOINT_DELAY_MS = 60_000;

interface Bucket {
  /** Sum of value × ms. */
  weighted: number;
  /** Ms covered by a value. */
  covered: number;
}

/**
 * @example
 * const cpu = new MinuteMetric(start);
 * cpu.advance(start, 80); // 80 % from now on
 * cpu.advance(start + 30_000, 40); // 40 % from 30 s on
 * cpu.datapoint(minuteOf(start), start + 120_000); // 60 (start is a whole minute), readable after the delay
 */
export class MinuteMetric {
  private readonly buckets = new Map<number, Bucket>();
  private lastTime: number;
  private lastValue: number | undefined;

  constructor(
    start: number,
    readonly delayMs = DEFAULT_DATAPOINT_DELAY_MS,
  ) {
    this.lastTime = start;
  }

  /**
   * Moves to `now`: the value set at the previous call held until now; `value` holds from now on
   * (undefined: nothing to report, e.g. no instance running).
   */
  advance(now: number, value: number | undefined): void {
    if (now < this.lastTime) throw new Error(`metric time cannot go back from ${this.lastTime} to ${now}`);
    if (this.lastValue !== undefined) this.add(this.lastTime, now, this.lastValue);
    this.lastTime = now;
    this.lastValue = value;
  }

  /** Fills the `minutes` whole minutes before `start` with `value`, as if it had held all along. */
  prefill(start: number, minutes: number, value: number): void {
    const first = minuteOf(start) - minutes;
    this.add(first * MINUTE_MS, start, value);
  }

  /** The minute's average, once readable at `now`; undefined when missing or not readable yet. */
  datapoint(minute: number, now: number): number | undefined {
    if ((minute + 1) * MINUTE_MS + this.delayMs > now) return undefined;
    const bucket = this.buckets.get(minute);
    if (!bucket || bucket.covered <= 0) return undefined;
    return bucket.weighted / bucket.covered;
  }

  /** The value holding now. */
  current(): number | undefined {
    return this.lastValue;
  }

  /** Drops minutes before `minute` (the alarms never look that far back). */
  forget(minute: number): void {
    for (const key of this.buckets.keys()) if (key < minute) this.buckets.delete(key);
  }

  private add(from: number, to: number, value: number): void {
    let t = from;
    while (t < to) {
      const minute = minuteOf(t);
      const end = Math.min(to, (minute + 1) * MINUTE_MS);
      const bucket = this.buckets.get(minute) ?? { weighted: 0, covered: 0 };
      bucket.weighted += value * (end - t);
      bucket.covered += end - t;
      this.buckets.set(minute, bucket);
      t = end;
    }
  }
}

/** The minute (epoch minutes) an instant falls in. */
export function minuteOf(t: number): number {
  return Math.floor(t / MINUTE_MS);
}
