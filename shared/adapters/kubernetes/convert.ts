/**
 * Client objects → the port's domain shapes. Times become epoch milliseconds, quantities stay strings,
 * missing maps and lists become empty ones. Typed client-node objects (pods, nodes, workloads) carry
 * `Date`s; raw JSON objects (custom resources, HPAs read through the custom-objects API, metrics)
 * carry RFC 3339 strings: `toEpochMs` accepts both.
 */
import type { V1Container, V1Node, V1ObjectMeta, V1Pod, V1Scale } from '@kubernetes/client-node';
import type { HorizontalPodAutoscalerStatus, LabelSelector } from '../../ports/autoscaling-v2';
import type {
  AutoscalerKind,
  AutoscalerObject,
  Container,
  Node,
  Pod,
  PodMetrics,
  PodPhase,
  Scale,
  ScaleTargetKey,
  StatusManager,
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

export function toPod(pod: V1Pod): Pod {
  const meta = pod.metadata ?? {};
  const phase = pod.status?.phase;
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
    initContainers: (pod.spec?.initContainers ?? []).map((c) => ({
      ...container(c),
      restartPolicy: c.restartPolicy,
    })),
    ownerReferences: (meta.ownerReferences ?? []).map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      uid: o.uid,
      controller: o.controller,
    })),
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
