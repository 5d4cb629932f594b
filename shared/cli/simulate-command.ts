import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { startLocalDynamo } from '../adapters/dynamodb/local';
import { DynamoDbStateStore } from '../adapters/dynamodb/state-store';
import { controlPlaneController } from '../sim/control-plane/controller';
import { runSimulation, type SimController, type SimProgress } from '../sim/driver';
import { hpaController } from '../sim/hpa-controller';
import { nodePoolController } from '../sim/node-pool-controller';
import { quotaController } from '../sim/quota-controller';
import { renderReport, renderSummary } from '../sim/report';
import { SCENARIOS } from '../sim/scenarios/index';
import { vpaController } from '../sim/vpa-controller';
import { createSimWorld } from '../sim/world';
import { runVpaOomCommand } from './vpa-oom-command';

interface SimulateOptions {
  scenario: string;
  hours?: string;
  report: string;
}

/**
 * `tideplane simulate`: what `npm start` runs. The real HPA, node-pool and (for a scenario with a control
 * plane) control-plane loops, the VPA loop for a scenario with VPAs, and the DynamoDB store on a virtual
 * day. `vpa-oom` is an experiment of twelve runs (vpa-oom-command.ts).
 */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Replay a simulated day through the real HPA, node-pool and control-plane loops (state in an in-process DynamoDB)',
    )
    .option('--scenario <name>', `scenario: ${Object.keys(SCENARIOS).join(', ')}`, 'default-day')
    .option('--hours <hours>', 'simulate only the first N hours')
    .option('--report <file>', 'where to write the HTML report', 'report.html')
    .action(async (options: SimulateOptions) => {
      const make = SCENARIOS[options.scenario];
      if (!make) {
        console.error(`unknown scenario "${options.scenario}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
        process.exitCode = 1;
        return;
      }
      if (options.scenario === 'vpa-oom') {
        await runVpaOomCommand(options.report);
        return;
      }
      const hours = options.hours === undefined ? undefined : Number(options.hours);
      if (hours !== undefined && !(hours > 0 && hours <= 24 * 7)) {
        console.error(`--hours: expected a number of hours between 0 and 168, got "${options.hours}"`);
        process.exitCode = 1;
        return;
      }
      const scenario = make();
      const world = createSimWorld(scenario);
      const dynamo = await startLocalDynamo();
      try {
        const state = new DynamoDbStateStore({
          client: dynamo.client,
          tableName: dynamo.tableName,
          clock: world.clock,
        });
        console.log(
          `tideplane simulate: ${scenario.name} — ${scenario.services.length} services, state in local DynamoDB`,
        );
        const controllers: SimController[] = [hpaController(world, { state })];
        if (scenario.nodePools) controllers.push(nodePoolController(world, { state }));
        if (scenario.controlPlane) controllers.push(controlPlaneController(world, { state }));
        if (scenario.vpa) controllers.push(vpaController(world, { state }));
        if (scenario.quotas) controllers.push(quotaController(world, { state }));
        const result = await runSimulation(world, {
          controllers,
          ...(hours ? { durationMs: hours * 3_600_000 } : {}),
          onProgress: progressPrinter(scenario.utcOffsetMinutes),
        });
        const dynamoStats = state.stats;
        console.log(renderSummary(result));
        console.log(
          `DynamoDB: ${dynamoStats.reads} reads, ${dynamoStats.writes} writes ` +
            `(${dynamoStats.conditionalFailures} conditional failures)`,
        );
        await writeFile(
          options.report,
          renderReport(result, {
            subtitle: `controllers: tideplane ${controllers.map((c) => c.name).join(' and ')} loops`,
          }),
        );
        console.log(`report: ${options.report}`);
      } finally {
        await dynamo.stop();
      }
    });
}

/** A line per simulated hour (the scenario's local time): a progress bar on a terminal, plain lines in CI logs. */
function progressPrinter(utcOffsetMinutes: number): (progress: SimProgress) => void {
  const tty = process.stdout.isTTY === true;
  return (progress) => {
    const percent = Math.round(progress.fraction * 100);
    const clock = new Date(progress.now + utcOffsetMinutes * 60_000).toISOString().slice(11, 16);
    if (tty) {
      const bar = '#'.repeat(Math.round(progress.fraction * 30)).padEnd(30, '.');
      process.stdout.write(`\r  [${bar}] ${percent}% ${clock}${progress.fraction >= 1 ? '\n' : ''}`);
    } else if (percent % 25 === 0) {
      console.log(`  ${percent}% (simulated ${clock})`);
    }
  };
}
