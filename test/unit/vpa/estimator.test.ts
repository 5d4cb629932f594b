/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/logic/estimator_test.go.
 */
import { describe, expect, it } from 'vitest';
import { addCpuSample, newContainerState } from '../../../shared/vpa/container-state';
import {
  confidence,
  containerMinimums,
  estimateContainer,
  withConfidenceMultiplier,
  withMargin,
} from '../../../shared/vpa/estimator';
import { DEFAULT_RECOMMENDER_OPTIONS } from '../../../shared/vpa/options';
import { DAY, MINUTE } from './fixtures';

const ANY_TIME = 0;
const options = DEFAULT_RECOMMENDER_OPTIONS;

function nineSamplesTwoMinutesApart() {
  const state = newContainerState(ANY_TIME, options);
  for (let i = 0; i < 9; i++) addCpuSample(state, 'pod', ANY_TIME + i * 2 * MINUTE, 1000, 0.1);
  return state;
}

describe('estimators', () => {
  // estimator_test.go: TestPercentileEstimator — upstream asserts within 5%; these are the exact
  // bucket ends: 1.0 core is in bucket 36, which ends at 1.01628 cores; 2e9 bytes in bucket 49, ending
  // at 2093479957.15 bytes.
  it('should return the end of the bucket holding the percentile, truncated to an amount', () => {
    const state = newContainerState(ANY_TIME, options);
    for (const cores of [1, 2, 3]) state.cpu.addSample(cores, 1, ANY_TIME);
    for (const bytes of [1e9, 2e9, 3e9]) state.memory.addSample(bytes, 1, ANY_TIME);
    const estimate = estimateContainer(
      state,
      { ...options, targetCpuPercentile: 0.2, targetMemoryPercentile: 0.5, safetyMarginFraction: 0 },
      { cpu: 0, memory: 0 },
    );
    expect(estimate.target).toEqual({ cpu: 1016, memory: 2_093_479_957 });
  });

  // estimator_test.go: TestConfidenceMultiplier
  it('given no history, should make the upper bound the maximum amount and the lower bound 0', () => {
    const empty = newContainerState(ANY_TIME, options);
    expect(confidence(empty, DAY)).toBe(0);
    expect(withConfidenceMultiplier(3140, 1.0, 1.0, 0)).toBe(1e14);
    expect(withConfidenceMultiplier(3140, 1.0, -1.0, 0)).toBe(0);
  });

  // estimator_test.go: TestConfidenceMultiplier (nine samples 2 min apart)
  it('given 9 samples over 16 min, should have confidence 9/1440 and scale by (1 + 0.1/0.00625)^2', () => {
    const state = nineSamplesTwoMinutesApart();
    expect(confidence(state, DAY)).toBe(0.00625);
    expect(withConfidenceMultiplier(3140, 0.1, 2.0, 0.00625)).toBe(907_460);
    expect(withConfidenceMultiplier(3.14e9, 0.1, 2.0, 0.00625)).toBe(9.0746e11);
  });

  // estimator_test.go: TestConfidenceMultiplierWithCustomInterval
  it('given an 18 min confidence interval, should have confidence 9/18 and scale by 1.44', () => {
    const state = nineSamplesTwoMinutesApart();
    expect(confidence(state, 18 * MINUTE)).toBe(0.5);
    expect(withConfidenceMultiplier(3140, 0.1, 2.0, 0.5)).toBe(4521);
    expect(withConfidenceMultiplier(3.14e9, 0.1, 2.0, 0.5)).toBe(4.5216e9);
  });

  // estimator_test.go: TestConfidenceMultiplierNoHistory
  it('given no history and exponent 2, should return the maximum amount', () => {
    expect(withConfidenceMultiplier(3140, 0.1, 2.0, 0)).toBe(1e14);
  });

  // estimator_test.go: TestMarginEstimator
  it('should add a 10% margin, truncated', () => {
    expect(withMargin(3140, 0.1)).toBe(3454);
    expect(withMargin(3.14e9, 0.1)).toBe(3.454e9);
  });

  // estimator_test.go: TestMinResourcesEstimator; recommender.go's per-pod split
  it('should split the per-pod minimums (25m, 250Mi) evenly among containers', () => {
    expect(containerMinimums(options, 1)).toEqual({ cpu: 25, memory: 262_144_000 });
    expect(containerMinimums(options, 2)).toEqual({ cpu: 12, memory: 131_072_000 });
  });
});
