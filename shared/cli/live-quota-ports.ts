/**
 * The quota loop's ports on live AWS for `tideplane quotas plan` without `--fixtures`: the adapters the
 * quota function uses, with the default credential chain, behind the plan's write guard. Its own module so
 * an offline plan never loads the AWS SDK clients it does not call.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SupportClient } from '@aws-sdk/client-support';
import { AUTO_SCALING_CLIENT_RETRY, AwsAutoScaling } from '../adapters/aws/auto-scaling';
import { Ec2Adapter } from '../adapters/aws/ec2';
import { awsErrorMessage } from '../adapters/aws/errors';
import { AwsServiceQuotas } from '../adapters/aws/service-quotas';
import { AwsSupportCases } from '../adapters/aws/support-cases';
import { AwsUsageMetrics } from '../adapters/aws/usage-metrics';
import type { QuotaRegion } from '../config/quota-region';
import { usesSupportApi } from '../config/quotas';
import type { QuotaLoopDeps } from '../loops/quota-loop';
import { systemClock } from '../runtime/system-clock';
import { SimStateStore } from '../sim/state-store';
import type { WriteGuard } from './read-only-quota-ports';

/**
 * The AWS adapters the quota function uses, behind the write guard; state in memory (nothing is written,
 * and AWS's request history is read either way).
 *
 * @example const { deps } = liveQuotaDeps(region, new WriteGuard(), consoleLogger('error'));
 */
export function liveQuotaDeps(
  region: QuotaRegion,
  guard: WriteGuard,
  log: QuotaLoopDeps['log'],
): { deps: QuotaLoopDeps; now: () => number; source: string } {
  const config = { region: region.region, ...AUTO_SCALING_CLIENT_RETRY };
  const ec2Client = new EC2Client(config);
  const deps: QuotaLoopDeps = {
    serviceQuotas: guard.serviceQuotas(new AwsServiceQuotas(new ServiceQuotasClient(config))),
    usage: new AwsUsageMetrics(new CloudWatchClient(config), systemClock),
    autoScaling: guard.autoScaling(
      new AwsAutoScaling({ autoScaling: new AutoScalingClient(config), ec2: ec2Client }),
    ),
    ec2: new Ec2Adapter(ec2Client),
    ...(usesSupportApi(region.quotas)
      ? { support: guard.support(new AwsSupportCases(new SupportClient(config))) }
      : {}),
    state: new SimStateStore(systemClock),
    clock: systemClock,
    log,
  };
  return { deps, now: systemClock.now, source: 'live AWS' };
}

/** The default credential chain found no usable credentials. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/**
 * The account of the default credentials: a plan of another account would read the wrong one.
 *
 * @example await callerAccount('eu-central-1') // '123456789012'
 */
export async function callerAccount(region: string): Promise<string> {
  const client = new STSClient({ region });
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('GetCallerIdentity named no account');
    return identity.Account;
  } catch (error) {
    throw new CredentialsError(
      `cannot use AWS credentials: ${awsErrorMessage(error)}\n` +
        '(quotas plan without --fixtures reads the account live; --fixtures <dir> plans recorded accounts offline)',
    );
  } finally {
    client.destroy();
  }
}
