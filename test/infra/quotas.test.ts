/**
 * The quota loop in the stack: one function, daily schedule and alarm per account and region with
 * `quotas`, none without; least-privilege IAM (quota increases on the exact quota ARNs only, Support only
 * with Business or Enterprise, writes withheld in dry run, the quota partition only); the region in the
 * environment, and synth refusing a region that would not fit Lambda's 4 KB.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, planStacks } from '../../infra/build-app';
import { STATE_TABLE_ACTIONS } from '../../infra/constructs/state-table';
import type { TideplaneStack } from '../../infra/stack';
import { validateConfig } from '../../shared/config/load';
import { quotaEventSchema } from '../../shared/config/quota-event';
import { decodeQuotaRegion, quotaRegionsOf } from '../../shared/config/quota-region';
import type { DeploymentConfig } from '../../shared/config/schema';
import { EC2_VCPU_QUOTAS } from '../../shared/quotas/ec2-vcpu-quotas';
import { ACCOUNT, NO_BUNDLING, REGION, vpcCluster } from './support/clusters';
import {
  acknowledgements,
  type Json,
  logicalId,
  regionMessages,
  regionTemplate,
  resource,
  roleStatements,
  type Statement,
  single,
} from './support/template';

const EXTRA_QUOTAS = [
  {
    serviceCode: 'ebs',
    quotaCode: 'L-7A658B76',
    name: 'Storage for General Purpose SSD (gp3) volumes, in TiB',
    unit: 'TiB',
    demand: { perNode: 0.1 },
  },
  {
    serviceCode: 'vpc',
    quotaCode: 'L-DF5E4CA3',
    name: 'Network interfaces per Region',
    demand: { perNode: 2 },
  },
];

function eksCluster(overrides: Json = {}): Json {
  return {
    name: 'eks-cluster',
    access: {
      kind: 'eks',
      clusterName: 'eks-cluster',
      endpoint: 'https://ABCDEF0123456789.gr7.eu-central-1.eks.amazonaws.com',
      caData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
    },
    controlPlane: { eks: {}, ladder: { floor: 'standard', ceiling: 'tier-4xl' } },
    ...overrides,
  };
}

const POOLS = {
  pools: [
    {
      name: 'default',
      capacityType: 'on-demand',
      instanceTypes: ['m5.xlarge'],
      asgs: ['vpc-default-a', 'vpc-default-b'],
      maxPerZone: 50,
    },
    {
      name: 'spot',
      capacityType: 'spot',
      instanceTypes: ['c6i.2xlarge'],
      asgs: ['vpc-spot-a'],
      maxNodes: 20,
    },
  ],
};

/** One account; each region a list of clusters and, optionally, `quotas`. */
function config(regions: { name?: string; clusters?: Json[]; quotas?: Json }[]): Json {
  return {
    version: 1,
    accounts: [
      {
        id: ACCOUNT,
        name: 'platform-prod',
        regions: regions.map(({ name = REGION, clusters, quotas }) => ({
          name,
          clusters: clusters ?? [vpcCluster({ nodePools: POOLS }), eksCluster()],
          ...(quotas ? { quotas } : {}),
        })),
      },
    ],
  };
}

function validated(document: Json): DeploymentConfig {
  const result = validateConfig(document);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** A token-free string for an IAM resource: `Fn::Join` with the partition rendered as `aws`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(render).join(join[0]);
  if ((value as { Ref?: string }).Ref === 'AWS::Partition') return 'aws';
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat().map(render);

function quotaLoop(stack: TideplaneStack) {
  if (!stack.quotas) throw new Error('no quota loop');
  return stack.quotas;
}

function allStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

describe('given a region with quotas, a Business support plan and extra quotas', () => {
  const quotas = { supportPlan: 'business', extraQuotas: EXTRA_QUOTAS };
  const document = config([{ quotas }]);
  let app: App;
  let stack: TideplaneStack;
  let template: Template;

  beforeAll(() => {
    const built = buildApp(document, { context: NO_BUNDLING });
    app = built.app;
    stack = single(built.stacks);
    template = Template.fromStack(stack);
  });

  it('should put Quotas, QuotasSchedule and QuotasAlarm directly under the stack', () => {
    const loop = quotaLoop(stack);
    expect(loop.function.node.path).toBe(`${stack.stackName}/Quotas`);
    expect(loop.schedule.node.path).toBe(`${stack.stackName}/QuotasSchedule`);
    expect(loop.alarm.node.path).toBe(`${stack.stackName}/QuotasAlarm`);
    expect(logicalId(loop.function.function)).toMatch(/^QuotasFunction[0-9A-F]{8}$/);
    expect(logicalId(loop.schedule.schedule)).toMatch(/^QuotasSchedule[0-9A-F]{8}$/);
    expect(logicalId(loop.alarm.alarm)).toMatch(/^QuotasAlarm[0-9A-F]{8}$/);
  });

  it('should make a nodejs24.x arm64 function of 256 MB and 5 minutes, outside any VPC, not reserved', () => {
    const props = resource(template, quotaLoop(stack).function.function).Properties as Json;
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 300,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: logicalId(quotaLoop(stack).function.logGroup) } },
    });
    expect(props.VpcConfig).toBeUndefined();
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('should carry the region with every cluster’s node pools and control plane in the function’s layer', () => {
    const loop = quotaLoop(stack).function;
    const props = resource(template, loop.function).Properties as {
      Environment: { Variables: Record<string, unknown> };
      Layers: unknown[];
    };
    const variables = props.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TIDEPLANE_QUOTA_REGION_FILE',
      'TIDEPLANE_TABLE',
    ]);
    expect(variables).toMatchObject({
      TIDEPLANE_TABLE: { Ref: logicalId(stack.table.table) },
      TIDEPLANE_QUOTA_REGION_FILE: '/opt/tideplane/quota-region',
      POWERTOOLS_SERVICE_NAME: 'tideplane-quotas',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: 'Tideplane',
    });
    expect(props.Layers).toEqual([{ Ref: logicalId(loop.regionLayer) }]);
    expect(resource(template, loop.regionLayer).Properties).toMatchObject({
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
    });
    // Lambda mounts the layer's content under /opt: the file sits at the variable's path below it.
    expect(loop.regionFile.endsWith('/tideplane/quota-region')).toBe(true);
    const region = decodeQuotaRegion(readFileSync(loop.regionFile, 'utf8'));
    expect(region).toEqual(single(quotaRegionsOf(validated(document))));
    expect(region).toMatchObject({ accountId: ACCOUNT, region: REGION, quotas: { supportPlan: 'business' } });
    expect(region.clusters.map((c) => c.name)).toEqual(['vpc-cluster', 'eks-cluster']);
    expect(region.clusters[0]?.nodePools?.pools.map((p) => p.name)).toEqual(['default', 'spot']);
    expect(region.clusters[1]?.controlPlane?.eks).toBeDefined();
    expect(stack.quotas?.region).toEqual(region);
  });

  it('should not retry an asynchronous run, and keep a throttled one for an hour', () => {
    const fn = logicalId(quotaLoop(stack).function.function);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (c) => (c.Properties.FunctionName as { Ref?: string }).Ref === fn,
    );
    expect(single(configs).Properties).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('should run daily at 06:00 UTC within a one-hour window, with the account and region as input', () => {
    const { schedule, function: fn } = quotaLoop(stack);
    const props = resource(template, schedule.schedule).Properties as Json & { Target: { Input: string } };
    expect(props).toMatchObject({
      ScheduleExpression: 'cron(0 6 * * ? *)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      GroupName: stack.resolve(stack.scheduleGroup.scheduleGroupName),
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(fn.function), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(schedule.role), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
    expect(JSON.parse(props.Target.Input)).toEqual({ quotas: `${ACCOUNT}/${REGION}` });
    expect(quotaEventSchema.parse(JSON.parse(props.Target.Input))).toEqual({
      quotas: `${ACCOUNT}/${REGION}`,
    });
    expect(roleStatements(template, schedule.role)).toEqual([
      {
        Sid: 'InvokeQuotaFunction',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(fn.function), 'Arn'] },
      },
    ]);
  });

  it('should let the function request increases of exactly the vCPU table’s and the extra quotas', () => {
    const statements = roleStatements(template, quotaLoop(stack).function.role);
    const requesting = statements.filter((s) =>
      actionsOf(s).includes('servicequotas:RequestServiceQuotaIncrease'),
    );
    const request = single(requesting);
    expect(request).toMatchObject({
      Sid: 'RequestQuotaIncreases',
      Action: 'servicequotas:RequestServiceQuotaIncrease',
    });
    expect(request.Condition).toBeUndefined();
    const expected = [
      ...EC2_VCPU_QUOTAS.map((q) => `ec2/${q.code}`),
      ...EXTRA_QUOTAS.map((q) => `${q.serviceCode}/${q.quotaCode}`),
    ].map((quota) => `arn:aws:servicequotas:${REGION}:${ACCOUNT}:${quota}`);
    expect(resourcesOf(request).sort()).toEqual(expected.sort());
    expect(resourcesOf(request)).toHaveLength(EC2_VCPU_QUOTAS.length + EXTRA_QUOTAS.length);
  });

  it('should let Service Quotas create only its own service-linked role, which opens the support cases', () => {
    const statements = roleStatements(template, quotaLoop(stack).function.role);
    const creating = single(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('iam:'))));
    expect(creating).toMatchObject({
      Sid: 'CreateServiceQuotasRole',
      Action: 'iam:CreateServiceLinkedRole',
      Condition: { StringEquals: { 'iam:AWSServiceName': 'servicequotas.amazonaws.com' } },
    });
    expect(resourcesOf(creating)).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/servicequotas.amazonaws.com/AWSServiceRoleForServiceQuotas`,
    ]);
  });

  it('should grant the Support API’s case calls, which have no resource-level permissions', () => {
    const statements = roleStatements(template, quotaLoop(stack).function.role);
    const support = single(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('support:'))));
    expect(support).toMatchObject({
      Sid: 'FollowSupportCases',
      Action: ['support:DescribeCases', 'support:AddCommunicationToCase'],
      Resource: '*',
    });
  });

  it('should confine the state table to the quota partition, with the store’s reads, writes and lease calls', () => {
    const statements = roleStatements(template, quotaLoop(stack).function.role);
    const table = single(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:'))));
    expect(table).toEqual({
      Effect: 'Allow',
      Action: [...STATE_TABLE_ACTIONS],
      Resource: { 'Fn::GetAtt': [logicalId(stack.table.table), 'Arn'] },
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['cluster##quotas'] } },
    });
  });

  it('should put only reads (and the Support case calls) on Resource *, each acknowledged with its reason', () => {
    const statements = roleStatements(template, quotaLoop(stack).function.role);
    const star = statements.filter((s) => [s.Resource].flat().includes('*'));
    expect(star.map((s) => s.Sid)).toEqual(['ReadServiceQuotas', 'ReadPoolsAndUsage', 'FollowSupportCases']);
    for (const action of star.flatMap(actionsOf)) {
      expect(action).toMatch(/^(\w+:(Describe|Get|List)\w+|support:AddCommunicationToCase)$/);
    }
    expect(star.flatMap(actionsOf)).toEqual([
      'servicequotas:ListServiceQuotas',
      'servicequotas:GetServiceQuota',
      'servicequotas:GetAWSDefaultServiceQuota',
      'servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota',
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeLaunchConfigurations',
      'ec2:DescribeLaunchTemplateVersions',
      'ec2:DescribeInstanceTypes',
      'cloudwatch:GetMetricData',
      'support:DescribeCases',
      'support:AddCommunicationToCase',
    ]);
    const acks = acknowledgements(quotaLoop(stack).function);
    const wildcard = single(acks.filter((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]'));
    expect(wildcard.path).toBe(quotaLoop(stack).function.role.node.path);
    for (const mention of ['GetServiceQuota', 'cloudwatch:GetMetricData', 'support:DescribeCases']) {
      expect(wildcard.reason).toContain(mention);
    }
    expect(acks).toHaveLength(1);
    expect(statements.flatMap(actionsOf).every((action) => !action.includes('*'))).toBe(true);
    expect(statements.find((s) => s.Sid === 'WriteOwnLogs')).toEqual({
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [logicalId(quotaLoop(stack).function.logGroup), 'Arn'] },
    });
  });

  it('should alarm when the day’s run reports a quota above its threshold with nothing open', () => {
    expect(resource(template, quotaLoop(stack).alarm.alarm).Properties).toMatchObject({
      Namespace: 'Tideplane',
      MetricName: 'QuotaAlarms',
      Dimensions: [{ Name: 'Region', Value: REGION }],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      ActionsEnabled: true,
    });
  });

  it('should alarm on a failed or throttled run over a day', () => {
    const fn = quotaLoop(stack).function;
    for (const [alarm, metric] of [
      [fn.errorsAlarm, 'Errors'],
      [fn.throttlesAlarm, 'Throttles'],
    ] as const) {
      expect(resource(template, alarm).Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
        Statistic: 'Sum',
        Period: 86400,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('should pass cdk-nag AwsSolutions and leave no warning', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    expect(regionMessages(stack)).toEqual({ warnings: [], errors: [] });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('given a region with quotas and a Basic support plan', () => {
  const { stacks } = buildApp(config([{ quotas: { extraQuotas: EXTRA_QUOTAS } }]), { context: NO_BUNDLING });
  const template = Template.fromStack(single(stacks));

  it('should grant no Support API action at all', () => {
    const actions = allStatements(template).flatMap(actionsOf);
    expect(actions).toContain('servicequotas:RequestServiceQuotaIncrease');
    expect(actions.filter((a) => a.startsWith('support:'))).toEqual([]);
  });

  it.each(['developer', 'basic'])('should grant none for a %s plan either', (supportPlan) => {
    const built = buildApp(config([{ quotas: { supportPlan } }]), { context: NO_BUNDLING });
    const actions = allStatements(Template.fromStack(single(built.stacks))).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('support:'))).toEqual([]);
  });

  it('should grant the case calls for an Enterprise plan', () => {
    const built = buildApp(config([{ quotas: { supportPlan: 'enterprise' } }]), { context: NO_BUNDLING });
    const actions = allStatements(Template.fromStack(single(built.stacks))).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('support:'))).toEqual([
      'support:DescribeCases',
      'support:AddCommunicationToCase',
    ]);
  });
});

describe('given a region with quotas in dry run', () => {
  const built = buildApp(config([{ quotas: { dryRun: true, supportPlan: 'business' } }]), {
    context: NO_BUNDLING,
  });
  const stack = single(built.stacks);
  const template = Template.fromStack(stack);

  it('should withhold every write to AWS: no increase request, no service-linked role, no Support call', () => {
    const actions = roleStatements(template, quotaLoop(stack).function.role).flatMap(actionsOf);
    expect(actions).not.toContain('servicequotas:RequestServiceQuotaIncrease');
    expect(actions).not.toContain('iam:CreateServiceLinkedRole');
    expect(actions.filter((a) => a.startsWith('support:'))).toEqual([]);
    expect(actions).toContain('servicequotas:GetServiceQuota');
    expect(actions).toContain('dynamodb:UpdateItem'); // the lease
  });

  it('should still pass cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });
});

describe('given extra quotas of services whose values Service Quotas reads with the caller’s rights', () => {
  it('should grant those services’ account-limit reads, once each, and nothing for ebs', () => {
    const extra = (serviceCode: string, quotaCode: string) => ({
      serviceCode,
      quotaCode,
      name: quotaCode,
      demand: 1,
    });
    const built = buildApp(
      config([
        {
          quotas: {
            extraQuotas: [
              extra('elasticloadbalancing', 'L-53DA6B97'),
              extra('elasticloadbalancing', 'L-E9E9831D'),
              extra('autoscaling', 'L-CDE20ADC'),
              extra('ebs', 'L-7A658B76'),
            ],
          },
        },
      ]),
      { context: NO_BUNDLING },
    );
    const stack = single(built.stacks);
    const statements = roleStatements(Template.fromStack(stack), quotaLoop(stack).function.role);
    expect(statements.find((s) => s.Sid === 'ReadQuotaValuesOfServices')).toMatchObject({
      Action: ['elasticloadbalancing:DescribeAccountLimits', 'autoscaling:DescribeAccountLimits'],
      Resource: '*',
    });
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });
});

describe('given a region with quotas switched off', () => {
  const stack = single(buildApp(config([{ quotas: { enabled: false } }]), { context: NO_BUNDLING }).stacks);
  const template = Template.fromStack(stack);

  it('should keep the function but disable the schedule and the alarm’s actions', () => {
    const loop = quotaLoop(stack);
    expect(resource(template, loop.function.function).Type).toBe('AWS::Lambda::Function');
    expect(resource(template, loop.schedule.schedule).Properties).toMatchObject({ State: 'DISABLED' });
    expect(resource(template, loop.alarm.alarm).Properties).toMatchObject({ ActionsEnabled: false });
  });
});

describe('given regions with and without quotas', () => {
  const document = config([{ quotas: {} }, { name: 'eu-west-1', clusters: [eksCluster({ name: 'west' })] }]);
  const built = buildApp(document, { context: NO_BUNDLING });
  const [withQuotas, without] = built.stacks as [TideplaneStack, TideplaneStack];

  it('should plan the quota region only for the stack whose region has quotas', () => {
    const { plans } = planStacks(validated(document));
    expect(plans.map((p) => [p.region, p.quotaRegion?.region])).toEqual([
      [REGION, REGION],
      ['eu-west-1', undefined],
    ]);
  });

  it('should build the quota loop in that stack only', () => {
    expect(withQuotas.quotas).toBeDefined();
    expect(without.quotas).toBeUndefined();
    expect(without.node.tryFindChild('Quotas')).toBeUndefined();
    expect(without.node.tryFindChild('QuotasSchedule')).toBeUndefined();
    expect(without.node.tryFindChild('QuotasAlarm')).toBeUndefined();
    const template = regionTemplate(without);
    // Only the west cluster's HPA and control-plane functions, and their schedules.
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    const actions = allStatements(template).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('servicequotas:') || a.startsWith('support:'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('QuotaAlarms');
  });
});

describe('given a region whose clusters would not fit a function’s 4 KB environment', () => {
  it('should still carry every cluster, in the layer', () => {
    // Group names that do not compress: 10 clusters with 20 distinct 64-character names each.
    const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');
    const clusters = Array.from({ length: 10 }, (_, c) =>
      vpcCluster({
        name: `cluster-${c}`,
        nodePools: {
          pools: [{ name: 'default', asgs: Array.from({ length: 20 }, (_, g) => hex(`${c}/${g}`)) }],
        },
      }),
    );
    const stack = single(buildApp(config([{ clusters, quotas: {} }]), { context: NO_BUNDLING }).stacks);
    const file = quotaLoop(stack).function.regionFile;
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(4096);
    const region = decodeQuotaRegion(readFileSync(file, 'utf8'));
    expect(region.clusters.flatMap((c) => c.nodePools?.pools[0]?.asgs ?? [])).toHaveLength(200);
  });
});

describe('the example config', () => {
  it('should build the quota loop of its region and pass cdk-nag', async () => {
    const { loadConfigFile } = await import('../../shared/config/load');
    const loaded = await loadConfigFile(new URL('../../infra/config/example.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const { app, stacks } = buildApp(loaded.config, { context: NO_BUNDLING });
    const loop = quotaLoop(single(stacks));
    expect(loop.region.clusters.map((c) => c.name)).toEqual(['kube-prod-1', 'kube-prod-eks']);
    expect(loop.region.quotas.extraQuotas.length).toBeGreaterThan(0);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('given a region whose quota requests are rechecked every 6 hours', () => {
  const built = buildApp(config([{ quotas: { recheckHours: 6 } }]), { context: NO_BUNDLING });
  const stack = single(built.stacks);
  const template = Template.fromStack(stack);

  it('should run the loop every 6 hours instead of daily, within a shorter window', () => {
    const props = resource(template, quotaLoop(stack).schedule.schedule).Properties as Json;
    expect(props).toMatchObject({
      ScheduleExpression: 'rate(6 hours)',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
    });
  });

  it('should keep the window under half the interval for an hourly recheck', () => {
    const hourly = single(
      buildApp(config([{ quotas: { recheckHours: 1 } }]), { context: NO_BUNDLING }).stacks,
    );
    const props = resource(Template.fromStack(hourly), quotaLoop(hourly).schedule.schedule)
      .Properties as Json;
    expect(props).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
    });
  });
});
