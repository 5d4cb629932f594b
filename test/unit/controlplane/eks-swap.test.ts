/**
 * The EKS Provisioned Control Plane tier swap (shared/controlplane/eks-swap.ts).
 */
import { describe, expect, it } from 'vitest';
import { nextEksSwapStep, recordEksUpdate } from '../../../shared/controlplane/eks-swap';
import type { EksSwapRecord } from '../../../shared/controlplane/swap-record';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MINUTE = 60_000;
const SETTINGS = { timeoutMs: 60 * MINUTE };

function swap(overrides: Partial<EksSwapRecord> = {}): EksSwapRecord {
  return {
    kind: 'eks',
    id: 'swap-1',
    from: 'tier-xl',
    to: 'tier-2xl',
    direction: 'up',
    reason: 'load high',
    startedAt: NOW,
    state: 'updating',
    stateSince: NOW,
    eksCluster: 'prod',
    ...overrides,
  };
}

const cluster = (tier: string) => ({ name: 'prod', status: 'ACTIVE', tier });

describe('nextEksSwapStep', () => {
  it('should ask EKS for the new tier with the swap id as client request token', () => {
    expect(nextEksSwapStep(swap(), { cluster: cluster('tier-xl') }, NOW, SETTINGS).action).toEqual({
      kind: 'update-tier',
      eksCluster: 'prod',
      tier: 'tier-2xl',
      clientRequestToken: 'swap-1',
    });
  });

  it('should be done at once when the cluster already has the tier (a retry after the update finished)', () => {
    expect(nextEksSwapStep(swap(), { cluster: cluster('tier-2xl') }, NOW, SETTINGS)).toMatchObject({
      action: { kind: 'done' },
      swap: { state: 'done' },
    });
  });

  it('should follow the update until it succeeds', () => {
    const waiting = recordEksUpdate(swap(), { id: 'u-1', status: 'InProgress', errors: [] }, NOW);
    expect(waiting).toMatchObject({ state: 'waiting', updateId: 'u-1', stateSince: NOW });
    const update = { id: 'u-1', status: 'InProgress' as const, errors: [] };
    expect(nextEksSwapStep(waiting, { update }, NOW + MINUTE, SETTINGS).action).toEqual({
      kind: 'wait',
      until: NOW + MINUTE + 15_000,
      reason: 'EKS update u-1 to tier-2xl: InProgress',
    });
    expect(
      nextEksSwapStep(waiting, { update: { ...update, status: 'Successful' } }, NOW + 5 * MINUTE, SETTINGS),
    ).toMatchObject({ action: { kind: 'done' }, swap: { state: 'done' } });
  });

  it('should end rolled back, blaming the tier, when EKS fails or cancels the update', () => {
    const waiting = recordEksUpdate(swap(), { id: 'u-1', status: 'InProgress', errors: [] }, NOW);
    const failed = {
      id: 'u-1',
      status: 'Failed' as const,
      errors: ['InsufficientCapacity: not enough capacity for tier-2xl'],
    };
    expect(nextEksSwapStep(waiting, { update: failed }, NOW + MINUTE, SETTINGS).swap).toMatchObject({
      state: 'rolled-back',
      typeUnavailable: true,
      failure: 'EKS update u-1 to tier-2xl: InsufficientCapacity: not enough capacity for tier-2xl',
    });
    const cancelled = { id: 'u-1', status: 'Cancelled' as const, errors: [] };
    expect(nextEksSwapStep(waiting, { update: cancelled }, NOW + MINUTE, SETTINGS).swap.failure).toBe(
      'EKS update u-1 to tier-2xl: Cancelled',
    );
  });

  it('should fail (for a person) when the update is still running after the timeout', () => {
    const waiting = recordEksUpdate(swap(), { id: 'u-1', status: 'InProgress', errors: [] }, NOW);
    const update = { id: 'u-1', status: 'InProgress' as const, errors: [] };
    expect(nextEksSwapStep(waiting, { update }, NOW + 60 * MINUTE, SETTINGS).swap).toMatchObject({
      state: 'failed',
      failure: 'EKS update u-1 to tier-2xl still InProgress after 60 min',
    });
  });
});
