/**
 * Template nodes: what a node of a pool will look like once it has joined, computed from the instance
 * type alone, so that a pool with zero nodes can be planned like one with many. Pure: no I/O.
 *
 * Allocatable follows the kubelet's Node Allocatable rule,
 *   allocatable = capacity − kube-reserved − system-reserved − hard eviction threshold,
 * with defaults that match EKS's Amazon Linux / Bottlerocket AMIs (every default is a named constant and
 * each one can be overridden per pool through `ReservedResources`):
 * - kube-reserved CPU: the GKE/EKS formula — 6% of the first core, 1% of the second, 0.5% of the third
 *   and fourth, 0.25% of every core above four, rounded up to whole millicores (KUBE_RESERVED_CPU_STEPS);
 * - kube-reserved memory: EKS's 255 MiB + 11 MiB per pod the node may run (max pods);
 * - system-reserved: none (neither EKS's AMIs nor the kubelet reserve any by default);
 * - hard eviction: the kubelet's default `memory.available<100Mi`.
 * The memory the OS and firmware keep before the kubelet reports capacity is not subtracted: capacity
 * is `MemoryInfo.SizeInMiB`, so a few percent of slack remain on real nodes.
 */

import type { NetworkPlan } from '../network/plan';
import type { Architecture, InstanceTypeInfo } from '../ports/ec2';
import type { Node, ResourceList } from '../ports/kubernetes';
import { parseMilli } from '../units/quantity';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
export const ARCH_LABEL = 'kubernetes.io/arch';
export const OS_LABEL = 'kubernetes.io/os';
/**
 * The capacity-type label, `spot` or `on-demand`. Spot is opt-in: spot nodes carry this label and
 * SPOT_TAINT, so only pods that select or tolerate it land there.
 */
export const CAPACITY_TYPE_LABEL = 'node.kubernetes.io/lifecycle';
/** The taint of spot nodes (added to a spot pool's template unless `spotTaint: false`). */
export const SPOT_TAINT: Node['taints'][number] = {
  key: CAPACITY_TYPE_LABEL,
  value: 'spot',
  effect: 'NoSchedule',
};
export const NVIDIA_GPU_RESOURCE = 'nvidia.com/gpu';
export const AMD_GPU_RESOURCE = 'amd.com/gpu';

/** `kubernetes.io/arch` values by EC2 architecture. */
export const KUBERNETES_ARCH: Readonly<Record<Architecture, string>> = { x86_64: 'amd64', arm64: 'arm64' };

/**
 * kube-reserved CPU per core, in millicores, by core range (GKE's and EKS's formula): cores up to
 * `upToCores` (after the previous step's) reserve `milliPerCore` each.
 */
export const KUBE_RESERVED_CPU_STEPS: readonly { upToCores: number; milliPerCore: number }[] = [
  { upToCores: 1, milliPerCore: 60 }, // 6%
  { upToCores: 2, milliPerCore: 10 }, // 1%
  { upToCores: 4, milliPerCore: 5 }, // 0.5%
  { upToCores: Number.POSITIVE_INFINITY, milliPerCore: 2.5 }, // 0.25%
];
/** kube-reserved memory, fixed part (EKS AMIs: 255 MiB). */
export const KUBE_RESERVED_MEMORY_BASE_MIB = 255;
/** kube-reserved memory per pod of max pods (EKS AMIs: 11 MiB). */
export const KUBE_RESERVED_MEMORY_PER_POD_MIB = 11;
/** system-reserved by default: nothing (kubelet's and EKS's default). */
export const DEFAULT_SYSTEM_RESERVED: Readonly<ReservedQuantities> = { cpu: '0', memory: '0' };
/** The kubelet's default hard eviction threshold `memory.available<100Mi`. */
export const DEFAULT_EVICTION_MEMORY_AVAILABLE = '100Mi';

const MIB = 1024 * 1024;

export interface ReservedQuantities {
  /** A CPU quantity, e.g. `"80m"`. */
  cpu?: string;
  /** A memory quantity, e.g. `"1Gi"`. */
  memory?: string;
}

/** The pool's kubelet settings; each field left out takes its default. */
export interface ReservedResources {
  /** `--kube-reserved`; default the GKE/EKS CPU formula and 255 MiB + 11 MiB × max pods. */
  kubeReserved?: ReservedQuantities;
  /** `--system-reserved`; default none. */
  systemReserved?: ReservedQuantities;
  /** `--eviction-hard memory.available`: a quantity or a percentage of memory; default `"100Mi"`. */
  evictionMemoryAvailable?: string;
}

export interface TemplateNodeInput {
  instanceType: InstanceTypeInfo;
  zone: string;
  capacityType: 'on-demand' | 'spot';
  /** The pool's labels (well-known labels computed here take precedence). */
  labels: Record<string, string>;
  taints: Node['taints'];
  /** Pods per node, e.g. from `maxPodsFor`. */
  maxPods: number;
  reserved?: ReservedResources;
  /** The architecture of the pool's image; default the type's first supported one. */
  architecture?: Architecture;
  /** Add SPOT_TAINT to spot templates; default true. */
  spotTaint?: boolean;
}

export interface TemplateNode {
  capacity: ResourceList;
  allocatable: ResourceList;
  labels: Record<string, string>;
  taints: Node['taints'];
}

/**
 * kube-reserved CPU in millicores for `vcpus` cores, rounded up.
 *
 * @example kubeReservedCpuMilli(2) // 70 (60 + 10)
 * @example kubeReservedCpuMilli(8) // 90 (60 + 10 + 2 × 5 + 4 × 2.5)
 */
export function kubeReservedCpuMilli(vcpus: number): number {
  let reserved = 0;
  let from = 0;
  for (const step of KUBE_RESERVED_CPU_STEPS) {
    const cores = Math.max(0, Math.min(vcpus, step.upToCores) - from);
    reserved += cores * step.milliPerCore;
    from = step.upToCores;
    if (vcpus <= from) break;
  }
  return Math.ceil(reserved);
}

/**
 * kube-reserved memory in MiB for a node running up to `maxPods` pods.
 *
 * @example kubeReservedMemoryMiB(110) // 1465
 */
export function kubeReservedMemoryMiB(maxPods: number): number {
  return KUBE_RESERVED_MEMORY_BASE_MIB + KUBE_RESERVED_MEMORY_PER_POD_MIB * maxPods;
}

/** How pods get their addresses, which bounds the pods per node. */
export type PodNetworking =
  /** Each node gets a pod CIDR (an overlay, or a VPC CNI with prefix delegation): the network plan. */
  | 'node-cidr'
  /** AWS VPC CNI with secondary IPs (no prefix delegation): also bounded by the type's ENIs. */
  | 'aws-vpc-cni';

/** The network model: node CIDRs from the cluster CIDR. */
export const DEFAULT_POD_NETWORKING: PodNetworking = 'node-cidr';

/**
 * Max pods of the AWS VPC CNI with secondary IPs: ENIs × (IPv4 addresses per ENI − 1) + 2 (each ENI's
 * primary address is not given to pods; the two host-network pods, kube-proxy and aws-node, need none).
 *
 * @example eniMaxPods(m5large) // 3 × (10 − 1) + 2 = 29
 */
export function eniMaxPods(instanceType: InstanceTypeInfo): number {
  return instanceType.maxNetworkInterfaces * (instanceType.ipv4AddressesPerInterface - 1) + 2;
}

/**
 * Pods per node of `instanceType`: the network plan's max pods per node, and with `aws-vpc-cni` at most
 * the ENI limit as well.
 *
 * @example maxPodsFor(m5large, plan) // 110 for a /24 node CIDR
 * @example maxPodsFor(m5large, plan, 'aws-vpc-cni') // 29
 */
export function maxPodsFor(
  instanceType: InstanceTypeInfo,
  networkPlan: Pick<NetworkPlan, 'maxPodsPerNode'>,
  networking: PodNetworking = DEFAULT_POD_NETWORKING,
): number {
  if (networking === 'aws-vpc-cni') return Math.min(networkPlan.maxPodsPerNode, eniMaxPods(instanceType));
  return networkPlan.maxPodsPerNode;
}

const bytesOf = (quantity: string) => parseMilli(quantity) / 1000;

function evictionBytes(threshold: string, capacityBytes: number): number {
  const percent = /^\s*(\d+(?:\.\d+)?)%\s*$/.exec(threshold);
  if (percent) return Math.ceil((capacityBytes * Number(percent[1])) / 100);
  return bytesOf(threshold);
}

function gpuResource(manufacturer: string | undefined): string {
  return manufacturer?.toUpperCase() === 'AMD' ? AMD_GPU_RESOURCE : NVIDIA_GPU_RESOURCE;
}

/**
 * The node a pool's ASG in `zone` would add.
 *
 * @example
 * templateNode({ instanceType: m5large, zone: 'eu-central-1a', capacityType: 'on-demand', labels: {},
 *   taints: [], maxPods: 110 }).allocatable
 * // { cpu: '1930m', memory: '6786048Ki', pods: '110' }
 */
export function templateNode(input: TemplateNodeInput): TemplateNode {
  const { instanceType: type, maxPods } = input;
  if (!Number.isInteger(maxPods) || maxPods < 1) {
    throw new RangeError(`maxPods must be a positive integer, not ${maxPods}`);
  }
  const architecture = input.architecture ?? type.architectures[0];
  if (!architecture || !type.architectures.includes(architecture)) {
    throw new RangeError(
      `${type.instanceType} does not support ${architecture ?? 'x86_64 or arm64'} ` +
        `(supports: ${type.architectures.join(', ') || 'none'})`,
    );
  }

  const reserved = input.reserved ?? {};
  const capacityMilli = type.vcpus * 1000;
  const capacityBytes = type.memoryMiB * MIB;
  const kubeCpu = reserved.kubeReserved?.cpu;
  const kubeMemory = reserved.kubeReserved?.memory;
  const reservedMilli =
    (kubeCpu === undefined ? kubeReservedCpuMilli(type.vcpus) : parseMilli(kubeCpu)) +
    parseMilli(reserved.systemReserved?.cpu ?? DEFAULT_SYSTEM_RESERVED.cpu ?? '0');
  const reservedBytes =
    (kubeMemory === undefined ? kubeReservedMemoryMiB(maxPods) * MIB : bytesOf(kubeMemory)) +
    bytesOf(reserved.systemReserved?.memory ?? DEFAULT_SYSTEM_RESERVED.memory ?? '0') +
    evictionBytes(reserved.evictionMemoryAvailable ?? DEFAULT_EVICTION_MEMORY_AVAILABLE, capacityBytes);

  const capacity: ResourceList = {
    cpu: `${capacityMilli}m`,
    memory: `${Math.floor(capacityBytes / 1024)}Ki`,
    pods: String(maxPods),
  };
  const allocatable: ResourceList = {
    cpu: `${Math.max(0, capacityMilli - reservedMilli)}m`,
    memory: `${Math.max(0, Math.floor((capacityBytes - reservedBytes) / 1024))}Ki`,
    pods: String(maxPods),
  };
  if (type.gpus > 0) {
    const gpu = gpuResource(type.gpuManufacturer);
    capacity[gpu] = String(type.gpus);
    allocatable[gpu] = String(type.gpus);
  }

  const labels: Record<string, string> = {
    ...input.labels,
    [ZONE_LABEL]: input.zone,
    [INSTANCE_TYPE_LABEL]: type.instanceType,
    [ARCH_LABEL]: KUBERNETES_ARCH[architecture],
    [OS_LABEL]: 'linux',
    [CAPACITY_TYPE_LABEL]: input.capacityType,
  };
  const taints = [...input.taints];
  const hasSpotTaint = taints.some((t) => t.key === SPOT_TAINT.key && t.effect === SPOT_TAINT.effect);
  if (input.capacityType === 'spot' && input.spotTaint !== false && !hasSpotTaint) taints.push(SPOT_TAINT);
  return { capacity, allocatable, labels, taints };
}
