import { describe, expect, it } from 'vitest';
import { nodePoolsSchema } from '../../../shared/config/node-pools';
import { CA_ENABLED_TAG, clusterTag, NODE_POOL_TAG } from '../../../shared/nodepools/pools';
import { CAPACITY_TYPE_LABEL, SPOT_TAINT } from '../../../shared/nodepools/template-node';
import type { MetricSpec } from '../../../shared/ports/autoscaling-v2';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController, simMetricRouter } from '../../../shared/sim/hpa-controller';
import { nodeResources } from '../../../shared/sim/instance-types';
import {
  createDefaultDayScenario,
  DEFAULT_DAY_NETWORK,
  groupName,
  NODE_POOL_LABEL,
  replicasForLoad,
  ZONES,
} from '../../../shared/sim/scenarios/default-day';
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
    expect(Object.keys(SCENARIOS)).toEqual([
      'default-day',
      'capacity-shortage',
      'zonal-volume',
      'spot-interruption',
      'control-plane-day',
      'quota-limit',
      'full-day',
      'vpa-day',
      'vpa-oom',
    ]);
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

  it("should give each pool room for its services' evening peak at its max, and start with the night's nodes", () => {
    type Room = { cpu: number; memory: number; pods: number };
    const pools = new Map<string, { night: Room; max: Room; peak: Room; start: Room }>();
    const empty = (): Room => ({ cpu: 0, memory: 0, pods: 0 });
    const poolOf = (selector: Record<string, string> | undefined) =>
      selector?.[NODE_POOL_LABEL] ?? (selector?.[CAPACITY_TYPE_LABEL] === 'spot' ? 'spot' : 'default');
    for (const group of scenario.nodeGroups) {
      const resources = nodeResources(group.instanceType, group.maxPods).allocatable;
      const name = group.nodeLabels?.[NODE_POOL_LABEL] ?? '?';
      const pool = pools.get(name) ?? { night: empty(), max: empty(), peak: empty(), start: empty() };
      for (const [room, nodes] of [
        [pool.night, group.desiredCapacity],
        [pool.max, group.maxSize],
      ] as const) {
        room.cpu += nodes * parseMilliNumber(resources.cpu ?? '0');
        room.memory += nodes * parseQuantityNumber(resources.memory ?? '0');
        room.pods += nodes * Number(resources.pods);
      }
      pools.set(name, pool);
    }
    expect([...pools.keys()].sort()).toEqual(['default', 'fallback', 'search-compute', 'spot']);
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
      if (!pool) throw new Error(`no pool for ${service.name}`);
      const cpu = service.containers.reduce((sum, c) => sum + parseMilliNumber(c.requests.cpu ?? '0'), 0);
      const memory = service.containers.reduce(
        (sum, c) => sum + parseQuantityNumber(c.requests.memory ?? '0'),
        0,
      );
      for (const [room, count] of [
        [pool.peak, replicas],
        [pool.start, service.replicas],
      ] as const) {
        room.cpu += count * cpu;
        room.memory += count * memory;
        room.pods += count;
      }
    }
    for (const [name, pool] of pools) {
      if (name === 'fallback') {
        expect(pool.night.cpu, name).toBe(0);
        continue;
      }
      // The groups' max sizes hold the peak with room to spare; the night's nodes hold the first pods ...
      expect(pool.peak.cpu / pool.max.cpu, name).toBeLessThan(0.6);
      expect(pool.peak.memory / pool.max.memory, name).toBeLessThan(0.6);
      expect(pool.start.cpu / pool.night.cpu, name).toBeLessThan(1);
      expect(pool.start.memory / pool.night.memory, name).toBeLessThan(1);
    }
    // ... but not the peak: the node-pool loop has to add nodes.
    const general = pools.get('default');
    expect((general?.peak.cpu ?? 0) / (general?.night.cpu ?? 1)).toBeGreaterThan(1.3);
  });

  it('should run every pool in zonal groups tagged for cluster-autoscaler and this cluster', () => {
    expect(scenario.network).toEqual(DEFAULT_DAY_NETWORK);
    const config = nodePoolsSchema.parse(scenario.nodePools);
    expect(config.discoverByTags).toBe(true);
    expect(config.pools.map((pool) => [pool.name, pool.priority])).toEqual([
      ['default', 0],
      ['fallback', -10],
    ]);
    for (const group of scenario.nodeGroups) {
      expect(group.availabilityZones, group.name).toHaveLength(1);
      expect(group.tags?.[CA_ENABLED_TAG], group.name).toBe('true');
      expect(group.tags, group.name).toHaveProperty([clusterTag(scenario.clusterName)]);
      expect(group.maxPods, group.name).toBe(110);
    }
    const byPool = new Map<string, string[]>();
    for (const group of scenario.nodeGroups) {
      const pool = group.nodeLabels?.[NODE_POOL_LABEL] ?? '?';
      byPool.set(pool, [...(byPool.get(pool) ?? []), group.availabilityZones[0] ?? '?']);
    }
    for (const zones of byPool.values()) expect(zones).toEqual(ZONES);
    const spot = scenario.nodeGroups.filter((group) => group.capacityType === 'spot');
    expect(spot.map((group) => group.name)).toEqual(ZONES.map((zone) => groupName('spot', zone)));
    for (const group of spot) {
      expect(group.nodeTaints).toEqual([SPOT_TAINT]);
      expect(group.tags?.[NODE_POOL_TAG]).toBe('spot');
    }
    const fallback = scenario.nodeGroups.filter(
      (group) => group.nodeLabels?.[NODE_POOL_LABEL] === 'fallback',
    );
    expect(fallback.every((group) => group.minSize === 0 && group.desiredCapacity === 0)).toBe(true);
    expect(new Set(fallback.map((group) => group.instanceType))).not.toContain('m5.2xlarge');
  });

  it('should start with every pod scheduled and Ready, and stay so for an hour without controllers', async () => {
    const world = createSimWorld(createDefaultDayScenario({ durationMs: 3_600_000 }));
    const expectedNodes = scenario.nodeGroups.reduce((sum, group) => sum + group.desiredCapacity, 0);
    const allPods = await world.cluster.listPods();
    const daemonPods = allPods.filter((pod) =>
      pod.ownerReferences.some((owner) => owner.kind === 'DaemonSet'),
    );
    const pods = allPods.filter((pod) => !daemonPods.includes(pod));
    expect(pods.length).toBe(scenario.services.reduce((sum, service) => sum + service.replicas, 0));
    // Every node runs each node agent.
    expect(daemonPods.length).toBe(expectedNodes * (scenario.daemonSets?.length ?? 0));
    expect(allPods.every((pod) => pod.nodeName)).toBe(true);
    expect(world.network?.maxPodsPerNode).toBe(110);
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
    // Spot is opt-in: exactly the services that select and tolerate it run on spot nodes.
    const spotServices = scenario.services
      .filter((service) => service.nodeSelector?.[CAPACITY_TYPE_LABEL] === 'spot')
      .map((service) => `${service.namespace}/${service.name}`);
    expect(spotServices.length).toBeGreaterThanOrEqual(3);
    for (const pod of pods) {
      const node = nodes.get(pod.nodeName ?? '');
      const onSpot = node?.labels[CAPACITY_TYPE_LABEL] === 'spot';
      if (onSpot) expect(node?.taints).toContainEqual(SPOT_TAINT);
      const service = `${pod.namespace}/${pod.labels.app}`;
      expect(onSpot, pod.name).toBe(spotServices.includes(service));
    }

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
