/**
 * How long the pods of a node EC2 is about to take needed to be Ready somewhere else: the measure of a
 * spot interruption's handling. Read from what the node-pool loop's ticks listed, with each replacement's
 * own Ready time (exact, not rounded to a tick).
 */
import { mustMove } from '../nodepools/drain';
import type { Pod } from '../ports/kubernetes';

/**
 * How long after the event replacements are looked for. Well past the two-minute notice and the
 * drain's own give-up time (10 min), so a slow move is measured as slow rather than as never.
 */
export const POD_MOVE_WINDOW_MS = 30 * 60_000;

/** The workload a pod belongs to: a replacement is any later pod of the same controller. */
function ownerOf(pod: Pod): string | undefined {
  return (pod.ownerReferences.find((owner) => owner.controller === true) ?? pod.ownerReferences[0])?.uid;
}

function readySince(pod: Pod): number | undefined {
  const ready = pod.conditions.find((condition) => condition.type === 'Ready' && condition.status === 'True');
  return ready?.lastTransitionTime;
}

/**
 * The pods on `node` at the first look at or after `since`, and for each a replacement of its workload
 * created after `since` and Ready on another node (the earliest Ready one not matched yet). A workload
 * that grew meanwhile may lend a new pod as a replacement; over two minutes that seldom matters.
 *
 * @example
 * const move = new PodMove('ip-10-0-0-4', warnedAt);
 * move.observe(tick.time, tick.pods); // after each tick, until move.settled
 * move.readyElsewhereAt; // when the last pod had its replacement Ready
 */
export class PodMove {
  private remaining: Map<string, number> | undefined;
  private readonly victims = new Set<string>();
  private readonly used = new Set<string>();
  private latestReady = Number.NEGATIVE_INFINITY;
  private moved = 0;
  private finished = false;
  /** The pods that had to move; known from the first look on. */
  podsToMove: number | undefined;
  /** When the last of them had a replacement Ready elsewhere; known once every one has. */
  readyElsewhereAt: number | undefined;

  constructor(
    readonly node: string,
    readonly since: number,
  ) {}

  /** Every pod has a replacement, or the window passed. */
  get settled(): boolean {
    return this.finished;
  }

  observe(time: number, pods: readonly Pod[]): void {
    if (this.finished || time < this.since) return;
    if (!this.remaining) {
      this.remaining = new Map();
      for (const pod of pods) {
        if (pod.nodeName !== this.node || !mustMove(pod)) continue;
        this.victims.add(pod.uid);
        const owner = ownerOf(pod);
        // A pod no controller recreates has no replacement to wait for: it can never count as moved.
        const key = owner ?? `(unowned ${pod.uid})`;
        this.remaining.set(key, (this.remaining.get(key) ?? 0) + 1);
      }
      this.podsToMove = this.victims.size;
    }
    const candidates: { uid: string; owner: string; readyAt: number }[] = [];
    for (const pod of pods) {
      if (this.victims.has(pod.uid) || this.used.has(pod.uid)) continue;
      if (pod.creationTimestamp < this.since || !pod.nodeName || pod.nodeName === this.node) continue;
      const owner = ownerOf(pod);
      const readyAt = readySince(pod);
      if (owner === undefined || readyAt === undefined || !this.remaining.get(owner)) continue;
      candidates.push({ uid: pod.uid, owner, readyAt });
    }
    candidates.sort((a, b) => a.readyAt - b.readyAt);
    for (const candidate of candidates) {
      const left = this.remaining.get(candidate.owner) ?? 0;
      if (left === 0) continue;
      this.remaining.set(candidate.owner, left - 1);
      this.used.add(candidate.uid);
      this.moved++;
      this.latestReady = Math.max(this.latestReady, candidate.readyAt);
    }
    if (this.moved === this.podsToMove) {
      if (this.moved > 0) this.readyElsewhereAt = this.latestReady;
      this.finished = true;
    } else if (time - this.since > POD_MOVE_WINDOW_MS) {
      this.finished = true;
    }
  }
}
