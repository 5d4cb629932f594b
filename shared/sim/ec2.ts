/**
 * The simulator's EC2 behind the same `Ec2Port` the real adapter implements, over the simulator's
 * instance type table: the types it knows come back with EC2's figures, the others are absent.
 *
 * Requests are counted as the real adapter sends them: it caches every answer (unknown types included)
 * for its life, asks `DescribeInstanceTypes` for at most 100 new types a call, and asks a batch again
 * without the unknown types EC2 names; listing the catalogue or the offerings is one page (the table is
 * far smaller than a page).
 *
 * Offerings: every type in every zone, unless a test or scenario restricts a type to some zones
 * (`restrictOfferings`), like EC2's "not offered in eu-central-1c".
 */
import type { Ec2Port, InstanceTypeFilter, InstanceTypeInfo } from '../ports/ec2';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import { INSTANCE_TYPES } from './instance-types';

/** `DescribeInstanceTypes` takes at most this many names a call. */
export const SIM_INSTANCE_TYPES_PER_CALL = 100;

/** The zones of the simulator's region (`SimCloud`'s default, eu-central-1), for offerings asked without zones. */
export const SIM_REGION_ZONES: readonly string[] = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

type PortMethod = keyof Ec2Port;

/**
 * @example
 * const ec2 = new SimEc2();
 * (await ec2.describeInstanceTypes(['m5.large', 'm9.huge'])).get('m5.large')?.vcpus; // 2; no m9.huge
 * ec2.failNext('describeInstanceTypes', 1, new Ec2Error('Throttled', 'Rate exceeded'));
 */
export class SimEc2 implements Ec2Port {
  private readonly api = new ApiCallRecorder();
  /** Types the real adapter would have asked about already, and so answer from its cache. */
  private readonly asked = new Set<string>();
  /** Instance type → the only zones that offer it; types not here are offered everywhere. */
  private readonly offeredOnly = new Map<string, readonly string[]>();
  private readonly regionZones: readonly string[];

  constructor(options: { regionZones?: readonly string[] } = {}) {
    this.regionZones = options.regionZones ?? SIM_REGION_ZONES;
  }

  async describeInstanceTypes(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    const fresh = [...new Set(types)].filter((type) => type !== '' && !this.asked.has(type));
    let requests = 0;
    for (let i = 0; i < fresh.length; i += SIM_INSTANCE_TYPES_PER_CALL) {
      const batch = fresh.slice(i, i + SIM_INSTANCE_TYPES_PER_CALL);
      const hasUnknown = batch.some((type) => !INSTANCE_TYPES[type]);
      const hasKnown = batch.some((type) => INSTANCE_TYPES[type]);
      requests += 1 + (hasUnknown && hasKnown ? 1 : 0);
    }
    this.api.call('describeInstanceTypes', { DescribeInstanceTypes: requests });
    for (const type of fresh) this.asked.add(type);

    const result = new Map<string, InstanceTypeInfo>();
    for (const type of types) {
      const info = INSTANCE_TYPES[type];
      if (info) result.set(type, { ...info, architectures: [...info.architectures] });
    }
    return result;
  }

  async listInstanceTypes(filter: InstanceTypeFilter): Promise<InstanceTypeInfo[]> {
    this.api.call('listInstanceTypes', { DescribeInstanceTypes: 1 });
    const architecture = filter.architecture;
    const listed = Object.values(INSTANCE_TYPES)
      .filter((info) => !architecture || info.architectures.includes(architecture))
      .filter((info) => !filter.currentGenerationOnly || info.currentGeneration !== false);
    // The real adapter caches what it lists, so a later describeInstanceTypes of these sends nothing.
    for (const info of listed) this.asked.add(info.instanceType);
    return listed.map((info) => ({ ...info, architectures: [...info.architectures] }));
  }

  async describeInstanceTypeOfferings(zones: string[]): Promise<Map<string, string[]>> {
    this.api.call('describeInstanceTypeOfferings', { DescribeInstanceTypeOfferings: 1 });
    const asked = zones.length > 0 ? [...new Set(zones)] : [...this.regionZones].sort();
    const result = new Map<string, string[]>();
    for (const type of Object.keys(INSTANCE_TYPES)) {
      const only = this.offeredOnly.get(type);
      const offered = only ? asked.filter((zone) => only.includes(zone)) : [...asked];
      if (offered.length > 0) result.set(type, offered);
    }
    return result;
  }

  /** From now on EC2 offers `instanceType` only in `zones` (none: nowhere). */
  restrictOfferings(instanceType: string, zones: readonly string[]): void {
    this.offeredOnly.set(instanceType, [...zones]);
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
}
