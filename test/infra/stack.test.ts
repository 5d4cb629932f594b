import { type App, Token } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp, InvalidConfigError, stackNameFor } from '../../infra/build-app';
import {
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  secretResourceArn,
} from '../../infra/constructs/cluster-hpa-function';
import type { TideplaneStack } from '../../infra/stack';
import { hpaEventSchema } from '../../shared/config/hpa-event';
import { hpaSettingsSchema } from '../../shared/config/hpa-settings';
import { clusterSchema } from '../../shared/config/schema';
import { ACCOUNT, NO_BUNDLING, REGION, VPC_SECRET, vpcCluster } from './support/clusters';
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

function eksCluster(overrides: Json = {}, caData = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=='): Json {
  return {
    name: 'eks-cluster',
    access: {
      kind: 'eks',
      clusterName: 'eks-cluster',
      endpoint: 'https://ABCDEF0123456789.gr7.eu-central-1.eks.amazonaws.com',
      caData,
    },
    dryRun: true,
    hpa: { intervalSeconds: 10 },
    ...overrides,
  };
}

function account(id: string, name: string | undefined, regions: Record<string, Json[]>): Json {
  return {
    id,
    ...(name ? { name } : {}),
    regions: Object.entries(regions).map(([region, clusters]) => ({ name: region, clusters })),
  };
}

/** Two clusters: one in a VPC reached by kubeconfig, one EKS cluster in dry-run. */
function twoClusters(clusters: Json[] = [vpcCluster(), eksCluster()]): Json {
  return { version: 1, accounts: [account(ACCOUNT, 'platform-prod', { [REGION]: clusters })] };
}

/** What the handler parses `TIDEPLANE_CLUSTER` with: the config's own schemas. */
const resolvedClusterSchema = z
  .object({ accountId: z.string(), region: z.string(), cluster: clusterSchema, hpa: hpaSettingsSchema })
  .strict();

const partitionArn = (resourcePath: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resourcePath}`,
    ],
  ],
});

describe('given a config with a VPC cluster (kubeconfig) and an EKS cluster (dry-run) in one region', () => {
  let app: App;
  let stack: TideplaneStack;
  let template: Template;

  beforeAll(() => {
    const built = buildApp(twoClusters(), { context: NO_BUNDLING });
    app = built.app;
    stack = single(built.stacks);
    template = regionTemplate(stack);
  });

  const cluster = (name: string) => {
    const loops = stack.clusters.get(name);
    if (!loops) throw new Error(`no cluster ${name}`);
    return loops;
  };

  it('should build one environment-agnostic stack named after the account and region', () => {
    expect(stack.stackName).toBe('tideplane-platform-prod-eu-central-1');
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    expect(stack.templateOptions.description).toContain(
      `account platform-prod (${ACCOUNT}), region ${REGION}`,
    );
    expect([...stack.clusters.keys()]).toEqual(['vpc-cluster', 'eks-cluster']);
  });

  it('should put each cluster’s loops in a stack of its own, deployed after this one', () => {
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const loops = cluster(name);
      expect(loops.stackName).toBe(`tideplane-platform-prod-eu-central-1-${name}`);
      expect(Token.isUnresolved(loops.account)).toBe(true);
      expect(loops.dependencies).toEqual([stack]);
      expect(loops.templateOptions.description).toContain(`cluster ${name}`);
    }
    expect(stack.dependencies).toEqual([]);
  });

  it('should create the state table: pk/sk strings, TTL on expiresAt, on-demand, PITR, SSE, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key: KMS with the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('should create one nodejs24.x arm64 function per cluster with the env contract', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const fn = resource(template, cluster(name).hpa.function);
      const props = fn.Properties as Json & { Environment: { Variables: Record<string, unknown> } };
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 70,
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: logicalId(cluster(name).hpa.logGroup) } },
      });
      expect(props.ReservedConcurrentExecutions).toBeUndefined();
      expect(props.TracingConfig).toBeUndefined();
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
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe('tideplane-hpa');
      expect(variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Tideplane');
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
      const resolved = resolvedClusterSchema.parse(JSON.parse(variables.TIDEPLANE_CLUSTER as string));
      expect(resolved).toMatchObject({ accountId: ACCOUNT, region: REGION, cluster: { name } });
    }
    const eks = resource(template, cluster('eks-cluster').hpa.function).Properties as Json & {
      Environment: { Variables: { TIDEPLANE_CLUSTER: string } };
    };
    const resolvedEks = resolvedClusterSchema.parse(JSON.parse(eks.Environment.Variables.TIDEPLANE_CLUSTER));
    expect(resolvedEks.cluster.dryRun).toBe(true);
    expect(resolvedEks.hpa.intervalSeconds).toBe(10);
  });

  it('should put only the VPC cluster’s function in its VPC', () => {
    expect(resource(template, cluster('vpc-cluster').hpa.function).Properties).toMatchObject({
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d'], SecurityGroupIds: ['sg-0a1b2c3d'] },
    });
    expect(
      (resource(template, cluster('eks-cluster').hpa.function).Properties as Json).VpcConfig,
    ).toBeUndefined();
    // Imported by id: nothing VPC-shaped is created.
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('should not retry asynchronous invocations: the next minute replaces them', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
    template.allResourcesProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('should schedule each cluster’s function every minute with its name as input', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { hpa, hpaSchedule } = cluster(name);
      const props = resource(template, hpaSchedule.schedule).Properties as Json & {
        Target: { Input: string; DeadLetterConfig?: unknown };
      };
      expect(props).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        GroupName: stack.resolve(stack.scheduleGroup.scheduleGroupName),
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(hpa.function), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [logicalId(hpaSchedule.role), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      });
      expect(props.Target.DeadLetterConfig).toBeUndefined();
      expect(JSON.parse(props.Target.Input)).toEqual({ cluster: name });
      expect(hpaEventSchema.parse(JSON.parse(props.Target.Input))).toEqual({ cluster: name });
    }
  });

  it('should let the schedule role only invoke its cluster’s function, assumed only by Scheduler for this group', () => {
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { hpa, hpaSchedule } = cluster(name);
      expect(roleStatements(template, hpaSchedule.role)).toEqual([
        {
          Sid: 'InvokeLoopFunctions',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [logicalId(hpa.function), 'Arn'] },
        },
      ]);
      expect(resource(template, hpaSchedule.role).Properties).toMatchObject({
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                  'aws:SourceArn': imported(stack.scheduleGroup, 'Arn'),
                },
              },
            },
          ],
        },
      });
    }
  });

  const tableStatement = (name: string): Statement => ({
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
  });
  const logsStatement = (name: string): Statement => ({
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: { 'Fn::GetAtt': [logicalId(cluster(name).hpa.logGroup), 'Arn'] },
  });

  it('should grant the VPC cluster’s function exactly its logs, partition, secret and network interfaces', () => {
    expect(roleStatements(template, cluster('vpc-cluster').hpa.role)).toEqual([
      logsStatement('vpc-cluster'),
      tableStatement('vpc-cluster'),
      {
        Sid: 'ReadClusterSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `${VPC_SECRET}-??????`,
      },
      {
        Sid: 'CreateVpcNetworkInterfaces',
        Effect: 'Allow',
        Action: 'ec2:CreateNetworkInterface',
        Resource: [
          partitionArn('network-interface/*'),
          partitionArn('subnet/subnet-0a1b2c3d'),
          partitionArn('subnet/subnet-1a2b3c4d'),
          partitionArn('security-group/sg-0a1b2c3d'),
        ],
      },
      {
        Sid: 'ManageVpcNetworkInterfaces',
        Effect: 'Allow',
        Action: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: partitionArn('network-interface/*'),
      },
      {
        Sid: 'DescribeVpcNetworkInterfaces',
        Effect: 'Allow',
        Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        Resource: '*',
      },
    ]);
  });

  it('should grant the EKS cluster’s function only its logs and partition (EKS access is a cluster mapping)', () => {
    expect(roleStatements(template, cluster('eks-cluster').hpa.role)).toEqual([
      logsStatement('eks-cluster'),
      tableStatement('eks-cluster'),
    ]);
  });

  it('should use no managed policies, no wildcard action, and Resource * only where acknowledged', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();

    const acknowledgedStar = new Set(
      acknowledgements(app)
        .filter((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]')
        .map((ack) => ack.path),
    );
    // Logical ids repeat from one cluster's stack to the next: key them by stack as regionTemplate does.
    const rolePaths = new Map(
      [stack, ...stack.clusters.values()].flatMap((each) =>
        each.node
          .findAll()
          .filter((c): c is iam.Role => c instanceof iam.Role)
          .map((role) => [`${each.stackName}/${logicalId(role)}`, role.node.path] as const),
      ),
    );
    let starStatements = 0;
    for (const [policyKey, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      const stackName = policyKey.slice(0, policyKey.indexOf('/'));
      const roleId = single(policy.Properties.Roles as { Ref: string }[]).Ref;
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
        if ([statement.Resource].flat().includes('*')) {
          starStatements++;
          expect(acknowledgedStar.has(rolePaths.get(`${stackName}/${roleId}`) ?? '')).toBe(true);
        }
      }
    }
    expect(starStatements).toBe(1);
  });

  it('should alarm on errors and throttles of every function, and on runs Scheduler dropped', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    for (const name of ['vpc-cluster', 'eks-cluster']) {
      const { hpa } = cluster(name);
      for (const [alarm, metric] of [
        [hpa.errorsAlarm, 'Errors'],
        [hpa.throttlesAlarm, 'Throttles'],
      ] as const) {
        expect(resource(template, alarm).Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(hpa.function) } }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
    expect(resource(template, stack.droppedRunsAlarm).Properties).toMatchObject({
      Namespace: 'AWS/Scheduler',
      MetricName: 'InvocationDroppedCount',
      Dimensions: [{ Name: 'ScheduleGroup', Value: stack.resolve(stack.scheduleGroup.scheduleGroupName) }],
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('should keep every function’s logs for 30 days in its own log group', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('should output the table name and each function role (to map in the cluster)', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;
    // The exports are the account and region stack's table and group, imported by the cluster stacks.
    expect(
      Object.values(outputs)
        .filter((o) => o.Export === undefined)
        .map((o) => o.Value),
    ).toEqual([
      { Ref: logicalId(stack.table.table) },
      { 'Fn::GetAtt': [logicalId(cluster('vpc-cluster').hpa.role), 'Arn'] },
      { 'Fn::GetAtt': [logicalId(cluster('eks-cluster').hpa.role), 'Arn'] },
    ]);
  });

  it('should pass cdk-nag AwsSolutions with no finding left', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('should acknowledge only the two VPC wildcards and the imported VPC’s warnings, each with a reason', () => {
    const acks = acknowledgements(app);
    const role = cluster('vpc-cluster').hpa.role.node.path;
    const hpa = cluster('vpc-cluster').hpa.node.path;
    expect(acks.map(({ path, id }) => ({ path, id }))).toEqual([
      { path: hpa, id: '@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones' },
      { path: hpa, id: '@aws-cdk/aws-ec2:noSubnetRouteTableId' },
      {
        path: role,
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      },
      { path: role, id: 'AwsSolutions-IAM5[Resource::*]' },
    ]);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(40);
  });

  it('should leave no warning or error annotation unacknowledged', () => {
    expect(regionMessages(stack)).toEqual({ warnings: [], errors: [] });
  });

  it('should synthesize through the cdk-nag validation plugin without errors', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

describe('given custom metric sources', () => {
  const config = twoClusters([
    vpcCluster({
      metrics: {
        prometheus: {
          url: 'https://prometheus.example',
          bearerTokenSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:prom-token-AbCdEf',
        },
        sqs: { queueArns: ['arn:aws:sqs:eu-central-1:123456789012:orders-*'] },
        cloudwatch: { enabled: true },
        awsRoleArn: 'arn:aws:iam::210987654321:role/tideplane-metrics',
      },
    }),
    eksCluster(),
  ]);
  const built = buildApp(config, { context: NO_BUNDLING });
  const template = regionTemplate(single(built.stacks));
  const statementsOf = (sid: string) =>
    Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Sid?: string }[]).filter((s) => s.Sid === sid),
    );

  it('should let the function read exactly the configured queues and secrets, and CloudWatch metrics', () => {
    expect(statementsOf('ReadQueueLength')).toEqual([
      expect.objectContaining({
        Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        Resource: 'arn:aws:sqs:eu-central-1:123456789012:orders-*',
      }),
    ]);
    expect(statementsOf('AssumeMetricsRole')).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::210987654321:role/tideplane-metrics',
      }),
    ]);
    expect(statementsOf('ReadCloudWatchMetrics')).toEqual([
      expect.objectContaining({ Action: 'cloudwatch:GetMetricData', Resource: '*' }),
    ]);
    expect(statementsOf('ReadClusterSecrets')[0]).toMatchObject({
      Resource: expect.arrayContaining([
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:prom-token-AbCdEf',
      ]),
    });
  });

  it('should give cdk-nag one reason covering every wildcard resource', () => {
    const wildcard = acknowledgements(built.app).find((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]');
    expect(wildcard?.reason).toContain('cloudwatch:GetMetricData');
    expect(wildcard?.reason).toContain('ec2:DescribeNetworkInterfaces');
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });
});

describe('given clusters or loops switched off', () => {
  it('should keep the function but disable the schedule', () => {
    const config = twoClusters([vpcCluster({ enabled: false }), eksCluster({ hpa: { enabled: false } })]);
    const template = regionTemplate(single(buildApp(config, { context: NO_BUNDLING }).stacks));
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.allResourcesProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });
});

describe('given accounts and regions', () => {
  it('should build one stack per (account, region), named by account name or id', () => {
    const config = {
      version: 1,
      accounts: [
        account(ACCOUNT, 'platform-prod', { [REGION]: [vpcCluster()] }),
        account('210987654321', undefined, { 'us-east-1': [eksCluster()] }),
        account(ACCOUNT, 'platform-prod', { 'eu-west-1': [eksCluster({ name: 'eks-west' })] }),
      ],
    };
    const { stacks } = buildApp(config, { context: NO_BUNDLING });
    expect(stacks.map((s) => s.stackName)).toEqual([
      'tideplane-platform-prod-eu-central-1',
      'tideplane-210987654321-us-east-1',
      'tideplane-platform-prod-eu-west-1',
    ]);
    expect(stacks.map((s) => [...s.clusters.keys()])).toEqual([
      ['vpc-cluster'],
      ['eks-cluster'],
      ['eks-west'],
    ]);
    expect(stacks.map((s) => s.templateOptions.description)).toEqual([
      expect.stringContaining(`account platform-prod (${ACCOUNT}), region ${REGION}`),
      expect.stringContaining('account 210987654321, region us-east-1'),
      expect.stringContaining(`account platform-prod (${ACCOUNT}), region eu-west-1`),
    ]);
  });

  it('should name stacks tideplane-<account name or id>-<region>', () => {
    expect(stackNameFor({ id: ACCOUNT, name: 'prod' }, 'eu-west-1')).toBe('tideplane-prod-eu-west-1');
    expect(stackNameFor({ id: ACCOUNT }, 'eu-west-1')).toBe(`tideplane-${ACCOUNT}-eu-west-1`);
  });
});

describe('given an invalid config', () => {
  it('should throw every problem with its path', () => {
    const config = {
      version: 1,
      accounts: [
        account('12345', 'platform-prod', { [REGION]: [vpcCluster(), eksCluster({ name: 'vpc-cluster' })] }),
      ],
    };
    let error: unknown;
    try {
      buildApp(config, { context: NO_BUNDLING });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).problems).toEqual([
      { path: 'accounts[0].id', message: 'a 12-digit AWS account id' },
      {
        path: 'accounts[0].regions[0].clusters[1].name',
        message: 'cluster name "vpc-cluster" is already used at accounts[0].regions[0].clusters[0]',
      },
    ]);
    expect((error as Error).message).toContain('accounts[0].id: a 12-digit AWS account id');
  });

  it('should refuse two accounts whose stack names would collide', () => {
    const config = {
      version: 1,
      accounts: [
        account(ACCOUNT, 'platform-prod', { [REGION]: [vpcCluster()] }),
        account('210987654321', 'platform-prod', { [REGION]: [eksCluster()] }),
      ],
    };
    expect(() => buildApp(config, { context: NO_BUNDLING })).toThrow(
      expect.objectContaining({
        problems: [
          {
            path: 'accounts[1].name',
            message: `stack name prefix "platform-prod" is already used by accounts[0] (${ACCOUNT})`,
          },
        ],
      }),
    );
  });

  it('should refuse a cluster whose environment would not fit Lambda’s 4 KB', () => {
    const config = twoClusters([vpcCluster(), eksCluster({}, 'A'.repeat(LAMBDA_ENVIRONMENT_LIMIT_BYTES))]);
    expect(() => buildApp(config, { context: NO_BUNDLING })).toThrow(
      /cluster eks-cluster: .*4096-byte limit/,
    );
  });
});

describe('secretResourceArn', () => {
  const prefix = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:`;
  it('should grant a complete ARN (with the random suffix) exactly', () => {
    expect(secretResourceArn(`${prefix}tideplane/kube-AbCdEf`)).toBe(`${prefix}tideplane/kube-AbCdEf`);
  });
  it('should grant a partial ARN with exactly one six-character suffix', () => {
    expect(secretResourceArn(`${prefix}tideplane/kube`)).toBe(`${prefix}tideplane/kube-??????`);
    expect(secretResourceArn(`${prefix}kube-prod-1`)).toBe(`${prefix}kube-prod-1-??????`);
  });
});

describe('the example config', () => {
  it('should build and pass cdk-nag', async () => {
    const { loadConfigFile } = await import('../../shared/config/load');
    const loaded = await loadConfigFile(new URL('../../infra/config/example.yaml', import.meta.url).pathname);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const { app, stacks } = buildApp(loaded.config, { context: NO_BUNDLING });
    expect(stacks.map((s) => s.stackName)).toEqual(['tideplane-platform-prod-eu-central-1']);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
