/**
 * Client objects → the port's domain shapes. Times become epoch milliseconds, quantities stay strings,
 * missing maps and lists become empty ones. Typed client-node objects (pods, nodes, workloads) carry
 * `Date`s; raw JSON objects (custom resources, HPAs read through the custom-objects API, metrics)
 * carry RFC 3339 strings: `toEpochMs` accepts both.
 */
import type {
  V1Container,
  V1ContainerStatus,
  V1DaemonSet,
  V1LabelSelector,
  V1Node,
  V1NodeSelectorTerm,
  V1ObjectMeta,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1Scale,
  V1Toleration,
} from '@kubernetes/client-node';
import type { HorizontalPodAutoscalerStatus, LabelSelector } from '../../ports/autoscaling-v2';
import type {
  AutoscalerKind,
  AutoscalerObject,
  Container,
  ContainerStatus,
  DaemonSet,
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  PodMetrics,
  PodPhase,
  PodScheduling,
  Scale,
  ScaleTargetKey,
  StatusManager,
  TaintEffect,
} from '../../ports/kubernetes';
import { selectorFromLabelSelector, selectorToString } from '../../units/label-selector';

export function toEpochMs(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const POD_PHASES: ReadonlySet<string> = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

function container(c: V1Container): Container {
  return {
    name: c.name,
    requests: { ...(c.resources?.requests ?? {}) },
    limits: { ...(c.resources?.limits ?? {}) },
  };
}

/** The scheduler's default name, which the port leaves out. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

function nodeSelectorRequirement(r: {
  key: string;
  operator: string;
  values?: string[];
}): NodeSelectorRequirement {
  return {
    key: r.key,
    operator: r.operator as NodeSelectorRequirement['operator'],
    ...(r.values ? { values: [...r.values] } : {}),
  };
}

function nodeSelectorTerm(term: V1NodeSelectorTerm): NodeSelectorTerm {
  return {
    ...(term.matchExpressions
      ? { matchExpressions: term.matchExpressions.map(nodeSelectorRequirement) }
      : {}),
    ...(term.matchFields ? { matchFields: term.matchFields.map(nodeSelectorRequirement) } : {}),
  };
}

function labelSelector(selector: V1LabelSelector): LabelSelector {
  return {
    ...(selector.matchLabels ? { matchLabels: { ...selector.matchLabels } } : {}),
    ...(selector.matchExpressions
      ? {
          matchExpressions: selector.matchExpressions.map((e) => ({
            key: e.key,
            operator: e.operator as NonNullable<LabelSelector['matchExpressions']>[number]['operator'],
            ...(e.values ? { values: [...e.values] } : {}),
          })),
        }
      : {}),
  };
}

/**
 * Host ports as kube-scheduler's NodePorts filter collects them: those of the containers and of the
 * sidecars (init containers with `restartPolicy: Always`), which run for the pod's whole life.
 */
function hostPorts(spec: V1PodSpec): number[] {
  const running = [
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ...(spec.containers ?? []),
  ];
  const ports = new Set<number>();
  for (const c of running) {
    for (const port of c.ports ?? []) if (port.hostPort && port.hostPort > 0) ports.add(port.hostPort);
  }
  return [...ports];
}

/**
 * Claims the pod mounts: `persistentVolumeClaim` volumes by name, and generic ephemeral volumes by the
 * name their controller gives the claim (`<pod>-<volume>`; unknown without a pod name, as in a template).
 */
function claimNames(spec: V1PodSpec, podName: string | undefined): string[] {
  const names: string[] = [];
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) names.push(volume.persistentVolumeClaim.claimName);
    else if (volume.ephemeral && podName) names.push(`${podName}-${volume.name}`);
  }
  return names;
}

/**
 * The DefaultTolerationSeconds admission plugin gives every pod these two (with a `tolerationSeconds`):
 * they only delay eviction from a node that went NotReady or unreachable and never decide where a pod
 * can be placed among Ready or template nodes, so leaving them out keeps an unconstrained pod without
 * `scheduling`.
 */
const ADMISSION_DEFAULT_TOLERATION_KEYS: ReadonlySet<string> = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
]);

function isAdmissionDefaultToleration(t: V1Toleration): boolean {
  return (
    t.operator === 'Exists' &&
    t.effect === 'NoExecute' &&
    t.key !== undefined &&
    ADMISSION_DEFAULT_TOLERATION_KEYS.has(t.key)
  );
}

/**
 * The scheduling constraints of a pod spec (a pod's or a template's); undefined when it has none, so
 * that the thousands of pods without constraints stay small.
 */
export function toPodScheduling(spec: V1PodSpec | undefined, podName?: string): PodScheduling | undefined {
  if (!spec) return undefined;
  const scheduling: PodScheduling = {};
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0) {
    scheduling.nodeSelector = { ...spec.nodeSelector };
  }
  const tolerations = (spec.tolerations ?? []).filter((t) => !isAdmissionDefaultToleration(t));
  if (tolerations.length > 0) {
    scheduling.tolerations = tolerations.map((t) => ({
      ...(t.key ? { key: t.key } : {}),
      ...(t.operator ? { operator: t.operator as 'Equal' | 'Exists' } : {}),
      ...(t.value ? { value: t.value } : {}),
      ...(t.effect ? { effect: t.effect as TaintEffect } : {}),
    }));
  }
  const nodeTerms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (nodeTerms && nodeTerms.length > 0) scheduling.requiredNodeAffinity = nodeTerms.map(nodeSelectorTerm);
  const antiTerms = spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (antiTerms && antiTerms.length > 0) {
    scheduling.requiredPodAntiAffinity = antiTerms.map((term) => ({
      ...(term.labelSelector ? { labelSelector: labelSelector(term.labelSelector) } : {}),
      ...(term.namespaces && term.namespaces.length > 0 ? { namespaces: [...term.namespaces] } : {}),
      topologyKey: term.topologyKey,
    }));
  }
  const claims = claimNames(spec, podName);
  if (claims.length > 0) scheduling.persistentVolumeClaims = claims;
  // Priority admission gives every pod without a class 0, the default, which is no constraint either.
  if (typeof spec.priority === 'number' && spec.priority !== 0) scheduling.priority = spec.priority;
  if (spec.schedulerName && spec.schedulerName !== DEFAULT_SCHEDULER_NAME) {
    scheduling.schedulerName = spec.schedulerName;
  }
  const ports = hostPorts(spec);
  if (ports.length > 0) scheduling.hostPorts = ports;
  return Object.keys(scheduling).length > 0 ? scheduling : undefined;
}

/**
 * Volumes whose data lives on the node and dies with it, by cluster-autoscaler's rule for pods that
 * block a drain: hostPath, and emptyDir unless it is memory-backed (tmpfs holds nothing a replacement
 * could miss that a restart would not lose too).
 */
function localVolumeNames(spec: V1PodSpec | undefined): string[] {
  return (spec?.volumes ?? [])
    .filter((v) => v.hostPath !== undefined || (v.emptyDir !== undefined && v.emptyDir.medium !== 'Memory'))
    .map((v) => v.name);
}

function initContainer(c: V1Container): Container & { restartPolicy?: string } {
  return { ...container(c), restartPolicy: c.restartPolicy };
}

/**
 * The containers that restarted, with how each last ended: the kubelet keeps the previous run's
 * `lastState.terminated` (an `OOMKilled` reason, when it ended) until the next restart, which is where the
 * VPA loop learns of OOM kills. Containers that never restarted are left out, so that the thousands of
 * healthy pods carry nothing.
 */
function restartedContainers(statuses: readonly V1ContainerStatus[] | undefined): ContainerStatus[] {
  return (statuses ?? [])
    .filter((s) => s.restartCount > 0)
    .map((s) => {
      const terminated = s.lastState?.terminated;
      const finishedAt = toEpochMs(terminated?.finishedAt);
      const startedAt = toEpochMs(terminated?.startedAt);
      return {
        name: s.name,
        restartCount: s.restartCount,
        ...(terminated?.reason ? { lastTerminationReason: terminated.reason } : {}),
        ...(finishedAt !== undefined ? { lastTerminationAt: finishedAt } : {}),
        ...(startedAt !== undefined ? { lastTerminationStartedAt: startedAt } : {}),
      };
    });
}

export function toPod(pod: V1Pod): Pod {
  const meta = pod.metadata ?? {};
  const phase = pod.status?.phase;
  const scheduling = toPodScheduling(pod.spec, meta.name);
  const grace = pod.spec?.terminationGracePeriodSeconds;
  const localVolumes = localVolumeNames(pod.spec);
  const containerStatuses = restartedContainers(pod.status?.containerStatuses);
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    labels: { ...(meta.labels ?? {}) },
    annotations: { ...(meta.annotations ?? {}) },
    phase: phase && POD_PHASES.has(phase) ? (phase as PodPhase) : 'Unknown',
    nodeName: pod.spec?.nodeName,
    podIP: pod.status?.podIP || undefined,
    creationTimestamp: toEpochMs(meta.creationTimestamp) ?? 0,
    startTime: toEpochMs(pod.status?.startTime),
    deletionTimestamp: toEpochMs(meta.deletionTimestamp),
    conditions: (pod.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status as Pod['conditions'][number]['status'],
      lastTransitionTime: toEpochMs(c.lastTransitionTime),
      reason: c.reason,
    })),
    containers: (pod.spec?.containers ?? []).map(container),
    ...(containerStatuses.length > 0 ? { containerStatuses } : {}),
    ...(pod.status?.reason ? { statusReason: pod.status.reason } : {}),
    ...(pod.status?.message ? { statusMessage: pod.status.message } : {}),
    initContainers: (pod.spec?.initContainers ?? []).map(initContainer),
    ownerReferences: (meta.ownerReferences ?? []).map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      uid: o.uid,
      controller: o.controller,
    })),
    ...(scheduling ? { scheduling } : {}),
    ...(typeof grace === 'number' ? { terminationGracePeriodSeconds: grace } : {}),
    ...(localVolumes.length > 0 ? { localVolumes } : {}),
  };
}

/**
 * A policy/v1 PodDisruptionBudget. Until the disruption controller has seen the current spec
 * (status.observedGeneration below metadata.generation) the API server refuses every eviction it
 * guards, whatever the stale status says, so such a budget allows no disruption here either.
 */
export function toPodDisruptionBudget(pdb: V1PodDisruptionBudget): PodDisruptionBudget {
  const meta = pdb.metadata ?? {};
  const observed = pdb.status?.observedGeneration ?? 0;
  const current = observed >= (meta.generation ?? 0);
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    ...(pdb.spec?.selector ? { selector: labelSelector(pdb.spec.selector) } : {}),
    disruptionsAllowed: current ? Math.max(0, pdb.status?.disruptionsAllowed ?? 0) : 0,
  };
}

const CLAIM_PHASES: ReadonlySet<string> = new Set(['Pending', 'Bound', 'Lost']);

export function toPersistentVolumeClaim(claim: V1PersistentVolumeClaim): PersistentVolumeClaim {
  const phase = claim.status?.phase;
  return {
    namespace: claim.metadata?.namespace ?? '',
    name: claim.metadata?.name ?? '',
    ...(claim.spec?.volumeName ? { volumeName: claim.spec.volumeName } : {}),
    phase: phase && CLAIM_PHASES.has(phase) ? (phase as PersistentVolumeClaim['phase']) : 'Pending',
  };
}

/**
 * Keys that name a volume's zone: the zone label and its deprecated beta form (PVs of in-tree volume
 * plugins carry either), and the EBS CSI driver's own topology key, which it wrote into PV node
 * affinity for years (such volumes would otherwise look zone-free and get a node in the wrong zone).
 */
export const ZONE_KEYS: readonly string[] = [
  'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.ebs.csi.aws.com/zone',
];

/** Legacy zone labels of multi-zone volumes join the zones with this (`LabelZonesToSet`). */
const LEGACY_ZONE_SEPARATOR = '__';

/**
 * Zones one node selector term allows: the intersection of its `In` requirements on the zone keys;
 * undefined when the term does not constrain the zone that way (any zone passes).
 */
function termZones(term: V1NodeSelectorTerm): Set<string> | undefined {
  let zones: Set<string> | undefined;
  for (const r of term.matchExpressions ?? []) {
    if (!ZONE_KEYS.includes(r.key) || r.operator !== 'In') continue;
    const values = new Set(r.values ?? []);
    zones = zones ? new Set([...zones].filter((z) => values.has(z))) : values;
  }
  return zones;
}

/**
 * A PV's zones: from its required node affinity when that names zones (terms are ORed, so their union;
 * a term without a zone requirement lets the volume go anywhere), else from its zone labels.
 */
export function toPersistentVolume(volume: V1PersistentVolume): PersistentVolume {
  const name = volume.metadata?.name ?? '';
  const terms = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const perTerm = terms.map(termZones);
  if (perTerm.some((zones) => zones !== undefined)) {
    if (perTerm.some((zones) => zones === undefined)) return { name, zones: [] };
    const union = new Set(perTerm.flatMap((zones) => [...(zones ?? [])]));
    return { name, zones: [...union].sort() };
  }
  const labels = volume.metadata?.labels ?? {};
  const label = ZONE_KEYS.map((key) => labels[key]).find((value) => value);
  const zones = label ? label.split(LEGACY_ZONE_SEPARATOR).filter((z) => z !== '') : [];
  return { name, zones: [...new Set(zones)].sort() };
}

/** A DaemonSet as the pod its template adds to each node. */
export function toDaemonSet(daemonSet: V1DaemonSet): DaemonSet {
  const meta = daemonSet.metadata ?? {};
  const spec = daemonSet.spec?.template?.spec;
  const scheduling = toPodScheduling(spec);
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    containers: (spec?.containers ?? []).map(container),
    initContainers: (spec?.initContainers ?? []).map(initContainer),
    ...(scheduling ? { scheduling } : {}),
  };
}

export function toNode(node: V1Node): Node {
  const meta = node.metadata ?? {};
  return {
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    labels: { ...(meta.labels ?? {}) },
    annotations: { ...(meta.annotations ?? {}) },
    capacity: { ...(node.status?.capacity ?? {}) },
    allocatable: { ...(node.status?.allocatable ?? {}) },
    unschedulable: node.spec?.unschedulable ?? false,
    taints: (node.spec?.taints ?? []).map((t) => ({
      key: t.key,
      value: t.value,
      effect: t.effect as Node['taints'][number]['effect'],
    })),
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    creationTimestamp: toEpochMs(meta.creationTimestamp) ?? 0,
    providerID: node.spec?.providerID,
  };
}

/** The subset of object metadata read from raw JSON objects. */
export interface RawObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string }[];
}

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: RawObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/**
 * Managers that wrote the status subresource (managedFields entries with subresource `status`), in
 * first-seen order, each once with the latest time recorded for it.
 */
export function statusManagers(
  meta: Pick<RawObjectMeta, 'managedFields'> | V1ObjectMeta | undefined,
): StatusManager[] {
  const managers = new Map<string, StatusManager>();
  for (const entry of meta?.managedFields ?? []) {
    if (entry.subresource !== 'status' || !entry.manager) continue;
    const time = toEpochMs(entry.time);
    const seen = managers.get(entry.manager);
    if (!seen)
      managers.set(
        entry.manager,
        time === undefined ? { manager: entry.manager } : { manager: entry.manager, time },
      );
    else if (time !== undefined && (seen.time === undefined || time > seen.time)) seen.time = time;
  }
  return [...managers.values()];
}

/**
 * A HorizontalAutoscaler or HorizontalPodAutoscaler as stored. `defaultApiVersion` fills the
 * apiVersion that built-in list items omit. The spec stays raw; the status is passed through when it
 * is an object (the API server validated it against the schema).
 */
export function toAutoscaler(
  kind: AutoscalerKind,
  obj: RawObject,
  defaultApiVersion: string,
): AutoscalerObject {
  const meta = obj.metadata ?? {};
  const status =
    obj.status && typeof obj.status === 'object' && !Array.isArray(obj.status)
      ? (obj.status as HorizontalPodAutoscalerStatus)
      : undefined;
  return {
    kind,
    apiVersion: obj.apiVersion ?? defaultApiVersion,
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    generation: meta.generation ?? 0,
    resourceVersion: meta.resourceVersion ?? '',
    labels: { ...(meta.labels ?? {}) },
    annotations: { ...(meta.annotations ?? {}) },
    creationTimestamp: toEpochMs(meta.creationTimestamp) ?? 0,
    spec: obj.spec,
    status,
    statusManagers: statusManagers(meta),
  };
}

/** A workload (Deployment, StatefulSet, ReplicaSet) as its `/scale` subresource would show it. */
export interface ScalableWorkload {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

/**
 * The scale of an apps/v1 workload read from a list, built as the API server builds `/scale`: the
 * defaulted spec.replicas (1 when unset), status.replicas, the selector in string form and the
 * object's resourceVersion.
 */
export function scaleFromWorkload(target: ScaleTargetKey, workload: ScalableWorkload): Scale {
  return {
    target,
    specReplicas: workload.spec?.replicas ?? 1,
    statusReplicas: workload.status?.replicas ?? 0,
    selector: selectorToString(selectorFromLabelSelector(workload.spec?.selector)),
    resourceVersion: workload.metadata?.resourceVersion ?? '',
  };
}

/** An `autoscaling/v1` Scale (typed or raw JSON) → the port's Scale. */
export function scaleFromScaleObject(target: ScaleTargetKey, scale: V1Scale | RawScale): Scale {
  return {
    target,
    specReplicas: scale.spec?.replicas ?? 0,
    statusReplicas: scale.status?.replicas ?? 0,
    selector: scale.status?.selector ?? '',
    resourceVersion: scale.metadata?.resourceVersion ?? '',
  };
}

export interface RawScale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** A Go `time.Duration` string ("30s", "1m0s", "1.5s", "500ms") in seconds; undefined if unparsable. */
export function parseGoDurationSeconds(value: string | number | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (!value) return undefined;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  const pattern = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of value.matchAll(pattern)) {
    total += Number(match[1]) * (units[match[2] as string] ?? 0);
    consumed += match[0].length;
  }
  return consumed === value.length && consumed > 0 ? total : undefined;
}

interface RawPodMetrics {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, string> }[];
}

/** A metrics.k8s.io/v1beta1 PodMetrics (raw JSON) → the port's PodMetrics. */
export function toPodMetrics(raw: RawPodMetrics): PodMetrics {
  return {
    namespace: raw.metadata?.namespace ?? '',
    name: raw.metadata?.name ?? '',
    timestamp: toEpochMs(raw.timestamp) ?? 0,
    windowSeconds: parseGoDurationSeconds(raw.window) ?? 0,
    containers: (raw.containers ?? []).map((c) => ({ name: c.name ?? '', usage: { ...(c.usage ?? {}) } })),
  };
}
