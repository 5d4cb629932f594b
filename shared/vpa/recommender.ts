/**
 * The VPA recommender as one pure step: a VPA's resource policy, each container's aggregate state, the
 * samples and OOM kills seen since the last step, and `now` in; each container's next state and
 * recommendation (target, lowerBound, upperBound, uncappedTarget) with the reasons behind it out.
 *
 * Per container, in upstream's order: usage samples, then OOM kills, enter the aggregate; containers
 * with mode Off or without a CPU sample get no recommendation; the others are estimated (percentiles,
 * margin, confidence, per-pod minimum split among them), then — with `oomPolicy: 'fast'` — raised to the
 * OOM floor, filtered to the controlled resources, and capped to the policy.
 *
 * Nothing here reads a clock or does I/O, and inputs are never changed: states are copied first.
 */
import { type CappingNote, capToPolicy, type RecommendationBounds } from './capping';
import {
  addCpuSample,
  addMemorySample,
  type ContainerAggregateState,
  cloneContainerState,
  cpuSampleWeight,
  newContainerState,
  recordUpstreamOom,
} from './container-state';
import { containerMinimums, estimateContainer, type ResourceEstimate } from './estimator';
import {
  activeMemoryFloor,
  applyFastOom,
  expireFastOom,
  type FastOomDecision,
  holdMemoryTarget,
} from './fast-oom';
import { isKnownOom, oomHorizonMs, pruneOomRecords, quickOomPods } from './oom-state';
import { DEFAULT_RECOMMENDER_OPTIONS, type RecommenderOptions } from './options';
import {
  type ContainerResourcePolicy,
  containerPolicyFor,
  controlledResourcesOf,
  type PodResourcePolicy,
  type PolicyProblem,
  policyProblems,
  scalingModeOf,
} from './policy';
import type { ResourceAmounts, ResourceName } from './resource-amount';

/** One container's usage in one pod, as `metrics.k8s.io` reports it. */
export interface ContainerUsageSample {
  pod: string;
  /** Epoch ms: the start of the measurement window (the PodMetrics `timestamp`). */
  at: number;
  cpuMillicores?: number;
  /** Working set. */
  memoryBytes?: number;
  /** The container's CPU request; read only with `cpuWeightByRequest`. */
  cpuRequestMillicores?: number;
}

/** An OOM kill (container `lastState.terminated.reason: OOMKilled`) or an eviction for memory. */
export interface OomEvent {
  pod: string;
  /** Epoch ms: `finishedAt` of the killed container, or the eviction event's time. */
  at: number;
  reason: 'OOMKilled' | 'Evicted';
  /** OOMKilled: the container's memory request when killed. Evicted: its memory usage then. */
  memoryBytes: number;
  /** `lastState.terminated.startedAt`, to tell a kill soon after start. */
  containerStartedAt?: number;
}

export interface ContainerInput {
  name: string;
  /** Undefined on first sight or after a discarded checkpoint. */
  state?: ContainerAggregateState;
  samples?: readonly ContainerUsageSample[];
  ooms?: readonly OomEvent[];
  /**
   * Pods of this VPA that exist now; per-pod memory windows of other pods are dropped. Without it, a
   * pod's window is dropped after a memory interval without samples.
   */
  livePods?: readonly string[];
}

export interface VpaRecommenderInput {
  now: number;
  policy?: PodResourcePolicy;
  containers: readonly ContainerInput[];
  /** Containers the per-pod minimums are split among; default: the containers that get a recommendation. */
  containersPerPod?: number;
  options?: RecommenderOptions;
}

export interface OomOutcome {
  pod: string;
  at: number;
  reason: OomEvent['reason'];
  quick: boolean;
  status: 'applied' | 'duplicate' | 'stale' | 'invalid';
  /** Upstream's synthetic peak; unset when upstream would discard the kill as older than the interval. */
  upstreamSampleBytes?: number;
  /** What the fast policy did (only with `oomPolicy: 'fast'`). */
  fast?: FastOomDecision;
}

export interface ContainerRecommendation {
  containerName: string;
  target: ResourceAmounts;
  lowerBound: ResourceAmounts;
  upperBound: ResourceAmounts;
  /** The target before capping to minAllowed/maxAllowed. */
  uncappedTarget: ResourceAmounts;
}

/** Why a container's recommendation is what it is; for VPA conditions and Events. */
export type RecommendationReason =
  | { code: 'ScalingModeOff'; message: string }
  | { code: 'NoSamples'; message: string }
  | { code: 'PodMinimum'; resource: ResourceName; message: string }
  | { code: 'OomFloor'; resource: 'memory'; floorBytes: number; holdUntil: number; message: string }
  | CappingNote;

export interface IngestResult {
  state: ContainerAggregateState;
  samplesAdded: number;
  samplesDiscarded: number;
  ooms: OomOutcome[];
}

export interface ContainerResult extends IngestResult {
  name: string;
  recommendation?: ContainerRecommendation;
  reasons: RecommendationReason[];
  /** Pods OOM-killed soon after start (within the OOM horizon): update them right away. */
  quickOomPods: string[];
}

export interface VpaRecommendation {
  containers: ContainerResult[];
  problems: PolicyProblem[];
}

function byTime<T extends { at: number }>(items: readonly T[] | undefined): T[] {
  return [...(items ?? [])].sort((a, b) => a.at - b.at);
}

function prunePods(
  state: ContainerAggregateState,
  now: number,
  livePods: readonly string[] | undefined,
  intervalMs: number,
) {
  const live = livePods === undefined ? undefined : new Set(livePods);
  for (const [pod, window] of state.pods) {
    const lastSeen = Math.max(
      window.lastCpuSampleStart ?? -Infinity,
      window.lastMemorySampleStart ?? -Infinity,
    );
    const gone = live !== undefined ? !live.has(pod) : !(lastSeen >= now - intervalMs);
    if (gone) state.pods.delete(pod);
  }
}

/**
 * Adds samples and OOM kills to a container's state and returns the next state; the input state is
 * not changed.
 *
 * @example ingestContainer(undefined, { samples: [{ pod: 'web-0', at, cpuMillicores: 120, memoryBytes: 3e8 }] }, now)
 */
export function ingestContainer(
  state: ContainerAggregateState | undefined,
  input: Pick<ContainerInput, 'samples' | 'ooms' | 'livePods'>,
  now: number,
  options: RecommenderOptions = DEFAULT_RECOMMENDER_OPTIONS,
  policy?: ContainerResourcePolicy,
): IngestResult {
  const next = state === undefined ? newContainerState(now, options) : cloneContainerState(state);
  const interval = options.memoryAggregationIntervalMs;
  let samplesAdded = 0;
  let samplesDiscarded = 0;
  const count = (verdict: string) => {
    if (verdict === 'added') samplesAdded++;
    else samplesDiscarded++;
  };
  for (const sample of byTime(input.samples)) {
    if (sample.cpuMillicores !== undefined) {
      const weight = cpuSampleWeight(sample.cpuRequestMillicores, options.cpuWeightByRequest);
      count(addCpuSample(next, sample.pod, sample.at, sample.cpuMillicores, weight));
    }
    if (sample.memoryBytes !== undefined) {
      count(addMemorySample(next, sample.pod, sample.at, sample.memoryBytes, interval));
    }
  }

  const horizon = oomHorizonMs(options);
  const ooms: OomOutcome[] = [];
  for (const event of byTime(input.ooms)) {
    const quick =
      event.containerStartedAt !== undefined &&
      event.at - event.containerStartedAt < options.fastOom.quickOomThresholdMs;
    const outcome: OomOutcome = {
      pod: event.pod,
      at: event.at,
      reason: event.reason,
      quick,
      status: 'applied',
    };
    ooms.push(outcome);
    if (!Number.isFinite(event.at) || !(event.memoryBytes >= 0)) {
      outcome.status = 'invalid';
      continue;
    }
    if (event.at < now - horizon) {
      outcome.status = 'stale';
      continue;
    }
    if (isKnownOom(next.oom, event.pod, event.at)) {
      outcome.status = 'duplicate';
      continue;
    }
    next.oom.recent.push({ pod: event.pod, at: event.at, memoryBytes: event.memoryBytes, quick });
    const usagePeak = next.pods.get(event.pod)?.memoryPeak ?? 0;
    const upstream = recordUpstreamOom(
      next,
      event.pod,
      event.at,
      event.memoryBytes,
      policy?.maxAllowed?.memory,
      options,
    );
    if (upstream.kind === 'sample') outcome.upstreamSampleBytes = upstream.sampleBytes;
    if (options.oomPolicy === 'fast') {
      outcome.fast = applyFastOom(
        next.oom,
        event.at,
        Math.max(event.memoryBytes, usagePeak),
        options.fastOom,
      );
    }
  }
  next.oom.recent.sort((a, b) => a.at - b.at);
  pruneOomRecords(next.oom, now, horizon);
  if (options.oomPolicy === 'fast') expireFastOom(next.oom, now, options.fastOom);
  prunePods(next, now, input.livePods, interval);
  return { state: next, samplesAdded, samplesDiscarded, ooms };
}

function pick(estimate: ResourceEstimate, resources: readonly ResourceName[]): ResourceAmounts {
  const amounts: ResourceAmounts = {};
  for (const resource of resources) amounts[resource] = estimate[resource];
  return amounts;
}

function describeBytes(bytes: number): string {
  return `${Math.ceil(bytes / (1024 * 1024))}Mi`;
}

/**
 * One recommender step for a VPA: ingest every container's new samples and OOM kills, then recommend.
 *
 * @example
 * const result = recommendVpa({ now, policy, containers: [{ name: 'app', state, samples, ooms }] });
 * result.containers[0]?.recommendation?.target // { cpu: 250, memory: 314572800 }
 */
export function recommendVpa(input: VpaRecommenderInput): VpaRecommendation {
  const options = input.options ?? DEFAULT_RECOMMENDER_OPTIONS;
  const { now } = input;
  const results: ContainerResult[] = input.containers.map((container) => {
    const policy = containerPolicyFor(container.name, input.policy);
    const ingested = ingestContainer(container.state, container, now, options, policy);
    return { ...ingested, name: container.name, reasons: [], quickOomPods: quickOomPods(ingested.state.oom) };
  });

  const recommended = results.filter((result) => {
    const policy = containerPolicyFor(result.name, input.policy);
    if (scalingModeOf(policy) === 'Off') {
      result.reasons.push({ code: 'ScalingModeOff', message: 'container policy mode is Off' });
      return false;
    }
    if (result.state.totalSamplesCount === 0) {
      result.reasons.push({ code: 'NoSamples', message: 'no CPU usage sample yet' });
      return false;
    }
    return true;
  });

  const minimums = containerMinimums(options, input.containersPerPod ?? recommended.length);
  for (const result of recommended) {
    const policy = containerPolicyFor(result.name, input.policy);
    const estimate = estimateContainer(result.state, options, minimums);
    const controlled = controlledResourcesOf(policy);
    for (const resource of controlled) {
      if (estimate.target[resource] === minimums[resource]) {
        result.reasons.push({
          code: 'PodMinimum',
          resource,
          message: `${resource} target is the per-pod minimum share`,
        });
      }
    }
    if (options.oomPolicy === 'fast' && controlled.includes('memory')) applyFloor(result, estimate, now);
    const uncapped: RecommendationBounds = {
      target: pick(estimate.target, controlled),
      lowerBound: pick(estimate.lowerBound, controlled),
      upperBound: pick(estimate.upperBound, controlled),
    };
    const { capped, notes } = capToPolicy(uncapped, policy, options.globalMaxAllowed);
    result.reasons.push(...notes);
    result.recommendation = { containerName: result.name, ...capped, uncappedTarget: uncapped.target };
  }
  return { containers: results, problems: policyProblems(input.policy) };
}

/**
 * Raises target and both bounds to the OOM floor: the bounds too, so the updater's "request below the
 * lower bound" rule replaces pods still running under the floor. Then remembers the target, so it
 * cannot go down while the hold lasts.
 */
function applyFloor(result: ContainerResult, estimate: ReturnType<typeof estimateContainer>, now: number) {
  const oom = result.state.oom;
  const floor = activeMemoryFloor(oom, now);
  if (floor !== undefined && oom.holdUntil !== undefined) {
    if (estimate.target.memory < floor) {
      result.reasons.push({
        code: 'OomFloor',
        resource: 'memory',
        floorBytes: floor,
        holdUntil: oom.holdUntil,
        message: `memory held at ≥ ${describeBytes(floor)} after an OOM kill until ${new Date(oom.holdUntil).toISOString()}`,
      });
    }
    estimate.target.memory = Math.max(estimate.target.memory, floor);
    estimate.lowerBound.memory = Math.max(estimate.lowerBound.memory, floor);
    estimate.upperBound.memory = Math.max(estimate.upperBound.memory, floor);
  }
  holdMemoryTarget(oom, now, estimate.target.memory);
}
