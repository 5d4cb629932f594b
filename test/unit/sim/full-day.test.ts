/**
 * The full day's composition (shared/sim/scenarios/full-day.ts): every loop has something to do. Its
 * figures come from running it (`tideplane simulate --scenario full-day`), not from here.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';
import { createFullDayScenario, FULL_DAY } from '../../../shared/sim/scenarios/full-day';

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
      ['capacity', FULL_DAY.shortage.fromHour],
      ['capacity', FULL_DAY.shortage.untilHour],
    ]);
    expect(Object.values(scenario.quotas?.account.applied ?? {})).toContain(FULL_DAY.standardOnDemandVcpus);
    expect(scenario.nodePools).toBeDefined();
  });

  it('should keep the shortage inside a slice that starts later in the day', () => {
    const evening = createFullDayScenario({ startHour: 19, durationMs: 2 * 3_600_000 });
    expect(evening.faults).toEqual([]);
    const morning = createFullDayScenario({ startHour: 6, durationMs: 4 * 3_600_000 });
    expect(morning.faults?.map((f) => f.atMs / 3_600_000)).toEqual([0.5, 3]);
  });
});
