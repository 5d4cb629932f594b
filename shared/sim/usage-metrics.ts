/**
 * The simulator's CloudWatch `AWS/Usage` metrics behind the same `UsageMetricsPort` the real adapter
 * implements: the usage metric Service Quotas names for a vCPU quota (`ResourceCount` with `Class`
 * `Standard/OnDemand` and so on, see service-quotas.ts) answers the vCPUs the world's instances of that
 * quota use now (vcpu-limits.ts).
 *
 * What CloudWatch would answer is the peak of the newest minute; the world's count now is that peak
 * whenever the loop asks between launches, which is close enough for a loop that compares it with limits
 * in the hundreds. A metric nothing publishes (another namespace, a class no quota has, a quota without
 * instances) has no datapoints: `undefined`, as EC2 publishes nothing for a class with nothing running.
 */
import type { UsageMetric } from '../ports/service-quotas';
import type { UsageMetricsPort } from '../ports/usage-metrics';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimServiceQuotas } from './service-quotas';
import type { SimVcpuLimits } from './vcpu-limits';

/**
 * @example
 * const usage = new SimUsageMetrics({ quotas, limits });
 * await usage.usage(quotas.definition('L-1216C47A')?.usageMetric); // 96
 */
export class SimUsageMetrics implements UsageMetricsPort {
  private readonly api = new ApiCallRecorder();

  constructor(
    private readonly sources: {
      quotas: Pick<SimServiceQuotas, 'quotaOfUsageMetric'>;
      limits: Pick<SimVcpuLimits, 'inUse'>;
    },
  ) {}

  async usage(metric: UsageMetric): Promise<number | undefined> {
    // The real adapter asks GetMetricData once; a value shows on the first page.
    this.api.call('usage', 'GetMetricData');
    const quota = this.sources.quotas.quotaOfUsageMetric(metric);
    if (!quota) return undefined;
    const inUse = this.sources.limits.inUse(quota.code);
    return inUse > 0 ? inUse : undefined;
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls fail with `error` (default: a generic error), after being counted. */
  failNext(times = 1, error?: ErrorFactory): void {
    this.api.failNext('usage', times, error);
  }
}
