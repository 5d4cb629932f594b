/**
 * From a container's aggregate to target, lower and upper bound (upstream `logic/estimator.go` and
 * `logic/recommender.go`), composed exactly as upstream composes its estimators:
 *
 *   target = min( margin( percentile(p90) ) )
 *   lower  = min( confidence(0.001, -2, margin( percentile(p50) )) )
 *   upper  = min( confidence(1, +1,    margin( percentile(p95) )) )
 *
 * Each step produces an integer amount (truncating), and the per-pod minimum is applied last. The
 * confidence multiplier `(1 + multiplier/confidence)^exponent` widens the bounds for short histories:
 * with no history the upper bound is the maximum amount and the lower bound 0 (then the minimum).
 */
import type { ContainerAggregateState } from './container-state';
import type { RecommenderOptions } from './options';
import { cpuAmountFromCores, memoryAmountFromBytes, scaleResource } from './resource-amount';

export interface ResourceEstimate {
  /** Millicores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface ContainerEstimate {
  target: ResourceEstimate;
  lowerBound: ResourceEstimate;
  upperBound: ResourceEstimate;
}

/** Upper bound: `(1 + 1/confidence)^1` — ×2 after one day of history, ×1.14 after a week. */
export const UPPER_BOUND_CONFIDENCE = { multiplier: 1, exponent: 1 } as const;
/** Lower bound: `(1 + 0.001/confidence)^-2` — ×0.6 after 5 min, ×0.95 after an hour. */
export const LOWER_BOUND_CONFIDENCE = { multiplier: 0.001, exponent: -2 } as const;

const MINUTE_MS = 60_000;
const MIB = 1024 * 1024;

/**
 * How much history the aggregate holds, in units of `intervalMs`: the smaller of the time between the
 * first and the last CPU sample and the sample count at one sample per minute.
 *
 * @example confidence(stateWith9SamplesOver16Minutes, 24 * 3_600_000) // 0.00625
 */
export function confidence(state: ContainerAggregateState, intervalMs: number): number {
  const lifespan = ((state.lastSampleStart ?? 0) - (state.firstSampleStart ?? 0)) / intervalMs;
  const samples = state.totalSamplesCount / (intervalMs / MINUTE_MS);
  return Math.min(lifespan, samples);
}

/** `base + trunc(base × fraction)`. */
export function withMargin(amount: number, fraction: number): number {
  return amount + scaleResource(amount, fraction);
}

export function withConfidenceMultiplier(
  amount: number,
  multiplier: number,
  exponent: number,
  confidenceValue: number,
): number {
  return scaleResource(amount, (1 + multiplier / confidenceValue) ** exponent);
}

/** The per-container share of the per-pod minimums (upstream splits them evenly). */
export function containerMinimums(
  options: Pick<RecommenderOptions, 'podMinCpuMillicores' | 'podMinMemoryMb'>,
  containersPerPod: number,
): ResourceEstimate {
  const fraction = 1 / Math.max(1, containersPerPod);
  return {
    cpu: scaleResource(cpuAmountFromCores(options.podMinCpuMillicores * 0.001), fraction),
    memory: scaleResource(memoryAmountFromBytes(options.podMinMemoryMb * MIB), fraction),
  };
}

/**
 * Target and bounds for one container before policy capping.
 *
 * @example estimateContainer(state, DEFAULT_RECOMMENDER_OPTIONS, containerMinimums(DEFAULT_RECOMMENDER_OPTIONS, 1))
 */
export function estimateContainer(
  state: ContainerAggregateState,
  options: RecommenderOptions,
  minimums: ResourceEstimate,
): ContainerEstimate {
  const margin = options.safetyMarginFraction;
  const cpuAt = (p: number) => withMargin(cpuAmountFromCores(state.cpu.percentile(p)), margin);
  const memoryAt = (p: number) => withMargin(memoryAmountFromBytes(state.memory.percentile(p)), margin);
  const cpuConfidence = confidence(state, options.confidenceIntervalCpuMs);
  const memoryConfidence = confidence(state, options.confidenceIntervalMemoryMs);
  const lower = (amount: number, c: number) =>
    withConfidenceMultiplier(amount, LOWER_BOUND_CONFIDENCE.multiplier, LOWER_BOUND_CONFIDENCE.exponent, c);
  const upper = (amount: number, c: number) =>
    withConfidenceMultiplier(amount, UPPER_BOUND_CONFIDENCE.multiplier, UPPER_BOUND_CONFIDENCE.exponent, c);
  return {
    target: {
      cpu: Math.max(cpuAt(options.targetCpuPercentile), minimums.cpu),
      memory: Math.max(memoryAt(options.targetMemoryPercentile), minimums.memory),
    },
    lowerBound: {
      cpu: Math.max(lower(cpuAt(options.lowerBoundCpuPercentile), cpuConfidence), minimums.cpu),
      memory: Math.max(
        lower(memoryAt(options.lowerBoundMemoryPercentile), memoryConfidence),
        minimums.memory,
      ),
    },
    upperBound: {
      cpu: Math.max(upper(cpuAt(options.upperBoundCpuPercentile), cpuConfidence), minimums.cpu),
      memory: Math.max(
        upper(memoryAt(options.upperBoundMemoryPercentile), memoryConfidence),
        minimums.memory,
      ),
    },
  };
}
