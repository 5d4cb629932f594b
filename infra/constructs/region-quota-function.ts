import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encodeQuotaRegion, type QuotaRegion } from '../../shared/config/quota-region';
import { usesSupportApi } from '../../shared/config/quotas';
import { EC2_SERVICE_CODE, EC2_VCPU_QUOTAS } from '../../shared/quotas/ec2-vcpu-quotas';
import { QUOTA_STATE_PARTITION } from '../../shared/quotas/request-record';
import {
  functionBuildProps,
  LOOP_ENV,
  type LogLevel,
  type LoopPermission,
  METRICS_NAMESPACE,
  writeOwnLogsStatement,
} from './cluster-loop-function';
import type { StateTable } from './state-table';

/** The quota handler. */
export const QUOTAS_HANDLER_ENTRY = fileURLToPath(
  new URL('../../functions/quotas/handler.ts', import.meta.url),
);

/** Powertools service name of the quota function's logs and metrics (the handler names it too). */
export const QUOTAS_SERVICE_NAME = 'tideplane-quotas';

/**
 * Where the function finds the region: its `quotas` settings and every cluster's pools and control plane,
 * `encodeQuotaRegion(region)` in a file of the function's layer (Lambda mounts layers under /opt). Not in
 * the environment: Lambda allows 4 KB there, about 60 clusters of one pattern and far fewer of distinct
 * group names, and an account may hold 150.
 */
export const QUOTA_REGION_FILE = '/opt/tideplane/quota-region';

/**
 * The environment contract between this construct and `functions/quotas/handler.ts`. The handler reads
 * the region file with `decodeQuotaRegion` (gzipped, base64 JSON validated with the config's own schemas).
 */
export const QUOTA_ENV = {
  table: LOOP_ENV.table,
  /** `QUOTA_REGION_FILE`. */
  quotaRegionFile: 'TIDEPLANE_QUOTA_REGION_FILE',
  serviceName: LOOP_ENV.serviceName,
  logLevel: LOOP_ENV.logLevel,
  metricsNamespace: LOOP_ENV.metricsNamespace,
} as const;

/**
 * A directory holding the region file at its place under /opt, for the layer's asset. Written at synth;
 * the asset's hash is its content, so the layer changes only when the region's config does.
 */
function regionLayerDirectory(region: QuotaRegion): { directory: string; file: string } {
  const directory = mkdtempSync(join(tmpdir(), 'tideplane-quota-region-'));
  const relative = QUOTA_REGION_FILE.replace(/^\/opt\//, '');
  const file = join(directory, relative);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, encodeQuotaRegion(region));
  return { directory, file };
}

/**
 * How long one run may take. A run makes about five calls per quota (GetServiceQuota, sometimes
 * GetAWSDefaultServiceQuota, ListRequestedServiceQuotaChangeHistoryByQuota, GetMetricData for usage, and
 * RequestServiceQuotaIncrease or a Support call when it acts) plus a few per region (ListServiceQuotas for
 * `ec2` in pages of 100, DescribeAutoScalingGroups, DescribeInstanceTypes, one state query): about 120
 * calls for the vCPU table (19 quotas) and a handful of extra ones. At 100–300 ms each that is under a minute;
 * five minutes leave room for the SDK's backoff when Service Quotas throttles (its per-account rates are
 * a few calls per second).
 */
export const QUOTA_FUNCTION_TIMEOUT = Duration.minutes(5);

/** The run waits on AWS APIs and holds a few hundred quotas and instance types in memory. */
export const QUOTA_FUNCTION_MEMORY_MB = 256;

/**
 * How long Lambda keeps a run it could not start yet (throttled, or Lambda's own hiccup) before dropping
 * it. A daily run that starts an hour late is as good as one on time; one dropped after the one minute
 * the every-minute loops allow would leave the quotas unchecked until the next day. Function errors are
 * still not retried (`retryAttempts: 0`): the next day's run does the same work, and the errors alarm
 * says it failed.
 */
export const QUOTA_RUN_MAX_EVENT_AGE = Duration.hours(1);

/**
 * The alarms on the function look at one day: with a run a day, a five-minute window (the every-minute
 * loops' choice) would show a failed run as ALARM for five minutes only.
 */
const ONE_DAY = Duration.days(1);

/**
 * Services whose quota values Service Quotas reads from the service itself with the caller's
 * permissions: the Service Authorization Reference lists these as dependent actions of
 * `servicequotas:GetServiceQuota` and `servicequotas:ListServiceQuotas`. Granted only for the services
 * the region's `extraQuotas` name. None of them supports resource-level permissions.
 */
export const SERVICE_QUOTA_READ_DEPENDENCIES: Readonly<Record<string, string>> = {
  autoscaling: 'autoscaling:DescribeAccountLimits',
  cloudformation: 'cloudformation:DescribeAccountLimits',
  dynamodb: 'dynamodb:DescribeLimits',
  elasticloadbalancing: 'elasticloadbalancing:DescribeAccountLimits',
  iam: 'iam:GetAccountSummary',
  kinesis: 'kinesis:DescribeLimits',
  rds: 'rds:DescribeAccountAttributes',
  route53: 'route53:GetAccountLimit',
};

/** The service-linked role Service Quotas opens support cases with (`ServiceQuotasServiceRolePolicy`). */
const SERVICE_QUOTAS_PRINCIPAL = 'servicequotas.amazonaws.com';
const SERVICE_QUOTAS_ROLE_NAME = 'AWSServiceRoleForServiceQuotas';

/**
 * The ARN of a quota of `region` as `servicequotas:RequestServiceQuotaIncrease` takes it. Account and
 * region come from the config (the stack is deployed there); the partition follows the deployment. A
 * global quota's ARN has no region: `extraQuotas` are the regional limits scale-ups trip over (EBS, EIPs,
 * ENIs), and a global one there would be refused with AccessDenied when the loop asks to raise it.
 *
 * @example quotaArn(region, 'ec2', 'L-1216C47A') // arn:<partition>:servicequotas:eu-central-1:123456789012:ec2/L-1216C47A
 */
export function quotaArn(
  region: Pick<QuotaRegion, 'accountId' | 'region'>,
  serviceCode: string,
  quotaCode: string,
) {
  return `arn:${Aws.PARTITION}:servicequotas:${region.region}:${region.accountId}:${serviceCode}/${quotaCode}`;
}

/** Every quota the loop may ask to raise: the EC2 vCPU table and the region's `extraQuotas`, once each. */
export function requestableQuotas(region: QuotaRegion): { serviceCode: string; quotaCode: string }[] {
  const all = [
    ...EC2_VCPU_QUOTAS.map((quota) => ({ serviceCode: EC2_SERVICE_CODE, quotaCode: quota.code })),
    ...region.quotas.extraQuotas.map(({ serviceCode, quotaCode }) => ({ serviceCode, quotaCode })),
  ];
  const seen = new Set<string>();
  return all.filter(({ serviceCode, quotaCode }) => {
    const key = `${serviceCode}/${quotaCode}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The quota loop's grants beyond its logs and state partition. Writes are confined to what the config
 * names, and withheld altogether in dry run (the loop then files nothing and calls no Support API, so
 * IAM enforces what `dryRun` promises):
 * - `servicequotas:RequestServiceQuotaIncrease` on exactly the quotas of the vCPU table and `extraQuotas`
 *   (the one Service Quotas action with resource-level permissions, the `quota` resource);
 * - `iam:CreateServiceLinkedRole` for Service Quotas' own role only: Service Quotas opens the support
 *   case of a request with `AWSServiceRoleForServiceQuotas`, and creates that role on an account's first
 *   request, with the requester's permission. The role's policy is AWS's (`support:*` for Service
 *   Quotas), so the function itself never gets `support:CreateCase`;
 * - with a Business or Enterprise support plan only: `support:DescribeCases` and
 *   `support:AddCommunicationToCase` (the Support API has no resource-level permissions).
 * The reads (Service Quotas, Auto Scaling groups and their launch templates or configurations, EC2
 * instance types, CloudWatch usage) support no resource-level permissions and take `Resource: *`, each
 * with its reason for cdk-nag.
 *
 * @example quotaPermissions(quotaRegionsOf(config)[0]).map((p) => p.statement.sid)
 */
export function quotaPermissions(region: QuotaRegion): LoopPermission[] {
  const settings = region.quotas;
  const permissions: LoopPermission[] = [
    {
      statement: new iam.PolicyStatement({
        sid: 'ReadServiceQuotas',
        actions: [
          'servicequotas:ListServiceQuotas',
          'servicequotas:GetServiceQuota',
          'servicequotas:GetAWSDefaultServiceQuota',
          'servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota',
        ],
        resources: ['*'],
      }),
      wildcardResourceReason:
        'The Service Quotas reads (ListServiceQuotas, GetServiceQuota, GetAWSDefaultServiceQuota, ' +
        'ListRequestedServiceQuotaChangeHistoryByQuota) support no resource-level permissions (Service Quotas ' +
        'User Guide, resource-level permissions: only RequestServiceQuotaIncrease and the template call); ' +
        'they are read-only.',
    },
  ];
  const dependencies = [
    ...new Set(
      settings.extraQuotas
        .map((quota) => SERVICE_QUOTA_READ_DEPENDENCIES[quota.serviceCode])
        .filter((action): action is string => action !== undefined),
    ),
  ];
  if (dependencies.length > 0) {
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'ReadQuotaValuesOfServices',
        actions: dependencies,
        resources: ['*'],
      }),
      wildcardResourceReason:
        `${dependencies.join(', ')}: Service Quotas reads the applied value of these services' quotas with ` +
        "the caller's permissions (dependent actions of GetServiceQuota and ListServiceQuotas in the Service " +
        'Authorization Reference); account-limit reads have no resource-level permissions.',
    });
  }
  permissions.push({
    // What demand is made of: the pools' groups (by name or by the cluster tag), the instance types their
    // launch templates or configurations name (the Auto Scaling adapter reads both), and each type's
    // vCPUs; and usage from the AWS/Usage metric Service Quotas names for a quota.
    statement: new iam.PolicyStatement({
      sid: 'ReadPoolsAndUsage',
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeLaunchConfigurations',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:DescribeInstanceTypes',
        'cloudwatch:GetMetricData',
      ],
      resources: ['*'],
    }),
    wildcardResourceReason:
      'The Auto Scaling and EC2 Describe actions of the quota loop (groups, launch configurations, launch ' +
      'template versions, instance types) and cloudwatch:GetMetricData (quota usage from AWS/Usage) support ' +
      'no resource-level permissions (Service Authorization Reference); they are read-only.',
  });
  if (settings.dryRun) return permissions;

  permissions.push(
    {
      statement: new iam.PolicyStatement({
        sid: 'RequestQuotaIncreases',
        actions: ['servicequotas:RequestServiceQuotaIncrease'],
        resources: requestableQuotas(region).map(({ serviceCode, quotaCode }) =>
          quotaArn(region, serviceCode, quotaCode),
        ),
      }),
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'CreateServiceQuotasRole',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          `arn:${Aws.PARTITION}:iam::${region.accountId}:role/aws-service-role/${SERVICE_QUOTAS_PRINCIPAL}/${SERVICE_QUOTAS_ROLE_NAME}`,
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': SERVICE_QUOTAS_PRINCIPAL } },
      }),
    },
  );
  if (usesSupportApi(settings)) {
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'FollowSupportCases',
        actions: ['support:DescribeCases', 'support:AddCommunicationToCase'],
        resources: ['*'],
      }),
      wildcardResourceReason:
        'support:DescribeCases and support:AddCommunicationToCase support no resource-level permissions (the ' +
        'Support API has none); granted only with a Business or Enterprise plan, to follow the cases of the ' +
        'quota requests and add which clusters and pools need them.',
    });
  }
  return permissions;
}

export interface RegionQuotaFunctionProps {
  /** The account and region, their `quotas` settings and their clusters, as `quotaRegionsOf` returns them. */
  readonly region: QuotaRegion;
  /** The state table; the function may touch only the quota partition (`QUOTA_STATE_PARTITION`). */
  readonly table: StateTable;
  /**
   * The handler source file.
   * @default functions/quotas/handler.ts of this repository
   */
  readonly entry?: string;
  /**
   * Memory in MB.
   * @default QUOTA_FUNCTION_MEMORY_MB (256)
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout.
   * @default QUOTA_FUNCTION_TIMEOUT (5 minutes)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

/**
 * The quota loop's Lambda function for one account and region, with its own role, log group and alarms:
 * a daily run that raises AWS quotas before the region's node pools hit them (see `quotaPermissions` for
 * what its role may do). The region travels in a layer (`QUOTA_REGION_FILE`), whatever its size.
 *
 * Built like every loop function (`functionBuildProps`). Asynchronous invocations are not retried, and
 * a run Lambda could not start is kept for QUOTA_RUN_MAX_EVENT_AGE. No reserved concurrency, for the
 * reasons `ClusterLoopFunction` gives: overlapping runs (a manual test event during the scheduled one)
 * cannot file twice, because the loop writes a conditional record before every request. No VPC: it talks
 * to AWS APIs only. No dead-letter queue: a lost daily run is replaced by the next, and the alarms say so.
 *
 * @example
 * const quotas = new RegionQuotaFunction(stack, 'Quotas', { region: quotaRegionsOf(config)[0], table });
 * new RegionQuotaSchedule(stack, 'QuotasSchedule', { region, target: quotas.function });
 */
export class RegionQuotaFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Holds the region file (`QUOTA_REGION_FILE`). */
  readonly regionLayer: lambda.LayerVersion;
  /** The region file as written at synth, before it became the layer's asset. */
  readonly regionFile: string;
  /** The run failed (it threw or timed out) within the last day. */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** The run was throttled (the account's concurrency ran out) within the last day. */
  readonly throttlesAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegionQuotaFunctionProps) {
    super(scope, id);
    const { region, table } = props;
    const where = `${region.accountId}/${region.region}`;
    const description = `tideplane quota loop for ${where}`;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    this.role.addToPrincipalPolicy(writeOwnLogsStatement(this.logGroup));
    table.grantClusterReadWrite(this.role, QUOTA_STATE_PARTITION);
    const wildcardReasons: string[] = [];
    for (const { statement, wildcardResourceReason } of quotaPermissions(region)) {
      this.role.addToPrincipalPolicy(statement);
      if (wildcardResourceReason) wildcardReasons.push(wildcardResourceReason);
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: wildcardReasons.join(' '),
    });

    const { directory, file } = regionLayerDirectory(region);
    this.regionFile = file;
    const build = functionBuildProps(props.entry ?? QUOTAS_HANDLER_ENTRY);
    this.regionLayer = new lambda.LayerVersion(this, 'RegionLayer', {
      code: lambda.Code.fromAsset(directory),
      compatibleRuntimes: build.runtime ? [build.runtime] : [],
      ...(build.architecture ? { compatibleArchitectures: [build.architecture] } : {}),
      description: `${description}: the region's quota settings, node pools and control planes`,
    });
    const environment: Record<string, string> = {
      [QUOTA_ENV.table]: table.tableName,
      [QUOTA_ENV.quotaRegionFile]: QUOTA_REGION_FILE,
      [QUOTA_ENV.serviceName]: QUOTAS_SERVICE_NAME,
      [QUOTA_ENV.logLevel]: props.logLevel ?? 'INFO',
      [QUOTA_ENV.metricsNamespace]: METRICS_NAMESPACE,
      // The bundle is minified; stack traces in the logs point at the TypeScript source.
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...build,
      layers: [this.regionLayer],
      memorySize: props.memorySize ?? QUOTA_FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? QUOTA_FUNCTION_TIMEOUT,
      description: `${description} (raises AWS quotas before the node pools hit them)`,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      retryAttempts: 0,
      maxEventAge: QUOTA_RUN_MAX_EVENT_AGE,
    });

    const daily = { period: ONE_DAY, statistic: cloudwatch.Stats.SUM };
    const alarmDefaults = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No run, no datapoint: the schedule group's dropped-runs alarm covers runs that never started.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      ...alarmDefaults,
      metric: this.function.metricErrors(daily),
      alarmDescription: `tideplane quota loop of ${where} failed (an error or a timeout within a day; see its log)`,
    });
    this.throttlesAlarm = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      ...alarmDefaults,
      metric: this.function.metricThrottles(daily),
      alarmDescription: `tideplane quota loop of ${where} was throttled (account concurrency exhausted)`,
    });
  }
}
