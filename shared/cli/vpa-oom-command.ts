/**
 * `tideplane simulate --scenario vpa-oom`: the VPA OOM experiment (shared/sim/vpa-oom-experiment.ts),
 * every run through the real VPA loop with its state in one in-process DynamoDB, printed as the table of
 * OOM kills until stable (tideplane vs upstream) and written as a report: the table, a close-up of each
 * step, and the VPA charts of the ×4, 10-replica runs under both policies.
 */
import { writeFile } from 'node:fs/promises';
import { startLocalDynamo } from '../adapters/dynamodb/local';
import { DynamoDbStateStore } from '../adapters/dynamodb/state-store';
import { timeAxis } from '../sim/charts';
import { renderReport, renderSummary } from '../sim/report';
import {
  findOomRun,
  OOM_POLICY_LABELS,
  type OomPolicyName,
  oomTableLines,
  runVpaOomExperiment,
} from '../sim/vpa-oom-experiment';
import { renderVpaOomSection, renderVpaSection } from '../sim/vpa-report';

/** The runs whose whole course the report draws. */
const SHOWN = { factor: 4, replicas: 10 } as const;
const CHART_SIZE = { width: 560, height: 260 } as const;

/**
 * Runs the experiment and writes the report to `reportPath`.
 *
 * @example await runVpaOomCommand('report.html');
 */
export async function runVpaOomCommand(reportPath: string): Promise<void> {
  const dynamo = await startLocalDynamo();
  const stores: DynamoDbStateStore[] = [];
  try {
    console.log(
      'tideplane simulate: vpa-oom — a memory step of ×2, ×3, ×4 for 1 and 10 replicas, each under',
    );
    console.log(
      "  tideplane's OOM policy and upstream's, through the real VPA loop, state in local DynamoDB",
    );
    const experiment = await runVpaOomExperiment({
      stateFor: (world) => {
        const store = new DynamoDbStateStore({
          client: dynamo.client,
          tableName: dynamo.tableName,
          clock: world.clock,
        });
        stores.push(store);
        return store;
      },
      onRun: (run) =>
        console.log(
          `  ×${run.factor}, ${run.replicas} replica(s), ${OOM_POLICY_LABELS[run.policy]}: ` +
            `${run.killsUntilStable} OOM kills until stable, ${run.patches} template patches, ` +
            `${run.result.vpa?.podResizes.length ?? 0} pods raised in place ` +
            `(${(run.result.wallTimeMs / 1000).toFixed(1)} s)`,
        ),
    });
    console.log(oomTableLines(experiment).join('\n'));
    const shown = (policy: OomPolicyName) => findOomRun(experiment, policy, SHOWN.factor, SHOWN.replicas);
    const main = shown('fast');
    if (!main) throw new Error(`no run for ×${SHOWN.factor}, ${SHOWN.replicas} replicas`);
    console.log(renderSummary(main.result));
    const reads = stores.reduce((sum, store) => sum + store.stats.reads, 0);
    const writes = stores.reduce((sum, store) => sum + store.stats.writes, 0);
    console.log(`DynamoDB: ${reads} reads, ${writes} writes over ${experiment.runs.length} runs`);

    const upstream = shown('upstream');
    const axis = timeAxis(main.result);
    const upstreamSection = upstream?.result.vpa
      ? [
          renderVpaSection(upstream.result.vpa, {
            start: upstream.result.scenario.start,
            time: { startLocalHour: axis.startLocalHour, durationHours: axis.durationHours },
            size: CHART_SIZE,
            utcOffsetMinutes: upstream.result.scenario.utcOffsetMinutes,
            heading: `Vertical pod autoscaling under upstream's policy (×${SHOWN.factor}, ${SHOWN.replicas} replicas)`,
          }),
        ]
      : [];
    await writeFile(
      reportPath,
      renderReport(main.result, {
        title: 'tideplane simulation: vpa-oom',
        subtitle:
          `The ×${SHOWN.factor}, ${SHOWN.replicas}-replica run under tideplane's policy below the table; ` +
          "under upstream's after it.",
        extraSections: [renderVpaOomSection(experiment, CHART_SIZE), ...upstreamSection],
      }),
    );
    console.log(`report: ${reportPath}`);
  } finally {
    await dynamo.stop();
  }
}
