import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { KubernetesVpaAdapter } from '../../shared/adapters/kubernetes/vertical-pod-autoscalers';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import type { VpaPort } from '../../shared/ports/vertical-pod-autoscalers';
import { type ClusterWiring, clusterWiring, connectWiredCluster } from '../../shared/runtime/cluster-wiring';
import { reusable } from '../../shared/runtime/function-environment';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';
import { publishTickMetrics } from '../../shared/runtime/tick-metrics';
import { runVpaInvocation, type VpaInvocationResponse } from '../../shared/runtime/vpa-invocation';

const log = powertoolsLogger('tideplane-vpa');
/** CloudWatch metrics as EMF log lines (no API calls): what the loop did, per cluster. */
const metrics = new Metrics({ serviceName: 'tideplane-vpa' });

interface Wiring extends ClusterWiring {
  connection?: () => Promise<{ kubernetes: KubernetesPort; vpas: VpaPort }>;
}

let wiring: Wiring | undefined;

async function connect(
  w: Wiring,
  functionName: string,
): Promise<{ kubernetes: KubernetesPort; vpas: VpaPort }> {
  const cluster = await connectWiredCluster(w, functionName, log);
  return { kubernetes: cluster.kubernetes, vpas: new KubernetesVpaAdapter(cluster.client) };
}

/**
 * The VPA function: one per cluster with `vpa`, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, or from the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<VpaInvocationResponse> {
  wiring ??= clusterWiring();
  const w = wiring;
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
