import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, scaleTargetKeyString } from '../../../shared/ports/kubernetes';
import { METRICS_RESOLUTION_MS, SimCluster, WARM_POD_AGE_MS } from '../../../shared/sim/cluster';
import {
  DAEMON_POD_TOLERATIONS,
  type DaemonSetSpec,
  SYSTEM_NODE_CRITICAL_PRIORITY,
} from '../../../shared/sim/daemon-set';
import type { NodeSpec } from '../../../shared/sim/node';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { parseMilliNumber, parseQuantityNumber } from '../../../shared/units/quantity';
import { isReady, START, smallCluster, webTarget, workload } from './fixtures';

describe('SimCluster pods', () => {
  it('given a scale-up, should create pods that are scheduled, start and become Ready after their delays', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 0 }));
    const scale = await cluster.getScale(webTarget);
    expect(scale?.specReplicas).toBe(0);
    await cluster.updateScale(webTarget, 3, scale?.resourceVersion ?? '');
    cluster.reconcile();

    let pods = await cluster.listPods();
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.nodeName).toMatch(/^node-/);
      expect(pod.phase).toBe('Pending');
      expect(pod.startTime).toBe(START);
      expect(pod.labels).toMatchObject({ app: 'web' });
      expect(pod.name).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}$/);
      expect(pod.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
      expect(isReady(pod)).toBe(false);
    }

    // Start-up delay 10 s ± 20 %: all running by 12 s, none Ready before 10 s + 20 s × 0.8.
    clock.advance(12_000);
    pods = await cluster.listPods();
    expect(pods.every((pod) => pod.phase === 'Running')).toBe(true);
    expect(pods.some(isReady)).toBe(false);

    clock.advance(25_000);
    pods = await cluster.listPods();
    expect(pods.every(isReady)).toBe(true);
    for (const pod of pods) {
      const ready = pod.conditions.find((condition) => condition.type === 'Ready');
      expect(ready?.lastTransitionTime).toBeGreaterThan(START + 10_000);
      expect(ready?.lastTransitionTime).toBeLessThanOrEqual(clock.now());
    }
    const after = await cluster.getScale(webTarget);
    expect(after?.statusReplicas).toBe(3);
  });

  it('given a scale-down, should terminate the youngest Ready pods with a deletionTimestamp for the grace period', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3 }), { warm: true });
    clock.advance(60_000);
    cluster.reconcile();
    cluster.setReplicas('shop', 'web', 4);
    cluster.reconcile();
    const newest = (await cluster.listPods()).find((pod) => pod.creationTimestamp === clock.now());
    expect(newest).toBeDefined();
    clock.advance(60_000);
    cluster.reconcile();

    const scale = await cluster.getScale(webTarget);
    await cluster.updateScale(webTarget, 2, scale?.resourceVersion ?? '');
    cluster.reconcile();
    const pods = await cluster.listPods();
    const terminating = pods.filter((pod) => pod.deletionTimestamp !== undefined);
    expect(terminating).toHaveLength(2);
    expect(terminating.map((pod) => pod.name)).toContain(newest?.name);
    for (const pod of terminating) {
      expect(pod.deletionTimestamp).toBe(clock.now());
      expect(pod.phase).toBe('Running');
      expect(isReady(pod)).toBe(false);
    }
    expect((await cluster.getScale(webTarget))?.statusReplicas).toBe(2);

    clock.advance(14_999);
    expect(await cluster.listPods()).toHaveLength(4);
    clock.advance(1);
    expect(await cluster.listPods()).toHaveLength(2);
  });

  it('given no room, should leave pods unscheduled with PodScheduled False and count pending pod-seconds', async () => {
    const { clock, cluster } = smallCluster(1);
    // 4 cores allocatable, 1.5 cores a pod: two fit.
    cluster.addWorkload(
      workload({ replicas: 3, containers: [{ name: 'app', requests: { cpu: '1500m', memory: '1Gi' } }] }),
    );
    cluster.reconcile();
    let pods = await cluster.listPods();
    const pending = pods.filter((pod) => pod.nodeName === undefined);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.conditions).toEqual([
      { type: 'PodScheduled', status: 'False', lastTransitionTime: START, reason: 'Unschedulable' },
    ]);
    expect(cluster.clusterSnapshot().unscheduledPods).toBe(1);

    clock.advance(30_000);
    cluster.addNode({ name: 'node-2', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
    cluster.reconcile();
    pods = await cluster.listPods();
    expect(pods.every((pod) => pod.nodeName !== undefined)).toBe(true);
    expect(cluster.pendingPodSeconds()).toBe(30);
  });

  it('given a full node by pod count, should not schedule beyond max pods', () => {
    const clock = new VirtualClock(START);
    const cluster = new SimCluster({ clock });
    cluster.addNode({ name: 'tiny', capacity: { cpu: '64', memory: '256Gi', pods: '3' } });
    cluster.addWorkload(workload({ replicas: 5 }));
    cluster.reconcile();
    expect(cluster.clusterSnapshot()).toMatchObject({ pods: 5, unscheduledPods: 2 });
  });

  it('given a node selector and a taint, should place pods only on matching nodes that they tolerate', async () => {
    const clock = new VirtualClock(START);
    const cluster = new SimCluster({ clock });
    cluster.addNode({ name: 'plain', capacity: { cpu: '8', memory: '32Gi', pods: '58' } });
    cluster.addNode({
      name: 'dedicated',
      labels: { pool: 'search' },
      taints: [{ key: 'dedicated', value: 'search', effect: 'NoSchedule' }],
      capacity: { cpu: '8', memory: '32Gi', pods: '58' },
    });
    cluster.addWorkload(workload({ name: 'general', replicas: 3 }));
    cluster.addWorkload(
      workload({
        name: 'search',
        replicas: 3,
        nodeSelector: { pool: 'search' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'search', effect: 'NoSchedule' }],
      }),
    );
    cluster.reconcile();
    const pods = await cluster.listPods();
    for (const pod of pods) {
      expect(pod.nodeName).toBe(pod.labels.app === 'search' ? 'dedicated' : 'plain');
    }
  });

  it('given LeastAllocated, should spread pods; given MostAllocated, should pack them', async () => {
    for (const [scheduling, expected] of [
      ['LeastAllocated', [2, 2]],
      ['MostAllocated', [4, 0]],
    ] as const) {
      const clock = new VirtualClock(START);
      const cluster = new SimCluster({ clock, scheduling });
      cluster.addNode({ name: 'a', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
      cluster.addNode({ name: 'b', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
      cluster.addWorkload(workload({ replicas: 4 }));
      cluster.reconcile();
      const pods = await cluster.listPods();
      const perNode = ['a', 'b'].map((node) => pods.filter((pod) => pod.nodeName === node).length);
      expect(perNode).toEqual(expected);
    }
  });

  it('given a node that leaves, should replace its pods, which wait unscheduled when no node has room', async () => {
    const { cluster } = smallCluster(2);
    // Two 1.5-core pods fit a 4-core node.
    cluster.addWorkload(
      workload({ replicas: 4, containers: [{ name: 'app', requests: { cpu: '1500m', memory: '1Gi' } }] }),
      { warm: true },
    );
    const before = await cluster.listPods();
    const onNode1 = before.filter((pod) => pod.nodeName === 'node-1').map((pod) => pod.name);
    expect(onNode1).toHaveLength(2);
    expect(cluster.removeNode('node-1')).toBe(true);
    cluster.reconcile();
    const after = await cluster.listPods();
    expect(after).toHaveLength(4);
    expect(after.filter((pod) => onNode1.includes(pod.name))).toHaveLength(0);
    const pending = after.filter((pod) => pod.nodeName === undefined);
    expect(pending).toHaveLength(2);
    expect(pending.every((pod) => pod.phase === 'Pending')).toBe(true);
    expect((await cluster.listNodes()).map((node) => node.name)).toEqual(['node-2']);
  });

  it('given a warm workload, should start with Ready pods that started an hour ago', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3 }), { warm: true });
    const pods = await cluster.listPods();
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(isReady(pod)).toBe(true);
      expect(pod.phase).toBe('Running');
      expect(pod.startTime).toBe(START - WARM_POD_AGE_MS);
    }
    expect(await cluster.getScale(webTarget)).toMatchObject({
      specReplicas: 3,
      statusReplicas: 3,
      selector: 'app=web',
    });
  });

  it('given a StatefulSet with OrderedReady, should create pods one at a time in ordinal order', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ name: 'db', kind: 'StatefulSet', replicas: 3, labels: { app: 'db' } }));
    cluster.reconcile();
    expect((await cluster.listPods()).map((pod) => pod.name)).toEqual(['db-0']);
    clock.advance(40_000);
    cluster.reconcile();
    expect((await cluster.listPods()).map((pod) => pod.name).sort()).toEqual(['db-0', 'db-1']);
    clock.advance(40_000);
    cluster.reconcile();
    const pods = await cluster.listPods();
    expect(pods.map((pod) => pod.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    expect(pods.find((pod) => pod.name === 'db-2')?.labels['statefulset.kubernetes.io/pod-name']).toBe(
      'db-2',
    );
    expect(pods[0]?.ownerReferences[0]).toMatchObject({ kind: 'StatefulSet', name: 'db' });

    // Scale down removes the highest ordinal first.
    cluster.setReplicas('shop', 'db', 2);
    clock.advance(40_000);
    cluster.reconcile();
    clock.advance(20_000);
    cluster.reconcile();
    expect((await cluster.listPods()).map((pod) => pod.name).sort()).toEqual(['db-0', 'db-1']);
  });
});

describe('SimCluster scheduling constraints', () => {
  const ZONE = 'topology.kubernetes.io/zone';
  /** A cluster with one 4-core node per zone, labelled as the cloud labels them. */
  function zonalCluster(zones = ['eu-central-1a', 'eu-central-1b']) {
    const clock = new VirtualClock(START);
    const cluster = new SimCluster({ clock, seed: 7 });
    for (const zone of zones) {
      cluster.addNode({
        name: `node-${zone.slice(-1)}`,
        labels: { [ZONE]: zone },
        capacity: { cpu: '4', memory: '16Gi', pods: '58' },
      });
    }
    return { clock, cluster };
  }
  const unschedulable = (pod: { conditions: { type: string; status: string; reason?: string }[] }) =>
    pod.conditions.some(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    );

  it('given a workload with constraints, should show them on its pods and leave plain pods without any', async () => {
    const { cluster } = zonalCluster();
    const constraints = {
      nodeSelector: { [ZONE]: 'eu-central-1b' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' as const }],
      requiredNodeAffinity: [{ matchExpressions: [{ key: ZONE, operator: 'Exists' as const }] }],
      requiredPodAntiAffinity: [
        { labelSelector: { matchLabels: { app: 'api' } }, topologyKey: 'kubernetes.io/hostname' },
      ],
      priority: 100,
    };
    cluster.addWorkload(workload({ name: 'api', labels: { app: 'api' }, replicas: 1, ...constraints }));
    cluster.addWorkload(workload({ name: 'web', replicas: 1 }));
    const pods = await cluster.listPods();
    expect(pods.find((pod) => pod.labels.app === 'api')?.scheduling).toEqual(constraints);
    expect(pods.find((pod) => pod.labels.app === 'api')?.nodeName).toBe('node-b');
    expect(pods.find((pod) => pod.labels.app === 'web')).not.toHaveProperty('scheduling');
  });

  it('given required node affinity, should place pods only on nodes it selects', async () => {
    const { cluster } = zonalCluster(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
    cluster.addWorkload(
      workload({
        replicas: 6,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' } }],
        requiredNodeAffinity: [
          { matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['eu-central-1a'] }] },
        ],
      }),
    );
    const nodes = new Set((await cluster.listPods()).map((pod) => pod.nodeName));
    expect([...nodes].sort()).toEqual(['node-b', 'node-c']);
  });

  it('given hostname anti-affinity, should run at most one pod per node and leave the rest Unschedulable', async () => {
    const { cluster } = zonalCluster();
    cluster.addWorkload(
      workload({
        replicas: 3,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' } }],
        requiredPodAntiAffinity: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      }),
    );
    const pods = await cluster.listPods();
    expect(
      pods
        .filter((pod) => pod.nodeName)
        .map((pod) => pod.nodeName)
        .sort(),
    ).toEqual(['node-a', 'node-b']);
    const pending = pods.filter((pod) => !pod.nodeName);
    expect(pending).toHaveLength(1);
    expect(unschedulable(pending[0] as (typeof pods)[number])).toBe(true);
    // Another workload's pods are not kept away.
    cluster.addWorkload(workload({ name: 'other', labels: { app: 'other' }, replicas: 2 }));
    expect(cluster.clusterSnapshot().unscheduledPods).toBe(1);
  });

  it('given a StatefulSet whose volumes live in one zone, should bind claims there and schedule its pods only in that zone', async () => {
    const { clock, cluster } = zonalCluster();
    cluster.addWorkload(
      workload({
        name: 'db',
        kind: 'StatefulSet',
        labels: { app: 'db' },
        replicas: 2,
        podManagementPolicy: 'Parallel',
        containers: [{ name: 'db', requests: { cpu: '500m', memory: '1Gi' } }],
        volumeClaim: { zones: ['eu-central-1b'] },
      }),
    );
    const pods = await cluster.listPods();
    expect(pods.map((pod) => [pod.name, pod.nodeName]).sort()).toEqual([
      ['db-0', 'node-b'],
      ['db-1', 'node-b'],
    ]);
    expect(pods.find((pod) => pod.name === 'db-1')?.scheduling).toEqual({
      persistentVolumeClaims: ['data-db-1'],
    });
    const claims = await cluster.listPersistentVolumeClaims();
    expect(claims.map((claim) => [claim.name, claim.phase]).sort()).toEqual([
      ['data-db-0', 'Bound'],
      ['data-db-1', 'Bound'],
    ]);
    const volumes = await cluster.listPersistentVolumes();
    expect(volumes).toHaveLength(2);
    for (const claim of claims) {
      const volume = volumes.find((v) => v.name === claim.volumeName);
      expect(volume?.name).toMatch(/^pvc-/);
      expect(volume?.zones).toEqual(['eu-central-1b']);
    }

    // Its zone's node goes: the pods wait, although the other zone has room, until a node comes back there.
    cluster.removeNode('node-b');
    cluster.reconcile();
    let after = await cluster.listPods();
    expect(after).toHaveLength(2);
    expect(after.every((pod) => !pod.nodeName && unschedulable(pod))).toBe(true);
    clock.advance(60_000);
    cluster.addNode({
      name: 'node-b2',
      labels: { [ZONE]: 'eu-central-1b' },
      capacity: { cpu: '4', memory: '16Gi', pods: '58' },
    });
    cluster.reconcile();
    after = await cluster.listPods();
    expect(after.map((pod) => pod.nodeName)).toEqual(['node-b2', 'node-b2']);
    // The replacement pods mount the same claims.
    expect(await cluster.listPersistentVolumeClaims()).toEqual(claims);
  });

  it('given several volume zones, should spread claims over them by ordinal and keep them after a scale-down', async () => {
    const { cluster } = zonalCluster();
    cluster.addWorkload(
      workload({
        name: 'db',
        kind: 'StatefulSet',
        labels: { app: 'db' },
        replicas: 3,
        podManagementPolicy: 'Parallel',
        volumeClaim: { name: 'pg', zones: ['eu-central-1a', 'eu-central-1b'] },
      }),
      { warm: true },
    );
    const placed = Object.fromEntries((await cluster.listPods()).map((pod) => [pod.name, pod.nodeName]));
    expect(placed).toEqual({ 'db-0': 'node-a', 'db-1': 'node-b', 'db-2': 'node-a' });
    cluster.setReplicas('shop', 'db', 0);
    cluster.deleteWorkload('shop', 'db');
    expect((await cluster.listPersistentVolumeClaims()).map((claim) => claim.name).sort()).toEqual([
      'pg-db-0',
      'pg-db-1',
      'pg-db-2',
    ]);
    expect(cluster.getPersistentVolumeClaim('shop', 'pg-db-1')?.phase).toBe('Bound');
  });

  it('should refuse constraints it cannot honour', () => {
    const { cluster } = zonalCluster();
    expect(() => cluster.addWorkload(workload({ volumeClaim: { zones: ['eu-central-1a'] } }))).toThrow(
      /only a StatefulSet has volume claims/,
    );
    expect(() =>
      cluster.addWorkload(
        workload({
          name: 'zonal',
          requiredPodAntiAffinity: [{ labelSelector: { matchLabels: { app: 'zonal' } }, topologyKey: ZONE }],
        }),
      ),
    ).toThrow(/hostname only/);
    expect(cluster.workloadKeys()).toEqual([]);
  });
});

describe('SimCluster DaemonSets', () => {
  const agent = (overrides: Partial<DaemonSetSpec> = {}): DaemonSetSpec => ({
    namespace: 'kube-system',
    name: 'node-agent',
    containers: [
      {
        name: 'agent',
        requests: { cpu: '500m', memory: '256Mi' },
        fixedUsage: { cpuMillis: 40, memoryMi: 100 },
      },
    ],
    ...overrides,
  });

  it('given a DaemonSet, should run one pinned pod on every Ready node that admits it, taking room there', async () => {
    const { clock, cluster } = smallCluster(0);
    const linux = (name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
      name,
      labels: { 'kubernetes.io/os': 'linux' },
      capacity: { cpu: '4', memory: '16Gi', pods: '58' },
      ...extra,
    });
    cluster.addNode(linux('node-1'));
    cluster.addNode(linux('node-2'));
    cluster.addNode(linux('gpu', { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] }));
    cluster.addNode(linux('booting', { ready: false }));
    cluster.addNode({ name: 'windows', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
    const view = cluster.addDaemonSet(agent({ nodeSelector: { 'kubernetes.io/os': 'linux' } }));
    expect(view).toEqual({
      namespace: 'kube-system',
      name: 'node-agent',
      uid: expect.any(String),
      containers: [{ name: 'agent', requests: { cpu: '500m', memory: '256Mi' }, limits: {} }],
      initContainers: [],
      scheduling: { nodeSelector: { 'kubernetes.io/os': 'linux' } },
    });

    let pods = await cluster.listPods();
    expect(pods.map((pod) => pod.nodeName).sort()).toEqual(['node-1', 'node-2']);
    const pod = pods[0];
    expect(pod?.name).toMatch(/^node-agent-[a-z0-9]{5}$/);
    expect(pod?.ownerReferences[0]).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: 'node-agent',
    });
    expect(pod?.scheduling).toEqual({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: DAEMON_POD_TOLERATIONS,
      requiredNodeAffinity: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod?.nodeName] }] },
      ],
      priority: SYSTEM_NODE_CRITICAL_PRIORITY,
    });
    expect(cluster.clusterSnapshot().cpuRequestedMillis).toBe(1000);

    // A node that joins, or becomes Ready, gets its pod at the next reconcile.
    clock.advance(10_000);
    cluster.addNode(linux('node-3'));
    cluster.setNodeReady('booting', true);
    cluster.reconcile();
    pods = await cluster.listPods();
    expect(pods.map((p) => p.nodeName).sort()).toEqual(['booting', 'node-1', 'node-2', 'node-3']);
    expect(pods.filter((p) => p.creationTimestamp === clock.now())).toHaveLength(2);
  });

  it('given cordoned and leaving nodes, should run daemon pods on the cordoned one and drop those of the gone', async () => {
    const { clock, cluster } = smallCluster(2);
    cluster.addNode({ name: 'full', capacity: { cpu: '250m', memory: '16Gi', pods: '58' } });
    cluster.cordonNode('node-1');
    cluster.addDaemonSet(agent(), { warm: true });
    let pods = await cluster.listPods();
    expect(pods.map((pod) => [pod.nodeName ?? 'pending', isReady(pod), pod.startTime]).sort()).toEqual([
      ['node-1', true, START - WARM_POD_AGE_MS],
      ['node-2', true, START - WARM_POD_AGE_MS],
      ['pending', false, undefined],
    ]);
    // The pod for the node without room waits for it, and goes with it.
    clock.advance(30_000);
    expect(cluster.removeNode('full')).toBe(true);
    expect(cluster.removeNode('node-2')).toBe(true);
    cluster.reconcile();
    pods = await cluster.listPods();
    expect(pods.map((pod) => pod.nodeName)).toEqual(['node-1']);
    expect(cluster.clusterSnapshot().unscheduledPods).toBe(0);
  });

  it('given a new node and pending pods, should place the daemon pod first by its priority', async () => {
    const { clock, cluster } = smallCluster(0);
    cluster.addDaemonSet(agent({ containers: [{ name: 'agent', requests: { cpu: '1', memory: '256Mi' } }] }));
    // Two 1.5-core pods wait for a node.
    cluster.addWorkload(
      workload({ replicas: 2, containers: [{ name: 'app', requests: { cpu: '1500m', memory: '1Gi' } }] }),
    );
    clock.advance(60_000);
    cluster.addNode({ name: 'new', capacity: { cpu: '3', memory: '16Gi', pods: '58' } });
    cluster.reconcile();
    const pods = await cluster.listPods();
    const onNew = pods.filter((pod) => pod.nodeName === 'new').map((pod) => pod.ownerReferences[0]?.kind);
    expect(onNew.sort()).toEqual(['DaemonSet', 'ReplicaSet']);
    expect(pods.filter((pod) => !pod.nodeName)).toHaveLength(1);
    expect(cluster.workloadKeys()).toEqual(['shop/web']);
  });

  it('given a node its template excludes by affinity, should leave it alone', async () => {
    const { cluster } = smallCluster(0);
    cluster.addNode({
      name: 'spot',
      labels: { lifecycle: 'spot' },
      capacity: { cpu: '4', memory: '16Gi', pods: '58' },
    });
    cluster.addNode({ name: 'od', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
    cluster.addDaemonSet(
      agent({
        requiredNodeAffinity: [
          { matchExpressions: [{ key: 'lifecycle', operator: 'NotIn', values: ['spot'] }] },
        ],
      }),
    );
    expect((await cluster.listPods()).map((pod) => pod.nodeName)).toEqual(['od']);
    expect((await cluster.listDaemonSets())[0]?.scheduling).toEqual({
      requiredNodeAffinity: [
        { matchExpressions: [{ key: 'lifecycle', operator: 'NotIn', values: ['spot'] }] },
      ],
    });
  });

  it('should report daemon pods’ fixed usage in pod metrics', async () => {
    const { cluster } = smallCluster(1);
    cluster.addDaemonSet(agent(), { warm: true });
    const [sample] = await cluster.listPodMetrics();
    expect(sample?.namespace).toBe('kube-system');
    expect(parseMilliNumber(sample?.containers[0]?.usage.cpu ?? '')).toBe(40);
    expect(parseQuantityNumber(sample?.containers[0]?.usage.memory ?? '')).toBe(100 * 2 ** 20);
  });
});

describe('SimCluster scale subresource', () => {
  it('given a stale resourceVersion, should throw ConflictError and leave replicas unchanged', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
    const first = await cluster.getScale(webTarget);
    const written = await cluster.updateScale(webTarget, 3, first?.resourceVersion ?? '');
    expect(written.specReplicas).toBe(3);
    expect(written.resourceVersion).not.toBe(first?.resourceVersion);
    await expect(cluster.updateScale(webTarget, 5, first?.resourceVersion ?? '')).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await cluster.getScale(webTarget))?.specReplicas).toBe(3);
  });

  it('given pods becoming Ready, should bump the resourceVersion as a status change does', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 1 }), { warm: true });
    const before = await cluster.getScale(webTarget);
    cluster.setReplicas('shop', 'web', 2);
    cluster.reconcile();
    const mid = await cluster.getScale(webTarget);
    clock.advance(60_000);
    const after = await cluster.getScale(webTarget);
    expect(new Set([before?.resourceVersion, mid?.resourceVersion, after?.resourceVersion]).size).toBe(3);
    await expect(cluster.updateScale(webTarget, 4, mid?.resourceVersion ?? '')).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('given a missing target, should leave it out of getScales, return undefined from getScale and 404 on update', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    const missing = { ...webTarget, name: 'gone' };
    const wrongGroup = { ...webTarget, apiVersion: 'v1' };
    const scales = await cluster.getScales([webTarget, missing, wrongGroup]);
    expect([...scales.keys()]).toEqual([scaleTargetKeyString(webTarget)]);
    expect(await cluster.getScale(missing)).toBeUndefined();
    await expect(cluster.updateScale(missing, 1, '1')).rejects.toBeInstanceOf(NotFoundError);
    cluster.deleteWorkload('shop', 'web');
    await expect(cluster.updateScale(webTarget, 1, '1')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('given any apps/* version, should resolve the served apps/v1 workload and echo the requested target', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    const target = { ...webTarget, apiVersion: 'apps/v1beta2' };
    expect((await cluster.getScale(target))?.target).toEqual(target);
  });

  it('given a custom scalable kind, should serve its scale with one GET each', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ name: 'rollout', kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1' }), {
      warm: true,
    });
    cluster.addWorkload(workload({ name: 'web' }), { warm: true });
    cluster.addWorkload(workload({ name: 'api' }), { warm: true });
    const rollout = {
      namespace: 'shop',
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'rollout',
    };
    cluster.resetStats();
    const scales = await cluster.getScales([rollout, webTarget, { ...webTarget, name: 'api' }, webTarget]);
    expect(scales.size).toBe(3);
    expect(cluster.stats().requests).toEqual({
      'list apps/deployments': 1,
      'get argoproj.io/rollouts/scale': 1,
    });
  });

  it('should refuse negative or fractional replicas', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    const scale = await cluster.getScale(webTarget);
    await expect(cluster.updateScale(webTarget, -1, scale?.resourceVersion ?? '')).rejects.toThrow(/invalid/);
    await expect(cluster.updateScale(webTarget, 1.5, scale?.resourceVersion ?? '')).rejects.toThrow(
      /invalid/,
    );
  });

  it('should record rescales with their source', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    const scale = await cluster.getScale(webTarget);
    await cluster.updateScale(webTarget, 4, scale?.resourceVersion ?? '');
    await cluster.updateScale(webTarget, 4, (await cluster.getScale(webTarget))?.resourceVersion ?? '');
    cluster.setReplicas('shop', 'web', 3);
    expect(cluster.rescales().map(({ from, to, via }) => ({ from, to, via }))).toEqual([
      { from: 2, to: 4, via: 'port' },
      { from: 4, to: 3, via: 'direct' },
    ]);
  });
});

describe('SimCluster metrics.k8s.io', () => {
  it('given load split across Ready pods, should report usage that follows the load', async () => {
    let rps = 100;
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2, load: () => rps }), { warm: true });
    const total = async () => {
      const samples = await cluster.listPodMetrics();
      return samples.reduce(
        (sum, sample) => sum + parseMilliNumber(sample.containers[0]?.usage.cpu ?? '0'),
        0,
      );
    };
    // 2 pods × 50 m base + 100 rps × 2 m.
    expect(await total()).toBeCloseTo(300, 3);
    rps = 400;
    clock.advance(METRICS_RESOLUTION_MS);
    expect(await total()).toBeCloseTo(900, 3);

    const samples = await cluster.listPodMetrics();
    expect(samples).toHaveLength(2);
    for (const sample of samples) {
      expect(sample.windowSeconds).toBe(15);
      expect(sample.timestamp).toBeLessThanOrEqual(clock.now());
      expect(sample.timestamp).toBeGreaterThan(clock.now() - METRICS_RESOLUTION_MS);
      expect(sample.containers[0]?.usage.cpu).toMatch(/^\d+n$/);
      // 200 Mi base + 200 rps × 1 Mi.
      expect(parseQuantityNumber(sample.containers[0]?.usage.memory ?? '0')).toBeCloseTo(400 * 2 ** 20, -4);
    }
  });

  it('given noise, should vary usage by pod and scrape but repeat it for the same scrape', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 4, noise: 0.05 }), { warm: true });
    const usage = async () =>
      (await cluster.listPodMetrics()).map((sample) =>
        parseMilliNumber(sample.containers[0]?.usage.cpu ?? '0'),
      );
    const first = await usage();
    expect(await usage()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
    // 100 rps over 4 pods: 50 m base + 25 rps × 2 m, ± 5 %.
    for (const value of first) expect(Math.abs(value / 100 - 1)).toBeLessThanOrEqual(0.05);
    clock.advance(METRICS_RESOLUTION_MS);
    expect(await usage()).not.toEqual(first);
  });

  it('given pods that are not running yet, should leave them out; running but not Ready, should report start-up CPU', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(
      workload({
        replicas: 1,
        cost: {
          cpuBaseMillis: 50,
          cpuMillisPerRps: 2,
          memoryBaseMi: 200,
          memoryMiPerRps: 1,
          startupCpuMillis: 700,
        },
      }),
      { warm: true },
    );
    cluster.setReplicas('shop', 'web', 2);
    cluster.reconcile();
    expect(await cluster.listPodMetrics()).toHaveLength(1);
    clock.advance(30_000);
    const samples = await cluster.listPodMetrics();
    expect(samples).toHaveLength(2);
    const values = samples
      .map((sample) => parseMilliNumber(sample.containers[0]?.usage.cpu ?? '0'))
      .sort((a, b) => a - b);
    // The Ready pod serves all 100 rps; the new one warms up.
    expect(values).toEqual([250, 700]);
  });

  it('given sidecars and a CPU limit, should report fixed sidecar usage and cap the main container', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(
      workload({
        replicas: 1,
        load: () => 1_000,
        containers: [
          { name: 'app', requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1' } },
          {
            name: 'envoy',
            requests: { cpu: '100m', memory: '128Mi' },
            fixedUsage: { cpuMillis: 30, memoryMi: 64 },
          },
        ],
      }),
      { warm: true },
    );
    const [sample] = await cluster.listPodMetrics();
    expect(sample?.containers.map((container) => container.name)).toEqual(['app', 'envoy']);
    expect(parseMilliNumber(sample?.containers[0]?.usage.cpu ?? '0')).toBe(1000);
    expect(parseMilliNumber(sample?.containers[1]?.usage.cpu ?? '0')).toBe(30);
    expect(parseQuantityNumber(sample?.containers[1]?.usage.memory ?? '0')).toBe(64 * 2 ** 20);
  });

  it('given the metrics API switched off, should list no pod metrics', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    cluster.setMetricsApiServed(false);
    expect(await cluster.listPodMetrics()).toEqual([]);
  });
});

describe('SimCluster autoscalers and events', () => {
  it('given a status write, should bump the resourceVersion but not the generation, and record the manager', async () => {
    const { clock, cluster } = smallCluster();
    const created = cluster.addAutoscaler({
      namespace: 'shop',
      name: 'web',
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
    });
    expect(created).toMatchObject({
      kind: 'HorizontalAutoscaler',
      apiVersion: 'autoscaling.tideplane.io/v1alpha1',
      generation: 1,
      statusManagers: [],
    });
    clock.advance(1_000);
    await cluster.updateAutoscalerStatus(created, { desiredReplicas: 3, currentReplicas: 2 });
    const [after] = await cluster.listAutoscalers('HorizontalAutoscaler');
    expect(after?.generation).toBe(1);
    expect(after?.resourceVersion).not.toBe(created.resourceVersion);
    expect(after?.status).toEqual({ desiredReplicas: 3, currentReplicas: 2 });
    expect(after?.statusManagers).toEqual([{ manager: 'tideplane', time: START + 1_000 }]);

    const updated = cluster.updateAutoscalerSpec('HorizontalAutoscaler', 'shop', 'web', { maxReplicas: 20 });
    expect(updated.generation).toBe(2);
    expect(await cluster.listAutoscalers('HorizontalPodAutoscaler')).toEqual([]);
    await expect(
      cluster.updateAutoscalerStatus({ ...created, name: 'other' }, { desiredReplicas: 1 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('should keep a malformed spec as it is, and hand out objects callers cannot change', async () => {
    const { cluster } = smallCluster();
    cluster.addAutoscaler({ namespace: 'shop', name: 'broken', spec: { maxReplicas: 'many' } });
    const [object] = await cluster.listAutoscalers('HorizontalAutoscaler');
    expect(object?.spec).toEqual({ maxReplicas: 'many' });
    expect(() => {
      (object?.spec as { maxReplicas: unknown }).maxReplicas = 3;
    }).toThrow(TypeError);
    cluster.addWorkload(workload(), { warm: true });
    const [pod] = await cluster.listPods();
    expect(() => {
      (pod as { phase: string }).phase = 'Failed';
    }).toThrow(TypeError);
  });

  it('should record events', async () => {
    const { cluster } = smallCluster();
    await cluster.createEvent({
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      type: 'Normal',
      reason: 'SuccessfulRescale',
      message: 'New size: 3; reason: cpu resource utilization above target',
      time: START,
      reportingComponent: 'hpa',
    });
    expect(cluster.events()).toHaveLength(1);
    expect(cluster.events()[0]?.reason).toBe('SuccessfulRescale');
  });
});

describe('SimCluster drains: PodDisruptionBudgets, taints, evictions and Node deletion', () => {
  const DRAIN_TAINT = { key: 'tideplane.io/scale-down', effect: 'NoSchedule' } as const;
  const podsOn = async (cluster: SimCluster, node: string) =>
    (await cluster.listPods()).filter((pod) => pod.nodeName === node);

  it('given a workload’s budget, should list it with the disruptions its Ready pods allow, as the disruption controller computes them', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3, disruptionBudget: { minAvailable: 2 } }), { warm: true });
    cluster.resetStats();
    expect(await cluster.listPodDisruptionBudgets()).toEqual([
      { namespace: 'shop', name: 'web', selector: { matchLabels: { app: 'web' } }, disruptionsAllowed: 1 },
    ]);
    expect(cluster.stats().requests).toEqual({ 'list policy/poddisruptionbudgets': 1 });
    expect(cluster.podDisruptionBudgetStatus('shop', 'web')).toEqual({
      expectedPods: 3,
      currentHealthy: 3,
      desiredHealthy: 2,
      disruptionsAllowed: 1,
    });

    // A scale-up adds pods that are not Ready yet: expected, not healthy.
    cluster.setReplicas('shop', 'web', 5);
    expect(cluster.podDisruptionBudgetStatus('shop', 'web')).toMatchObject({
      expectedPods: 5,
      currentHealthy: 3,
      disruptionsAllowed: 1,
    });
    clock.advance(60_000);
    expect((await cluster.listPodDisruptionBudgets())[0]?.disruptionsAllowed).toBe(3);
  });

  it('given budgets added to the cluster, should select pods by label, StatefulSet pods one by one, and scale percentages by the controllers', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 4 }), { warm: true });
    cluster.addWorkload(workload({ name: 'db', kind: 'StatefulSet', replicas: 3, labels: { app: 'db' } }), {
      warm: true,
    });
    cluster.addPodDisruptionBudget({
      namespace: 'shop',
      name: 'half',
      maxUnavailable: '50%',
      selector: { matchLabels: { app: 'web' } },
    });
    cluster.addPodDisruptionBudget({
      namespace: 'shop',
      name: 'db-0',
      minAvailable: 1,
      selector: { matchLabels: { 'statefulset.kubernetes.io/pod-name': 'db-0' } },
    });
    cluster.addPodDisruptionBudget({ namespace: 'shop', name: 'nothing', minAvailable: 0 });
    cluster.addPodDisruptionBudget({ namespace: 'other', name: 'elsewhere', minAvailable: 0, selector: {} });
    expect(cluster.podDisruptionBudgetStatus('shop', 'half')).toEqual({
      expectedPods: 4,
      currentHealthy: 4,
      desiredHealthy: 2,
      disruptionsAllowed: 2,
    });
    expect(cluster.podDisruptionBudgetStatus('shop', 'db-0')).toEqual({
      expectedPods: 1,
      currentHealthy: 1,
      desiredHealthy: 1,
      disruptionsAllowed: 0,
    });
    // No selector selects nothing; a budget that expects no pods allows nothing.
    expect(cluster.podDisruptionBudgetStatus('shop', 'nothing')).toMatchObject({ disruptionsAllowed: 0 });
    expect(cluster.podDisruptionBudgetStatus('other', 'elsewhere')).toMatchObject({ expectedPods: 0 });
    expect((await cluster.listPodDisruptionBudgets()).find((b) => b.name === 'nothing')).not.toHaveProperty(
      'selector',
    );

    expect(() =>
      cluster.addPodDisruptionBudget({ namespace: 'shop', name: 'half', minAvailable: 1 }),
    ).toThrow(/exists/);
    expect(() =>
      cluster.addPodDisruptionBudget({ namespace: 'shop', name: 'both', minAvailable: 1, maxUnavailable: 1 }),
    ).toThrow(/cannot be both set/);
    expect(() =>
      cluster.addPodDisruptionBudget({ namespace: 'shop', name: 'bad', maxUnavailable: '150%' }),
    ).toThrow(/percentage up to 100%/);
    expect(cluster.removePodDisruptionBudget('shop', 'half')).toBe(true);
    expect(cluster.podDisruptionBudgetStatus('shop', 'half')).toBeUndefined();
  });

  it('given a taint, should add it once, keep pods off the node, and remove it once', async () => {
    const { cluster } = smallCluster();
    cluster.resetStats();
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, true);
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, true);
    expect(cluster.stats().requests).toEqual({ 'get nodes': 2, 'patch nodes': 1 });
    expect((await cluster.listNodes()).find((n) => n.name === 'node-1')?.taints).toEqual([DRAIN_TAINT]);

    cluster.addWorkload(workload({ replicas: 4 }));
    expect((await cluster.listPods()).every((pod) => pod.nodeName === 'node-2')).toBe(true);

    // Same key and effect, other value: replaced, not added.
    await cluster.setNodeTaint('node-1', { ...DRAIN_TAINT, value: 'spot' }, true);
    expect((await cluster.listNodes()).find((n) => n.name === 'node-1')?.taints).toEqual([
      { ...DRAIN_TAINT, value: 'spot' },
    ]);
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, false);
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, false);
    expect((await cluster.listNodes()).find((n) => n.name === 'node-1')?.taints).toEqual([]);
    cluster.setReplicas('shop', 'web', 6);
    expect((await podsOn(cluster, 'node-1')).length).toBeGreaterThan(0);
  });

  it('given a missing node or a conflict, should throw NotFoundError or ConflictError and change nothing', async () => {
    const { cluster } = smallCluster();
    await expect(cluster.setNodeTaint('node-9', DRAIN_TAINT, true)).rejects.toBeInstanceOf(NotFoundError);
    cluster.failNext('setNodeTaint', 1, new ConflictError('simulated conflict'));
    await expect(cluster.setNodeTaint('node-1', DRAIN_TAINT, true)).rejects.toBeInstanceOf(ConflictError);
    expect((await cluster.listNodes()).find((n) => n.name === 'node-1')?.taints).toEqual([]);
  });

  it('given a pod no budget guards, should evict it: it terminates, and its replacement runs elsewhere', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, true);
    const [victim] = await podsOn(cluster, 'node-1');
    cluster.resetStats();
    expect(await cluster.evictPod('shop', victim?.name ?? '')).toBe('evicted');
    expect(cluster.stats().requests).toEqual({ 'create pods/eviction': 1 });

    let pods = await cluster.listPods();
    expect(pods.find((pod) => pod.name === victim?.name)?.deletionTimestamp).toBe(clock.now());
    const replacement = pods.find((pod) => pod.creationTimestamp === clock.now());
    expect(replacement?.nodeName).toBe('node-2');
    // Evicting a terminating pod again is harmless and is not a second eviction.
    expect(await cluster.evictPod('shop', victim?.name ?? '')).toBe('evicted');
    expect(cluster.disruptionStats()).toEqual({
      evictions: 1,
      evictionsBlocked: 0,
      podsLost: 0,
      pdbViolations: 0,
    });

    // Gone once it exits (terminationSeconds 15, within the default 30-s grace period).
    clock.advance(15_000);
    pods = await cluster.listPods();
    expect(pods.find((pod) => pod.name === victim?.name)).toBeUndefined();
    expect(await podsOn(cluster, 'node-1')).toEqual([]);
  });

  it('given no node with room, should leave the replacement Pending', async () => {
    const { cluster } = smallCluster(1);
    cluster.addWorkload(workload({ replicas: 1 }), { warm: true });
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, true);
    const [pod] = await cluster.listPods();
    expect(await cluster.evictPod('shop', pod?.name ?? '')).toBe('evicted');
    const pending = (await cluster.listPods()).filter((p) => p.nodeName === undefined);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.conditions[0]).toMatchObject({ type: 'PodScheduled', status: 'False' });
  });

  it('given a budget with no disruption left, should answer blocked until a replacement is Ready', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3, disruptionBudget: { minAvailable: 2 } }), { warm: true });
    const [first, second] = await cluster.listPods();
    expect(await cluster.evictPod('shop', first?.name ?? '')).toBe('evicted');
    expect(await cluster.evictPod('shop', second?.name ?? '')).toBe('blocked');
    expect(
      (await cluster.listPods()).find((p) => p.name === second?.name)?.deletionTimestamp,
    ).toBeUndefined();

    // The replacement starts (10 s) and becomes Ready (20 s, ± 20 %).
    clock.advance(40_000);
    expect(await cluster.evictPod('shop', second?.name ?? '')).toBe('evicted');
    expect(cluster.disruptionStats()).toEqual({
      evictions: 2,
      evictionsBlocked: 1,
      podsLost: 0,
      pdbViolations: 0,
    });

    // minAvailable = replicas: never.
    const strict = smallCluster();
    strict.cluster.addWorkload(workload({ replicas: 2, disruptionBudget: { minAvailable: 2 } }), {
      warm: true,
    });
    for (const pod of await strict.cluster.listPods()) {
      expect(await strict.cluster.evictPod('shop', pod.name)).toBe('blocked');
    }
  });

  it('given pods that do not run yet, or are not Ready, should evict them as the API server does', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2, disruptionBudget: { minAvailable: 2 } }), { warm: true });
    // A scale-up's new pod is bound but not running: it is deleted at once, without a budget check.
    cluster.setReplicas('shop', 'web', 3);
    const starting = (await cluster.listPods()).find((pod) => pod.phase === 'Pending');
    expect(await cluster.evictPod('shop', starting?.name ?? '')).toBe('evicted');
    expect((await cluster.listPods()).find((pod) => pod.name === starting?.name)).toBeUndefined();

    // Running, not Ready, while the budget has its 2 healthy pods: allowed though none is left.
    clock.advance(12_000);
    const unready = (await cluster.listPods()).find((pod) => pod.phase === 'Running' && !isReady(pod));
    expect(cluster.podDisruptionBudgetStatus('shop', 'web')?.disruptionsAllowed).toBe(0);
    expect(await cluster.evictPod('shop', unready?.name ?? '')).toBe('evicted');
  });

  it('given a grace period, should replace the pod’s own with it, the pod going when it exits or is killed', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(
      workload({
        replicas: 3,
        terminationSeconds: 15,
        terminationGracePeriodSeconds: 5,
        localVolumes: ['cache'],
      }),
      { warm: true },
    );
    const [own, shorter, longer] = await cluster.listPods();
    expect(own).toMatchObject({ terminationGracePeriodSeconds: 5, localVolumes: ['cache'] });
    await cluster.evictPod('shop', own?.name ?? '');
    await cluster.evictPod('shop', shorter?.name ?? '', { gracePeriodSeconds: 2 });
    await cluster.evictPod('shop', longer?.name ?? '', { gracePeriodSeconds: 60 });
    const alive = async () => {
      const names = new Set((await cluster.listPods()).map((pod) => pod.name));
      return [own, shorter, longer].map((pod) => names.has(pod?.name ?? ''));
    };
    clock.advance(2_000);
    expect(await alive()).toEqual([true, false, true]);
    clock.advance(3_000);
    expect(await alive()).toEqual([false, false, true]);
    // 60 s replaces the 5-s grace period (not a cap); the pod exits after its 15 s.
    clock.advance(10_000);
    expect(await alive()).toEqual([false, false, false]);

    const plain = smallCluster();
    plain.cluster.addWorkload(workload({ replicas: 1 }), { warm: true });
    const [pod] = await plain.cluster.listPods();
    expect(pod).not.toHaveProperty('terminationGracePeriodSeconds');
    expect(pod).not.toHaveProperty('localVolumes');
    // Zero: gone at once.
    expect(await plain.cluster.evictPod('shop', pod?.name ?? '', { gracePeriodSeconds: 0 })).toBe('evicted');
    expect((await plain.cluster.listPods()).find((p) => p.name === pod?.name)).toBeUndefined();
  });

  it('given a pod two budgets select, should refuse to evict it; given a missing pod, should answer gone', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3, disruptionBudget: { maxUnavailable: 1 } }), { warm: true });
    cluster.addPodDisruptionBudget({
      namespace: 'shop',
      name: 'all',
      maxUnavailable: 1,
      selector: {},
    });
    const [pod] = await cluster.listPods();
    await expect(cluster.evictPod('shop', pod?.name ?? '')).rejects.toThrow(
      /more than one PodDisruptionBudget/,
    );
    expect(await cluster.evictPod('shop', 'no-such-pod')).toBe('gone');
    expect(await cluster.evictPod('other', pod?.name ?? '')).toBe('gone');
  });

  it('given a node deleted with pods on it, should count those not evicted as lost, and Ready ones beyond their budget as violations', async () => {
    const { cluster } = smallCluster();
    cluster.addDaemonSet(
      { namespace: 'kube-system', name: 'agent', containers: [{ name: 'a', requests: { cpu: '100m' } }] },
      { warm: true },
    );
    cluster.addWorkload(workload({ replicas: 4, disruptionBudget: { minAvailable: 3 } }), { warm: true });
    cluster.addWorkload(workload({ name: 'free', replicas: 2 }), { warm: true });
    await cluster.setNodeTaint('node-1', DRAIN_TAINT, true);
    const onNode = await podsOn(cluster, 'node-1');
    const web = onNode.filter((pod) => pod.labels.app === 'web');
    expect(web).toHaveLength(2);
    expect(onNode.filter((pod) => pod.labels.app === 'free')).toHaveLength(1);
    // One web pod leaves properly; the budget then has no disruption left.
    expect(await cluster.evictPod('shop', web[0]?.name ?? '')).toBe('evicted');

    cluster.resetStats();
    await cluster.deleteNode('node-1');
    await cluster.deleteNode('node-1');
    expect(cluster.stats().requests).toEqual({ 'delete nodes': 2 });
    expect((await cluster.listNodes()).map((node) => node.name)).toEqual(['node-2']);
    // The evicted pod and the daemon pod are not lost; the other web pod and the free pod are, and
    // the web pod took its budget below minAvailable.
    expect(cluster.disruptionStats()).toEqual({
      evictions: 1,
      evictionsBlocked: 0,
      podsLost: 2,
      pdbViolations: 1,
    });
    const pods = await cluster.listPods();
    expect(
      pods.filter((pod) => pod.labels.app === 'web' && pod.deletionTimestamp === undefined),
    ).toHaveLength(4);
  });

  it('given an instance that terminates under its pods, should count them as lost too', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
    const lost = (await podsOn(cluster, 'node-1')).length;
    expect(lost).toBeGreaterThan(0);
    cluster.removeNode('node-1');
    expect(cluster.disruptionStats().podsLost).toBe(lost);
    expect(cluster.disruptionStats().pdbViolations).toBe(0);
  });
});

describe('SimCluster call counting and failure knobs', () => {
  it('should count each port call and the requests a real adapter would send', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    cluster.addWorkload(workload({ name: 'db', kind: 'StatefulSet', labels: { app: 'db' } }), { warm: true });
    await cluster.listPods();
    await cluster.listNodes();
    await cluster.listAutoscalers('HorizontalAutoscaler');
    await cluster.listPodMetrics();
    await cluster.listPersistentVolumeClaims();
    await cluster.listPersistentVolumes();
    await cluster.listDaemonSets();
    await cluster.getScales([webTarget, { ...webTarget, kind: 'StatefulSet', name: 'db' }]);
    const scale = await cluster.getScale(webTarget);
    await cluster.updateScale(webTarget, 3, scale?.resourceVersion ?? '');
    expect(cluster.stats()).toEqual({
      calls: {
        listPods: 1,
        listNodes: 1,
        listAutoscalers: 1,
        listPodMetrics: 1,
        listPersistentVolumeClaims: 1,
        listPersistentVolumes: 1,
        listDaemonSets: 1,
        getScales: 1,
        getScale: 1,
        updateScale: 1,
      },
      requests: {
        'list pods': 1,
        'list nodes': 1,
        'list autoscaling.tideplane.io/horizontalautoscalers': 1,
        'list metrics.k8s.io/pods': 1,
        'list persistentvolumeclaims': 1,
        'list persistentvolumes': 1,
        'list apps/daemonsets': 1,
        'list apps/deployments': 1,
        'list apps/statefulsets': 1,
        'get apps/deployments/scale': 1,
        'update apps/deployments/scale': 1,
      },
      totalCalls: 10,
      totalRequests: 11,
    });
    cluster.resetStats();
    expect(cluster.stats().totalRequests).toBe(0);
  });

  it('given armed failures, should fail exactly the next N calls of that method, counted', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload(), { warm: true });
    cluster.failNext('updateScale', 2, new ConflictError('simulated conflict'));
    cluster.failNext('listPods');
    const scale = await cluster.getScale(webTarget);
    await expect(cluster.updateScale(webTarget, 3, scale?.resourceVersion ?? '')).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(cluster.updateScale(webTarget, 3, scale?.resourceVersion ?? '')).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(cluster.listPods()).rejects.toThrow(/simulated failure of listPods/);
    expect((await cluster.updateScale(webTarget, 3, scale?.resourceVersion ?? '')).specReplicas).toBe(3);
    expect(await cluster.listPods()).toHaveLength(3);
    expect(cluster.stats().calls).toMatchObject({ updateScale: 3, listPods: 2 });
  });
});
