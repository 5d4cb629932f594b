/**
 * The launch-templates port on `@aws-sdk/client-ec2`.
 *
 * A new version is made with `SourceVersion`, so it inherits every launch parameter of the version the
 * group launches today (AMI, user data, security groups, ...) and only the instance type changes. Its
 * `ClientToken` is EC2's idempotency key: a retry with the same token and parameters returns the version
 * the first call created, and the same token with other parameters is refused
 * (`IdempotentParameterMismatch`, mapped to `Invalid`).
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as a `LaunchTemplateError`.
 *
 * IAM: `ec2:DescribeLaunchTemplateVersions` (`Resource: *`: no resource-level permissions) and
 * `ec2:CreateLaunchTemplateVersion` (resource-level: `arn:aws:ec2:<region>:<account>:launch-template/<lt-id>`;
 * also `aws:ResourceTag/*` on the template's tags).
 */
import {
  type _InstanceType,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type LaunchTemplateVersion as SdkLaunchTemplateVersion,
} from '@aws-sdk/client-ec2';
import {
  LaunchTemplateError,
  type LaunchTemplateErrorReason,
  type LaunchTemplatesPort,
  type LaunchTemplateVersion,
} from '../../ports/launch-templates';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** EC2 refuses a `VersionDescription` longer than this. */
export const MAX_VERSION_DESCRIPTION_CHARS = 255;

/** EC2's answers for a template or a version of it that does not exist. */
const NOT_FOUND =
  /^(InvalidLaunchTemplateId\.NotFound|InvalidLaunchTemplateId\.VersionNotFound|InvalidLaunchTemplateName\.NotFoundException)$/;
const INVALID =
  /^(InvalidLaunchTemplateId\.Malformed|InvalidParameter|InvalidParameterValue|InvalidParameterCombination|InvalidParameterDependency|MissingParameter|IdempotentParameterMismatch|InvalidInstanceType|InvalidLaunchTemplateName\.MalformedException)$/;

function reasonOf(error: unknown): LaunchTemplateErrorReason {
  if (isThrottle(error)) return 'Throttled';
  // EC2 says UnauthorizedOperation with a 403, which `isForbidden` catches by its status.
  if (isForbidden(error) || awsErrorName(error) === 'UnauthorizedOperation') return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  const name = awsErrorName(error);
  if (NOT_FOUND.test(name)) return 'NotFound';
  if (INVALID.test(name)) return 'Invalid';
  return 'Unavailable';
}

export function toLaunchTemplateError(operation: string, error: unknown): LaunchTemplateError {
  if (error instanceof LaunchTemplateError) return error;
  return new LaunchTemplateError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, {
    cause: error,
  });
}

function toVersion(
  sdk: SdkLaunchTemplateVersion | undefined,
  operation: string,
  fallback: { launchTemplateId: string; instanceType?: string },
): LaunchTemplateVersion {
  if (sdk?.VersionNumber === undefined) {
    // A success without the version would leave the swap unable to say what it launches next.
    throw new LaunchTemplateError('Unavailable', `${operation}: the answer names no version`);
  }
  const instanceType = sdk.LaunchTemplateData?.InstanceType ?? fallback.instanceType;
  return {
    launchTemplateId: sdk.LaunchTemplateId ?? fallback.launchTemplateId,
    versionNumber: sdk.VersionNumber,
    ...(instanceType ? { instanceType } : {}),
  };
}

/**
 * @example
 * const port = new AwsLaunchTemplates(new EC2Client({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const current = await port.describeVersion('lt-0abc', '$Latest');
 * const next = await port.createVersionWithInstanceType({
 *   launchTemplateId: 'lt-0abc', sourceVersion: current.versionNumber, instanceType: 'm6i.2xlarge',
 *   clientToken: 'kube-1-swap-7', description: 'tideplane: control plane to m6i.2xlarge',
 * });
 */
export class AwsLaunchTemplates implements LaunchTemplatesPort {
  constructor(private readonly client: EC2Client) {}

  async describeVersion(launchTemplateId: string, version: string): Promise<LaunchTemplateVersion> {
    const output = await this.client
      .send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: launchTemplateId,
          Versions: [version],
        }),
      )
      .catch((error: unknown) => {
        throw toLaunchTemplateError('DescribeLaunchTemplateVersions', error);
      });
    const found = output.LaunchTemplateVersions?.[0];
    if (!found) {
      throw new LaunchTemplateError(
        'NotFound',
        `DescribeLaunchTemplateVersions: no version ${version} of ${launchTemplateId}`,
      );
    }
    return toVersion(found, 'DescribeLaunchTemplateVersions', { launchTemplateId });
  }

  async createVersionWithInstanceType(args: {
    launchTemplateId: string;
    sourceVersion: number;
    instanceType: string;
    clientToken: string;
    description: string;
  }): Promise<LaunchTemplateVersion> {
    const output = await this.client
      .send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: args.launchTemplateId,
          SourceVersion: String(args.sourceVersion),
          LaunchTemplateData: { InstanceType: args.instanceType as _InstanceType },
          ClientToken: args.clientToken,
          VersionDescription: args.description.slice(0, MAX_VERSION_DESCRIPTION_CHARS),
        }),
      )
      .catch((error: unknown) => {
        throw toLaunchTemplateError('CreateLaunchTemplateVersion', error);
      });
    return toVersion(output.LaunchTemplateVersion, 'CreateLaunchTemplateVersion', {
      launchTemplateId: args.launchTemplateId,
      instanceType: args.instanceType,
    });
  }
}
