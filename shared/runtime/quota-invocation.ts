import { readFileSync } from 'node:fs';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { formatPath } from '../config/load';
import { quotaEventSchema, quotaTarget } from '../config/quota-event';
import { decodeQuotaRegion, type QuotaRegion } from '../config/quota-region';
import { type QuotaLoopDeps, type QuotaRunResult, runQuotaTick } from '../loops/quota-loop';
import type { Lease } from '../ports/state-store';
import { QUOTA_STATE_PARTITION } from '../quotas/request-record';
import { LEASE_GRACE_MS } from './invocation';

/** What the quota function's environment holds (set by infra/constructs/region-quota-function.ts). */
const quotaEnvironmentSchema = z.object({
  TIDEPLANE_TABLE: z.string().min(1),
  /** A file of the function's layer holding `encodeQuotaRegion(region)` (too large for the environment). */
  TIDEPLANE_QUOTA_REGION_FILE: z.string().min(1),
  AWS_REGION: z.string().min(1),
});

export interface QuotaFunctionEnvironment {
  tableName: string;
  /** Where the function (and its state table) runs. */
  functionRegion: string;
  /** The account and region it serves, with their clusters, validated with the config's own schemas. */
  region: QuotaRegion;
}

/**
 * Reads and validates the quota function's environment and its region file at cold start; a bad one
 * fails loudly, naming the variable or the file.
 *
 * @example readQuotaEnvironment({ TIDEPLANE_TABLE: 't', TIDEPLANE_QUOTA_REGION_FILE: '/opt/tideplane/quota-region', AWS_REGION: 'eu-central-1' })
 */
export function readQuotaEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): QuotaFunctionEnvironment {
  const parsed = quotaEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => formatPath(issue.path)).join(', ');
    throw new Error(`the quota function's environment lacks ${missing}`);
  }
  const file = parsed.data.TIDEPLANE_QUOTA_REGION_FILE;
  let encoded: string;
  try {
    encoded = readFile(file);
  } catch (error) {
    throw new Error(
      `TIDEPLANE_QUOTA_REGION_FILE ${file} cannot be read (is the region layer attached?): ${(error as Error).message}`,
    );
  }
  let region: QuotaRegion;
  try {
    region = decodeQuotaRegion(encoded);
  } catch (error) {
    throw new Error(`TIDEPLANE_QUOTA_REGION_FILE ${file}: ${(error as Error).message}`);
  }
  return { tableName: parsed.data.TIDEPLANE_TABLE, functionRegion: parsed.data.AWS_REGION, region };
}

/** The lease of the quota loop (`lease#quotas` in the quota partition). */
export const QUOTA_LOOP = 'quotas';

/**
 * A run takes seconds; the lease covers a Lambda's longest life so a run that is still going keeps it,
 * and one that died frees it soon after its timeout.
 */
export const QUOTA_LEASE_MAX_MS = 15 * 60_000;

export interface QuotaInvocationDeps extends QuotaLoopDeps {
  region: QuotaRegion;
  /** Unique per invocation (the Lambda request id). */
  owner: string;
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
}

export type QuotaInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      accountId: string;
      region: string;
      dryRun: boolean;
      status: 'ran' | 'lease-held' | 'disabled';
      result?: QuotaRunResult;
      summary: string;
    };

function number(value: number | undefined): string {
  if (value === undefined) return '?';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * A run as a person reads it in the Lambda console: one line per quota, then what was filed, what failed
 * and what the demand could not count.
 *
 * @example renderQuotaSummary(result).split('\n')[0] // '123456789012/eu-central-1 @ 2026-...: 2 quota(s), 1 request(s), 0 alarm(s)'
 */
export function renderQuotaSummary(result: QuotaRunResult): string {
  const mode = result.dryRun ? ' (dry run: nothing filed or written)' : '';
  const lines = [
    `${result.accountId}/${result.region} @ ${new Date(result.time).toISOString()}${mode}: ` +
      `${result.counts.quotas} quota(s), ${result.counts.requests} request(s), ${result.counts.alarms} alarm(s)`,
  ];
  if (result.filingHeld) lines.push(`  not filing: ${result.filingHeld}`);
  for (const decision of result.decisions) {
    const usage = decision.usage === undefined ? '' : `, usage ${number(decision.usage)}`;
    lines.push(
      `  ${decision.quotaCode} ${decision.quotaName}: demand ${number(decision.demand)}, applied ` +
        `${number(decision.applied)}${usage} → ${decision.action.kind}${decision.alarm ? ' [ALARM]' : ''}`,
    );
    lines.push(`    ${decision.reason}`);
  }
  for (const filed of result.filed) {
    const ids = [filed.requestId && `request ${filed.requestId}`, filed.caseId && `case ${filed.caseId}`]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  filed ${filed.serviceCode}/${filed.quotaCode} for ${filed.desiredValue}` +
        `${filed.alreadyOpen ? ' (a request was open already)' : ''}${ids ? `: ${ids}` : ''}`,
    );
  }
  for (const failure of result.failures) {
    const quota = failure.quotaCode ? `${failure.serviceCode}/${failure.quotaCode} ` : '';
    lines.push(`  failed: ${quota}${failure.step} ${failure.reason}: ${failure.message}`);
  }
  for (const problem of result.demand.problems) lines.push(`  not counted: ${problem.message}`);
  if (result.supportOff) lines.push(`  support: ${result.supportOff}`);
  return lines.join('\n');
}

/**
 * One invocation of the quota function: validate the event, refuse another account or region, then run
 * once under the quota lease. The lease keeps a console run and the schedule from overlapping; the
 * conditional FILING write is what guarantees one request per quota even if they did.
 *
 * @example
 * await runQuotaInvocation({ quotas: '123456789012/eu-central-1', dryRun: true }, deps)
 * // { ok: true, status: 'ran', dryRun: true, summary: '...', result: { ... } }
 */
export async function runQuotaInvocation(
  payload: unknown,
  deps: QuotaInvocationDeps,
): Promise<QuotaInvocationResponse> {
  const parsed = quotaEventSchema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`,
    );
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const event = parsed.data;
  const { region } = deps;
  const target = quotaTarget(region);
  if (event.quotas !== target) {
    return { ok: false, error: `quotas: this function serves "${target}", not "${event.quotas}"` };
  }
  const dryRun = region.quotas.dryRun || event.dryRun === true;
  const base = { ok: true as const, accountId: region.accountId, region: region.region, dryRun };
  if (!region.quotas.enabled) {
    return { ...base, status: 'disabled', summary: `${target}: the quota loop is disabled (enabled: false)` };
  }

  const ttl = Math.min(QUOTA_LEASE_MAX_MS, Math.max(0, deps.remainingMs())) + LEASE_GRACE_MS;
  const lease: Lease | undefined = await deps.state.acquireLease(
    QUOTA_STATE_PARTITION,
    QUOTA_LOOP,
    deps.owner,
    ttl,
  );
  if (!lease) {
    deps.log.info('another invocation holds the quota lease; nothing to do', { quotas: target });
    return {
      ...base,
      status: 'lease-held',
      summary: `${target}: another invocation holds the quota lease; nothing done now`,
    };
  }
  try {
    const result = await runQuotaTick(deps, region, { dryRun });
    return { ...base, status: 'ran', result, summary: renderQuotaSummary(result) };
  } finally {
    await deps.state
      .releaseLease(lease)
      .catch((error) => deps.log.warn('lease release failed', { error: String(error) }));
  }
}

/**
 * The run's EMF metrics: per quota `QuotaDemandRatio` (demand / applied, dimensions `Region` and
 * `QuotaCode`), and `QuotaAlarms`, the decisions with an alarm (dimension `Region` alone, which the
 * CDK alarm `QuotaAlarms >= 1` matches exactly). Powertools' default `service` dimension is cleared: the
 * dimension sets are the contract with the alarm. Nothing is published for a run that did not happen
 * (lease held, disabled): a missing datapoint is not an alarm.
 *
 * @example publishQuotaMetrics(new Metrics({ namespace: 'Tideplane' }), result)
 */
export function publishQuotaMetrics(metrics: Metrics, result: QuotaRunResult): void {
  metrics.clearDefaultDimensions();
  for (const decision of result.decisions) {
    if (decision.demandRatio === undefined) continue;
    metrics.addDimensions({ Region: result.region, QuotaCode: decision.quotaCode });
    metrics.addMetric('QuotaDemandRatio', MetricUnit.NoUnit, decision.demandRatio);
    metrics.publishStoredMetrics();
  }
  metrics.addDimension('Region', result.region);
  metrics.addMetric('QuotaAlarms', MetricUnit.Count, result.counts.alarms);
  metrics.publishStoredMetrics();
}
