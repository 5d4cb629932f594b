/**
 * The cluster's record of a workload, and its controller's decisions: which pods to create and which to
 * delete for spec.replicas, as the ReplicaSet controller (Deployments, custom kinds) and the StatefulSet
 * controller do it.
 */
import type { Container, OwnerReference, PodScheduling } from '../ports/kubernetes';
import { parseMilliNumber, parseQuantityNumber } from '../units/quantity';
import { compareForDeletion, type PodRecord, podStateAt } from './pod';
import type { PodRequirements } from './scheduler';
import type { RescaleRecord, WorkloadSpec } from './workload';

export interface WorkloadRecord {
  readonly spec: WorkloadSpec;
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly uid: string;
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly selector: string;
  /** Deployments: the ReplicaSet's `pod-template-hash`. */
  readonly templateHash: string;
  readonly containers: Container[];
  readonly podAnnotations: Record<string, string>;
  readonly podOwnerReferences: OwnerReference[];
  /** Labels every pod carries (a StatefulSet's pods add their ordinal's). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** `localVolumes` of every pod; undefined when the template has none. */
  readonly podLocalVolumes?: readonly string[];
  /** The template's constraints as pod views show them; undefined when it declares none. */
  readonly podScheduling?: PodScheduling;
  /** What the scheduler reads of a pod with `podLabels` and no volume: shared by all such pods. */
  readonly podRequirements: PodRequirements;
  /** Requests of one pod, all containers. */
  readonly podCpuRequestMillis: number;
  readonly podMemoryRequestBytes: number;
  /** Requests of the first (load-driven) container. */
  readonly mainCpuRequestMillis: number;
  readonly mainCpuLimitMillis: number;
  specReplicas: number;
  generation: number;
  resourceVersion: string;
  statusReplicas: number;
  readyReplicas: number;
  readonly pods: Set<PodRecord>;
  /** Draws the random part of pod names. */
  readonly nextRandom: () => number;
  /** Queue workers: messages waiting. */
  queueLength: number;
  /** Queue workers: messages per second the pods processed over the last integration step. */
  servedRps: number;
  /** Time pods of this workload spent unscheduled, summed (pod-seconds). */
  pendingPodSeconds: number;
  readonly rescales: RescaleRecord[];
}

/** Summed requests of the containers (a resource a container does not request counts 0). */
export function sumRequests(containers: readonly Container[]): { cpuMillis: number; memoryBytes: number } {
  let cpu = 0;
  let memory = 0;
  for (const container of containers) {
    cpu += parseMilliNumber(container.requests.cpu ?? '0');
    memory += parseQuantityNumber(container.requests.memory ?? '0');
  }
  return { cpuMillis: cpu, memoryBytes: memory };
}

export interface ControllerPlan {
  /** Pods to create: StatefulSet ordinals, or -1 for each unnamed pod. */
  create: number[];
  delete: PodRecord[];
}

function planReplicaSet(workload: WorkloadRecord, now: number): ControllerPlan {
  const active = [...workload.pods].filter((pod) => pod.deletedAt === undefined);
  const missing = workload.specReplicas - active.length;
  if (missing > 0) return { create: new Array(missing).fill(-1), delete: [] };
  if (missing < 0) {
    active.sort((a, b) => compareForDeletion(a, b, now));
    return { create: [], delete: active.slice(0, -missing) };
  }
  return { create: [], delete: [] };
}

function planStatefulSet(workload: WorkloadRecord, now: number, burst: boolean): ControllerPlan {
  const parallel = burst || workload.spec.podManagementPolicy === 'Parallel';
  const byOrdinal = new Map<number, PodRecord>();
  for (const pod of workload.pods) byOrdinal.set(pod.ordinal, pod);
  const plan: ControllerPlan = { create: [], delete: [] };
  for (let ordinal = 0; ordinal < workload.specReplicas; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) {
      plan.create.push(ordinal);
      if (!parallel) return plan;
    } else if (!parallel && podStateAt(pod, now) !== 'Ready') {
      return plan;
    }
  }
  const condemned = [...byOrdinal.values()]
    .filter((pod) => pod.ordinal >= workload.specReplicas && pod.deletedAt === undefined)
    .sort((a, b) => b.ordinal - a.ordinal);
  if (parallel) plan.delete.push(...condemned);
  else {
    const terminating = [...workload.pods].some((pod) => pod.deletedAt !== undefined);
    const first = condemned[0];
    if (!terminating && first) plan.delete.push(first);
  }
  return plan;
}

/**
 * What the workload's controller does now. `burst` creates every missing StatefulSet pod at once (used
 * when a scenario starts with the workload already running).
 */
export function planWorkload(workload: WorkloadRecord, now: number, burst = false): ControllerPlan {
  return workload.kind === 'StatefulSet'
    ? planStatefulSet(workload, now, burst)
    : planReplicaSet(workload, now);
}
