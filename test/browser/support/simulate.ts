/**
 * A scenario run as `tideplane simulate` runs it (shared/sim/run-scenario.ts, the CLI's own wiring) and
 * its report as the command writes it.
 */
import type { SimulationResult } from '../../../shared/sim/result';
import { runScenario, scenarioReport } from '../../../shared/sim/run-scenario';
import type { Scenario } from '../../../shared/sim/scenario';

export interface SimulatedReport {
  result: SimulationResult;
  /** The report page, as `simulate --report <file>` writes it. */
  html: string;
  /** The loops that ran, in the order the command lists them. */
  controllers: string[];
}

/** Runs `scenario` for `hours` (default: the scenario's whole duration) and renders its report. */
export async function simulateReport(scenario: Scenario, hours?: number): Promise<SimulatedReport> {
  const run = await runScenario(scenario, hours ? { durationMs: hours * 3_600_000 } : {});
  return { result: run.result, html: scenarioReport(run), controllers: run.controllers };
}
