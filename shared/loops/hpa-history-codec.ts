import { z } from 'zod';
import { type HpaHistory, hpaHistorySchema } from '../hpa/evaluate';
import { deepFreeze } from '../units/deep-freeze';

/**
 * How an HPA's history is stored so that a tick writes only the autoscalers whose history really
 * changed.
 *
 * Upstream records one recommendation per sync, so a naive store would rewrite every autoscaler every
 * 15 s. But every stabilization decision (the max over the scale-down window, the min over the scale-up
 * window) depends only on the latest time each replica count was recommended: if that time is inside a
 * window, the value counts; if not, no earlier one does either. So the stored form keeps the latest
 * timestamp per value, and the value recommended in an unbroken run of ticks up to now is stored once as
 * `open`: its latest timestamp is the cluster's last completed tick, one item (`HPA_TICK_KEY`) written
 * once per tick. An autoscaler is written when its recommendation changes or it rescales (and when
 * its item's TTL needs renewing) — not on every tick, and not when an old value merely leaves the windows.
 */

/** The per-cluster item holding the time of the last completed full HPA tick. */
export const HPA_TICK_KEY = 'hpa#~tick';

export const storedHpaHistorySchema = z.object({
  recommendations: hpaHistorySchema.shape.recommendations,
  scaleUpEvents: hpaHistorySchema.shape.scaleUpEvents,
  scaleDownEvents: hpaHistorySchema.shape.scaleDownEvents,
  /** The replica count recommended at every tick from `openSince` through the last completed tick. */
  open: z.number().int().optional(),
  /** Epoch ms of the first tick of the open run; a lower bound when the tick marker is missing. */
  openSince: z.number().optional(),
});

export type StoredHpaHistory = z.infer<typeof storedHpaHistorySchema>;

export const hpaTickSchema = z.object({ at: z.number() });

/**
 * The stored history, validated; undefined when the item is not one. A frozen item (an invocation keeps
 * the items it read between its ticks, frozen: runtime/owned-items-cache.ts) is validated once, and its
 * parsed form, frozen too, is shared by the ticks that read it.
 */
export function parseStoredHistory(stored: unknown): StoredHpaHistory | undefined {
  const shareable = stored !== null && typeof stored === 'object' && Object.isFrozen(stored);
  if (shareable) {
    const known = parsedHistories.get(stored);
    if (known) return known.history;
  }
  const parsed = storedHpaHistorySchema.safeParse(stored);
  const history = parsed.success ? parsed.data : undefined;
  if (shareable) parsedHistories.set(stored, { history: history && deepFreeze(history) });
  return history;
}

const parsedHistories = new WeakMap<object, { history: StoredHpaHistory | undefined }>();

/**
 * The history the core works with: the stored one plus the open run's latest sample at the last
 * completed tick. Undefined when nothing usable is stored (first sight, or an unreadable item).
 */
export function expandHistory(stored: unknown, lastTick: number | undefined): HpaHistory | undefined {
  const parsed = parseStoredHistory(stored);
  return parsed ? expandStoredHistory(parsed, lastTick) : undefined;
}

/** `expandHistory` of a history already validated (`parseStoredHistory`). */
export function expandStoredHistory(parsed: StoredHpaHistory, lastTick: number | undefined): HpaHistory {
  const { open, openSince, ...history } = parsed;
  if (open === undefined) return history;
  const latest = Math.max(lastTick ?? Number.NEGATIVE_INFINITY, openSince ?? Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(latest)) return history;
  return { ...history, recommendations: [...history.recommendations, { timestamp: latest, replicas: open }] };
}

/**
 * The stored form of the core's next history after a tick at `now`. With `openRun`, the recommendation
 * made at `now` (if the core made one) opens or continues the run; without it (a tick that will not
 * advance the tick marker, such as a console run for one autoscaler) it is stored as a plain sample.
 * Every other value keeps only its latest sample.
 */
export function compactHistory(
  next: HpaHistory,
  now: number,
  previous: StoredHpaHistory | undefined,
  openRun: boolean,
): StoredHpaHistory {
  const current = openRun ? next.recommendations.find((r) => r.timestamp === now)?.replicas : undefined;
  const latest = new Map<number, number>();
  for (const { timestamp, replicas } of next.recommendations) {
    if (replicas === current) continue;
    latest.set(replicas, Math.max(timestamp, latest.get(replicas) ?? Number.NEGATIVE_INFINITY));
  }
  const recommendations = [...latest]
    .map(([replicas, timestamp]) => ({ timestamp, replicas }))
    .sort((a, b) => a.timestamp - b.timestamp || a.replicas - b.replicas);
  const stored: StoredHpaHistory = {
    recommendations,
    scaleUpEvents: next.scaleUpEvents,
    scaleDownEvents: next.scaleDownEvents,
  };
  if (current !== undefined) {
    stored.open = current;
    stored.openSince =
      previous?.open === current && previous.openSince !== undefined ? previous.openSince : now;
  }
  return stored;
}

/**
 * The stored history with its open run closed at its latest sample, for an autoscaler that recorded
 * nothing in a tick that advances the marker (skipped or failed): its run must not seem to go on.
 */
export function closeOpenRun(stored: StoredHpaHistory, lastTick: number | undefined): StoredHpaHistory {
  if (stored.open === undefined) return stored;
  return compactHistory(expandStoredHistory(stored, lastTick), Number.NaN, undefined, false);
}

/** Whether two stored histories lead to the same decisions (the open run's start does not matter). */
export function sameStoredHistory(a: StoredHpaHistory | undefined, b: StoredHpaHistory): boolean {
  if (!a) return false;
  return (
    a.open === b.open &&
    sameList(
      a.recommendations,
      b.recommendations,
      (x, y) => x.timestamp === y.timestamp && x.replicas === y.replicas,
    ) &&
    sameList(a.scaleUpEvents, b.scaleUpEvents, sameEvent) &&
    sameList(a.scaleDownEvents, b.scaleDownEvents, sameEvent)
  );
}

/**
 * Whether `next` differs from `previous` only by samples the core pruned because they left every window.
 * Such a change need not be written: the stored stale samples come back on the next read and are pruned
 * again, and no decision reads them.
 */
export function onlyDropsStaleSamples(
  previous: StoredHpaHistory | undefined,
  next: StoredHpaHistory,
): boolean {
  if (!previous || previous.open !== next.open) return false;
  if (!sameList(previous.scaleUpEvents, next.scaleUpEvents, sameEvent)) return false;
  if (!sameList(previous.scaleDownEvents, next.scaleDownEvents, sameEvent)) return false;
  return next.recommendations.every((r) =>
    previous.recommendations.some((p) => p.timestamp === r.timestamp && p.replicas === r.replicas),
  );
}

type ScaleEvent = HpaHistory['scaleUpEvents'][number];

function sameEvent(x: ScaleEvent, y: ScaleEvent): boolean {
  return x.timestamp === y.timestamp && x.replicaChange === y.replicaChange && x.outdated === y.outdated;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i] as T));
}
