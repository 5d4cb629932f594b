/**
 * `Pods`, `Object` and `External` HPA metrics from the Kubernetes metrics APIs, as upstream's HPA
 * controller reads them:
 *
 *   custom.metrics.k8s.io/v1beta2    Pods:   GET /namespaces/<ns>/pods/*\/<metric>?labelSelector=<pods>&metricLabelSelector=<m>
 *                                    Object: GET /namespaces/<ns>/<resource>/<name>/<metric>?metricLabelSelector=<m>
 *   external.metrics.k8s.io/v1beta1  External: GET /namespaces/<ns>/<metric>?labelSelector=<m>
 *
 * The described object's resource (`deployments.apps`, `services`, `ingresses.networking.k8s.io`) comes
 * from API discovery of its kind. Values are quantities, returned as milli-units; anything that is
 * not a finite, non-negative number, and every failure, becomes a `MetricError` (never NaN).
 */
import type { LabelSelector } from '../../ports/autoscaling-v2';
import {
  type ExternalMetricQuery,
  MetricError,
  type MetricResult,
  type MetricSource,
  type ObjectMetricQuery,
  type PodMetricSample,
  type PodsMetricQuery,
  type ScalarSample,
} from '../../ports/metric-source';
import { selectorFromLabelSelector, selectorToString } from '../../units/label-selector';
import { parseMilli } from '../../units/quantity';
import type { KubeClient } from '../kubernetes/client';
import { ResourceResolver } from '../kubernetes/discovery';
import { httpStatusOf, isTimeout, statusMessage } from '../kubernetes/errors';

export const CUSTOM_METRICS_API = '/apis/custom.metrics.k8s.io/v1beta2';
export const EXTERNAL_METRICS_API = '/apis/external.metrics.k8s.io/v1beta1';
/** The window assumed when a metrics adapter reports none (upstream's metricServerDefaultMetricWindow). */
export const DEFAULT_METRIC_WINDOW_SECONDS = 60;

/**
 * True for kube-apiserver's 404 for a path no API group serves: a plain-text `404 page not found` (the
 * group is not registered) or a Status with the generic message and no details, as opposed to a metrics
 * adapter's Status saying that the metric or object does not exist.
 */
function isUnservedPath(body: unknown): boolean {
  if (body === undefined || typeof body === 'string') return true;
  const status = body as { message?: unknown; details?: object };
  const noDetails = status.details === undefined || Object.keys(status.details).length === 0;
  return status.message === 'the server could not find the requested resource' && noDetails;
}

interface MetricValue {
  describedObject?: { kind?: string; name?: string; namespace?: string; apiVersion?: string };
  metric?: { name?: string };
  timestamp?: string;
  windowSeconds?: number;
  value?: string | number;
}

interface ExternalMetricValue {
  metricName?: string;
  metricLabels?: Record<string, string>;
  timestamp?: string;
  window?: number;
  value?: string | number;
}

interface ValueList<T> {
  items?: T[];
}

export interface KubernetesMetricsApiSourceOptions {
  /** Share the Kubernetes adapter's discovery cache; default: a resolver of this source's own. */
  resolver?: ResourceResolver;
}

const ok = <T>(value: T): MetricResult<T> => ({ ok: true, value });
const fail = <T>(reason: MetricError['reason'], message: string): MetricResult<T> => ({
  ok: false,
  error: new MetricError(reason, message),
});

/** Upstream's custom metrics client rejects what a quantity cannot be; so does this. */
function milliValue(value: string | number | undefined, what: string): number {
  if (value === undefined || value === null) throw new MetricError('Invalid', `${what}: no value`);
  let milli: number;
  try {
    milli = parseMilli(String(value));
  } catch (error) {
    throw new MetricError('Invalid', `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Number.isFinite(milli) || milli < 0)
    throw new MetricError('Invalid', `${what}: ${String(value)} is not a non-negative number`);
  return milli;
}

function epochMs(timestamp: string | undefined, what: string): number {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new MetricError('Invalid', `${what}: invalid timestamp ${JSON.stringify(timestamp)}`);
  return ms;
}

function windowSeconds(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : DEFAULT_METRIC_WINDOW_SECONDS;
}

/** Any failure of a metrics API call as a `MetricError`. */
export function toMetricError(error: unknown, what: string): MetricError {
  if (error instanceof MetricError) return error;
  if (isTimeout(error)) return new MetricError('Timeout', `${what}: timed out`);
  const status = httpStatusOf(error);
  const detail = `${what}: ${statusMessage(error)}`;
  switch (status) {
    case 404:
      return new MetricError(
        isUnservedPath((error as { body?: unknown }).body) ? 'NotServed' : 'NotFound',
        detail,
      );
    case 503:
      return new MetricError('NotServed', detail);
    case 403:
      return new MetricError('Forbidden', detail);
    default:
      return new MetricError('Unavailable', detail);
  }
}

/** A metric selector as a query parameter: its string form, left out when that is empty. */
const selectorQuery = (selector: LabelSelector | undefined): string | undefined => {
  const text = selectorToString(selectorFromLabelSelector(selector));
  return text === '' ? undefined : text;
};

/**
 * `MetricSource` over the custom and external metrics APIs of one cluster.
 *
 * @example
 *   const source = new KubernetesMetricsApiSource(createKubeClient({ server, token, caData }));
 *   const result = await source.getExternalMetric({ namespace: 'shop', metricName: 'queue_depth' });
 *   if (result.ok) console.log(result.value.reduce((sum, s) => sum + s.milliValue, 0));
 */
export class KubernetesMetricsApiSource implements MetricSource {
  private readonly resolver: ResourceResolver;

  constructor(
    private readonly client: KubeClient,
    options: KubernetesMetricsApiSourceOptions = {},
  ) {
    this.resolver = options.resolver ?? new ResourceResolver(client);
  }

  async getPodsMetric(query: PodsMetricQuery): Promise<MetricResult<PodMetricSample[]>> {
    const what = `pods metric ${query.metricName} in ${query.namespace}`;
    try {
      const list = await this.client.request<ValueList<MetricValue>>(
        'GET',
        `${CUSTOM_METRICS_API}/namespaces/${encodeURIComponent(query.namespace)}/pods/*/${encodeURIComponent(query.metricName)}`,
        {
          query: {
            labelSelector: query.podSelector || undefined,
            metricLabelSelector: selectorQuery(query.metricSelector),
          },
        },
      );
      const items = list?.items ?? [];
      if (items.length === 0) return fail('NotFound', `${what}: no metrics returned from custom metrics API`);
      return ok(
        items.map((item) => ({
          podName: item.describedObject?.name ?? '',
          milliValue: milliValue(item.value, `${what}, pod ${item.describedObject?.name}`),
          timestamp: epochMs(item.timestamp, what),
          windowSeconds: windowSeconds(item.windowSeconds),
        })),
      );
    } catch (error) {
      return { ok: false, error: toMetricError(error, what) };
    }
  }

  async getObjectMetric(query: ObjectMetricQuery): Promise<MetricResult<ScalarSample>> {
    const object = query.describedObject;
    const what = `object metric ${query.metricName} of ${object.kind} ${query.namespace}/${object.name}`;
    try {
      const resource = await this.resolver.resolve(object.apiVersion || 'v1', object.kind);
      if (!resource)
        return fail(
          'NotFound',
          `${what}: the API server serves no ${object.kind} in ${object.apiVersion || 'v1'}`,
        );
      const groupResource = resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
      const list = await this.client.request<ValueList<MetricValue>>(
        'GET',
        `${CUSTOM_METRICS_API}/namespaces/${encodeURIComponent(query.namespace)}/${encodeURIComponent(groupResource)}/${encodeURIComponent(object.name)}/${encodeURIComponent(query.metricName)}`,
        { query: { metricLabelSelector: selectorQuery(query.metricSelector) } },
      );
      const items = list?.items ?? [];
      if (items.length === 0) return fail('NotFound', `${what}: no metrics returned from custom metrics API`);
      if (items.length > 1) {
        return fail(
          'Invalid',
          `${what}: the custom metrics API returned ${items.length} results when asked for exactly one`,
        );
      }
      const [item] = items as [MetricValue];
      return ok({ milliValue: milliValue(item.value, what), timestamp: epochMs(item.timestamp, what) });
    } catch (error) {
      return { ok: false, error: toMetricError(error, what) };
    }
  }

  async getExternalMetric(query: ExternalMetricQuery): Promise<MetricResult<ScalarSample[]>> {
    const what = `external metric ${query.metricName} in ${query.namespace}`;
    try {
      const list = await this.client.request<ValueList<ExternalMetricValue>>(
        'GET',
        `${EXTERNAL_METRICS_API}/namespaces/${encodeURIComponent(query.namespace)}/${encodeURIComponent(query.metricName)}`,
        { query: { labelSelector: selectorQuery(query.metricSelector) } },
      );
      const items = list?.items ?? [];
      if (items.length === 0)
        return fail('NotFound', `${what}: no metrics returned from external metrics API`);
      return ok(
        items.map((item) => ({
          milliValue: milliValue(item.value, what),
          timestamp: epochMs(item.timestamp, what),
        })),
      );
    } catch (error) {
      return { ok: false, error: toMetricError(error, what) };
    }
  }
}
