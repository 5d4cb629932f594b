/**
 * The scale-down decision (shared/nodepools/scale-down.ts): cluster-autoscaler's rules on m5.large nodes
 * (1930m CPU and 6627 MiB allocatable), one rule per test.
 */
import { describe, expect, it } from 'vitest';
import { DRAIN_TAINT, MIRROR_POD_ANNOTATION } from '../../../shared/nodepools/drain';
import type { NodePool } from '../../../shared/nodepools/pool';
import {
  DEFAULT_SCALE_DOWN_SETTINGS,
  instanceIdOf,
  type NodeGroupRef,
  nodeGroupsOf,
  nodeUtilization,
  planScaleDown,
  SAFE_TO_EVICT_ANNOTATION,
  SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION,
  SCALE_DOWN_DISABLED_ANNOTATION,
  type ScaleDownInput,
  type ScaleDownPlan,
  type ScaleDownSettings,
} from '../../../shared/nodepools/scale-down';
import type { Node, Pod } from '../../../shared/ports/kubernetes';
import {
  makeNode,
  makePdb,
  makePod,
  makePool,
  P3_2XLARGE,
  type PodOptions,
  type PoolOptions,
  scaleDownInput,
  ZONES,
} from './fixtures';

const NOW = Date.UTC(2025, 5, 3, 2, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const [ZONE_A, ZONE_B] = ZONES;

interface PoolSpec {
  name: string;
  options?: PoolOptions;
  /** Node names, in zone a unless given as `[name, zone]`. */
  nodes: (string | [string, string])[];
}

interface Cluster {
  pools: NodePool[];
  nodes: Node[];
  nodeGroups: Map<string, NodeGroupRef>;
}

/** Pools whose groups' desired capacity is the number of nodes given for their zone. */
function build(specs: PoolSpec[], extraNodes: Node[] = []): Cluster {
  const pools: NodePool[] = [];
  const nodes: Node[] = [...extraNodes];
  const nodeGroups = new Map<string, NodeGroupRef>();
  for (const spec of specs) {
    const entries = spec.nodes.map((entry) => (typeof entry === 'string' ? [entry, ZONE_A] : entry)) as [
      string,
      string,
    ][];
    const desired: Record<string, number> = {};
    for (const [, zone] of entries) desired[zone] = (desired[zone] ?? 0) + 1;
    const pool = makePool(spec.name, { desired, ...spec.options });
    pools.push(pool);
    for (const [name, zone] of entries) {
      const group = pool.groups.find((g) => g.zone === zone);
      if (!group) throw new Error(`no group in ${zone}`);
      nodes.push(makeNode(name, group.template));
      nodeGroups.set(name, { pool: pool.name, asgName: group.asgName, zone, instanceId: `i-${name}` });
    }
  }
  return { pools, nodes, nodeGroups };
}

/** A controlled pod (its own ReplicaSet) bound to `node`. */
function pod(name: string, node: string, cpu: string, options: PodOptions = {}): Pod {
  return makePod(name, { owner: `rs-${name}`, cpu, nodeName: node, ...options });
}

function annotated(p: Pod, annotations: Record<string, string>): Pod {
  return { ...p, annotations: { ...p.annotations, ...annotations } };
}

function daemonPod(name: string, node: string): Pod {
  return {
    ...makePod(name, { namespace: 'kube-system', cpu: '100m', nodeName: node }),
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid: `ds-${name}`, controller: true },
    ],
  };
}

/** Previous unneeded times that make these nodes removable now. */
function longUnneeded(...names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, NOW - 11 * MINUTE]));
}

function plan(cluster: Cluster, overrides: Partial<ScaleDownInput> = {}): ScaleDownPlan {
  return planScaleDown(
    scaleDownInput({
      now: NOW,
      pools: cluster.pools,
      nodes: cluster.nodes,
      nodeGroups: cluster.nodeGroups,
      unneededSince: longUnneeded(...cluster.nodes.map((node) => node.name)),
      ...overrides,
    }),
  );
}

function settings(overrides: Partial<ScaleDownSettings>): ScaleDownSettings {
  return { ...DEFAULT_SCALE_DOWN_SETTINGS, ...overrides };
}

function removed(result: ScaleDownPlan): string[] {
  return [...result.removeEmpty, ...result.removeDrain].map((removal) => removal.node);
}

function reasonOf(result: ScaleDownPlan, node: string): string | undefined {
  return result.blocked.find((entry) => entry.node === node)?.reason;
}

/** `small` holds one pod of `cpu`; `big` runs at 60% with 772m free. */
function smallAndBig(pods: (small: string) => Pod[]): { cluster: Cluster; pods: Pod[] } {
  const cluster = build([{ name: 'default', nodes: ['small', 'big'] }]);
  return { cluster, pods: [...pods('small'), pod('load', 'big', '1158m')] };
}

describe('nodeUtilization', () => {
  const node = makeNode('a1', makePool('default').groups[0]?.template ?? (undefined as never));

  it('should take the larger of requested CPU and memory over allocatable', () => {
    const pods = [pod('web-0', 'a1', '193m', { memory: '3313Mi' })];
    const { utilization, resource } = nodeUtilization(node, pods);
    expect(resource).toBe('memory');
    expect(utilization).toBeCloseTo(0.5, 2);
  });

  it('should leave out daemon, static and finished pods', () => {
    const pods = [
      pod('web-0', 'a1', '965m'),
      daemonPod('fluent-bit', 'a1'),
      annotated(makePod('etcd', { namespace: 'kube-system', cpu: '500m', nodeName: 'a1' }), {
        [MIRROR_POD_ANNOTATION]: 'abc',
      }),
      pod('job-0', 'a1', '500m', { phase: 'Succeeded' }),
    ];
    expect(nodeUtilization(node, pods)).toEqual({ utilization: 0.5, resource: 'cpu' });
  });

  it('should judge a GPU node by its GPUs alone', () => {
    const gpuNode = makeNode(
      'g1',
      makePool('gpu', { instanceType: P3_2XLARGE }).groups[0]?.template as never,
    );
    const cpuOnly = [pod('web-0', 'g1', '6')];
    expect(nodeUtilization(gpuNode, cpuOnly)).toEqual({ utilization: 0, resource: 'nvidia.com/gpu' });
    const training = [pod('train-0', 'g1', '100m', { requests: { 'nvidia.com/gpu': '1' } })];
    expect(nodeUtilization(gpuNode, training)).toEqual({ utilization: 1, resource: 'nvidia.com/gpu' });
  });
});

describe('nodeGroupsOf', () => {
  it('should map nodes to group instances by provider ID, leaving out terminating instances and foreign groups', () => {
    const pool = makePool('default', { desired: 1 });
    const tpl = pool.groups[0]?.template as never;
    const nodes = [makeNode('a1', tpl), makeNode('a2', tpl), makeNode('x1', tpl)];
    const instance = (instanceId: string, lifecycleState: string) => ({
      instanceId,
      availabilityZone: ZONE_A,
      instanceType: 'm5.large',
      lifecycleState,
      healthStatus: 'Healthy' as const,
    });
    const groups = [
      { name: 'default-a', instances: [instance('i-a1', 'InService'), instance('i-a2', 'Terminating:Wait')] },
      { name: 'someone-elses', instances: [instance('i-x1', 'InService')] },
    ];
    expect([...nodeGroupsOf(nodes, [pool], groups)]).toEqual([
      ['a1', { pool: 'default', asgName: 'default-a', zone: ZONE_A, instanceId: 'i-a1' }],
    ]);
  });

  it('should read the instance ID from an AWS provider ID only', () => {
    expect(instanceIdOf('aws:///eu-central-1a/i-0123456789abcdef0')).toBe('i-0123456789abcdef0');
    expect(instanceIdOf('gce://project/zone/name')).toBeUndefined();
    expect(instanceIdOf(undefined)).toBeUndefined();
  });
});

describe('given the utilization threshold', () => {
  it('should drain a node below it whose pods fit elsewhere, and keep the one above it', () => {
    const { cluster, pods } = smallAndBig((small) => [pod('web-0', small, '400m')]);
    const result = plan(cluster, { pods });
    expect(result.removeDrain.map((r) => [r.node, r.pods])).toEqual([['small', ['shop/web-0']]]);
    expect(result.removeDrain[0]).toMatchObject({
      pool: 'default',
      asgName: 'default-a',
      zone: ZONE_A,
      instanceId: 'i-small',
      nodeUid: 'uid-small',
    });
    expect(reasonOf(result, 'big')).toBe('utilization 0.60 (cpu) is not below the threshold 0.5');
  });

  it('should keep a node at exactly the threshold', () => {
    const { cluster, pods } = smallAndBig((small) => [pod('web-0', small, '965m')]);
    expect(reasonOf(plan(cluster, { pods }), 'small')).toBe(
      'utilization 0.50 (cpu) is not below the threshold 0.5',
    );
  });

  it("should use a pool's own threshold when one is set", () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2'] }]);
    const pods = [pod('web-0', 'a1', '1158m'), pod('web-1', 'a2', '100m')];
    expect(removed(plan(cluster, { pods }))).toEqual(['a2']);
    const relaxed = settings({ poolUtilizationThresholds: { default: 0.7 } });
    // a1 (0.60) is now a candidate too; it goes first only if a2's pods could then move, which they can't.
    const result = plan(cluster, { pods, settings: relaxed });
    expect(removed(result)).toEqual(['a2']);
    expect(reasonOf(result, 'a1')).toBe('pod shop/web-0 would not fit elsewhere: no other node to move to');
  });
});

describe('given unneeded time', () => {
  it('should start the clock on the first tick a node qualifies and remove it once the time has passed', () => {
    const cluster = build([{ name: 'default', nodes: ['a1'] }]);
    const first = plan(cluster, { unneededSince: {} });
    expect(first.unneededSince).toEqual({ a1: NOW });
    expect(removed(first)).toEqual([]);
    expect(reasonOf(first, 'a1')).toBe('unneeded for 0 s of 600 s');

    const later = plan(cluster, { unneededSince: first.unneededSince, now: NOW + 10 * MINUTE });
    expect(removed(later)).toEqual(['a1']);
    expect(later.removeEmpty[0]?.unneededSince).toBe(NOW);
  });

  it('should drop a node that no longer qualifies, and nodes that are gone', () => {
    const cluster = build([{ name: 'default', nodes: ['a1'] }]);
    const result = plan(cluster, {
      pods: [pod('web-0', 'a1', '1500m')],
      unneededSince: { a1: NOW - 5 * MINUTE, gone: NOW - 50 * MINUTE },
    });
    expect(result.unneededSince).toEqual({});
  });

  it('should wait the unready time for a node that is not Ready', () => {
    const cluster = build([{ name: 'default', nodes: ['a1'] }]);
    cluster.nodes[0] = { ...(cluster.nodes[0] as Node), ready: false };
    const early = plan(cluster, { unneededSince: { a1: NOW - 11 * MINUTE } });
    expect(reasonOf(early, 'a1')).toBe('unneeded for 660 s of 1200 s (not Ready)');
    expect(removed(plan(cluster, { unneededSince: { a1: NOW - 20 * MINUTE } }))).toEqual(['a1']);
  });
});

describe('given a recent scale-up', () => {
  it('should not remove nodes of that pool within the delay after add, and remove other pools’ nodes', () => {
    const cluster = build([
      { name: 'default', nodes: ['a1'] },
      { name: 'batch', nodes: ['b1'] },
    ]);
    const recent = plan(cluster, { lastScaleUp: { default: NOW - 5 * MINUTE } });
    expect(removed(recent)).toEqual(['b1']);
    expect(reasonOf(recent, 'a1')).toBe('pool default scaled up 300 s ago (delay after add 600 s)');
    // The node keeps being tracked meanwhile, so it goes as soon as the delay is over.
    expect(recent.unneededSince.a1).toBe(NOW - 11 * MINUTE);
    expect(removed(plan(cluster, { lastScaleUp: { default: NOW - 10 * MINUTE } }))).toEqual(['a1', 'b1']);
  });
});

describe('given pods and nodes that block removal', () => {
  it('should keep a node annotated scale-down-disabled', () => {
    const cluster = build([{ name: 'default', nodes: ['a1'] }]);
    const node = cluster.nodes[0] as Node;
    cluster.nodes[0] = { ...node, annotations: { [SCALE_DOWN_DISABLED_ANNOTATION]: 'true' } };
    const result = plan(cluster);
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'a1')).toBe(`node is annotated ${SCALE_DOWN_DISABLED_ANNOTATION}: "true"`);
    expect(result.unneededSince).toEqual({});
  });

  const cases: { name: string; pods: (node: string) => Pod[]; blocked?: string }[] = [
    {
      name: 'a pod no controller owns',
      pods: (node) => [makePod('solo', { cpu: '100m', nodeName: node })],
      blocked: 'pod shop/solo is not replicated (no controller owns it)',
    },
    {
      name: 'a pod no controller owns, marked safe to evict',
      pods: (node) => [
        annotated(makePod('solo', { cpu: '100m', nodeName: node }), { [SAFE_TO_EVICT_ANNOTATION]: 'true' }),
      ],
    },
    {
      name: 'a pod annotated safe-to-evict "false"',
      pods: (node) => [annotated(pod('web-0', node, '100m'), { [SAFE_TO_EVICT_ANNOTATION]: 'false' })],
      blocked: `pod shop/web-0 is annotated ${SAFE_TO_EVICT_ANNOTATION}: "false"`,
    },
    {
      name: 'a pod with local storage',
      pods: (node) => [{ ...pod('web-0', node, '100m'), localVolumes: ['cache'] }],
      blocked: 'pod shop/web-0 has local storage (cache)',
    },
    {
      name: 'a pod with local storage that lists only some volumes as safe',
      pods: (node) => [
        annotated(
          { ...pod('web-0', node, '100m'), localVolumes: ['cache', 'scratch'] },
          { [SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION]: 'cache' },
        ),
      ],
      blocked: 'pod shop/web-0 has local storage (scratch)',
    },
    {
      name: 'a pod with local storage that lists all its volumes as safe',
      pods: (node) => [
        annotated(
          { ...pod('web-0', node, '100m'), localVolumes: ['cache', 'scratch'] },
          { [SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION]: 'cache, scratch' },
        ),
      ],
    },
    {
      name: 'a pod with local storage marked safe to evict',
      pods: (node) => [
        annotated(
          { ...pod('web-0', node, '100m'), localVolumes: ['cache'] },
          { [SAFE_TO_EVICT_ANNOTATION]: 'true' },
        ),
      ],
    },
    {
      name: 'a kube-system pod without a PodDisruptionBudget',
      pods: (node) => [pod('coredns-0', node, '100m', { namespace: 'kube-system' })],
      blocked: 'pod kube-system/coredns-0 is a kube-system pod without a PodDisruptionBudget',
    },
    {
      name: 'a kube-system pod marked safe to evict',
      pods: (node) => [
        annotated(pod('coredns-0', node, '100m', { namespace: 'kube-system' }), {
          [SAFE_TO_EVICT_ANNOTATION]: 'true',
        }),
      ],
    },
    {
      name: 'daemon, static, finished and terminating pods only (the node is empty)',
      pods: (node) => [
        daemonPod('fluent-bit', node),
        annotated(makePod('kube-proxy', { namespace: 'kube-system', cpu: '100m', nodeName: node }), {
          [MIRROR_POD_ANNOTATION]: 'abc',
        }),
        makePod('report', { cpu: '100m', nodeName: node, phase: 'Succeeded' }),
        { ...makePod('leaving', { cpu: '100m', nodeName: node }), deletionTimestamp: NOW - SECOND },
      ],
    },
  ];

  for (const testCase of cases) {
    it(`given ${testCase.name}, should ${testCase.blocked ? 'keep' : 'remove'} the node`, () => {
      const { cluster, pods } = smallAndBig(testCase.pods);
      const result = plan(cluster, { pods });
      if (testCase.blocked) {
        expect(removed(result)).toEqual([]);
        expect(reasonOf(result, 'small')).toBe(testCase.blocked);
      } else {
        expect(removed(result)).toEqual(['small']);
      }
    });
  }

  it('should count a node with only daemon, static, finished and terminating pods as empty', () => {
    const { cluster, pods } = smallAndBig((node) => cases.at(-1)?.pods(node) ?? []);
    expect(plan(cluster, { pods }).removeEmpty.map((r) => r.node)).toEqual(['small']);
  });

  it('should let a kube-system pod go when a PodDisruptionBudget covers it', () => {
    const { cluster, pods } = smallAndBig((node) => [
      pod('coredns-0', node, '100m', { namespace: 'kube-system', labels: { k8s: 'dns' } }),
    ]);
    const pdbs = [makePdb('coredns', { k8s: 'dns' }, 1, 'kube-system')];
    expect(removed(plan(cluster, { pods, pdbs }))).toEqual(['small']);
    // A budget in another namespace covers nothing here.
    expect(removed(plan(cluster, { pods, pdbs: [makePdb('coredns', { k8s: 'dns' }, 1, 'shop')] }))).toEqual(
      [],
    );
  });

  it('should keep a node whose pod’s PodDisruptionBudget allows no disruption, even if marked safe to evict', () => {
    const { cluster, pods } = smallAndBig((node) => [
      annotated(pod('web-0', node, '100m', { labels: { app: 'web' } }), {
        [SAFE_TO_EVICT_ANNOTATION]: 'true',
      }),
    ]);
    const result = plan(cluster, { pods, pdbs: [makePdb('web', { app: 'web' }, 0)] });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'small')).toBe(
      'not enough pod disruption budget to move shop/web-0 (PodDisruptionBudget shop/web allows 0, 1 needed)',
    );
  });

  it('should keep a node with more pods of a budget than it allows', () => {
    const { cluster, pods } = smallAndBig((node) => [
      pod('web-0', node, '100m', { labels: { app: 'web' } }),
      pod('web-1', node, '100m', { labels: { app: 'web' } }),
    ]);
    expect(removed(plan(cluster, { pods, pdbs: [makePdb('web', { app: 'web' }, 1)] }))).toEqual([]);
    expect(removed(plan(cluster, { pods, pdbs: [makePdb('web', { app: 'web' }, 2)] }))).toEqual(['small']);
  });

  it('should share a budget between the nodes one plan drains', () => {
    const cluster = build([
      { name: 'blue', nodes: ['b1', 'b2'] },
      { name: 'green', nodes: ['g1', 'g2'] },
    ]);
    const pods = [
      pod('web-0', 'b1', '100m', { labels: { app: 'web' } }),
      pod('web-1', 'g1', '100m', { labels: { app: 'web' } }),
      pod('load-b', 'b2', '1158m'),
      pod('load-g', 'g2', '1158m'),
    ];
    const result = plan(cluster, { pods, pdbs: [makePdb('web', { app: 'web' }, 1)] });
    expect(result.removeDrain.map((r) => r.node)).toEqual(['b1']);
    expect(reasonOf(result, 'g1')).toBe(
      'not enough pod disruption budget to move shop/web-1 (PodDisruptionBudget shop/web allows 0, 1 needed)',
    );
    // Both are unneeded: the budget only decides which one goes this tick.
    expect(Object.keys(result.unneededSince).sort()).toEqual(['b1', 'g1']);
  });
});

describe('given group minimum sizes', () => {
  it('should never take a group below its minimum', () => {
    const cluster = build([
      { name: 'default', options: { minSize: 1 }, nodes: ['a1', 'a2', ['b1', ZONE_B]] },
    ]);
    const result = plan(cluster);
    expect(removed(result)).toEqual(['a1']);
    expect(reasonOf(result, 'a2')).toBe(
      'group default-a is at its minimum size 1 (desired 2, 1 other node(s) leaving)',
    );
    expect(reasonOf(result, 'b1')).toBe('group default-b is at its minimum size 1 (desired 1)');
    expect(result.unneededSince).toEqual({ a1: NOW - 11 * MINUTE });
  });

  it('should count nodes already being drained as leaving their group', () => {
    const cluster = build([{ name: 'default', options: { minSize: 1 }, nodes: ['a1', 'a2', 'a3'] }]);
    const result = plan(cluster, { draining: new Set(['a3']) });
    expect(removed(result)).toEqual(['a1']);
    expect(reasonOf(result, 'a2')).toMatch(/^group default-a is at its minimum size 1/);
    expect(reasonOf(result, 'a3')).toBeUndefined();
  });
});

describe('given pods that must fit elsewhere', () => {
  it('should say which pod would not fit and why, in the scheduler’s words', () => {
    const { cluster, pods } = smallAndBig((node) => [pod('web-1', node, '900m')]);
    const result = plan(cluster, { pods });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'small')).toBe('pod shop/web-1 would not fit elsewhere: Insufficient cpu');
  });

  it('should count the reasons of each node when they differ', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2', 'a3'] }]);
    cluster.nodes[2] = {
      ...(cluster.nodes[2] as Node),
      taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
    };
    const pods = [pod('web-1', 'a1', '900m'), pod('load', 'a2', '1158m'), pod('db', 'a3', '1158m')];
    const result = plan(cluster, { pods });
    expect(reasonOf(result, 'a1')).toBe(
      'pod shop/web-1 would not fit elsewhere: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}',
    );
  });

  it('should not move pods to a node with a taint they do not tolerate', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2'] }]);
    cluster.nodes[1] = {
      ...(cluster.nodes[1] as Node),
      taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
    };
    const pods = [pod('web-0', 'a1', '100m'), pod('db', 'a2', '1158m')];
    const result = plan(cluster, { pods });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'a1')).toBe(
      'pod shop/web-0 would not fit elsewhere: node(s) had untolerated taint {dedicated: db}',
    );
    const tolerating = [
      pod('web-0', 'a1', '100m', {
        scheduling: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] },
      }),
      pod('db', 'a2', '1158m'),
    ];
    expect(removed(plan(cluster, { pods: tolerating }))).toEqual(['a1']);
  });

  it('should keep a pod with a zonal volume in its zone', () => {
    const pods = [
      pod('db-0', 'a1', '100m', { scheduling: { persistentVolumeClaims: ['data-db-0'] } }),
      pod('load', 'a2', '1500m'),
    ];
    const claims = [{ namespace: 'shop', name: 'data-db-0', volumeName: 'pv-1', phase: 'Bound' as const }];
    const volumes = [{ name: 'pv-1', zones: [ZONE_A] }];
    const crossZone = build([{ name: 'default', nodes: ['a1', ['a2', ZONE_A], ['b1', ZONE_B]] }]);
    const result = plan(crossZone, {
      pods: [...pods, pod('load-b', 'b1', '1500m'), pod('web-0', 'a2', '100m')],
      claims,
      volumes,
    });
    // a1's volume pins db-0 to zone a, where a2 has 430m left: it fits there.
    expect(removed(result)).toContain('a1');

    const onlyOtherZone = build([{ name: 'default', nodes: ['a1', ['b1', ZONE_B]] }]);
    const blocked = plan(onlyOtherZone, {
      pods: [pods[0] as Pod, pod('load-b', 'b1', '1158m')],
      claims,
      volumes,
    });
    expect(reasonOf(blocked, 'a1')).toBe(
      'pod shop/db-0 would not fit elsewhere: node(s) had volume node affinity conflict',
    );
    expect(removed(blocked)).toEqual([]);
  });

  it('should keep a pod whose volume claim is missing where it is', () => {
    const { cluster, pods } = smallAndBig((node) => [
      pod('db-0', node, '100m', { scheduling: { persistentVolumeClaims: ['gone'] } }),
    ]);
    expect(reasonOf(plan(cluster, { pods }), 'small')).toBe(
      'pod shop/db-0 would not fit elsewhere: persistentvolumeclaim "gone" not found',
    );
  });

  it('should respect required anti-affinity on the hostname', () => {
    const spread = {
      labels: { app: 'web' },
      scheduling: {
        requiredPodAntiAffinity: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2'] }]);
    const pods = [pod('web-0', 'a1', '100m', spread), pod('web-1', 'a2', '1100m', spread)];
    const result = plan(cluster, { pods });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'a1')).toBe(
      "pod shop/web-0 would not fit elsewhere: node(s) didn't match pod anti-affinity rules",
    );
  });

  it('should not count the room of cordoned, not Ready or draining nodes, and count nodes outside the pools', () => {
    const pool = makePool('default');
    const tpl = pool.groups[0]?.template as never;
    for (const blocker of [{ unschedulable: true }, { ready: false }] as const) {
      const cluster = build([{ name: 'default', nodes: ['a1'] }], [makeNode('other', tpl, blocker)]);
      expect(removed(plan(cluster, { pods: [pod('web-0', 'a1', '100m')] }))).toEqual([]);
    }
    const tainted = build(
      [{ name: 'default', nodes: ['a1'] }],
      [makeNode('other', tpl, { taints: [DRAIN_TAINT] })],
    );
    expect(removed(plan(tainted, { pods: [pod('web-0', 'a1', '100m')] }))).toEqual([]);
    const draining = build([{ name: 'default', nodes: ['a1'] }], [makeNode('other', tpl)]);
    expect(
      removed(plan(draining, { pods: [pod('web-0', 'a1', '100m')], draining: new Set(['other']) })),
    ).toEqual([]);
    // A node no pool manages is never removed, but its room is real.
    const unmanaged = build([{ name: 'default', nodes: ['a1'] }], [makeNode('other', tpl)]);
    const result = plan(unmanaged, { pods: [pod('web-0', 'a1', '100m')] });
    expect(removed(result)).toEqual(['a1']);
    expect(reasonOf(result, 'other')).toBeUndefined();
  });

  it('should give the pods of drains in progress the room first', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2', 'x1'] }]);
    const pods = [pod('web-0', 'a1', '300m'), pod('load', 'a2', '330m'), pod('moving', 'x1', '1500m')];
    expect(removed(plan(cluster, { pods }))).toContain('a1');
    const result = plan(cluster, { pods, draining: new Set(['x1']) });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'a1')).toBe(
      'pod shop/moving (moving here from x1) would not fit elsewhere: Insufficient cpu',
    );
    expect(reasonOf(result, 'x1')).toBeUndefined();
  });

  it('should not count the same free room for two nodes', () => {
    // Each could take the other's pod, but not both could go.
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2'] }]);
    const pods = [pod('web-0', 'a1', '900m'), pod('web-1', 'a2', '900m')];
    const result = plan(cluster, { pods });
    expect(removed(result)).toEqual(['a1']);
    expect(Object.keys(result.unneededSince)).toEqual(['a1']);
    expect(reasonOf(result, 'a2')).toBe('pod shop/web-1 would not fit elsewhere: no other node to move to');
  });

  it('should move on the pods an earlier candidate moved onto a node that goes too', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2', 'a3'] }]);
    // a3 has 430m free: enough for one of the small pods, not for both.
    const pods = [pod('web-0', 'a1', '300m'), pod('web-1', 'a2', '300m'), pod('load', 'a3', '1500m')];
    const result = plan(cluster, { pods, settings: settings({ maxDrainsPerPoolPerTick: 5 }) });
    expect(removed(result)).toEqual(['a1']);
    expect(reasonOf(result, 'a2')).toBe(
      'pod shop/web-0 (moving here from a1) would not fit elsewhere: Insufficient cpu',
    );
  });
});

describe('given several nodes to remove', () => {
  it('should remove empty nodes first, in bulk up to the limit, and drain one node with pods per pool', () => {
    const empty = Array.from({ length: 12 }, (_, i) => `e${String(i + 1).padStart(2, '0')}`);
    const cluster = build([{ name: 'default', nodes: [...empty, 'n1', 'n2', 'big'] }]);
    const pods = [pod('web-0', 'n1', '300m'), pod('web-1', 'n2', '300m'), pod('load', 'big', '1158m')];
    const result = plan(cluster, { pods });
    expect(result.removeEmpty.map((r) => r.node)).toEqual(empty.slice(0, 10));
    expect(result.removeEmpty.every((r) => r.pods.length === 0)).toBe(true);
    expect(reasonOf(result, 'e11')).toBe('max 10 empty nodes per tick');
    expect(result.removeDrain.map((r) => r.node)).toEqual(['n1']);
    expect(reasonOf(result, 'n2')).toBe('max 1 drain(s) per pool per tick');
  });

  it('should drain one node per pool in the same tick', () => {
    const cluster = build([
      { name: 'blue', nodes: ['b1', 'b2', 'bbig'] },
      { name: 'green', nodes: ['g1', 'gbig'] },
    ]);
    const pods = [
      pod('web-0', 'b1', '300m'),
      pod('web-1', 'b2', '300m'),
      pod('web-2', 'g1', '300m'),
      pod('load-b', 'bbig', '1158m'),
      pod('load-g', 'gbig', '1158m'),
    ];
    expect(plan(cluster, { pods }).removeDrain.map((r) => r.node)).toEqual(['b1', 'g1']);
  });

  it('should count drains in progress against the drains at once', () => {
    const cluster = build([{ name: 'default', nodes: ['n1', 'big', 'x1'] }]);
    const pods = [pod('web-0', 'n1', '300m'), pod('load', 'big', '1158m'), pod('moving', 'x1', '100m')];
    const result = plan(cluster, {
      pods,
      draining: new Set(['x1']),
      settings: settings({ maxConcurrentDrains: 1 }),
    });
    expect(removed(result)).toEqual([]);
    expect(reasonOf(result, 'n1')).toBe('max 1 drains at once');
  });

  it('should remove fallback-pool nodes first, then spot, then the rest', () => {
    const cluster = build([
      { name: 'default', options: { priority: 10 }, nodes: ['d1'] },
      { name: 'spot', options: { priority: 10, capacityType: 'spot' }, nodes: ['s1'] },
      { name: 'fallback', options: { priority: 0 }, nodes: ['f1'] },
    ]);
    const result = plan(cluster, { settings: settings({ maxEmptyPerTick: 2 }) });
    expect(result.removeEmpty.map((r) => r.node)).toEqual(['f1', 's1']);
    expect(reasonOf(result, 'd1')).toBe('max 2 empty nodes per tick');
  });

  it('should drain the least utilized node first, then the oldest, then by name', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2', 'big'] }]);
    const pods = [pod('web-0', 'a1', '300m'), pod('web-1', 'a2', '100m'), pod('load', 'big', '1158m')];
    expect(plan(cluster, { pods }).removeDrain.map((r) => r.node)).toEqual(['a2']);

    const even = [pod('web-0', 'a1', '100m'), pod('web-1', 'a2', '100m'), pod('load', 'big', '1158m')];
    expect(plan(cluster, { pods: even }).removeDrain.map((r) => r.node)).toEqual(['a1']);
    cluster.nodes = cluster.nodes.map((node) =>
      node.name === 'a2' ? { ...node, creationTimestamp: -1 } : node,
    );
    expect(plan(cluster, { pods: even }).removeDrain.map((r) => r.node)).toEqual(['a2']);
  });

  it('should plan the same whatever the order of its input', () => {
    const cluster = build([
      { name: 'default', options: { priority: 10 }, nodes: ['d1', 'd2', 'd3', ['d4', ZONE_B]] },
      { name: 'fallback', nodes: ['f1', 'f2'] },
    ]);
    const pods = [
      pod('web-0', 'd1', '300m'),
      pod('web-1', 'd2', '900m'),
      pod('web-2', 'f1', '1200m'),
      pod('web-3', 'd4', '100m'),
    ];
    const forward = plan(cluster, { pods, unneededSince: longUnneeded('d1', 'd3', 'f1', 'f2') });
    const backward = plan(
      { ...cluster, nodes: [...cluster.nodes].reverse(), pools: [...cluster.pools].reverse() },
      { pods: [...pods].reverse(), unneededSince: longUnneeded('f2', 'f1', 'd3', 'd1') },
    );
    expect(backward).toEqual(forward);
    expect(removed(forward).length).toBeGreaterThan(0);
  });
});

describe('given fallback pools', () => {
  const pools: PoolSpec[] = [
    { name: 'default', options: { priority: 10 }, nodes: ['d1'] },
    { name: 'fallback', nodes: ['f1'] },
  ];

  it('should drain a busy fallback node once the preferred pool has room for its pods', () => {
    const cluster = build(pools);
    const pods = [pod('web-0', 'f1', '1500m'), pod('web-1', 'd1', '200m')];
    const result = plan(cluster, { pods });
    expect(result.removeDrain.map((r) => [r.node, r.pods])).toEqual([['f1', ['shop/web-0']]]);
    // d1 could have gone too on its own, but not once f1's pod is on it.
    expect(reasonOf(result, 'd1')).toBe('pod shop/web-1 would not fit elsewhere: no other node to move to');
  });

  it('should hold the preferred pool to the normal threshold', () => {
    const cluster = build([{ name: 'default', options: { priority: 10 }, nodes: ['d1', 'd2'] }]);
    const pods = [pod('web-0', 'd1', '1500m')];
    expect(reasonOf(plan(cluster, { pods }), 'd1')).toBe(
      'utilization 0.78 (cpu) is not below the threshold 0.5',
    );
  });

  it('should hint at a rebalance when the pods would fit a new node of the preferred pool', () => {
    const cluster = build(pools);
    const pods = [pod('web-0', 'f1', '1200m'), pod('busy', 'd1', '1800m')];
    const result = plan(cluster, { pods });
    expect(removed(result)).toEqual([]);
    expect(result.rebalance).toEqual([
      {
        node: 'f1',
        pool: 'fallback',
        preferredPool: 'default',
        pods: ['shop/web-0'],
        since: NOW,
        due: false,
      },
    ]);
    expect(result.rebalanceSince).toEqual({ f1: NOW });

    const backedOff = build([
      {
        name: 'default',
        options: { priority: 10, blocked: Object.fromEntries(ZONES.map((zone) => [zone, 'backed off'])) },
        nodes: ['d1'],
      },
      { name: 'fallback', nodes: ['f1'] },
    ]);
    expect(plan(backedOff, { pods }).rebalance).toEqual([]);
  });

  it('should make a hint due once the node has been hinted for the unneeded time, and forget it after', () => {
    const cluster = build(pools);
    const pods = [pod('web-0', 'f1', '1200m'), pod('busy', 'd1', '1800m')];
    const early = plan(cluster, { pods, rebalanceSince: { f1: NOW - 9 * MINUTE, gone: NOW - HOUR } });
    expect(early.rebalance.map((h) => [h.node, h.since, h.due])).toEqual([['f1', NOW - 9 * MINUTE, false]]);
    expect(early.rebalanceSince).toEqual({ f1: NOW - 9 * MINUTE });
    const due = plan(cluster, { pods, rebalanceSince: { f1: NOW - 10 * MINUTE } });
    expect(due.rebalance.map((h) => h.due)).toEqual([true]);

    // Once the preferred pool has room the node drains instead, and its hint is forgotten.
    const roomy = [pod('web-0', 'f1', '1200m'), pod('light', 'd1', '200m')];
    const after = plan(cluster, { pods: roomy, rebalanceSince: { f1: NOW - 20 * MINUTE } });
    expect(after.rebalance).toEqual([]);
    expect(after.rebalanceSince).toEqual({});
    expect(after.removeDrain.map((r) => r.node)).toEqual(['f1']);
  });

  it('should move a fallback node onto a new empty node of the preferred pool rather than remove that node', () => {
    const cluster = build([
      { name: 'default', options: { priority: 10 }, nodes: ['d1', 'd-new'] },
      { name: 'fallback', nodes: ['f1'] },
    ]);
    const pods = [pod('web-0', 'f1', '1200m'), pod('busy', 'd1', '1800m')];
    const result = plan(cluster, { pods });
    expect(result.removeDrain.map((r) => [r.node, r.pods])).toEqual([['f1', ['shop/web-0']]]);
    expect(result.removeEmpty).toEqual([]);
    expect(reasonOf(result, 'd-new')).toBe(
      'pod shop/web-0 (moving here from f1) would not fit elsewhere: Insufficient cpu',
    );
    expect(result.rebalance).toEqual([]);
  });
});

describe('given nodes that are already going', () => {
  it('should leave nodes being drained out of the plan', () => {
    const cluster = build([{ name: 'default', nodes: ['a1', 'a2'] }]);
    cluster.nodes[1] = {
      ...(cluster.nodes[1] as Node),
      taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1717380000', effect: 'NoSchedule' }],
    };
    const result = plan(cluster, { draining: new Set(['a1']) });
    expect(removed(result)).toEqual([]);
    expect(result.blocked).toEqual([]);
    expect(result.unneededSince).toEqual({});
  });
});
