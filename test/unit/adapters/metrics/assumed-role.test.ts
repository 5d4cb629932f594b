import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ASSUMED_ROLE_REFRESH_MARGIN_MS,
  ASSUMED_ROLE_SESSION_SECONDS,
  assumedRoleCredentials,
} from '../../../../shared/adapters/metrics/assumed-role';
import { FakeClock } from '../../../support/fake-clock';

const ROLE = 'arn:aws:iam::210987654321:role/tideplane-metrics';
const START = Date.UTC(2026, 10, 25, 12, 0, 0);
const sts = mockClient(STSClient);

const answer = (key: string, expiresAt: number) => ({
  Credentials: {
    AccessKeyId: key,
    SecretAccessKey: `${key}-secret`,
    SessionToken: `${key}-token`,
    Expiration: new Date(expiresAt),
  },
});

describe('assumedRoleCredentials', () => {
  beforeEach(() => sts.reset());

  it('given a role, should assume it once with the cluster’s session name and reuse the credentials', async () => {
    sts.on(AssumeRoleCommand).resolves(answer('AKIA1', START + 3_600_000));
    const clock = new FakeClock(START);
    const provider = assumedRoleCredentials({
      sts: new STSClient({}),
      roleArn: ROLE,
      sessionName: 'tideplane-kube-1',
      clock,
    });
    const [a, b] = await Promise.all([provider(), provider()]);
    clock.advance(30 * 60_000);
    const c = await provider();
    expect([a.accessKeyId, b.accessKeyId, c.accessKeyId]).toEqual(['AKIA1', 'AKIA1', 'AKIA1']);
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'tideplane-kube-1', DurationSeconds: ASSUMED_ROLE_SESSION_SECONDS },
    ]);
  });

  it('given the credentials are about to expire, should assume the role again', async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(answer('AKIA1', START + 3_600_000))
      .resolvesOnce(answer('AKIA2', START + 7_200_000));
    const clock = new FakeClock(START);
    const provider = assumedRoleCredentials({
      sts: new STSClient({}),
      roleArn: ROLE,
      sessionName: 's',
      clock,
    });
    await provider();
    clock.advance(3_600_000 - ASSUMED_ROLE_REFRESH_MARGIN_MS + 1);
    expect((await provider()).accessKeyId).toBe('AKIA2');
  });

  it('given AssumeRole fails, should fail this call and try again on the next', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      )
      .resolves(answer('AKIA3', START + 3_600_000));
    const provider = assumedRoleCredentials({
      sts: new STSClient({}),
      roleArn: ROLE,
      sessionName: 's',
      clock: new FakeClock(START),
    });
    await expect(provider()).rejects.toThrow('sts:AssumeRole');
    expect((await provider()).accessKeyId).toBe('AKIA3');
  });
});

describe('createMetricSources with basic auth for Prometheus', () => {
  it('given a secret that is not {"username","password"}, should name the secret and not leak its value', async () => {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const { createMetricSources } = await import('../../../../shared/adapters/metrics/metric-sources');
    const secrets = mockClient(SecretsManagerClient);
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:prom-basic-AbCdEf';
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"hunter2"}' });
    const fallback = {
      getPodsMetric: async () => ({ ok: true as const, value: [] }),
      getObjectMetric: async () => ({ ok: true as const, value: { milliValue: 0, timestamp: 0 } }),
      getExternalMetric: async () => ({ ok: true as const, value: [] }),
    };
    const build = createMetricSources(
      { prometheus: { url: 'https://prometheus.example', basicAuthSecretArn: arn } },
      { fallback, secretsManager: new SecretsManagerClient({}), clock: new FakeClock(START) },
    );
    await expect(build).rejects.toThrow(`secret ${arn} needs string fields "username" and "password"`);
    await expect(build).rejects.not.toThrow('hunter2');
    secrets.restore();
  });
});
