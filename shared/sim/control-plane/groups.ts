/**
 * The control plane's Auto Scaling groups as the control-plane loop sees them: `SimCloud`'s groups (its
 * instances boot, join the cluster as nodes, fail to launch when a type has no capacity), plus what
 * only the control plane's groups have in the simulator — the launch template version each launches,
 * the API target groups they are attached to, and their suspended processes. Behind the same
 * `AutoScalingPort` and `GroupUpdatesPort` the real adapters implement.
 *
 * Pointing a group at a launch template version makes `SimCloud` launch that version's instance type
 * from then on; instances already running keep theirs, as in EC2. Suspended processes are bookkeeping:
 * the simulated Auto Scaling never rebalances zones nor runs alarm or scheduled actions anyway.
 */
import {
  AutoScalingError,
  type AutoScalingGroup,
  type AutoScalingPort,
  type ScalingActivity,
} from '../../ports/auto-scaling';
import type { GroupUpdate, GroupUpdatesPort } from '../../ports/group-updates';
import { LaunchTemplateError } from '../../ports/launch-templates';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';
import type { SimCloud } from '../cloud';
import type { SimLaunchTemplates } from './launch-templates';

interface ControlPlaneGroup {
  launchTemplateId: string;
  /** As the group names it: a number, `$Latest` or `$Default`. */
  version: string;
  targetGroupArns: string[];
  suspended: Set<string>;
}

type PortMethod = 'suspendProcesses' | 'resumeProcesses';

/**
 * @example
 * const groups = new SimControlPlaneGroups(cloud, templates);
 * groups.attach('control-plane-a', { launchTemplateId, version: '1', targetGroupArns: [arn] });
 * await groups.updateGroup('control-plane-a', { launchTemplate: { launchTemplateId, version: '2' } });
 */
export class SimControlPlaneGroups implements AutoScalingPort, GroupUpdatesPort {
  private readonly api = new ApiCallRecorder();
  private readonly groups = new Map<string, ControlPlaneGroup>();

  constructor(
    private readonly cloud: SimCloud,
    private readonly templates: SimLaunchTemplates,
  ) {}

  // ---- AutoScalingPort ---------------------------------------------------------------------------

  async describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]> {
    const groups = await this.cloud.describeGroups(names, withTagKey);
    return groups.map((group) => {
      const extra = this.groups.get(group.name);
      if (!extra) return group;
      return {
        ...group,
        launchTemplate: {
          launchTemplateId: extra.launchTemplateId,
          launchTemplateName: this.templates.nameOf(extra.launchTemplateId),
          version: extra.version,
        },
        targetGroupArns: [...extra.targetGroupArns],
        suspendedProcesses: [...extra.suspended].sort(),
      };
    });
  }

  describeScalingActivities(groupName: string, since: number): Promise<ScalingActivity[]> {
    return this.cloud.describeScalingActivities(groupName, since);
  }

  setDesiredCapacity(groupName: string, desired: number): Promise<void> {
    return this.cloud.setDesiredCapacity(groupName, desired);
  }

  terminateInstance(instanceId: string, decrementDesiredCapacity: boolean): Promise<void> {
    return this.cloud.terminateInstance(instanceId, decrementDesiredCapacity);
  }

  // ---- GroupUpdatesPort --------------------------------------------------------------------------

  /**
   * `UpdateAutoScalingGroup`: a launch template version that does not exist or sets no instance type is
   * refused (`Invalid`), as Auto Scaling validates it; the sizes as `SimCloud.updateGroup` applies them.
   */
  async updateGroup(groupName: string, update: GroupUpdate): Promise<void> {
    const extra = this.groups.get(groupName);
    let instanceType: string | undefined;
    if (update.launchTemplate) {
      if (!extra) {
        throw new AutoScalingError(
          'Invalid',
          `UpdateAutoScalingGroup: ${groupName} is not a launch-template group the simulator tracks`,
        );
      }
      try {
        instanceType = this.templates.instanceTypeOf(
          update.launchTemplate.launchTemplateId,
          update.launchTemplate.version,
        );
      } catch (error) {
        if (error instanceof LaunchTemplateError)
          throw new AutoScalingError('Invalid', `UpdateAutoScalingGroup: ${error.message}`);
        throw error;
      }
      if (instanceType === undefined) {
        throw new AutoScalingError(
          'Invalid',
          `UpdateAutoScalingGroup: launch template ${update.launchTemplate.launchTemplateId} version ${update.launchTemplate.version} sets no instance type`,
        );
      }
    }
    await this.cloud.updateGroup(groupName, {
      ...(update.minSize !== undefined ? { minSize: update.minSize } : {}),
      ...(update.maxSize !== undefined ? { maxSize: update.maxSize } : {}),
      ...(update.desiredCapacity !== undefined ? { desiredCapacity: update.desiredCapacity } : {}),
      ...(instanceType !== undefined ? { instanceType } : {}),
    });
    if (update.launchTemplate && extra) {
      extra.launchTemplateId = update.launchTemplate.launchTemplateId;
      extra.version = update.launchTemplate.version;
    }
  }

  async suspendProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.api.call('suspendProcesses', 'SuspendProcesses');
    for (const process of processes) this.tracked(groupName).suspended.add(process);
  }

  async resumeProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.api.call('resumeProcesses', 'ResumeProcesses');
    for (const process of processes) this.tracked(groupName).suspended.delete(process);
  }

  // ---- the world ---------------------------------------------------------------------------------

  /**
   * Makes a `SimCloud` group a control-plane group launching `launchTemplateId` at `version` (whose
   * instance type must be the group's), attached to the target groups.
   */
  attach(
    groupName: string,
    spec: { launchTemplateId: string; version: string; targetGroupArns: string[] },
  ): void {
    if (!this.cloud.groupNames().includes(groupName)) throw new Error(`no group ${groupName}`);
    this.groups.set(groupName, {
      launchTemplateId: spec.launchTemplateId,
      version: spec.version,
      targetGroupArns: [...spec.targetGroupArns],
      suspended: new Set(),
    });
  }

  /** The version a group launches, as it names it, and the processes suspended on it. */
  groupState(groupName: string): { version: string; suspendedProcesses: string[] } {
    const group = this.tracked(groupName);
    return { version: group.version, suspendedProcesses: [...group.suspended].sort() };
  }

  /** Suspend and resume calls (the sizes and versions are counted by `SimCloud` as `updateGroup`). */
  stats(): ApiStats {
    return this.api.stats();
  }

  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private tracked(groupName: string): ControlPlaneGroup {
    const group = this.groups.get(groupName);
    if (!group) {
      throw new AutoScalingError(
        'NotFound',
        `AutoScalingGroup name not found - AutoScalingGroup ${groupName} not found`,
      );
    }
    return group;
  }
}
