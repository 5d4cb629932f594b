import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsUsageMetrics,
  DEFAULT_USAGE_STATISTIC,
  USAGE_PERIOD_SECONDS,
  usageWindow,
} from '../../../../shared/adapters/aws/usage-metrics';
import type { UsageMetric } from '../../../../shared/ports/service-quotas';
import { USAGE_LOOKBACK_MS, UsageMetricsError } from '../../../../shared/ports/usage-metrics';
import { FakeClock } from '../../../support/fake-clock';

const client = new CloudWatchClient({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const cloudWatch = mockClient(client);
const NOW = Date.parse('2026-01-05T10:17:30.250Z');
const adapter = () => new AwsUsageMetrics(client, new FakeClock(NOW));
const inputs = (): GetMetricDataCommandInput[] =>
  cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);

/** The usage metric Service Quotas names for L-1216C47A. */
const VCPUS: UsageMetric = {
  namespace: 'AWS/Usage',
  name: 'ResourceCount',
  dimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
  statistic: 'Maximum',
};

const error = (name: string, message: string, httpStatusCode = 400) =>
  new CloudWatchServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });

beforeEach(() => {
  cloudWatch.reset();
});

describe('usageWindow', () => {
  it('ends at the end of the current minute and looks back an hour', () => {
    expect(usageWindow(NOW)).toEqual({
      start: new Date('2026-01-05T09:18:00.000Z'),
      end: new Date('2026-01-05T10:18:00.000Z'),
    });
  });

  it('given a time on the minute, ends there', () => {
    const onMinute = Date.parse('2026-01-05T10:17:00.000Z');
    expect(usageWindow(onMinute).end.getTime()).toBe(onMinute);
    expect(onMinute - usageWindow(onMinute).start.getTime()).toBe(USAGE_LOOKBACK_MS);
  });
});

describe('AwsUsageMetrics.usage', () => {
  it('asks for the metric with its statistic per minute, newest first, and answers the newest value', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'usage',
          Label: 'ResourceCount',
          Timestamps: [new Date('2026-01-05T10:17:00Z'), new Date('2026-01-05T10:16:00Z')],
          Values: [212, 208],
          StatusCode: 'Complete',
        },
      ],
      Messages: [],
    });
    expect(await adapter().usage(VCPUS)).toBe(212);
    expect(inputs()).toEqual([
      {
        MetricDataQueries: [
          {
            Id: 'usage',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Usage',
                MetricName: 'ResourceCount',
                Dimensions: [
                  { Name: 'Class', Value: 'Standard/OnDemand' },
                  { Name: 'Resource', Value: 'vCPU' },
                  { Name: 'Service', Value: 'EC2' },
                  { Name: 'Type', Value: 'Resource' },
                ],
              },
              Period: USAGE_PERIOD_SECONDS,
              Stat: 'Maximum',
            },
            ReturnData: true,
          },
        ],
        StartTime: new Date('2026-01-05T09:18:00.000Z'),
        EndTime: new Date('2026-01-05T10:18:00.000Z'),
        ScanBy: 'TimestampDescending',
      },
    ]);
  });

  it('uses the statistic Service Quotas recommends, else the peak', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'usage', Values: [3] }] });
    await adapter().usage({ ...VCPUS, statistic: 'Sum' });
    const { statistic: _none, ...withoutStatistic } = VCPUS;
    await adapter().usage(withoutStatistic);
    expect(inputs().map((input) => input.MetricDataQueries?.[0]?.MetricStat?.Stat)).toEqual([
      'Sum',
      DEFAULT_USAGE_STATISTIC,
    ]);
  });

  it('given no datapoints in the hour, answers undefined', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'usage', Timestamps: [], Values: [], StatusCode: 'Complete' }] });
    expect(await adapter().usage(VCPUS)).toBeUndefined();
  });

  it('given an empty first page with a token, follows it to the value', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'usage', Values: [], StatusCode: 'PartialData' }],
        NextToken: 'n2',
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'usage', Values: [17], StatusCode: 'Complete' }] });
    expect(await adapter().usage(VCPUS)).toBe(17);
    expect(inputs()[1]?.NextToken).toBe('n2');
  });

  it.each([
    ['Forbidden', 'Forbidden'],
    ['InternalError', 'Unavailable'],
  ] as const)('given a result with status %s, throws %s', async (statusCode, reason) => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'usage',
          Values: [],
          StatusCode: statusCode,
          Messages: [{ Code: statusCode, Value: 'no access to AWS/Usage' }],
        },
      ],
    });
    await expect(adapter().usage(VCPUS)).rejects.toMatchObject({ name: 'UsageMetricsError', reason });
  });

  it.each([
    [error('Throttling', 'Rate exceeded'), 'Throttled'],
    [error('AccessDenied', 'not authorized to perform: cloudwatch:GetMetricData', 403), 'Forbidden'],
    [error('InvalidParameterValue', 'The value ... for parameter Period is not valid.'), 'Invalid'],
    [error('InternalServiceFault', 'Internal failure', 500), 'Unavailable'],
  ])('maps %s to %s, naming the metric', async (thrown, reason) => {
    cloudWatch.on(GetMetricDataCommand).rejects(thrown);
    const caught = await adapter()
      .usage(VCPUS)
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(UsageMetricsError);
    expect(caught).toMatchObject({
      reason,
      message: `GetMetricData AWS/Usage ResourceCount {Class=Standard/OnDemand,Resource=vCPU,Service=EC2,Type=Resource}: ${thrown.message}`,
    });
  });
});
