/**
 * How much memory a container needs, and how its working set gets there after each (re)start: the
 * memory model the simulator's OOM kills follow. The need is per pod, whatever the replica count (a
 * Prometheus replica holds every series, a cache replica its whole working set); the working set grows
 * from a share of the need at start to the need over `fillSeconds` (a WAL replayed, a cache warmed up),
 * then follows the need. A container whose working set passes its memory limit is OOM-killed.
 */
import type { LoadTrace } from './traces';

const MiB = 2 ** 20;

/** A container's memory need, for containers whose memory the load model does not describe. */
export interface MemoryNeed {
  /** MiB one pod's container needs at an instant once warmed up. */
  needMi: LoadTrace;
  /** Seconds from a (re)start until the working set reaches the need. @default MEMORY_NEED_DEFAULTS.fillSeconds */
  fillSeconds?: number;
  /** Share of the need the working set starts at. @default MEMORY_NEED_DEFAULTS.startFraction */
  startFraction?: number;
}

/**
 * - `fillSeconds` 120: Prometheus replays its WAL and a JVM service warms its caches in about two minutes
 *   after a restart; long enough that a container whose need passes its limit is killed well after it
 *   starts, not at once, as in a real crash loop.
 * - `startFraction` 0.2: a process starts with its code, runtime and buffers, not empty.
 */
export const MEMORY_NEED_DEFAULTS = { fillSeconds: 120, startFraction: 0.2 } as const;

/** What the container needs at `t` once warmed up, in bytes. */
export function memoryNeedBytes(need: MemoryNeed, t: number): number {
  return Math.max(0, need.needMi(t)) * MiB;
}

/**
 * The container's working set at `t`, in bytes, for an incarnation started at `startedAt` (no limit
 * applied: the caller compares it with the limit).
 *
 * @example memoryUsageBytes({ needMi: () => 1000 }, start, start + 60_000) // 600 MiB: 20 % + half of 80 %
 */
export function memoryUsageBytes(need: MemoryNeed, startedAt: number, t: number): number {
  const fillMs = (need.fillSeconds ?? MEMORY_NEED_DEFAULTS.fillSeconds) * 1000;
  const start = need.startFraction ?? MEMORY_NEED_DEFAULTS.startFraction;
  const age = Math.max(0, t - startedAt);
  const fill = fillMs <= 0 ? 1 : Math.min(1, start + (1 - start) * (age / fillMs));
  return memoryNeedBytes(need, t) * fill;
}
