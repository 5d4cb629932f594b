import { describe, expect, it } from 'vitest';
import { planNetwork } from '../../../shared/network/plan';
import {
  AMD_GPU_RESOURCE,
  CAPACITY_TYPE_LABEL,
  eniMaxPods,
  kubeReservedCpuMilli,
  kubeReservedMemoryMiB,
  maxPodsFor,
  NVIDIA_GPU_RESOURCE,
  SPOT_TAINT,
  type TemplateNodeInput,
  templateNode,
} from '../../../shared/nodepools/template-node';
import type { InstanceTypeInfo } from '../../../shared/ports/ec2';

const M5_LARGE: InstanceTypeInfo = {
  instanceType: 'm5.large',
  vcpus: 2,
  memoryMiB: 8192,
  gpus: 0,
  architectures: ['x86_64'],
  maxNetworkInterfaces: 3,
  ipv4AddressesPerInterface: 10,
};
const G5_XLARGE: InstanceTypeInfo = {
  instanceType: 'g5.xlarge',
  vcpus: 4,
  memoryMiB: 16384,
  gpus: 1,
  gpuManufacturer: 'NVIDIA',
  architectures: ['x86_64'],
  maxNetworkInterfaces: 4,
  ipv4AddressesPerInterface: 15,
};
const M6G_XLARGE: InstanceTypeInfo = {
  instanceType: 'm6g.xlarge',
  vcpus: 4,
  memoryMiB: 16384,
  gpus: 0,
  architectures: ['arm64'],
  maxNetworkInterfaces: 4,
  ipv4AddressesPerInterface: 15,
};

function input(overrides: Partial<TemplateNodeInput> = {}): TemplateNodeInput {
  return {
    instanceType: M5_LARGE,
    zone: 'eu-central-1a',
    capacityType: 'on-demand',
    labels: {},
    taints: [],
    maxPods: 110,
    ...overrides,
  };
}

describe('kube-reserved defaults', () => {
  it('reserves CPU by the GKE/EKS steps, rounded up to whole millicores', () => {
    expect(kubeReservedCpuMilli(1)).toBe(60); // 6% of core 1
    expect(kubeReservedCpuMilli(2)).toBe(70); // + 1% of core 2
    expect(kubeReservedCpuMilli(3)).toBe(75); // + 0.5% of core 3
    expect(kubeReservedCpuMilli(4)).toBe(80); // + 0.5% of core 4
    expect(kubeReservedCpuMilli(5)).toBe(83); // 80 + 2.5 = 82.5 → 83
    expect(kubeReservedCpuMilli(8)).toBe(90); // 80 + 4 × 2.5
    expect(kubeReservedCpuMilli(96)).toBe(310); // 80 + 92 × 2.5
  });

  it('reserves memory as 255 MiB + 11 MiB per pod', () => {
    expect(kubeReservedMemoryMiB(110)).toBe(1465);
    expect(kubeReservedMemoryMiB(29)).toBe(574);
  });
});

describe('templateNode', () => {
  it('computes capacity and allocatable of an m5.large with 110 pods', () => {
    const node = templateNode(input());
    // CPU: 2000m − kube-reserved (60 + 10) = 1930m.
    // Memory: 8192 MiB = 8388608Ki; − kube-reserved (255 + 11 × 110 = 1465 MiB) − eviction 100 MiB
    //   = 6627 MiB = 6627 × 1024 = 6786048Ki.
    expect(node.capacity).toEqual({ cpu: '2000m', memory: '8388608Ki', pods: '110' });
    expect(node.allocatable).toEqual({ cpu: '1930m', memory: '6786048Ki', pods: '110' });
  });

  it('sets the well-known labels, with the pool labels, and no taints on demand', () => {
    const node = templateNode(input({ labels: { team: 'shop', 'kubernetes.io/os': 'windows' } }));
    expect(node.labels).toEqual({
      team: 'shop',
      'topology.kubernetes.io/zone': 'eu-central-1a',
      'node.kubernetes.io/instance-type': 'm5.large',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/os': 'linux', // the well-known labels win over the pool's
      'node.kubernetes.io/lifecycle': 'on-demand',
    });
    expect(node.taints).toEqual([]);
  });

  it('adds NVIDIA GPUs as nvidia.com/gpu', () => {
    const node = templateNode(input({ instanceType: G5_XLARGE, maxPods: 58 }));
    // CPU: 4000m − (60 + 10 + 5 + 5) = 3920m.
    // Memory: 16384 MiB − (255 + 11 × 58 = 893 MiB) − 100 MiB = 15391 MiB = 15760384Ki.
    expect(node.capacity).toEqual({
      cpu: '4000m',
      memory: '16777216Ki',
      pods: '58',
      [NVIDIA_GPU_RESOURCE]: '1',
    });
    expect(node.allocatable).toEqual({
      cpu: '3920m',
      memory: '15760384Ki',
      pods: '58',
      [NVIDIA_GPU_RESOURCE]: '1',
    });
  });

  it('names AMD GPUs amd.com/gpu', () => {
    const node = templateNode(
      input({ instanceType: { ...G5_XLARGE, instanceType: 'g4ad.xlarge', gpuManufacturer: 'AMD' } }),
    );
    expect(node.allocatable[AMD_GPU_RESOURCE]).toBe('1');
    expect(node.allocatable[NVIDIA_GPU_RESOURCE]).toBeUndefined();
  });

  it('labels arm64 types arm64', () => {
    const node = templateNode(input({ instanceType: M6G_XLARGE }));
    expect(node.labels['kubernetes.io/arch']).toBe('arm64');
    // 16384 − 1465 − 100 = 14819 MiB = 15174656Ki.
    expect(node.allocatable).toEqual({ cpu: '3920m', memory: '15174656Ki', pods: '110' });
  });

  it('uses the architecture asked for and refuses one the type lacks', () => {
    const both: InstanceTypeInfo = { ...M5_LARGE, architectures: ['x86_64', 'arm64'] };
    expect(
      templateNode(input({ instanceType: both, architecture: 'arm64' })).labels['kubernetes.io/arch'],
    ).toBe('arm64');
    expect(() => templateNode(input({ architecture: 'arm64' }))).toThrow(/does not support arm64/);
    expect(() => templateNode(input({ instanceType: { ...M5_LARGE, architectures: [] } }))).toThrow(
      /supports: none/,
    );
  });

  it('labels and taints spot nodes, without duplicating a pool taint', () => {
    const spot = templateNode(input({ capacityType: 'spot' }));
    expect(spot.labels[CAPACITY_TYPE_LABEL]).toBe('spot');
    expect(spot.labels['node.kubernetes.io/lifecycle']).toBe('spot');
    expect(spot.taints).toEqual([
      { key: 'node.kubernetes.io/lifecycle', value: 'spot', effect: 'NoSchedule' },
    ]);

    const dedicated = { key: 'dedicated', value: 'batch', effect: 'NoExecute' as const };
    const withTaints = templateNode(input({ capacityType: 'spot', taints: [dedicated, SPOT_TAINT] }));
    expect(withTaints.taints).toEqual([dedicated, SPOT_TAINT]);

    expect(templateNode(input({ capacityType: 'spot', spotTaint: false })).taints).toEqual([]);
  });

  it('takes overrides of kube-reserved, system-reserved and the eviction threshold', () => {
    const node = templateNode(
      input({
        reserved: {
          kubeReserved: { cpu: '100m', memory: '1Gi' },
          systemReserved: { cpu: '100m', memory: '512Mi' },
          evictionMemoryAvailable: '5%',
        },
      }),
    );
    // CPU: 2000 − 100 − 100 = 1800m.
    // Memory: 8388608Ki − 1048576Ki − 524288Ki − 5% of 8388608Ki (419430.4Ki) = 6396313.6 → 6396313Ki.
    expect(node.allocatable).toEqual({ cpu: '1800m', memory: '6396313Ki', pods: '110' });
  });

  it('keeps the default of each resource an override leaves out', () => {
    const node = templateNode(
      input({ reserved: { kubeReserved: { memory: '500Mi' }, evictionMemoryAvailable: '200Mi' } }),
    );
    // CPU default 70m; memory 8192 − 500 − 200 = 7492 MiB = 7671808Ki.
    expect(node.allocatable).toEqual({ cpu: '1930m', memory: '7671808Ki', pods: '110' });
  });

  it('never reports negative allocatable', () => {
    const tiny: InstanceTypeInfo = { ...M5_LARGE, instanceType: 't3.nano', memoryMiB: 512 };
    // 512 MiB − 1465 MiB − 100 MiB < 0.
    expect(templateNode(input({ instanceType: tiny })).allocatable.memory).toBe('0Ki');
  });

  it('refuses a max pods that is not a positive integer', () => {
    expect(() => templateNode(input({ maxPods: 0 }))).toThrow(RangeError);
    expect(() => templateNode(input({ maxPods: 2.5 }))).toThrow(RangeError);
  });
});

describe('maxPodsFor', () => {
  const plan = (mask: number) => {
    const result = planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: mask });
    if (!result.ok) throw new Error(result.problems.join('; '));
    return result.plan;
  };

  it('computes the ENI limit of the VPC CNI without prefix delegation', () => {
    expect(eniMaxPods(M5_LARGE)).toBe(29); // 3 × (10 − 1) + 2
    expect(eniMaxPods(G5_XLARGE)).toBe(58); // 4 × (15 − 1) + 2
  });

  it('uses only the network plan by default', () => {
    expect(maxPodsFor(M5_LARGE, plan(24))).toBe(110);
    expect(maxPodsFor(M5_LARGE, plan(26))).toBe(32);
  });

  it('caps at the ENI limit with the AWS VPC CNI', () => {
    expect(maxPodsFor(M5_LARGE, plan(24), 'aws-vpc-cni')).toBe(29);
    expect(maxPodsFor(G5_XLARGE, plan(26), 'aws-vpc-cni')).toBe(32); // the plan's 32 < 58
  });
});
