/**
 * The stored form of one (VPA, container) aggregate: the `vpa#<ns>/<name>#<container>` item's payload.
 *
 * Compact JSON, short keys:
 * - `cpu`/`mem`: a histogram as upstream checkpoints it — bucket weights scaled to integers (heaviest
 *   10000), plus the real total weight and the reference timestamp — stored as the first non-empty
 *   bucket `o` and the weights from there on `w` (gaps are 0; bucket indexes of a real workload are
 *   nearly contiguous, so this beats an index→weight map);
 * - `n`, `f`, `l`: CPU sample count, first and last sample start (the confidence inputs);
 * - `p`: per pod `[windowEnd, memoryPeak, oomPeak, lastCpuSampleStart, lastMemorySampleStart]` —
 *   the current interval's peak, which upstream does not persist. The three times are stored as
 *   offsets from `l` (or `c` before any CPU sample), which are short; `null` = unset;
 * - `oom`: the fast-OOM floor (`f`), hold end (`h`), escalation level (`k`) and time (`e`), and recent
 *   kills `r` as `[pod, at, memoryBytes, quick 0|1]`.
 * Times are epoch ms, amounts bytes. Encoding is deterministic (fixed key order, pods sorted), so
 * `checkpointChanged` is a string comparison and the loop writes only what changed.
 *
 * Loading quantises the histograms as upstream's checkpoints do (at most 1/20000 of the heaviest
 * bucket is lost per bucket). Anything that does not parse or does not fit the bucket schemes throws
 * `VpaCheckpointError`: the loop logs it, discards the item and starts the container afresh.
 */
import { z } from 'zod';
import type { ContainerAggregateState, PodContainerState } from './container-state';
import { newContainerState } from './container-state';
import type { DecayingHistogram, DecayingHistogramCheckpoint } from './decaying-histogram';
import type { OomState } from './oom-state';
import type { RecommenderOptions } from './options';

/** Bump when the stored form or a bucket scheme changes; older items are then rebuilt. */
export const CHECKPOINT_VERSION = 1;

/** The stored checkpoint is corrupted or from another version. */
export class VpaCheckpointError extends Error {
  override readonly name = 'VpaCheckpointError';
}

const count = z.number().int().min(0);
const bytes = z.number().min(0);
const time = z.number();
const weight = z.number().int().min(0);

const histogramSchema = z.object({
  r: time,
  t: z.number().min(0),
  o: count,
  w: z.array(weight),
});

const offset = time.nullable();
const podSchema = z.tuple([offset, bytes, bytes, offset, offset]);
const oomRecordSchema = z.tuple([z.string().min(1), time, bytes, z.union([z.literal(0), z.literal(1)])]);

export const storedVpaCheckpointSchema = z.object({
  v: z.literal(CHECKPOINT_VERSION),
  c: time,
  cpu: histogramSchema.optional(),
  mem: histogramSchema.optional(),
  n: count,
  f: time.optional(),
  l: time.optional(),
  p: z.record(z.string().min(1), podSchema).optional(),
  oom: z
    .object({
      f: bytes.optional(),
      h: time.optional(),
      k: count.optional(),
      e: time.optional(),
      r: z.array(oomRecordSchema).optional(),
    })
    .optional(),
});

export type StoredVpaCheckpoint = z.infer<typeof storedVpaCheckpointSchema>;
type StoredHistogram = z.infer<typeof histogramSchema>;
type StoredPod = z.infer<typeof podSchema>;

/** Six significant digits keep the total weight's error far below the integer bucket weights' own. */
function roundTotal(total: number): number {
  return Number(total.toPrecision(6));
}

function encodeHistogram(histogram: DecayingHistogram): StoredHistogram | undefined {
  const checkpoint = histogram.saveToCheckpoint();
  if (checkpoint.bucketWeights.size === 0) return undefined;
  const buckets = [...checkpoint.bucketWeights.keys()].sort((a, b) => a - b);
  const first = buckets[0] ?? 0;
  const last = buckets[buckets.length - 1] ?? 0;
  const w = Array.from({ length: last - first + 1 }, (_, i) => checkpoint.bucketWeights.get(first + i) ?? 0);
  return { r: checkpoint.referenceTimestamp, t: roundTotal(checkpoint.totalWeight), o: first, w };
}

function decodeHistogram(stored: StoredHistogram | undefined, into: DecayingHistogram, label: string): void {
  if (stored === undefined) return;
  const bucketWeights = new Map<number, number>();
  stored.w.forEach((weight, i) => {
    if (weight > 0) bucketWeights.set(stored.o + i, weight);
  });
  const checkpoint: DecayingHistogramCheckpoint = {
    referenceTimestamp: stored.r,
    totalWeight: stored.t,
    bucketWeights,
  };
  try {
    into.loadFromCheckpoint(checkpoint);
  } catch (error) {
    throw new VpaCheckpointError(`${label} histogram: ${(error as Error).message}`);
  }
}

function encodeOom(oom: OomState): StoredVpaCheckpoint['oom'] {
  const stored: NonNullable<StoredVpaCheckpoint['oom']> = {};
  if (oom.floorBytes !== undefined) stored.f = oom.floorBytes;
  if (oom.holdUntil !== undefined) stored.h = oom.holdUntil;
  if (oom.level > 0) stored.k = oom.level;
  if (oom.lastEscalationAt !== undefined) stored.e = oom.lastEscalationAt;
  if (oom.recent.length > 0) {
    stored.r = oom.recent.map((record) => [record.pod, record.at, record.memoryBytes, record.quick ? 1 : 0]);
  }
  return Object.keys(stored).length > 0 ? stored : undefined;
}

/**
 * The stored form of a container's state.
 *
 * @example JSON.stringify(encodeCheckpoint(result.state)).length // ~600 bytes for a week, one pod
 */
export function encodeCheckpoint(state: ContainerAggregateState): StoredVpaCheckpoint {
  const stored: StoredVpaCheckpoint = {
    v: CHECKPOINT_VERSION,
    c: state.createdAt,
    n: state.totalSamplesCount,
  };
  const cpu = encodeHistogram(state.cpu);
  if (cpu !== undefined) stored.cpu = cpu;
  const mem = encodeHistogram(state.memory);
  if (mem !== undefined) stored.mem = mem;
  if (state.firstSampleStart !== undefined) stored.f = state.firstSampleStart;
  if (state.lastSampleStart !== undefined) stored.l = state.lastSampleStart;
  if (state.pods.size > 0) {
    const base = state.lastSampleStart ?? state.createdAt;
    const relative = (at: number | undefined) => (at === undefined ? null : at - base);
    const pods: Record<string, StoredPod> = {};
    for (const pod of [...state.pods.keys()].sort()) {
      const window = state.pods.get(pod) as PodContainerState;
      pods[pod] = [
        relative(window.windowEnd),
        window.memoryPeak,
        window.oomPeak,
        relative(window.lastCpuSampleStart),
        relative(window.lastMemorySampleStart),
      ];
    }
    stored.p = pods;
  }
  const oom = encodeOom(state.oom);
  if (oom !== undefined) stored.oom = oom;
  return stored;
}

/** The exact text the loop stores; equal states give equal text. */
export function checkpointText(stored: StoredVpaCheckpoint): string {
  return JSON.stringify(stored);
}

/**
 * Whether the next checkpoint differs from the stored one (or nothing is stored yet).
 *
 * @example if (checkpointChanged(previous, next)) await store.put(key, next, version)
 */
export function checkpointChanged(
  previous: StoredVpaCheckpoint | undefined,
  next: StoredVpaCheckpoint,
): boolean {
  return previous === undefined || checkpointText(previous) !== checkpointText(next);
}

/**
 * A container's state from its stored form (a parsed JSON value or the stored text).
 *
 * @throws VpaCheckpointError when the value is not a valid checkpoint of this version.
 */
export function decodeCheckpoint(
  raw: unknown,
  options: Pick<RecommenderOptions, 'cpuHistogramHalfLifeMs' | 'memoryHistogramHalfLifeMs'>,
): ContainerAggregateState {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new VpaCheckpointError(`not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = storedVpaCheckpointSchema.safeParse(value);
  if (!parsed.success) {
    throw new VpaCheckpointError(`invalid checkpoint: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  const stored = parsed.data;
  const state = newContainerState(stored.c, options);
  decodeHistogram(stored.cpu, state.cpu, 'cpu');
  decodeHistogram(stored.mem, state.memory, 'memory');
  state.totalSamplesCount = stored.n;
  if (stored.f !== undefined) state.firstSampleStart = stored.f;
  if (stored.l !== undefined) state.lastSampleStart = stored.l;
  const base = stored.l ?? stored.c;
  for (const [pod, [windowEnd, memoryPeak, oomPeak, lastCpu, lastMemory]] of Object.entries(stored.p ?? {})) {
    const window: PodContainerState = { memoryPeak, oomPeak };
    if (windowEnd !== null) window.windowEnd = base + windowEnd;
    if (lastCpu !== null) window.lastCpuSampleStart = base + lastCpu;
    if (lastMemory !== null) window.lastMemorySampleStart = base + lastMemory;
    state.pods.set(pod, window);
  }
  const oom = stored.oom;
  if (oom !== undefined) {
    if (oom.f !== undefined) state.oom.floorBytes = oom.f;
    if (oom.h !== undefined) state.oom.holdUntil = oom.h;
    state.oom.level = oom.k ?? 0;
    if (oom.e !== undefined) state.oom.lastEscalationAt = oom.e;
    state.oom.recent = (oom.r ?? []).map(([pod, at, memoryBytes, quick]) => ({
      pod,
      at,
      memoryBytes,
      quick: quick === 1,
    }));
  }
  return state;
}
