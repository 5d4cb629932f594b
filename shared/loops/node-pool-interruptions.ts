/**
 * Spot interruption warnings and rebalance recommendations: EC2 names only the instance, and the event
 * may arrive while another invocation holds the lease. So the event is first recorded against the
 * instance (`pool#interruption#<instance id>`, created once: a duplicated event does nothing twice), the
 * instance's offering is marked unavailable, and the next tick under the lease — started at once when
 * the lease is free — turns the record into a drain of the instance's node (with the two-minute
 * deadline for a spot warning), so scale-up replaces the capacity elsewhere.
 */
import { z } from 'zod';
import type { NodePoolsConfig } from '../config/node-pools';
import {
  encodeUnavailableOffering,
  NODE_POOL_STATE_PREFIX,
  type UnavailableOffering,
  unavailableOfferingKey,
} from '../nodepools/failures';
import { clusterTag } from '../nodepools/pools';
import { instanceIdOf } from '../nodepools/scale-down';
import type { AutoScalingGroup, AutoScalingPort } from '../ports/auto-scaling';
import type { Node } from '../ports/kubernetes';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';

/** EC2 takes a spot instance this long after its interruption warning. */
export const SPOT_NOTICE_MS = 120_000;

export const INTERRUPTION_RECORD_PREFIX = `${NODE_POOL_STATE_PREFIX}interruption#`;

/** How long an interruption record waits for its node before it is dropped (the instance never joined). */
const INTERRUPTION_TTL_SECONDS = 3600;

const interruptionSchema = z.object({
  instanceId: z.string().min(1),
  asgName: z.string().min(1),
  kind: z.enum(['spot-interruption', 'rebalance-recommendation']),
  /** Epoch ms of the event. */
  at: z.number().finite(),
  /** When EC2 takes the instance (spot warnings only). */
  deadline: z.number().finite().optional(),
  /**
   * The node whose drain the warning started. The record stays (until its TTL) so a duplicated event
   * is recognised as one, but it starts nothing again.
   */
  drainedNode: z.string().optional(),
});

export type InstanceInterruption = z.infer<typeof interruptionSchema>;

export function interruptionKey(instanceId: string): string {
  return `${INTERRUPTION_RECORD_PREFIX}${instanceId}`;
}

export function parseInterruption(data: unknown): InstanceInterruption {
  return interruptionSchema.parse(data);
}

/** The cluster's group that holds the instance, from groups filtered by the cluster's tag. */
export async function groupOfInstance(
  autoScaling: AutoScalingPort,
  cluster: string,
  instanceId: string,
): Promise<AutoScalingGroup | undefined> {
  const groups = await autoScaling.describeGroups(undefined, clusterTag(cluster));
  return groups.find((group) => group.instances.some((instance) => instance.instanceId === instanceId));
}

export type InterruptionRecording =
  | { status: 'recorded'; asgName: string }
  | { status: 'duplicate'; asgName: string }
  | { status: 'not-ours' };

/**
 * Records the warning against the instance if it is one of the cluster's (else `not-ours`, nothing
 * written), and for a spot warning marks its type and zone as out of spot capacity for the
 * unavailable-offering TTL so scale-up plans the replacement elsewhere.
 */
export async function recordInterruption(
  deps: { cluster: string; autoScaling: AutoScalingPort; state: StateStore; settings: NodePoolsConfig },
  event: { kind: InstanceInterruption['kind']; instanceId: string; at: number },
): Promise<InterruptionRecording> {
  const group = await groupOfInstance(deps.autoScaling, deps.cluster, event.instanceId);
  if (!group) return { status: 'not-ours' };
  const record: InstanceInterruption = {
    instanceId: event.instanceId,
    asgName: group.name,
    kind: event.kind,
    at: event.at,
    ...(event.kind === 'spot-interruption' ? { deadline: event.at + SPOT_NOTICE_MS } : {}),
  };
  const key = interruptionKey(event.instanceId);
  const expiresAt = Math.floor(event.at / 1000) + INTERRUPTION_TTL_SECONDS;
  try {
    await deps.state.put(deps.cluster, key, record, { expectedVersion: 0, expiresAt });
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // A spot warning often follows a rebalance recommendation for the same instance (EC2 sends the
    // recommendation first when it can): the warning still brings its deadline and marks the offering.
    const existing = await deps.state.get(deps.cluster, key);
    const earlier = interruptionSchema.safeParse(existing?.data);
    if (
      event.kind !== 'spot-interruption' ||
      !existing ||
      !earlier.success ||
      earlier.data.kind !== 'rebalance-recommendation'
    ) {
      return { status: 'duplicate', asgName: group.name };
    }
    try {
      // Without `drainedNode`, the next tick hands the deadline to the drain the recommendation started.
      await deps.state.put(deps.cluster, key, record, { expectedVersion: existing.version, expiresAt });
    } catch (upgradeError) {
      if (upgradeError instanceof VersionConflictError) return { status: 'duplicate', asgName: group.name };
      throw upgradeError;
    }
  }
  const instance = group.instances.find((i) => i.instanceId === event.instanceId);
  const ttlMs = deps.settings.unavailableOfferingSeconds * 1000;
  if (event.kind === 'spot-interruption' && instance && ttlMs > 0) {
    const offering: UnavailableOffering = {
      instanceType: instance.instanceType,
      zone: instance.availabilityZone,
      capacityType: 'spot',
      until: event.at + ttlMs,
      reason: `spot interruption warning for ${event.instanceId}`,
    };
    await deps.state
      .put(deps.cluster, unavailableOfferingKey(offering), encodeUnavailableOffering(offering), {
        expectedVersion: 0,
        expiresAt: Math.ceil(offering.until / 1000),
      })
      .catch((error: unknown) => {
        // Already remembered (another warning in that offering): as good as ours.
        if (!(error instanceof VersionConflictError)) throw error;
      });
  }
  return { status: 'recorded', asgName: group.name };
}

/** The interruption records a tick read, each with the node of its instance when that node exists. */
export function pendingInterruptions(
  stored: StoredItem[],
  nodes: readonly Node[],
): { item: StoredItem; interruption: InstanceInterruption; node?: Node }[] {
  const byInstance = new Map<string, Node>();
  for (const node of nodes) {
    const id = instanceIdOf(node.providerID);
    if (id) byInstance.set(id, node);
  }
  const result: { item: StoredItem; interruption: InstanceInterruption; node?: Node }[] = [];
  for (const item of stored) {
    if (!item.sk.startsWith(INTERRUPTION_RECORD_PREFIX)) continue;
    const parsed = interruptionSchema.safeParse(item.data);
    if (!parsed.success || parsed.data.drainedNode !== undefined) continue;
    const node = byInstance.get(parsed.data.instanceId);
    result.push({ item, interruption: parsed.data, ...(node ? { node } : {}) });
  }
  return result;
}
