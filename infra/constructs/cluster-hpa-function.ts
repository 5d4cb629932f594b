import { fileURLToPath } from 'node:url';
import { Aws, Duration, Fn, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedCluster } from '../../shared/config/load';
import type { MetricSourcesConfig } from '../../shared/config/schema';
import type { StateTable } from './state-table';

/** The repository root (the directory of package.json and package-lock.json). */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The HPA handler; the lead owns it. */
export const HPA_HANDLER_ENTRY = fileURLToPath(new URL('../../functions/hpa/handler.ts', import.meta.url));

/**
 * The environment contract between this construct and `functions/hpa/handler.ts`. The handler parses
 * `TIDEPLANE_CLUSTER` (a `ResolvedCluster` as JSON) with the same zod schemas the config loader uses.
 */
export const HPA_ENV = {
  /** Name of the state table. */
  table: 'TIDEPLANE_TABLE',
  /** The `ResolvedCluster` (account id, region, cluster config, merged HPA settings) as JSON. */
  cluster: 'TIDEPLANE_CLUSTER',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** Powertools service name of the HPA function's logs and metrics. */
export const HPA_SERVICE_NAME = 'tideplane-hpa';

/** CloudWatch namespace of tideplane's own metrics. */
export const METRICS_NAMESPACE = 'Tideplane';

/**
 * Lambda's limit on the size of all environment variables of a function (names plus values).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/** A table name is a token at synth time; CloudFormation-generated names stay under this length. */
const TOKEN_VALUE_BUDGET_BYTES = 255;

/** Lambda asynchronous invocations are retried this long at most; the next scheduled run replaces them. */
const MIN_ASYNC_EVENT_AGE = Duration.seconds(60);

/**
 * ESM output needs a `require` for CommonJS dependencies that esbuild leaves as `require()` calls
 * (Node built-ins pulled in by bundled CJS modules). `@kubernetes/client-node` 2.x is ESM.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as tideplaneCreateRequire } from 'node:module'; const require = tideplaneCreateRequire(import.meta.url);";

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface ClusterHpaFunctionProps {
  /** The cluster this function runs the HPA loop for. */
  readonly cluster: ResolvedCluster;
  /** The state table; the function may touch only the `cluster#<name>` partition. */
  readonly table: StateTable;
  /**
   * The handler source file.
   * @default functions/hpa/handler.ts of this repository
   */
  readonly entry?: string;
  /**
   * Memory in MB (also buys CPU: one tick lists pods of the whole cluster and parses JSON).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout. A schedule fires every minute and the loop ticks every `hpa.intervalSeconds`
   * until too little time is left, so invocations overlap by a few seconds and the lease hands over.
   * @default Duration.seconds(70)
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
 * The IAM resource for `secretsmanager:GetSecretValue` on a configured secret ARN. A complete ARN ends in
 * `-` and the six random characters Secrets Manager appends; it is granted exactly. A partial ARN (the
 * secret's name only) is granted with `-??????`, which matches exactly that name plus any one suffix, and
 * never `name-suffix` of another secret as `-*` would. A partial ARN whose name happens to end in `-` and
 * six letters or digits is taken as complete: the grant is then too narrow, never too wide, and the first
 * GetSecretValue fails with AccessDenied until the config carries the complete ARN.
 *
 * @example
 * secretResourceArn('arn:aws:secretsmanager:eu-central-1:123456789012:secret:kube-AbCdEf') // unchanged
 * secretResourceArn('arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/kube')
 * // 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/kube-??????'
 */
export function secretResourceArn(secretArn: string): string {
  return /-[A-Za-z0-9]{6}$/.test(secretArn) ? secretArn : `${secretArn}-??????`;
}

/**
 * Size of a Lambda environment as Lambda counts it (UTF-8 bytes of names and values); unresolved tokens
 * count as `TOKEN_VALUE_BUDGET_BYTES`.
 */
export function environmentSize(environment: Record<string, string>): number {
  return Object.entries(environment).reduce(
    (total, [name, value]) =>
      total +
      Buffer.byteLength(name) +
      (Token.isUnresolved(value) ? TOKEN_VALUE_BUDGET_BYTES : Buffer.byteLength(value)),
    0,
  );
}

/**
 * The HPA loop's Lambda function for one cluster, with its own role, log group and alarms.
 *
 * The role may: read the cluster's secret (kubeconfig and token access only), read and write the
 * cluster's partition of the state table, write to its own log group, and, in a VPC, manage the
 * function's network interfaces in the configured subnets and security groups. EKS access needs no IAM
 * action at all: the handler presigns `sts:GetCallerIdentity` (which needs no permission) and the API
 * server maps this role to a Kubernetes identity through an EKS access entry or `aws-auth`; the role ARN
 * is `role.roleArn` (the stack outputs it).
 *
 * Asynchronous invocations (EventBridge Scheduler invokes Lambda asynchronously) are not retried and are
 * dropped after 60 s: the next minute's run replaces a failed or throttled one. No reserved concurrency:
 * the DynamoDB lease already keeps overlapping invocations from acting twice, at most two overlap per
 * cluster (70 s timeout, one run a minute), and reserving would take concurrency from the account's
 * unreserved pool (and fails outright in accounts with the minimum quota). No X-Ray tracing: the handler
 * has no tracer, and active tracing would add a `Resource: *` grant for nothing.
 *
 * @example
 * const hpa = new ClusterHpaFunction(this, 'Hpa', { cluster: resolved, table });
 * new ClusterSchedule(this, 'HpaSchedule', { cluster: resolved.cluster.name, target: hpa.function });
 */
export class ClusterHpaFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Function errors ≥ 1 within 5 minutes (a tick threw or the invocation timed out). */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** Throttled invocations ≥ 1 within 5 minutes (the account's concurrency ran out). */
  readonly throttlesAlarm: cloudwatch.Alarm;

  /** Why the role has statements on `Resource: *` (acknowledged to cdk-nag once, with every reason). */
  private readonly wildcardResourceReasons: string[] = [];

  constructor(scope: Construct, id: string, props: ClusterHpaFunctionProps) {
    super(scope, id);
    const { cluster: resolved, table } = props;
    const { cluster } = resolved;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `tideplane HPA loop for cluster ${cluster.name}`,
    });
    // The log group ARN ends in `:*`, i.e. exactly this group's log streams.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    props.table.grantClusterReadWrite(this.role, cluster.name);
    const secrets = [
      ...(cluster.access.kind !== 'eks' ? [cluster.access.secretArn] : []),
      ...(cluster.metrics?.prometheus?.bearerTokenSecretArn
        ? [cluster.metrics.prometheus.bearerTokenSecretArn]
        : []),
      ...(cluster.metrics?.influxdb?.tokenSecretArn ? [cluster.metrics.influxdb.tokenSecretArn] : []),
      ...(cluster.metrics?.prometheus?.basicAuthSecretArn
        ? [cluster.metrics.prometheus.basicAuthSecretArn]
        : []),
    ];
    if (secrets.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadClusterSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [...new Set(secrets.map(secretResourceArn))],
        }),
      );
    }
    this.addMetricSourcePermissions(cluster.metrics);

    let network: Pick<nodejs.NodejsFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> = {};
    if (cluster.vpc) {
      const { vpcId, subnetIds, securityGroupIds } = cluster.vpc;
      // Imported by id, never looked up: synth stays offline and needs no credentials. The subnets are
      // given by id, so the VPC's zone list is never read; `fromVpcAttributes` insists on one.
      const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId, availabilityZones: Fn.getAzs() });
      network = {
        vpc,
        vpcSubnets: {
          subnets: subnetIds.map((subnetId) => ec2.Subnet.fromSubnetId(this, subnetId, subnetId)),
        },
        securityGroups: securityGroupIds.map((groupId) =>
          ec2.SecurityGroup.fromSecurityGroupId(this, groupId, groupId, { mutable: false }),
        ),
      };
      this.addVpcExecutionPermissions(subnetIds, securityGroupIds);
      Validations.of(this).acknowledge(
        {
          id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
          reason:
            'The imported VPC only carries the subnet and security group ids to the function; nothing reads ' +
            'its zones, which are unknown offline.',
        },
        {
          id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
          reason:
            'The subnets are imported by id only to place the function; nothing reads their route tables.',
        },
      );
    }

    const environment: Record<string, string> = {
      [HPA_ENV.table]: table.tableName,
      [HPA_ENV.cluster]: JSON.stringify(resolved),
      [HPA_ENV.serviceName]: HPA_SERVICE_NAME,
      [HPA_ENV.logLevel]: props.logLevel ?? 'INFO',
      [HPA_ENV.metricsNamespace]: METRICS_NAMESPACE,
      // The bundle is minified; stack traces in the logs point at the TypeScript source.
      NODE_OPTIONS: '--enable-source-maps',
    };
    const size = environmentSize(environment);
    if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      throw new Error(
        `cluster ${cluster.name}: the HPA function's environment would be about ${size} bytes, over Lambda's ` +
          `${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit (the cluster config, e.g. caData, is too large)`,
      );
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? HPA_HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(70),
      description: `tideplane HPA loop for cluster ${cluster.name} (${resolved.accountId}/${resolved.region})`,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      retryAttempts: 0,
      maxEventAge: MIN_ASYNC_EVENT_AGE,
      ...network,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK at the versions package-lock.json pins instead of the runtime's copy.
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const alarmDefaults = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      ...alarmDefaults,
      metric: this.function.metricErrors(fiveMinutes),
      alarmDescription: `tideplane HPA loop of cluster ${cluster.name} failed (errors or timeouts in 5 minutes)`,
    });
    this.throttlesAlarm = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      ...alarmDefaults,
      metric: this.function.metricThrottles(fiveMinutes),
      alarmDescription: `tideplane HPA loop of cluster ${cluster.name} was throttled (account concurrency exhausted)`,
    });
    if (this.wildcardResourceReasons.length > 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: this.wildcardResourceReasons.join(' '),
      });
    }
  }

  /** Read-only access to the AWS metric sources the cluster's config turns on, and nothing else. */
  private addMetricSourcePermissions(metrics: MetricSourcesConfig | undefined): void {
    if (metrics?.awsRoleArn) {
      // The role's trust policy (in its account) must name this function's role; see README.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeMetricsRole',
          actions: ['sts:AssumeRole'],
          resources: [metrics.awsRoleArn],
        }),
      );
    }
    if (metrics?.sqs) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadQueueLength',
          actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
          resources: metrics.sqs.queueArns,
        }),
      );
      const patterns = metrics.sqs.queueArns.filter((arn) => /[*?]/.test(arn));
      if (patterns.length > 0) {
        Validations.of(this.role).acknowledge(
          ...patterns.map((arn) => ({
            id: `AwsSolutions-IAM5[Resource::${arn}]`,
            reason: `The deployment config scopes queue-length reads to the queues matching ${arn} (read-only).`,
          })),
        );
      }
    }
    if (metrics?.cloudwatch?.enabled) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadCloudWatchMetrics',
          actions: ['cloudwatch:GetMetricData'],
          resources: ['*'],
        }),
      );
      this.wildcardResourceReasons.push(
        'cloudwatch:GetMetricData supports no resource-level permissions; the HPA loop reads the metrics ' +
          'that autoscalers name (read-only).',
      );
    }
  }

  /**
   * What Lambda needs to attach the function to the VPC (the permissions of
   * AWSLambdaVPCAccessExecutionRole without its logs and with resources narrowed): create network
   * interfaces only in the configured subnets with the configured security groups, and manage network
   * interfaces of this account and region (their ids are made by Lambda, so none is known beforehand).
   */
  private addVpcExecutionPermissions(
    subnetIds: readonly string[],
    securityGroupIds: readonly string[],
  ): void {
    const ec2Arn = (resource: string) =>
      `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    const networkInterfaces = ec2Arn('network-interface/*');
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CreateVpcNetworkInterfaces',
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          networkInterfaces,
          ...subnetIds.map((id) => ec2Arn(`subnet/${id}`)),
          ...securityGroupIds.map((id) => ec2Arn(`security-group/${id}`)),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageVpcNetworkInterfaces',
        actions: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: [networkInterfaces],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeVpcNetworkInterfaces',
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
    );
    this.wildcardResourceReasons.push(
      'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions; ' +
        'Lambda needs them to attach the function to the cluster VPC.',
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      reason:
        'Lambda creates and deletes the function’s Hyperplane network interfaces itself, so their ids are ' +
        'unknown at deploy time; creation is confined to the configured subnets and security groups.',
    });
  }
}
