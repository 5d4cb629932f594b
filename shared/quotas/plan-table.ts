/**
 * The quota loop's run as a person reads it (`tideplane quotas plan`): one aligned table per account and
 * region — per quota the demand at the pools' maxima, what the quota should allow with headroom, the value
 * in force, the usage, the open request and the action — followed by what AWS answered since the last run,
 * the demand's problems, the quota-code notes and the failures. Pure: the run and the time come in, lines
 * of plain text go out (no colours, so a pipe or a file reads the same as a terminal).
 */
import type { CodeCheck } from './confirm-codes';
import type { QuotaAction, QuotaDecision } from './decide';
import type { DemandResult } from './demand';
import type { RequestView } from './request-record';

/** A request the run filed (never in a plan; shown so a live run's output says it). */
export interface PlanFiled {
  serviceCode: string;
  quotaCode: string;
  desiredValue: number;
  requestId?: string;
  caseId?: string;
  alreadyOpen: boolean;
}

export interface PlanFailure {
  serviceCode?: string;
  quotaCode?: string;
  step: string;
  reason: string;
  message: string;
}

/** What the table needs of a quota run (the loop's `QuotaRunResult` is one). */
export interface QuotaPlanRun {
  accountId: string;
  region: string;
  dryRun: boolean;
  demand: DemandResult;
  codeChecks: readonly CodeCheck[];
  decisions: readonly QuotaDecision[];
  filed: readonly PlanFiled[];
  failures: readonly PlanFailure[];
  /** Quota codes checked only to follow an open request on record; no pool needs them now. */
  followed?: readonly string[];
  /** Tag-discovered groups and pools the node-pool rules leave out of the demand. */
  poolProblems?: readonly { cluster: string; message: string }[];
  /** Why a live run filed nothing although requests were due. */
  filingHeld?: string;
  /** Why the Support API was switched off during the run. */
  supportOff?: string;
}

export interface PlanTableOptions {
  /** Epoch ms: the ages of open requests are counted to here. */
  now: number;
  /** Where the facts come from, for the heading (`live`, `recorded 2026-11-24T06:00Z (file)`). */
  source?: string;
  /** The run's `headroomFraction`, to say how `required` comes from `demand`. */
  headroomFraction?: number;
  /** Also print each quota's reason and the demand's breakdown per cluster and pool. */
  verbose?: boolean;
}

const NONE = '-';
const ID_CHARS = 8;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

/** `2026-11-28T09:00Z`: minutes are as precise as a person needs for AWS support's pace. */
function minute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/**
 * A quota's name short enough for a table column: EC2's instance quotas by their line and purchasing
 * option, others up to the first ", in" (the unit, which has its own column).
 *
 * @example shortQuotaName('Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances') // 'Standard on-demand'
 * @example shortQuotaName('All P4, P3 and P2 Spot Instance Requests') // 'P4, P3 and P2 spot'
 */
export function shortQuotaName(name: string): string {
  const onDemand = /^Running On-Demand (.+?) instances$/i.exec(name);
  if (onDemand?.[1]) return `${onDemand[1].replace(/\s*\(.*\)$/, '')} on-demand`;
  const spot = /^All (.+?) Spot Instance Requests$/i.exec(name);
  if (spot?.[1]) return `${spot[1].replace(/\s*\(.*\)$/, '')} spot`;
  return name.replace(/, in \w+$/, '');
}

/**
 * How long ago, in the two largest units that matter for requests AWS answers in hours to days.
 *
 * @example formatAge(2 * 86_400_000 + 3 * 3_600_000) // '2d 3h'
 * @example formatAge(25 * 60_000) // '25m'
 */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  if (days === 0) return `${hours}h ${minutes % 60}m`;
  return `${days}d ${hours}h`;
}

function shortId(id: string): string {
  return id.length > ID_CHARS + 1 ? `${id.slice(0, ID_CHARS)}…` : id;
}

/**
 * The request the action waits for: short id, value asked, status and age.
 *
 * @example openRequestText(decision, now) // 'd187537d… 1728 PENDING 2d 3h'
 */
export function openRequestText(action: QuotaAction, now: number): string {
  if (action.kind !== 'wait') return NONE;
  const request: RequestView = action.request;
  const id = request.requestId ? shortId(request.requestId) : '(no id yet)';
  return `${id} ${number(request.desiredValue)} ${request.status} ${formatAge(now - request.createdAt)}`;
}

/**
 * The action in a few words; the decision's reason has the numbers and the rule.
 *
 * @example actionText({ kind: 'request', desiredValue: 3610, ... }) // 'request 3610'
 */
export function actionText(decision: Pick<QuotaDecision, 'quotaCode' | 'action' | 'alarm'>): string {
  const action = decision.action;
  let text: string;
  switch (action.kind) {
    case 'ok':
      text = 'ok';
      break;
    case 'request':
      text = `request ${number(action.desiredValue)}`;
      if (action.capped) text += ` (capped from ${number(action.uncappedValue)} by ${action.capSource})`;
      break;
    case 'wait':
      text =
        action.awaiting === 'aws'
          ? 'wait: AWS has not answered'
          : action.awaiting === 'applied-value'
            ? 'wait: approved, applied value not yet raised'
            : 'wait: another run is filing';
      if (action.recheckDue) text += ', status check due';
      break;
    case 'blocked':
      text =
        action.cause === 'denied'
          ? `blocked: denied, no new request before ${action.until === undefined ? '?' : minute(action.until)}`
          : action.cause === 'cap'
            ? `blocked: the cap allows nothing above applied (set maxRequestValues.${decision.quotaCode})`
            : action.cause === 'not-adjustable'
              ? 'blocked: AWS does not adjust this quota'
              : 'blocked: applied value unknown';
      break;
  }
  // A dry run raises the alarm beside a request it does not file; the live loop files it instead, and the
  // table shows what the live loop would do.
  return decision.alarm && action.kind !== 'request' ? `${text} ALARM` : text;
}

function table(header: readonly string[], rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        right.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function codeNote(check: CodeCheck, region: string): string | undefined {
  switch (check.status) {
    case 'confirmed':
      return undefined;
    case 'renamed':
      return `${check.code} is listed as "${check.listedName}", the table says "${check.name}": code kept, update the table`;
    case 'moved':
      return `"${check.name}" is listed under ${check.listedCode}, not ${check.code}: ${check.listedCode} used, update the table`;
    case 'missing':
      return `${check.code} "${check.name}" is not listed in ${region}: skipped`;
  }
}

function quotaKey(quota: { serviceCode: string; quotaCode: string }): string {
  return `${quota.serviceCode}/${quota.quotaCode}`;
}

/**
 * The plan of one account and region as lines of text.
 *
 * @example
 * for (const line of formatQuotaPlan(result, { now: clock.now(), source: 'live' })) console.log(line);
 * // account 123456789012, eu-central-1: dry run, live
 * // quota                          unit   demand  required  applied  usage  open request  action
 * // L-1216C47A Standard on-demand  vCPUs    3008      3610  1536      1184  -             request 3610
 */
export function formatQuotaPlan(run: QuotaPlanRun, options: PlanTableOptions): string[] {
  const { now } = options;
  const lines: string[] = [];
  const mode = run.dryRun ? 'dry run' : 'live run';
  lines.push(
    `account ${run.accountId}, ${run.region}: ${mode}${options.source ? `, ${options.source}` : ''}`,
  );

  const demands = new Map(run.demand.quotas.map((quota) => [quotaKey(quota), quota]));
  if (run.decisions.length === 0) {
    lines.push('no quota to check: no node pool or extra quota makes demand here');
  } else {
    const rows = run.decisions.map((decision) => {
      const unit = demands.get(quotaKey(decision))?.unit || NONE;
      const applied =
        decision.applied === undefined
          ? NONE
          : `${number(decision.applied)}${decision.appliedSource === 'default' ? ' (AWS default)' : ''}`;
      return [
        `${decision.quotaCode} ${shortQuotaName(decision.quotaName)}`,
        unit,
        number(decision.demand),
        number(decision.required),
        applied,
        decision.usage === undefined ? NONE : number(decision.usage),
        openRequestText(decision.action, now),
        actionText(decision),
      ];
    });
    const header = ['quota', 'unit', 'demand', 'required', 'applied', 'usage', 'open request', 'action'];
    lines.push(...table(header, rows, new Set([2, 3, 5])));
    const counts = new Map<string, number>();
    for (const decision of run.decisions) {
      counts.set(decision.action.kind, (counts.get(decision.action.kind) ?? 0) + 1);
    }
    const summary = (['request', 'wait', 'blocked', 'ok'] as const)
      .filter((kind) => counts.has(kind))
      .map((kind) => `${counts.get(kind)} ${kind}`);
    const headroom =
      options.headroomFraction === undefined
        ? ''
        : `; required = demand + ${number(options.headroomFraction * 100)} % headroom, rounded up`;
    lines.push(`${run.decisions.length} quotas: ${summary.join(', ')}${headroom}`);
    if (run.decisions.some((decision) => decision.alarm && decision.action.kind !== 'request')) {
      lines.push(
        'ALARM: usage or demand above the alarm threshold of the applied value, and no request open',
      );
    }
  }

  const outcomes = run.decisions.filter((decision) => decision.outcome);
  if (outcomes.length > 0) {
    lines.push('AWS answered since the last run:');
    for (const decision of outcomes) {
      const outcome = decision.outcome;
      if (!outcome) continue;
      const unit = demands.get(quotaKey(decision))?.unit;
      const kase = outcome.caseId ? ` (case ${outcome.caseId})` : '';
      const plain = outcome.status === 'APPROVED' || outcome.status === 'DENIED';
      lines.push(
        `  ${decision.quotaCode} ${shortQuotaName(decision.quotaName)}: ${outcome.status}` +
          `${plain ? '' : ` (${outcome.result})`} the request for ${number(outcome.desiredValue)}` +
          `${unit ? ` ${unit}` : ''}${kase}`,
      );
    }
  }

  if (options.verbose && run.decisions.length > 0) {
    lines.push('why:');
    for (const decision of run.decisions) {
      lines.push(`  ${decision.quotaCode}: ${decision.reason}`);
      for (const contribution of demands.get(quotaKey(decision))?.contributions ?? []) {
        const where =
          contribution.source === 'pool'
            ? `${contribution.cluster}, node pool ${contribution.name}`
            : contribution.source === 'control-plane'
              ? `${contribution.cluster}, control plane`
              : contribution.source === 'cluster'
                ? contribution.cluster
                : 'region';
        lines.push(`    - ${where}: ${contribution.formula}`);
      }
    }
  }

  if ((run.followed ?? []).length > 0) {
    lines.push(`followed, no demand now (an open request on record): ${(run.followed ?? []).join(', ')}`);
  }

  const poolProblems = run.poolProblems ?? [];
  if (run.demand.problems.length > 0 || poolProblems.length > 0) {
    lines.push('demand problems (not counted above):');
    for (const problem of run.demand.problems) lines.push(`  ${problem.message}`);
    for (const problem of poolProblems) lines.push(`  ${problem.cluster}: ${problem.message}`);
  }

  const notes = run.codeChecks
    .map((check) => codeNote(check, run.region))
    .filter((note): note is string => note !== undefined);
  const confirmed = run.codeChecks.filter((check) => check.status === 'confirmed').length;
  lines.push(
    run.codeChecks.length === 0
      ? 'quota codes: not confirmed this run'
      : `quota codes: ${confirmed} of ${run.codeChecks.length} confirmed by name (ListServiceQuotas)`,
  );
  for (const note of notes) lines.push(`  ${note}`);

  if (run.failures.length > 0) {
    lines.push('failures:');
    for (const failure of run.failures) {
      const quota = failure.quotaCode ? ` ${failure.serviceCode ?? ''}/${failure.quotaCode}` : '';
      lines.push(`  ${failure.step}${quota}: ${failure.reason}: ${failure.message}`);
    }
  }

  if (run.filingHeld) lines.push(`filing held: ${run.filingHeld}`);
  if (run.supportOff) lines.push(`Support API off: ${run.supportOff}`);
  if (run.filed.length > 0) {
    lines.push('filed:');
    for (const filed of run.filed) {
      const ids = [
        filed.requestId ? `request ${filed.requestId}` : '',
        filed.caseId ? `case ${filed.caseId}` : '',
        filed.alreadyOpen ? 'already open' : '',
      ].filter(Boolean);
      lines.push(
        `  ${quotaKey(filed)} ${number(filed.desiredValue)}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`,
      );
    }
  } else {
    lines.push(run.dryRun ? 'filed: nothing (dry run)' : 'filed: nothing');
  }
  return lines;
}
