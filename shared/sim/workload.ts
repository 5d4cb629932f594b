/**
 * A simulated workload (Deployment, StatefulSet or a custom scalable kind): what a scenario or test
 * declares, and the record the cluster keeps for it.
 */
import type {
  NodeSelectorTerm,
  PodAffinityTerm,
  PodScheduling,
  ResourceList,
  Toleration,
} from '../ports/kubernetes';
import type { WorkloadDisruptionBudget } from './disruption-budget';
import type { MemoryNeed } from './memory-need';
import type { RollingUpdateSpec } from './rolling-update';
import type { LoadTrace } from './traces';

export interface SimContainerSpec {
  name: string;
  requests: ResourceList;
  limits?: ResourceList;
  /**
   * Constant usage of a container the load does not drive (a sidecar). The first container of a workload
   * follows the load model and ignores this.
   */
  fixedUsage?: { cpuMillis: number; memoryMi: number };
  /**
   * The container's memory need, instead of the load model's or `fixedUsage`'s memory: its working set
   * follows it, and passing the memory limit gets the container OOM-killed (see oom-killer.ts).
   */
  memoryNeed?: MemoryNeed;
}

/** How the load turns into resource usage of the first container of a pod. */
export interface LoadCost {
  /** CPU of a Ready pod without traffic. */
  cpuBaseMillis: number;
  /** CPU per request per second a pod serves. */
  cpuMillisPerRps: number;
  memoryBaseMi: number;
  memoryMiPerRps: number;
  /** CPU of a pod that runs but is not Ready yet (start-up work, JIT). @default cpuBaseMillis */
  startupCpuMillis?: number;
}

/** A queue that the workload's pods drain: the load trace is the arrival rate, the pods the consumers. */
export interface QueueSpec {
  /** Served as the External metric `queue-length` with the label `queue=<name>`. */
  name: string;
  /** Messages per second one Ready pod processes at most. */
  capacityPerPod: number;
}

/** Where a pod template may run, as a pod spec says it (the simulated scheduler honours all of it). */
export interface SchedulingSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** Required node affinity terms, ORed. */
  requiredNodeAffinity?: NodeSelectorTerm[];
  /** Required pod anti-affinity; the simulator supports `topologyKey: kubernetes.io/hostname` only. */
  requiredPodAntiAffinity?: PodAffinityTerm[];
  /** The priority a PriorityClass would resolve to; the scheduler's queue takes higher first. @default 0 */
  priority?: number;
}

/**
 * A StatefulSet's volume claim template, provisioned at once: pod `i` mounts claim `<name>-<workload>-<i>`,
 * bound to a volume in `zones[i % zones.length]` when the claim is first needed. Claims outlive their
 * pods (the default `Retain` policy), so a replacement pod must go back to its volume's zone.
 */
export interface VolumeClaimTemplate {
  /** @default 'data' */
  name?: string;
  zones: string[];
}

export interface WorkloadSpec extends SchedulingSpec {
  namespace: string;
  name: string;
  /** @default 'Deployment' */
  kind?: string;
  /** @default 'apps/v1' */
  apiVersion?: string;
  /** Initial spec.replicas. */
  replicas: number;
  /** Pod template labels, also the selector's matchLabels. @default { app: name } */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The first container follows the load; the others use `fixedUsage`. */
  containers: SimContainerSpec[];
  /** From binding to Running (image pull, container start). @default 10 */
  startupSeconds?: number;
  /** From Running to Ready (readiness probe passing). @default 20 */
  readinessSeconds?: number;
  /** From deletion of a running pod until it is gone (when it exits by itself). @default 15 */
  terminationSeconds?: number;
  /**
   * spec.terminationGracePeriodSeconds of the pods: a pod still running after it is killed, so it is
   * gone after the shorter of this and `terminationSeconds`. Shown on the pods only when set.
   * @default DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
   */
  terminationGracePeriodSeconds?: number;
  /** Names of the pods' volumes that live on the node (emptyDir, hostPath): `localVolumes` of the pods. */
  localVolumes?: string[];
  /** A PodDisruptionBudget named after the workload that selects its pods (its `labels`). */
  disruptionBudget?: WorkloadDisruptionBudget;
  /** Deployments: how a pod template change rolls out. @default DEFAULT_ROLLING_UPDATE (25 % / 25 %) */
  rollingUpdate?: RollingUpdateSpec;
  /** StatefulSets: one pod at a time (`OrderedReady`) or all at once. @default 'OrderedReady' */
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  /** StatefulSets only. */
  volumeClaim?: VolumeClaimTemplate;
  /** Requests per second arriving at the workload (for a queue worker: messages per second). */
  load: LoadTrace;
  cost: LoadCost;
  queue?: QueueSpec;
  /** Relative amplitude of per-pod usage noise. @default 0.03 */
  noise?: number;
}

export const WORKLOAD_DEFAULTS = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  startupSeconds: 10,
  readinessSeconds: 20,
  terminationSeconds: 15,
  noise: 0.03,
} as const;

/** Kubernetes' default spec.terminationGracePeriodSeconds of a pod. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

/** Kinds whose scale a real adapter reads with one list per kind (the rest: one GET of `/scale` each). */
export const LISTABLE_WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
]);

/** The claim template's name when a workload does not give one. */
export const DEFAULT_VOLUME_CLAIM_NAME = 'data';

/** The claim a StatefulSet's pod `ordinal` mounts (`<template>-<statefulset>-<ordinal>`, as upstream names it). */
export function volumeClaimName(
  template: VolumeClaimTemplate,
  workloadName: string,
  ordinal: number,
): string {
  return `${template.name ?? DEFAULT_VOLUME_CLAIM_NAME}-${workloadName}-${ordinal}`;
}

/** The port's view of a template's constraints; undefined when it declares none. */
export function templateScheduling(spec: SchedulingSpec): PodScheduling | undefined {
  const scheduling: PodScheduling = {
    ...(spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0
      ? { nodeSelector: { ...spec.nodeSelector } }
      : {}),
    ...(spec.tolerations?.length ? { tolerations: spec.tolerations.map((t) => ({ ...t })) } : {}),
    ...(spec.requiredNodeAffinity?.length
      ? { requiredNodeAffinity: structuredClone(spec.requiredNodeAffinity) }
      : {}),
    ...(spec.requiredPodAntiAffinity?.length
      ? { requiredPodAntiAffinity: structuredClone(spec.requiredPodAntiAffinity) }
      : {}),
    ...(spec.priority ? { priority: spec.priority } : {}),
  };
  return Object.keys(scheduling).length > 0 ? scheduling : undefined;
}

/** A change of spec.replicas, as the cluster recorded it. */
export interface RescaleRecord {
  time: number;
  namespace: string;
  kind: string;
  name: string;
  from: number;
  to: number;
  /** `port`: through `updateScale`; `direct`: a test or scenario set it. */
  via: 'port' | 'direct';
}

/** `namespace/name`, the key the simulator uses for a workload and its series. */
export function workloadKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
