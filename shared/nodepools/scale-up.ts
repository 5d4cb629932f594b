/**
 * The scale-up decision: which Auto Scaling groups must grow, by how much, for which pending pods —
 * cluster-autoscaler's scale-up as one pure function. Pure: no I/O, no clock.
 *
 * 1. Pending pods are grouped into equivalence classes (pod-classes.ts) and placed largest first.
 * 2. They first go to Ready, schedulable nodes with room, then to nodes already being launched (each
 *    group's desired capacity above its Ready nodes, as empty template nodes). No scale-up for those.
 * 3. The rest go to new nodes: among the pools that can take at least one of them, the highest priority
 *    wins, ties broken by least waste (expander.ts). The chosen pool bin-packs the pods it can take
 *    (first fit over the nodes it opens, largest first), opening each node in the zone whose group is
 *    the smallest; then the next pool is chosen for the pods left, until no pool can take any.
 * 4. Group, pool and cluster limits stop nodes from being opened; pods that no pool can take are
 *    reported with one reason per pool, in kube-scheduler's words.
 *
 * Cost: filters run once per pod class and node kind (nodes with the same labels and taints, or one
 * group's template) and are cached; a class is placed as a count (how many fit a node), not pod by pod;
 * first fit walks a max tree of the nodes' free room (first-fit.ts), so nodes without room for a class
 * are skipped in runs instead of scanned; a pool's trials only look at the classes it can hold at all.
 */

import type { DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod } from '../ports/kubernetes';
import { chooseExpansion, type ExpansionOption, wasteOf } from './expander';
import { FirstFitIndex } from './first-fit';
import { groupPendingPods, type PodClass } from './pod-classes';
import { type NodePool, type PoolGroup, podKey, type ScaleUpLimits } from './pool';
import {
  type AntiAffinityParty,
  antiAffinityConflict,
  DAEMONSET_DEFAULT_TOLERATIONS,
  emptyRoom,
  fitCount,
  HOSTNAME_LABEL,
  hostnameAntiAffinity,
  isTerminal,
  type NodeRoom,
  type NodeView,
  nodeConstraints,
  nodeFilterFailure,
  nodeRoom,
  podRequests,
  type ResourceIndex,
  resourceAmount,
  roomFailures,
  takeRoom,
} from './scheduling';

export interface ScaleUpInput {
  /** Pods the scheduler could not place (PodScheduled=False, reason Unschedulable), not yet bound. */
  pendingPods: Pod[];
  /** Every node of the cluster. */
  nodes: Node[];
  /** Every pod of the cluster; the ones bound to a node (and not finished) use its room. */
  pods: Pod[];
  daemonSets: DaemonSet[];
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  pools: NodePool[];
  limits: ScaleUpLimits;
}

export interface GroupIncrease {
  pool: string;
  asgName: string;
  zone: string;
  /** Desired capacity as read. */
  from: number;
  to: number;
  /** `namespace/name` of the pods the new nodes are for. */
  pods: string[];
}

export interface UnplaceablePod {
  pod: string;
  /** One line per reason, e.g. `pool default: Insufficient cpu (needs 9, template has 3.87)`. */
  reasons: string[];
}

export interface ScaleUpPlan {
  increases: GroupIncrease[];
  /** Pending pods that fit a Ready node now (the scheduler will place them; no scale-up for them). */
  fitsExisting: string[];
  /** Pending pods that fit a node already being launched (desired above ready); no scale-up for them. */
  fitsUpcoming: string[];
  /** Pods no pool can take, each with why. */
  unplaceable: UnplaceablePod[];
  /** Limits that stopped the plan short ("cluster max 512 nodes (the network plan)"), for reports. */
  limitsReached: string[];
}

/** The reason given when the cluster has no pool at all. */
export const NO_POOLS_REASON = 'no node pools';
/**
 * The reason for a pool that could hold the pod but opened no node for it; not expected, since every
 * pool left with pods it can hold says which limit stopped it.
 */
export const NO_NEW_NODE_REASON = 'no new node planned';
/** The reason given for a pool without any Auto Scaling group. */
export const NO_GROUPS_REASON = 'no Auto Scaling groups';

/**
 * Template nodes get a name no real node has, so `matchFields` on `metadata.name` (which pins a pod to
 * an existing node) never matches a node that does not exist yet.
 */
const TEMPLATE_NAME_PREFIX = 'new-node-of-';

/** One node that pods can be placed on: a Ready node, a node being launched, or one this plan opens. */
interface Bin {
  /** Opening order of the nodes a trial opens (first fit runs in that order across zones). */
  order?: number;
  view: NodeView;
  room: NodeRoom;
  /** Classes this plan placed here; kept only while anti-affinity is in play. */
  placed?: PodClass[];
  /** Pods bound to an existing node, as anti-affinity sees them (only when in play). */
  residents?: AntiAffinityParty[];
  /** The residents that have anti-affinity terms themselves. */
  repellingResidents?: AntiAffinityParty[];
}

/** Nodes with the same labels (but the hostname) and taints: the static filters agree on all of them. */
interface Kind {
  id: number;
  view: NodeView;
  bins: FirstFitIndex<Bin>;
}

interface PoolState {
  pool: NodePool;
  groups: GroupState[];
  /** Chosen once, or unable to take any pod: never asked again (later rounds have fewer pods, less room). */
  done: boolean;
}

interface GroupState {
  pool: PoolState;
  group: PoolGroup;
  view: NodeView;
  kindId: number;
  /** One new node's room: allocatable minus the DaemonSet pods that land on it. */
  empty: NodeRoom;
  allocatable: Float64Array;
  milliCpu: number;
  memoryMiB: number;
  /** Nodes this plan adds, and the pods they are for. */
  planned: number;
  pods: string[];
}

/** Nodes and capacity of the whole cluster, for the cluster-wide limits. */
interface Totals {
  nodes: number;
  planned: number;
  milliCpu: number;
  memoryMiB: number;
}

/** Why a class cannot get a new node in one group. */
interface GroupReason {
  text: string;
  /** Said per zone even when every zone says the same (a backoff, a group's own max). */
  perZone: boolean;
}

interface GroupFit {
  /** Undefined when one new node of the group holds a pod of the class. */
  failure?: GroupReason;
}

interface Placement {
  cls: PodClass;
  group: GroupState;
  count: number;
}

interface Trial extends ExpansionOption {
  state: PoolState;
  planned: Map<GroupState, number>;
  placements: Placement[];
  reasons: Map<PodClass, string[]>;
  limits: Set<string>;
  totals: Totals;
}

const MIB = 1024 * 1024;

function byString<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

function sortedRecord(record: Readonly<Record<string, string>>, without?: string): [string, string][] {
  return Object.entries(record)
    .filter(([key]) => key !== without)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function hasHostnameAntiAffinity(pod: Pod): boolean {
  return (pod.scheduling?.requiredPodAntiAffinity ?? []).some((term) => term.topologyKey === HOSTNAME_LABEL);
}

function cloneRoom(room: NodeRoom): NodeRoom {
  return { free: room.free.slice(), podsLeft: room.podsLeft, hostPorts: new Set(room.hostPorts) };
}

function poolOrder(a: NodePool, b: NodePool): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function groupOrder(a: PoolGroup, b: PoolGroup): number {
  if (a.zone !== b.zone) return a.zone < b.zone ? -1 : 1;
  return a.asgName < b.asgName ? -1 : a.asgName > b.asgName ? 1 : 0;
}

/** The work of one plan; `planScaleUp` is its only entry. */
class Planner {
  private readonly index: ResourceIndex;
  private readonly classes: PodClass[];
  private readonly antiAffinity: boolean;
  private readonly states: PoolState[];
  private readonly existing: Kind[] = [];
  private readonly upcoming: Kind[] = [];
  private kindCount = 0;
  private totals: Totals;
  /** Filter results by node kind, then constraint id; `null` when the kind passes. */
  private readonly staticCache: (string | null)[][] = [];
  private readonly conflictCache = new Map<number, boolean>();
  /** `fitOn` results by the group's kind id, then class id. */
  private readonly groupFits: GroupFit[][] = [];
  private readonly poolClasses = new Map<PoolState, readonly PodClass[]>();
  private readonly reasons = new Map<PodClass, Map<PoolState, string[]>>();
  private readonly limitsReached = new Set<string>();
  /** Pods of each class placed so far (a class's pods are taken in key order). */
  private readonly placedCount = new Map<PodClass, number>();
  readonly fitsExisting: string[] = [];
  readonly fitsUpcoming: string[] = [];

  constructor(private readonly input: ScaleUpInput) {
    const bound = new Map<string, Pod[]>();
    for (const pod of input.pods) {
      if (pod.nodeName === undefined || isTerminal(pod)) continue;
      const list = bound.get(pod.nodeName);
      if (list) list.push(pod);
      else bound.set(pod.nodeName, [pod]);
    }
    this.antiAffinity =
      input.pendingPods.some(hasHostnameAntiAffinity) ||
      input.pods.some(
        (pod) => pod.nodeName !== undefined && !isTerminal(pod) && hasHostnameAntiAffinity(pod),
      );
    const pending = groupPendingPods({
      pendingPods: input.pendingPods,
      claims: input.claims,
      volumes: input.volumes,
      labelsMatter: this.antiAffinity,
    });
    this.index = pending.index;

    this.states = this.poolStates();
    this.buildExisting(bound);
    this.buildUpcoming();
    this.totals = this.initialTotals();
    this.classes = this.largestFirst(pending.classes);
  }

  // -------------------------------------------------------------------------------------------------
  // Setup

  private poolStates(): PoolState[] {
    const daemons = this.input.daemonSets.map((daemonSet) => ({
      constraints: nodeConstraints(daemonSet.scheduling, undefined, DAEMONSET_DEFAULT_TOLERATIONS),
      requests: this.index.vector(podRequests(daemonSet)),
      hostPorts: daemonSet.scheduling?.hostPorts ?? [],
    }));
    return [...this.input.pools].sort(poolOrder).map((pool) => {
      const state: PoolState = { pool, groups: [], done: false };
      state.groups = [...pool.groups].sort(groupOrder).map((group) => {
        const view: NodeView = {
          name: `${TEMPLATE_NAME_PREFIX}${group.asgName}`,
          labels: group.template.labels,
          taints: group.template.taints,
        };
        const empty = emptyRoom(group.template.allocatable, this.index);
        const storage = this.index.position('ephemeral-storage');
        if (storage !== undefined && group.template.allocatable['ephemeral-storage'] === undefined) {
          // A template that does not say how much disk it has is not held to 0: that is
          // cluster-autoscaler's scale-from-zero trap for pods with ephemeral-storage requests.
          empty.free[storage] = Number.POSITIVE_INFINITY;
        }
        for (const daemon of daemons) {
          if (nodeFilterFailure(daemon.constraints, view) === undefined) {
            takeRoom(empty, daemon.requests, daemon.hostPorts);
          }
        }
        const capacity = group.template.capacity;
        return {
          pool: state,
          group,
          view,
          kindId: this.kindCount++,
          empty,
          allocatable: this.index.list(group.template.allocatable),
          milliCpu: capacity.cpu === undefined ? 0 : resourceAmount('cpu', capacity.cpu),
          memoryMiB: capacity.memory === undefined ? 0 : resourceAmount('memory', capacity.memory) / MIB,
          planned: 0,
          pods: [],
        };
      });
      return state;
    });
  }

  private newKind(view: NodeView, bins: Bin[], id = this.kindCount++): Kind {
    const index = new FirstFitIndex<Bin>(this.index.size);
    for (const bin of bins) index.add(bin);
    return { id, view, bins: index };
  }

  private buildExisting(bound: ReadonlyMap<string, Pod[]>): void {
    const kinds = new Map<string, Kind>();
    const nodes = [...this.input.nodes].sort(byString((node) => node.name));
    for (const node of nodes) {
      if (!node.ready || node.unschedulable) continue;
      const pods = bound.get(node.name) ?? [];
      const view: NodeView = { name: node.name, labels: node.labels, taints: node.taints };
      const bin: Bin = { view, room: nodeRoom(node.allocatable, pods, this.index) };
      if (this.antiAffinity) {
        bin.residents = pods.map((pod) => ({
          namespace: pod.namespace,
          labels: pod.labels,
          terms: hostnameAntiAffinity(pod),
        }));
        bin.repellingResidents = bin.residents.filter((party) => party.terms.length > 0);
      }
      const key = JSON.stringify([sortedRecord(node.labels, HOSTNAME_LABEL), node.taints]);
      const kind = kinds.get(key);
      if (kind) {
        kind.bins.add(bin);
      } else {
        const created = this.newKind(view, [bin]);
        kinds.set(key, created);
        this.existing.push(created);
      }
    }
  }

  private buildUpcoming(): void {
    for (const state of this.states) {
      for (const group of state.groups) {
        const launching = Math.max(0, group.group.desiredCapacity - group.group.readyNodes);
        if (launching === 0) continue;
        const bins = Array.from({ length: launching }, () => ({
          view: group.view,
          room: cloneRoom(group.empty),
        }));
        this.upcoming.push(this.newKind(group.view, bins, group.kindId));
      }
    }
  }

  private initialTotals(): Totals {
    const totals: Totals = { nodes: this.input.nodes.length, planned: 0, milliCpu: 0, memoryMiB: 0 };
    for (const node of this.input.nodes) {
      if (node.capacity.cpu !== undefined) totals.milliCpu += resourceAmount('cpu', node.capacity.cpu);
      if (node.capacity.memory !== undefined) {
        totals.memoryMiB += resourceAmount('memory', node.capacity.memory) / MIB;
      }
    }
    for (const state of this.states) {
      for (const group of state.groups) {
        const launching = Math.max(0, group.group.desiredCapacity - group.group.readyNodes);
        totals.nodes += launching;
        totals.milliCpu += launching * group.milliCpu;
        totals.memoryMiB += launching * group.memoryMiB;
      }
    }
    return totals;
  }

  /**
   * Classes by size, largest first: the sum over resources of the request's share of the largest node
   * that offers the resource (cluster-autoscaler's binpacking score, generalised past CPU and memory).
   */
  private largestFirst(classes: PodClass[]): PodClass[] {
    const reference = new Float64Array(this.index.size);
    const widen = (amounts: Float64Array) => {
      for (let i = 0; i < amounts.length; i++)
        reference[i] = Math.max(reference[i] as number, amounts[i] as number);
    };
    for (const node of this.input.nodes) widen(this.index.list(node.allocatable));
    for (const state of this.states) for (const group of state.groups) widen(group.allocatable);
    const size = (cls: PodClass) => {
      let total = 0;
      for (let i = 0; i < cls.requests.length; i++) {
        const request = cls.requests[i] as number;
        if (request > 0) total += (reference[i] as number) > 0 ? request / (reference[i] as number) : 1;
      }
      return total;
    };
    const sizes = new Map(classes.map((cls) => [cls, size(cls)]));
    return [...classes].sort((a, b) => (sizes.get(b) as number) - (sizes.get(a) as number) || a.id - b.id);
  }

  // -------------------------------------------------------------------------------------------------
  // Filters

  private remaining(cls: PodClass): number {
    return cls.pods.length - (this.placedCount.get(cls) ?? 0);
  }

  private takePods(cls: PodClass, count: number): string[] {
    const from = this.placedCount.get(cls) ?? 0;
    this.placedCount.set(cls, from + count);
    return cls.pods.slice(from, from + count).map(podKey);
  }

  private staticFailure(cls: PodClass, kindId: number, view: NodeView): string | undefined {
    let byConstraint = this.staticCache[kindId];
    if (!byConstraint) {
      byConstraint = [];
      this.staticCache[kindId] = byConstraint;
    }
    let failure = byConstraint[cls.constraintId];
    if (failure === undefined) {
      failure = nodeFilterFailure(cls.constraints, view) ?? null;
      byConstraint[cls.constraintId] = failure;
    }
    return failure ?? undefined;
  }

  private conflict(a: PodClass, b: PodClass): boolean {
    if (a.party.terms.length === 0 && b.party.terms.length === 0) return false;
    const key = a.id * this.classes.length + b.id;
    let conflict = this.conflictCache.get(key);
    if (conflict === undefined) {
      conflict = antiAffinityConflict(a.party, b.party);
      this.conflictCache.set(key, conflict);
    }
    return conflict;
  }

  private repelled(cls: PodClass, bin: Bin): boolean {
    for (const other of bin.placed ?? []) if (this.conflict(cls, other)) return true;
    const residents = cls.party.terms.length > 0 ? bin.residents : bin.repellingResidents;
    for (const resident of residents ?? []) if (antiAffinityConflict(cls.party, resident)) return true;
    return false;
  }

  /** Places up to `want` pods of the class on the bin; returns how many. */
  private fill(cls: PodClass, bin: Bin, want: number): number {
    if (this.antiAffinity && this.repelled(cls, bin)) return 0;
    const count = fitCount(
      bin.room,
      cls.requests,
      cls.hostPorts,
      cls.selfExclusive ? Math.min(1, want) : want,
    );
    if (count === 0) return 0;
    takeRoom(bin.room, cls.requests, cls.hostPorts, count);
    if (this.antiAffinity) {
      bin.placed ??= [];
      if (!bin.placed.includes(cls)) bin.placed.push(cls);
    }
    return count;
  }

  private fitOn(cls: PodClass, group: GroupState): GroupFit {
    let byClass = this.groupFits[group.kindId];
    if (!byClass) {
      byClass = [];
      this.groupFits[group.kindId] = byClass;
    }
    const known = byClass[cls.id];
    if (known) return known;
    let fit: GroupFit;
    const failure = this.staticFailure(cls, group.kindId, group.view);
    if (failure !== undefined) {
      fit = { failure: { text: failure, perZone: false } };
    } else {
      const short = roomFailures(group.empty, cls.requests, cls.hostPorts, this.index, {
        has: 'template has',
      });
      if (short.length > 0) fit = { failure: { text: short.join(', '), perZone: false } };
      else if (group.group.blocked !== undefined) {
        fit = { failure: { text: group.group.blocked, perZone: true } };
      } else {
        fit = {};
      }
    }
    byClass[cls.id] = fit;
    return fit;
  }

  // -------------------------------------------------------------------------------------------------
  // Existing and upcoming nodes

  /** Places what fits on the kinds' nodes, first fit in node order; adds the pod keys placed to `sink`. */
  private placeOnKinds(kinds: readonly Kind[], sink: string[]): void {
    for (const cls of this.classes) {
      if (cls.error !== undefined) continue;
      let want = this.remaining(cls);
      for (const kind of kinds) {
        if (want === 0) break;
        const perNode = cls.constraints.nodeSpecific;
        if (!perNode && this.staticFailure(cls, kind.id, kind.view) !== undefined) continue;
        for (
          let at = kind.bins.find(cls.requests);
          at >= 0 && want > 0;
          at = kind.bins.find(cls.requests, at + 1)
        ) {
          const bin = kind.bins.item(at);
          if (perNode && nodeFilterFailure(cls.constraints, bin.view) !== undefined) continue;
          const count = this.fill(cls, bin, want);
          if (count === 0) continue;
          want -= count;
          sink.push(...this.takePods(cls, count));
          kind.bins.refresh(at);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // New nodes

  /** A limit that keeps the pool from opening any node: the reason for its pods and the line for reports. */
  private poolLimit(
    state: PoolState,
    totals: Totals,
    poolNodes: number,
  ): { reason: string; line: string } | undefined {
    const limits = this.input.limits;
    const same = (text: string) => ({ reason: text, line: text });
    if (totals.planned >= limits.maxNodesPerTick) {
      return same(`max ${limits.maxNodesPerTick} new nodes per tick`);
    }
    if (totals.nodes >= limits.maxNodes) {
      return same(`cluster max ${limits.maxNodes} nodes (${limits.maxNodesSource})`);
    }
    const max = state.pool.maxNodes;
    if (max !== undefined && poolNodes >= max) {
      return { reason: `pool max ${max} nodes`, line: `pool ${state.pool.name} max ${max} nodes` };
    }
    return undefined;
  }

  /** A limit that keeps one group from opening a node: its max size, or the cluster's vCPU or memory. */
  private groupLimit(
    group: GroupState,
    plannedHere: number,
    totals: Totals,
  ): { reason: GroupReason; line: string } | undefined {
    const { maxSize, desiredCapacity, asgName, zone } = group.group;
    if (desiredCapacity + group.planned + plannedHere >= maxSize) {
      return {
        reason: { text: `group max ${maxSize} nodes`, perZone: true },
        line: `pool ${group.pool.pool.name} (${zone}): group max ${maxSize} nodes (${asgName})`,
      };
    }
    const { maxVcpus, maxMemoryMiB } = this.input.limits;
    if (maxVcpus !== undefined && totals.milliCpu + group.milliCpu > maxVcpus * 1000) {
      const text = `cluster max ${maxVcpus} vCPUs`;
      return { reason: { text, perZone: false }, line: text };
    }
    if (maxMemoryMiB !== undefined && totals.memoryMiB + group.memoryMiB > maxMemoryMiB) {
      const text = `cluster max ${maxMemoryMiB} MiB memory`;
      return { reason: { text, perZone: false }, line: text };
    }
    return undefined;
  }

  private reasonLines(state: PoolState, reasons: readonly (GroupReason & { zone: string })[]): string[] {
    const name = state.pool.name;
    if (state.groups.length === 0) return [`pool ${name}: ${NO_GROUPS_REASON}`];
    const first = reasons[0];
    if (first && !first.perZone && reasons.every((reason) => reason.text === first.text && !reason.perZone)) {
      return [`pool ${name}: ${first.text}`];
    }
    return reasons.map((reason) => `pool ${name} (${reason.zone}): ${reason.text}`);
  }

  /** The classes some group of the pool can hold, largest first: the only ones its trials look at. */
  private takers(state: PoolState): readonly PodClass[] {
    let classes = this.poolClasses.get(state);
    if (!classes) {
      classes = this.classes.filter(
        (cls) => cls.error === undefined && state.groups.some((group) => !this.fitOn(cls, group).failure),
      );
      this.poolClasses.set(state, classes);
    }
    return classes;
  }

  /** Why no group of the pool can ever hold the class (its filters, room, backoff), one line per reason. */
  private staticReasons(state: PoolState, cls: PodClass): string[] {
    return this.reasonLines(
      state,
      state.groups.map((group) => ({
        ...(this.fitOn(cls, group).failure ?? { text: NO_NEW_NODE_REASON, perZone: true }),
        zone: group.group.zone,
      })),
    );
  }

  /** What the pool would do with the pods left: bin-pack them onto new nodes, without changing the plan. */
  private trial(state: PoolState): Trial {
    const planned = new Map<GroupState, number>();
    const totals = { ...this.totals };
    let poolNodes = state.groups.reduce((sum, g) => sum + g.group.desiredCapacity + g.planned, 0);
    const placements: Placement[] = [];
    const reasons = new Map<PodClass, string[]>();
    const limits = new Set<string>();
    const opened = new Map<GroupState, FirstFitIndex<Bin>>();
    let order = 0;
    let pods = 0;
    let nodes = 0;
    const waste = { allocatableCpu: 0, requestedCpu: 0, allocatableMemory: 0, requestedMemory: 0 };

    const place = (cls: PodClass, group: GroupState, count: number) => {
      const last = placements.at(-1);
      if (last && last.cls === cls && last.group === group) last.count += count;
      else placements.push({ cls, group, count });
      pods += count;
      waste.requestedCpu += (cls.requests[0] as number) * count;
      waste.requestedMemory += (cls.requests[1] as number) * count;
    };

    for (const cls of this.takers(state)) {
      let want = this.remaining(cls);
      if (want === 0) continue;
      const fits = state.groups.map((group) => this.fitOn(cls, group));

      // First fit over the nodes opened so far, in opening order, in the zones the class may use.
      const cursors: { group: GroupState; bins: FirstFitIndex<Bin>; at: number }[] = [];
      state.groups.forEach((group, i) => {
        const bins = opened.get(group);
        const at = bins && fits[i]?.failure === undefined ? bins.find(cls.requests) : -1;
        if (bins && at >= 0) cursors.push({ group, bins, at });
      });
      while (want > 0 && cursors.length > 0) {
        let first = 0;
        for (let c = 1; c < cursors.length; c++) {
          const cursor = cursors[c] as (typeof cursors)[number];
          const best = cursors[first] as (typeof cursors)[number];
          if ((cursor.bins.item(cursor.at).order ?? 0) < (best.bins.item(best.at).order ?? 0)) first = c;
        }
        const cursor = cursors[first] as (typeof cursors)[number];
        const count = this.fill(cls, cursor.bins.item(cursor.at), want);
        if (count > 0) {
          want -= count;
          place(cls, cursor.group, count);
          cursor.bins.refresh(cursor.at);
        }
        cursor.at = cursor.bins.find(cls.requests, cursor.at + 1);
        if (cursor.at < 0) cursors.splice(first, 1);
      }

      while (want > 0) {
        const poolLimit = this.poolLimit(state, totals, poolNodes);
        if (poolLimit !== undefined) {
          reasons.set(cls, [`pool ${state.pool.name}: ${poolLimit.reason}`]);
          limits.add(poolLimit.line);
          break;
        }
        let best: GroupState | undefined;
        const stops: (GroupReason & { zone: string })[] = [];
        const stopLines: string[] = [];
        state.groups.forEach((group, i) => {
          const failure = fits[i]?.failure;
          if (failure !== undefined) {
            stops.push({ ...failure, zone: group.group.zone });
            return;
          }
          const here = planned.get(group) ?? 0;
          const limit = this.groupLimit(group, here, totals);
          if (limit) {
            stops.push({ ...limit.reason, zone: group.group.zone });
            stopLines.push(limit.line);
            return;
          }
          const size = group.group.desiredCapacity + group.planned + here;
          const bestSize = best ? best.group.desiredCapacity + best.planned + (planned.get(best) ?? 0) : 0;
          if (!best || size < bestSize) best = group;
        });
        if (!best) {
          reasons.set(cls, this.reasonLines(state, stops));
          for (const line of stopLines) limits.add(line);
          break;
        }
        const group: GroupState = best;
        const bin: Bin = { view: group.view, room: cloneRoom(group.empty), order };
        const count = this.fill(cls, bin, want);
        if (count === 0) {
          // `fitOn` said an empty node holds one; never loop on a node that holds none.
          reasons.set(cls, [`pool ${state.pool.name} (${group.group.zone}): ${NO_NEW_NODE_REASON}`]);
          break;
        }
        order++;
        planned.set(group, (planned.get(group) ?? 0) + 1);
        poolNodes++;
        nodes++;
        totals.nodes++;
        totals.planned++;
        totals.milliCpu += group.milliCpu;
        totals.memoryMiB += group.memoryMiB;
        waste.allocatableCpu += group.allocatable[0] as number;
        waste.allocatableMemory += group.allocatable[1] as number;
        want -= count;
        place(cls, group, count);
        let bins = opened.get(group);
        if (!bins) {
          bins = new FirstFitIndex<Bin>(this.index.size);
          opened.set(group, bins);
        }
        bins.add(bin);
      }
    }

    return {
      pool: state.pool.name,
      priority: state.pool.priority,
      nodes,
      pods,
      waste: wasteOf(waste),
      state,
      planned,
      placements,
      reasons,
      limits,
      totals,
    };
  }

  private settle(trial: Trial): void {
    for (const [cls, lines] of trial.reasons) {
      let byPool = this.reasons.get(cls);
      if (!byPool) {
        byPool = new Map();
        this.reasons.set(cls, byPool);
      }
      byPool.set(trial.state, lines);
    }
    for (const line of trial.limits) this.limitsReached.add(line);
    trial.state.done = true;
  }

  private commit(trial: Trial): void {
    for (const placement of trial.placements) {
      placement.group.pods.push(...this.takePods(placement.cls, placement.count));
    }
    for (const [group, count] of trial.planned) group.planned += count;
    this.totals = trial.totals;
    this.settle(trial);
  }

  private scaleUp(): void {
    for (;;) {
      if (!this.classes.some((cls) => cls.error === undefined && this.remaining(cls) > 0)) return;
      let chosen: Trial | undefined;
      let at = 0;
      while (!chosen && at < this.states.length) {
        const priority = this.states[at]?.pool.priority;
        const level: Trial[] = [];
        for (; at < this.states.length && this.states[at]?.pool.priority === priority; at++) {
          const state = this.states[at] as PoolState;
          if (state.done) continue;
          const trial = this.trial(state);
          if (trial.pods > 0) level.push(trial);
          else this.settle(trial);
        }
        chosen = chooseExpansion(level);
      }
      if (!chosen) return;
      this.commit(chosen);
    }
  }

  // -------------------------------------------------------------------------------------------------

  plan(): ScaleUpPlan {
    this.placeOnKinds(this.existing, this.fitsExisting);
    this.placeOnKinds(this.upcoming, this.fitsUpcoming);
    this.scaleUp();

    const increases: GroupIncrease[] = [];
    for (const state of this.states) {
      for (const group of state.groups) {
        if (group.planned === 0) continue;
        increases.push({
          pool: state.pool.name,
          asgName: group.group.asgName,
          zone: group.group.zone,
          from: group.group.desiredCapacity,
          to: group.group.desiredCapacity + group.planned,
          pods: [...group.pods].sort(),
        });
      }
    }
    const priorityOf = new Map(this.states.map((state) => [state.pool.name, state.pool.priority]));
    increases.sort(
      (a, b) =>
        (priorityOf.get(b.pool) ?? 0) - (priorityOf.get(a.pool) ?? 0) ||
        (a.asgName < b.asgName ? -1 : a.asgName > b.asgName ? 1 : 0),
    );

    const unplaceable: UnplaceablePod[] = [];
    for (const cls of this.classes) {
      const left = this.remaining(cls);
      if (left === 0) continue;
      let reasons: string[];
      if (cls.error !== undefined) reasons = [cls.error];
      else if (this.states.length === 0) reasons = [NO_POOLS_REASON];
      else {
        const byPool = this.reasons.get(cls);
        reasons = this.states.flatMap((state) => byPool?.get(state) ?? this.staticReasons(state, cls));
      }
      for (const pod of this.takePods(cls, left)) unplaceable.push({ pod, reasons });
    }
    unplaceable.sort(byString((item) => item.pod));

    return {
      increases,
      fitsExisting: [...this.fitsExisting].sort(),
      fitsUpcoming: [...this.fitsUpcoming].sort(),
      unplaceable,
      limitsReached: [...this.limitsReached],
    };
  }
}

/**
 * Plans the scale-up for one tick.
 *
 * @example
 * const plan = planScaleUp({ pendingPods, nodes, pods, daemonSets, claims, volumes, pools, limits });
 * // plan.increases: [{ pool: 'default', asgName: 'default-a', zone: 'eu-central-1a', from: 3, to: 5,
 * //   pods: ['shop/web-1', 'shop/web-2'] }]
 */
export function planScaleUp(input: ScaleUpInput): ScaleUpPlan {
  return new Planner(input).plan();
}
