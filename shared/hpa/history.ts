/**
 * What an HPA controller remembers between syncs, as plain JSON for the state store: the unstabilized
 * recommendations of recent syncs (for stabilization windows) and the scale events of recent rescales
 * (for behavior policies). Upstream keeps these in controller memory (`recommendations`,
 * `scaleUpEvents`, `scaleDownEvents` in horizontal.go); tideplane stores them in DynamoDB.
 *
 * Pruning:
 * - recommendations older than every stabilization window in use are dropped (upstream reuses one such
 *   slot per sync; the ones it keeps are never read, so dropping them changes no decision);
 * - scale events are kept exactly as upstream keeps them: events older than the longest policy period
 *   of their direction are marked `outdated` and the last outdated slot is reused for the next event
 *   (`markScaleEventsOutdated` + `storeScaleEvent`). Which slot is reused is observable (scale-up events
 *   also limit scale-downs), so the list is not pruned further; its length stays bounded by the number of
 *   rescales within the longest period, plus one.
 */
import { z } from 'zod';
import type { DefaultedBehavior } from './spec';

export interface TimestampedRecommendation {
  /** Epoch ms. */
  timestamp: number;
  replicas: number;
}

export interface TimestampedScaleEvent {
  /** Epoch ms. */
  timestamp: number;
  /** Absolute change, always positive. */
  replicaChange: number;
  /** Marked when older than the longest policy period of its direction; its slot is reused. */
  outdated: boolean;
}

export interface HpaHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: TimestampedScaleEvent[];
  scaleDownEvents: TimestampedScaleEvent[];
}

const recommendationSchema = z.object({ timestamp: z.number(), replicas: z.number().int() });
const scaleEventSchema = z.object({
  timestamp: z.number(),
  replicaChange: z.number().int(),
  outdated: z.boolean().default(false),
});

/** zod schema of a stored history (use it when reading the state store or an explain file). */
export const hpaHistorySchema = z.object({
  recommendations: z.array(recommendationSchema).default([]),
  scaleUpEvents: z.array(scaleEventSchema).default([]),
  scaleDownEvents: z.array(scaleEventSchema).default([]),
});

/** An initialized, empty history. */
export function emptyHistory(): HpaHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

function copyHistory(history: HpaHistory): HpaHistory {
  return {
    recommendations: history.recommendations.map((r) => ({ ...r })),
    scaleUpEvents: history.scaleUpEvents.map((e) => ({ ...e })),
    scaleDownEvents: history.scaleDownEvents.map((e) => ({ ...e })),
  };
}

/**
 * `recordInitialRecommendation`: the first time the controller sees an HPA's scale it records the current
 * replica count as a recommendation, so that the first syncs do not scale down at once.
 */
export function initHistory(
  history: HpaHistory | undefined,
  now: number,
  currentReplicas: number,
): HpaHistory {
  if (history !== undefined) return copyHistory(history);
  return { ...emptyHistory(), recommendations: [{ timestamp: now, replicas: currentReplicas }] };
}

/** The longest policy period of one direction (`getLongestPolicyPeriod`). */
export function longestPolicyPeriodSeconds(rules: {
  policies: readonly { periodSeconds: number }[];
}): number {
  return rules.policies.reduce((longest, policy) => Math.max(longest, policy.periodSeconds), 0);
}

/**
 * Drops recommendations that no stabilization window can read any more: those before `now - window`.
 * `windowSeconds` is the longest window in use (the downscale window without behavior, the larger of the
 * two with behavior).
 */
export function pruneRecommendations(history: HpaHistory, now: number, windowSeconds: number): HpaHistory {
  const cutoff = now - windowSeconds * 1000;
  return { ...history, recommendations: history.recommendations.filter((r) => r.timestamp >= cutoff) };
}

function storeEvent(
  events: readonly TimestampedScaleEvent[],
  now: number,
  longestPeriodSeconds: number,
  replicaChange: number,
): TimestampedScaleEvent[] {
  const cutoff = now - longestPeriodSeconds * 1000;
  const next = events.map((event) =>
    event.timestamp < cutoff ? { ...event, outdated: true } : { ...event },
  );
  let reuse = -1;
  next.forEach((event, i) => {
    if (event.outdated) reuse = i;
  });
  const fresh = { timestamp: now, replicaChange, outdated: false };
  if (reuse >= 0) next[reuse] = fresh;
  else next.push(fresh);
  return next;
}

/**
 * Records a successful rescale (`storeScaleEvent`). Call it only after the scale update succeeded;
 * without a behavior there is nothing to record (upstream keeps no events then).
 *
 * @example
 * const next = recordRescale(history, spec.behavior, now, 4, 8); // one scale-up event of +4
 */
export function recordRescale(
  history: HpaHistory,
  behavior: DefaultedBehavior | undefined,
  now: number,
  previousReplicas: number,
  newReplicas: number,
): HpaHistory {
  const next = copyHistory(history);
  if (behavior === undefined || newReplicas === previousReplicas) return next;
  if (newReplicas > previousReplicas) {
    next.scaleUpEvents = storeEvent(
      next.scaleUpEvents,
      now,
      longestPolicyPeriodSeconds(behavior.scaleUp),
      newReplicas - previousReplicas,
    );
  } else {
    next.scaleDownEvents = storeEvent(
      next.scaleDownEvents,
      now,
      longestPolicyPeriodSeconds(behavior.scaleDown),
      previousReplicas - newReplicas,
    );
  }
  return next;
}

/** Sum of the changes of events strictly inside the last `periodSeconds` (`getReplicasChangePerPeriod`). */
export function replicasChangedWithin(
  events: readonly TimestampedScaleEvent[],
  now: number,
  periodSeconds: number,
): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.timestamp > cutoff ? sum + event.replicaChange : sum), 0);
}
