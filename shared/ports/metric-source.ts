/**
 * Metric sources for `Pods`, `Object` and `External` HPA metrics (the `Resource` and `ContainerResource`
 * metrics come from metrics.k8s.io through the Kubernetes port). One implementation per kind of source:
 * the Kubernetes custom/external metrics APIs here; AWS, Prometheus and others in their own files.
 *
 * Contract: a source never returns NaN, an infinite or a negative value. Anything it cannot answer
 * comes back as a `MetricError` with a reason, so the HPA core can report it with upstream's condition.
 * Sources are read-only and idempotent; callers do not retry within a tick.
 */
import type { CrossVersionObjectReference, LabelSelector } from './autoscaling-v2';
import type { Pod } from './kubernetes';

/** Values are milli-units (Kubernetes `MilliValue()`), as the upstream replica calculator uses them. */
export interface PodMetricSample {
  podName: string;
  milliValue: number;
  /** Epoch ms. */
  timestamp: number;
  windowSeconds: number;
}

export interface ScalarSample {
  milliValue: number;
  /** Epoch ms. */
  timestamp: number;
}

export type MetricErrorReason =
  | 'NotServed' // the API or source is not available at all
  | 'NotFound' // the metric, object or series does not exist
  | 'Invalid' // the source answered with something that is not a finite, non-negative number
  | 'Timeout'
  | 'Forbidden'
  | 'Unavailable'; // any other transport or server failure

export class MetricError extends Error {
  override readonly name = 'MetricError';
  constructor(
    readonly reason: MetricErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export type MetricResult<T> = { ok: true; value: T } | { ok: false; error: MetricError };

/**
 * The autoscaler a query is for. Its annotations carry kube-metrics-adapter's collector configuration
 * (`metric-config.<type>.<metric>.<collector>/<key>`), which picks and configures the source.
 */
export interface QueryOrigin {
  namespace: string;
  name: string;
  annotations: Readonly<Record<string, string>>;
}

export interface PodsMetricQuery {
  origin?: QueryOrigin;
  namespace: string;
  metricName: string;
  metricSelector?: LabelSelector;
  /** The scale target's pod selector, string form. */
  podSelector: string;
}

export interface ObjectMetricQuery {
  origin?: QueryOrigin;
  namespace: string;
  describedObject: CrossVersionObjectReference;
  metricName: string;
  metricSelector?: LabelSelector;
}

export interface ExternalMetricQuery {
  origin?: QueryOrigin;
  namespace: string;
  metricName: string;
  metricSelector?: LabelSelector;
}

/** What a source may keep for one tick (the router caches identical queries and indexes pods). */
export interface MetricTickContext {
  /** Epoch ms of the tick. */
  now: number;
  /** Every pod of the cluster, as the tick listed them (JSON-from-pods needs their addresses). */
  pods: readonly Pod[];
}

export interface MetricSource {
  /**
   * Called once at the start of each tick, before any query. A source that caches must drop what it
   * cached in the previous tick here.
   */
  beginTick?(context: MetricTickContext): void;
  /** Per-pod values of a `Pods` metric for the pods matching `podSelector`. */
  getPodsMetric(query: PodsMetricQuery): Promise<MetricResult<PodMetricSample[]>>;
  /** The value of an `Object` metric for one object. */
  getObjectMetric(query: ObjectMetricQuery): Promise<MetricResult<ScalarSample>>;
  /** All series of an `External` metric matching the selector (the HPA sums them). */
  getExternalMetric(query: ExternalMetricQuery): Promise<MetricResult<ScalarSample[]>>;
}
