import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../../shared/ports/autoscaling-v2';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController, simMetricRouter } from '../../../shared/sim/hpa-controller';
import { nodeResources } from '../../../shared/sim/instance-types';
import { createDefaultDayScenario, replicasForLoad } from '../../../shared/sim/scenarios/default-day';
import { SCENARIOS } from '../../../shared/sim/scenarios/index';
import { createTrace } from '../../../shared/sim/traces';
import { createSimWorld } from '../../../shared/sim/world';
import { parseMilliNumber, parseQuantityNumber } from '../../../shared/units/quantity';

const scenario = createDefaultDayScenario();

function cpuTarget(metrics: MetricSpec[] | undefined): number | undefined {
  return metrics?.find((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu')?.resource
    ?.target.averageUtilization;
}

describe('default-day scenario', () => {
  it('should describe a day of a few dozen autoscaled services across namespaces', () => {
    expect(SCENARIOS['default-day']?.().name).toBe('default-day');
    expect(scenario.durationMs).toBe(24 * 3_600_000);
    expect(scenario.tickIntervalMs).toBe(15_000);
    expect(scenario.services.length).toBeGreaterThanOrEqual(30);
    expect(scenario.services.length).toBeLessThanOrEqual(40);
    expect(new Set(scenario.services.map((service) => service.namespace)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(scenario.services.map((service) => `${service.namespace}/${service.name}`)).size).toBe(
      scenario.services.length,
    );
    for (const service of scenario.services) {
      const autoscaler = service.autoscaler;
      expect(autoscaler, service.name).toBeDefined();
      expect(autoscaler?.minReplicas).toBeGreaterThanOrEqual(2);
      expect(autoscaler?.minReplicas).toBeLessThanOrEqual(3);
      expect(autoscaler?.maxReplicas).toBeGreaterThanOrEqual(10);
      expect(autoscaler?.maxReplicas).toBeLessThanOrEqual(60);
      const target = cpuTarget(autoscaler?.metrics);
      if (target !== undefined) {
        expect(target).toBeGreaterThanOrEqual(60);
        expect(target).toBeLessThanOrEqual(80);
      }
    }
    const all = scenario.services.flatMap((service) => service.autoscaler?.metrics ?? []);
    expect(all.filter((metric) => metric.type === 'Pods').length).toBeGreaterThanOrEqual(1);
    expect(all.filter((metric) => metric.type === 'External').length).toBeGreaterThanOrEqual(1);
    expect(scenario.services.filter((service) => service.autoscaler?.behavior).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(
      scenario.services.filter((service) => service.kind === 'StatefulSet').length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('should hold every service at its evening peak in the initial node groups', () => {
    const pools = new Map<
      string,
      { cpu: number; memory: number; pods: number; needCpu: number; needMemory: number; needPods: number }
    >();
    const poolOf = (labels: Record<string, string> | undefined) =>
      labels?.['node-pool'] === 'search-compute' ? 'search' : 'general';
    for (const group of scenario.nodeGroups) {
      const resources = nodeResources(group.instanceType).allocatable;
      const pool = pools.get(poolOf(group.nodeLabels)) ?? {
        cpu: 0,
        memory: 0,
        pods: 0,
        needCpu: 0,
        needMemory: 0,
        needPods: 0,
      };
      pool.cpu += group.desiredCapacity * parseMilliNumber(resources.cpu ?? '0');
      pool.memory += group.desiredCapacity * parseQuantityNumber(resources.memory ?? '0');
      pool.pods += group.desiredCapacity * Number(resources.pods);
      pools.set(poolOf(group.nodeLabels), pool);
    }
    for (const service of scenario.services) {
      const trace = createTrace(service.load, {
        start: scenario.start,
        utcOffsetMinutes: scenario.utcOffsetMinutes,
        seed: scenario.seed,
        name: `${service.namespace}/${service.name}`,
      });
      let peak = 0;
      for (let t = scenario.start; t < scenario.start + scenario.durationMs; t += 60_000)
        peak = Math.max(peak, trace(t));
      const main = service.containers[0];
      const replicas = Math.min(
        service.autoscaler?.maxReplicas ?? 1,
        replicasForLoad(
          peak,
          service.cost,
          parseMilliNumber(main?.requests.cpu ?? '0'),
          cpuTarget(service.autoscaler?.metrics) ?? 70,
        ),
      );
      const pool = pools.get(poolOf(service.nodeSelector));
      if (!pool) throw new Error('no pool');
      pool.needCpu +=
        replicas * service.containers.reduce((sum, c) => sum + parseMilliNumber(c.requests.cpu ?? '0'), 0);
      pool.needMemory +=
        replicas *
        service.containers.reduce((sum, c) => sum + parseQuantityNumber(c.requests.memory ?? '0'), 0);
      pool.needPods += replicas;
    }
    for (const [name, pool] of pools) {
      expect(pool.needCpu / pool.cpu, name).toBeLessThan(0.85);
      expect(pool.needMemory / pool.memory, name).toBeLessThan(0.85);
      expect(pool.needPods / pool.pods, name).toBeLessThan(0.85);
    }
  });

  it('should start with every pod scheduled and Ready, and stay so for an hour without controllers', async () => {
    const world = createSimWorld(createDefaultDayScenario({ durationMs: 3_600_000 }));
    const expectedNodes = scenario.nodeGroups.reduce((sum, group) => sum + group.desiredCapacity, 0);
    const pods = await world.cluster.listPods();
    expect(pods.length).toBe(scenario.services.reduce((sum, service) => sum + service.replicas, 0));
    expect(
      pods.every(
        (pod) => pod.nodeName && pod.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    ).toBe(true);
    expect(await world.cluster.listNodes()).toHaveLength(expectedNodes);
    expect(await world.cluster.listAutoscalers('HorizontalAutoscaler')).toHaveLength(
      scenario.services.length,
    );
    const searchPods = pods.filter((pod) => pod.namespace === 'search');
    const nodes = new Map((await world.cluster.listNodes()).map((node) => [node.name, node]));
    expect(
      searchPods.every((pod) => nodes.get(pod.nodeName ?? '')?.labels['node-pool'] === 'search-compute'),
    ).toBe(true);

    const result = await runSimulation(world);
    expect(result.pendingPodSeconds).toBe(0);
    expect(result.rescales).toBe(0);
    expect(result.series.times).toHaveLength(13);
  });

  it('should scale three services on AWS metric sources through the router and the simulated AWS', async () => {
    const world = createSimWorld(createDefaultDayScenario());
    const router = simMetricRouter(world);
    const routes: Record<string, string> = {};
    for (const autoscaler of await world.cluster.listAutoscalers('HorizontalAutoscaler')) {
      const metrics = (autoscaler.spec as { metrics?: MetricSpec[] }).metrics ?? [];
      for (const metric of metrics) {
        if (metric.type !== 'External' || !metric.external) continue;
        const route = router.route('External', {
          origin: {
            namespace: autoscaler.namespace,
            name: autoscaler.name,
            annotations: autoscaler.annotations,
          },
          metricName: metric.external.metric.name,
          ...(metric.external.metric.selector ? { metricSelector: metric.external.metric.selector } : {}),
        });
        routes[`${autoscaler.namespace}/${autoscaler.name}`] =
          route.kind === 'collector' ? route.collector.name : route.kind;
      }
    }
    expect(routes).toEqual({
      'platform/event-consumer': 'sqs-queue-length',
      'storefront/web': 'cloudwatch',
      'checkout/cart': 'cloudwatch',
    });

    const result = await runSimulation(world, {
      controllers: [hpaController(world, { metrics: router })],
      durationMs: 15 * 60_000,
    });
    expect(result.controllers[0]).toMatchObject({ ticks: 60, errors: 0 });
    expect(world.sqs.stats().calls).toEqual({ GetQueueUrl: 1, GetQueueAttributes: 60 });
    expect(world.cloudwatch.stats().calls).toEqual({ GetMetricData: 60 });
    for (const key of Object.keys(routes)) {
      const [namespace = '', name = ''] = key.split('/');
      const status = world.cluster.getAutoscaler('HorizontalAutoscaler', namespace, name)?.status;
      expect(
        status?.currentMetrics?.some((m) => m.type === 'External'),
        key,
      ).toBe(true);
      expect(status?.conditions, key).toContainEqual(
        expect.objectContaining({ type: 'ScalingActive', status: 'True' }),
      );
    }
  });

  it('should still run the HPA loop on a plain metric source when given one', async () => {
    const world = createSimWorld(createDefaultDayScenario());
    const result = await runSimulation(world, {
      controllers: [hpaController(world, { metrics: world.metrics })],
      durationMs: 60_000,
    });
    expect(result.controllers[0]).toMatchObject({ ticks: 4, errors: 0 });
    expect(world.sqs.stats().totalCalls + world.cloudwatch.stats().totalCalls).toBe(0);
    expect(world.metrics.stats().calls.getExternalMetric).toBeGreaterThan(0);
  });
});
