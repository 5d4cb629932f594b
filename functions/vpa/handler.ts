import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { connectCluster } from '../../shared/adapters/kubernetes/credentials';
import { KubernetesVpaAdapter } from '../../shared/adapters/kubernetes/vertical-pod-autoscalers';
import type { ResolvedCluster } from '../../shared/config/load';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import type { VpaPort } from '../../shared/ports/vertical-pod-autoscalers';
import { readFunctionEnvironment, reusable } from '../../shared/runtime/function-environment';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';
import { publishTickMetrics } from '../../shared/runtime/tick-metrics';
import { runVpaInvocation, type VpaInvocationResponse } from '../../shared/runtime/vpa-invocation';

const log = powertoolsLogger('tideplane-vpa');
/** CloudWatch metrics as EMF log lines (no API calls): what the loop did, per cluster. */
const metrics = new Metrics({ serviceName: 'tideplane-vpa' });

interface Wiring {
  config: ResolvedCluster;
  state: DynamoDbStateStore;
  secretsManager: SecretsManagerClient;
  connection?: () => Promise<{ kubernetes: KubernetesPort; vpas: VpaPort }>;
}

let wiring: Wiring | undefined;

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

async function connect(
  w: Wiring,
  functionName: string,
): Promise<{ kubernetes: KubernetesPort; vpas: VpaPort }> {
  const cluster = await connectCluster(w.config.cluster.access, {
    region: w.config.region,
    secretsManager: w.secretsManager,
    clock: systemClock,
    logger: log,
    adapter: { reportingInstance: functionName },
  });
  return { kubernetes: cluster.kubernetes, vpas: new KubernetesVpaAdapter(cluster.client) };
}

/**
 * The VPA function: one per cluster with `vpa`, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, or from the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<VpaInvocationResponse> {
  const w = wire();
  log.raw.addContext(context);
  w.connection ??= reusable(() => connect(w, context.functionName));
  const response = await runVpaInvocation(event, {
    config: w.config,
    connect: w.connection,
    state: w.state,
    clock: systemClock,
    log,
    owner: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  if (response.ok) {
    log.info('invocation done', { status: response.status, summary: response.summary });
    publishMetrics(response);
  } else {
    log.warn('event refused', { error: response.error });
  }
  return response;
}

function publishMetrics(response: Extract<VpaInvocationResponse, { ok: true }>): void {
  publishTickMetrics(metrics, response, {
    VpaStatusWrites: (t) => t.counts.statusWrites,
    VpaTemplatePatches: (t) => t.counts.templatePatches,
    VpaCheckpointWrites: (t) => t.counts.checkpointWrites,
  });
}
