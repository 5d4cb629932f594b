/**
 * Equivalence classes of pending pods: pods of one controller with the same effective requests and the
 * same scheduling constraints behave the same on every node, so the filters run once per class and
 * node kind, and a class is placed as a count rather than pod by pod (cluster-autoscaler's pod
 * equivalence groups). Pure.
 */

import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../ports/kubernetes';
import { podKey } from './pool';
import {
  type AntiAffinityParty,
  antiAffinityConflict,
  hostnameAntiAffinity,
  type NodeConstraints,
  nodeConstraints,
  podRequests,
  type ResourceAmounts,
  ResourceIndex,
  volumeZones,
} from './scheduling';

export interface PodClass {
  id: number;
  /** The pods, ordered by `podKey`; all of them alike. */
  pods: Pod[];
  /** Effective requests of one pod, in `index` order. */
  requests: Float64Array;
  hostPorts: readonly number[];
  constraints: NodeConstraints;
  /** Equal for classes with equal node constraints, so filter results on a node kind can be shared. */
  constraintId: number;
  /** The class's pods as anti-affinity sees them (labels of the first pod, its hostname terms). */
  party: AntiAffinityParty;
  /** Two pods of the class may not share a node (anti-affinity with itself, or host ports). */
  selfExclusive: boolean;
  /** Why no node can take these pods at all (a missing volume claim), before any node is looked at. */
  error?: string;
}

export interface PendingClasses {
  /** cpu, memory and every resource a pending pod requests. */
  index: ResourceIndex;
  /** In order of their first pod's key. */
  classes: PodClass[];
}

export interface PodClassInput {
  pendingPods: readonly Pod[];
  claims: readonly PersistentVolumeClaim[];
  volumes: readonly PersistentVolume[];
  /**
   * Whether pod labels can change an outcome (some pod, pending or bound, has hostname anti-affinity).
   * Without that, pods whose labels differ (a StatefulSet's pod names) still share a class.
   */
  labelsMatter: boolean;
}

function controllerUid(pod: Pod): string {
  return pod.ownerReferences.find((owner) => owner.controller)?.uid ?? '';
}

function sortedEntries(record: Readonly<Record<string, string>> | ResourceAmounts): [string, unknown][] {
  const entries = record instanceof Map ? [...record.entries()] : Object.entries(record);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Groups pending pods into classes.
 *
 * @example groupPendingPods({ pendingPods, claims: [], volumes: [], labelsMatter: false }).classes.length
 * // 1 for 500 replicas of one Deployment
 */
export function groupPendingPods(input: PodClassInput): PendingClasses {
  const claims = new Map(input.claims.map((claim) => [`${claim.namespace}/${claim.name}`, claim]));
  const volumes = new Map(input.volumes.map((volume) => [volume.name, volume]));
  const pods = [...input.pendingPods].sort((a, b) => {
    const ka = podKey(a);
    const kb = podKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

  const requests = pods.map((pod) => podRequests(pod));
  const resources = new Set<string>();
  for (const amounts of requests) for (const [name, amount] of amounts) if (amount > 0) resources.add(name);
  const index = ResourceIndex.of(resources);

  const byKey = new Map<string, PodClass>();
  const constraintIds = new Map<string, number>();
  const classes: PodClass[] = [];
  pods.forEach((pod, i) => {
    const amounts = requests[i] as ResourceAmounts;
    const zones = volumeZones(pod, claims, volumes);
    const scheduling = pod.scheduling ?? {};
    const constraintKey = JSON.stringify([
      sortedEntries(scheduling.nodeSelector ?? {}),
      scheduling.requiredNodeAffinity ?? [],
      scheduling.tolerations ?? [],
      'error' in zones ? zones.error : zones.zones ? [...zones.zones].sort() : null,
    ]);
    const hostPorts = [...new Set(scheduling.hostPorts ?? [])].sort((a, b) => a - b);
    const key = JSON.stringify([
      controllerUid(pod),
      sortedEntries(amounts),
      constraintKey,
      hostPorts,
      input.labelsMatter
        ? [pod.namespace, sortedEntries(pod.labels), scheduling.requiredPodAntiAffinity ?? []]
        : '',
    ]);
    const known = byKey.get(key);
    if (known) {
      known.pods.push(pod);
      return;
    }
    let constraintId = constraintIds.get(constraintKey);
    if (constraintId === undefined) {
      constraintId = constraintIds.size;
      constraintIds.set(constraintKey, constraintId);
    }
    const party: AntiAffinityParty = {
      namespace: pod.namespace,
      labels: pod.labels,
      terms: hostnameAntiAffinity(pod),
    };
    const created: PodClass = {
      id: classes.length,
      pods: [pod],
      requests: index.vector(amounts),
      hostPorts,
      constraints: nodeConstraints(pod.scheduling, 'error' in zones ? undefined : zones.zones),
      constraintId,
      party,
      selfExclusive: hostPorts.length > 0 || (party.terms.length > 0 && antiAffinityConflict(party, party)),
      ...('error' in zones ? { error: zones.error } : {}),
    };
    byKey.set(key, created);
    classes.push(created);
  });
  return { index, classes };
}
