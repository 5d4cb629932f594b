/**
 * Pod template changes in the simulated cluster (`SimCluster.updatePodTemplate`, rolling-update.ts): the
 * template's semantics, and how Deployments and StatefulSets roll their pods onto it within their update
 * strategy.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, type Pod } from '../../../shared/ports/kubernetes';
import { rollingBounds } from '../../../shared/sim/rolling-update';
import type { WorkloadSpec } from '../../../shared/sim/workload';
import { isReady, runClusterUntil, START, smallCluster, workload } from './fixtures';

const MINUTE = 60_000;

/** Pods not terminating. */
const active = (pods: Pod[]) => pods.filter((pod) => pod.deletionTimestamp === undefined);
const memoryOf = (pod: Pod) => pod.containers[0]?.requests.memory;

/**
 * Steps the cluster through every instant until `t`, calling `check` with the pods at each, the way a
 * test watches a rollout.
 */
async function watch(
  clock: Parameters<typeof runClusterUntil>[0],
  cluster: Parameters<typeof runClusterUntil>[1] & { listPods(): Promise<Pod[]> },
  t: number,
  check: (pods: Pod[]) => void,
): Promise<void> {
  while (clock.now() < t) {
    runClusterUntil(clock, cluster, Math.min(t, Math.max(cluster.nextEventAt(), clock.now() + 1)));
    check(await cluster.listPods());
  }
}

function setup(overrides: Partial<WorkloadSpec>, nodes = 4) {
  const { clock, cluster } = smallCluster(nodes);
  cluster.addWorkload(workload(overrides), { warm: true });
  return { clock, cluster };
}

describe('rolling update bounds', () => {
  it("should resolve Kubernetes' 25 % defaults (surge rounded up, unavailable down, never both 0)", () => {
    expect(rollingBounds(undefined, 1)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rollingBounds(undefined, 4)).toEqual({ maxSurge: 1, maxUnavailable: 1 });
    expect(rollingBounds(undefined, 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(rollingBounds({ maxSurge: 0, maxUnavailable: '0%' }, 10)).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
    expect(rollingBounds({ maxSurge: 2, maxUnavailable: '50%' }, 5)).toEqual({
      maxSurge: 2,
      maxUnavailable: 2,
    });
    expect(() => rollingBounds({ maxSurge: 'half' }, 4)).toThrow(/invalid rolling update value/);
  });
});

describe('SimCluster pod template', () => {
  it('should merge the named resources, bump the resourceVersion, and refuse a stale one or an unknown container', async () => {
    const { cluster } = setup({
      containers: [
        { name: 'app', requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1' } },
        { name: 'sidecar', requests: { cpu: '10m', memory: '32Mi' } },
      ],
    });
    const before = cluster.workloadRecord('shop/web');
    const version = before?.resourceVersion ?? '';
    cluster.updatePodTemplate('shop', 'web', [{ name: 'app', requests: { memory: '1Gi' } }], version);
    const after = cluster.workloadRecord('shop/web');
    expect(after?.containers).toEqual([
      { name: 'app', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1' } },
      { name: 'sidecar', requests: { cpu: '10m', memory: '32Mi' }, limits: {} },
    ]);
    expect(after?.templateRevision).toBe(2);
    expect(after?.resourceVersion).not.toBe(version);

    expect(() =>
      cluster.updatePodTemplate('shop', 'web', [{ name: 'app', requests: { memory: '2Gi' } }], version),
    ).toThrow(ConflictError);
    expect(() =>
      cluster.updatePodTemplate('shop', 'web', [{ name: 'nope', requests: { memory: '2Gi' } }]),
    ).toThrow(/no container named nope/);
    expect(() => cluster.updatePodTemplate('shop', 'gone', [])).toThrow(NotFoundError);
    expect(cluster.workloadRecord('shop/web')?.containers[0]?.requests.memory).toBe('1Gi');

    // The same resources again change nothing: no new revision, no rollout.
    cluster.updatePodTemplate('shop', 'web', [{ name: 'app', requests: { memory: '1Gi' } }]);
    expect(cluster.workloadRecord('shop/web')?.templateRevision).toBe(2);
  });

  it('given one replica, should start the new pod first and delete the old one only once the new one is Ready', async () => {
    const { clock, cluster } = setup({ replicas: 1 });
    const [old] = await cluster.listPods();
    cluster.updatePodTemplate('shop', 'web', [
      { name: 'app', requests: { memory: '1Gi' }, limits: { memory: '1Gi' } },
    ]);
    let sawSurge = false;
    await watch(clock, cluster, START + 5 * MINUTE, (pods) => {
      // Never without a Ready pod (maxUnavailable 0), never more than one extra (maxSurge 1).
      expect(pods.filter(isReady).length).toBeGreaterThanOrEqual(1);
      expect(active(pods).length).toBeLessThanOrEqual(2);
      if (active(pods).length === 2) sawSurge = true;
    });
    expect(sawSurge).toBe(true);
    const pods = await cluster.listPods();
    expect(pods).toHaveLength(1);
    const [pod] = pods;
    expect(pod?.name).not.toBe(old?.name);
    expect(pod?.containers[0]).toMatchObject({ requests: { memory: '1Gi' }, limits: { memory: '1Gi' } });
    // A new ReplicaSet: a new pod-template-hash, in the pod's label, name and owner.
    const hash = pod?.labels['pod-template-hash'];
    expect(hash).toBeDefined();
    expect(hash).not.toBe(old?.labels['pod-template-hash']);
    expect(pod?.name.startsWith(`web-${hash}-`)).toBe(true);
    expect(pod?.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: `web-${hash}` });
  });

  it('given ten replicas, should roll onto the new requests within maxSurge 3 and maxUnavailable 2', async () => {
    const { clock, cluster } = setup({ replicas: 10 });
    cluster.updatePodTemplate('shop', 'web', [{ name: 'app', requests: { memory: '1Gi' } }]);
    await watch(clock, cluster, START + 10 * MINUTE, (pods) => {
      expect(active(pods).length).toBeLessThanOrEqual(13);
      expect(pods.filter(isReady).length).toBeGreaterThanOrEqual(8);
    });
    const pods = await cluster.listPods();
    expect(pods).toHaveLength(10);
    expect(new Set(pods.map(memoryOf))).toEqual(new Set(['1Gi']));
    expect(pods.every(isReady)).toBe(true);
  });

  it('given old pods that are not Ready, should replace them first (they cost no availability)', async () => {
    const { clock, cluster } = setup({
      replicas: 4,
      containers: [
        {
          name: 'app',
          requests: { cpu: '100m', memory: '1000Mi' },
          limits: { memory: '1000Mi' },
          // Needs 3000 MiB from the start: every pod crash-loops on OOM kills.
          memoryNeed: { needMi: () => 3000, fillSeconds: 60 },
        },
      ],
    });
    runClusterUntil(clock, cluster, START + MINUTE);
    expect((await cluster.listPods()).filter(isReady)).toHaveLength(0);
    cluster.updatePodTemplate('shop', 'web', [
      { name: 'app', requests: { memory: '4000Mi' }, limits: { memory: '4000Mi' } },
    ]);
    // maxUnavailable 1 and no pod Ready: availability cannot drop, so old pods go as new ones come.
    runClusterUntil(clock, cluster, START + 3 * MINUTE);
    const pods = await cluster.listPods();
    expect(active(pods).map(memoryOf)).toEqual(['4000Mi', '4000Mi', '4000Mi', '4000Mi']);
    expect(pods.filter(isReady)).toHaveLength(4);
  });

  it('given a Parallel StatefulSet, should replace one pod at a time from the highest ordinal, waiting for each to be Ready', async () => {
    const { clock, cluster } = setup({ kind: 'StatefulSet', podManagementPolicy: 'Parallel', replicas: 3 });
    cluster.updatePodTemplate('shop', 'web', [{ name: 'app', requests: { memory: '1Gi' } }]);
    const order: string[] = [];
    await watch(clock, cluster, START + 10 * MINUTE, (pods) => {
      // One pod down at a time (terminating, gone, or back but not Ready yet).
      expect(pods.filter(isReady).length).toBeGreaterThanOrEqual(2);
      for (const pod of pods) {
        if (memoryOf(pod) === '1Gi' && !order.includes(pod.name)) order.push(pod.name);
      }
    });
    expect(order).toEqual(['web-2', 'web-1', 'web-0']);
    const pods = await cluster.listPods();
    expect(pods.map(memoryOf)).toEqual(['1Gi', '1Gi', '1Gi']);
  });

  it('given an OrderedReady StatefulSet with a pod that is never Ready, should not roll at all (kubernetes#67250)', async () => {
    const { clock, cluster } = setup({
      kind: 'StatefulSet',
      replicas: 2,
      containers: [
        {
          name: 'app',
          requests: { cpu: '100m', memory: '1000Mi' },
          limits: { memory: '1000Mi' },
          memoryNeed: { needMi: () => 3000, fillSeconds: 60 },
        },
      ],
    });
    runClusterUntil(clock, cluster, START + MINUTE);
    cluster.updatePodTemplate('shop', 'web', [
      { name: 'app', requests: { memory: '4000Mi' }, limits: { memory: '4000Mi' } },
    ]);
    runClusterUntil(clock, cluster, START + 30 * MINUTE);
    const pods = await cluster.listPods();
    expect(pods.map(memoryOf)).toEqual(['1000Mi', '1000Mi']);
    expect(pods.every((pod) => (pod.containerStatuses?.[0]?.restartCount ?? 0) > 3)).toBe(true);
  });
});
