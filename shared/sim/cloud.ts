/**
 * An in-memory EC2 Auto Scaling behind the same `AutoScalingPort` the real adapter implements. Groups
 * launch instances when their desired capacity rises; after a boot delay an instance joins the simulated
 * cluster as a Ready node sized by its instance type. When desired capacity falls, instances terminate
 * and their nodes leave (their pods are replaced and wait unscheduled).
 *
 * Capacity knob (as in karpenter's fake EC2 API): "m5.large spot in eu-central-1a has no capacity" makes
 * launches there fail: the group stays below desired, records a failed scaling activity and retries every
 * `LAUNCH_RETRY_MS` until capacity is restored.
 */
import type { AutoScalingGroup, AutoScalingInstance, AutoScalingPort } from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Node } from '../ports/kubernetes';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimCluster } from './cluster';
import { nodeResources } from './instance-types';
import { mix32 } from './random';

export type CapacityType = 'on-demand' | 'spot';

/** From launch to the node being Ready (EC2 boot, kubelet start, CNI ready). */
export const DEFAULT_BOOT_SECONDS = 120;
/** How often a group short of its desired capacity tries to launch again after a failure. */
export const LAUNCH_RETRY_MS = 60_000;
/** How long a terminating instance stays listed (shutdown) after its node left. */
export const TERMINATION_MS = 60_000;
/** DescribeAutoScalingGroups returns at most this many groups per page. */
export const DESCRIBE_PAGE_SIZE = 100;
/** The node label that says whether a node is spot or on-demand. */
export const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';

export interface SimGroupSpec {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  instanceType: string;
  capacityType: CapacityType;
  tags?: Record<string, string>;
  /** Labels of the nodes the group's instances become. */
  nodeLabels?: Record<string, string>;
  nodeTaints?: Node['taints'];
  /** @default DEFAULT_BOOT_SECONDS */
  bootSeconds?: number;
}

/** An offering: an instance type in a zone with a capacity type. */
export interface CapacityPool {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
}

export interface ScalingActivity {
  groupName: string;
  time: number;
  status: 'Successful' | 'Failed';
  description: string;
  cause: string;
}

export type InstanceState = 'Pending' | 'InService' | 'Terminating';

export interface SimInstance {
  instanceId: string;
  groupName: string;
  zone: string;
  instanceType: string;
  capacityType: CapacityType;
  state: InstanceState;
  launchedAt: number;
  /** When it becomes InService and its node joins. */
  readyAt: number;
  nodeName: string;
  /** Terminating: when it is gone. */
  goneAt?: number;
}

/** An error as the Auto Scaling API returns it (`code` is the AWS error code). */
export class SimAwsError extends Error {
  override readonly name = 'SimAwsError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface GroupRecord {
  spec: SimGroupSpec;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instances: SimInstance[];
  nextLaunchAttemptAt: number;
}

export interface SimCloudOptions {
  clock: Clock;
  cluster: SimCluster;
  /** @default 'eu-central-1' */
  region?: string;
  /** @default 1 */
  seed?: number;
}

type PortMethod = keyof AutoScalingPort;

function poolKey(pool: CapacityPool): string {
  return `${pool.instanceType}/${pool.zone}/${pool.capacityType}`;
}

/**
 * @example
 * const cloud = new SimCloud({ clock, cluster });
 * cloud.addGroup({ name: 'workers-a', minSize: 0, maxSize: 20, desiredCapacity: 3,
 *   availabilityZones: ['eu-central-1a'], instanceType: 'm5.xlarge', capacityType: 'on-demand' });
 * cloud.setCapacityAvailable({ instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' }, false);
 */
export class SimCloud implements AutoScalingPort {
  readonly region: string;
  private readonly clock: Clock;
  private readonly cluster: SimCluster;
  private readonly seed: number;
  private readonly api = new ApiCallRecorder();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly unavailable = new Set<string>();
  private readonly activityLog: ScalingActivity[] = [];
  private instanceCounter = 0;
  private lastReconcileAt: number;

  constructor(options: SimCloudOptions) {
    this.clock = options.clock;
    this.cluster = options.cluster;
    this.region = options.region ?? 'eu-central-1';
    this.seed = options.seed ?? 1;
    this.lastReconcileAt = this.clock.now();
  }

  // ---- Auto Scaling port ---------------------------------------------------------------------

  async describeGroups(names?: string[]): Promise<AutoScalingGroup[]> {
    const selected = names
      ? names.flatMap((name) => {
          const group = this.groups.get(name);
          return group ? [group] : [];
        })
      : [...this.groups.values()];
    this.call('describeGroups', {
      DescribeAutoScalingGroups: Math.max(1, Math.ceil(selected.length / DESCRIBE_PAGE_SIZE)),
    });
    return selected.map((group) => this.describe(group));
  }

  async setDesiredCapacity(groupName: string, desired: number): Promise<void> {
    this.call('setDesiredCapacity', 'SetDesiredCapacity');
    const group = this.groups.get(groupName);
    if (!group) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${groupName}`);
    if (!Number.isInteger(desired) || desired < group.minSize) {
      throw new SimAwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    }
    if (desired > group.maxSize) {
      throw new SimAwsError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    }
    if (desired !== group.desiredCapacity) {
      group.desiredCapacity = desired;
      group.nextLaunchAttemptAt = this.clock.now();
      // Auto Scaling starts launching or terminating within seconds.
      this.reconcile();
    }
  }

  // ---- the world --------------------------------------------------------------------------------

  /**
   * Adds a group. With `warm` (the default) its initial instances are in service at once and their nodes
   * Ready, as in a cluster that has been running for a while; otherwise they launch and boot.
   */
  addGroup(spec: SimGroupSpec, options: { warm?: boolean } = {}): void {
    if (this.groups.has(spec.name)) throw new Error(`group ${spec.name} exists`);
    if (spec.availabilityZones.length === 0) throw new Error(`group ${spec.name} has no zones`);
    nodeResources(spec.instanceType);
    const group: GroupRecord = {
      spec,
      minSize: spec.minSize,
      maxSize: spec.maxSize,
      desiredCapacity: spec.desiredCapacity,
      instances: [],
      nextLaunchAttemptAt: this.clock.now(),
    };
    this.groups.set(spec.name, group);
    if (options.warm ?? true) {
      const now = this.clock.now();
      for (let i = 0; i < spec.desiredCapacity; i++) {
        const zone = spec.availabilityZones[i % spec.availabilityZones.length] as string;
        const instance = this.newInstance(group, zone, now);
        instance.readyAt = now;
        this.bringInService(group, instance);
      }
    }
  }

  /**
   * Sets whether an offering has capacity. Without it, launches of that type in that zone with that
   * capacity type fail with `InsufficientInstanceCapacity`.
   */
  setCapacityAvailable(pool: CapacityPool, available: boolean): void {
    if (available) this.unavailable.delete(poolKey(pool));
    else this.unavailable.add(poolKey(pool));
  }

  isCapacityAvailable(pool: CapacityPool): boolean {
    return !this.unavailable.has(poolKey(pool));
  }

  /**
   * Terminates one instance (a spot interruption, a person), its node leaving at once. With
   * `decrementDesiredCapacity` the group does not replace it.
   */
  terminateInstance(instanceId: string, decrementDesiredCapacity = false): void {
    for (const group of this.groups.values()) {
      const instance = group.instances.find((candidate) => candidate.instanceId === instanceId);
      if (!instance || instance.state === 'Terminating') continue;
      if (decrementDesiredCapacity)
        group.desiredCapacity = Math.max(group.minSize, group.desiredCapacity - 1);
      this.terminate(group, instance, 'an instance was taken out of service in response to a user request');
      return;
    }
    throw new SimAwsError('ValidationError', `Instance Id not found - ${instanceId}`);
  }

  /**
   * Brings the groups to the clock's time: booted instances go in service (their nodes join), groups
   * below desired launch (unless capacity is short), groups above desired terminate their newest
   * instances, terminated instances disappear. Port calls do this by themselves when the clock has moved.
   */
  reconcile(): void {
    const now = this.clock.now();
    this.lastReconcileAt = now;
    for (const group of this.groups.values()) {
      group.instances = group.instances.filter(
        (instance) => !(instance.goneAt !== undefined && instance.goneAt <= now),
      );
      for (const instance of group.instances) {
        if (instance.state === 'Pending' && instance.readyAt <= now) this.bringInService(group, instance);
      }
      const live = group.instances.filter((instance) => instance.state !== 'Terminating');
      if (live.length < group.desiredCapacity && now >= group.nextLaunchAttemptAt) {
        this.launch(group, group.desiredCapacity - live.length, now);
      } else if (live.length > group.desiredCapacity) {
        // Pending instances first, then the newest (instances are kept in launch order).
        const newestFirst = [...live].reverse();
        const victims = [
          ...newestFirst.filter((instance) => instance.state === 'Pending'),
          ...newestFirst.filter((instance) => instance.state !== 'Pending'),
        ].slice(0, live.length - group.desiredCapacity);
        for (const victim of victims) {
          this.terminate(
            group,
            victim,
            'an instance was taken out of service in response to a difference between desired and actual capacity',
          );
        }
      }
    }
  }

  /** Reconciles if the clock moved since the last reconcile. */
  sync(): void {
    if (this.clock.now() > this.lastReconcileAt) this.reconcile();
  }

  /** When something next happens by itself (a boot completes, a retry, a shutdown ends); Infinity if never. */
  nextEventAt(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) {
      let live = 0;
      for (const instance of group.instances) {
        if (instance.state === 'Pending') next = Math.min(next, instance.readyAt);
        if (instance.goneAt !== undefined) next = Math.min(next, instance.goneAt);
        if (instance.state !== 'Terminating') live++;
      }
      if (live < group.desiredCapacity)
        next = Math.min(next, Math.max(group.nextLaunchAttemptAt, this.lastReconcileAt));
      if (live > group.desiredCapacity) next = Math.min(next, this.lastReconcileAt);
    }
    return next;
  }

  // ---- observation -----------------------------------------------------------------------------

  /** Scaling activities, oldest first (of one group when named). */
  activities(groupName?: string): readonly ScalingActivity[] {
    return groupName
      ? this.activityLog.filter((activity) => activity.groupName === groupName)
      : this.activityLog;
  }

  /** A group's instances (copies), terminating ones included. */
  instances(groupName: string): SimInstance[] {
    return (this.groups.get(groupName)?.instances ?? []).map((instance) => ({ ...instance }));
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `method` fail with `error` (default: a generic error), after being counted. */
  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  // ---- internals -------------------------------------------------------------------------------

  private call(method: PortMethod, requests: string | Record<string, number>): void {
    this.sync();
    this.api.call(method, requests);
  }

  private describe(group: GroupRecord): AutoScalingGroup {
    return {
      name: group.spec.name,
      minSize: group.minSize,
      maxSize: group.maxSize,
      desiredCapacity: group.desiredCapacity,
      availabilityZones: [...group.spec.availabilityZones],
      tags: { ...group.spec.tags },
      instances: group.instances.map(
        (instance): AutoScalingInstance => ({
          instanceId: instance.instanceId,
          availabilityZone: instance.zone,
          instanceType: instance.instanceType,
          lifecycleState: instance.state,
          healthStatus: 'Healthy',
        }),
      ),
    };
  }

  private newInstance(group: GroupRecord, zone: string, now: number): SimInstance {
    const n = this.instanceCounter++;
    const hex = (mix32(this.seed, n, 11).toString(16) + mix32(this.seed, n, 12).toString(16)).padStart(
      16,
      '0',
    );
    const address = n + 10;
    const instance: SimInstance = {
      instanceId: `i-0${hex.slice(0, 16)}`,
      groupName: group.spec.name,
      zone,
      instanceType: group.spec.instanceType,
      capacityType: group.spec.capacityType,
      state: 'Pending',
      launchedAt: now,
      readyAt: now + (group.spec.bootSeconds ?? DEFAULT_BOOT_SECONDS) * 1000,
      nodeName: `ip-10-0-${Math.floor(address / 250)}-${(address % 250) + 4}.${this.region}.compute.internal`,
    };
    group.instances.push(instance);
    return instance;
  }

  private launch(group: GroupRecord, count: number, now: number): void {
    const spec = group.spec;
    for (let i = 0; i < count; i++) {
      const perZone = new Map<string, number>(spec.availabilityZones.map((zone) => [zone, 0]));
      for (const instance of group.instances) {
        if (instance.state !== 'Terminating')
          perZone.set(instance.zone, (perZone.get(instance.zone) ?? 0) + 1);
      }
      const zones = [...spec.availabilityZones]
        .filter((zone) =>
          this.isCapacityAvailable({
            instanceType: spec.instanceType,
            zone,
            capacityType: spec.capacityType,
          }),
        )
        .sort((a, b) => (perZone.get(a) ?? 0) - (perZone.get(b) ?? 0));
      const zone = zones[0];
      if (!zone) {
        const capacityWord = spec.capacityType === 'spot' ? 'Spot' : 'On-Demand';
        this.activityLog.push({
          groupName: spec.name,
          time: now,
          status: 'Failed',
          description: 'Launching a new EC2 instance. Status Reason: InsufficientInstanceCapacity',
          cause:
            `We currently do not have sufficient ${spec.instanceType} ${capacityWord} capacity in the ` +
            `Availability Zone${spec.availabilityZones.length > 1 ? 's' : ''} you requested ` +
            `(${spec.availabilityZones.join(', ')}). Launching EC2 instance failed.`,
        });
        group.nextLaunchAttemptAt = now + LAUNCH_RETRY_MS;
        return;
      }
      const instance = this.newInstance(group, zone, now);
      this.activityLog.push({
        groupName: spec.name,
        time: now,
        status: 'Successful',
        description: `Launching a new EC2 instance: ${instance.instanceId}`,
        cause: 'an instance was started in response to a difference between desired and actual capacity',
      });
    }
  }

  private bringInService(group: GroupRecord, instance: SimInstance): void {
    const spec = group.spec;
    const resources = nodeResources(instance.instanceType);
    instance.state = 'InService';
    this.cluster.addNode({
      name: instance.nodeName,
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': instance.instanceType,
        'topology.kubernetes.io/region': this.region,
        'topology.kubernetes.io/zone': instance.zone,
        [CAPACITY_TYPE_LABEL]: instance.capacityType,
        ...spec.nodeLabels,
      },
      capacity: resources.capacity,
      allocatable: resources.allocatable,
      ...(spec.nodeTaints ? { taints: spec.nodeTaints } : {}),
      providerID: `aws:///${instance.zone}/${instance.instanceId}`,
    });
  }

  private terminate(group: GroupRecord, instance: SimInstance, cause: string): void {
    const now = this.clock.now();
    if (instance.state === 'InService') this.cluster.removeNode(instance.nodeName);
    instance.state = 'Terminating';
    instance.goneAt = now + TERMINATION_MS;
    this.activityLog.push({
      groupName: group.spec.name,
      time: now,
      status: 'Successful',
      description: `Terminating EC2 instance: ${instance.instanceId}`,
      cause,
    });
  }
}
