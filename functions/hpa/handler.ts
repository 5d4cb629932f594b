import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { connectCluster } from '../../shared/adapters/kubernetes/credentials';
import { createMetricSources } from '../../shared/adapters/metrics/metric-sources';
import type { ResolvedCluster } from '../../shared/config/load';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import type { MetricSource } from '../../shared/ports/metric-source';
import { readFunctionEnvironment, reusable } from '../../shared/runtime/function-environment';
import { type HpaInvocationResponse, runHpaInvocation } from '../../shared/runtime/hpa-invocation';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';
import { publishTickMetrics } from '../../shared/runtime/tick-metrics';

const log = powertoolsLogger('tideplane-hpa');
/** CloudWatch metrics as EMF log lines (no API calls): what the loop did, per cluster. */
const metrics = new Metrics({ serviceName: 'tideplane-hpa' });

interface Wiring {
  config: ResolvedCluster;
  state: DynamoDbStateStore;
  connection?: () => Promise<{ kubernetes: KubernetesPort; metrics: MetricSource }>;
  secretsManager: SecretsManagerClient;
}

/** The cluster's Kubernetes port and its metric sources (the router over the configured collectors). */
async function connect(
  w: Wiring,
  functionName: string,
): Promise<{ kubernetes: KubernetesPort; metrics: MetricSource }> {
  const cluster = await connectCluster(w.config.cluster.access, {
    region: w.config.region,
    secretsManager: w.secretsManager,
    clock: systemClock,
    logger: log,
    adapter: { reportingInstance: functionName },
  });
  const metrics = await createMetricSources(w.config.cluster.metrics, {
    clusterName: w.config.cluster.name,
    fallback: cluster.metrics,
    secretsManager: w.secretsManager,
    clock: systemClock,
    log,
    kubernetes: cluster.kubernetes,
  });
  return { kubernetes: cluster.kubernetes, metrics };
}

let wiring: Wiring | undefined;

/** Built once per cold start; the cluster connection (and its token cache) is reused while warm. */
function wire(): Wiring {
  if (wiring) return wiring;
  const env = readFunctionEnvironment();
  wiring = {
    config: env.config,
    state: new DynamoDbStateStore({
      client: new DynamoDBClient({ region: env.region }),
      tableName: env.tableName,
      clock: systemClock,
    }),
    secretsManager: new SecretsManagerClient({ region: env.region }),
  };
  return wiring;
}

/**
 * The HPA function: one per cluster, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, or from the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<HpaInvocationResponse> {
  const w = wire();
  log.raw.addContext(context);
  w.connection ??= reusable(() => connect(w, context.functionName));
  const response = await runHpaInvocation(event, {
    config: w.config,
    state: w.state,
    clock: systemClock,
    log,
    owner: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
    connect: w.connection,
  });
  if (response.ok) {
    log.info('invocation done', { status: response.status, summary: response.summary });
    publishMetrics(response);
  } else {
    log.warn('event refused', { error: response.error });
  }
  return response;
}

function publishMetrics(response: Extract<HpaInvocationResponse, { ok: true }>): void {
  publishTickMetrics(metrics, response, {
    Rescales: (t) => t.counts.rescaled,
    FailedAutoscalers: (t) => t.counts.failed,
    SkippedAutoscalers: (t) => t.counts.skipped,
  });
}
