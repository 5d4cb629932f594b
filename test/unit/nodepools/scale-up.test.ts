import { describe, expect, it } from 'vitest';
import { chooseExpansion, wasteOf } from '../../../shared/nodepools/expander';
import { NO_POOLS_REASON, planScaleUp, type ScaleUpPlan } from '../../../shared/nodepools/scale-up';
import {
  CAPACITY_TYPE_LABEL,
  NVIDIA_GPU_RESOURCE,
  SPOT_TAINT,
  ZONE_LABEL,
} from '../../../shared/nodepools/template-node';
import type { Pod, PodScheduling } from '../../../shared/ports/kubernetes';
import {
  M5_4XLARGE,
  M5_LARGE,
  M5_XLARGE,
  makeDaemonSet,
  makeNode,
  makePod,
  makePool,
  P3_2XLARGE,
  replicas,
  scaleUpInput,
  TEST_LIMITS,
  template,
  ZONES,
} from './fixtures';

/** New nodes per group, e.g. `{ 'default-a': 2 }`. */
function growth(plan: ScaleUpPlan): Record<string, number> {
  return Object.fromEntries(
    plan.increases.map((increase) => [increase.asgName, increase.to - increase.from]),
  );
}

function totalNew(plan: ScaleUpPlan): number {
  return plan.increases.reduce((sum, increase) => sum + increase.to - increase.from, 0);
}

function reasonsOf(plan: ScaleUpPlan, pod: string): string[] | undefined {
  return plan.unplaceable.find((item) => item.pod === pod)?.reasons;
}

const SPOT_OPT_IN: PodScheduling = {
  nodeSelector: { [CAPACITY_TYPE_LABEL]: 'spot' },
  tolerations: [{ key: SPOT_TAINT.key, operator: 'Equal', value: 'spot', effect: 'NoSchedule' }],
};

describe('given pending pods that fit nodes that exist or are coming', () => {
  it('should place them on Ready nodes with room and not scale up', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [makeNode('node-1', tpl)],
        pods: [makePod('busy', { cpu: '2', nodeName: 'node-1' })],
        pendingPods: replicas('web', 3, { cpu: '500m', memory: '1Gi' }),
      }),
    );
    expect(plan.fitsExisting).toEqual(['shop/web-0', 'shop/web-1', 'shop/web-2']);
    expect(plan.increases).toEqual([]);
  });

  it('should count the room the bound pods use and scale up for the pods that do not fit', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [makeNode('node-1', tpl)],
        // 3920m allocatable, 3 cores used: one 500m pod fits, the second does not.
        pods: [makePod('busy', { cpu: '3', nodeName: 'node-1' })],
        pendingPods: replicas('web', 2, { cpu: '500m' }),
      }),
    );
    expect(plan.fitsExisting).toEqual(['shop/web-0']);
    expect(totalNew(plan)).toBe(1);
    expect(plan.increases[0]?.pods).toEqual(['shop/web-1']);
  });

  it('should not use nodes that are not Ready or are cordoned', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [
          makeNode('booting', tpl, { ready: false }),
          makeNode('cordoned', tpl, { unschedulable: true }),
        ],
        pendingPods: [makePod('web-0', { cpu: '500m' })],
      }),
    );
    expect(plan.fitsExisting).toEqual([]);
    expect(totalNew(plan)).toBe(1);
  });

  it('should place pods on nodes being launched (desired above ready) before asking for more', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default', { instanceType: M5_XLARGE, desired: { 'eu-central-1a': 2 }, ready: 1 })],
        nodes: [
          makeNode('full', template(M5_XLARGE, 'eu-central-1a'), { allocatable: { cpu: '0', pods: '0' } }),
        ],
        // One node is coming: 3920m holds seven 500m pods; the eighth needs a new node.
        pendingPods: replicas('web', 8, { cpu: '500m' }),
      }),
    );
    expect(plan.fitsUpcoming).toHaveLength(7);
    expect(totalNew(plan)).toBe(1);
    expect(plan.increases[0]?.pods).toEqual(['shop/web-7']);
  });
});

describe('given requests, the template nodes', () => {
  it('should hold as many pods as CPU and memory allow', () => {
    // m5.large: 1930m and 6627 MiB; 900m/1Gi pods: two per node.
    const plan = planScaleUp(
      scaleUpInput({ pendingPods: replicas('web', 4, { cpu: '900m', memory: '1Gi' }) }),
    );
    expect(totalNew(plan)).toBe(2);
    const heavy = planScaleUp(
      scaleUpInput({ pendingPods: replicas('cache', 4, { cpu: '100m', memory: '3Gi' }) }),
    );
    expect(totalNew(heavy)).toBe(2);
  });

  it("should respect the template's max pods", () => {
    const pool = makePool('default', { maxPods: 29 }); // m5.large with the VPC CNI's ENI limit
    const plan = planScaleUp(
      scaleUpInput({ pools: [pool], pendingPods: replicas('tiny', 55, { cpu: '10m' }) }),
    );
    expect(totalNew(plan)).toBe(2);
  });

  it('should send GPU pods only to the GPU pool', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default'), makePool('gpu', { instanceType: P3_2XLARGE, priority: -10 })],
        pendingPods: [
          ...replicas('train', 2, { cpu: '4', requests: { [NVIDIA_GPU_RESOURCE]: '1' } }),
          makePod('web', { cpu: '100m' }),
        ],
      }),
    );
    expect(plan.increases.filter((i) => i.pool === 'gpu').flatMap((i) => i.pods)).toEqual([
      'shop/train-0',
      'shop/train-1',
    ]);
    expect(plan.increases.filter((i) => i.pool === 'default').flatMap((i) => i.pods)).toEqual(['shop/web']);
    expect(totalNew(plan)).toBe(3);
  });

  it('should report an extended resource no template offers', () => {
    const plan = planScaleUp(
      scaleUpInput({ pendingPods: [makePod('fpga', { cpu: '1', requests: { 'example.com/fpga': '1' } })] }),
    );
    expect(reasonsOf(plan, 'shop/fpga')).toEqual([
      'pool default: Insufficient example.com/fpga (needs 1, template has 0)',
    ]);
  });

  it('should hold templates to the ephemeral storage they declare, and not to 0 when they declare none', () => {
    const asks = [makePod('batch', { cpu: '1', requests: { 'ephemeral-storage': '30Gi' } })];
    const declared = makePool('default', { extraAllocatable: { 'ephemeral-storage': '20Gi' } });
    expect(
      reasonsOf(planScaleUp(scaleUpInput({ pools: [declared], pendingPods: asks })), 'shop/batch'),
    ).toEqual(['pool default: Insufficient ephemeral-storage (needs 30Gi, template has 20Gi)']);
    expect(totalNew(planScaleUp(scaleUpInput({ pendingPods: asks })))).toBe(1);
  });

  it('should count sidecars in the requests', () => {
    const pod = (name: string) =>
      makePod(name, {
        owner: 'web',
        containers: [{ name: 'app', requests: { cpu: '900m' }, limits: {} }],
        initContainers: [{ name: 'proxy', requests: { cpu: '100m' }, limits: {}, restartPolicy: 'Always' }],
      });
    // 1000m each: one per m5.large (1930m), where 900m alone would give two.
    const plan = planScaleUp(scaleUpInput({ pendingPods: [pod('web-0'), pod('web-1')] }));
    expect(totalNew(plan)).toBe(2);
  });
});

describe('given DaemonSets, the template room', () => {
  const pods = () => replicas('web', 4, { cpu: '900m' });

  it('should subtract the daemon pods that land on every new node', () => {
    expect(totalNew(planScaleUp(scaleUpInput({ pendingPods: pods() })))).toBe(2);
    const withDaemons = planScaleUp(
      scaleUpInput({ pendingPods: pods(), daemonSets: [makeDaemonSet('aws-node', { cpu: '200m' })] }),
    );
    expect(totalNew(withDaemons)).toBe(4);
  });

  it('should not subtract daemons whose selector or tolerations keep them off the template', () => {
    const daemonSets = [
      makeDaemonSet('gpu-plugin', { cpu: '200m' }, { nodeSelector: { 'nvidia.com/gpu.present': 'true' } }),
    ];
    expect(totalNew(planScaleUp(scaleUpInput({ pendingPods: pods(), daemonSets })))).toBe(2);
    const spot = makePool('spot', { capacityType: 'spot' });
    const onSpot = replicas('web', 4, { cpu: '900m', scheduling: SPOT_OPT_IN });
    const untolerating = [makeDaemonSet('agent', { cpu: '200m' })];
    expect(
      totalNew(planScaleUp(scaleUpInput({ pools: [spot], pendingPods: onSpot, daemonSets: untolerating }))),
    ).toBe(2);
    const tolerating = [makeDaemonSet('agent', { cpu: '200m' }, { tolerations: [{ operator: 'Exists' }] })];
    expect(
      totalNew(planScaleUp(scaleUpInput({ pools: [spot], pendingPods: onSpot, daemonSets: tolerating }))),
    ).toBe(4);
  });

  it('should count daemon pods against max pods', () => {
    const pool = makePool('default', { maxPods: 29 });
    const tiny = replicas('tiny', 55, { cpu: '10m' });
    const daemonSets = [
      makeDaemonSet('aws-node', { cpu: '10m' }),
      makeDaemonSet('kube-proxy', { cpu: '10m' }),
    ];
    expect(totalNew(planScaleUp(scaleUpInput({ pools: [pool], pendingPods: tiny, daemonSets })))).toBe(3);
  });
});

describe('given spot pools, spot is opt-in', () => {
  const pools = () => [makePool('spot', { capacityType: 'spot', priority: 10 }), makePool('default')];

  it('should never put a pod without the toleration on spot, even when spot has the higher priority', () => {
    const plan = planScaleUp(scaleUpInput({ pools: pools(), pendingPods: [makePod('web', { cpu: '1' })] }));
    expect(plan.increases.map((i) => i.pool)).toEqual(['default']);
  });

  it('should put a pod that selects and tolerates spot on spot', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: pools(),
        pendingPods: [makePod('batch', { cpu: '1', scheduling: SPOT_OPT_IN })],
      }),
    );
    expect(plan.increases.map((i) => i.pool)).toEqual(['spot']);
  });

  it('should say why the spot pool does not take a pod', () => {
    const blocked = Object.fromEntries(ZONES.map((zone) => [zone, 'backed off until 12:00']));
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('spot', { capacityType: 'spot', priority: 10 }), makePool('default', { blocked })],
        pendingPods: [makePod('web', { cpu: '1' })],
      }),
    );
    expect(reasonsOf(plan, 'shop/web')).toEqual([
      'pool spot: node(s) had untolerated taint {node.kubernetes.io/lifecycle: spot}',
      'pool default (eu-central-1a): backed off until 12:00',
      'pool default (eu-central-1b): backed off until 12:00',
      'pool default (eu-central-1c): backed off until 12:00',
    ]);
  });
});

describe('given a pod with a zonal volume', () => {
  it("should grow only its zone's group", () => {
    const plan = planScaleUp(
      scaleUpInput({
        pendingPods: [makePod('db-0', { cpu: '1', scheduling: { persistentVolumeClaims: ['data-db-0'] } })],
        claims: [{ namespace: 'shop', name: 'data-db-0', volumeName: 'pv-1', phase: 'Bound' }],
        volumes: [{ name: 'pv-1', zones: ['eu-central-1b'] }],
      }),
    );
    expect(growth(plan)).toEqual({ 'default-b': 1 });
  });

  it('should fall back to another pool in the same zone when its group is blocked', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [
          makePool('default', { blocked: { 'eu-central-1b': 'backed off' } }),
          makePool('fallback', { instanceType: M5_XLARGE, priority: -10 }),
        ],
        pendingPods: [makePod('db-0', { cpu: '1', scheduling: { persistentVolumeClaims: ['data-db-0'] } })],
        claims: [{ namespace: 'shop', name: 'data-db-0', volumeName: 'pv-1', phase: 'Bound' }],
        volumes: [{ name: 'pv-1', zones: ['eu-central-1b'] }],
      }),
    );
    expect(growth(plan)).toEqual({ 'fallback-b': 1 });
  });

  it('should not pin a pod whose claim waits for its first consumer', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pendingPods: [makePod('db-0', { cpu: '1', scheduling: { persistentVolumeClaims: ['data-db-0'] } })],
        claims: [{ namespace: 'shop', name: 'data-db-0', phase: 'Pending' }],
      }),
    );
    expect(growth(plan)).toEqual({ 'default-a': 1 });
  });

  it('should report a pod whose claim does not exist', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pendingPods: [makePod('db-0', { cpu: '1', scheduling: { persistentVolumeClaims: ['data-db-0'] } })],
      }),
    );
    expect(plan.unplaceable).toEqual([
      { pod: 'shop/db-0', reasons: ['persistentvolumeclaim "data-db-0" not found'] },
    ]);
    expect(plan.increases).toEqual([]);
  });
});

describe('given required pod anti-affinity on the hostname', () => {
  const spread = (count: number) =>
    replicas('web', count, {
      cpu: '100m',
      labels: { app: 'web' },
      scheduling: {
        requiredPodAntiAffinity: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    });

  it('should open one node per replica', () => {
    const plan = planScaleUp(scaleUpInput({ pendingPods: spread(3) }));
    expect(growth(plan)).toEqual({ 'default-a': 1, 'default-b': 1, 'default-c': 1 });
  });

  it('should not use an existing node that already runs a replica', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [makeNode('with-replica', tpl), makeNode('empty', tpl)],
        pods: [makePod('web-old', { cpu: '100m', labels: { app: 'web' }, nodeName: 'with-replica' })],
        pendingPods: spread(2),
      }),
    );
    expect(plan.fitsExisting).toEqual(['shop/web-0']);
    expect(totalNew(plan)).toBe(1);
  });

  it('should respect the anti-affinity of pods already on a node', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [makeNode('node-1', tpl)],
        pods: [
          makePod('loner', {
            cpu: '100m',
            nodeName: 'node-1',
            scheduling: {
              requiredPodAntiAffinity: [
                { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          }),
        ],
        pendingPods: [makePod('web-0', { cpu: '100m', labels: { app: 'web' } })],
      }),
    );
    expect(plan.fitsExisting).toEqual([]);
    expect(totalNew(plan)).toBe(1);
  });
});

describe('given host ports', () => {
  it('should put one pod per port on a node', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pendingPods: replicas('ingress', 2, { cpu: '100m', scheduling: { hostPorts: [443] } }),
      }),
    );
    expect(totalNew(plan)).toBe(2);
  });
});

describe('given a pool with no nodes', () => {
  it('should scale it from zero with the labels and taints of its template', () => {
    const batch = makePool('batch', {
      labels: { workload: 'batch' },
      taints: [{ key: 'workload', value: 'batch', effect: 'NoSchedule' }],
    });
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default'), batch],
        pendingPods: [
          makePod('job', {
            cpu: '1',
            scheduling: {
              nodeSelector: { workload: 'batch' },
              tolerations: [{ key: 'workload', operator: 'Exists' }],
            },
          }),
        ],
      }),
    );
    expect(plan.increases).toEqual([
      { pool: 'batch', asgName: 'batch-a', zone: 'eu-central-1a', from: 0, to: 1, pods: ['shop/job'] },
    ]);
  });

  it('should keep pods without the toleration off a tainted pool', () => {
    const batch = makePool('batch', { taints: [{ key: 'workload', value: 'batch', effect: 'NoSchedule' }] });
    const plan = planScaleUp(scaleUpInput({ pools: [batch], pendingPods: [makePod('web', { cpu: '1' })] }));
    expect(reasonsOf(plan, 'shop/web')).toEqual([
      'pool batch: node(s) had untolerated taint {workload: batch}',
    ]);
  });
});

describe('given pools of several priorities', () => {
  it('should grow the highest priority pool that can take the pods', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('fallback', { instanceType: M5_XLARGE, priority: -10 }), makePool('default')],
        pendingPods: replicas('web', 2, { cpu: '500m' }),
      }),
    );
    expect(plan.increases.map((i) => i.pool)).toEqual(['default']);
  });

  it('should fall back to the next priority when the default pool is backed off', () => {
    const blocked = Object.fromEntries(ZONES.map((zone) => [zone, 'backed off until 12:00']));
    const plan = planScaleUp(
      scaleUpInput({
        pools: [
          makePool('default', { blocked }),
          makePool('fallback', { instanceType: M5_XLARGE, priority: -10 }),
        ],
        pendingPods: replicas('web', 2, { cpu: '500m' }),
      }),
    );
    expect(plan.increases.map((i) => i.pool)).toEqual(['fallback']);
    expect(plan.unplaceable).toEqual([]);
  });

  it('should use the zones of the default pool that are not backed off', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [
          makePool('default', { blocked: { 'eu-central-1a': 'backed off' } }),
          makePool('fallback', { instanceType: M5_XLARGE, priority: -10 }),
        ],
        pendingPods: replicas('web', 4, { cpu: '1500m' }),
      }),
    );
    expect(growth(plan)).toEqual({ 'default-b': 2, 'default-c': 2 });
  });

  it('should send a pod too big for the default pool to a pool that fits, and the rest to default', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default'), makePool('big', { instanceType: M5_4XLARGE, priority: -10 })],
        pendingPods: [makePod('etl', { cpu: '6', memory: '24Gi' }), ...replicas('web', 2, { cpu: '500m' })],
      }),
    );
    expect(plan.increases.map((i) => [i.pool, i.pods])).toEqual([
      ['default', ['shop/web-0', 'shop/web-1']],
      ['big', ['shop/etl']],
    ]);
  });
});

describe('given pools of the same priority, least waste', () => {
  const pools = () => [
    makePool('a-big', { instanceType: M5_4XLARGE }),
    makePool('b-small', { instanceType: M5_XLARGE }),
  ];

  it('should choose the pool whose new nodes the pods fill best', () => {
    // Two 1800m/3Gi pods: one m5.xlarge (3920m) is nearly full, one m5.4xlarge mostly empty.
    const small = planScaleUp(
      scaleUpInput({ pools: pools(), pendingPods: replicas('web', 2, { cpu: '1800m', memory: '3Gi' }) }),
    );
    expect(small.increases.map((i) => i.pool)).toEqual(['b-small']);
    // Seven 2100m pods: one per m5.xlarge (46% idle) against seven on one m5.4xlarge (7% idle).
    const big = planScaleUp(
      scaleUpInput({ pools: pools(), pendingPods: replicas('web', 7, { cpu: '2100m', memory: '1Gi' }) }),
    );
    expect(big.increases.map((i) => i.pool)).toEqual(['a-big']);
    expect(totalNew(big)).toBe(1);
  });

  it('should score waste as the idle share of CPU plus that of memory, and break ties by pods then name', () => {
    expect(
      wasteOf({ allocatableCpu: 4000, requestedCpu: 3000, allocatableMemory: 16, requestedMemory: 8 }),
    ).toBe(0.75);
    const option = { priority: 0, nodes: 1, pods: 2, waste: 0.5 };
    expect(
      chooseExpansion([
        { ...option, pool: 'b' },
        { ...option, pool: 'a' },
      ])?.pool,
    ).toBe('a');
    expect(
      chooseExpansion([
        { ...option, pool: 'a' },
        { ...option, pool: 'b', pods: 3 },
      ])?.pool,
    ).toBe('b');
    expect(
      chooseExpansion([
        { ...option, pool: 'a', waste: 0.2, priority: -1 },
        { ...option, pool: 'b' },
      ])?.pool,
    ).toBe('b');
    expect(chooseExpansion([{ ...option, pool: 'a', pods: 0 }])).toBeUndefined();
  });
});

describe('given pods without zone constraints', () => {
  it('should balance new nodes across zones', () => {
    // 3 cores each: one per m5.xlarge.
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default', { instanceType: M5_XLARGE })],
        pendingPods: replicas('web', 9, { cpu: '3' }),
      }),
    );
    expect(growth(plan)).toEqual({ 'default-a': 3, 'default-b': 3, 'default-c': 3 });
  });

  it('should grow the smaller groups first', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default', { instanceType: M5_XLARGE, desired: { 'eu-central-1a': 2 } })],
        pendingPods: replicas('web', 9, { cpu: '3' }),
      }),
    );
    expect(plan.increases.map((i) => [i.asgName, i.from, i.to])).toEqual([
      ['default-a', 2, 4],
      ['default-b', 0, 4],
      ['default-c', 0, 3],
    ]);
  });

  it('should keep pods that select a zone in that zone', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default', { instanceType: M5_XLARGE })],
        pendingPods: replicas('web', 3, {
          cpu: '3',
          scheduling: { nodeSelector: { [ZONE_LABEL]: 'eu-central-1c' } },
        }),
      }),
    );
    expect(growth(plan)).toEqual({ 'default-c': 3 });
  });
});

describe('given limits', () => {
  const nine = () => replicas('web', 9, { cpu: '3' });
  const xlarge = (options = {}) => makePool('default', { instanceType: M5_XLARGE, ...options });

  it("should stop at a group's max size and say so", () => {
    const plan = planScaleUp(scaleUpInput({ pools: [xlarge({ maxSize: 2 })], pendingPods: nine() }));
    expect(growth(plan)).toEqual({ 'default-a': 2, 'default-b': 2, 'default-c': 2 });
    expect(plan.unplaceable).toHaveLength(3);
    expect(reasonsOf(plan, 'shop/web-8')).toEqual([
      'pool default (eu-central-1a): group max 2 nodes',
      'pool default (eu-central-1b): group max 2 nodes',
      'pool default (eu-central-1c): group max 2 nodes',
    ]);
    expect(plan.limitsReached).toEqual([
      'pool default (eu-central-1a): group max 2 nodes (default-a)',
      'pool default (eu-central-1b): group max 2 nodes (default-b)',
      'pool default (eu-central-1c): group max 2 nodes (default-c)',
    ]);
  });

  it("should stop at the pool's max nodes, counting the desired capacity of all its groups", () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [xlarge({ maxNodes: 5, desired: { 'eu-central-1a': 1 } })],
        pendingPods: nine(),
      }),
    );
    expect(totalNew(plan)).toBe(4);
    expect(reasonsOf(plan, 'shop/web-8')).toEqual(['pool default: pool max 5 nodes']);
    expect(plan.limitsReached).toEqual(['pool default max 5 nodes']);
  });

  it("should stop at the cluster's max nodes from the network plan, counting nodes and nodes coming", () => {
    const limits = {
      ...TEST_LIMITS,
      maxNodes: 8,
      maxNodesSource: 'the network plan (10.2.0.0/16, /25 per node)',
    };
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const full = { allocatable: { cpu: '0', pods: '0' } };
    const plan = planScaleUp(
      scaleUpInput({
        limits,
        pools: [xlarge({ desired: { 'eu-central-1b': 2 }, ready: 0 })],
        nodes: [makeNode('n1', tpl, full), makeNode('n2', tpl, full), makeNode('n3', tpl, full)],
        pendingPods: replicas('web', 9, { cpu: '3' }),
      }),
    );
    // 3 nodes + 2 coming (they take two pods) + 3 new = 8.
    expect(plan.fitsUpcoming).toHaveLength(2);
    expect(totalNew(plan)).toBe(3);
    expect(plan.unplaceable).toHaveLength(4);
    const expected = 'cluster max 8 nodes (the network plan (10.2.0.0/16, /25 per node))';
    expect(reasonsOf(plan, 'shop/web-8')).toEqual([`pool default: ${expected}`]);
    expect(plan.limitsReached).toEqual([expected]);
  });

  it('should add at most the nodes one tick may add', () => {
    const plan = planScaleUp(
      scaleUpInput({
        limits: { ...TEST_LIMITS, maxNodesPerTick: 4 },
        pools: [xlarge()],
        pendingPods: nine(),
      }),
    );
    expect(totalNew(plan)).toBe(4);
    expect(plan.limitsReached).toEqual(['max 4 new nodes per tick']);
  });

  it('should stop at the cluster vCPU and memory limits, counting every node', () => {
    const tpl = template(M5_XLARGE, 'eu-central-1a');
    const full = { allocatable: { cpu: '0', pods: '0' } };
    const plan = planScaleUp(
      scaleUpInput({
        limits: { ...TEST_LIMITS, maxVcpus: 20 },
        pools: [xlarge()],
        nodes: [makeNode('n1', tpl, full), makeNode('n2', tpl, full)],
        pendingPods: nine(),
      }),
    );
    expect(totalNew(plan)).toBe(3); // 8 vCPUs exist, three more 4-vCPU nodes make 20
    expect(reasonsOf(plan, 'shop/web-8')).toEqual(['pool default: cluster max 20 vCPUs']);
    const memory = planScaleUp(
      scaleUpInput({
        limits: { ...TEST_LIMITS, maxMemoryMiB: 40_000 },
        pools: [xlarge()],
        pendingPods: nine(),
      }),
    );
    expect(totalNew(memory)).toBe(2);
    expect(memory.limitsReached).toEqual(['cluster max 40000 MiB memory']);
  });

  it('should fall back to the next pool when the default pool is at its max', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [xlarge({ maxNodes: 3 }), makePool('fallback', { instanceType: M5_4XLARGE, priority: -10 })],
        pendingPods: nine(),
      }),
    );
    expect(plan.increases.map((i) => [i.pool, i.pods.length])).toEqual([
      ['default', 1],
      ['default', 1],
      ['default', 1],
      ['fallback', 5],
      ['fallback', 1],
    ]);
    expect(plan.limitsReached).toEqual(['pool default max 3 nodes']);
  });
});

describe('given pods no pool can take', () => {
  it('should give one reason per pool', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [
          makePool('default'),
          makePool('gpu', {
            instanceType: P3_2XLARGE,
            priority: -10,
            labels: { accelerator: 'v100' },
            taints: [{ key: NVIDIA_GPU_RESOURCE, value: 'present', effect: 'NoSchedule' }],
          }),
        ],
        pendingPods: [
          makePod('huge', { cpu: '9', memory: '70Gi' }),
          makePod('picky', { cpu: '1', scheduling: { nodeSelector: { accelerator: 'v100' } } }),
        ],
      }),
    );
    expect(plan.unplaceable).toEqual([
      {
        pod: 'shop/huge',
        reasons: [
          'pool default: Insufficient cpu (needs 9, template has 1.93), Insufficient memory (needs 70Gi, template has 6.47Gi)',
          'pool gpu: node(s) had untolerated taint {nvidia.com/gpu: present}',
        ],
      },
      {
        pod: 'shop/picky',
        reasons: [
          "pool default: node(s) didn't match Pod's node affinity/selector",
          'pool gpu: node(s) had untolerated taint {nvidia.com/gpu: present}',
        ],
      },
    ]);
    expect(plan.increases).toEqual([]);
  });

  it('should say so when there are no pools', () => {
    const plan = planScaleUp(scaleUpInput({ pools: [], pendingPods: [makePod('web', { cpu: '1' })] }));
    expect(plan.unplaceable).toEqual([{ pod: 'shop/web', reasons: [NO_POOLS_REASON] }]);
  });

  it('should not put a pod pinned to an existing node by name on a new node', () => {
    const tpl = template(M5_LARGE, 'eu-central-1a');
    const plan = planScaleUp(
      scaleUpInput({
        nodes: [makeNode('node-1', tpl, { allocatable: { cpu: '0', pods: '110' } })],
        pendingPods: [
          makePod('pinned', {
            cpu: '1',
            scheduling: {
              requiredNodeAffinity: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
              ],
            },
          }),
        ],
      }),
    );
    expect(reasonsOf(plan, 'shop/pinned')).toEqual([
      "pool default: node(s) didn't match Pod's node affinity/selector",
    ]);
  });
});

describe('given more constraints', () => {
  it('should subtract DaemonSet pods from nodes being launched too', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default', { desired: { 'eu-central-1a': 1 }, ready: 0 })],
        daemonSets: [makeDaemonSet('aws-node', { cpu: '200m' })],
        pendingPods: replicas('web', 2, { cpu: '900m' }),
      }),
    );
    expect(plan.fitsUpcoming).toEqual(['shop/web-0']);
    expect(totalNew(plan)).toBe(1);
  });

  it('should ignore PreferNoSchedule taints on templates', () => {
    const pool = makePool('default', { taints: [{ key: 'soft', value: 'yes', effect: 'PreferNoSchedule' }] });
    expect(
      totalNew(planScaleUp(scaleUpInput({ pools: [pool], pendingPods: [makePod('web', { cpu: '1' })] }))),
    ).toBe(1);
  });

  it('should keep pods of two Deployments that repel each other on separate new nodes', () => {
    const plan = planScaleUp(
      scaleUpInput({
        pendingPods: [
          makePod('web-0', {
            owner: 'web',
            cpu: '100m',
            labels: { app: 'web' },
            scheduling: {
              requiredPodAntiAffinity: [
                { labelSelector: { matchLabels: { app: 'batch' } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          }),
          makePod('batch-0', { owner: 'batch', cpu: '100m', labels: { app: 'batch' } }),
        ],
      }),
    );
    expect(totalNew(plan)).toBe(2);
  });

  it('should place pods that select a pool on its existing nodes with room', () => {
    const gpu = makePool('gpu', { instanceType: P3_2XLARGE, labels: { accelerator: 'v100' }, desired: 1 });
    const node = makeNode('gpu-1', gpu.groups[0]?.template ?? template(P3_2XLARGE, 'eu-central-1a'));
    const plan = planScaleUp(
      scaleUpInput({
        pools: [makePool('default'), gpu],
        nodes: [makeNode('default-1', template(M5_LARGE, 'eu-central-1a')), node],
        pendingPods: [
          makePod('train', {
            cpu: '4',
            requests: { [NVIDIA_GPU_RESOURCE]: '1' },
            scheduling: { nodeSelector: { accelerator: 'v100' } },
          }),
        ],
      }),
    );
    expect(plan.fitsExisting).toEqual(['shop/train']);
    expect(plan.increases).toEqual([]);
  });

  it('should report a zone the pool does not have', () => {
    const pool = makePool('default', { zones: ['eu-central-1a', 'eu-central-1b'] });
    const plan = planScaleUp(
      scaleUpInput({
        pools: [pool],
        pendingPods: [
          makePod('web', { cpu: '1', scheduling: { nodeSelector: { [ZONE_LABEL]: 'eu-central-1c' } } }),
        ],
      }),
    );
    expect(reasonsOf(plan, 'shop/web')).toEqual([
      "pool default: node(s) didn't match Pod's node affinity/selector",
    ]);
  });
});

describe('given the same input in any order', () => {
  it('should make the same plan', () => {
    const pending: Pod[] = [
      ...replicas('web', 7, { cpu: '700m', memory: '1Gi' }),
      ...replicas('api', 5, { cpu: '1200m', memory: '2Gi' }),
      ...replicas('batch', 4, { cpu: '3', memory: '4Gi', scheduling: SPOT_OPT_IN }),
      makePod('etl', { cpu: '6', memory: '24Gi' }),
    ];
    const pools = [
      makePool('default'),
      makePool('spot', { capacityType: 'spot', instanceType: M5_XLARGE }),
      makePool('big', { instanceType: M5_4XLARGE, priority: -10 }),
    ];
    const forward = planScaleUp(scaleUpInput({ pools, pendingPods: pending }));
    const backward = planScaleUp(
      scaleUpInput({ pools: [...pools].reverse(), pendingPods: [...pending].reverse() }),
    );
    expect(backward).toEqual(forward);
    expect(forward.unplaceable).toEqual([]);
    expect(forward.increases.map((i) => i.pool)).toEqual([
      'default',
      'default',
      'default',
      'spot',
      'spot',
      'spot',
      'big',
    ]);
  });
});
