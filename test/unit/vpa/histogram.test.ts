/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/util/histogram_test.go (the test
 * histogram there: linear buckets of 1.0 up to 10, epsilon 1e-15).
 */
import { describe, expect, it } from 'vitest';
import { Histogram, HistogramCheckpointError, MAX_CHECKPOINT_WEIGHT } from '../../../shared/vpa/histogram';
import { linearHistogramOptions } from '../../../shared/vpa/histogram-options';
import { expectRelative } from './fixtures';

const WEIGHT_EPSILON = 1e-15;
const testOptions = linearHistogramOptions(10.0, 1.0, WEIGHT_EPSILON);

describe('Histogram', () => {
  // histogram_test.go: TestPercentilesEmptyHistogram
  it('given no samples, should return 0 for any percentile', () => {
    const h = new Histogram(testOptions);
    for (const p of [-0.5, 0, 0.5, 1, 1.5]) expect(h.percentile(p)).toBe(0);
  });

  // histogram_test.go: TestPercentiles — histogram { 1: 1, 2: 2, 3: 3, 4: 4 }
  it('given samples 1..4 with weights 1..4, should return the end of the bucket reaching the percentile', () => {
    const h = new Histogram(testOptions);
    for (let i = 1; i <= 4; i++) h.addSample(i, i);
    const expected: [number, number][] = [
      [0.0, 2],
      [0.1, 2],
      [0.2, 3],
      [0.3, 3],
      [0.4, 4],
      [0.5, 4],
      [0.6, 4],
      [0.7, 5],
      [0.8, 5],
      [0.9, 5],
      [1.0, 5],
    ];
    for (const [p, value] of expected) expectRelative(h.percentile(p), value);
  });

  // histogram_test.go: TestPercentileOutOfBounds
  it('given p < 0 or p > 1, should return the first and the last non-empty bucket', () => {
    const h = new Histogram(linearHistogramOptions(1.0, 0.1, WEIGHT_EPSILON));
    h.addSample(0.1, 0.1);
    h.addSample(0.2, 0.2);
    expectRelative(h.percentile(-0.1), 0.2);
    expectRelative(h.percentile(1.1), 0.3);
    // Fill the boundary buckets: the last bucket has no end, so its start is returned.
    h.addSample(0.0, 0.1);
    h.addSample(1.0, 0.2);
    expectRelative(h.percentile(-0.1), 0.1);
    expectRelative(h.percentile(1.1), 1.0);
  });

  // histogram_test.go: TestEmptyHistogram
  it('should be empty while the lightest non-empty bucket is below epsilon', () => {
    const h = new Histogram(linearHistogramOptions(1.0, 0.1, WEIGHT_EPSILON));
    expect(h.isEmpty()).toBe(true);
    h.addSample(0.1, WEIGHT_EPSILON * 2.5);
    expect(h.isEmpty()).toBe(false);
    h.subtractSample(0.1, WEIGHT_EPSILON);
    expect(h.isEmpty()).toBe(false);
    h.subtractSample(0.1, WEIGHT_EPSILON);
    expect(h.isEmpty()).toBe(true);
  });

  // histogram_test.go: TestNonEmptyOnEpsilonAddition
  it('given a non-empty histogram, a sample lighter than epsilon should not make it empty', () => {
    const h = new Histogram(linearHistogramOptions(1.0, 0.1, WEIGHT_EPSILON));
    h.addSample(9.9, WEIGHT_EPSILON * 3);
    expect(h.isEmpty()).toBe(false);
    h.addSample(0.1, WEIGHT_EPSILON * 0.3);
    expect(h.isEmpty()).toBe(false);
    h.addSample(999.9, WEIGHT_EPSILON * 0.3);
    expect(h.isEmpty()).toBe(false);
  });

  // histogram_test.go: TestHistogramMerge
  it('should merge another histogram bucket by bucket', () => {
    const h1 = new Histogram(testOptions);
    h1.addSample(1, 1);
    h1.addSample(2, 1);
    const h2 = new Histogram(testOptions);
    h2.addSample(2, 1);
    h2.addSample(3, 1);
    h1.merge(h2);
    expect([1, 2, 3].map((b) => h1.bucketWeight(b))).toEqual([1, 2, 1]);
    expect(h1.totalWeight).toBe(4);
  });

  // histogram_test.go: TestHistogramSaveToCheckpointEmpty
  it('given no samples, should save an empty checkpoint', () => {
    const checkpoint = new Histogram(testOptions).saveToCheckpoint();
    expect(checkpoint.totalWeight).toBe(0);
    expect(checkpoint.bucketWeights.size).toBe(0);
  });

  // histogram_test.go: TestHistogramSaveToCheckpoint
  it('given one sample, should save it at the maximum checkpoint weight', () => {
    const h = new Histogram(testOptions);
    h.addSample(1, 1);
    const checkpoint = h.saveToCheckpoint();
    expect(checkpoint.totalWeight).toBe(1);
    expect([...checkpoint.bucketWeights]).toEqual([[1, MAX_CHECKPOINT_WEIGHT]]);
  });

  // histogram_test.go: TestHistogramSaveToCheckpointDropsRelativelySmallValues
  it('should drop buckets that round to zero against the heaviest one', () => {
    const h = new Histogram(testOptions);
    h.addSample(1, 1);
    h.addSample(2, 100_000);
    const checkpoint = h.saveToCheckpoint();
    expect(checkpoint.totalWeight).toBe(100_001);
    expect([...checkpoint.bucketWeights]).toEqual([[2, 10_000]]);
  });

  // histogram_test.go: TestHistogramSaveToCheckpointForMultipleValues
  it('should scale several buckets against the heaviest one', () => {
    const h = new Histogram(testOptions);
    h.addSample(1, 1);
    h.addSample(2, 10_000);
    h.addSample(3, 50);
    const checkpoint = h.saveToCheckpoint();
    expect(checkpoint.totalWeight).toBe(10_051);
    expect([...checkpoint.bucketWeights]).toEqual([
      [1, 1],
      [2, 10_000],
      [3, 50],
    ]);
  });

  // histogram_test.go: TestHistogramLoadFromCheckpoint
  it('should spread the checkpoint total weight over its buckets', () => {
    const h = new Histogram(testOptions);
    h.loadFromCheckpoint({
      totalWeight: 6,
      bucketWeights: new Map([
        [0, 1],
        [1, 2],
      ]),
    });
    expect(h.totalWeight).toBe(6);
    expect(h.bucketWeight(0)).toBe(2);
    expect(h.bucketWeight(1)).toBe(4);
  });

  // histogram_test.go: TestHistogramLoadFromCheckpointReturnsErrorOnNegativeBucket,
  // ...OnInvalidBucket, ...ErrorNegativeTotaWeight
  it('should refuse negative buckets, buckets past the scheme and a negative total weight', () => {
    const load = (totalWeight: number, bucketWeights: [number, number][]) => () =>
      new Histogram(testOptions).loadFromCheckpoint({ totalWeight, bucketWeights: new Map(bucketWeights) });
    expect(load(1, [[-1, 1]])).toThrow(HistogramCheckpointError);
    expect(load(1, [[99, 1]])).toThrow(HistogramCheckpointError);
    expect(load(-1, [])).toThrow(HistogramCheckpointError);
  });
});
