/**
 * Small stateful doubles of the ports the quota loop talks to, behaving as AWS does where the loop
 * depends on it: Service Quotas keeps a history per quota, answers ResourceAlreadyExistsException while a
 * request is open, and can be told to fail or hold a call; Support keeps cases and the communications
 * added to them. A world wires them with the simulator's state store on a fake clock.
 */
import { type QuotaRegion, quotaRegionSchema } from '../../shared/config/quota-region';
import type { QuotaLoopDeps } from '../../shared/loops/quota-loop';
import type { AutoScalingGroup, AutoScalingPort } from '../../shared/ports/auto-scaling';
import type { Ec2Port, InstanceTypeInfo } from '../../shared/ports/ec2';
import type { LogAttributes, Logger } from '../../shared/ports/logger';
import {
  type AppliedQuota,
  type QuotaRequest,
  type QuotaRequestStatus,
  type ServiceQuota,
  ServiceQuotasError,
  type ServiceQuotasPort,
  type UsageMetric,
} from '../../shared/ports/service-quotas';
import type { SupportCase, SupportCasesPort, SupportError } from '../../shared/ports/support-cases';
import type { UsageMetricsPort } from '../../shared/ports/usage-metrics';
import { EC2_VCPU_QUOTAS } from '../../shared/quotas/ec2-vcpu-quotas';
import { INSTANCE_TYPES } from '../../shared/sim/instance-types';
import { SimStateStore } from '../../shared/sim/state-store';
import { FakeClock } from './fake-clock';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';
export const START = Date.UTC(2026, 0, 5, 6, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Running On-Demand Standard: what an m5 pool needs. */
export const STANDARD = 'L-1216C47A';

const OPEN: readonly QuotaRequestStatus[] = ['PENDING', 'CASE_OPENED'];

interface QuotaEntry {
  serviceCode: string;
  code: string;
  name: string;
  value?: number;
  source: 'applied' | 'default';
  adjustable?: boolean;
  usageMetric?: UsageMetric;
  errorReason?: string;
}

/** A Service Quotas account: quotas, their histories, and knobs for failures. */
export class FakeServiceQuotas implements ServiceQuotasPort {
  readonly quotas = new Map<string, QuotaEntry>();
  readonly history = new Map<string, QuotaRequest[]>();
  /** What `listServiceQuotas('ec2')` lists; default: the table as written. */
  listed: { code: string; name: string }[] = EC2_VCPU_QUOTAS.map((q) => ({ code: q.code, name: q.name }));
  readonly calls: string[] = [];
  /** Errors the next calls of a method throw, in order (`undefined`: that call answers). */
  readonly failNext = new Map<keyof ServiceQuotasPort, (Error | undefined)[]>();
  /** When set, `requestIncrease` waits for this before answering (to interleave two runs). */
  hold: Promise<void> | undefined;
  /** Called when `requestIncrease` starts waiting on `hold`. */
  onHold: (() => void) | undefined;
  private nextId = 1;
  private nextCase = 6780195351;

  constructor(private readonly clock: FakeClock) {}

  setQuota(code: string, value: number | undefined, extra: Partial<QuotaEntry> = {}): void {
    const table = EC2_VCPU_QUOTAS.find((quota) => quota.code === code);
    this.quotas.set(code, {
      serviceCode: 'ec2',
      code,
      name: table?.name ?? code,
      source: 'applied',
      adjustable: true,
      ...(value !== undefined ? { value } : {}),
      ...extra,
    });
  }

  /** Puts a request into AWS's history (filed by a person, or earlier). */
  addRequest(code: string, request: Partial<QuotaRequest> & { desiredValue: number }): QuotaRequest {
    const full: QuotaRequest = {
      requestId: `req-${this.nextId++}`,
      status: 'PENDING',
      createdAt: this.clock.now(),
      ...request,
    };
    this.history.set(code, [...(this.history.get(code) ?? []), full]);
    return full;
  }

  /** AWS answers a request: status, case and LastUpdated now; an approval raises the applied value. */
  answer(
    code: string,
    requestId: string,
    status: QuotaRequestStatus,
    extra: Partial<QuotaRequest> = {},
  ): void {
    const list = this.history.get(code) ?? [];
    const index = list.findIndex((r) => r.requestId === requestId);
    const request = list[index];
    if (!request) throw new Error(`no request ${requestId}`);
    list[index] = { ...request, status, updatedAt: this.clock.now(), ...extra };
    if (status === 'APPROVED') {
      const quota = this.quotas.get(code);
      if (quota) this.quotas.set(code, { ...quota, value: request.desiredValue, source: 'applied' });
    }
  }

  requests(code: string): QuotaRequest[] {
    return this.history.get(code) ?? [];
  }

  private failure(method: keyof ServiceQuotasPort): void {
    const errors = this.failNext.get(method);
    const error = errors?.shift();
    if (error) throw error;
  }

  async listServiceQuotas(serviceCode: string): Promise<ServiceQuota[]> {
    this.calls.push(`listServiceQuotas ${serviceCode}`);
    this.failure('listServiceQuotas');
    return this.listed.map((q) => ({ serviceCode, code: q.code, name: q.name }));
  }

  async getServiceQuota(serviceCode: string, quotaCode: string): Promise<AppliedQuota> {
    this.calls.push(`getServiceQuota ${serviceCode}/${quotaCode}`);
    this.failure('getServiceQuota');
    const quota = this.quotas.get(quotaCode);
    if (!quota || quota.serviceCode !== serviceCode) {
      throw new ServiceQuotasError(
        'NoSuchResource',
        `GetServiceQuota ${serviceCode}/${quotaCode}: no such quota`,
      );
    }
    return { ...quota };
  }

  async listRequestedChanges(serviceCode: string, quotaCode: string): Promise<QuotaRequest[]> {
    this.calls.push(`listRequestedChanges ${serviceCode}/${quotaCode}`);
    this.failure('listRequestedChanges');
    return this.requests(quotaCode).map((r) => ({ ...r }));
  }

  async requestIncrease(serviceCode: string, quotaCode: string, desiredValue: number): Promise<QuotaRequest> {
    this.calls.push(`requestIncrease ${serviceCode}/${quotaCode} ${desiredValue}`);
    if (this.hold) {
      this.onHold?.();
      await this.hold;
    }
    this.failure('requestIncrease');
    if (this.requests(quotaCode).some((r) => OPEN.includes(r.status))) {
      throw new ServiceQuotasError('AlreadyOpen', `RequestServiceQuotaIncrease ${quotaCode}: already open`);
    }
    return { ...this.addRequest(quotaCode, { desiredValue }) };
  }

  /** Opens the support case of a request, as AWS does some time after it was filed. */
  openCase(code: string, requestId: string): string {
    const caseId = String(this.nextCase++);
    this.answer(code, requestId, 'CASE_OPENED', { caseId });
    return caseId;
  }

  count(prefix: string): number {
    return this.calls.filter((call) => call.startsWith(prefix)).length;
  }
}

export class FakeUsage implements UsageMetricsPort {
  readonly values = new Map<string, number>();
  failNext: Error[] = [];

  async usage(metric: UsageMetric): Promise<number | undefined> {
    const error = this.failNext.shift();
    if (error) throw error;
    return this.values.get(metric.dimensions.Class ?? metric.name);
  }
}

export class FakeAutoScaling implements AutoScalingPort {
  groups: AutoScalingGroup[] = [];
  readonly calls: string[] = [];
  failNext: Error[] = [];

  async describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]> {
    this.calls.push(names ? `names ${names.join(',')}` : `tag ${withTagKey}`);
    const error = this.failNext.shift();
    if (error) throw error;
    return this.groups.filter(
      (group) =>
        (names === undefined || names.includes(group.name)) &&
        (withTagKey === undefined || Object.hasOwn(group.tags, withTagKey)),
    );
  }
  async describeScalingActivities(): Promise<never> {
    throw new Error('not used by the quota loop');
  }
  async setDesiredCapacity(): Promise<never> {
    throw new Error('not used by the quota loop');
  }
  async terminateInstance(): Promise<never> {
    throw new Error('not used by the quota loop');
  }
}

export class FakeEc2 implements Ec2Port {
  readonly types = new Map<string, InstanceTypeInfo>(Object.entries(INSTANCE_TYPES));
  readonly calls: string[][] = [];
  failNext: Error[] = [];

  async describeInstanceTypes(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    this.calls.push(types);
    const error = this.failNext.shift();
    if (error) throw error;
    return new Map(
      types.flatMap((type) => {
        const info = this.types.get(type);
        return info ? [[type, info] as const] : [];
      }),
    );
  }
  async listInstanceTypes(): Promise<never> {
    throw new Error('not used by the quota loop');
  }
  async describeInstanceTypeOfferings(): Promise<never> {
    throw new Error('not used by the quota loop');
  }
}

/** Support cases by display id; communications added to them. */
export class FakeSupport implements SupportCasesPort {
  readonly cases = new Map<string, SupportCase>();
  readonly communications: { caseId: string; body: string }[] = [];
  readonly calls: string[] = [];
  failAll: SupportError | undefined;

  addCase(displayId: string, status = 'opened'): void {
    this.cases.set(displayId, { caseId: `case-${ACCOUNT}-${displayId}`, displayId, status });
  }

  async describeCases(ids: readonly string[]): Promise<SupportCase[]> {
    this.calls.push(`describeCases ${ids.join(',')}`);
    if (this.failAll) throw this.failAll;
    return ids.flatMap((id) => {
      const kase = this.cases.get(id) ?? [...this.cases.values()].find((c) => c.caseId === id);
      return kase ? [{ ...kase }] : [];
    });
  }

  async addCommunication(caseId: string, body: string): Promise<void> {
    this.calls.push(`addCommunication ${caseId}`);
    if (this.failAll) throw this.failAll;
    this.communications.push({ caseId, body });
  }
}

/** A logger that keeps what it was told, to assert warnings. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; attributes?: LogAttributes }[] = [];
  private add(level: string, message: string, attributes?: LogAttributes) {
    this.lines.push({ level, message, ...(attributes ? { attributes } : {}) });
  }
  debug(message: string, attributes?: LogAttributes) {
    this.add('debug', message, attributes);
  }
  info(message: string, attributes?: LogAttributes) {
    this.add('info', message, attributes);
  }
  warn(message: string, attributes?: LogAttributes) {
    this.add('warn', message, attributes);
  }
  error(message: string, attributes?: LogAttributes) {
    this.add('error', message, attributes);
  }
  warnings(): string[] {
    return this.lines.filter((line) => line.level === 'warn').map((line) => line.message);
  }
}

/** A zonal Auto Scaling group of m5 nodes as `describeGroups` returns it. */
export function group(name: string, extra: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    name,
    minSize: 0,
    maxSize: 20,
    desiredCapacity: 2,
    availabilityZones: [`${REGION}a`],
    tags: {},
    instances: [],
    instanceTypes: ['m5.4xlarge'],
    purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
    ...extra,
  };
}

/** A region with one cluster whose pool `default` has three zonal groups. */
export function quotaRegion(
  quotas: Record<string, unknown> = {},
  clusters: unknown[] = [
    {
      name: 'kube-1',
      nodePools: {
        discoverByTags: false,
        pools: [{ name: 'default', asgs: ['kube-1-a', 'kube-1-b', 'kube-1-c'] }],
      },
    },
  ],
): QuotaRegion {
  return quotaRegionSchema.parse({ accountId: ACCOUNT, region: REGION, quotas, clusters });
}

/** Every port double and the state store on one clock. */
export class QuotaWorld {
  readonly clock = new FakeClock(START);
  readonly state = new SimStateStore(this.clock);
  readonly serviceQuotas = new FakeServiceQuotas(this.clock);
  readonly usage = new FakeUsage();
  readonly autoScaling = new FakeAutoScaling();
  readonly ec2 = new FakeEc2();
  readonly support = new FakeSupport();
  log = new RecordingLogger();

  constructor() {
    // 3 zones × 20 nodes × 16 vCPUs = 960 vCPUs, 1152 with 20 % headroom; AWS's default is far below.
    this.autoScaling.groups = ['kube-1-a', 'kube-1-b', 'kube-1-c'].map((name) => group(name));
    this.serviceQuotas.setQuota(STANDARD, 320);
  }

  deps(withSupport = false): QuotaLoopDeps {
    return {
      serviceQuotas: this.serviceQuotas,
      usage: this.usage,
      autoScaling: this.autoScaling,
      ec2: this.ec2,
      ...(withSupport ? { support: this.support } : {}),
      state: this.state,
      clock: this.clock,
      log: this.log,
    };
  }
}
