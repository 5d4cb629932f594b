/**
 * The cluster's incremental bookkeeping: the queue of pod transitions behind `nextEventAt`, the
 * workloads whose controllers and statuses need a look, and the cached list of pod views. Each must
 * answer as a full scan of every pod would.
 */
import { describe, expect, it } from 'vitest';
import { isReady, runClusterUntil, START, smallCluster, workload } from './fixtures';

describe('SimCluster bookkeeping', () => {
  it('given pods starting, should name the earliest pending transition as the next event, and none once all are Ready', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3 }));
    const pods = await cluster.listPods();
    const transitions = pods.map((pod) => pod.startTime ?? 0);
    expect(transitions.every((t) => t === START)).toBe(true);
    // Start-up takes 10 s ± 20 %: the first transition is a pod starting within 8–12 s.
    const first = cluster.nextEventAt();
    expect(first).toBeGreaterThanOrEqual(START + 8_000);
    expect(first).toBeLessThanOrEqual(START + 12_000);
    runClusterUntil(clock, cluster, START + 60_000);
    expect((await cluster.listPods()).every(isReady)).toBe(true);
    expect(cluster.nextEventAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it('given a pod deleted before its transition, should not report that transition any more', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 1, terminationSeconds: 5 }), { warm: true });
    clock.advance(1_000);
    cluster.setReplicas('shop', 'web', 2);
    const starting = cluster.nextEventAt();
    expect(starting).toBeGreaterThan(clock.now());
    // Scaling back down deletes the unready new pod at once (it is not running yet).
    cluster.setReplicas('shop', 'web', 1);
    expect(await cluster.listPods()).toHaveLength(1);
    expect(cluster.nextEventAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it('given time passing with no call in between, should bring workload status and views up to date at the next read', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2 }));
    const before = await cluster.listPods();
    clock.advance(60_000);
    const after = await cluster.listPods();
    expect(after.map((pod) => pod.name)).toEqual(before.map((pod) => pod.name));
    expect(after.every(isReady)).toBe(true);
    expect(before.some(isReady)).toBe(false);
    expect(cluster.workloadSnapshot('shop/web')).toMatchObject({ readyPods: 2, statusReplicas: 2 });
  });

  it('given a caller that changes the list it got, should hand the next caller an intact list', async () => {
    const { cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 3 }), { warm: true });
    const first = await cluster.listPods();
    first.splice(0, 2);
    first.reverse();
    const second = await cluster.listPods();
    expect(second).toHaveLength(3);
    expect(second).not.toBe(first);
  });

  it('given a rescale after a quiet spell, should run the workload controller again', async () => {
    const { clock, cluster } = smallCluster();
    cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
    runClusterUntil(clock, cluster, START + 300_000);
    cluster.setReplicas('shop', 'web', 5);
    expect(await cluster.listPods()).toHaveLength(5);
    runClusterUntil(clock, cluster, START + 400_000);
    expect(cluster.workloadSnapshot('shop/web')).toMatchObject({ readyPods: 5, statusReplicas: 5 });
    cluster.setReplicas('shop', 'web', 1);
    expect(cluster.workloadSnapshot('shop/web').terminatingPods).toBe(4);
    runClusterUntil(clock, cluster, START + 500_000);
    expect(await cluster.listPods()).toHaveLength(1);
  });
});
