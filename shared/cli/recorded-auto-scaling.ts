/**
 * The Auto Scaling port over a recorded account: the groups as `describeGroups` returned them at the
 * recorded moment, filtered by name and tag key as Auto Scaling filters them. Read-only: a recording has
 * no scaling activities to follow and no groups to change.
 */
import {
  AutoScalingError,
  type AutoScalingGroup,
  type AutoScalingPort,
  type ScalingActivity,
} from '../ports/auto-scaling';

/**
 * @example
 * const autoScaling = new RecordedAutoScaling(recording.autoScalingGroups);
 * await autoScaling.describeGroups(undefined, 'k8s.io/cluster-autoscaler/enabled');
 */
export class RecordedAutoScaling implements AutoScalingPort {
  constructor(private readonly groups: readonly AutoScalingGroup[]) {}

  async describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]> {
    const wanted = names === undefined ? undefined : new Set(names);
    return this.groups
      .filter(
        (group) =>
          (wanted === undefined || wanted.has(group.name)) &&
          (withTagKey === undefined || withTagKey in group.tags),
      )
      .map((group) => structuredClone(group));
  }

  /** The recording holds no activities: none started since `since`, for a group it knows. */
  async describeScalingActivities(groupName: string, _since: number): Promise<ScalingActivity[]> {
    if (!this.groups.some((group) => group.name === groupName)) {
      throw new AutoScalingError('NotFound', `DescribeScalingActivities ${groupName}: not in the recording`);
    }
    return [];
  }

  async setDesiredCapacity(groupName: string, desired: number): Promise<void> {
    throw new AutoScalingError(
      'Forbidden',
      `SetDesiredCapacity ${groupName} ${desired}: a recorded account changes nothing`,
    );
  }

  async terminateInstance(instanceId: string, _decrementDesiredCapacity: boolean): Promise<void> {
    throw new AutoScalingError(
      'Forbidden',
      `TerminateInstanceInAutoScalingGroup ${instanceId}: a recorded account changes nothing`,
    );
  }
}
