/**
 * kube-metrics-adapter's `influxdb` collector: one query per metric that must answer exactly one value.
 *
 * Two query languages, picked per metric by the `query-language` annotation or per cluster by the
 * `language` option:
 *
 * - `flux` (the default, and the only one upstream speaks): `POST <url>/api/v2/query?org=<org>` with
 *   `Authorization: Token <token>`, answered as annotated CSV (InfluxDB 2.x, or 1.8+ with Flux enabled).
 *   The value is the `metricvalue` column as upstream (its README renames `_value` to it), or `_value`.
 * - `influxql`: `POST <url>/query` with `db`, `rp`, `q` and `epoch=ms` (InfluxDB 1.x, and 2.x's
 *   v1-compatible endpoint), answered as JSON. The value is the `metricvalue` column, or the only column
 *   besides `time`.
 *
 * Annotation keys (`metric-config.<object|external>.<metric>.influxdb/<key>`):
 *
 * | key                | meaning                                                                       |
 * | ------------------ | ----------------------------------------------------------------------------- |
 * | `query`            | the Flux or InfluxQL query (required), as upstream                            |
 * | `address`          | another InfluxDB URL for this metric, as upstream (credentials are only sent   |
 * |                    | to the configured URL's origin)                                               |
 * | `org`              | Flux: organization name or ID, as upstream (`org-id`: an ID, sent as `orgID`) |
 * | `token`            | refused: credentials come from the cluster's configuration, not annotations   |
 * | `interval`         | accepted and ignored: tideplane queries once per tick                         |
 * | `query-language`   | tideplane: `flux` or `influxql`                                               |
 * | `database`         | tideplane, InfluxQL: the database (`db`)                                      |
 * | `retention-policy` | tideplane, InfluxQL: the retention policy (`rp`)                              |
 * | `<query-name>`     | the older form: the query under the key named by `query-name` (a key or the  |
 * |                    | metric's `matchLabels`)                                                       |
 *
 * Exactly one row with a value is expected: none (or a null value) is `NotFound`, several rows or series
 * `Invalid` (aggregate in the query), as are NaN, ±Inf and negative values. Values are milli-units rounded
 * up like `MilliValue()`.
 */
import { MetricError, type MetricResult, type ScalarSample } from '../../ports/metric-source';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import {
  excerpt,
  HttpClient,
  type HttpClientOptions,
  type HttpTlsOptions,
  milliFromDecimal,
  reasonForStatus,
} from './http-client';

/** Upper bound on one query, HTTP included. */
export const INFLUXDB_TIMEOUT_MS = 5_000;

export const INFLUXDB_COLLECTOR = 'influxdb';

/** The column a query names its value by (kube-metrics-adapter's convention). */
export const INFLUXDB_VALUE_COLUMN = 'metricvalue';

export type InfluxQueryLanguage = 'flux' | 'influxql';

export interface InfluxDbCollectorOptions {
  /** InfluxDB base URL (upstream's `--influxdb-address`), e.g. `http://influxdb.monitoring:8086`. */
  url?: string;
  /** API token (upstream's `--influxdb-token`), sent as `Authorization: Token <token>`. */
  token?: string;
  /** InfluxDB 1.x user, sent with basic auth (ignored when `token` is set). */
  username?: string;
  password?: string;
  /** Flux organization (upstream's `--influxdb-org`). */
  org?: string;
  /** InfluxQL database when a metric names none. */
  database?: string;
  /** Default query language (default `flux`, as upstream). */
  language?: InfluxQueryLanguage;
  /** Default `INFLUXDB_TIMEOUT_MS`. */
  timeoutMs?: number;
  tls?: HttpTlsOptions;
  maxResponseBytes?: number;
  /** Honour the `address` annotation (default true, as upstream). */
  allowAddressAnnotation?: boolean;
}

interface Settings {
  server: string;
  language: InfluxQueryLanguage;
  query: string;
  org?: { name: 'org' | 'orgID'; value: string };
  database?: string;
  retentionPolicy?: string;
}

const fail = (error: MetricError): MetricResult<CollectedValues> => ({ ok: false, error });

export class InfluxDbCollector implements Collector {
  readonly name = INFLUXDB_COLLECTOR;
  readonly timeoutMs: number;
  private readonly http: HttpClient;
  private readonly url: string | undefined;

  constructor(private readonly options: InfluxDbCollectorOptions = {}) {
    this.url = options.url?.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? INFLUXDB_TIMEOUT_MS;
    const http: HttpClientOptions = {};
    if (this.url) http.credentialOrigin = originOf(this.url);
    if (options.token) http.headers = { Authorization: `Token ${options.token}` };
    else if (options.username !== undefined) {
      http.basicAuth = { username: options.username, password: options.password ?? '' };
    }
    if (options.tls) http.tls = options.tls;
    if (options.maxResponseBytes) http.maxResponseBytes = options.maxResponseBytes;
    this.http = new HttpClient(http);
  }

  cacheKey(request: CollectorRequest): string {
    const settings = this.settings(request);
    if (settings instanceof MetricError) return JSON.stringify([this.name, settings.message]);
    const { server, language, query, org, database, retentionPolicy } = settings;
    return JSON.stringify([this.name, server, language, org, database, retentionPolicy, query, request.now]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    const settings = this.settings(request);
    if (settings instanceof MetricError) return fail(settings);
    try {
      const value =
        settings.language === 'flux'
          ? await this.flux(settings, request.now, signal)
          : await this.influxql(settings, request.now, signal);
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

  private settings(request: CollectorRequest): Settings | MetricError {
    const { config } = request;
    const key = (name: string) =>
      `metric-config.${request.type.toLowerCase()}.${request.metricName}.${this.name}/${name}`;
    if (request.type === 'Pods') {
      return new MetricError(
        'Invalid',
        `the ${this.name} collector serves External and Object metrics, not Pods`,
      );
    }
    if (config.token !== undefined) {
      return new MetricError(
        'Invalid',
        `annotation ${key('token')} carries a credential: remove it; the InfluxDB token is configured per cluster`,
      );
    }
    let query = config.query;
    if (query === undefined) {
      const queryName = config['query-name'] ?? request.metricSelector?.matchLabels?.['query-name'];
      if (queryName !== undefined) query = config[queryName];
      if (query === undefined) {
        const named = queryName === undefined ? key('query') : `${key(queryName)} (query-name ${queryName})`;
        return new MetricError('Invalid', `no InfluxDB query: annotation ${named} is missing`);
      }
    }
    if (query.trim() === '') return new MetricError('Invalid', `annotation ${key('query')} is empty`);

    const language = config['query-language'] ?? this.options.language ?? 'flux';
    if (language !== 'flux' && language !== 'influxql') {
      return new MetricError(
        'Invalid',
        `annotation ${key('query-language')} must be flux or influxql, not ${language}`,
      );
    }

    let server = this.url;
    const address = config.address;
    if (address !== undefined && (this.options.allowAddressAnnotation ?? true)) {
      if (originOf(address) === undefined) {
        return new MetricError('Invalid', `annotation ${key('address')} is not an http(s) URL: ${address}`);
      }
      server = address.replace(/\/+$/, '');
    }
    if (server === undefined) {
      return new MetricError(
        'NotServed',
        `no InfluxDB server configured for this cluster and no annotation ${key('address')}`,
      );
    }

    const settings: Settings = { server, language, query: query.trim() };
    if (language === 'flux') {
      const orgId = config['org-id'];
      const org = config.org ?? (orgId === undefined ? this.options.org : undefined);
      if (org !== undefined) settings.org = { name: 'org', value: org };
      else if (orgId !== undefined) settings.org = { name: 'orgID', value: orgId };
      else return new MetricError('Invalid', `no InfluxDB organization: set annotation ${key('org')}`);
    } else {
      const database = config.database ?? this.options.database;
      if (database === undefined) {
        return new MetricError(
          'Invalid',
          `no InfluxDB database for InfluxQL: set annotation ${key('database')}`,
        );
      }
      settings.database = database;
      if (config['retention-policy'] !== undefined) settings.retentionPolicy = config['retention-policy'];
    }
    return settings;
  }

  private async influxql(settings: Settings, now: number, signal: AbortSignal): Promise<ScalarSample> {
    const url = new URL(`${settings.server}/query`);
    const form = new URLSearchParams({ db: settings.database ?? '', q: settings.query, epoch: 'ms' });
    if (settings.retentionPolicy) form.set('rp', settings.retentionPolicy);
    const response = await this.http.request({
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      signal,
      timeoutMs: this.timeoutMs,
    });
    const where = `InfluxDB ${url.origin}${url.pathname}`;
    const parsed = parseJson(response.body) as InfluxQlResponse | undefined;
    if (response.status < 200 || response.status >= 300) {
      const message = parsed?.error ?? excerpt(response.body);
      throw new MetricError(
        influxReason(response.status, message),
        `${where}: HTTP ${response.status}: ${message}`,
      );
    }
    if (!parsed || !Array.isArray(parsed.results)) {
      throw new MetricError('Invalid', `${where}: not an InfluxDB answer: ${excerpt(response.body)}`);
    }
    return influxqlValue(settings.query, parsed.results, now);
  }

  private async flux(settings: Settings, now: number, signal: AbortSignal): Promise<ScalarSample> {
    const url = new URL(`${settings.server}/api/v2/query`);
    if (settings.org) url.searchParams.set(settings.org.name, settings.org.value);
    const response = await this.http.request({
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/csv' },
      body: JSON.stringify({
        query: settings.query,
        type: 'flux',
        now: new Date(now).toISOString(),
        dialect: { header: true, annotations: ['datatype', 'group', 'default'] },
      }),
      signal,
      timeoutMs: this.timeoutMs,
    });
    const where = `InfluxDB ${url.origin}${url.pathname}`;
    if (response.status < 200 || response.status >= 300) {
      const parsed = parseJson(response.body) as { message?: string; code?: string } | undefined;
      const message = parsed?.message ?? excerpt(response.body);
      throw new MetricError(
        influxReason(response.status, message),
        `${where}: HTTP ${response.status}: ${message}`,
      );
    }
    return fluxValue(settings.query, response.body, now);
  }
}

interface InfluxQlSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}
interface InfluxQlResult {
  statement_id?: number;
  error?: string;
  series?: InfluxQlSeries[];
}
interface InfluxQlResponse {
  results?: InfluxQlResult[];
  error?: string;
}

function influxReason(status: number, message: string): MetricError['reason'] {
  if (/database not found|bucket .* not found|organization .* not found/i.test(message)) return 'NotFound';
  return reasonForStatus(status);
}

function influxqlValue(query: string, results: InfluxQlResult[], now: number): ScalarSample {
  if (results.length !== 1) {
    throw new MetricError('Invalid', `query ${query} has ${results.length} statements; it must have one`);
  }
  const [result] = results as [InfluxQlResult];
  if (result.error !== undefined) {
    throw new MetricError(influxReason(400, result.error), `query ${query} failed: ${result.error}`);
  }
  const series = result.series ?? [];
  if (series.length === 0) throw new MetricError('NotFound', `query ${query} returned no series`);
  if (series.length > 1) {
    throw new MetricError(
      'Invalid',
      `query ${query} returned ${series.length} series; aggregate them to one (drop GROUP BY or narrow WHERE)`,
    );
  }
  const [only] = series as [InfluxQlSeries];
  const columns = only.columns ?? [];
  const rows = only.values ?? [];
  if (rows.length === 0) throw new MetricError('NotFound', `query ${query} returned no rows`);
  if (rows.length > 1) {
    throw new MetricError(
      'Invalid',
      `query ${query} returned ${rows.length} rows; aggregate them to one (e.g. last(), max(), mean())`,
    );
  }
  const valueColumn = pickColumn(
    query,
    columns,
    columns.filter((c) => c !== 'time'),
  );
  const row = rows[0] ?? [];
  const value = row[columns.indexOf(valueColumn)];
  const time = row[columns.indexOf('time')];
  return {
    milliValue: cellToMilli(query, valueColumn, value),
    // Aggregates without GROUP BY time() are stamped with epoch 0: then the tick's time stands.
    timestamp: typeof time === 'number' && time > 0 ? time : now,
  };
}

/** `metricvalue` when present, else the only candidate. */
function pickColumn(query: string, columns: string[], candidates: string[]): string {
  if (columns.includes(INFLUXDB_VALUE_COLUMN)) return INFLUXDB_VALUE_COLUMN;
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  throw new MetricError(
    'Invalid',
    `query ${query} returned columns ${columns.join(', ')}; name the value column ${INFLUXDB_VALUE_COLUMN} ` +
      'or return a single value column',
  );
}

function cellToMilli(query: string, column: string, value: unknown): number {
  if (value === null || value === undefined || value === '') {
    throw new MetricError('NotFound', `query ${query} returned no value (null ${column})`);
  }
  if (typeof value === 'number') return milliFromDecimal(String(value), `${column} of query ${query}`);
  if (typeof value === 'string') return milliFromDecimal(value, `${column} of query ${query}`);
  throw new MetricError(
    'Invalid',
    `query ${query} returned a ${typeof value} ${column}: ${JSON.stringify(value)}`,
  );
}

/** Reads Flux's annotated CSV: tables separated by blank lines, `#` annotation rows, a header row each. */
function fluxValue(query: string, csv: string, now: number): ScalarSample {
  const rows: Record<string, string>[] = [];
  let header: string[] | undefined;
  for (const record of parseCsv(csv)) {
    if (record.length === 1 && record[0] === '') {
      header = undefined; // a blank line ends a table
      continue;
    }
    if (record[0]?.startsWith('#')) continue;
    if (header === undefined) {
      header = record;
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      row[name] = record[i] ?? '';
    });
    if (header.includes('error') && header.includes('reference')) {
      throw new MetricError('Invalid', `query ${query} failed: ${row.error}`);
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new MetricError('NotFound', `query ${query} returned no rows`);
  if (rows.length > 1) {
    throw new MetricError(
      'Invalid',
      `query ${query} returned ${rows.length} rows; reduce them to one (e.g. group() |> last())`,
    );
  }
  const [row] = rows as [Record<string, string>];
  const columns = Object.keys(row);
  const column = pickColumn(
    query,
    columns,
    columns.filter((c) => c === '_value'),
  );
  const time = row._time ? Date.parse(row._time) : Number.NaN;
  return {
    milliValue: cellToMilli(query, column, row[column]),
    timestamp: Number.isFinite(time) ? time : now,
  };
}

/** RFC 4180 records (quoted fields, doubled quotes, CRLF or LF); a blank line is the record `['']`. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
