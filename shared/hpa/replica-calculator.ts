/**
 * Replica proposals per metric kind, as upstream's `ReplicaCalculator`
 * (pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go), on data already
 * fetched: pods of the scale target and metric samples in milli-units. Integer arithmetic (the
 * truncating divisions of utilization and averages) is done in BigInt, as upstream does in int64.
 *
 * Each function throws `ReplicaCalcError` with upstream's message when it cannot propose, and returns
 * the proposal together with every intermediate for the explanation.
 */
import type { Pod } from '../ports/kubernetes';
import type { PodGroups, PodSample, ReadinessSettings } from './pods';
import { calculateRequests, groupPods, readyPodsCount } from './pods';

/** Scale-down and scale-up tolerance around a usage ratio of 1.0. */
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

/** `Tolerances.isWithin`: `1 - scaleDown <= ratio <= 1 + scaleUp`. */
export function isWithinTolerance(tolerances: Tolerances, usageRatio: number): boolean {
  return 1.0 - tolerances.scaleDown <= usageRatio && usageRatio <= 1.0 + tolerances.scaleUp;
}

/** The calculator could not propose a replica count (upstream error text in `message`). */
export class ReplicaCalcError extends Error {
  override readonly name = 'ReplicaCalcError';
}

/** Largest replica count (int32). */
export const MAX_REPLICAS = 2_147_483_647;
/** int64 max as a float (2^63 - 1 rounds to 2^63). */
const INT64_MAX = 2 ** 63;

/** `int32(math.Ceil(x))`, saturated to the int32 range as upstream does where it guards. */
function ceilReplicas(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value >= MAX_REPLICAS) return MAX_REPLICAS;
  return Math.ceil(value);
}

/** How missing and unready pods were folded in when the first ratio was not trusted on its own. */
export interface Rebalance {
  /** Missing pods counted at the target (scale-down), at 0 (scale-up), or not at all (ratio exactly 1). */
  missingPodsAs: 'target' | 'zero' | 'unchanged';
  /** Unready pods counted at 0 (only on scale-up). */
  unreadyPodsAsZero: boolean;
  newUsageRatio: number;
  /** `ceil(newUsageRatio × pods considered)`, before the direction checks. */
  newReplicas?: number;
  /** Why the current count was kept, if it was. */
  keptCurrent?: 'withinTolerance' | 'directionChanged' | 'replicaDirectionChanged';
}

/** Every intermediate of a pod-based calculation (Resource, ContainerResource, Pods). */
export interface PodCalculation {
  groups: PodGroups;
  usageRatio: number;
  /** `ceil(usageRatio × readyPodCount)`: the proposal had no pod been unready or missing. */
  rawProposal: number;
  withinTolerance: boolean;
  rebalance?: Rebalance;
  proposal: number;
}

export interface ResourceCalculation extends PodCalculation {
  /** Average utilization in percent of requests (truncated). */
  utilization: number;
  /** Average usage per pod in milli-units (truncated). */
  rawUtilization: number;
  requestsTotal: number;
}

export interface PlainCalculation extends PodCalculation {
  /** Average usage per pod in milli-units (truncated). */
  usage: number;
}

interface PodCalcArgs {
  currentReplicas: number;
  tolerances: Tolerances;
  /** All pods the scale target's selector matches. */
  pods: readonly Pod[];
  /** Samples by pod name; may contain pods not in `pods`. */
  metrics: ReadonlyMap<string, PodSample>;
  readiness: ReadinessSettings;
  now: number;
}

/** `GetResourceUtilizationRatio`. */
function resourceUtilizationRatio(
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: number; requestsTotal: number } {
  let metricsTotal = 0n;
  let requestsTotal = 0n;
  let entries = 0n;
  for (const [podName, value] of metrics) {
    const request = requests.get(podName);
    if (request === undefined) continue; // superfluous metric of a pod we do not know
    metricsTotal += BigInt(value);
    requestsTotal += BigInt(request);
    entries++;
  }
  if (requestsTotal === 0n) throw new ReplicaCalcError('no metrics returned matched known pods');
  let utilizationBig = (metricsTotal * 100n) / requestsTotal;
  if (utilizationBig > 2147483647n) utilizationBig = 2147483647n;
  const utilization = Number(utilizationBig);
  return {
    ratio: utilization / targetUtilization,
    utilization,
    rawAverage: Number(metricsTotal / entries),
    requestsTotal: Number(requestsTotal),
  };
}

/** `GetMetricUsageRatio`. */
function metricUsageRatio(
  metrics: ReadonlyMap<string, number>,
  targetUsage: number,
): { ratio: number; usage: number } {
  let total = 0n;
  for (const value of metrics.values()) total += BigInt(value);
  const usage = Number(total / BigInt(metrics.size));
  return { ratio: usage / targetUsage, usage };
}

function valuesOf(metrics: ReadonlyMap<string, PodSample>, drop: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, sample] of metrics) if (!drop.has(name)) out.set(name, sample.value);
  return out;
}

/**
 * `GetResourceReplicas`: a Utilization target on a resource (all containers, or one container).
 * Throws `ReplicaCalcError` (no pods, no metrics for targeted pods, missing requests, disjoint metrics).
 */
export function resourceReplicas(
  args: PodCalcArgs & { targetUtilization: number; resource: string; container?: string },
): ResourceCalculation {
  const { currentReplicas, tolerances, pods } = args;
  if (pods.length === 0)
    throw new ReplicaCalcError('no pods returned by selector while calculating replica count');
  const groups = groupPods(pods, args.metrics, args.resource, args.readiness, args.now);
  const metrics = valuesOf(args.metrics, new Set([...groups.ignored, ...groups.unready]));
  if (metrics.size === 0) {
    throw new ReplicaCalcError('did not receive metrics for targeted pods (pods might be unready)');
  }
  let requests: Map<string, number>;
  try {
    requests = calculateRequests(pods, args.container, args.resource);
  } catch (error) {
    throw new ReplicaCalcError(error instanceof Error ? error.message : String(error));
  }
  const first = resourceUtilizationRatio(metrics, requests, args.targetUtilization);
  const usageRatio = first.ratio;
  const base = {
    groups,
    usageRatio,
    rawProposal: ceilReplicas(usageRatio * groups.readyPodCount),
    withinTolerance: isWithinTolerance(tolerances, usageRatio),
    utilization: first.utilization,
    rawUtilization: first.rawAverage,
    requestsTotal: first.requestsTotal,
  };

  const scaleUpWithUnready = groups.unready.length > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missing.length === 0) {
    return { ...base, proposal: base.withinTolerance ? currentReplicas : base.rawProposal };
  }

  let missingPodsAs: Rebalance['missingPodsAs'] = 'unchanged';
  if (groups.missing.length > 0) {
    if (usageRatio < 1.0) {
      // On a scale-down, missing pods use 100% of their request, or the target when it is above 100%.
      const fallbackUtilization = BigInt(Math.max(100, args.targetUtilization));
      for (const podName of groups.missing) {
        metrics.set(podName, Number((BigInt(requests.get(podName) ?? 0) * fallbackUtilization) / 100n));
      }
      missingPodsAs = 'target';
    } else if (usageRatio > 1.0) {
      for (const podName of groups.missing) metrics.set(podName, 0);
      missingPodsAs = 'zero';
    }
  }
  if (scaleUpWithUnready) {
    for (const podName of groups.unready) metrics.set(podName, 0);
  }
  const newUsageRatio = resourceUtilizationRatio(metrics, requests, args.targetUtilization).ratio;
  const rebalance: Rebalance = { missingPodsAs, unreadyPodsAsZero: scaleUpWithUnready, newUsageRatio };
  return { ...base, rebalance, proposal: rebalancedProposal(rebalance, usageRatio, metrics.size, args) };
}

/** The direction and tolerance checks after missing/unready pods were folded in. */
function rebalancedProposal(
  rebalance: Rebalance,
  usageRatio: number,
  podsConsidered: number,
  args: { currentReplicas: number; tolerances: Tolerances },
): number {
  const { newUsageRatio } = rebalance;
  if (isWithinTolerance(args.tolerances, newUsageRatio)) {
    rebalance.keptCurrent = 'withinTolerance';
    return args.currentReplicas;
  }
  if ((usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    rebalance.keptCurrent = 'directionChanged';
    return args.currentReplicas;
  }
  const newReplicas = ceilReplicas(newUsageRatio * podsConsidered);
  rebalance.newReplicas = newReplicas;
  if (
    (newUsageRatio < 1.0 && newReplicas > args.currentReplicas) ||
    (newUsageRatio > 1.0 && newReplicas < args.currentReplicas)
  ) {
    rebalance.keptCurrent = 'replicaDirectionChanged';
    return args.currentReplicas;
  }
  return newReplicas;
}

/**
 * `calcPlainMetricReplicas`: an AverageValue target per pod (Resource/ContainerResource AverageValue with
 * `resource` set, Pods metrics with `resource` undefined).
 */
export function plainMetricReplicas(
  args: PodCalcArgs & { targetUsage: number; resource?: string },
): PlainCalculation {
  const { currentReplicas, tolerances, pods } = args;
  if (pods.length === 0)
    throw new ReplicaCalcError('no pods returned by selector while calculating replica count');
  const groups = groupPods(pods, args.metrics, args.resource, args.readiness, args.now);
  const metrics = valuesOf(args.metrics, new Set([...groups.ignored, ...groups.unready]));
  if (metrics.size === 0) {
    throw new ReplicaCalcError('did not receive metrics for targeted pods (pods might be unready)');
  }
  const first = metricUsageRatio(metrics, args.targetUsage);
  const usageRatio = first.ratio;
  const base = {
    groups,
    usageRatio,
    usage: first.usage,
    rawProposal: ceilReplicas(usageRatio * groups.readyPodCount),
    withinTolerance: isWithinTolerance(tolerances, usageRatio),
  };
  const scaleUpWithUnready = groups.unready.length > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missing.length === 0) {
    return { ...base, proposal: base.withinTolerance ? currentReplicas : base.rawProposal };
  }
  let missingPodsAs: Rebalance['missingPodsAs'] = 'unchanged';
  if (groups.missing.length > 0) {
    if (usageRatio < 1.0) {
      for (const podName of groups.missing) metrics.set(podName, args.targetUsage);
      missingPodsAs = 'target';
    } else if (usageRatio > 1.0) {
      for (const podName of groups.missing) metrics.set(podName, 0);
      missingPodsAs = 'zero';
    }
  }
  if (scaleUpWithUnready) {
    for (const podName of groups.unready) metrics.set(podName, 0);
  }
  const newUsageRatio = metricUsageRatio(metrics, args.targetUsage).ratio;
  const rebalance: Rebalance = { missingPodsAs, unreadyPodsAsZero: scaleUpWithUnready, newUsageRatio };
  return { ...base, rebalance, proposal: rebalancedProposal(rebalance, usageRatio, metrics.size, args) };
}

/** Intermediates of a calculation on one value (Object, External). */
export interface ValueCalculation {
  usageRatio: number;
  withinTolerance: boolean;
  /** Ready pods counted (only for Value targets with current replicas above zero). */
  readyPodCount?: number;
  proposal: number;
  /** The value for status: the value itself (Value targets) or the average per pod (AverageValue). */
  usage: number;
  /** Set when the scale-to-zero path (`ceil(usageRatio)`) was taken. */
  fromZero?: boolean;
}

/** `getUsageRatioReplicaCount`. */
function usageRatioReplicaCount(
  currentReplicas: number,
  usageRatio: number,
  tolerances: Tolerances,
  pods: readonly Pod[],
): Omit<ValueCalculation, 'usage'> {
  if (currentReplicas !== 0) {
    const withinTolerance = isWithinTolerance(tolerances, usageRatio);
    if (withinTolerance) return { usageRatio, withinTolerance, proposal: currentReplicas };
    if (pods.length === 0) {
      throw new ReplicaCalcError(
        'unable to calculate ready pods: no pods returned by selector while calculating replica count',
      );
    }
    const readyPodCount = readyPodsCount(pods);
    return { usageRatio, withinTolerance, readyPodCount, proposal: ceilReplicas(usageRatio * readyPodCount) };
  }
  return { usageRatio, withinTolerance: false, proposal: ceilReplicas(usageRatio), fromZero: true };
}

/** `GetObjectMetricReplicas` (Value target): `ceil(value / target × ready pods)`. */
export function objectValueReplicas(args: {
  currentReplicas: number;
  usage: number;
  targetUsage: number;
  tolerances: Tolerances;
  pods: readonly Pod[];
}): ValueCalculation {
  const usageRatio = args.usage / args.targetUsage;
  return {
    ...usageRatioReplicaCount(args.currentReplicas, usageRatio, args.tolerances, args.pods),
    usage: args.usage,
  };
}

/** Sum of external series, saturated at int64 max as upstream does. */
export function sumSeries(values: readonly number[]): number {
  let total = 0;
  for (const value of values) {
    if (value > 0 && total > INT64_MAX - value) return INT64_MAX;
    total += value;
  }
  return total;
}

/** `GetExternalMetricReplicas` (Value target): the sum of all series against the target. */
export function externalValueReplicas(args: {
  currentReplicas: number;
  values: readonly number[];
  targetUsage: number;
  tolerances: Tolerances;
  pods: readonly Pod[];
}): ValueCalculation {
  const usage = sumSeries(args.values);
  const usageRatio = usage / args.targetUsage;
  return { ...usageRatioReplicaCount(args.currentReplicas, usageRatio, args.tolerances, args.pods), usage };
}

/**
 * `GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas` (AverageValue target): the total
 * against `target × status.replicas`; the proposal is `ceil(total / target)`.
 *
 * Upstream divides by `status.replicas` for the average it reports; with zero replicas that is a
 * division by zero in Go. Here the average is then the total.
 */
export function perPodValueReplicas(args: {
  statusReplicas: number;
  total: number;
  targetPerPod: number;
  tolerances: Tolerances;
}): ValueCalculation {
  const { statusReplicas, total, targetPerPod } = args;
  const usageRatio = total / (targetPerPod * statusReplicas);
  const withinTolerance = isWithinTolerance(args.tolerances, usageRatio);
  const proposal = withinTolerance ? statusReplicas : ceilReplicas(total / targetPerPod);
  let usage: number;
  if (total >= INT64_MAX) usage = INT64_MAX;
  else if (statusReplicas === 0) usage = total;
  else usage = Math.ceil(total / statusReplicas);
  return { usageRatio, withinTolerance, proposal, usage };
}
