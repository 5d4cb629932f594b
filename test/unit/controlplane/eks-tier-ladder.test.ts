import { describe, expect, it } from 'vitest';
import { stepTier, tierCandidatesFrom } from '../../../shared/controlplane/eks-tier-ladder';

// EKS's tiers, smallest first: standard, tier-xl, tier-2xl, tier-4xl, tier-8xl.
describe('stepTier', () => {
  it('should go one tier up and down in EKS’s order', () => {
    expect(stepTier('standard', 'up', 1, {})).toEqual({ ok: true, tier: 'tier-xl' });
    expect(stepTier('tier-4xl', 'down', 1, {})).toEqual({ ok: true, tier: 'tier-2xl' });
    expect(stepTier('tier-xl', 'up', 2, {})).toEqual({ ok: true, tier: 'tier-4xl' });
  });

  it('given the ends, a floor or a ceiling, should stop there', () => {
    expect(stepTier('tier-8xl', 'up', 1, {})).toMatchObject({ ok: false, reason: 'top' });
    expect(stepTier('standard', 'down', 1, {})).toMatchObject({ ok: false, reason: 'bottom' });
    expect(stepTier('tier-xl', 'down', 1, { floor: 'tier-xl' })).toMatchObject({
      ok: false,
      reason: 'floor',
    });
    expect(stepTier('tier-2xl', 'up', 2, { ceiling: 'tier-4xl' })).toEqual({
      ok: true,
      tier: 'tier-4xl',
      clamped: 'ceiling',
    });
    expect(stepTier('tier-2xl', 'down', 2, {})).toEqual({ ok: true, tier: 'standard' });
    expect(stepTier('tier-xl', 'down', 2, {})).toEqual({ ok: true, tier: 'standard', clamped: 'bottom' });
  });

  it('given a name that is not a tier, should say which', () => {
    expect(stepTier('tier-3xl', 'up', 1, {})).toMatchObject({
      ok: false,
      reason: 'unknown-tier',
      message: 'current tier-3xl is not one of standard, tier-xl, tier-2xl, tier-4xl, tier-8xl',
    });
    expect(stepTier('standard', 'up', 1, { ceiling: 'xl' })).toMatchObject({ reason: 'unknown-tier' });
  });
});

describe('tierCandidatesFrom', () => {
  it('should list the tiers within the bounds, nearest first', () => {
    expect(tierCandidatesFrom('tier-xl', 'up', { ceiling: 'tier-4xl' })).toEqual(['tier-2xl', 'tier-4xl']);
    expect(tierCandidatesFrom('tier-4xl', 'down', { floor: 'tier-xl' })).toEqual(['tier-2xl', 'tier-xl']);
    expect(tierCandidatesFrom('tier-8xl', 'up', {})).toEqual([]);
    expect(tierCandidatesFrom('huge', 'up', {})).toEqual([]);
  });
});
