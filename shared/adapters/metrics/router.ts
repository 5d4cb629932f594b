/**
 * The `MetricSource` the HPA loop talks to: picks a collector for each `Pods`, `Object` and `External`
 * metric from kube-metrics-adapter's annotations and conventions (see ANNOTATIONS.md), and sends every
 * metric no collector claims to the Kubernetes custom/external metrics APIs (`fallback`), so metric
 * adapters already installed keep working.
 *
 * Within one tick (from one `beginTick` to the next) it
 * - fetches identical requests once: the PROMISE is cached under `collector.name + cacheKey(request)`
 *   (the fallback's under the query itself), so concurrent identical queries share one fetch;
 * - bounds concurrent fetches per source (`concurrency`), except for collectors that batch internally
 *   (`batching`), which get all their requests at once;
 * - gives every request at most the source's `timeoutMs`, counted from when it is asked (waiting for a
 *   slot included), so a dead source answers `Timeout` within its timeout and never holds up the tick
 *   longer; the fetch is aborted through its `AbortSignal`. Timeouts run on the wall clock, since they
 *   bound real I/O (the simulator's virtual clock would fire them at the wrong time);
 * - checks every value (finite, non-negative), turns a collector's exception into `Unavailable` and a
 *   malformed annotation into `Invalid` naming the key. It never throws and never rejects.
 */
import type { LabelSelector } from '../../ports/autoscaling-v2';
import type { Clock } from '../../ports/clock';
import type { Pod } from '../../ports/kubernetes';
import { type Logger, silentLogger } from '../../ports/logger';
import {
  type ExternalMetricQuery,
  MetricError,
  type MetricResult,
  type MetricSource,
  type MetricTickContext,
  type ObjectMetricQuery,
  type PodMetricSample,
  type PodsMetricQuery,
  type QueryOrigin,
  type ScalarSample,
} from '../../ports/metric-source';
import { parseSelector, selectorMatches } from '../../units/label-selector';
import {
  annotationConfigFor,
  annotationErrorsFor,
  type MetricAnnotationConfig,
  type ParsedMetricAnnotations,
  parseMetricAnnotations,
} from './annotations';
import type { CollectedValues, Collector, CollectorMetricType, CollectorRequest } from './collector';

/** Concurrent fetches per source (each collector, and the fallback) when not configured. */
export const DEFAULT_METRIC_CONCURRENCY = 16;
/** Upper bound on one fallback query (the Kubernetes metrics APIs) when not configured. */
export const DEFAULT_FALLBACK_TIMEOUT_MS = 10_000;
/** The fallback's name in `stats()` and messages. */
export const FALLBACK_SOURCE = 'kubernetes-metrics-api';

/**
 * External metrics pick their collector by the selector's `type` label or, without it, by the metric's
 * name (upstream's `CollectorFactory.NewCollector`); these are upstream's legacy names for the same
 * collectors (`RegisterExternalCollector` in `pkg/server/start.go`).
 */
export const COLLECTOR_ALIASES: Readonly<Record<string, string>> = {
  'prometheus-query': 'prometheus',
  'flux-query': 'influxdb',
  http: 'json-path',
  'zmon-check': 'zmon',
  skipper: 'requests-per-second',
};

/** Upstream's default Pods collector: every `metric-config.pods.*` metric goes to it. */
export const PODS_DEFAULT_COLLECTOR = 'json-path';
/** Object metrics named `requests-per-second` (or `requests-per-second,<backend>`) on these kinds. */
export const REQUESTS_PER_SECOND_COLLECTOR = 'requests-per-second';
export const REQUESTS_PER_SECOND_KINDS: readonly string[] = ['Ingress', 'RouteGroup'];
/** Object metrics on these kinds (upstream registers its schedule collectors by kind; scheduled-scaling.ts). */
export const SCALING_SCHEDULE_COLLECTOR = 'scheduled-scaling';
export const SCALING_SCHEDULE_KINDS: readonly string[] = ['ScalingSchedule', 'ClusterScalingSchedule'];

export const normalizeCollectorName = (name: string): string => COLLECTOR_ALIASES[name] ?? name;

export interface MetricRouterOptions {
  collectors: readonly Collector[];
  /** Metrics no collector claims: the Kubernetes custom/external metrics APIs. */
  fallback: MetricSource;
  /** `now` of requests made before any `beginTick`; default the system clock. */
  clock?: Clock;
  /** Concurrent fetches per source; default `DEFAULT_METRIC_CONCURRENCY`. */
  concurrency?: number;
  /** Upper bound on one fallback query; default `DEFAULT_FALLBACK_TIMEOUT_MS`. */
  fallbackTimeoutMs?: number;
  log?: Logger;
}

/** Counts since the last `beginTick`. */
export interface MetricRouterStats {
  /** Queries answered (every `get*Metric` call). */
  queries: number;
  /** Queries answered from a fetch another query of this tick had started. */
  cacheHits: number;
  /** `collect` (or fallback) calls per source. */
  fetches: Record<string, number>;
  /** Fetches per source that ended in a timeout. */
  timeouts: Record<string, number>;
  /** Queries refused before any fetch (malformed annotations, bad pod selector). */
  invalid: number;
}

/** How one query is answered. */
export type MetricRoute =
  | { kind: 'collector'; collector: Collector; config: Record<string, string> }
  | { kind: 'fallback' }
  | { kind: 'error'; error: MetricError };

/** A query in the shape the HPA core lists them (`metricQueries`), for `prefetch`. */
export type RoutedQuery =
  | { kind: 'Pods'; query: PodsMetricQuery }
  | { kind: 'Object'; query: ObjectMetricQuery }
  | { kind: 'External'; query: ExternalMetricQuery };

const fail = <T>(reason: MetricError['reason'], message: string): MetricResult<T> => ({
  ok: false,
  error: new MetricError(reason, message),
});

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const validNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** JSON with sorted object keys: equal values, equal text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * At most `limit` tasks running; the rest wait in order. A waiting task can be withdrawn (its deadline
 * passed before it got a slot).
 */
class Semaphore {
  private running = 0;
  private readonly waiting: { start: (release: () => void) => void; withdrawn: boolean }[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `start` when a slot is free; it must call `release` exactly once. */
  enqueue(start: (release: () => void) => void): { withdraw(): void } {
    const entry = { start, withdrawn: false };
    this.waiting.push(entry);
    this.pump();
    return {
      withdraw: () => {
        entry.withdrawn = true;
      },
    };
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      const entry = this.waiting.shift();
      if (!entry || entry.withdrawn) continue;
      this.running++;
      let released = false;
      entry.start(() => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      });
    }
  }
}

/** A `Pods` query's pods, from the tick's pod list: same namespace, matching the pod selector. */
class PodsByNamespace {
  private readonly byNamespace = new Map<string, Pod[]>();
  private readonly selected = new Map<string, readonly Pod[]>();

  constructor(pods: readonly Pod[]) {
    for (const pod of pods) {
      const list = this.byNamespace.get(pod.namespace);
      if (list) list.push(pod);
      else this.byNamespace.set(pod.namespace, [pod]);
    }
  }

  /** Throws `LabelSelectorError` for a selector that does not parse. */
  select(namespace: string, podSelector: string): readonly Pod[] {
    const key = `${namespace}\u0000${podSelector}`;
    const cached = this.selected.get(key);
    if (cached) return cached;
    const selector = parseSelector(podSelector);
    const pods = (this.byNamespace.get(namespace) ?? []).filter((pod) =>
      selectorMatches(selector, pod.labels),
    );
    this.selected.set(key, pods);
    return pods;
  }
}

const emptyStats = (): MetricRouterStats => ({
  queries: 0,
  cacheHits: 0,
  fetches: {},
  timeouts: {},
  invalid: 0,
});

/**
 * @example
 *   const metrics = new MetricRouter({
 *     collectors: [new PrometheusCollector(...), new SqsQueueLengthCollector(...)],
 *     fallback: new KubernetesMetricsApiSource(client),
 *   });
 *   await runHpaTick({ ...deps, metrics });
 *   metrics.stats(); // { queries: 1000, cacheHits: 800, fetches: { prometheus: 150, 'sqs-queue-length': 50 }, ... }
 */
export class MetricRouter implements MetricSource {
  private readonly collectors: ReadonlyMap<string, Collector>;
  private readonly fallback: MetricSource;
  private readonly clock: Clock | undefined;
  private readonly concurrency: number;
  private readonly fallbackTimeoutMs: number;
  private readonly log: Logger;
  private readonly semaphores = new Map<string, Semaphore>();
  private parsed = new WeakMap<object, ParsedMetricAnnotations>();
  private cache = new Map<string, Promise<MetricResult<unknown>>>();
  private tickStats = emptyStats();
  private now: number | undefined;
  private pods: PodsByNamespace | undefined;

  constructor(options: MetricRouterOptions) {
    const collectors = new Map<string, Collector>();
    for (const collector of options.collectors) {
      if (collectors.has(collector.name)) throw new Error(`two collectors are named "${collector.name}"`);
      if (!(collector.timeoutMs > 0) || !Number.isFinite(collector.timeoutMs)) {
        throw new Error(`collector "${collector.name}" has an invalid timeoutMs ${collector.timeoutMs}`);
      }
      collectors.set(collector.name, collector);
    }
    const concurrency = options.concurrency ?? DEFAULT_METRIC_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`invalid concurrency ${concurrency}`);
    this.collectors = collectors;
    this.fallback = options.fallback;
    this.clock = options.clock;
    this.concurrency = concurrency;
    this.fallbackTimeoutMs = options.fallbackTimeoutMs ?? DEFAULT_FALLBACK_TIMEOUT_MS;
    this.log = options.log ?? silentLogger;
  }

  /** Drops the previous tick's fetches, indexes the tick's pods and resets `stats()`. */
  beginTick(context: MetricTickContext): void {
    const previous = this.tickStats;
    if (previous.queries > 0) this.log.debug('metric router tick', { ...previous });
    this.cache = new Map();
    this.parsed = new WeakMap();
    this.tickStats = emptyStats();
    this.now = context.now;
    this.pods = new PodsByNamespace(context.pods);
    this.fallback.beginTick?.(context);
  }

  /** Counts since the last `beginTick` (a copy). */
  stats(): MetricRouterStats {
    const s = this.tickStats;
    return { ...s, fetches: { ...s.fetches }, timeouts: { ...s.timeouts } };
  }

  /**
   * Starts the fetches of all the tick's queries at once, so a batching collector sees them together
   * (the HPA loop asks per autoscaler with bounded concurrency, which would cut its batches short);
   * the answers are cached for the `get*Metric` calls that follow. Resolves when all have settled.
   */
  async prefetch(queries: readonly RoutedQuery[]): Promise<void> {
    await Promise.all(
      queries.map((q): Promise<unknown> => {
        if (q.kind === 'Pods') return this.getPodsMetric(q.query);
        if (q.kind === 'Object') return this.getObjectMetric(q.query);
        return this.getExternalMetric(q.query);
      }),
    );
  }

  async getPodsMetric(query: PodsMetricQuery): Promise<MetricResult<PodMetricSample[]>> {
    return this.answer('Pods', query, (route) => this.podsFrom(route, query));
  }

  async getObjectMetric(query: ObjectMetricQuery): Promise<MetricResult<ScalarSample>> {
    return this.answer('Object', query, (route) => this.objectFrom(route, query));
  }

  async getExternalMetric(query: ExternalMetricQuery): Promise<MetricResult<ScalarSample[]>> {
    return this.answer('External', query, (route) => this.externalFrom(route, query));
  }

  /** Which source answers this query, and with what configuration. */
  route(
    type: CollectorMetricType,
    query: { origin?: QueryOrigin; metricName: string; metricSelector?: LabelSelector } & Partial<
      Pick<ObjectMetricQuery, 'describedObject'>
    >,
  ): MetricRoute {
    const parsed = this.parse(query.origin);
    const errors = parsed ? annotationErrorsFor(parsed, type, query.metricName) : [];
    const [first] = errors;
    if (first) {
      const more =
        errors.length > 1 ? ` (and ${errors.length - 1} more malformed metric-config annotations)` : '';
      return { kind: 'error', error: new MetricError('Invalid', `${first.message}${more}`) };
    }
    const annotated = parsed ? annotationConfigFor(parsed, type, query.metricName) : undefined;
    const matchLabels = query.metricSelector?.matchLabels ?? {};
    switch (type) {
      case 'Pods':
        return this.routePods(annotated);
      case 'Object':
        return this.routeObject(query.metricName, query.describedObject?.kind ?? '', matchLabels, annotated);
      case 'External':
        return this.routeExternal(query.metricName, matchLabels, annotated);
    }
  }

  private routePods(annotated: MetricAnnotationConfig | undefined): MetricRoute {
    if (!annotated) return { kind: 'fallback' };
    const collector =
      this.collectors.get(normalizeCollectorName(annotated.collector)) ??
      this.collectors.get(PODS_DEFAULT_COLLECTOR);
    return collector
      ? { kind: 'collector', collector, config: { ...annotated.config } }
      : { kind: 'fallback' };
  }

  private routeObject(
    metricName: string,
    kind: string,
    matchLabels: Readonly<Record<string, string>>,
    annotated: MetricAnnotationConfig | undefined,
  ): MetricRoute {
    const config = { ...matchLabels, ...annotated?.config };
    const named = annotated ? this.collectors.get(normalizeCollectorName(annotated.collector)) : undefined;
    if (named) return { kind: 'collector', collector: named, config };
    if (REQUESTS_PER_SECOND_KINDS.includes(kind)) {
      const rps = this.collectors.get(REQUESTS_PER_SECOND_COLLECTOR);
      const legacyBackend = metricName.startsWith(`${REQUESTS_PER_SECOND_COLLECTOR},`)
        ? metricName.slice(REQUESTS_PER_SECOND_COLLECTOR.length + 1)
        : undefined;
      if (rps && (metricName === REQUESTS_PER_SECOND_COLLECTOR || legacyBackend !== undefined)) {
        if (legacyBackend && config.backend === undefined) config.backend = legacyBackend;
        return { kind: 'collector', collector: rps, config };
      }
    }
    if (SCALING_SCHEDULE_KINDS.includes(kind)) {
      const schedule = this.collectors.get(SCALING_SCHEDULE_COLLECTOR);
      if (schedule) return { kind: 'collector', collector: schedule, config };
    }
    return { kind: 'fallback' };
  }

  private routeExternal(
    metricName: string,
    matchLabels: Readonly<Record<string, string>>,
    annotated: MetricAnnotationConfig | undefined,
  ): MetricRoute {
    const config = { ...matchLabels, ...annotated?.config };
    const typeLabel = matchLabels.type;
    let name: string;
    if (typeLabel) {
      name = normalizeCollectorName(typeLabel);
      if (annotated && normalizeCollectorName(annotated.collector) !== name) {
        return {
          kind: 'error',
          error: new MetricError(
            'Invalid',
            `${annotated.annotations[0]}: configures collector "${annotated.collector}", but the metric's ` +
              `selector says type=${typeLabel}; name the same collector in both`,
          ),
        };
      }
    } else {
      name = normalizeCollectorName(annotated ? annotated.collector : metricName);
    }
    const collector = this.collectors.get(name);
    return collector ? { kind: 'collector', collector, config } : { kind: 'fallback' };
  }

  private parse(origin: QueryOrigin | undefined): ParsedMetricAnnotations | undefined {
    if (!origin) return undefined;
    const annotations = origin.annotations;
    let parsed = this.parsed.get(annotations);
    if (!parsed) {
      parsed = parseMetricAnnotations(annotations);
      this.parsed.set(annotations, parsed);
    }
    return parsed;
  }

  /** Routes, fetches (cached) and converts one query; never rejects. */
  private async answer<T>(
    type: CollectorMetricType,
    query: PodsMetricQuery | ObjectMetricQuery | ExternalMetricQuery,
    convert: (route: MetricRoute) => Promise<MetricResult<T>>,
  ): Promise<MetricResult<T>> {
    this.tickStats.queries++;
    try {
      const route = this.route(type, query);
      if (route.kind === 'error') {
        this.tickStats.invalid++;
        return { ok: false, error: route.error };
      }
      return await convert(route);
    } catch (error) {
      this.log.warn('metric query failed unexpectedly', {
        metric: query.metricName,
        error: errorText(error),
      });
      return fail('Unavailable', `metric ${query.metricName}: ${errorText(error)}`);
    }
  }

  private tickNow(): number {
    return this.now ?? this.clock?.now() ?? Date.now();
  }

  private request(
    type: CollectorMetricType,
    query: PodsMetricQuery | ObjectMetricQuery | ExternalMetricQuery,
    config: Record<string, string>,
  ): CollectorRequest {
    const request: CollectorRequest = {
      type,
      namespace: query.namespace,
      metricName: query.metricName,
      config,
      now: this.tickNow(),
    };
    if (query.metricSelector) request.metricSelector = query.metricSelector;
    if ('podSelector' in query) request.podSelector = query.podSelector;
    if ('describedObject' in query) request.describedObject = query.describedObject;
    return request;
  }

  private async podsFrom(
    route: MetricRoute,
    query: PodsMetricQuery,
  ): Promise<MetricResult<PodMetricSample[]>> {
    if (route.kind === 'fallback') {
      const result = await this.viaFallback('Pods', query, () => this.fallback.getPodsMetric(query));
      return result.ok ? checkPodSamples(result.value, FALLBACK_SOURCE) : result;
    }
    if (route.kind !== 'collector') return { ok: false, error: route.error };
    const request = this.request('Pods', query, route.config);
    if (this.pods) {
      try {
        request.pods = this.pods.select(query.namespace, query.podSelector);
      } catch (error) {
        this.tickStats.invalid++;
        return fail('Invalid', `invalid pod selector "${query.podSelector}": ${errorText(error)}`);
      }
    }
    const { collector } = route;
    const result = await this.viaCollector(collector, request);
    if (!result.ok) return result;
    if (result.value.kind !== 'pods') {
      return fail('Invalid', `${collector.name} answered scalar values for Pods metric ${query.metricName}`);
    }
    if (result.value.samples.length === 0) {
      return fail('NotFound', `${collector.name}: no values for Pods metric ${query.metricName}`);
    }
    return checkPodSamples(result.value.samples, collector.name);
  }

  private async objectFrom(
    route: MetricRoute,
    query: ObjectMetricQuery,
  ): Promise<MetricResult<ScalarSample>> {
    if (route.kind === 'fallback') {
      const result = await this.viaFallback('Object', query, () => this.fallback.getObjectMetric(query));
      if (!result.ok) return result;
      const checked = checkScalars([result.value], FALLBACK_SOURCE);
      return checked.ok ? { ok: true, value: checked.value[0] as ScalarSample } : checked;
    }
    if (route.kind !== 'collector') return { ok: false, error: route.error };
    const { collector } = route;
    const result = await this.viaCollector(collector, this.request('Object', query, route.config));
    if (!result.ok) return result;
    if (result.value.kind !== 'scalar') {
      return fail(
        'Invalid',
        `${collector.name} answered per-pod values for Object metric ${query.metricName}`,
      );
    }
    const count = result.value.values.length;
    if (count !== 1) {
      return fail(
        'Invalid',
        `${collector.name} returned ${count} values for Object metric ${query.metricName} of ` +
          `${query.describedObject.kind} ${query.namespace}/${query.describedObject.name}, expected exactly one`,
      );
    }
    const checked = checkScalars(result.value.values, collector.name);
    return checked.ok ? { ok: true, value: checked.value[0] as ScalarSample } : checked;
  }

  private async externalFrom(
    route: MetricRoute,
    query: ExternalMetricQuery,
  ): Promise<MetricResult<ScalarSample[]>> {
    if (route.kind === 'fallback') {
      const result = await this.viaFallback('External', query, () => this.fallback.getExternalMetric(query));
      return result.ok ? checkScalars(result.value, FALLBACK_SOURCE) : result;
    }
    if (route.kind !== 'collector') return { ok: false, error: route.error };
    const { collector } = route;
    const result = await this.viaCollector(collector, this.request('External', query, route.config));
    if (!result.ok) return result;
    if (result.value.kind !== 'scalar') {
      return fail(
        'Invalid',
        `${collector.name} answered per-pod values for External metric ${query.metricName}`,
      );
    }
    if (result.value.values.length === 0) {
      return fail('NotFound', `${collector.name}: no values for External metric ${query.metricName}`);
    }
    return checkScalars(result.value.values, collector.name);
  }

  private viaCollector(
    collector: Collector,
    request: CollectorRequest,
  ): Promise<MetricResult<CollectedValues>> {
    let key: string;
    try {
      key = `${collector.name}\u0000${collector.cacheKey(request)}`;
    } catch (error) {
      return Promise.resolve(fail('Unavailable', `${collector.name}: ${errorText(error)}`));
    }
    return this.cached(key, () =>
      this.fetch(
        collector.name,
        collector.timeoutMs,
        collector.batching ? undefined : this.semaphore(collector.name),
        (signal) => collector.collect(request, signal),
      ),
    );
  }

  private viaFallback<T>(
    type: CollectorMetricType,
    query: PodsMetricQuery | ObjectMetricQuery | ExternalMetricQuery,
    work: () => Promise<MetricResult<T>>,
  ): Promise<MetricResult<T>> {
    const { origin: _origin, ...rest } = query;
    const key = `${FALLBACK_SOURCE}\u0000${type}\u0000${stableJson(rest)}`;
    return this.cached(key, () =>
      this.fetch(FALLBACK_SOURCE, this.fallbackTimeoutMs, this.semaphore(FALLBACK_SOURCE), () => work()),
    );
  }

  private cached<T>(key: string, start: () => Promise<MetricResult<T>>): Promise<MetricResult<T>> {
    const hit = this.cache.get(key);
    if (hit) {
      this.tickStats.cacheHits++;
      return hit as Promise<MetricResult<T>>;
    }
    const promise = start();
    this.cache.set(key, promise);
    return promise;
  }

  private semaphore(source: string): Semaphore {
    let semaphore = this.semaphores.get(source);
    if (!semaphore) {
      semaphore = new Semaphore(this.concurrency);
      this.semaphores.set(source, semaphore);
    }
    return semaphore;
  }

  /**
   * One fetch: waits for a slot (if `semaphore`), calls `work` with an abort signal, and settles with its
   * result, `Unavailable` if it throws, or `Timeout` `timeoutMs` after it was asked for.
   */
  private fetch<T>(
    source: string,
    timeoutMs: number,
    semaphore: Semaphore | undefined,
    work: (signal: AbortSignal) => Promise<MetricResult<T>>,
  ): Promise<MetricResult<T>> {
    const stats = this.tickStats;
    return new Promise((resolve) => {
      const controller = new AbortController();
      let settled = false;
      let release: (() => void) | undefined;
      let ticket: { withdraw(): void } | undefined;
      const settle = (result: MetricResult<T>, timedOut = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // After a timeout the slot is handed on only once the other timers due now have fired, so
        // requests queued behind a dead source expire in their place instead of starting doomed fetches.
        const slot = release;
        if (slot) {
          if (timedOut) setImmediate(slot);
          else slot();
        }
        resolve(result);
      };
      const deadline = performance.now() + timeoutMs;
      const timer = setTimeout(() => {
        const error = new MetricError('Timeout', `${source} did not answer within ${timeoutMs} ms`);
        stats.timeouts[source] = (stats.timeouts[source] ?? 0) + 1;
        ticket?.withdraw();
        controller.abort(error);
        settle({ ok: false, error }, true);
      }, timeoutMs);
      const start = (releaseSlot?: () => void): void => {
        // Settled, or its deadline passed while it waited (its timer is about to settle it).
        if (settled || performance.now() >= deadline) {
          releaseSlot?.();
          return;
        }
        release = releaseSlot;
        stats.fetches[source] = (stats.fetches[source] ?? 0) + 1;
        const unavailable = (error: unknown): void => {
          this.log.warn('metric source failed', { source, error: errorText(error) });
          settle(
            error instanceof MetricError
              ? { ok: false, error }
              : fail('Unavailable', `${source}: ${errorText(error)}`),
          );
        };
        try {
          work(controller.signal).then((result) => {
            if (result && typeof result === 'object' && 'ok' in result) settle(result);
            else unavailable(new Error('answered neither a value nor an error'));
          }, unavailable);
        } catch (error) {
          unavailable(error);
        }
      };
      if (semaphore) ticket = semaphore.enqueue(start);
      else start();
    });
  }
}

function invalid<T>(source: string, what: string, value: unknown): MetricResult<T> {
  return fail('Invalid', `${source}: ${what} ${String(value)} is not a finite, non-negative number`);
}

function checkPodSamples(
  samples: readonly PodMetricSample[],
  source: string,
): MetricResult<PodMetricSample[]> {
  const out: PodMetricSample[] = [];
  for (const sample of samples) {
    const what = `pod ${sample.podName}`;
    if (!validNumber(sample.milliValue)) return invalid(source, `value of ${what}`, sample.milliValue);
    if (!validNumber(sample.timestamp)) return invalid(source, `timestamp of ${what}`, sample.timestamp);
    if (!validNumber(sample.windowSeconds)) return invalid(source, `window of ${what}`, sample.windowSeconds);
    out.push({ ...sample });
  }
  return { ok: true, value: out };
}

function checkScalars(values: readonly ScalarSample[], source: string): MetricResult<ScalarSample[]> {
  const out: ScalarSample[] = [];
  for (const value of values) {
    if (!validNumber(value.milliValue)) return invalid(source, 'value', value.milliValue);
    if (!validNumber(value.timestamp)) return invalid(source, 'timestamp', value.timestamp);
    out.push({ ...value });
  }
  return { ok: true, value: out };
}
