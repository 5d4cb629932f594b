import { describe, expect, it } from 'vitest';
import { DEFAULT_RECOMMENDER_OPTIONS, recommenderOptionsSchema } from '../../../shared/vpa/options';
import { DAY, HOUR, MiB } from './fixtures';

describe('recommender options', () => {
  it('given nothing, should default to upstream numbers with the fast OOM policy', () => {
    const parsed = recommenderOptionsSchema.parse({});
    expect(parsed).toEqual(DEFAULT_RECOMMENDER_OPTIONS);
    expect(parsed).toMatchObject({
      oomPolicy: 'fast',
      safetyMarginFraction: 0.15,
      podMinCpuMillicores: 25,
      podMinMemoryMb: 250,
      targetCpuPercentile: 0.9,
      lowerBoundCpuPercentile: 0.5,
      upperBoundCpuPercentile: 0.95,
      cpuHistogramHalfLifeMs: DAY,
      memoryAggregationIntervalMs: DAY,
      memoryAggregationIntervalCount: 8,
      oomBumpUpRatio: 1.2,
      oomMinBumpUpBytes: 100 * MiB,
      fastOom: { bumpRatios: [2, 2.5, 3], minBumpBytes: 100 * MiB, holdMs: DAY, escalationWindowMs: DAY },
    });
  });

  it('given part of the fast OOM settings, should default the rest', () => {
    const parsed = recommenderOptionsSchema.parse({ oomPolicy: 'upstream', fastOom: { holdMs: 6 * HOUR } });
    expect(parsed.oomPolicy).toBe('upstream');
    expect(parsed.fastOom).toMatchObject({
      holdMs: 6 * HOUR,
      escalationWindowMs: DAY,
      bumpRatios: [2, 2.5, 3],
    });
  });

  it('should refuse a bump ratio that does not bump and a percentile above 1', () => {
    expect(recommenderOptionsSchema.safeParse({ fastOom: { bumpRatios: [1] } }).success).toBe(false);
    expect(recommenderOptionsSchema.safeParse({ targetCpuPercentile: 90 }).success).toBe(false);
  });
});
