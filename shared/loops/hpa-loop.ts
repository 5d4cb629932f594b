import type { HpaSettings } from '../config/hpa-settings';
import {
  type AutoscalerPlan,
  evaluateAutoscaler,
  type HpaDecision,
  type MetricQuery,
  type MetricQueryResult,
  type MetricQueryResults,
  metricQueries,
  planAutoscaler,
  rescaleFailed,
} from '../hpa/evaluate';
import type { HorizontalPodAutoscalerStatus } from '../ports/autoscaling-v2';
import type { Clock } from '../ports/clock';
import {
  type AutoscalerKind,
  type AutoscalerObject,
  ConflictError,
  type KubernetesPort,
  NotFoundError,
  type Scale,
  type ScaleTargetKey,
  scaleTargetKeyString,
} from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import type { MetricSource } from '../ports/metric-source';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import { mapLimit } from '../runtime/map-limit';
import {
  closeOpenRun,
  compactHistory,
  expandStoredHistory,
  HPA_TICK_KEY,
  hpaTickSchema,
  onlyDropsStaleSamples,
  parseStoredHistory,
  type StoredHpaHistory,
  sameStoredHistory,
} from './hpa-history-codec';
import { PodIndex } from './pod-index';

/** The field manager and event source tideplane writes as. */
export const TIDEPLANE_MANAGER = 'tideplane';

/** Events are reported as this component (`reportingController` becomes `tideplane.io/hpa`). */
export const HPA_COMPONENT = 'hpa';

/**
 * A plain HPA whose status another manager wrote within this window belongs to a running HPA
 * controller (kube-controller-manager syncs every 15 s), and the loop leaves it alone.
 */
export const FOREIGN_STATUS_QUIET_MS = 5 * 60_000;

/** Concurrent per-autoscaler work (metric queries, writes) in one tick. */
export const HPA_CONCURRENCY = 16;

/** State items of autoscalers are kept this long after their last write; a live one is rewritten often. */
export const HPA_STATE_TTL_SECONDS = 7 * 24 * 3600;

export interface HpaLoopDeps {
  cluster: string;
  kubernetes: KubernetesPort;
  metrics: MetricSource;
  state: StateStore;
  clock: Clock;
  log: Logger;
  settings: HpaSettings;
  /** Decide and report only: no scale, status, event or state write. */
  dryRun: boolean;
}

export interface HpaTickOptions {
  /** `namespace/name`: evaluate only this autoscaler (console test events). */
  only?: string;
}

/**
 * `blocked`: the autoscaler cannot be evaluated (bad spec, missing target, invalid selector, failing
 * metrics) and says why on its status; `failed`: the rescale or the tick itself failed; `skipped`: another
 * controller owns it.
 */
export type AutoscalerAction = 'rescaled' | 'would-rescale' | 'unchanged' | 'blocked' | 'failed' | 'skipped';

export interface AutoscalerOutcome {
  kind: AutoscalerKind;
  namespace: string;
  name: string;
  currentReplicas?: number;
  desiredReplicas?: number;
  action: AutoscalerAction;
  reason: string;
}

export interface HpaTickSummary {
  cluster: string;
  /** Epoch ms the tick started. */
  time: number;
  dryRun: boolean;
  outcomes: AutoscalerOutcome[];
  counts: Record<'rescaled' | 'wouldRescale' | 'unchanged' | 'blocked' | 'failed' | 'skipped', number> & {
    statusWrites: number;
    stateWrites: number;
    events: number;
  };
}

interface Snapshot {
  autoscalers: AutoscalerObject[];
  pods: PodIndex;
  selectorsByNamespace: Map<string, { name: string; selector: string }[]>;
  podMetricsServed: boolean;
  scales: Map<string, Scale>;
  stored: Map<string, StoredItem<unknown>>;
  /** The tick marker: when the last full tick completed (see hpa-history-codec). */
  tickMarker: StoredItem<unknown> | undefined;
  lastTick: number | undefined;
  metricResults: MetricQueryResults[];
  plans: AutoscalerPlan[];
  /** `scaleTargetKeyString` of each plan's target, by autoscaler index. */
  targetKeys: (string | undefined)[];
}

/**
 * The state items only this loop writes (under its lease): the autoscalers' histories and the tick
 * marker. An invocation may keep them between its ticks (runtime/owned-items-cache.ts).
 */
export const HPA_STATE_PREFIX = 'hpa#';
export const HPA_OWNED_PREFIXES: readonly string[] = [HPA_STATE_PREFIX];

/** The state item of one autoscaler: its recommendation history and scale events. */
export function hpaStateKey(kind: AutoscalerKind, namespace: string, name: string): string {
  return `${HPA_STATE_PREFIX}${kind === 'HorizontalPodAutoscaler' ? 'hpa' : 'tpa'}#${namespace}/${name}`;
}

/**
 * One HPA tick for the whole cluster: a handful of lists (autoscalers, pods, the scale targets' kinds,
 * pod metrics), one state query, the metric queries the specs name, then per autoscaler the pure core
 * decides and the loop writes only what changed: the scale, the status, Events, the history.
 */
export async function runHpaTick(deps: HpaLoopDeps, options: HpaTickOptions = {}): Promise<HpaTickSummary> {
  const time = deps.clock.now();
  const counts: HpaTickSummary['counts'] = {
    rescaled: 0,
    wouldRescale: 0,
    unchanged: 0,
    blocked: 0,
    failed: 0,
    skipped: 0,
    statusWrites: 0,
    stateWrites: 0,
    events: 0,
  };
  const snapshot = await readSnapshot(deps, options);
  const fullTick = !options.only;
  const outcomes = await mapLimit(snapshot.autoscalers, HPA_CONCURRENCY, (autoscaler, index) =>
    reconcile(deps, snapshot, index, time, counts, fullTick).catch(async (error: unknown) => {
      deps.log.error('autoscaler failed', {
        autoscaler: `${autoscaler.namespace}/${autoscaler.name}`,
        error: String(error),
      });
      // Best effort: if the store is what failed, the next tick's expansion is off by at most a tick.
      const closed =
        fullTick && !deps.dryRun && (await closeRun(deps, snapshot, autoscaler).catch(() => false));
      if (closed) counts.stateWrites++;
      return outcome(autoscaler, 'failed', `unexpected error: ${String(error)}`);
    }),
  );
  if (fullTick && !deps.dryRun) {
    await forgetDeletedAutoscalers(deps, snapshot);
    if (snapshot.autoscalers.length > 0 && (await markTick(deps, snapshot, time))) counts.stateWrites++;
  }
  for (const o of outcomes) {
    if (o.action === 'would-rescale') counts.wouldRescale++;
    else counts[o.action]++;
  }
  return { cluster: deps.cluster, time, dryRun: deps.dryRun, outcomes, counts };
}

async function readSnapshot(deps: HpaLoopDeps, options: HpaTickOptions): Promise<Snapshot> {
  const { kubernetes, settings } = deps;
  const kinds: AutoscalerKind[] = [
    ...(settings.horizontalAutoscalers ? (['HorizontalAutoscaler'] as const) : []),
    ...(settings.horizontalPodAutoscalers ? (['HorizontalPodAutoscaler'] as const) : []),
  ];
  const [lists, pods, stored] = await Promise.all([
    Promise.all(kinds.map((kind) => listAutoscalers(kubernetes, kind))),
    kubernetes.listPods(),
    deps.state.query(deps.cluster, HPA_STATE_PREFIX),
  ]);
  const autoscalers = lists
    .flat()
    .filter((a) => !options.only || `${a.namespace}/${a.name}` === options.only)
    .map((autoscaler) => ({ autoscaler, order: autoscaler.namespace + autoscaler.name }))
    .sort((a, b) => (a.order < b.order ? -1 : 1))
    .map(({ autoscaler }) => autoscaler);
  const plans = autoscalers.map((autoscaler) => planAutoscaler(autoscaler));
  const targetKeys = plans.map((plan) => (plan.target ? scaleTargetKeyString(plan.target) : undefined));
  // Each target once, though several autoscalers may name it.
  const targets = new Map<string, ScaleTargetKey>();
  plans.forEach((plan, index) => {
    const targetKey = targetKeys[index];
    if (plan.target && targetKey !== undefined && !targets.has(targetKey))
      targets.set(targetKey, plan.target);
  });
  const needsPodMetrics = plans.some((plan) => plan.needsPodMetrics);
  const [scales, podMetrics] = await Promise.all([
    targets.size > 0
      ? kubernetes.getScales([...targets.values()])
      : Promise.resolve(new Map<string, Scale>()),
    needsPodMetrics ? kubernetes.listPodMetrics() : Promise.resolve([]),
  ]);
  deps.metrics.beginTick?.({ now: deps.clock.now(), pods });
  // Custom and external metrics are asked for with the target's pod selector, so they follow the scales.
  // All of the tick's queries at once: the metric source bounds its own concurrency per backend and
  // batches where the backend allows (CloudWatch takes 500 queries per call).
  const metricResults = await Promise.all(
    autoscalers.map((autoscaler, index) => {
      const targetKey = targetKeys[index];
      const scale = targetKey !== undefined ? scales.get(targetKey) : undefined;
      return queryMetrics(deps.metrics, metricQueries(autoscaler, scale));
    }),
  );
  const tickMarker = stored.find((item) => item.sk === HPA_TICK_KEY);
  const marker = hpaTickSchema.safeParse(tickMarker?.data);
  return {
    autoscalers,
    plans,
    pods: new PodIndex(pods, podMetrics),
    targetKeys,
    selectorsByNamespace: selectorsByNamespace(autoscalers, targetKeys, scales),
    podMetricsServed: podMetrics.length > 0,
    scales,
    stored: new Map(stored.filter((item) => item.sk !== HPA_TICK_KEY).map((item) => [item.sk, item])),
    tickMarker,
    lastTick: marker.success ? marker.data.at : undefined,
    metricResults,
  };
}

/** A missing CRD is a setup step left out; say which, instead of a bare 404. */
async function listAutoscalers(
  kubernetes: KubernetesPort,
  kind: AutoscalerKind,
): Promise<AutoscalerObject[]> {
  try {
    return await kubernetes.listAutoscalers(kind);
  } catch (error) {
    if (error instanceof NotFoundError && kind === 'HorizontalAutoscaler') {
      throw new Error(
        'the HorizontalAutoscaler CRD (autoscaling.tideplane.io) is not installed in this cluster: ' +
          'kubectl apply -f infra/manifests/',
      );
    }
    throw error;
  }
}

async function reconcile(
  deps: HpaLoopDeps,
  snapshot: Snapshot,
  index: number,
  now: number,
  counts: HpaTickSummary['counts'],
  fullTick: boolean,
): Promise<AutoscalerOutcome> {
  const autoscaler = snapshot.autoscalers[index] as AutoscalerObject;
  const plan = snapshot.plans[index] as AutoscalerPlan;
  const { kubernetes, log } = deps;

  if (autoscaler.kind === 'HorizontalPodAutoscaler') {
    const foreign = autoscaler.statusManagers.find(
      (m) =>
        m.manager !== TIDEPLANE_MANAGER && m.time !== undefined && now - m.time < FOREIGN_STATUS_QUIET_MS,
    );
    if (foreign) {
      if (fullTick && !deps.dryRun && (await closeRun(deps, snapshot, autoscaler))) counts.stateWrites++;
      return outcome(
        autoscaler,
        'skipped',
        `status written by ${foreign.manager} ${Math.round((now - (foreign.time ?? now)) / 1000)} s ago: ` +
          'an HPA controller runs in the cluster; tideplane does not fight it',
      );
    }
  }

  const key = hpaStateKey(autoscaler.kind, autoscaler.namespace, autoscaler.name);
  const stored = snapshot.stored.get(key);
  const previous = parseStoredHistory(stored?.data);
  const history0 = previous ? expandStoredHistory(previous, snapshot.lastTick) : undefined;
  if (stored && !history0) log.warn('stored history unreadable; starting afresh', { key });
  let metricResults = snapshot.metricResults[index] ?? {};
  const evaluate = (scale: Scale | undefined): HpaDecision => {
    const pods = snapshot.pods.candidates(autoscaler.namespace, scale?.selector);
    return evaluateAutoscaler({
      autoscaler,
      scale,
      pods,
      podMetrics: snapshot.pods.metricsOf(pods),
      podMetricsServed: snapshot.podMetricsServed,
      metricResults,
      otherAutoscalers: otherSelectors(snapshot, autoscaler),
      history: history0,
      now,
      settings: deps.settings,
    });
  };

  const targetKey = snapshot.targetKeys[index];
  let scale = targetKey !== undefined ? snapshot.scales.get(targetKey) : undefined;
  let decision = evaluate(scale);
  let rescaled = false;
  let failure: string | undefined;

  if (decision.rescale && plan.target && scale && !deps.dryRun) {
    for (let attempt = 0; attempt < 2 && decision.rescale && scale; attempt++) {
      try {
        await kubernetes.updateScale(plan.target, decision.desiredReplicas, scale.resourceVersion);
        rescaled = true;
        break;
      } catch (error) {
        if (error instanceof ConflictError && attempt === 0) {
          // Someone changed the target since the list: decide again on what it is now, never blindly.
          scale = await kubernetes.getScale(plan.target);
          metricResults = await queryMetrics(deps.metrics, metricQueries(autoscaler, scale));
          decision = evaluate(scale);
          continue;
        }
        failure = error instanceof NotFoundError ? 'scale target disappeared' : String(error);
        break;
      }
    }
  }

  // The decision's status and events assume the rescale happens; when it was not attempted (dry run,
  // no target) or failed, upstream's FailedRescale path says so instead.
  const attempted = decision.rescale && !deps.dryRun;
  const { status, events } =
    attempted && !rescaled ? rescaleFailed(decision, failure ?? 'scale target not readable') : decision;
  const history = rescaled ? decision.nextHistoryAfterRescale : decision.nextHistory;

  if (!deps.dryRun) {
    if (decision.statusChanged || status !== decision.status) {
      try {
        await kubernetes.updateAutoscalerStatus(autoscaler, status);
        counts.statusWrites++;
      } catch (error) {
        log.warn('status update failed', {
          autoscaler: `${autoscaler.namespace}/${autoscaler.name}`,
          error: String(error),
        });
      }
    }
    for (const event of eventsWorthWriting(events, autoscaler.status, status)) {
      await kubernetes
        .createEvent({
          involvedObject: {
            apiVersion: autoscaler.apiVersion,
            kind: autoscaler.kind,
            namespace: autoscaler.namespace,
            name: autoscaler.name,
            uid: autoscaler.uid,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          time: now,
          reportingComponent: HPA_COMPONENT,
        })
        .then(() => counts.events++)
        .catch((error: unknown) =>
          log.warn('event not recorded', { reason: event.reason, error: String(error) }),
        );
    }
    if (history) {
      const next = compactHistory(history, now, previous, fullTick);
      // A steady autoscaler is not rewritten, so its item's TTL is renewed once half of it has passed.
      const ttlRunningOut =
        stored?.expiresAt !== undefined && stored.expiresAt * 1000 - now < (HPA_STATE_TTL_SECONDS * 1000) / 2;
      const changed = !sameStoredHistory(previous, next) && !onlyDropsStaleSamples(previous, next);
      if ((changed || ttlRunningOut) && (await persistHistory(deps, key, stored, next))) counts.stateWrites++;
    }
    if (rescaled) {
      await recordDecision(deps, now, autoscaler, decision);
      counts.stateWrites++;
    }
  }

  const base = { currentReplicas: decision.currentReplicas, desiredReplicas: decision.desiredReplicas };
  if (attempted && !rescaled)
    return { ...outcome(autoscaler, 'failed', `rescale failed: ${failure}`), ...base };
  if (rescaled) return { ...outcome(autoscaler, 'rescaled', decision.rescaleReason ?? ''), ...base };
  if (decision.rescale)
    return { ...outcome(autoscaler, 'would-rescale', decision.rescaleReason ?? ''), ...base };
  const blocked = BLOCKED_OUTCOMES.has(decision.explanation.outcome);
  return { ...outcome(autoscaler, blocked ? 'blocked' : 'unchanged', decision.summary), ...base };
}

/** Evaluations that stopped before a proposal: the status conditions carry the reason. */
const BLOCKED_OUTCOMES: ReadonlySet<string> = new Set([
  'InvalidSpec',
  'FailedGetScale',
  'InvalidSelector',
  'MetricsFailed',
]);

/** The namespace's other autoscalers with their targets' selectors, for upstream's AmbiguousSelector. */
function otherSelectors(snapshot: Snapshot, self: AutoscalerObject): { name: string; selector: string }[] {
  return (snapshot.selectorsByNamespace.get(`${self.kind}/${self.namespace}`) ?? []).filter(
    (o) => o.name !== self.name,
  );
}

/** Each namespace's autoscalers with their targets' selectors, built once per tick. */
function selectorsByNamespace(
  autoscalers: readonly AutoscalerObject[],
  targetKeys: readonly (string | undefined)[],
  scales: ReadonlyMap<string, Scale>,
): Map<string, { name: string; selector: string }[]> {
  const groups = new Map<string, { name: string; selector: string }[]>();
  autoscalers.forEach((autoscaler, index) => {
    const targetKey = targetKeys[index];
    const selector = targetKey !== undefined ? scales.get(targetKey)?.selector : undefined;
    if (!selector) return;
    const key = `${autoscaler.kind}/${autoscaler.namespace}`;
    const group = groups.get(key) ?? [];
    group.push({ name: autoscaler.name, selector });
    groups.set(key, group);
  });
  return groups;
}

/**
 * Warnings repeat every tick while a problem lasts; like the API server's event series, only a change
 * is news. A rescale is always news.
 */
function eventsWorthWriting(
  events: HpaDecision['events'],
  previous: HorizontalPodAutoscalerStatus | undefined,
  next: HorizontalPodAutoscalerStatus,
): HpaDecision['events'] {
  if (events.every((event) => event.type === 'Normal')) return events;
  const before = previous?.conditions ?? [];
  const after = next.conditions ?? [];
  const conditionsChanged =
    before.length !== after.length ||
    before.some((c, i) => {
      const other = after[i];
      return (
        !other ||
        c.type !== other.type ||
        c.status !== other.status ||
        (c.reason ?? '') !== (other.reason ?? '')
      );
    });
  return events.filter((event) => event.type === 'Normal' || conditionsChanged);
}

async function persistHistory(
  deps: HpaLoopDeps,
  key: string,
  stored: StoredItem<unknown> | undefined,
  history: StoredHpaHistory,
): Promise<boolean> {
  try {
    await deps.state.put(deps.cluster, key, history, {
      expectedVersion: stored?.version ?? 0,
      expiresAt: Math.floor(deps.clock.now() / 1000) + HPA_STATE_TTL_SECONDS,
    });
    return true;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // Only a second actor can cause this, and the lease rules one out; the next tick starts from
    // whatever is stored, so nothing is lost but one sample of history.
    deps.log.warn('history changed concurrently; keeping the stored one', { key });
    return false;
  }
}

async function recordDecision(
  deps: HpaLoopDeps,
  now: number,
  autoscaler: AutoscalerObject,
  decision: HpaDecision,
) {
  const id = `${autoscaler.namespace}/${autoscaler.name}`;
  await deps.state
    .put(
      deps.cluster,
      `decision#hpa#${new Date(now).toISOString()}#${id}`,
      {
        autoscaler: id,
        kind: autoscaler.kind,
        from: decision.currentReplicas,
        to: decision.desiredReplicas,
        reason: decision.rescaleReason,
        explanation: decision.explanation,
      },
      {
        expectedVersion: 0,
        expiresAt: Math.floor(now / 1000) + deps.settings.decisionRetentionDays * 86_400,
      },
    )
    .catch((error: unknown) => {
      // The same decision at the same instant is already recorded (a replayed tick).
      if (!(error instanceof VersionConflictError)) throw error;
    });
}

/** Closes the open run of an autoscaler that recorded nothing this tick; true when it wrote. */
async function closeRun(
  deps: HpaLoopDeps,
  snapshot: Snapshot,
  autoscaler: AutoscalerObject,
): Promise<boolean> {
  const key = hpaStateKey(autoscaler.kind, autoscaler.namespace, autoscaler.name);
  const stored = snapshot.stored.get(key);
  const parsed = parseStoredHistory(stored?.data);
  if (!stored || !parsed || parsed.open === undefined) return false;
  return persistHistory(deps, key, stored, closeOpenRun(parsed, snapshot.lastTick));
}

/** Every autoscaler with an open run recorded it at `time`: the marker says so for all of them at once. */
async function markTick(deps: HpaLoopDeps, snapshot: Snapshot, time: number): Promise<boolean> {
  try {
    await deps.state.put(
      deps.cluster,
      HPA_TICK_KEY,
      { at: time },
      {
        expectedVersion: snapshot.tickMarker?.version ?? 0,
        expiresAt: Math.floor(time / 1000) + HPA_STATE_TTL_SECONDS,
      },
    );
    return true;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    deps.log.warn('tick marker changed concurrently', { cluster: deps.cluster });
    return false;
  }
}

/** State of autoscalers that no longer exist would otherwise linger until its TTL. */
async function forgetDeletedAutoscalers(deps: HpaLoopDeps, snapshot: Snapshot): Promise<void> {
  const live = new Set(snapshot.autoscalers.map((a) => hpaStateKey(a.kind, a.namespace, a.name)));
  const gone = [...snapshot.stored.values()].filter((item) => !live.has(item.sk));
  await mapLimit(gone, HPA_CONCURRENCY, (item) =>
    deps.state.delete(deps.cluster, item.sk, item.version).catch((error: unknown) => {
      if (!(error instanceof VersionConflictError)) throw error;
    }),
  );
}

async function queryMetrics(source: MetricSource, queries: MetricQuery[]): Promise<MetricQueryResults> {
  const entries = await Promise.all(
    queries.map(async (query): Promise<[number, MetricQueryResult]> => {
      switch (query.kind) {
        case 'Pods':
          return [query.metricIndex, { kind: 'Pods', result: await source.getPodsMetric(query.query) }];
        case 'Object':
          return [query.metricIndex, { kind: 'Object', result: await source.getObjectMetric(query.query) }];
        case 'External':
          return [
            query.metricIndex,
            { kind: 'External', result: await source.getExternalMetric(query.query) },
          ];
      }
    }),
  );
  return Object.fromEntries(entries);
}

function outcome(autoscaler: AutoscalerObject, action: AutoscalerAction, reason: string): AutoscalerOutcome {
  return { kind: autoscaler.kind, namespace: autoscaler.namespace, name: autoscaler.name, action, reason };
}
