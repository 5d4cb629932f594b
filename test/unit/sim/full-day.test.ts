/**
 * The full day's composition (shared/sim/scenarios/full-day.ts): every loop has something to do. Its
 * figures come from running it (`tideplane simulate --scenario full-day`), not from here.
 */
import { describe, expect, it } from 'vitest';
import { nodePoolsSchema } from '../../../shared/config/node-pools';
import { type NetworkInput, planNetwork } from '../../../shared/network/plan';
import { baselineScenario } from '../../../shared/sim/baseline';
import { nodeResources } from '../../../shared/sim/instance-types';
import type { Scenario } from '../../../shared/sim/scenario';
import { createDefaultDayScenario, replicasForLoad } from '../../../shared/sim/scenarios/default-day';
import { createFullDayScenario, FULL_DAY } from '../../../shared/sim/scenarios/full-day';
import { createTrace, DEFAULT_NIGHT_FRACTION } from '../../../shared/sim/traces';
import { parseMilliNumber } from '../../../shared/units/quantity';

const HOUR_MS = 3_600_000;

/**
 * Nodes the services' CPU requests fill at a local hour when every HPA has converged on its CPU target:
 * per pool, requests over one node's allocatable CPU (node agents left out, so a little under the truth).
 */
function cpuNodesAt(scenario: Scenario, localHour: number): number {
  const t = scenario.start + localHour * HOUR_MS;
  const byGroupType = new Map<string, number>();
  for (const service of scenario.services) {
    if (!service.cost || !service.autoscaler) continue;
    const trace = createTrace(service.load, {
      start: scenario.start,
      utcOffsetMinutes: scenario.utcOffsetMinutes,
      seed: scenario.seed,
      name: `${service.namespace}/${service.name}`,
    });
    const main = parseMilliNumber(service.containers[0]?.requests.cpu ?? '0');
    const perPod = service.containers.reduce((sum, c) => sum + parseMilliNumber(c.requests.cpu ?? '0'), 0);
    const target =
      service.autoscaler.metrics?.find((m) => m.type === 'Resource')?.resource?.target.averageUtilization ??
      70;
    const replicas = Math.min(
      service.autoscaler.maxReplicas,
      Math.max(service.autoscaler.minReplicas ?? 1, replicasForLoad(trace(t), service.cost, main, target)),
    );
    const pool = service.nodeSelector?.['node-pool'] ?? (service.tolerations?.length ? 'spot' : 'default');
    byGroupType.set(pool, (byGroupType.get(pool) ?? 0) + replicas * perPod);
  }
  const typeOf = (pool: string) =>
    scenario.nodeGroups.find((g) => g.name.startsWith(pool === 'search-compute' ? 'search' : pool))
      ?.instanceType as string;
  let nodes = 0;
  for (const [pool, millis] of byGroupType) {
    nodes += millis / parseMilliNumber(nodeResources(typeOf(pool), 110).allocatable.cpu ?? '0');
  }
  return nodes;
}

describe('full-day scenario', () => {
  const scenario = createFullDayScenario();

  it('should hold the shop seven times over, each tenant with its own namespaces, queue and target groups', () => {
    const shop = createDefaultDayScenario();
    expect(scenario.services).toHaveLength(shop.services.length * FULL_DAY.copies + 1);
    const keys = scenario.services.map((s) => `${s.namespace}/${s.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('storefront-7/web');
    const queues = scenario.services.flatMap((s) => (s.queue ? [s.queue.name] : []));
    expect(new Set(queues).size).toBe(FULL_DAY.copies);
    const targetGroups = scenario.services.flatMap((s) =>
      Object.entries(s.autoscalerAnnotations ?? {})
        .filter(([key]) => key.endsWith('/dimension-TargetGroup'))
        .map(([, value]) => value),
    );
    expect(new Set(targetGroups).size).toBe(targetGroups.length);
    // The pools' maxima grow with the tenants.
    const defaultGroup = (s: typeof scenario) => s.nodeGroups.find((g) => g.name.includes('default'));
    expect(defaultGroup(scenario)?.maxSize).toBe((defaultGroup(shop)?.maxSize ?? 0) * FULL_DAY.copies);
  });

  it('should give every loop its part: VPA, control plane, a morning shortage and a quota below the peak', () => {
    expect(scenario.vpa?.objects.map((o) => `${o.namespace}/${o.name}`)).toEqual(['monitoring/prometheus']);
    expect(scenario.services.some((s) => s.namespace === 'monitoring' && s.name === 'prometheus')).toBe(true);
    expect(scenario.controlPlane?.ec2?.instanceType).toBe(FULL_DAY.controlPlaneType);
    expect(scenario.faults?.map((f) => [f.kind, f.atMs / 3_600_000])).toEqual([
      ['capacity', FULL_DAY.shortageHours.from],
      ['capacity', FULL_DAY.shortageHours.from],
      ['capacity', FULL_DAY.shortageHours.until],
      ['capacity', FULL_DAY.shortageHours.until],
    ]);
    expect(Object.values(scenario.quotas?.account.applied ?? {})).toContain(FULL_DAY.standardOnDemandVcpus);
    expect(scenario.nodePools).toBeDefined();
  });

  it('should swing from ~30 nodes of requests at night to 250+ at the evening peak', () => {
    expect(cpuNodesAt(scenario, 4)).toBeGreaterThan(20);
    expect(cpuNodesAt(scenario, 4)).toBeLessThan(40);
    expect(cpuNodesAt(scenario, 20.5)).toBeGreaterThan(250);
    // The pod network leaves room above the peak (the shop's /16 would stop the cluster at 256 nodes).
    const network = planNetwork(scenario.network as NetworkInput);
    expect(network.ok && network.plan.maxNodes).toBe(512);
    expect(cpuNodesAt(scenario, 20.5) * 1.2).toBeLessThan(512);
    // The shop alone swings far less: its tenants' nights make the difference.
    const shop = createDefaultDayScenario();
    expect(cpuNodesAt(shop, 20.5) / cpuNodesAt(shop, 4)).toBeLessThan(5);
    expect(cpuNodesAt(scenario, 20.5) / cpuNodesAt(scenario, 4)).toBeGreaterThan(7);
  });

  it("should give tenants a quarter of the shop's night and their batch work in their own day", () => {
    const shop = new Map(createDefaultDayScenario().services.map((s) => [s.name, s.load]));
    for (const service of scenario.services.filter((s) => s.namespace.endsWith('-3'))) {
      const original = shop.get(service.name);
      if (original?.kind !== 'european-day' || service.load.kind !== 'european-day') continue;
      expect(service.load.nightFraction, service.name).toBeCloseTo(
        (original.nightFraction ?? DEFAULT_NIGHT_FRACTION) / 4,
        10,
      );
      const phase = original.phaseHours ?? 0;
      expect(service.load.phaseHours ?? 0, service.name).toBe(Math.abs(phase) > 1 ? 0 : phase);
    }
    const resizer = scenario.services.find((s) => s.namespace === 'catalog' && s.name === 'media-resizer');
    expect(resizer?.load).toMatchObject({ phaseHours: -6, nightFraction: 0.3 });
  });

  it('should empty nodes below 65 % utilization where the baseline keeps cluster-autoscaler’s 50 %', () => {
    expect(nodePoolsSchema.parse(scenario.nodePools).scaleDown.utilizationThreshold).toBe(0.65);
    expect(nodePoolsSchema.parse(baselineScenario(scenario).nodePools).scaleDown.utilizationThreshold).toBe(
      0.5,
    );
  });

  it('should keep the shortage inside a slice that starts later in the day', () => {
    const evening = createFullDayScenario({ startHour: 19, durationMs: 2 * 3_600_000 });
    expect(evening.faults).toEqual([]);
    const morning = createFullDayScenario({ startHour: 6, durationMs: 4 * 3_600_000 });
    expect(morning.faults?.map((f) => f.atMs / 3_600_000)).toEqual([0.5, 0.5, 3, 3]);
    // The default pool's type runs out on-demand (it has a fallback pool), the spot pool's as spot.
    expect(morning.faults?.slice(0, 2)).toMatchObject([
      { instanceType: 'm5.2xlarge', capacityType: 'on-demand', zone: 'eu-central-1a', available: false },
      { instanceType: 'm5.xlarge', capacityType: 'spot', zone: 'eu-central-1a', available: false },
    ]);
  });
});
