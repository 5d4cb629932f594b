import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Context } from 'aws-lambda';
import { AwsAlarms } from '../../shared/adapters/aws/alarms';
import { AUTO_SCALING_CLIENT_RETRY, AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { AwsEc2Instances } from '../../shared/adapters/aws/ec2-instances';
import { AwsEks } from '../../shared/adapters/aws/eks';
import { AwsGroupUpdates } from '../../shared/adapters/aws/group-updates';
import { AwsLaunchTemplates } from '../../shared/adapters/aws/launch-templates';
import { AwsLoadBalancing } from '../../shared/adapters/aws/load-balancing';
import { HttpsApiServerProbe } from '../../shared/adapters/kubernetes/api-server-probe';
import { PrometheusCollector } from '../../shared/adapters/metrics/prometheus';
import type { Ladder } from '../../shared/controlplane/ladder';
import type { Ec2ControlPlanePorts } from '../../shared/loops/control-plane-deps';
import { EKS_TIERS } from '../../shared/ports/eks';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import { type ClusterWiring, clusterWiring, connectWiredCluster } from '../../shared/runtime/cluster-wiring';
import {
  type ControlPlaneInvocationResponse,
  runControlPlaneInvocation,
} from '../../shared/runtime/control-plane-invocation';
import { reusable } from '../../shared/runtime/function-environment';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import { systemClock } from '../../shared/runtime/system-clock';

const log = powertoolsLogger('tideplane-control-plane');
/** CloudWatch metrics as EMF log lines: the control plane's size (the EKS utilization alarm divides by it). */
const metrics = new Metrics({ serviceName: 'tideplane-control-plane' });

/**
 * EKS's API request concurrency (seats) per Provisioned Control Plane tier, as EKS documents it; the
 * utilization alarm divides the seats in use by the current tier's. `standard` scales by itself: it gets
 * the XL tier's figure, so "busy for standard" means "would keep an XL busy".
 */
export const EKS_SEAT_CAPACITY: Readonly<Record<string, number>> = {
  standard: 1700,
  'tier-xl': 1700,
  'tier-2xl': 3400,
  'tier-4xl': 6800,
  'tier-8xl': 13600,
};

interface Wiring extends ClusterWiring {
  alarms: AwsAlarms;
  eks?: AwsEks;
  ec2Client: EC2Client;
  autoScalingClient: AutoScalingClient;
  connection?: () => Promise<{ kubernetes: KubernetesPort; aws?: Ec2ControlPlanePorts }>;
  ladderCache: { ladder?: Ladder };
}

let wiring: Wiring | undefined;

function wire(): Wiring {
  if (wiring) return wiring;
  const base = clusterWiring();
  const region = base.region;
  wiring = {
    ...base,
    alarms: new AwsAlarms(new CloudWatchClient({ region, ...AUTO_SCALING_CLIENT_RETRY })),
    ...(base.config.cluster.controlPlane?.eks
      ? { eks: new AwsEks(new EKSClient({ region, ...AUTO_SCALING_CLIENT_RETRY })) }
      : {}),
    ec2Client: new EC2Client({ region, ...AUTO_SCALING_CLIENT_RETRY }),
    autoScalingClient: new AutoScalingClient({ region, ...AUTO_SCALING_CLIENT_RETRY }),
    ladderCache: {},
  };
  return wiring;
}

async function connect(
  w: Wiring,
  functionName: string,
): Promise<{ kubernetes: KubernetesPort; aws?: Ec2ControlPlanePorts }> {
  const cluster = await connectWiredCluster(w, functionName, log);
  const settings = w.config.cluster.controlPlane;
  if (!settings?.ec2) return { kubernetes: cluster.kubernetes };
  // Each new API server is asked directly, with the CA and name the cluster's own endpoint uses.
  const current = cluster.client.kubeConfig.getCurrentCluster();
  const caPem = current?.caData ? Buffer.from(current.caData, 'base64').toString('utf8') : '';
  const servername = current?.server ? new URL(current.server).hostname : undefined;
  return {
    kubernetes: cluster.kubernetes,
    aws: {
      autoScaling: new AwsAutoScaling({ autoScaling: w.autoScalingClient, ec2: w.ec2Client }),
      groupUpdates: new AwsGroupUpdates(w.autoScalingClient),
      launchTemplates: new AwsLaunchTemplates(w.ec2Client),
      ec2: new Ec2Adapter(w.ec2Client),
      instances: new AwsEc2Instances(w.ec2Client),
      loadBalancing: new AwsLoadBalancing(
        new ElasticLoadBalancingV2Client({ region: w.config.region, ...AUTO_SCALING_CLIENT_RETRY }),
      ),
      probe: new HttpsApiServerProbe({
        caPem,
        port: settings.ec2.readyzPort,
        ...(servername ? { servername } : {}),
      }),
    },
  };
}

function latencyQuery(w: Wiring): (() => Promise<number | undefined>) | undefined {
  const prometheus = w.config.cluster.controlPlane?.latency?.prometheus;
  if (!prometheus) return undefined;
  const collector = new PrometheusCollector();
  return async () => {
    const sample = await collector.instantQuery(
      prometheus.url,
      prometheus.query,
      systemClock.now(),
      AbortSignal.timeout(5_000),
    );
    return sample.milliValue / 1000;
  };
}

/**
 * The control-plane function: one per cluster, started every minute by EventBridge Scheduler with
 * `{"cluster": "<name>"}`, at once by its CloudWatch alarms (alarm action) or their state-change
 * events, or from the Lambda console with a test event (see README).
 */
export async function handler(event: unknown, context: Context): Promise<ControlPlaneInvocationResponse> {
  const w = wire();
  log.raw.addContext(context);
  w.connection ??= reusable(() => connect(w, context.functionName));
  const latency = latencyQuery(w);
  const response = await runControlPlaneInvocation(event, {
    config: w.config,
    connect: w.connection,
    ...(w.eks ? { eks: w.eks } : {}),
    alarms: w.alarms,
    ...(latency ? { latency } : {}),
    state: w.state,
    clock: systemClock,
    log,
    owner: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
    ladderCache: w.ladderCache,
  });
  if (response.ok) {
    log.info('invocation done', { status: response.status, summary: response.summary });
    publishMetrics(w, response);
  } else {
    log.warn('event refused', { error: response.error });
  }
  return response;
}

function publishMetrics(w: Wiring, response: Extract<ControlPlaneInvocationResponse, { ok: true }>): void {
  metrics.addDimension('cluster', response.cluster);
  const last = response.ticks.at(-1);
  if (last?.currentVcpus !== undefined)
    metrics.addMetric('ControlPlaneVcpus', MetricUnit.Count, last.currentVcpus);
  if (last?.current !== undefined && last.kind === 'eks') {
    const seats =
      w.config.cluster.controlPlane?.eks?.seatCapacity?.[last.current] ?? EKS_SEAT_CAPACITY[last.current];
    if (seats !== undefined) metrics.addMetric('ControlPlaneSeatCapacity', MetricUnit.Count, seats);
    metrics.addMetric(
      'ControlPlaneTier',
      MetricUnit.Count,
      (EKS_TIERS as readonly string[]).indexOf(last.current),
    );
  }
  const failures = response.ticks.filter((tick) => tick.finished && tick.finished.outcome !== 'done').length;
  metrics.addMetric('ControlPlaneSwapFailures', MetricUnit.Count, failures);
  metrics.addMetric(
    'ControlPlaneSwapsStarted',
    MetricUnit.Count,
    response.ticks.filter((t) => t.decision?.action === 'swap').length,
  );
  metrics.publishStoredMetrics();
}
