import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAlarms } from '../../shared/adapters/aws/alarms';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The alarms adapter against moto's CloudWatch: the real wire format of DescribeAlarms, and an alarm's
// StateReasonData as SetAlarmState stored it. moto 5.2.5 does not evaluate alarms (their state changes
// only by SetAlarmState) and does not paginate DescribeAlarms; paging is unit-tested.

const HIGH = 'kube-1-control-plane-cpu-high';
const LOW = 'kube-1-control-plane-cpu-low';

/** StateReasonData in the shape CloudWatch writes on a threshold crossing. */
const CROSSED = JSON.stringify({
  version: '1.0',
  queryDate: '2024-05-01T10:03:14.594+0000',
  startDate: '2024-05-01T10:00:00.000+0000',
  statistic: 'Average',
  period: 60,
  recentDatapoints: [81.2, 86.5, 92.75],
  threshold: 80.0,
  evaluatedDatapoints: [{ timestamp: '2024-05-01T10:02:00.000+0000', sampleCount: 3.0, value: 92.75 }],
});

describe('AwsAlarms against moto', () => {
  let moto: MotoServer;
  let cloudWatch: CloudWatchClient;
  let port: AwsAlarms;

  const putCpuAlarm = (
    name: string,
    threshold: number,
    operator: 'GreaterThanThreshold' | 'LessThanThreshold',
  ) =>
    cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'kube-1-control-plane' }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: threshold,
        ComparisonOperator: operator,
      }),
    );

  beforeAll(async () => {
    moto = await startMoto();
    cloudWatch = new CloudWatchClient(motoClientConfig(moto));
    port = new AwsAlarms(cloudWatch);
    await putCpuAlarm(HIGH, 80, 'GreaterThanThreshold');
    await putCpuAlarm(LOW, 20, 'LessThanThreshold');
  });

  afterAll(async () => {
    cloudWatch?.destroy();
    await moto?.stop();
  });

  it('given fresh alarms, should read their state, threshold and no datapoints', async () => {
    const alarms = await port.describeAlarms([HIGH, LOW]);
    expect(alarms.map((a) => a.name).sort()).toEqual([HIGH, LOW]);
    const low = alarms.find((a) => a.name === LOW);
    // moto starts an alarm in OK with StateReasonData "{}"; CloudWatch starts in INSUFFICIENT_DATA.
    expect(low).toMatchObject({ state: 'OK', threshold: 20, recentDatapoints: [] });
    expect(low?.stateUpdatedAt).toBeGreaterThan(0);
  });

  it('given SetAlarmState with CloudWatch-shaped reason data, should read the state and the datapoints', async () => {
    const before = (await port.describeAlarms([HIGH]))[0]?.stateUpdatedAt ?? 0;
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: HIGH,
        StateValue: 'ALARM',
        StateReason:
          'Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (80.0).',
        StateReasonData: CROSSED,
      }),
    );
    const [high] = await port.describeAlarms([HIGH]);
    expect(high).toMatchObject({
      name: HIGH,
      state: 'ALARM',
      threshold: 80,
      recentDatapoints: [81.2, 86.5, 92.75],
    });
    expect(high?.stateUpdatedAt).toBeGreaterThanOrEqual(before);
  });

  it('given reason data that is not CloudWatch JSON, should still read the state, without datapoints', async () => {
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: LOW,
        StateValue: 'ALARM',
        StateReason: 'set by hand',
        StateReasonData: '{"recentDatapoints": "lots"}',
      }),
    );
    expect((await port.describeAlarms([LOW]))[0]).toMatchObject({ state: 'ALARM', recentDatapoints: [] });
  });

  it('should leave unknown names out', async () => {
    // Composite alarms are left out by AlarmTypes (unit-tested): moto 5.2.5 has no PutCompositeAlarm.
    const alarms = await port.describeAlarms([HIGH, 'no-such-alarm']);
    expect(alarms.map((a) => a.name)).toEqual([HIGH]);
  });
});
