/**
 * What the recommender remembers about OOM kills of one container, under either OOM policy.
 *
 * The loop sees an OOM kill as long as the container's `lastState` says so, i.e. on every tick until the
 * next restart; remembering recent kills by (pod, time) makes feeding the same kill twice harmless.
 * Kills older than the horizon are ignored: they can no longer change a decision (upstream discards OOMs
 * older than the memory interval; a fast-OOM floor they could raise would already have expired).
 */
import type { RecommenderOptions } from './options';

export interface OomRecord {
  pod: string;
  /** Epoch ms of the kill (`finishedAt`) or eviction. */
  at: number;
  /** The memory the event reported: the request for an OOM kill, the usage for an eviction. */
  memoryBytes: number;
  /** Killed within `quickOomThresholdMs` of the container's start. */
  quick: boolean;
}

/** The fast-OOM floor and its escalation; unset fields mean "no floor". */
export interface OomState {
  /** Kills within the horizon, oldest first. */
  recent: OomRecord[];
  /** The memory target may not go below this while `holdUntil` is in the future. */
  floorBytes?: number;
  holdUntil?: number;
  /** Escalations in the current window (1 after the first OOM). */
  level: number;
  lastEscalationAt?: number;
}

export function emptyOomState(): OomState {
  return { recent: [], level: 0 };
}

/** How long OOM records matter. */
export function oomHorizonMs(
  options: Pick<RecommenderOptions, 'memoryAggregationIntervalMs' | 'fastOom'>,
): number {
  return Math.max(
    options.memoryAggregationIntervalMs,
    options.fastOom.escalationWindowMs,
    options.fastOom.holdMs,
  );
}

export function isKnownOom(state: OomState, pod: string, at: number): boolean {
  return state.recent.some((record) => record.pod === pod && record.at === at);
}

/** Drops records older than the horizon (mutates `state`). */
export function pruneOomRecords(state: OomState, now: number, horizonMs: number): void {
  state.recent = state.recent.filter((record) => record.at >= now - horizonMs);
}

/** Pods killed soon after start, newest kill last: the updater should update them right away. */
export function quickOomPods(state: OomState): string[] {
  const pods = new Set<string>();
  for (const record of state.recent) if (record.quick) pods.add(record.pod);
  return [...pods];
}
