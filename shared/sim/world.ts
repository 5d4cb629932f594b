/**
 * The simulated world of one scenario: the virtual clock, the cluster, the cloud (Auto Scaling and EC2),
 * the metric source, the simulated AWS services metric collectors talk to (SQS, CloudWatch), an in-memory
 * state store, the network plan and the scenario's faults, wired together and brought to the scenario's
 * starting point.
 */
import { type NetworkPlan, planNetwork } from '../network/plan';
import { scaleTargetKeyString } from '../ports/kubernetes';
import { SimCloud } from './cloud';
import { SimCluster } from './cluster';
import { SimControlPlane } from './control-plane/control-plane';
import { SimEc2 } from './ec2';
import {
  type AppliedFault,
  applyFault,
  describeFault,
  FaultEffects,
  type ScenarioFault,
  scheduleFaults,
} from './faults';
import { SimMetrics } from './metrics';
import type { Scenario } from './scenario';
import { SimServiceQuotas } from './service-quotas';
import { albLoadBalancerName, SimCloudWatch } from './sim-cloudwatch';
import { SimSqs } from './sim-sqs';
import { SimStateStore } from './state-store';
import { createTrace } from './traces';
import { SimUsageMetrics } from './usage-metrics';
import { SimVcpuLimits } from './vcpu-limits';
import { VirtualClock } from './virtual-clock';
import { SimVpas } from './vpa-objects';
import { type SimContainerSpec, WORKLOAD_DEFAULTS, workloadKey } from './workload';

/**
 * Everything a loop needs to run against the simulator, behind the real ports: `cluster` is the
 * `KubernetesPort`, `metrics` the `MetricSource` (the Kubernetes custom and external metrics APIs),
 * `cloud` the `AutoScalingPort`, `ec2` the `Ec2Port`, `state` the `StateStore` and `clock` the `Clock`;
 * `network` is the plan of the scenario's pod network, if it has one. `sqs` and `cloudwatch`
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
  readonly ec2: SimEc2;
  readonly network: NetworkPlan | undefined;
  /** The control plane and its load, when the scenario has one (see control-plane/control-plane.ts). */
  readonly controlPlane: SimControlPlane | undefined;
  /** The cluster's VerticalPodAutoscalers and the pod templates they resize (the `VpaPort`). */
  readonly vpas: SimVpas;
  /**
   * When the scenario has quotas: the account's Service Quotas (the `ServiceQuotasPort`), its CloudWatch
   * usage metrics (the `UsageMetricsPort`) and the vCPU accounting that refuses launches beyond them.
   */
  readonly quotas: SimQuotaWorld | undefined;
  /** What the faults did: calls failed in throttling and error windows, Lambda invocations killed. */
  readonly faultEffects = new FaultEffects();
  /** Faults not applied yet, in order. */
  private readonly pendingFaults: ScenarioFault[];
  private readonly faultLog: AppliedFault[] = [];

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
    this.ec2 = new SimEc2();
    this.network = scenario.network ? networkPlanOf(scenario) : undefined;
    this.pendingFaults = scheduleFaults(scenario.faults ?? [], scenario.durationMs);
    this.quotas = scenario.quotas ? createQuotaWorld(this, scenario.seed) : undefined;
    for (const group of scenario.nodeGroups) this.cloud.addGroup(group);
    for (const daemonSet of scenario.daemonSets ?? []) this.cluster.addDaemonSet(daemonSet, { warm: true });
    const traceContext = {
      start: scenario.start,
      utcOffsetMinutes: scenario.utcOffsetMinutes,
      seed: scenario.seed,
    };
    for (const service of scenario.services) {
      const { load, autoscaler, autoscalerKind, autoscalerAnnotations, containers, ...workload } = service;
      const key = workloadKey(service.namespace, service.name);
      this.cluster.addWorkload(
        {
          ...workload,
          containers: containers.map(({ memoryNeed, ...container }): SimContainerSpec => {
            if (!memoryNeed) return container;
            const name = `${key}/${container.name}/memory`;
            return {
              ...container,
              memoryNeed: {
                ...memoryNeed,
                needMi: createTrace(memoryNeed.needMi, { ...traceContext, name }),
              },
            };
          }),
          load: createTrace(load, { ...traceContext, name: key }),
        },
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
    this.vpas = new SimVpas(this.cluster);
    for (const vpa of scenario.vpa?.objects ?? []) this.vpas.addVpa(vpa);
    const region = scenario.region ?? this.cloud.region;
    this.sqs = new SimSqs({ cluster: this.cluster, region });
    this.cloudwatch = new SimCloudWatch({
      cluster: this.cluster,
      region,
      loadBalancer: albLoadBalancerName(scenario.clusterName),
    });
    this.controlPlane = scenario.controlPlane
      ? new SimControlPlane(scenario.controlPlane, {
          clock: this.clock,
          cloud: this.cloud,
          cluster: this.cluster,
          clusterName: scenario.clusterName,
          region,
          accountId: this.cloud.accountId,
          seed: scenario.seed,
          utcOffsetMinutes: scenario.utcOffsetMinutes,
          ec2: this.ec2,
        })
      : undefined;
    this.reconcile();
  }

  /**
   * Brings cloud and cluster to the clock's time (and lets CloudWatch record what happened); faults due
   * by now happen first, as they are what the cloud reacts to.
   */
  reconcile(): void {
    this.applyDueFaults();
    this.cloud.reconcile();
    this.cluster.reconcile();
    this.cloudwatch.observe();
    this.controlPlane?.reconcile();
  }

  /** When the world next changes by itself, a fault included (Infinity if never). */
  nextEventAt(): number {
    const fault = this.pendingFaults[0];
    const faultAt = fault ? this.scenario.start + fault.atMs : Number.POSITIVE_INFINITY;
    return Math.min(
      this.cloud.nextEventAt(),
      this.cluster.nextEventAt(),
      faultAt,
      this.controlPlane?.nextEventAt() ?? Number.POSITIVE_INFINITY,
    );
  }

  /** The faults that happened so far, in order. */
  appliedFaults(): readonly AppliedFault[] {
    return this.faultLog;
  }

  /** The `getScales` key of a service's workload. */
  targetKey(namespace: string, name: string): string {
    const record = this.cluster.workloadRecord(workloadKey(namespace, name));
    if (!record) throw new Error(`no workload ${namespace}/${name}`);
    return scaleTargetKeyString({ namespace, apiVersion: record.apiVersion, kind: record.kind, name });
  }

  private applyDueFaults(): void {
    const now = this.clock.now();
    for (;;) {
      const fault = this.pendingFaults[0];
      if (!fault || this.scenario.start + fault.atMs > now) return;
      this.pendingFaults.shift();
      const applied = applyFault(this, fault);
      const effect = this.faultEffects.recordOf(fault);
      // The instant it really happened: later than planned only if time skipped past it.
      this.faultLog.push({
        time: now,
        fault,
        description: describeFault(fault, applied),
        ...(effect ? { effect } : {}),
      });
    }
  }
}

/** The simulated account's quota services, as `SimWorld.quotas` holds them. */
export interface SimQuotaWorld {
  serviceQuotas: SimServiceQuotas;
  usage: SimUsageMetrics;
  vcpuLimits: SimVcpuLimits;
}

/** The account's quotas, limiting the cloud's launches from the start (before the first group is added). */
function createQuotaWorld(world: SimWorld, seed: number): SimQuotaWorld {
  const spec = world.scenario.quotas;
  if (!spec) throw new Error(`scenario ${world.scenario.name} has no quotas`);
  const serviceQuotas = new SimServiceQuotas({ ...spec.account, clock: world.clock, seed });
  const vcpuLimits = new SimVcpuLimits({ clock: world.clock, cloud: world.cloud, quotas: serviceQuotas });
  world.cloud.limitLaunches(vcpuLimits);
  return {
    serviceQuotas,
    vcpuLimits,
    usage: new SimUsageMetrics({ quotas: serviceQuotas, limits: vcpuLimits }),
  };
}

function networkPlanOf(scenario: Scenario): NetworkPlan {
  const input = scenario.network;
  if (!input) throw new Error(`scenario ${scenario.name} has no network`);
  const result = planNetwork(input);
  if (!result.ok) throw new Error(`scenario ${scenario.name}: network: ${result.problems.join('; ')}`);
  return result.plan;
}

/** Builds the world of a scenario at its start time. */
export function createSimWorld(scenario: Scenario): SimWorld {
  return new SimWorld(scenario);
}
