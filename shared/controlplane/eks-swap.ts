/**
 * The swap of an EKS cluster's Provisioned Control Plane tier: one `UpdateClusterConfig`, followed with
 * `DescribeUpdate` until EKS says it is active. Pure: no I/O, time comes in as `now`. The update carries
 * the swap's id as its client request token, so a Lambda that dies after the call and retries gets the
 * same update back, not a second one. EKS keeps the old tier until the update succeeds, so a failed
 * update has nothing to roll back: the tier is marked unavailable for a while and the swap ends.
 */
import type { EksClusterInfo, EksUpdate } from '../ports/eks';
import type { EksSwapRecord } from './swap-record';

export interface EksSwapObservation {
  cluster?: EksClusterInfo;
  /** The swap's update as EKS describes it now (when it has one). */
  update?: EksUpdate;
}

export type EksSwapAction =
  | { kind: 'update-tier'; eksCluster: string; tier: string; clientRequestToken: string }
  | { kind: 'wait'; until: number; reason: string }
  | { kind: 'done' };

export interface EksSwapStep {
  action: EksSwapAction;
  swap: EksSwapRecord;
}

const RECHECK_MS = 15_000;

function enter(swap: EksSwapRecord, state: EksSwapRecord['state'], now: number): EksSwapRecord {
  return swap.state === state ? swap : { ...swap, state, stateSince: now };
}

/** The record after the loop started the update. */
export function recordEksUpdate(swap: EksSwapRecord, update: EksUpdate, now: number): EksSwapRecord {
  return { ...enter(swap, 'waiting', now), updateId: update.id };
}

/**
 * The next step of an EKS tier swap.
 *
 * @example nextEksSwapStep(swap, { cluster: { name, status: 'ACTIVE', tier: 'tier-xl' } }, now, { timeoutMs })
 * // { action: { kind: 'update-tier', eksCluster: 'prod', tier: 'tier-2xl', clientRequestToken: swap.id }, swap }
 */
export function nextEksSwapStep(
  swap: EksSwapRecord,
  observation: EksSwapObservation,
  now: number,
  settings: { timeoutMs: number },
): EksSwapStep {
  switch (swap.state) {
    case 'done':
    case 'rolled-back':
    case 'failed':
      return { action: { kind: 'done' }, swap };
    case 'updating': {
      if (observation.cluster?.tier === swap.to) {
        return { action: { kind: 'done' }, swap: enter(swap, 'done', now) };
      }
      return {
        action: {
          kind: 'update-tier',
          eksCluster: swap.eksCluster,
          tier: swap.to,
          clientRequestToken: swap.id.slice(0, 64),
        },
        swap,
      };
    }
    case 'waiting': {
      const update = observation.update;
      if (update?.status === 'Successful')
        return { action: { kind: 'done' }, swap: enter(swap, 'done', now) };
      if (update?.status === 'Failed' || update?.status === 'Cancelled') {
        const why = update.errors.length > 0 ? update.errors.join('; ') : update.status;
        return {
          action: { kind: 'done' },
          swap: {
            ...enter(swap, 'rolled-back', now),
            failure: `EKS update ${update.id} to ${swap.to}: ${why}`,
            typeUnavailable: true,
          },
        };
      }
      if (now - swap.stateSince >= settings.timeoutMs) {
        return {
          action: { kind: 'done' },
          swap: {
            ...enter(swap, 'failed', now),
            failure: `EKS update ${swap.updateId ?? '(unknown)'} to ${swap.to} still ${update?.status ?? 'not found'} after ${Math.round(settings.timeoutMs / 60_000)} min`,
          },
        };
      }
      return {
        action: {
          kind: 'wait',
          until: now + RECHECK_MS,
          reason: `EKS update ${swap.updateId ?? ''} to ${swap.to}: ${update?.status ?? 'not visible yet'}`,
        },
        swap,
      };
    }
  }
}
