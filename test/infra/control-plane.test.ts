/**
 * The control-plane loop in the stack: function, schedule, alarms with their Lambda actions, IAM
 * confined to what the config names, cdk-nag.
 */
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import type { TideplaneClusterStack } from '../../infra/cluster-stack';
import type { TideplaneStack } from '../../infra/stack';
import { ACCOUNT, NO_BUNDLING, REGION, vpcCluster } from './support/clusters';
import {
  acknowledgements,
  type Json,
  logicalId,
  regionMessages,
  regionTemplate,
  resource,
  roleStatements,
  single,
} from './support/template';

const LT_A = 'lt-0123456789abcdef0';
const LT_B = 'lt-0fedcba9876543210';
const TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/api/0123456789abcdef`;
const INSTANCE_ROLE = `arn:aws:iam::${ACCOUNT}:role/control-plane-nodes`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:platform-alerts`;

/** A kOps-style control plane: one group per zone, each with its launch template, behind one target group. */
function ec2Cluster(overrides: Json = {}): Json {
  return vpcCluster({
    controlPlane: {
      alarmTopicArn: TOPIC,
      ec2: {
        asgs: ['master-eu-central-1a', 'master-eu-central-1b'],
        launchTemplateIds: [LT_A, LT_B],
        instanceRoleArns: [INSTANCE_ROLE],
        targetGroupArns: [TG],
      },
      latency: {
        cloudwatch: {
          namespace: 'Platform',
          metricName: 'ApiLatencyP99',
          dimensions: { cluster: 'vpc-cluster' },
        },
      },
    },
    ...overrides,
  });
}

function eksCluster(overrides: Json = {}): Json {
  return {
    name: 'eks-cluster',
    access: {
      kind: 'eks',
      clusterName: 'eks-prod',
      endpoint: 'https://ABCDEF0123456789.gr7.eu-central-1.eks.amazonaws.com',
      caData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
    },
    controlPlane: { eks: { clusterName: 'eks-prod' }, ladder: { floor: 'tier-xl' } },
    ...overrides,
  };
}

function config(clusters: Json[]): Json {
  return {
    version: 1,
    accounts: [{ id: ACCOUNT, name: 'platform-prod', regions: [{ name: REGION, clusters }] }],
  };
}

const arnOf = (service: string, resourcePath: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resourcePath}`,
    ],
  ],
});

describe('given an EC2 (kOps-style) control plane and an EKS Provisioned Control Plane', () => {
  let app: App;
  let stack: TideplaneStack;
  let template: Template;

  beforeAll(() => {
    const built = buildApp(
      config([ec2Cluster(), eksCluster(), { ...eksCluster({ name: 'hpa-only' }), controlPlane: undefined }]),
      {
        context: NO_BUNDLING,
      },
    );
    app = built.app;
    stack = single(built.stacks);
    template = regionTemplate(stack);
  });

  const loops = (
    name: string,
  ): Required<
    Pick<TideplaneClusterStack, 'controlPlane' | 'controlPlaneSchedule' | 'controlPlaneAlarms'>
  > => {
    const found = stack.clusters.get(name);
    if (!found?.controlPlane || !found.controlPlaneSchedule || !found.controlPlaneAlarms) {
      throw new Error(`cluster ${name} has no control-plane loop`);
    }
    return {
      controlPlane: found.controlPlane,
      controlPlaneSchedule: found.controlPlaneSchedule,
      controlPlaneAlarms: found.controlPlaneAlarms,
    };
  };

  it('should create the loop only for clusters with controlPlane, scheduled every minute with the cluster as input', () => {
    expect(stack.clusters.get('hpa-only')?.controlPlane).toBeUndefined();
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { controlPlane, controlPlaneSchedule } = loops(name);
      expect(resource(template, controlPlane.function).Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
      });
      expect(resource(template, controlPlaneSchedule.schedule).Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Target: { Input: JSON.stringify({ cluster: name }) },
      });
    }
  });

  it('should let the EC2 control plane’s function change only its groups, templates, launches and target groups', () => {
    const statements = roleStatements(template, loops('vpc-cluster').controlPlane.role);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.ReadControlPlaneAlarms).toMatchObject({
      Action: 'cloudwatch:DescribeAlarms',
      Resource: [
        arnOf('cloudwatch', 'alarm:tideplane-vpc-cluster-control-plane-load-high'),
        arnOf('cloudwatch', 'alarm:tideplane-vpc-cluster-control-plane-latency-high'),
        arnOf('cloudwatch', 'alarm:tideplane-vpc-cluster-control-plane-load-low'),
      ],
    });
    expect(bySid.SwapControlPlaneGroups).toEqual({
      Sid: 'SwapControlPlaneGroups',
      Effect: 'Allow',
      Action: [
        'autoscaling:UpdateAutoScalingGroup',
        'autoscaling:SuspendProcesses',
        'autoscaling:ResumeProcesses',
        'autoscaling:TerminateInstanceInAutoScalingGroup',
      ],
      Resource: [
        arnOf('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/master-eu-central-1a'),
        arnOf('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/master-eu-central-1b'),
      ],
    });
    const templates = [arnOf('ec2', `launch-template/${LT_A}`), arnOf('ec2', `launch-template/${LT_B}`)];
    expect(bySid.VersionControlPlaneTemplates).toMatchObject({
      Action: 'ec2:CreateLaunchTemplateVersion',
      Resource: templates,
    });
    expect(bySid.LaunchFromControlPlaneTemplates).toMatchObject({
      Action: 'ec2:RunInstances',
      Resource: '*',
      Condition: { ArnLike: { 'ec2:LaunchTemplate': templates } },
    });
    expect(bySid.TagControlPlaneLaunches).toMatchObject({
      Action: 'ec2:CreateTags',
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    });
    expect(bySid.DeregisterOldApiServers).toMatchObject({
      Action: 'elasticloadbalancing:DeregisterTargets',
      Resource: TG,
    });
    expect(bySid.PassControlPlaneInstanceRole).toMatchObject({
      Action: 'iam:PassRole',
      Resource: INSTANCE_ROLE,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    // Every mutating action is in a statement that names its resources (or, for RunInstances, conditions them).
    const onEverything = statements.filter((s) => s.Resource === '*' && !s.Condition);
    for (const statement of onEverything) {
      for (const action of [statement.Action].flat()) expect(action).toMatch(/:Describe/);
    }
  });

  it('should let the EKS control plane’s function read and update only its cluster', () => {
    const statements = roleStatements(template, loops('eks-cluster').controlPlane.role);
    const eks = statements.find((s) => s.Sid === 'ScaleEksControlPlaneTier');
    expect(eks).toMatchObject({
      Action: ['eks:DescribeCluster', 'eks:UpdateClusterConfig', 'eks:DescribeUpdate'],
      Resource: arnOf('eks', 'cluster/eks-prod'),
    });
    expect(statements.some((s) => [s.Action].flat().some((a) => a.startsWith('autoscaling:')))).toBe(false);
  });

  it('should alarm on the average CPU of all control-plane groups, high and low, each invoking the function', () => {
    const { controlPlane, controlPlaneAlarms } = loops('vpc-cluster');
    const fnArn = { 'Fn::GetAtt': [logicalId(controlPlane.function), 'Arn'] };
    const high = resource(template, controlPlaneAlarms.loadHigh).Properties as Json;
    expect(high).toMatchObject({
      AlarmName: 'tideplane-vpc-cluster-control-plane-load-high',
      Threshold: 70,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'notBreaching',
      AlarmActions: [fnArn],
      ActionsEnabled: true,
    });
    const metrics = high.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)).toMatchObject({
      Expression: 'AVG([g0, g1])',
      ReturnData: true,
    });
    expect(metrics.filter((m) => m.MetricStat).map((m) => (m.MetricStat as Json).Metric)).toEqual([
      {
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'master-eu-central-1a' }],
      },
      {
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'master-eu-central-1b' }],
      },
    ]);
    expect(resource(template, controlPlaneAlarms.loadLow).Properties).toMatchObject({
      AlarmName: 'tideplane-vpc-cluster-control-plane-load-low',
      Threshold: 25,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 60,
      AlarmActions: [fnArn],
    });
    expect(
      resource(template, controlPlaneAlarms.latencyHigh as NonNullable<typeof controlPlaneAlarms.latencyHigh>)
        .Properties,
    ).toMatchObject({
      AlarmName: 'tideplane-vpc-cluster-control-plane-latency-high',
      Namespace: 'Platform',
      MetricName: 'ApiLatencyP99',
      Threshold: 1,
      AlarmActions: [fnArn],
    });
    // CloudWatch may invoke the function for these alarms only.
    const permissions = Object.values(
      Template.fromStack(Stack.of(controlPlane)).findResources('AWS::Lambda::Permission'),
    ).filter(
      (p) =>
        p.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com' &&
        JSON.stringify(p.Properties.FunctionName).includes(logicalId(controlPlane.function)),
    );
    expect(permissions.map((p) => p.Properties.SourceArn['Fn::GetAtt'][0]).sort()).toEqual(
      [controlPlaneAlarms.loadHigh, controlPlaneAlarms.loadLow, controlPlaneAlarms.latencyHigh]
        .map((a) => logicalId(a as NonNullable<typeof a>))
        .sort(),
    );
  });

  it('should measure EKS load as the seats in use over the current tier’s seats, which the function publishes', () => {
    const high = resource(template, loops('eks-cluster').controlPlaneAlarms.loadHigh).Properties as Json;
    const metrics = high.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)).toMatchObject({ Expression: '100 * seats / capacity' });
    expect(metrics.filter((m) => m.MetricStat).map((m) => (m.MetricStat as Json).Metric)).toEqual([
      {
        Namespace: 'AWS/EKS',
        MetricName: 'apiserver_flowcontrol_current_executing_seats',
        Dimensions: [{ Name: 'ClusterName', Value: 'eks-prod' }],
      },
      {
        Namespace: 'Tideplane',
        MetricName: 'ControlPlaneSeatCapacity',
        Dimensions: [
          { Name: 'cluster', Value: 'eks-cluster' },
          { Name: 'service', Value: 'tideplane-control-plane' },
        ],
      },
    ]);
    expect(loops('eks-cluster').controlPlaneAlarms.latencyHigh).toBeUndefined();
  });

  it('should alarm on failed swaps and notify the configured topic', () => {
    expect(resource(template, loops('vpc-cluster').controlPlaneAlarms.swapFailures).Properties).toMatchObject(
      {
        AlarmName: 'tideplane-vpc-cluster-control-plane-swap-failed',
        MetricName: 'ControlPlaneSwapFailures',
        Namespace: 'Tideplane',
        AlarmActions: [TOPIC],
      },
    );
    expect(
      resource(template, loops('eks-cluster').controlPlaneAlarms.swapFailures).Properties,
    ).not.toHaveProperty('AlarmActions');
  });

  it('should pass cdk-nag AwsSolutions with every control-plane wildcard acknowledged with its reason', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
    const rolePath = loops('vpc-cluster').controlPlane.role.node.path;
    const onRole = acknowledgements(app).filter((ack) => ack.path === rolePath);
    expect(onRole.find((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]')?.reason).toMatch(
      /ec2:LaunchTemplate condition/,
    );
    for (const ack of onRole) expect(ack.reason.length).toBeGreaterThan(40);
    expect(regionMessages(stack)).toEqual({ warnings: [], errors: [] });
  });
});

describe('given a control plane switched off', () => {
  it('should keep function and alarms but disable the schedule and every alarm action', () => {
    const built = buildApp(
      config([ec2Cluster({ controlPlane: { ...(ec2Cluster().controlPlane as Json), enabled: false } })]),
      {
        context: NO_BUNDLING,
      },
    );
    const stack = single(built.stacks);
    const template = regionTemplate(stack);
    const loops = stack.clusters.get('vpc-cluster');
    if (!loops?.controlPlaneSchedule || !loops.controlPlaneAlarms) throw new Error('no control-plane loop');
    expect(resource(template, loops.controlPlaneSchedule.schedule).Properties).toMatchObject({
      State: 'DISABLED',
    });
    for (const alarm of [
      loops.controlPlaneAlarms.loadHigh,
      loops.controlPlaneAlarms.loadLow,
      loops.controlPlaneAlarms.swapFailures,
    ]) {
      expect(resource(template, alarm).Properties).toMatchObject({ ActionsEnabled: false });
    }
  });
});
