/**
 * The simulator's Service Quotas behind the same `ServiceQuotasPort` the real adapter implements: the
 * account's quotas in one region (EC2's vCPU quotas of shared/quotas/ec2-vcpu-quotas.ts, named as Service
 * Quotas lists them, and the extra quotas the config examples name), their values, and the increase
 * requests filed against them, which AWS works through on the virtual clock.
 *
 * Values: a quota the scenario gives a value to is `applied` (the account had it raised before); every
 * other quota is at AWS's default (`GetServiceQuota` finds nothing applied, the port falls back to the
 * default, `source: 'default'`). An approved request raises the applied value to what it asked for, from
 * the instant AWS answered; a launch from then on is measured against the new value (vcpu-limits.ts).
 *
 * Requests, as Service Quotas reports them: `PENDING` when filed, `CASE_OPENED` (with the support case's
 * id) once AWS opened the case, then `APPROVED` or `DENIED`, each after the scenario's delays
 * (`SimQuotaRequestHandling`). While one is `PENDING` or `CASE_OPENED`, a second request for the same quota
 * is refused with `ResourceAlreadyExistsException` (`ServiceQuotasError('AlreadyOpen')`), as AWS refuses it;
 * a desired value at or below the value in force is refused as AWS's IllegalArgumentException
 * (`Invalid`). Statuses are a function of the clock: nothing needs to tick for AWS to answer.
 *
 * Every call is counted as the requests the real adapter sends (`GetServiceQuota` and, for a quota at its
 * default, `GetAWSDefaultServiceQuota`; one page per list), and each method can be told to fail.
 */
import type { Clock } from '../ports/clock';
import {
  type AppliedQuota,
  type QuotaRequest,
  type QuotaRequestStatus,
  type ServiceQuota,
  ServiceQuotasError,
  type ServiceQuotasPort,
  type UsageMetric,
} from '../ports/service-quotas';
import { EC2_SERVICE_CODE, EC2_VCPU_QUOTAS } from '../quotas/ec2-vcpu-quotas';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import { mix32 } from './random';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** A quota of the simulated account: what Service Quotas lists for it. */
export interface SimQuotaDefinition {
  serviceCode: string;
  code: string;
  name: string;
  /** `GetAWSDefaultServiceQuota`'s value. */
  defaultValue: number;
  unit: string;
  adjustable: boolean;
  usageMetric?: UsageMetric;
}

/** Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances: the quota general-purpose pools use. */
export const STANDARD_ON_DEMAND_QUOTA_CODE = 'L-1216C47A';
/** All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests. */
export const STANDARD_SPOT_QUOTA_CODE = 'L-34B43A08';

/**
 * AWS's defaults of the EC2 vCPU quotas for an account in eu-central-1, as the recorded account of
 * test/fixtures/quotas lists them: 5 vCPUs of Standard on-demand and spot (what a new account gets, too
 * small for any cluster: every scenario that limits launches gives the Standard quotas a value), 64 of G
 * and VT, nothing of the accelerated and memory families until asked for.
 */
export const EC2_VCPU_DEFAULTS: Readonly<Record<string, number>> = {
  'L-1216C47A': 5,
  'L-34B43A08': 5,
  'L-DB2E81BA': 64,
  'L-3819A6DF': 64,
};

/**
 * The `Class` dimension of the `AWS/Usage` `ResourceCount` metric that counts each vCPU quota's usage, as
 * Service Quotas names it in the quota's `UsageMetric`. Quotas not here have no usage metric listed.
 */
export const EC2_VCPU_USAGE_CLASSES: Readonly<Record<string, string>> = {
  'L-1216C47A': 'Standard/OnDemand',
  'L-34B43A08': 'Standard/Spot',
  'L-DB2E81BA': 'G/OnDemand',
  'L-3819A6DF': 'G/Spot',
  'L-417A185B': 'P/OnDemand',
  'L-7212CCBC': 'P/Spot',
  'L-7295265B': 'X/OnDemand',
  'L-E3A00192': 'X/Spot',
  'L-74FC7D96': 'F/OnDemand',
  'L-88CF9481': 'F/Spot',
  'L-1945791B': 'Inf/OnDemand',
  'L-B5D1601B': 'Inf/Spot',
};

/** The usage metric of a vCPU quota whose class counts it. */
export function vcpuUsageMetric(usageClass: string): UsageMetric {
  return {
    namespace: 'AWS/Usage',
    name: 'ResourceCount',
    dimensions: { Class: usageClass, Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
    statistic: 'Maximum',
  };
}

/**
 * The limits the config's `extraQuotas` examples check, at AWS's defaults: 5 Elastic IPs, 5,000 network
 * interfaces per region, 50 TiB of gp3 storage.
 */
const EXTRA_QUOTAS: readonly SimQuotaDefinition[] = [
  {
    serviceCode: EC2_SERVICE_CODE,
    code: 'L-0263D0A3',
    name: 'EC2-VPC Elastic IPs',
    defaultValue: 5,
    unit: 'None',
    adjustable: true,
  },
  {
    serviceCode: 'vpc',
    code: 'L-DF5E4CA3',
    name: 'Network interfaces per Region',
    defaultValue: 5000,
    unit: 'None',
    adjustable: true,
  },
  {
    serviceCode: 'ebs',
    code: 'L-7A658B76',
    name: 'Storage for General Purpose SSD (gp3) volumes, in TiB',
    defaultValue: 50,
    unit: 'None',
    adjustable: true,
  },
];

/** Every quota the simulated account has: EC2's vCPU quotas in table order, then the extra ones. */
export const SIM_QUOTAS: readonly SimQuotaDefinition[] = [
  ...EC2_VCPU_QUOTAS.map((quota): SimQuotaDefinition => {
    const usageClass = EC2_VCPU_USAGE_CLASSES[quota.code];
    return {
      serviceCode: EC2_SERVICE_CODE,
      code: quota.code,
      name: quota.name,
      defaultValue: EC2_VCPU_DEFAULTS[quota.code] ?? 0,
      unit: 'None',
      adjustable: true,
      ...(usageClass ? { usageMetric: vcpuUsageMetric(usageClass) } : {}),
    };
  }),
  ...EXTRA_QUOTAS,
];

/**
 * How AWS works through an increase request, counted from the instant it was filed. The defaults are a
 * vCPU request that needs a person at AWS: the case is opened within minutes, the answer takes hours
 * (AWS says most are answered within a few days; small increases in accounts with history within hours).
 */
export interface SimQuotaRequestHandling {
  /** From filing to the support case being opened (`CASE_OPENED`). @default 15 min */
  caseOpenedAfterMs?: number;
  /** From filing to AWS's answer. @default 4 h */
  resolvedAfterMs?: number;
  /** @default 'APPROVED' */
  outcome?: 'APPROVED' | 'DENIED';
}

export const SIM_QUOTA_REQUEST_DEFAULTS: Required<SimQuotaRequestHandling> = {
  caseOpenedAfterMs: 15 * MINUTE_MS,
  resolvedAfterMs: 4 * HOUR_MS,
  outcome: 'APPROVED',
};

/** The account's quotas as a scenario writes them. */
export interface SimServiceQuotasSpec {
  /** Values the account had applied before the run, by quota code; the others are at AWS's default. */
  applied?: Record<string, number>;
  /** How AWS answers increase requests. */
  requests?: SimQuotaRequestHandling;
  /** Per quota code, how AWS answers that quota's requests (over `requests`). */
  requestsByQuota?: Record<string, SimQuotaRequestHandling>;
}

export interface SimServiceQuotasOptions extends SimServiceQuotasSpec {
  clock: Clock;
  /** Seeds the request and case ids. @default 1 */
  seed?: number;
}

/** An increase request with AWS's whole timeline (the port shows only what AWS shows by now). */
export interface SimQuotaRequestRecord {
  requestId: string;
  caseId: string;
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  desiredValue: number;
  /** The value in force when it was filed. */
  valueAtRequest: number;
  createdAt: number;
  caseOpenedAt: number;
  resolvedAt: number;
  outcome: 'APPROVED' | 'DENIED';
}

type PortMethod = keyof ServiceQuotasPort;

/** Support case display ids are eleven digits, as in the recorded account (a 32-bit hash keeps it so). */
const CASE_ID_BASE = 10_000_000_000;

function hex32(seed: number, n: number, salt: number): string {
  return [0, 1, 2, 3]
    .map((part) =>
      mix32(seed, n, salt + part)
        .toString(16)
        .padStart(8, '0'),
    )
    .join('');
}

function statusAt(request: SimQuotaRequestRecord, at: number): QuotaRequestStatus {
  if (at >= request.resolvedAt) return request.outcome;
  if (at >= request.caseOpenedAt) return 'CASE_OPENED';
  return 'PENDING';
}

/**
 * @example
 * const quotas = new SimServiceQuotas({ clock, applied: { 'L-1216C47A': 640 } });
 * await quotas.requestIncrease('ec2', 'L-1216C47A', 1296); // { status: 'PENDING', ... }
 * await quotas.requestIncrease('ec2', 'L-1216C47A', 1400); // throws ServiceQuotasError('AlreadyOpen')
 */
export class SimServiceQuotas implements ServiceQuotasPort {
  private readonly clock: Clock;
  private readonly seed: number;
  private readonly api = new ApiCallRecorder();
  private readonly definitions = new Map<string, SimQuotaDefinition>();
  private readonly initial = new Map<string, number>();
  private readonly handling: Required<SimQuotaRequestHandling>;
  private readonly handlingByQuota: Record<string, SimQuotaRequestHandling>;
  private readonly filed: SimQuotaRequestRecord[] = [];

  constructor(options: SimServiceQuotasOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    for (const quota of SIM_QUOTAS) this.definitions.set(key(quota.serviceCode, quota.code), quota);
    for (const [code, value] of Object.entries(options.applied ?? {})) {
      const quota = SIM_QUOTAS.find((candidate) => candidate.code === code);
      if (!quota) throw new Error(`the simulated account has no quota ${code}`);
      if (!(Number.isFinite(value) && value >= 0))
        throw new Error(`quota ${code}: value ${value} is not >= 0`);
      this.initial.set(key(quota.serviceCode, code), value);
    }
    this.handling = { ...SIM_QUOTA_REQUEST_DEFAULTS, ...options.requests };
    this.handlingByQuota = options.requestsByQuota ?? {};
    for (const handling of [this.handling, ...Object.values(this.handlingByQuota)]) {
      const opened = handling.caseOpenedAfterMs ?? this.handling.caseOpenedAfterMs;
      const resolved = handling.resolvedAfterMs ?? this.handling.resolvedAfterMs;
      if (!(opened >= 0 && resolved >= opened)) {
        throw new Error(
          `request handling: need 0 <= caseOpenedAfterMs (${opened}) <= resolvedAfterMs (${resolved})`,
        );
      }
    }
  }

  // ---- Service Quotas port -----------------------------------------------------------------------

  async listServiceQuotas(serviceCode: string): Promise<ServiceQuota[]> {
    this.api.call('listServiceQuotas', 'ListServiceQuotas');
    const quotas = SIM_QUOTAS.filter((quota) => quota.serviceCode === serviceCode);
    if (quotas.length === 0) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `ListServiceQuotas ${serviceCode}: The request failed because the specified service does not exist.`,
      );
    }
    return quotas.map((quota) => this.describe(quota));
  }

  async getServiceQuota(serviceCode: string, quotaCode: string): Promise<AppliedQuota> {
    const quota = this.definitions.get(key(serviceCode, quotaCode));
    const applied = quota ? this.appliedValue(quota) : undefined;
    this.api.call(
      'getServiceQuota',
      applied === undefined ? { GetServiceQuota: 1, GetAWSDefaultServiceQuota: 1 } : 'GetServiceQuota',
    );
    if (!quota) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `GetAWSDefaultServiceQuota ${serviceCode}/${quotaCode}: The request failed because the specified service or quota does not exist.`,
      );
    }
    return { ...this.describe(quota), source: applied === undefined ? 'default' : 'applied' };
  }

  async listRequestedChanges(serviceCode: string, quotaCode: string): Promise<QuotaRequest[]> {
    this.api.call('listRequestedChanges', 'ListRequestedServiceQuotaChangeHistoryByQuota');
    if (!this.definitions.has(key(serviceCode, quotaCode))) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `ListRequestedServiceQuotaChangeHistoryByQuota ${serviceCode}/${quotaCode}: The request failed because the specified service or quota does not exist.`,
      );
    }
    const now = this.clock.now();
    return this.filed
      .filter((request) => request.serviceCode === serviceCode && request.quotaCode === quotaCode)
      .filter((request) => request.createdAt <= now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((request) => this.view(request, now));
  }

  async requestIncrease(serviceCode: string, quotaCode: string, desiredValue: number): Promise<QuotaRequest> {
    const operation = `RequestServiceQuotaIncrease ${serviceCode}/${quotaCode}`;
    // The real adapter refuses these without a call.
    if (!Number.isFinite(desiredValue) || desiredValue <= 0) {
      throw new ServiceQuotasError(
        'Invalid',
        `${operation}: desired value ${desiredValue} is not a positive number`,
      );
    }
    this.api.call('requestIncrease', 'RequestServiceQuotaIncrease');
    const quota = this.definitions.get(key(serviceCode, quotaCode));
    if (!quota) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `${operation}: The request failed because the specified service or quota does not exist.`,
      );
    }
    const now = this.clock.now();
    if (this.filed.some((request) => request.quotaCode === quotaCode && isOpen(statusAt(request, now)))) {
      throw new ServiceQuotasError(
        'AlreadyOpen',
        `${operation}: Only one open service quota increase request is allowed per quota.`,
      );
    }
    const current = this.value(quotaCode);
    if (!quota.adjustable || desiredValue <= current) {
      throw new ServiceQuotasError(
        'Invalid',
        `${operation}: Desired value ${desiredValue} must be greater than the current quota value ${current}.`,
      );
    }
    const handling = { ...this.handling, ...this.handlingByQuota[quotaCode] };
    const n = this.filed.length;
    const request: SimQuotaRequestRecord = {
      requestId: hex32(this.seed, n, 41),
      caseId: String(CASE_ID_BASE + mix32(this.seed, n, 47)),
      serviceCode,
      quotaCode,
      quotaName: quota.name,
      desiredValue,
      valueAtRequest: current,
      createdAt: now,
      caseOpenedAt: now + handling.caseOpenedAfterMs,
      resolvedAt: now + handling.resolvedAfterMs,
      outcome: handling.outcome,
    };
    this.filed.push(request);
    return this.view(request, now);
  }

  // ---- observation ------------------------------------------------------------------------------

  /** The value in force for a quota at `at` (default now): the applied one, else AWS's default. */
  value(quotaCode: string, at = this.clock.now()): number {
    const quota = SIM_QUOTAS.find((candidate) => candidate.code === quotaCode);
    if (!quota) throw new Error(`the simulated account has no quota ${quotaCode}`);
    return this.appliedValue(quota, at) ?? quota.defaultValue;
  }

  definition(quotaCode: string): SimQuotaDefinition | undefined {
    return SIM_QUOTAS.find((quota) => quota.code === quotaCode);
  }

  /** The quota whose usage metric this is (same namespace, name and dimensions), if any. */
  quotaOfUsageMetric(metric: UsageMetric): SimQuotaDefinition | undefined {
    return SIM_QUOTAS.find(
      (quota) => quota.usageMetric !== undefined && sameMetric(quota.usageMetric, metric),
    );
  }

  /** Every request filed, oldest first, with AWS's whole timeline (for reports and tests). */
  requests(): SimQuotaRequestRecord[] {
    return this.filed.map((request) => ({ ...request }));
  }

  /** The request's status at `at` (default now). */
  statusOf(request: SimQuotaRequestRecord, at = this.clock.now()): QuotaRequestStatus {
    return statusAt(request, at);
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `method` fail with `error` (default: a generic error), after being counted. */
  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  // ---- internals --------------------------------------------------------------------------------

  /** The applied value at `at`: the scenario's, raised by every approval answered by then; undefined if none. */
  private appliedValue(quota: SimQuotaDefinition, at = this.clock.now()): number | undefined {
    let value = this.initial.get(key(quota.serviceCode, quota.code));
    for (const request of this.filed) {
      if (request.quotaCode !== quota.code || request.serviceCode !== quota.serviceCode) continue;
      if (request.outcome !== 'APPROVED' || request.resolvedAt > at) continue;
      value = Math.max(value ?? quota.defaultValue, request.desiredValue);
    }
    return value;
  }

  private describe(quota: SimQuotaDefinition): ServiceQuota {
    return {
      serviceCode: quota.serviceCode,
      code: quota.code,
      name: quota.name,
      value: this.appliedValue(quota) ?? quota.defaultValue,
      unit: quota.unit,
      adjustable: quota.adjustable,
      global: false,
      ...(quota.usageMetric
        ? { usageMetric: { ...quota.usageMetric, dimensions: { ...quota.usageMetric.dimensions } } }
        : {}),
    };
  }

  /** The request as Service Quotas shows it at `at`: no case id before the case is opened. */
  private view(request: SimQuotaRequestRecord, at: number): QuotaRequest {
    const status = statusAt(request, at);
    const updatedAt =
      status === 'PENDING'
        ? request.createdAt
        : status === 'CASE_OPENED'
          ? request.caseOpenedAt
          : request.resolvedAt;
    return {
      requestId: request.requestId,
      ...(status !== 'PENDING' ? { caseId: request.caseId } : {}),
      status,
      desiredValue: request.desiredValue,
      createdAt: request.createdAt,
      updatedAt,
    };
  }
}

function key(serviceCode: string, quotaCode: string): string {
  return `${serviceCode}/${quotaCode}`;
}

function isOpen(status: QuotaRequestStatus): boolean {
  return status === 'PENDING' || status === 'CASE_OPENED';
}

function sameMetric(a: UsageMetric, b: UsageMetric): boolean {
  if (a.namespace !== b.namespace || a.name !== b.name) return false;
  const aKeys = Object.keys(a.dimensions);
  if (aKeys.length !== Object.keys(b.dimensions).length) return false;
  return aKeys.every((name) => a.dimensions[name] === b.dimensions[name]);
}
