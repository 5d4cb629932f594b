import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../../shared/ports/autoscaling-v2';
import { SimMetrics } from '../../../shared/sim/metrics';
import { smallCluster, workload } from './fixtures';

function setup() {
  const { clock, cluster } = smallCluster();
  cluster.addWorkload(workload({ replicas: 4, load: () => 200 }), { warm: true });
  cluster.addWorkload(
    workload({
      name: 'consumer',
      replicas: 2,
      load: () => 100,
      queue: { name: 'orders', capacityPerPod: 30 },
    }),
    { warm: true },
  );
  return { clock, cluster, metrics: new SimMetrics(cluster) };
}

describe('SimMetrics', () => {
  it('should serve requests-per-second per pod as a Pods metric', async () => {
    const { metrics } = setup();
    const result = await metrics.getPodsMetric({
      namespace: 'shop',
      metricName: 'requests-per-second',
      podSelector: 'app=web',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toHaveLength(4);
    for (const sample of result.value) {
      expect(sample.milliValue).toBe(50_000);
      expect(sample.windowSeconds).toBe(15);
    }
  });

  it('should serve the total load of a workload as an Object metric on its Service or itself', async () => {
    const { metrics } = setup();
    for (const kind of ['Service', 'Ingress', 'Deployment']) {
      const result = await metrics.getObjectMetric({
        namespace: 'shop',
        describedObject: { apiVersion: 'v1', kind, name: 'web' },
        metricName: 'requests-per-second',
      });
      expect(result).toMatchObject({ ok: true, value: { milliValue: 200_000 } });
    }
    const missing = await metrics.getObjectMetric({
      namespace: 'shop',
      describedObject: { kind: 'Service', name: 'nope' },
      metricName: 'requests-per-second',
    });
    expect(missing).toMatchObject({ ok: false, error: { reason: 'NotFound' } });
  });

  it('should grow a queue the consumers cannot keep up with and serve its length as an External metric', async () => {
    const { clock, cluster, metrics } = setup();
    clock.advance(60_000);
    cluster.reconcile();
    const query = {
      namespace: 'shop',
      metricName: 'queue-length',
      metricSelector: { matchLabels: { queue: 'orders' } },
    };
    const result = await metrics.getExternalMetric(query);
    // 100 msg/s arrive, 2 × 30 are processed: 40 msg/s × 60 s.
    expect(result).toMatchObject({ ok: true, value: [{ milliValue: 2_400_000 }] });
    cluster.setReplicas('shop', 'consumer', 6);
    clock.advance(60_000);
    cluster.reconcile();
    clock.advance(60_000);
    cluster.reconcile();
    const drained = await metrics.getExternalMetric(query);
    expect(drained.ok && (drained.value[0]?.milliValue ?? 0) < 2_400_000).toBe(true);
    expect(cluster.workloadSnapshot('shop/consumer').queueLength).toBeLessThan(2_400);
  });

  it('should answer unknown metrics and selectors with NotFound, malformed selectors with Invalid', async () => {
    const { metrics } = setup();
    expect(
      await metrics.getPodsMetric({ namespace: 'shop', metricName: 'latency', podSelector: 'app=web' }),
    ).toMatchObject({ ok: false, error: { reason: 'NotFound' } });
    expect(
      await metrics.getPodsMetric({
        namespace: 'shop',
        metricName: 'requests-per-second',
        podSelector: 'app in web',
      }),
    ).toMatchObject({ ok: false, error: { reason: 'Invalid' } });
    expect(
      await metrics.getExternalMetric({
        namespace: 'shop',
        metricName: 'queue-length',
        metricSelector: { matchLabels: { queue: 'payments' } },
      }),
    ).toMatchObject({ ok: false, error: { reason: 'NotFound' } });
  });

  it('should select queues by matchLabels and matchExpressions, and every queue without a metric selector', async () => {
    const { metrics } = setup();
    const count = async (metricSelector?: LabelSelector) => {
      const result = await metrics.getExternalMetric({
        namespace: 'shop',
        metricName: 'queue-length',
        metricSelector,
      });
      return result.ok ? result.value.length : 0;
    };
    expect(await count(undefined)).toBe(1);
    expect(await count({})).toBe(1);
    expect(
      await count({ matchExpressions: [{ key: 'queue', operator: 'NotIn', values: ['payments'] }] }),
    ).toBe(1);
    expect(await count({ matchExpressions: [{ key: 'queue', operator: 'In', values: ['payments'] }] })).toBe(
      0,
    );
    expect(
      await count({
        matchLabels: { queue: 'orders' },
        matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }],
      }),
    ).toBe(1);
  });

  it('should count calls and answer armed failures with a metric error', async () => {
    const { metrics } = setup();
    metrics.failNext('getPodsMetric', 1, 'Timeout');
    const query = { namespace: 'shop', metricName: 'requests-per-second', podSelector: 'app=web' };
    expect(await metrics.getPodsMetric(query)).toMatchObject({ ok: false, error: { reason: 'Timeout' } });
    expect((await metrics.getPodsMetric(query)).ok).toBe(true);
    expect(metrics.stats()).toMatchObject({
      calls: { getPodsMetric: 2 },
      requests: { 'get custom.metrics.k8s.io/pods/requests-per-second': 2 },
    });
  });
});
