/**
 * EC2 instances, as the control-plane swap sees them: where a new API server answers. Domain shapes.
 */

export interface Ec2Instance {
  instanceId: string;
  instanceType: string;
  /** `pending`, `running`, `shutting-down`, `terminated`, `stopping`, `stopped`. */
  state: string;
  privateIpAddress?: string;
  availabilityZone: string;
  /** Epoch ms. */
  launchTime: number;
}

export type Ec2InstancesErrorReason = 'Throttled' | 'Forbidden' | 'Timeout' | 'Unavailable';

export class Ec2InstancesError extends Error {
  override readonly name = 'Ec2InstancesError';
  constructor(
    readonly reason: Ec2InstancesErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Ec2InstancesPort {
  /**
   * The instances by ID (`DescribeInstances`, paginated, batched). Unknown IDs are absent, not an error
   * (EC2 answers `InvalidInstanceID.NotFound` for a whole batch: the adapter retries without them).
   * Throws `Ec2InstancesError`.
   */
  describeInstances(instanceIds: string[]): Promise<Ec2Instance[]>;
}
