/**
 * EC2 instance types the simulator knows: vCPUs, memory and the pod limit (the VPC CNI's ENI-based
 * `max-pods`), and the node capacity/allocatable they give a kubelet. Allocatable follows the EKS AMI's
 * reservation formula (kube-reserved CPU by core count, memory 255 MiB + 11 MiB per pod, hard eviction
 * 100 MiB); memory capacity is the nominal size less what the kernel and firmware take.
 */
import type { ResourceList } from '../ports/kubernetes';
import { formatMilliDecimalSI } from '../units/quantity';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface InstanceType {
  name: string;
  vcpu: number;
  memoryGiB: number;
  /** ENI-based pod limit of the VPC CNI. */
  maxPods: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = Object.freeze(
  Object.fromEntries(
    (
      [
        ['m5.large', 2, 8, 29],
        ['m5.xlarge', 4, 16, 58],
        ['m5.2xlarge', 8, 32, 58],
        ['m5.4xlarge', 16, 64, 234],
        ['m6i.large', 2, 8, 29],
        ['m6i.xlarge', 4, 16, 58],
        ['m6i.2xlarge', 8, 32, 58],
        ['c5.large', 2, 4, 29],
        ['c5.xlarge', 4, 8, 58],
        ['c5.2xlarge', 8, 16, 58],
        ['c5.4xlarge', 16, 32, 234],
        ['r5.large', 2, 16, 29],
        ['r5.xlarge', 4, 32, 58],
        ['r5.2xlarge', 8, 64, 58],
      ] as const
    ).map(([name, vcpu, memoryGiB, maxPods]) => [name, { name, vcpu, memoryGiB, maxPods }]),
  ),
);

/** Share of nominal memory the kernel and firmware keep from the kubelet's capacity. */
const KERNEL_MEMORY_SHARE = 0.04;
const EVICTION_HARD_MEMORY_BYTES = 100 * MiB;

/** The EKS AMI's kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above. */
export function kubeReservedCpuMillis(vcpu: number): number {
  let reserved = 0;
  for (let core = 1; core <= vcpu; core++) {
    reserved += core === 1 ? 60 : core === 2 ? 10 : core <= 4 ? 5 : 2.5;
  }
  return reserved;
}

/** Looks a type up; throws for one the table lacks. */
export function instanceType(name: string): InstanceType {
  const type = INSTANCE_TYPES[name];
  if (!type) throw new Error(`unknown instance type ${name}; add it to shared/sim/instance-types.ts`);
  return type;
}

/** The node's capacity and allocatable as a kubelet on this type reports them. */
export function nodeResources(typeName: string): { capacity: ResourceList; allocatable: ResourceList } {
  const type = instanceType(typeName);
  const memoryCapacity = Math.floor((type.memoryGiB * GiB * (1 - KERNEL_MEMORY_SHARE)) / 1024) * 1024;
  const reservedMemory = (255 + 11 * type.maxPods) * MiB + EVICTION_HARD_MEMORY_BYTES;
  return {
    capacity: {
      cpu: String(type.vcpu),
      memory: `${memoryCapacity / 1024}Ki`,
      pods: String(type.maxPods),
    },
    allocatable: {
      cpu: formatMilliDecimalSI(type.vcpu * 1000 - kubeReservedCpuMillis(type.vcpu)),
      memory: `${(memoryCapacity - reservedMemory) / 1024}Ki`,
      pods: String(type.maxPods),
    },
  };
}
