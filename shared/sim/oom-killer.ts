/**
 * OOM kills in the simulated cluster: the kernel's OOM killer and the kubelet's restarts for containers
 * with a memory need (see memory-need.ts). A container whose working set passes its memory limit is
 * killed (`lastState.terminated.reason: OOMKilled`), waits out the kubelet's crash-loop back-off
 * (10 s, doubling to 5 min, reset after 10 min of running) and starts again with an empty working set,
 * so a container whose need stays above its limit keeps being killed, as in a real crash loop.
 *
 * Event-driven: when a container (re)starts, its next kill is found by scanning its working set ahead
 * on a fixed grid, so the cluster needs no work between a container's events. A limit changes only by
 * an in-place resize, which scans again from then (`resizeRun`), so the look-ahead stays valid.
 */
import type { ContainerStatus } from '../ports/kubernetes';
import { type MemoryNeed, memoryNeedBytes, memoryUsageBytes } from './memory-need';

/** The resolution of kill times: the working set is compared with the limit every 5 s of a container's life. */
export const OOM_CHECK_MS = 5_000;
/** How far ahead one scan looks; a container that survives it is scanned again from there. */
export const OOM_SCAN_HORIZON_MS = 30 * 60_000;
/** The kubelet's crash-loop back-off: first delay, cap, and the run after which it starts over. */
export const CRASH_LOOP_BACKOFF = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 10 * 60_000,
} as const;
export const OOM_KILLED = 'OOMKilled';

/** One container of one pod, across its restarts. */
export interface ContainerRun {
  readonly name: string;
  readonly need: MemoryNeed;
  /**
   * The container's memory limit in bytes; Infinity without one (then it is never OOM-killed). Only an
   * in-place resize changes it (`resizeRun`).
   */
  limitBytes: number;
  /** When the current incarnation started (or, while `running` is false, the last one did). */
  startedAt: number;
  /** False while the container waits out its back-off after a kill. */
  running: boolean;
  restartCount: number;
  lastTerminationAt?: number;
  /** When the incarnation that was killed last had started (`lastState.terminated.startedAt`). */
  lastTerminationStartedAt?: number;
  /** Back-off doublings since the container last ran long enough to reset them. */
  backoffSteps: number;
  /** The next thing that happens to it by itself. */
  next: { at: number; kind: 'kill' | 'restart' | 'scan' };
}

/** An OOM kill, as the cluster logs it. */
export interface OomKill {
  time: number;
  namespace: string;
  pod: string;
  /** `namespace/name` of the pod's workload. */
  workload: string;
  container: string;
  limitBytes: number;
  /** The container's memory need at the kill. */
  needBytes: number;
  /** The restart count after the kill. */
  restartCount: number;
  /** When the container starts again. */
  restartAt: number;
}

/** Where a tracked container belongs: its pod and workload. */
export interface ContainerOwner {
  namespace: string;
  pod: string;
  workload: string;
}

/** What `advance` did to a container. */
export interface ContainerEvent<T> {
  owner: T;
  run: ContainerRun;
  kind: 'kill' | 'restart';
  at: number;
}

/** A container's run, starting at `startedAt`, with its first event scheduled. */
export function startRun(
  name: string,
  need: MemoryNeed,
  limitBytes: number | undefined,
  startedAt: number,
): ContainerRun {
  const run: ContainerRun = {
    name,
    need,
    limitBytes: limitBytes !== undefined && limitBytes > 0 ? limitBytes : Number.POSITIVE_INFINITY,
    startedAt,
    running: true,
    restartCount: 0,
    backoffSteps: 0,
    next: { at: Number.POSITIVE_INFINITY, kind: 'scan' },
  };
  scheduleNext(run, startedAt);
  return run;
}

/**
 * Finds the run's next kill within the scan horizon from `from`, else a re-scan at the horizon. The grid
 * is anchored at the incarnation's start, so when a scan happens never changes the kill time.
 */
export function scheduleNext(run: ContainerRun, from: number): void {
  if (!Number.isFinite(run.limitBytes)) {
    run.next = { at: Number.POSITIVE_INFINITY, kind: 'scan' };
    return;
  }
  const end = from + OOM_SCAN_HORIZON_MS;
  const steps = Math.ceil(Math.max(0, from - run.startedAt) / OOM_CHECK_MS);
  for (let t = run.startedAt + steps * OOM_CHECK_MS; t <= end; t += OOM_CHECK_MS) {
    if (memoryUsageBytes(run.need, run.startedAt, t) > run.limitBytes) {
      run.next = { at: t, kind: 'kill' };
      return;
    }
  }
  run.next = { at: end, kind: 'scan' };
}

/** The kubelet's delay before restart number `steps + 1` of a crash loop. */
export function crashLoopBackoffMs(steps: number): number {
  return Math.min(CRASH_LOOP_BACKOFF.initialMs * 2 ** steps, CRASH_LOOP_BACKOFF.maxMs);
}

/** Kills the run at `at` and schedules its restart (mutates `run`). */
export function killRun(run: ContainerRun, at: number): void {
  if (at - run.startedAt >= CRASH_LOOP_BACKOFF.resetAfterMs) run.backoffSteps = 0;
  const delay = crashLoopBackoffMs(run.backoffSteps);
  run.backoffSteps++;
  run.restartCount++;
  run.lastTerminationAt = at;
  run.lastTerminationStartedAt = run.startedAt;
  run.running = false;
  run.next = { at: at + delay, kind: 'restart' };
}

/**
 * An in-place resize of the container's memory limit at `at` (mutates `run`): a running container keeps
 * its working set and is checked against the new limit from now on; one waiting out its back-off starts
 * with the new limit, as the kubelet allocates a restarting container its resized resources.
 */
export function resizeRun(run: ContainerRun, limitBytes: number | undefined, at: number): void {
  run.limitBytes = limitBytes !== undefined && limitBytes > 0 ? limitBytes : Number.POSITIVE_INFINITY;
  if (run.running) scheduleNext(run, at);
}

/** Starts the run's next incarnation at `at` (mutates `run`). */
export function restartRun(run: ContainerRun, at: number): void {
  run.startedAt = at;
  run.running = true;
  scheduleNext(run, at);
}

/** The container's working set at `t` as metrics-server would see it; undefined while it is not running. */
export function runUsageBytes(run: ContainerRun, t: number): number | undefined {
  if (!run.running || t < run.startedAt) return undefined;
  return Math.min(memoryUsageBytes(run.need, run.startedAt, t), run.limitBytes);
}

/** `containerStatuses` of a pod: only containers that restarted, as the port lists them. */
export function containerStatusesOf(runs: readonly ContainerRun[]): ContainerStatus[] {
  return runs
    .filter((run) => run.restartCount > 0)
    .map((run) => ({
      name: run.name,
      restartCount: run.restartCount,
      lastTerminationReason: OOM_KILLED,
      ...(run.lastTerminationAt !== undefined ? { lastTerminationAt: run.lastTerminationAt } : {}),
      ...(run.lastTerminationStartedAt !== undefined
        ? { lastTerminationStartedAt: run.lastTerminationStartedAt }
        : {}),
    }));
}

/**
 * The containers of the cluster's live pods that have a memory need, keyed by an owner of the caller's
 * choice (the cluster uses its pod records), and the log of every kill.
 *
 * @example
 * const killer = new OomKiller<string>();
 * killer.track('web-0', { namespace: 'shop', pod: 'web-0', workload: 'shop/web' }, [startRun('app', need, 512 * MiB, now)]);
 * killer.advance(now + 60_000); // [{ owner: 'web-0', kind: 'kill', at: ..., run }] if the need passes 512 MiB
 */
export class OomKiller<T> {
  private readonly active = new Map<T, { owner: ContainerOwner; runs: ContainerRun[] }>();
  private readonly kills: OomKill[] = [];

  /** Starts watching a pod's containers (those with a need). */
  track(key: T, owner: ContainerOwner, runs: ContainerRun[]): void {
    if (runs.length > 0) this.active.set(key, { owner, runs });
  }

  /** Stops watching a pod (it is terminating or gone); its runs keep their counts for its view. */
  stop(key: T): void {
    this.active.delete(key);
  }

  /** The earliest event of a watched container; Infinity if none. */
  nextEventAt(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const { runs } of this.active.values()) {
      for (const run of runs) if (run.next.at < next) next = run.next.at;
    }
    return next;
  }

  /** Plays every event due by `now`, oldest first, and returns the kills and restarts among them. */
  advance(now: number): ContainerEvent<T>[] {
    const events: ContainerEvent<T>[] = [];
    for (;;) {
      let due: { key: T; owner: ContainerOwner; run: ContainerRun } | undefined;
      for (const [key, { owner, runs }] of this.active) {
        for (const run of runs) {
          if (run.next.at <= now && (!due || run.next.at < due.run.next.at)) due = { key, owner, run };
        }
      }
      if (!due) return events;
      const { key, owner, run } = due;
      const at = run.next.at;
      if (run.next.kind === 'scan') {
        scheduleNext(run, at);
      } else if (run.next.kind === 'restart') {
        restartRun(run, at);
        events.push({ owner: key, run, kind: 'restart', at });
      } else {
        const needBytes = memoryNeedBytes(run.need, at);
        killRun(run, at);
        this.kills.push({
          time: at,
          ...owner,
          container: run.name,
          limitBytes: run.limitBytes,
          needBytes,
          restartCount: run.restartCount,
          restartAt: run.next.at,
        });
        events.push({ owner: key, run, kind: 'kill', at });
      }
    }
  }

  /** Every kill so far, oldest first. */
  log(): readonly OomKill[] {
    return this.kills;
  }
}
