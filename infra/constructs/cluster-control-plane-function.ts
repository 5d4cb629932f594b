import { fileURLToPath } from 'node:url';
import { Aws, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { ControlPlaneConfig } from '../../shared/config/control-plane';
import { controlPlaneAlarmNames } from '../../shared/controlplane/alarm-names';
import {
  ClusterLoopFunction,
  type ClusterLoopFunctionOptions,
  type LoopPermission,
} from './cluster-loop-function';

/** The control-plane handler. */
export const CONTROL_PLANE_HANDLER_ENTRY = fileURLToPath(
  new URL('../../functions/control-plane/handler.ts', import.meta.url),
);

/** Powertools service name of the control-plane function's logs and metrics (the handler names it too). */
export const CONTROL_PLANE_SERVICE_NAME = 'tideplane-control-plane';

export interface ClusterControlPlaneFunctionProps extends ClusterLoopFunctionOptions {
  /** @default functions/control-plane/handler.ts of this repository */
  readonly entry?: string;
  /** @default 256 (one tick reads a few AWS resources and the control-plane nodes) */
  readonly memorySize?: number;
  /** @default Duration.seconds(70) */
  readonly timeout?: Duration;
}

function arn(service: string, resource: string, region = Aws.REGION): string {
  return `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`;
}

/** The cdk-nag spelling of a resource ARN built by `arn` (tokens as `<AWS::...>`). */
function nagArn(service: string, resource: string): string {
  return `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
}

/**
 * The IAM statements of the control-plane function: Describe calls (no resource-level permissions) on
 * everything, and every change confined to what the config names — its Auto Scaling groups (by name),
 * its launch templates (by id), launches only from those templates, its target groups, its alarms, its
 * EKS cluster.
 */
export function controlPlanePermissions(cluster: string, settings: ControlPlaneConfig): LoopPermission[] {
  const alarms = controlPlaneAlarmNames(cluster, settings);
  const permissions: LoopPermission[] = [
    {
      statement: new iam.PolicyStatement({
        sid: 'ReadControlPlaneAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [...alarms.high, ...alarms.low].map((name) => arn('cloudwatch', `alarm:${name}`)),
      }),
    },
  ];
  const ec2 = settings.ec2;
  if (ec2) {
    const groupArns = ec2.asgs.map((name) =>
      arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`),
    );
    const templateArns = ec2.launchTemplateIds.map((id) => arn('ec2', `launch-template/${id}`));
    const targetGroups = ec2.targetGroupArns ?? [arn('elasticloadbalancing', 'targetgroup/*/*')];
    permissions.push(
      {
        statement: new iam.PolicyStatement({
          sid: 'DescribeControlPlane',
          actions: [
            'autoscaling:DescribeAutoScalingGroups',
            'autoscaling:DescribeScalingActivities',
            'ec2:DescribeInstanceTypes',
            'ec2:DescribeInstanceTypeOfferings',
            'ec2:DescribeLaunchTemplateVersions',
            'ec2:DescribeInstances',
            'elasticloadbalancing:DescribeTargetHealth',
            'elasticloadbalancing:DescribeTargetGroupAttributes',
          ],
          resources: ['*'],
        }),
        wildcardResourceReason:
          'The Describe actions of the control-plane loop (Auto Scaling groups and activities, instance types ' +
          'and offerings, launch template versions, instances, target health and attributes) support no ' +
          'resource-level permissions (Service Authorization Reference); they are read-only.',
      },
      {
        statement: new iam.PolicyStatement({
          sid: 'SwapControlPlaneGroups',
          actions: [
            'autoscaling:UpdateAutoScalingGroup',
            'autoscaling:SuspendProcesses',
            'autoscaling:ResumeProcesses',
            'autoscaling:TerminateInstanceInAutoScalingGroup',
          ],
          resources: groupArns,
        }),
        acknowledgements: ec2.asgs.map((name) => ({
          id: `AwsSolutions-IAM5[Resource::${nagArn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`)}]`,
          reason: `Auto Scaling group ids are generated (the group's ARN has one); the grant names group ${name} exactly.`,
        })),
      },
      {
        statement: new iam.PolicyStatement({
          sid: 'VersionControlPlaneTemplates',
          actions: ['ec2:CreateLaunchTemplateVersion'],
          resources: templateArns,
        }),
      },
      {
        // Auto Scaling checks that whoever points a group at a template version may launch from it.
        statement: new iam.PolicyStatement({
          sid: 'LaunchFromControlPlaneTemplates',
          actions: ['ec2:RunInstances'],
          resources: ['*'],
          conditions: { ArnLike: { 'ec2:LaunchTemplate': templateArns } },
        }),
        wildcardResourceReason:
          'ec2:RunInstances touches instances, volumes, network interfaces, subnets, security groups and images ' +
          'whose ids are not known at synth; the ec2:LaunchTemplate condition allows it only from the ' +
          'control-plane launch templates (checked by Auto Scaling when a group is pointed at a template version).',
      },
      {
        statement: new iam.PolicyStatement({
          sid: 'TagControlPlaneLaunches',
          actions: ['ec2:CreateTags'],
          resources: [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*')],
          conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
        }),
        acknowledgements: ['instance/*', 'volume/*', 'network-interface/*'].map((resource) => ({
          id: `AwsSolutions-IAM5[Resource::${nagArn('ec2', resource)}]`,
          reason:
            'Tags of the template’s tag specifications are written as instances launch; the ec2:CreateAction ' +
            'condition allows tagging only within RunInstances.',
        })),
      },
      {
        statement: new iam.PolicyStatement({
          sid: 'DeregisterOldApiServers',
          actions: ['elasticloadbalancing:DeregisterTargets'],
          resources: targetGroups,
        }),
        acknowledgements: ec2.targetGroupArns
          ? []
          : [
              {
                id: `AwsSolutions-IAM5[Resource::${nagArn('elasticloadbalancing', 'targetgroup/*/*')}]`,
                reason:
                  'controlPlane.ec2.targetGroupArns is not configured: the target groups are read from the ' +
                  'control-plane groups at run time. Configure them to narrow this grant.',
              },
            ],
      },
    );
    if (ec2.instanceRoleArns.length > 0) {
      permissions.push({
        statement: new iam.PolicyStatement({
          sid: 'PassControlPlaneInstanceRole',
          actions: ['iam:PassRole'],
          resources: ec2.instanceRoleArns,
          conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        }),
      });
    }
  }
  if (settings.eks) {
    const name = settings.eks.clusterName ?? cluster;
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'ScaleEksControlPlaneTier',
        actions: ['eks:DescribeCluster', 'eks:UpdateClusterConfig', 'eks:DescribeUpdate'],
        resources: [arn('eks', `cluster/${name}`)],
      }),
    });
  }
  return permissions;
}

/**
 * The control-plane loop's Lambda function for one cluster: a `ClusterLoopFunction` whose role may read
 * the control plane and change only what the config names (see `controlPlanePermissions`).
 *
 * @example
 * const controlPlane = new ClusterControlPlaneFunction(this, 'ControlPlane', { cluster: resolved, table });
 */
export class ClusterControlPlaneFunction extends ClusterLoopFunction {
  constructor(scope: Construct, id: string, props: ClusterControlPlaneFunctionProps) {
    const cluster = props.cluster.cluster;
    const settings = cluster.controlPlane;
    if (!settings) throw new Error(`cluster ${cluster.name} has no controlPlane config`);
    super(scope, id, {
      ...props,
      entry: props.entry ?? CONTROL_PLANE_HANDLER_ENTRY,
      memorySize: props.memorySize ?? 256,
      loop: 'control-plane',
      configSections: ['controlPlane'],
      serviceName: CONTROL_PLANE_SERVICE_NAME,
      permissions: controlPlanePermissions(cluster.name, settings),
    });
  }
}
