import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * What a loop did in one invocation, as EMF metrics per cluster: its tick count, each counter summed
 * over the ticks, whether the lease was held elsewhere, and any point values the loop adds.
 *
 * @example
 * publishTickMetrics(metrics, response, { Rescales: (t) => t.counts.rescaled });
 */
export function publishTickMetrics<T>(
  metrics: Metrics,
  response: { cluster: string; status: string; ticks: readonly T[] },
  counters: Record<string, (tick: T) => number>,
  values: Record<string, number> = {},
): void {
  metrics.addDimension('cluster', response.cluster);
  metrics.addMetric('Ticks', MetricUnit.Count, response.ticks.length);
  for (const [name, pick] of Object.entries(counters)) {
    metrics.addMetric(
      name,
      MetricUnit.Count,
      response.ticks.reduce((sum, tick) => sum + pick(tick), 0),
    );
  }
  for (const [name, value] of Object.entries(values)) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.addMetric('LeaseHeld', MetricUnit.Count, response.status === 'lease-held' ? 1 : 0);
  metrics.publishStoredMetrics();
}
