import type { ResolvedCluster } from '../config/load';
import { formatPath } from '../config/load';
import { type LaunchUnsuccessfulEvent, parseNodePoolEvent } from '../config/node-pool-event';
import type { NodePoolsConfig } from '../config/node-pools';
import { networkInputOf } from '../config/schema';
import { interruptionKey, recordInterruption } from '../loops/node-pool-interruptions';
import { type NodePoolTickSummary, renderNodePoolSummary, runNodePoolTick } from '../loops/node-pool-loop';
import { type NetworkPlan, planNetwork } from '../network/plan';
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
import type { Clock } from '../ports/clock';
import type { Ec2Port } from '../ports/ec2';
import type { KubernetesPort } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import { type StateStore, VersionConflictError } from '../ports/state-store';
import { type InvocationResult, runUnderLease } from './invocation';

/** The lease of the node-pool loop (`lease#node-pools`). */
export const NODE_POOL_LOOP = 'node-pools';

/** Attempts to record a reported failure when the group's state item keeps changing underneath. */
const RECORD_ATTEMPTS = 3;

export interface NodePoolInvocationDeps {
  config: ResolvedCluster;
  /** Built lazily: an invalid or refused event never touches the cluster or its secrets. */
  connect: () => Promise<{ kubernetes: KubernetesPort }>;
  autoScaling: AutoScalingPort;
  ec2: Ec2Port;
  state: StateStore;
  clock: Clock;
  log: Logger;
  /** The Lambda request id. */
  owner: string;
  remainingMs: () => number;
}

export type NodePoolInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      cluster: string;
      dryRun: boolean;
      /**
       * `lease-held`: another invocation runs the loop right now (a reported failure waits in the state
       * store for its next tick); `ignored`: an event about a group of another cluster.
       */
      status: InvocationResult<NodePoolTickSummary>['status'] | 'disabled' | 'ignored';
      ticks: NodePoolTickSummary[];
      /** What a person reads in the Lambda console. */
      summary: string;
    };

function networkOf(config: ResolvedCluster): NetworkPlan | undefined {
  const network = config.cluster.network;
  if (!network) return undefined;
  const result = planNetwork(networkInputOf(network));
  // The config schema runs the same plan, so a config that got here plans fine.
  if (!result.ok) throw new Error(`network: ${result.problems.join('; ')}`);
  return result.plan;
}

/**
 * Stores the failure on the group's state item for the loop's next tick. The tick under the lease acts
 * on it (backoff, desired back, fallback); recording it first is what keeps an event that arrives during
 * a running tick from being lost or acted on twice.
 */
async function recordReportedFailure(
  deps: NodePoolInvocationDeps,
  event: LaunchUnsuccessfulEvent,
): Promise<void> {
  const { state, config } = deps;
  const cluster = config.cluster.name;
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
 * One invocation of the node-pool function: validate the payload, then tick under the cluster's lease.
 * A bad payload gets a message naming the field and changes nothing; so does an event for another
 * cluster or region.
 */
export async function runNodePoolInvocation(
  payload: unknown,
  deps: NodePoolInvocationDeps,
): Promise<NodePoolInvocationResponse> {
  const parsed = parseNodePoolEvent(payload);
  if (!parsed.ok) {
    const problems = parsed.issues.map((issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`);
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const { cluster } = deps.config;
  const settings: NodePoolsConfig | undefined = cluster.nodePools;
  const event = parsed.event;
  if (event.kind === 'request' && event.request.cluster !== cluster.name) {
    return {
      ok: false,
      error: `cluster: this function serves "${cluster.name}", not "${event.request.cluster}"`,
    };
  }
  if (event.kind !== 'request' && event.event.region !== deps.config.region) {
    return {
      ok: false,
      error: `region: this function serves ${deps.config.region}, not ${event.event.region}`,
    };
  }
  const requested = event.kind === 'request' ? event.request : undefined;
  const dryRun = cluster.dryRun || settings?.dryRun === true || requested?.dryRun === true;
  const base = { ok: true as const, cluster: cluster.name, dryRun, ticks: [] };
  if (!cluster.enabled || !settings?.enabled) {
    const why = !cluster.enabled
      ? 'the cluster is disabled'
      : 'the node-pool loop is disabled (nodePools absent or enabled: false)';
    return { ...base, status: 'disabled', summary: `${cluster.name}: ${why}` };
  }

  let maxTicks = requested?.ticks ?? (dryRun && requested?.dryRun ? 1 : undefined);
  if (event.kind === 'spot-interruption' || event.kind === 'rebalance-recommendation') {
    const instanceId = event.event.detail['instance-id'];
    const recorded = dryRun
      ? { status: 'dry-run' as const }
      : await recordInterruption(
          { cluster: cluster.name, autoScaling: deps.autoScaling, state: deps.state, settings },
          { kind: event.kind, instanceId, at: Date.parse(event.event.time) },
        );
    if (recorded.status === 'not-ours' || recorded.status === 'duplicate') {
      const why =
        recorded.status === 'not-ours'
          ? `instance ${instanceId} is not in one of this cluster's groups`
          : `instance ${instanceId}'s ${event.kind} was recorded already`;
      return { ...base, status: 'ignored', summary: `${cluster.name}: ${why}; nothing done` };
    }
    // One tick now: the drain starts at once (a spot instance has two minutes).
    maxTicks = 1;
  }
  if (event.kind === 'instance-state-change') {
    const instanceId = event.event.detail['instance-id'];
    const involved = await instanceHasState(deps.state, cluster.name, instanceId);
    if (!involved) {
      return {
        ...base,
        status: 'ignored',
        summary: `${cluster.name}: instance ${instanceId} (${event.event.detail.state}) has no drain or warning here; nothing done`,
      };
    }
    // A tick sees the instance gone, deletes its Node and finishes the drain.
    maxTicks = 1;
  }
  if (event.kind === 'launch-unsuccessful') {
    const asgName = event.event.detail.AutoScalingGroupName;
    const groups = clusterGroups(cluster.name, settings, await deps.autoScaling.describeGroups([asgName]));
    if (groups.length === 0) {
      return {
        ...base,
        status: 'ignored',
        summary: `${cluster.name}: group ${asgName} is not one of this cluster's node pools; nothing done`,
      };
    }
    if (!dryRun) await recordReportedFailure(deps, event.event);
    // One tick now, so the fallback starts at once; the schedule brings the next invocation.
    maxTicks = 1;
  }

  const network = networkOf(deps.config);
  let connection: ReturnType<NodePoolInvocationDeps['connect']> | undefined;
  const result = await runUnderLease({
    cluster: cluster.name,
    loop: NODE_POOL_LOOP,
    owner: deps.owner,
    state: deps.state,
    clock: deps.clock,
    log: deps.log,
    intervalMs: settings.intervalSeconds * 1000,
    remainingMs: deps.remainingMs,
    ...(maxTicks !== undefined ? { maxTicks } : {}),
    tick: async () => {
      connection ??= deps.connect();
      const { kubernetes } = await connection;
      return runNodePoolTick({
        cluster: cluster.name,
        kubernetes,
        autoScaling: deps.autoScaling,
        ec2: deps.ec2,
        state: deps.state,
        clock: deps.clock,
        log: deps.log,
        settings,
        ...(network ? { network } : {}),
        dryRun,
      });
    },
  });
  const summary =
    result.status === 'lease-held'
      ? `${cluster.name}: another invocation holds the node-pool lease; nothing done now` +
        (event.kind === 'launch-unsuccessful' ? ' (the failure is recorded for its next tick)' : '')
      : result.ticks.map(renderNodePoolSummary).join('\n\n');
  return { ...base, status: result.status, ticks: result.ticks, summary };
}
