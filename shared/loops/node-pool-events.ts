/**
 * What the node-pool loop does with one event before it ticks: a console or schedule request only asks
 * for ticks; a spot warning or rebalance recommendation is recorded against its instance; a launch
 * failure is recorded on its group; an instance state change only matters when a drain or a warning
 * refers to the instance. Each answer is "tick now" or "ignored, and why". Lambda's invocation and the
 * simulator's event source both go through here, so the simulator exercises what production runs.
 */
import type { LaunchUnsuccessfulEvent, NodePoolEvent } from '../config/node-pool-event';
import type { NodePoolsConfig } from '../config/node-pools';
import { DRAIN_RECORD_PREFIX } from '../nodepools/drain';
import {
  encodeGroupRecord,
  type GroupRecord,
  groupRecordKey,
  NODE_POOL_STATE_PREFIX,
  parseGroupRecord,
} from '../nodepools/failures';
import { clusterGroups } from '../nodepools/pools';
import type { AutoScalingPort } from '../ports/auto-scaling';
import { type StateStore, VersionConflictError } from '../ports/state-store';
import { interruptionKey, recordInterruption } from './node-pool-interruptions';

/** Attempts to record a reported failure when the group's state item keeps changing underneath. */
const RECORD_ATTEMPTS = 3;

export interface NodePoolEventDeps {
  cluster: string;
  settings: NodePoolsConfig;
  autoScaling: AutoScalingPort;
  state: StateStore;
}

export type NodePoolEventAcceptance =
  | {
      action: 'tick';
      /** Ticks to run now; absent: tick until the invocation's time runs low (the schedule's request). */
      maxTicks?: number;
      /**
       * Whether the event was written to the state store for the tick to act on (false for a request,
       * a state change, and anything in a dry run).
       */
      recorded: boolean;
    }
  | {
      action: 'ignored';
      /**
       * `not-ours`: an instance or group of no node pool of this cluster; `duplicate`: the instance's
       * event was recorded already (EventBridge delivers at least once); `untracked`: a state change of
       * an instance no drain or warning refers to.
       */
      reason: 'not-ours' | 'duplicate' | 'untracked';
      /** What a person reads in the Lambda console. */
      summary: string;
    };

/**
 * Stores the failure on the group's state item for the loop's next tick. The tick under the lease acts
 * on it (backoff, desired back, fallback); recording it first is what keeps an event that arrives during
 * a running tick from being lost or acted on twice.
 */
async function recordReportedFailure(
  state: StateStore,
  cluster: string,
  event: LaunchUnsuccessfulEvent,
): Promise<void> {
  const asgName = event.detail.AutoScalingGroupName;
  const at = Date.parse(event.time);
  const zone = event.detail.Details?.['Availability Zone'];
  const message = [event.detail.StatusMessage, typeof zone === 'string' ? `(zone ${zone})` : '']
    .filter(Boolean)
    .join(' ');
  for (let attempt = 1; ; attempt++) {
    const item = await state.get(cluster, groupRecordKey(asgName));
    const record: GroupRecord = item ? parseGroupRecord(item.data) : { asgName };
    const next: GroupRecord = {
      ...record,
      reportedFailure: { at, message: message || 'launch unsuccessful' },
    };
    try {
      await state.put(cluster, groupRecordKey(asgName), encodeGroupRecord(next), {
        expectedVersion: item?.version ?? 0,
        ...(item?.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}),
      });
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= RECORD_ATTEMPTS) throw error;
    }
  }
}

/** Whether a drain or a recorded interruption refers to the instance (so its state change matters). */
async function instanceHasState(state: StateStore, cluster: string, instanceId: string): Promise<boolean> {
  const items = await state.query(cluster, NODE_POOL_STATE_PREFIX);
  return items.some(
    (item) =>
      item.sk === interruptionKey(instanceId) ||
      (item.sk.startsWith(DRAIN_RECORD_PREFIX) &&
        (item.data as { instanceId?: unknown } | undefined)?.instanceId === instanceId),
  );
}

/**
 * Does the event's own part for a cluster whose loop is enabled (the caller has checked the cluster,
 * the region and the kill switches) and says whether to tick now. In a dry run nothing is written.
 * Never takes the lease and never calls Kubernetes, so an event of another cluster's instance costs one
 * Auto Scaling or state-store read.
 *
 * @example
 * const accepted = await acceptNodePoolEvent({ cluster, settings, autoScaling, state }, parsed.event, false);
 * if (accepted.action === 'tick') await runUnderLease({ ..., maxTicks: accepted.maxTicks });
 */
export async function acceptNodePoolEvent(
  deps: NodePoolEventDeps,
  event: NodePoolEvent,
  dryRun: boolean,
): Promise<NodePoolEventAcceptance> {
  const { cluster, settings, state } = deps;
  switch (event.kind) {
    case 'request': {
      const { ticks, dryRun: requestedDryRun } = event.request;
      // A console dry run is one tick to read; the schedule's request ticks while time remains.
      const maxTicks = ticks ?? (dryRun && requestedDryRun ? 1 : undefined);
      return { action: 'tick', ...(maxTicks !== undefined ? { maxTicks } : {}), recorded: false };
    }
    case 'spot-interruption':
    case 'rebalance-recommendation': {
      const instanceId = event.event.detail['instance-id'];
      const recorded = dryRun
        ? { status: 'dry-run' as const }
        : await recordInterruption(
            { cluster, autoScaling: deps.autoScaling, state, settings },
            { kind: event.kind, instanceId, at: Date.parse(event.event.time) },
          );
      if (recorded.status === 'not-ours') {
        const summary = `${cluster}: instance ${instanceId} is not in one of this cluster's groups; nothing done`;
        return { action: 'ignored', reason: 'not-ours', summary };
      }
      if (recorded.status === 'duplicate') {
        const summary = `${cluster}: instance ${instanceId}'s ${event.kind} was recorded already; nothing done`;
        return { action: 'ignored', reason: 'duplicate', summary };
      }
      // One tick now: the drain starts at once (a spot instance has two minutes).
      return { action: 'tick', maxTicks: 1, recorded: recorded.status === 'recorded' };
    }
    case 'instance-state-change': {
      const instanceId = event.event.detail['instance-id'];
      if (!(await instanceHasState(state, cluster, instanceId))) {
        const summary = `${cluster}: instance ${instanceId} (${event.event.detail.state}) has no drain or warning here; nothing done`;
        return { action: 'ignored', reason: 'untracked', summary };
      }
      // A tick sees the instance gone, deletes its Node and finishes the drain.
      return { action: 'tick', maxTicks: 1, recorded: false };
    }
    case 'launch-unsuccessful': {
      const asgName = event.event.detail.AutoScalingGroupName;
      const groups = clusterGroups(cluster, settings, await deps.autoScaling.describeGroups([asgName]));
      if (groups.length === 0) {
        const summary = `${cluster}: group ${asgName} is not one of this cluster's node pools; nothing done`;
        return { action: 'ignored', reason: 'not-ours', summary };
      }
      if (!dryRun) await recordReportedFailure(state, cluster, event.event);
      // One tick now, so the fallback starts at once; the schedule brings the next invocation.
      return { action: 'tick', maxTicks: 1, recorded: !dryRun };
    }
  }
}
