/**
 * A quota increase request as the state store keeps it: one item per quota of an account and region
 * (`quota#<account>#<region>#<code>`), replaced by each new request of that quota. It is what keeps two
 * overlapping runs from filing twice: before `RequestServiceQuotaIncrease` the loop writes the record with
 * status `FILING` conditionally (version 0 when there was none, else the version it read), and only the
 * writer that wins calls AWS; afterwards it stores the request and case ids and AWS's status. A `FILING`
 * record that never got ids is a run that died between the write and the call (see decide.ts).
 */
import { z } from 'zod';
import { parseStoredData } from '../units/stored-data';

/** Service Quotas' request states (`RequestedServiceQuotaChange.Status`). */
export const REQUEST_STATUSES = [
  'PENDING',
  'CASE_OPENED',
  'APPROVED',
  'DENIED',
  'NOT_APPROVED',
  'CASE_CLOSED',
  'INVALID_REQUEST',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Ours: the record is written, the call to AWS not yet answered. */
export const FILING = 'FILING';
export const RECORD_STATUSES = [FILING, ...REQUEST_STATUSES] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

/** AWS is still working on these: a second request for the quota must wait. */
export const OPEN_REQUEST_STATUSES: readonly RecordStatus[] = ['PENDING', 'CASE_OPENED'];

export function isOpenStatus(status: RecordStatus): boolean {
  return OPEN_REQUEST_STATUSES.includes(status);
}

/**
 * The sort key of a quota's record. Quota records belong to an account and region, not to a cluster; the
 * loop keeps them in one partition of their own (`QUOTA_STATE_PARTITION`).
 *
 * @example quotaRecordKey('123456789012', 'eu-central-1', 'L-1216C47A') // 'quota#123456789012#eu-central-1#L-1216C47A'
 */
export function quotaRecordKey(accountId: string, region: string, quotaCode: string): string {
  return `quota#${accountId}#${region}#${quotaCode}`;
}

/**
 * The state store's partition for quota records. `#` cannot occur in a cluster name (a DNS label), so it
 * never meets a cluster's items.
 */
export const QUOTA_STATE_PARTITION = '#quotas';

const epochMs = z.number().finite();

export const quotaRequestRecordSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  serviceCode: z.string().min(1),
  quotaCode: z.string().min(1),
  quotaName: z.string(),
  /** What was asked for. */
  desiredValue: z.number().gt(0),
  /** The applied value when it was asked, for reports ("from 320 to 1296"). */
  appliedAtRequest: z.number().min(0),
  /** Epoch ms when the record was written for this request (before the call). */
  requestedAt: epochMs,
  status: z.enum(RECORD_STATUSES),
  /** Epoch ms of the last status check (history read or Support case look). */
  lastCheckedAt: epochMs,
  /** Service Quotas' request id (`RequestedQuota.Id`), once AWS answered. */
  requestId: z.string().min(1).optional(),
  /** The support case AWS opened for it, once there is one. */
  caseId: z.string().min(1).optional(),
  /** Which clusters and pools need it: the text for the support case. */
  justification: z.string(),
  /** Epoch ms when the justification was added to the case (Support API, Business/Enterprise only). */
  justificationAddedAt: epochMs.optional(),
  /** Epoch ms of AWS's last change of the request (`LastUpdated`): when it was approved or denied. */
  resolvedAt: epochMs.optional(),
  /** What AWS answered when the call failed (QuotaExceededException, IllegalArgumentException, ...). */
  failure: z.string().optional(),
});

export type QuotaRequestRecord = z.infer<typeof quotaRequestRecordSchema>;

/**
 * The stored data validated; throws `CorruptStateError` saying what is wrong.
 *
 * @example parseQuotaRequestRecord((await store.get(QUOTA_STATE_PARTITION, key))?.data)
 */
export function parseQuotaRequestRecord(data: unknown): QuotaRequestRecord {
  return parseStoredData(quotaRequestRecordSchema, 'quota request record', data);
}

/**
 * A quota's newest request as the decision needs it, from AWS's history
 * (`ListRequestedServiceQuotaChangeHistoryByQuota`) or from the stored record.
 */
export interface RequestView {
  status: RecordStatus;
  desiredValue: number;
  /** Epoch ms: AWS's `Created`, or the record's `requestedAt`. */
  createdAt: number;
  /** Epoch ms of AWS's last change (`LastUpdated`): when it was approved or denied. */
  updatedAt?: number;
  requestId?: string;
  caseId?: string;
}

/**
 * The stored record as a request view.
 *
 * @example requestViewOf(record) // { status: 'FILING', desiredValue: 1296, createdAt: 1767225600000 }
 */
export function requestViewOf(record: QuotaRequestRecord): RequestView {
  return {
    status: record.status,
    desiredValue: record.desiredValue,
    createdAt: record.requestedAt,
    ...(record.resolvedAt !== undefined ? { updatedAt: record.resolvedAt } : {}),
    ...(record.requestId !== undefined ? { requestId: record.requestId } : {}),
    ...(record.caseId !== undefined ? { caseId: record.caseId } : {}),
  };
}

/**
 * The newest of the given requests. A record written before its call (`FILING`) is older than the request
 * AWS then created, so once AWS lists the request, AWS's view wins; until then the record stands for it.
 *
 * @example newestRequest(record && requestViewOf(record), ...history)
 */
export function newestRequest(...views: (RequestView | undefined)[]): RequestView | undefined {
  let newest: RequestView | undefined;
  for (const view of views) {
    if (!view) continue;
    const newer =
      newest === undefined ||
      view.createdAt > newest.createdAt ||
      (view.createdAt === newest.createdAt && newest.status === FILING && view.status !== FILING);
    if (newer) newest = view;
  }
  return newest;
}
