/**
 * What the node-pool loop did over a simulated run, recorded from what each tick read and decided: nodes
 * per pool against their lower bound, the decisions as a timeline, the pods it saw unschedulable and
 * where they went, and the fallback after each failed scale-up, measured from those records rather than
 * assumed from the loop's settings.
 */
import type { NodePoolTickSummary } from '../loops/node-pool-loop';
import type { NodePool } from '../nodepools/pool';
import { isTerminal, podRequests } from '../nodepools/scheduling';
import { ZONE_LABEL } from '../nodepools/template-node';
import type { AutoScalingGroup, ScalingActivity } from '../ports/auto-scaling';
import type { Container, Node, Pod } from '../ports/kubernetes';
import { parseMilliNumber, parseQuantityNumber } from '../units/quantity';
import { PodMove } from './pod-moves';
import type {
  DisruptionOutcome,
  FallbackEpisode,
  InterruptionOutcome,
  NodePoolDecision,
  NodePoolRun,
  PendingPodRecord,
  PoolOutcome,
  ScaleDownCounts,
} from './result';

/** What one tick read and decided. */
export interface TickObservation {
  summary: NodePoolTickSummary;
  nodes: Node[];
  pods: Pod[];
  /** All groups the tick read. */
  groups: AutoScalingGroup[];
  /** The pools as the loop resolved them from what it read. */
  pools: NodePool[];
}

/** Distinct unplaceable reasons kept; past this, new ones are counted under one line. */
const MAX_REASONS = 200;
const OTHER_REASONS = '(other reasons)';
/** Timestamps in reasons ("backed off until 2025-06-03T17:31:00.000Z") would make every tick's text unique. */
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

const HOUR_MS = 3_600_000;

const NO_DISRUPTION: DisruptionOutcome = {
  evictions: 0,
  evictionsBlocked: 0,
  podsLost: 0,
  podsLostByLoop: 0,
  podsLostOutsideLoop: 0,
  pdbViolations: 0,
  pdbViolationsByLoop: 0,
};

interface PoolValues {
  nodes: number;
  desired: number;
  lowerBound: number;
}

interface PoolTotals {
  outcome: PoolOutcome;
}

interface Requests {
  cpuMillis: number;
  memoryBytes: number;
}

interface TrackedPod extends PendingPodRecord {
  lastSeenTick: number;
}

/**
 * The fewest template nodes that hold `used`: the largest of CPU, memory and pods over one node's room
 * after its DaemonSet pods. Unrounded, so that integrated over time it stays a lower bound.
 */
export function lowerBoundNodes(
  used: { cpuMillis: number; memoryBytes: number; pods: number },
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number },
  perNodeDaemons: { cpuMillis: number; memoryBytes: number; pods: number },
): number {
  const share = (amount: number, room: number) => (amount <= 0 ? 0 : room > 0 ? amount / room : Infinity);
  return Math.max(
    share(used.cpuMillis, allocatable.cpuMillis - perNodeDaemons.cpuMillis),
    share(used.memoryBytes, allocatable.memoryBytes - perNodeDaemons.memoryBytes),
    share(used.pods, allocatable.pods - perNodeDaemons.pods),
  );
}

function isDaemonPod(pod: Pod): boolean {
  return pod.ownerReferences.some((owner) => owner.kind === 'DaemonSet');
}

function podScheduled(pod: Pod) {
  for (const condition of pod.conditions) if (condition.type === 'PodScheduled') return condition;
  return undefined;
}

/**
 * Records ticks of the node-pool loop; `finish` turns them into the result's `NodePoolRun`.
 *
 * @example
 * const recorder = new NodePoolRecorder(15_000, 120);
 * recorder.observe({ summary, nodes, pods, groups, pools }); // after each tick
 * recorder.sample(now); // at each sample instant
 * const run = recorder.finish(end, (group) => cloud.activities(group));
 */
export class NodePoolRecorder {
  private ticks = 0;
  private lastTime: number | undefined;
  private current = new Map<string, PoolValues>();
  private readonly first = new Map<string, PoolValues>();
  private readonly totals = new Map<string, PoolTotals>();
  private readonly snapshots: Map<string, PoolValues>[] = [];
  private readonly unplaceableSamples: number[] = [];
  private lastUnplaceable = 0;
  private readonly decisions: NodePoolDecision[] = [];
  private readonly tracked = new Map<string, TrackedPod>();
  private readonly unbound = new Map<string, TrackedPod>();
  private readonly reasons = new Map<string, number>();
  private readonly scaleDown: ScaleDownCounts = {
    drainsStarted: 0,
    drainsFinished: 0,
    drainsAborted: 0,
    nodesRemoved: 0,
  };
  /** Nodes a drain already removed: terminate and delete-node may come in different ticks. */
  private readonly removed = new Set<string>();
  private readonly interruptions: InterruptionOutcome[] = [];
  /** Spot warnings whose pods are still being followed to their replacements. */
  private moves: { outcome: InterruptionOutcome; move: PodMove }[] = [];
  /** Pods of a workload share their containers array, so their requests are computed once. */
  private readonly requestCache = new WeakMap<readonly Container[], Requests>();

  constructor(
    private readonly intervalMs: number,
    private readonly bootSeconds: number,
  ) {}

  observe(tick: TickObservation): void {
    const { summary } = tick;
    const time = summary.time;
    this.ticks++;
    this.integrateUntil(time);

    const groupOfInstance = new Map<string, string>();
    for (const group of tick.groups) {
      for (const instance of group.instances) groupOfInstance.set(instance.instanceId, group.name);
    }
    const poolOfGroup = new Map<string, NodePool>();
    for (const pool of tick.pools) for (const group of pool.groups) poolOfGroup.set(group.asgName, pool);
    const poolOfNode = new Map<string, NodePool>();
    const nodesByName = new Map<string, Node>();
    const values = new Map<string, PoolValues>();
    const used = new Map<string, Requests & { pods: number }>();
    const daemons = new Map<string, Requests & { pods: number }>();
    for (const pool of tick.pools) {
      values.set(pool.name, { nodes: 0, desired: 0, lowerBound: 0 });
      used.set(pool.name, { cpuMillis: 0, memoryBytes: 0, pods: 0 });
      daemons.set(pool.name, { cpuMillis: 0, memoryBytes: 0, pods: 0 });
      this.totalsOf(pool);
    }
    for (const node of tick.nodes) {
      nodesByName.set(node.name, node);
      const instanceId = node.providerID?.slice(node.providerID.lastIndexOf('/') + 1);
      const group = instanceId === undefined ? undefined : groupOfInstance.get(instanceId);
      const pool = group === undefined ? undefined : poolOfGroup.get(group);
      if (!pool) continue;
      poolOfNode.set(node.name, pool);
      const entry = values.get(pool.name);
      if (entry) entry.nodes++;
    }

    const desiredOf = new Map<string, number>();
    for (const pool of tick.pools) {
      for (const group of pool.groups) desiredOf.set(group.asgName, group.desiredCapacity);
    }
    for (const increase of [...summary.increases, ...summary.rebalance.increases]) {
      if (increase.result === 'applied') desiredOf.set(increase.asgName, increase.to);
    }
    for (const failure of summary.failures) {
      if (failure.resetTo !== undefined) desiredOf.set(failure.asgName, failure.resetTo);
    }
    for (const pool of tick.pools) {
      const entry = values.get(pool.name);
      if (!entry) continue;
      for (const group of pool.groups) entry.desired += desiredOf.get(group.asgName) ?? 0;
    }

    for (const pod of tick.pods) {
      this.track(pod, time, nodesByName, poolOfNode);
      if (!pod.nodeName || isTerminal(pod)) continue;
      const pool = poolOfNode.get(pod.nodeName);
      if (!pool) continue;
      const requests = this.requestsOf(pod);
      const sums = isDaemonPod(pod) ? daemons.get(pool.name) : used.get(pool.name);
      if (!sums) continue;
      sums.cpuMillis += requests.cpuMillis;
      sums.memoryBytes += requests.memoryBytes;
      sums.pods++;
    }
    for (const [uid, pod] of this.unbound) {
      if (pod.lastSeenTick === this.ticks) continue;
      pod.deleted = true;
      this.unbound.delete(uid);
    }

    for (const pool of tick.pools) {
      const entry = values.get(pool.name);
      const sums = used.get(pool.name);
      const daemonSums = daemons.get(pool.name);
      const template = pool.groups[0]?.template.allocatable;
      if (!entry || !sums || !daemonSums || !template) continue;
      const perNode = entry.nodes > 0 ? entry.nodes : 1;
      entry.lowerBound = lowerBoundNodes(
        sums,
        {
          cpuMillis: parseMilliNumber(template.cpu ?? '0'),
          memoryBytes: parseQuantityNumber(template.memory ?? '0'),
          pods: Number(template.pods ?? '0'),
        },
        {
          cpuMillis: daemonSums.cpuMillis / perNode,
          memoryBytes: daemonSums.memoryBytes / perNode,
          pods: daemonSums.pods / perNode,
        },
      );
      if (!this.first.has(pool.name)) this.first.set(pool.name, entry);
      const outcome = this.totalsOf(pool).outcome;
      outcome.minNodes = Math.min(outcome.minNodes, entry.nodes);
      outcome.maxNodes = Math.max(outcome.maxNodes, entry.nodes);
    }
    this.current = values;
    this.lastTime = time;

    this.recordDecisions(summary, poolOfGroup);
    this.recordScaleDown(summary);
    this.followMoves(time, tick.pods);
    this.lastUnplaceable = summary.unplaceable.length;
    this.countReasons(summary);
  }

  /**
   * A spot interruption warning or rebalance recommendation delivered to the loop (between ticks, as
   * EventBridge would). For a spot warning the loop recorded, the following ticks measure when the
   * node's pods were Ready elsewhere.
   */
  interruption(outcome: InterruptionOutcome, pool: string): void {
    const kept = { ...outcome };
    this.interruptions.push(kept);
    this.decisions.push({
      time: outcome.warnedAt,
      kind: 'interruption',
      event: outcome.kind,
      pool,
      node: outcome.node,
      instanceId: outcome.instanceId,
      ...(outcome.deadline !== undefined ? { deadline: outcome.deadline } : {}),
      status: outcome.status,
    });
    if (outcome.kind === 'spot-interruption' && outcome.status === 'recorded') {
      this.moves.push({ outcome: kept, move: new PodMove(outcome.node, outcome.warnedAt) });
    }
  }

  /** Holds the latest tick's values for the sample instant `now`. */
  sample(_now: number): void {
    this.snapshots.push(this.current);
    this.unplaceableSamples.push(this.lastUnplaceable);
  }

  /**
   * The run as recorded. `activities` gives a group's scaling activities (oldest first), to date each
   * failure by when AWS reported it rather than by when the loop read it.
   */
  finish(
    end: number,
    activities: (groupName: string) => readonly ScalingActivity[],
    disruption: DisruptionOutcome = NO_DISRUPTION,
  ): NodePoolRun {
    this.integrateUntil(end);
    const pools = [...this.totals.values()].map((totals) => {
      const outcome = totals.outcome;
      return {
        ...outcome,
        minNodes: Number.isFinite(outcome.minNodes) ? outcome.minNodes : 0,
        maxNodes: Number.isFinite(outcome.maxNodes) ? outcome.maxNodes : 0,
      };
    });
    pools.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const series: NodePoolRun['series'] = {};
    for (const pool of pools) {
      const fallback = this.first.get(pool.name) ?? { nodes: 0, desired: 0, lowerBound: 0 };
      const at = this.snapshots.map((snapshot) => snapshot.get(pool.name) ?? fallback);
      series[pool.name] = {
        nodes: at.map((v) => v.nodes),
        desired: at.map((v) => v.desired),
        lowerBound: at.map((v) => Math.round(v.lowerBound * 100) / 100),
      };
    }
    const pendingPods = [...this.tracked.values()].map(({ lastSeenTick: _seen, ...record }) => record);
    const run: NodePoolRun = {
      intervalMs: this.intervalMs,
      bootSeconds: this.bootSeconds,
      ticks: this.ticks,
      pools,
      series,
      unplaceable: [...this.unplaceableSamples],
      decisions: [...this.decisions],
      pendingPods,
      fallbacks: [],
      unplaceableReasons: [...this.reasons.entries()]
        .map(([reason, ticks]) => ({ reason, ticks }))
        .sort((a, b) => b.ticks - a.ticks || (a.reason < b.reason ? -1 : 1)),
      scaleDown: { ...this.scaleDown },
      disruption: { ...disruption },
      interruptions: this.interruptions.map((outcome) => ({ ...outcome })),
    };
    run.fallbacks = fallbackEpisodes(run, end, activities);
    return run;
  }

  private totalsOf(pool: NodePool): PoolTotals {
    let totals = this.totals.get(pool.name);
    if (!totals) {
      totals = {
        outcome: {
          name: pool.name,
          priority: pool.priority,
          capacityType: pool.capacityType,
          planningInstanceType: pool.planningInstanceType,
          groups: pool.groups.map((group) => group.asgName),
          minNodes: Number.POSITIVE_INFINITY,
          maxNodes: Number.NEGATIVE_INFINITY,
          nodeHours: 0,
          lowerBoundNodeHours: 0,
          scaleUps: 0,
          nodesAdded: 0,
          failures: 0,
        },
      };
      this.totals.set(pool.name, totals);
    }
    return totals;
  }

  /** Adds the latest tick's nodes and lower bound, held from that tick until `time`. */
  private integrateUntil(time: number): void {
    if (this.lastTime === undefined || time <= this.lastTime) return;
    const hours = (time - this.lastTime) / HOUR_MS;
    for (const [name, values] of this.current) {
      const outcome = this.totals.get(name)?.outcome;
      if (!outcome) continue;
      outcome.nodeHours += values.nodes * hours;
      outcome.lowerBoundNodeHours += values.lowerBound * hours;
    }
    this.lastTime = time;
  }

  private requestsOf(pod: Pod): Requests {
    const cached = this.requestCache.get(pod.containers);
    if (cached && pod.initContainers.length === 0) return cached;
    const amounts = podRequests(pod);
    const requests = { cpuMillis: amounts.get('cpu') ?? 0, memoryBytes: amounts.get('memory') ?? 0 };
    if (pod.initContainers.length === 0) this.requestCache.set(pod.containers, requests);
    return requests;
  }

  private track(
    pod: Pod,
    time: number,
    nodes: ReadonlyMap<string, Node>,
    poolOfNode: ReadonlyMap<string, NodePool>,
  ): void {
    // Every pod of every tick passes here; its conditions are read only when the pod is news.
    if (!pod.nodeName) {
      const known = this.unbound.get(pod.uid);
      if (known) {
        known.lastSeenTick = this.ticks;
        return;
      }
      const scheduled = podScheduled(pod);
      if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return;
      const record: TrackedPod = {
        pod: `${pod.namespace}/${pod.name}`,
        pendingSince: scheduled.lastTransitionTime ?? time,
        lastSeenTick: this.ticks,
      };
      this.tracked.set(pod.uid, record);
      this.unbound.set(pod.uid, record);
      return;
    }
    const record = this.unbound.get(pod.uid);
    if (!record) return;
    this.unbound.delete(pod.uid);
    record.lastSeenTick = this.ticks;
    const scheduled = podScheduled(pod);
    record.boundAt = scheduled?.status === 'True' ? (scheduled.lastTransitionTime ?? time) : time;
    record.node = pod.nodeName;
    const node = nodes.get(pod.nodeName);
    const pool = poolOfNode.get(pod.nodeName);
    if (pool) record.pool = pool.name;
    const zone = node?.labels[ZONE_LABEL];
    if (zone) record.zone = zone;
    if (node) record.nodeJoinedAt = node.creationTimestamp;
  }

  private followMoves(time: number, pods: readonly Pod[]): void {
    if (this.moves.length === 0) return;
    for (const { outcome, move } of this.moves) {
      move.observe(time, pods);
      if (move.podsToMove !== undefined) outcome.podsToMove = move.podsToMove;
      if (move.readyElsewhereAt !== undefined) outcome.podsReadyElsewhereAt = move.readyElsewhereAt;
    }
    this.moves = this.moves.filter(({ move }) => !move.settled);
  }

  private recordDecisions(summary: NodePoolTickSummary, poolOfGroup: ReadonlyMap<string, NodePool>): void {
    for (const failure of summary.failures) {
      const pool = poolOfGroup.get(failure.asgName);
      this.decisions.push({
        time: summary.time,
        kind: 'failure',
        pool: pool?.name ?? '?',
        asgName: failure.asgName,
        failure: failure.kind,
        message: failure.message,
        ...(failure.resetTo !== undefined ? { resetTo: failure.resetTo } : {}),
        backedOffUntil: failure.backedOffUntil,
      });
      if (pool) this.totalsOf(pool).outcome.failures++;
    }
    const rebalancing = new Set(summary.rebalance.increases);
    for (const increase of [...summary.increases, ...summary.rebalance.increases]) {
      this.decisions.push({
        time: summary.time,
        kind: 'scale-up',
        pool: increase.pool,
        asgName: increase.asgName,
        zone: increase.zone,
        from: increase.from,
        to: increase.to,
        pods: increase.pods.length,
        result: increase.result,
        ...(rebalancing.has(increase) ? { rebalance: true as const } : {}),
      });
      const pool = poolOfGroup.get(increase.asgName);
      if (pool && increase.result === 'applied') {
        const outcome = this.totalsOf(pool).outcome;
        outcome.scaleUps++;
        outcome.nodesAdded += increase.to - increase.from;
      }
    }
  }

  private recordScaleDown(summary: NodePoolTickSummary): void {
    const time = summary.time;
    for (const started of summary.scaleDown.started) {
      if (summary.dryRun) continue;
      this.scaleDown.drainsStarted++;
      this.decisions.push({
        time,
        kind: 'drain-started',
        pool: started.pool,
        node: started.node,
        reason: started.reason,
      });
    }
    for (const drain of summary.scaleDown.drains) {
      const removing = drain.actions.includes('terminate') || drain.actions.includes('delete-node');
      if (removing && !this.removed.has(drain.node)) {
        this.removed.add(drain.node);
        this.scaleDown.nodesRemoved++;
        this.decisions.push({
          time,
          kind: 'node-removed',
          pool: drain.pool,
          node: drain.node,
          reason: drain.reason,
        });
      }
      if (drain.state !== 'done') continue;
      if (drain.abortReason !== undefined) {
        this.scaleDown.drainsAborted++;
        this.decisions.push({
          time,
          kind: 'drain-aborted',
          pool: drain.pool,
          node: drain.node,
          reason: drain.abortReason,
        });
      } else {
        this.scaleDown.drainsFinished++;
      }
    }
  }

  private countReasons(summary: NodePoolTickSummary): void {
    const seen = new Set<string>();
    for (const pod of summary.unplaceable) {
      for (const line of pod.reasons) seen.add(line.replace(ISO_TIME, '…'));
    }
    for (const reason of seen) {
      const key = this.reasons.has(reason) || this.reasons.size < MAX_REASONS ? reason : OTHER_REASONS;
      this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
    }
  }
}

/**
 * Each failed scale-up with the fallback that followed it: the pods bound to nodes of lower-priority
 * pools from the moment the failure was visible (the failed activity; for a timeout, the tick) until the
 * next failure, and the longest of their waits, each counted from the later of the pod's own pending
 * start and the failure.
 */
export function fallbackEpisodes(
  run: Pick<NodePoolRun, 'decisions' | 'pools' | 'pendingPods'>,
  end: number,
  activities: (groupName: string) => readonly ScalingActivity[],
): FallbackEpisode[] {
  const priority = new Map(run.pools.map((pool) => [pool.name, pool.priority]));
  const episodes: FallbackEpisode[] = [];
  for (const decision of run.decisions) {
    if (decision.kind !== 'failure') continue;
    let visibleAt = decision.time;
    if (decision.failure !== 'timeout') {
      for (const activity of activities(decision.asgName)) {
        const at = activity.endTime ?? activity.startTime;
        if (activity.statusCode !== 'Failed' && activity.statusCode !== 'Cancelled') continue;
        if (at <= decision.time) visibleAt = at;
      }
    }
    episodes.push({
      asgName: decision.asgName,
      pool: decision.pool,
      failure: decision.failure,
      visibleAt,
      detectedAt: decision.time,
      fallbackPods: 0,
      fallbackPools: [],
    });
  }
  episodes.sort((a, b) => a.visibleAt - b.visibleAt || a.detectedAt - b.detectedAt);
  for (const [index, episode] of episodes.entries()) {
    const until = episodes[index + 1]?.visibleAt ?? end;
    const failedPriority = priority.get(episode.pool) ?? 0;
    const pools = new Set<string>();
    for (const pod of run.pendingPods) {
      if (pod.boundAt === undefined || pod.pool === undefined) continue;
      if (pod.boundAt < episode.visibleAt || pod.boundAt >= until) continue;
      if ((priority.get(pod.pool) ?? 0) >= failedPriority) continue;
      const waited = pod.boundAt - Math.max(pod.pendingSince, episode.visibleAt);
      episode.fallbackPods++;
      pools.add(pod.pool);
      episode.placedWithinMs = Math.max(episode.placedWithinMs ?? 0, waited);
      episode.lastPlacedAt = Math.max(episode.lastPlacedAt ?? 0, pod.boundAt);
    }
    episode.fallbackPools = [...pools].sort();
  }
  return episodes;
}
