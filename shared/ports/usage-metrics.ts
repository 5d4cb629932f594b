/**
 * A quota's current usage, from the CloudWatch metric Service Quotas names for it (`AWS/Usage`, e.g.
 * `ResourceCount` of EC2's vCPUs per instance class). Not every quota has one.
 */
import type { UsageMetric } from './service-quotas';

export type UsageMetricsErrorReason = 'Throttled' | 'Forbidden' | 'Timeout' | 'Invalid' | 'Unavailable';

export class UsageMetricsError extends Error {
  override readonly name = 'UsageMetricsError';
  constructor(
    readonly reason: UsageMetricsErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface UsageMetricsPort {
  /**
   * The newest datapoint of the metric within the last USAGE_LOOKBACK_MS, with the metric's recommended
   * statistic; `undefined` when CloudWatch has none (nothing in use, or the metric is not published).
   * Throws `UsageMetricsError`.
   */
  usage(metric: UsageMetric): Promise<number | undefined>;
}

/** How far back `usage` looks for a datapoint: AWS/Usage metrics are published every minute while in use. */
export const USAGE_LOOKBACK_MS = 60 * 60_000;
