/**
 * Faults: changes a scenario makes to the world at fixed offsets from its start, such as "m5.2xlarge
 * on-demand in eu-central-1a runs out of capacity at 19:30". They are part of the world's own timeline,
 * so they happen at their instant, not at the next controller tick.
 *
 * Kinds:
 * - `capacity`: an offering runs out of capacity (or gets it back);
 * - `spot-interruption`, `rebalance-recommendation`: EC2's spot notices for an instance of a group;
 * - `aws-throttling`: AWS APIs of the simulated cloud answer "Rate exceeded" for a window;
 * - `api-errors`: Kubernetes API calls of given methods (or HTTP verbs) fail for a window
 *   (faults-windows.ts arms both on the simulated ports);
 * - `lambda-crash`: the next invocation(s) of a loop's Lambda die after a given number of port calls
 *   (faults-lambda-crash.ts wires the loops so that they can die).
 * What the windows and crashes did (calls refused, invocations killed, when the loop recovered) is
 * counted in `FaultEffects`, which the world keeps.
 */
import type { CapacityType, SimCloud } from './cloud';
import type { SimCluster } from './cluster';
import type { SimEc2 } from './ec2';
import {
  AWS_THROTTLING_APIS,
  armWindow,
  HTTP_VERBS,
  KUBERNETES_API_METHODS,
  type KubernetesApiError,
  kubernetesMethodsOf,
} from './faults-windows';
import type { SimServiceQuotas } from './service-quotas';
import type { SimCloudWatch } from './sim-cloudwatch';
import type { SimSqs } from './sim-sqs';
import type { SimUsageMetrics } from './usage-metrics';
import type { SimVpas } from './vpa-objects';

/** An offering's capacity goes away (`available: false`) or comes back. */
export interface CapacityFault {
  /** Milliseconds after the scenario start. */
  atMs: number;
  kind: 'capacity';
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  available: boolean;
}

/**
 * EC2 warns that a spot instance will be interrupted and takes it two minutes later. The instance is
 * the one named, else the oldest in-service spot instance of the group not already being interrupted.
 */
export interface SpotInterruptionFault {
  atMs: number;
  kind: 'spot-interruption';
  /** The Auto Scaling group to take an instance from. */
  group: string;
  instanceId?: string;
  /** @default the spot notice (two minutes) */
  terminateAfterMs?: number;
}

/**
 * EC2 recommends rebalancing a spot instance (its capacity pool is at elevated risk of interruption);
 * nothing is taken by it. The instance is the one named, else the oldest in-service spot instance of the
 * group neither being interrupted nor recommended already.
 */
export interface RebalanceRecommendationFault {
  atMs: number;
  kind: 'rebalance-recommendation';
  /** The Auto Scaling group whose instance is at risk. */
  group: string;
  instanceId?: string;
}

/**
 * AWS throttles the named APIs for `durationMs`: every call is counted (the request went out) and
 * answered with the throttling error the real adapter reports after the SDK's retries (`Throttled`,
 * or the SDK's `ThrottlingException` for SQS and CloudWatch).
 */
export interface AwsThrottlingFault {
  atMs: number;
  kind: 'aws-throttling';
  /** AWS API names, as in AWS_THROTTLING_APIS (`SetDesiredCapacity`, `DescribeAutoScalingGroups`, ...). */
  apis: string[];
  durationMs: number;
}

/** Kubernetes API calls of the named port methods (or HTTP verbs) fail for `durationMs`. */
export interface ApiErrorsFault {
  atMs: number;
  kind: 'api-errors';
  /**
   * Methods of the Kubernetes port (`updateScale`, `listPods`, ...) or of the VPA port
   * (`patchWorkloadResources`, ...), or HTTP verbs (`GET`, `PUT`, `PATCH`, `POST`, `DELETE`) standing
   * for every method that sends one (see KUBERNETES_API_METHODS).
   */
  methods: string[];
  durationMs: number;
  /** @default 'server-error' */
  error?: KubernetesApiError;
}

/**
 * The next `invocations` invocations of a loop's Lambda that start at or after `atMs` die right after
 * `afterCalls` of their port calls took effect (0: before the first), as a Lambda killed by a timeout,
 * an out-of-memory or a host failure does; every later call of a dead invocation fails without effect.
 */
export interface LambdaCrashFault {
  atMs: number;
  kind: 'lambda-crash';
  /** The loop, by its controller's name: `hpa`, `node-pools`, `control-plane`, `vpa` or `quotas`. */
  loop: string;
  /** @default 1 */
  afterCalls?: number;
  /** @default 1 */
  invocations?: number;
}

export type ScenarioFault =
  | CapacityFault
  | SpotInterruptionFault
  | RebalanceRecommendationFault
  | AwsThrottlingFault
  | ApiErrorsFault
  | LambdaCrashFault;

/** The loops a `lambda-crash` can name (the simulator's controller names). */
export const SIM_LOOP_NAMES = ['hpa', 'node-pools', 'control-plane', 'vpa', 'quotas'] as const;

/** A fault as it happened, for results and reports. */
export interface AppliedFault {
  /** Epoch ms it was applied at (the world applies it when its clock reaches `start + atMs`). */
  time: number;
  fault: ScenarioFault;
  description: string;
  /**
   * What a window or crash fault did, as the world's `FaultEffects` keeps counting it: the same object,
   * so a result read after the run has the run's counts.
   */
  effect?: FaultWindowRecord | LambdaCrashRecord;
}

/** The parts of the world faults act on (a `SimWorld` is one). */
export interface FaultWorld {
  cloud: SimCloud;
  cluster: SimCluster;
  ec2: SimEc2;
  vpas: SimVpas;
  sqs: SimSqs;
  cloudwatch: SimCloudWatch;
  quotas: { serviceQuotas: SimServiceQuotas; usage: SimUsageMetrics } | undefined;
  clock: { now(): number };
  faultEffects: FaultEffects;
}

// ---- what faults did --------------------------------------------------------------------------------

/** A window of failing calls and how many calls it failed, by API or method. */
export interface FaultWindowRecord {
  fault: AwsThrottlingFault | ApiErrorsFault;
  /** Epoch ms. */
  from: number;
  until: number;
  failures: Record<string, number>;
}

/** An invocation killed by a `lambda-crash`. */
export interface LambdaDeath {
  /** Epoch ms the invocation started. */
  at: number;
  /** Port calls that took effect before it died. */
  calls: number;
  /** The last call that took effect (`kubernetes.listPods`), if any. */
  lastCall?: string;
}

export interface LambdaCrashRecord {
  fault: LambdaCrashFault;
  /** Epoch ms the crash was armed (the fault's instant). */
  armedAt: number;
  deaths: LambdaDeath[];
  /** When an invocation of the loop next completed after the last death: the loop recovered. */
  recoveredAt?: number;
}

/**
 * What the faults with a lasting effect did: calls failed by each window, invocations killed by each
 * crash and when the loop recovered. The world keeps one; crash wrappers (faults-lambda-crash.ts)
 * consult it at each invocation.
 */
export class FaultEffects {
  readonly windows: FaultWindowRecord[] = [];
  readonly crashes: LambdaCrashRecord[] = [];

  /**
   * An error factory failing calls until the window's end, counting them under `countAs` (else the
   * method); undefined afterwards, which drops it (api-calls.ts).
   */
  window(
    record: FaultWindowRecord,
    clock: { now(): number },
    make: (method: string) => Error,
    countAs?: string,
  ): (method: string) => Error | undefined {
    return (method) => {
      if (clock.now() >= record.until) return undefined;
      const key = countAs ?? method;
      record.failures[key] = (record.failures[key] ?? 0) + 1;
      return make(method);
    };
  }

  armCrash(fault: LambdaCrashFault, at: number): void {
    this.crashes.push({ fault, armedAt: at, deaths: [] });
  }

  /** The crash an invocation of `loop` starting now must die of, if one is armed for it. */
  doomed(loop: string): LambdaCrashRecord | undefined {
    return this.crashes.find(
      (record) => record.fault.loop === loop && record.deaths.length < (record.fault.invocations ?? 1),
    );
  }

  /** An invocation of `loop` completed: every crash of it whose invocations all died has recovered now. */
  completed(loop: string, at: number): void {
    for (const record of this.crashes) {
      if (record.fault.loop !== loop || record.recoveredAt !== undefined || record.deaths.length === 0)
        continue;
      if (record.deaths.length >= (record.fault.invocations ?? 1)) record.recoveredAt = at;
    }
  }

  /** The record of a window or crash fault, once applied. */
  recordOf(fault: ScenarioFault): FaultWindowRecord | LambdaCrashRecord | undefined {
    return (
      this.windows.find((record) => record.fault === fault) ??
      this.crashes.find((record) => record.fault === fault)
    );
  }

  /** Failed calls of all windows. */
  failedCalls(): number {
    let total = 0;
    for (const record of this.windows) for (const count of Object.values(record.failures)) total += count;
    return total;
  }
}

// ---- describing and applying ------------------------------------------------------------------------

function minutesText(ms: number): string {
  const minutes = ms / 60_000;
  return Number.isInteger(minutes) ? `${minutes} min` : `${Math.round(ms / 1000)} s`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** The fault in a few words, e.g. `m5.2xlarge on-demand in eu-central-1a: no capacity`. */
export function describeFault(fault: ScenarioFault, applied?: string): string {
  switch (fault.kind) {
    case 'spot-interruption':
      return `spot interruption warning: ${applied ?? fault.instanceId ?? 'a spot instance'} in ${fault.group}`;
    case 'rebalance-recommendation':
      return `rebalance recommendation: ${applied ?? fault.instanceId ?? 'a spot instance'} in ${fault.group}`;
    case 'aws-throttling':
      return applied ?? `AWS throttles ${fault.apis.join(', ')} for ${minutesText(fault.durationMs)}`;
    case 'api-errors':
      return (
        `Kubernetes API calls of ${fault.methods.join(', ')} fail (${fault.error ?? 'server-error'}) ` +
        `for ${minutesText(fault.durationMs)}`
      );
    case 'lambda-crash': {
      const invocations = fault.invocations ?? 1;
      const after = fault.afterCalls ?? 1;
      const one = invocations === 1;
      const its = one ? 'its' : 'their';
      return (
        `${one ? 'the next invocation' : `the next ${invocations} invocations`} of the ${fault.loop} Lambda ` +
        `${one ? 'dies' : 'die'} ` +
        (after === 0 ? `before ${its} first port call` : `after ${its} ${ordinal(after)} port call`)
      );
    }
    case 'capacity': {
      const offering = `${fault.instanceType} ${fault.capacityType} in ${fault.zone}`;
      return `${offering}: ${fault.available ? 'capacity restored' : 'no capacity'}`;
    }
  }
}

/**
 * Faults in the order they happen (ties keep the scenario's order), checked up front so that a typo in a
 * scenario fails when the world is built rather than hours into a run.
 */
export function scheduleFaults(faults: readonly ScenarioFault[], durationMs: number): ScenarioFault[] {
  for (const [index, fault] of faults.entries()) {
    if (!Number.isFinite(fault.atMs) || fault.atMs < 0 || fault.atMs > durationMs) {
      throw new RangeError(`faults[${index}]: atMs ${fault.atMs} is outside the scenario (0–${durationMs})`);
    }
    const problem = faultProblem(fault);
    if (problem) throw new RangeError(`faults[${index}]: ${problem}`);
  }
  return faults
    .map((fault, index) => ({ fault, index }))
    .sort((a, b) => a.fault.atMs - b.fault.atMs || a.index - b.index)
    .map(({ fault }) => fault);
}

/** What is wrong with a fault's own fields, if anything. */
function faultProblem(fault: ScenarioFault): string | undefined {
  switch (fault.kind) {
    case 'aws-throttling': {
      if (!(fault.durationMs > 0)) return `durationMs ${fault.durationMs} must be > 0`;
      const unknown = fault.apis.filter((api) => !Object.hasOwn(AWS_THROTTLING_APIS, api));
      if (fault.apis.length === 0) return 'apis is empty';
      return unknown.length > 0
        ? `unknown AWS API ${unknown.join(', ')} (known: ${Object.keys(AWS_THROTTLING_APIS).join(', ')})`
        : undefined;
    }
    case 'api-errors':
      if (!(fault.durationMs > 0)) return `durationMs ${fault.durationMs} must be > 0`;
      if (fault.methods.length === 0) return 'methods is empty';
      return kubernetesMethodsOf(fault.methods) === undefined
        ? `unknown method in ${fault.methods.join(', ')} (known: ${Object.keys(KUBERNETES_API_METHODS).join(', ')}, or ${HTTP_VERBS.join(', ')})`
        : undefined;
    case 'lambda-crash': {
      const after = fault.afterCalls ?? 1;
      const invocations = fault.invocations ?? 1;
      if (!Number.isInteger(after) || after < 0) return `afterCalls ${after} must be an integer ≥ 0`;
      if (!Number.isInteger(invocations) || invocations < 1)
        return `invocations ${invocations} must be an integer ≥ 1`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A window of failing calls from now on, armed on the ports that serve the fault's APIs or methods. */
function applyWindowFault(world: FaultWorld, fault: AwsThrottlingFault | ApiErrorsFault): string {
  const from = world.clock.now();
  const record: FaultWindowRecord = { fault, from, until: from + fault.durationMs, failures: {} };
  world.faultEffects.windows.push(record);
  const missing = armWindow(world, fault, record);
  return describeFault(fault) + (missing.length > 0 ? ` (not simulated here: ${missing.join(', ')})` : '');
}

function isFaultWorld(target: SimCloud | FaultWorld): target is FaultWorld {
  return 'faultEffects' in target;
}

/**
 * Applies one fault. Returns what it acted on when the fault picks it (the interrupted or recommended
 * instance), undefined when it found nothing to act on. The window and crash kinds need the whole world
 * (`FaultWorld`); the capacity and spot kinds only its cloud.
 */
export function applyFault(target: SimCloud | FaultWorld, fault: ScenarioFault): string | undefined {
  const cloud = isFaultWorld(target) ? target.cloud : target;
  switch (fault.kind) {
    case 'spot-interruption': {
      const victim = cloud
        .instances(fault.group)
        .find(
          (instance) =>
            instance.capacityType === 'spot' &&
            instance.state === 'InService' &&
            instance.interruptAt === undefined &&
            (fault.instanceId === undefined || instance.instanceId === fault.instanceId),
        );
      if (!victim) return undefined;
      cloud.interruptSpotInstance(
        victim.instanceId,
        fault.terminateAfterMs !== undefined ? { terminateAfterMs: fault.terminateAfterMs } : {},
      );
      return `${victim.instanceId} (node ${victim.nodeName})`;
    }
    case 'rebalance-recommendation': {
      const atRisk = cloud
        .instances(fault.group)
        .find(
          (instance) =>
            instance.capacityType === 'spot' &&
            instance.state === 'InService' &&
            instance.interruptAt === undefined &&
            instance.rebalanceRecommendedAt === undefined &&
            (fault.instanceId === undefined || instance.instanceId === fault.instanceId),
        );
      if (!atRisk) return undefined;
      cloud.recommendRebalance(atRisk.instanceId);
      return `${atRisk.instanceId} (node ${atRisk.nodeName})`;
    }
    case 'capacity':
      cloud.setCapacityAvailable(
        { instanceType: fault.instanceType, zone: fault.zone, capacityType: fault.capacityType },
        fault.available,
      );
      return describeFault(fault);
    case 'aws-throttling':
    case 'api-errors':
      if (!isFaultWorld(target))
        throw new Error(`a ${fault.kind} fault needs the whole world, not only its cloud`);
      return applyWindowFault(target, fault);
    case 'lambda-crash':
      if (!isFaultWorld(target))
        throw new Error('a lambda-crash fault needs the whole world, not only its cloud');
      target.faultEffects.armCrash(fault, target.clock.now());
      return describeFault(fault);
  }
}

// ---- summaries --------------------------------------------------------------------------------------

/** `19:30`, or `19:30:15` off the minute, in the scenario's local time. */
function localClock(epochMs: number, utcOffsetMinutes: number): string {
  const text = new Date(epochMs + utcOffsetMinutes * 60_000).toISOString().slice(11, 19);
  return text.endsWith(':00') ? text.slice(0, 5) : text;
}

function countsText(failures: Record<string, number>): string {
  const entries = Object.entries(failures);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (entries.length <= 1) return `${total}`;
  return `${total} (${entries.map(([key, count]) => `${key} ${count}`).join(', ')})`;
}

/** What a window or crash fault did, in a few words. */
function effectText(entry: AppliedFault, utcOffsetMinutes: number): string | undefined {
  const { fault, effect } = entry;
  if (!effect) return undefined;
  if ('failures' in effect) {
    const verb = fault.kind === 'aws-throttling' ? 'throttled' : 'failed';
    return `${countsText(effect.failures)} calls ${verb}`;
  }
  if (effect.deaths.length === 0) return `no ${effect.fault.loop} invocation started after it: nothing died`;
  const deaths = effect.deaths.map((death) => {
    const when = localClock(death.at, utcOffsetMinutes);
    return death.lastCall
      ? `died at ${when} after port call ${death.calls} (${death.lastCall})`
      : `died at ${when} before its first port call`;
  });
  const last = effect.deaths.at(-1) as LambdaDeath;
  const recovery =
    effect.recoveredAt === undefined
      ? 'not recovered by the end'
      : `recovered at ${localClock(effect.recoveredAt, utcOffsetMinutes)} ` +
        `(${Math.round((effect.recoveredAt - last.at) / 1000)} s later)`;
  return `${deaths.join('; ')}; ${recovery}`;
}

/**
 * One line per fault that happened, with what the window and crash kinds did, for the terminal summary.
 *
 * @example
 * faultSummaryLines(result.faults, 120)
 * // ['07:20 AWS throttles SetDesiredCapacity for 20 min: 14 calls throttled', ...]
 */
export function faultSummaryLines(applied: readonly AppliedFault[], utcOffsetMinutes: number): string[] {
  return applied.map((entry) => {
    const effect = effectText(entry, utcOffsetMinutes);
    return `${localClock(entry.time, utcOffsetMinutes)} ${entry.description}${effect ? `: ${effect}` : ''}`;
  });
}
