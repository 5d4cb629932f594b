/**
 * The EKS Provisioned Control Plane's ladder: its scaling tiers in EKS's order (`EKS_TIERS`), stepped
 * like the instance-type ladder (same floor, ceiling and jump rules). Pure.
 */
import { EKS_TIERS } from '../ports/eks';
import {
  NO_STEP_MESSAGES,
  type NoStepReason,
  reachableIndexes,
  type StepDirection,
  stepIndex,
} from './ladder-step';

export type TierStep =
  | { ok: true; tier: string; clamped?: 'floor' | 'ceiling' | 'top' | 'bottom' }
  | { ok: false; reason: NoStepReason | 'unknown-tier'; message: string };

/**
 * The tier `steps` tiers `direction` from `current`, never under `floor` nor over `ceiling`.
 *
 * @example
 * stepTier('standard', 'up', 1, {}) // { ok: true, tier: 'tier-xl' }
 * stepTier('tier-2xl', 'up', 2, { ceiling: 'tier-4xl' }) // { ok: true, tier: 'tier-4xl', clamped: 'ceiling' }
 * stepTier('tier-8xl', 'up', 1, {}) // { ok: false, reason: 'top', ... }
 */
export function stepTier(
  current: string,
  direction: StepDirection,
  steps: number,
  bounds: { floor?: string | undefined; ceiling?: string | undefined },
): TierStep {
  const tiers: readonly string[] = EKS_TIERS;
  const named = { current, floor: bounds.floor, ceiling: bounds.ceiling };
  const index: Partial<Record<keyof typeof named, number>> = {};
  for (const [role, tier] of Object.entries(named) as [keyof typeof named, string | undefined][]) {
    if (tier === undefined) continue;
    const at = tiers.indexOf(tier);
    if (at < 0) {
      return {
        ok: false,
        reason: 'unknown-tier',
        message: `${role} ${tier} is not one of ${tiers.join(', ')}`,
      };
    }
    index[role] = at;
  }
  const step = stepIndex(tiers.length, { on: index.current as number }, direction, steps, {
    floor: index.floor === undefined ? undefined : { on: index.floor },
    ceiling: index.ceiling === undefined ? undefined : { on: index.ceiling },
  });
  if (!step.ok) {
    return {
      ok: false,
      reason: step.reason,
      message: NO_STEP_MESSAGES[step.reason],
    };
  }
  return { ok: true, tier: tiers[step.index] as string, ...(step.clamped ? { clamped: step.clamped } : {}) };
}

/**
 * Every tier reachable from `current` in `direction` within the bounds, nearest first; empty when none
 * is or a name is not a tier (`stepTier` says why).
 *
 * @example
 * tierCandidatesFrom('tier-xl', 'up', { ceiling: 'tier-4xl' }) // ['tier-2xl', 'tier-4xl']
 */
export function tierCandidatesFrom(
  current: string,
  direction: StepDirection,
  bounds: { floor?: string | undefined; ceiling?: string | undefined },
): string[] {
  const tiers: readonly string[] = EKS_TIERS;
  const at = (tier: string | undefined) => (tier === undefined ? undefined : tiers.indexOf(tier));
  const [position, floor, ceiling] = [at(current), at(bounds.floor), at(bounds.ceiling)];
  if (position === undefined || position < 0 || floor === -1 || ceiling === -1) return [];
  return reachableIndexes(tiers.length, { on: position }, direction, {
    floor: floor === undefined ? undefined : { on: floor },
    ceiling: ceiling === undefined ? undefined : { on: ceiling },
  }).map((index) => tiers[index] as string);
}
