/**
 * An in-memory EC2 Auto Scaling behind the same `AutoScalingPort` the real adapter implements. Groups
 * launch instances when their desired capacity rises; after a boot delay an instance joins the simulated
 * cluster as a Ready node sized by its instance type. When desired capacity falls, instances terminate
 * and their nodes leave (their pods are replaced and wait unscheduled).
 *
 * Capacity knob (as in karpenter's fake EC2 API): "m5.large spot in eu-central-1a has no capacity" makes
 * launches there fail: a mixed group launches its next type that has capacity; a group with none left
 * stays below desired, records a failed scaling activity with the status message AWS gives, and retries
 * every `LAUNCH_RETRY_MS` until capacity is restored. Quota knob: `limitLaunches` (vcpu-limits.ts) refuses
 * launches the account's vCPU quotas do not allow the same way, with EC2's VcpuLimitExceeded message.
 *
 * Spot knobs: `interruptSpotInstance` has EC2 warn that a spot instance will be interrupted and take it
 * `SPOT_INTERRUPTION_NOTICE_MS` later (its node leaves then, with whatever pods are still on it; the group
 * replaces it); `recommendRebalance` has EC2 recommend rebalancing one away from elevated risk (nothing
 * is taken by it). Every instance that leaves — interrupted, terminated through Auto Scaling, scaled in
 * — emits a `shutting-down` and, once gone, a `terminated` state change. These EC2 events wait in
 * `takeInstanceEvents` for the simulator's event source, which delivers them to the node-pool loop as
 * EventBridge would.
 *
 * Nodes carry the labels and the allocatable of the node-pool loop's template nodes (well-known labels,
 * EKS reservations), the hostname label, and `aws:///<zone>/<instance id>` as provider ID, so the loop
 * matches nodes to instances and plans nodes of the size that joins.
 */
import { templateNode } from '../nodepools/template-node';
import {
  AutoScalingError,
  type AutoScalingGroup,
  type AutoScalingInstance,
  type AutoScalingPort,
  type PurchaseOptions,
  type ScalingActivity,
} from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Node } from '../ports/kubernetes';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimCluster } from './cluster';
import type {
  RebalanceRecommendationInstanceEvent,
  SimInstanceEvent,
  SpotInterruptionInstanceEvent,
} from './instance-events';
import { defaultMaxPods, instanceType, nodeResources } from './instance-types';
import { mix32 } from './random';
import { SIM_AWS_ACCOUNT_ID } from './sim-sqs';

export type CapacityType = 'on-demand' | 'spot';

/** From launch to the node being Ready (EC2 boot, kubelet start, CNI ready). */
export const DEFAULT_BOOT_SECONDS = 120;
/** How often a group short of its desired capacity tries to launch again after a failure. */
export const LAUNCH_RETRY_MS = 60_000;
/** How long a terminating instance stays listed (shutdown) after its node left. */
export const TERMINATION_MS = 60_000;
/** DescribeAutoScalingGroups and DescribeScalingActivities return at most this many records per page. */
export const DESCRIBE_PAGE_SIZE = 100;
/** EC2's notice between a spot interruption warning and the interruption (two minutes). */
export const SPOT_INTERRUPTION_NOTICE_MS = 120_000;
/** The spot allocation strategy the simulator reports for mixed-instances groups. */
export const SIM_SPOT_ALLOCATION_STRATEGY = 'price-capacity-optimized';

export interface SimGroupSpec {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  /** The instance type; for a mixed-instances group, the first (preferred) of its types. */
  instanceType: string;
  /**
   * Makes the group a mixed-instances group: its further types in priority order. A launch takes the
   * first type, in this order after `instanceType`, that has capacity in the zone.
   */
  fallbackInstanceTypes?: string[];
  capacityType: CapacityType;
  tags?: Record<string, string>;
  /** Labels of the nodes the group's instances become (the well-known labels take precedence). */
  nodeLabels?: Record<string, string>;
  nodeTaints?: Node['taints'];
  /** Pods per node. @default the instance type's VPC CNI ENI limit */
  maxPods?: number;
  /** @default DEFAULT_BOOT_SECONDS */
  bootSeconds?: number;
}

/** An offering: an instance type in a zone with a capacity type. */
export interface CapacityPool {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
}

/**
 * What refuses launches besides capacity: the account's vCPU quotas (vcpu-limits.ts). A cloud without one
 * launches whatever has capacity.
 */
export interface LaunchLimit {
  /** Auto Scaling's status message when one more `instanceType` instance of the group may not launch now. */
  refusal(group: SimGroupSpec, instanceType: string): string | undefined;
  /** A launch attempt failed because of `refusal`'s message for this type and zone. */
  onRefused(group: SimGroupSpec, instanceType: string, zone: string, message: string): void;
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
  /** When EC2 interrupts it (a spot interruption was warned). */
  interruptAt?: number;
  /** When EC2 recommended rebalancing it. */
  rebalanceRecommendedAt?: number;
}

/** An `EC2 Spot Instance Interruption Warning`, with what the simulator knows of the instance. */
export interface SpotInterruptionWarning {
  instanceId: string;
  groupName: string;
  nodeName: string;
  zone: string;
  instanceType: string;
  /** Auto Scaling groups' spot instances are always terminated, never stopped or hibernated. */
  instanceAction: 'terminate';
  /** When EC2 emitted the warning (epoch ms). */
  warnedAt: number;
  /** When EC2 takes the instance (epoch ms). */
  interruptAt: number;
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
  /** The account the instances run in (their events name it). @default SIM_AWS_ACCOUNT_ID */
  accountId?: string;
  /** @default 1 */
  seed?: number;
}

/** `updateGroup` is `UpdateAutoScalingGroup`, which the control-plane swap needs (see `SimGroupUpdate`). */
type PortMethod = keyof AutoScalingPort | 'updateGroup';

/**
 * What `UpdateAutoScalingGroup` changes in the simulator: sizes, and the instance type later launches
 * use (the control-plane simulation resolves a launch template version to it).
 */
export interface SimGroupUpdate {
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
  instanceType?: string;
}

function poolKey(pool: CapacityPool): string {
  return `${pool.instanceType}/${pool.zone}/${pool.capacityType}`;
}

/** The group's instance types in priority order. */
function typesOf(spec: SimGroupSpec): string[] {
  return [spec.instanceType, ...(spec.fallbackInstanceTypes ?? [])];
}

/** An instant as Auto Scaling writes it in causes: `2024-05-01T10:00:00Z`. */
function awsTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A UUID-shaped id, deterministic in the seed, a counter and a salt (one salt per kind of id). */
function uuidOf(seed: number, n: number, salt: number): string {
  const hex = [0, 1, 2, 3]
    .map((part) =>
      mix32(seed, n, salt + part)
        .toString(16)
        .padStart(8, '0'),
    )
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The warning as `interruptSpotInstance` describes it. */
function warningOf(event: SpotInterruptionInstanceEvent): SpotInterruptionWarning {
  return {
    instanceId: event.instanceId,
    groupName: event.groupName,
    nodeName: event.nodeName,
    zone: event.zone,
    instanceType: event.instanceType,
    instanceAction: event.instanceAction,
    warnedAt: event.time,
    interruptAt: event.interruptAt,
  };
}

/**
 * The status message of a launch that found no capacity, worded as Auto Scaling words it: EC2's own
 * message for a single on-demand type, prefixed by the fleet's summary for mixed groups and spot.
 */
export function insufficientCapacityMessage(spec: SimGroupSpec, zone: string): string {
  if (spec.capacityType === 'spot') {
    return (
      'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available ' +
      'that matches your request. Launching EC2 instance failed.'
    );
  }
  const ec2Message =
    `We currently do not have sufficient ${spec.instanceType} capacity in the Availability Zone you ` +
    `requested (${zone}). Our system will be working on provisioning additional capacity. ` +
    'Launching EC2 instance failed.';
  return spec.fallbackInstanceTypes?.length
    ? `Could not launch On-Demand Instances. InsufficientInstanceCapacity - ${ec2Message}`
    : ec2Message;
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
  readonly accountId: string;
  private readonly clock: Clock;
  private readonly cluster: SimCluster;
  private readonly seed: number;
  private readonly api = new ApiCallRecorder();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly unavailable = new Set<string>();
  private launchLimit: LaunchLimit | undefined;
  private readonly activityLog: ScalingActivity[] = [];
  /** Every instance event emitted or scheduled, in the order it was. */
  private readonly emitted: SimInstanceEvent[] = [];
  /** Events not handed out by `takeInstanceEvents` yet (a redelivered one again). */
  private undelivered: SimInstanceEvent[] = [];
  private instanceCounter = 0;
  private activityCounter = 0;
  private eventCounter = 0;
  private lastReconcileAt: number;

  constructor(options: SimCloudOptions) {
    this.clock = options.clock;
    this.cluster = options.cluster;
    this.region = options.region ?? 'eu-central-1';
    this.accountId = options.accountId ?? SIM_AWS_ACCOUNT_ID;
    this.seed = options.seed ?? 1;
    this.lastReconcileAt = this.clock.now();
  }

  // ---- Auto Scaling port ---------------------------------------------------------------------

  async describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]> {
    const selected = (
      names
        ? names.flatMap((name) => {
            const group = this.groups.get(name);
            return group ? [group] : [];
          })
        : [...this.groups.values()]
    ).filter((group) => withTagKey === undefined || Object.hasOwn(group.spec.tags ?? {}, withTagKey));
    this.call('describeGroups', {
      DescribeAutoScalingGroups: Math.max(1, Math.ceil(selected.length / DESCRIBE_PAGE_SIZE)),
    });
    return selected.map((group) => this.describe(group));
  }

  async describeScalingActivities(groupName: string, since: number): Promise<ScalingActivity[]> {
    const all = this.activityLog.filter((activity) => activity.groupName === groupName);
    const recent = all.filter((activity) => activity.startTime >= since);
    // The adapter reads pages until one shows an activity older than `since`.
    const read = recent.length + (recent.length < all.length ? 1 : 0);
    this.call('describeScalingActivities', {
      DescribeScalingActivities: Math.max(1, Math.ceil(read / DESCRIBE_PAGE_SIZE)),
    });
    if (!this.groups.has(groupName)) {
      throw new AutoScalingError(
        'NotFound',
        `DescribeScalingActivities: AutoScalingGroup name not found - ${groupName}`,
      );
    }
    return recent.map((activity) => ({ ...activity })).reverse();
  }

  async setDesiredCapacity(groupName: string, desired: number): Promise<void> {
    this.call('setDesiredCapacity', 'SetDesiredCapacity');
    const group = this.groups.get(groupName);
    if (!group) {
      throw new AutoScalingError(
        'NotFound',
        `SetDesiredCapacity: AutoScalingGroup name not found - AutoScalingGroup ${groupName} not found`,
      );
    }
    if (!Number.isInteger(desired) || desired < group.minSize) {
      throw new AutoScalingError(
        'Invalid',
        `SetDesiredCapacity: New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    }
    if (desired > group.maxSize) {
      throw new AutoScalingError(
        'Invalid',
        `SetDesiredCapacity: New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    }
    if (desired !== group.desiredCapacity) {
      group.desiredCapacity = desired;
      group.nextLaunchAttemptAt = this.clock.now();
      // Auto Scaling starts launching or terminating within seconds.
      this.reconcile();
    }
  }

  /**
   * The instance terminates and its node leaves at once (pods still on it are lost and recreated by their
   * workloads); with `decrementDesiredCapacity` the group is one smaller, otherwise it launches a
   * replacement. An instance already terminating counts as gone: a retried call (the loop crashed after
   * terminating) gets `NotFound` and decrements nothing twice.
   */
  async terminateInstance(instanceId: string, decrementDesiredCapacity: boolean): Promise<void> {
    this.call('terminateInstance', 'TerminateInstanceInAutoScalingGroup');
    const found = this.findLiveInstance(instanceId);
    if (!found) {
      throw new AutoScalingError(
        'NotFound',
        `TerminateInstanceInAutoScalingGroup: Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
    const { group, instance } = found;
    const from = group.desiredCapacity;
    if (decrementDesiredCapacity && from <= group.minSize) {
      throw new AutoScalingError(
        'Invalid',
        `TerminateInstanceInAutoScalingGroup: Currently, desiredSize equals minSize (${group.minSize}). ` +
          "Terminating instance without replacement will violate group's min size constraint. Either set " +
          "shouldDecrementDesiredCapacity flag to false or lower group's min size.",
      );
    }
    if (decrementDesiredCapacity) group.desiredCapacity = from - 1;
    this.terminate(
      group,
      instance,
      `instance ${instanceId} was taken out of service in response to a user request` +
        (decrementDesiredCapacity ? `, shrinking the capacity from ${from} to ${from - 1}` : ''),
    );
    // The replacement (without decrement) starts within seconds, as after SetDesiredCapacity.
    this.reconcile();
  }

  /**
   * `UpdateAutoScalingGroup`, as Auto Scaling applies it: a new minimum above the desired capacity raises
   * it, a new maximum below it lowers it (when no desired capacity is given), anything else outside
   * min/max is refused; a new instance type is what the group launches from now on (running instances
   * keep theirs). Counted like the port's calls, with the failure knob (`failNext('updateGroup')`).
   */
  async updateGroup(groupName: string, update: SimGroupUpdate): Promise<void> {
    this.call('updateGroup', 'UpdateAutoScalingGroup');
    const group = this.groups.get(groupName);
    if (!group) {
      throw new AutoScalingError(
        'NotFound',
        `UpdateAutoScalingGroup: AutoScalingGroup name not found - AutoScalingGroup ${groupName} not found`,
      );
    }
    const minSize = update.minSize ?? group.minSize;
    const maxSize = update.maxSize ?? group.maxSize;
    let desired = update.desiredCapacity ?? group.desiredCapacity;
    if (update.desiredCapacity === undefined) desired = Math.min(Math.max(desired, minSize), maxSize);
    if (minSize > maxSize || desired < minSize || desired > maxSize || !Number.isInteger(desired)) {
      throw new AutoScalingError(
        'Invalid',
        `UpdateAutoScalingGroup: Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
      );
    }
    if (update.instanceType !== undefined) {
      instanceType(update.instanceType);
      group.spec = { ...group.spec, instanceType: update.instanceType };
    }
    group.minSize = minSize;
    group.maxSize = maxSize;
    if (desired !== group.desiredCapacity) {
      group.desiredCapacity = desired;
      group.nextLaunchAttemptAt = this.clock.now();
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
    for (const type of typesOf(spec)) nodeResources(type, spec.maxPods ?? defaultMaxPods(type));
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
        const instance = this.newInstance(group, zone, spec.instanceType, now);
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
   * From now on launches are refused as `limit` says (the account's vCPU quotas); instances running
   * already stay, as they do when AWS lowers nothing but refuses new ones.
   */
  limitLaunches(limit: LaunchLimit): void {
    this.launchLimit = limit;
  }

  /**
   * An interruption warning for a spot instance: handed out by `takeInstanceEvents` from `warningAt`
   * (default now), and `terminateAfterMs` later EC2 takes the instance. Its node leaves then, and pods
   * still on it are lost (their workloads recreate them unscheduled); the group, whose desired capacity
   * EC2 does not touch, launches a replacement. An instance the loop terminated in the meantime is not
   * taken twice. Throws for an unknown, terminating, already interrupted or on-demand instance, or a
   * warning in the past.
   *
   * @example
   * const [victim] = cloud.instances('spot-a');
   * if (victim) cloud.interruptSpotInstance(victim.instanceId); // taken two minutes from now
   */
  interruptSpotInstance(
    instanceId: string,
    options: { warningAt?: number; terminateAfterMs?: number } = {},
  ): SpotInterruptionWarning {
    const now = this.clock.now();
    const warnedAt = options.warningAt ?? now;
    const terminateAfterMs = options.terminateAfterMs ?? SPOT_INTERRUPTION_NOTICE_MS;
    if (warnedAt < now) throw new Error(`interruption warning at ${warnedAt} is in the past (now ${now})`);
    if (!(terminateAfterMs >= 0)) throw new Error(`terminateAfterMs must be >= 0, not ${terminateAfterMs}`);
    const found = this.findLiveInstance(instanceId);
    if (!found) throw new Error(`no running instance ${instanceId}`);
    const { instance } = found;
    if (instance.capacityType !== 'spot')
      throw new Error(`${instanceId} is on-demand: EC2 interrupts spot only`);
    if (instance.interruptAt !== undefined) throw new Error(`${instanceId} is already being interrupted`);
    instance.interruptAt = warnedAt + terminateAfterMs;
    const event = this.emit({
      ...this.aboutInstance(instance, warnedAt),
      kind: 'spot-interruption',
      instanceAction: 'terminate',
      interruptAt: instance.interruptAt,
    });
    return warningOf(event);
  }

  /**
   * An EC2 Instance Rebalance Recommendation for a spot instance: its capacity pool is at elevated risk
   * of interruption. Handed out by `takeInstanceEvents` from `at` (default now); by itself EC2 takes
   * nothing. Throws for an unknown, terminating, on-demand or already recommended instance, or a time in
   * the past.
   *
   * @example
   * const [atRisk] = cloud.instances('spot-a');
   * if (atRisk) cloud.recommendRebalance(atRisk.instanceId); // then, maybe, interruptSpotInstance
   */
  recommendRebalance(
    instanceId: string,
    options: { at?: number } = {},
  ): RebalanceRecommendationInstanceEvent {
    const now = this.clock.now();
    const at = options.at ?? now;
    if (at < now) throw new Error(`rebalance recommendation at ${at} is in the past (now ${now})`);
    const found = this.findLiveInstance(instanceId);
    if (!found) throw new Error(`no running instance ${instanceId}`);
    const { instance } = found;
    if (instance.capacityType !== 'spot')
      throw new Error(`${instanceId} is on-demand: EC2 recommends rebalancing spot only`);
    if (instance.rebalanceRecommendedAt !== undefined)
      throw new Error(`${instanceId} was already recommended for rebalancing`);
    instance.rebalanceRecommendedAt = at;
    const event = this.emit({ ...this.aboutInstance(instance, at), kind: 'rebalance-recommendation' });
    return { ...event };
  }

  /**
   * Brings the groups to the clock's time: spot instances whose interruption is due are taken, booted
   * instances go in service (their nodes join), groups below desired launch (unless capacity is short),
   * groups above desired terminate their newest instances, terminated instances disappear. Port calls do
   * this by themselves when the clock has moved.
   */
  reconcile(): void {
    const now = this.clock.now();
    this.lastReconcileAt = now;
    for (const group of this.groups.values()) {
      for (const instance of group.instances) {
        if (
          instance.interruptAt !== undefined &&
          instance.interruptAt <= now &&
          instance.state !== 'Terminating'
        ) {
          this.terminate(
            group,
            instance,
            'an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped',
          );
        }
      }
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
        if (instance.state !== 'Terminating') {
          live++;
          if (instance.interruptAt !== undefined) next = Math.min(next, instance.interruptAt);
        }
      }
      if (live < group.desiredCapacity)
        next = Math.min(next, Math.max(group.nextLaunchAttemptAt, this.lastReconcileAt));
      if (live > group.desiredCapacity) next = Math.min(next, this.lastReconcileAt);
    }
    // An event due later must wake the event source when it is emitted, not at the next other event.
    for (const event of this.undelivered) {
      if (event.time > this.lastReconcileAt) next = Math.min(next, event.time);
    }
    return next;
  }

  // ---- observation -----------------------------------------------------------------------------

  /** Scaling activities, oldest first (of one group when named); the port answers newest first. */
  activities(groupName?: string): readonly ScalingActivity[] {
    return groupName
      ? this.activityLog.filter((activity) => activity.groupName === groupName)
      : this.activityLog;
  }

  /**
   * The instance events emitted by now that were not taken yet, oldest first (ties in the order EC2
   * emitted them), each handed out once: what the simulator's event source delivers to the node-pool
   * loop.
   */
  takeInstanceEvents(): SimInstanceEvent[] {
    const now = this.clock.now();
    const due = this.undelivered.filter((event) => event.time <= now);
    if (due.length === 0) return [];
    this.undelivered = this.undelivered.filter((event) => event.time > now);
    return due.sort((a, b) => a.time - b.time).map((event) => ({ ...event }));
  }

  /**
   * Hands an event already taken out again, id and time unchanged, as EventBridge may (it delivers at
   * least once). Throws for an event never emitted.
   */
  redeliverInstanceEvent(id: string): void {
    const event = this.emitted.find((candidate) => candidate.id === id);
    if (!event) throw new Error(`no instance event ${id}`);
    this.undelivered.push(event);
  }

  /** Every instance event emitted by now, taken or not, oldest first (for reports and tests). */
  instanceEvents(): SimInstanceEvent[] {
    const now = this.clock.now();
    return this.emitted
      .filter((event) => event.time <= now)
      .sort((a, b) => a.time - b.time)
      .map((event) => ({ ...event }));
  }

  /** Every interruption warning emitted by now, taken or not, oldest first (for reports and tests). */
  interruptionWarnings(): SpotInterruptionWarning[] {
    return this.instanceEvents().flatMap((event) =>
      event.kind === 'spot-interruption' ? [warningOf(event)] : [],
    );
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

  /** The instance and its group, unless it is terminating or gone. */
  private findLiveInstance(instanceId: string): { group: GroupRecord; instance: SimInstance } | undefined {
    for (const group of this.groups.values()) {
      const instance = group.instances.find((candidate) => candidate.instanceId === instanceId);
      if (instance && instance.state !== 'Terminating') return { group, instance };
    }
    return undefined;
  }

  private describe(group: GroupRecord): AutoScalingGroup {
    const spot = group.spec.capacityType === 'spot';
    const mixed = (group.spec.fallbackInstanceTypes?.length ?? 0) > 0;
    const purchase: PurchaseOptions = {
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBase: spot ? 0 : 100,
      ...(mixed ? { spotAllocationStrategy: SIM_SPOT_ALLOCATION_STRATEGY } : {}),
    };
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
      instanceTypes: typesOf(group.spec),
      purchase,
    };
  }

  private newInstance(group: GroupRecord, zone: string, type: string, now: number): SimInstance {
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
      instanceType: type,
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
      let live = 0;
      for (const instance of group.instances) {
        if (instance.state === 'Terminating') continue;
        perZone.set(instance.zone, (perZone.get(instance.zone) ?? 0) + 1);
        live++;
      }
      // Auto Scaling keeps zones balanced: the emptiest zone first, then the next, until one has capacity.
      const zones = [...spec.availabilityZones].sort((a, b) => (perZone.get(a) ?? 0) - (perZone.get(b) ?? 0));
      const cause =
        `At ${awsTime(now)} an instance was started in response to a difference between desired and ` +
        `actual capacity, increasing the capacity from ${live} to ${group.desiredCapacity}.`;
      const { offering, refused } = this.chooseOffering(spec, zones);
      if (!offering) {
        const message = refused?.message ?? insufficientCapacityMessage(spec, zones[0] as string);
        if (refused) this.launchLimit?.onRefused(spec, refused.instanceType, refused.zone, refused.message);
        this.record({
          groupName: spec.name,
          startTime: now,
          endTime: now,
          statusCode: 'Failed',
          statusMessage: message,
          description: `Launching a new EC2 instance.  Status Reason: ${message}`,
          cause,
        });
        group.nextLaunchAttemptAt = now + LAUNCH_RETRY_MS;
        return;
      }
      const instance = this.newInstance(group, offering.zone, offering.instanceType, now);
      this.record({
        groupName: spec.name,
        startTime: now,
        endTime: now,
        statusCode: 'Successful',
        description: `Launching a new EC2 instance: ${instance.instanceId}`,
        cause,
      });
    }
  }

  /**
   * The first zone, in the given order, with capacity for one of the group's types that the launch limit
   * lets launch, and that type; else the first refusal by the limit among offerings that had capacity
   * (EC2 answers a launch it refuses for a quota with the quota's error, not a capacity one).
   */
  private chooseOffering(
    spec: SimGroupSpec,
    zones: string[],
  ): { offering?: CapacityPool; refused?: { instanceType: string; zone: string; message: string } } {
    let refused: { instanceType: string; zone: string; message: string } | undefined;
    for (const zone of zones) {
      for (const type of typesOf(spec)) {
        const pool = { instanceType: type, zone, capacityType: spec.capacityType };
        if (!this.isCapacityAvailable(pool)) continue;
        const message = this.launchLimit?.refusal(spec, type);
        if (message === undefined) return { offering: pool };
        refused ??= { instanceType: type, zone, message };
      }
    }
    return refused ? { refused } : {};
  }

  private record(activity: Omit<ScalingActivity, 'activityId'>): void {
    const activityId = uuidOf(this.seed, this.activityCounter++, 21);
    this.activityLog.push({ activityId, ...activity });
  }

  /** The envelope fields of an event about the instance, emitted at `time`. */
  private aboutInstance(instance: SimInstance, time: number) {
    return {
      // Salted apart from activity ids, so no event shares an id with an activity.
      id: uuidOf(this.seed, this.eventCounter++, 31),
      time,
      instanceId: instance.instanceId,
      groupName: instance.groupName,
      nodeName: instance.nodeName,
      zone: instance.zone,
      instanceType: instance.instanceType,
    };
  }

  private emit<E extends SimInstanceEvent>(event: E): E {
    this.emitted.push(event);
    this.undelivered.push(event);
    return event;
  }

  private bringInService(group: GroupRecord, instance: SimInstance): void {
    const spec = group.spec;
    const template = templateNode({
      instanceType: instanceType(instance.instanceType),
      zone: instance.zone,
      capacityType: instance.capacityType,
      labels: { ...spec.nodeLabels },
      // The group's taints only: whether spot nodes carry a spot taint is the scenario's choice.
      taints: [],
      spotTaint: false,
      maxPods: spec.maxPods ?? defaultMaxPods(instance.instanceType),
    });
    instance.state = 'InService';
    this.cluster.addNode({
      name: instance.nodeName,
      labels: {
        'kubernetes.io/hostname': instance.nodeName,
        'topology.kubernetes.io/region': this.region,
        ...template.labels,
      },
      capacity: template.capacity,
      allocatable: template.allocatable,
      ...(spec.nodeTaints ? { taints: spec.nodeTaints } : {}),
      providerID: `aws:///${instance.zone}/${instance.instanceId}`,
    });
  }

  private terminate(group: GroupRecord, instance: SimInstance, cause: string): void {
    const now = this.clock.now();
    if (instance.state === 'InService') this.cluster.removeNode(instance.nodeName);
    instance.state = 'Terminating';
    instance.goneAt = now + TERMINATION_MS;
    this.emit({
      ...this.aboutInstance(instance, now),
      kind: 'instance-state-change',
      state: 'shutting-down',
    });
    this.emit({
      ...this.aboutInstance(instance, instance.goneAt),
      kind: 'instance-state-change',
      state: 'terminated',
    });
    this.record({
      groupName: group.spec.name,
      startTime: now,
      endTime: now,
      statusCode: 'Successful',
      description: `Terminating EC2 instance: ${instance.instanceId}`,
      cause: `At ${awsTime(now)} ${cause}.`,
    });
  }
}
