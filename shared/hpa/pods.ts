/**
 * The pods an HPA looks at and how it groups them, as upstream's `groupPods`, `calculateRequests` and
 * `getReadyPodsCount` (pkg/controller/podautoscaler/replica_calculator.go).
 *
 * Grouping, in upstream's order:
 * 1. being deleted (`deletionTimestamp`) or `Failed` → ignored (never counted);
 * 2. `Pending` → unready;
 * 3. no metric sample → missing;
 * 4. for CPU only: no Ready condition or no start time → unready; within `cpuInitializationPeriod` of
 *    its start, unready when Ready is False or the sample was taken less than one metric window after
 *    the last Ready transition; after that period, unready only when Ready is False and the pod never
 *    became ready (its last transition is within `initialReadinessDelay` of its start);
 * 5. everything else → ready. For other resources and custom metrics readiness does not matter.
 */
import type { Pod } from '../ports/kubernetes';
import { hasFrozenRequests } from '../units/frozen-containers';
import type { Selector } from '../units/label-selector';
import { selectorMatches } from '../units/label-selector';
import { parseMilli } from '../units/quantity';

/** One pod's metric sample, in milli-units. */
export interface PodSample {
  value: number;
  /** Epoch ms when the sample was taken. */
  timestamp: number;
  /** The sample's window in ms. */
  windowMs: number;
}

export interface PodGroups {
  readyPodCount: number;
  ready: string[];
  unready: string[];
  missing: string[];
  ignored: string[];
}

/** Go's zero `time.Time` (0001-01-01T00:00:00Z) in epoch ms: what an unset condition time compares as. */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

export interface ReadinessSettings {
  cpuInitializationPeriodSeconds: number;
  initialReadinessDelaySeconds: number;
}

/** Pods of `namespace` the selector matches, in input order. */
export function selectPods(pods: readonly Pod[], namespace: string, selector: Selector): Pod[] {
  return pods.filter((pod) => pod.namespace === namespace && selectorMatches(selector, pod.labels));
}

function readyCondition(pod: Pod) {
  // A plain loop: this runs for every selected pod of every autoscaler, every tick.
  for (const condition of pod.conditions) if (condition.type === 'Ready') return condition;
  return undefined;
}

/** `podutil.IsPodReady`: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Splits pods into ready / unready / missing / ignored for one metric. `resource` is the resource name
 * for Resource and ContainerResource metrics and undefined for custom metrics.
 */
export function groupPods(
  pods: readonly Pod[],
  metrics: ReadonlyMap<string, PodSample>,
  resource: string | undefined,
  settings: ReadinessSettings,
  now: number,
): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, ready: [], unready: [], missing: [], ignored: [] };
  const initializationMs = settings.cpuInitializationPeriodSeconds * 1000;
  const readinessDelayMs = settings.initialReadinessDelaySeconds * 1000;
  for (const pod of pods) {
    if (pod.deletionTimestamp !== undefined || pod.phase === 'Failed') {
      groups.ignored.push(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      groups.unready.push(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (metric === undefined) {
      groups.missing.push(pod.name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = readyCondition(pod);
      let unready: boolean;
      if (condition === undefined || pod.startTime === undefined) {
        unready = true;
      } else {
        // A missing lastTransitionTime is Go's zero time, as upstream compares it.
        const transition = condition.lastTransitionTime ?? GO_ZERO_TIME_MS;
        if (pod.startTime + initializationMs > now) {
          unready = condition.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          unready = condition.status === 'False' && pod.startTime + readinessDelayMs > transition;
        }
      }
      if (unready) {
        groups.unready.push(pod.name);
        continue;
      }
    }
    groups.readyPodCount++;
    groups.ready.push(pod.name);
  }
  return groups;
}

/** Thrown when a pod lacks the request a utilization target needs. */
export class MissingRequestError extends Error {
  override readonly name = 'MissingRequestError';
}

/**
 * Per-pod request of `resource` in milli-units (`calculateRequests`): the sum over app containers and
 * restartable init containers (sidecars, `restartPolicy: Always`), or only the named container.
 * Pod-level requests (KEP-2837) are not part of the Pod port, so container requests always apply.
 */
export function calculateRequests(
  pods: readonly Pod[],
  container: string | undefined,
  resource: string,
): Map<string, number> {
  const requests = new Map<string, number>();
  const key = `${container ?? ''}\u0000${resource}`;
  for (const pod of pods) {
    // Pods of one template share a frozen container list (the simulator's): its sum is computed once.
    const remembered =
      pod.initContainers.length === 0 ? requestsByList.get(pod.containers)?.get(key) : undefined;
    if (remembered !== undefined) {
      requests.set(pod.name, remembered);
      continue;
    }
    const request = podRequest(pod, container, resource);
    if (pod.initContainers.length === 0 && hasFrozenRequests(pod.containers)) {
      let byKey = requestsByList.get(pod.containers);
      if (!byKey) {
        byKey = new Map();
        requestsByList.set(pod.containers, byKey);
      }
      byKey.set(key, request);
    }
    requests.set(pod.name, request);
  }
  return requests;
}

/** Frozen container lists → `container\0resource` → their request (only successes: errors name the pod). */
const requestsByList = new WeakMap<object, Map<string, number>>();

function podRequest(pod: Pod, container: string | undefined, resource: string): number {
  // Most pods have no init containers: no need to build a combined list for them.
  const containers =
    pod.initContainers.length === 0
      ? pod.containers
      : [...pod.containers, ...pod.initContainers.filter((init) => init.restartPolicy === 'Always')];
  let request = 0;
  let found = false;
  for (const c of containers) {
    if (container === undefined || container === c.name) {
      const quantity = c.requests[resource];
      if (quantity === undefined) {
        throw new MissingRequestError(
          `missing request for ${resource} in container ${c.name} of Pod ${pod.name}`,
        );
      }
      try {
        request += parseMilli(quantity);
      } catch (error) {
        throw new MissingRequestError(
          `invalid request ${JSON.stringify(quantity)} for ${resource} in container ${c.name} of Pod ${pod.name}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
    if (container === c.name) {
      found = true;
      break;
    }
  }
  if (container !== undefined && !found) {
    throw new MissingRequestError(`container ${container} not found in Pod ${pod.name}`);
  }
  return request;
}

/** `getReadyPodsCount`: Running pods whose Ready condition is True (deleted pods included, as upstream). */
export function readyPodsCount(pods: readonly Pod[]): number {
  return pods.filter((pod) => pod.phase === 'Running' && isPodReady(pod)).length;
}
