/**
 * EC2's view of the simulated Auto Scaling instances, behind the same `Ec2InstancesPort` the real adapter
 * implements: state, type, zone, launch time and private IP address. `SimCloud` names every node after
 * its instance's private IP (`ip-10-0-3-17.eu-central-1.compute.internal`, as EC2's private DNS names
 * are made), so the address is read back from that name.
 */
import type { Ec2Instance, Ec2InstancesPort } from '../../ports/ec2-instances';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';
import type { SimCloud, SimInstance } from '../cloud';

/** EC2 `DescribeInstances` takes up to this many IDs a call (the adapter batches). */
const DESCRIBE_BATCH = 1000;

const PRIVATE_DNS = /^ip-(\d+)-(\d+)-(\d+)-(\d+)\./;

/** The private IPv4 address in an EC2 private DNS name, if it is one. */
export function privateIpOf(privateDnsName: string): string | undefined {
  const match = PRIVATE_DNS.exec(privateDnsName);
  return match ? match.slice(1, 5).join('.') : undefined;
}

/** EC2's instance state for an Auto Scaling lifecycle state. */
function ec2StateOf(instance: SimInstance): string {
  if (instance.state === 'Pending') return 'pending';
  if (instance.state === 'InService') return 'running';
  return 'shutting-down';
}

type PortMethod = keyof Ec2InstancesPort;

/**
 * @example
 * const instances = new SimEc2Instances(cloud);
 * (await instances.describeInstances([id]))[0]?.privateIpAddress; // '10.0.0.14'
 */
export class SimEc2Instances implements Ec2InstancesPort {
  private readonly api = new ApiCallRecorder();

  constructor(private readonly cloud: SimCloud) {}

  async describeInstances(instanceIds: string[]): Promise<Ec2Instance[]> {
    this.cloud.sync();
    this.api.call('describeInstances', {
      DescribeInstances: Math.max(1, Math.ceil(instanceIds.length / DESCRIBE_BATCH)),
    });
    const wanted = new Set(instanceIds);
    const found: Ec2Instance[] = [];
    for (const group of this.cloud.groupNames()) {
      for (const instance of this.cloud.instances(group)) {
        if (!wanted.has(instance.instanceId)) continue;
        const address = privateIpOf(instance.nodeName);
        found.push({
          instanceId: instance.instanceId,
          instanceType: instance.instanceType,
          state: ec2StateOf(instance),
          ...(address ? { privateIpAddress: address } : {}),
          availabilityZone: instance.zone,
          launchTime: instance.launchedAt,
        });
      }
    }
    return found;
  }

  /** The live (not terminating) instance at a private address, and its group. */
  byAddress(address: string): SimInstance | undefined {
    for (const group of this.cloud.groupNames()) {
      for (const instance of this.cloud.instances(group)) {
        if (instance.state !== 'Terminating' && privateIpOf(instance.nodeName) === address) return instance;
      }
    }
    return undefined;
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }
}
