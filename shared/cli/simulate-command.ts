import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { comparisonLines } from '../sim/day-figures';
import type { SimProgress } from '../sim/driver';
import { faultSummaryLines } from '../sim/faults';
import { renderSummary } from '../sim/report';
import { runScenario, runSideBySide, scenarioReport } from '../sim/run-scenario';
import type { Scenario } from '../sim/scenario';
import { isScenarioFilePath, loadScenarioFile, scenarioFileJsonSchema } from '../sim/scenario-file';
import { SCENARIOS } from '../sim/scenarios/index';
import { runVpaOomCommand } from './vpa-oom-command';

interface SimulateOptions {
  scenario?: string;
  hours?: string;
  report: string;
  schema?: boolean | string;
  check?: boolean;
  baseline: boolean;
}

const DEFAULT_SCENARIO = 'full-day';

/**
 * `tideplane simulate [scenario]`: what `npm start` runs. The scenario is a file (`.yaml`, `.yml`,
 * `.json`; see shared/sim/scenario-file.ts) or a built-in name (also as `--scenario <name>`). The real
 * HPA, node-pool and (for a scenario with a control plane) control-plane loops, the VPA loop for a
 * scenario with VPAs, and the DynamoDB store on a virtual day. `vpa-oom` is an experiment of twelve runs
 * (vpa-oom-command.ts).
 */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Replay a simulated day through the real HPA, node-pool and control-plane loops (state in an in-process DynamoDB)',
    )
    .argument(
      '[scenario]',
      `a scenario file (.yaml, .yml, .json) or a built-in scenario (default ${DEFAULT_SCENARIO})`,
    )
    .option('--scenario <name>', `built-in scenario: ${Object.keys(SCENARIOS).join(', ')}`)
    .option('--hours <hours>', 'simulate only the first N hours')
    .option('--report <file>', 'where to write the HTML report', 'report.html')
    .option('--schema [file]', 'print the JSON Schema of scenario files (or write it to the file) and exit')
    .option('--check', 'check the scenario (file) and exit without running it')
    .option('--no-baseline', 'run only tideplane’s policies, not the same day again with upstream defaults')
    .action(async (positional: string | undefined, options: SimulateOptions) => {
      if (options.schema !== undefined) {
        await printSchema(options.schema);
        return;
      }
      if (positional !== undefined && options.scenario !== undefined && positional !== options.scenario) {
        console.error(`give the scenario once: "${positional}" or --scenario "${options.scenario}"`);
        process.exitCode = 1;
        return;
      }
      const name = positional ?? options.scenario ?? DEFAULT_SCENARIO;
      const hours = options.hours === undefined ? undefined : Number(options.hours);
      if (hours !== undefined && !(hours > 0 && hours <= 24 * 7)) {
        console.error(`--hours: expected a number of hours between 0 and 168, got "${options.hours}"`);
        process.exitCode = 1;
        return;
      }
      const scenario = await resolveScenario(name);
      if (!scenario) {
        process.exitCode = 1;
        return;
      }
      if (options.check) {
        console.log(
          `${name}: valid — ${scenario.services.length} services, ${scenario.nodeGroups.length} node groups, ` +
            `${scenario.faults?.length ?? 0} fault(s), ${scenario.durationMs / 3_600_000} h`,
        );
        return;
      }
      if (name === 'vpa-oom') {
        await runVpaOomCommand(options.report);
        return;
      }
      await simulate(scenario, {
        report: options.report,
        baseline: options.baseline,
        ...(hours ? { hours } : {}),
      });
    });
}

/** The built-in scenario of that name, or the scenario file; problems printed (with their paths). */
async function resolveScenario(name: string): Promise<Scenario | undefined> {
  if (!isScenarioFilePath(name)) {
    const make = SCENARIOS[name];
    if (make) return make();
    console.error(
      `unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}, or a scenario file (.yaml, .yml, .json)`,
    );
    return undefined;
  }
  const result = await loadScenarioFile(name);
  if (result.ok) return result.scenario;
  for (const problem of result.problems) console.error(`${name}: ${problem.path}: ${problem.message}`);
  console.error(`${result.problems.length} problem(s) found; nothing was run`);
  return undefined;
}

async function printSchema(target: boolean | string): Promise<void> {
  const text = `${JSON.stringify(scenarioFileJsonSchema(), null, 2)}\n`;
  if (typeof target === 'string') {
    await writeFile(target, text);
    console.log(`scenario file schema: ${target}`);
  } else {
    process.stdout.write(text);
  }
}

async function simulate(
  scenario: Scenario,
  options: { report: string; hours?: number; baseline: boolean },
): Promise<void> {
  console.log(
    `tideplane simulate: ${scenario.name} — ${scenario.services.length} services, state in local DynamoDB` +
      (options.baseline
        ? ', and the same day with upstream defaults (the baseline, its state in memory) beside it'
        : ''),
  );
  const durationMs = options.hours ? { durationMs: options.hours * 3_600_000 } : {};
  const [ours, theirs] = progressPrinters(
    scenario.utcOffsetMinutes,
    options.baseline ? ['tideplane', 'baseline'] : ['tideplane'],
  );
  const run = options.baseline
    ? await runSideBySide(scenario, {
        ...durationMs,
        ...(ours ? { onProgress: ours } : {}),
        ...(theirs ? { onBaselineProgress: theirs } : {}),
      })
    : await runScenario(scenario, { ...durationMs, ...(ours ? { onProgress: ours } : {}) });
  const main = 'figures' in run ? run.tideplane : run;
  const result = main.result;
  console.log(renderSummary(result));
  if (result.faults.length > 0) {
    console.log('faults:');
    for (const line of faultSummaryLines(result.faults, scenario.utcOffsetMinutes)) console.log(`  ${line}`);
  }
  if (main.dynamo) {
    console.log(
      `DynamoDB: ${main.dynamo.reads} reads, ${main.dynamo.writes} writes ` +
        `(${main.dynamo.conditionalFailures} conditional failures)`,
    );
  }
  if ('figures' in run) {
    console.log(
      `tideplane vs upstream defaults (baseline: ${(run.baseline.result.wallTimeMs / 1000).toFixed(1)} s):`,
    );
    for (const line of comparisonLines(run.figures)) console.log(`  ${line}`);
  }
  await writeFile(options.report, scenarioReport(run));
  console.log(`report: ${options.report}`);
}

/**
 * Progress of the runs that go at the same time (tideplane and the baseline): one line redrawn with a bar
 * per run on a terminal, a plain line per quarter of the day and run in CI logs.
 */
function progressPrinters(
  utcOffsetMinutes: number,
  labels: readonly string[],
): ((progress: SimProgress) => void)[] {
  const tty = process.stdout.isTTY === true;
  const latest = new Map<string, SimProgress>();
  const clock = (progress: SimProgress) =>
    new Date(progress.now + utcOffsetMinutes * 60_000).toISOString().slice(11, 16);
  const named = (label: string) => (labels.length > 1 ? `${label} ` : '');
  return labels.map((label) => {
    let lastQuarter = -1;
    return (progress) => {
      if (tty) {
        latest.set(label, progress);
        const bars = labels.map((l) => {
          const p = latest.get(l);
          const fraction = p?.fraction ?? 0;
          const bar = '#'.repeat(Math.round(fraction * 20)).padEnd(20, '.');
          return `${named(l)}[${bar}] ${String(Math.round(fraction * 100)).padStart(3)}% ${p ? clock(p) : '--:--'}`;
        });
        const done = labels.every((l) => (latest.get(l)?.fraction ?? 0) >= 1);
        process.stdout.write(`\r  ${bars.join('   ')}${done ? '\n' : ''}`);
        return;
      }
      const quarter = Math.floor(progress.fraction * 4);
      if (quarter === lastQuarter || quarter === 0) return;
      lastQuarter = quarter;
      console.log(`  ${named(label)}${quarter * 25}% (simulated ${clock(progress)})`);
    };
  });
}
