/**
 * The quota loop's writes: filing an increase request behind a conditional record, keeping the record in
 * step with AWS's history, and following the support case.
 *
 * Filing, and why each failure leaves the record as it does:
 * - The record is written with status `FILING` first, conditionally (version 0 when there was none, else
 *   the version read). Of two overlapping runs only one wins; the other files nothing.
 * - Then `RequestServiceQuotaIncrease`. Its answer (request id, case id, status) replaces `FILING`.
 * - `AlreadyOpen`: the request the loop wanted exists. AWS's history names it; the record follows it.
 * - `QuotaExceeded`, `NoSuchResource`, `Invalid`: AWS refused and created nothing, and asking again
 *   tomorrow gets the same answer (too many open requests in the account, a quota the region lacks, a value
 *   AWS will not take). The record ends `INVALID_REQUEST` with the failure: the decision treats that as a
 *   denial, so the next request goes out after `retryDeniedAfterDays`, and the alarm stays up meanwhile for
 *   a person to look.
 * - `Throttled`, `Forbidden`: AWS refused before creating anything. The record goes back to what it was
 *   (or away), conditionally, so the next run files.
 * - A timeout, an unavailable service or anything else: the request may have been created. `FILING` stays;
 *   the next run within FILING_STALE_MS waits, a later one reads AWS's history (which the loop always reads
 *   before deciding) and files only when AWS lists nothing newer than the record.
 */
import type { QuotaRegion } from '../config/quota-region';
import type { Logger } from '../ports/logger';
import type { QuotaRequest, ServiceQuotasPort } from '../ports/service-quotas';
import { ServiceQuotasError } from '../ports/service-quotas';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import { RESOLVED_CASE_STATUS, type SupportCasesPort, SupportError } from '../ports/support-cases';
import {
  FILING,
  isOpenStatus,
  QUOTA_STATE_PARTITION,
  type QuotaRequestRecord,
  type RequestView,
} from '../quotas/request-record';
import { failureOf } from './quota-demand-facts';
import type { QuotaFailure, QuotaFiled } from './quota-loop';

/**
 * A record outlives its last write by this much. Records of open requests are rewritten at every status
 * check; a quota no cluster needs any more leaves its last answer for a year and then goes.
 */
export const QUOTA_RECORD_TTL_SECONDS = 400 * 24 * 3600;

/** What the filing and follow-up steps of one quota share. */
export interface QuotaWriteContext {
  region: Pick<QuotaRegion, 'accountId' | 'region'>;
  serviceQuotas: ServiceQuotasPort;
  state: StateStore;
  log: Logger;
  now: number;
  /** The record's key and what was read under it (a corrupt item included: its version guards writes). */
  key: string;
  item: StoredItem | undefined;
  record: QuotaRequestRecord | undefined;
  quota: { serviceCode: string; quotaCode: string; quotaName: string };
  /** Counts the record writes that succeeded. */
  wrote: () => void;
}

export interface FilingOutcome {
  filed?: QuotaFiled;
  failures: QuotaFailure[];
}

function expiresAt(now: number): number {
  return Math.floor(now / 1000) + QUOTA_RECORD_TTL_SECONDS;
}

async function write(
  ctx: QuotaWriteContext,
  data: QuotaRequestRecord,
  expectedVersion: number,
): Promise<StoredItem<QuotaRequestRecord>> {
  const item = await ctx.state.put(QUOTA_STATE_PARTITION, ctx.key, data, {
    expectedVersion,
    expiresAt: expiresAt(ctx.now),
  });
  ctx.wrote();
  return item;
}

function recordFailure(ctx: QuotaWriteContext, error: unknown, what: string): QuotaFailure {
  const failure = failureOf('record', error, ctx.quota);
  if (error instanceof VersionConflictError) {
    return { ...failure, reason: 'Conflict', message: `${what}: another run changed the record first` };
  }
  return { ...failure, message: `${what}: ${failure.message}` };
}

/**
 * The record of a request AWS lists, carried on from `previous` when that was about the same request (its
 * justification, when it was asked, whether the justification went to the case).
 *
 * @example followedRecord(ctx, record, { status: 'CASE_OPENED', desiredValue: 1296, createdAt, caseId: '6780195351' }, fallback)
 */
export function followedRecord(
  ctx: Pick<QuotaWriteContext, 'region' | 'quota' | 'now'>,
  previous: QuotaRequestRecord | undefined,
  request: RequestView,
  fallback: { justification: string; applied: number | undefined },
): QuotaRequestRecord {
  // A FILING record has no request id yet: the request AWS lists for it is the one it filed.
  const continues =
    previous !== undefined &&
    (previous.requestId === undefined
      ? previous.status === FILING
      : previous.requestId === request.requestId);
  const carried = continues
    ? {
        appliedAtRequest: previous.appliedAtRequest,
        requestedAt: Math.min(previous.requestedAt, request.createdAt),
        justification: previous.justification,
        ...(previous.justificationAddedAt !== undefined
          ? { justificationAddedAt: previous.justificationAddedAt }
          : {}),
      }
    : {
        appliedAtRequest: fallback.applied ?? 0,
        requestedAt: request.createdAt,
        justification: fallback.justification,
      };
  return {
    accountId: ctx.region.accountId,
    region: ctx.region.region,
    serviceCode: ctx.quota.serviceCode,
    quotaCode: ctx.quota.quotaCode,
    quotaName: ctx.quota.quotaName,
    desiredValue: request.desiredValue,
    ...carried,
    status: request.status,
    lastCheckedAt: ctx.now,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    ...(request.caseId !== undefined ? { caseId: request.caseId } : {}),
    ...(answered(request) && request.updatedAt !== undefined ? { resolvedAt: request.updatedAt } : {}),
  };
}

/** AWS answered the request (approved, denied, closed): its LastUpdated is when. */
function answered(request: RequestView): boolean {
  return request.status !== FILING && !isOpenStatus(request.status);
}

/**
 * Whether the record says something else than AWS about the request, so it is written again.
 *
 * @example recordDiffers(record, { ...requestViewOf(record), status: 'APPROVED' }) // true
 */
export function recordDiffers(record: QuotaRequestRecord, request: RequestView): boolean {
  return (
    record.status !== request.status ||
    record.requestId !== request.requestId ||
    record.caseId !== request.caseId ||
    record.desiredValue !== request.desiredValue ||
    (answered(request) && request.updatedAt !== undefined && record.resolvedAt !== request.updatedAt)
  );
}

/** The newest open request of a history, if any. */
function newestOpen(history: readonly QuotaRequest[]): QuotaRequest | undefined {
  return history
    .filter((request) => isOpenStatus(request.status))
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}

/**
 * Files one increase request behind the conditional `FILING` record (see the module's comment for what
 * each answer does to the record).
 *
 * @example
 * const { filed, failures } = await fileRequest(ctx, { desiredValue: 1296, applied: 320, justification });
 */
export async function fileRequest(
  ctx: QuotaWriteContext,
  ask: { desiredValue: number; applied: number; justification: string },
): Promise<FilingOutcome> {
  const { serviceCode, quotaCode } = ctx.quota;
  const filing: QuotaRequestRecord = {
    accountId: ctx.region.accountId,
    region: ctx.region.region,
    serviceCode,
    quotaCode,
    quotaName: ctx.quota.quotaName,
    desiredValue: ask.desiredValue,
    appliedAtRequest: ask.applied,
    requestedAt: ctx.now,
    status: FILING,
    lastCheckedAt: ctx.now,
    justification: ask.justification,
  };
  let written: StoredItem<QuotaRequestRecord>;
  try {
    written = await write(ctx, filing, ctx.item?.version ?? 0);
  } catch (error) {
    const failure = recordFailure(ctx, error, 'FILING record');
    if (failure.reason === 'Conflict') {
      ctx.log.info('another run is filing this quota request; not filing', { serviceCode, quotaCode });
    }
    return { failures: [failure] };
  }

  let request: QuotaRequest;
  try {
    request = await ctx.serviceQuotas.requestIncrease(serviceCode, quotaCode, ask.desiredValue);
  } catch (error) {
    return afterRefusal(ctx, error, filing, written);
  }
  const filed: QuotaFiled = {
    serviceCode,
    quotaCode,
    desiredValue: request.desiredValue || ask.desiredValue,
    requestId: request.requestId,
    ...(request.caseId !== undefined ? { caseId: request.caseId } : {}),
    alreadyOpen: false,
  };
  ctx.log.info('quota increase requested', { ...filed, status: request.status });
  const stored: QuotaRequestRecord = {
    ...filing,
    status: request.status,
    requestId: request.requestId,
    ...(request.caseId !== undefined ? { caseId: request.caseId } : {}),
  };
  try {
    await write(ctx, stored, written.version);
  } catch (error) {
    // AWS has the request; its history tells the next run even if this record stays FILING.
    ctx.log.error('the request was filed but its record could not be updated', {
      serviceCode,
      quotaCode,
      error: String(error),
    });
    return { filed, failures: [recordFailure(ctx, error, 'record after the request')] };
  }
  return { filed, failures: [] };
}

async function afterRefusal(
  ctx: QuotaWriteContext,
  error: unknown,
  filing: QuotaRequestRecord,
  written: StoredItem<QuotaRequestRecord>,
): Promise<FilingOutcome> {
  const { serviceCode, quotaCode } = ctx.quota;
  const failure = failureOf('request', error, ctx.quota);
  const reason = error instanceof ServiceQuotasError ? error.reason : undefined;

  if (reason === 'AlreadyOpen') {
    let history: QuotaRequest[];
    try {
      history = await ctx.serviceQuotas.listRequestedChanges(serviceCode, quotaCode);
    } catch (historyError) {
      ctx.log.warn('a request is open already, but the history could not be read', {
        serviceCode,
        quotaCode,
      });
      return {
        filed: { serviceCode, quotaCode, desiredValue: filing.desiredValue, alreadyOpen: true },
        failures: [failureOf('history', historyError, ctx.quota)],
      };
    }
    const open = newestOpen(history);
    const filed: QuotaFiled = {
      serviceCode,
      quotaCode,
      desiredValue: open?.desiredValue ?? filing.desiredValue,
      ...(open ? { requestId: open.requestId } : {}),
      ...(open?.caseId !== undefined ? { caseId: open.caseId } : {}),
      alreadyOpen: true,
    };
    ctx.log.info('a request for this quota is open already; following it', { ...filed });
    if (!open) return { filed, failures: [] };
    try {
      await write(
        ctx,
        followedRecord(ctx, filing, open, {
          justification: filing.justification,
          applied: filing.appliedAtRequest,
        }),
        written.version,
      );
    } catch (writeError) {
      return { filed, failures: [recordFailure(ctx, writeError, 'record of the open request')] };
    }
    return { filed, failures: [] };
  }

  if (reason === 'QuotaExceeded' || reason === 'NoSuchResource' || reason === 'Invalid') {
    ctx.log.warn('AWS refused the quota request; no new request before retryDeniedAfterDays', {
      serviceCode,
      quotaCode,
      reason,
      message: failure.message,
    });
    const refused: QuotaRequestRecord = {
      ...filing,
      status: 'INVALID_REQUEST',
      resolvedAt: ctx.now,
      failure: `${reason}: ${failure.message}`,
    };
    try {
      await write(ctx, refused, written.version);
    } catch (writeError) {
      return { failures: [failure, recordFailure(ctx, writeError, 'record of the refusal')] };
    }
    return { failures: [failure] };
  }

  if (reason === 'Throttled' || reason === 'Forbidden') {
    ctx.log.warn('the quota request did not reach AWS; the next run files it', {
      serviceCode,
      quotaCode,
      reason,
    });
    try {
      if (ctx.item) {
        await ctx.state.put(QUOTA_STATE_PARTITION, ctx.key, ctx.item.data, {
          expectedVersion: written.version,
          ...(ctx.item.expiresAt !== undefined ? { expiresAt: ctx.item.expiresAt } : {}),
        });
      } else {
        await ctx.state.delete(QUOTA_STATE_PARTITION, ctx.key, written.version);
      }
      ctx.wrote();
    } catch (writeError) {
      // FILING stays: the next run waits FILING_STALE_MS, then files; never twice.
      return { failures: [failure, recordFailure(ctx, writeError, 'rolling the FILING record back')] };
    }
    return { failures: [failure] };
  }

  ctx.log.warn('the quota request may or may not have reached AWS; the record stays FILING', {
    serviceCode,
    quotaCode,
    reason: failure.reason,
  });
  return { failures: [failure] };
}

/** Whether the run may still call the Support API, and whether it said why not. */
export interface SupportSwitch {
  port?: SupportCasesPort;
  /** Set once AWS answered SubscriptionRequired: no more Support calls in this run. */
  off?: string;
}

/**
 * Looks at the request's support case and, once per request, adds the justification to it while it is
 * open (a resolved case would be reopened by it). Returns the record with `justificationAddedAt` when it
 * was added; `SubscriptionRequired` turns Support off for the run with one warning.
 *
 * @example
 * const next = await followCase(ctx, support, record, failures);
 */
export async function followCase(
  ctx: Pick<QuotaWriteContext, 'log' | 'now' | 'quota'>,
  support: SupportSwitch,
  record: QuotaRequestRecord,
  failures: QuotaFailure[],
): Promise<QuotaRequestRecord> {
  const port = support.port;
  const caseId = record.caseId;
  if (!port || support.off !== undefined || caseId === undefined) return record;
  const { serviceCode, quotaCode } = ctx.quota;
  try {
    const cases = await port.describeCases([caseId]);
    const kase = cases.find((c) => c.caseId === caseId || c.displayId === caseId);
    if (!kase) {
      ctx.log.info('the support case of the request is not found (yet)', { serviceCode, quotaCode, caseId });
      return record;
    }
    ctx.log.info('support case', {
      serviceCode,
      quotaCode,
      caseId,
      status: kase.status,
      ...(kase.lastCommunicationBy ? { lastCommunicationBy: kase.lastCommunicationBy } : {}),
    });
    if (kase.status === RESOLVED_CASE_STATUS || record.justificationAddedAt !== undefined) return record;
    if (record.justification.trim() === '') return record;
    await port.addCommunication(kase.caseId, record.justification);
    ctx.log.info('justification added to the support case', { serviceCode, quotaCode, caseId });
    return { ...record, justificationAddedAt: ctx.now };
  } catch (error) {
    if (error instanceof SupportError && error.reason === 'SubscriptionRequired') {
      if (support.off === undefined) {
        support.off = `the Support API needs a Business or Enterprise plan (${error.message}); not used for the rest of this run`;
        ctx.log.warn('Support API not available: set quotas.supportPlan to basic or developer', {
          message: error.message,
        });
      }
      return record;
    }
    failures.push(failureOf('support', error, ctx.quota));
    return record;
  }
}
