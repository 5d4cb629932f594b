/**
 * kube-metrics-adapter's `skipper` collector (registered for Object metrics named `requests-per-second`
 * on an `Ingress` or `RouteGroup`, see router.ts): the requests per second the in-cluster ingress
 * controller served for the object's hosts, from Prometheus, weighted by the share of the traffic that
 * goes to one backend when the object splits traffic between backends.
 *
 * Per metric and tick: one GET of the described object (`IngressRoutingReader`, the Kubernetes adapter's
 * `getIngressRouting`), then one PromQL instant query through the `prometheus` collector (same server,
 * credentials, TLS, timeout and error mapping). With the default template the query is upstream's:
 *
 *   scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"example_org|www_example_org"}[1m])) * 0.4000)
 *
 * Hosts are written as skipper labels them (`.` → `_`, `:` → `__`), regex-escaped and joined with `|`;
 * the factor is the backend's weight / 100 with 4 decimals (upstream's `%.4f`):
 * - no weights on the object (no `zalando.org/backend-weights` annotation; a RouteGroup with at most one
 *   default backend): 1, whatever the backend;
 * - weights and a backend: its weight / 100, and 0 when the backend has no weight (upstream);
 * - weights and no backend: `Invalid` (upstream: "backend name must be specified … traffic switching").
 *
 * Config keys (matchLabels and `metric-config.object.<metric>.requests-per-second/<key>` annotations):
 *
 * | key              | meaning                                                                         |
 * | ---------------- | ------------------------------------------------------------------------------- |
 * | `backend`        | the backend whose share of the traffic counts (upstream's `backend` matchLabel) |
 * | `query-template` | this metric's PromQL template instead of the cluster's (tideplane extension)    |
 *
 * The legacy metric name `requests-per-second,<backend>` names the backend when `backend` is not set.
 * Template placeholders: `${hosts}` (skipper's label form), `${hostnames}` (the hosts as written, for
 * controllers that label the host unchanged, e.g. nginx), `${namespace}`, `${name}` (the object's),
 * `${backend}` and `${weight}`. Strings are escaped for a double-quoted PromQL string; a leading `*.`
 * (wildcard host) matches one DNS label. The value is the total for the object: use
 * `target.type: AverageValue` so the HPA divides it by the replicas.
 */
import { ForbiddenError, MalformedObjectError, NotFoundError } from '../../ports/kubernetes';
import { MetricError, type MetricResult } from '../../ports/metric-source';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import { PROMETHEUS_TIMEOUT_MS } from './prometheus';

export const REQUESTS_PER_SECOND_COLLECTOR_NAME = 'requests-per-second';
/** Upper bound on the GET of the Ingress or RouteGroup. */
export const INGRESS_READ_TIMEOUT_MS = 5_000;
/** Kinds whose routing the collector reads. */
export const ROUTING_KINDS: readonly string[] = ['Ingress', 'RouteGroup'];

/** kube-metrics-adapter's query for skipper (`rpsQuery` in pkg/collector/skipper_collector.go). */
export const SKIPPER_QUERY_TEMPLATE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${…} are the template's placeholders, not JS.
  'scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"${hosts}"}[1m])) * ${weight})';

/** An example template for ingress-nginx, whose `host` label is the host as written. */
export const NGINX_QUERY_TEMPLATE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${…} are the template's placeholders, not JS.
  'scalar(sum(rate(nginx_ingress_controller_requests{host=~"${hostnames}"}[1m])) * ${weight})';

export const TEMPLATE_PLACEHOLDERS = [
  'hosts',
  'hostnames',
  'namespace',
  'name',
  'backend',
  'weight',
] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** The hosts and backend weights (percent; `{}` = traffic not split) of an Ingress or RouteGroup. */
export interface IngressRouting {
  hosts: string[];
  backendWeights: Record<string, number>;
}

/** Reads the described object (`KubernetesAdapter.getIngressRouting`). Undefined: it does not exist. */
export interface IngressRoutingReader {
  getIngressRouting(ref: {
    apiVersion: string;
    kind: string;
    namespace: string;
    name: string;
  }): Promise<IngressRouting | undefined>;
}

export interface RequestsPerSecondCollectorOptions {
  /** Reads the Ingress or RouteGroup. */
  reader: IngressRoutingReader;
  /** The cluster's `prometheus` collector: the query goes through its HTTP client and checks. */
  prometheus: Pick<Collector, 'collect' | 'timeoutMs'>;
  /** The cluster's query template; default `SKIPPER_QUERY_TEMPLATE`. Throws when it is malformed. */
  queryTemplate?: string;
  /** Default `INGRESS_READ_TIMEOUT_MS` + the Prometheus collector's timeout. */
  timeoutMs?: number;
}

interface Settings {
  kind: string;
  name: string;
  apiVersion: string;
  backend: string | undefined;
  template: string;
}

const fail = (error: MetricError): MetricResult<CollectedValues> => ({ ok: false, error });

export class RequestsPerSecondCollector implements Collector {
  readonly name = REQUESTS_PER_SECOND_COLLECTOR_NAME;
  readonly timeoutMs: number;
  private readonly reader: IngressRoutingReader;
  private readonly prometheus: Pick<Collector, 'collect' | 'timeoutMs'>;
  private readonly queryTemplate: string;

  constructor(options: RequestsPerSecondCollectorOptions) {
    this.reader = options.reader;
    this.prometheus = options.prometheus;
    this.queryTemplate = options.queryTemplate ?? SKIPPER_QUERY_TEMPLATE;
    const problem = templateProblem(this.queryTemplate);
    if (problem) throw new Error(`invalid requests-per-second query template: ${problem}`);
    this.timeoutMs =
      options.timeoutMs ?? INGRESS_READ_TIMEOUT_MS + (options.prometheus.timeoutMs || PROMETHEUS_TIMEOUT_MS);
  }

  cacheKey(request: CollectorRequest): string {
    const settings = this.settings(request);
    if (settings instanceof MetricError) return JSON.stringify([this.name, settings.message, request.now]);
    const { kind, name, backend, template } = settings;
    return JSON.stringify([this.name, request.namespace, kind, name, backend ?? null, template, request.now]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    const settings = this.settings(request);
    if (settings instanceof MetricError) return fail(settings);
    const { kind, name, apiVersion, backend, template } = settings;
    const what = `${kind} ${request.namespace}/${name}`;

    let routing: IngressRouting | undefined;
    try {
      routing = await bounded(
        this.reader.getIngressRouting({ apiVersion, kind, namespace: request.namespace, name }),
        signal,
        INGRESS_READ_TIMEOUT_MS,
        `reading ${what}`,
      );
    } catch (error) {
      return fail(readError(error, what));
    }
    if (!routing) return fail(new MetricError('NotFound', `${what} not found`));
    if (routing.hosts.length === 0) {
      return fail(new MetricError('Invalid', `no hosts defined on ${what}, unable to count its requests`));
    }
    const weight = backendWeight(routing.backendWeights, backend, what);
    if (weight instanceof MetricError) return fail(weight);

    const query = renderQuery(template, {
      hosts: routing.hosts,
      namespace: request.namespace,
      name,
      backend: backend ?? '',
      weight,
    });
    const inner: CollectorRequest = {
      type: 'Object',
      namespace: request.namespace,
      metricName: request.metricName,
      config: { query },
      now: request.now,
    };
    if (request.describedObject) inner.describedObject = request.describedObject;
    return this.prometheus.collect(inner, signal);
  }

  private settings(request: CollectorRequest): Settings | MetricError {
    const key = (k: string) => `metric-config.object.${request.metricName}.${this.name}/${k}`;
    const object = request.describedObject;
    if (request.type !== 'Object' || !object) {
      return new MetricError(
        'Invalid',
        `the ${this.name} collector serves Object metrics on an Ingress or RouteGroup, not ${request.type} metrics`,
      );
    }
    if (!ROUTING_KINDS.includes(object.kind)) {
      return new MetricError(
        'Invalid',
        `the ${this.name} collector reads an Ingress or RouteGroup, not a ${object.kind}`,
      );
    }
    const template = request.config['query-template'] ?? this.queryTemplate;
    const problem = templateProblem(template);
    if (problem) return new MetricError('Invalid', `annotation ${key('query-template')}: ${problem}`);
    return {
      kind: object.kind,
      name: object.name,
      apiVersion: object.apiVersion ?? '',
      backend: backendOf(request),
      template,
    };
  }
}

/** `config.backend`, else the legacy metric name `requests-per-second,<backend>`; '' is none. */
export function backendOf(request: Pick<CollectorRequest, 'config' | 'metricName'>): string | undefined {
  const configured = request.config.backend;
  if (configured !== undefined) return configured === '' ? undefined : configured;
  const prefix = `${REQUESTS_PER_SECOND_COLLECTOR_NAME},`;
  if (!request.metricName.startsWith(prefix)) return undefined;
  const legacy = request.metricName.slice(prefix.length);
  return legacy === '' ? undefined : legacy;
}

/**
 * The factor of the backend's share of the traffic, upstream's rules: no weights → 1; a backend → its
 * weight / 100 (0 when it has none); weights but no backend → `Invalid`.
 */
export function backendWeight(
  weights: Readonly<Record<string, number>>,
  backend: string | undefined,
  what: string,
): number | MetricError {
  if (Object.keys(weights).length === 0) return 1;
  if (backend === undefined) {
    return new MetricError(
      'Invalid',
      `${what} splits traffic between backends (${Object.keys(weights).sort().join(', ')}): name the ` +
        'backend to scale on with matchLabels.backend (or the metric name requests-per-second,<backend>)',
    );
  }
  const weight = Object.hasOwn(weights, backend) ? (weights[backend] ?? 0) : 0;
  if (!Number.isFinite(weight) || weight < 0) {
    return new MetricError('Invalid', `${what}: backend ${backend} has the weight ${weight}`);
  }
  return weight / 100;
}

/** The host as skipper's metrics label it (`hostForKey`): `.` → `_`, `:` → `__`. */
export function skipperHostLabel(host: string): string {
  return host.replaceAll('.', '_').replaceAll(':', '__');
}

/** RE2 (Go `regexp.QuoteMeta`) escaping. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** Escapes text for a double-quoted PromQL string. */
export function escapePromqlString(text: string): string {
  return text.replace(/[\\"]/g, '\\$&').replaceAll('\n', '\\n');
}

/**
 * A regex alternation matching the hosts: as labelled by skipper (`skipper: true`) or as written. A
 * leading `*.` (Ingress wildcard host) matches exactly one DNS label.
 */
export function hostsPattern(hosts: readonly string[], skipper: boolean): string {
  const separator = skipper ? '_' : '.';
  return hosts
    .map((host) => {
      const wildcard = host.startsWith('*.');
      const rest = wildcard ? host.slice(1) : host;
      const literal = escapeRegex(skipper ? skipperHostLabel(rest) : rest);
      return wildcard ? `[^${escapeRegex(separator)}]+${literal}` : literal;
    })
    .join('|');
}

/** The query for one object: the template with its placeholders filled in. */
export function renderQuery(
  template: string,
  values: { hosts: readonly string[]; namespace: string; name: string; backend: string; weight: number },
): string {
  const text: Record<Placeholder, string> = {
    hosts: escapePromqlString(hostsPattern(values.hosts, true)),
    hostnames: escapePromqlString(hostsPattern(values.hosts, false)),
    namespace: escapePromqlString(values.namespace),
    name: escapePromqlString(values.name),
    backend: escapePromqlString(values.backend),
    weight: values.weight.toFixed(4),
  };
  return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => text[name as Placeholder]).trim();
}

/** Why a template cannot be used, or undefined. */
export function templateProblem(template: string): string | undefined {
  if (template.trim() === '') return 'the query template is empty';
  for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      return `unknown placeholder \${${name}} (known: ${TEMPLATE_PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`;
    }
  }
  return undefined;
}

function readError(error: unknown, what: string): MetricError {
  if (error instanceof MetricError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof NotFoundError) return new MetricError('NotFound', message);
  if (error instanceof ForbiddenError) return new MetricError('Forbidden', message);
  if (error instanceof MalformedObjectError) return new MetricError('Invalid', message);
  return new MetricError('Unavailable', `reading ${what}: ${message}`);
}

/** `promise`, or a `Timeout` MetricError when `signal` aborts or `timeoutMs` passes first. */
function bounded<T>(promise: Promise<T>, signal: AbortSignal, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timeout = () => new MetricError('Timeout', `${what}: no answer within ${timeoutMs} ms`);
    const aborted = () => new MetricError('Timeout', `${what}: aborted before the API server answered`);
    if (signal.aborted) {
      reject(aborted());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      reject(timeout());
    }, timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
