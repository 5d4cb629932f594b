/**
 * The Service Quotas port on `@aws-sdk/client-service-quotas`.
 *
 * `getServiceQuota` asks `GetServiceQuota` first; Service Quotas answers NoSuchResourceException for a
 * quota the account never had a value applied to, and then `GetAWSDefaultServiceQuota` gives AWS's
 * default. A quota whose answer carries an `ErrorReason` and no `Value` (a dependency of Service Quotas
 * failed) is passed on without a value rather than with the default: a default below the real applied
 * value would make the loop ask for an "increase" AWS refuses. Lists ask for the largest pages
 * (MAX_RESULTS) and follow `NextToken`, at account level (the APIs' default).
 *
 * `requestIncrease` sends only service, quota and value: `SupportCaseAllowed` is left at its default
 * (true), because the vCPU quotas the loop raises usually need a support case, and without one AWS marks
 * the request NOT_APPROVED.
 *
 * Throttling (TooManyRequestsException) is retried by the SDK first (build the client with
 * AUTO_SCALING_CLIENT_RETRY from ./auto-scaling); what is left is thrown as a `ServiceQuotasError`.
 *
 * IAM: `servicequotas:RequestServiceQuotaIncrease` is the one action with resource-level permissions, on the
 * quota's ARN `arn:aws:servicequotas:<region>:<account>:<serviceCode>/<quotaCode>` (an empty region for
 * global quotas); the reads `servicequotas:ListServiceQuotas`, `servicequotas:GetServiceQuota`,
 * `servicequotas:GetAWSDefaultServiceQuota` and `servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota`
 * take `Resource: *` (the condition key `servicequotas:service` narrows GetServiceQuota, the history and
 * the request to services such as `ec2`).
 */
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand,
  ListServiceQuotasCommand,
  type RequestedServiceQuotaChange,
  RequestServiceQuotaIncreaseCommand,
  type ServiceQuota as SdkServiceQuota,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import {
  type AppliedQuota,
  QUOTA_REQUEST_STATUSES,
  type QuotaRequest,
  type QuotaRequestStatus,
  type ServiceQuota,
  ServiceQuotasError,
  type ServiceQuotasErrorReason,
  type ServiceQuotasPort,
} from '../../ports/service-quotas';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** The largest page `ListServiceQuotas` and `ListRequestedServiceQuotaChangeHistoryByQuota` serve. */
export const MAX_RESULTS = 100;
/**
 * Pages followed per list (5,000 entries, where EC2 has a few hundred quotas and a quota a handful of
 * requests). More means a loop in the API's tokens, reported as a failure.
 */
export const MAX_PAGES = 50;

/** What an open request counts as when AWS reports a status this code does not know. */
const UNKNOWN_STATUS_AS: QuotaRequestStatus = 'PENDING';
const STATUSES: ReadonlySet<string> = new Set(QUOTA_REQUEST_STATUSES);

const INVALID =
  /^(IllegalArgumentException|InvalidResourceStateException|InvalidPaginationTokenException|ValidationException)$/;
/** Access to a service Service Quotas depends on (Organizations, Support) was refused. */
const DEPENDENCY_FORBIDDEN = /^(DependencyAccessDeniedException|AWSServiceAccessNotEnabledException)$/;

function reasonOf(error: unknown): ServiceQuotasErrorReason {
  const name = awsErrorName(error);
  if (name === 'ResourceAlreadyExistsException') return 'AlreadyOpen';
  if (name === 'QuotaExceededException') return 'QuotaExceeded';
  if (name === 'NoSuchResourceException') return 'NoSuchResource';
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error) || DEPENDENCY_FORBIDDEN.test(name)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  if (INVALID.test(name)) return 'Invalid';
  // ServiceException (500), a reset connection, an answer that is not JSON.
  return 'Unavailable';
}

/**
 * The `ServiceQuotasError` for a failed call, its message naming the call and the quota, so a report says
 * which quota failed ("RequestServiceQuotaIncrease ec2/L-1216C47A: ...").
 */
export function toServiceQuotasError(operation: string, error: unknown): ServiceQuotasError {
  if (error instanceof ServiceQuotasError) return error;
  return new ServiceQuotasError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, { cause: error });
}

/** The domain shape of a quota as any of Service Quotas' calls returns it. */
export function toServiceQuota(quota: SdkServiceQuota, serviceCode: string, quotaCode = ''): ServiceQuota {
  const metric = quota.UsageMetric;
  const error = quota.ErrorReason;
  return {
    serviceCode: quota.ServiceCode || serviceCode,
    code: quota.QuotaCode || quotaCode,
    name: quota.QuotaName ?? '',
    ...(quota.Value !== undefined && Number.isFinite(quota.Value) ? { value: quota.Value } : {}),
    ...(quota.Unit ? { unit: quota.Unit } : {}),
    ...(quota.Adjustable !== undefined ? { adjustable: quota.Adjustable } : {}),
    ...(quota.GlobalQuota !== undefined ? { global: quota.GlobalQuota } : {}),
    ...(metric?.MetricNamespace && metric.MetricName
      ? {
          usageMetric: {
            namespace: metric.MetricNamespace,
            name: metric.MetricName,
            dimensions: { ...(metric.MetricDimensions ?? {}) },
            ...(metric.MetricStatisticRecommendation
              ? { statistic: metric.MetricStatisticRecommendation }
              : {}),
          },
        }
      : {}),
    ...(error?.ErrorCode || error?.ErrorMessage
      ? { errorReason: [error.ErrorCode, error.ErrorMessage].filter(Boolean).join(': ') }
      : {}),
  };
}

/** The domain shape of a request; Created and LastUpdated become epoch ms. */
export function toQuotaRequest(change: RequestedServiceQuotaChange): QuotaRequest {
  const status = change.Status ?? '';
  const known = STATUSES.has(status);
  return {
    requestId: change.Id ?? '',
    ...(change.CaseId ? { caseId: change.CaseId } : {}),
    status: known ? (status as QuotaRequestStatus) : UNKNOWN_STATUS_AS,
    ...(known ? {} : { unknownStatus: status }),
    desiredValue: change.DesiredValue ?? 0,
    createdAt: change.Created?.getTime() ?? 0,
    ...(change.LastUpdated ? { updatedAt: change.LastUpdated.getTime() } : {}),
  };
}

/**
 * @example
 * const port = new AwsServiceQuotas(new ServiceQuotasClient({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const quota = await port.getServiceQuota('ec2', 'L-1216C47A'); // { value: 320, source: 'applied', ... }
 */
export class AwsServiceQuotas implements ServiceQuotasPort {
  constructor(private readonly client: ServiceQuotasClient) {}

  async listServiceQuotas(serviceCode: string): Promise<ServiceQuota[]> {
    const quotas: ServiceQuota[] = [];
    const operation = `ListServiceQuotas ${serviceCode}`;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.client
        .send(
          new ListServiceQuotasCommand({
            ServiceCode: serviceCode,
            MaxResults: MAX_RESULTS,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toServiceQuotasError(operation, error);
        });
      quotas.push(...(output.Quotas ?? []).map((quota) => toServiceQuota(quota, serviceCode)));
      nextToken = output.NextToken || undefined;
      if (!nextToken) return quotas;
    }
    throw new ServiceQuotasError('Unavailable', `${operation}: more than ${MAX_PAGES} pages`);
  }

  async getServiceQuota(serviceCode: string, quotaCode: string): Promise<AppliedQuota> {
    const input = { ServiceCode: serviceCode, QuotaCode: quotaCode };
    const quota = `${serviceCode}/${quotaCode}`;
    try {
      const output = await this.client.send(new GetServiceQuotaCommand(input));
      if (output.Quota) return { ...toServiceQuota(output.Quota, serviceCode, quotaCode), source: 'applied' };
    } catch (error) {
      const mapped = toServiceQuotasError(`GetServiceQuota ${quota}`, error);
      if (mapped.reason !== 'NoSuchResource') throw mapped;
    }
    const output = await this.client
      .send(new GetAWSDefaultServiceQuotaCommand(input))
      .catch((error: unknown) => {
        throw toServiceQuotasError(`GetAWSDefaultServiceQuota ${quota}`, error);
      });
    if (!output.Quota) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `GetAWSDefaultServiceQuota ${quota}: no quota in the answer`,
      );
    }
    return { ...toServiceQuota(output.Quota, serviceCode, quotaCode), source: 'default' };
  }

  async listRequestedChanges(serviceCode: string, quotaCode: string): Promise<QuotaRequest[]> {
    const requests: QuotaRequest[] = [];
    const operation = `ListRequestedServiceQuotaChangeHistoryByQuota ${serviceCode}/${quotaCode}`;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.client
        .send(
          new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({
            ServiceCode: serviceCode,
            QuotaCode: quotaCode,
            MaxResults: MAX_RESULTS,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toServiceQuotasError(operation, error);
        });
      requests.push(...(output.RequestedQuotas ?? []).map(toQuotaRequest));
      nextToken = output.NextToken || undefined;
      if (!nextToken) return requests;
    }
    throw new ServiceQuotasError('Unavailable', `${operation}: more than ${MAX_PAGES} pages`);
  }

  async requestIncrease(serviceCode: string, quotaCode: string, desiredValue: number): Promise<QuotaRequest> {
    const operation = `RequestServiceQuotaIncrease ${serviceCode}/${quotaCode}`;
    // NaN or Infinity would go out as a JSON string AWS cannot read; the loop's arithmetic made a mistake.
    if (!Number.isFinite(desiredValue) || desiredValue <= 0) {
      throw new ServiceQuotasError(
        'Invalid',
        `${operation}: desired value ${desiredValue} is not a positive number`,
      );
    }
    const output = await this.client
      .send(
        new RequestServiceQuotaIncreaseCommand({
          ServiceCode: serviceCode,
          QuotaCode: quotaCode,
          DesiredValue: desiredValue,
        }),
      )
      .catch((error: unknown) => {
        throw toServiceQuotasError(operation, error);
      });
    if (!output.RequestedQuota?.Id) {
      throw new ServiceQuotasError('Unavailable', `${operation}: the answer names no request`);
    }
    return toQuotaRequest(output.RequestedQuota);
  }
}
