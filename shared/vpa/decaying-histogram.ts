/**
 * A histogram that forgets (upstream `util/decaying_histogram.go`): a sample's weight is multiplied by
 * `2^((sampleTime - referenceTimestamp) / halfLife)`, so a sample half a life older counts half as much.
 * Only relative weights matter, so instead of shrinking old samples, new ones are added with growing
 * weights; when the factor would pass `2^MAX_DECAY_EXPONENT`, the reference timestamp moves forward
 * (rounded to a multiple of the half-life) and every weight is scaled down to match.
 *
 * Times are epoch milliseconds. Before its first sample a histogram's reference is Go's zero time, as
 * upstream's, so the first sample always moves the reference to its own time rounded to the half-life.
 */
import { Histogram, type HistogramCheckpoint, HistogramCheckpointError, roundHalfUp } from './histogram';
import type { HistogramOptions } from './histogram-options';

/** Upstream `maxDecayExponent`: renormalise before decay factors exceed 2^100. */
export const MAX_DECAY_EXPONENT = 100;

/**
 * Go's zero `time.Time` (0001-01-01T00:00:00Z) in epoch ms. Upstream rounds reference timestamps to
 * multiples of the half-life counted from this instant (`Time.Round`), so we count from it too.
 */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** A histogram checkpoint plus the reference timestamp its weights are relative to. */
export interface DecayingHistogramCheckpoint extends HistogramCheckpoint {
  /** Epoch ms; `GO_ZERO_TIME_MS` for a histogram that never saw a sample. */
  referenceTimestamp: number;
}

/** Go's `Time.Round(d)`: the nearest multiple of `d` since Go's zero time, halfway rounding up. */
export function roundToMultipleSinceGoZero(time: number, d: number): number {
  if (d <= 0) return time;
  const sinceZero = time - GO_ZERO_TIME_MS;
  const remainder = sinceZero - Math.floor(sinceZero / d) * d;
  return remainder + remainder < d ? time - remainder : time + (d - remainder);
}

export class DecayingHistogram {
  private histogram: Histogram;
  private reference = GO_ZERO_TIME_MS;

  constructor(
    readonly options: HistogramOptions,
    readonly halfLifeMs: number,
  ) {
    if (!(halfLifeMs > 0)) throw new RangeError('half-life must be positive');
    this.histogram = new Histogram(options);
  }

  /** Epoch ms the weights are relative to; always a multiple of the half-life (since Go's zero time). */
  get referenceTimestamp(): number {
    return this.reference;
  }

  get totalWeight(): number {
    return this.histogram.totalWeight;
  }

  bucketWeight(bucket: number): number {
    return this.histogram.bucketWeight(bucket);
  }

  /**
   * Adds a sample observed at `time` (epoch ms).
   *
   * @example h.addSample(0.25, 0.1, Date.parse('2024-06-01T12:00:00Z'))
   */
  addSample(value: number, weight: number, time: number): void {
    this.histogram.addSample(value, weight * this.decayFactor(time));
  }

  /** Removes a sample added earlier with the same value, weight and time. */
  subtractSample(value: number, weight: number, time: number): void {
    this.histogram.subtractSample(value, weight * this.decayFactor(time));
  }

  /** Adds another decaying histogram's samples; the older reference is aligned to the younger one. */
  merge(other: DecayingHistogram): void {
    if (other.halfLifeMs !== this.halfLifeMs) {
      throw new RangeError("can't merge decaying histograms with different half life periods");
    }
    let source = other;
    if (this.reference < other.reference) {
      this.shiftReferenceTimestamp(other.reference);
    } else if (other.reference < this.reference) {
      // Upstream shifts the other histogram in place; shifting a copy keeps callers' inputs intact.
      source = other.clone();
      source.shiftReferenceTimestamp(this.reference);
    }
    this.histogram.merge(source.histogram);
  }

  percentile(p: number): number {
    return this.histogram.percentile(p);
  }

  isEmpty(): boolean {
    return this.histogram.isEmpty();
  }

  equals(other: DecayingHistogram): boolean {
    return (
      other.halfLifeMs === this.halfLifeMs &&
      other.reference === this.reference &&
      this.histogram.equals(other.histogram)
    );
  }

  clone(): DecayingHistogram {
    const copy = new DecayingHistogram(this.options, this.halfLifeMs);
    copy.histogram = this.histogram.clone();
    copy.reference = this.reference;
    return copy;
  }

  saveToCheckpoint(): DecayingHistogramCheckpoint {
    return { ...this.histogram.saveToCheckpoint(), referenceTimestamp: this.reference };
  }

  /** Appends the checkpoint's samples and adopts its reference timestamp (upstream semantics). */
  loadFromCheckpoint(checkpoint: DecayingHistogramCheckpoint): void {
    if (!Number.isFinite(checkpoint.referenceTimestamp)) {
      throw new HistogramCheckpointError(`invalid reference timestamp ${checkpoint.referenceTimestamp}`);
    }
    this.histogram.loadFromCheckpoint(checkpoint);
    this.reference = checkpoint.referenceTimestamp;
  }

  private shiftReferenceTimestamp(newReference: number): void {
    const rounded = roundToMultipleSinceGoZero(newReference, this.halfLifeMs);
    const exponent = roundHalfUp((this.reference - rounded) / this.halfLifeMs);
    this.histogram.scale(2 ** exponent);
    this.reference = rounded;
  }

  private decayFactor(time: number): number {
    const maxAllowed = this.reference + this.halfLifeMs * MAX_DECAY_EXPONENT;
    if (time > maxAllowed) this.shiftReferenceTimestamp(time);
    return 2 ** ((time - this.reference) / this.halfLifeMs);
  }
}
