/**
 * Pools from the config and from cluster-autoscaler's ASG tags (shared/nodepools/pools.ts): which groups
 * belong to the cluster, what their template nodes look like (also with zero nodes), and what is left
 * out and why.
 */
import { describe, expect, it } from 'vitest';
import { type NodePoolsConfig, nodePoolsSchema } from '../../../shared/config/node-pools';
import {
  CA_ENABLED_TAG,
  clusterGroups,
  clusterTag,
  instanceTypesOf,
  NODE_POOL_TAG,
  PRIORITY_TAG,
  poolNameOf,
  type ResolvePoolsInput,
  resolvePools,
} from '../../../shared/nodepools/pools';
import { CAPACITY_TYPE_LABEL, SPOT_TAINT } from '../../../shared/nodepools/template-node';
import type { AutoScalingGroup } from '../../../shared/ports/auto-scaling';
import type { InstanceTypeInfo } from '../../../shared/ports/ec2';
import type { Node } from '../../../shared/ports/kubernetes';

const CLUSTER = 'kube-1';
const OWNED = { [clusterTag(CLUSTER)]: 'owned' };
const DISCOVERABLE = { [CA_ENABLED_TAG]: 'true', ...OWNED };
const LABEL = 'k8s.io/cluster-autoscaler/node-template/label/';
const TAINT = 'k8s.io/cluster-autoscaler/node-template/taint/';
const RESOURCES = 'k8s.io/cluster-autoscaler/node-template/resources/';

function type(
  instanceType: string,
  vcpus: number,
  memoryMiB: number,
  more: Partial<InstanceTypeInfo> = {},
): InstanceTypeInfo {
  return {
    instanceType,
    vcpus,
    memoryMiB,
    gpus: 0,
    architectures: ['x86_64'],
    maxNetworkInterfaces: 4,
    ipv4AddressesPerInterface: 15,
    ...more,
  };
}

const TYPES = new Map(
  [
    type('m5.large', 2, 8192, { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 10 }),
    type('m5.xlarge', 4, 16384),
    type('m5a.xlarge', 4, 16384),
    type('r5.large', 2, 16384, { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 10 }),
    type('c5.xlarge', 4, 8192),
    type('m6g.xlarge', 4, 16384, { architectures: ['arm64'] }),
    type('m5.4xlarge', 16, 65536),
  ].map((info) => [info.instanceType, info]),
);

function group(name: string, zone: string, more: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    name,
    minSize: 0,
    maxSize: 10,
    desiredCapacity: 0,
    availabilityZones: [zone],
    tags: { ...OWNED },
    instances: [],
    instanceTypes: ['m5.xlarge'],
    purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
    ...more,
  };
}

function config(input: Record<string, unknown> = {}): NodePoolsConfig {
  return nodePoolsSchema.parse(input);
}

function node(name: string, providerID: string, ready = true): Node {
  return {
    name,
    uid: name,
    labels: {},
    annotations: {},
    capacity: {},
    allocatable: {},
    unschedulable: false,
    taints: [],
    ready,
    creationTimestamp: 0,
    providerID,
  };
}

function resolve(overrides: Partial<ResolvePoolsInput>) {
  return resolvePools({
    cluster: CLUSTER,
    config: config(),
    groups: [],
    instanceTypes: TYPES,
    maxPodsPerNode: 110,
    nodes: [],
    ...overrides,
  });
}

const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

describe('clusterGroups', () => {
  const all = [
    group('listed-untagged', 'eu-central-1a', { tags: {} }),
    group('tagged', 'eu-central-1a', { tags: { ...DISCOVERABLE } }),
    group('tagged-upper', 'eu-central-1b', { tags: { [CA_ENABLED_TAG]: 'TRUE', ...OWNED } }),
    group('disabled', 'eu-central-1a', { tags: { [CA_ENABLED_TAG]: 'false', ...OWNED } }),
    group('other-cluster', 'eu-central-1a', {
      tags: { [CA_ENABLED_TAG]: 'true', [clusterTag('kube-2')]: 'owned' },
    }),
    group('cluster-tag-only', 'eu-central-1a'),
  ];

  it('given discovery, should take listed groups and those with both tags (enabled in any case)', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['listed-untagged'] }] });
    expect(clusterGroups(CLUSTER, cfg, all).map((g) => g.name)).toEqual([
      'listed-untagged',
      'tagged',
      'tagged-upper',
    ]);
  });

  it('given discovery off, should take only the listed groups', () => {
    const cfg = config({ discoverByTags: false, pools: [{ name: 'default', asgs: ['tagged'] }] });
    expect(clusterGroups(CLUSTER, cfg, all).map((g) => g.name)).toEqual(['tagged']);
  });
});

describe('instanceTypesOf', () => {
  it('should ask for config types where a pool names them, else for the groups’ own', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['a'], instanceTypes: ['m5.large'] }] });
    const groups = [
      group('a', 'eu-central-1a', { instanceTypes: ['c5.xlarge'] }),
      group('b', 'eu-central-1a', { instanceTypes: ['r5.large', 'm5a.xlarge'] }),
    ];
    expect(instanceTypesOf(cfg, groups)).toEqual(['m5.large', 'm5a.xlarge', 'r5.large']);
  });
});

describe('resolvePools: scale from zero with cluster-autoscaler’s tags', () => {
  const tagged = group('gpu-a', 'eu-central-1a', {
    tags: {
      ...DISCOVERABLE,
      [NODE_POOL_TAG]: 'batch',
      [`${LABEL}example.com/team`]: 'batch',
      [`${LABEL}workload`]: 'ml',
      [`${TAINT}dedicated`]: 'batch:NoSchedule',
      [`${TAINT}example.com/no-value`]: ':PreferNoSchedule',
      [`${RESOURCES}ephemeral-storage`]: '100Gi',
      [`${RESOURCES}example.com/fpga`]: '2',
    },
  });

  it('given a group with zero nodes, should plan its template from the type and the tags', () => {
    const { pools, problems } = resolve({ groups: [tagged] });
    expect(problems).toEqual([]);
    expect(pools).toHaveLength(1);
    const pool = pools[0];
    expect(pool?.name).toBe('batch');
    expect(pool?.capacityType).toBe('on-demand');
    const template = pool?.groups[0]?.template;
    expect(template?.labels).toMatchObject({
      'example.com/team': 'batch',
      workload: 'ml',
      'topology.kubernetes.io/zone': 'eu-central-1a',
      'node.kubernetes.io/instance-type': 'm5.xlarge',
      [CAPACITY_TYPE_LABEL]: 'on-demand',
    });
    expect(template?.taints).toEqual([
      { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
      { key: 'example.com/no-value', effect: 'PreferNoSchedule' },
    ]);
    expect(template?.capacity).toMatchObject({
      cpu: '4000m',
      'ephemeral-storage': '100Gi',
      'example.com/fpga': '2',
    });
    expect(template?.allocatable).toMatchObject({
      'ephemeral-storage': '100Gi',
      'example.com/fpga': '2',
      pods: '110',
    });
    expect(pool?.groups[0]).toMatchObject({ asgName: 'gpu-a', zone: 'eu-central-1a', readyNodes: 0 });
  });

  it('given invalid tag values, should ignore those tags and say why', () => {
    const bad = group('bad', 'eu-central-1a', {
      tags: {
        ...DISCOVERABLE,
        [`${LABEL}ok`]: 'yes',
        [`${LABEL}Bad Key`]: 'x',
        [`${TAINT}dedicated`]: 'batch:NoScheduling',
        [`${TAINT}nocolon`]: 'batch',
        [`${RESOURCES}ephemeral-storage`]: 'lots',
        [`${RESOURCES}cpu`]: '8',
        [PRIORITY_TAG]: 'high',
      },
    });
    const { pools, problems } = resolve({ groups: [bad] });
    expect(pools[0]?.groups[0]?.template.labels.ok).toBe('yes');
    expect(pools[0]?.groups[0]?.template.taints).toEqual([]);
    expect(pools[0]?.priority).toBe(0);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^tag k8s\.io\/cluster-autoscaler\/node-template\/label\/Bad Key ignored: /),
      expect.stringMatching(/resources\/cpu ignored: cpu comes from the instance type/),
      expect.stringMatching(
        /resources\/ephemeral-storage ignored: value "lots" is not a non-negative quantity/,
      ),
      expect.stringMatching(/taint\/dedicated ignored: value "batch:NoScheduling" is not <value>:<effect>/),
      expect.stringMatching(/taint\/nocolon ignored: value "batch" is not <value>:<effect>/),
      'tag tideplane.io/priority ignored: "high" is not an integer',
    ]);
    expect(problems.every((p) => p.asgName === 'bad' && p.pool === 'bad')).toBe(true);
  });

  it('given a config pool over tagged groups, should let its labels and taints win by key', () => {
    const groups = [
      group('nodes-a', 'eu-central-1a', {
        tags: {
          ...OWNED,
          [`${LABEL}team`]: 'tags',
          [`${LABEL}only-tag`]: 'kept',
          [`${TAINT}dedicated`]: 'tags:NoSchedule',
          [`${TAINT}other`]: 'kept:NoExecute',
          [`${RESOURCES}ephemeral-storage`]: '20Gi',
          [`${RESOURCES}hugepages-2Mi`]: '1Gi',
          [NODE_POOL_TAG]: 'ignored',
          [PRIORITY_TAG]: '99',
        },
      }),
    ];
    const cfg = config({
      pools: [
        {
          name: 'default',
          asgs: ['nodes-a'],
          labels: { team: 'config' },
          taints: [{ key: 'dedicated', value: 'config', effect: 'PreferNoSchedule' }],
          resources: { 'ephemeral-storage': '90Gi' },
        },
      ],
    });
    const { pools, problems } = resolve({ config: cfg, groups });
    expect(pools[0]?.groups[0]?.template.allocatable).toMatchObject({
      'ephemeral-storage': '90Gi',
      'hugepages-2Mi': '1Gi',
    });
    expect(problems).toEqual([]);
    expect(pools.map((p) => [p.name, p.priority])).toEqual([['default', 0]]);
    expect(pools[0]?.labels).toEqual({ team: 'config', 'only-tag': 'kept' });
    expect(pools[0]?.taints).toEqual([
      { key: 'other', value: 'kept', effect: 'NoExecute' },
      { key: 'dedicated', value: 'config', effect: 'PreferNoSchedule' },
    ]);
    expect(pools[0]?.groups[0]?.template.labels.team).toBe('config');
  });
});

describe('resolvePools: capacity type', () => {
  const spotPurchase = { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 };

  it('given the config, should take it over everything else', () => {
    const cfg = config({ pools: [{ name: 'spot', asgs: ['a'], capacityType: 'spot' }] });
    const { pools } = resolve({ config: cfg, groups: [group('a', 'eu-central-1a')] });
    expect(pools[0]?.capacityType).toBe('spot');
    expect(pools[0]?.groups[0]?.template.taints).toEqual([SPOT_TAINT]);
    expect(pools[0]?.groups[0]?.template.labels[CAPACITY_TYPE_LABEL]).toBe('spot');
  });

  it('given spotTaint false, should not taint the spot template', () => {
    const cfg = config({ pools: [{ name: 'spot', asgs: ['a'], capacityType: 'spot', spotTaint: false }] });
    const { pools } = resolve({ config: cfg, groups: [group('a', 'eu-central-1a')] });
    expect(pools[0]?.groups[0]?.template.taints).toEqual([]);
  });

  it.each([
    [`${LABEL}${CAPACITY_TYPE_LABEL}`, 'spot'],
    [`${LABEL}eks.amazonaws.com/capacityType`, 'SPOT'],
    [`${LABEL}karpenter.sh/capacity-type`, 'spot'],
  ])('given the label tag %s=%s, should plan spot', (tag, value) => {
    const { pools } = resolve({
      groups: [group('a', 'eu-central-1a', { tags: { ...DISCOVERABLE, [tag]: value } })],
    });
    expect(pools[0]?.capacityType).toBe('spot');
  });

  it('given a label tag saying on-demand on an all-spot group, should believe the label', () => {
    const tags = { ...DISCOVERABLE, [`${LABEL}${CAPACITY_TYPE_LABEL}`]: 'on-demand' };
    const { pools } = resolve({ groups: [group('a', 'eu-central-1a', { tags, purchase: spotPurchase })] });
    expect(pools[0]?.capacityType).toBe('on-demand');
  });

  it('given only the purchase options, should plan all-spot groups as spot and mixed ones as on-demand', () => {
    const { pools, problems } = resolve({
      groups: [
        group('all-spot', 'eu-central-1a', { tags: { ...DISCOVERABLE }, purchase: spotPurchase }),
        group('mixed', 'eu-central-1a', {
          tags: { ...DISCOVERABLE },
          purchase: { onDemandBaseCapacity: 1, onDemandPercentageAboveBase: 50 },
        }),
        group('spot-above-base', 'eu-central-1a', {
          tags: { ...DISCOVERABLE },
          purchase: { onDemandBaseCapacity: 2, onDemandPercentageAboveBase: 0 },
        }),
        group('on-demand', 'eu-central-1a', { tags: { ...DISCOVERABLE } }),
      ],
    });
    expect(Object.fromEntries(pools.map((p) => [p.name, p.capacityType]))).toEqual({
      'all-spot': 'spot',
      mixed: 'on-demand',
      'spot-above-base': 'on-demand',
      'on-demand': 'on-demand',
    });
    expect(problems).toEqual([
      {
        pool: 'mixed',
        asgName: 'mixed',
        message: 'buys on-demand and spot (on-demand base 1, 50% on-demand above it): planned as on-demand',
      },
      {
        pool: 'spot-above-base',
        asgName: 'spot-above-base',
        message: 'buys on-demand and spot (on-demand base 2, 0% on-demand above it): planned as on-demand',
      },
    ]);
  });
});

describe('resolvePools: instance types', () => {
  it('given a mixed-instances group, should plan with the smallest type by vCPU, then memory', () => {
    const mixed = group('mixed', 'eu-central-1a', {
      tags: { ...DISCOVERABLE },
      instanceTypes: ['m5.4xlarge', 'm5.xlarge', 'r5.large', 'm5.large', 'c5.xlarge'],
    });
    const { pools } = resolve({ groups: [mixed] });
    expect(pools[0]?.instanceTypes).toEqual(['m5.4xlarge', 'm5.xlarge', 'r5.large', 'm5.large', 'c5.xlarge']);
    expect(pools[0]?.planningInstanceType).toBe('m5.large');
    expect(pools[0]?.groups[0]?.template.labels['node.kubernetes.io/instance-type']).toBe('m5.large');
  });

  it('given a type EC2 does not know, should drop it and say so', () => {
    const g = group('a', 'eu-central-1a', {
      tags: { ...DISCOVERABLE },
      instanceTypes: ['m5.xlarge', 'm9.huge'],
    });
    const { pools, problems } = resolve({ groups: [g] });
    expect(pools[0]?.instanceTypes).toEqual(['m5.xlarge']);
    expect(problems).toEqual([
      {
        pool: 'a',
        asgName: 'a',
        message: 'instance type m9.huge ignored: EC2 does not know it in this region',
      },
    ]);
  });

  it('given config types of which EC2 knows none, should leave the pool out, saying the type once', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['a', 'b'], instanceTypes: ['m9.huge'] }] });
    const { pools, problems } = resolve({
      config: cfg,
      groups: [group('a', 'eu-central-1a'), group('b', 'eu-central-1b')],
    });
    expect(pools).toEqual([]);
    expect(problems).toEqual([
      { pool: 'default', message: 'instance type m9.huge ignored: EC2 does not know it in this region' },
      { pool: 'default', message: 'left out: no group of the pool can be planned' },
      { pool: 'default', asgName: 'a', message: 'left out: none of its instance types can be planned' },
      { pool: 'default', asgName: 'b', message: 'left out: none of its instance types can be planned' },
    ]);
  });

  it('given a group whose types cannot be told, should leave it out and point at the config', () => {
    const g = group('a', 'eu-central-1a', { tags: { ...DISCOVERABLE }, instanceTypes: [] });
    const { pools, problems } = resolve({ groups: [g] });
    expect(pools).toEqual([]);
    expect(problems.map((p) => p.message)).toContainEqual(
      expect.stringContaining('set instanceTypes in the config'),
    );
  });

  it('given an arm64 pool, should plan only with types that support it', () => {
    const cfg = config({
      pools: [{ name: 'arm', asgs: ['a'], architecture: 'arm64', instanceTypes: ['m5.large', 'm6g.xlarge'] }],
    });
    const { pools, problems } = resolve({ config: cfg, groups: [group('a', 'eu-central-1a')] });
    expect(pools[0]?.planningInstanceType).toBe('m6g.xlarge');
    expect(pools[0]?.groups[0]?.template.labels['kubernetes.io/arch']).toBe('arm64');
    expect(problems).toEqual([
      { pool: 'arm', asgName: 'a', message: 'instance type m5.large ignored: it does not support arm64' },
    ]);
  });

  it('given aws-vpc-cni networking, should cap max pods by the ENIs of the planning type', () => {
    const cfg = config({ podNetworking: 'aws-vpc-cni', pools: [{ name: 'default', asgs: ['a'] }] });
    const { pools } = resolve({
      config: cfg,
      groups: [group('a', 'eu-central-1a', { instanceTypes: ['m5.large'] })],
    });
    expect(pools[0]?.groups[0]?.template.allocatable.pods).toBe('29');
  });
});

describe('resolvePools: zones, bounds, readiness and IAM', () => {
  it('given a group in several zones, should refuse it: one group per zone', () => {
    const multi = group('multi', 'eu-central-1a', { tags: { ...DISCOVERABLE }, availabilityZones: ZONES });
    const { pools, problems } = resolve({ groups: [multi] });
    expect(pools).toEqual([]);
    expect(problems).toContainEqual({
      pool: 'multi',
      asgName: 'multi',
      message:
        'left out: spans 3 zones (eu-central-1a, eu-central-1b, eu-central-1c); tideplane needs one group per zone',
    });
  });

  it('given two groups of a pool in one zone, should keep the first and say why the other is out', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['a1', 'a2'] }] });
    const { pools, problems } = resolve({
      config: cfg,
      groups: [group('a1', 'eu-central-1a'), group('a2', 'eu-central-1a')],
    });
    expect(pools[0]?.groups.map((g) => g.asgName)).toEqual(['a1']);
    expect(problems).toEqual([
      {
        pool: 'default',
        asgName: 'a2',
        message: 'left out: zone eu-central-1a already has group a1 in this pool (one group per zone)',
      },
    ]);
  });

  it('given a config pool’s group without the cluster tag, should keep it blocked and name the tag', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['a', 'b'] }] });
    const { pools, problems } = resolve({
      config: cfg,
      groups: [group('a', 'eu-central-1a'), group('b', 'eu-central-1b', { tags: {} })],
    });
    expect(problems).toEqual([]);
    expect(pools[0]?.groups[0]?.blocked).toBeUndefined();
    expect(pools[0]?.groups[1]?.blocked).toBe(
      'not tagged k8s.io/cluster-autoscaler/kube-1: IAM lets tideplane set the desired capacity only of ' +
        'groups with that tag; add it (value "owned")',
    );
  });

  it('given a listed group that does not exist, should say so', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['a', 'gone'] }] });
    const { pools, problems } = resolve({ config: cfg, groups: [group('a', 'eu-central-1a')] });
    expect(pools[0]?.groups).toHaveLength(1);
    expect(problems).toEqual([
      { pool: 'default', asgName: 'gone', message: 'left out: no such Auto Scaling group in the region' },
    ]);
  });

  it('should narrow the group’s bounds by minPerZone/maxPerZone, never outside the group’s own', () => {
    const cfg = config({
      pools: [
        { name: 'narrow', asgs: ['a'], minPerZone: 1, maxPerZone: 5 },
        { name: 'wide', asgs: ['b'], minPerZone: 0, maxPerZone: 50 },
        { name: 'below-min', asgs: ['c'], maxPerZone: 1 },
      ],
    });
    const { pools, problems } = resolve({
      config: cfg,
      groups: [
        group('a', 'eu-central-1a', { minSize: 0, maxSize: 10 }),
        group('b', 'eu-central-1a', { minSize: 2, maxSize: 10 }),
        group('c', 'eu-central-1a', { minSize: 3, maxSize: 10 }),
      ],
    });
    const bounds = Object.fromEntries(
      pools.map((p) => [p.name, [p.groups[0]?.minSize, p.groups[0]?.maxSize]]),
    );
    expect(bounds).toEqual({ narrow: [1, 5], wide: [2, 10], 'below-min': [3, 3] });
    expect(problems).toEqual([
      { pool: 'below-min', asgName: 'c', message: "maxPerZone 1 is below the group's MinSize 3: using 3" },
    ]);
  });

  const instance = (instanceId: string) => ({
    instanceId,
    availabilityZone: 'eu-central-1a',
    instanceType: 'm5.xlarge',
    lifecycleState: 'InService',
    healthStatus: 'Healthy' as const,
  });

  it('should count Ready nodes whose provider ID names one of the group’s instances', () => {
    const g = group('a', 'eu-central-1a', {
      tags: { ...DISCOVERABLE },
      desiredCapacity: 4,
      instances: [instance('i-0aaa'), instance('i-0bbb'), instance('i-0ccc'), instance('i-0ddd')],
    });
    const nodes = [
      node('n1', 'aws:///eu-central-1a/i-0aaa'),
      node('n2', 'aws:///eu-central-1a/i-0bbb'),
      node('n3', 'aws:///eu-central-1a/i-0ccc', false),
      node('n4', 'aws:///eu-central-1b/i-0fff'),
      node('n5', 'gce://project/zone/i-0ddd'),
    ];
    const { pools } = resolve({ groups: [g], nodes });
    expect(pools[0]?.groups[0]).toMatchObject({ desiredCapacity: 4, readyNodes: 2 });
  });

  it('given Ready nodes that still carry a startup taint, should count them as coming, not ready', () => {
    const g = group('a', 'eu-central-1a', {
      tags: { ...DISCOVERABLE },
      desiredCapacity: 3,
      instances: [instance('i-0aaa'), instance('i-0bbb'), instance('i-0ccc')],
    });
    const starting = (name: string, id: string, key: string): Node => ({
      ...node(name, `aws:///eu-central-1a/${id}`),
      taints: [{ key, effect: 'NoSchedule' }],
    });
    const nodes = [
      node('n1', 'aws:///eu-central-1a/i-0aaa'),
      starting('n2', 'i-0bbb', 'node.kubernetes.io/not-ready'),
      starting('n3', 'i-0ccc', 'startup-taint.cluster-autoscaler.kubernetes.io/cni'),
    ];
    expect(resolve({ groups: [g], nodes }).pools[0]?.groups[0]?.readyNodes).toBe(1);
    const own = config({ startupTaintKeys: [] });
    expect(resolve({ config: own, groups: [g], nodes }).pools[0]?.groups[0]?.readyNodes).toBe(2);
  });

  it('given a group whose instance types could not be read this time, should leave it out and say why', () => {
    const g = group('a', 'eu-central-1a', {
      tags: { ...DISCOVERABLE },
      instanceTypes: [],
      instanceTypesError: 'DescribeLaunchTemplateVersions: Rate exceeded',
    });
    const { pools, problems } = resolve({ groups: [g] });
    expect(pools).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      'left out: no group of the pool can be planned',
      'left out this tick: its instance types could not be read (DescribeLaunchTemplateVersions: Rate exceeded)',
    ]);
  });
});

describe('resolvePools: pools from tags', () => {
  const zonal = (name: string, zone: string, tags: Record<string, string> = {}) =>
    group(name, zone, { tags: { ...DISCOVERABLE, ...tags } });

  it('should group by tideplane.io/node-pool and name ungrouped groups after themselves', () => {
    const { pools, problems } = resolve({
      groups: [
        zonal('web-c', 'eu-central-1c', { [NODE_POOL_TAG]: 'web' }),
        zonal('web-a', 'eu-central-1a', { [NODE_POOL_TAG]: 'web' }),
        zonal('web-b', 'eu-central-1b', { [NODE_POOL_TAG]: 'web' }),
        zonal('Nodes_Extra.1a', 'eu-central-1a'),
      ],
    });
    expect(problems).toEqual([]);
    expect(pools.map((p) => [p.name, p.groups.map((g) => `${g.asgName}@${g.zone}`)])).toEqual([
      ['nodes-extra-1a', ['Nodes_Extra.1a@eu-central-1a']],
      ['web', ['web-a@eu-central-1a', 'web-b@eu-central-1b', 'web-c@eu-central-1c']],
    ]);
  });

  it('should order pools by the priority tag (higher first), then name', () => {
    const { pools } = resolve({
      groups: [
        zonal('fallback', 'eu-central-1a', { [PRIORITY_TAG]: '-10' }),
        zonal('zeta', 'eu-central-1a'),
        zonal('alpha', 'eu-central-1a'),
        zonal('preferred', 'eu-central-1a', { [PRIORITY_TAG]: '10' }),
      ],
    });
    expect(pools.map((p) => [p.name, p.priority])).toEqual([
      ['preferred', 10],
      ['alpha', 0],
      ['zeta', 0],
      ['fallback', -10],
    ]);
  });

  it('given config pools, should order them with the tag pools by priority', () => {
    const cfg = config({
      pools: [
        { name: 'default', asgs: ['d'], priority: 0 },
        { name: 'fallback', asgs: ['f'], priority: -10 },
      ],
    });
    const { pools } = resolve({
      config: cfg,
      groups: [
        group('d', 'eu-central-1a'),
        group('f', 'eu-central-1a'),
        zonal('spot', 'eu-central-1a', { [PRIORITY_TAG]: '5' }),
      ],
    });
    expect(pools.map((p) => p.name)).toEqual(['spot', 'default', 'fallback']);
  });

  it('given groups of one tag pool that disagree, should take the first and report the rest', () => {
    const { pools, problems } = resolve({
      groups: [
        zonal('web-a', 'eu-central-1a', { [NODE_POOL_TAG]: 'web', [PRIORITY_TAG]: '5' }),
        zonal('web-b', 'eu-central-1b', {
          [NODE_POOL_TAG]: 'web',
          [PRIORITY_TAG]: '1',
          [`${LABEL}team`]: 'x',
        }),
      ],
    });
    expect(pools[0]?.priority).toBe(5);
    expect(pools[0]?.labels).toEqual({});
    expect(problems).toEqual([
      { pool: 'web', message: "its groups' tideplane.io/priority tags disagree (5, 1): using 5" },
      {
        pool: 'web',
        asgName: 'web-b',
        message: 'differs from web-a in labels: planned with its own template',
      },
    ]);
  });

  it('given a tag pool named like a config pool, should leave its groups out', () => {
    const cfg = config({ pools: [{ name: 'default', asgs: ['d'] }] });
    const { pools, problems } = resolve({
      config: cfg,
      groups: [group('d', 'eu-central-1a'), zonal('sneaky', 'eu-central-1b', { [NODE_POOL_TAG]: 'default' })],
    });
    expect(pools.map((p) => p.groups.map((g) => g.asgName))).toEqual([['d']]);
    expect(problems).toEqual([
      {
        pool: 'default',
        asgName: 'sneaky',
        message:
          'left out: tag tideplane.io/node-pool names a pool of the config; list the group in its asgs instead',
      },
    ]);
  });

  it('given an invalid pool tag, should ignore it and give the group its own pool', () => {
    const { pools, problems } = resolve({
      groups: [zonal('g', 'eu-central-1a', { [NODE_POOL_TAG]: 'Web Pool' })],
    });
    expect(pools.map((p) => p.name)).toEqual(['g']);
    expect(problems).toEqual([
      {
        asgName: 'g',
        message:
          'tag tideplane.io/node-pool ignored: "Web Pool" is not a pool name (lower-case letters, digits and "-")',
      },
    ]);
  });

  it('given group names that sanitise alike, should keep the pool names apart', () => {
    const { pools } = resolve({
      groups: [zonal('nodes_a', 'eu-central-1a'), zonal('Nodes-A', 'eu-central-1b')],
    });
    expect(pools.map((p) => [p.name, p.groups[0]?.asgName])).toEqual([
      ['nodes-a', 'Nodes-A'],
      ['nodes-a-2', 'nodes_a'],
    ]);
  });

  it('given the same input in another order, should resolve the same pools and problems', () => {
    const groups = [
      zonal('web-a', 'eu-central-1a', { [NODE_POOL_TAG]: 'web', [`${LABEL}x`]: 'bad value!' }),
      zonal('web-b', 'eu-central-1b', { [NODE_POOL_TAG]: 'web' }),
      zonal('multi', 'eu-central-1a', {}),
      group('multi-zone', 'eu-central-1a', { tags: { ...DISCOVERABLE }, availabilityZones: ZONES }),
    ];
    expect(resolve({ groups: [...groups].reverse() })).toEqual(resolve({ groups }));
  });
});

describe('poolNameOf', () => {
  it.each([
    ['Nodes_EU-Central-1a', 'nodes-eu-central-1a'],
    ['--x--', 'x'],
    ['___', 'pool'],
    ['a'.repeat(70), 'a'.repeat(63)],
  ])('%s → %s', (name, expected) => {
    expect(poolNameOf(name)).toBe(expected);
  });
});
