/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/utils/vpa/capping_test.go: TestApplyVPAPolicy (the
 * recommender's capping, with the global max allowed) and the policy part of
 * TestRecommendationCappedToMinMaxPolicy. CPU in millicores, memory in bytes.
 */
import { describe, expect, it } from 'vitest';
import { capToPolicy, type RecommendationBounds } from '../../../shared/vpa/capping';
import type { ContainerResourcePolicy } from '../../../shared/vpa/policy';
import { MiB } from './fixtures';

// TestApplyVPAPolicy's recommendation: target 42m/42Mi, lower 31m/31Mi, upper 53m/53Mi.
const recommendation: RecommendationBounds = {
  target: { cpu: 42, memory: 42 * MiB },
  lowerBound: { cpu: 31, memory: 31 * MiB },
  upperBound: { cpu: 53, memory: 53 * MiB },
};

function policy(fields: Omit<ContainerResourcePolicy, 'containerName'>): ContainerResourcePolicy {
  return { containerName: 'foo', ...fields };
}

describe('capping to the container policy', () => {
  it('given no policy and no global maximum, should change nothing', () => {
    expect(capToPolicy(recommendation, undefined, {}).capped).toEqual(recommendation);
  });

  it('given minAllowed 50m/50Mi, should raise target and lower bound', () => {
    const { capped } = capToPolicy(recommendation, policy({ minAllowed: { cpu: 50, memory: 50 * MiB } }), {});
    expect(capped).toEqual({
      target: { cpu: 50, memory: 50 * MiB },
      lowerBound: { cpu: 50, memory: 50 * MiB },
      upperBound: { cpu: 53, memory: 53 * MiB },
    });
  });

  it('given maxAllowed 40m/40Mi, should lower target and upper bound', () => {
    const { capped } = capToPolicy(recommendation, policy({ maxAllowed: { cpu: 40, memory: 40 * MiB } }), {});
    expect(capped).toEqual({
      target: { cpu: 40, memory: 40 * MiB },
      lowerBound: { cpu: 31, memory: 31 * MiB },
      upperBound: { cpu: 40, memory: 40 * MiB },
    });
  });

  it('given no policy and a global maximum of 40m/40Mi, should cap to the global maximum', () => {
    const { capped } = capToPolicy(recommendation, undefined, { cpu: 40, memory: 40 * MiB });
    expect(capped.target).toEqual({ cpu: 40, memory: 40 * MiB });
    expect(capped.upperBound).toEqual({ cpu: 40, memory: 40 * MiB });
  });

  it('given minAllowed 35m/35Mi and a global maximum of 50m/50Mi, should apply both', () => {
    const { capped } = capToPolicy(recommendation, policy({ minAllowed: { cpu: 35, memory: 35 * MiB } }), {
      cpu: 50,
      memory: 50 * MiB,
    });
    expect(capped).toEqual({
      target: { cpu: 42, memory: 42 * MiB },
      lowerBound: { cpu: 35, memory: 35 * MiB },
      upperBound: { cpu: 50, memory: 50 * MiB },
    });
  });

  it('given maxAllowed cpu 40m and a global memory maximum of 40Mi, should combine them', () => {
    const { capped } = capToPolicy(recommendation, policy({ maxAllowed: { cpu: 40 } }), { memory: 40 * MiB });
    expect(capped).toEqual({
      target: { cpu: 40, memory: 40 * MiB },
      lowerBound: { cpu: 31, memory: 31 * MiB },
      upperBound: { cpu: 40, memory: 40 * MiB },
    });
  });

  it('given maxAllowed cpu 40m and a global maximum of 30m/30Mi, should prefer the policy for cpu', () => {
    const { capped } = capToPolicy(recommendation, policy({ maxAllowed: { cpu: 40 } }), {
      cpu: 30,
      memory: 30 * MiB,
    });
    expect(capped).toEqual({
      target: { cpu: 40, memory: 30 * MiB },
      lowerBound: { cpu: 31, memory: 30 * MiB },
      upperBound: { cpu: 40, memory: 30 * MiB },
    });
  });

  // capping_test.go: TestRecommendationCappedToMinMaxPolicy (quantities 30e1 etc. as plain numbers)
  it('given min 400/40000 and max 450/45000, should cap each value and note what it did to the target', () => {
    const { capped, notes } = capToPolicy(
      {
        target: { cpu: 300, memory: 50_000 },
        lowerBound: { cpu: 200, memory: 43_000 },
        upperBound: { cpu: 500, memory: 55_000 },
      },
      policy({ minAllowed: { cpu: 400, memory: 40_000 }, maxAllowed: { cpu: 450, memory: 45_000 } }),
      {},
    );
    expect(capped).toEqual({
      target: { cpu: 400, memory: 45_000 },
      lowerBound: { cpu: 400, memory: 43_000 },
      upperBound: { cpu: 450, memory: 45_000 },
    });
    expect(notes.map((note) => note.message)).toEqual([
      'cpu capped to minAllowed',
      'memory capped to maxAllowed',
    ]);
  });

  it('should treat a zero bound as unset, as upstream does', () => {
    const { capped } = capToPolicy(recommendation, policy({ maxAllowed: { cpu: 0 } }), { cpu: 10 });
    expect(capped.target.cpu).toBe(42);
  });
});
