import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ControlPlaneConfig } from '../../shared/config/control-plane';
import { controlPlaneAlarmNames } from '../../shared/controlplane/alarm-names';
import { METRICS_NAMESPACE } from './cluster-loop-function';

export interface ControlPlaneAlarmsProps {
  readonly cluster: string;
  readonly settings: ControlPlaneConfig;
  /** The cluster's control-plane function: each load alarm invokes it when it goes into ALARM. */
  readonly target: lambda.IFunction;
  /**
   * Whether the alarms act (invoke the function, notify). Kept (actions disabled) when the cluster or
   * loop is switched off.
   * @default true
   */
  readonly enabled?: boolean;
}

const MINUTE = Duration.minutes(1);

/**
 * The load of the control plane, in percent: the average CPU of the control-plane groups' instances
 * (AWS/EC2 by group; one-minute data needs detailed monitoring in the launch template), or for EKS the
 * API request seats in use over the current tier's seats (the function publishes the latter every run).
 */
function loadMetric(cluster: string, settings: ControlPlaneConfig): cloudwatch.IMetric {
  if (settings.ec2) {
    const groups = settings.ec2.asgs.map(
      (name) =>
        new cloudwatch.Metric({
          namespace: 'AWS/EC2',
          metricName: 'CPUUtilization',
          dimensionsMap: { AutoScalingGroupName: name },
          statistic: cloudwatch.Stats.AVERAGE,
          period: MINUTE,
        }),
    );
    if (groups.length === 1) return groups[0] as cloudwatch.Metric;
    const usingMetrics = Object.fromEntries(groups.map((metric, i) => [`g${i}`, metric]));
    return new cloudwatch.MathExpression({
      expression: `AVG([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'control-plane CPU (%)',
      period: MINUTE,
    });
  }
  const eksCluster = settings.eks?.clusterName ?? cluster;
  return new cloudwatch.MathExpression({
    expression: '100 * seats / capacity',
    usingMetrics: {
      seats: new cloudwatch.Metric({
        namespace: 'AWS/EKS',
        metricName: 'apiserver_flowcontrol_current_executing_seats',
        dimensionsMap: { ClusterName: eksCluster },
        statistic: cloudwatch.Stats.SUM,
        period: MINUTE,
      }),
      capacity: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ControlPlaneSeatCapacity',
        dimensionsMap: { cluster, service: 'tideplane-control-plane' },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: MINUTE,
      }),
    },
    label: 'API request seats in use (% of the tier)',
    period: MINUTE,
  });
}

/**
 * The alarms of a cluster's control plane, named by `controlPlaneAlarmNames` so the function reads the
 * same ones: load high for `highMinutes` (→ up), load low for `lowMinutes` (→ down), optionally API
 * latency high (→ up), each invoking the control-plane function as its alarm action; and an alarm on
 * the swaps that rolled back or failed, which notifies `alarmTopicArn` when configured. Missing data is
 * never a reason to swap.
 */
export class ControlPlaneAlarms extends Construct {
  readonly loadHigh: cloudwatch.Alarm;
  readonly loadLow: cloudwatch.Alarm;
  readonly latencyHigh?: cloudwatch.Alarm;
  readonly swapFailures: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ControlPlaneAlarmsProps) {
    super(scope, id);
    const { cluster, settings } = props;
    const enabled = props.enabled ?? true;
    const names = controlPlaneAlarmNames(cluster, settings);
    const load = loadMetric(cluster, settings);
    const invoke = new actions.LambdaAction(props.target, { useUniquePermissionId: true });
    const what = settings.ec2 ? 'CPU of the control-plane instances' : 'API request seats in use';

    this.loadHigh = new cloudwatch.Alarm(this, 'LoadHigh', {
      alarmName: names.high[0] as string,
      alarmDescription: `tideplane: ${what} of ${cluster} above ${settings.cpu.highPercent} % for ${settings.cpu.highMinutes} min (swap up)`,
      metric: load,
      threshold: settings.cpu.highPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: settings.cpu.highMinutes,
      datapointsToAlarm: settings.cpu.highMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      actionsEnabled: enabled,
    });
    this.loadLow = new cloudwatch.Alarm(this, 'LoadLow', {
      alarmName: names.low[0] as string,
      alarmDescription: `tideplane: ${what} of ${cluster} below ${settings.cpu.lowPercent} % for ${settings.cpu.lowMinutes} min (swap down)`,
      metric: load,
      threshold: settings.cpu.lowPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: settings.cpu.lowMinutes,
      datapointsToAlarm: settings.cpu.lowMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      actionsEnabled: enabled,
    });
    this.loadHigh.addAlarmAction(invoke);
    this.loadLow.addAlarmAction(invoke);

    const latency = settings.latency?.cloudwatch;
    if (latency && settings.latency) {
      this.latencyHigh = new cloudwatch.Alarm(this, 'LatencyHigh', {
        alarmName: names.high[1] as string,
        alarmDescription: `tideplane: API latency of ${cluster} above ${settings.latency.highSeconds} s for ${settings.latency.minutes} min (swap up)`,
        metric: new cloudwatch.Metric({
          namespace: latency.namespace,
          metricName: latency.metricName,
          dimensionsMap: latency.dimensions,
          statistic: latency.statistic,
          period: MINUTE,
        }),
        threshold: settings.latency.highSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: settings.latency.minutes,
        datapointsToAlarm: settings.latency.minutes,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        actionsEnabled: enabled,
      });
      this.latencyHigh.addAlarmAction(invoke);
    }

    this.swapFailures = new cloudwatch.Alarm(this, 'SwapFailures', {
      alarmName: `tideplane-${cluster}-control-plane-swap-failed`,
      alarmDescription: `tideplane: a control-plane swap of ${cluster} rolled back or failed (see the function's log and cp#swap)`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ControlPlaneSwapFailures',
        dimensionsMap: { cluster, service: 'tideplane-control-plane' },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      actionsEnabled: enabled,
    });
    if (settings.alarmTopicArn) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn);
      this.swapFailures.addAlarmAction(new actions.SnsAction(topic));
    }
  }
}
