/**
 * Every loop on one cluster (the full-day scenario), on a slice short enough for a test: the evening of
 * one tenant, with enough extra API load that the control plane must grow while the node-pool loop scales
 * and drains its own nodes. Both loops use the same drain taint; each must leave the other's alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../../shared/sim/result';
import { runScenario } from '../../../shared/sim/run-scenario';
import { createFullDayScenario } from '../../../shared/sim/scenarios/full-day';

let result: SimulationResult;
beforeAll(async () => {
  const scenario = createFullDayScenario({ copies: 1, startHour: 19, durationMs: 1.5 * 3_600_000 });
  const controlPlane = scenario.controlPlane;
  if (!controlPlane) throw new Error('the full day has a control plane');
  // Far above what three m6i.large take: the load alarm fires within minutes.
  controlPlane.load.extraRequestsPerSecond = { kind: 'constant', rps: 900 };
  result = (await runScenario(scenario)).result;
}, 300_000);

describe('simulator e2e: every loop on one cluster', () => {
  it('should finish a control-plane swap while the node-pool loop runs beside it', () => {
    expect(result.controllers.map((c) => [c.name, c.errors])).toEqual([
      ['hpa', 0],
      ['node-pools', 0],
      ['control-plane', 0],
      ['vpa', 0],
      ['quotas', 0],
    ]);
    const swaps = result.controlPlane?.swaps ?? [];
    expect(swaps.length).toBeGreaterThan(0);
    expect(swaps[0]).toMatchObject({ direction: 'up', from: 'm6i.large', outcome: 'done' });
    // Before the fix, the node-pool loop took the swap's drain taint off the old API server every tick,
    // and the swap drained for the rest of the day.
    expect(swaps[0]?.steps.filter((s) => s.kind === 'drain').length).toBeLessThan(20);
    expect(result.controlPlane?.endSize).not.toContain('m6i.large');
    expect(result.nodePools?.disruption).toMatchObject({ podsLost: 0, pdbViolations: 0 });
  });
});
