import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { ResolvedCluster } from '../shared/config/load';
import type { QuotaRegion } from '../shared/config/quota-region';
import { TideplaneClusterStack } from './cluster-stack';
import type { LogLevel } from './constructs/cluster-hpa-function';
import { RegionQuotaAlarm } from './constructs/region-quota-alarm';
import { RegionQuotaFunction } from './constructs/region-quota-function';
import { RegionQuotaSchedule } from './constructs/region-quota-schedule';
import { StateTable } from './constructs/state-table';

export interface TideplaneStackProps extends StackProps {
  /** The account these clusters live in; the stack itself is environment-agnostic (no `env`). */
  readonly accountId: string;
  /** The region these clusters live in. */
  readonly region: string;
  /** The clusters of this account and region, as `resolveClusters` returns them. */
  readonly clusters: readonly ResolvedCluster[];
  /**
   * The quota loop of this account and region, as `quotaRegionsOf` returns it (the region's `quotas`
   * settings and every cluster's pools and control plane).
   * @default none: no quota function (the region's config has no `quotas`)
   */
  readonly quotaRegion?: QuotaRegion;
  /**
   * Retention of every function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Powertools log level of every function.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * The HPA handler source file (tests point it elsewhere).
   * @default functions/hpa/handler.ts of this repository
   */
  readonly hpaEntry?: string;
}

/** The quota loop of the account and region: one function, its daily schedule and its alarm. */
export interface RegionQuotaLoop {
  readonly region: QuotaRegion;
  readonly function: RegionQuotaFunction;
  readonly schedule: RegionQuotaSchedule;
  readonly alarm: RegionQuotaAlarm;
}

/** The stack of a cluster's loops: `<account and region stack>-<cluster>`. */
export function clusterStackName(regionStackName: string, cluster: string): string {
  return `${regionStackName}-${cluster}`;
}

/**
 * tideplane in one account and region: this stack holds what the clusters share (the state table, the
 * schedule group and its dropped-runs alarm, and, when the region has `quotas`, the region's daily quota
 * loop); each cluster's loops are a `TideplaneClusterStack` of their own beside it
 * (`clusterStackName(...)`), which imports the table and the group, so CloudFormation deploys this stack
 * first. Environment-agnostic: deploy them with credentials of the account and region they name (`npx cdk
 * deploy 'tideplane-<account>-<region>*' -c config=...`).
 *
 * Construct ids are stable: `State`, `Schedules`, `DroppedRunsAlarm` and, when the region has `quotas`,
 * `Quotas|QuotasSchedule|QuotasAlarm`, so adding a cluster or the quota loop never replaces another's
 * resources.
 *
 * @example
 * const stack = new TideplaneStack(app, 'tideplane-prod-eu-central-1', {
 *   accountId: '123456789012', region: 'eu-central-1', clusters: resolveClusters(config),
 * });
 * stack.clusters.get('kube-prod-1')?.hpa.function; // in stack tideplane-prod-eu-central-1-kube-prod-1
 */
export class TideplaneStack extends Stack {
  readonly table: StateTable;
  /** The schedule group of every loop schedule in this stack (its metrics cover exactly tideplane). */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Scheduler gave up on at least one run in 5 minutes (the invoke call itself failed). */
  readonly droppedRunsAlarm: cloudwatch.Alarm;
  /** Every cluster's loops, each in its own stack, by cluster name, in config order. */
  readonly clusters: ReadonlyMap<string, TideplaneClusterStack>;
  /** Present when the region's config has `quotas`. */
  readonly quotas?: RegionQuotaLoop;

  constructor(scope: Construct, id: string, props: TideplaneStackProps) {
    super(scope, id, props);
    for (const resolved of props.clusters) {
      if (resolved.accountId !== props.accountId || resolved.region !== props.region) {
        throw new Error(
          `cluster ${resolved.cluster.name} is in ${resolved.accountId}/${resolved.region}, ` +
            `not in this stack's ${props.accountId}/${props.region}`,
        );
      }
    }

    this.table = new StateTable(this, 'State');
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules');
    this.droppedRunsAlarm = new cloudwatch.Alarm(this, 'DroppedRunsAlarm', {
      metric: this.scheduleGroup.metricDropped({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'EventBridge Scheduler could not invoke a tideplane loop function (check its role and the function)',
    });
    new CfnOutput(this, 'StateTableName', { value: this.table.tableName });

    const clusters = new Map<string, TideplaneClusterStack>();
    for (const resolved of props.clusters) {
      const name = clusterStackName(this.stackName, resolved.cluster.name);
      const clusterStack = new TideplaneClusterStack(scope, name, {
        stackName: name,
        description: `tideplane loops of cluster ${resolved.cluster.name}; the state table and schedule group are in ${this.stackName}`,
        ...(props.tags ? { tags: props.tags } : {}),
        cluster: resolved,
        table: this.table,
        scheduleGroup: this.scheduleGroup,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        ...(props.logLevel ? { logLevel: props.logLevel } : {}),
        ...(props.hpaEntry ? { hpaEntry: props.hpaEntry } : {}),
      });
      clusters.set(resolved.cluster.name, clusterStack);
    }
    this.clusters = clusters;
    if (props.quotaRegion) this.quotas = this.addQuotaLoop(props.quotaRegion, props);
  }

  /**
   * The quota loop of the account and region. `quotas.enabled: false` keeps every resource but disables
   * the schedule and the alarm's actions (as a switched-off cluster loop does), so switching it back on
   * is a config change; a run started by hand answers that the loop is disabled.
   */
  private addQuotaLoop(region: QuotaRegion, props: TideplaneStackProps): RegionQuotaLoop {
    if (region.accountId !== props.accountId || region.region !== props.region) {
      throw new Error(
        `the quotas of ${region.accountId}/${region.region} are not in this stack's ${props.accountId}/${props.region}`,
      );
    }
    const enabled = region.quotas.enabled;
    const quotaFunction = new RegionQuotaFunction(this, 'Quotas', {
      region,
      table: this.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
    });
    const schedule = new RegionQuotaSchedule(this, 'QuotasSchedule', {
      region,
      target: quotaFunction.function,
      enabled,
      scheduleGroup: this.scheduleGroup,
    });
    const alarm = new RegionQuotaAlarm(this, 'QuotasAlarm', { region, enabled });
    return { region, function: quotaFunction, schedule, alarm };
  }
}
