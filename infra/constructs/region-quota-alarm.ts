import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { QuotaRegion } from '../../shared/config/quota-region';
import { METRICS_NAMESPACE } from './cluster-loop-function';

/** The EMF metric the quota function publishes once a run: quotas above the alarm threshold with nothing open. */
export const QUOTA_ALARMS_METRIC = 'QuotaAlarms';

/**
 * The alarm looks at one day, the schedule's cadence: every run's datapoint lands in the window, however
 * far Scheduler's flexible window moves the run.
 */
export const QUOTA_ALARM_PERIOD = Duration.days(1);

export interface RegionQuotaAlarmProps {
  /** The account and region whose quota function publishes `QuotaAlarms` with the dimension `Region`. */
  readonly region: Pick<QuotaRegion, 'accountId' | 'region'>;
  /**
   * Whether the alarm's actions run. Kept (actions disabled) when the loop is switched off.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * The alarm a person acts on: at least one quota of the region is above `quotas.alarmThresholdFraction`
 * of its applied value (usage or demand) and no increase request is open for it — a denied request, a
 * quota the loop may not raise (not adjustable, capped by `maxIncreaseFactor`), or the loop in dry run.
 *
 * It takes the day's Maximum of `Tideplane/QuotaAlarms` (dimension `Region`), which the function publishes
 * on every run, zero included. A day without a datapoint (the run failed or was switched off) keeps the
 * state the last run left: the alarm then stays in ALARM until a run reports the quotas fixed, instead of
 * turning OK because nothing was measured; the function's errors alarm and the schedule group's
 * dropped-runs alarm report missing runs.
 *
 * No alarm action: the `quotas` config names no topic (the control-plane loop's `alarmTopicArn` belongs
 * to a cluster). Route it with `alarm.addAlarmAction(...)` or an EventBridge rule on its state change.
 *
 * @example
 * new RegionQuotaAlarm(stack, 'QuotasAlarm', { region: { accountId: '123456789012', region: 'eu-central-1' } });
 */
export class RegionQuotaAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegionQuotaAlarmProps) {
    super(scope, id);
    const where = `${props.region.accountId}/${props.region.region}`;
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription:
        `tideplane: a quota of ${where} is above its alarm threshold with no increase request open ` +
        '(see the quota function’s log for which, and request it or raise maxRequestValues)',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: QUOTA_ALARMS_METRIC,
        dimensionsMap: { Region: props.region.region },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: QUOTA_ALARM_PERIOD,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      actionsEnabled: props.enabled ?? true,
    });
  }
}
