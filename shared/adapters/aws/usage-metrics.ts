/**
 * The usage metrics port on `@aws-sdk/client-cloudwatch`: a quota's usage from the CloudWatch metric
 * Service Quotas names for it, through `GetMetricData`.
 *
 * The window is the last USAGE_LOOKBACK_MS up to the end of the current minute (so the newest datapoint
 * counts), in periods of USAGE_PERIOD_SECONDS, newest first (`ScanBy: TimestampDescending`): the first value
 * is the answer. The statistic is the one Service Quotas recommends, else DEFAULT_USAGE_STATISTIC, which
 * for a count of resources in use is the peak of the period. Time comes from the clock port.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as a `UsageMetricsError`.
 *
 * IAM: `cloudwatch:GetMetricData`, `Resource: *` (it has no resource-level permissions).
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../ports/clock';
import type { UsageMetric } from '../../ports/service-quotas';
import {
  USAGE_LOOKBACK_MS,
  UsageMetricsError,
  type UsageMetricsErrorReason,
  type UsageMetricsPort,
} from '../../ports/usage-metrics';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** AWS/Usage metrics come once a minute; one period per minute keeps the newest one apart. */
export const USAGE_PERIOD_SECONDS = 60;
/** The statistic when Service Quotas recommends none: resources in use at their peak in the period. */
export const DEFAULT_USAGE_STATISTIC = 'Maximum';
/** Pages followed until a value appears; a page holds thousands of datapoints, an hour has 60. */
export const MAX_USAGE_PAGES = 3;

const QUERY_ID = 'usage';
const MINUTE_MS = 60_000;
const INVALID =
  /^(InvalidParameterValue|InvalidParameterCombination|MissingParameter|InvalidNextToken|ValidationError)(Exception)?$/;

function reasonOf(error: unknown): UsageMetricsErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  if (INVALID.test(awsErrorName(error))) return 'Invalid';
  return 'Unavailable';
}

function metricLabel(metric: UsageMetric): string {
  const dimensions = Object.entries(metric.dimensions)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
  return `${metric.namespace} ${metric.name}${dimensions ? ` {${dimensions}}` : ''}`;
}

export function toUsageMetricsError(metric: UsageMetric, error: unknown): UsageMetricsError {
  if (error instanceof UsageMetricsError) return error;
  return new UsageMetricsError(
    reasonOf(error),
    `GetMetricData ${metricLabel(metric)}: ${awsErrorMessage(error)}`,
    {
      cause: error,
    },
  );
}

/** The window ending at the end of the minute `now` falls in, USAGE_LOOKBACK_MS long. */
export function usageWindow(now: number): { start: Date; end: Date } {
  const end = Math.ceil(now / MINUTE_MS) * MINUTE_MS;
  return { start: new Date(end - USAGE_LOOKBACK_MS), end: new Date(end) };
}

/**
 * @example
 * const port = new AwsUsageMetrics(new CloudWatchClient({ region, ...AUTO_SCALING_CLIENT_RETRY }), systemClock);
 * const vcpus = await port.usage(quota.usageMetric); // 212, or undefined without datapoints
 */
export class AwsUsageMetrics implements UsageMetricsPort {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly clock: Clock,
  ) {}

  async usage(metric: UsageMetric): Promise<number | undefined> {
    const { start, end } = usageWindow(this.clock.now());
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_USAGE_PAGES; page++) {
      const output: GetMetricDataCommandOutput = await this.client
        .send(
          new GetMetricDataCommand({
            MetricDataQueries: [
              {
                Id: QUERY_ID,
                MetricStat: {
                  Metric: {
                    Namespace: metric.namespace,
                    MetricName: metric.name,
                    Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
                  },
                  Period: USAGE_PERIOD_SECONDS,
                  Stat: metric.statistic || DEFAULT_USAGE_STATISTIC,
                },
                ReturnData: true,
              },
            ],
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampDescending',
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toUsageMetricsError(metric, error);
        });
      const result = output.MetricDataResults?.find((r) => r.Id === QUERY_ID);
      if (result?.StatusCode === 'Forbidden' || result?.StatusCode === 'InternalError') {
        const detail = (result.Messages ?? []).map((m) => m.Value ?? m.Code).join('; ');
        throw new UsageMetricsError(
          result.StatusCode === 'Forbidden' ? 'Forbidden' : 'Unavailable',
          `GetMetricData ${metricLabel(metric)}: ${result.StatusCode}${detail ? ` (${detail})` : ''}`,
        );
      }
      const value = result?.Values?.find((v) => Number.isFinite(v));
      if (value !== undefined) return value;
      nextToken = output.NextToken || undefined;
      if (!nextToken) return undefined;
    }
    return undefined;
  }
}
