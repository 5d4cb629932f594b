/**
 * The simulated world of one scenario: the virtual clock, the cluster, the cloud, the metric source, the
 * simulated AWS services metric collectors talk to (SQS, CloudWatch) and an in-memory state store, wired
 * together and brought to the scenario's starting point.
 */
import { scaleTargetKeyString } from '../ports/kubernetes';
import { SimCloud } from './cloud';
import { SimCluster } from './cluster';
import { SimMetrics } from './metrics';
import type { Scenario } from './scenario';
import { albLoadBalancerName, SimCloudWatch } from './sim-cloudwatch';
import { SimSqs } from './sim-sqs';
import { SimStateStore } from './state-store';
import { createTrace } from './traces';
import { VirtualClock } from './virtual-clock';
import { WORKLOAD_DEFAULTS, workloadKey } from './workload';

/**
 * Everything a loop needs to run against the simulator, behind the real ports: `cluster` is the
 * `KubernetesPort`, `metrics` the `MetricSource` (the Kubernetes custom and external metrics APIs),
 * `cloud` the `AutoScalingPort`, `state` the `StateStore` and `clock` the `Clock`. `sqs` and `cloudwatch`
 * are simulated AWS services behind objects typed as the SDK clients, for the real metric collectors
 * (`sqs.client(region)`, `cloudwatch.client(region)`): SQS serves the queue workers' backlogs, CloudWatch
 * the ALB request metrics of the other workloads (see sim-sqs.ts and sim-cloudwatch.ts).
 *
 * @example
 * const world = createSimWorld(createDefaultDayScenario());
 * await world.cluster.listPods(); // the day's first pods, Ready
 */
export class SimWorld {
  readonly clock: VirtualClock;
  readonly cluster: SimCluster;
  readonly cloud: SimCloud;
  readonly metrics: SimMetrics;
  readonly sqs: SimSqs;
  readonly cloudwatch: SimCloudWatch;
  readonly state: SimStateStore;

  constructor(readonly scenario: Scenario) {
    this.clock = new VirtualClock(scenario.start);
    this.cluster = new SimCluster({
      clock: this.clock,
      seed: scenario.seed,
      ...(scenario.scheduling ? { scheduling: scenario.scheduling } : {}),
    });
    this.cloud = new SimCloud({
      clock: this.clock,
      cluster: this.cluster,
      seed: scenario.seed,
      ...(scenario.region ? { region: scenario.region } : {}),
    });
    this.metrics = new SimMetrics(this.cluster);
    this.state = new SimStateStore(this.clock);
    for (const group of scenario.nodeGroups) this.cloud.addGroup(group);
    const traceContext = {
      start: scenario.start,
      utcOffsetMinutes: scenario.utcOffsetMinutes,
      seed: scenario.seed,
    };
    for (const service of scenario.services) {
      const { load, autoscaler, autoscalerKind, autoscalerAnnotations, ...workload } = service;
      const key = workloadKey(service.namespace, service.name);
      this.cluster.addWorkload(
        { ...workload, load: createTrace(load, { ...traceContext, name: key }) },
        { warm: true },
      );
      if (autoscaler) {
        this.cluster.addAutoscaler({
          kind: autoscalerKind ?? 'HorizontalAutoscaler',
          namespace: service.namespace,
          name: service.name,
          ...(autoscalerAnnotations ? { annotations: autoscalerAnnotations } : {}),
          spec: {
            ...autoscaler,
            scaleTargetRef: autoscaler.scaleTargetRef ?? {
              apiVersion: service.apiVersion ?? WORKLOAD_DEFAULTS.apiVersion,
              kind: service.kind ?? WORKLOAD_DEFAULTS.kind,
              name: service.name,
            },
          },
        });
      }
    }
    const region = scenario.region ?? this.cloud.region;
    this.sqs = new SimSqs({ cluster: this.cluster, region });
    this.cloudwatch = new SimCloudWatch({
      cluster: this.cluster,
      region,
      loadBalancer: albLoadBalancerName(scenario.clusterName),
    });
    this.reconcile();
  }

  /** Brings cloud and cluster to the clock's time (and lets CloudWatch record what happened). */
  reconcile(): void {
    this.cloud.reconcile();
    this.cluster.reconcile();
    this.cloudwatch.observe();
  }

  /** When the world next changes by itself (Infinity if never). */
  nextEventAt(): number {
    return Math.min(this.cloud.nextEventAt(), this.cluster.nextEventAt());
  }

  /** The `getScales` key of a service's workload. */
  targetKey(namespace: string, name: string): string {
    const record = this.cluster.workloadRecord(workloadKey(namespace, name));
    if (!record) throw new Error(`no workload ${namespace}/${name}`);
    return scaleTargetKeyString({ namespace, apiVersion: record.apiVersion, kind: record.kind, name });
  }
}

/** Builds the world of a scenario at its start time. */
export function createSimWorld(scenario: Scenario): SimWorld {
  return new SimWorld(scenario);
}
