/**
 * kube-metrics-adapter's `json-path` collector: a value picked with a JSONPath from the JSON that each
 * pod of the scale target serves (a `Pods` metric), or from one HTTP endpoint (an `External` metric,
 * upstream's "HTTP collector", which shares the collector name).
 *
 *   metric-config.pods.requests-per-second.json-path/json-key: "$.http_server.rps"
 *   metric-config.pods.requests-per-second.json-path/path: /metrics
 *   metric-config.pods.requests-per-second.json-path/port: "9090"
 *
 * `Pods`: every pod of `request.pods` that is Running with a pod IP (and, with `min-pod-ready-age`,
 * Ready for longer than that) is asked `GET <scheme>://<podIP>:<port><path>?<raw-query>`, at most
 * `JSON_PATH_POD_CONCURRENCY` at a time. A pod that does not answer in time, answers anything but 200,
 * or answers something that does not yield one non-negative number is left out of the samples, exactly
 * as upstream's pod collector drops it: the HPA core then applies its missing-pod rules to it. Only
 * when no pod answers is the metric a `MetricError` (`Unavailable`, naming up to three pod errors).
 *
 * Values become milli-units as upstream does (`int64(value * 1000)`: truncated toward zero).
 *
 * Keys (all strings, as in annotations): see `JsonPathSettings` and the table in the report/README.
 */
import http from 'node:http';
import https from 'node:https';
import type { Pod } from '../../ports/kubernetes';
import { MetricError, type MetricResult, type PodMetricSample } from '../../ports/metric-source';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import { type CompiledJsonPath, compileJsonPath, evaluateJsonPath } from './json-path-expression';

export const JSON_PATH_COLLECTOR_NAME = 'json-path';
/** Upper bound on one `collect` (all pods of one metric). The router aborts at this. */
export const JSON_PATH_TIMEOUT_MS = 10_000;
/**
 * The collector stops waiting for pods this long before `timeoutMs`, so that it can still return the
 * pods that did answer (the slow ones count as missing) before the router gives up on the whole metric.
 */
export const JSON_PATH_DEADLINE_MARGIN_MS = 250;
/**
 * Per-pod request timeout (`request-timeout`). Upstream's default is 15 s, which suits its 60 s
 * background scrape but not a 15 s HPA tick: a pod that needs more than 5 s is treated as missing.
 */
export const JSON_PATH_DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Per-pod TCP connect timeout (`connect-timeout`; upstream's default is 15 s). */
export const JSON_PATH_DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
/** Pods asked at the same time within one metric. */
export const JSON_PATH_POD_CONCURRENCY = 16;
/** A metrics document larger than this is refused (it would only be garbage for a scaling metric). */
export const JSON_PATH_MAX_RESPONSE_BYTES = 1024 * 1024;
/**
 * The window of a pod sample. Upstream's adapter reports none, so the HPA assumes its default metric
 * window (`metricServerDefaultMetricWindow`, 60 s).
 */
export const JSON_PATH_SAMPLE_WINDOW_SECONDS = 60;
/** How many pod errors the "no pod answered" message names. */
const MAX_ERRORS_IN_MESSAGE = 3;

export type JsonPathAggregator = 'avg' | 'min' | 'max' | 'sum';
const AGGREGATORS: Readonly<Record<JsonPathAggregator, (values: number[]) => number>> = {
  avg: (values) => values.reduce((sum, v) => sum + v, 0) / values.length,
  min: (values) => Math.min(...values),
  max: (values) => Math.max(...values),
  sum: (values) => values.reduce((sum, v) => sum + v, 0),
};

/** The collector's settings, parsed from `request.config`. */
export interface JsonPathSettings {
  /** `json-key`: the JSONPath of the value (required). */
  jsonPath: CompiledJsonPath;
  /** `aggregator`: how an array result becomes one number; required when the path yields an array. */
  aggregator?: JsonPathAggregator;
  /** `scheme`: `http` (default) or `https`. */
  scheme: 'http' | 'https';
  /** `path` (Pods): the path on the pod; upstream has no default, an empty path asks for `/`. */
  path: string;
  /** `port` (Pods, required). */
  port?: number;
  /** `raw-query` (Pods): appended verbatim after `?`. */
  rawQuery: string;
  /** `endpoint` (External, required there): the full URL to ask. */
  endpoint?: URL;
  /** `request-timeout` (Go duration, e.g. `2s`); 0 means no per-request limit (the budget still applies). */
  requestTimeoutMs: number;
  /** `connect-timeout` (Go duration); 0 means no connect limit. */
  connectTimeoutMs: number;
  /** `min-pod-ready-age` (Go duration): pods Ready for less than this are not asked. */
  minPodReadyAgeMs: number;
}

export interface JsonPathCollectorOptions {
  /**
   * Where to send a pod's request. Default: the pod's IP and the configured `port`. Tests point pods at
   * local servers with it.
   */
  address?: (pod: Pod, port: number) => { host: string; port: number };
  /** Bound on one `collect`, ms (default `JSON_PATH_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Pods asked at once (default `JSON_PATH_POD_CONCURRENCY`). */
  concurrency?: number;
  /** Defaults for `request-timeout` / `connect-timeout` when the config sets none. */
  defaultRequestTimeoutMs?: number;
  defaultConnectTimeoutMs?: number;
  /** Largest accepted response body (default `JSON_PATH_MAX_RESPONSE_BYTES`). */
  maxResponseBytes?: number;
  /** TLS for `scheme: https`: extra CAs, or `rejectUnauthorized: false` for self-signed pod certificates. */
  tls?: { ca?: string | Buffer | (string | Buffer)[]; rejectUnauthorized?: boolean };
}

const GO_DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Go's `time.ParseDuration` (`1m30s`, `500ms`, `1.5h`, `0`), in milliseconds. Throws on anything else. */
export function parseGoDuration(text: string): number {
  const value = text.trim();
  if (/^[+-]?0$/.test(value)) return 0;
  if (!GO_DURATION.test(value))
    throw new Error(`${JSON.stringify(text)} is not a duration (e.g. "2s", "500ms")`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(GO_DURATION_PART)) {
    total += Number(amount) * (GO_DURATION_UNITS_MS[unit ?? ''] ?? Number.NaN);
  }
  return value.startsWith('-') ? -total : total;
}

const formatMs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

const invalid = (key: string, message: string) => new MetricError('Invalid', `json-path/${key}: ${message}`);

function durationSetting(config: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const text = config[key];
  if (text === undefined) return fallback;
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (error) {
    throw invalid(key, (error as Error).message);
  }
  if (ms < 0) throw invalid(key, `${JSON.stringify(text)} is negative`);
  return ms;
}

/**
 * The settings of one metric, or a `MetricError` (`Invalid`) naming the key that is wrong.
 * Unknown keys are ignored, as upstream does (`interval`, `per-replica` belong to the router).
 */
export function parseJsonPathSettings(
  config: Readonly<Record<string, string>>,
  type: CollectorRequest['type'],
  defaults: { requestTimeoutMs: number; connectTimeoutMs: number } = {
    requestTimeoutMs: JSON_PATH_DEFAULT_REQUEST_TIMEOUT_MS,
    connectTimeoutMs: JSON_PATH_DEFAULT_CONNECT_TIMEOUT_MS,
  },
): JsonPathSettings {
  if (config['json-eval'] !== undefined)
    throw invalid('json-eval', 'is not supported; use json-key (with aggregator for arrays)');
  const key = config['json-key'];
  if (key === undefined || key.trim() === '')
    throw invalid('json-key', 'is required (e.g. "$.http_server.rps")');
  let jsonPath: CompiledJsonPath;
  try {
    jsonPath = compileJsonPath(key);
  } catch (error) {
    throw invalid('json-key', (error as Error).message);
  }

  const settings: JsonPathSettings = {
    jsonPath,
    scheme: 'http',
    path: config.path ?? '',
    rawQuery: config['raw-query'] ?? '',
    requestTimeoutMs: durationSetting(config, 'request-timeout', defaults.requestTimeoutMs),
    connectTimeoutMs: durationSetting(config, 'connect-timeout', defaults.connectTimeoutMs),
    minPodReadyAgeMs: durationSetting(config, 'min-pod-ready-age', 0),
  };

  const aggregator = config.aggregator;
  if (aggregator !== undefined) {
    if (!Object.hasOwn(AGGREGATORS, aggregator))
      throw invalid(
        'aggregator',
        `aggregator function ${JSON.stringify(aggregator)} is unknown (avg, min, max, sum)`,
      );
    settings.aggregator = aggregator as JsonPathAggregator;
  }

  const scheme = config.scheme;
  if (scheme !== undefined && scheme !== '') {
    if (scheme !== 'http' && scheme !== 'https')
      throw invalid('scheme', `${JSON.stringify(scheme)} is not http or https`);
    settings.scheme = scheme;
  }

  if (type === 'External') {
    const endpoint = config.endpoint;
    if (endpoint === undefined) throw invalid('endpoint', 'is required for an External metric');
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw invalid('endpoint', `${JSON.stringify(endpoint)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid('endpoint', `${JSON.stringify(endpoint)} is not an http or https URL`);
    settings.endpoint = url;
    return settings;
  }

  const port = config.port;
  if (port === undefined) throw invalid('port', 'is required (the port the pods serve their metrics on)');
  const portNumber = /^\d+$/.test(port.trim()) ? Number(port.trim()) : Number.NaN;
  if (!(portNumber >= 1 && portNumber <= 65535))
    throw invalid('port', `${JSON.stringify(port)} is not a port number`);
  settings.port = portNumber;
  return settings;
}

/** Upstream's path + raw query as a request path (`url.URL{Path, RawQuery}.String()`). */
export function requestPath(path: string, rawQuery: string): string {
  const escaped = encodeURI(path.startsWith('/') ? path : `/${path}`)
    .replace(/\?/g, '%3F')
    .replace(/#/g, '%23');
  return rawQuery === '' ? escaped : `${escaped}?${rawQuery}`;
}

/** A per-request failure; `timeout` tells timeouts apart for the External result's reason. */
class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    message: string,
    readonly timeout = false,
  ) {
    super(message);
  }
}

function describeSocketError(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return error.message;
  }
}

interface HttpTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
}

interface HttpLimits {
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  maxBytes: number;
  tls: JsonPathCollectorOptions['tls'];
}

/** One GET; resolves the body of a 200 answer, rejects with a `FetchError` for anything else. */
function httpGet(target: HttpTarget, limits: HttpLimits, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new FetchError('not asked: the collector was stopped'));
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const settle = (error: FetchError | undefined, body?: string) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else {
        resolve(body ?? '');
      }
    };
    const onAbort = () => settle(new FetchError('stopped waiting: the collector ran out of time', true));

    const transport = target.scheme === 'https' ? https : http;
    const request = transport.request(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'GET',
        agent: false,
        headers: { accept: 'application/json', 'user-agent': 'tideplane-json-path' },
        ...(target.scheme === 'https' ? (limits.tls ?? {}) : {}),
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          settle(
            new FetchError(
              `unsuccessful response: ${response.statusCode} ${response.statusMessage ?? ''}`.trim(),
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) settle(new FetchError(`response larger than ${limits.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => settle(undefined, Buffer.concat(chunks).toString('utf8')));
        response.on('close', () => {
          if (!response.complete) settle(new FetchError('connection closed before the response ended'));
        });
        response.on('error', (error) => settle(new FetchError(describeSocketError(error))));
      },
    );
    request.on('error', (error) => settle(new FetchError(describeSocketError(error))));
    signal.addEventListener('abort', onAbort, { once: true });
    if (limits.requestTimeoutMs > 0) {
      timers.push(
        setTimeout(
          () => settle(new FetchError(`timed out after ${formatMs(limits.requestTimeoutMs)}`, true)),
          limits.requestTimeoutMs,
        ),
      );
    }
    if (limits.connectTimeoutMs > 0) {
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => settle(new FetchError(`connect timed out after ${formatMs(limits.connectTimeoutMs)}`, true)),
          limits.connectTimeoutMs,
        );
        timers.push(timer);
        socket.once('connect', () => clearTimeout(timer));
      });
    }
    request.end();
  });
}

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/**
 * The number a metrics document yields, as upstream reads it: one numeric node is the value; several
 * nodes, or one array node, are aggregated (an aggregator is then required and every item must be a
 * number). Throws an `Error` whose message says what was wrong.
 */
export function extractValue(
  body: string,
  jsonPath: CompiledJsonPath,
  aggregator?: JsonPathAggregator,
): number {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    const preview = body.length > 40 ? `${body.slice(0, 40)}…` : body;
    throw new Error(`the response is not JSON: ${JSON.stringify(preview)}`);
  }
  const nodes = evaluateJsonPath(jsonPath, document);
  if (nodes.length === 0) throw new Error(`json-key ${jsonPath.source} matched nothing`);
  const node = nodes.length === 1 ? nodes[0] : nodes;
  let value: number;
  if (typeof node === 'number') {
    value = node;
  } else if (Array.isArray(node)) {
    if (!aggregator)
      throw new Error(
        `json-key ${jsonPath.source} matched ${node.length} values; set an aggregator (avg, min, max, sum)`,
      );
    if (node.length === 0) throw new Error(`json-key ${jsonPath.source} matched an empty array`);
    const bad = node.find((item) => typeof item !== 'number');
    if (bad !== undefined)
      throw new Error(`json-key ${jsonPath.source} matched a ${typeOf(bad)} among the numbers`);
    value = AGGREGATORS[aggregator](node as number[]);
  } else {
    throw new Error(`json-key ${jsonPath.source} matched a ${typeOf(node)}, not a number`);
  }
  if (!Number.isFinite(value)) throw new Error(`value ${value} is not finite`);
  if (value < 0) throw new Error(`value ${value} is negative`);
  return value;
}

/** Upstream's `int64(value * 1000)`. */
function toMilli(value: number): number {
  const milli = Math.trunc(value * 1000);
  if (!Number.isSafeInteger(milli)) throw new Error(`value ${value} is too large`);
  return milli;
}

type PodOutcome = { pod: Pod; milliValue: number } | { pod: Pod; error: string };

/** Runs `task` over `items`, `limit` at a time; items not started when `stop` fires get `notStarted`. */
async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  stop: AbortSignal,
  task: (item: T) => Promise<R>,
  notStarted: (item: T) => R,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = stop.aborted ? notStarted(item) : await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Why a pod is not asked, or undefined when it is. Upstream asks pods whose Ready condition is old enough. */
function skipReason(pod: Pod, settings: JsonPathSettings, now: number): string | undefined {
  if (pod.phase !== 'Running') return `not Running (${pod.phase})`;
  if (!pod.podIP) return 'no pod IP';
  if (settings.minPodReadyAgeMs > 0) {
    const ready = pod.conditions.find((condition) => condition.type === 'Ready');
    if (!ready) return 'no Ready condition';
    const since = ready.lastTransitionTime;
    if (since !== undefined && !(now - since > settings.minPodReadyAgeMs))
      return `ready for ${formatMs(Math.max(0, now - since))}, less than min-pod-ready-age ${formatMs(settings.minPodReadyAgeMs)}`;
  }
  return undefined;
}

const ok = <T>(value: T): MetricResult<T> => ({ ok: true, value });
const fail = <T>(reason: MetricError['reason'], message: string): MetricResult<T> => ({
  ok: false,
  error: new MetricError(reason, message),
});

/**
 * @example
 *   const collector = new JsonPathCollector();
 *   const result = await collector.collect(
 *     { type: 'Pods', namespace: 'shop', metricName: 'rps', pods, now: Date.now(),
 *       config: { 'json-key': '$.http_server.rps', path: '/metrics', port: '9090' } },
 *     AbortSignal.timeout(collector.timeoutMs),
 *   );
 */
export class JsonPathCollector implements Collector {
  readonly name = JSON_PATH_COLLECTOR_NAME;
  readonly timeoutMs: number;
  private readonly address: (pod: Pod, port: number) => { host: string; port: number };
  private readonly concurrency: number;
  private readonly defaults: { requestTimeoutMs: number; connectTimeoutMs: number };
  private readonly maxResponseBytes: number;
  private readonly tls: JsonPathCollectorOptions['tls'];

  constructor(options: JsonPathCollectorOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? JSON_PATH_TIMEOUT_MS;
    this.address = options.address ?? ((pod, port) => ({ host: pod.podIP ?? '', port }));
    this.concurrency = Math.max(1, options.concurrency ?? JSON_PATH_POD_CONCURRENCY);
    this.defaults = {
      requestTimeoutMs: options.defaultRequestTimeoutMs ?? JSON_PATH_DEFAULT_REQUEST_TIMEOUT_MS,
      connectTimeoutMs: options.defaultConnectTimeoutMs ?? JSON_PATH_DEFAULT_CONNECT_TIMEOUT_MS,
    };
    this.maxResponseBytes = options.maxResponseBytes ?? JSON_PATH_MAX_RESPONSE_BYTES;
    this.tls = options.tls;
  }

  cacheKey(request: CollectorRequest): string {
    const config = Object.entries(request.config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const pods =
      request.type === 'Pods'
        ? (request.pods ?? [])
            .map((pod) => {
              const ready = pod.conditions.find((condition) => condition.type === 'Ready');
              return `${pod.namespace}/${pod.name}@${pod.podIP ?? ''}:${pod.phase}:${ready?.lastTransitionTime ?? ''}`;
            })
            .sort()
        : [];
    return JSON.stringify([this.name, request.type, request.namespace, request.now, config, pods]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    let settings: JsonPathSettings;
    try {
      if (request.type === 'Object')
        throw new MetricError(
          'Invalid',
          'json-path serves Pods metrics (and External metrics with an endpoint)',
        );
      settings = parseJsonPathSettings(request.config, request.type, this.defaults);
    } catch (error) {
      if (error instanceof MetricError) return { ok: false, error };
      throw error;
    }

    // Stop a little before the router's timeout so that the pods that did answer still count.
    const budget = new AbortController();
    const budgetTimer = setTimeout(
      () => budget.abort(),
      Math.max(0, this.timeoutMs - JSON_PATH_DEADLINE_MARGIN_MS),
    );
    const stop = AbortSignal.any([signal, budget.signal]);
    try {
      return request.type === 'External'
        ? await this.collectEndpoint(settings, request, stop, signal)
        : await this.collectPods(settings, request, stop, signal);
    } finally {
      clearTimeout(budgetTimer);
    }
  }

  private limits(settings: JsonPathSettings): HttpLimits {
    return {
      requestTimeoutMs: settings.requestTimeoutMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      maxBytes: this.maxResponseBytes,
      tls: this.tls,
    };
  }

  private async collectEndpoint(
    settings: JsonPathSettings,
    request: CollectorRequest,
    stop: AbortSignal,
    signal: AbortSignal,
  ): Promise<MetricResult<CollectedValues>> {
    const url = settings.endpoint as URL;
    const what = `json-path endpoint ${url.origin}${url.pathname}`;
    let body: string;
    try {
      body = await httpGet(
        {
          scheme: url.protocol === 'https:' ? 'https' : 'http',
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
          path: `${url.pathname}${url.search}`,
        },
        this.limits(settings),
        stop,
      );
    } catch (error) {
      if (signal.aborted) return fail('Timeout', `${what}: aborted`);
      const fetchError = error as FetchError;
      return fail(fetchError.timeout ? 'Timeout' : 'Unavailable', `${what}: ${fetchError.message}`);
    }
    try {
      const milliValue = toMilli(extractValue(body, settings.jsonPath, settings.aggregator));
      return ok({ kind: 'scalar', values: [{ milliValue, timestamp: request.now }] });
    } catch (error) {
      return fail('Invalid', `${what}: ${(error as Error).message}`);
    }
  }

  private async collectPods(
    settings: JsonPathSettings,
    request: CollectorRequest,
    stop: AbortSignal,
    signal: AbortSignal,
  ): Promise<MetricResult<CollectedValues>> {
    const pods = request.pods;
    if (!pods) return fail('Unavailable', 'json-path: the pods of the scale target are not known');
    const asked: Pod[] = [];
    const skipped: string[] = [];
    for (const pod of pods) {
      const reason = skipReason(pod, settings, request.now);
      if (reason) skipped.push(`${pod.name}: ${reason}`);
      else asked.push(pod);
    }
    if (asked.length === 0) {
      const detail = skipped.length > 0 ? `: ${summarise(skipped)}` : '';
      return fail('Unavailable', `json-path: no pod to ask (${pods.length} pods${detail})`);
    }

    const path = requestPath(settings.path, settings.rawQuery);
    const port = settings.port as number;
    const limits = this.limits(settings);
    const outcomes = await inPool<Pod, PodOutcome>(
      asked,
      this.concurrency,
      stop,
      async (pod) => {
        try {
          const target = this.address(pod, port);
          const body = await httpGet(
            { scheme: settings.scheme, host: target.host, port: target.port, path },
            limits,
            stop,
          );
          return { pod, milliValue: toMilli(extractValue(body, settings.jsonPath, settings.aggregator)) };
        } catch (error) {
          return { pod, error: (error as Error).message };
        }
      },
      (pod) => ({ pod, error: 'not asked: the collector ran out of time' }),
    );
    if (signal.aborted) return fail('Timeout', `json-path: aborted while asking ${asked.length} pods`);

    const samples: PodMetricSample[] = [];
    const errors: string[] = [];
    for (const outcome of outcomes) {
      if ('milliValue' in outcome) {
        samples.push({
          podName: outcome.pod.name,
          milliValue: outcome.milliValue,
          timestamp: request.now,
          windowSeconds: JSON_PATH_SAMPLE_WINDOW_SECONDS,
        });
      } else {
        errors.push(`pod ${outcome.pod.name} (${outcome.pod.podIP}:${port}${path}): ${outcome.error}`);
      }
    }
    if (samples.length === 0)
      return fail(
        'Unavailable',
        `json-path: no pod answered (${errors.length} of ${asked.length} failed): ${summarise(errors)}`,
      );
    return ok({ kind: 'pods', samples });
  }
}

function summarise(messages: readonly string[]): string {
  const shown = messages.slice(0, MAX_ERRORS_IN_MESSAGE).join('; ');
  const more = messages.length - MAX_ERRORS_IN_MESSAGE;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}
