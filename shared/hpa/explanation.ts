/**
 * The explanation of one evaluation: every intermediate the decision went through, as plain JSON, so a
 * person (or `renderExplanation`) can follow it from pods and metrics to the replica count set.
 */
import type { HpaSettings } from '../config/hpa-settings';
import type { MetricExplanation } from './metrics';
import type { RateLimitExplanation, StabilizationExplanation } from './normalize';
import type { Tolerances } from './replica-calculator';
import type { DefaultedBehavior, SpecProblem } from './spec';

export type HpaCoreSettings = Pick<
  HpaSettings,
  | 'tolerance'
  | 'cpuInitializationPeriodSeconds'
  | 'initialReadinessDelaySeconds'
  | 'downscaleStabilizationSeconds'
>;

/** Which way the evaluation went. */
export type HpaOutcome =
  /** The spec failed validation; nothing was evaluated. */
  | 'InvalidSpec'
  /** The scale target could not be read (absent or invalid reference). */
  | 'FailedGetScale'
  /** The target runs 0 replicas and minReplicas is not 0: autoscaling is off. */
  | 'ScalingDisabled'
  /** The target runs more than maxReplicas: set to maxReplicas without looking at metrics. */
  | 'AboveMaxReplicas'
  /** The target runs fewer than minReplicas: set to minReplicas without looking at metrics. */
  | 'BelowMinReplicas'
  /** The scale's selector is missing, invalid or shared with another autoscaler. */
  | 'InvalidSelector'
  /** No usable proposal: all metrics failed, or some failed and the rest would scale down. */
  | 'MetricsFailed'
  /** Metrics proposed a count; it went through stabilization and limits. */
  | 'Computed';

export interface HpaExplanation {
  autoscaler: { kind: string; namespace: string; name: string; generation: number };
  /** RFC 3339. */
  now: string;
  settings: HpaCoreSettings;
  outcome: HpaOutcome;
  specProblems?: SpecProblem[];
  spec?: {
    minReplicas: number;
    maxReplicas: number;
    metricCount: number;
    behavior?: DefaultedBehavior;
  };
  scale?: { specReplicas: number; statusReplicas: number; selector: string };
  tolerances?: Tolerances;
  /** Pods of the namespace the scale's selector matches. */
  podsSelected?: number;
  metrics: MetricExplanation[];
  invalidMetrics?: number;
  /** The largest valid proposal, and which metric gave it. */
  maxAcrossMetrics?: { replicas: number; metric: string };
  /** `invalid metrics (n invalid out of m), first error is: …`. */
  metricsError?: string;
  stabilization?: StabilizationExplanation;
  rateLimit?: RateLimitExplanation;
  /** AboveMaxReplicas / BelowMinReplicas: the bound applied. */
  clamp?: { minReplicas: number; maxReplicas: number; bound: number };
  currentReplicas?: number;
  desiredReplicas: number;
  rescale: boolean;
  rescaleReason?: string;
  /** Free-form notes on anything unusual (selector problems, ignored inputs). */
  notes: string[];
}
