/**
 * What to do about one quota, given what the clusters may need, what AWS allows and what was asked
 * before. Pure: every fact and the time come in; the loop acts (files the request, follows the case,
 * publishes the ratio, raises the alarm).
 *
 * The rules, in order:
 * - A request AWS still works on (PENDING, CASE_OPENED), or one another run is filing right now, means
 *   wait: never a second request for the same quota. An approval the applied value does not show yet is
 *   waited for too, for one recheck period.
 * - After a denial (DENIED, NOT_APPROVED, INVALID_REQUEST, or CASE_CLOSED below the value asked for) no new
 *   request for `retryDeniedAfterDays`: the same question gets the same answer, and a person should talk
 *   to AWS support first.
 * - Enough (required ≤ applied, or demand at most `alarmThresholdFraction` of applied): nothing to do.
 * - Else request `required` (the demand with headroom), capped at `maxRequestValues[code]` or else
 *   `maxIncreaseFactor` × applied, and never at or below the applied value: a cap that leaves nothing above
 *   it blocks the request instead, with why.
 * - Alarm: usage or demand above `alarmThresholdFraction` of the applied value, and no request open or
 *   being filed now.
 * - Beside the action, an answer AWS gave since the loop last stored the request's status (approved,
 *   denied) is reported once as the decision's `outcome`.
 */
import type { QuotasConfig } from '../config/quotas';
import {
  FILING,
  isOpenStatus,
  type RecordStatus,
  type RequestStatus,
  type RequestView,
} from './request-record';

/**
 * A `FILING` record older than this has no call in flight: a Lambda runs at most 15 minutes, so the run
 * that wrote it died before AWS answered, and a new request may be filed.
 */
export const FILING_STALE_MS = 15 * 60_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Everything the decision needs to know about one quota. */
export interface QuotaCheck {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  /** What the value counts, for reasons (`vCPUs`, `TiB`); empty for plain counts. */
  unit?: string;
  /** What the clusters may use at their maxima (demand.ts). */
  demand: number;
  /** The demand with headroom, rounded up: what the quota should allow. */
  required: number;
  /** `GetServiceQuota`'s value; absent when the account never changed the quota. */
  applied?: number;
  /** `GetAWSDefaultServiceQuota`'s value: what applies when nothing was applied. */
  defaultValue?: number;
  /** `Adjustable` of the quota; absent counts as adjustable. */
  adjustable?: boolean;
  /** Current usage (`AWS/Usage` metric), where the quota has one. */
  usage?: number;
  /** The quota's newest request (`newestRequest` of AWS's history and the stored record). */
  request?: RequestView;
  /** What the stored record said before this run, and when the request was last checked. */
  recorded?: { status: RecordStatus; lastCheckedAt: number };
}

export type QuotaSettings = Pick<
  QuotasConfig,
  | 'dryRun'
  | 'headroomFraction'
  | 'maxIncreaseFactor'
  | 'maxRequestValues'
  | 'recheckHours'
  | 'retryDeniedAfterDays'
  | 'alarmThresholdFraction'
>;

export interface DecideContext {
  /** Epoch ms. */
  now: number;
  settings: QuotaSettings;
}

export type QuotaAction =
  | { kind: 'ok' }
  | {
      kind: 'request';
      /** What to ask for: above the applied value, at most the cap. */
      desiredValue: number;
      /** What the demand alone would ask for. */
      uncappedValue: number;
      cap: number;
      capSource: 'maxIncreaseFactor' | 'maxRequestValues';
      /** The cap cut the request short of `uncappedValue`. */
      capped: boolean;
    }
  | {
      kind: 'wait';
      request: RequestView;
      /** What for: AWS's answer, the applied value to show an approval, or another run's call. */
      awaiting: 'aws' | 'applied-value' | 'filing';
      /** `recheckHours` have passed since the last status check (follow the case, add the justification). */
      recheckDue: boolean;
    }
  | {
      kind: 'blocked';
      cause: 'cap' | 'not-adjustable' | 'denied' | 'applied-unknown';
      /** Epoch ms: a denied quota may be requested again from then on. */
      until?: number;
    };

/**
 * AWS answered a request since the loop last stored its status: report it once. Requests the loop never
 * stored (filed by hand, long answered) are history, not news.
 */
export interface RequestOutcome {
  result: 'approved' | 'denied';
  status: RequestStatus;
  desiredValue: number;
  caseId?: string;
}

export interface QuotaDecision {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  demand: number;
  required: number;
  /** The value in force: the applied one, else AWS's default. */
  applied?: number;
  appliedSource?: 'applied' | 'default';
  usage?: number;
  action: QuotaAction;
  outcome?: RequestOutcome;
  /** demand / applied, the EMF metric; 0 without demand, absent when the applied value is 0 or unknown. */
  demandRatio?: number;
  /** usage / applied, when both are known and the applied value is above 0. */
  usageRatio?: number;
  /** Usage or demand is above `alarmThresholdFraction` of the applied value. */
  aboveThreshold: boolean;
  /** Above the threshold with no request open and none filed by this decision. */
  alarm: boolean;
  /** One line for a person: the numbers and the rule that decided. */
  reason: string;
}

const DENIED_STATUSES: readonly RecordStatus[] = ['DENIED', 'NOT_APPROVED', 'INVALID_REQUEST'];

function isTerminal(status: RecordStatus): status is RequestStatus {
  return status !== FILING && !isOpenStatus(status);
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

function ratio(part: number | undefined, whole: number | undefined): number | undefined {
  if (part === undefined || whole === undefined) return undefined;
  if (whole > 0) return part / whole;
  return part === 0 ? 0 : undefined;
}

function describeRequest(request: RequestView, unit: string): string {
  const id = request.requestId ? ` ${request.requestId}` : '';
  const kase = request.caseId ? ` (case ${request.caseId})` : '';
  return `request${id} for ${number(request.desiredValue)}${unit}${kase}`;
}

/**
 * The decision for one quota.
 *
 * @example
 * decideQuota(
 *   { serviceCode: 'ec2', quotaCode: 'L-1216C47A', quotaName: 'Running On-Demand Standard ...', unit: 'vCPUs',
 *     demand: 1080, required: 1296, applied: 320 },
 *   { now: Date.parse('2026-01-05T06:00:00Z'), settings },
 * ).action // { kind: 'request', desiredValue: 1296, uncappedValue: 1296, cap: 3200, capped: false, ... }
 */
export function decideQuota(check: QuotaCheck, context: DecideContext): QuotaDecision {
  const { now, settings } = context;
  const unit = check.unit ? ` ${check.unit}` : '';
  const applied = check.applied ?? check.defaultValue;
  const appliedSource =
    check.applied !== undefined ? 'applied' : check.defaultValue !== undefined ? 'default' : undefined;
  const request = check.request;

  let outcome: RequestOutcome | undefined;
  let denied = false;
  if (request && isTerminal(request.status) && applied !== undefined) {
    const fulfilled =
      request.status === 'APPROVED' || (request.status === 'CASE_CLOSED' && applied >= request.desiredValue);
    denied = DENIED_STATUSES.includes(request.status) || (request.status === 'CASE_CLOSED' && !fulfilled);
    if (check.recorded && check.recorded.status !== request.status) {
      outcome = {
        result: fulfilled ? 'approved' : 'denied',
        status: request.status,
        desiredValue: request.desiredValue,
        ...(request.caseId !== undefined ? { caseId: request.caseId } : {}),
      };
    }
  }

  const headroom = `${number(settings.headroomFraction * 100)} %`;
  const needs = `needs ${number(check.required)}${unit} (${number(check.demand)} at the maxima + ${headroom} headroom)`;
  const base =
    applied === undefined
      ? needs
      : `${needs}, applied ${number(applied)}${appliedSource === 'default' ? ' (AWS default)' : ''}`;
  const lastChecked = check.recorded?.lastCheckedAt;
  const recheckDue = lastChecked === undefined || now - lastChecked >= settings.recheckHours * HOUR_MS;

  let action: QuotaAction;
  let reason: string;
  let stalePrefix = '';

  if (applied === undefined) {
    action = { kind: 'blocked', cause: 'applied-unknown' };
    reason = `${needs}: neither the applied nor the AWS default value is known`;
  } else if (request && isOpenStatus(request.status)) {
    action = { kind: 'wait', request, awaiting: 'aws', recheckDue };
    const short =
      request.desiredValue < check.required
        ? `; it asks less than needed now, a new request follows once AWS answered`
        : '';
    reason =
      `${base}: ${describeRequest(request, unit)} open since ${time(request.createdAt)} (${request.status})` +
      `${short}${recheckDue ? '; status check due' : ''}`;
  } else if (request?.status === FILING && now - request.createdAt < FILING_STALE_MS) {
    action = { kind: 'wait', request, awaiting: 'filing', recheckDue: false };
    reason = `${base}: another run is filing a ${describeRequest(request, unit)} since ${time(request.createdAt)}`;
  } else if (
    request?.status === 'APPROVED' &&
    applied < request.desiredValue &&
    now - (request.updatedAt ?? request.createdAt) < settings.recheckHours * HOUR_MS
  ) {
    action = { kind: 'wait', request, awaiting: 'applied-value', recheckDue };
    reason = `${base}: ${describeRequest(request, unit)} was approved; waiting for the applied value to show it`;
  } else {
    if (request?.status === FILING) {
      stalePrefix = `a run at ${time(request.createdAt)} wrote a ${describeRequest(request, unit)} but never reached AWS; `;
    }
    const retryAt =
      request && denied
        ? (request.updatedAt ?? request.createdAt) + settings.retryDeniedAfterDays * DAY_MS
        : undefined;
    if (check.required <= applied || check.demand <= applied * settings.alarmThresholdFraction) {
      // The loop asks once demand comes within the alarm threshold of the applied value (and asks for
      // the headroom on top): a quota raised to demand plus headroom is not asked again for every vCPU
      // the demand grows by, and whenever the alarm's threshold is passed a request is filed (the
      // alarm then only fires when the loop cannot file).
      action = { kind: 'ok' };
      reason = `${base}: enough`;
    } else if (request && retryAt !== undefined && now < retryAt) {
      action = { kind: 'blocked', cause: 'denied', until: retryAt };
      reason =
        `${base}: the ${describeRequest(request, unit)} ended ${request.status}; no new request before ` +
        `${time(retryAt)} (retryDeniedAfterDays ${settings.retryDeniedAfterDays}): talk to AWS support`;
    } else if (check.adjustable === false) {
      action = { kind: 'blocked', cause: 'not-adjustable' };
      reason = `${base}: AWS does not adjust this quota`;
    } else {
      const explicit = settings.maxRequestValues[check.quotaCode];
      const capSource = explicit !== undefined ? 'maxRequestValues' : 'maxIncreaseFactor';
      const cap = explicit ?? Math.floor(applied * settings.maxIncreaseFactor);
      const capText =
        explicit !== undefined
          ? `maxRequestValues.${check.quotaCode} ${number(explicit)}`
          : `maxIncreaseFactor ${number(settings.maxIncreaseFactor)} × applied ${number(applied)}`;
      const desired = Math.min(check.required, cap);
      if (desired <= applied) {
        action = { kind: 'blocked', cause: 'cap' };
        const hint =
          explicit === undefined ? `; set quotas.maxRequestValues.${check.quotaCode} to allow a request` : '';
        reason = `${base}: the cap (${capText} = ${number(cap)}) allows nothing above the applied value${hint}`;
      } else {
        const capped = desired < check.required;
        action = {
          kind: 'request',
          desiredValue: desired,
          uncappedValue: check.required,
          cap,
          capSource,
          capped,
        };
        reason =
          `${base}: request ${number(desired)}${unit}` +
          (capped ? `, capped from ${number(check.required)} by ${capText}` : '');
      }
    }
  }

  const demandRatio = ratio(check.demand, applied);
  const usageRatio = check.usage === undefined ? undefined : ratio(check.usage, applied);
  const threshold = settings.alarmThresholdFraction;
  const over = (value: number | undefined) =>
    value !== undefined && applied !== undefined && (applied > 0 ? value / applied > threshold : value > 0);
  const aboveThreshold = over(check.demand) || over(check.usage);
  const open = action.kind === 'wait';
  const filing = action.kind === 'request' && !settings.dryRun;
  const alarm = aboveThreshold && !open && !filing;

  const outcomeText = outcome
    ? `AWS ${outcome.result === 'approved' ? 'approved' : `answered ${outcome.status} to`} the request for ` +
      `${number(outcome.desiredValue)}${unit}${outcome.caseId ? ` (case ${outcome.caseId})` : ''}; `
    : '';
  const alarmText = alarm
    ? `; ALARM: above ${number(threshold * 100)} % of the applied value with no request open`
    : '';

  return {
    serviceCode: check.serviceCode,
    quotaCode: check.quotaCode,
    quotaName: check.quotaName,
    demand: check.demand,
    required: check.required,
    ...(applied !== undefined ? { applied } : {}),
    ...(appliedSource !== undefined ? { appliedSource } : {}),
    ...(check.usage !== undefined ? { usage: check.usage } : {}),
    action,
    ...(outcome ? { outcome } : {}),
    ...(demandRatio !== undefined ? { demandRatio } : {}),
    ...(usageRatio !== undefined ? { usageRatio } : {}),
    aboveThreshold,
    alarm,
    reason: `${outcomeText}${stalePrefix}${reason}${alarmText}`,
  };
}

/**
 * Decisions for every quota of a run, in the given order.
 *
 * @example decideQuotas(checks, { now: clock.now(), settings: region.quotas })
 */
export function decideQuotas(checks: readonly QuotaCheck[], context: DecideContext): QuotaDecision[] {
  return checks.map((check) => decideQuota(check, context));
}
