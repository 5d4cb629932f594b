/**
 * The account's vCPU quotas as EC2 enforces them on launches: every running (or booting) instance counts
 * its vCPUs against the quota of its family and purchasing option (shared/quotas/ec2-vcpu-quotas.ts), and
 * a launch that would take a quota's usage above the value in force (service-quotas.ts) fails. Auto
 * Scaling then records a failed launch activity whose status message is EC2's, which the node-pool loop
 * classifies as a quota failure (shared/nodepools/failures.ts), backs the group off and tries its next
 * pool; the group stays below its desired capacity and retries, as with a capacity shortage.
 *
 * Instances already running above a value stay: AWS never takes instances away for a quota, it only
 * refuses new ones. Instance types no quota covers are not limited (EC2 has no vCPU quota for them).
 * Only worlds whose scenario has quotas limit launches at all.
 */
import type { CapacityType } from '../nodepools/pool';
import type { Clock } from '../ports/clock';
import { vcpuQuotaFor } from '../quotas/ec2-vcpu-quotas';
import type { LaunchLimit, SimGroupSpec, SimInstance } from './cloud';
import { instanceType } from './instance-types';

/** EC2's link for limit increases, part of the message AWS gives. */
const LIMIT_REQUEST_URL = 'http://aws.amazon.com/contact-us/ec2-request';

/**
 * The status message Auto Scaling records for a launch refused by a vCPU quota: EC2's VcpuLimitExceeded
 * message for a single on-demand type (as kops and cluster-autoscaler users quote it from
 * DescribeScalingActivities), prefixed by the fleet's summary and error code for mixed-instances groups;
 * for spot, the fleet's MaxSpotInstanceCountExceeded.
 *
 * @example vcpuLimitMessage({ capacityType: 'on-demand' }, 640)
 * // 'You have requested more vCPU capacity than your current vCPU limit of 640 allows for the instance bucket ...'
 */
export function vcpuLimitMessage(
  spec: Pick<SimGroupSpec, 'capacityType' | 'fallbackInstanceTypes'>,
  limit: number,
): string {
  if (spec.capacityType === 'spot') {
    return (
      'Could not launch Spot Instances. MaxSpotInstanceCountExceeded - Max spot instance count exceeded. ' +
      'Launching EC2 instance failed.'
    );
  }
  const ec2Message =
    `You have requested more vCPU capacity than your current vCPU limit of ${limit} allows for the ` +
    'instance bucket that the specified instance type belongs to. Please visit ' +
    `${LIMIT_REQUEST_URL} to request an adjustment to this limit. Launching EC2 instance failed.`;
  return spec.fallbackInstanceTypes?.length
    ? `Could not launch On-Demand Instances. VcpuLimitExceeded - ${ec2Message}`
    : ec2Message;
}

/** A launch a vCPU quota refused. */
export interface VcpuRefusal {
  time: number;
  groupName: string;
  zone: string;
  instanceType: string;
  capacityType: CapacityType;
  quotaCode: string;
  /** vCPUs of the quota in use when it was refused. */
  inUse: number;
  /** vCPUs the instance would have added. */
  vcpus: number;
  /** The value in force. */
  limit: number;
  message: string;
}

/** Where the instances are, and what each quota allows now. */
export interface VcpuLimitSources {
  clock: Clock;
  /** Every group's instances (SimCloud's `groupNames` and `instances`). */
  cloud: { groupNames(): string[]; instances(groupName: string): SimInstance[] };
  /** The value in force of a quota (SimServiceQuotas' `value`). */
  quotas: { value(quotaCode: string): number };
}

/** vCPUs of an instance of `type`, 0 for a type the simulator does not know (it could not run). */
function vcpusOf(type: string): number {
  try {
    return instanceType(type).vcpus;
  } catch {
    return 0;
  }
}

/**
 * @example
 * const limits = new SimVcpuLimits({ clock, cloud, quotas });
 * cloud.limitLaunches(limits);
 * limits.inUse('L-1216C47A'); // 96: twelve m5.2xlarge running
 */
export class SimVcpuLimits implements LaunchLimit {
  private readonly refusedLaunches: VcpuRefusal[] = [];

  constructor(private readonly sources: VcpuLimitSources) {}

  /** vCPUs of the quota that instances booting or in service use now. */
  inUse(quotaCode: string): number {
    return this.usage().get(quotaCode) ?? 0;
  }

  /** vCPUs in use per quota code (quotas without instances absent). */
  usage(): Map<string, number> {
    const byQuota = new Map<string, number>();
    for (const group of this.sources.cloud.groupNames()) {
      for (const instance of this.sources.cloud.instances(group)) {
        if (instance.state === 'Terminating') continue;
        const lookup = vcpuQuotaFor(instance.instanceType, instance.capacityType);
        if (!lookup.ok) continue;
        const code = lookup.quota.code;
        byQuota.set(code, (byQuota.get(code) ?? 0) + vcpusOf(instance.instanceType));
      }
    }
    return byQuota;
  }

  refusal(group: SimGroupSpec, type: string): string | undefined {
    const lookup = vcpuQuotaFor(type, group.capacityType);
    if (!lookup.ok) return undefined;
    const limit = this.sources.quotas.value(lookup.quota.code);
    if (this.inUse(lookup.quota.code) + vcpusOf(type) <= limit) return undefined;
    return vcpuLimitMessage(group, limit);
  }

  onRefused(group: SimGroupSpec, type: string, zone: string, message: string): void {
    const lookup = vcpuQuotaFor(type, group.capacityType);
    if (!lookup.ok) return;
    const code = lookup.quota.code;
    this.refusedLaunches.push({
      time: this.sources.clock.now(),
      groupName: group.name,
      zone,
      instanceType: type,
      capacityType: group.capacityType,
      quotaCode: code,
      inUse: this.inUse(code),
      vcpus: vcpusOf(type),
      limit: this.sources.quotas.value(code),
      message,
    });
  }

  /** Every launch refused so far, oldest first. */
  refusals(): readonly VcpuRefusal[] {
    return this.refusedLaunches;
  }
}
