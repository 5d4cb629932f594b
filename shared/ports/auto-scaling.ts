/**
 * Auto Scaling groups, as the node-pool loops see them. One method per API call a loop needs,
 * returning domain shapes (not SDK shapes). Later issues extend it; the simulator implements it.
 */

export interface AutoScalingInstance {
  instanceId: string;
  availabilityZone: string;
  instanceType: string;
  lifecycleState: string;
  healthStatus: 'Healthy' | 'Unhealthy';
}

export interface AutoScalingGroup {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  tags: Record<string, string>;
  instances: AutoScalingInstance[];
}

export interface AutoScalingPort {
  /** Groups by name (all groups of the account/region when omitted). Paginated internally. */
  describeGroups(names?: string[]): Promise<AutoScalingGroup[]>;
  /** Sets the desired capacity; idempotent; throws when outside min/max. */
  setDesiredCapacity(groupName: string, desired: number): Promise<void>;
}
