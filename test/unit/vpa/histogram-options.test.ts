/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/util/histogram_options_test.go.
 */
import { describe, expect, it } from 'vitest';
import {
  CPU_HISTOGRAM_OPTIONS,
  exponentialHistogramOptions,
  HistogramOptionsError,
  linearHistogramOptions,
  MEMORY_HISTOGRAM_OPTIONS,
} from '../../../shared/vpa/histogram-options';

describe('histogram bucketing schemes', () => {
  // histogram_options_test.go: TestLinearHistogramOptions
  it('given a linear scheme (max 5, bucket 0.3), should have 18 buckets and clamp out-of-range values', () => {
    const o = linearHistogramOptions(5.0, 0.3, 0.001);
    expect(o.epsilon).toBe(0.001);
    expect(o.numBuckets).toBe(18);
    expect(o.bucketStart(0)).toBe(0);
    expect(o.bucketStart(17)).toBe(5.1);
    expect(o.findBucket(-1.0)).toBe(0);
    expect(o.findBucket(0.0)).toBe(0);
    expect(o.findBucket(1.3)).toBe(4);
    expect(o.findBucket(100.0)).toBe(17);
  });

  // histogram_options_test.go: TestExponentialHistogramOptions
  it('given an exponential scheme (max 500, first 40, ratio 1.5), should have 6 buckets at 0/40/100/190/325/527.5', () => {
    const o = exponentialHistogramOptions(500.0, 40.0, 1.5, 0.001);
    expect(o.epsilon).toBe(0.001);
    expect(o.numBuckets).toBe(6);
    expect([0, 1, 2, 3, 4, 5].map((b) => o.bucketStart(b))).toEqual([0, 40, 100, 190, 325, 527.5]);
    expect(o.findBucket(-1.0)).toBe(0);
    expect(o.findBucket(39.99)).toBe(0);
    expect(o.findBucket(40.0)).toBe(1);
    expect(o.findBucket(100.0)).toBe(2);
    expect(o.findBucket(900.0)).toBe(5);
  });

  it('should reject what upstream rejects and indexes outside the scheme', () => {
    expect(() => exponentialHistogramOptions(500, 40, 1, 0.001)).toThrow(HistogramOptionsError);
    expect(() => linearHistogramOptions(0, 1, 0.001)).toThrow(HistogramOptionsError);
    expect(() => linearHistogramOptions(10, 1, 0.001).bucketStart(11)).toThrow(RangeError);
  });

  // aggregations_config.go: CPU 0.01 core .. 1000 cores, memory 10 MB .. 1 TB, 5% growth.
  it('should use 176 buckets for CPU and memory, the first 0.01 core and 10 MB wide', () => {
    expect(CPU_HISTOGRAM_OPTIONS.numBuckets).toBe(176);
    expect(MEMORY_HISTOGRAM_OPTIONS.numBuckets).toBe(176);
    expect(CPU_HISTOGRAM_OPTIONS.bucketStart(1)).toBe(0.01);
    expect(MEMORY_HISTOGRAM_OPTIONS.bucketStart(1)).toBe(1e7);
    expect(CPU_HISTOGRAM_OPTIONS.findBucket(1.0)).toBe(36);
    expect(MEMORY_HISTOGRAM_OPTIONS.findBucket(1200 * 1024 * 1024)).toBe(40);
  });
});
