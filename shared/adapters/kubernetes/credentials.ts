/**
 * From a cluster's configured access (`ClusterAccess` in shared/config/schema.ts) to a connected
 * Kubernetes adapter and custom/external metrics source:
 *
 *   kind `kubeconfig`  the Secrets Manager secret holds a kubeconfig (its current context is used);
 *   kind `token`       the secret holds a bearer token for `endpoint` (re-read after SECRET_CACHE_TTL_MS
 *                      or after the API server answered 401, so a rotated token is picked up);
 *   kind `eks`         an IAM token minted in-process from the function's credentials (eks-token.ts).
 *
 * Secret values never reach a log line or an error message.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { ClusterAccess } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import { type Logger, silentLogger } from '../../ports/logger';
import { KubernetesMetricsApiSource } from '../metrics/kubernetes-metrics-api';
import { KubernetesAdapter, type KubernetesAdapterOptions } from './adapter';
import { createKubeClient, type KubeClient, type KubeClientOptions } from './client';
import { type AwsCredentialsProvider, type CachingTokenProvider, createEksTokenProvider } from './eks-token';

/** How long a bearer token read from Secrets Manager is reused before it is read again. */
export const SECRET_CACHE_TTL_MS = 5 * 60_000;

export interface ClusterAccessDeps {
  /** The cluster's region: the EKS token's STS endpoint and the default credentials' region. */
  region: string;
  /** Reads `kubeconfig` and `token` secrets (GetSecretValue with SecretId = the configured ARN). */
  secretsManager: SecretsManagerClient;
  /**
   * Signs EKS tokens. Default: the SDK's default credential chain (environment, web identity, the
   * Lambda role, ...), as an STS client in `region` resolves it.
   */
  awsCredentials?: AwsCredentialsProvider;
  clock: Clock;
  logger?: Logger;
  /** Request timeout and counter of the Kubernetes client. */
  client?: Omit<KubeClientOptions, 'onUnauthorized'>;
  adapter?: KubernetesAdapterOptions;
}

/** One cluster's connected adapters. Reuse it across ticks and warm invocations; `close()` at the end. */
export interface ClusterConnection {
  readonly client: KubeClient;
  readonly kubernetes: KubernetesAdapter;
  readonly metrics: KubernetesMetricsApiSource;
  close(): Promise<void>;
}

/**
 * The string value of a secret (SecretString, or SecretBinary as UTF-8).
 *
 * @example const kubeconfig = await readSecretString(secretsManager, 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod-kubeconfig-AbCdEf');
 */
export async function readSecretString(
  secretsManager: SecretsManagerClient,
  secretArn: string,
): Promise<string> {
  const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (typeof output.SecretString === 'string') return output.SecretString;
  if (output.SecretBinary) return Buffer.from(output.SecretBinary).toString('utf8');
  throw new Error(`secret ${secretArn} has no value`);
}

/** A bearer token read from a secret, cached for `SECRET_CACHE_TTL_MS`, dropped on `invalidate()`. */
export function createSecretTokenProvider(
  secretsManager: SecretsManagerClient,
  secretArn: string,
  clock: Clock,
): CachingTokenProvider {
  let cached: { token: string; readAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const token = (await readSecretString(secretsManager, secretArn)).trim();
    if (!token) throw new Error(`secret ${secretArn} is empty`);
    cached = { token, readAt: clock.now() };
    return token;
  };
  const provider = async (): Promise<string> => {
    if (cached && clock.now() - cached.readAt < SECRET_CACHE_TTL_MS) return cached.token;
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  return Object.assign(provider, {
    invalidate: () => {
      cached = undefined;
    },
  });
}

/** The SDK's default credential chain, resolved as an STS client in `region` would. */
export function defaultAwsCredentials(region: string): AwsCredentialsProvider {
  const sts = new STSClient({ region });
  return async () => {
    const identity = await sts.config.credentials();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken,
      expiration: identity.expiration,
    };
  };
}

/**
 * The Kubernetes client for a cluster's configured access.
 *
 * @example
 *   const client = await createKubeClientForAccess(cluster.access, { region: 'eu-central-1', secretsManager, clock: systemClock });
 */
export async function createKubeClientForAccess(
  access: ClusterAccess,
  deps: ClusterAccessDeps,
): Promise<KubeClient> {
  const logger = deps.logger ?? silentLogger;
  switch (access.kind) {
    case 'kubeconfig': {
      const kubeconfig = await readSecretString(deps.secretsManager, access.secretArn);
      logger.debug('kubernetes access from kubeconfig secret', { secretArn: access.secretArn });
      return createKubeClient({ kubeconfig }, deps.client);
    }
    case 'token': {
      const token = createSecretTokenProvider(deps.secretsManager, access.secretArn, deps.clock);
      await token(); // fail at connect time, not on the first request, when the secret is unreadable
      logger.debug('kubernetes access with token secret', {
        endpoint: access.endpoint,
        secretArn: access.secretArn,
      });
      return createKubeClient(
        { server: access.endpoint, token, caData: access.caData },
        { ...deps.client, onUnauthorized: token.invalidate },
      );
    }
    case 'eks': {
      const token = createEksTokenProvider({
        clusterName: access.clusterName,
        region: deps.region,
        credentials: deps.awsCredentials ?? defaultAwsCredentials(deps.region),
        clock: deps.clock,
      });
      logger.debug('kubernetes access with EKS IAM token', {
        endpoint: access.endpoint,
        cluster: access.clusterName,
      });
      return createKubeClient(
        { server: access.endpoint, token, caData: access.caData },
        { ...deps.client, onUnauthorized: token.invalidate },
      );
    }
  }
}

/**
 * Connects to a cluster: the Kubernetes port and the custom/external metrics source over one client
 * (one connection pool, one request counter).
 *
 * @example
 *   const cluster = await connectCluster(config.access, { region, secretsManager, clock: systemClock });
 *   const pods = await cluster.kubernetes.listPods();
 */
export async function connectCluster(
  access: ClusterAccess,
  deps: ClusterAccessDeps,
): Promise<ClusterConnection> {
  const client = await createKubeClientForAccess(access, deps);
  const kubernetes = new KubernetesAdapter(client, deps.adapter);
  const metrics = new KubernetesMetricsApiSource(client, { resolver: kubernetes.resolver });
  return { client, kubernetes, metrics, close: () => client.close() };
}
