import type { NodePoolsConfig } from '../config/node-pools';
import {
  abandonDrain,
  DRAIN_RECORD_PREFIX,
  DRAIN_TAINT,
  type DrainObservation,
  type DrainRecord,
  type DrainSettings,
  type DrainStart,
  drainObservation,
  drainRecordKey,
  encodeDrainRecord,
  hasDrainTaint,
  nextDrainStep,
  parseDrainRecord,
  recordEvictionResults,
  startDrain,
} from '../nodepools/drain';
import type { GroupRecord } from '../nodepools/failures';
import type { NodePool } from '../nodepools/pool';
import {
  type NodeRemoval,
  nodeGroupsOf,
  planScaleDown,
  type RebalanceHint,
  type ScaleDownSettings,
} from '../nodepools/scale-down';
import { AutoScalingError, type AutoScalingGroup, type AutoScalingPort } from '../ports/auto-scaling';
import type {
  DaemonSet,
  EvictionResult,
  KubernetesPort,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
} from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import { pendingInterruptions, SPOT_NOTICE_MS } from './node-pool-interruptions';

/**
 * The state item with the nodes that are unneeded and the fallback nodes hinted for a rebalance, each with
 * since when (the scale-down core's memory).
 */
export const UNNEEDED_KEY = 'pool#unneeded';

/** Drain steps one tick takes for one node at most (taint → evict, or terminate → delete → done). */
const MAX_STEPS_PER_TICK = 6;

/** A drain record outlives its last write by this much (a finished one is deleted). */
const DRAIN_TTL_SECONDS = 7 * 24 * 3600;

/** Events are reported as this component, like the scale-up's. */
const COMPONENT = 'node-pools';

export function scaleDownSettingsOf(settings: NodePoolsConfig): ScaleDownSettings {
  const s = settings.scaleDown;
  const poolUtilizationThresholds: Record<string, number> = {};
  for (const pool of settings.pools) {
    if (pool.scaleDownUtilizationThreshold !== undefined) {
      poolUtilizationThresholds[pool.name] = pool.scaleDownUtilizationThreshold;
    }
  }
  return {
    utilizationThreshold: s.utilizationThreshold,
    poolUtilizationThresholds,
    fallbackUtilizationThreshold: s.fallbackUtilizationThreshold,
    unneededTimeMs: s.unneededSeconds * 1000,
    unreadyTimeMs: s.unreadySeconds * 1000,
    delayAfterAddMs: s.delayAfterAddSeconds * 1000,
    maxEmptyPerTick: s.maxEmptyPerTick,
    maxDrainsPerPoolPerTick: s.maxDrainsPerPoolPerTick,
    maxConcurrentDrains: s.maxConcurrentDrains,
  };
}

export function drainSettingsOf(settings: NodePoolsConfig): DrainSettings {
  const d = settings.drain;
  return {
    timeoutMs: d.timeoutSeconds * 1000,
    evictionRetryMs: d.evictionRetrySeconds * 1000,
    evictionBlockedTimeoutMs: d.evictionBlockedTimeoutSeconds * 1000,
    maxGracePeriodMs: d.maxGracePeriodSeconds * 1000,
    terminateRetryMs: d.terminateRetrySeconds * 1000,
  };
}

export interface DrainOutcome {
  node: string;
  pool: string;
  reason: string;
  /** The state after this tick (`done` when the node is gone or the drain gave up and untainted). */
  state: DrainRecord['state'];
  /** What was done this tick, in order (`taint`, `evict 3`, `terminate`, `delete-node`, `untaint`). */
  actions: string[];
  abortReason?: string;
}

export interface ScaleDownSummary {
  /** Drains started this tick. */
  started: { node: string; pool: string; empty: boolean; reason: string }[];
  /** Every drain this tick touched. */
  drains: DrainOutcome[];
  /** Nodes unneeded now (waiting for the unneeded time). */
  unneeded: number;
  /** Nodes of pools that stay, with why (the first few). */
  blocked: { node: string; reason: string }[];
  /** Fallback nodes that could go if their preferred pool grew; the due ones make it grow. */
  rebalance: RebalanceHint[];
  /** Why no new scale-down was planned this tick, when it was not. */
  skipped?: string;
  /** Nodes whose drain taint was left behind without a drain, untainted this tick. */
  staleTaintsRemoved: string[];
}

export interface ScaleDownStepInput {
  cluster: string;
  kubernetes: KubernetesPort;
  autoScaling: AutoScalingPort;
  state: StateStore;
  log: Logger;
  settings: NodePoolsConfig;
  dryRun: boolean;
  now: number;
  nodes: Node[];
  pods: Pod[];
  pdbs: PodDisruptionBudget[];
  daemonSets: DaemonSet[];
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  pools: NodePool[];
  /** The cluster's groups as read this tick. */
  groups: AutoScalingGroup[];
  /** Every `pool#` state item read this tick. */
  stored: StoredItem[];
  groupRecords: ReadonlyMap<string, StoredItem<GroupRecord>>;
  /** Why new removals must wait this tick (a scale-up happened, pods are pending), if they must. */
  holdReason?: string;
  counts: { stateWrites: number; events: number };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where the drain's instance is, from groups read this tick; `gone` only when its group was read. */
function instanceState(drain: DrainRecord, groups: AutoScalingGroup[]): DrainObservation['instance'] {
  const group = groups.find((g) => g.name === drain.asgName);
  if (!group) return 'in-service';
  const instance = group.instances.find((i) => i.instanceId === drain.instanceId);
  if (!instance) return 'gone';
  return instance.lifecycleState.startsWith('Terminat') ? 'terminating' : 'in-service';
}

/** What this tick changed, so the next step of the same drain sees it without reading again. */
interface Overlay {
  tainted: Set<string>;
  untainted: Set<string>;
  deleted: Set<string>;
  terminating: Set<string>;
}

function observe(drain: DrainRecord, input: ScaleDownStepInput, overlay: Overlay): DrainObservation {
  const instance = overlay.terminating.has(drain.instanceId)
    ? 'terminating'
    : instanceState(drain, input.groups);
  const seen = drainObservation(drain, input.nodes, input.pods, instance);
  if (overlay.deleted.has(drain.node)) {
    const { node: _gone, ...rest } = seen;
    return rest;
  }
  if (seen.node && overlay.tainted.has(drain.node)) seen.node = { ...seen.node, tainted: true };
  if (seen.node && overlay.untainted.has(drain.node)) seen.node = { ...seen.node, tainted: false };
  return seen;
}

/** An Event on a node, best effort (a lost Event must not stop a drain). */
export async function nodeEvent(
  input: Pick<ScaleDownStepInput, 'kubernetes' | 'log' | 'nodes' | 'now' | 'counts'>,
  node: string,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string = COMPONENT,
): Promise<void> {
  const uid = input.nodes.find((n) => n.name === node)?.uid;
  try {
    await input.kubernetes.createEvent({
      involvedObject: { apiVersion: 'v1', kind: 'Node', namespace: '', name: node, ...(uid ? { uid } : {}) },
      type,
      reason,
      message,
      time: input.now,
      reportingComponent: component,
    });
    input.counts.events++;
  } catch (error) {
    input.log.warn('could not record a node event', { node, error: errorText(error) });
  }
}

/**
 * Moves one drain forward as far as this tick allows. Every new drain record is written (conditional on
 * the version read) before its action, so a crash re-runs at most the step it was in — and each step is
 * idempotent: tainting again, evicting a pod that is gone, terminating an instance already terminating.
 */
async function advanceDrain(
  input: ScaleDownStepInput,
  item: { version: number; drain: DrainRecord },
  overlay: Overlay,
  settings: DrainSettings,
): Promise<DrainOutcome> {
  const { cluster, kubernetes, autoScaling, state, now } = input;
  let version = item.version;
  let drain = item.drain;
  const actions: string[] = [];
  const persist = async (next: DrainRecord) => {
    const written = await state.put(cluster, drainRecordKey(next.node), encodeDrainRecord(next), {
      expectedVersion: version,
      expiresAt: Math.floor(now / 1000) + DRAIN_TTL_SECONDS,
    });
    input.counts.stateWrites++;
    version = written.version;
    drain = next;
  };
  const outcome = (): DrainOutcome => ({
    node: drain.node,
    pool: drain.pool,
    reason: drain.reason,
    state: drain.state,
    actions,
    ...(drain.abortReason ? { abortReason: drain.abortReason } : {}),
  });

  for (let step = 0; step < MAX_STEPS_PER_TICK; step++) {
    const { action, drain: next } = nextDrainStep(drain, observe(drain, input, overlay), now, settings);
    if (action.kind === 'done') {
      await state.delete(cluster, drainRecordKey(drain.node), version);
      drain = next;
      return { ...outcome(), state: 'done' };
    }
    if (next !== drain) await persist(next);
    switch (action.kind) {
      case 'wait':
        return outcome();
      case 'taint':
        await kubernetes.setNodeTaint(drain.node, DRAIN_TAINT, true);
        overlay.tainted.add(drain.node);
        actions.push('taint');
        break;
      case 'evict': {
        const results: { pod: string; uid: string; result: EvictionResult }[] = [];
        for (const pod of action.pods) {
          const result = await kubernetes.evictPod(
            pod.namespace,
            pod.name,
            pod.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: pod.gracePeriodSeconds } : {},
          );
          results.push({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, result });
        }
        await persist(recordEvictionResults(drain, results, now));
        const blocked = results.filter((r) => r.result === 'blocked').length;
        actions.push(`evict ${results.length}${blocked ? ` (${blocked} blocked by a PDB)` : ''}`);
        // Evicted pods take their grace period to go; the next tick looks again.
        return outcome();
      }
      case 'terminate':
        try {
          await autoScaling.terminateInstance(action.instanceId, true);
        } catch (error) {
          // Already out of its group: that is where this step wanted it.
          if (error instanceof AutoScalingError && error.reason === 'NotFound') {
            // fall through to deleting the Node
          } else if (error instanceof AutoScalingError && error.reason === 'Invalid') {
            // Refused for good (the group's minimum rose since the plan): give the node back, untainted.
            await persist(abandonDrain(drain, `Auto Scaling refused the termination: ${error.message}`, now));
            actions.push('terminate refused');
            break;
          } else {
            throw error;
          }
        }
        overlay.terminating.add(action.instanceId);
        actions.push('terminate');
        break;
      case 'delete-node':
        await kubernetes.deleteNode(drain.node);
        overlay.deleted.add(drain.node);
        actions.push('delete-node');
        break;
      case 'untaint':
        if (!overlay.deleted.has(drain.node)) {
          await kubernetes.setNodeTaint(drain.node, DRAIN_TAINT, false).catch((error: unknown) => {
            if ((error as Error).name !== 'NotFoundError') throw error;
          });
        }
        overlay.untainted.add(drain.node);
        actions.push('untaint');
        await nodeEvent(input, drain.node, 'Warning', 'ScaleDownFailed', `drain given up: ${action.reason}`);
        break;
    }
  }
  return outcome();
}

function lastScaleUps(input: ScaleDownStepInput): Record<string, number> {
  const byPool: Record<string, number> = {};
  for (const pool of input.pools) {
    for (const group of pool.groups) {
      const at = input.groupRecords.get(group.asgName)?.data.lastScaleUpAt;
      if (at !== undefined) byPool[pool.name] = Math.max(byPool[pool.name] ?? 0, at);
    }
  }
  return byPool;
}

interface UnneededMemory {
  item?: StoredItem;
  since: Record<string, number>;
  rebalanceSince: Record<string, number>;
}

function timesOf(value: unknown): Record<string, number> {
  const times: Record<string, number> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [node, at] of Object.entries(value)) {
      if (typeof at === 'number' && Number.isFinite(at)) times[node] = at;
    }
  }
  return times;
}

function readUnneeded(stored: StoredItem[]): UnneededMemory {
  const item = stored.find((i) => i.sk === UNNEEDED_KEY);
  const data = item?.data as { since?: unknown; rebalanceSince?: unknown } | undefined;
  const memory = { since: timesOf(data?.since), rebalanceSince: timesOf(data?.rebalanceSince) };
  return item ? { item, ...memory } : memory;
}

/**
 * Creates the drain record of a node (only if it has none: one drain per node, and a duplicated event
 * or a racing invocation does nothing twice). Returns undefined when another drain exists.
 */
export async function createDrain(
  state: StateStore,
  cluster: string,
  start: DrainStart,
  now: number,
): Promise<{ version: number; drain: DrainRecord } | undefined> {
  const drain = startDrain(start, now);
  try {
    const written = await state.put(cluster, drainRecordKey(drain.node), encodeDrainRecord(drain), {
      expectedVersion: 0,
      expiresAt: Math.floor(now / 1000) + DRAIN_TTL_SECONDS,
    });
    return { version: written.version, drain };
  } catch (error) {
    if (error instanceof VersionConflictError) return undefined;
    throw error;
  }
}

function removalReason(removal: NodeRemoval): string {
  return removal.pods.length === 0
    ? 'scale-down: empty'
    : `scale-down: utilization ${Math.round(removal.utilization * 100)} %, ${removal.pods.length} pod(s) to move`;
}

/**
 * The scale-down half of a node-pool tick: moves every drain in progress forward, removes drain taints
 * left without a drain, and — when nothing is pending and no pool grew this tick — plans which nodes
 * go and starts their drains.
 */
export async function runScaleDownStep(input: ScaleDownStepInput): Promise<ScaleDownSummary> {
  const { cluster, state, log, settings, dryRun, now } = input;
  const drainSettings = drainSettingsOf(settings);
  const summary: ScaleDownSummary = {
    started: [],
    drains: [],
    unneeded: 0,
    blocked: [],
    rebalance: [],
    staleTaintsRemoved: [],
  };
  const overlay: Overlay = {
    tainted: new Set(),
    untainted: new Set(),
    deleted: new Set(),
    terminating: new Set(),
  };

  const drains: { version: number; drain: DrainRecord }[] = [];
  for (const item of input.stored) {
    if (!item.sk.startsWith(DRAIN_RECORD_PREFIX)) continue;
    try {
      drains.push({ version: item.version, drain: parseDrainRecord(item.data) });
    } catch (error) {
      log.warn('ignoring a corrupt drain record', { cluster, sk: item.sk, error: errorText(error) });
    }
  }

  // Interruption warnings recorded since the last tick become drains of their nodes (one per node).
  if (!dryRun) {
    for (const pending of pendingInterruptions(input.stored, input.nodes)) {
      const { interruption, node } = pending;
      const pool = input.pools.find((p) => p.groups.some((g) => g.asgName === interruption.asgName));
      const running = node ? drains.find((d) => d.drain.node === node.name) : undefined;
      if (running && interruption.deadline !== undefined && running.drain.deadline === undefined) {
        // A drain a rebalance recommendation started: the spot warning now sets its deadline, so
        // everything is evicted at once and grace periods end before EC2 takes the instance.
        const drain = { ...running.drain, deadline: interruption.deadline };
        try {
          const written = await state.put(cluster, drainRecordKey(drain.node), encodeDrainRecord(drain), {
            expectedVersion: running.version,
            expiresAt: Math.floor(now / 1000) + DRAIN_TTL_SECONDS,
          });
          input.counts.stateWrites++;
          running.version = written.version;
          running.drain = drain;
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
        }
      }
      if (node && pool && !running) {
        const created = await createDrain(
          state,
          cluster,
          {
            node: node.name,
            nodeUid: node.uid,
            pool: pool.name,
            asgName: interruption.asgName,
            instanceId: interruption.instanceId,
            reason:
              interruption.kind === 'spot-interruption'
                ? 'spot interruption warning'
                : 'rebalance recommendation',
            ...(interruption.deadline !== undefined ? { deadline: interruption.deadline } : {}),
          },
          now,
        );
        if (created) {
          input.counts.stateWrites++;
          drains.push(created);
          summary.started.push({
            node: node.name,
            pool: pool.name,
            empty: false,
            reason: created.drain.reason,
          });
        }
      }
      if (node) {
        const handled = { ...interruption, drainedNode: node.name };
        await state
          .put(cluster, pending.item.sk, handled, {
            expectedVersion: pending.item.version,
            ...(pending.item.expiresAt !== undefined ? { expiresAt: pending.item.expiresAt } : {}),
          })
          .catch((error: unknown) => {
            if (!(error instanceof VersionConflictError)) throw error;
          });
        input.counts.stateWrites++;
      } else if (now - interruption.at > SPOT_NOTICE_MS) {
        // Its node is gone or never joined: nothing left to drain.
        await state.delete(cluster, pending.item.sk, pending.item.version);
      }
    }
  }

  for (const current of drains) {
    if (dryRun) {
      summary.drains.push({
        node: current.drain.node,
        pool: current.drain.pool,
        reason: current.drain.reason,
        state: current.drain.state,
        actions: [],
      });
      continue;
    }
    try {
      summary.drains.push(await advanceDrain(input, current, overlay, drainSettings));
    } catch (error) {
      // The record says how far it got; the next tick goes on from there.
      log.warn('drain step failed; retrying next tick', {
        cluster,
        node: current.drain.node,
        error: errorText(error),
      });
    }
  }

  const draining = new Set(drains.map((d) => d.drain.node));
  // Only the pools' own nodes: another loop (the control plane's swap) drains its nodes with the same
  // taint, and taking it off under that drain would make it start over every tick.
  const owned = nodeGroupsOf(input.nodes, input.pools, input.groups);
  for (const node of input.nodes) {
    if (!hasDrainTaint(node) || draining.has(node.name) || !owned.has(node.name) || dryRun) continue;
    try {
      await input.kubernetes.setNodeTaint(node.name, DRAIN_TAINT, false);
      summary.staleTaintsRemoved.push(node.name);
    } catch (error) {
      log.warn('could not remove a stale drain taint', { cluster, node: node.name, error: errorText(error) });
    }
  }

  if (!settings.scaleDown.enabled) {
    summary.skipped = 'scale-down is disabled (nodePools.scaleDown.enabled: false)';
    return summary;
  }
  if (input.holdReason) {
    summary.skipped = input.holdReason;
    return summary;
  }

  const unneeded = readUnneeded(input.stored);
  const plan = planScaleDown({
    nodes: input.nodes,
    pods: input.pods,
    pdbs: input.pdbs,
    daemonSets: input.daemonSets,
    claims: input.claims,
    volumes: input.volumes,
    pools: input.pools,
    nodeGroups: nodeGroupsOf(input.nodes, input.pools, input.groups),
    draining,
    unneededSince: unneeded.since,
    rebalanceSince: unneeded.rebalanceSince,
    lastScaleUp: lastScaleUps(input),
    settings: scaleDownSettingsOf(settings),
    now,
  });
  summary.unneeded = Object.keys(plan.unneededSince).length;
  summary.rebalance = plan.rebalance;
  summary.blocked = plan.blocked.slice(0, 20).map((b) => ({ node: b.node, reason: b.reason }));
  if (dryRun) {
    for (const removal of [...plan.removeEmpty, ...plan.removeDrain]) {
      summary.started.push({
        node: removal.node,
        pool: removal.pool,
        empty: removal.pods.length === 0,
        reason: `would start: ${removalReason(removal)}`,
      });
    }
    return summary;
  }

  const memory = { since: plan.unneededSince, rebalanceSince: plan.rebalanceSince };
  const sameUnneeded =
    unneeded.item !== undefined &&
    JSON.stringify(memory) ===
      JSON.stringify({ since: unneeded.since, rebalanceSince: unneeded.rebalanceSince });
  if (!sameUnneeded) {
    try {
      await state.put(cluster, UNNEEDED_KEY, memory, {
        expectedVersion: unneeded.item?.version ?? 0,
        expiresAt: Math.floor(now / 1000) + DRAIN_TTL_SECONDS,
      });
      input.counts.stateWrites++;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }

  for (const removal of [...plan.removeEmpty, ...plan.removeDrain]) {
    const reason = removalReason(removal);
    const created = await createDrain(
      state,
      cluster,
      {
        node: removal.node,
        nodeUid: removal.nodeUid,
        pool: removal.pool,
        asgName: removal.asgName,
        instanceId: removal.instanceId,
        reason,
      },
      now,
    );
    if (!created) continue;
    input.counts.stateWrites++;
    summary.started.push({
      node: removal.node,
      pool: removal.pool,
      empty: removal.pods.length === 0,
      reason,
    });
    await nodeEvent(input, removal.node, 'Normal', 'ScaleDown', `removing the node (tideplane): ${reason}`);
    try {
      summary.drains.push(await advanceDrain(input, created, overlay, drainSettings));
    } catch (error) {
      log.warn('drain step failed; retrying next tick', {
        cluster,
        node: removal.node,
        error: errorText(error),
      });
    }
  }
  return summary;
}
