/**
 * OOM kills in the simulated cluster (SimCluster with oom-killer.ts): what the pods and metrics.k8s.io
 * show a VPA loop when a container's memory need passes its limit.
 */
import { describe, expect, it } from 'vitest';
import { OOM_CHECK_MS } from '../../../shared/sim/oom-killer';
import { parseQuantityNumber } from '../../../shared/units/quantity';
import { isReady, runClusterUntil, START, smallCluster, workload } from './fixtures';

const MiB = 2 ** 20;
const STEP = START + 10 * 60_000;

/** A cache of `replicas` pods (Ready since an hour) whose need steps from 800 MiB to `factor` × at STEP. */
function cacheCluster(factor: number, replicas = 1, terminationSeconds = 15) {
  const { clock, cluster } = smallCluster();
  cluster.addWorkload(
    workload({
      name: 'cache',
      replicas,
      terminationSeconds,
      terminationGracePeriodSeconds: terminationSeconds,
      containers: [
        {
          name: 'cache',
          requests: { cpu: '100m', memory: '1000Mi' },
          limits: { memory: '1000Mi' },
          memoryNeed: { needMi: (t) => (t < STEP ? 800 : 800 * factor), fillSeconds: 120 },
        },
        {
          name: 'sidecar',
          requests: { cpu: '10m', memory: '64Mi' },
          fixedUsage: { cpuMillis: 5, memoryMi: 30 },
        },
      ],
    }),
    { warm: true },
  );
  return { clock, cluster };
}

describe('SimCluster OOM kills', () => {
  it('given a need within the limit, should report the working set and never kill', async () => {
    const { clock, cluster } = cacheCluster(1.2);
    clock.advance(30 * 60_000);
    const [pod] = await cluster.listPods();
    expect(pod?.containerStatuses).toBeUndefined();
    expect(cluster.oomKills()).toEqual([]);
    const [metrics] = await cluster.listPodMetrics();
    const memory = metrics?.containers.find((c) => c.name === 'cache')?.usage.memory ?? '0';
    expect(parseQuantityNumber(memory) / MiB).toBeCloseTo(960, 0);
    // The sidecar keeps the load model's fixed usage.
    expect(metrics?.containers.find((c) => c.name === 'sidecar')?.usage.memory).toBe(`${30 * 1024}Ki`);
  });

  it('given a step above the limit, should OOM-kill the container, show it in the pod status and make the pod unready until it is back', async () => {
    const { clock, cluster } = cacheCluster(2);
    clock.advanceTo(STEP + OOM_CHECK_MS);
    const [pod] = await cluster.listPods();
    const status = pod?.containerStatuses?.[0];
    expect(status).toMatchObject({ name: 'cache', restartCount: 1, lastTerminationReason: 'OOMKilled' });
    expect(status?.lastTerminationAt).toBeGreaterThanOrEqual(STEP);
    expect(status?.lastTerminationAt).toBeLessThanOrEqual(STEP + OOM_CHECK_MS);
    expect(pod && isReady(pod)).toBe(false);
    expect(pod?.phase).toBe('Running');
    // While it waits to restart, metrics.k8s.io has the sidecar only.
    const [metrics] = await cluster.listPodMetrics();
    expect(metrics?.containers.map((c) => c.name)).toEqual(['sidecar']);
    const [kill] = cluster.oomKills();
    expect(kill).toMatchObject({
      namespace: 'shop',
      workload: 'shop/cache',
      container: 'cache',
      restartCount: 1,
    });
    expect((kill?.limitBytes ?? 0) / MiB).toBe(1000);
    expect((kill?.needBytes ?? 0) / MiB).toBe(1600);

    // Back 10 s later, Ready after its readiness delay (20 s ± 20 %), until the working set fills again.
    clock.advanceTo((kill?.restartAt ?? 0) + 25_000);
    const [again] = await cluster.listPods();
    expect(again && isReady(again)).toBe(true);
  });

  it('given a need that stays above the limit, should keep killing the container with growing back-off', async () => {
    const { clock, cluster } = cacheCluster(3);
    runClusterUntil(clock, cluster, STEP + 30 * 60_000);
    const kills = cluster.oomKills();
    expect(kills.length).toBeGreaterThanOrEqual(6);
    expect(kills.map((kill) => kill.restartCount)).toEqual(kills.map((_, i) => i + 1));
    const gaps = kills.slice(1).map((kill, i) => kill.time - (kills[i]?.time ?? 0));
    expect(gaps.every((gap, i) => i === 0 || gap >= (gaps[i - 1] ?? 0))).toBe(true);
    const [pod] = await cluster.listPods();
    expect(pod?.containerStatuses?.[0]?.restartCount).toBe(kills.length);
  });

  it('should stop killing a pod once it is terminating', async () => {
    // Ten minutes to shut down: long enough for several more kills if it were still watched.
    const { clock, cluster } = cacheCluster(3, 1, 600);
    runClusterUntil(clock, cluster, STEP + OOM_CHECK_MS);
    expect(cluster.oomKills()).toHaveLength(1);
    cluster.setReplicas('shop', 'cache', 0);
    runClusterUntil(clock, cluster, STEP + 9 * 60_000);
    expect(cluster.oomKills()).toHaveLength(1);
    expect((await cluster.listPods())[0]?.deletionTimestamp).toBeDefined();
  });

  it('given a larger limit rolled out before the step, should not kill the new pods', async () => {
    const { clock, cluster } = cacheCluster(2, 2);
    clock.advanceTo(STEP - 60_000);
    cluster.updatePodTemplate('shop', 'cache', [
      { name: 'cache', limits: { memory: '2000Mi' }, requests: { memory: '2000Mi' } },
    ]);
    runClusterUntil(clock, cluster, STEP + 30 * 60_000);
    const pods = await cluster.listPods();
    expect(pods.every((pod) => pod.containers[0]?.limits.memory === '2000Mi')).toBe(true);
    expect(pods.every((pod) => pod.containerStatuses === undefined)).toBe(true);
    expect(cluster.oomKills()).toEqual([]);
  });

  it('given a crash-looping container resized in place, should stop killing it and keep the pod (same name, no restart of its own)', async () => {
    const { clock, cluster } = cacheCluster(3);
    runClusterUntil(clock, cluster, STEP + 30_000);
    expect(cluster.oomKills()).toHaveLength(1);
    const [before] = await cluster.listPods();
    const name = before?.name ?? '';
    expect(
      cluster.resizePod('shop', name, [
        { name: 'cache', requests: { memory: '3000Mi' }, limits: { memory: '3000Mi' } },
      ]),
    ).toBe('resized');
    runClusterUntil(clock, cluster, STEP + 30 * 60_000);
    expect(cluster.oomKills()).toHaveLength(1);
    const [after] = await cluster.listPods();
    expect(after?.name).toBe(name);
    expect(after?.containers[0]).toMatchObject({
      requests: { memory: '3000Mi' },
      limits: { memory: '3000Mi' },
    });
    expect(after?.containerStatuses?.[0]?.restartCount).toBe(1);
    expect(isReady(after as never)).toBe(true);
    expect(cluster.resizeStats()).toEqual({ requested: 1, deferred: 0 });
  });

  it('should refuse lowering a memory limit in place, and leave a raise the node has no room for pending', async () => {
    const { clock, cluster } = cacheCluster(3);
    runClusterUntil(clock, cluster, STEP + 30_000);
    const [pod] = await cluster.listPods();
    const name = pod?.name ?? '';
    expect(
      cluster.resizePod('shop', name, [
        { name: 'cache', requests: { memory: '500Mi' }, limits: { memory: '500Mi' } },
      ]),
    ).toBe('unsupported');
    expect(cluster.resizePod('shop', 'gone', [])).toBe('gone');
    // Far beyond any node of the small cluster: the API takes it, the kubelet defers it.
    expect(
      cluster.resizePod('shop', name, [
        { name: 'cache', requests: { memory: '900Gi' }, limits: { memory: '900Gi' } },
      ]),
    ).toBe('resized');
    expect(cluster.resizeStats()).toEqual({ requested: 1, deferred: 1 });
    expect((await cluster.listPods())[0]?.containers[0]?.limits.memory).toBe('1000Mi');
    runClusterUntil(clock, cluster, STEP + 5 * 60_000);
    expect(cluster.oomKills().length).toBeGreaterThan(1);
  });
});
