import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ALARM_NAMES_PER_CALL,
  AwsAlarms,
  MAX_ALARM_RECORDS,
  recentDatapointsOf,
} from '../../../../shared/adapters/aws/alarms';
import { AlarmsError } from '../../../../shared/ports/alarms';

const client = new CloudWatchClient({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const cloudWatch = mockClient(client);
const adapter = () => new AwsAlarms(client);
const inputs = (): DescribeAlarmsCommandInput[] =>
  cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);

/** StateReasonData as CloudWatch writes it for a threshold crossing (one minute periods, 3 of 3). */
const CROSSED = JSON.stringify({
  version: '1.0',
  queryDate: '2024-05-01T10:03:14.594+0000',
  startDate: '2024-05-01T10:00:00.000+0000',
  statistic: 'Average',
  period: 60,
  recentDatapoints: [81.2, 86.5, 92.75],
  threshold: 80.0,
  evaluatedDatapoints: [
    { timestamp: '2024-05-01T10:02:00.000+0000', sampleCount: 3.0, value: 92.75 },
    { timestamp: '2024-05-01T10:01:00.000+0000', sampleCount: 3.0, value: 86.5 },
    { timestamp: '2024-05-01T10:00:00.000+0000', sampleCount: 3.0, value: 81.2 },
  ],
});

function metricAlarm(name: string, extra: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${name}`,
    StateValue: 'OK',
    StateReason: 'Threshold Crossed: 3 datapoints were not greater than the threshold (80.0).',
    StateUpdatedTimestamp: new Date('2024-05-01T09:00:00Z'),
    MetricName: 'CPUUtilization',
    Namespace: 'AWS/EC2',
    Statistic: 'Average',
    Period: 60,
    EvaluationPeriods: 3,
    Threshold: 80,
    ComparisonOperator: 'GreaterThanThreshold',
    ...extra,
  };
}

beforeEach(() => {
  cloudWatch.reset();
});

describe('recentDatapointsOf', () => {
  it("reads CloudWatch's recentDatapoints, oldest first as written", () => {
    expect(recentDatapointsOf(CROSSED)).toEqual([81.2, 86.5, 92.75]);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['not JSON', 'Threshold Crossed: 3 datapoints'],
    ['truncated JSON', CROSSED.slice(0, 60)],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['an empty object (moto, an alarm never evaluated)', '{}'],
    ['recentDatapoints not a list', '{"recentDatapoints":"81.2,86.5"}'],
    [
      'an insufficient-data change',
      '{"version":"1.0","statistic":"Average","period":60,"recentDatapoints":[]}',
    ],
  ])('given reason data %s, answers no datapoints', (_what, data) => {
    expect(recentDatapointsOf(data)).toEqual([]);
  });

  it('drops entries that are not finite numbers', () => {
    expect(recentDatapointsOf('{"recentDatapoints":[1.5,"2",null,3,{"value":4},1e999]}')).toEqual([1.5, 3]);
  });
});

describe('AwsAlarms.describeAlarms', () => {
  it('asks for the named metric alarms and maps state, change time, threshold and datapoints', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm('kube-1-cp-cpu-high', {
          StateValue: 'ALARM',
          StateReason:
            'Threshold Crossed: 3 out of the last 3 datapoints [92.75 (01/05/24 10:02:00), ...] were greater than the threshold (80.0).',
          StateReasonData: CROSSED,
          StateUpdatedTimestamp: new Date('2024-05-01T10:05:00Z'),
          StateTransitionedTimestamp: new Date('2024-05-01T10:03:14Z'),
        }),
        metricAlarm('kube-1-cp-cpu-low', {
          StateValue: 'INSUFFICIENT_DATA',
          Threshold: 20,
          StateReasonData: undefined,
        }),
      ],
    });
    expect(await adapter().describeAlarms(['kube-1-cp-cpu-high', 'kube-1-cp-cpu-low'])).toEqual([
      {
        name: 'kube-1-cp-cpu-high',
        state: 'ALARM',
        // The last change of StateValue, not a later update of only the evaluation state.
        stateUpdatedAt: Date.parse('2024-05-01T10:03:14Z'),
        threshold: 80,
        recentDatapoints: [81.2, 86.5, 92.75],
      },
      {
        name: 'kube-1-cp-cpu-low',
        state: 'INSUFFICIENT_DATA',
        stateUpdatedAt: Date.parse('2024-05-01T09:00:00Z'),
        threshold: 20,
        recentDatapoints: [],
      },
    ]);
    expect(inputs()).toEqual([
      {
        AlarmNames: ['kube-1-cp-cpu-high', 'kube-1-cp-cpu-low'],
        AlarmTypes: ['MetricAlarm'],
        MaxRecords: MAX_ALARM_RECORDS,
      },
    ]);
  });

  it('given an alarm with garbage reason data (SetAlarmState takes any text), still reports its state', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm('kube-1-cp-cpu-high', { StateValue: 'ALARM', StateReasonData: '{"recentDatapoints":' }),
      ],
    });
    expect(await adapter().describeAlarms(['kube-1-cp-cpu-high'])).toMatchObject([
      { name: 'kube-1-cp-cpu-high', state: 'ALARM', recentDatapoints: [] },
    ]);
  });

  it('given an anomaly-detection alarm (no static threshold), leaves the threshold out', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('band', { Threshold: undefined, ThresholdMetricId: 'ad1' })],
    });
    const [alarm] = await adapter().describeAlarms(['band']);
    expect(alarm).not.toHaveProperty('threshold');
  });

  it('leaves unknown names out and asks nothing for none', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    expect(await adapter().describeAlarms(['no-such-alarm'])).toEqual([]);
    expect(await adapter().describeAlarms([])).toEqual([]);
    expect(inputs()).toHaveLength(1);
  });

  it('follows NextToken', async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [metricAlarm('a')], NextToken: 'page-2' })
      .resolvesOnce({ MetricAlarms: [metricAlarm('b')] });
    expect((await adapter().describeAlarms(['a', 'b'])).map((a) => a.name)).toEqual(['a', 'b']);
    expect(inputs()[1]).toMatchObject({ AlarmNames: ['a', 'b'], NextToken: 'page-2' });
  });

  it(`asks at most ${ALARM_NAMES_PER_CALL} names a call`, async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    const names = Array.from({ length: ALARM_NAMES_PER_CALL + 1 }, (_, i) => `alarm-${i}`);
    await adapter().describeAlarms(names);
    expect(inputs().map((input) => input.AlarmNames?.length)).toEqual([ALARM_NAMES_PER_CALL, 1]);
  });

  it.each([
    ['throttling', 'Throttling', 400, 'Throttled'],
    ['missing permissions', 'AccessDenied', 403, 'Forbidden'],
    ['a 5xx', 'InternalServiceError', 500, 'Unavailable'],
  ] as const)('maps %s to %s', async (_what, name, httpStatusCode, reason) => {
    const error = new CloudWatchServiceException({
      name,
      $fault: httpStatusCode >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode },
      message: 'refused',
    });
    cloudWatch.on(DescribeAlarmsCommand).rejects(error);
    const thrown = await adapter()
      .describeAlarms(['a'])
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AlarmsError);
    expect(thrown).toMatchObject({ reason, message: 'DescribeAlarms: refused' });
    expect((thrown as AlarmsError).cause).toBe(error);
  });
});
