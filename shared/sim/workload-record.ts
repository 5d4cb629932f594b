/**
 * The cluster's record of a workload, and its controller's decisions: which pods to create and which to
 * delete for spec.replicas, as the ReplicaSet controller (Deployments, custom kinds) and the StatefulSet
 * controller do it.
 */
import type { Container, OwnerReference, PodScheduling } from '../ports/kubernetes';
import { parseMilliNumber, parseQuantityNumber } from '../units/quantity';
import { compareForDeletion, type PodRecord, podStateAt } from './pod';
import { isUpdated, planDeploymentRollout, planStatefulSetUpdate } from './rolling-update';
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
  /**
   * The pod template's revision: 1 at creation, +1 for every change of its containers' resources. Pods
   * remember the revision they were created from, and the rollout replaces those of older ones.
   */
  templateRevision: number;
  /** Deployments: the current ReplicaSet's `pod-template-hash`. */
  templateHash: string;
  /** The current template's containers (pods keep the ones they were created with). */
  containers: Container[];
  readonly podAnnotations: Record<string, string>;
  /** Owner of pods created now (a Deployment's current ReplicaSet). */
  podOwnerReferences: OwnerReference[];
  /** Labels every pod created now carries (a StatefulSet's pods add their ordinal's). */
  podLabels: Readonly<Record<string, string>>;
  /** `localVolumes` of every pod; undefined when the template has none. */
  readonly podLocalVolumes?: readonly string[];
  /** The template's constraints as pod views show them; undefined when it declares none. */
  readonly podScheduling?: PodScheduling;
  /** What the scheduler reads of a pod with `podLabels` and no volume: shared by all such pods. */
  podRequirements: PodRequirements;
  /** Requests of one pod of the current template, all containers. */
  podCpuRequestMillis: number;
  podMemoryRequestBytes: number;
  /** Requests of the first (load-driven) container of the current template. */
  mainCpuRequestMillis: number;
  mainCpuLimitMillis: number;
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
  if (workload.kind === 'Deployment' && active.some((pod) => !isUpdated(workload, pod))) {
    return planDeploymentRollout(workload, active, now);
  }
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
  if (plan.create.length === 0 && plan.delete.length === 0) {
    plan.delete.push(...planStatefulSetUpdate(workload, byOrdinal, now));
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
