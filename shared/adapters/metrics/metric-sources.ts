import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import type { MetricSourcesConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { MetricSource } from '../../ports/metric-source';
import { readSecretString } from '../kubernetes/credentials';
import { assumedRoleCredentials } from './assumed-role';
import { CloudWatchCollector } from './cloudwatch';
import type { Collector } from './collector';
import { InfluxDbCollector } from './influxdb';
import { JsonPathCollector } from './json-path';
import { PrometheusCollector } from './prometheus';
import { type IngressRoutingReader, RequestsPerSecondCollector } from './requests-per-second';
import { MetricRouter } from './router';
import { type ScalingScheduleReader, ScheduledScalingCollector } from './scheduled-scaling';
import { SqsQueueLengthCollector } from './sqs-queue-length';

export interface MetricSourcesDeps {
  /** Metrics no collector claims: the Kubernetes custom/external metrics APIs. */
  fallback: MetricSource;
  secretsManager: SecretsManagerClient;
  clock: Clock;
  log?: Logger;
  /**
   * The cluster's `KubernetesAdapter`: reads Ingresses and RouteGroups for the `requests-per-second`
   * collector (without it that collector is off and those metrics fall back) and, when it has
   * `getScalingSchedule`, the ScalingSchedule / ClusterScalingSchedule objects that `scheduled-scaling`
   * Object metrics describe (without it those answer NotServed; the annotation form still works).
   */
  kubernetes?: IngressRoutingReader & Partial<ScalingScheduleReader>;
  /** Assumes `awsRoleArn` when the config names one; default an STS client of the function's region. */
  sts?: STSClient;
  /** Names the assumed-role session (`tideplane-<cluster>`), so CloudTrail tells clusters apart. */
  clusterName?: string;
}

/**
 * The HPA loop's MetricSource for one cluster: the router over the collectors the cluster's config turns
 * on (each with its credentials read once from Secrets Manager), falling back to the Kubernetes
 * custom/external metrics APIs for everything else.
 *
 * @example
 * const metrics = await createMetricSources(cluster.metrics, { fallback, secretsManager, clock, kubernetes });
 */
export async function createMetricSources(
  config: MetricSourcesConfig | undefined,
  deps: MetricSourcesDeps,
): Promise<MetricRouter> {
  const lookup = deps.kubernetes?.getScalingSchedule?.bind(deps.kubernetes);
  const collectors: Collector[] = [new ScheduledScalingCollector(lookup ? { lookup } : {})];
  if (config?.prometheus) {
    const { url, bearerTokenSecretArn, basicAuthSecretArn, caData, timeoutMs, requestsPerSecond } =
      config.prometheus;
    const bearerToken = bearerTokenSecretArn
      ? (await readSecretString(deps.secretsManager, bearerTokenSecretArn)).trim()
      : undefined;
    const basicAuth = basicAuthSecretArn
      ? await readBasicAuth(deps.secretsManager, basicAuthSecretArn)
      : undefined;
    const prometheus = new PrometheusCollector({
      url,
      ...(bearerToken ? { bearerToken } : {}),
      ...(basicAuth ? { basicAuth } : {}),
      ...(caData ? { tls: { caPem: pemOf(caData) } } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    collectors.push(prometheus);
    // Queries go through the same collector: same server, credentials, keep-alive agent and checks.
    if (deps.kubernetes && (requestsPerSecond?.enabled ?? true)) {
      collectors.push(
        new RequestsPerSecondCollector({
          reader: deps.kubernetes,
          prometheus,
          ...(requestsPerSecond?.queryTemplate ? { queryTemplate: requestsPerSecond.queryTemplate } : {}),
        }),
      );
    }
  }
  if (config?.influxdb) {
    const { url, tokenSecretArn, caData, org, database, language, timeoutMs } = config.influxdb;
    const token = tokenSecretArn
      ? (await readSecretString(deps.secretsManager, tokenSecretArn)).trim()
      : undefined;
    collectors.push(
      new InfluxDbCollector({
        url,
        language,
        ...(token ? { token } : {}),
        ...(caData ? { tls: { caPem: pemOf(caData) } } : {}),
        ...(org ? { org } : {}),
        ...(database ? { database } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      }),
    );
  }
  // AWS sources use the function's role, or the role the cluster names (e.g. in the account of its queues).
  const credentials = config?.awsRoleArn
    ? {
        credentials: assumedRoleCredentials({
          sts: deps.sts ?? new STSClient({}),
          roleArn: config.awsRoleArn,
          sessionName: `tideplane-${deps.clusterName ?? 'metrics'}`.slice(0, 64),
          clock: deps.clock,
        }),
      }
    : {};
  if (config?.sqs) {
    collectors.push(
      new SqsQueueLengthCollector({
        clientFor: perRegion((region) => new SQSClient({ region, ...credentials })),
      }),
    );
  }
  if (config?.cloudwatch?.enabled) {
    collectors.push(
      new CloudWatchCollector({
        clientFor: perRegion((region) => new CloudWatchClient({ region, ...credentials })),
      }),
    );
  }
  if (config?.jsonPath?.enabled ?? true) collectors.push(new JsonPathCollector());
  return new MetricRouter({
    collectors,
    fallback: deps.fallback,
    clock: deps.clock,
    ...(deps.log ? { log: deps.log } : {}),
  });
}

/** Config carries CA bundles base64-encoded, like a kubeconfig's certificate-authority-data. */
function pemOf(caData: string): string {
  return Buffer.from(caData, 'base64').toString('utf8');
}

const basicAuthSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** A `{"username": …, "password": …}` secret; the error names the secret, never its value. */
async function readBasicAuth(secretsManager: SecretsManagerClient, secretArn: string) {
  let value: unknown;
  try {
    value = JSON.parse(await readSecretString(secretsManager, secretArn));
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new Error(`secret ${secretArn} is not JSON {"username", "password"}`);
    throw error;
  }
  const parsed = basicAuthSecretSchema.safeParse(value);
  if (!parsed.success) throw new Error(`secret ${secretArn} needs string fields "username" and "password"`);
  return parsed.data;
}

/** One SDK client per region, made on first use and kept for the function's lifetime. */
function perRegion<T>(make: (region: string) => T): (region: string) => T {
  const clients = new Map<string, T>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
}
