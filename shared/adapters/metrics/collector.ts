/**
 * A collector fetches one kind of custom metric (Prometheus query, JSON from pods, SQS queue length, …).
 * The metric router (router.ts) picks a collector for each HPA metric from kube-metrics-adapter's
 * annotations or conventions, caches identical requests within a tick, bounds concurrency and applies
 * the collector's timeout; a collector only fetches.
 *
 * Contract: `collect` never returns NaN, infinite or negative values — anything it cannot answer is a
 * `MetricError` with a message a person can act on (it ends up on the autoscaler's status). It honours
 * `signal` (the router aborts it at the timeout). It is read-only and idempotent.
 */
import type { CrossVersionObjectReference, LabelSelector } from '../../ports/autoscaling-v2';
import type { Pod } from '../../ports/kubernetes';
import type { MetricResult, PodMetricSample, ScalarSample } from '../../ports/metric-source';

export type CollectorMetricType = 'Pods' | 'Object' | 'External';

export interface CollectorRequest {
  type: CollectorMetricType;
  namespace: string;
  metricName: string;
  metricSelector?: LabelSelector;
  /** `Pods`: the scale target's pod selector (string form). */
  podSelector?: string;
  /** `Pods`: the pods it selects, when the router knows them (JSON from pods needs their IPs). */
  pods?: readonly Pod[];
  /** `Object`: the object the metric describes. */
  describedObject?: CrossVersionObjectReference;
  /**
   * The collector's settings for this metric: the `<key>` → value pairs of the annotations
   * `metric-config.<type>.<metric>.<collector>/<key>` (type lower-case: `pods`, `object`, `external`),
   * plus the metric selector's `matchLabels` where the collector reads settings from there (SQS).
   */
  config: Readonly<Record<string, string>>;
  /** Epoch ms of the tick (a scheduled-scaling collector reads time only from here). */
  now: number;
}

/** `Pods` requests answer per-pod samples; `Object` and `External` answer one or more scalar values. */
export type CollectedValues =
  | { kind: 'pods'; samples: PodMetricSample[] }
  | { kind: 'scalar'; values: ScalarSample[] };

export interface Collector {
  /** kube-metrics-adapter's collector name, e.g. `prometheus`, `json-path`, `sqs-queue-length`. */
  readonly name: string;
  /** Upper bound on one `collect`, in ms (a named constant in the collector's file, configurable). */
  readonly timeoutMs: number;
  /**
   * True for a collector that batches internally (CloudWatch `GetMetricData`, up to 500 queries a call):
   * the router then calls `collect` for all of a tick's requests at once, with no concurrency limit.
   */
  readonly batching?: boolean;
  /** Requests with the same key are fetched once per tick. Include everything the fetch depends on. */
  cacheKey(request: CollectorRequest): string;
  collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>>;
}
