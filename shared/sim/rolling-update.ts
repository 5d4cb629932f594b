/**
 * Rolling updates after a pod template change, as the Deployment and StatefulSet controllers do them:
 * pods of the old template are replaced by pods of the new one without more pods down than the update
 * strategy allows. The simulator needs them because the VPA loop resizes a workload by patching its pod
 * template, and what a resize costs (restarts, pods briefly missing) is part of what a scenario shows.
 *
 * - Deployment (`RollingUpdate`, maxSurge and maxUnavailable 25 % by default): the new ReplicaSet grows
 *   up to spec.replicas + maxSurge pods in all; old pods go while at least spec.replicas − maxUnavailable
 *   are Ready, unready old pods first (deleting them costs no availability), as
 *   `deployment/rolling.go` does.
 * - StatefulSet (`RollingUpdate`, partition 0): from the highest ordinal down, one pod at a time; an old
 *   pod is deleted (its replacement comes with the new template), and the next waits until the updated
 *   pod is Ready. With `OrderedReady`, any pod that is not Ready blocks the update, as upstream's
 *   controller does (a crash-looping pod must be deleted by hand: kubernetes/kubernetes#67250).
 */
import { compareForDeletion, type PodRecord, podStateAt } from './pod';
import type { ControllerPlan, WorkloadRecord } from './workload-record';

/** A count or a percentage of spec.replicas (`"25%"`), as in a Deployment's strategy. */
export type IntOrPercent = number | string;

export interface RollingUpdateSpec {
  /** @default '25%' (rounded up) */
  maxSurge?: IntOrPercent;
  /** @default '25%' (rounded down) */
  maxUnavailable?: IntOrPercent;
}

/** Kubernetes' defaults for a Deployment's `RollingUpdate` strategy. */
export const DEFAULT_ROLLING_UPDATE = { maxSurge: '25%', maxUnavailable: '25%' } as const;

function scaled(value: IntOrPercent, replicas: number, roundUp: boolean): number {
  if (typeof value === 'number') return Math.max(0, Math.trunc(value));
  const match = /^(\d+)%$/.exec(value);
  if (!match) throw new Error(`invalid rolling update value "${value}": a count or a percentage like "25%"`);
  const exact = (Number(match[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable as pod counts for `replicas` (upstream `ResolveFenceposts`: when both come
 * to 0, one pod may be unavailable, or the rollout could never start).
 *
 * @example rollingBounds({}, 10) // { maxSurge: 3, maxUnavailable: 2 }
 */
export function rollingBounds(
  spec: RollingUpdateSpec | undefined,
  replicas: number,
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = scaled(spec?.maxSurge ?? DEFAULT_ROLLING_UPDATE.maxSurge, replicas, true);
  let maxUnavailable = scaled(spec?.maxUnavailable ?? DEFAULT_ROLLING_UPDATE.maxUnavailable, replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** Whether a pod runs the workload's current template. */
export function isUpdated(workload: WorkloadRecord, pod: PodRecord): boolean {
  return pod.templateRevision === workload.templateRevision;
}

/**
 * One step of a Deployment's rollout, given its pods that are not terminating. Called again at once by
 * the cluster until it plans nothing more, as the controller's syncs follow each other in milliseconds.
 */
export function planDeploymentRollout(
  workload: WorkloadRecord,
  active: readonly PodRecord[],
  now: number,
): ControllerPlan {
  const replicas = workload.specReplicas;
  const { maxSurge, maxUnavailable } = rollingBounds(workload.spec.rollingUpdate, replicas);
  const ready = (pod: PodRecord) => podStateAt(pod, now) === 'Ready';
  const byDeletionOrder = (pods: PodRecord[]) => pods.sort((a, b) => compareForDeletion(a, b, now));
  const current = active.filter((pod) => isUpdated(workload, pod));
  const old = active.filter((pod) => !isUpdated(workload, pod));
  const plan: ControllerPlan = { create: [], delete: [] };

  if (current.length > replicas) {
    // Scaled down during the rollout: the new ReplicaSet gives back what it has too many.
    plan.delete.push(...byDeletionOrder([...current]).slice(0, current.length - replicas));
    return plan;
  }
  const create = Math.max(0, Math.min(replicas - current.length, replicas + maxSurge - active.length));
  plan.create.push(...new Array<number>(create).fill(-1));

  const minAvailable = replicas - maxUnavailable;
  const currentReady = current.filter(ready).length;
  // `allPods − minAvailable − newUnavailable`, with the pods just created counted on both sides.
  const maxScaledDown = old.length + currentReady - minAvailable;
  if (maxScaledDown <= 0) return plan;
  const unhealthy = byDeletionOrder(old.filter((pod) => !ready(pod))).slice(0, maxScaledDown);
  plan.delete.push(...unhealthy);
  const healthy = byDeletionOrder(old.filter(ready));
  const available = healthy.length + currentReady;
  plan.delete.push(...healthy.slice(0, Math.max(0, available - minAvailable)));
  return plan;
}

/**
 * The StatefulSet's update step once scaling has nothing left to do: deletes the highest-ordinal pod of
 * an old template, or nothing while the pod above it is not Ready yet (`byOrdinal`: pods by ordinal).
 */
export function planStatefulSetUpdate(
  workload: WorkloadRecord,
  byOrdinal: ReadonlyMap<number, PodRecord>,
  now: number,
): PodRecord[] {
  for (let ordinal = workload.specReplicas - 1; ordinal >= 0; ordinal--) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) return [];
    if (!isUpdated(workload, pod) && pod.deletedAt === undefined) return [pod];
    if (podStateAt(pod, now) !== 'Ready') return [];
  }
  return [];
}
