/**
 * kube-metrics-adapter's `prometheus` collector: one PromQL instant query per metric, answered by the
 * Prometheus HTTP API (`POST <url>/api/v1/query`, form fields `query`, `time`, `timeout`), evaluated at
 * the tick's time. The URL may carry a path, so Prometheus is also reachable through the API server's
 * service proxy (`https://<apiserver>/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy`).
 *
 * Annotation keys (`metric-config.<object|external>.<metric>.prometheus/<key>`), as kube-metrics-adapter:
 *
 * | key                 | meaning                                                                          |
 * | ------------------- | -------------------------------------------------------------------------------- |
 * | `query`             | the PromQL query (required)                                                      |
 * | `prometheus-server` | another Prometheus URL for this metric (no credentials are sent to it unless it  |
 * |                     | has the configured URL's origin)                                                 |
 * | `interval`          | accepted and ignored: tideplane queries once per tick                            |
 * | `<query-name>`      | the older External form: `metric-config.external.prometheus-query.prometheus/<n>` |
 * |                     | with `matchLabels: { query-name: <n> }` on the metric                            |
 *
 * `per-replica` (deprecated upstream, Object metrics) is refused, as this collector does not know the
 * target's replicas: use `target.type: AverageValue`, which divides by the replicas in the HPA itself.
 *
 * The result must be a scalar or a vector of exactly one sample; it is returned in milli-units rounded
 * up like `MilliValue()`. An empty vector is `NotFound`, several samples, NaN, ±Inf or a negative value
 * `Invalid`.
 */
import { MetricError, type MetricResult, type ScalarSample } from '../../ports/metric-source';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import {
  excerpt,
  HttpClient,
  type HttpClientOptions,
  milliFromDecimal,
  reasonForStatus,
} from './http-client';

/** Upper bound on one query, HTTP included; also sent to Prometheus as the query's `timeout`. */
export const PROMETHEUS_TIMEOUT_MS = 5_000;

export const PROMETHEUS_COLLECTOR = 'prometheus';
/** Upstream's metric name of the older External form, whose query is keyed by `query-name`. */
export const PROMETHEUS_LEGACY_METRIC = 'prometheus-query';

export interface PrometheusCollectorOptions extends HttpClientOptions {
  /** Prometheus base URL (upstream's `--prometheus-server`), e.g. `http://prometheus.monitoring:9090`. */
  url?: string;
  /** Default `PROMETHEUS_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Honour the `prometheus-server` annotation (default true, as upstream). */
  allowServerAnnotation?: boolean;
}

type PromValue = [number, string];
interface PromResponse {
  status?: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

const fail = (error: MetricError): MetricResult<CollectedValues> => ({ ok: false, error });

export class PrometheusCollector implements Collector {
  readonly name = PROMETHEUS_COLLECTOR;
  readonly timeoutMs: number;
  private readonly http: HttpClient;
  private readonly url: string | undefined;
  private readonly allowServerAnnotation: boolean;

  constructor(options: PrometheusCollectorOptions = {}) {
    this.url = options.url ? trimSlash(options.url) : undefined;
    this.timeoutMs = options.timeoutMs ?? PROMETHEUS_TIMEOUT_MS;
    this.allowServerAnnotation = options.allowServerAnnotation ?? true;
    const credentialOrigin = this.url ? safeOrigin(this.url) : undefined;
    this.http = new HttpClient({ ...options, ...(credentialOrigin ? { credentialOrigin } : {}) });
  }

  cacheKey(request: CollectorRequest): string {
    const settings = this.settings(request);
    const server = settings instanceof MetricError ? '' : settings.server;
    const query = settings instanceof MetricError ? settings.message : settings.query;
    return JSON.stringify([this.name, server, query, request.now]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    const settings = this.settings(request);
    if (settings instanceof MetricError) return fail(settings);
    const { server, query } = settings;
    try {
      const value = await this.query(server, query, request.now, signal);
      return { ok: true, value: { kind: 'scalar', values: [value] } };
    } catch (error) {
      if (error instanceof MetricError) return fail(error);
      throw error;
    }
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.http.close();
  }

  private settings(request: CollectorRequest): { server: string; query: string } | MetricError {
    const { config } = request;
    const key = (name: string) =>
      `metric-config.${request.type.toLowerCase()}.${request.metricName}.${this.name}/${name}`;
    if (request.type === 'Pods') {
      return new MetricError(
        'Invalid',
        `the ${this.name} collector serves Object and External metrics, not Pods`,
      );
    }
    // Upstream turns it on by the key's presence, whatever its value.
    if (Object.hasOwn(config, 'per-replica')) {
      return new MetricError(
        'Invalid',
        `${key('per-replica')} is not supported: remove it and use target.type AverageValue on the metric`,
      );
    }
    let query = config.query;
    if (query === undefined) {
      const queryName = config['query-name'] ?? request.metricSelector?.matchLabels?.['query-name'];
      if (queryName !== undefined) query = config[queryName];
      if (query === undefined) {
        const named = queryName === undefined ? key('query') : `${key(queryName)} (query-name ${queryName})`;
        return new MetricError('Invalid', `no Prometheus query: annotation ${named} is missing`);
      }
    }
    if (query.trim() === '') return new MetricError('Invalid', `annotation ${key('query')} is empty`);

    const override = config['prometheus-server'];
    let server = this.url;
    if (override !== undefined && this.allowServerAnnotation) {
      if (safeOrigin(override) === undefined) {
        return new MetricError(
          'Invalid',
          `annotation ${key('prometheus-server')} is not an http(s) URL: ${override}`,
        );
      }
      server = trimSlash(override);
    }
    if (server === undefined) {
      return new MetricError(
        'NotServed',
        `no Prometheus server configured for this cluster and no annotation ${key('prometheus-server')}`,
      );
    }
    return { server, query: query.trim() };
  }

  /**
   * One instant query's single value, for callers outside the HPA's metric pipeline (the control-plane
   * loop's latency signal). Throws `MetricError`.
   */
  async instantQuery(server: string, query: string, now: number, signal: AbortSignal): Promise<ScalarSample> {
    return this.query(server.replace(/\/+$/, ''), query, now, signal);
  }

  private async query(
    server: string,
    query: string,
    now: number,
    signal: AbortSignal,
  ): Promise<ScalarSample> {
    const url = new URL(`${server}/api/v1/query`);
    const form = new URLSearchParams({
      query,
      time: (now / 1000).toFixed(3),
      timeout: `${Math.max(1, this.timeoutMs)}ms`,
    });
    const response = await this.http.request({
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      signal,
      timeoutMs: this.timeoutMs,
    });
    const where = `Prometheus ${url.origin}${url.pathname}`;
    let parsed: PromResponse | undefined;
    try {
      parsed = JSON.parse(response.body) as PromResponse;
    } catch {
      parsed = undefined;
    }
    if (response.status < 200 || response.status >= 300 || parsed?.status !== 'success') {
      throw queryError(where, query, response.status, parsed, response.body);
    }
    return singleValue(query, parsed.data);
  }
}

/** Maps Prometheus's error answers (`errorType`: bad_data, execution, timeout, canceled, …). */
function queryError(
  where: string,
  query: string,
  status: number,
  parsed: PromResponse | undefined,
  body: string,
): MetricError {
  if (parsed?.status === 'error') {
    const reason =
      parsed.errorType === 'timeout' || parsed.errorType === 'canceled'
        ? 'Timeout'
        : parsed.errorType === 'bad_data' || parsed.errorType === 'execution'
          ? 'Invalid'
          : reasonForStatus(status);
    return new MetricError(reason, `${where}: query ${query} failed: ${parsed.errorType}: ${parsed.error}`);
  }
  const detail = excerpt(body);
  if (status >= 200 && status < 300) {
    return new MetricError('Invalid', `${where}: not a Prometheus API answer: ${detail}`);
  }
  return new MetricError(reasonForStatus(status), `${where}: HTTP ${status}: ${detail}`);
}

function singleValue(query: string, data: PromResponse['data']): ScalarSample {
  const resultType = data?.resultType;
  const result = data?.result;
  let value: unknown;
  if (resultType === 'scalar') {
    value = result;
  } else if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) {
      throw new MetricError('NotFound', `query ${query} returned no series (empty vector)`);
    }
    if (result.length > 1) {
      throw new MetricError(
        'Invalid',
        `query ${query} returned ${result.length} series; aggregate it to one (e.g. sum(...)) or select one`,
      );
    }
    value = (result[0] as { value?: unknown }).value;
  } else {
    throw new MetricError(
      'Invalid',
      `query ${query} returned a ${resultType ?? 'missing'} result; it must return a scalar or a one-element vector`,
    );
  }
  if (!isPromValue(value)) {
    throw new MetricError('Invalid', `query ${query} returned a malformed sample: ${JSON.stringify(value)}`);
  }
  const [seconds, text] = value;
  return {
    milliValue: milliFromDecimal(text, `the value of query ${query}`),
    timestamp: Math.round(seconds * 1000),
  };
}

function isPromValue(value: unknown): value is PromValue {
  return (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string'
  );
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function safeOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
