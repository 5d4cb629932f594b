import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { ResolvedCluster } from '../shared/config/load';
import type { QuotaRegion } from '../shared/config/quota-region';
import { ClusterControlPlaneFunction } from './constructs/cluster-control-plane-function';
import { ClusterHpaFunction, type LogLevel } from './constructs/cluster-hpa-function';
import { ClusterNodePoolFunction } from './constructs/cluster-node-pool-function';
import { ClusterSchedule } from './constructs/cluster-schedule';
import { ClusterVpaFunction } from './constructs/cluster-vpa-function';
import { ControlPlaneAlarms } from './constructs/control-plane-alarms';
import { InstanceEventRules } from './constructs/instance-event-rules';
import { LaunchFailureRule } from './constructs/launch-failure-rule';
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

/** The loops of one cluster (the region's quota loop is the stack's `quotas`). */
export interface ClusterLoops {
  readonly cluster: ResolvedCluster;
  readonly hpa: ClusterHpaFunction;
  readonly hpaSchedule: ClusterSchedule;
  /** Present when the cluster's config has `nodePools`. */
  readonly nodePools?: ClusterNodePoolFunction;
  readonly nodePoolsSchedule?: ClusterSchedule;
  /** Absent also when the config lists no group and discovers none by tags (nothing could fail). */
  readonly nodePoolsLaunchFailures?: LaunchFailureRule;
  /** Absent when the launch-failure rule is (no group, so no node of the loop's to drain or clean up). */
  readonly nodePoolsInstanceEvents?: InstanceEventRules;
  /** Present when the cluster's config has `controlPlane`. */
  readonly controlPlane?: ClusterControlPlaneFunction;
  readonly controlPlaneSchedule?: ClusterSchedule;
  readonly controlPlaneAlarms?: ControlPlaneAlarms;
  /** Present when the cluster's config has `vpa`. */
  readonly vpa?: ClusterVpaFunction;
  readonly vpaSchedule?: ClusterSchedule;
}

/** The quota loop of the account and region: one function, its daily schedule and its alarm. */
export interface RegionQuotaLoop {
  readonly region: QuotaRegion;
  readonly function: RegionQuotaFunction;
  readonly schedule: RegionQuotaSchedule;
  readonly alarm: RegionQuotaAlarm;
}

/**
 * tideplane in one account and region: the state table, per cluster one function and one schedule per
 * loop, and, when the region has `quotas`, the region's daily quota loop. Environment-agnostic: deploy it
 * with credentials of the account and region it names (`npx cdk deploy tideplane-<account>-<region> -c
 * config=...`).
 *
 * Construct ids are stable: `State`, `Schedules`, `Clusters/<cluster>/Hpa|HpaSchedule` and, for a
 * cluster with `nodePools`, `Clusters/<cluster>/NodePools|NodePoolsSchedule|NodePoolsLaunchFailures|
 * NodePoolsInstanceEvents`, and for one with `controlPlane`, `Clusters/<cluster>/ControlPlane|
 * ControlPlaneSchedule|ControlPlaneAlarms`, and for one with `vpa`, `Clusters/<cluster>/Vpa|VpaSchedule`,
 * and, when the region has `quotas`, `Quotas|QuotasSchedule|QuotasAlarm` (the account and region's own,
 * not a cluster's), so adding a cluster or a loop never replaces another's resources.
 *
 * @example
 * const stack = new TideplaneStack(app, 'tideplane-prod-eu-central-1', {
 *   accountId: '123456789012', region: 'eu-central-1', clusters: resolveClusters(config),
 * });
 * stack.clusters.get('kube-prod-1')?.hpa.function;
 */
export class TideplaneStack extends Stack {
  readonly table: StateTable;
  /** The schedule group of every loop schedule in this stack (its metrics cover exactly tideplane). */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Scheduler gave up on at least one run in 5 minutes (the invoke call itself failed). */
  readonly droppedRunsAlarm: cloudwatch.Alarm;
  /** Every cluster's loops, by cluster name, in config order. */
  readonly clusters: ReadonlyMap<string, ClusterLoops>;
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

    const clustersScope = new Construct(this, 'Clusters');
    const clusters = new Map<string, ClusterLoops>();
    for (const resolved of props.clusters) {
      const { cluster } = resolved;
      const scope = new Construct(clustersScope, cluster.name);
      const hpa = new ClusterHpaFunction(scope, 'Hpa', {
        cluster: resolved,
        table: this.table,
        ...(props.hpaEntry ? { entry: props.hpaEntry } : {}),
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      });
      const hpaSchedule = new ClusterSchedule(scope, 'HpaSchedule', {
        cluster: cluster.name,
        loop: 'hpa',
        target: hpa.function,
        enabled: cluster.enabled && resolved.hpa.enabled,
        scheduleGroup: this.scheduleGroup,
      });
      new CfnOutput(scope, 'HpaRoleArn', {
        value: hpa.role.roleArn,
        description: `Role of cluster ${cluster.name}'s HPA function: map it to a Kubernetes identity (EKS access entry or RBAC)`,
      });
      clusters.set(cluster.name, {
        cluster: resolved,
        hpa,
        hpaSchedule,
        ...this.addNodePoolLoop(scope, resolved, props),
        ...this.addControlPlaneLoop(scope, resolved, props),
        ...this.addVpaLoop(scope, resolved, props),
      });
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

  /** The VPA loop of a cluster whose config has `vpa`; nothing for one without. */
  private addVpaLoop(
    scope: Construct,
    resolved: ResolvedCluster,
    props: TideplaneStackProps,
  ): Pick<ClusterLoops, 'vpa' | 'vpaSchedule'> {
    const { cluster } = resolved;
    const settings = cluster.vpa;
    if (!settings) return {};
    const vpa = new ClusterVpaFunction(scope, 'Vpa', {
      cluster: resolved,
      table: this.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
    });
    const vpaSchedule = new ClusterSchedule(scope, 'VpaSchedule', {
      cluster: cluster.name,
      loop: 'vpa',
      target: vpa.function,
      enabled: cluster.enabled && settings.enabled,
      scheduleGroup: this.scheduleGroup,
    });
    new CfnOutput(scope, 'VpaRoleArn', {
      value: vpa.role.roleArn,
      description:
        `Role of cluster ${cluster.name}'s VPA function: bind it to the shipped tideplane ClusterRole ` +
        '(lists pods, pod metrics and VPAs; writes VPA status; patches workload pod templates; creates Events)',
    });
    return { vpa, vpaSchedule };
  }

  /** The control-plane loop of a cluster whose config has `controlPlane`; nothing for one without. */
  private addControlPlaneLoop(
    scope: Construct,
    resolved: ResolvedCluster,
    props: TideplaneStackProps,
  ): Pick<ClusterLoops, 'controlPlane' | 'controlPlaneSchedule' | 'controlPlaneAlarms'> {
    const { cluster } = resolved;
    const settings = cluster.controlPlane;
    if (!settings) return {};
    const enabled = cluster.enabled && settings.enabled;
    const controlPlane = new ClusterControlPlaneFunction(scope, 'ControlPlane', {
      cluster: resolved,
      table: this.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
    });
    const controlPlaneSchedule = new ClusterSchedule(scope, 'ControlPlaneSchedule', {
      cluster: cluster.name,
      loop: 'control-plane',
      target: controlPlane.function,
      enabled,
      scheduleGroup: this.scheduleGroup,
    });
    const controlPlaneAlarms = new ControlPlaneAlarms(scope, 'ControlPlaneAlarms', {
      cluster: cluster.name,
      settings,
      target: controlPlane.function,
      enabled,
    });
    new CfnOutput(scope, 'ControlPlaneRoleArn', {
      value: controlPlane.role.roleArn,
      description:
        `Role of cluster ${cluster.name}'s control-plane function: bind it to the shipped tideplane ClusterRole ` +
        '(lists nodes and kube-system pods; taints and deletes nodes; evicts pods; creates Events)',
    });
    return { controlPlane, controlPlaneSchedule, controlPlaneAlarms };
  }

  /** The node-pool loop of a cluster whose config has `nodePools`; nothing for one without. */
  private addNodePoolLoop(
    scope: Construct,
    resolved: ResolvedCluster,
    props: TideplaneStackProps,
  ): Pick<
    ClusterLoops,
    'nodePools' | 'nodePoolsSchedule' | 'nodePoolsLaunchFailures' | 'nodePoolsInstanceEvents'
  > {
    const { cluster } = resolved;
    const settings = cluster.nodePools;
    if (!settings) return {};
    const enabled = cluster.enabled && settings.enabled;
    const nodePools = new ClusterNodePoolFunction(scope, 'NodePools', {
      cluster: resolved,
      table: this.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
    });
    const nodePoolsSchedule = new ClusterSchedule(scope, 'NodePoolsSchedule', {
      cluster: cluster.name,
      loop: 'node-pools',
      target: nodePools.function,
      enabled,
      scheduleGroup: this.scheduleGroup,
    });
    const listedGroups = [...new Set(settings.pools.flatMap((pool) => pool.asgs))];
    const hasGroups = settings.discoverByTags || listedGroups.length > 0;
    const nodePoolsLaunchFailures = hasGroups
      ? new LaunchFailureRule(scope, 'NodePoolsLaunchFailures', {
          cluster: cluster.name,
          target: nodePools.function,
          ...(settings.discoverByTags ? {} : { groupNames: listedGroups }),
          enabled,
        })
      : undefined;
    const nodePoolsInstanceEvents = hasGroups
      ? new InstanceEventRules(scope, 'NodePoolsInstanceEvents', {
          cluster: cluster.name,
          target: nodePools.function,
          enabled,
        })
      : undefined;
    new CfnOutput(scope, 'NodePoolsRoleArn', {
      value: nodePools.role.roleArn,
      description:
        `Role of cluster ${cluster.name}'s node-pool function: bind it to the shipped tideplane ClusterRole ` +
        '(lists nodes, pods, PVCs, PVs, DaemonSets and PDBs; taints and deletes nodes; evicts pods; creates Events)',
    });
    return {
      nodePools,
      nodePoolsSchedule,
      ...(nodePoolsLaunchFailures ? { nodePoolsLaunchFailures } : {}),
      ...(nodePoolsInstanceEvents ? { nodePoolsInstanceEvents } : {}),
    };
  }
}
