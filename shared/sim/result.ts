/**
 * What a simulation run returns: time series sampled at a fixed virtual interval, per-service outcomes,
 * per-controller counters and API costs. Plain data: it can be written as JSON and rendered later.
 */
import type { FailureKind } from '../nodepools/failures';
import type { ApiStats } from './api-calls';
import type { ControlPlaneRun } from './control-plane/run';
import type { AppliedFault } from './faults';
import type { QuotaRun } from './quota-record';
import type { VpaRun } from './vpa-record';

export interface ServiceSeries {
  /** Requests per second arriving. */
  rps: number[];
  specReplicas: number[];
  readyPods: number[];
  /** Pods that exist but are not Ready (unscheduled, starting, warming up). */
  notReadyPods: number[];
  /** CPU usage of the Ready pods, millicores. */
  cpuUsageMillis: number[];
  /** CPU requests of the Ready pods, millicores. */
  cpuRequestMillis: number[];
  /** Queue workers only. */
  queueLength?: number[];
}

export interface ClusterSeries {
  nodes: number[];
  readyNodes: number[];
  pods: number[];
  pendingPods: number[];
  cpuAllocatableMillis: number[];
  cpuRequestedMillis: number[];
}

export interface ServiceOutcome {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  kind: string;
  /** The autoscaler aimed at this workload, if any (read from its spec). */
  autoscaler?: {
    kind: string;
    name: string;
    minReplicas?: number;
    maxReplicas?: number;
    /** The CPU Utilization target in percent, when the autoscaler has one. */
    targetCpuUtilization?: number;
    /** Metric types and names, e.g. `Resource/cpu`, `Pods/requests-per-second`. */
    metrics: string[];
  };
  initialReplicas: number;
  finalReplicas: number;
  /** Lowest and highest spec.replicas over the run (exact, not sampled). */
  minReplicas: number;
  maxReplicas: number;
  rescales: number;
  scaleUps: number;
  scaleDowns: number;
  pendingPodSeconds: number;
}

export interface ControllerOutcome {
  name: string;
  intervalMs: number;
  ticks: number;
  errors: number;
  /** Ticks not started because the previous one still ran (waiting on virtual time). */
  skipped: number;
  lastError?: string;
  /** Requests while this controller's ticks ran (exact when ticks do not overlap). */
  kubernetesRequests: number;
  autoScalingRequests: number;
  metricRequests: number;
  stateRequests: number;
}

/** A node pool over the run, as the node-pool loop resolved it. */
export interface PoolOutcome {
  name: string;
  priority: number;
  capacityType: string;
  /** The type its template nodes are made of (the smallest it launches). */
  planningInstanceType: string;
  /** Auto Scaling groups (one per zone). */
  groups: string[];
  minNodes: number;
  maxNodes: number;
  /** Nodes of the pool integrated over the run (each tick's count held until the next tick). */
  nodeHours: number;
  /**
   * The fewest nodes that could have held the pods bound to the pool's nodes, integrated over the run:
   * per tick the largest of their CPU, memory and pod count over one template node's allocatable (less
   * what its DaemonSet pods take), unrounded.
   */
  lowerBoundNodeHours: number;
  /** Increases applied, and the nodes they added. */
  scaleUps: number;
  nodesAdded: number;
  failures: number;
}

/** What the node-pool loop did, one line each, as a timeline. */
export type NodePoolDecision =
  | {
      time: number;
      kind: 'scale-up';
      pool: string;
      asgName: string;
      zone: string;
      from: number;
      to: number;
      pods: number;
      /** `applied`, `would-apply`, `skipped` or `failed` (see the loop's `AppliedIncrease`). */
      result: string;
      /** Grown so that fallback nodes can move back (their pods are running, not pending). */
      rebalance?: true;
    }
  | {
      time: number;
      kind: 'failure';
      pool: string;
      asgName: string;
      failure: FailureKind;
      message: string;
      /** Desired capacity set back to, when it was lowered. */
      resetTo?: number;
      backedOffUntil: number;
    }
  | { time: number; kind: 'fault'; description: string }
  | { time: number; kind: 'drain-started'; pool: string; node: string; reason: string }
  | { time: number; kind: 'node-removed'; pool: string; node: string; reason: string }
  | { time: number; kind: 'drain-aborted'; pool: string; node: string; reason: string }
  | {
      time: number;
      kind: 'interruption';
      event: InterruptionOutcome['kind'];
      pool: string;
      node: string;
      instanceId: string;
      deadline?: number;
      status: InstanceEventStatus;
    };

/** Drains over the run, counted from the loop's tick summaries. */
export interface ScaleDownCounts {
  drainsStarted: number;
  /** Drains that ended with their node gone. */
  drainsFinished: number;
  /** Drains given up (timeout, a PDB refusing for too long, the node replaced), their taint removed. */
  drainsAborted: number;
  /** Nodes deleted or terminated by a drain. */
  nodesRemoved: number;
}

/**
 * How pods left their nodes over the run, from the cluster's own count, split by who removed the node:
 * the loop (its TerminateInstance or node deletion) or anything else (EC2 reclaiming a spot instance).
 */
export interface DisruptionOutcome {
  evictions: number;
  evictionsBlocked: number;
  podsLost: number;
  podsLostByLoop: number;
  podsLostOutsideLoop: number;
  pdbViolations: number;
  pdbViolationsByLoop: number;
}

/**
 * What became of an EC2 event about one instance, as the node-pool loop got it: `recorded` for its next
 * tick (started at once), `duplicate` (recorded already), `not-ours` (no group of the cluster holds
 * the instance), `dry-run` (a dry-run loop records nothing), `ignored` (anything else the loop turned
 * down).
 */
export type InstanceEventStatus = 'recorded' | 'duplicate' | 'not-ours' | 'dry-run' | 'ignored';

/** A spot interruption warning or a rebalance recommendation as delivered to the loop. */
export interface InterruptionOutcome {
  kind: 'spot-interruption' | 'rebalance-recommendation';
  instanceId: string;
  node: string;
  /** When EC2 emitted the event (epoch ms). */
  warnedAt: number;
  /** When EC2 takes the instance (spot warnings only). */
  deadline?: number;
  status: InstanceEventStatus;
  /**
   * Pods (other than daemons) on the node when the loop first looked after the event, and when the last
   * of them had a replacement of its workload Ready on another node; measured for spot warnings the loop
   * recorded. Absent: not measured, or not every pod got a replacement within the measuring window.
   */
  podsToMove?: number;
  podsReadyElsewhereAt?: number;
}

/** A pod the node-pool loop saw unschedulable, and where it went. */
export interface PendingPodRecord {
  /** `namespace/name`. */
  pod: string;
  /** When the scheduler first found no node for it. */
  pendingSince: number;
  /** When it was bound, if it was (seen at a later tick). */
  boundAt?: number;
  node?: string;
  pool?: string;
  zone?: string;
  /** When its node joined the cluster. */
  nodeJoinedAt?: number;
  /** It disappeared unbound (scaled away) before being placed. */
  deleted?: boolean;
}

/**
 * A failed scale-up and the fallback after it: the pods placed on nodes of a lower-priority pool from the
 * moment the failure was visible until the next failure.
 */
export interface FallbackEpisode {
  asgName: string;
  pool: string;
  failure: FailureKind;
  /** The failed scaling activity's time (for a timeout: when the loop noticed). */
  visibleAt: number;
  /** The tick that backed the group off. */
  detectedAt: number;
  /** Pods placed on lower-priority pools in the episode, and on which pools. */
  fallbackPods: number;
  fallbackPools: string[];
  /** The longest wait of one of them, from the later of its pending start and `visibleAt` to binding. */
  placedWithinMs?: number;
  lastPlacedAt?: number;
}

/** The node-pool loop's side of a run (present when it ran). */
export interface NodePoolRun {
  intervalMs: number;
  /** The longest boot time of the scenario's groups (launch to Ready node), seconds. */
  bootSeconds: number;
  ticks: number;
  pools: PoolOutcome[];
  /** Per pool, at the sample instants of `series.times`. */
  series: Record<string, { nodes: number[]; desired: number[]; lowerBound: number[] }>;
  /** Pods the loop could place in no pool, at the sample instants. */
  unplaceable: number[];
  decisions: NodePoolDecision[];
  pendingPods: PendingPodRecord[];
  fallbacks: FallbackEpisode[];
  /** Reasons of pods no pool could take, with how many ticks reported each (most frequent first). */
  unplaceableReasons: { reason: string; ticks: number }[];
  scaleDown: ScaleDownCounts;
  disruption: DisruptionOutcome;
  interruptions: InterruptionOutcome[];
}

export interface SimulationResult {
  scenario: {
    name: string;
    description: string;
    clusterName: string;
    start: number;
    end: number;
    durationMs: number;
    utcOffsetMinutes: number;
    tickIntervalMs: number;
    sampleIntervalMs: number;
  };
  /** Real time the run took. */
  wallTimeMs: number;
  /** Virtual instants the driver stopped at. */
  steps: number;
  series: {
    /** Epoch ms of each sample. */
    times: number[];
    cluster: ClusterSeries;
    /** By `namespace/name`, in scenario order. */
    services: Record<string, ServiceSeries>;
  };
  services: ServiceOutcome[];
  controllers: ControllerOutcome[];
  api: { kubernetes: ApiStats; autoScaling: ApiStats; metrics: ApiStats; state: ApiStats };
  rescales: number;
  /** Pod-seconds spent unscheduled. */
  pendingPodSeconds: number;
  /** Kubernetes Events written. */
  events: number;
  /** The scenario's faults that happened. */
  faults: AppliedFault[];
  /** When the node-pool loop ran. */
  nodePools?: NodePoolRun;
  /** When the control-plane loop ran. */
  controlPlane?: ControlPlaneRun;
  /** When the VPA loop ran. */
  vpa?: VpaRun;
  /** When the quota loop ran. */
  quotas?: QuotaRun;
}
