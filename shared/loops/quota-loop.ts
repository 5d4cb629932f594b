/**
 * One run of the quota loop for one account and region: confirm the vCPU table's codes by name, work out
 * what the clusters may need of each quota at their maxima, read what AWS allows, uses and was asked
 * before, let the pure core decide per quota, and act: file an increase behind a conditional record,
 * follow open requests and their support cases, and store AWS's answers so each is reported once.
 *
 * The loop gathers facts and acts; every rule is in shared/quotas (demand.ts, decide.ts). Never two
 * requests for one quota: the decision waits while AWS lists an open one or another run is filing, and
 * the filing itself is a conditional write that only one run wins (quota-filing.ts).
 */
import type { QuotaRegion } from '../config/quota-region';
import type { AutoScalingPort } from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Ec2Port } from '../ports/ec2';
import type { Logger } from '../ports/logger';
import type { AppliedQuota, QuotaRequest, ServiceQuotasPort } from '../ports/service-quotas';
import type { StateStore, StoredItem } from '../ports/state-store';
import type { SupportCasesPort } from '../ports/support-cases';
import type { UsageMetricsPort } from '../ports/usage-metrics';
import { type CodeCheck, confirmQuotaCodes } from '../quotas/confirm-codes';
import { decideQuota, type QuotaCheck, type QuotaDecision } from '../quotas/decide';
import { type DemandResult, demandOf } from '../quotas/demand';
import { EC2_SERVICE_CODE, EC2_VCPU_QUOTAS, type Ec2VcpuQuota } from '../quotas/ec2-vcpu-quotas';
import {
  FILING,
  isOpenStatus,
  newestRequest,
  parseQuotaRequestRecord,
  QUOTA_STATE_PARTITION,
  type QuotaRequestRecord,
  quotaRecordKey,
  requestViewOf,
} from '../quotas/request-record';
import { mapLimit } from '../runtime/map-limit';
import { failureOf, gatherDemandFacts, type QuotaPoolProblem } from './quota-demand-facts';
import {
  fileRequest,
  followCase,
  followedRecord,
  QUOTA_RECORD_TTL_SECONDS,
  type QuotaWriteContext,
  recordDiffers,
  type SupportSwitch,
} from './quota-filing';

export interface QuotaLoopDeps {
  serviceQuotas: ServiceQuotasPort;
  usage: UsageMetricsPort;
  autoScaling: AutoScalingPort;
  ec2: Ec2Port;
  /** Present only when region.quotas.supportPlan is business/enterprise. */
  support?: SupportCasesPort;
  state: StateStore;
  clock: Clock;
  log: Logger;
}

export interface QuotaRunOptions {
  /** true forces dry run (no request, no record write, no Support call); the config's dryRun also does. */
  dryRun?: boolean;
}

export interface QuotaFiled {
  serviceCode: string;
  quotaCode: string;
  desiredValue: number;
  requestId?: string;
  caseId?: string;
  /** AWS had a request open already (ResourceAlreadyExistsException): the loop follows that one. */
  alreadyOpen: boolean;
}

export interface QuotaFailure {
  serviceCode?: string;
  quotaCode?: string;
  step:
    | 'confirm-codes'
    | 'groups'
    | 'instance-types'
    | 'applied'
    | 'history'
    | 'usage'
    | 'record'
    | 'request'
    | 'support';
  /** The port error's reason (`Throttled`, `QuotaExceeded`, ...) or the loop's (`Conflict`, `Corrupt`). */
  reason: string;
  message: string;
}

export interface QuotaRunResult {
  accountId: string;
  region: string;
  dryRun: boolean;
  demand: DemandResult;
  codeChecks: CodeCheck[];
  /** One per quota checked: table order, then extra quotas, then quotas only followed (see `followed`). */
  decisions: QuotaDecision[];
  filed: QuotaFiled[];
  failures: QuotaFailure[];
  counts: { quotas: number; requests: number; alarms: number; awsCalls: number; recordWrites: number };
  /** Epoch ms of the run. */
  time: number;
  /**
   * Why no request was filed although the run is not a dry run: a read the demand depends on failed, so
   * the demand may be short of the real need. Decisions are made and reported as in a dry run.
   */
  filingHeld?: string;
  /** Quota codes checked only because an open request of theirs is on record, with no demand now. */
  followed: string[];
  /** Tag-discovered groups and pools the node-pool rules leave out of the demand. */
  poolProblems: QuotaPoolProblem[];
  /** Why the Support API was not used for the rest of the run (SubscriptionRequired). */
  supportOff?: string;
}

/**
 * Quotas checked at once. Service Quotas allows a few requests a second per account; four quotas in
 * flight (three reads each) stay below that without slowing a run of a dozen quotas.
 */
export const QUOTA_CONCURRENCY = 4;

/**
 * How much earlier than the record's `requestedAt` AWS's `Created` may be and still be the request that
 * record filed: AWS's clock and Lambda's are not the same clock.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** How long a FILING record of a quota nothing needs any more is followed (see `runQuotaTick`). */
const FOLLOW_FILING_MS = 24 * 3_600_000;

/** One quota to check: what the demand says of it, or an open request on record that is followed. */
interface QuotaSubject {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  unit: string;
  demand: number;
  required: number;
  justification: string;
}

function countingPort<T extends object>(port: T, count: () => void): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The table with the codes Service Quotas lists today (moved ones replaced). */
function confirmedTable(checks: readonly CodeCheck[]): Ec2VcpuQuota[] {
  const byCode = new Map(checks.map((check) => [check.code, check]));
  return EC2_VCPU_QUOTAS.map((quota) => {
    const check = byCode.get(quota.code);
    return check && check.status !== 'missing' ? { ...quota, code: check.useCode } : quota;
  });
}

function logCodeChecks(log: Logger, checks: readonly CodeCheck[]): void {
  for (const check of checks) {
    if (check.status === 'renamed') {
      log.warn('a vCPU quota is listed under a new name; update the table', {
        quotaCode: check.code,
        tableName: check.name,
        listedName: check.listedName,
      });
    } else if (check.status === 'moved') {
      log.warn('a vCPU quota is listed under another code; using that one, update the table', {
        tableCode: check.code,
        listedCode: check.listedCode,
        name: check.name,
      });
    } else if (check.status === 'missing') {
      log.warn('a vCPU quota is not listed in this region; not checked', {
        quotaCode: check.code,
        name: check.name,
      });
    }
  }
}

function logDecision(log: Logger, decision: QuotaDecision): void {
  const attributes = {
    serviceCode: decision.serviceCode,
    quotaCode: decision.quotaCode,
    action: decision.action.kind,
    demand: decision.demand,
    required: decision.required,
    ...(decision.applied !== undefined ? { applied: decision.applied } : {}),
    ...(decision.usage !== undefined ? { usage: decision.usage } : {}),
    alarm: decision.alarm,
    reason: decision.reason,
  };
  if (decision.alarm || decision.outcome?.result === 'denied') log.warn('quota decision', attributes);
  else log.info('quota decision', attributes);
}

/**
 * One run of the quota loop for an account and region.
 *
 * @example
 * const result = await runQuotaTick(
 *   { serviceQuotas, usage, autoScaling, ec2, state, clock, log },
 *   decodeQuotaRegion(readFileSync(process.env.TIDEPLANE_QUOTA_REGION_FILE, 'utf8')),
 * );
 * result.filed // [{ serviceCode: 'ec2', quotaCode: 'L-1216C47A', desiredValue: 1296, requestId: '...', alreadyOpen: false }]
 */
export async function runQuotaTick(
  deps: QuotaLoopDeps,
  region: QuotaRegion,
  options: QuotaRunOptions = {},
): Promise<QuotaRunResult> {
  const { state, clock, log } = deps;
  const settings = region.quotas;
  const now = clock.now();
  const dryRun = options.dryRun === true || settings.dryRun;
  let awsCalls = 0;
  let recordWrites = 0;
  const counted = <T extends object>(port: T): T =>
    countingPort(port, () => {
      awsCalls++;
    });
  const serviceQuotas = counted(deps.serviceQuotas);
  const usagePort = counted(deps.usage);
  const support: SupportSwitch = deps.support && !dryRun ? { port: counted(deps.support) } : {};
  const failures: QuotaFailure[] = [];
  const filed: QuotaFiled[] = [];
  const where = { accountId: region.accountId, region: region.region };

  // 1. The table's codes as Service Quotas lists them.
  let codeChecks: CodeCheck[] = [];
  let table: Ec2VcpuQuota[] = [...EC2_VCPU_QUOTAS];
  try {
    const listed = await serviceQuotas.listServiceQuotas(EC2_SERVICE_CODE);
    codeChecks = confirmQuotaCodes(
      listed.map((quota) => ({ code: quota.code, name: quota.name })),
      EC2_VCPU_QUOTAS,
    );
    table = confirmedTable(codeChecks);
    logCodeChecks(log, codeChecks);
  } catch (error) {
    failures.push(failureOf('confirm-codes', error));
    log.warn('could not confirm the vCPU quota codes; using the table as written', { error: String(error) });
  }
  const missing = new Set(
    codeChecks.filter((check) => check.status === 'missing').map((check) => check.code),
  );

  // 2. Demand from the pools' and control planes' maxima.
  const facts = await gatherDemandFacts(
    { autoScaling: counted(deps.autoScaling), ec2: counted(deps.ec2), log },
    region,
  );
  failures.push(...facts.failures);
  const computed = demandOf({
    ...where,
    clusters: facts.clusters,
    vcpus: facts.vcpus,
    headroomFraction: settings.headroomFraction,
    extraQuotas: settings.extraQuotas,
    quotas: table,
  });
  const demand: DemandResult = {
    quotas: computed.quotas,
    problems: [...facts.problems, ...computed.problems],
  };
  for (const problem of demand.problems) log.warn('demand problem', { ...problem });
  const filingHeld =
    !dryRun && !facts.complete
      ? `a read the demand depends on failed (${facts.failures.map((f) => f.step).join(', ')}): the demand may be short, so nothing is filed this run`
      : undefined;
  if (filingHeld) log.warn('not filing this run', { why: filingHeld });
  const mayFile = !dryRun && facts.complete;

  // 3. Records, in one query; open requests without demand now are followed until AWS answers.
  const items = await state.query(QUOTA_STATE_PARTITION, quotaRecordKey(region.accountId, region.region, ''));
  const itemByKey = new Map(items.map((item) => [item.sk, item]));
  const subjects: QuotaSubject[] = demand.quotas.map((quota) => ({
    serviceCode: quota.serviceCode,
    quotaCode: quota.quotaCode,
    quotaName: quota.quotaName,
    unit: quota.unit,
    demand: quota.demand,
    required: quota.required,
    justification: quota.justification,
  }));
  const followed: string[] = [];
  const demanded = new Set(subjects.map((subject) => subject.quotaCode));
  for (const item of items) {
    let record: QuotaRequestRecord;
    try {
      record = parseQuotaRequestRecord(item.data);
    } catch {
      continue; // reported when its quota is checked, or harmless if no quota needs it
    }
    if (demanded.has(record.quotaCode)) continue;
    // A FILING record is followed for a day, long enough for AWS's history to list what it filed; one that
    // never reached AWS and has no demand behind it any more is left alone after that.
    const filing = record.status === FILING && now - record.requestedAt < FOLLOW_FILING_MS;
    if (!isOpenStatus(record.status) && !filing) continue;
    followed.push(record.quotaCode);
    subjects.push({
      serviceCode: record.serviceCode,
      quotaCode: record.quotaCode,
      quotaName: record.quotaName,
      unit:
        record.serviceCode === EC2_SERVICE_CODE && table.some((q) => q.code === record.quotaCode)
          ? 'vCPUs'
          : '',
      demand: 0,
      required: 0,
      justification: record.justification,
    });
  }

  async function checkQuota(subject: QuotaSubject): Promise<QuotaDecision | undefined> {
    const quota = { serviceCode: subject.serviceCode, quotaCode: subject.quotaCode };
    let applied: AppliedQuota;
    try {
      applied = await serviceQuotas.getServiceQuota(subject.serviceCode, subject.quotaCode);
    } catch (error) {
      failures.push(failureOf('applied', error, quota));
      return undefined;
    }
    if (applied.value === undefined) {
      // Service Quotas could not tell the value: decided as unknown (blocked), and said why here.
      failures.push({
        ...quota,
        step: 'applied',
        reason: 'NoValue',
        message: `${subject.serviceCode}/${subject.quotaCode}: Service Quotas gave no value (${applied.errorReason ?? 'no reason given'})`,
      });
    }
    if (subject.serviceCode !== EC2_SERVICE_CODE && applied.name && applied.name !== subject.quotaName) {
      log.warn('an extra quota is listed under another name than the config gives', {
        ...quota,
        configName: subject.quotaName,
        listedName: applied.name,
      });
    }
    const metric = applied.usageMetric;
    const [usageRead, historyRead] = await Promise.allSettled([
      metric ? usagePort.usage(metric) : Promise.resolve(undefined),
      serviceQuotas.listRequestedChanges(subject.serviceCode, subject.quotaCode),
    ]);
    if (historyRead.status === 'rejected') {
      // Without AWS's history an open request filed elsewhere is invisible: no decision, no filing.
      failures.push(failureOf('history', historyRead.reason, quota));
      return undefined;
    }
    const history: QuotaRequest[] = historyRead.value;
    let usage: number | undefined;
    if (usageRead.status === 'rejected') failures.push(failureOf('usage', usageRead.reason, quota));
    else usage = usageRead.value;

    const key = quotaRecordKey(region.accountId, region.region, subject.quotaCode);
    const item: StoredItem | undefined = itemByKey.get(key);
    let record: QuotaRequestRecord | undefined;
    if (item) {
      try {
        record = parseQuotaRequestRecord(item.data);
      } catch (error) {
        // Treated as absent; AWS's history still shows an open request, and writes keep the item's version.
        log.warn('ignoring a corrupt quota record', { ...quota, error: String(error) });
        failures.push({ ...quota, step: 'record', reason: 'Corrupt', message: String(error) });
      }
    }
    // AWS's history is the truth about a request it lists: the record stands in only for what AWS does not
    // list (yet), or for this loop's own refusals. A FILING record AWS lists a request for (from about when
    // it was written) reached AWS, even when AWS's Created is a little earlier than the record's clock.
    const listed =
      record?.requestId !== undefined && history.some((request) => request.requestId === record?.requestId);
    const reachedAws =
      record?.status === FILING &&
      history.some((request) => request.createdAt >= (record?.requestedAt ?? 0) - CLOCK_SKEW_MS);
    const recordView = record && !listed && !reachedAws ? requestViewOf(record) : undefined;
    const request = newestRequest(recordView, ...history);
    const check: QuotaCheck = {
      serviceCode: subject.serviceCode,
      quotaCode: subject.quotaCode,
      quotaName: subject.quotaName,
      unit: subject.unit,
      demand: subject.demand,
      required: subject.required,
      ...(applied.source === 'applied' && applied.value !== undefined ? { applied: applied.value } : {}),
      ...(applied.source === 'default' && applied.value !== undefined ? { defaultValue: applied.value } : {}),
      ...(applied.adjustable !== undefined ? { adjustable: applied.adjustable } : {}),
      ...(usage !== undefined ? { usage } : {}),
      ...(request ? { request } : {}),
      ...(record ? { recorded: { status: record.status, lastCheckedAt: record.lastCheckedAt } } : {}),
    };
    const decision = decideQuota(check, { now, settings: { ...settings, dryRun: !mayFile } });
    logDecision(log, decision);
    if (decision.outcome) {
      const level = decision.outcome.result === 'approved' ? 'info' : 'warn';
      log[level](`AWS ${decision.outcome.result} a quota request`, { ...quota, ...decision.outcome });
    }
    if (dryRun) return decision;

    const ctx: QuotaWriteContext = {
      region: where,
      serviceQuotas,
      state,
      log,
      now,
      key,
      item,
      record,
      quota: { ...quota, quotaName: subject.quotaName },
      wrote: () => {
        recordWrites++;
      },
    };
    const action = decision.action;
    if (action.kind === 'request') {
      if (!mayFile) return decision;
      const outcome = await fileRequest(ctx, {
        desiredValue: action.desiredValue,
        applied: decision.applied ?? 0,
        justification: subject.justification,
      });
      if (outcome.filed) filed.push(outcome.filed);
      failures.push(...outcome.failures);
      return decision;
    }

    // Keep the record in step with AWS: an open request at its recheck, any change of status (an answer is
    // stored so it is reported once), a request AWS lists that the record does not know.
    if (!request || request.status === FILING) return decision;
    const waiting = action.kind === 'wait' && action.awaiting !== 'filing';
    const open = action.kind === 'wait' && action.awaiting === 'aws';
    const recheckDue = action.kind === 'wait' && action.recheckDue;
    const differs = record === undefined || recordDiffers(record, request);
    const sync = (waiting && (recheckDue || differs)) || (record !== undefined && differs);
    let next = sync
      ? followedRecord(ctx, record, request, {
          justification: subject.justification,
          applied: decision.applied,
        })
      : undefined;
    const base = next ?? record;
    if (open && base?.caseId !== undefined && (recheckDue || base.justificationAddedAt === undefined)) {
      const followedCase = await followCase(ctx, support, base, failures);
      if (followedCase !== base) next = followedCase;
    }
    if (!next) return decision;
    try {
      await state.put(QUOTA_STATE_PARTITION, key, next, {
        expectedVersion: item?.version ?? 0,
        expiresAt: Math.floor(now / 1000) + QUOTA_RECORD_TTL_SECONDS,
      });
      recordWrites++;
    } catch (error) {
      failures.push(failureOf('record', error, quota));
    }
    return decision;
  }

  const decisions = await mapLimit(subjects, QUOTA_CONCURRENCY, async (subject) => {
    if (subject.serviceCode === EC2_SERVICE_CODE && missing.has(subject.quotaCode)) {
      failures.push({
        serviceCode: subject.serviceCode,
        quotaCode: subject.quotaCode,
        step: 'confirm-codes',
        reason: 'NotListed',
        message: `${subject.quotaCode} "${subject.quotaName}" is not listed by Service Quotas in ${region.region}: not checked`,
      });
      return undefined;
    }
    return checkQuota(subject);
  });

  const made = decisions.filter((decision): decision is QuotaDecision => decision !== undefined);
  const counts = {
    quotas: made.length,
    requests: filed.length,
    alarms: made.filter((decision) => decision.alarm).length,
    awsCalls,
    recordWrites,
  };
  log.info('quota run done', {
    ...where,
    dryRun,
    ...counts,
    failures: failures.length,
    ...(filingHeld ? { filingHeld } : {}),
  });
  return {
    ...where,
    dryRun,
    demand,
    codeChecks,
    decisions: made,
    filed,
    failures,
    counts,
    time: now,
    ...(filingHeld ? { filingHeld } : {}),
    followed,
    poolProblems: facts.poolProblems,
    ...(support.off ? { supportOff: support.off } : {}),
  };
}
