/**
 * EC2 launch templates, as the control-plane swap sees them: which instance type a version launches,
 * and a new version that launches another. Domain shapes, not SDK shapes.
 */

export interface LaunchTemplateVersion {
  launchTemplateId: string;
  versionNumber: number;
  /** Undefined when the version does not set one (the group's overrides decide). */
  instanceType?: string;
}

export type LaunchTemplateErrorReason =
  | 'Throttled'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable'
  | 'NotFound'
  | 'Invalid';

export class LaunchTemplateError extends Error {
  override readonly name = 'LaunchTemplateError';
  constructor(
    readonly reason: LaunchTemplateErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LaunchTemplatesPort {
  /**
   * One version of a launch template (`DescribeLaunchTemplateVersions`); `version` is a number or
   * `$Latest` / `$Default`, resolved to its number. Throws `LaunchTemplateError` (`NotFound` for an
   * unknown template or version).
   */
  describeVersion(launchTemplateId: string, version: string): Promise<LaunchTemplateVersion>;
  /**
   * A new version copied from `sourceVersion` with only the instance type changed
   * (`CreateLaunchTemplateVersion` with `SourceVersion`). `clientToken` makes it idempotent: the same
   * token returns the version the first call created, so a Lambda that died after the call and
   * retries gets the same version, not a second one. Throws `LaunchTemplateError`.
   */
  createVersionWithInstanceType(args: {
    launchTemplateId: string;
    sourceVersion: number;
    instanceType: string;
    clientToken: string;
    description: string;
  }): Promise<LaunchTemplateVersion>;
}
