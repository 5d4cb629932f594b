import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../../ports/clock';

/** Assumed-role credentials are renewed this long before they expire. */
export const ASSUMED_ROLE_REFRESH_MARGIN_MS = 5 * 60_000;

/** Session length asked for (AssumeRole's default and the minimum every role allows is 1 h). */
export const ASSUMED_ROLE_SESSION_SECONDS = 3_600;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * Credentials of `roleArn`, assumed with the function's own role, for the AWS metric sources of a
 * cluster whose queues and metrics live in another account (or behind a narrower role). Cached until
 * shortly before they expire; concurrent callers share one AssumeRole call.
 *
 * @example
 * const sqs = new SQSClient({ region, credentials: assumedRoleCredentials({ sts, roleArn, sessionName: 'tideplane-kube-1', clock }) });
 */
export function assumedRoleCredentials(options: {
  sts: STSClient;
  roleArn: string;
  sessionName: string;
  clock: Clock;
}): () => Promise<AwsCredentials> {
  let current: Promise<AwsCredentials> | undefined;
  const fresh = async (): Promise<AwsCredentials> => {
    const output = await options.sts.send(
      new AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName,
        DurationSeconds: ASSUMED_ROLE_SESSION_SECONDS,
      }),
    );
    const c = output.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole of ${options.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration),
    };
  };
  return async () => {
    const cached = current ? await current.catch(() => undefined) : undefined;
    if (cached && cached.expiration.getTime() - ASSUMED_ROLE_REFRESH_MARGIN_MS > options.clock.now())
      return cached;
    current = fresh();
    return current;
  };
}
