import type { Command } from 'commander';
import { loadConfigFile } from '../config/load';
import { type QuotaRegion, quotaRegionsOf } from '../config/quota-region';
import { type QuotaLoopDeps, type QuotaRunResult, runQuotaTick } from '../loops/quota-loop';
import type { Clock } from '../ports/clock';
import { formatQuotaPlan } from '../quotas/plan-table';
import { QUOTA_STATE_PARTITION, quotaRecordKey } from '../quotas/request-record';
import { consoleLogger } from '../runtime/console-logger';
import { SimStateStore } from '../sim/state-store';
import { WriteGuard } from './read-only-quota-ports';
import { RecordedAutoScaling } from './recorded-auto-scaling';
import { loadRecording, RECORDED_REGIONS, RecordedEc2 } from './recorded-ec2';
import { loadQuotaAccountRecording, RecordingError, recordingPath } from './recorded-quota-account';
import { RecordedServiceQuotas } from './recorded-service-quotas';
import { RecordedUsageMetrics } from './recorded-usage-metrics';

interface PlanCommandOptions {
  config: string;
  fixtures?: string;
  account?: string;
  region?: string;
  json?: boolean;
  verbose?: boolean;
}

/** A plan that cannot be made as asked; the message says what to change. */
class UsageError extends Error {}

/** The loop's ports for one account and region, the clock that counts ages, and where the facts come from. */
interface RegionPorts {
  deps: QuotaLoopDeps;
  now: () => number;
  source: string;
}

type PortsFor = (region: QuotaRegion) => Promise<RegionPorts>;

/** One account and region's run, with the clock its ages are counted on and where its facts come from. */
interface PlannedRegion {
  region: QuotaRegion;
  result: QuotaRunResult;
  now: number;
  source: string;
}

/**
 * `tideplane quotas plan`: what the quota loop would decide for every account and region of a config —
 * demand, applied value, usage, open request and action per quota — in dry run, live or against recorded
 * accounts (`--fixtures`).
 */
export function registerQuotasCommand(program: Command): void {
  const group =
    program.commands.find((command) => command.name() === 'quotas') ??
    program.command('quotas').description('The quota loop: raise AWS limits before node pools hit them');
  group
    .command('plan')
    .description(
      'Print, per account, region and quota, what the node pools need (demand, with headroom), the applied ' +
        'value, the usage, the open increase request and what the quota loop would do. Always a dry run: ' +
        'nothing is filed and no state is written',
    )
    .requiredOption('--config <file>', 'YAML or JSON deployment config')
    .option(
      '--fixtures <dir>',
      'run offline against recorded accounts (<dir>/<account>-<region>.json); without it: live AWS with ' +
        'the default credential chain',
    )
    .option('--account <id>', 'only this account of the config')
    .option('--region <name>', 'only this region of the config')
    .option('--json', 'print the loop’s run results as JSON instead of tables')
    .option('--verbose', 'also print each quota’s reason and its demand per cluster and pool')
    .action(async (options: PlanCommandOptions) => {
      try {
        await plan(options);
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof RecordingError)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      }
    });
}

async function plan(options: PlanCommandOptions): Promise<void> {
  const regions = await selectedRegions(options);
  const guard = new WriteGuard();
  // The tables say what the loop's warnings say (demand problems, alarms, answers); only --verbose adds them.
  const log = consoleLogger(options.verbose ? 'info' : 'error');
  const planned: PlannedRegion[] = [];
  const portsFor =
    options.fixtures === undefined
      ? await livePorts(regions, guard, log)
      : recordedPorts(options.fixtures, guard, log);
  for (const region of regions) {
    const { deps, now, source } = await portsFor(region);
    const result = await runQuotaTick(deps, region, { dryRun: true });
    planned.push({ region, result, now: now(), source });
  }

  if (options.json) {
    console.log(
      JSON.stringify(
        planned.map((entry) => entry.result),
        null,
        2,
      ),
    );
  } else {
    planned.forEach((entry, index) => {
      if (index > 0) console.log('');
      const disabled = entry.region.quotas.enabled ? '' : ' (quotas.enabled is false: no loop runs here)';
      const lines = formatQuotaPlan(entry.result, {
        now: entry.now,
        source: `${entry.source}${disabled}`,
        headroomFraction: entry.region.quotas.headroomFraction,
        verbose: options.verbose === true,
      });
      for (const line of lines) console.log(line);
    });
  }

  if (guard.refused.length > 0) {
    console.error(`quotas plan: the loop tried to write in dry run, refused: ${guard.refused.join('; ')}`);
    process.exitCode = 1;
  }
  const failures = planned.reduce((sum, entry) => sum + entry.result.failures.length, 0);
  if (failures > 0) {
    console.error(`quotas plan: incomplete, ${failures} step(s) failed (listed under "failures")`);
    process.exitCode = 1;
  }
}

/** The config's quota regions, narrowed by `--account` and `--region`. */
async function selectedRegions(options: PlanCommandOptions): Promise<QuotaRegion[]> {
  const file = options.config;
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    const problems = loaded.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`);
    throw new UsageError(`${problems.join('\n')}\n${loaded.problems.length} problem(s) found`);
  }
  const all = quotaRegionsOf(loaded.config);
  if (all.length === 0) {
    throw new UsageError(`${file}: no account region has a quotas section, so there is nothing to plan`);
  }
  const chosen = all.filter(
    (region) =>
      (options.account === undefined || region.accountId === options.account) &&
      (options.region === undefined || region.region === options.region),
  );
  if (chosen.length === 0) {
    const known = all.map((region) => `${region.accountId} ${region.region}`).join(', ');
    const asked = [
      options.account && `--account ${options.account}`,
      options.region && `--region ${options.region}`,
    ]
      .filter(Boolean)
      .join(' ');
    throw new UsageError(`${file}: no quota region matches ${asked}; the config has: ${known}`);
  }
  return chosen;
}

/** Ports over each recorded account, its stored records in memory, on a clock stopped at the recording. */
function recordedPorts(dir: string, guard: WriteGuard, log: QuotaLoopDeps['log']): PortsFor {
  return (region) => recordedRegionPorts(region, dir, guard, log);
}

async function recordedRegionPorts(
  region: QuotaRegion,
  dir: string,
  guard: WriteGuard,
  log: QuotaLoopDeps['log'],
): Promise<RegionPorts> {
  const recording = await loadQuotaAccountRecording(dir, region.accountId, region.region);
  if (!RECORDED_REGIONS.includes(region.region)) {
    throw new RecordingError(
      `${recordingPath(dir, region.accountId, region.region)}: no recorded instance types for ${region.region} ` +
        `(recorded: ${RECORDED_REGIONS.join(', ')}); test/peers/scripts/record-instance-types.ts records a region`,
    );
  }
  const clock: Clock = { now: () => recording.recordedAt, sleep: async () => {} };
  const state = new SimStateStore(clock);
  for (const record of recording.stateRecords) {
    const key = quotaRecordKey(record.accountId, record.region, record.quotaCode);
    await state.put(QUOTA_STATE_PARTITION, key, record, { expectedVersion: 0 });
  }
  const deps: QuotaLoopDeps = {
    serviceQuotas: guard.serviceQuotas(new RecordedServiceQuotas(recording)),
    usage: new RecordedUsageMetrics(recording.usage),
    autoScaling: guard.autoScaling(new RecordedAutoScaling(recording.autoScalingGroups)),
    ec2: new RecordedEc2(await loadRecording(region.region)),
    state,
    clock,
    log,
  };
  const at = `${new Date(recording.recordedAt).toISOString().slice(0, 16)}Z`;
  return {
    deps,
    now: clock.now,
    source: `recorded ${at} (${recordingPath(dir, region.accountId, region.region)})`,
  };
}

/**
 * Live AWS with the default credentials, once they are known to be the config's account: a plan of
 * another account's quotas would read the wrong account. The SDK clients load only here.
 */
async function livePorts(
  regions: readonly QuotaRegion[],
  guard: WriteGuard,
  log: QuotaLoopDeps['log'],
): Promise<PortsFor> {
  const live = await import('./live-quota-ports');
  let account: string;
  try {
    account = await live.callerAccount(regions[0]?.region ?? 'us-east-1');
  } catch (error) {
    if (error instanceof live.CredentialsError) throw new UsageError(error.message);
    throw error;
  }
  const foreign = regions.find((region) => region.accountId !== account);
  if (foreign) {
    throw new UsageError(
      `the AWS credentials are for account ${account}, not ${foreign.accountId} (${foreign.region}): ` +
        'use a profile of that account, or --account to plan only the account of these credentials',
    );
  }
  return async (region) => live.liveQuotaDeps(region, guard, log);
}
