/**
 * A scenario run as `tideplane simulate` runs it: the HPA loop, plus the node-pool, control-plane, VPA and
 * quota loops when the scenario has them, state in DynamoDB on dynalite (one local table per run), and,
 * on request, the same scenario again as the baseline (baseline.ts), on a worker thread at the same time,
 * with the two runs' figures side by side. The CLI and the browser test both call this, so what they show is one wiring.
 */
import { startLocalDynamo } from '../adapters/dynamodb/local';
import { DynamoDbStateStore } from '../adapters/dynamodb/state-store';
import type { StateStore } from '../ports/state-store';
import { BASELINE_MODEL, baselineScenario } from './baseline';
import { renderComparisonSection } from './comparison-report';
import { type ComparedFigure, compareDays } from './day-figures';
import { runSimulation, type SimController, type SimProgress } from './driver';
import { loopControllers } from './faults-lambda-crash';
import { renderReport } from './report';
import { reportServiceProblems } from './report-selection';
import type { SimulationResult } from './result';
import type { Scenario } from './scenario';
import { runScenarioInWorker } from './scenario-worker';
import { createSimWorld, type SimWorld } from './world';

export interface ScenarioRun {
  result: SimulationResult;
  /** The loops that ran, in order. */
  controllers: string[];
  /** DynamoDB calls of the run (absent when its state was kept in memory). */
  dynamo?: { reads: number; writes: number; conditionalFailures: number };
  /** The services the scenario asks the report to chart (absent: the report picks). */
  reportServices?: readonly string[];
}

export interface RunScenarioOptions {
  /** Simulate only this long. @default the scenario's duration */
  durationMs?: number;
  onProgress?: (progress: SimProgress) => void;
  /**
   * Where the loops keep their state: DynamoDB on dynalite, as tideplane does in Lambda, or the process's
   * memory, as upstream's controllers do (the baseline). @default 'dynamodb'
   */
  state?: 'dynamodb' | 'memory';
}

/**
 * One run of the scenario through every loop it configures.
 *
 * @example const { result } = await runScenario(createDefaultDayScenario());
 */
export async function runScenario(
  scenario: Scenario,
  options: RunScenarioOptions = {},
): Promise<ScenarioRun> {
  const chartProblems = reportServiceProblems(
    scenario.reportServices ?? [],
    scenario.services.map((service) => `${service.namespace}/${service.name}`),
  );
  if (chartProblems.length > 0) {
    // Before the run, not after minutes of it when the report is drawn.
    throw new RangeError(
      `scenario ${scenario.name}: reportServices: ` +
        chartProblems.map((p) => `[${p.index}] ${p.message}`).join('; '),
    );
  }
  const world = createSimWorld(scenario);
  const { result, controllers, dynamo } =
    options.state === 'memory'
      ? await simulate(world, world.state, options)
      : await simulateOnDynamo(world, options);
  return {
    result,
    controllers,
    ...(dynamo ? { dynamo } : {}),
    ...(scenario.reportServices ? { reportServices: scenario.reportServices } : {}),
  };
}

/** What a run gives before the scenario's chart list is added. */
type SimulatedRun = Pick<ScenarioRun, 'result' | 'controllers' | 'dynamo'>;

/** The run with its state in DynamoDB on a dynalite of its own, with the calls it made. */
async function simulateOnDynamo(world: SimWorld, options: RunScenarioOptions): Promise<SimulatedRun> {
  const dynamo = await startLocalDynamo();
  try {
    const state = new DynamoDbStateStore({
      client: dynamo.client,
      tableName: dynamo.tableName,
      clock: world.clock,
    });
    const run = await simulate(world, state, options);
    return { ...run, dynamo: { ...state.stats } };
  } finally {
    await dynamo.stop();
  }
}

async function simulate(
  world: SimWorld,
  state: StateStore,
  options: RunScenarioOptions,
): Promise<SimulatedRun> {
  // Each loop's Lambda sees the world and the store through `crashable`, so lambda-crash faults can
  // kill its invocations part-way.
  const controllers: SimController[] = loopControllers(world, { state });
  const result = await runSimulation(world, {
    controllers,
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { result, controllers: controllers.map((c) => c.name) };
}

export interface SideBySideRun {
  tideplane: ScenarioRun;
  baseline: ScenarioRun;
  figures: ComparedFigure[];
}

/**
 * The scenario with tideplane's policies and as the baseline, on the same trace and seed, both at once
 * (the baseline on a worker thread).
 *
 * @example const { figures } = await runSideBySide(scenario); console.log(comparisonLines(figures).join('\n'));
 */
export async function runSideBySide(
  scenario: Scenario,
  options: RunScenarioOptions & { onBaselineProgress?: (progress: SimProgress) => void } = {},
): Promise<SideBySideRun> {
  const [tideplane, baseline] = await Promise.all([
    runScenario(scenario, options),
    runScenarioInWorker(baselineScenario(scenario), {
      // Upstream's controllers keep their history in memory (BASELINE_MODEL).
      state: 'memory',
      ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
      ...(options.onBaselineProgress ? { onProgress: options.onBaselineProgress } : {}),
    }),
  ]);
  return { tideplane, baseline, figures: compareDays(tideplane.result, baseline.result) };
}

/**
 * The report of a run (with the side-by-side section when there is a baseline), as the CLI writes it.
 *
 * @example await writeFile('report.html', scenarioReport(run));
 */
export function scenarioReport(run: ScenarioRun | SideBySideRun): string {
  const main = 'figures' in run ? run.tideplane : run;
  return renderReport(main.result, {
    subtitle: `controllers: tideplane ${main.controllers.join(' and ')} loops`,
    ...(main.reportServices ? { services: main.reportServices } : {}),
    ...('figures' in run ? { extraSections: [renderComparisonSection(run.figures, BASELINE_MODEL)] } : {}),
  });
}
