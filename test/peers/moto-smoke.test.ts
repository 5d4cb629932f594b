import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from './harness/moto';

// Proves the moto test peer works end to end: the binary starts, answers the AWS wire protocols the
// later suites rely on (JSON for Secrets Manager, query/XML for Auto Scaling), and resets.
describe('moto test peer', () => {
  let moto: MotoServer;
  let secrets: SecretsManagerClient;
  let autoScaling: AutoScalingClient;

  beforeAll(async () => {
    moto = await startMoto();
    const config = { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials };
    secrets = new SecretsManagerClient(config);
    autoScaling = new AutoScalingClient(config);
  });

  afterAll(async () => {
    secrets?.destroy();
    autoScaling?.destroy();
    await moto?.stop();
  });

  it('given a secret created through the SDK, should read the same value back', async () => {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'tideplane/smoke', SecretString: '{"token":"s3cr3t"}' }),
    );
    expect(created.ARN).toContain('tideplane/smoke');

    const read = await secrets.send(new GetSecretValueCommand({ SecretId: 'tideplane/smoke' }));
    expect(read.SecretString).toBe('{"token":"s3cr3t"}');
    expect(read.ARN).toBe(created.ARN);
  });

  it('given a fresh account, should list no Auto Scaling groups', async () => {
    const groups = await autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
    expect(groups.AutoScalingGroups).toEqual([]);
  });

  it('given a reset, should forget the secret', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'tideplane/reset', SecretString: 'x' }));
    await moto.reset();
    await expect(
      secrets.send(new GetSecretValueCommand({ SecretId: 'tideplane/reset' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
