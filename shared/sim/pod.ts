/**
 * A pod as the simulated cluster keeps it: the times of its life (created, bound, running, ready,
 * deleted, gone) and the frozen `Pod` view that lists return. The phase and conditions are a function of
 * those times and the current time, so a pod needs no per-tick work between its transitions.
 */
import type { Container, OwnerReference, Pod, PodCondition, PodScheduling } from '../ports/kubernetes';
import type { NodeRecord } from './node';
import { type ContainerRun, containerStatusesOf } from './oom-killer';
import type { PodRequirements } from './scheduler';
import type { WorkloadRecord } from './workload-record';

export type PodState = 'Unscheduled' | 'Starting' | 'Running' | 'Ready' | 'Terminating';

export interface PodRecord {
  readonly uid: string;
  readonly name: string;
  readonly workload: WorkloadRecord;
  /** StatefulSet ordinal; -1 for other kinds. */
  readonly ordinal: number;
  /** Cluster-wide creation counter, the seed of the pod's usage noise. */
  readonly serial: number;
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The workload's template revision the pod was created from, and that template's containers (an
   * in-place resize replaces them, the revision stays).
   */
  readonly templateRevision: number;
  containers: Container[];
  readonly ownerReferences: OwnerReference[];
  /** Containers with a memory need, once the pod is bound: restarts and OOM kills (see oom-killer.ts). */
  containerRuns?: ContainerRun[];
  /** The pod's constraints as the view shows them; shared by a workload's identical pods. */
  readonly scheduling?: PodScheduling;
  /** The same, parsed for the scheduler; shared where `scheduling` and labels are (a resize gives the pod its own). */
  requirements: PodRequirements;
  /** DaemonSet pods: the node the DaemonSet controller created the pod for. */
  readonly daemonSetNode?: string;
  node?: NodeRecord;
  boundAt?: number;
  runningAt?: number;
  readyAt?: number;
  deletedAt?: number;
  goneAt?: number;
  /** When the scheduler first found no node for it (cleared on binding). */
  unschedulableSince?: number;
  view: Pod;
  /** The state the view shows. */
  viewState: PodState;
  /** The next time the state changes by itself (Infinity: never). */
  nextChangeAt: number;
}

/** The pod's state at `now`. */
export function podStateAt(pod: PodRecord, now: number): PodState {
  if (pod.deletedAt !== undefined) return 'Terminating';
  if (!pod.node || pod.runningAt === undefined || pod.readyAt === undefined) return 'Unscheduled';
  if (now < pod.runningAt) return 'Starting';
  if (now < pod.readyAt) return 'Running';
  return 'Ready';
}

function nextChange(pod: PodRecord, state: PodState): number {
  switch (state) {
    case 'Terminating':
      return pod.goneAt ?? Number.POSITIVE_INFINITY;
    case 'Starting':
      return pod.runningAt ?? Number.POSITIVE_INFINITY;
    case 'Running':
      return pod.readyAt ?? Number.POSITIVE_INFINITY;
    default:
      return Number.POSITIVE_INFINITY;
  }
}

function condition(type: string, status: boolean, at: number | undefined, reason?: string): PodCondition {
  return Object.freeze({
    type,
    status: status ? 'True' : 'False',
    ...(at !== undefined ? { lastTransitionTime: at } : {}),
    ...(reason ? { reason } : {}),
  });
}

function conditionsOf(pod: PodRecord, state: PodState): PodCondition[] {
  if (!pod.node) {
    return pod.unschedulableSince === undefined
      ? []
      : [condition('PodScheduled', false, pod.unschedulableSince, 'Unschedulable')];
  }
  const bound = pod.boundAt;
  const ready = state === 'Ready';
  const wasReady = pod.readyAt !== undefined && pod.deletedAt !== undefined && pod.readyAt <= pod.deletedAt;
  const readyChangedAt = ready ? pod.readyAt : wasReady ? pod.deletedAt : bound;
  return [
    condition('PodScheduled', true, bound),
    condition('Initialized', true, bound),
    condition('ContainersReady', ready, readyChangedAt),
    condition('Ready', ready, readyChangedAt),
  ];
}

/**
 * Rebuilds the frozen view for `now` when the state changed (or always, with `force`, after a change the
 * state does not show, like a failed scheduling attempt); returns whether it rebuilt it.
 */
export function refreshPodView(pod: PodRecord, now: number, force = false): boolean {
  const state = podStateAt(pod, now);
  pod.nextChangeAt = nextChange(pod, state);
  if (!force && pod.view && state === pod.viewState) return false;
  pod.viewState = state;
  const workload = pod.workload;
  const running = pod.runningAt !== undefined && now >= pod.runningAt;
  const statuses = pod.containerRuns ? containerStatusesOf(pod.containerRuns).map(Object.freeze) : [];
  pod.view = Object.freeze({
    namespace: workload.namespace,
    name: pod.name,
    uid: pod.uid,
    labels: pod.labels as Record<string, string>,
    annotations: workload.podAnnotations,
    phase: running ? 'Running' : 'Pending',
    ...(pod.node ? { nodeName: pod.node.name } : {}),
    creationTimestamp: pod.createdAt,
    ...(pod.boundAt !== undefined ? { startTime: pod.boundAt } : {}),
    ...(pod.deletedAt !== undefined ? { deletionTimestamp: pod.deletedAt } : {}),
    conditions: Object.freeze(conditionsOf(pod, state)) as PodCondition[],
    containers: pod.containers,
    ...(statuses.length > 0
      ? { containerStatuses: Object.freeze(statuses) as Pod['containerStatuses'] }
      : {}),
    initContainers: Object.freeze([]) as unknown as Pod['initContainers'],
    ownerReferences: pod.ownerReferences,
    ...(pod.scheduling ? { scheduling: pod.scheduling } : {}),
    ...(workload.spec.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodSeconds: workload.spec.terminationGracePeriodSeconds }
      : {}),
    ...(workload.podLocalVolumes ? { localVolumes: workload.podLocalVolumes as string[] } : {}),
  });
  return true;
}

/**
 * The ReplicaSet controller's order for scale-down (`ActivePodsWithRanks`): unscheduled before
 * scheduled, not running before running, not ready before ready, ready for a shorter time before longer,
 * newer before older. Negative when `a` goes first.
 */
export function compareForDeletion(a: PodRecord, b: PodRecord, now: number): number {
  const rank = (pod: PodRecord): number => {
    const state = podStateAt(pod, now);
    return state === 'Unscheduled' ? 0 : state === 'Starting' ? 1 : state === 'Running' ? 2 : 3;
  };
  const byState = rank(a) - rank(b);
  if (byState !== 0) return byState;
  const readyA = a.readyAt ?? 0;
  const readyB = b.readyAt ?? 0;
  if (readyA !== readyB) return readyB - readyA;
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return b.serial - a.serial;
}
