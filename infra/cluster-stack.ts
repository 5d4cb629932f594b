import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { ResolvedCluster } from '../shared/config/load';
import { hasNodePoolGroups } from '../shared/config/node-pools';
import { ClusterControlPlaneFunction } from './constructs/cluster-control-plane-function';
import { ClusterHpaFunction, type LogLevel } from './constructs/cluster-hpa-function';
import { ClusterNodePoolFunction } from './constructs/cluster-node-pool-function';
import { ClusterSchedule, schedulerInvokeRole } from './constructs/cluster-schedule';
import { ClusterVpaFunction } from './constructs/cluster-vpa-function';
import { ControlPlaneAlarms } from './constructs/control-plane-alarms';
import { InstanceEventRules } from './constructs/instance-event-rules';
import { LaunchFailureRule } from './constructs/launch-failure-rule';
import type { StateTable } from './constructs/state-table';

export interface TideplaneClusterStackProps extends StackProps {
  readonly cluster: ResolvedCluster;
  /** The account and region's state table (in the account and region stack). */
  readonly table: StateTable;
  /** The account and region's schedule group (in the account and region stack). */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default functions/hpa/handler.ts of this repository */
  readonly hpaEntry?: string;
}

/**
 * The loops of one cluster in a stack of their own. A cluster with every loop is about 50 resources;
 * CloudFormation takes at most 500 in a stack and 200 outputs, so the account and region stack could hold
 * about ten such clusters. One stack per cluster holds any number, deploys and rolls back one cluster at a
 * time (a broken cluster config fails its own stack only), and lets a new tideplane version go to one
 * cluster first.
 *
 * Construct ids are stable: `Hpa|HpaSchedule` and, for a cluster with `nodePools`,
 * `NodePools|NodePoolsSchedule|NodePoolsLaunchFailures|NodePoolsInstanceEvents`, for one with
 * `controlPlane`, `ControlPlane|ControlPlaneSchedule|ControlPlaneAlarms`, and for one with `vpa`,
 * `Vpa|VpaSchedule`, and `SchedulerRole`, which every schedule of the cluster invokes with, so adding a
 * loop never replaces another's resources.
 */
export class TideplaneClusterStack extends Stack {
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
  /** Every schedule of the cluster invokes its function with this role (one role, not one per loop). */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: TideplaneClusterStackProps) {
    super(scope, id, props);
    // Export and import: CloudFormation refuses to delete or rename the table or the group while a
    // cluster's stack uses it (a weak reference would let a cluster's loops lose their state table).
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { cluster: resolved } = props;
    const { cluster } = resolved;
    this.cluster = resolved;
    const functionOptions = {
      cluster: resolved,
      table: props.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
    };

    this.hpa = new ClusterHpaFunction(this, 'Hpa', {
      ...functionOptions,
      ...(props.hpaEntry ? { entry: props.hpaEntry } : {}),
    });
    new CfnOutput(this, 'HpaRoleArn', {
      value: this.hpa.role.roleArn,
      description: `Role of cluster ${cluster.name}'s HPA function: map it to a Kubernetes identity (EKS access entry or RBAC)`,
    });

    const nodePools = cluster.nodePools;
    if (nodePools) {
      const enabled = cluster.enabled && nodePools.enabled;
      this.nodePools = new ClusterNodePoolFunction(this, 'NodePools', functionOptions);
      const listedGroups = [...new Set(nodePools.pools.flatMap((pool) => pool.asgs))];
      if (hasNodePoolGroups(nodePools)) {
        this.nodePoolsLaunchFailures = new LaunchFailureRule(this, 'NodePoolsLaunchFailures', {
          cluster: cluster.name,
          target: this.nodePools.function,
          ...(nodePools.discoverByTags ? {} : { groupNames: listedGroups }),
          enabled,
        });
        this.nodePoolsInstanceEvents = new InstanceEventRules(this, 'NodePoolsInstanceEvents', {
          cluster: cluster.name,
          target: this.nodePools.function,
          enabled,
        });
      }
      this.outputClusterRoleBinding(
        'NodePoolsRoleArn',
        this.nodePools.role,
        'node-pool',
        'lists nodes, pods, PVCs, PVs, DaemonSets and PDBs; taints and deletes nodes; evicts pods; creates Events',
      );
    }

    const controlPlane = cluster.controlPlane;
    if (controlPlane) {
      this.controlPlane = new ClusterControlPlaneFunction(this, 'ControlPlane', functionOptions);
      this.controlPlaneAlarms = new ControlPlaneAlarms(this, 'ControlPlaneAlarms', {
        cluster: cluster.name,
        settings: controlPlane,
        target: this.controlPlane.function,
        enabled: cluster.enabled && controlPlane.enabled,
      });
      this.outputClusterRoleBinding(
        'ControlPlaneRoleArn',
        this.controlPlane.role,
        'control-plane',
        'lists nodes and kube-system pods; taints and deletes nodes; evicts pods; creates Events',
      );
    }

    const vpa = cluster.vpa;
    if (vpa) {
      this.vpa = new ClusterVpaFunction(this, 'Vpa', functionOptions);
      this.outputClusterRoleBinding(
        'VpaRoleArn',
        this.vpa.role,
        'VPA',
        'lists pods, pod metrics and VPAs; writes VPA status; patches workload pod templates; creates Events',
        ['tideplane', 'tideplane-vpa'],
      );
    }

    const scheduled = [
      { id: 'HpaSchedule', loop: 'hpa', fn: this.hpa, enabled: resolved.hpa.enabled },
      ...(this.nodePools && nodePools
        ? [{ id: 'NodePoolsSchedule', loop: 'node-pools', fn: this.nodePools, enabled: nodePools.enabled }]
        : []),
      ...(this.controlPlane && controlPlane
        ? [
            {
              id: 'ControlPlaneSchedule',
              loop: 'control-plane',
              fn: this.controlPlane,
              enabled: controlPlane.enabled,
            },
          ]
        : []),
      ...(this.vpa && vpa ? [{ id: 'VpaSchedule', loop: 'vpa', fn: this.vpa, enabled: vpa.enabled }] : []),
    ];
    this.schedulerRole = schedulerInvokeRole(this, {
      id: 'SchedulerRole',
      targets: scheduled.map(({ fn }) => fn.function),
      scheduleGroup: props.scheduleGroup,
      sid: 'InvokeLoopFunctions',
      description: `EventBridge Scheduler: invoke the tideplane loops of cluster ${cluster.name}`,
    });
    const schedules = new Map(
      scheduled.map(({ id, loop, fn, enabled }) => [
        loop,
        new ClusterSchedule(this, id, {
          cluster: cluster.name,
          loop,
          target: fn.function,
          enabled: cluster.enabled && enabled,
          scheduleGroup: props.scheduleGroup,
          role: this.schedulerRole,
        }),
      ]),
    );
    this.hpaSchedule = schedules.get('hpa') as ClusterSchedule;
    this.nodePoolsSchedule = schedules.get('node-pools');
    this.controlPlaneSchedule = schedules.get('control-plane');
    this.vpaSchedule = schedules.get('vpa');
  }

  /** The role of a loop function that needs shipped ClusterRoles, as an output to bind it with. */
  private outputClusterRoleBinding(
    id: string,
    role: iam.IRole,
    loop: string,
    rights: string,
    clusterRoles: readonly string[] = ['tideplane'],
  ): void {
    const roles =
      clusterRoles.length === 1
        ? `${clusterRoles[0]} ClusterRole`
        : `${clusterRoles.join(' and ')} ClusterRoles`;
    new CfnOutput(this, id, {
      value: role.roleArn,
      description: `Role of cluster ${this.cluster.cluster.name}'s ${loop} function: bind it to the shipped ${roles} (${rights})`,
    });
  }
}
