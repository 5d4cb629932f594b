/**
 * The API load balancer's target groups in memory, behind the same `LoadBalancingPort` the real adapter
 * implements. Auto Scaling registers each instance of an attached group once it is in service; ELB then
 * reports it `initial` until its health check (`/readyz` through the API server) has passed
 * `healthyThreshold` times `intervalSeconds` apart after the API server came up, `healthy` from then on.
 * A target that is deregistered, or whose instance terminates, is `draining` for the deregistration
 * delay and then gone (absent, as `DescribeTargetHealth` lists it no more). An instance that was
 * deregistered is never registered again (Auto Scaling registers at launch only). A target whose API
 * server never comes up turns `unhealthy` after `unhealthyThreshold` failed checks.
 *
 * Every target keeps the instants it became healthy and stopped being so, so the number of healthy API
 * servers is known at every moment, not only at the instants someone looked (`minHealthy`).
 */
import type { Clock } from '../../ports/clock';
import {
  LoadBalancingError,
  type LoadBalancingPort,
  type TargetHealth,
  type TargetState,
} from '../../ports/load-balancing';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';
import { type SimCloud, type SimInstance, TERMINATION_MS } from '../cloud';
import type { SimApiServers } from './api-servers';

/** An API load balancer's health check as kOps-style NLBs set it: every 10 s, 3 to pass, 3 to fail. */
export const DEFAULT_HEALTH_CHECK = { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 3 };
/** ELBv2's default `deregistration_delay.timeout_seconds`. */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

export interface SimTargetGroupSpec {
  arn: string;
  /** Auto Scaling groups attached to it (their instances register when in service). */
  groups: string[];
  /** @default DEFAULT_DEREGISTRATION_DELAY_SECONDS */
  deregistrationDelaySeconds?: number;
  /** @default DEFAULT_HEALTH_CHECK */
  healthCheck?: { intervalSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
}

interface Target {
  instanceId: string;
  registeredAt: number;
  /** When it becomes (became) healthy; undefined while that is not known (the API server is not up). */
  healthyAt?: number;
  /** When it was deregistered or its instance terminated. */
  leftAt?: number;
}

interface GroupRecord {
  spec: SimTargetGroupSpec;
  delayMs: number;
  checkMs: { healthy: number; unhealthy: number };
  /** By instance ID, in registration order; gone targets are dropped. */
  targets: Map<string, Target>;
  /** Targets that have been dropped, kept for `minHealthy` over the past. */
  past: Target[];
  /** Instances ever registered: Auto Scaling does not register an instance twice. */
  seen: Set<string>;
}

type PortMethod = keyof LoadBalancingPort;

/** ELBv2's reason code for a state other than healthy. */
function reasonOf(state: TargetState): string | undefined {
  switch (state) {
    case 'initial':
      return 'Elb.RegistrationInProgress';
    case 'unhealthy':
      return 'Target.FailedHealthChecks';
    case 'draining':
      return 'Target.DeregistrationInProgress';
    default:
      return undefined;
  }
}

/**
 * @example
 * const targets = new SimTargetGroups({ clock, cloud, servers });
 * targets.addTargetGroup({ arn, groups: ['control-plane-a'] }, { warm: true });
 * await targets.describeTargetHealth(arn); // [{ targetId: 'i-0…', state: 'healthy' }, …]
 */
export class SimTargetGroups implements LoadBalancingPort {
  private readonly api = new ApiCallRecorder();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly clock: Clock;
  private readonly cloud: SimCloud;
  private readonly servers: SimApiServers;

  constructor(options: { clock: Clock; cloud: SimCloud; servers: SimApiServers }) {
    this.clock = options.clock;
    this.cloud = options.cloud;
    this.servers = options.servers;
  }

  async describeTargetHealth(targetGroupArn: string): Promise<TargetHealth[]> {
    this.api.call('describeTargetHealth', 'DescribeTargetHealth');
    const group = this.group(targetGroupArn);
    this.sync();
    const now = this.clock.now();
    const out: TargetHealth[] = [];
    for (const target of group.targets.values()) {
      const state = this.stateOf(group, target, now);
      if (!state) continue;
      const reason = reasonOf(state);
      out.push({ targetId: target.instanceId, port: 443, state, ...(reason ? { reason } : {}) });
    }
    return out;
  }

  async deregisterTargets(targetGroupArn: string, instanceIds: string[]): Promise<void> {
    this.api.call('deregisterTargets', 'DeregisterTargets');
    const group = this.group(targetGroupArn);
    this.sync();
    const now = this.clock.now();
    for (const id of instanceIds) {
      const target = group.targets.get(id);
      if (target && target.leftAt === undefined) target.leftAt = now;
    }
  }

  async deregistrationDelaySeconds(targetGroupArn: string): Promise<number> {
    this.api.call('deregistrationDelaySeconds', 'DescribeTargetGroupAttributes');
    return this.group(targetGroupArn).delayMs / 1000;
  }

  // ---- the world ---------------------------------------------------------------------------------

  /**
   * A target group with its attached Auto Scaling groups. With `warm`, the instances in service now are
   * registered and healthy already (a load balancer that has been running for a while).
   */
  addTargetGroup(spec: SimTargetGroupSpec, options: { warm?: boolean } = {}): void {
    if (this.groups.has(spec.arn)) throw new Error(`target group ${spec.arn} exists`);
    const check = spec.healthCheck ?? DEFAULT_HEALTH_CHECK;
    const record: GroupRecord = {
      spec,
      delayMs: (spec.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS) * 1000,
      checkMs: {
        healthy: check.intervalSeconds * check.healthyThreshold * 1000,
        unhealthy: check.intervalSeconds * check.unhealthyThreshold * 1000,
      },
      targets: new Map(),
      past: [],
      seen: new Set(),
    };
    this.groups.set(spec.arn, record);
    if (options.warm ?? true) {
      const now = this.clock.now();
      for (const instance of this.attachedInstances(record)) {
        if (instance.state !== 'InService') continue;
        record.seen.add(instance.instanceId);
        record.targets.set(instance.instanceId, {
          instanceId: instance.instanceId,
          registeredAt: now,
          healthyAt: now,
        });
      }
    }
    this.sync();
  }

  /**
   * Brings the targets to the clock's time: new in-service instances register, targets of terminated
   * instances start draining, drained targets go. Port calls do this by themselves.
   */
  sync(): void {
    this.cloud.sync();
    const now = this.clock.now();
    for (const group of this.groups.values()) {
      const live = new Map<string, SimInstance>();
      for (const instance of this.attachedInstances(group)) live.set(instance.instanceId, instance);
      for (const instance of live.values()) {
        if (instance.state !== 'InService' || group.seen.has(instance.instanceId)) continue;
        group.seen.add(instance.instanceId);
        group.targets.set(instance.instanceId, {
          instanceId: instance.instanceId,
          registeredAt: instance.readyAt,
        });
      }
      for (const target of [...group.targets.values()]) {
        const instance = live.get(target.instanceId);
        if (target.healthyAt === undefined && instance) {
          const upAt = this.servers.upAt(instance);
          if (upAt !== undefined)
            target.healthyAt = Math.max(upAt, target.registeredAt) + group.checkMs.healthy;
        }
        if (target.leftAt === undefined && (!instance || instance.state === 'Terminating')) {
          // Auto Scaling deregisters an instance it terminates; it left when its termination began.
          target.leftAt = instance?.goneAt !== undefined ? instance.goneAt - TERMINATION_MS : now;
        }
        if (target.leftAt !== undefined && target.leftAt + group.delayMs <= now) {
          group.targets.delete(target.instanceId);
          group.past.push(target);
        }
      }
    }
  }

  /** When a target next changes state by itself (turns healthy or unhealthy, finishes draining). */
  nextEventAt(): number {
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) {
      for (const target of group.targets.values()) {
        const times = [
          target.healthyAt,
          target.leftAt === undefined ? undefined : target.leftAt + group.delayMs,
          target.healthyAt === undefined ? target.registeredAt + group.checkMs.unhealthy : undefined,
        ];
        for (const time of times) if (time !== undefined && time > now) next = Math.min(next, time);
      }
    }
    return next;
  }

  /** Instances healthy in every target group at `t` (now by default): the API servers taking traffic. */
  healthyInstances(t = this.clock.now()): string[] {
    const groups = [...this.groups.values()];
    const first = groups[0];
    if (!first) return [];
    const ids: string[] = [];
    for (const target of [...first.past, ...first.targets.values()]) {
      if (groups.every((group) => this.healthyAt(group, target.instanceId, t))) ids.push(target.instanceId);
    }
    return [...new Set(ids)];
  }

  /**
   * The fewest API servers healthy in every target group at any moment of [from, to] (exact: every
   * instant a target turned healthy or left is looked at).
   */
  minHealthy(from: number, to: number): number {
    const instants = new Set<number>([from]);
    for (const group of this.groups.values()) {
      for (const target of [...group.past, ...group.targets.values()]) {
        for (const time of [target.healthyAt, target.leftAt]) {
          if (time !== undefined && time > from && time <= to) instants.add(time);
        }
      }
    }
    let fewest = Number.POSITIVE_INFINITY;
    for (const instant of instants) fewest = Math.min(fewest, this.healthyInstances(instant).length);
    return Number.isFinite(fewest) ? fewest : 0;
  }

  /** Target group ARNs, in the order they were added. */
  arns(): string[] {
    return [...this.groups.keys()];
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private healthyAt(group: GroupRecord, instanceId: string, t: number): boolean {
    const target = group.targets.get(instanceId) ?? group.past.find((p) => p.instanceId === instanceId);
    if (!target || target.healthyAt === undefined) return false;
    return target.healthyAt <= t && (target.leftAt === undefined || t < target.leftAt);
  }

  private stateOf(group: GroupRecord, target: Target, now: number): TargetState | undefined {
    if (target.leftAt !== undefined) return now < target.leftAt + group.delayMs ? 'draining' : undefined;
    if (target.healthyAt !== undefined && now >= target.healthyAt) return 'healthy';
    if (target.healthyAt === undefined && now >= target.registeredAt + group.checkMs.unhealthy)
      return 'unhealthy';
    return 'initial';
  }

  private attachedInstances(group: GroupRecord): SimInstance[] {
    return group.spec.groups.flatMap((name) => this.cloud.instances(name));
  }

  private group(arn: string): GroupRecord {
    const group = this.groups.get(arn);
    if (!group) {
      throw new LoadBalancingError('NotFound', `One or more target groups not found: ${arn}`);
    }
    return group;
  }
}
