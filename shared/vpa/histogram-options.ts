/**
 * Bucketing schemes of the VPA recommender's histograms (upstream `util/histogram_options.go`).
 *
 * A scheme maps a value to a bucket index and back to the bucket's start. The exponential scheme is the
 * one the recommender uses: the first bucket covers `[0, firstBucketSize)` and every next bucket is
 * `ratio` times wider, so bucket `n >= 1` starts at `firstBucketSize * (ratio^n - 1) / (ratio - 1)`.
 * The linear scheme exists because upstream's histogram tests are written against it.
 *
 * Bucket indexes are what checkpoints store, so changing a scheme's parameters invalidates every
 * stored checkpoint (bump `CHECKPOINT_VERSION` in checkpoint.ts).
 */

/** Thrown for scheme parameters upstream rejects (non-positive sizes, ratio <= 1). */
export class HistogramOptionsError extends Error {
  override readonly name = 'HistogramOptionsError';
}

export interface HistogramOptions {
  readonly numBuckets: number;
  /** The bucket a value falls into; values outside the range go to the first or the last bucket. */
  findBucket(value: number): number;
  /** The start of a bucket; throws for an index outside `[0, numBuckets - 1]`. */
  bucketStart(bucket: number): number;
  /** The minimum weight for a bucket to count as non-empty. */
  readonly epsilon: number;
}

/**
 * The minimal weight of a sample before decay (upstream `minSampleWeight`). Every CPU sample carries
 * it in practice (see `cpuSampleWeight` in container-state.ts).
 */
export const MIN_SAMPLE_WEIGHT = 0.1;
/**
 * Upstream `epsilon`: small enough that a sample of `MIN_SAMPLE_WEIGHT` that has decayed for the whole
 * 8-day memory window still counts.
 */
export const HISTOGRAM_EPSILON = 0.001 * MIN_SAMPLE_WEIGHT;
/** Upstream `DefaultHistogramBucketSizeGrowth`: each bucket is 5% wider than the previous one. */
export const HISTOGRAM_BUCKET_GROWTH = 0.05;
/** CPU histograms: smallest bucket 0.01 core, up to 1000 cores (in cores). */
export const CPU_FIRST_BUCKET_CORES = 0.01;
export const CPU_MAX_CORES = 1000;
/** Memory histograms: smallest bucket 10 MB, up to 1 TB (in bytes). */
export const MEMORY_FIRST_BUCKET_BYTES = 1e7;
export const MEMORY_MAX_BYTES = 1e12;

function checkIndex(bucket: number, numBuckets: number): void {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= numBuckets) {
    throw new RangeError(`index ${bucket} out of range [0..${numBuckets - 1}]`);
  }
}

/**
 * Fixed-size buckets starting at 0; the last bucket starts at or above `maxValue`.
 *
 * @example linearHistogramOptions(10, 1, 1e-15).findBucket(2.5) // 2
 */
export function linearHistogramOptions(
  maxValue: number,
  bucketSize: number,
  epsilon: number,
): HistogramOptions {
  if (!(maxValue > 0) || !(bucketSize > 0) || !(epsilon > 0)) {
    throw new HistogramOptionsError('maxValue, bucketSize and epsilon must all be positive');
  }
  const numBuckets = Math.ceil(maxValue / bucketSize) + 1;
  return {
    numBuckets,
    epsilon,
    findBucket(value) {
      const bucket = Math.trunc(value / bucketSize);
      if (bucket < 0) return 0;
      if (bucket >= numBuckets) return numBuckets - 1;
      return bucket;
    },
    bucketStart(bucket) {
      checkIndex(bucket, numBuckets);
      return bucket * bucketSize;
    },
  };
}

/**
 * Exponentially growing buckets; the last bucket starts at or above `maxValue`.
 *
 * @example exponentialHistogramOptions(500, 40, 1.5, 0.001).bucketStart(2) // 100
 */
export function exponentialHistogramOptions(
  maxValue: number,
  firstBucketSize: number,
  ratio: number,
  epsilon: number,
): HistogramOptions {
  if (!(maxValue > 0) || !(firstBucketSize > 0) || !(ratio > 1) || !(epsilon > 0)) {
    throw new HistogramOptionsError('maxValue, firstBucketSize and epsilon must be > 0, ratio must be > 1');
  }
  const logRatio = (x: number) => Math.log(x) / Math.log(ratio);
  const numBuckets = Math.ceil(logRatio((maxValue * (ratio - 1)) / firstBucketSize + 1)) + 1;
  // Percentile reads a start on every call; the table keeps that to one array lookup.
  const starts = Array.from({ length: numBuckets }, (_, bucket) =>
    bucket === 0 ? 0 : (firstBucketSize * (ratio ** bucket - 1)) / (ratio - 1),
  );
  return {
    numBuckets,
    epsilon,
    findBucket(value) {
      if (value < firstBucketSize) return 0;
      const bucket = Math.trunc(logRatio((value * (ratio - 1)) / firstBucketSize + 1));
      if (bucket >= numBuckets) return numBuckets - 1;
      return bucket;
    },
    bucketStart(bucket) {
      checkIndex(bucket, numBuckets);
      return starts[bucket] ?? 0;
    },
  };
}

/** The CPU scheme (values in cores): 176 buckets. */
export const CPU_HISTOGRAM_OPTIONS = exponentialHistogramOptions(
  CPU_MAX_CORES,
  CPU_FIRST_BUCKET_CORES,
  1 + HISTOGRAM_BUCKET_GROWTH,
  HISTOGRAM_EPSILON,
);

/** The memory scheme (values in bytes): 176 buckets. */
export const MEMORY_HISTOGRAM_OPTIONS = exponentialHistogramOptions(
  MEMORY_MAX_BYTES,
  MEMORY_FIRST_BUCKET_BYTES,
  1 + HISTOGRAM_BUCKET_GROWTH,
  HISTOGRAM_EPSILON,
);
