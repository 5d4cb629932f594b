/**
 * EC2 instance types the simulator knows, with the figures `DescribeInstanceTypes` gives for them
 * (vCPUs, memory, GPUs, architectures, network interfaces and IPv4 addresses per interface), in the
 * port's `InstanceTypeInfo` shape: `SimEc2` serves them to the node-pool loop, and a simulated node's
 * capacity and allocatable come from the same template-node rules the loop plans with, so the node that
 * joins is the node that was planned. Pods per node default to the VPC CNI's ENI limit.
 */
import { eniMaxPods, templateNode } from '../nodepools/template-node';
import type { Architecture, InstanceTypeInfo } from '../ports/ec2';
import type { ResourceList } from '../ports/kubernetes';

type Row = [
  name: string,
  vcpus: number,
  memoryMiB: number,
  architecture: Architecture,
  maxNetworkInterfaces: number,
  ipv4AddressesPerInterface: number,
  gpus?: { count: number; manufacturer: string },
];

const ROWS: readonly Row[] = [
  ['m5.large', 2, 8192, 'x86_64', 3, 10],
  ['m5.xlarge', 4, 16384, 'x86_64', 4, 15],
  ['m5.2xlarge', 8, 32768, 'x86_64', 4, 15],
  ['m5.4xlarge', 16, 65536, 'x86_64', 8, 30],
  ['m5a.xlarge', 4, 16384, 'x86_64', 4, 15],
  ['m6i.large', 2, 8192, 'x86_64', 3, 10],
  ['m6i.xlarge', 4, 16384, 'x86_64', 4, 15],
  ['m6i.2xlarge', 8, 32768, 'x86_64', 4, 15],
  ['m6i.4xlarge', 16, 65536, 'x86_64', 8, 30],
  ['m6i.8xlarge', 32, 131072, 'x86_64', 8, 30],
  ['m6g.xlarge', 4, 16384, 'arm64', 4, 15],
  ['c5.large', 2, 4096, 'x86_64', 3, 10],
  ['c5.xlarge', 4, 8192, 'x86_64', 4, 15],
  ['c5.2xlarge', 8, 16384, 'x86_64', 4, 15],
  ['c5.4xlarge', 16, 32768, 'x86_64', 8, 30],
  ['r5.large', 2, 16384, 'x86_64', 3, 10],
  ['r5.xlarge', 4, 32768, 'x86_64', 4, 15],
  ['r5.2xlarge', 8, 65536, 'x86_64', 4, 15],
  ['p3.2xlarge', 8, 62464, 'x86_64', 4, 15, { count: 1, manufacturer: 'NVIDIA' }],
];

export const INSTANCE_TYPES: Readonly<Record<string, Readonly<InstanceTypeInfo>>> = Object.freeze(
  Object.fromEntries(
    ROWS.map(([instanceType, vcpus, memoryMiB, architecture, enis, ipv4PerEni, gpus]) => [
      instanceType,
      Object.freeze({
        instanceType,
        vcpus,
        memoryMiB,
        gpus: gpus?.count ?? 0,
        ...(gpus ? { gpuManufacturer: gpus.manufacturer } : {}),
        architectures: Object.freeze([architecture]) as Architecture[],
        maxNetworkInterfaces: enis,
        ipv4AddressesPerInterface: ipv4PerEni,
      }),
    ]),
  ),
);

/** Looks a type up; throws for one the table lacks. */
export function instanceType(name: string): Readonly<InstanceTypeInfo> {
  const type = INSTANCE_TYPES[name];
  if (!type) throw new Error(`unknown instance type ${name}; add it to shared/sim/instance-types.ts`);
  return type;
}

/** Pods a simulated node of this type runs when its group does not say: the VPC CNI's ENI limit. */
export function defaultMaxPods(typeName: string): number {
  return eniMaxPods(instanceType(typeName));
}

/**
 * The node's capacity and allocatable as a kubelet on this type reports them, by the template-node
 * rules (EKS reservations, the kubelet's hard eviction threshold).
 *
 * @example nodeResources('m5.large').allocatable // { cpu: '1930m', memory: '7698432Ki', pods: '29' }
 */
export function nodeResources(
  typeName: string,
  maxPods = defaultMaxPods(typeName),
): { capacity: ResourceList; allocatable: ResourceList } {
  const { capacity, allocatable } = templateNode({
    instanceType: instanceType(typeName),
    zone: '',
    capacityType: 'on-demand',
    labels: {},
    taints: [],
    maxPods,
  });
  return { capacity, allocatable };
}
