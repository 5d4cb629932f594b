/**
 * Every tunable of the VPA recommender core, with upstream's defaults (recommender flags and
 * `model/aggregations_config.go`) and tideplane's fast-OOM defaults. Durations are milliseconds.
 *
 * Fast-OOM defaults, and why:
 * - `bumpRatios` 2, 2.5, 3: the goal is at most two OOM kills after a step of up to 4× in memory
 *   need; two escalations give 2 × 2.5 = 5× the request that was killed, so a 4× step fits with 25%
 *   headroom, while a first OOM only doubles (a workload that barely overran gets 2×, not 4×).
 * - `minBumpBytes` 100 MiB: upstream's `OOMMinBumpUp`, so small containers still get a useful bump.
 * - `holdMs` 24 h: one memory aggregation interval. After it, the histogram holds a full interval of
 *   peaks from pods that ran with the raised request, so the recommendation no longer needs the floor.
 * - `escalationWindowMs` 24 h: an OOM at or above the floor within a day of the last escalation is the
 *   same incident growing (a slowly filling cache takes hours), so the next, larger ratio applies.
 * - `quickOomThresholdMs` 10 min: upstream updater's `evict-after-oom-threshold`.
 */
import { z } from 'zod';

export type OomPolicy = 'fast' | 'upstream';

export interface FastOomOptions {
  /** Ratio for the 1st, 2nd, … escalation within the window; the last one repeats. */
  bumpRatios: readonly number[];
  minBumpBytes: number;
  escalationWindowMs: number;
  holdMs: number;
  /** An OOM kill this soon after the container started asks the updater to act at once. */
  quickOomThresholdMs: number;
}

export interface RecommenderOptions {
  oomPolicy: OomPolicy;
  /** `--recommendation-margin-fraction`. */
  safetyMarginFraction: number;
  /** `--pod-recommendation-min-cpu-millicores`, split evenly among the pod's recommended containers. */
  podMinCpuMillicores: number;
  /** `--pod-recommendation-min-memory-mb` (MiB), split the same way. */
  podMinMemoryMb: number;
  targetCpuPercentile: number;
  lowerBoundCpuPercentile: number;
  upperBoundCpuPercentile: number;
  targetMemoryPercentile: number;
  lowerBoundMemoryPercentile: number;
  upperBoundMemoryPercentile: number;
  /** `--confidence-interval-cpu`: the history length that counts as one unit of confidence. */
  confidenceIntervalCpuMs: number;
  confidenceIntervalMemoryMs: number;
  cpuHistogramHalfLifeMs: number;
  memoryHistogramHalfLifeMs: number;
  /** One memory peak per container per interval. */
  memoryAggregationIntervalMs: number;
  /** Intervals in the memory window: an aggregate without samples for that long has expired. */
  memoryAggregationIntervalCount: number;
  /** Upstream's OOM sample: max(used × ratio, used + min bump). */
  oomBumpUpRatio: number;
  oomMinBumpUpBytes: number;
  /**
   * Weight CPU samples by the container's CPU request (at least 0.1 core), as upstream's code reads.
   * Off by default because upstream never fills the request in, so every sample weighs 0.1 there
   * (kubernetes/autoscaler#7818); turning it on changes the numbers.
   */
  cpuWeightByRequest: boolean;
  /** `--container-recommendation-max-allowed-cpu/-memory`: applies where the policy has no maxAllowed. */
  globalMaxAllowed: { cpu?: number; memory?: number };
  fastOom: FastOomOptions;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MIB = 1024 * 1024;

export const DEFAULT_FAST_OOM_OPTIONS: FastOomOptions = Object.freeze({
  bumpRatios: Object.freeze([2, 2.5, 3]),
  minBumpBytes: 100 * MIB,
  escalationWindowMs: DAY_MS,
  holdMs: DAY_MS,
  quickOomThresholdMs: 10 * 60_000,
});

export const DEFAULT_RECOMMENDER_OPTIONS: RecommenderOptions = Object.freeze({
  oomPolicy: 'fast',
  safetyMarginFraction: 0.15,
  podMinCpuMillicores: 25,
  podMinMemoryMb: 250,
  targetCpuPercentile: 0.9,
  lowerBoundCpuPercentile: 0.5,
  upperBoundCpuPercentile: 0.95,
  targetMemoryPercentile: 0.9,
  lowerBoundMemoryPercentile: 0.5,
  upperBoundMemoryPercentile: 0.95,
  confidenceIntervalCpuMs: DAY_MS,
  confidenceIntervalMemoryMs: DAY_MS,
  cpuHistogramHalfLifeMs: DAY_MS,
  memoryHistogramHalfLifeMs: DAY_MS,
  memoryAggregationIntervalMs: DAY_MS,
  memoryAggregationIntervalCount: 8,
  oomBumpUpRatio: 1.2,
  oomMinBumpUpBytes: 100 * MIB,
  cpuWeightByRequest: false,
  globalMaxAllowed: Object.freeze({}),
  fastOom: DEFAULT_FAST_OOM_OPTIONS,
});

/** Upstream's behaviour throughout: the baseline tideplane is compared against. */
export const UPSTREAM_RECOMMENDER_OPTIONS: RecommenderOptions = Object.freeze({
  ...DEFAULT_RECOMMENDER_OPTIONS,
  oomPolicy: 'upstream',
});

const d = DEFAULT_RECOMMENDER_OPTIONS;
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const nonNegative = z.number().min(0);

const fastOomSchema = z.object({
  bumpRatios: z
    .array(z.number().gt(1))
    .min(1)
    .default([...DEFAULT_FAST_OOM_OPTIONS.bumpRatios]),
  minBumpBytes: nonNegative.default(DEFAULT_FAST_OOM_OPTIONS.minBumpBytes),
  escalationWindowMs: nonNegative.default(DEFAULT_FAST_OOM_OPTIONS.escalationWindowMs),
  holdMs: nonNegative.default(DEFAULT_FAST_OOM_OPTIONS.holdMs),
  quickOomThresholdMs: nonNegative.default(DEFAULT_FAST_OOM_OPTIONS.quickOomThresholdMs),
});

/**
 * Parses recommender settings from config; every field is optional and defaults as documented above.
 *
 * @example recommenderOptionsSchema.parse({ oomPolicy: 'upstream' }).safetyMarginFraction // 0.15
 */
export const recommenderOptionsSchema = z.object({
  oomPolicy: z.enum(['fast', 'upstream']).default(d.oomPolicy),
  safetyMarginFraction: nonNegative.default(d.safetyMarginFraction),
  podMinCpuMillicores: nonNegative.default(d.podMinCpuMillicores),
  podMinMemoryMb: nonNegative.default(d.podMinMemoryMb),
  targetCpuPercentile: fraction.default(d.targetCpuPercentile),
  lowerBoundCpuPercentile: fraction.default(d.lowerBoundCpuPercentile),
  upperBoundCpuPercentile: fraction.default(d.upperBoundCpuPercentile),
  targetMemoryPercentile: fraction.default(d.targetMemoryPercentile),
  lowerBoundMemoryPercentile: fraction.default(d.lowerBoundMemoryPercentile),
  upperBoundMemoryPercentile: fraction.default(d.upperBoundMemoryPercentile),
  confidenceIntervalCpuMs: positive.default(d.confidenceIntervalCpuMs),
  confidenceIntervalMemoryMs: positive.default(d.confidenceIntervalMemoryMs),
  cpuHistogramHalfLifeMs: positive.default(d.cpuHistogramHalfLifeMs),
  memoryHistogramHalfLifeMs: positive.default(d.memoryHistogramHalfLifeMs),
  memoryAggregationIntervalMs: positive.default(d.memoryAggregationIntervalMs),
  memoryAggregationIntervalCount: z.number().int().positive().default(d.memoryAggregationIntervalCount),
  oomBumpUpRatio: z.number().min(1).default(d.oomBumpUpRatio),
  oomMinBumpUpBytes: nonNegative.default(d.oomMinBumpUpBytes),
  cpuWeightByRequest: z.boolean().default(d.cpuWeightByRequest),
  globalMaxAllowed: z.object({ cpu: nonNegative.optional(), memory: nonNegative.optional() }).prefault({}),
  fastOom: fastOomSchema.prefault({}),
}) satisfies z.ZodType<RecommenderOptions, unknown>;
