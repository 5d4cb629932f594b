/**
 * The simulator's EC2 behind the same `Ec2Port` the real adapter implements, over the simulator's
 * instance type table: the types it knows come back with EC2's figures, the others are absent.
 *
 * Requests are counted as the real adapter sends them: it caches every answer (unknown types included)
 * for its life, asks `DescribeInstanceTypes` for at most 100 new types a call, and asks a batch again
 * without the unknown types EC2 names.
 */
import type { Ec2Port, InstanceTypeInfo } from '../ports/ec2';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import { INSTANCE_TYPES } from './instance-types';

/** `DescribeInstanceTypes` takes at most this many names a call. */
export const SIM_INSTANCE_TYPES_PER_CALL = 100;

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
