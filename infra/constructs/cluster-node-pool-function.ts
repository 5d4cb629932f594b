import { fileURLToPath } from 'node:url';
import { Aws, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { clusterTag } from '../../shared/nodepools/pools';
import { ClusterLoopFunction, type ClusterLoopFunctionOptions } from './cluster-loop-function';

/** The node-pool handler. */
export const NODE_POOLS_HANDLER_ENTRY = fileURLToPath(
  new URL('../../functions/node-pools/handler.ts', import.meta.url),
);

/** Powertools service name of the node-pool function's logs and metrics (the handler names it too). */
export const NODE_POOLS_SERVICE_NAME = 'tideplane-node-pools';

/**
 * Any Auto Scaling group of this account and region. Group ids are made by Auto Scaling and the names
 * come from the config or from tags at run time, so neither is known at synth; the tag condition is
 * what confines the grant to the cluster's groups.
 */
const ANY_AUTO_SCALING_GROUP = `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*`;

/** The same ARN as cdk-nag prints it in a finding id. */
const ANY_AUTO_SCALING_GROUP_NAG =
  'arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/*';

export interface ClusterNodePoolFunctionProps extends ClusterLoopFunctionOptions {
  /**
   * The handler source file.
   * @default functions/node-pools/handler.ts of this repository
   */
  readonly entry?: string;
  /**
   * Memory in MB (one tick lists the cluster's pods and nodes and simulates scheduling on them).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout: one scheduled run a minute ticks every `nodePools.intervalSeconds`, as the HPA
   * loop does.
   * @default Duration.seconds(70)
   */
  readonly timeout?: Duration;
}

/**
 * The node-pool loop's Lambda function for one cluster: a `ClusterLoopFunction` (role, log group,
 * alarms, VPC attachment, cluster secret and state partition) that may also read Auto Scaling groups,
 * their scaling activities and launch configurations, EC2 instance types and launch template versions
 * (Describe calls, which support no resource-level permissions), and set the desired capacity of and
 * terminate instances in the cluster's groups only: those tagged `k8s.io/cluster-autoscaler/<cluster>`.
 * A group the config lists by name needs that tag too, or Auto Scaling refuses the scale-up or the
 * scale-down (AccessDenied in the function's log). Nothing else mutates a group.
 *
 * Its role also needs a Kubernetes identity (the stack outputs the ARN) that may list nodes, pods,
 * PVCs, PVs and DaemonSets and create Events.
 *
 * @example
 * const nodePools = new ClusterNodePoolFunction(this, 'NodePools', { cluster: resolved, table });
 * new ClusterSchedule(this, 'NodePoolsSchedule', {
 *   cluster: 'kube-prod-1', loop: 'node-pools', target: nodePools.function,
 * });
 */
export class ClusterNodePoolFunction extends ClusterLoopFunction {
  constructor(scope: Construct, id: string, props: ClusterNodePoolFunctionProps) {
    const cluster = props.cluster.cluster.name;
    super(scope, id, {
      ...props,
      entry: props.entry ?? NODE_POOLS_HANDLER_ENTRY,
      loop: 'node-pool',
      configSections: ['nodePools'],
      serviceName: NODE_POOLS_SERVICE_NAME,
      permissions: [
        {
          statement: new iam.PolicyStatement({
            sid: 'DescribeGroupsAndInstanceTypes',
            actions: [
              'autoscaling:DescribeAutoScalingGroups',
              'autoscaling:DescribeScalingActivities',
              'autoscaling:DescribeLaunchConfigurations',
              'ec2:DescribeInstanceTypes',
              'ec2:DescribeLaunchTemplateVersions',
            ],
            resources: ['*'],
          }),
          wildcardResourceReason:
            'The Auto Scaling and EC2 Describe actions of the node-pool loop (groups, scaling activities, ' +
            'launch configurations, instance types, launch template versions) support no resource-level ' +
            'permissions (Service Authorization Reference); they are read-only.',
        },
        {
          // One statement, so scale-down can never reach a group that scale-up cannot. Both actions take
          // the autoScalingGroup resource and the aws:ResourceTag condition key (Service Authorization
          // Reference, Amazon EC2 Auto Scaling).
          statement: new iam.PolicyStatement({
            sid: 'ScaleClusterGroups',
            actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
            resources: [ANY_AUTO_SCALING_GROUP],
            conditions: { Null: { [`aws:ResourceTag/${clusterTag(cluster)}`]: 'false' } },
          }),
          acknowledgements: [
            {
              id: `AwsSolutions-IAM5[Resource::${ANY_AUTO_SCALING_GROUP_NAG}]`,
              reason:
                'Auto Scaling group ids and names are not known at synth time (ids are generated, names come ' +
                'from config or tags at run time); the aws:ResourceTag condition confines SetDesiredCapacity and ' +
                `TerminateInstanceInAutoScalingGroup to groups tagged ${clusterTag(cluster)}.`,
            },
          ],
        },
      ],
    });
  }
}
