/**
 * A node as the simulated cluster keeps it: the scheduler's bookkeeping plus the frozen `Node` that lists
 * return (copy on write, so a caller can never change the cluster by mutating what it read).
 */
import type { Node, ResourceList } from '../ports/kubernetes';
import { parseMilliNumber, parseQuantityNumber } from '../units/quantity';
import type { PodRecord } from './pod';
import type { SchedulableNode } from './scheduler';

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  capacity: ResourceList;
  /** @default capacity */
  allocatable?: ResourceList;
  taints?: Node['taints'];
  providerID?: string;
  /** @default true */
  ready?: boolean;
}

export interface NodeRecord extends SchedulableNode {
  readonly uid: string;
  readonly createdAt: number;
  readonly spec: NodeSpec;
  ready: boolean;
  unschedulable: boolean;
  taints: Node['taints'];
  readonly pods: Set<PodRecord>;
  readonly antiAffinityPods: Set<PodRecord>;
  view: Node;
}

/** Builds the record of a node that joins at `now`. */
export function createNodeRecord(spec: NodeSpec, uid: string, now: number): NodeRecord {
  const allocatable = spec.allocatable ?? spec.capacity;
  const record: NodeRecord = {
    name: spec.name,
    uid,
    createdAt: now,
    spec,
    ready: spec.ready ?? true,
    unschedulable: false,
    taints: spec.taints ?? [],
    labels: Object.freeze({ 'kubernetes.io/hostname': spec.name, ...spec.labels }),
    allocatableCpuMillis: parseMilliNumber(allocatable.cpu ?? '0'),
    allocatableMemoryBytes: parseQuantityNumber(allocatable.memory ?? '0'),
    maxPods: Number(allocatable.pods ?? '110'),
    usedCpuMillis: 0,
    usedMemoryBytes: 0,
    usedPods: 0,
    pods: new Set(),
    antiAffinityPods: new Set(),
    view: undefined as unknown as Node,
  };
  refreshNodeView(record);
  return record;
}

/** Rebuilds the frozen view after a change of the record. */
export function refreshNodeView(record: NodeRecord): void {
  const allocatable = record.spec.allocatable ?? record.spec.capacity;
  record.view = Object.freeze({
    name: record.name,
    uid: record.uid,
    labels: record.labels as Record<string, string>,
    annotations: Object.freeze({ ...record.spec.annotations }),
    capacity: Object.freeze({ ...record.spec.capacity }),
    allocatable: Object.freeze({ ...allocatable }),
    unschedulable: record.unschedulable,
    taints: Object.freeze(record.taints.map((taint) => Object.freeze({ ...taint }))) as Node['taints'],
    ready: record.ready,
    creationTimestamp: record.createdAt,
    ...(record.spec.providerID ? { providerID: record.spec.providerID } : {}),
  });
}

/** Books the pod's requests and constraints on the node it is bound to. */
export function assignPod(node: NodeRecord, pod: PodRecord): void {
  node.pods.add(pod);
  if (pod.requirements.antiAffinity) node.antiAffinityPods.add(pod);
  node.usedCpuMillis += pod.requirements.cpuMillis;
  node.usedMemoryBytes += pod.requirements.memoryBytes;
  node.usedPods++;
}

/** Releases what `assignPod` booked, once the pod is gone. */
export function releasePod(node: NodeRecord, pod: PodRecord): void {
  if (!node.pods.delete(pod)) return;
  node.antiAffinityPods.delete(pod);
  node.usedCpuMillis -= pod.requirements.cpuMillis;
  node.usedMemoryBytes -= pod.requirements.memoryBytes;
  node.usedPods--;
}
