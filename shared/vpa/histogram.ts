/**
 * A bucketed approximation of a distribution (upstream `util/histogram.go`): each bucket holds the total
 * weight of the samples that fell into it, with no interpolation inside a bucket.
 *
 * Semantics kept from upstream because recommendations depend on them:
 * - a bucket lighter than the scheme's epsilon counts as empty; `minBucket`/`maxBucket` track the first
 *   and last non-empty buckets, and a sample lighter than epsilon does not move them;
 * - `percentile(p)` returns the END of the first bucket at which the cumulative weight reaches
 *   `p * totalWeight` (the start of the last bucket, which has no end), and 0 for an empty histogram;
 * - checkpoints scale bucket weights to integers with the heaviest bucket at `MAX_CHECKPOINT_WEIGHT` and
 *   drop buckets that round to 0; loading spreads the saved total weight over the saved buckets.
 *
 * Instances are mutable; the recommender's public functions clone before they change anything.
 */
import type { HistogramOptions } from './histogram-options';

/** Upstream `MaxCheckpointWeight`: the weight of the heaviest bucket in a checkpoint. */
export const MAX_CHECKPOINT_WEIGHT = 10_000;

/** Thrown when a checkpoint cannot be loaded (negative total, bucket out of range, bad weight). */
export class HistogramCheckpointError extends Error {
  override readonly name = 'HistogramCheckpointError';
}

/** Bucket weights scaled to integers (heaviest = 10000) plus the real total weight. */
export interface HistogramCheckpoint {
  totalWeight: number;
  /** Bucket index → integer weight; only buckets with a weight of at least 1 after scaling. */
  bucketWeights: ReadonlyMap<number, number>;
}

/** Rounds half up, as upstream's `round` (`floor(x + 0.5)`). */
export function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5);
}

export class Histogram {
  private readonly weights: Float64Array;
  private total = 0;
  private minBucket: number;
  private maxBucket = 0;

  constructor(readonly options: HistogramOptions) {
    this.weights = new Float64Array(options.numBuckets);
    this.minBucket = options.numBuckets - 1;
  }

  get totalWeight(): number {
    return this.total;
  }

  /** The weight held by one bucket. */
  bucketWeight(bucket: number): number {
    return this.weights[bucket] ?? 0;
  }

  /**
   * Adds a sample; throws for a negative weight.
   *
   * @example h.addSample(2.5, 1)
   */
  addSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError('sample weight must be non-negative');
    const bucket = this.options.findBucket(value);
    const updated = (this.weights[bucket] ?? 0) + weight;
    this.weights[bucket] = updated;
    this.total += weight;
    if (bucket < this.minBucket && updated >= this.options.epsilon) this.minBucket = bucket;
    if (bucket > this.maxBucket && updated >= this.options.epsilon) this.maxBucket = bucket;
  }

  /** Removes weight from a sample's bucket; a bucket never goes below zero. */
  subtractSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError('sample weight must be non-negative');
    const bucket = this.options.findBucket(value);
    const current = this.weights[bucket] ?? 0;
    const removed = weight > current - this.options.epsilon ? current : weight;
    this.total -= removed;
    this.weights[bucket] = current - removed;
    this.updateMinAndMaxBucket();
  }

  /** Adds all samples of another histogram with the same scheme. */
  merge(other: Histogram): void {
    if (other.options !== this.options) throw new RangeError("can't merge histograms with different options");
    for (let bucket = other.minBucket; bucket <= other.maxBucket; bucket++) {
      this.weights[bucket] = (this.weights[bucket] ?? 0) + (other.weights[bucket] ?? 0);
    }
    this.total += other.total;
    if (other.minBucket < this.minBucket) this.minBucket = other.minBucket;
    if (other.maxBucket > this.maxBucket) this.maxBucket = other.maxBucket;
  }

  /**
   * The approximate `p`-th percentile (p in [0, 1]); 0 when empty.
   *
   * @example h.percentile(0.9)
   */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    const threshold = p * this.total;
    let partialSum = 0;
    let bucket = this.minBucket;
    for (; bucket < this.maxBucket; bucket++) {
      partialSum += this.weights[bucket] ?? 0;
      if (partialSum >= threshold) break;
    }
    if (bucket < this.options.numBuckets - 1) return this.options.bucketStart(bucket + 1);
    return this.options.bucketStart(bucket);
  }

  isEmpty(): boolean {
    return (this.weights[this.minBucket] ?? 0) < this.options.epsilon;
  }

  /** Same scheme, same non-empty range and bucket weights within 1e-15 (upstream `Equals`). */
  equals(other: Histogram): boolean {
    if (other.options !== this.options) return false;
    if (other.minBucket !== this.minBucket || other.maxBucket !== this.maxBucket) return false;
    for (let bucket = this.minBucket; bucket <= this.maxBucket; bucket++) {
      const diff = (this.weights[bucket] ?? 0) - (other.weights[bucket] ?? 0);
      if (diff > 1e-15 || diff < -1e-15) return false;
    }
    return true;
  }

  /** Multiplies every weight by a non-negative factor; percentiles do not change. */
  scale(factor: number): void {
    if (factor < 0) throw new RangeError('scale factor must be non-negative');
    for (let bucket = this.minBucket; bucket <= this.maxBucket; bucket++) {
      this.weights[bucket] = (this.weights[bucket] ?? 0) * factor;
    }
    this.total *= factor;
    this.updateMinAndMaxBucket();
  }

  clone(): Histogram {
    const copy = new Histogram(this.options);
    copy.weights.set(this.weights);
    copy.total = this.total;
    copy.minBucket = this.minBucket;
    copy.maxBucket = this.maxBucket;
    return copy;
  }

  /**
   * Bucket weights scaled so the heaviest is `MAX_CHECKPOINT_WEIGHT`; buckets that round to 0 are
   * dropped (they hold less than 1/20000 of the heaviest one).
   */
  saveToCheckpoint(): HistogramCheckpoint {
    let max = 0;
    for (let bucket = this.minBucket; bucket <= this.maxBucket; bucket++) {
      max = Math.max(max, this.weights[bucket] ?? 0);
    }
    const ratio = MAX_CHECKPOINT_WEIGHT / max;
    const bucketWeights = new Map<number, number>();
    for (let bucket = this.minBucket; bucket <= this.maxBucket; bucket++) {
      const weight = roundHalfUp((this.weights[bucket] ?? 0) * ratio);
      if (weight > 0) bucketWeights.set(bucket, weight);
    }
    return { totalWeight: this.total, bucketWeights };
  }

  /** Adds the checkpoint's samples to this histogram (upstream appends rather than replaces). */
  loadFromCheckpoint(checkpoint: HistogramCheckpoint): void {
    if (!(checkpoint.totalWeight >= 0)) {
      throw new HistogramCheckpointError(
        `cannot load checkpoint with negative weight ${checkpoint.totalWeight}`,
      );
    }
    let sum = 0;
    for (const [bucket, weight] of checkpoint.bucketWeights) {
      if (!Number.isInteger(bucket) || bucket < 0 || bucket >= this.options.numBuckets) {
        throw new HistogramCheckpointError(
          `checkpoint has bucket ${bucket} outside the histogram's ${this.options.numBuckets} buckets`,
        );
      }
      if (!Number.isInteger(weight) || weight < 0) {
        throw new HistogramCheckpointError(`checkpoint has bucket ${bucket} with invalid weight ${weight}`);
      }
      sum += weight;
    }
    if (sum === 0) return;
    const ratio = checkpoint.totalWeight / sum;
    for (const [bucket, weight] of checkpoint.bucketWeights) {
      if (bucket < this.minBucket) this.minBucket = bucket;
      if (bucket > this.maxBucket) this.maxBucket = bucket;
      this.weights[bucket] = (this.weights[bucket] ?? 0) + weight * ratio;
    }
    this.total += checkpoint.totalWeight;
  }

  private updateMinAndMaxBucket(): void {
    const { epsilon } = this.options;
    const lastBucket = this.options.numBuckets - 1;
    while ((this.weights[this.minBucket] ?? 0) < epsilon && this.minBucket < lastBucket) this.minBucket++;
    while ((this.weights[this.maxBucket] ?? 0) < epsilon && this.maxBucket > 0) this.maxBucket--;
  }
}
