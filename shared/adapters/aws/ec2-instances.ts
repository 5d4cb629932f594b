/**
 * The EC2 instances port on `@aws-sdk/client-ec2`.
 *
 * `describeInstances` asks `DescribeInstances` by `InstanceIds` (not by an `instance-id` filter: during
 * a zone's outage EC2 fails a filtered or unscoped call, but still answers for IDs in the healthy
 * zones), at most INSTANCE_IDS_PER_CALL a call, following `NextToken`. EC2 refuses a whole call when
 * one ID is unknown (`InvalidInstanceID.NotFound`: "The instance IDs 'i-1, i-2' do not exist") or
 * malformed (`InvalidInstanceID.Malformed`); the IDs its message names are dropped and the rest asked
 * again, and when it names none of them each ID is asked alone. A just-launched instance can be unknown
 * for a few seconds (EC2 is eventually consistent): absent now, there next tick.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as an `Ec2InstancesError`.
 *
 * IAM: `ec2:DescribeInstances` (`Resource: *`: no resource-level permissions).
 */
import { DescribeInstancesCommand, type EC2Client, type Instance as SdkInstance } from '@aws-sdk/client-ec2';
import {
  type Ec2Instance,
  Ec2InstancesError,
  type Ec2InstancesErrorReason,
  type Ec2InstancesPort,
} from '../../ports/ec2-instances';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** IDs per `DescribeInstances` call: the API sets no number, this keeps a request small. */
export const INSTANCE_IDS_PER_CALL = 100;
/** Pages followed per batch; more means a loop in the API's tokens, reported as a failure. */
export const MAX_INSTANCE_PAGES = 20;

const UNKNOWN_ID = /^InvalidInstanceID\.(NotFound|Malformed)$/;

function reasonOf(error: unknown): Ec2InstancesErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error) || awsErrorName(error) === 'UnauthorizedOperation') return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  return 'Unavailable';
}

function toEc2InstancesError(error: unknown): Ec2InstancesError {
  if (error instanceof Ec2InstancesError) return error;
  return new Ec2InstancesError(reasonOf(error), `DescribeInstances: ${awsErrorMessage(error)}`, {
    cause: error,
  });
}

const isUnknownId = (error: unknown) => UNKNOWN_ID.test(awsErrorName(error));

/** The IDs of `asked` that an `InvalidInstanceID.*` message names (whole words, so `i-1` is not `i-12`). */
export function idsNamedIn(message: string, asked: readonly string[]): string[] {
  const words = new Set(message.split(/[^A-Za-z0-9-]+/));
  return asked.filter((id) => words.has(id));
}

export function toEc2Instance(sdk: SdkInstance): Ec2Instance | undefined {
  if (!sdk.InstanceId) return undefined;
  return {
    instanceId: sdk.InstanceId,
    instanceType: sdk.InstanceType ?? '',
    state: sdk.State?.Name ?? '',
    ...(sdk.PrivateIpAddress ? { privateIpAddress: sdk.PrivateIpAddress } : {}),
    availabilityZone: sdk.Placement?.AvailabilityZone ?? '',
    launchTime: sdk.LaunchTime?.getTime() ?? 0,
  };
}

/**
 * @example
 * const port = new AwsEc2Instances(new EC2Client({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const [surge] = await port.describeInstances(['i-0123456789abcdef0']);
 */
export class AwsEc2Instances implements Ec2InstancesPort {
  constructor(private readonly client: EC2Client) {}

  async describeInstances(instanceIds: string[]): Promise<Ec2Instance[]> {
    const unique = [...new Set(instanceIds)].filter((id) => id !== '');
    const found = new Map<string, Ec2Instance>();
    for (let i = 0; i < unique.length; i += INSTANCE_IDS_PER_CALL) {
      for (const instance of await this.describeBatch(unique.slice(i, i + INSTANCE_IDS_PER_CALL))) {
        found.set(instance.instanceId, instance);
      }
    }
    // In the order asked, so callers (and their tests) see a stable order whatever EC2's reservations.
    return unique.flatMap((id) => found.get(id) ?? []);
  }

  /** The known instances of `batch`, dropping the IDs EC2 names as unknown. */
  private async describeBatch(batch: string[]): Promise<Ec2Instance[]> {
    let remaining = batch;
    while (remaining.length > 0) {
      try {
        return await this.describePages(remaining);
      } catch (error) {
        if (!isUnknownId(error)) throw toEc2InstancesError(error);
        const named = new Set(idsNamedIn(awsErrorMessage(error), remaining));
        if (named.size === 0) return this.describeOneByOne(remaining);
        remaining = remaining.filter((id) => !named.has(id));
      }
    }
    return [];
  }

  /** Last resort when EC2 does not say which ID it refused: one call per ID. */
  private async describeOneByOne(ids: string[]): Promise<Ec2Instance[]> {
    const found: Ec2Instance[] = [];
    for (const id of ids) {
      try {
        found.push(...(await this.describePages([id])));
      } catch (error) {
        if (!isUnknownId(error)) throw toEc2InstancesError(error);
      }
    }
    return found;
  }

  /** All pages of one `DescribeInstances` question; SDK errors are thrown as they are. */
  private async describePages(ids: string[]): Promise<Ec2Instance[]> {
    const found: Ec2Instance[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_INSTANCE_PAGES; page++) {
      // No MaxResults: EC2 refuses it together with InstanceIds.
      const output = await this.client.send(
        new DescribeInstancesCommand({ InstanceIds: ids, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      for (const reservation of output.Reservations ?? []) {
        for (const sdk of reservation.Instances ?? []) {
          const instance = toEc2Instance(sdk);
          if (instance) found.push(instance);
        }
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) return found;
    }
    throw new Ec2InstancesError('Unavailable', `DescribeInstances: more than ${MAX_INSTANCE_PAGES} pages`);
  }
}
