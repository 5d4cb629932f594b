/**
 * Changes to an Auto Scaling group beyond its desired capacity, as the control-plane swap needs them:
 * the launch template version it launches, a temporary maximum for the surge instance, and Auto
 * Scaling's own processes held still while instances are swapped. Separate from `AutoScalingPort`
 * because only the control-plane loop needs them (and its IAM grants them on the control-plane groups
 * alone). Errors are `AutoScalingError`s.
 */

export interface GroupUpdate {
  /** Launch the template at this version from now on (`UpdateAutoScalingGroup` LaunchTemplate). */
  launchTemplate?: { launchTemplateId: string; version: string };
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
}

/**
 * Auto Scaling processes that would fight a swap: `AZRebalance` (terminates instances to even out
 * zones while one zone has a surge instance), `ReplaceUnhealthy` is kept (a broken instance must still
 * be replaced), `ScheduledActions` and `AlarmNotification` (someone else's scaling) are held.
 */
export const SWAP_SUSPENDED_PROCESSES = ['AZRebalance', 'AlarmNotification', 'ScheduledActions'] as const;

export interface GroupUpdatesPort {
  /** `UpdateAutoScalingGroup` with only the given fields. Throws `AutoScalingError`. */
  updateGroup(groupName: string, update: GroupUpdate): Promise<void>;
  /** `SuspendProcesses`; idempotent. Throws `AutoScalingError`. */
  suspendProcesses(groupName: string, processes: readonly string[]): Promise<void>;
  /** `ResumeProcesses`; idempotent. Throws `AutoScalingError`. */
  resumeProcesses(groupName: string, processes: readonly string[]): Promise<void>;
}
