import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { AUTO_SCALING_CLIENT_RETRY, AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import { type ClusterWiring, clusterWiring, connectWiredCluster } from '../../shared/runtime/cluster-wiring';
import { reusable } from '../../shared/runtime/function-environment';
import {
  type NodePoolInvocationResponse,
  runNodePoolInvocation,
} from '../../shared/runtime/node-pool-invocation';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';

const log = powertoolsLogger('tideplane-node-pools');
/** CloudWatch metrics as EMF log lines (no API calls): what the loop did, per cluster. */
const metrics = new Metrics({ serviceName: 'tideplane-node-pools' });

interface Wiring extends ClusterWiring {
  autoScaling: AwsAutoScaling;
  ec2: Ec2Adapter;
  connection?: () => Promise<{ kubernetes: KubernetesPort }>;
}

let wiring: Wiring | undefined;

/** Built once per cold start; clients, the instance-type cache and the cluster connection are reused. */
function wire(): Wiring {
  if (wiring) return wiring;
  const base = clusterWiring();
  const ec2Client = new EC2Client({ region: base.region, ...AUTO_SCALING_CLIENT_RETRY });
  wiring = {
    ...base,
    autoScaling: new AwsAutoScaling({
      autoScaling: new AutoScalingClient({ region: base.region, ...AUTO_SCALING_CLIENT_RETRY }),
      ec2: ec2Client,
    }),
    ec2: new Ec2Adapter(ec2Client),
  };
  return wiring;
}

async function connect(w: Wiring, functionName: string): Promise<{ kubernetes: KubernetesPort }> {
  const cluster = await connectWiredCluster(w, functionName, log);
  return { kubernetes: cluster.kubernetes };
}

/**
 * The node-pool function: one per cluster, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, at once by Auto Scaling's `EC2 Instance Launch Unsuccessful` events, or from
 * the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<NodePoolInvocationResponse> {
  const w = wire();
  log.raw.addContext(context);
  w.connection ??= reusable(() => connect(w, context.functionName));
  const response = await runNodePoolInvocation(event, {
    config: w.config,
    autoScaling: w.autoScaling,
    ec2: w.ec2,
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

function publishMetrics(response: Extract<NodePoolInvocationResponse, { ok: true }>): void {
  metrics.addDimension('cluster', response.cluster);
  const total = (pick: (t: (typeof response.ticks)[number]) => number) =>
    response.ticks.reduce((sum, tick) => sum + pick(tick), 0);
  metrics.addMetric('Ticks', MetricUnit.Count, response.ticks.length);
  metrics.addMetric(
    'NodesRequested',
    MetricUnit.Count,
    total((t) => t.increases.reduce((sum, i) => sum + (i.result === 'applied' ? i.to - i.from : 0), 0)),
  );
  metrics.addMetric(
    'FailedScaleUps',
    MetricUnit.Count,
    total((t) => t.failures.length),
  );
  metrics.addMetric('UnplaceablePods', MetricUnit.Count, response.ticks.at(-1)?.unplaceable.length ?? 0);
  metrics.addMetric('LeaseHeld', MetricUnit.Count, response.status === 'lease-held' ? 1 : 0);
  metrics.publishStoredMetrics();
}
