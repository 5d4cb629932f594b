/**
 * The scale-down decision: which nodes the node pools no longer need, and which of them go this tick —
 * cluster-autoscaler's scale-down as one pure function. Pure: no I/O, no clock (`now` comes in).
 *
 * 1. A node of a pool is a candidate when it is not annotated `scale-down-disabled`, its utilization
 *    (requested over allocatable, the larger of CPU and memory; the GPU's on GPU nodes) is below its
 *    pool's threshold, and none of its pods blocks removal (the pod rules below, and
 *    PodDisruptionBudgets that would not admit its evictions now).
 * 2. Candidates are tried in removal order — lower-priority pools first, then empty nodes, spot before
 *    on-demand, least utilized, oldest, by name — each against the cluster as the earlier ones left it:
 *    it stays above its group's minimum, and every pod that must move fits the nodes that remain (the
 *    scale-up's predicates: selector and node affinity, taints, volume zones, hostname anti-affinity,
 *    host ports, room). Those that pass are unneeded; together they could all go.
 * 3. A node unneeded for the unneeded time (longer for nodes that are not Ready), in a pool that has not
 *    scaled up within the delay after add, is removed: empty ones in bulk up to a count per tick, then at
 *    most one node with pods per pool, within a cluster-wide number of drains at once.
 *
 * Fallback must not be forever: a node of a pool below the highest priority is held to a threshold of
 * 1.0 (by default), so it is a candidate whenever its pods fit elsewhere and drains back as soon as the
 * preferred pools have room. Pools go first by priority, emptiness second: a new, still empty node of the
 * preferred pool must take the fallback node's pods rather than be removed itself, or the two would
 * flap. A fallback node whose pods do not fit the existing nodes but would each fit a new node of a
 * higher-priority pool that may grow is reported as a rebalance hint; once it has been hinted for the
 * unneeded time it is due, and the loop grows the preferred pool for its pods (the scale-up's planner,
 * restricted to that pool), after which the node drains back as above.
 *
 * Pod rules, with cluster-autoscaler's annotations so that users keep their habits: daemon pods, static
 * (mirror) pods, finished and terminating pods never need to move. Of the rest, a pod blocks its node when
 * annotated `safe-to-evict: "false"`, when no controller owns it, when it has local storage not listed in
 * `safe-to-evict-local-volumes`, or when it is a kube-system pod no PodDisruptionBudget covers;
 * `safe-to-evict: "true"` lifts the last three. A PodDisruptionBudget that allows fewer disruptions than
 * the node's pods it covers blocks the node whatever the annotations say, because the evictions go
 * through the Eviction API and would be refused.
 */

import type { AutoScalingGroup } from '../ports/auto-scaling';
import type {
  DaemonSet,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
} from '../ports/kubernetes';
import {
  LabelSelectorError,
  type Selector,
  selectorFromLabelSelector,
  selectorMatches,
} from '../units/label-selector';
import { hasDrainTaint, isDaemonSetPod, isMirrorPod, mustMove } from './drain';
import { type NodePool, type PoolGroup, podKey } from './pool';
import {
  type AntiAffinityParty,
  antiAffinityConflict,
  DAEMONSET_DEFAULT_TOLERATIONS,
  emptyRoom,
  fitCount,
  hostnameAntiAffinity,
  isTerminal,
  type NodeConstraints,
  type NodeRoom,
  type NodeView,
  nodeConstraints,
  nodeFilterFailure,
  nodeRoom,
  podRequests,
  REASON_ANTI_AFFINITY,
  ResourceIndex,
  resourceAmount,
  roomFailures,
  takeRoom,
  volumeZones,
} from './scheduling';
import { AMD_GPU_RESOURCE, NVIDIA_GPU_RESOURCE } from './template-node';

/** Node annotation: `"true"` keeps the node out of scale-down. */
export const SCALE_DOWN_DISABLED_ANNOTATION = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
/** Pod annotation: `"false"` blocks the node; `"true"` lifts the controller, local-storage and kube-system rules. */
export const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
/** Pod annotation: comma-separated names of local volumes whose data may be lost. */
export const SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION =
  'cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes';
/** cluster-autoscaler's taint on nodes it deletes: such a node is on its way out here too. */
export const CA_TO_BE_DELETED_TAINT_KEY = 'ToBeDeletedByClusterAutoscaler';
export const KUBE_SYSTEM_NAMESPACE = 'kube-system';

/** The Auto Scaling group instance behind a node. */
export interface NodeGroupRef {
  pool: string;
  asgName: string;
  zone: string;
  instanceId: string;
}

export interface ScaleDownSettings {
  /** A node at or above this utilization is needed. */
  utilizationThreshold: number;
  /** Per pool name, overriding both `utilizationThreshold` and `fallbackUtilizationThreshold`. */
  poolUtilizationThresholds: Readonly<Record<string, number>>;
  /** The threshold of pools below the highest priority (fallback pools). */
  fallbackUtilizationThreshold: number;
  /** How long a Ready node must be unneeded before it goes. */
  unneededTimeMs: number;
  /** How long a node that is not Ready must be unneeded before it goes. */
  unreadyTimeMs: number;
  /** No node of a pool goes within this long after the pool scaled up. */
  delayAfterAddMs: number;
  /** Empty nodes one plan removes at most. */
  maxEmptyPerTick: number;
  /** Nodes with pods one plan starts draining per pool at most. */
  maxDrainsPerPoolPerTick: number;
  /** Drains of nodes with pods in the cluster at once at most, counting those in progress. */
  maxConcurrentDrains: number;
}

/**
 * Defaults are cluster-autoscaler's (`--scale-down-utilization-threshold` 0.5, `--scale-down-unneeded-time`
 * 10 min, `--scale-down-unready-time` 20 min, `--scale-down-delay-after-add` 10 min,
 * `--max-empty-bulk-delete` 10, `--max-scale-down-parallelism` 10), except that nodes with pods drain one
 * per pool per tick, and that fallback pools are held to 1.0 so they give their nodes back.
 */
export const DEFAULT_SCALE_DOWN_SETTINGS: Readonly<ScaleDownSettings> = {
  utilizationThreshold: 0.5,
  poolUtilizationThresholds: {},
  fallbackUtilizationThreshold: 1.0,
  unneededTimeMs: 10 * 60_000,
  unreadyTimeMs: 20 * 60_000,
  delayAfterAddMs: 10 * 60_000,
  maxEmptyPerTick: 10,
  maxDrainsPerPoolPerTick: 1,
  maxConcurrentDrains: 10,
};

export interface ScaleDownInput {
  /** Every node of the cluster. */
  nodes: readonly Node[];
  /** Every pod of the cluster. */
  pods: readonly Pod[];
  pdbs: readonly PodDisruptionBudget[];
  /** For the room a new node of a preferred pool would have (rebalance hints). */
  daemonSets: readonly DaemonSet[];
  claims: readonly PersistentVolumeClaim[];
  volumes: readonly PersistentVolume[];
  pools: readonly NodePool[];
  /** The group instance behind each node of a pool (`nodeGroupsOf`); other nodes are never removed. */
  nodeGroups: ReadonlyMap<string, NodeGroupRef>;
  /** Nodes with a drain in progress: neither removed again nor a place for other nodes' pods. */
  draining: ReadonlySet<string>;
  /** The previous plan's `unneededSince`. */
  unneededSince: Readonly<Record<string, number>>;
  /** The previous plan's `rebalanceSince`. */
  rebalanceSince: Readonly<Record<string, number>>;
  /** Epoch ms of each pool's latest scale-up. */
  lastScaleUp: Readonly<Record<string, number>>;
  settings: ScaleDownSettings;
  now: number;
}

export interface NodeRemoval {
  node: string;
  nodeUid: string;
  pool: string;
  asgName: string;
  zone: string;
  instanceId: string;
  utilization: number;
  unneededSince: number;
  /** `namespace/name` of the pods to evict (none for an empty node). */
  pods: string[];
}

export interface BlockedNode {
  node: string;
  pool: string;
  reason: string;
}

/** A fallback node that could go if a higher-priority pool grew first. */
export interface RebalanceHint {
  node: string;
  pool: string;
  preferredPool: string;
  pods: string[];
  /** Epoch ms since when the node is hinted. */
  since: number;
  /** Hinted for the unneeded time: the preferred pool may grow for it now. */
  due: boolean;
}

export interface ScaleDownPlan {
  removeEmpty: NodeRemoval[];
  removeDrain: NodeRemoval[];
  /** Node name → epoch ms since when it is unneeded, for the next plan. */
  unneededSince: Record<string, number>;
  /** Every node of a pool that does not go this tick (drains in progress aside), with why. */
  blocked: BlockedNode[];
  rebalance: RebalanceHint[];
  /** Node name → epoch ms since when it is hinted, for the next plan. */
  rebalanceSince: Record<string, number>;
}

const PROVIDER_ID = /^aws:\/\/\/[^/]*\/(i-[0-9a-zA-Z]+)$/;

/**
 * The EC2 instance ID in a node's provider ID.
 *
 * @example instanceIdOf('aws:///eu-central-1a/i-0123456789abcdef0') // 'i-0123456789abcdef0'
 */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  return providerID === undefined ? undefined : PROVIDER_ID.exec(providerID)?.[1];
}

/**
 * The group instance behind each node, by provider ID. Instances already terminating are left out: their
 * group's desired capacity no longer counts them.
 *
 * @example nodeGroupsOf(nodes, pools, groups).get('ip-10-0-1-5')
 * // { pool: 'default', asgName: 'default-a', zone: 'eu-central-1a', instanceId: 'i-0abc' }
 */
export function nodeGroupsOf(
  nodes: readonly Node[],
  pools: readonly NodePool[],
  groups: readonly Pick<AutoScalingGroup, 'name' | 'instances'>[],
): Map<string, NodeGroupRef> {
  const poolGroups = new Map<string, { pool: NodePool; group: PoolGroup }>();
  for (const pool of pools) for (const group of pool.groups) poolGroups.set(group.asgName, { pool, group });
  const byInstance = new Map<string, NodeGroupRef>();
  for (const group of groups) {
    const owner = poolGroups.get(group.name);
    if (!owner) continue;
    for (const instance of group.instances) {
      if (instance.lifecycleState.startsWith('Terminat')) continue;
      byInstance.set(instance.instanceId, {
        pool: owner.pool.name,
        asgName: group.name,
        zone: owner.group.zone,
        instanceId: instance.instanceId,
      });
    }
  }
  const result = new Map<string, NodeGroupRef>();
  for (const node of nodes) {
    const id = instanceIdOf(node.providerID);
    const ref = id === undefined ? undefined : byInstance.get(id);
    if (ref) result.set(node.name, ref);
  }
  return result;
}

/**
 * A node's utilization as cluster-autoscaler computes it: the requests of the pods bound to it (not
 * finished, daemons and static pods left out) over its allocatable, the larger of CPU and memory; on a
 * node with GPUs, the GPUs' alone, since they are what the node is paid for.
 *
 * @example nodeUtilization(node, pods) // { utilization: 0.31, resource: 'memory' }
 */
export function nodeUtilization(
  node: Pick<Node, 'allocatable'>,
  pods: readonly Pod[],
): { utilization: number; resource: string } {
  const gpu = [NVIDIA_GPU_RESOURCE, AMD_GPU_RESOURCE].find(
    (name) => node.allocatable[name] !== undefined && resourceAmount(name, node.allocatable[name]) > 0,
  );
  const resources = gpu ? [gpu] : ['cpu', 'memory'];
  const requested = new Map<string, number>();
  for (const pod of pods) {
    if (isTerminal(pod) || isDaemonSetPod(pod) || isMirrorPod(pod)) continue;
    const requests = podRequests(pod);
    for (const name of resources) requested.set(name, (requested.get(name) ?? 0) + (requests.get(name) ?? 0));
  }
  let best = { utilization: 0, resource: resources[0] as string };
  for (const name of resources) {
    const quantity = node.allocatable[name];
    const allocatable = quantity === undefined ? 0 : resourceAmount(name, quantity);
    if (allocatable <= 0) continue;
    const utilization = (requested.get(name) ?? 0) / allocatable;
    if (utilization > best.utilization) best = { utilization, resource: name };
  }
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isControlled(pod: Pod): boolean {
  return pod.ownerReferences.some((owner) => owner.controller === true);
}

/** Local volumes of the pod that its `safe-to-evict-local-volumes` annotation does not name. */
function unlistedLocalVolumes(pod: Pod): string[] {
  const volumes = pod.localVolumes ?? [];
  if (volumes.length === 0) return [];
  const listed = new Set(
    (pod.annotations[SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  return volumes.filter((volume) => !listed.has(volume));
}

interface Budget {
  pdb: PodDisruptionBudget;
  selector: Selector;
  /** Disruptions left for this plan. */
  left: number;
}

/** What placing a pod needs, computed once per pod. */
interface PodFacts {
  pod: Pod;
  requests: Float64Array;
  hostPorts: readonly number[];
  constraints?: NodeConstraints;
  /** Why no node can take it at all (a missing volume claim). */
  error?: string;
  party: AntiAffinityParty;
}

/** A node other nodes' pods may move to. */
interface Destination {
  view: NodeView;
  room: NodeRoom;
  residents: AntiAffinityParty[];
  /** Pods of earlier candidates this plan moved here; they move on if this node goes too. */
  movedIn: PodFacts[];
  gone: boolean;
}

interface Candidate {
  node: Node;
  ref: NodeGroupRef;
  pool: NodePool;
  group: PoolGroup;
  utilization: number;
  /** Pods that must move, by key. */
  pods: Pod[];
  ready: boolean;
}

interface Placement {
  facts: PodFacts;
  to: Destination;
}

/** The work of one plan; `planScaleDown` is its only entry. */
class Planner {
  private readonly index: ResourceIndex;
  private readonly bound = new Map<string, Pod[]>();
  private readonly destinations: Destination[] = [];
  private readonly destinationOf = new Map<string, Destination>();
  private readonly facts = new Map<Pod, PodFacts>();
  private readonly budgets: Budget[];
  private readonly claims: Map<string, PersistentVolumeClaim>;
  private readonly volumes: Map<string, PersistentVolume>;
  private readonly poolByName = new Map<string, NodePool>();
  private readonly groupByName = new Map<string, PoolGroup>();
  private readonly topPriority: number;
  private readonly blocked: BlockedNode[] = [];
  /** Per group, the nodes that will be gone: drains in progress, then the plan's candidates. */
  private readonly leaving = new Map<string, number>();
  private readonly antiAffinity: boolean;

  constructor(private readonly input: ScaleDownInput) {
    const resources = new Set<string>();
    for (const pod of input.pods) {
      if (pod.nodeName === undefined || isTerminal(pod)) continue;
      const list = this.bound.get(pod.nodeName);
      if (list) list.push(pod);
      else this.bound.set(pod.nodeName, [pod]);
      for (const name of podRequests(pod).keys()) resources.add(name);
    }
    this.index = ResourceIndex.of(resources);
    this.antiAffinity = input.pods.some((pod) => (pod.scheduling?.requiredPodAntiAffinity ?? []).length > 0);
    this.claims = new Map(input.claims.map((claim) => [`${claim.namespace}/${claim.name}`, claim]));
    this.volumes = new Map(input.volumes.map((volume) => [volume.name, volume]));
    this.budgets = [...input.pdbs]
      .sort((a, b) => compare(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))
      .map((pdb) => ({ pdb, selector: budgetSelector(pdb), left: pdb.disruptionsAllowed }));
    for (const pool of input.pools) {
      this.poolByName.set(pool.name, pool);
      for (const group of pool.groups) this.groupByName.set(group.asgName, group);
    }
    this.topPriority = Math.max(Number.NEGATIVE_INFINITY, ...input.pools.map((pool) => pool.priority));
  }

  private isDraining(node: Node): boolean {
    return (
      this.input.draining.has(node.name) ||
      hasDrainTaint(node) ||
      node.taints.some((taint) => taint.key === CA_TO_BE_DELETED_TAINT_KEY)
    );
  }

  private podsOn(node: string): Pod[] {
    return this.bound.get(node) ?? [];
  }

  private factsOf(pod: Pod): PodFacts {
    let facts = this.facts.get(pod);
    if (!facts) {
      const zones = volumeZones(pod, this.claims, this.volumes);
      facts = {
        pod,
        requests: this.index.vector(podRequests(pod)),
        hostPorts: pod.scheduling?.hostPorts ?? [],
        party: { namespace: pod.namespace, labels: pod.labels, terms: hostnameAntiAffinity(pod) },
      };
      if ('error' in zones) facts.error = zones.error;
      else facts.constraints = nodeConstraints(pod.scheduling, zones.zones);
      this.facts.set(pod, facts);
    }
    return facts;
  }

  private budgetsOf(pod: Pod): Budget[] {
    return this.budgets.filter(
      (budget) => budget.pdb.namespace === pod.namespace && selectorMatches(budget.selector, pod.labels),
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Destinations and placement

  private buildDestinations(): void {
    const nodes = [...this.input.nodes].sort((a, b) => compare(a.name, b.name));
    for (const node of nodes) {
      if (!node.ready || node.unschedulable || this.isDraining(node)) continue;
      const pods = this.podsOn(node.name);
      const destination: Destination = {
        view: { name: node.name, labels: node.labels, taints: node.taints },
        room: nodeRoom(node.allocatable, pods, this.index),
        residents: this.antiAffinity ? pods.map((pod) => this.factsOf(pod).party) : [],
        movedIn: [],
        gone: false,
      };
      this.destinations.push(destination);
      this.destinationOf.set(node.name, destination);
    }
  }

  /** Why the pod cannot go to this destination, or undefined when it can. */
  private refusal(facts: PodFacts, to: Destination, detail: boolean): string | undefined {
    const constraints = facts.constraints as NodeConstraints;
    const filtered = nodeFilterFailure(constraints, to.view);
    if (filtered !== undefined) return filtered;
    if (fitCount(to.room, facts.requests, facts.hostPorts, 1) === 0) {
      return detail ? roomFailures(to.room, facts.requests, facts.hostPorts, this.index).join(', ') : '';
    }
    if (this.antiAffinity && to.residents.some((resident) => antiAffinityConflict(facts.party, resident))) {
      return REASON_ANTI_AFFINITY;
    }
    return undefined;
  }

  /** Places the pod on the first destination that takes it, or says why none does. */
  private place(facts: PodFacts, from: Destination | undefined): Placement | string {
    if (facts.error !== undefined) return facts.error;
    for (const to of this.destinations) {
      if (to.gone || to === from) continue;
      if (this.refusal(facts, to, false) !== undefined) continue;
      takeRoom(to.room, facts.requests, facts.hostPorts);
      if (this.antiAffinity) to.residents.push(facts.party);
      to.movedIn.push(facts);
      return { facts, to };
    }
    const counts = new Map<string, number>();
    for (const to of this.destinations) {
      if (to.gone || to === from) continue;
      const reason = this.refusal(facts, to, true) ?? '';
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    if (counts.size === 0) return 'no other node to move to';
    if (counts.size === 1) return [...counts.keys()][0] as string;
    return [...counts.entries()]
      .sort(([ra, ca], [rb, cb]) => cb - ca || compare(ra, rb))
      .map(([reason, count]) => `${count} ${reason}`)
      .join(', ');
  }

  private undo(placements: readonly Placement[]): void {
    for (const { facts, to } of [...placements].reverse()) {
      for (let i = 0; i < facts.requests.length; i++) {
        to.room.free[i] = (to.room.free[i] as number) + (facts.requests[i] as number);
      }
      to.room.podsLeft += 1;
      for (const port of facts.hostPorts) to.room.hostPorts.delete(port);
      if (this.antiAffinity) to.residents.splice(to.residents.lastIndexOf(facts.party), 1);
      to.movedIn.splice(to.movedIn.lastIndexOf(facts), 1);
    }
  }

  /**
   * Moves the node's pods elsewhere, its own largest first, then those earlier candidates moved onto it;
   * on the first that fits nowhere, takes every move back and says why.
   */
  private moveAll(
    node: string,
    pods: readonly PodFacts[],
    from: Destination | undefined,
  ): Placement[] | string {
    const movedIn = (facts: PodFacts) => Number(facts.pod.nodeName !== node);
    const ordered = [...pods].sort(
      (a, b) =>
        movedIn(a) - movedIn(b) ||
        (b.requests[0] as number) - (a.requests[0] as number) ||
        (b.requests[1] as number) - (a.requests[1] as number) ||
        compare(podKey(a.pod), podKey(b.pod)),
    );
    const placements: Placement[] = [];
    for (const facts of ordered) {
      const placed = this.place(facts, from);
      if (typeof placed === 'string') {
        this.undo(placements);
        const origin = movedIn(facts) ? ` (moving here from ${facts.pod.nodeName})` : '';
        return `pod ${podKey(facts.pod)}${origin} would not fit elsewhere: ${placed}`;
      }
      placements.push(placed);
    }
    return placements;
  }

  /** The pods of drains in progress still have to go somewhere: their room is taken first. */
  private placeDrainingPods(): void {
    for (const node of [...this.input.nodes].sort((a, b) => compare(a.name, b.name))) {
      if (!this.isDraining(node)) continue;
      for (const pod of this.podsOn(node.name)) {
        if (!mustMove(pod) || pod.deletionTimestamp !== undefined) continue;
        this.place(this.factsOf(pod), undefined);
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Candidates

  private thresholdOf(pool: NodePool): number {
    const settings = this.input.settings;
    const own = settings.poolUtilizationThresholds[pool.name];
    if (own !== undefined) return own;
    return pool.priority < this.topPriority
      ? settings.fallbackUtilizationThreshold
      : settings.utilizationThreshold;
  }

  /** Why this pod keeps its node, or undefined. */
  private podBlocker(pod: Pod): string | undefined {
    const safe = pod.annotations[SAFE_TO_EVICT_ANNOTATION];
    if (safe === 'false') return `pod ${podKey(pod)} is annotated ${SAFE_TO_EVICT_ANNOTATION}: "false"`;
    if (safe === 'true') return undefined;
    if (!isControlled(pod)) return `pod ${podKey(pod)} is not replicated (no controller owns it)`;
    if (pod.namespace === KUBE_SYSTEM_NAMESPACE && this.budgetsOf(pod).length === 0) {
      return `pod ${podKey(pod)} is a kube-system pod without a PodDisruptionBudget`;
    }
    const local = unlistedLocalVolumes(pod);
    if (local.length > 0) return `pod ${podKey(pod)} has local storage (${local.join(', ')})`;
    return undefined;
  }

  /** Why the budgets would refuse evicting these pods now, or undefined. */
  private budgetBlocker(pods: readonly Pod[]): string | undefined {
    const needed = new Map<Budget, Pod[]>();
    for (const pod of pods) {
      for (const budget of this.budgetsOf(pod)) {
        const list = needed.get(budget);
        if (list) list.push(pod);
        else needed.set(budget, [pod]);
      }
    }
    for (const [budget, covered] of needed) {
      if (covered.length > budget.left) {
        const pdb = `${budget.pdb.namespace}/${budget.pdb.name}`;
        return (
          `not enough pod disruption budget to move ${podKey(covered[0] as Pod)} ` +
          `(PodDisruptionBudget ${pdb} allows ${Math.max(0, budget.left)}, ${covered.length} needed)`
        );
      }
    }
    return undefined;
  }

  private takeBudget(pods: readonly Pod[]): void {
    for (const pod of pods) for (const budget of this.budgetsOf(pod)) budget.left--;
  }

  private block(node: string, pool: string, reason: string): void {
    this.blocked.push({ node, pool, reason });
  }

  /** Nodes of the pools that pass the per-node rules, in removal order. */
  private candidates(): Candidate[] {
    const candidates: Candidate[] = [];
    for (const node of this.input.nodes) {
      const ref = this.input.nodeGroups.get(node.name);
      const pool = ref && this.poolByName.get(ref.pool);
      const group = ref && this.groupByName.get(ref.asgName);
      if (!ref || !pool || !group) continue;
      if (this.isDraining(node)) {
        this.leaving.set(group.asgName, (this.leaving.get(group.asgName) ?? 0) + 1);
        continue;
      }
      if (node.annotations[SCALE_DOWN_DISABLED_ANNOTATION] === 'true') {
        this.block(node.name, pool.name, `node is annotated ${SCALE_DOWN_DISABLED_ANNOTATION}: "true"`);
        continue;
      }
      const pods = this.podsOn(node.name);
      const { utilization, resource } = nodeUtilization(node, pods);
      const threshold = this.thresholdOf(pool);
      if (utilization >= threshold) {
        this.block(
          node.name,
          pool.name,
          `utilization ${utilization.toFixed(2)} (${resource}) is not below the threshold ${threshold}`,
        );
        continue;
      }
      const moving = pods
        .filter((pod) => mustMove(pod) && pod.deletionTimestamp === undefined)
        .sort((a, b) => compare(podKey(a), podKey(b)));
      let blocker: string | undefined;
      for (const pod of moving) {
        blocker = this.podBlocker(pod);
        if (blocker) break;
      }
      blocker ??= this.budgetBlocker(moving);
      if (blocker) {
        this.block(node.name, pool.name, blocker);
        continue;
      }
      candidates.push({ node, ref, pool, group, utilization, pods: moving, ready: node.ready });
    }
    return candidates.sort(
      (a, b) =>
        a.pool.priority - b.pool.priority ||
        Number(a.pods.length > 0) - Number(b.pods.length > 0) ||
        Number(a.pool.capacityType !== 'spot') - Number(b.pool.capacityType !== 'spot') ||
        a.utilization - b.utilization ||
        a.node.creationTimestamp - b.node.creationTimestamp ||
        compare(a.node.name, b.node.name),
    );
  }

  /** Whether one more node of the group may go without going below its minimum, or why not. */
  private minSizeBlocker(group: PoolGroup): string | undefined {
    const leaving = this.leaving.get(group.asgName) ?? 0;
    if (group.desiredCapacity - leaving - 1 >= group.minSize) return undefined;
    const others = leaving > 0 ? `, ${leaving} other node(s) leaving` : '';
    return `group ${group.asgName} is at its minimum size ${group.minSize} (desired ${group.desiredCapacity}${others})`;
  }

  // -------------------------------------------------------------------------------------------------
  // Rebalance hints

  private templateRooms?: Map<PoolGroup, { view: NodeView; room: NodeRoom }>;

  private templateRoom(group: PoolGroup): { view: NodeView; room: NodeRoom } {
    if (!this.templateRooms) {
      this.templateRooms = new Map();
      const daemons = this.input.daemonSets.map((daemonSet) => ({
        constraints: nodeConstraints(daemonSet.scheduling, undefined, DAEMONSET_DEFAULT_TOLERATIONS),
        requests: this.index.vector(podRequests(daemonSet)),
        hostPorts: daemonSet.scheduling?.hostPorts ?? [],
      }));
      for (const pool of this.input.pools) {
        for (const poolGroup of pool.groups) {
          const view: NodeView = {
            name: `new-node-of-${poolGroup.asgName}`,
            labels: poolGroup.template.labels,
            taints: poolGroup.template.taints,
          };
          const room = emptyRoom(poolGroup.template.allocatable, this.index);
          const storage = this.index.position('ephemeral-storage');
          if (storage !== undefined && poolGroup.template.allocatable['ephemeral-storage'] === undefined) {
            // As in the scale-up: a template that does not say how much disk it has is not held to 0.
            room.free[storage] = Number.POSITIVE_INFINITY;
          }
          for (const daemon of daemons) {
            if (nodeFilterFailure(daemon.constraints, view) === undefined) {
              takeRoom(room, daemon.requests, daemon.hostPorts);
            }
          }
          this.templateRooms.set(poolGroup, { view, room });
        }
      }
    }
    return this.templateRooms.get(group) as { view: NodeView; room: NodeRoom };
  }

  /** The highest-priority pool above the candidate's that could take each of its pods on a new node. */
  private preferredPool(candidate: Candidate): NodePool | undefined {
    const higher = this.input.pools
      .filter((pool) => pool.priority > candidate.pool.priority)
      .sort((a, b) => b.priority - a.priority || compare(a.name, b.name));
    for (const pool of higher) {
      const growable = pool.groups.filter(
        (group) => group.blocked === undefined && group.desiredCapacity < group.maxSize,
      );
      const fits = candidate.pods.every((pod) => {
        const facts = this.factsOf(pod);
        if (facts.error !== undefined) return false;
        return growable.some((group) => {
          const { view, room } = this.templateRoom(group);
          return (
            nodeFilterFailure(facts.constraints as NodeConstraints, view) === undefined &&
            fitCount(room, facts.requests, facts.hostPorts, 1) > 0
          );
        });
      });
      if (fits) return pool;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------------

  plan(): ScaleDownPlan {
    const { settings, now } = this.input;
    this.buildDestinations();
    this.placeDrainingPods();
    const candidates = this.candidates();

    // Which candidates could go together: each against the cluster as the earlier ones left it.
    const unneeded: Candidate[] = [];
    const rebalance: RebalanceHint[] = [];
    for (const candidate of candidates) {
      const name = candidate.node.name;
      const minSize = this.minSizeBlocker(candidate.group);
      if (minSize) {
        this.block(name, candidate.pool.name, minSize);
        continue;
      }
      const self = this.destinationOf.get(name);
      const moving = [...candidate.pods.map((pod) => this.factsOf(pod)), ...(self?.movedIn ?? [])];
      const moved = this.moveAll(name, moving, self);
      if (typeof moved === 'string') {
        this.block(name, candidate.pool.name, moved);
        if (candidate.pool.priority < this.topPriority) {
          const preferred = this.preferredPool(candidate);
          if (preferred) {
            const since = this.input.rebalanceSince[name] ?? now;
            rebalance.push({
              node: name,
              pool: candidate.pool.name,
              preferredPool: preferred.name,
              pods: candidate.pods.map(podKey),
              since,
              due: now - since >= settings.unneededTimeMs,
            });
          }
        }
        continue;
      }
      if (self) {
        self.gone = true;
        self.movedIn = [];
      }
      this.leaving.set(candidate.group.asgName, (this.leaving.get(candidate.group.asgName) ?? 0) + 1);
      unneeded.push(candidate);
    }

    const unneededSince: Record<string, number> = {};
    for (const candidate of unneeded) {
      unneededSince[candidate.node.name] = this.input.unneededSince[candidate.node.name] ?? now;
    }

    // Which unneeded nodes go now.
    const removeEmpty: NodeRemoval[] = [];
    const removeDrain: NodeRemoval[] = [];
    const drainsPerPool = new Map<string, number>();
    let drains = this.drainsInProgress();
    for (const candidate of unneeded) {
      const name = candidate.node.name;
      const pool = candidate.pool.name;
      const since = unneededSince[name] as number;
      const needed = candidate.ready ? settings.unneededTimeMs : settings.unreadyTimeMs;
      if (now - since < needed) {
        const state = candidate.ready ? '' : ' (not Ready)';
        this.block(name, pool, `unneeded for ${seconds(now - since)} s of ${seconds(needed)} s${state}`);
        continue;
      }
      const scaledUp = this.input.lastScaleUp[pool];
      if (scaledUp !== undefined && now - scaledUp < settings.delayAfterAddMs) {
        this.block(
          name,
          pool,
          `pool ${pool} scaled up ${seconds(now - scaledUp)} s ago (delay after add ${seconds(settings.delayAfterAddMs)} s)`,
        );
        continue;
      }
      const removal: NodeRemoval = {
        node: name,
        nodeUid: candidate.node.uid,
        pool,
        asgName: candidate.ref.asgName,
        zone: candidate.ref.zone,
        instanceId: candidate.ref.instanceId,
        utilization: candidate.utilization,
        unneededSince: since,
        pods: candidate.pods.map(podKey),
      };
      if (candidate.pods.length === 0) {
        if (removeEmpty.length >= settings.maxEmptyPerTick) {
          this.block(name, pool, `max ${settings.maxEmptyPerTick} empty nodes per tick`);
        } else {
          removeEmpty.push(removal);
        }
        continue;
      }
      const inPool = drainsPerPool.get(pool) ?? 0;
      if (inPool >= settings.maxDrainsPerPoolPerTick) {
        this.block(name, pool, `max ${settings.maxDrainsPerPoolPerTick} drain(s) per pool per tick`);
        continue;
      }
      if (drains >= settings.maxConcurrentDrains) {
        this.block(name, pool, `max ${settings.maxConcurrentDrains} drains at once`);
        continue;
      }
      // Budgets are shared: two nodes each within a budget may not be within it together.
      const budget = this.budgetBlocker(candidate.pods);
      if (budget) {
        this.block(name, pool, budget);
        continue;
      }
      this.takeBudget(candidate.pods);
      drainsPerPool.set(pool, inPool + 1);
      drains++;
      removeDrain.push(removal);
    }

    return {
      removeEmpty,
      removeDrain,
      unneededSince,
      blocked: [...this.blocked].sort((a, b) => compare(a.node, b.node)),
      rebalance: rebalance.sort((a, b) => compare(a.node, b.node)),
      rebalanceSince: Object.fromEntries(rebalance.map((hint) => [hint.node, hint.since])),
    };
  }

  /** Drains in progress that still have pods to move. */
  private drainsInProgress(): number {
    let count = 0;
    for (const node of this.input.nodes) {
      if (this.isDraining(node) && this.podsOn(node.name).some(mustMove)) count++;
    }
    return count;
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function budgetSelector(pdb: PodDisruptionBudget): Selector {
  try {
    return selectorFromLabelSelector(pdb.selector);
  } catch (error) {
    // The API server validates selectors; one that still does not parse selects no pod.
    if (error instanceof LabelSelectorError) return { requirements: [], matchesNothing: true };
    throw error;
  }
}

/**
 * Plans the scale-down for one tick.
 *
 * @example
 * const plan = planScaleDown({ nodes, pods, pdbs, daemonSets, claims, volumes, pools,
 *   nodeGroups: nodeGroupsOf(nodes, pools, groups), draining, unneededSince, rebalanceSince, lastScaleUp,
 *   settings: DEFAULT_SCALE_DOWN_SETTINGS, now });
 * // plan.removeEmpty: [{ node: 'ip-10-0-1-5', pool: 'default', asgName: 'default-a', pods: [], ... }]
 * // plan.unneededSince: persisted for the next tick
 */
export function planScaleDown(input: ScaleDownInput): ScaleDownPlan {
  return new Planner(input).plan();
}
