/**
 * From the metrics' proposal to the replica count to set, as upstream's `normalizeDesiredReplicas`
 * (no behavior: downscale stabilization, the scale-up limit `max(2 × current, 4)`, min/max) and
 * `normalizeDesiredReplicasWithBehaviors` (up and down stabilization windows, then the scaling policies
 * over the scale events of each policy's period, with selectPolicy Max/Min/Disabled).
 */
import type { HPAScalingPolicy } from '../ports/autoscaling-v2';
import { CONDITION } from './conditions';
import type { HpaHistory, TimestampedRecommendation, TimestampedScaleEvent } from './history';
import { longestPolicyPeriodSeconds, pruneRecommendations, replicasChangedWithin } from './history';
import type { DefaultedBehavior, DefaultedScalingRules } from './spec';

/** Upstream `scaleUpLimitFactor` and `scaleUpLimitMinimum` (scale-up limit without behavior). */
export const SCALE_UP_LIMIT_FACTOR = 2.0;
export const SCALE_UP_LIMIT_MINIMUM = 4.0;
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

export interface ConsideredRecommendation extends TimestampedRecommendation {
  /** Which window(s) read it. */
  usedFor: ('scaleUp' | 'scaleDown')[];
}

export interface StabilizationExplanation {
  /** `default`: no behavior (only the downscale window); `behavior`: both windows. */
  mode: 'default' | 'behavior';
  scaleUpWindowSeconds?: number;
  scaleDownWindowSeconds: number;
  /** The proposal from the metrics. */
  input: number;
  recommendations: ConsideredRecommendation[];
  /** Behavior only: the lowest recommendation in the scale-up window (the most a scale-up may reach). */
  upperLimitFromScaleUpWindow?: number;
  /** Behavior only: the highest recommendation in the scale-down window (the least a scale-down may reach). */
  lowerLimitFromScaleDownWindow?: number;
  result: number;
  reason: string;
}

export interface PolicyExplanation extends HPAScalingPolicy {
  replicasAddedInPeriod: number;
  replicasRemovedInPeriod: number;
  periodStartReplicas: number;
  /** The replica count this policy allows. */
  allowed: number;
}

export interface RateLimitExplanation {
  direction: 'up' | 'down' | 'none';
  /** Without behavior: `max(2 × current, 4)`. */
  defaultScaleUpLimit?: number;
  selectPolicy?: DefaultedScalingRules['selectPolicy'];
  policies?: PolicyExplanation[];
  /** With behavior: the count the selected policy allows (raised/lowered to current when it points backwards). */
  policyLimit?: number;
  /** With behavior: the recorded scale events within the longest policy period of this direction. */
  eventsConsidered?: { scaleUp: TimestampedScaleEvent[]; scaleDown: TimestampedScaleEvent[] };
  minReplicas: number;
  maxReplicas: number;
  input: number;
  result: number;
  /** ScalingLimited condition reason and message. */
  reason: string;
  message: string;
  limited: boolean;
}

export interface NormalizationResult {
  desiredReplicas: number;
  /** AbleToScale (True) reason and message. */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited status, reason and message. */
  scalingLimited: { status: 'True' | 'False'; reason: string; message: string };
  stabilization: StabilizationExplanation;
  rateLimit: RateLimitExplanation;
  /** History with this sync's unstabilized recommendation recorded and unreadable ones pruned. */
  history: HpaHistory;
}

export interface NormalizeArgs {
  history: HpaHistory;
  now: number;
  currentReplicas: number;
  /** The metrics' proposal (before stabilization). */
  proposedReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: DefaultedBehavior | undefined;
  downscaleStabilizationSeconds: number;
}

/** `calculateScaleUpLimit`: `max(2 × current, 4)`. */
export function calculateScaleUpLimit(currentReplicas: number): number {
  return Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM));
}

/** `convertDesiredReplicasWithRules`: min/max and the default scale-up limit. */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
): { replicas: number; reason: string; message: string; scaleUpLimit: number } {
  const scaleUpLimit = calculateScaleUpLimit(currentReplicas);
  let maximumAllowed: number;
  let limiting: { reason: string; message: string };
  if (maxReplicas > scaleUpLimit) {
    maximumAllowed = scaleUpLimit;
    limiting = CONDITION.scaleUpLimit;
  } else {
    maximumAllowed = maxReplicas;
    limiting = CONDITION.tooManyReplicas;
  }
  if (desiredReplicas < minReplicas) {
    return { replicas: minReplicas, ...CONDITION.tooFewReplicas, scaleUpLimit };
  }
  if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, ...limiting, scaleUpLimit };
  return { replicas: desiredReplicas, ...CONDITION.desiredWithinRange, scaleUpLimit };
}

function policyChanges(
  rules: DefaultedScalingRules,
  history: HpaHistory,
  now: number,
  currentReplicas: number,
  direction: 'up' | 'down',
): PolicyExplanation[] {
  return rules.policies.map((policy) => {
    const added = replicasChangedWithin(history.scaleUpEvents, now, policy.periodSeconds);
    const removed = replicasChangedWithin(history.scaleDownEvents, now, policy.periodSeconds);
    const periodStartReplicas = currentReplicas - added + removed;
    let allowed: number;
    if (direction === 'up') {
      allowed =
        policy.type === 'Pods'
          ? periodStartReplicas + policy.value
          : // Rounded up, or a small percentage of few pods would never add one.
            Math.ceil(periodStartReplicas * (1 + policy.value / 100));
    } else {
      allowed =
        policy.type === 'Pods'
          ? periodStartReplicas - policy.value
          : Math.trunc(periodStartReplicas * (1 - policy.value / 100));
    }
    return {
      ...policy,
      replicasAddedInPeriod: added,
      replicasRemovedInPeriod: removed,
      periodStartReplicas,
      allowed,
    };
  });
}

/** `calculateScaleUpLimitWithScalingRules`. */
export function scaleUpLimitWithRules(
  rules: DefaultedScalingRules,
  history: HpaHistory,
  now: number,
  currentReplicas: number,
): { limit: number; policies: PolicyExplanation[] } {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas, policies: [] };
  const policies = policyChanges(rules, history, now, currentReplicas, 'up');
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let limit = rules.selectPolicy === 'Min' ? INT32_MAX : INT32_MIN;
  for (const policy of policies) limit = pick(limit, policy.allowed);
  return { limit, policies };
}

/** `calculateScaleDownLimitWithBehaviors`. */
export function scaleDownLimitWithRules(
  rules: DefaultedScalingRules,
  history: HpaHistory,
  now: number,
  currentReplicas: number,
): { limit: number; policies: PolicyExplanation[] } {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas, policies: [] };
  const policies = policyChanges(rules, history, now, currentReplicas, 'down');
  // For scale-down the smallest change (Min) is the highest count.
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let limit = rules.selectPolicy === 'Min' ? INT32_MIN : INT32_MAX;
  for (const policy of policies) limit = pick(limit, policy.allowed);
  return { limit, policies };
}

function normalizeWithoutBehavior(args: NormalizeArgs): NormalizationResult {
  const { now, currentReplicas, proposedReplicas, history } = args;
  const window = args.downscaleStabilizationSeconds;
  const cutoff = now - window * 1000;
  let stabilized = proposedReplicas;
  const considered: ConsideredRecommendation[] = [];
  for (const rec of history.recommendations) {
    if (rec.timestamp < cutoff) continue;
    considered.push({ ...rec, usedFor: ['scaleDown'] });
    stabilized = Math.max(stabilized, rec.replicas);
  }
  const ableToScale =
    stabilized !== proposedReplicas ? CONDITION.scaleDownStabilized : CONDITION.readyForNewScale;
  const converted = convertDesiredReplicasWithRules(
    currentReplicas,
    stabilized,
    args.minReplicas,
    args.maxReplicas,
  );
  const limited = converted.replicas !== stabilized;
  const nextHistory = pruneRecommendations(history, now, window);
  nextHistory.recommendations.push({ timestamp: now, replicas: proposedReplicas });
  return {
    desiredReplicas: converted.replicas,
    ableToScale: { reason: ableToScale.reason, message: ableToScale.message },
    scalingLimited: {
      status: limited ? 'True' : 'False',
      reason: converted.reason,
      message: converted.message,
    },
    stabilization: {
      mode: 'default',
      scaleDownWindowSeconds: window,
      input: proposedReplicas,
      recommendations: considered,
      result: stabilized,
      reason: ableToScale.reason,
    },
    rateLimit: {
      direction: stabilized > currentReplicas ? 'up' : stabilized < currentReplicas ? 'down' : 'none',
      defaultScaleUpLimit: converted.scaleUpLimit,
      minReplicas: args.minReplicas,
      maxReplicas: args.maxReplicas,
      input: stabilized,
      result: converted.replicas,
      reason: converted.reason,
      message: converted.message,
      limited,
    },
    history: nextHistory,
  };
}

function normalizeWithBehavior(args: NormalizeArgs, behavior: DefaultedBehavior): NormalizationResult {
  const { now, currentReplicas, proposedReplicas, history } = args;
  const upWindow = behavior.scaleUp.stabilizationWindowSeconds;
  const downWindow = behavior.scaleDown.stabilizationWindowSeconds ?? args.downscaleStabilizationSeconds;
  const upCutoff = now - upWindow * 1000;
  const downCutoff = now - downWindow * 1000;

  // stabilizeRecommendationWithBehaviors
  let upRecommendation = proposedReplicas;
  let downRecommendation = proposedReplicas;
  const considered: ConsideredRecommendation[] = [];
  for (const rec of history.recommendations) {
    const usedFor: ConsideredRecommendation['usedFor'] = [];
    if (rec.timestamp > upCutoff) {
      upRecommendation = Math.min(rec.replicas, upRecommendation);
      usedFor.push('scaleUp');
    }
    if (rec.timestamp > downCutoff) {
      downRecommendation = Math.max(rec.replicas, downRecommendation);
      usedFor.push('scaleDown');
    }
    if (usedFor.length > 0) considered.push({ ...rec, usedFor });
  }
  let stabilized = currentReplicas;
  if (stabilized < upRecommendation) stabilized = upRecommendation;
  if (stabilized > downRecommendation) stabilized = downRecommendation;
  const stabilizedReason =
    proposedReplicas >= currentReplicas ? CONDITION.scaleUpStabilized : CONDITION.scaleDownStabilized;
  const ableToScale = stabilized !== proposedReplicas ? stabilizedReason : CONDITION.readyForNewScale;
  const nextHistory = pruneRecommendations(history, now, Math.max(upWindow, downWindow));
  nextHistory.recommendations.push({ timestamp: now, replicas: proposedReplicas });

  // convertDesiredReplicasWithBehaviorRate
  let result = stabilized;
  let limiting: { reason: string; message: string } = CONDITION.desiredWithinRange;
  let direction: RateLimitExplanation['direction'] = 'none';
  let policies: PolicyExplanation[] | undefined;
  let policyLimit: number | undefined;
  let selectPolicy: DefaultedScalingRules['selectPolicy'] | undefined;
  if (stabilized > currentReplicas) {
    direction = 'up';
    selectPolicy = behavior.scaleUp.selectPolicy;
    const up = scaleUpLimitWithRules(behavior.scaleUp, history, now, currentReplicas);
    policies = up.policies;
    // Never below the current count: no further scale-up until the events age out.
    policyLimit = Math.max(up.limit, currentReplicas);
    let maximumAllowed = args.maxReplicas;
    let possible: { reason: string; message: string } = CONDITION.tooManyReplicas;
    if (maximumAllowed > policyLimit) {
      maximumAllowed = policyLimit;
      possible = CONDITION.scaleUpLimit;
    }
    if (stabilized > maximumAllowed) {
      result = maximumAllowed;
      limiting = possible;
    }
  } else if (stabilized < currentReplicas) {
    direction = 'down';
    selectPolicy = behavior.scaleDown.selectPolicy;
    const down = scaleDownLimitWithRules(behavior.scaleDown, history, now, currentReplicas);
    policies = down.policies;
    policyLimit = Math.min(down.limit, currentReplicas);
    let minimumAllowed = args.minReplicas;
    let possible: { reason: string; message: string } = CONDITION.tooFewReplicas;
    if (minimumAllowed < policyLimit) {
      minimumAllowed = policyLimit;
      possible = CONDITION.scaleDownLimit;
    }
    if (stabilized < minimumAllowed) {
      result = minimumAllowed;
      limiting = possible;
    }
  }
  const limited = result !== stabilized;
  const rateLimit: RateLimitExplanation = {
    direction,
    minReplicas: args.minReplicas,
    maxReplicas: args.maxReplicas,
    input: stabilized,
    result,
    reason: limiting.reason,
    message: limiting.message,
    limited,
  };
  if (selectPolicy !== undefined) rateLimit.selectPolicy = selectPolicy;
  if (direction !== 'none') {
    const rules = direction === 'up' ? behavior.scaleUp : behavior.scaleDown;
    const cutoff = now - longestPolicyPeriodSeconds(rules) * 1000;
    rateLimit.eventsConsidered = {
      scaleUp: history.scaleUpEvents.filter((e) => e.timestamp > cutoff),
      scaleDown: history.scaleDownEvents.filter((e) => e.timestamp > cutoff),
    };
  }
  if (policies !== undefined) rateLimit.policies = policies;
  if (policyLimit !== undefined) rateLimit.policyLimit = policyLimit;
  return {
    desiredReplicas: result,
    ableToScale: { reason: ableToScale.reason, message: ableToScale.message },
    scalingLimited: {
      status: limited ? 'True' : 'False',
      reason: limiting.reason,
      message: limiting.message,
    },
    stabilization: {
      mode: 'behavior',
      scaleUpWindowSeconds: upWindow,
      scaleDownWindowSeconds: downWindow,
      input: proposedReplicas,
      recommendations: considered,
      upperLimitFromScaleUpWindow: upRecommendation,
      lowerLimitFromScaleDownWindow: downRecommendation,
      result: stabilized,
      reason: ableToScale.reason,
    },
    rateLimit,
    history: nextHistory,
  };
}

/**
 * Stabilizes and limits the metrics' proposal, and records it in the history.
 *
 * @example
 * normalizeDesiredReplicas({ history, now, currentReplicas: 4, proposedReplicas: 2, minReplicas: 1,
 *   maxReplicas: 10, behavior: undefined, downscaleStabilizationSeconds: 300 })
 */
export function normalizeDesiredReplicas(args: NormalizeArgs): NormalizationResult {
  return args.behavior === undefined
    ? normalizeWithoutBehavior(args)
    : normalizeWithBehavior(args, args.behavior);
}
