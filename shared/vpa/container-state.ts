/**
 * What the recommender remembers about one container of one VPA, and how usage samples enter it
 * (upstream `model/aggregate_container_state.go` and `model/container.go`).
 *
 * - CPU: every sample goes into a decaying histogram (weight `cpuSampleWeight`), and counts toward the
 *   confidence (first/last sample start, sample count). Per pod, a sample not newer than that pod's
 *   previous one is a duplicate and is dropped.
 * - Memory: each pod contributes ONE peak per aggregation interval. The interval ends at `windowEnd`
 *   (the pod's first sample + k intervals); while it lasts, a higher sample replaces the pod's peak in
 *   the histogram (subtract old, add new); a sample at or after `windowEnd` opens the next interval.
 *   Peaks are added at the window's END time, as upstream does, so they decay from there.
 * - OOM kills (upstream `RecordOOM`): a synthetic peak of max(used × 1.2, used + 100 MiB), where `used`
 *   is max(memory request, the pod's usage peak in this interval), capped at maxAllowed memory; it
 *   competes with the usage peak of the same interval. An OOM older than the interval is discarded.
 *
 * Upstream keeps the per-pod part in memory only; here it is part of the state so a restart loses
 * nothing. Pods are keyed by name.
 *
 * The functions that add samples mutate the state they are given; `ingestContainer` clones first.
 */
import { DecayingHistogram } from './decaying-histogram';
import { CPU_HISTOGRAM_OPTIONS, MEMORY_HISTOGRAM_OPTIONS, MIN_SAMPLE_WEIGHT } from './histogram-options';
import { emptyOomState, type OomState } from './oom-state';
import type { RecommenderOptions } from './options';

/** Upstream `ContainerState`: one pod's container. Times are epoch ms, amounts bytes. */
export interface PodContainerState {
  /** Start of the latest CPU sample taken in. */
  lastCpuSampleStart?: number;
  /** Start of the latest memory sample (or OOM) taken in. */
  lastMemorySampleStart?: number;
  /** End (exclusive) of the current memory interval; unset before the first memory sample. */
  windowEnd?: number;
  /** Highest usage seen in the current interval (0 = none). */
  memoryPeak: number;
  /** Highest OOM-derived sample in the current interval (0 = none). */
  oomPeak: number;
}

/** Upstream `AggregateContainerState` plus the per-pod windows and the fast-OOM memory. */
export interface ContainerAggregateState {
  cpu: DecayingHistogram;
  memory: DecayingHistogram;
  /** Confidence counts CPU samples only, as upstream. */
  firstSampleStart?: number;
  lastSampleStart?: number;
  totalSamplesCount: number;
  /** Epoch ms the aggregate was created (for expiry while it has no samples). */
  createdAt: number;
  pods: Map<string, PodContainerState>;
  oom: OomState;
}

/** Result of offering one sample: taken in, or why not. */
export type SampleVerdict = 'added' | 'invalid' | 'out-of-order';

/**
 * A fresh aggregate.
 *
 * @example newContainerState(now, DEFAULT_RECOMMENDER_OPTIONS).totalSamplesCount // 0
 */
export function newContainerState(
  now: number,
  options: Pick<RecommenderOptions, 'cpuHistogramHalfLifeMs' | 'memoryHistogramHalfLifeMs'>,
): ContainerAggregateState {
  return {
    cpu: new DecayingHistogram(CPU_HISTOGRAM_OPTIONS, options.cpuHistogramHalfLifeMs),
    memory: new DecayingHistogram(MEMORY_HISTOGRAM_OPTIONS, options.memoryHistogramHalfLifeMs),
    totalSamplesCount: 0,
    createdAt: now,
    pods: new Map(),
    oom: emptyOomState(),
  };
}

/** A deep copy: changing the copy never changes the original. */
export function cloneContainerState(state: ContainerAggregateState): ContainerAggregateState {
  return {
    ...state,
    cpu: state.cpu.clone(),
    memory: state.memory.clone(),
    pods: new Map([...state.pods].map(([pod, window]) => [pod, { ...window }])),
    oom: { ...state.oom, recent: state.oom.recent.map((record) => ({ ...record })) },
  };
}

function podState(state: ContainerAggregateState, pod: string): PodContainerState {
  let window = state.pods.get(pod);
  if (window === undefined) {
    window = { memoryPeak: 0, oomPeak: 0 };
    state.pods.set(pod, window);
  }
  return window;
}

/**
 * The weight of a CPU sample: 0.1, or the request in cores (at least 0.1) with `cpuWeightByRequest`.
 * Weighting by request makes history collected under a smaller request fade faster after a raise.
 */
export function cpuSampleWeight(requestMillicores: number | undefined, byRequest: boolean): number {
  if (!byRequest || requestMillicores === undefined) return MIN_SAMPLE_WEIGHT;
  return Math.max(requestMillicores / 1000, MIN_SAMPLE_WEIGHT);
}

/** Takes in one CPU usage sample (mutates `state`). */
export function addCpuSample(
  state: ContainerAggregateState,
  pod: string,
  at: number,
  usageMillicores: number,
  weight: number,
): SampleVerdict {
  if (!(usageMillicores >= 0) || !Number.isFinite(usageMillicores) || !Number.isFinite(at)) return 'invalid';
  const window = podState(state, pod);
  if (window.lastCpuSampleStart !== undefined && !(at > window.lastCpuSampleStart)) return 'out-of-order';
  state.cpu.addSample(usageMillicores / 1000, weight, at);
  if (state.lastSampleStart === undefined || at > state.lastSampleStart) state.lastSampleStart = at;
  if (state.firstSampleStart === undefined || at < state.firstSampleStart) state.firstSampleStart = at;
  state.totalSamplesCount++;
  window.lastCpuSampleStart = at;
  return 'added';
}

/** Takes in one memory usage sample (or an OOM-derived one with `isOom`; mutates `state`). */
export function addMemorySample(
  state: ContainerAggregateState,
  pod: string,
  at: number,
  usageBytes: number,
  intervalMs: number,
  isOom = false,
): SampleVerdict {
  if (!(usageBytes >= 0) || !Number.isFinite(usageBytes) || !Number.isFinite(at)) return 'invalid';
  // Upstream amounts are integer bytes; peaks are compared and stored as such.
  const usage = Math.trunc(usageBytes);
  const window = podState(state, pod);
  // OOM samples are always processed, even when older than the latest usage sample.
  if (!isOom && window.lastMemorySampleStart !== undefined && at < window.lastMemorySampleStart) {
    return 'out-of-order';
  }
  window.lastMemorySampleStart = at;
  let windowEnd = window.windowEnd ?? at;
  let addNewPeak = false;
  if (at < windowEnd) {
    const oldPeak = Math.max(window.memoryPeak, window.oomPeak);
    if (oldPeak !== 0 && usage > oldPeak) {
      state.memory.subtractSample(oldPeak, 1, windowEnd);
      addNewPeak = true;
    }
  } else {
    const elapsed = at - windowEnd;
    windowEnd += elapsed - (elapsed % intervalMs) + intervalMs;
    window.memoryPeak = 0;
    window.oomPeak = 0;
    addNewPeak = true;
  }
  window.windowEnd = windowEnd;
  if (addNewPeak) {
    state.memory.addSample(usage, 1, windowEnd);
    if (isOom) window.oomPeak = usage;
    else window.memoryPeak = usage;
  }
  return 'added';
}

/** What upstream's `RecordOOM` did with an OOM kill. */
export type UpstreamOomVerdict =
  | { kind: 'sample'; sampleBytes: number }
  | { kind: 'too-old' }
  | { kind: 'invalid' };

/**
 * Upstream's OOM handling: a synthetic memory peak from the request (mutates `state`).
 *
 * @example recordUpstreamOom(state, 'web-0', at, 1000 * MiB, undefined, options) // sample of 1200 MiB
 */
export function recordUpstreamOom(
  state: ContainerAggregateState,
  pod: string,
  at: number,
  requestBytes: number,
  maxMemoryBytes: number | undefined,
  options: Pick<RecommenderOptions, 'memoryAggregationIntervalMs' | 'oomBumpUpRatio' | 'oomMinBumpUpBytes'>,
): UpstreamOomVerdict {
  const window = podState(state, pod);
  if (window.windowEnd !== undefined && at < window.windowEnd - options.memoryAggregationIntervalMs) {
    return { kind: 'too-old' };
  }
  // The OOM peak itself is left out of `used` so repeated OOMs do not compound.
  let used = Math.max(Math.trunc(requestBytes), window.memoryPeak);
  const cap = maxMemoryBytes !== undefined && maxMemoryBytes > 0 ? maxMemoryBytes : undefined;
  if (cap !== undefined && used > cap) used = cap;
  let needed = Math.max(
    used + Math.trunc(options.oomMinBumpUpBytes),
    Math.trunc(used * options.oomBumpUpRatio),
  );
  if (cap !== undefined && needed > cap) needed = cap;
  const verdict = addMemorySample(state, pod, at, needed, options.memoryAggregationIntervalMs, true);
  return verdict === 'added' ? { kind: 'sample', sampleBytes: needed } : { kind: 'invalid' };
}

/**
 * Upstream `isExpired`: no CPU sample for the whole memory window (8 intervals), or none at all since
 * creation that long ago. The loop may then drop the aggregate and its checkpoint.
 */
export function isContainerStateExpired(
  state: ContainerAggregateState,
  now: number,
  options: Pick<RecommenderOptions, 'memoryAggregationIntervalMs' | 'memoryAggregationIntervalCount'>,
): boolean {
  const windowLength = options.memoryAggregationIntervalMs * options.memoryAggregationIntervalCount;
  const since = state.totalSamplesCount === 0 ? state.createdAt : (state.lastSampleStart ?? state.createdAt);
  return now - since >= windowLength;
}
