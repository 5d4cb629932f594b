/**
 * HPA status conditions as upstream's `setConditionInList`: a condition type is added when absent, its
 * `lastTransitionTime` moves only when its status changes, and reason and message are always replaced.
 * Conditions keep their position in the list (new ones are appended), so a status written every sync
 * stays stable.
 */
import type {
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerConditionType,
} from '../ports/autoscaling-v2';
import { formatRfc3339 } from './time';

export type ConditionStatus = HorizontalPodAutoscalerCondition['status'];

/**
 * Sets one condition on a copy of the list.
 *
 * @example setCondition([], now, 'AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale')
 */
export function setCondition(
  conditions: readonly HorizontalPodAutoscalerCondition[],
  now: number,
  type: HorizontalPodAutoscalerConditionType,
  status: ConditionStatus,
  reason: string,
  message: string,
): HorizontalPodAutoscalerCondition[] {
  const next = conditions.map((c) => ({ ...c }));
  let existing = next.find((c) => c.type === type);
  if (existing === undefined) {
    existing = { type, status: '' as ConditionStatus };
    next.push(existing);
  }
  if (existing.status !== status) existing.lastTransitionTime = formatRfc3339(now);
  existing.status = status;
  existing.reason = reason;
  existing.message = message;
  return next;
}

/** Finds a condition by type. */
export function findCondition(
  conditions: readonly HorizontalPodAutoscalerCondition[] | undefined,
  type: HorizontalPodAutoscalerConditionType,
): HorizontalPodAutoscalerCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Condition reasons and messages, verbatim from horizontal.go. */
export const CONDITION = {
  succeededGetScale: {
    reason: 'SucceededGetScale',
    message: "the HPA controller was able to get the target's current scale",
  },
  failedGetScale: {
    reason: 'FailedGetScale',
    message: (error: string) => `the HPA controller was unable to get the target's current scale: ${error}`,
  },
  scalingDisabled: {
    reason: 'ScalingDisabled',
    message: 'scaling is disabled since the replica count of the target is zero',
  },
  validMetricFound: {
    reason: 'ValidMetricFound',
    message: (metric: string) => `the HPA was able to successfully calculate a replica count from ${metric}`,
  },
  unableToCompute: (error: string) => `the HPA was unable to compute the replica count: ${error}`,
  missingSelector: "the HPA target's scale is missing a selector",
  succeededRescale: {
    reason: 'SucceededRescale',
    message: (replicas: number) => `the HPA controller was able to update the target scale to ${replicas}`,
  },
  failedUpdateScale: {
    reason: 'FailedUpdateScale',
    message: (error: string) => `the HPA controller was unable to update the target scale: ${error}`,
  },
  scaleDownStabilized: {
    reason: 'ScaleDownStabilized',
    message:
      'recent recommendations were higher than current one, applying the highest recent recommendation',
  },
  scaleUpStabilized: {
    reason: 'ScaleUpStabilized',
    message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
  },
  readyForNewScale: { reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
  scaleUpLimit: {
    reason: 'ScaleUpLimit',
    message: 'the desired replica count is increasing faster than the maximum scale rate',
  },
  scaleDownLimit: {
    reason: 'ScaleDownLimit',
    message: 'the desired replica count is decreasing faster than the maximum scale rate',
  },
  tooManyReplicas: {
    reason: 'TooManyReplicas',
    message: 'the desired replica count is more than the maximum replica count',
  },
  tooFewReplicas: {
    reason: 'TooFewReplicas',
    message: 'the desired replica count is less than the minimum replica count',
  },
  desiredWithinRange: {
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  },
  /** tideplane's reason for a spec the API server would have refused (no upstream equivalent). */
  invalidSpec: {
    reason: 'InvalidSpec',
    message: (problems: string) => `the HPA spec is invalid and was not evaluated: ${problems}`,
  },
} as const;
