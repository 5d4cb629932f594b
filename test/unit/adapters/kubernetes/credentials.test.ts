import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectCluster,
  createKubeClientForAccess,
  createSecretTokenProvider,
  readSecretString,
  SECRET_CACHE_TTL_MS,
} from '../../../../shared/adapters/kubernetes/credentials';
import type { Clock } from '../../../../shared/ports/clock';
import type { Logger } from '../../../../shared/ports/logger';

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod-kube-AbCdEf';
const secretsMock = mockClient(SecretsManagerClient);
const secretsManager = new SecretsManagerClient({ region: 'eu-central-1' });

const clockAt = (start: number): Clock & { advance(ms: number): void } => {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
};

/** A logger that records everything, to prove secrets never reach it. */
const recordingLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const log = (message: string, attributes?: Record<string, unknown>) =>
    void lines.push(`${message} ${JSON.stringify(attributes ?? {})}`);
  return { lines, debug: log, info: log, warn: log, error: log };
};

const KUBECONFIG = `
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: ${Buffer.from('not-a-real-ca').toString('base64')}
users:
- name: tideplane
  user:
    token: kubeconfig-secret-token
contexts:
- name: prod
  context: { cluster: prod, user: tideplane }
current-context: prod
`;

afterEach(() => secretsMock.reset());

describe('readSecretString', () => {
  it('should ask GetSecretValue for the configured ARN and return its string', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'value' });
    expect(await readSecretString(secretsManager, ARN)).toBe('value');
    const calls = secretsMock.commandCalls(GetSecretValueCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ SecretId: ARN });
  });

  it('should decode a binary secret as UTF-8 and reject an empty one', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretBinary: Buffer.from('bin') })
      .resolvesOnce({});
    expect(await readSecretString(secretsManager, ARN)).toBe('bin');
    await expect(readSecretString(secretsManager, ARN)).rejects.toThrow(/has no value/);
  });
});

describe('createSecretTokenProvider', () => {
  it('should cache the token for SECRET_CACHE_TTL_MS, then read the secret again', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'one\n' })
      .resolvesOnce({ SecretString: 'two' });
    const clock = clockAt(0);
    const token = createSecretTokenProvider(secretsManager, ARN, clock);
    expect(await token()).toBe('one');
    clock.advance(SECRET_CACHE_TTL_MS - 1);
    expect(await token()).toBe('one');
    clock.advance(1);
    expect(await token()).toBe('two');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('should read the secret again after invalidate() (the API server answered 401)', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'old' })
      .resolvesOnce({ SecretString: 'new' });
    const token = createSecretTokenProvider(secretsManager, ARN, clockAt(0));
    expect(await token()).toBe('old');
    token.invalidate();
    expect(await token()).toBe('new');
  });
});

describe('createKubeClientForAccess', () => {
  it('should build a client from a kubeconfig secret, using its current context', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KUBECONFIG });
    const logger = recordingLogger();
    const client = await createKubeClientForAccess(
      { kind: 'kubeconfig', secretArn: ARN },
      { region: 'eu-central-1', secretsManager, clock: clockAt(0), logger },
    );
    expect(client.kubeConfig.getCurrentCluster()?.server).toBe('https://prod.example.com:6443');
    expect(client.kubeConfig.getCurrentUser()?.token).toBe('kubeconfig-secret-token');
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN });
    expect(logger.lines.join('\n')).not.toContain('kubeconfig-secret-token');
    await client.close();
  });

  it('should read a token secret at connect time and fail early when it is unreadable', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(
      createKubeClientForAccess(
        { kind: 'token', endpoint: 'https://k.example.com', secretArn: ARN },
        { region: 'eu-central-1', secretsManager, clock: clockAt(0) },
      ),
    ).rejects.toThrow(/AccessDenied/);
  });

  it('should connect an EKS cluster with the injected credentials, without Secrets Manager', async () => {
    let asked = 0;
    const logger = recordingLogger();
    const cluster = await connectCluster(
      {
        kind: 'eks',
        clusterName: 'prod',
        endpoint: 'https://ABC.gr7.eu-central-1.eks.amazonaws.com',
        caData: 'Q0E=',
      },
      {
        region: 'eu-central-1',
        secretsManager,
        clock: clockAt(Date.UTC(2025, 0, 1)),
        logger,
        awsCredentials: async () => {
          asked += 1;
          return { accessKeyId: 'AKID', secretAccessKey: 'very-secret' };
        },
      },
    );
    expect(cluster.client.kubeConfig.getCurrentCluster()?.server).toBe(
      'https://ABC.gr7.eu-central-1.eks.amazonaws.com',
    );
    expect(asked).toBe(0); // the token is minted on the first request, not before
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(logger.lines.join('\n')).not.toContain('very-secret');
    await cluster.close();
  });
});
