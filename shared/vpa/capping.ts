/**
 * Capping a recommendation to the container policy (upstream `ApplyVPAPolicy` in
 * `utils/vpa/capping.go`, the step the recommender runs before writing status): minAllowed first, then
 * maxAllowed, for target, lower bound and upper bound alike. A zero bound counts as unset. The
 * recommender's global maximum fills in resources the policy's maxAllowed does not name. The
 * uncapped target is kept by the caller, so `kubectl describe vpa` shows what the histograms wanted.
 *
 * LimitRange capping and limit proportions belong to applying a recommendation (the updater), not here.
 */
import type { ContainerResourcePolicy } from './policy';
import { RESOURCE_NAMES, type ResourceAmounts, type ResourceName } from './resource-amount';

export interface RecommendationBounds {
  target: ResourceAmounts;
  lowerBound: ResourceAmounts;
  upperBound: ResourceAmounts;
}

export interface CappingNote {
  resource: ResourceName;
  code: 'CappedToMinAllowed' | 'CappedToMaxAllowed';
  /** Upstream's capping annotation text, e.g. `memory capped to maxAllowed`. */
  message: string;
}

function capOne(
  amounts: ResourceAmounts,
  minAllowed: ResourceAmounts | undefined,
  maxAllowed: ResourceAmounts,
  notes?: CappingNote[],
): ResourceAmounts {
  const capped: ResourceAmounts = { ...amounts };
  for (const resource of RESOURCE_NAMES) {
    let value = capped[resource];
    if (value === undefined) continue;
    const min = minAllowed?.[resource];
    if (min !== undefined && min !== 0 && value < min) {
      value = min;
      notes?.push({ resource, code: 'CappedToMinAllowed', message: `${resource} capped to minAllowed` });
    }
    const max = maxAllowed[resource];
    if (max !== undefined && max !== 0 && value > max) {
      value = max;
      notes?.push({ resource, code: 'CappedToMaxAllowed', message: `${resource} capped to maxAllowed` });
    }
    capped[resource] = value;
  }
  return capped;
}

/**
 * Caps target and bounds; notes describe what capping did to the target.
 *
 * @example capToPolicy(rec, { containerName: 'app', maxAllowed: { memory: 2 * GiB } }, {}).capped.target
 */
export function capToPolicy(
  recommendation: RecommendationBounds,
  policy: ContainerResourcePolicy | undefined,
  globalMaxAllowed: ResourceAmounts,
): { capped: RecommendationBounds; notes: CappingNote[] } {
  const maxAllowed: ResourceAmounts = { ...globalMaxAllowed, ...definedOnly(policy?.maxAllowed) };
  const notes: CappingNote[] = [];
  return {
    capped: {
      target: capOne(recommendation.target, policy?.minAllowed, maxAllowed, notes),
      lowerBound: capOne(recommendation.lowerBound, policy?.minAllowed, maxAllowed),
      upperBound: capOne(recommendation.upperBound, policy?.minAllowed, maxAllowed),
    },
    notes,
  };
}

function definedOnly(amounts: ResourceAmounts | undefined): ResourceAmounts {
  const result: ResourceAmounts = {};
  for (const resource of RESOURCE_NAMES) {
    const value = amounts?.[resource];
    if (value !== undefined) result[resource] = value;
  }
  return result;
}
