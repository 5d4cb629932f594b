import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { quotaScheduleEvent } from '../../shared/config/quota-event';
import type { QuotaRegion } from '../../shared/config/quota-region';
import { InvokeUnqualified, schedulerInvokeRole } from './cluster-schedule';

/**
 * When the quota loop runs: once a day, at 06:00 UTC. AWS support answers quota requests within hours to
 * days, so a daily look follows them closely enough (the `recheckHours` default is 24), and a pool's new
 * maximum is covered long before it is reached. At 06:00 UTC a request is filed before the working day in
 * Europe and a denial or a new alarm is there when people arrive; any fixed hour would do elsewhere.
 */
export const QUOTA_SCHEDULE = scheduler.ScheduleExpression.cron({ minute: '0', hour: '6' });

/**
 * Scheduler may start the run anywhere in the hour after 06:00. Nothing depends on the minute, and the
 * window lets Scheduler spread the runs of many stacks instead of starting them all at once.
 */
export const QUOTA_SCHEDULE_WINDOW = Duration.hours(1);

/**
 * The schedule `quotas.recheckHours` asks for: daily at 06:00 UTC for 24 h and more (a request is filed at
 * most once a day anyway; longer rechecks are the loop's own), else every `recheckHours` hours, so a
 * shorter recheck is not a setting without effect. The flexible window stays below half the interval.
 *
 * @example quotaScheduleFor(6) // { schedule: rate(6 hours), window: 1 hour }
 */
export function quotaScheduleFor(recheckHours: number): {
  schedule: scheduler.ScheduleExpression;
  window: Duration;
} {
  if (recheckHours >= 24) return { schedule: QUOTA_SCHEDULE, window: QUOTA_SCHEDULE_WINDOW };
  return {
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(recheckHours)),
    window: Duration.minutes(Math.min(QUOTA_SCHEDULE_WINDOW.toMinutes(), (recheckHours * 60) / 2)),
  };
}

export interface RegionQuotaScheduleProps {
  /** The account and region the function runs for; the function receives `{"quotas": "<account>/<region>"}`. */
  readonly region: Pick<QuotaRegion, 'accountId' | 'region' | 'quotas'>;
  /** The region's quota function. */
  readonly target: lambda.IFunction;
  /**
   * Whether the schedule runs. A disabled schedule is kept (state DISABLED), so switching the loop back
   * on is a config change, not a new resource.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * When the loop runs.
   * @default quotaScheduleFor(region.quotas.recheckHours): daily at 06:00 UTC, or every recheckHours
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * How far Scheduler may move a run past its time.
   * @default quotaScheduleFor(region.quotas.recheckHours): 1 hour, or less for a short recheck
   */
  readonly flexibleWindow?: Duration;
  /**
   * The schedule group; the invoking role trusts Scheduler only on behalf of this group.
   * @default the account's `default` group
   */
  readonly scheduleGroup?: scheduler.IScheduleGroup;
}

/**
 * An EventBridge Scheduler schedule that invokes a region's quota function once a day.
 *
 * Scheduler does not retry a failed hand-over (the same policy as the loop schedules; Lambda itself keeps
 * a throttled run for up to an hour), and there is no dead-letter queue: tomorrow's run replaces a lost
 * one, and dropped runs show in the schedule group's `InvocationDroppedCount`. The schedule's own role may
 * only `lambda:InvokeFunction` that function's unqualified ARN, and only Scheduler acting for this account
 * and schedule group may assume it.
 *
 * @example
 * new RegionQuotaSchedule(stack, 'QuotasSchedule', { region, target: quotas.function, scheduleGroup });
 */
export class RegionQuotaSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RegionQuotaScheduleProps) {
    super(scope, id);
    const group = props.scheduleGroup;
    const where = `${props.region.accountId}/${props.region.region}`;
    this.role = schedulerInvokeRole(this, {
      targets: [props.target],
      ...(group ? { scheduleGroup: group } : {}),
      sid: 'InvokeQuotaFunction',
      description: `EventBridge Scheduler: invoke the tideplane quota loop of ${where}`,
    });

    const cadence = quotaScheduleFor(props.region.quotas.recheckHours);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule ?? cadence.schedule,
      target: new InvokeUnqualified(props.target, this.role, { ...quotaScheduleEvent(props.region) }),
      ...(group ? { scheduleGroup: group } : {}),
      enabled: props.enabled ?? true,
      timeWindow: scheduler.TimeWindow.flexible(props.flexibleWindow ?? cadence.window),
      description: `tideplane quota loop of ${where}`,
    });
  }
}
