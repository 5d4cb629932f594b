/**
 * The Service Quotas port over a recorded account (recorded-quota-account.ts): the listing, each quota's
 * applied or default value and its request history, answered as the AWS adapter answers them. It files
 * nothing: the recording is what AWS said once, and a request against it would change nothing anywhere.
 */
import {
  type AppliedQuota,
  type QuotaRequest,
  type ServiceQuota,
  ServiceQuotasError,
  type ServiceQuotasPort,
} from '../ports/service-quotas';
import type { RecordedQuota, RecordedQuotaRequest } from './recorded-quota-account';

function serviceQuotaOf(quota: RecordedQuota, value: number | undefined): ServiceQuota {
  return {
    serviceCode: quota.serviceCode,
    code: quota.code,
    name: quota.name,
    ...(value !== undefined ? { value } : {}),
    ...(quota.unit !== undefined ? { unit: quota.unit } : {}),
    ...(quota.adjustable !== undefined ? { adjustable: quota.adjustable } : {}),
    ...(quota.global !== undefined ? { global: quota.global } : {}),
    ...(quota.usageMetric ? { usageMetric: quota.usageMetric } : {}),
    ...(quota.errorReason !== undefined ? { errorReason: quota.errorReason } : {}),
  };
}

/**
 * @example
 * const quotas = new RecordedServiceQuotas(recording);
 * await quotas.getServiceQuota('ec2', 'L-1216C47A'); // { value: 1536, source: 'applied', ... }
 */
export class RecordedServiceQuotas implements ServiceQuotasPort {
  constructor(
    private readonly recording: {
      quotas: readonly RecordedQuota[];
      requests: readonly RecordedQuotaRequest[];
    },
  ) {}

  /** Values as ListServiceQuotas shows them: the applied one where there is one, else the default. */
  async listServiceQuotas(serviceCode: string): Promise<ServiceQuota[]> {
    const quotas = this.recording.quotas.filter((quota) => quota.serviceCode === serviceCode);
    if (quotas.length === 0) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `ListServiceQuotas ${serviceCode}: the recording has no quotas of ${serviceCode}`,
      );
    }
    return quotas.map((quota) => serviceQuotaOf(quota, quota.applied ?? quota.defaultValue));
  }

  async getServiceQuota(serviceCode: string, quotaCode: string): Promise<AppliedQuota> {
    const quota = this.recording.quotas.find((q) => q.serviceCode === serviceCode && q.code === quotaCode);
    // An ErrorReason comes from GetServiceQuota itself: the default is not asked, the value stays unknown.
    if (quota?.applied !== undefined || quota?.errorReason !== undefined) {
      return { ...serviceQuotaOf(quota, quota.applied), source: 'applied' };
    }
    if (quota?.defaultValue === undefined) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `GetAWSDefaultServiceQuota ${serviceCode}/${quotaCode}: not in the recording`,
      );
    }
    return { ...serviceQuotaOf(quota, quota.defaultValue), source: 'default' };
  }

  /** Newest first, as Service Quotas lists them. */
  async listRequestedChanges(serviceCode: string, quotaCode: string): Promise<QuotaRequest[]> {
    return this.recording.requests
      .filter((request) => request.serviceCode === serviceCode && request.quotaCode === quotaCode)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((request) => ({
        requestId: request.requestId,
        ...(request.caseId !== undefined ? { caseId: request.caseId } : {}),
        status: request.status,
        desiredValue: request.desiredValue,
        createdAt: request.createdAt,
        ...(request.updatedAt !== undefined ? { updatedAt: request.updatedAt } : {}),
      }));
  }

  async requestIncrease(serviceCode: string, quotaCode: string, desiredValue: number): Promise<QuotaRequest> {
    throw new ServiceQuotasError(
      'Forbidden',
      `RequestServiceQuotaIncrease ${serviceCode}/${quotaCode} (${desiredValue}): a recorded account files nothing`,
    );
  }
}
