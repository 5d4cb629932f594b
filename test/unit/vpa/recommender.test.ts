/**
 * The recommender step end to end. Reproduces upstream
 * vertical-pod-autoscaler/pkg/recommender/logic/recommender_test.go (TestMinResourcesApplied,
 * TestMinResourcesSplitAcrossContainers, TestControlledResourcesFiltered,
 * TestControlledResourcesFilteredDefault) and the filtering of routines/vpa.go
 * (GetContainerNameToAggregateStateMap: mode Off and containers without samples get nothing).
 */
import { describe, expect, it } from 'vitest';
import type { PodResourcePolicy } from '../../../shared/vpa/policy';
import { type ContainerUsageSample, ingestContainer, recommendVpa } from '../../../shared/vpa/recommender';
import { DAY, MINUTE, MiB } from './fixtures';

const NOW = Date.parse('2024-06-10T12:00:00Z');

function tinySample(pod = 'web-0'): ContainerUsageSample {
  return { pod, at: NOW, cpuMillicores: 1, memoryBytes: 1e6 };
}

/** One sample a minute for a week, ending at NOW: 500m CPU, 600 MiB memory. */
function steadyWeek(pod = 'web-0'): ContainerUsageSample[] {
  const samples: ContainerUsageSample[] = [];
  for (let i = 7 * 24 * 60 - 1; i >= 0; i--) {
    samples.push({ pod, at: NOW - i * MINUTE, cpuMillicores: 500, memoryBytes: 600 * MiB });
  }
  return samples;
}

describe('recommendVpa', () => {
  // recommender_test.go: TestMinResourcesApplied
  it('given tiny usage in one container, should recommend the per-pod minimums 25m and 250Mi', () => {
    const result = recommendVpa({ now: NOW, containers: [{ name: 'app', samples: [tinySample()] }] });
    const rec = result.containers[0]?.recommendation;
    expect(rec?.target).toEqual({ cpu: 25, memory: 262_144_000 });
    // One sample is no history: the lower bound collapses to the minimum, the upper bound to the maximum.
    expect(rec?.lowerBound).toEqual({ cpu: 25, memory: 262_144_000 });
    expect(rec?.upperBound).toEqual({ cpu: 1e14, memory: 1e14 });
    expect(result.containers[0]?.reasons.map((r) => r.code)).toEqual(['PodMinimum', 'PodMinimum']);
  });

  // recommender_test.go: TestMinResourcesSplitAcrossContainers
  it('given two containers, should split the minimums between them', () => {
    const result = recommendVpa({
      now: NOW,
      containers: [
        { name: 'app', samples: [tinySample()] },
        { name: 'sidecar', samples: [tinySample()] },
      ],
    });
    for (const container of result.containers) {
      expect(container.recommendation?.target).toEqual({ cpu: 12, memory: 131_072_000 });
    }
  });

  // recommender_test.go: TestControlledResourcesFiltered, TestControlledResourcesFilteredDefault
  it('should recommend only the controlled resources', () => {
    const policy: PodResourcePolicy = {
      containerPolicies: [{ containerName: 'app', controlledResources: ['memory'] }],
    };
    const memoryOnly = recommendVpa({
      now: NOW,
      policy,
      containers: [{ name: 'app', samples: [tinySample()] }],
    }).containers[0]?.recommendation;
    for (const amounts of [memoryOnly?.target, memoryOnly?.lowerBound, memoryOnly?.upperBound]) {
      expect(Object.keys(amounts ?? {})).toEqual(['memory']);
    }
    const both = recommendVpa({ now: NOW, containers: [{ name: 'app', samples: [tinySample()] }] })
      .containers[0]?.recommendation;
    for (const amounts of [both?.target, both?.lowerBound, both?.upperBound]) {
      expect(Object.keys(amounts ?? {})).toEqual(['cpu', 'memory']);
    }
  });

  // routines/vpa.go: GetContainerNameToAggregateStateMap
  it('given mode Off or no CPU sample, should skip the container and not count it in the minimum split', () => {
    const policy: PodResourcePolicy = { containerPolicies: [{ containerName: 'istio-proxy', mode: 'Off' }] };
    const result = recommendVpa({
      now: NOW,
      policy,
      containers: [
        { name: 'app', samples: [tinySample()] },
        { name: 'istio-proxy', samples: [tinySample()] },
        { name: 'idle', samples: [{ pod: 'web-0', at: NOW, memoryBytes: 1e6 }] },
      ],
    });
    const [app, proxy, idle] = result.containers;
    expect(app?.recommendation?.target).toEqual({ cpu: 25, memory: 262_144_000 });
    expect(proxy?.recommendation).toBeUndefined();
    expect(proxy?.reasons.map((r) => r.code)).toEqual(['ScalingModeOff']);
    expect(idle?.recommendation).toBeUndefined();
    expect(idle?.reasons.map((r) => r.code)).toEqual(['NoSamples']);
  });

  // The whole pipeline on a steady week: 500m is in CPU bucket 25 (ends at 511.13m), 600 MiB in memory
  // bucket 29 (ends at 664388475.03 B); +15% margin; confidence = 10079 min / 1440 min = 6.99931 days.
  it('given a steady week, should match the upstream composition of percentile, margin and confidence', () => {
    const result = recommendVpa({ now: NOW, containers: [{ name: 'app', samples: steadyWeek() }] });
    expect(result.containers[0]?.recommendation).toEqual({
      containerName: 'app',
      target: { cpu: 587, memory: 764_046_746 },
      lowerBound: { cpu: 586, memory: 763_828_472 },
      upperBound: { cpu: 670, memory: 873_207_110 },
      uncappedTarget: { cpu: 587, memory: 764_046_746 },
    });
  });

  it('given maxAllowed, should cap the target and keep the uncapped one', () => {
    const policy: PodResourcePolicy = {
      containerPolicies: [{ containerName: '*', maxAllowed: { memory: 512 * MiB } }],
    };
    const container = recommendVpa({ now: NOW, policy, containers: [{ name: 'app', samples: steadyWeek() }] })
      .containers[0];
    expect(container?.recommendation?.target.memory).toBe(512 * MiB);
    expect(container?.recommendation?.uncappedTarget.memory).toBe(764_046_746);
    expect(container?.reasons).toContainEqual({
      resource: 'memory',
      code: 'CappedToMaxAllowed',
      message: 'memory capped to maxAllowed',
    });
  });

  it('should report minAllowed above maxAllowed and let maxAllowed win, as upstream does', () => {
    const policy: PodResourcePolicy = {
      containerPolicies: [{ containerName: 'app', minAllowed: { cpu: 800 }, maxAllowed: { cpu: 600 } }],
    };
    const result = recommendVpa({ now: NOW, policy, containers: [{ name: 'app', samples: steadyWeek() }] });
    expect(result.problems.map((p) => [p.containerName, p.resource, p.code])).toEqual([
      ['app', 'cpu', 'MinAllowedAboveMaxAllowed'],
    ]);
    expect(result.containers[0]?.recommendation?.target.cpu).toBe(600);
  });
});

describe('ingestContainer', () => {
  it('should leave the given state untouched and drop samples it has already seen', () => {
    const first = ingestContainer(undefined, { samples: [tinySample()] }, NOW);
    const again = ingestContainer(first.state, { samples: [tinySample()] }, NOW);
    expect(first.state.totalSamplesCount).toBe(1);
    expect(again.state.totalSamplesCount).toBe(1);
    // The CPU sample is a duplicate; the memory sample at the same time is taken (it is not older).
    expect([again.samplesAdded, again.samplesDiscarded]).toEqual([1, 1]);
  });

  it('given live pods, should drop the memory windows of pods that are gone', () => {
    const both = ingestContainer(undefined, { samples: [tinySample('web-0'), tinySample('web-1')] }, NOW);
    const next = ingestContainer(both.state, { livePods: ['web-1'] }, NOW + MINUTE);
    expect([...next.state.pods.keys()]).toEqual(['web-1']);
  });

  it('without live pods, should drop a pod window after a memory interval without samples', () => {
    const first = ingestContainer(undefined, { samples: [tinySample('web-0')] }, NOW);
    expect([...ingestContainer(first.state, {}, NOW + DAY - MINUTE).state.pods.keys()]).toEqual(['web-0']);
    expect([...ingestContainer(first.state, {}, NOW + DAY + MINUTE).state.pods.keys()]).toEqual([]);
  });
});
