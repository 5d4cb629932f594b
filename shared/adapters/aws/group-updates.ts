/**
 * The group-updates port on `@aws-sdk/client-auto-scaling`: the control-plane swap's changes to its
 * Auto Scaling group beyond the desired capacity.
 *
 * `UpdateAutoScalingGroup` carries only the fields the caller gives; a field left out keeps its value.
 * An empty process list is never sent: `SuspendProcesses` and `ResumeProcesses` read an empty list as
 * "every process", which would stop (or restart) far more than the swap asked for.
 *
 * Errors are classified like the Auto Scaling port's (`toAutoScalingError`): throttling is retried by
 * the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from ./auto-scaling), a missing group is
 * `NotFound`, `ResourceContention` and `ScalingActivityInProgress` are `Busy`.
 *
 * IAM: `autoscaling:UpdateAutoScalingGroup`, `autoscaling:SuspendProcesses` and
 * `autoscaling:ResumeProcesses`, all resource-level on the group's ARN,
 * `arn:aws:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<name>`, and
 * conditionable on `autoscaling:ResourceTag/<key>`. `UpdateAutoScalingGroup` with a launch template
 * is checked as if the caller launched it: `ec2:RunInstances` (on the template and what it uses),
 * `iam:PassRole` for its instance profile's role, `ec2:CreateTags` when it tags at launch.
 */
import {
  type AutoScalingClient,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { GroupUpdate, GroupUpdatesPort } from '../../ports/group-updates';
import { toAutoScalingError } from './auto-scaling';

/**
 * @example
 * const port = new AwsGroupUpdates(new AutoScalingClient({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * await port.suspendProcesses('kube-1-control-plane', SWAP_SUSPENDED_PROCESSES);
 * await port.updateGroup('kube-1-control-plane', { launchTemplate: { launchTemplateId: 'lt-0abc', version: '7' }, maxSize: 4 });
 */
export class AwsGroupUpdates implements GroupUpdatesPort {
  constructor(private readonly client: AutoScalingClient) {}

  async updateGroup(groupName: string, update: GroupUpdate): Promise<void> {
    const fields = {
      ...(update.launchTemplate
        ? {
            LaunchTemplate: {
              LaunchTemplateId: update.launchTemplate.launchTemplateId,
              Version: update.launchTemplate.version,
            },
          }
        : {}),
      ...(update.minSize !== undefined ? { MinSize: update.minSize } : {}),
      ...(update.maxSize !== undefined ? { MaxSize: update.maxSize } : {}),
      ...(update.desiredCapacity !== undefined ? { DesiredCapacity: update.desiredCapacity } : {}),
    };
    if (Object.keys(fields).length === 0) return;
    try {
      await this.client.send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, ...fields }),
      );
    } catch (error) {
      throw toAutoScalingError('UpdateAutoScalingGroup', error);
    }
  }

  async suspendProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    if (processes.length === 0) return;
    try {
      await this.client.send(
        new SuspendProcessesCommand({ AutoScalingGroupName: groupName, ScalingProcesses: [...processes] }),
      );
    } catch (error) {
      throw toAutoScalingError('SuspendProcesses', error);
    }
  }

  async resumeProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    if (processes.length === 0) return;
    try {
      await this.client.send(
        new ResumeProcessesCommand({ AutoScalingGroupName: groupName, ScalingProcesses: [...processes] }),
      );
    } catch (error) {
      throw toAutoScalingError('ResumeProcesses', error);
    }
  }
}
