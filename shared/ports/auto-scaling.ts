/**
 * Auto Scaling groups, as the node-pool loops see them. One method per API call a loop needs,
 * returning domain shapes (not SDK shapes). Later issues extend it; the simulator implements it.
 */

export interface AutoScalingInstance {
  instanceId: string;
  availabilityZone: string;
  instanceType: string;
  /** `Pending`, `InService`, `Terminating`, ... as Auto Scaling reports it. */
  lifecycleState: string;
  healthStatus: 'Healthy' | 'Unhealthy';
}

/** How a group buys its instances. */
export interface PurchaseOptions {
  /** On-demand instances below which no spot is used (`OnDemandBaseCapacity`); 0 without a policy. */
  onDemandBaseCapacity: number;
  /** Percent on-demand above the base (`OnDemandPercentageAboveBaseCapacity`); 100 without a policy. */
  onDemandPercentageAboveBase: number;
  /** `SpotAllocationStrategy` of a mixed-instances policy (`price-capacity-optimized`, ...). */
  spotAllocationStrategy?: string;
}

export interface AutoScalingGroup {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  tags: Record<string, string>;
  instances: AutoScalingInstance[];
  /**
   * The instance types the group launches: a mixed-instances policy's overrides in their order, else
   * the type of its launch template version or launch configuration. Empty when it cannot be told (a
   * launch template without an instance type and no overrides); such a group is reported, not planned.
   */
  instanceTypes: string[];
  /**
   * Why `instanceTypes` could not be read this time (the launch template lookup failed, e.g. EC2
   * throttled); the group is then left out of this tick's plan, and the others are not held up.
   */
  instanceTypesError?: string;
  purchase: PurchaseOptions;
  /** The launch template the group launches (not one of a mixed-instances policy), when it has one. */
  launchTemplate?: { launchTemplateId: string; launchTemplateName?: string; version: string };
  /** The target groups its instances are registered with (`TargetGroupARNs`); empty when none. */
  targetGroupArns?: string[];
  /** Processes suspended on the group (`SuspendedProcesses[].ProcessName`). */
  suspendedProcesses?: string[];
}

/** One scaling activity (`DescribeScalingActivities`), newest first. */
export interface ScalingActivity {
  activityId: string;
  groupName: string;
  /** Epoch ms. */
  startTime: number;
  /** Epoch ms, when finished. */
  endTime?: number;
  /** `Successful`, `Failed`, `Cancelled`, `InProgress`, `PreInService`, `WaitingForSpotInstanceId`, ... */
  statusCode: string;
  /** Why it failed, e.g. "We currently do not have sufficient m5.large capacity in the AZ you requested". */
  statusMessage?: string;
  description: string;
  cause: string;
}

/** A call to Auto Scaling that failed; `reason` says whether retrying next tick may help. */
export type AutoScalingErrorReason =
  /** Throttled after the SDK's retries. */
  | 'Throttled'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable'
  /** The group does not exist (any more). */
  | 'NotFound'
  /** The request was refused as invalid (e.g. desired outside min/max). */
  | 'Invalid'
  /** `ScalingActivityInProgress` or `ResourceContention`: another change is running; retry later. */
  | 'Busy';

export class AutoScalingError extends Error {
  override readonly name = 'AutoScalingError';
  constructor(
    readonly reason: AutoScalingErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AutoScalingPort {
  /**
   * Groups by name (all groups of the account/region when omitted), and only those carrying the tag
   * key `withTagKey` when given (filtered by Auto Scaling, so other teams' groups cost nothing).
   * Paginated internally; names are sent in batches the API accepts. Groups that do not exist are
   * absent, not an error. Throws `AutoScalingError`.
   */
  describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]>;
  /**
   * The group's scaling activities that started at or after `since` (epoch ms), newest first, paginated
   * internally until older ones appear. Throws `AutoScalingError` (`NotFound` for an unknown group).
   */
  describeScalingActivities(groupName: string, since: number): Promise<ScalingActivity[]>;
  /**
   * Sets the desired capacity (without honouring cooldown); idempotent. Throws `AutoScalingError`:
   * `Invalid` when outside min/max, `NotFound` for an unknown group, `Busy` while another scaling
   * activity holds the group.
   */
  setDesiredCapacity(groupName: string, desired: number): Promise<void>;
  /**
   * `TerminateInstanceInAutoScalingGroup`: terminates the instance and, with `decrementDesiredCapacity`,
   * lowers the group's desired capacity so it is not replaced. Throws `AutoScalingError`: `NotFound`
   * when the instance is no longer in a group (already gone), `Invalid` when the decrement would go
   * below the group's minimum.
   */
  terminateInstance(instanceId: string, decrementDesiredCapacity: boolean): Promise<void>;
}
