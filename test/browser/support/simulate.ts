/**
 * A scenario run as `tideplane simulate` runs it (shared/sim/run-scenario.ts, the CLI's own wiring) and
 * its report as the command writes it, with the baseline's side-by-side section on request.
 */
import type { SimulationResult } from '../../../shared/sim/result';
import { runScenario, runSideBySide, scenarioReport } from '../../../shared/sim/run-scenario';
import type { Scenario } from '../../../shared/sim/scenario';

export interface SimulatedReport {
  result: SimulationResult;
  /** The report page, as `simulate --report <file>` writes it. */
  html: string;
  /** The loops that ran, in the order the command lists them. */
  controllers: string[];
}

/**
 * Runs `scenario` for `hours` (default: the scenario's whole duration) and renders its report; with
 * `baseline`, runs the baseline beside it and adds the side-by-side section, as `tideplane simulate`
 * without `--no-baseline` does.
 */
export async function simulateReport(
  scenario: Scenario,
  hours?: number,
  options: { baseline?: boolean } = {},
): Promise<SimulatedReport> {
  const duration = hours ? { durationMs: hours * 3_600_000 } : {};
  if (!options.baseline) {
    const run = await runScenario(scenario, duration);
    return { result: run.result, html: scenarioReport(run), controllers: run.controllers };
  }
  const sideBySide = await runSideBySide(scenario, duration);
  return {
    result: sideBySide.tideplane.result,
    html: scenarioReport(sideBySide),
    controllers: sideBySide.tideplane.controllers,
  };
}
