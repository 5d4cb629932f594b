/**
 * The EKS port on `@aws-sdk/client-eks`: an EKS cluster's Provisioned Control Plane tier.
 *
 * `updateScalingTier` is `UpdateClusterConfig` with nothing but `controlPlaneScalingConfig`, because
 * EKS takes one kind of update per call ("Only one type of update can be allowed"), and with the
 * caller's `clientRequestToken`, so a retried call returns the update the first one started. While any
 * update runs EKS refuses another with `ResourceInUseException` ("... currently has update <id> in
 * progress"): `Busy`, retry later.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as an `EksError`.
 *
 * IAM: `eks:DescribeCluster`, `eks:UpdateClusterConfig` and `eks:DescribeUpdate`, all resource-level on
 * the cluster's ARN, `arn:aws:eks:<region>:<account>:cluster/<name>` (also `aws:ResourceTag/*`).
 */
import {
  DescribeClusterCommand,
  DescribeUpdateCommand,
  type EKSClient,
  type ProvisionedControlPlaneTier,
  type Update,
  UpdateClusterConfigCommand,
} from '@aws-sdk/client-eks';
import {
  type EksClusterInfo,
  EksError,
  type EksErrorReason,
  type EksPort,
  type EksUpdate,
  type EksUpdateStatus,
} from '../../ports/eks';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** The tier EKS runs a cluster on when it reports none (clusters from before provisioned tiers). */
export const DEFAULT_EKS_TIER = 'standard';

const UPDATE_STATUSES: ReadonlySet<string> = new Set<EksUpdateStatus>([
  'InProgress',
  'Failed',
  'Cancelled',
  'Successful',
]);

const NOT_FOUND = /^(ResourceNotFoundException|NotFoundException)$/;
const BUSY = /^ResourceInUseException$/;
const INVALID =
  /^(InvalidParameterException|InvalidRequestException|InvalidStateException|ClientException|BadRequestException|ResourceLimitExceededException|UnsupportedAvailabilityZoneException)$/;

function reasonOf(error: unknown): EksErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  const name = awsErrorName(error);
  if (NOT_FOUND.test(name)) return 'NotFound';
  if (BUSY.test(name)) return 'Busy';
  if (INVALID.test(name)) return 'Invalid';
  // ServerException, ServiceUnavailableException, ResourcePropagationDelayException, a reset connection.
  return 'Unavailable';
}

export function toEksError(operation: string, error: unknown): EksError {
  if (error instanceof EksError) return error;
  return new EksError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, { cause: error });
}

/**
 * The domain shape of an update. A status EKS adds later counts as `InProgress`: the loop keeps
 * following the update until its own timeout rather than acting on a state it cannot read.
 */
export function toEksUpdate(update: Update | undefined, operation: string): EksUpdate {
  if (!update?.id) throw new EksError('Unavailable', `${operation}: the answer names no update`);
  const status = update.status && UPDATE_STATUSES.has(update.status) ? update.status : 'InProgress';
  return {
    id: update.id,
    status: status as EksUpdateStatus,
    ...(update.createdAt ? { createdAt: update.createdAt.getTime() } : {}),
    errors: (update.errors ?? []).map((e) =>
      [e.errorCode, e.errorMessage].filter((part) => part !== undefined && part !== '').join(': '),
    ),
  };
}

/**
 * @example
 * const port = new AwsEks(new EKSClient({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const update = await port.updateScalingTier('kube-1', 'tier-xl', 'kube-1-swap-7');
 * const later = await port.describeUpdate('kube-1', update.id);
 */
export class AwsEks implements EksPort {
  constructor(private readonly client: EKSClient) {}

  async describeCluster(name: string): Promise<EksClusterInfo> {
    const output = await this.client.send(new DescribeClusterCommand({ name })).catch((error: unknown) => {
      throw toEksError('DescribeCluster', error);
    });
    const cluster = output.cluster;
    if (!cluster) throw new EksError('Unavailable', `DescribeCluster: no cluster in the answer for ${name}`);
    return {
      name: cluster.name ?? name,
      status: cluster.status ?? '',
      tier: cluster.controlPlaneScalingConfig?.tier || DEFAULT_EKS_TIER,
    };
  }

  async updateScalingTier(name: string, tier: string, clientRequestToken: string): Promise<EksUpdate> {
    const output = await this.client
      .send(
        new UpdateClusterConfigCommand({
          name,
          controlPlaneScalingConfig: { tier: tier as ProvisionedControlPlaneTier },
          clientRequestToken,
        }),
      )
      .catch((error: unknown) => {
        throw toEksError('UpdateClusterConfig', error);
      });
    return toEksUpdate(output.update, 'UpdateClusterConfig');
  }

  async describeUpdate(name: string, updateId: string): Promise<EksUpdate> {
    const output = await this.client
      .send(new DescribeUpdateCommand({ name, updateId }))
      .catch((error: unknown) => {
        throw toEksError('DescribeUpdate', error);
      });
    return toEksUpdate(output.update, 'DescribeUpdate');
  }
}
