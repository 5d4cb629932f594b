import type { NodePoolsConfig } from '../config/node-pools';
import type { NetworkPlan } from '../network/plan';
import {
  backOff,
  backoffReason,
  detectFailure,
  encodeGroupRecord,
  encodeUnavailableOffering,
  type GroupRecord,
  groupRecordKey,
  isOfferingUnavailable,
  NODE_POOL_STATE_PREFIX,
  reportAlreadyHandled,
  type ScaleUpFailure,
  settleInFlight,
  type UnavailableOffering,
  unavailableOfferingKey,
  unavailableOfferingsAfter,
} from '../nodepools/failures';
import { type NodePool, podKey, type ScaleUpLimits } from '../nodepools/pool';
import {
  clusterGroups,
  clusterTag,
  instanceTypesOf,
  type PoolProblem,
  resolvePools,
} from '../nodepools/pools';
import { planRebalance } from '../nodepools/rebalance';
import {
  type GroupIncrease,
  planScaleUp,
  type ScaleUpPlan,
  type UnplaceablePod,
} from '../nodepools/scale-up';
import { AutoScalingError, type AutoScalingGroup, type AutoScalingPort } from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Ec2Port } from '../ports/ec2';
import type {
  DaemonSet,
  KubernetesPort,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
} from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import { mapLimit } from '../runtime/map-limit';
import { nodeEvent, runScaleDownStep, type ScaleDownSummary } from './node-pool-scale-down';
import { decodeNodePoolState } from './node-pool-state';

/** Events are reported as this component (`reportingController` becomes `tideplane.io/node-pools`). */
export const NODE_POOL_COMPONENT = 'node-pools';

/** A group record outlives its last write by this much; an active group is rewritten far more often. */
export const GROUP_RECORD_TTL_SECONDS = 7 * 24 * 3600;

/** Concurrent Auto Scaling calls in one tick (activities of groups with scale-ups in flight). */
export const AWS_CONCURRENCY = 8;

/** How many pod names a summary lists per line before it says "and N more". */
const NAMES_SHOWN = 5;

export interface NodePoolLoopDeps {
  cluster: string;
  kubernetes: KubernetesPort;
  autoScaling: AutoScalingPort;
  ec2: Ec2Port;
  state: StateStore;
  clock: Clock;
  log: Logger;
  settings: NodePoolsConfig;
  /** The cluster's network plan, when the config has a network: its max node count bounds every plan. */
  network?: NetworkPlan;
  /** Decide and report only: no desired capacity, event or state write. */
  dryRun: boolean;
}

export interface GroupFailureOutcome {
  asgName: string;
  kind: ScaleUpFailure['kind'];
  message: string;
  /** Desired capacity set back to (undefined when it already matched or on a dry run). */
  resetTo?: number;
  backedOffUntil: number;
}

export interface AppliedIncrease extends GroupIncrease {
  /** `applied`; `would-apply` on a dry run; `skipped` when another writer moved first; `failed`. */
  result: 'applied' | 'would-apply' | 'skipped' | 'failed';
  error?: string;
}

export interface NodePoolTickSummary {
  cluster: string;
  /** Epoch ms the tick started. */
  time: number;
  dryRun: boolean;
  pools: { name: string; priority: number; capacityType: string; groups: number; nodes: number }[];
  pendingPods: number;
  fitsExisting: number;
  fitsUpcoming: number;
  increases: AppliedIncrease[];
  failures: GroupFailureOutcome[];
  unplaceable: UnplaceablePod[];
  limitsReached: string[];
  problems: PoolProblem[];
  scaleDown: ScaleDownSummary;
  /** Growth of a preferred pool so that fallback nodes can drain back onto it. */
  rebalance: RebalanceOutcome;
  counts: { desiredCapacityWrites: number; stateWrites: number; events: number };
}

export interface RebalanceOutcome {
  preferredPool?: string;
  /** The fallback nodes the pool grows for. */
  nodes: string[];
  increases: AppliedIncrease[];
  /** Pods of those nodes the preferred pool could not take after all, with why. */
  unplaceable: UnplaceablePod[];
}

interface TickCounts {
  desiredCapacityWrites: number;
  stateWrites: number;
  events: number;
}

/**
 * The pods the scheduler gave up on: Pending, unbound, PodScheduled=False with reason Unschedulable, for
 * the default scheduler, not terminating. Pods of another scheduler are that scheduler's business.
 */
export function unschedulablePods(pods: Pod[]): Pod[] {
  return pods.filter((pod) => {
    if (pod.phase !== 'Pending' || pod.nodeName || pod.deletionTimestamp !== undefined) return false;
    if (pod.scheduling?.schedulerName !== undefined) return false;
    return pod.conditions.some(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    );
  });
}

function limitsOf(settings: NodePoolsConfig, network: NetworkPlan | undefined): ScaleUpLimits {
  const networkMax = network?.maxNodes ?? Number.MAX_SAFE_INTEGER;
  const configured = settings.maxNodes;
  const fromConfig = configured !== undefined && configured < networkMax;
  const maxNodesSource = fromConfig
    ? 'nodePools.maxNodes'
    : network
      ? `the network plan (${network.clusterCidr}, /${network.nodeCidrMaskSize} per node)`
      : 'no limit (no network in the config)';
  return {
    maxNodes: fromConfig ? configured : networkMax,
    maxNodesSource,
    maxNodesPerTick: settings.maxNodesPerTick,
    ...(settings.maxVcpus !== undefined ? { maxVcpus: settings.maxVcpus } : {}),
    ...(settings.maxMemoryMiB !== undefined ? { maxMemoryMiB: settings.maxMemoryMiB } : {}),
  };
}

function backoffSettingsOf(settings: NodePoolsConfig, pool: NodePool | undefined) {
  const configured = settings.pools.find((p) => p.name === pool?.name)?.backoff ?? settings.backoff;
  return {
    initialMs: configured.initialSeconds * 1000,
    maxMs: configured.maxSeconds * 1000,
    resetMs: configured.resetSeconds * 1000,
  };
}

/** Instances that exist (launching or in service), which is what a failed group's desired goes back to. */
function existingInstances(group: AutoScalingGroup): number {
  return group.instances.filter((i) => !i.lifecycleState.startsWith('Terminat')).length;
}

/**
 * The groups that may be the cluster's: the listed ones and, with discovery, those carrying the cluster's
 * tag (filtered by Auto Scaling, so a region full of other teams' groups costs nothing). A listed group
 * without the tag is still read, so the pool can say the tag is missing.
 */
async function describeClusterGroups(
  autoScaling: AutoScalingPort,
  cluster: string,
  settings: NodePoolsConfig,
): Promise<AutoScalingGroup[]> {
  const listed = settings.pools.flatMap((pool) => pool.asgs);
  if (!settings.discoverByTags) return listed.length > 0 ? autoScaling.describeGroups(listed) : [];
  const [tagged, named] = await Promise.all([
    autoScaling.describeGroups(undefined, clusterTag(cluster)),
    listed.length > 0 ? autoScaling.describeGroups(listed) : Promise.resolve([]),
  ]);
  const byName = new Map(tagged.map((group) => [group.name, group]));
  for (const group of named) byName.set(group.name, group);
  return [...byName.values()];
}

function withoutInFlight(record: GroupRecord): GroupRecord {
  const { inFlight: _dropped, ...rest } = record;
  return rest;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function names(pods: string[]): string {
  const shown = pods.slice(0, NAMES_SHOWN).join(', ');
  return pods.length > NAMES_SHOWN ? `${shown} and ${pods.length - NAMES_SHOWN} more` : shown;
}

/**
 * One tick of the node-pool loop for one cluster: read the cluster, its groups and the loop's state;
 * settle scale-ups in flight and back off the groups whose scale-up failed (setting their desired
 * capacity back to what exists); plan for the unschedulable pods with the groups that may still grow —
 * so a failure is followed by the fallback pool in the same tick; apply the plan.
 *
 * Never acting twice: the caller holds the cluster's lease, and each increase is first recorded in the
 * group's state item with a conditional write, so a writer that lost the race does nothing.
 */
export async function runNodePoolTick(deps: NodePoolLoopDeps): Promise<NodePoolTickSummary> {
  const { cluster, kubernetes, autoScaling, ec2, state, clock, log, settings, dryRun } = deps;
  const now = clock.now();
  const counts: TickCounts = { desiredCapacityWrites: 0, stateWrites: 0, events: 0 };

  const [nodes, pods, claims, volumes, daemonSets, pdbs, allGroups, stored] = await Promise.all([
    kubernetes.listNodes(),
    kubernetes.listPods(),
    kubernetes.listPersistentVolumeClaims(),
    kubernetes.listPersistentVolumes(),
    kubernetes.listDaemonSets(),
    kubernetes.listPodDisruptionBudgets(),
    describeClusterGroups(autoScaling, cluster, settings),
    state.query(cluster, NODE_POOL_STATE_PREFIX),
  ]);
  const groups = clusterGroups(cluster, settings, allGroups);
  const instanceTypes = await ec2.describeInstanceTypes(instanceTypesOf(settings, groups));
  const { records, offerings, problems: stateProblems } = decodeNodePoolState(stored);
  for (const problem of stateProblems) log.warn('ignoring a corrupt state item', { cluster, problem });

  const resolved = resolvePools({
    cluster,
    config: settings,
    groups,
    instanceTypes,
    maxPodsPerNode: deps.network?.maxPodsPerNode ?? 110,
    nodes,
  });
  const poolOfGroup = new Map<string, NodePool>();
  for (const pool of resolved.pools) for (const group of pool.groups) poolOfGroup.set(group.asgName, pool);
  const groupByName = new Map(groups.map((group) => [group.name, group]));

  // Scale-ups in flight: settled when their nodes are Ready, failed when AWS says so or time runs out.
  const failures: GroupFailureOutcome[] = [];
  const liveOfferings: UnavailableOffering[] = offerings.map((item) => item.data);
  const watched = [...records.values()].filter(
    (item) => (item.data.inFlight || item.data.reportedFailure) && groupByName.has(item.data.asgName),
  );
  await mapLimit(watched, AWS_CONCURRENCY, async (item) => {
    const record = item.data;
    const group = groupByName.get(record.asgName);
    const pool = poolOfGroup.get(record.asgName);
    const poolGroup = pool?.groups.find((g) => g.asgName === record.asgName);
    if (!group || !pool || !poolGroup) return;
    try {
      const activities = record.inFlight
        ? await autoScaling.describeScalingActivities(group.name, record.inFlight.since)
        : [];
      const failure = detectFailure({
        group,
        capacityType: pool.capacityType,
        instanceTypes: pool.instanceTypes,
        record,
        activities,
        readyNodes: poolGroup.readyNodes,
        now,
        provisionTimeoutMs: settings.provisionTimeoutSeconds * 1000,
      });
      if (failure) {
        const next = backOff(record, failure, backoffSettingsOf(settings, pool));
        const until = next.backoff?.until ?? now;
        const timedOut = failure.kind === 'timeout';
        const floor = timedOut
          ? Math.max(record.inFlight?.from ?? 0, poolGroup.readyNodes)
          : existingInstances(group);
        const resetTo = Math.max(group.minSize, Math.min(group.desiredCapacity, floor));
        const outcome: GroupFailureOutcome = {
          asgName: group.name,
          kind: failure.kind,
          message: failure.message,
          backedOffUntil: until,
        };
        const newOfferings = unavailableOfferingsAfter(failure, settings.unavailableOfferingSeconds * 1000);
        liveOfferings.push(...newOfferings);
        failures.push(outcome);
        log.warn('scale-up failed; backing the group off', {
          cluster,
          asg: group.name,
          kind: failure.kind,
          message: failure.message,
          until: new Date(until).toISOString(),
        });
        if (dryRun) return;
        records.set(record.asgName, await putRecord(state, cluster, item, next, now, counts));
        for (const offering of newOfferings) {
          await putOffering(state, cluster, offering, offerings, counts);
        }
        if (resetTo < group.desiredCapacity) {
          await autoScaling.setDesiredCapacity(group.name, resetTo);
          counts.desiredCapacityWrites++;
          outcome.resetTo = resetTo;
          poolGroup.desiredCapacity = resetTo;
        }
        return;
      }
      if (record.reportedFailure && reportAlreadyHandled(record) && !dryRun) {
        const { reportedFailure: _seen, ...rest } = record;
        records.set(record.asgName, await putRecord(state, cluster, item, rest, now, counts));
        return;
      }
      if (record.inFlight) {
        // A desired capacity below the recorded target means the increase never reached AWS (the
        // Lambda died between the state write and the call) or someone lowered it: nothing to follow.
        const overridden = group.desiredCapacity < record.inFlight.to;
        const next = overridden ? withoutInFlight(record) : settleInFlight(record, poolGroup.readyNodes);
        if (next.inFlight !== record.inFlight && !dryRun) {
          records.set(record.asgName, await putRecord(state, cluster, item, next, now, counts));
        }
      }
    } catch (error) {
      log.warn('could not follow the scale-up of a group', {
        cluster,
        asg: record.asgName,
        error: errorText(error),
      });
    }
  });

  // Groups that may not grow now: backed off, or every type they launch is out of capacity in their zone.
  for (const pool of resolved.pools) {
    for (const group of pool.groups) {
      if (group.blocked) continue;
      const record = records.get(group.asgName)?.data;
      const failed = failures.find((f) => f.asgName === group.asgName);
      const backedOff = failed
        ? `backed off until ${new Date(failed.backedOffUntil).toISOString()}: ${failed.kind}`
        : backoffReason(record, now);
      if (backedOff) {
        group.blocked = backedOff;
        continue;
      }
      const unavailable = pool.instanceTypes.every((instanceType) =>
        isOfferingUnavailable(
          liveOfferings,
          { instanceType, zone: group.zone, capacityType: pool.capacityType },
          now,
        ),
      );
      if (unavailable) {
        group.blocked = `no ${pool.capacityType} capacity for ${pool.instanceTypes.join('/')} in ${group.zone} (remembered for ${settings.unavailableOfferingSeconds} s)`;
      }
    }
  }

  const pending = unschedulablePods(pods);
  const plan: ScaleUpPlan =
    pending.length === 0
      ? { increases: [], fitsExisting: [], fitsUpcoming: [], unplaceable: [], limitsReached: [] }
      : planScaleUp({
          pendingPods: pending,
          nodes,
          pods,
          daemonSets,
          claims,
          volumes,
          pools: resolved.pools,
          limits: limitsOf(settings, deps.network),
        });

  const increases: AppliedIncrease[] = [];
  for (const increase of plan.increases) {
    increases.push(await applyIncrease(deps, increase, records.get(increase.asgName), now, counts));
  }

  await reportOnPods(deps, pending, plan, increases, poolOfGroup, now, counts);

  const waiting = pending.length - plan.unplaceable.length;
  const scaleDown = await runScaleDownStep({
    cluster,
    kubernetes,
    autoScaling,
    state,
    log,
    settings,
    dryRun,
    now,
    nodes,
    pods,
    pdbs,
    daemonSets,
    claims,
    volumes,
    pools: resolved.pools,
    groups,
    stored,
    groupRecords: records,
    ...(increases.length > 0
      ? { holdReason: 'a pool grows this tick' }
      : waiting > 0
        ? { holdReason: `${waiting} pending pod(s) will take room on existing or coming nodes` }
        : {}),
    counts,
  });

  const rebalance = await rebalanceFallback(deps, scaleDown, {
    nodes,
    pods,
    daemonSets,
    claims,
    volumes,
    pools: resolved.pools,
    records,
    now,
    counts,
  });

  const summary: NodePoolTickSummary = {
    cluster,
    time: now,
    dryRun,
    pools: resolved.pools.map((pool) => ({
      name: pool.name,
      priority: pool.priority,
      capacityType: pool.capacityType,
      groups: pool.groups.length,
      nodes: pool.groups.reduce((sum, g) => sum + g.readyNodes, 0),
    })),
    pendingPods: pending.length,
    fitsExisting: plan.fitsExisting.length,
    fitsUpcoming: plan.fitsUpcoming.length,
    increases,
    failures,
    unplaceable: plan.unplaceable,
    limitsReached: plan.limitsReached,
    problems: resolved.problems,
    scaleDown,
    rebalance,
    counts,
  };
  log.info('node-pool tick', {
    cluster,
    pending: pending.length,
    increases: increases.map((i) => `${i.asgName} ${i.from}->${i.to} ${i.result}`),
    failures: failures.length,
    unplaceable: plan.unplaceable.length,
  });
  return summary;
}

/**
 * Grows the preferred pool of the due rebalance hints, so that their fallback nodes can drain onto it
 * (the next ticks' scale-down does that). Each node is told on its Events why its pool's sibling grows.
 */
async function rebalanceFallback(
  deps: NodePoolLoopDeps,
  scaleDown: ScaleDownSummary,
  world: {
    nodes: Node[];
    pods: Pod[];
    daemonSets: DaemonSet[];
    claims: PersistentVolumeClaim[];
    volumes: PersistentVolume[];
    pools: NodePool[];
    records: ReadonlyMap<string, StoredItem<GroupRecord>>;
    now: number;
    counts: TickCounts;
  },
): Promise<RebalanceOutcome> {
  const plan = planRebalance({
    hints: scaleDown.rebalance,
    nodes: world.nodes,
    pods: world.pods,
    daemonSets: world.daemonSets,
    claims: world.claims,
    volumes: world.volumes,
    pools: world.pools,
    limits: limitsOf(deps.settings, deps.network),
  });
  const increases: AppliedIncrease[] = [];
  for (const increase of plan.increases) {
    increases.push(
      await applyIncrease(deps, increase, world.records.get(increase.asgName), world.now, world.counts),
    );
  }
  const outcome: RebalanceOutcome = {
    nodes: plan.nodes,
    increases,
    unplaceable: plan.unplaceable,
    ...(plan.preferredPool !== undefined ? { preferredPool: plan.preferredPool } : {}),
  };
  const applied = increases.filter((increase) => increase.result === 'applied');
  if (applied.length === 0) return outcome;
  const growth = applied.map((increase) => `${increase.asgName} ${increase.from}->${increase.to}`).join(', ');
  deps.log.info('growing the preferred pool so that fallback nodes can drain back', {
    cluster: deps.cluster,
    pool: plan.preferredPool,
    nodes: plan.nodes,
    increases: growth,
  });
  const events = {
    kubernetes: deps.kubernetes,
    log: deps.log,
    nodes: world.nodes,
    now: world.now,
    counts: world.counts,
  };
  for (const node of plan.nodes) {
    await nodeEvent(
      events,
      node,
      'Normal',
      'RebalanceScaleUp',
      `pool ${plan.preferredPool} grows (${growth}) so that this fallback node's pods can move back (tideplane)`,
    );
  }
  return outcome;
}

async function putRecord(
  state: StateStore,
  cluster: string,
  item: StoredItem<GroupRecord> | undefined,
  record: GroupRecord,
  now: number,
  counts: TickCounts,
): Promise<StoredItem<GroupRecord>> {
  const written = await state.put(cluster, groupRecordKey(record.asgName), encodeGroupRecord(record), {
    expectedVersion: item?.version ?? 0,
    expiresAt: Math.floor(now / 1000) + GROUP_RECORD_TTL_SECONDS,
  });
  counts.stateWrites++;
  return { ...written, data: record };
}

async function putOffering(
  state: StateStore,
  cluster: string,
  offering: UnavailableOffering,
  known: StoredItem<UnavailableOffering>[],
  counts: TickCounts,
): Promise<void> {
  const sk = unavailableOfferingKey(offering);
  const existing = known.find((item) => item.sk === sk);
  try {
    await state.put(cluster, sk, encodeUnavailableOffering(offering), {
      expectedVersion: existing?.version ?? 0,
      expiresAt: Math.ceil(offering.until / 1000),
    });
    counts.stateWrites++;
  } catch (error) {
    // Someone recorded the same offering a moment ago: theirs serves as well as ours.
    if (!(error instanceof VersionConflictError)) throw error;
  }
}

/**
 * Records the increase as in flight (conditional on the version read this tick), then sets the desired
 * capacity. The state write first means a second writer loses the condition and does nothing; a crash
 * between the two leaves an in-flight record above the group's desired, which the next tick drops.
 */
async function applyIncrease(
  deps: NodePoolLoopDeps,
  increase: GroupIncrease,
  item: StoredItem<GroupRecord> | undefined,
  now: number,
  counts: TickCounts,
): Promise<AppliedIncrease> {
  const { cluster, state, autoScaling, log, dryRun } = deps;
  if (dryRun) return { ...increase, result: 'would-apply' };
  const previous: GroupRecord = item?.data ?? { asgName: increase.asgName };
  const record: GroupRecord = {
    ...previous,
    lastScaleUpAt: now,
    inFlight: {
      since: now,
      from: increase.from,
      to: increase.to,
      podCount: increase.pods.length,
      pods: increase.pods.slice(0, NAMES_SHOWN),
    },
  };
  let written: StoredItem<GroupRecord>;
  try {
    written = await putRecord(state, cluster, item, record, now, counts);
  } catch (error) {
    if (error instanceof VersionConflictError) {
      log.warn('another writer changed the group state first; not scaling it this tick', {
        cluster,
        asg: increase.asgName,
      });
      return { ...increase, result: 'skipped', error: 'state changed concurrently' };
    }
    return { ...increase, result: 'failed', error: errorText(error) };
  }
  try {
    await autoScaling.setDesiredCapacity(increase.asgName, increase.to);
    counts.desiredCapacityWrites++;
    return { ...increase, result: 'applied' };
  } catch (error) {
    const reason = error instanceof AutoScalingError ? `${error.reason}: ${error.message}` : errorText(error);
    log.warn('SetDesiredCapacity failed', { cluster, asg: increase.asgName, error: reason });
    // Nothing is in flight after all; forget it so no timeout backs the group off for a call that failed.
    await putRecord(state, cluster, written, withoutInFlight(previous), now, counts).catch(
      (cleanup: unknown) =>
        log.warn('could not clear the in-flight record', { cluster, error: errorText(cleanup) }),
    );
    return { ...increase, result: 'failed', error: reason };
  }
}

/**
 * Events on the pods, in cluster-autoscaler's words so `kubectl describe pod` reads as users know it:
 * `TriggeredScaleUp` for the pods a new node is for, `NotTriggerScaleUp` (once, when a pod first becomes
 * unschedulable) for pods no pool can take. Capped per tick; best effort.
 */
async function reportOnPods(
  deps: NodePoolLoopDeps,
  pending: Pod[],
  plan: ScaleUpPlan,
  increases: AppliedIncrease[],
  poolOfGroup: Map<string, NodePool>,
  now: number,
  counts: TickCounts,
): Promise<void> {
  const { kubernetes, log, settings, dryRun } = deps;
  if (dryRun || settings.maxEventsPerTick === 0) return;
  const byKey = new Map(pending.map((pod) => [podKey(pod), pod]));
  const events: { pod: Pod; type: 'Normal' | 'Warning'; reason: string; message: string }[] = [];
  for (const increase of increases) {
    if (increase.result !== 'applied') continue;
    const group = poolOfGroup.get(increase.asgName)?.groups.find((g) => g.asgName === increase.asgName);
    const message =
      `pod triggered scale-up: [{${increase.asgName} ${increase.from}->${increase.to} ` +
      `(max: ${group?.maxSize ?? '?'})}] in pool ${increase.pool}, zone ${increase.zone}`;
    for (const key of increase.pods) {
      const pod = byKey.get(key);
      if (pod) events.push({ pod, type: 'Normal', reason: 'TriggeredScaleUp', message });
    }
  }
  const intervalMs = settings.intervalSeconds * 1000;
  for (const unplaceable of plan.unplaceable) {
    const pod = byKey.get(unplaceable.pod);
    const since = pod?.conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime;
    if (!pod || since === undefined || now - since > intervalMs) continue;
    events.push({
      pod,
      type: 'Normal',
      reason: 'NotTriggerScaleUp',
      message: `pod didn't trigger scale-up: ${unplaceable.reasons.join('; ')}`,
    });
  }
  for (const event of events.slice(0, settings.maxEventsPerTick)) {
    try {
      await kubernetes.createEvent({
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: event.pod.namespace,
          name: event.pod.name,
          uid: event.pod.uid,
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
        time: now,
        reportingComponent: NODE_POOL_COMPONENT,
      });
      counts.events++;
    } catch (error) {
      log.warn('could not record an event', { pod: podKey(event.pod), error: errorText(error) });
    }
  }
}

/** A tick as a person reads it in the Lambda console or the CLI. */
export function renderNodePoolSummary(tick: NodePoolTickSummary): string {
  const mode = tick.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [
    `${tick.cluster} @ ${new Date(tick.time).toISOString()}${mode}: ${tick.pools.length} pool(s), ` +
      `${tick.pendingPods} unschedulable pod(s): ${tick.fitsExisting} fit existing nodes, ` +
      `${tick.fitsUpcoming} fit nodes coming up, ${tick.increases.length} group(s) to grow, ` +
      `${tick.unplaceable.length} unplaceable`,
  ];
  for (const failure of tick.failures) {
    const reset = failure.resetTo === undefined ? '' : `, desired set back to ${failure.resetTo}`;
    lines.push(
      `  failed ${failure.asgName} [${failure.kind}] ${failure.message}${reset}; backed off until ` +
        new Date(failure.backedOffUntil).toISOString(),
    );
  }
  for (const increase of tick.increases) {
    const error = increase.error ? ` (${increase.error})` : '';
    lines.push(
      `  ${increase.result} ${increase.pool}/${increase.zone} ${increase.asgName} ${increase.from} → ${increase.to}` +
        ` for ${increase.pods.length} pod(s): ${names(increase.pods)}${error}`,
    );
  }
  for (const pod of tick.unplaceable.slice(0, NAMES_SHOWN)) {
    lines.push(`  unplaceable ${pod.pod}: ${pod.reasons.join('; ')}`);
  }
  if (tick.unplaceable.length > NAMES_SHOWN) {
    lines.push(`  … and ${tick.unplaceable.length - NAMES_SHOWN} more unplaceable pod(s)`);
  }
  for (const limit of tick.limitsReached) lines.push(`  limit reached: ${limit}`);
  const down = tick.scaleDown;
  for (const started of down.started)
    lines.push(`  scale-down ${started.pool} ${started.node}: ${started.reason}`);
  for (const drain of down.drains) {
    if (drain.actions.length === 0 && drain.state !== 'done') continue;
    const why = drain.abortReason ? ` (${drain.abortReason})` : '';
    lines.push(`  drain ${drain.node} [${drain.state}] ${drain.actions.join(', ') || 'finished'}${why}`);
  }
  if (down.skipped) lines.push(`  no scale-down planned: ${down.skipped}`);
  else if (down.unneeded > 0)
    lines.push(`  ${down.unneeded} node(s) unneeded, waiting out the unneeded time`);
  const waiting = down.rebalance.filter((hint) => !hint.due);
  if (waiting.length > 0) {
    const nodes = names(waiting.map((hint) => hint.node));
    lines.push(
      `  ${waiting.length} fallback node(s) could move back once their preferred pool grows: ${nodes}`,
    );
  }
  for (const increase of tick.rebalance.increases) {
    const error = increase.error ? ` (${increase.error})` : '';
    lines.push(
      `  rebalance: ${increase.result} ${increase.pool}/${increase.zone} ${increase.asgName} ` +
        `${increase.from} → ${increase.to} for the pods of ${names(tick.rebalance.nodes)}${error}`,
    );
  }
  for (const problem of tick.problems) {
    const where = [problem.pool && `pool ${problem.pool}`, problem.asgName && `group ${problem.asgName}`]
      .filter(Boolean)
      .join(', ');
    lines.push(`  problem${where ? ` (${where})` : ''}: ${problem.message}`);
  }
  return lines.join('\n');
}
