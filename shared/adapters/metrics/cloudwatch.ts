/**
 * Any CloudWatch metric, metric-math expression, SEARCH or Metrics Insights query as an `External`
 * metric, through `GetMetricData`. kube-metrics-adapter has no CloudWatch collector (its AWS collector
 * serves only `sqs-queue-length`), so this one is named `cloudwatch` and also accepts the trigger
 * metadata of KEDA's `aws-cloudwatch` scaler unchanged (`namespace`, `metricName`, `dimensionName`,
 * `dimensionValue`, `expression`, `metricStat`, `metricStatPeriod`, `metricUnit`,
 * `metricCollectionTime`, `metricEndTimeOffset`, `awsRegion`), with KEDA's defaults when KEDA's keys are
 * used. Settings come from the annotations `metric-config.external.<metric>.cloudwatch/<key>`.
 *
 * Batching (`batching = true`): the router calls `collect` for all of a tick's requests at once. Each
 * request is queued in a micro-batch per (region, StartTime, EndTime) — `GetMetricData` takes one time
 * window per call — and identical requests (same `cacheKey`) share one query. A batch is sent when it
 * holds MAX_QUERIES_PER_CALL queries, or on `setImmediate` after the synchronous burst of `collect`
 * calls; each request's promise is resolved from the shared response by its query Id (`q<n>`). A
 * request's AbortSignal detaches only that request; the call is aborted when no request waits for it
 * any more. When CloudWatch rejects a whole call as invalid (one bad expression), the batch is split in
 * halves until the bad query is alone, so one broken HPA cannot blind the others.
 *
 * Time window (all in seconds, aligned so every request of a tick with the same settings lands in the
 * same call): EndTime = floor((now - lag) / period) * period, StartTime = EndTime - range. The value is
 * the latest datapoint in the window (ScanBy TimestampDescending, all NextToken pages followed).
 *
 * IAM: `cloudwatch:GetMetricData`.
 */
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MessageData,
  type MetricDataQuery,
  StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { MetricError, type MetricResult, type ScalarSample } from '../../ports/metric-source';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from '../aws/errors';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import { raceAbort } from './race-abort';

/** Upper bound on one `collect` (a shared call of up to 500 queries, all its pages), in ms. */
export const CLOUDWATCH_TIMEOUT_MS = 10_000;
/** `GetMetricData` takes at most 500 `MetricDataQuery` structures per call. */
export const MAX_QUERIES_PER_CALL = 500;
/** Pages (NextToken) followed per call before the remaining results are reported as incomplete. */
export const MAX_PAGES_PER_CALL = 10;
/** Default period of the statistic, seconds (KEDA's default, used with KEDA's keys: 300). */
export const DEFAULT_PERIOD_SECONDS = 60;
/** Default look-back window, in periods (KEDA: `metricCollectionTime` 300 s). */
export const DEFAULT_RANGE_PERIODS = 5;
/**
 * Default lag, seconds: the newest period ending less than this before `now` is not asked for, since
 * CloudWatch may still be ingesting it (KEDA: `metricEndTimeOffset` 0).
 */
export const DEFAULT_LAG_SECONDS = 60;
/** KEDA `aws-cloudwatch` defaults, applied when the configuration uses KEDA's key names. */
export const KEDA_DEFAULTS = { periodSeconds: 300, rangeSeconds: 300, lagSeconds: 0 } as const;
export const DEFAULT_STATISTIC = 'Average';
/** CloudWatch's limit of dimensions per metric. */
export const MAX_DIMENSIONS = 30;
/** Query Id rule of `GetMetricData`. */
export const QUERY_ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
/** The Id by which an `expression` refers to the metric configured beside it. */
export const METRIC_REFERENCE = 'm1';

const KEDA_KEYS = [
  'metricName',
  'dimensionName',
  'dimensionValue',
  'metricStat',
  'metricStatPeriod',
  'metricUnit',
  'metricCollectionTime',
  'metricEndTimeOffset',
  'awsRegion',
];
const UNITS = new Set<string>(Object.values(StandardUnit));

export interface CloudWatchCollectorOptions {
  /** A CloudWatch client for a region (the function's role, or a role assumed per cluster). */
  clientFor(region: string): CloudWatchClient;
  /** Default CLOUDWATCH_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface CloudWatchMetric {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  stat: string;
  unit?: StandardUnit;
}

export interface CloudWatchQuery {
  region: string;
  /** Cross-account observability: the source account of the metric. */
  accountId?: string;
  metric?: CloudWatchMetric;
  /** Metric math, SEARCH or Metrics Insights (`SELECT …`); may refer to `metric` as `m1`. */
  expression?: string;
  periodSeconds: number;
  rangeSeconds: number;
  lagSeconds: number;
}

export interface QueryWindow {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

type Outcome = MetricResult<CollectedValues>;

const fail = (reason: MetricError['reason'], message: string): Outcome => ({
  ok: false,
  error: new MetricError(reason, message),
});

function pick(
  config: Readonly<Record<string, string>>,
  keys: readonly string[],
): [string, string] | undefined {
  const present = keys.filter((k) => config[k] !== undefined && config[k].trim() !== '');
  if (present.length > 1 && new Set(present.map((k) => config[k]?.trim())).size > 1)
    throw new Error(`${present.join(' and ')} disagree; set only one of them`);
  const key = present[0];
  return key === undefined ? undefined : [key, (config[key] ?? '').trim()];
}

/** Whole seconds: `300`, `300s`, `5m`, `1h`. */
function parseSeconds(entry: [string, string] | undefined, fallback: number): number {
  if (entry === undefined) return fallback;
  const [key, value] = entry;
  const match = /^(\d+)(s|m|h)?$/.exec(value);
  if (!match) throw new Error(`${key}: ${JSON.stringify(value)} is not a number of seconds (or 5m, 1h)`);
  const factor = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * factor;
}

/** Whether `expression` refers to `id` outside its quoted strings. */
function refersTo(expression: string, id: string): boolean {
  let found = false;
  rewriteId(expression, id, (token) => {
    found = true;
    return token;
  });
  return found;
}

/** `expression` with each identifier `id` outside quoted strings replaced by `replace(id)`. */
export function rewriteId(expression: string, id: string, replace: (id: string) => string): string {
  let out = '';
  let quote: string | undefined;
  let i = 0;
  while (i < expression.length) {
    const c = expression.charAt(i);
    if (quote !== undefined) {
      out += c;
      if (c === '\\' && i + 1 < expression.length) {
        out += expression.charAt(i + 1);
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      out += c;
      i++;
      continue;
    }
    const token = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i))?.[0];
    if (token) {
      out += token === id ? replace(token) : token;
      i += token.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function parseDimensions(config: Readonly<Record<string, string>>): Dimension[] {
  const perKey = Object.keys(config)
    .filter((k) => k.startsWith('dimension-'))
    .sort()
    .map((k): Dimension => {
      const name = k.slice('dimension-'.length);
      const value = config[k] ?? '';
      if (name === '' || value === '') throw new Error(`${k}: a dimension needs a name and a value`);
      return { Name: name, Value: value };
    });
  const names = pick(config, ['dimensionName']);
  const values = pick(config, ['dimensionValue']);
  if (!names && !values) return perKey;
  if (perKey.length > 0)
    throw new Error('set dimensions either as dimension-<Name> or as dimensionName/dimensionValue');
  const n = (names?.[1] ?? '').split(';');
  const v = (values?.[1] ?? '').split(';');
  if (!names || !values || n.length !== v.length || n.some((x) => x.trim() === '') || v.some((x) => x === ''))
    throw new Error('dimensionName and dimensionValue must list as many names as values, separated by ";"');
  return n.map((name, i) => ({ Name: name.trim(), Value: v[i] ?? '' }));
}

/** The collector's settings from the request's config; throws an Error naming the offending key. */
export function parseCloudWatchConfig(config: Readonly<Record<string, string>>): CloudWatchQuery {
  const keda = KEDA_KEYS.some((k) => config[k] !== undefined);
  const region = pick(config, ['region', 'awsRegion']);
  if (!region) throw new Error('region is not set');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region[1]))
    throw new Error(`${region[0]}: ${JSON.stringify(region[1])} is not an AWS region`);

  const periodEntry = pick(config, ['period', 'metricStatPeriod']);
  const periodSeconds = parseSeconds(
    periodEntry,
    keda ? KEDA_DEFAULTS.periodSeconds : DEFAULT_PERIOD_SECONDS,
  );
  if (![1, 5, 10, 20, 30].includes(periodSeconds) && (periodSeconds < 60 || periodSeconds % 60 !== 0))
    throw new Error(
      `${periodEntry?.[0] ?? 'period'}: ${periodSeconds}s is not 1, 5, 10, 20, 30 or a multiple of 60`,
    );
  const rangeEntry = pick(config, ['range', 'metricCollectionTime']);
  const rangeSeconds = parseSeconds(
    rangeEntry,
    keda ? Math.max(KEDA_DEFAULTS.rangeSeconds, periodSeconds) : DEFAULT_RANGE_PERIODS * periodSeconds,
  );
  if (rangeSeconds < periodSeconds || rangeSeconds % periodSeconds !== 0)
    throw new Error(
      `${rangeEntry?.[0] ?? 'range'}: ${rangeSeconds}s is not a positive multiple of the period (${periodSeconds}s)`,
    );
  const lagSeconds = parseSeconds(
    pick(config, ['lag', 'metricEndTimeOffset']),
    keda ? KEDA_DEFAULTS.lagSeconds : DEFAULT_LAG_SECONDS,
  );

  const expression = pick(config, ['expression'])?.[1];
  const namespace = pick(config, ['namespace'])?.[1];
  const metricName = pick(config, ['metric-name', 'metricName'])?.[1];
  const usesMetric = expression !== undefined && refersTo(expression, METRIC_REFERENCE);
  const query: CloudWatchQuery = { region: region[1], periodSeconds, rangeSeconds, lagSeconds };
  const account = pick(config, ['account-id']);
  if (account) {
    if (!/^\d{12}$/.test(account[1]))
      throw new Error(`account-id: ${JSON.stringify(account[1])} is not an AWS account id`);
    query.accountId = account[1];
  }
  if (expression !== undefined) query.expression = expression;
  // As in KEDA, an expression on its own ignores the metric keys (KEDA still wants metricName for naming).
  if (expression === undefined || usesMetric) {
    if (!namespace)
      throw new Error(
        expression
          ? `namespace is not set (the expression refers to ${METRIC_REFERENCE})`
          : 'namespace (or expression) is not set',
      );
    if (!metricName) throw new Error('metric-name is not set');
    const dimensions = parseDimensions(config);
    if (dimensions.length > MAX_DIMENSIONS) throw new Error(`more than ${MAX_DIMENSIONS} dimensions`);
    const stat = pick(config, ['statistic', 'metricStat']);
    if (stat && /\s/.test(stat[1]))
      throw new Error(`${stat[0]}: ${JSON.stringify(stat[1])} is not a statistic`);
    const metric: CloudWatchMetric = {
      namespace,
      metricName,
      dimensions,
      stat: stat?.[1] ?? DEFAULT_STATISTIC,
    };
    const unit = pick(config, ['unit', 'metricUnit']);
    if (unit) {
      if (!UNITS.has(unit[1]))
        throw new Error(`${unit[0]}: ${JSON.stringify(unit[1])} is not a CloudWatch unit`);
      metric.unit = unit[1] as StandardUnit;
    }
    query.metric = metric;
  }
  return query;
}

/** The query's time window for a tick at `now` (epoch ms), aligned to the period. */
export function queryWindow(query: CloudWatchQuery, now: number): QueryWindow {
  const periodMs = query.periodSeconds * 1000;
  const end = Math.floor((now - query.lagSeconds * 1000) / periodMs) * periodMs;
  return { start: end - query.rangeSeconds * 1000, end };
}

const isInsights = (query: CloudWatchQuery): boolean => /^\s*SELECT\b/i.test(query.expression ?? '');

/** How a query reads in messages: the metric, or the expression. */
export function describeQuery(query: CloudWatchQuery): string {
  const m = query.metric;
  const metric = m
    ? `${m.namespace} ${m.metricName}{${m.dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')}} ${m.stat}/${query.periodSeconds}s`
    : undefined;
  const text = query.expression
    ? `expression ${JSON.stringify(query.expression)}${metric ? ` of m1 = ${metric}` : ''}`
    : `metric ${metric}`;
  return `CloudWatch ${text} in ${query.region}`;
}

/** The `MetricDataQueries` of one request, its returned query having Id `id`. */
export function metricDataQueries(query: CloudWatchQuery, id: string): MetricDataQuery[] {
  const stat = (m: CloudWatchMetric): MetricDataQuery['MetricStat'] => ({
    Metric: {
      Namespace: m.namespace,
      MetricName: m.metricName,
      ...(m.dimensions.length > 0 ? { Dimensions: m.dimensions } : {}),
    },
    Period: query.periodSeconds,
    Stat: m.stat,
    ...(m.unit ? { Unit: m.unit } : {}),
  });
  const account = query.accountId ? { AccountId: query.accountId } : {};
  if (query.expression === undefined && query.metric)
    return [{ Id: id, MetricStat: stat(query.metric), ReturnData: true, ...account }];
  if (query.expression !== undefined && query.metric) {
    const metricId = `${id}_${METRIC_REFERENCE}`;
    return [
      { Id: metricId, MetricStat: stat(query.metric), ReturnData: false, ...account },
      { Id: id, Expression: rewriteId(query.expression, METRIC_REFERENCE, () => metricId), ReturnData: true },
    ];
  }
  return [{ Id: id, Expression: query.expression ?? '', Period: query.periodSeconds, ReturnData: true }];
}

// ---- errors ----

const VALIDATION =
  /^(InvalidParameterValue|InvalidParameterValueException|InvalidParameterCombination|InvalidParameterCombinationException|MissingParameter|MissingRequiredParameterException|ValidationError|ValidationException)$/;

/** CloudWatch rejected the call's input (as opposed to failing to serve it). */
export const isValidationError = (error: unknown): boolean => VALIDATION.test(awsErrorName(error));

/** A failed `GetMetricData` call as a `MetricError` for one of its requests. */
export function toCloudWatchMetricError(error: unknown, what: string): MetricError {
  if (error instanceof MetricError) return error;
  const name = awsErrorName(error);
  if (isTimeout(error)) return new MetricError('Timeout', `${what}: GetMetricData timed out`);
  if (isForbidden(error))
    return new MetricError('Forbidden', `${what}: access denied (${awsErrorMessage(error)})`);
  if (isThrottle(error))
    return new MetricError('Unavailable', `${what}: throttled (${awsErrorMessage(error)})`);
  if (VALIDATION.test(name))
    return new MetricError(
      'Invalid',
      `${what}: CloudWatch rejected the query (${name}: ${awsErrorMessage(error)})`,
    );
  return new MetricError('Unavailable', `${what}: ${name ? `${name}: ` : ''}${awsErrorMessage(error)}`);
}

// ---- batching ----

interface Series {
  label: string;
  timestamps: Date[];
  values: number[];
  status?: string;
  messages: MessageData[];
}

interface Fetched {
  /** Query Id → label → series (a SEARCH or GROUP BY query returns several series for one Id). */
  series: Map<string, Map<string, Series>>;
  messages: MessageData[];
  truncated: boolean;
}

interface Call {
  controller: AbortController;
  live: number;
}

interface Entry {
  key: string;
  query: CloudWatchQuery;
  window: QueryWindow;
  /** Number of `MetricDataQuery` structures it takes. */
  size: number;
  insights: boolean;
  waiters: number;
  abandoned: boolean;
  settled: boolean;
  batch?: Batch;
  call?: Call;
  promise: Promise<Outcome>;
  resolve(outcome: Outcome): void;
}

interface Batch {
  group: string;
  region: string;
  window: QueryWindow;
  entries: Map<string, Entry>;
  size: number;
  insights: boolean;
}

/**
 * @example
 *   const cw = new CloudWatchCollector({ clientFor: (region) => new CloudWatchClient({ region }) });
 *   const config = { region: 'eu-central-1', namespace: 'AWS/SQS',
 *     'metric-name': 'ApproximateNumberOfMessagesVisible', 'dimension-QueueName': 'orders', statistic: 'Maximum' };
 *   const result = await cw.collect(
 *     { type: 'External', namespace: 'shop', metricName: 'orders-backlog', config, now: Date.now() },
 *     AbortSignal.timeout(cw.timeoutMs),
 *   );
 */
export class CloudWatchCollector implements Collector {
  readonly name = 'cloudwatch';
  readonly batching = true;
  readonly timeoutMs: number;
  private readonly clientFor: (region: string) => CloudWatchClient;
  /** Requests not yet answered, by cache key: identical requests share one query. */
  private readonly inflight = new Map<string, Entry>();
  /** The open (not yet sent) batch of each region and time window. */
  private readonly open = new Map<string, Batch>();
  private flushScheduled = false;

  constructor(options: CloudWatchCollectorOptions) {
    this.clientFor = options.clientFor;
    this.timeoutMs = options.timeoutMs ?? CLOUDWATCH_TIMEOUT_MS;
  }

  cacheKey(request: CollectorRequest): string {
    try {
      const query = parseCloudWatchConfig(request.config);
      return this.keyOf(query, queryWindow(query, request.now));
    } catch {
      return JSON.stringify([this.name, 'invalid', request.config]);
    }
  }

  private keyOf(query: CloudWatchQuery, window: QueryWindow): string {
    return JSON.stringify([this.name, query, window.start, window.end]);
  }

  collect(request: CollectorRequest, signal: AbortSignal): Promise<Outcome> {
    if (request.type === 'Pods')
      return Promise.resolve(
        fail('Invalid', `${this.name} gives one value, not per-pod values: use an External metric`),
      );
    let query: CloudWatchQuery;
    try {
      query = parseCloudWatchConfig(request.config);
    } catch (error) {
      return Promise.resolve(
        fail(
          'Invalid',
          `${this.name} configuration of metric ${request.metricName}: ${awsErrorMessage(error)}`,
        ),
      );
    }
    if (signal.aborted)
      return Promise.resolve(fail('Timeout', `${describeQuery(query)}: cancelled before it started`));
    const window = queryWindow(query, request.now);
    const key = this.keyOf(query, window);
    let entry = this.inflight.get(key);
    if (!entry) {
      entry = this.newEntry(key, query, window);
      this.inflight.set(key, entry);
      this.enqueue(entry);
    }
    entry.waiters++;
    return this.wait(entry, signal);
  }

  private newEntry(key: string, query: CloudWatchQuery, window: QueryWindow): Entry {
    let resolve!: (outcome: Outcome) => void;
    const promise = new Promise<Outcome>((r) => {
      resolve = r;
    });
    return {
      key,
      query,
      window,
      size: metricDataQueries(query, 'q0').length,
      insights: isInsights(query),
      waiters: 0,
      abandoned: false,
      settled: false,
      promise,
      resolve,
    };
  }

  private settle(entry: Entry, outcome: Outcome): void {
    if (entry.settled) return;
    entry.settled = true;
    if (this.inflight.get(entry.key) === entry) this.inflight.delete(entry.key);
    entry.resolve(outcome);
  }

  private wait(entry: Entry, signal: AbortSignal): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const onAbort = () => {
        this.abandon(entry);
        resolve(fail('Timeout', `${describeQuery(entry.query)}: GetMetricData did not answer in time`));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void entry.promise.then((outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
    });
  }

  /** One waiter gave up; when none is left, drop the query (queued) or the call (when nobody else waits). */
  private abandon(entry: Entry): void {
    entry.waiters--;
    if (entry.waiters > 0 || entry.settled) return;
    entry.abandoned = true;
    if (this.inflight.get(entry.key) === entry) this.inflight.delete(entry.key);
    const batch = entry.batch;
    if (batch) {
      batch.entries.delete(entry.key);
      batch.size -= entry.size;
      if (entry.insights) batch.insights = false;
      entry.batch = undefined;
      this.settle(entry, fail('Timeout', `${describeQuery(entry.query)}: cancelled`));
      return;
    }
    const call = entry.call;
    if (call) {
      call.live--;
      if (call.live === 0) call.controller.abort();
    }
  }

  private enqueue(entry: Entry): void {
    const group = `${entry.query.region}|${entry.window.start}|${entry.window.end}`;
    let batch = this.open.get(group);
    // Only one Metrics Insights query per call.
    if (batch && (batch.size + entry.size > MAX_QUERIES_PER_CALL || (entry.insights && batch.insights))) {
      this.send(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = {
        group,
        region: entry.query.region,
        window: entry.window,
        entries: new Map(),
        size: 0,
        insights: false,
      };
      this.open.set(group, batch);
    }
    batch.entries.set(entry.key, entry);
    batch.size += entry.size;
    batch.insights ||= entry.insights;
    entry.batch = batch;
    if (batch.size >= MAX_QUERIES_PER_CALL) this.send(batch);
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const batch of [...this.open.values()]) this.send(batch);
    });
  }

  private send(batch: Batch): void {
    if (this.open.get(batch.group) === batch) this.open.delete(batch.group);
    const entries = [...batch.entries.values()];
    for (const entry of entries) entry.batch = undefined;
    if (entries.length > 0) void this.execute(batch.region, batch.window, entries);
  }

  /** One `GetMetricData` call (and its pages) for `entries`; splits the batch when CloudWatch rejects it. */
  private async execute(region: string, window: QueryWindow, entries: Entry[]): Promise<void> {
    const live = entries.filter((e) => !e.abandoned && !e.settled);
    if (live.length === 0) return;
    const call: Call = { controller: new AbortController(), live: live.length };
    for (const entry of live) entry.call = call;
    let fetched: Fetched;
    try {
      fetched = await this.fetch(region, window, live, call.controller.signal);
    } catch (error) {
      if (isValidationError(error) && live.length > 1) {
        const half = Math.ceil(live.length / 2);
        await Promise.all([
          this.execute(region, window, live.slice(0, half)),
          this.execute(region, window, live.slice(half)),
        ]);
        return;
      }
      for (const entry of live)
        this.settle(entry, { ok: false, error: toCloudWatchMetricError(error, describeQuery(entry.query)) });
      return;
    }
    live.forEach((entry, i) => {
      this.settle(entry, outcomeOf(entry, fetched, `q${i}`));
    });
  }

  private async fetch(
    region: string,
    window: QueryWindow,
    entries: Entry[],
    signal: AbortSignal,
  ): Promise<Fetched> {
    const client = this.clientFor(region);
    const queries = entries.flatMap((entry, i) => metricDataQueries(entry.query, `q${i}`));
    const fetched: Fetched = { series: new Map(), messages: [], truncated: false };
    let token: string | undefined;
    let pages = 0;
    do {
      const input: GetMetricDataCommandInput = {
        MetricDataQueries: queries,
        StartTime: new Date(window.start),
        EndTime: new Date(window.end),
        ScanBy: 'TimestampDescending',
      };
      if (token !== undefined) input.NextToken = token;
      const output = await raceAbort(
        client.send(new GetMetricDataCommand(input), { abortSignal: signal }),
        signal,
      );
      pages++;
      fetched.messages.push(...(output.Messages ?? []));
      for (const result of output.MetricDataResults ?? []) {
        if (!result.Id) continue;
        let byLabel = fetched.series.get(result.Id);
        if (!byLabel) {
          byLabel = new Map();
          fetched.series.set(result.Id, byLabel);
        }
        const label = result.Label ?? '';
        let series = byLabel.get(label);
        if (!series) {
          series = { label, timestamps: [], values: [], messages: [] };
          byLabel.set(label, series);
        }
        const timestamps = result.Timestamps ?? [];
        const values = result.Values ?? [];
        for (let i = 0; i < Math.min(timestamps.length, values.length); i++) {
          const t = timestamps[i];
          const v = values[i];
          if (t === undefined || v === undefined) continue;
          series.timestamps.push(t);
          series.values.push(v);
        }
        // The last page's status tells whether the series is complete.
        if (result.StatusCode) series.status = result.StatusCode;
        series.messages.push(...(result.Messages ?? []));
      }
      token = output.NextToken || undefined;
      if (token !== undefined && pages >= MAX_PAGES_PER_CALL) {
        fetched.truncated = true;
        break;
      }
    } while (token !== undefined);
    return fetched;
  }
}

const messageText = (messages: MessageData[]): string =>
  messages.length === 0
    ? ''
    : ` (${messages.map((m) => [m.Code, m.Value].filter(Boolean).join(': ')).join('; ')})`;

/** A request's answer from the call's results: the latest datapoint of each series it returned. */
function outcomeOf(entry: Entry, fetched: Fetched, id: string): Outcome {
  const what = describeQuery(entry.query);
  const series = [...(fetched.series.get(id)?.values() ?? [])];
  const values: ScalarSample[] = [];
  for (const s of series) {
    let latest = -1;
    for (let i = 0; i < s.timestamps.length; i++) {
      const t = s.timestamps[i]?.getTime() ?? Number.NaN;
      if (Number.isFinite(t) && (latest < 0 || t > (s.timestamps[latest]?.getTime() ?? 0))) latest = i;
    }
    if (latest < 0) continue;
    const value = s.values[latest] ?? Number.NaN;
    const timestamp = s.timestamps[latest]?.getTime() ?? 0;
    if (!Number.isFinite(value) || value < 0)
      return fail(
        'Invalid',
        `${what}: latest datapoint${s.label ? ` of ${s.label}` : ''} is ${value}, not a finite non-negative number`,
      );
    values.push({ milliValue: Math.round(value * 1000), timestamp });
  }
  if (values.length > 0) return { ok: true, value: { kind: 'scalar', values } };
  const messages = [...series.flatMap((s) => s.messages), ...fetched.messages];
  const notes = messageText(messages);
  if (series.some((s) => s.status === 'Forbidden') || messages.some((m) => m.Code === 'Forbidden'))
    return fail('Forbidden', `${what}: CloudWatch denied access${notes}`);
  if (series.some((s) => s.status === 'InternalError'))
    return fail('Unavailable', `${what}: CloudWatch reported an internal error${notes}`);
  if (series.length === 0 && fetched.truncated)
    return fail('Unavailable', `${what}: no result after ${MAX_PAGES_PER_CALL} pages of GetMetricData`);
  const from = new Date(entry.window.start).toISOString();
  const to = new Date(entry.window.end).toISOString();
  return fail('NotFound', `${what}: no datapoint between ${from} and ${to}${notes}`);
}
