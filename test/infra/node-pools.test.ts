import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import type { TideplaneClusterStack } from '../../infra/cluster-stack';
import {
  REBALANCE_MAX_EVENT_AGE,
  REBALANCE_RETRY_ATTEMPTS,
  SPOT_WARNING_MAX_EVENT_AGE,
  SPOT_WARNING_RETRY_ATTEMPTS,
  STATE_CHANGE_MAX_EVENT_AGE,
  STATE_CHANGE_RETRY_ATTEMPTS,
} from '../../infra/constructs/instance-event-rules';
import {
  LAUNCH_FAILURE_MAX_EVENT_AGE,
  LAUNCH_FAILURE_RETRY_ATTEMPTS,
} from '../../infra/constructs/launch-failure-rule';
import type { TideplaneStack } from '../../infra/stack';
import { resolvedClusterSchema } from '../../shared/config/load';
import { nodePoolRequestSchema, parseNodePoolEvent } from '../../shared/config/node-pool-event';
import { ACCOUNT, vpcCluster as baseVpcCluster, NO_BUNDLING, REGION, VPC_SECRET } from './support/clusters';
import {
  acknowledgements,
  imported,
  type Json,
  logicalId,
  regionMessages,
  regionTemplate,
  resource,
  roleStatements,
  type Statement,
  single,
} from './support/template';

/** Discovers its groups by tags (the default) and configures one pool on top. */
function vpcCluster(overrides: Json = {}): Json {
  return baseVpcCluster({
    nodePools: {
      pools: [{ name: 'default', asgs: ['vpc-default-a', 'vpc-default-b'], instanceTypes: ['m5.large'] }],
    },
    ...overrides,
  });
}

/** Lists every group itself, so its launch-failure rule names them. */
function eksCluster(overrides: Json = {}): Json {
  return {
    name: 'eks-cluster',
    access: {
      kind: 'eks',
      clusterName: 'eks-cluster',
      endpoint: 'https://ABCDEF0123456789.gr7.eu-central-1.eks.amazonaws.com',
      caData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
    },
    nodePools: {
      discoverByTags: false,
      pools: [
        { name: 'default', asgs: ['eks-default-a', 'eks-default-b', 'eks-default-c'] },
        { name: 'fallback', priority: -10, asgs: ['eks-fallback-a'] },
      ],
    },
    ...overrides,
  };
}

/** The same cluster with the HPA loop only. */
function withoutNodePools(cluster: Json): Json {
  return { ...cluster, nodePools: undefined };
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

const ANY_GROUP_NAG =
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/*]';

describe('given a config with node pools on a VPC cluster (tag discovery) and an EKS cluster (listed groups)', () => {
  let app: App;
  let stack: TideplaneStack;
  let template: Template;

  beforeAll(() => {
    const built = buildApp(
      config([vpcCluster(), eksCluster(), withoutNodePools(eksCluster({ name: 'hpa-only' }))]),
      { context: NO_BUNDLING },
    );
    app = built.app;
    stack = single(built.stacks);
    template = regionTemplate(stack);
  });

  const loops = (name: string): TideplaneClusterStack => {
    const found = stack.clusters.get(name);
    if (!found) throw new Error(`no cluster ${name}`);
    return found;
  };
  const nodePoolsOf = (name: string) => {
    const { nodePools, nodePoolsSchedule, nodePoolsLaunchFailures, nodePoolsInstanceEvents } = loops(name);
    if (!nodePools || !nodePoolsSchedule || !nodePoolsLaunchFailures || !nodePoolsInstanceEvents) {
      throw new Error(`cluster ${name} has no node-pool loop`);
    }
    return { nodePools, nodePoolsSchedule, nodePoolsLaunchFailures, nodePoolsInstanceEvents };
  };

  it('should create a node-pool function per cluster with nodePools, with the handler and env contract', () => {
    template.resourceCountIs('AWS::Lambda::Function', 5);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { nodePools } = nodePoolsOf(name);
      expect(nodePools.node.path).toBe(`${stack.stackName}-${name}/NodePools`);
      const props = resource(template, nodePools.function).Properties as Json & {
        Environment: { Variables: Record<string, unknown> };
      };
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 70,
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': [logicalId(nodePools.role), 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logicalId(nodePools.logGroup) } },
      });
      const variables = props.Environment.Variables;
      expect(Object.keys(variables).sort()).toEqual([
        'NODE_OPTIONS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'TIDEPLANE_CLUSTER',
        'TIDEPLANE_TABLE',
      ]);
      expect(variables.TIDEPLANE_TABLE).toEqual(imported(stack.table.table));
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe('tideplane-node-pools');
      const resolved = resolvedClusterSchema.parse(JSON.parse(variables.TIDEPLANE_CLUSTER as string));
      expect(resolved).toEqual(loops(name).cluster);
      expect(resolved.cluster.nodePools?.pools.length).toBeGreaterThan(0);
    }
    expect(resource(template, nodePoolsOf('vpc-cluster').nodePools.function).Properties).toMatchObject({
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d'], SecurityGroupIds: ['sg-0a1b2c3d'] },
    });
  });

  const describeStatement: Statement = {
    Sid: 'DescribeGroupsAndInstanceTypes',
    Effect: 'Allow',
    Action: [
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeScalingActivities',
      'autoscaling:DescribeLaunchConfigurations',
      'ec2:DescribeInstanceTypes',
      'ec2:DescribeLaunchTemplateVersions',
    ],
    Resource: '*',
  };
  const scaleStatement = (name: string): Statement => ({
    Sid: 'ScaleClusterGroups',
    Effect: 'Allow',
    Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
    Resource: arnOf('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    Condition: { Null: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${name}`]: 'false' } },
  });
  const baseStatements = (name: string): Statement[] => {
    const { nodePools } = nodePoolsOf(name);
    return [
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalId(nodePools.logGroup), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        Resource: imported(stack.table.table, 'Arn'),
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`cluster#${name}`] } },
      },
    ];
  };

  it('should grant the EKS cluster’s function its logs, partition, Describe calls and its tagged groups only', () => {
    const { nodePools } = nodePoolsOf('eks-cluster');
    expect(roleStatements(template, nodePools.role)).toEqual([
      ...baseStatements('eks-cluster'),
      describeStatement,
      scaleStatement('eks-cluster'),
    ]);
  });

  it('should grant the VPC cluster’s function also its secret and the VPC network interfaces', () => {
    const { nodePools } = nodePoolsOf('vpc-cluster');
    const statements = roleStatements(template, nodePools.role);
    expect(statements.slice(0, 5)).toEqual([
      ...baseStatements('vpc-cluster'),
      {
        Sid: 'ReadClusterSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `${VPC_SECRET}-??????`,
      },
      describeStatement,
      scaleStatement('vpc-cluster'),
    ]);
    expect(statements.slice(5).map((s) => s.Sid)).toEqual([
      'CreateVpcNetworkInterfaces',
      'ManageVpcNetworkInterfaces',
      'DescribeVpcNetworkInterfaces',
    ]);
  });

  it('should allow no Auto Scaling mutation but SetDesiredCapacity and terminate, on the same groups under the tag condition, anywhere', () => {
    const mutations = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap((statement) =>
        [statement.Action]
          .flat()
          .filter((action) => action.startsWith('autoscaling:') && !action.startsWith('autoscaling:Describe'))
          .map((action) => ({ action, resource: statement.Resource, condition: statement.Condition })),
      ),
    );
    const anyGroup = arnOf('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*');
    expect(mutations).toEqual(
      ['vpc-cluster', 'eks-cluster'].flatMap((name) =>
        ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'].map(
          (action) => ({
            action,
            resource: anyGroup,
            condition: { Null: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${name}`]: 'false' } },
          }),
        ),
      ),
    );
  });

  it('should send every group’s launch failures to a tag-discovering cluster’s function', () => {
    const { nodePools, nodePoolsLaunchFailures } = nodePoolsOf('vpc-cluster');
    const props = resource(template, nodePoolsLaunchFailures.rule).Properties as Json & {
      Targets: Json[];
    };
    expect(props).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Unsuccessful'],
        account: [{ Ref: 'AWS::AccountId' }],
      },
    });
    expect(Object.keys(props.EventPattern as Json).sort()).toEqual(['account', 'detail-type', 'source']);
    expect(props.EventBusName).toBeUndefined();
    const target = single(props.Targets);
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(nodePools.function), 'Arn'] },
      RetryPolicy: {
        MaximumRetryAttempts: LAUNCH_FAILURE_RETRY_ATTEMPTS,
        MaximumEventAgeInSeconds: LAUNCH_FAILURE_MAX_EVENT_AGE.toSeconds(),
      },
    });
    expect(target.Input).toBeUndefined();
    expect(target.DeadLetterConfig).toBeUndefined();
  });

  it('should send only the listed groups’ launch failures to a cluster that lists every group', () => {
    const { nodePoolsLaunchFailures } = nodePoolsOf('eks-cluster');
    expect(resource(template, nodePoolsLaunchFailures.rule).Properties).toMatchObject({
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Unsuccessful'],
        detail: {
          AutoScalingGroupName: ['eks-default-a', 'eks-default-b', 'eks-default-c', 'eks-fallback-a'],
        },
      },
    });
  });

  it('should let only EventBridge, for that rule, invoke the function from a rule', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 8);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { nodePools, nodePoolsLaunchFailures, nodePoolsInstanceEvents } = nodePoolsOf(name);
      for (const rule of [
        nodePoolsLaunchFailures.rule,
        nodePoolsInstanceEvents.spotInterruptions,
        nodePoolsInstanceEvents.rebalanceRecommendations,
        nodePoolsInstanceEvents.stateChanges,
      ]) {
        template.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          FunctionName: { 'Fn::GetAtt': [logicalId(nodePools.function), 'Arn'] },
          SourceArn: { 'Fn::GetAtt': [logicalId(rule), 'Arn'] },
        });
      }
    }
  });

  it.each([
    [
      'spot interruption warnings',
      'spotInterruptions',
      'EC2 Spot Instance Interruption Warning',
      SPOT_WARNING_RETRY_ATTEMPTS,
      SPOT_WARNING_MAX_EVENT_AGE,
    ],
    [
      'rebalance recommendations',
      'rebalanceRecommendations',
      'EC2 Instance Rebalance Recommendation',
      REBALANCE_RETRY_ATTEMPTS,
      REBALANCE_MAX_EVENT_AGE,
    ],
    [
      'instance state changes',
      'stateChanges',
      'EC2 Instance State-change Notification',
      STATE_CHANGE_RETRY_ATTEMPTS,
      STATE_CHANGE_MAX_EVENT_AGE,
    ],
  ] as const)(
    'should send this account’s EC2 %s to each node-pool function',
    (_what, member, detailType, retries, maxAge) => {
      for (const name of ['vpc-cluster', 'eks-cluster']) {
        const { nodePools, nodePoolsInstanceEvents } = nodePoolsOf(name);
        const rule = nodePoolsInstanceEvents[member];
        expect(rule.node.path).toBe(`${stack.stackName}-${name}/NodePoolsInstanceEvents/${rule.node.id}`);
        const props = resource(template, rule).Properties as Json & { EventPattern: Json; Targets: Json[] };
        expect(props.State).toBe('ENABLED');
        expect(props.EventBusName).toBeUndefined();
        // No group, tag or cluster can be matched: EC2's instance events carry none of them.
        expect(props.EventPattern).toEqual({
          source: ['aws.ec2'],
          'detail-type': [detailType],
          account: [{ Ref: 'AWS::AccountId' }],
          ...(member === 'stateChanges'
            ? { detail: { state: ['stopping', 'stopped', 'shutting-down', 'terminated'] } }
            : {}),
        });
        const target = single(props.Targets);
        expect(target).toMatchObject({
          Arn: { 'Fn::GetAtt': [logicalId(nodePools.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: retries, MaximumEventAgeInSeconds: maxAge.toSeconds() },
        });
        expect(target.Input).toBeUndefined();
        expect(target.DeadLetterConfig).toBeUndefined();
      }
    },
  );

  it('should deliver a spot warning within the two minutes it is worth, or not at all', () => {
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const functionId = logicalId(nodePoolsOf(name).nodePools.function);
      const invokeConfig = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).find(
        (config) => config.Properties.FunctionName?.Ref === functionId,
      );
      // EventBridge's part, then Lambda's asynchronous queue.
      const lambdaQueueSeconds = invokeConfig?.Properties.MaximumEventAgeInSeconds as number;
      expect(invokeConfig?.Properties.MaximumRetryAttempts).toBe(0);
      expect(SPOT_WARNING_MAX_EVENT_AGE.toSeconds() + lambdaQueueSeconds).toBeLessThanOrEqual(120);
    }
  });

  it('should match, per rule, exactly the events the handler parses as that kind', () => {
    const { nodePoolsInstanceEvents } = nodePoolsOf('vpc-cluster');
    const patternOf = (rule: IConstruct) =>
      (resource(template, rule).Properties as { EventPattern: { 'detail-type': string[] } }).EventPattern;
    const kinds = [
      [nodePoolsInstanceEvents.spotInterruptions, 'spot-interruption', { 'instance-action': 'terminate' }],
      [nodePoolsInstanceEvents.rebalanceRecommendations, 'rebalance-recommendation', {}],
      [nodePoolsInstanceEvents.stateChanges, 'instance-state-change', { state: 'terminated' }],
    ] as const;
    for (const [rule, kind, detail] of kinds) {
      const parsed = parseNodePoolEvent({
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        source: 'aws.ec2',
        'detail-type': single(patternOf(rule)['detail-type']),
        account: ACCOUNT,
        time: '2025-06-03T08:00:00Z',
        region: REGION,
        resources: [],
        detail: { 'instance-id': 'i-1234567890abcdef0', ...detail },
      });
      expect(parsed.ok && parsed.event.kind).toBe(kind);
    }
  });

  it('should schedule each node-pool function every minute with its cluster as input', () => {
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { nodePools, nodePoolsSchedule } = nodePoolsOf(name);
      const props = resource(template, nodePoolsSchedule.schedule).Properties as Json & {
        Target: { Input: string };
      };
      expect(props).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        GroupName: stack.resolve(stack.scheduleGroup.scheduleGroupName),
        Description: `tideplane node-pools loop of cluster ${name}`,
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(nodePools.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      });
      expect(JSON.parse(props.Target.Input)).toEqual({ cluster: name });
      expect(nodePoolRequestSchema.parse(JSON.parse(props.Target.Input))).toEqual({ cluster: name });
      // One role for the cluster's schedules, which may invoke that cluster's loop functions only.
      const clusterStack = stack.clusters.get(name);
      expect(nodePoolsSchedule.role).toBe(clusterStack?.schedulerRole);
      expect(clusterStack?.hpaSchedule.role).toBe(clusterStack?.schedulerRole);
      expect(roleStatements(template, nodePoolsSchedule.role)).toEqual([
        {
          Sid: 'InvokeLoopFunctions',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': [logicalId(loops(name).hpa.function), 'Arn'] },
            { 'Fn::GetAtt': [logicalId(nodePools.function), 'Arn'] },
          ],
        },
      ]);
    }
  });

  it('should create nothing of the node-pool loop for a cluster without nodePools', () => {
    const hpaOnly = loops('hpa-only');
    expect(hpaOnly.nodePools).toBeUndefined();
    expect(hpaOnly.nodePoolsSchedule).toBeUndefined();
    expect(hpaOnly.nodePoolsLaunchFailures).toBeUndefined();
    expect(hpaOnly.nodePoolsInstanceEvents).toBeUndefined();
    expect(
      stack.node.findAll().filter((c) => c.node.path.startsWith(`${stack.stackName}-hpa-only/NodePools`)),
    ).toEqual([]);
    template.resourceCountIs('AWS::Events::Rule', 8);
    template.resourceCountIs('AWS::Scheduler::Schedule', 5);
  });

  it('should output each node-pool role with the Kubernetes rights it needs', () => {
    const outputs = Object.values(template.toJSON().Outputs as Record<string, Json>);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const output = outputs.find(
        (o) =>
          JSON.stringify(o.Value) ===
          JSON.stringify({ 'Fn::GetAtt': [logicalId(nodePoolsOf(name).nodePools.role), 'Arn'] }),
      );
      expect(output?.Description).toMatch(/shipped tideplane ClusterRole .*evicts pods/);
    }
  });

  it('should alarm on the node-pool functions’ errors and throttles', () => {
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { nodePools } = nodePoolsOf(name);
      expect(resource(template, nodePools.errorsAlarm).Properties).toMatchObject({
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(nodePools.function) } }],
      });
      expect(resource(template, nodePools.throttlesAlarm).Properties).toMatchObject({
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(nodePools.function) } }],
      });
    }
  });

  it('should pass cdk-nag AwsSolutions with every node-pool wildcard acknowledged with its reason', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
    const acks = acknowledgements(app);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const rolePath = nodePoolsOf(name).nodePools.role.node.path;
      const onRole = acks.filter((ack) => ack.path === rolePath);
      expect(onRole.find((ack) => ack.id === ANY_GROUP_NAG)?.reason).toContain(
        `k8s.io/cluster-autoscaler/${name}`,
      );
      expect(onRole.find((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]')?.reason).toMatch(
        /Describe actions .* support no resource-level permissions/,
      );
    }
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(40);
    expect(regionMessages(stack)).toEqual({ warnings: [], errors: [] });
  });
});

describe('given a cluster or its node-pool loop switched off', () => {
  it('should keep the function but disable its schedule and event rules', () => {
    const built = buildApp(
      config([
        vpcCluster({ enabled: false }),
        eksCluster({ nodePools: { enabled: false, pools: [{ name: 'default', asgs: ['eks-default-a'] }] } }),
      ]),
      { context: NO_BUNDLING },
    );
    const stack = single(built.stacks);
    const template = regionTemplate(stack);
    template.resourceCountIs('AWS::Lambda::Function', 4);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const loops = stack.clusters.get(name);
      if (!loops?.nodePoolsSchedule || !loops.nodePoolsLaunchFailures || !loops.nodePoolsInstanceEvents)
        throw new Error(`no loop for ${name}`);
      const { spotInterruptions, rebalanceRecommendations, stateChanges } = loops.nodePoolsInstanceEvents;
      for (const construct of [
        loops.nodePoolsSchedule.schedule,
        loops.nodePoolsLaunchFailures.rule,
        spotInterruptions,
        rebalanceRecommendations,
        stateChanges,
      ]) {
        expect(resource(template, construct).Properties).toMatchObject({ State: 'DISABLED' });
      }
    }
  });

  it('should make no event rules when no group is listed and none is discovered', () => {
    const built = buildApp(config([eksCluster({ nodePools: { discoverByTags: false } })]), {
      context: NO_BUNDLING,
    });
    const loops = single(built.stacks).clusters.get('eks-cluster');
    expect(loops?.nodePools).toBeDefined();
    expect(loops?.nodePoolsLaunchFailures).toBeUndefined();
    expect(loops?.nodePoolsInstanceEvents).toBeUndefined();
    regionTemplate(single(built.stacks)).resourceCountIs('AWS::Events::Rule', 0);
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });
});

/**
 * The HPA function's resources in its cluster's stack, as every later version must make them: an existing
 * deployment updates them in place, never replaces them (a replaced function would lose its log history
 * and, for a moment, its schedule's target). Each cluster has a stack of its own, so the ids are the same
 * in every one.
 */
const HPA_LOGICAL_IDS = {
  'AWS::Logs::LogGroup': 'HpaLogGroupE428050A',
  'AWS::IAM::Role': 'HpaRole5BCBDA47',
  'AWS::IAM::Policy': 'HpaRoleDefaultPolicyF9803704',
  'AWS::Lambda::Function': 'HpaFunctionF8BFDEFE',
  'AWS::Lambda::EventInvokeConfig': 'HpaFunctionEventInvokeConfig7A0B6FFF',
  ErrorsAlarm: 'HpaErrorsAlarm978DCC84',
  ThrottlesAlarm: 'HpaThrottlesAlarmB9B5F548',
} as const;

describe('the HPA function in its cluster’s stack', () => {
  it.each([
    ['without nodePools', [withoutNodePools(vpcCluster()), withoutNodePools(eksCluster())]],
    ['with nodePools', [vpcCluster(), eksCluster()]],
  ])('should keep its logical ids whatever other loops the cluster has (%s)', (_, clusters) => {
    const stack = single(buildApp(config(clusters), { context: NO_BUNDLING }).stacks);
    for (const [name, loops] of stack.clusters) {
      const resources = Template.fromStack(loops).toJSON().Resources as Record<
        string,
        { Type: string; Properties: Json }
      >;
      const { ErrorsAlarm, ThrottlesAlarm, ...byType } = HPA_LOGICAL_IDS;
      for (const [type, id] of Object.entries(byType))
        expect(resources[id]?.Type, `${name} ${type}`).toBe(type);
      for (const id of [ErrorsAlarm, ThrottlesAlarm])
        expect(resources[id]?.Type).toBe('AWS::CloudWatch::Alarm');
      expect(resources[HPA_LOGICAL_IDS['AWS::Lambda::Function']]?.Properties).toMatchObject({
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'tideplane-hpa' } },
        Description: `tideplane HPA loop for cluster ${name} (${ACCOUNT}/${REGION})`,
      });
    }
  });
});
