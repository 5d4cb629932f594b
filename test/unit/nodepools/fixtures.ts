/**
 * Builders for the node-pool core tests: instance types with their real EC2 figures, pools of one Auto
 * Scaling group per zone with template nodes from `templateNode`, pods, nodes and DaemonSets in the
 * Kubernetes port's shapes.
 */
import type { NodePool, PoolGroup, ScaleUpLimits } from '../../../shared/nodepools/pool';
import { DEFAULT_SCALE_DOWN_SETTINGS, type ScaleDownInput } from '../../../shared/nodepools/scale-down';
import type { ScaleUpInput } from '../../../shared/nodepools/scale-up';
import { type TemplateNode, templateNode, ZONE_LABEL } from '../../../shared/nodepools/template-node';
import type { InstanceTypeInfo } from '../../../shared/ports/ec2';
import type {
  Container,
  DaemonSet,
  Node,
  Pod,
  PodDisruptionBudget,
  PodScheduling,
  ResourceList,
  Taint,
} from '../../../shared/ports/kubernetes';

export const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] as const;

/** 2 vCPU, 8 GiB; allocatable with 110 pods: 1930m, 6627 MiB. */
export const M5_LARGE: InstanceTypeInfo = {
  instanceType: 'm5.large',
  vcpus: 2,
  memoryMiB: 8192,
  gpus: 0,
  architectures: ['x86_64'],
  maxNetworkInterfaces: 3,
  ipv4AddressesPerInterface: 10,
};
/** 4 vCPU, 16 GiB; allocatable with 110 pods: 3920m, 14819 MiB. */
export const M5_XLARGE: InstanceTypeInfo = {
  instanceType: 'm5.xlarge',
  vcpus: 4,
  memoryMiB: 16384,
  gpus: 0,
  architectures: ['x86_64'],
  maxNetworkInterfaces: 4,
  ipv4AddressesPerInterface: 15,
};
/** 16 vCPU, 64 GiB; allocatable with 110 pods: 15890m, 63971 MiB. */
export const M5_4XLARGE: InstanceTypeInfo = {
  instanceType: 'm5.4xlarge',
  vcpus: 16,
  memoryMiB: 65536,
  gpus: 0,
  architectures: ['x86_64'],
  maxNetworkInterfaces: 8,
  ipv4AddressesPerInterface: 30,
};
/** 8 vCPU, 61 GiB, one NVIDIA V100; allocatable with 110 pods: 7910m, 60899 MiB, 1 GPU. */
export const P3_2XLARGE: InstanceTypeInfo = {
  instanceType: 'p3.2xlarge',
  vcpus: 8,
  memoryMiB: 62464,
  gpus: 1,
  gpuManufacturer: 'NVIDIA',
  architectures: ['x86_64'],
  maxNetworkInterfaces: 4,
  ipv4AddressesPerInterface: 15,
};

export const DEFAULT_MAX_PODS = 110;

export interface PoolOptions {
  priority?: number;
  instanceType?: InstanceTypeInfo;
  capacityType?: 'on-demand' | 'spot';
  labels?: Record<string, string>;
  taints?: Taint[];
  zones?: readonly string[];
  /** Desired capacity per group (same for every zone), or per zone. */
  desired?: number | Record<string, number>;
  /** Ready nodes per group; default: the desired capacity. */
  ready?: number | Record<string, number>;
  minSize?: number;
  maxSize?: number | Record<string, number>;
  maxNodes?: number;
  maxPods?: number;
  /** Why groups may not grow, by zone. */
  blocked?: Record<string, string>;
  /** Added to every template's allocatable (e.g. ephemeral-storage). */
  extraAllocatable?: ResourceList;
}

function perZone<T>(value: T | Record<string, T> | undefined, zone: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'object' && value !== null) return (value as Record<string, T>)[zone] ?? fallback;
  return value as T;
}

export function template(
  instanceType: InstanceTypeInfo,
  zone: string,
  options: Pick<PoolOptions, 'capacityType' | 'labels' | 'taints' | 'maxPods' | 'extraAllocatable'> = {},
): TemplateNode {
  const node = templateNode({
    instanceType,
    zone,
    capacityType: options.capacityType ?? 'on-demand',
    labels: options.labels ?? {},
    taints: options.taints ?? [],
    maxPods: options.maxPods ?? DEFAULT_MAX_PODS,
  });
  if (options.extraAllocatable) {
    node.allocatable = { ...node.allocatable, ...options.extraAllocatable };
    node.capacity = { ...node.capacity, ...options.extraAllocatable };
  }
  return node;
}

/** A pool with one group per zone, named `<pool>-<zone suffix>` (`default-a`). */
export function makePool(name: string, options: PoolOptions = {}): NodePool {
  const instanceType = options.instanceType ?? M5_LARGE;
  const zones = options.zones ?? ZONES;
  const groups: PoolGroup[] = zones.map((zone) => {
    const desired = perZone(options.desired, zone, 0);
    const group: PoolGroup = {
      asgName: `${name}-${zone.slice(-1)}`,
      zone,
      minSize: options.minSize ?? 0,
      maxSize: perZone(options.maxSize, zone, 100),
      desiredCapacity: desired,
      readyNodes: perZone(options.ready, zone, desired),
      template: template(instanceType, zone, options),
    };
    const blocked = options.blocked?.[zone];
    if (blocked !== undefined) group.blocked = blocked;
    return group;
  });
  return {
    name,
    priority: options.priority ?? 0,
    capacityType: options.capacityType ?? 'on-demand',
    instanceTypes: [instanceType.instanceType],
    planningInstanceType: instanceType.instanceType,
    labels: options.labels ?? {},
    taints: options.taints ?? [],
    groups,
    ...(options.maxNodes !== undefined ? { maxNodes: options.maxNodes } : {}),
  };
}

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  /** Further requests of the single container (GPUs, extended resources, ephemeral-storage). */
  requests?: ResourceList;
  containers?: Container[];
  initContainers?: Pod['initContainers'];
  labels?: Record<string, string>;
  /** Controller uid (pods of one ReplicaSet share it). */
  owner?: string;
  scheduling?: PodScheduling;
  nodeName?: string;
  phase?: Pod['phase'];
}

export function makePod(name: string, options: PodOptions = {}): Pod {
  const requests: ResourceList = {
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
    ...options.requests,
  };
  const pod: Pod = {
    namespace: options.namespace ?? 'shop',
    name,
    uid: `uid-${name}`,
    labels: options.labels ?? {},
    annotations: {},
    phase: options.phase ?? (options.nodeName ? 'Running' : 'Pending'),
    creationTimestamp: 0,
    conditions: [],
    containers: options.containers ?? [{ name: 'app', requests, limits: {} }],
    initContainers: options.initContainers ?? [],
    ownerReferences:
      options.owner === undefined
        ? []
        : [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: options.owner,
              uid: options.owner,
              controller: true,
            },
          ],
  };
  if (options.scheduling) pod.scheduling = options.scheduling;
  if (options.nodeName) pod.nodeName = options.nodeName;
  return pod;
}

/** `count` replicas `<prefix>-0 …` of one ReplicaSet. */
export function replicas(prefix: string, count: number, options: PodOptions = {}): Pod[] {
  return Array.from({ length: count }, (_, i) => makePod(`${prefix}-${i}`, { owner: prefix, ...options }));
}

export interface NodeOptions {
  ready?: boolean;
  unschedulable?: boolean;
  labels?: Record<string, string>;
  taints?: Taint[];
  allocatable?: ResourceList;
}

/** A node that looks like a joined instance of `tpl`. */
export function makeNode(name: string, tpl: TemplateNode, options: NodeOptions = {}): Node {
  return {
    name,
    uid: `uid-${name}`,
    labels: { ...tpl.labels, 'kubernetes.io/hostname': name, ...options.labels },
    annotations: {},
    capacity: tpl.capacity,
    allocatable: options.allocatable ?? tpl.allocatable,
    unschedulable: options.unschedulable ?? false,
    taints: options.taints ?? tpl.taints,
    ready: options.ready ?? true,
    creationTimestamp: 0,
    providerID: `aws:///${tpl.labels[ZONE_LABEL]}/i-${name}`,
  };
}

export function makeDaemonSet(name: string, requests: ResourceList, scheduling?: PodScheduling): DaemonSet {
  return {
    namespace: 'kube-system',
    name,
    uid: `uid-${name}`,
    containers: [{ name, requests, limits: {} }],
    initContainers: [],
    ...(scheduling ? { scheduling } : {}),
  };
}

export const TEST_LIMITS: ScaleUpLimits = {
  maxNodes: 1000,
  maxNodesSource: 'the network plan (10.2.0.0/16, /26 per node)',
  maxNodesPerTick: 100,
};

export function scaleUpInput(overrides: Partial<ScaleUpInput> = {}): ScaleUpInput {
  return {
    pendingPods: [],
    nodes: [],
    pods: [],
    daemonSets: [],
    claims: [],
    volumes: [],
    pools: [makePool('default')],
    limits: TEST_LIMITS,
    ...overrides,
  };
}

/** A PodDisruptionBudget selecting `matchLabels` in `namespace` that admits `disruptionsAllowed` evictions. */
export function makePdb(
  name: string,
  matchLabels: Record<string, string>,
  disruptionsAllowed: number,
  namespace = 'shop',
): PodDisruptionBudget {
  return { namespace, name, selector: { matchLabels }, disruptionsAllowed };
}

export function scaleDownInput(overrides: Partial<ScaleDownInput> = {}): ScaleDownInput {
  return {
    nodes: [],
    pods: [],
    pdbs: [],
    daemonSets: [],
    claims: [],
    volumes: [],
    pools: [],
    nodeGroups: new Map(),
    draining: new Set(),
    unneededSince: {},
    rebalanceSince: {},
    lastScaleUp: {},
    settings: DEFAULT_SCALE_DOWN_SETTINGS,
    now: Date.UTC(2025, 5, 3, 2, 0, 0),
    ...overrides,
  };
}
