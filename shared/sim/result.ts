/**
 * What a simulation run returns: time series sampled at a fixed virtual interval, per-service outcomes,
 * per-controller counters and API costs. Plain data: it can be written as JSON and rendered later.
 */
import type { ApiStats } from './api-calls';

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
}
