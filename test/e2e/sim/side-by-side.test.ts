/**
 * The baseline (shared/sim/baseline.ts) and the day figures side by side (shared/sim/day-figures.ts): the
 * capacity-shortage slice of the day run twice on the same trace and seed, once with tideplane's node-pool
 * settings and once with cluster-autoscaler's defaults.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodePoolsSchema } from '../../../shared/config/node-pools';
import { BASELINE_MODEL, baselineScenario, CLUSTER_AUTOSCALER_DEFAULTS } from '../../../shared/sim/baseline';
import { compareDays, comparisonLines, dayFigures } from '../../../shared/sim/day-figures';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import type { SimulationResult } from '../../../shared/sim/result';
import type { Scenario } from '../../../shared/sim/scenario';
import { createCapacityShortageScenario } from '../../../shared/sim/scenarios/capacity-shortage';
import { createSimWorld } from '../../../shared/sim/world';

async function run(scenario: Scenario): Promise<SimulationResult> {
  const world = createSimWorld(scenario);
  return runSimulation(world, { controllers: [hpaController(world), nodePoolController(world)] });
}

let scenario: Scenario;
let tideplane: SimulationResult;
let baseline: SimulationResult;
beforeAll(async () => {
  scenario = createCapacityShortageScenario();
  [tideplane, baseline] = [await run(scenario), await run(baselineScenario(scenario))];
  console.log(comparisonLines(compareDays(tideplane, baseline)).join('\n'));
}, 300_000);

describe('simulator e2e: tideplane side by side with upstream defaults', () => {
  it("should run the baseline with cluster-autoscaler's timings on the same trace and seed", () => {
    const settings = nodePoolsSchema.parse(baselineScenario(scenario).nodePools);
    expect(settings).toMatchObject({
      intervalSeconds: CLUSTER_AUTOSCALER_DEFAULTS.scanIntervalSeconds,
      provisionTimeoutSeconds: 900,
      backoff: { initialSeconds: 300, maxSeconds: 1800, resetSeconds: 10_800 },
      scaleDown: { unneededSeconds: 600, utilizationThreshold: 0.5, fallbackUtilizationThreshold: 0.5 },
    });
    expect(baselineScenario(scenario).seed).toBe(scenario.seed);
    expect(baseline.controllers.find((c) => c.name === 'node-pools')?.intervalMs).toBe(10_000);
    // Same load: every service saw the same requests.
    for (const [key, series] of Object.entries(tideplane.series.services)) {
      expect(baseline.series.services[key]?.rps, key).toEqual(series.rps);
    }
  });

  it('should give every figure of both runs, with the safety rails at zero in both', () => {
    const compared = compareDays(tideplane, baseline);
    expect(compared.map((f) => f.key)).toEqual(dayFigures(tideplane).map((f) => f.key));
    for (const figure of compared.filter((f) => f.mustBeZero)) {
      expect(figure.tideplane, figure.label).toBe(0);
      expect(figure.baseline, figure.label).toBe(0);
    }
    const pending = compared.find((f) => f.key === 'pendingPodSeconds');
    expect(pending?.tideplane).toBe(tideplane.pendingPodSeconds);
    expect(pending?.baseline).toBe(baseline.pendingPodSeconds);
    expect(pending?.ratio).toBeCloseTo(tideplane.pendingPodSeconds / baseline.pendingPodSeconds, 10);
    expect(compared.find((f) => f.key === 'nodeHoursOverLowerBound')?.tideplane).toBeGreaterThan(1);
    // The shortage makes the default pool fail in one zone: both runs fall back.
    expect(compared.find((f) => f.key === 'fallbackSeconds')?.tideplane).toBeGreaterThan(0);
    expect(compared.find((f) => f.key === 'fallbackSeconds')?.baseline).toBeGreaterThan(0);
  });

  it('should document every baseline assumption with its source', () => {
    expect(BASELINE_MODEL.map((a) => a.component)).toEqual([
      'HorizontalPodAutoscaler',
      'cluster-autoscaler',
      'spot interruptions',
      'VerticalPodAutoscaler',
      'control plane',
      'controller state',
      'AWS quotas',
    ]);
    for (const assumption of BASELINE_MODEL) expect(assumption.source.length).toBeGreaterThan(10);
  });
});
