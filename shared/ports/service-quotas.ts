/**
 * Service Quotas, as the quota loop sees it: what a quota allows in this account and region, what was
 * asked for it before, and a new increase request (which is how AWS opens the support case: the Support
 * API cannot ask for limits). One method per API call the loop needs, domain shapes (not SDK shapes); the
 * simulator implements it too.
 */

/**
 * The CloudWatch metric that counts a quota's usage (Service Quotas' `UsageMetric`), e.g. `AWS/Usage`
 * `ResourceCount` with `{ Service: 'EC2', Type: 'Resource', Resource: 'vCPU', Class: 'Standard/OnDemand' }`.
 */
export interface UsageMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  /** The statistic Service Quotas recommends (`MetricStatisticRecommendation`), e.g. `Maximum`. */
  statistic?: string;
}

export interface ServiceQuota {
  serviceCode: string;
  /** `QuotaCode`, e.g. `L-1216C47A`. */
  code: string;
  /** `QuotaName` as Service Quotas lists it today (see quotas/confirm-codes.ts). */
  name: string;
  /**
   * The value in force. Absent when Service Quotas could not tell it (`errorReason` says why): then the
   * value is unknown, never the default's.
   */
  value?: number;
  /** `Unit`: `None` for plain counts, else e.g. `Count`, `Gigabytes`. */
  unit?: string;
  /** Whether AWS increases it on request (`Adjustable`); absent when not told. */
  adjustable?: boolean;
  /** One value for all regions (`GlobalQuota`). */
  global?: boolean;
  usageMetric?: UsageMetric;
  /** `ErrorCode: ErrorMessage` when Service Quotas could not read the quota (a dependency failed). */
  errorReason?: string;
}

/** A quota's value with where it came from. */
export interface AppliedQuota extends ServiceQuota {
  /**
   * `applied`: `GetServiceQuota` answered (the account's value). `default`: it had nothing applied
   * (NoSuchResourceException) and this is `GetAWSDefaultServiceQuota`'s answer, AWS's default.
   */
  source: 'applied' | 'default';
}

/** Service Quotas' request states (`RequestedServiceQuotaChange.Status`). */
export const QUOTA_REQUEST_STATUSES = [
  'PENDING',
  'CASE_OPENED',
  'APPROVED',
  'DENIED',
  'NOT_APPROVED',
  'CASE_CLOSED',
  'INVALID_REQUEST',
] as const;
export type QuotaRequestStatus = (typeof QUOTA_REQUEST_STATUSES)[number];

/**
 * One increase request of a quota (`RequestedServiceQuotaChange`). Its fields are named as the quota
 * core's `RequestView` names them, so a request is a view as it is.
 */
export interface QuotaRequest {
  /** `Id`. */
  requestId: string;
  /** `CaseId`: the support case's display id (digits), once AWS opened one. */
  caseId?: string;
  /**
   * `Status`. A state AWS adds later counts as `PENDING`: a request the loop cannot read is waited for,
   * never answered with a second one.
   */
  status: QuotaRequestStatus;
  /** AWS's status when it was none of QUOTA_REQUEST_STATUSES, for reports. */
  unknownStatus?: string;
  desiredValue: number;
  /** Epoch ms of `Created`. */
  createdAt: number;
  /** Epoch ms of `LastUpdated`: when AWS approved or denied it. */
  updatedAt?: number;
}

/** A call to Service Quotas that failed; `reason` tells the loop what it means for the quota. */
export type ServiceQuotasErrorReason =
  /** `TooManyRequestsException` or other throttling, after the SDK's retries: next run. */
  | 'Throttled'
  /**
   * `ResourceAlreadyExistsException`: a request for this quota is open already. Not a failure for the
   * loop: the request it wanted exists; it reads the history to learn its id.
   */
  | 'AlreadyOpen'
  /** `QuotaExceededException`: the account has too many open quota requests. */
  | 'QuotaExceeded'
  /** `NoSuchResourceException`: no such service or quota in this region. */
  | 'NoSuchResource'
  /** `IllegalArgumentException` (a value out of range, below the applied one), `InvalidResourceStateException`. */
  | 'Invalid'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable';

export class ServiceQuotasError extends Error {
  override readonly name = 'ServiceQuotasError';
  constructor(
    readonly reason: ServiceQuotasErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ServiceQuotasPort {
  /**
   * Every quota of a service (`ListServiceQuotas`, paginated internally), with the account's values.
   * Throws `ServiceQuotasError` (`NoSuchResource` for a service the region lacks).
   */
  listServiceQuotas(serviceCode: string): Promise<ServiceQuota[]>;
  /**
   * The quota's applied value (`GetServiceQuota`), or AWS's default (`GetAWSDefaultServiceQuota`) when
   * nothing is applied; `source` says which. Throws `ServiceQuotasError` (`NoSuchResource` when neither
   * knows the quota).
   */
  getServiceQuota(serviceCode: string, quotaCode: string): Promise<AppliedQuota>;
  /**
   * The quota's increase requests at account level, as AWS lists them
   * (`ListRequestedServiceQuotaChangeHistoryByQuota`, paginated internally); empty when there were none.
   * Throws `ServiceQuotasError`.
   */
  listRequestedChanges(serviceCode: string, quotaCode: string): Promise<QuotaRequest[]>;
  /**
   * Asks for the quota to be raised to `desiredValue` (`RequestServiceQuotaIncrease`); AWS opens a
   * support case where one is needed. Not idempotent: each call that succeeds is a new request, so the
   * loop guards it with a conditional write. Throws `ServiceQuotasError`: `AlreadyOpen` while a request
   * for the quota is open, `QuotaExceeded`, `Invalid` for a value AWS refuses (or one that is not a
   * positive finite number, refused without a call), `NoSuchResource`.
   */
  requestIncrease(serviceCode: string, quotaCode: string, desiredValue: number): Promise<QuotaRequest>;
}
