import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createMetricSources } from '../../shared/adapters/metrics/metric-sources';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import type { MetricSource } from '../../shared/ports/metric-source';
import { type ClusterWiring, clusterWiring, connectWiredCluster } from '../../shared/runtime/cluster-wiring';
import { reusable } from '../../shared/runtime/function-environment';
import { type HpaInvocationResponse, runHpaInvocation } from '../../shared/runtime/hpa-invocation';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';
import { publishTickMetrics } from '../../shared/runtime/tick-metrics';

const log = powertoolsLogger('tideplane-hpa');
/** CloudWatch metrics as EMF log lines (no API calls): what the loop did, per cluster. */
const metrics = new Metrics({ serviceName: 'tideplane-hpa' });

interface Wiring extends ClusterWiring {
  connection?: () => Promise<{ kubernetes: KubernetesPort; metrics: MetricSource }>;
}

/** The cluster's Kubernetes port and its metric sources (the router over the configured collectors). */
async function connect(
  w: Wiring,
  functionName: string,
): Promise<{ kubernetes: KubernetesPort; metrics: MetricSource }> {
  const cluster = await connectWiredCluster(w, functionName, log);
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

/** Built once per cold start; the cluster connection (and its token cache) is reused while warm. */
let wiring: Wiring | undefined;

/**
 * The HPA function: one per cluster, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, or from the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<HpaInvocationResponse> {
  wiring ??= clusterWiring();
  const w = wiring;
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
