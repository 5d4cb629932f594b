/**
 * The side-by-side day runs the baseline on a worker thread (shared/sim/scenario-worker.ts) while
 * tideplane's run goes on the main one: the worker's run must be the run this thread would make.
 */
import { describe, expect, it } from 'vitest';
import { dayFigures } from '../../../shared/sim/day-figures';
import type { SimProgress } from '../../../shared/sim/driver';
import { runScenario, runSideBySide } from '../../../shared/sim/run-scenario';
import type { Scenario } from '../../../shared/sim/scenario';
import { runScenarioInWorker } from '../../../shared/sim/scenario-worker';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';

const HOUR_MS = 3_600_000;

/** The morning ramp of the default day: scale-ups of pods and nodes within 90 virtual minutes. */
function morning(): Scenario {
  return createDefaultDayScenario({ startHour: 7, durationMs: 1.5 * HOUR_MS });
}

describe('simulator: a scenario run on a worker thread', () => {
  it('should give the figures a run on this thread gives, and report its progress', async () => {
    const progress: SimProgress[] = [];
    const [here, there] = await Promise.all([
      runScenario(morning()),
      runScenarioInWorker(morning(), { onProgress: (p) => progress.push(p) }),
    ]);
    expect(there.result.services.reduce((sum, service) => sum + service.scaleUps, 0)).toBeGreaterThan(0);
    expect(dayFigures(there.result)).toEqual(dayFigures(here.result));
    expect(there.result.series.services).toEqual(here.result.series.services);
    expect(there.dynamo).toEqual(here.dynamo);
    expect(there.controllers).toEqual(here.controllers);
    // Progress comes every 15 virtual minutes.
    expect(progress.map((p) => (p.now - p.start) / 60_000)).toEqual([15, 30, 45, 60, 75, 90]);
  }, 300_000);

  it('should decide the same with its state in memory (the baseline) as with DynamoDB', async () => {
    const [inDynamo, inMemory] = await Promise.all([
      runScenario(morning()),
      runScenarioInWorker(morning(), { state: 'memory' }),
    ]);
    expect(inDynamo.dynamo?.writes).toBeGreaterThan(0);
    expect(inMemory.dynamo).toBeUndefined();
    expect(dayFigures(inMemory.result)).toEqual(dayFigures(inDynamo.result));
    expect(inMemory.result.series).toEqual(inDynamo.result.series);
    expect(inMemory.result.services).toEqual(inDynamo.result.services);
  }, 300_000);

  it('should reject with the scenario and the worker’s error when the run fails', async () => {
    const broken: Scenario = {
      ...morning(),
      name: 'broken-morning',
      nodeGroups: morning().nodeGroups.map((group) => ({ ...group, instanceType: 'm99.huge' })),
    };
    await expect(runScenario(broken)).rejects.toThrow(/m99\.huge/);
    await expect(runScenarioInWorker(broken)).rejects.toThrow(
      /broken-morning failed in its worker: .*m99\.huge/,
    );
    // A chart list naming a service the scenario lacks is refused before the run, not when the report is drawn.
    const misnamed: Scenario = { ...morning(), reportServices: ['storefront/web', 'storefront/nope'] };
    await expect(runScenario(misnamed)).rejects.toThrow(/reportServices: \[1\] no service storefront\/nope/);
  }, 60_000);

  it('should run the baseline beside tideplane and compare the two', async () => {
    const ours: SimProgress[] = [];
    const theirs: SimProgress[] = [];
    const run = await runSideBySide(morning(), {
      durationMs: HOUR_MS,
      onProgress: (p) => ours.push(p),
      onBaselineProgress: (p) => theirs.push(p),
    });
    expect(run.baseline.controllers).toEqual(run.tideplane.controllers);
    // Upstream's controllers keep their state in memory; tideplane's loops in DynamoDB.
    expect(run.baseline.dynamo).toBeUndefined();
    expect(run.tideplane.dynamo?.reads).toBeGreaterThan(0);
    // The baseline is cluster-autoscaler's 10 s scan: more node-pool ticks than tideplane's 15 s.
    const ticks = (r: typeof run.tideplane) =>
      r.result.controllers.find((c) => c.name === 'node-pools')?.ticks;
    expect(ticks(run.baseline)).toBeGreaterThan(ticks(run.tideplane) ?? Number.POSITIVE_INFINITY);
    expect(run.figures.find((f) => f.key === 'pendingPodSeconds')?.baseline).toBe(
      run.baseline.result.pendingPodSeconds,
    );
    expect(ours.at(-1)?.fraction).toBe(1);
    expect(theirs.at(-1)?.fraction).toBe(1);
  }, 300_000);
});
