/**
 * Custom and external metrics of the simulated workloads, behind the same `MetricSource` port as the
 * real sources:
 * - Pods metric `requests-per-second`: each running pod's share of its workload's load (0 while not
 *   Ready), as an app exporting a request counter through Prometheus and an adapter would serve it;
 * - Object metric `requests-per-second` on a Service, Ingress or RouteGroup named like a workload, or on
 *   the workload itself: the workload's total load;
 * - External metric `queue-length` with the label `queue=<name>`: the backlog of a queue worker.
 * Anything else is a `NotFound` metric error. Calls are counted like the cluster's, and each method can be
 * told to fail its next N calls with a metric error.
 */
import {
  type ExternalMetricQuery,
  MetricError,
  type MetricErrorReason,
  type MetricResult,
  type MetricSource,
  type ObjectMetricQuery,
  type PodMetricSample,
  type PodsMetricQuery,
  type ScalarSample,
} from '../ports/metric-source';
import {
  parseSelector,
  type Selector,
  selectorFromLabelSelector,
  selectorMatches,
} from '../units/label-selector';
import { ApiCallRecorder, type ApiStats } from './api-calls';
import type { SimCluster } from './cluster';
import { METRICS_RESOLUTION_MS } from './cluster';
import { servedRps } from './load-model';

export const REQUESTS_PER_SECOND_METRIC = 'requests-per-second';
export const QUEUE_LENGTH_METRIC = 'queue-length';
/** The label an External `queue-length` query selects a queue by. */
export const QUEUE_LABEL = 'queue';
/** Kinds that, named like a workload, carry its Object `requests-per-second` metric. */
export const TRAFFIC_OBJECT_KINDS: ReadonlySet<string> = new Set(['Service', 'Ingress', 'RouteGroup']);

type SourceMethod = keyof MetricSource;

function fail<T>(reason: MetricErrorReason, message: string): MetricResult<T> {
  return { ok: false, error: new MetricError(reason, message) };
}

/**
 * @example
 * const metrics = new SimMetrics(cluster);
 * await metrics.getPodsMetric({ namespace: 'shop', metricName: 'requests-per-second', podSelector: 'app=web' });
 */
export class SimMetrics implements MetricSource {
  private readonly api = new ApiCallRecorder();

  constructor(private readonly cluster: SimCluster) {}

  async getPodsMetric(query: PodsMetricQuery): Promise<MetricResult<PodMetricSample[]>> {
    const failure = this.call('getPodsMetric', `get custom.metrics.k8s.io/pods/${query.metricName}`);
    if (failure) return { ok: false, error: failure };
    if (query.metricName !== REQUESTS_PER_SECOND_METRIC) {
      return fail('NotFound', `the server could not find the metric ${query.metricName} for pods`);
    }
    let selector: Selector;
    try {
      selector = parseSelector(query.podSelector);
    } catch (error) {
      return fail('Invalid', (error as Error).message);
    }
    const now = this.cluster.clock.now();
    const samples: PodMetricSample[] = [];
    for (const workload of this.cluster.workloadRecords()) {
      if (workload.namespace !== query.namespace) continue;
      const ready = this.cluster.readyPodCount(workload);
      for (const pod of workload.pods) {
        if (!pod.node || pod.deletedAt !== undefined || !selectorMatches(selector, pod.labels)) continue;
        const scrapedAt = this.cluster.scrapeTime(pod.node, now);
        if (pod.runningAt === undefined || pod.runningAt > scrapedAt) continue;
        const state = this.cluster.stateAtScrape(pod, scrapedAt);
        const rps = state === 'Ready' && ready > 0 ? servedRps(workload, scrapedAt) / ready : 0;
        samples.push({
          podName: pod.name,
          milliValue: Math.round(rps * 1000),
          timestamp: scrapedAt,
          windowSeconds: METRICS_RESOLUTION_MS / 1000,
        });
      }
    }
    return { ok: true, value: samples };
  }

  async getObjectMetric(query: ObjectMetricQuery): Promise<MetricResult<ScalarSample>> {
    const kind = query.describedObject.kind;
    const failure = this.call(
      'getObjectMetric',
      `get custom.metrics.k8s.io/${kind.toLowerCase()}s/${query.metricName}`,
    );
    if (failure) return { ok: false, error: failure };
    if (query.metricName !== REQUESTS_PER_SECOND_METRIC) {
      return fail('NotFound', `the server could not find the metric ${query.metricName} for ${kind}`);
    }
    const workload = this.cluster.workloadRecord(`${query.namespace}/${query.describedObject.name}`);
    if (!workload || (!TRAFFIC_OBJECT_KINDS.has(kind) && workload.kind !== kind)) {
      return fail('NotFound', `${kind} ${query.namespace}/${query.describedObject.name} not found`);
    }
    const now = this.cluster.clock.now();
    const timestamp = Math.floor(now / METRICS_RESOLUTION_MS) * METRICS_RESOLUTION_MS;
    return { ok: true, value: { milliValue: Math.round(servedRps(workload, timestamp) * 1000), timestamp } };
  }

  async getExternalMetric(query: ExternalMetricQuery): Promise<MetricResult<ScalarSample[]>> {
    const failure = this.call('getExternalMetric', `get external.metrics.k8s.io/${query.metricName}`);
    if (failure) return { ok: false, error: failure };
    if (query.metricName !== QUEUE_LENGTH_METRIC) {
      return fail('NotFound', `the server could not find the external metric ${query.metricName}`);
    }
    // No metric selector selects every series, as an empty `labelSelector=` does on the real API.
    let selector: Selector;
    try {
      selector = selectorFromLabelSelector(query.metricSelector ?? {});
    } catch (error) {
      return fail('Invalid', (error as Error).message);
    }
    const timestamp = this.cluster.clock.now();
    const samples: ScalarSample[] = [];
    for (const workload of this.cluster.workloadRecords()) {
      const queue = workload.spec.queue;
      if (!queue || !selectorMatches(selector, { [QUEUE_LABEL]: queue.name })) continue;
      samples.push({ milliValue: Math.round(workload.queueLength * 1000), timestamp });
    }
    if (samples.length === 0) return fail('NotFound', `no series of ${query.metricName} match the selector`);
    return { ok: true, value: samples };
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `method` answer with a `MetricError` of `reason` (after being counted). */
  failNext(method: SourceMethod, times = 1, reason: MetricErrorReason = 'Unavailable'): void {
    this.api.failNext(method, times, (m) => new MetricError(reason, `simulated ${reason} failure of ${m}`));
  }

  private call(method: SourceMethod, request: string): MetricError | undefined {
    this.cluster.sync();
    this.api.record(method, request);
    return this.api.takeFailure(method) as MetricError | undefined;
  }
}
