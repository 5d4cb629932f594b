/**
 * The usage metrics port over a recorded account: each `AWS/Usage` metric's newest datapoint as CloudWatch
 * gave it at the recorded moment. A metric is the same metric when namespace, name and dimensions match;
 * the statistic is how CloudWatch was asked, not which metric, so it is not compared.
 */
import type { UsageMetric } from '../ports/service-quotas';
import type { UsageMetricsPort } from '../ports/usage-metrics';

function sameMetric(a: UsageMetric, b: UsageMetric): boolean {
  const aDimensions = Object.entries(a.dimensions);
  return (
    a.namespace === b.namespace &&
    a.name === b.name &&
    aDimensions.length === Object.keys(b.dimensions).length &&
    aDimensions.every(([name, value]) => b.dimensions[name] === value)
  );
}

/**
 * @example
 * const usage = new RecordedUsageMetrics(recording.usage);
 * await usage.usage(quota.usageMetric); // 1184, or undefined when the recording has no datapoint
 */
export class RecordedUsageMetrics implements UsageMetricsPort {
  constructor(private readonly datapoints: readonly { metric: UsageMetric; value?: number }[]) {}

  async usage(metric: UsageMetric): Promise<number | undefined> {
    return this.datapoints.find((datapoint) => sameMetric(datapoint.metric, metric))?.value;
  }
}
