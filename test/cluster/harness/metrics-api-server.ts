/**
 * A small HTTPS server speaking the wire format of the three Kubernetes metrics APIs, with values
 * that a test sets programmatically:
 *
 *   metrics.k8s.io/v1beta1            PodMetrics / PodMetricsList, NodeMetrics / NodeMetricsList
 *   custom.metrics.k8s.io/v1beta2     MetricValueList (pods and any other object)
 *   external.metrics.k8s.io/v1beta1   ExternalMetricValueList
 *
 * It stands in for metrics-server and a custom/external metrics adapter. The test harness
 * registers it with the real kube-apiserver as an APIService (see cluster.ts), so clients reach it
 * through kube-apiserver, which authenticates, authorizes (RBAC) and proxies each request; it can
 * also be used on its own. It does not authenticate requests itself: kube-apiserver has already
 * done so and passes the user along in X-Remote-User / X-Remote-Group, which `requests` records.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Labels, parseLabelSelector } from './label-selector';

/** A Kubernetes quantity: a string such as "250m" or "128Mi", or a number (written canonically). */
export type Quantity = string | number;

export interface ContainerUsage {
  name: string;
  cpu: Quantity;
  memory: Quantity;
}

export interface ObjectReference {
  /** e.g. "v1", "apps/v1"; defaults to "v1" */
  apiVersion?: string;
  kind: string;
  /**
   * The resource as the custom metrics API addresses it: plural, group-qualified for named groups
   * ("pods", "services", "deployments.apps", "ingresses.networking.k8s.io").
   */
  resource: string;
  /** Omit for cluster-scoped objects (e.g. nodes). */
  namespace?: string;
  name: string;
}

export interface MetricOptions {
  /** Labels of the metric series itself (matched by `metricLabelSelector`). */
  metricLabels?: Labels;
  /** Labels of the described object, used for `labelSelector` on `*` queries when not resolvable. */
  objectLabels?: Labels;
  timestamp?: Date;
  windowSeconds?: number;
}

export interface ExternalMetricValue {
  value: Quantity;
  labels?: Labels;
  timestamp?: Date;
  windowSeconds?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** X-Remote-User set by kube-apiserver's aggregator; undefined for direct requests. */
  user: string | undefined;
  groups: string[];
  status: number;
}

/**
 * Resolves the current labels of pods (or other objects) in a namespace, so `labelSelector`
 * queries select by the objects' real labels, as metrics-server does. The harness wires this to
 * the real apiserver; values given in setPodMetrics(..., { labels }) take precedence.
 */
export type LabelResolver = (
  resource: string,
  namespace: string | undefined,
) => Promise<Map<string, Labels> | undefined>;

export interface MetricsApiServerOptions {
  cert: string;
  key: string;
  host?: string;
  port?: number;
  labelResolver?: LabelResolver;
}

export const METRICS_GROUPS = [
  { group: 'metrics.k8s.io', version: 'v1beta1' },
  { group: 'custom.metrics.k8s.io', version: 'v1beta2' },
  { group: 'external.metrics.k8s.io', version: 'v1beta1' },
] as const;

interface PodEntry {
  containers: ContainerUsage[];
  labels: Labels | undefined;
  timestamp: Date | undefined;
  window: string;
}

interface NodeEntry {
  usage: { cpu: Quantity; memory: Quantity };
  labels: Labels | undefined;
  timestamp: Date | undefined;
}

interface ObjectMetricEntry {
  object: ObjectReference;
  metric: string;
  value: Quantity;
  opts: MetricOptions;
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Writes a number as a Kubernetes quantity; strings pass through unchanged. */
export function formatQuantity(q: Quantity): string {
  if (typeof q === 'string') return q;
  if (!Number.isFinite(q)) throw new Error(`not a finite quantity: ${q}`);
  if (Number.isInteger(q)) return String(q);
  const milli = Math.round(q * 1000);
  if (Number.isInteger(q * 1000) || Math.abs(q) >= 1) return `${milli}m`;
  const nano = Math.round(q * 1e9);
  return `${nano}n`;
}

const key = (...parts: (string | undefined)[]): string => parts.map((p) => p ?? '').join('\u0000');

export class MetricsApiServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /**
   * Requests received, oldest first, except kube-apiserver's own discovery and OpenAPI polling
   * (users system:kube-aggregator and system:aggregator).
   */
  readonly requests: RecordedRequest[] = [];
  labelResolver: LabelResolver | undefined;

  readonly #server: Server;
  readonly #pods = new Map<string, { namespace: string; name: string; entry: PodEntry }>();
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #objectMetrics = new Map<string, ObjectMetricEntry>();
  readonly #external = new Map<
    string,
    { namespace: string; metric: string; values: ExternalMetricValue[] }
  >();

  private constructor(server: Server, host: string, port: number, labelResolver?: LabelResolver) {
    this.#server = server;
    this.host = host;
    this.port = port;
    this.url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.labelResolver = labelResolver;
  }

  static async start(opts: MetricsApiServerOptions): Promise<MetricsApiServer> {
    const host = opts.host ?? '127.0.0.1';
    let instance: MetricsApiServer | undefined;
    const server = createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
      if (!instance) {
        res.writeHead(503).end();
        return;
      }
      void instance.#handle(req, res);
    });
    server.listen(opts.port ?? 0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    instance = new MetricsApiServer(server, host, port, opts.labelResolver);
    return instance;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- values --------------------------------------------------------------------------------------

  /** Sets (replaces) the resource usage metrics.k8s.io reports for one pod. */
  setPodMetrics(
    namespace: string,
    podName: string,
    containers: ContainerUsage[],
    opts: { labels?: Labels; timestamp?: Date; window?: string } = {},
  ): void {
    this.#pods.set(key(namespace, podName), {
      namespace,
      name: podName,
      entry: {
        containers: containers.map((c) => ({ ...c })),
        labels: opts.labels,
        timestamp: opts.timestamp,
        window: opts.window ?? '30s',
      },
    });
  }

  deletePodMetrics(namespace: string, podName: string): void {
    this.#pods.delete(key(namespace, podName));
  }

  setNodeMetrics(
    nodeName: string,
    usage: { cpu: Quantity; memory: Quantity },
    opts: { labels?: Labels; timestamp?: Date } = {},
  ): void {
    this.#nodes.set(nodeName, { usage: { ...usage }, labels: opts.labels, timestamp: opts.timestamp });
  }

  /** A custom metric (custom.metrics.k8s.io) describing a pod: HPA `type: Pods` metrics read these. */
  setCustomPodMetric(
    namespace: string,
    podName: string,
    metricName: string,
    value: Quantity,
    opts: MetricOptions = {},
  ): void {
    this.setObjectMetric(
      { kind: 'Pod', resource: 'pods', namespace, name: podName },
      metricName,
      value,
      opts,
    );
  }

  /** A custom metric describing any object: HPA `type: Object` metrics read these. */
  setObjectMetric(
    object: ObjectReference,
    metricName: string,
    value: Quantity,
    opts: MetricOptions = {},
  ): void {
    const resource = object.resource.toLowerCase();
    this.#objectMetrics.set(
      key(object.namespace, resource, object.name, metricName, labelKey(opts.metricLabels)),
      {
        object: { ...object, resource },
        metric: metricName,
        value,
        opts,
      },
    );
  }

  deleteObjectMetric(object: ObjectReference, metricName: string): void {
    const resource = object.resource.toLowerCase();
    for (const [k, e] of this.#objectMetrics) {
      if (
        e.object.namespace === object.namespace &&
        e.object.resource === resource &&
        e.object.name === object.name &&
        e.metric === metricName
      ) {
        this.#objectMetrics.delete(k);
      }
    }
  }

  /**
   * Sets (replaces) the series of an external metric (external.metrics.k8s.io) in a namespace.
   * A bare quantity is one series without labels.
   */
  setExternalMetric(namespace: string, metricName: string, values: Quantity | ExternalMetricValue[]): void {
    const list = Array.isArray(values) ? values.map((v) => ({ ...v })) : [{ value: values }];
    this.#external.set(key(namespace, metricName), { namespace, metric: metricName, values: list });
  }

  deleteExternalMetric(namespace: string, metricName: string): void {
    this.#external.delete(key(namespace, metricName));
  }

  /** Forgets every value set so far (and the request log). */
  clear(): void {
    this.#pods.clear();
    this.#nodes.clear();
    this.#objectMetrics.clear();
    this.#external.clear();
    this.requests.length = 0;
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://metrics.invalid');
    const groupsHeader = req.headers['x-remote-group'];
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      user: headerValue(req.headers['x-remote-user']),
      groups: Array.isArray(groupsHeader) ? groupsHeader : groupsHeader ? [groupsHeader] : [],
      status: 200,
    };
    if (record.user !== 'system:kube-aggregator' && record.user !== 'system:aggregator')
      this.requests.push(record);
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
      }
      const body = await this.#route(url, req.headers.accept ?? '');
      record.status = 200;
      const { contentType, payload } =
        body instanceof AggregatedDiscovery
          ? { contentType: AGGREGATED_DISCOVERY_CONTENT_TYPE, payload: body.doc }
          : { contentType: 'application/json', payload: body };
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(200, {
        'content-type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : contentType,
        'cache-control': 'no-cache, private',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (err) {
      const e =
        err instanceof HttpError
          ? err
          : new HttpError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      record.status = e.code;
      res.writeHead(e.code, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: e.message,
          reason: e.reason,
          code: e.code,
        }),
      );
    }
  }

  async #route(url: URL, accept: string): Promise<unknown> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return 'ok';
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] !== 'apis') throw notFound(`the server could not find the requested resource (${path})`);
    if (segments.length === 1) {
      if (wantsAggregatedDiscovery(accept)) return new AggregatedDiscovery(this.#aggregatedDiscovery());
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: METRICS_GROUPS.map(({ group, version }) => apiGroup(group, version)),
      };
    }
    const group = segments[1];
    const gv = METRICS_GROUPS.find((g) => g.group === group);
    if (!gv) throw notFound(`the server could not find the requested resource (${path})`);
    if (segments.length === 2)
      return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(gv.group, gv.version) };
    if (segments[2] !== gv.version)
      throw notFound(`the server could not find the requested resource (${path})`);
    const rest = segments.slice(3);
    if (rest.length === 0) {
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${gv.group}/${gv.version}`,
        resources: this.#resources(gv.group).map((r) => ({ ...r, singularName: '' })),
      };
    }
    const labelSelector = url.searchParams.get('labelSelector');
    switch (gv.group) {
      case 'metrics.k8s.io':
        return this.#resourceMetrics(rest, labelSelector);
      case 'custom.metrics.k8s.io':
        return this.#customMetrics(rest, labelSelector, url.searchParams.get('metricLabelSelector'));
      default:
        return this.#externalMetrics(rest, labelSelector);
    }
  }

  #resources(group: string): ApiResource[] {
    if (group === 'metrics.k8s.io') {
      return [
        { name: 'nodes', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        { name: 'pods', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ];
    }
    if (group === 'custom.metrics.k8s.io') {
      const seen = new Map<string, ApiResource>();
      for (const e of this.#objectMetrics.values()) {
        const name = `${e.object.resource}/${e.metric}`;
        seen.set(name, {
          name,
          namespaced: e.object.namespace !== undefined,
          kind: 'MetricValueList',
          verbs: ['get'],
        });
      }
      return [...seen.values()];
    }
    const seen = new Map<string, ApiResource>();
    for (const e of this.#external.values()) {
      seen.set(e.metric, {
        name: e.metric,
        namespaced: true,
        kind: 'ExternalMetricValueList',
        verbs: ['get'],
      });
    }
    return [...seen.values()];
  }

  #aggregatedDiscovery(): unknown {
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      metadata: {},
      items: METRICS_GROUPS.map(({ group, version }) => ({
        metadata: { name: group, creationTimestamp: null },
        versions: [
          {
            version,
            freshness: 'Current',
            resources: this.#resources(group).map((r) => ({
              resource: r.name,
              responseKind: { group, version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: '',
              verbs: r.verbs,
            })),
          },
        ],
      })),
    };
  }

  async #labelsOf(resource: string, namespace: string | undefined): Promise<Map<string, Labels>> {
    try {
      return (await this.labelResolver?.(resource, namespace)) ?? new Map();
    } catch {
      return new Map();
    }
  }

  // GET /apis/metrics.k8s.io/v1beta1/{pods | namespaces/NS/pods[/NAME] | nodes[/NAME]}
  async #resourceMetrics(rest: string[], labelSelector: string | null): Promise<unknown> {
    const [a, b, c, d, ...more] = rest;
    const gv = 'metrics.k8s.io/v1beta1';
    const selector = parseSelectorOrBadRequest(labelSelector);
    if (a === 'nodes' && c === undefined) {
      const resolved = b === undefined ? await this.#labelsOf('nodes', undefined) : new Map<string, Labels>();
      const items = [...this.#nodes.entries()]
        .filter(([name]) => b === undefined || name === b)
        .map(([name, e]) => ({ name, e, labels: e.labels ?? resolved.get(key(undefined, name)) ?? {} }))
        .filter(({ labels }) => b !== undefined || selector(labels))
        .map(({ name, e, labels }) => ({
          metadata: { name, creationTimestamp: new Date().toISOString(), labels },
          timestamp: (e.timestamp ?? new Date()).toISOString(),
          window: '30s',
          usage: { cpu: formatQuantity(e.usage.cpu), memory: formatQuantity(e.usage.memory) },
        }));
      if (b !== undefined) {
        const item = items[0];
        if (!item) throw notFound(`nodemetrics.metrics.k8s.io "${b}" not found`, 'NotFound');
        return { kind: 'NodeMetrics', apiVersion: gv, ...item };
      }
      return { kind: 'NodeMetricsList', apiVersion: gv, metadata: {}, items };
    }
    let namespace: string | undefined;
    let name: string | undefined;
    if (a === 'pods' && c === undefined) {
      name = b;
    } else if (a === 'namespaces' && b !== undefined && c === 'pods' && more.length === 0) {
      namespace = b;
      name = d;
    } else {
      throw notFound(`the server could not find the requested resource`);
    }
    const resolved = name === undefined ? await this.#labelsOf('pods', namespace) : new Map<string, Labels>();
    const items = [...this.#pods.values()]
      .filter(
        (p) =>
          (namespace === undefined || p.namespace === namespace) && (name === undefined || p.name === name),
      )
      .map((p) => ({ p, labels: p.entry.labels ?? resolved.get(key(p.namespace, p.name)) ?? {} }))
      .filter(({ labels }) => name !== undefined || selector(labels))
      .sort((x, y) => key(x.p.namespace, x.p.name).localeCompare(key(y.p.namespace, y.p.name)))
      .map(({ p, labels }) => ({
        metadata: {
          name: p.name,
          namespace: p.namespace,
          creationTimestamp: new Date().toISOString(),
          labels,
        },
        timestamp: (p.entry.timestamp ?? new Date()).toISOString(),
        window: p.entry.window,
        containers: p.entry.containers.map((ctr) => ({
          name: ctr.name,
          usage: { cpu: formatQuantity(ctr.cpu), memory: formatQuantity(ctr.memory) },
        })),
      }));
    if (name !== undefined) {
      const item = items[0];
      if (!item) throw notFound(`podmetrics.metrics.k8s.io "${name}" not found`, 'NotFound');
      return { kind: 'PodMetrics', apiVersion: gv, ...item };
    }
    return { kind: 'PodMetricsList', apiVersion: gv, metadata: {}, items };
  }

  // GET /apis/custom.metrics.k8s.io/v1beta2/[namespaces/NS/]RESOURCE/{NAME|*}/METRIC
  async #customMetrics(
    rest: string[],
    labelSelector: string | null,
    metricLabelSelector: string | null,
  ): Promise<unknown> {
    let namespace: string | undefined;
    let parts = rest;
    if (rest[0] === 'namespaces' && rest.length === 5) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    if (parts.length !== 3) throw notFound('the server could not find the requested resource');
    const [resource = '', name = '', metric = ''] = parts;
    const wanted = resource.toLowerCase();
    const selector = parseSelectorOrBadRequest(labelSelector);
    const metricSelector = parseSelectorOrBadRequest(metricLabelSelector);
    const resolved = name === '*' ? await this.#labelsOf(wanted, namespace) : new Map<string, Labels>();
    const matches = [...this.#objectMetrics.values()]
      .filter(
        (e) =>
          e.object.namespace === namespace &&
          e.object.resource === wanted &&
          e.metric === metric &&
          (name === '*' || e.object.name === name) &&
          metricSelector(e.opts.metricLabels ?? {}),
      )
      .filter(
        (e) =>
          name !== '*' ||
          selector(e.opts.objectLabels ?? resolved.get(key(e.object.namespace, e.object.name)) ?? {}),
      )
      .sort((x, y) => x.object.name.localeCompare(y.object.name));
    if (matches.length === 0) {
      const what = name === '*' ? `${resource}` : `${resource} ${name}`;
      throw notFound(`the server could not find the metric ${metric} for ${what}`, 'NotFound');
    }
    return {
      kind: 'MetricValueList',
      apiVersion: 'custom.metrics.k8s.io/v1beta2',
      metadata: {},
      items: matches.map((e) => ({
        describedObject: {
          kind: e.object.kind,
          ...(e.object.namespace !== undefined ? { namespace: e.object.namespace } : {}),
          name: e.object.name,
          apiVersion: coreAwareApiVersion(e.object.apiVersion),
        },
        metric: {
          name: e.metric,
          ...(metricLabelSelector ? { selector: selectorObject(e.opts.metricLabels ?? {}) } : {}),
        },
        timestamp: (e.opts.timestamp ?? new Date()).toISOString(),
        ...(e.opts.windowSeconds !== undefined ? { windowSeconds: e.opts.windowSeconds } : {}),
        value: formatQuantity(e.value),
      })),
    };
  }

  // GET /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/METRIC
  #externalMetrics(rest: string[], labelSelector: string | null): unknown {
    if (rest.length !== 3 || rest[0] !== 'namespaces')
      throw notFound('the server could not find the requested resource');
    const [, namespace = '', metric = ''] = rest;
    const selector = parseSelectorOrBadRequest(labelSelector);
    const entry = this.#external.get(key(namespace, metric));
    if (!entry)
      throw notFound(
        `the server could not find the external metric ${metric} in namespace ${namespace}`,
        'NotFound',
      );
    return {
      kind: 'ExternalMetricValueList',
      apiVersion: 'external.metrics.k8s.io/v1beta1',
      metadata: {},
      items: entry.values
        .filter((v) => selector(v.labels ?? {}))
        .map((v) => ({
          metricName: metric,
          metricLabels: { ...(v.labels ?? {}) },
          timestamp: (v.timestamp ?? new Date()).toISOString(),
          ...(v.windowSeconds !== undefined ? { windowSeconds: v.windowSeconds } : {}),
          value: formatQuantity(v.value),
        })),
    };
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

const AGGREGATED_DISCOVERY_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

class AggregatedDiscovery {
  constructor(readonly doc: unknown) {}
}

function wantsAggregatedDiscovery(accept: string): boolean {
  return accept
    .split(',')
    .some(
      (part) =>
        /g=apidiscovery\.k8s\.io/.test(part) &&
        /v=v2(;|$|\s)/.test(part) &&
        /as=APIGroupDiscoveryList/.test(part),
    );
}

function apiGroup(group: string, version: string): Record<string, unknown> {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

function notFound(message: string, reason = 'NotFound'): HttpError {
  return new HttpError(404, reason, message);
}

function parseSelectorOrBadRequest(selector: string | null): (labels: Labels) => boolean {
  try {
    return parseLabelSelector(selector);
  } catch (err) {
    throw new HttpError(400, 'BadRequest', err instanceof Error ? err.message : String(err));
  }
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function labelKey(labels: Labels | undefined): string {
  return JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

function selectorObject(labels: Labels): unknown {
  return { matchLabels: { ...labels } };
}

/** Metrics adapters write the core group's version as "/v1". */
function coreAwareApiVersion(apiVersion: string | undefined): string {
  const v = apiVersion ?? 'v1';
  return v.includes('/') ? v : `/${v}`;
}

/** Key under which a LabelResolver reports an object: use with the Map it returns. */
export function labelResolverKey(namespace: string | undefined, name: string): string {
  return key(namespace, name);
}
