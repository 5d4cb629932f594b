/**
 * The simulated control plane of one cluster, wired from a scenario's `SimControlPlaneSpec`: for EC2,
 * `SimCloud` groups of control-plane instances (their nodes join the cluster labelled
 * `node-role.kubernetes.io/control-plane` and tainted NoSchedule) with launch templates, an API target
 * group they are attached to, the API servers on them and EC2's view of them; for EKS, the cluster on
 * its tier. Both carry a load (`load-model.ts`) that becomes CloudWatch metrics — CPU of the instances
 * or seat utilization of the tier, and API latency — and the alarms the stack would create, with the
 * names and thresholds of the config (`controlPlaneAlarmNames`).
 *
 * `reconcile` brings it to the clock's time after the cloud and cluster: targets register and turn
 * healthy, EKS updates finish, the load of the instant that ended is written into the metrics and the
 * alarms evaluated.
 */
import {
  CONTROL_PLANE_NODE_LABEL,
  type ControlPlaneConfig,
  controlPlaneSchema,
} from '../../config/control-plane';
import { type ControlPlaneAlarmNames, controlPlaneAlarmNames } from '../../controlplane/alarm-names';
import type { Ec2ControlPlanePorts } from '../../loops/control-plane-deps';
import type { Clock } from '../../ports/clock';
import type { SimCloud, SimInstance } from '../cloud';
import type { SimCluster } from '../cluster';
import { SimEc2 } from '../ec2';
import { instanceType } from '../instance-types';
import { hashString } from '../random';
import { createTrace, type LoadTrace } from '../traces';
import { SimAlarms } from './alarms';
import { SimApiServers } from './api-servers';
import { EKS_TIER_SEATS, SimEks } from './eks';
import { SimControlPlaneGroups } from './groups';
import { SimEc2Instances } from './instances';
import { SimLaunchTemplates } from './launch-templates';
import {
  apiLatencySeconds,
  type ClusterSize,
  cpuPercent,
  DEFAULT_LOAD_COEFFICIENTS,
  type LoadCoefficients,
  latencySeconds,
  seatsInUse,
  serverUtilization,
} from './load-model';
import { MinuteMetric } from './minute-metric';
import type { SimControlPlaneSpec } from './spec';
import { SimTargetGroups } from './target-groups';

/** A control-plane instance boots, joins and is in service in about three minutes (kOps's nodes). */
export const CONTROL_PLANE_BOOT_SECONDS = 180;
/** The latency above which the API counts as slow for the report (the config's default `highSeconds`). */
export const SLOW_API_SECONDS = 1;
/** History made up before the start beyond the longest alarm window (it covers the datapoint delay). */
const EXTRA_PREFILL_MINUTES = 5;

export interface SimControlPlaneOptions {
  clock: Clock;
  cloud: SimCloud;
  cluster: SimCluster;
  clusterName: string;
  region: string;
  accountId: string;
  seed: number;
  /** For the traces' day shape. */
  utcOffsetMinutes: number;
  /** The EC2 catalogue the ladder is built from. @default a new SimEc2 */
  ec2?: SimEc2;
}

/** What the control plane looks like at one instant. */
export interface ControlPlaneSnapshot {
  time: number;
  size: { nodes: number; pods: number };
  /** EC2: mean CPU of the control-plane instances in service; EKS: seat utilization; percent. */
  loadPercent: number | undefined;
  latencySeconds: number;
  /** The latency the control plane it started with would have now (what no swap would have meant). */
  baselineLatencySeconds: number;
  /** EC2: instances in service by type; EKS: the tier, once. */
  sizes: Record<string, number>;
  /** API servers healthy behind the load balancer (EC2). */
  healthy: number;
}

/** The API target group ARN the simulator gives a cluster's control plane. */
export function apiTargetGroupArn(clusterName: string, region: string, accountId: string): string {
  const name = `${clusterName}-api`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 32);
  const id = [1, 2]
    .map((salt) => hashString(`${clusterName}#${salt}`).toString(16).padStart(8, '0'))
    .join('');
  return `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/${id}`;
}

/**
 * @example
 * const controlPlane = new SimControlPlane(spec, { clock, cloud, cluster, clusterName, region, accountId, seed, utcOffsetMinutes });
 * controlPlane.ports().aws; // the Ec2ControlPlanePorts for runControlPlaneTick
 */
export class SimControlPlane {
  readonly kind: 'ec2' | 'eks';
  readonly settings: ControlPlaneConfig;
  readonly alarmNames: ControlPlaneAlarmNames;
  readonly alarms: SimAlarms;
  readonly ec2: SimEc2;
  readonly templates = new SimLaunchTemplates();
  readonly groups: SimControlPlaneGroups;
  readonly instances: SimEc2Instances;
  readonly servers: SimApiServers;
  readonly targets: SimTargetGroups;
  readonly eks: SimEks | undefined;
  readonly eksCluster: string;
  readonly groupNames: string[];
  /** The load metric the load alarms watch (CPU % or seat %) and API latency (seconds), per minute. */
  readonly loadMetric: MinuteMetric;
  readonly latencyMetric: MinuteMetric;
  private readonly clock: Clock;
  private readonly cloud: SimCloud;
  private readonly cluster: SimCluster;
  private readonly coefficients: LoadCoefficients;
  private readonly nodeTrace: LoadTrace | undefined;
  private readonly extraTrace: LoadTrace | undefined;
  private readonly podsPerNode: number;
  private readonly seatCapacity: Record<string, number>;
  /** vCPUs of the starting API servers (EC2), or the starting tier's seats (EKS). */
  private readonly baseline: { vcpus: number[]; seats: number };
  private last: ControlPlaneSnapshot;
  private lastReconcileAt: number;
  /** Time with latency above `SLOW_API_SECONDS`, ms (exact, not sampled). */
  private slowMs = 0;
  private peakLatency = 0;

  constructor(
    readonly spec: SimControlPlaneSpec,
    options: SimControlPlaneOptions,
  ) {
    this.clock = options.clock;
    this.cloud = options.cloud;
    this.cluster = options.cluster;
    const start = this.clock.now();
    if ((spec.ec2 === undefined) === (spec.eks === undefined))
      throw new Error('a simulated control plane is either ec2 or eks');
    this.kind = spec.ec2 ? 'ec2' : 'eks';
    this.groupNames = spec.ec2?.groups.map((group) => group.name) ?? [];
    // One launch template per group, as kOps makes them; the config must name them (the function may only
    // version those).
    const ec2Spec = spec.ec2;
    const templateIds = new Map(
      (ec2Spec?.groups ?? []).map((group) => [
        group.name,
        this.templates.addTemplate({ name: group.name, instanceType: ec2Spec?.instanceType ?? '' }),
      ]),
    );
    const { ec2: ec2Settings, eks: eksSettings, ...rest } = spec.settings;
    this.settings = controlPlaneSchema.parse({
      ...rest,
      ...(spec.ec2
        ? { ec2: { asgs: this.groupNames, launchTemplateIds: [...templateIds.values()], ...ec2Settings } }
        : {}),
      ...(spec.eks ? { eks: { ...eksSettings } } : {}),
    });
    this.alarmNames = controlPlaneAlarmNames(options.clusterName, this.settings);
    this.coefficients = { ...DEFAULT_LOAD_COEFFICIENTS, ...spec.load.coefficients };
    const traceContext = { start, utcOffsetMinutes: options.utcOffsetMinutes, seed: options.seed };
    this.nodeTrace = spec.load.nodes
      ? createTrace(spec.load.nodes, { ...traceContext, name: 'control-plane/nodes' })
      : undefined;
    this.extraTrace = spec.load.extraRequestsPerSecond
      ? createTrace(spec.load.extraRequestsPerSecond, { ...traceContext, name: 'control-plane/requests' })
      : undefined;
    this.podsPerNode = spec.load.podsPerNode;
    this.seatCapacity = { ...EKS_TIER_SEATS, ...this.settings.eks?.seatCapacity };
    this.ec2 = options.ec2 ?? new SimEc2();
    this.eksCluster = this.settings.eks?.clusterName ?? options.clusterName;

    this.groups = new SimControlPlaneGroups(this.cloud, this.templates);
    this.instances = new SimEc2Instances(this.cloud);
    this.servers = new SimApiServers({
      clock: this.clock,
      instances: this.instances,
      ...(spec.ec2?.apiStartSeconds !== undefined ? { apiStartSeconds: spec.ec2.apiStartSeconds } : {}),
    });
    this.targets = new SimTargetGroups({ clock: this.clock, cloud: this.cloud, servers: this.servers });
    if (spec.ec2) this.buildEc2(spec.ec2, templateIds, options);
    if (spec.eks) {
      this.eks = new SimEks({
        clock: this.clock,
        seed: options.seed,
        ...(spec.eks.updateMinutes !== undefined ? { updateMinutes: spec.eks.updateMinutes } : {}),
      });
      this.eks.addCluster(this.eksCluster, spec.eks.tier);
    } else {
      this.eks = undefined;
    }

    const startTier = spec.eks?.tier ?? 'standard';
    this.baseline = {
      vcpus: (spec.ec2?.groups ?? []).flatMap((group) =>
        Array.from({ length: group.instances }, () => instanceType(spec.ec2?.instanceType ?? '').vcpus),
      ),
      seats: this.seatCapacity[startTier] ?? EKS_TIER_SEATS.standard ?? 1,
    };
    this.loadMetric = new MinuteMetric(start);
    this.latencyMetric = new MinuteMetric(start);
    this.alarms = new SimAlarms(this.clock);
    this.last = this.measure(start);
    this.lastReconcileAt = start;
    // The control plane has been running at this load for a while: the alarms start from that history.
    const cpu = this.settings.cpu;
    const latency = this.settings.latency;
    const longest = Math.max(cpu.highMinutes, cpu.lowMinutes, latency?.minutes ?? 0) + EXTRA_PREFILL_MINUTES;
    if (this.last.loadPercent !== undefined) this.loadMetric.prefill(start, longest, this.last.loadPercent);
    this.latencyMetric.prefill(start, longest, this.last.latencySeconds);
    this.loadMetric.advance(start, this.last.loadPercent);
    this.latencyMetric.advance(start, this.last.latencySeconds);
    this.addAlarms();
  }

  /** The ports the control-plane loop talks to, behind which this control plane is. */
  ports(): { aws?: Ec2ControlPlanePorts; eks?: SimEks; alarms: SimAlarms } {
    if (this.kind === 'eks') return { ...(this.eks ? { eks: this.eks } : {}), alarms: this.alarms };
    return {
      aws: {
        autoScaling: this.groups,
        groupUpdates: this.groups,
        launchTemplates: this.templates,
        ec2: this.ec2,
        instances: this.instances,
        loadBalancing: this.targets,
        probe: this.servers,
      },
      alarms: this.alarms,
    };
  }

  /** Brings targets, EKS, metrics and alarms to the clock's time (after the cloud and the cluster). */
  reconcile(): void {
    const now = this.clock.now();
    if (now < this.lastReconcileAt) return;
    this.targets.sync();
    this.eks?.sync();
    if (now > this.lastReconcileAt && this.last.latencySeconds > SLOW_API_SECONDS) {
      this.slowMs += now - this.lastReconcileAt;
    }
    const snapshot = this.measure(now);
    this.loadMetric.advance(now, snapshot.loadPercent);
    this.latencyMetric.advance(now, snapshot.latencySeconds);
    this.peakLatency = Math.max(this.peakLatency, snapshot.latencySeconds);
    this.last = snapshot;
    this.lastReconcileAt = now;
    this.alarms.evaluate();
  }

  /** When something here changes by itself: a target's health, an EKS update's end, an alarm's minute. */
  nextEventAt(): number {
    return Math.min(
      this.targets.nextEventAt(),
      this.eks?.nextEventAt() ?? Infinity,
      this.alarms.nextEvaluationAt(),
    );
  }

  /** The control plane as of the last reconcile. */
  snapshot(): ControlPlaneSnapshot {
    return this.last;
  }

  /** Time with API latency above `SLOW_API_SECONDS` so far, ms, and the highest latency seen. */
  slowApi(): { slowMs: number; peakLatencySeconds: number } {
    return { slowMs: this.slowMs, peakLatencySeconds: this.peakLatency };
  }

  /** The control-plane instances, terminating ones included (copies). */
  controlPlaneInstances(): SimInstance[] {
    return this.groupNames.flatMap((name) => this.cloud.instances(name));
  }

  /** The cluster size the load comes from at `t`. */
  sizeAt(t: number): ClusterSize {
    const snapshot = this.cluster.clusterSnapshot();
    const traced = Math.max(0, Math.round(this.nodeTrace?.(t) ?? 0));
    return {
      nodes: snapshot.nodes + traced,
      pods: snapshot.pods + traced * this.podsPerNode,
      extraRequestsPerSecond: this.extraTrace?.(t) ?? 0,
    };
  }

  /** The alarms the stack creates for the cluster, on this control plane's metrics. */
  private addAlarms(): void {
    const cpu = this.settings.cpu;
    const latency = this.settings.latency;
    const [high, ...otherHigh] = this.alarmNames.high;
    const [low] = this.alarmNames.low;
    if (high) {
      this.alarms.addAlarm({
        name: high,
        metric: this.loadMetric,
        comparison: 'GreaterThanThreshold',
        threshold: cpu.highPercent,
        evaluationPeriods: cpu.highMinutes,
      });
    }
    if (low) {
      this.alarms.addAlarm({
        name: low,
        metric: this.loadMetric,
        comparison: 'LessThanThreshold',
        threshold: cpu.lowPercent,
        evaluationPeriods: cpu.lowMinutes,
      });
    }
    const latencyAlarm = otherHigh[0];
    if (latencyAlarm && latency) {
      this.alarms.addAlarm({
        name: latencyAlarm,
        metric: this.latencyMetric,
        comparison: 'GreaterThanThreshold',
        threshold: latency.highSeconds,
        evaluationPeriods: latency.minutes,
      });
    }
  }

  private measure(now: number): ControlPlaneSnapshot {
    const size = this.sizeAt(now);
    if (this.kind === 'eks') {
      const tier = this.eks?.tierOf(this.eksCluster) ?? 'standard';
      const capacity = this.seatCapacity[tier] ?? EKS_TIER_SEATS.standard ?? 1;
      const seats = seatsInUse(size, this.coefficients);
      const utilization = seats / capacity;
      return {
        time: now,
        size: { nodes: size.nodes, pods: size.pods },
        loadPercent: cpuPercent(utilization),
        latencySeconds: latencySeconds(utilization, this.coefficients),
        baselineLatencySeconds: latencySeconds(seats / this.baseline.seats, this.coefficients),
        sizes: { [tier]: 1 },
        healthy: 0,
      };
    }
    const healthy = new Set(this.targets.healthyInstances(now));
    const serving: number[] = [];
    const standing: number[] = [];
    const sizes: Record<string, number> = {};
    for (const instance of this.controlPlaneInstances()) {
      if (instance.state !== 'InService') continue;
      sizes[instance.instanceType] = (sizes[instance.instanceType] ?? 0) + 1;
      const vcpus = instanceType(instance.instanceType).vcpus;
      if (healthy.has(instance.instanceId)) serving.push(vcpus);
      else standing.push(vcpus);
    }
    const utilization = serverUtilization(size, { serving, standing }, this.coefficients);
    const all = [...utilization.serving, ...utilization.standing].map(cpuPercent);
    return {
      time: now,
      size: { nodes: size.nodes, pods: size.pods },
      loadPercent: all.length > 0 ? all.reduce((sum, value) => sum + value, 0) / all.length : undefined,
      latencySeconds: apiLatencySeconds(utilization.serving, this.coefficients),
      baselineLatencySeconds: apiLatencySeconds(
        serverUtilization(size, { serving: this.baseline.vcpus, standing: [] }, this.coefficients).serving,
        this.coefficients,
      ),
      sizes,
      healthy: healthy.size,
    };
  }

  private buildEc2(
    ec2: NonNullable<SimControlPlaneSpec['ec2']>,
    templateIds: ReadonlyMap<string, string>,
    options: SimControlPlaneOptions,
  ): void {
    const arn = apiTargetGroupArn(options.clusterName, options.region, options.accountId);
    for (const group of ec2.groups) {
      this.cloud.addGroup({
        name: group.name,
        minSize: group.instances,
        maxSize: group.instances,
        desiredCapacity: group.instances,
        availabilityZones: group.availabilityZones,
        instanceType: ec2.instanceType,
        capacityType: 'on-demand',
        tags: { [`kubernetes.io/cluster/${options.clusterName}`]: 'owned' },
        nodeLabels: { [CONTROL_PLANE_NODE_LABEL]: '' },
        nodeTaints: [{ key: CONTROL_PLANE_NODE_LABEL, effect: 'NoSchedule' }],
        bootSeconds: ec2.bootSeconds ?? CONTROL_PLANE_BOOT_SECONDS,
      });
      this.groups.attach(group.name, {
        launchTemplateId: templateIds.get(group.name) as string,
        version: ec2.launchTemplateVersion ?? '1',
        targetGroupArns: [arn],
      });
    }
    this.servers.markWarm(this.controlPlaneInstances());
    this.targets.addTargetGroup(
      {
        arn,
        groups: this.groupNames,
        ...(ec2.deregistrationDelaySeconds !== undefined
          ? { deregistrationDelaySeconds: ec2.deregistrationDelaySeconds }
          : {}),
      },
      { warm: true },
    );
  }
}
