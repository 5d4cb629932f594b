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
import type { StateTable } from './state-table';

/** The repository root (the directory of package.json and package-lock.json). */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The environment contract between a loop function and its handler (`functions/<loop>/handler.ts`). The
 * handler parses `TIDEPLANE_CLUSTER` (a `ResolvedCluster` as JSON) with the same zod schemas the config
 * loader uses.
 */
export const LOOP_ENV = {
  /** Name of the state table. */
  table: 'TIDEPLANE_TABLE',
  /** The `ResolvedCluster` (account id, region, cluster config, merged HPA settings) as JSON. */
  cluster: 'TIDEPLANE_CLUSTER',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

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
 * test/cluster/support/bundle-handler.ts keeps a byte-checked copy of these bundling options.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as tideplaneCreateRequire } from 'node:module'; const require = tideplaneCreateRequire(import.meta.url);";

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The per-loop sections of a cluster's config. */
export const LOOP_SECTIONS = ['hpa', 'metrics', 'nodePools', 'controlPlane', 'vpa'] as const;
export type LoopSection = (typeof LOOP_SECTIONS)[number];

/**
 * The resolved cluster as one function needs it: the cluster's own settings and only its loop's
 * sections (the handler parses it with the same schema, where every loop section is optional).
 *
 * @example configFor(resolved, ['nodePools']).cluster.hpa // undefined
 */
export function configFor(resolved: ResolvedCluster, sections: readonly LoopSection[]): ResolvedCluster {
  const cluster: Record<string, unknown> = { ...resolved.cluster };
  for (const section of LOOP_SECTIONS) if (!sections.includes(section)) delete cluster[section];
  return { ...resolved, cluster: cluster as ResolvedCluster['cluster'] };
}

/** What every loop function lets its user tune; each loop's construct documents its own defaults. */
export interface ClusterLoopFunctionOptions {
  /** The cluster this function runs the loop for. */
  readonly cluster: ResolvedCluster;
  /** The state table; the function may touch only the `cluster#<name>` partition. */
  readonly table: StateTable;
  /** The handler source file. */
  readonly entry?: string;
  /** Memory in MB (also buys CPU). */
  readonly memorySize?: number;
  /** Invocation timeout. */
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
 * One grant a loop needs beyond what every loop gets. cdk-nag (AwsSolutions-IAM5) flags wildcard
 * resources; each one is acknowledged here with the reason that makes it least privilege.
 */
export interface LoopPermission {
  /** The statement, with a `sid`. */
  readonly statement: iam.PolicyStatement;
  /**
   * Why the statement needs `Resource: *` (usually: the actions support no resource-level permissions).
   * Required when the statement has it; every loop's reasons end up in one acknowledgement.
   */
  readonly wildcardResourceReason?: string;
  /** Acknowledgements of its other wildcard resources, e.g. `AwsSolutions-IAM5[Resource::<pattern>]`. */
  readonly acknowledgements?: readonly { readonly id: string; readonly reason: string }[];
}

export interface ClusterLoopFunctionProps extends ClusterLoopFunctionOptions {
  /** The handler source file. */
  readonly entry: string;
  /** Names the loop in descriptions and errors, e.g. `HPA` or `node-pool`. */
  readonly loop: string;
  /**
   * The loop sections of the cluster config this function reads; the others are left out of its
   * environment (Lambda allows 4 KB for all of it, and a cluster with every loop configured is bigger).
   */
  readonly configSections: readonly LoopSection[];
  /** Powertools service name of the function's logs and metrics. */
  readonly serviceName: string;
  /**
   * Description of the role and (with account and region) of the function.
   * @default `tideplane <loop> loop for cluster <name>`
   */
  readonly description?: string;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout.
   * @default Duration.seconds(70)
   */
  readonly timeout?: Duration;
  /**
   * Secrets the loop reads besides the cluster's own kubeconfig or token (e.g. metric source tokens).
   * @default none
   */
  readonly secretArns?: readonly string[];
  /**
   * The loop's own grants, in the order they appear in the role's policy.
   * @default none
   */
  readonly permissions?: readonly LoopPermission[];
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
 * How every tideplane function is built and run, whatever its loop: the handler file bundled by esbuild
 * (ESM, minified, with source maps and the AWS SDK at the versions package-lock.json pins), on Node.js 24
 * on arm64. A construct that is not a `ClusterLoopFunction` (the region's quota function) spreads it into
 * its `NodejsFunction` props, so every function ships the same way.
 *
 * @example
 * new nodejs.NodejsFunction(this, 'Function', { ...functionBuildProps(QUOTAS_HANDLER_ENTRY), memorySize: 256 });
 */
export function functionBuildProps(
  entry: string,
): Pick<
  nodejs.NodejsFunctionProps,
  'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  return {
    entry,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
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
  };
}

/**
 * The one logs grant a function with its own log group needs (Lambda creates no group when the function
 * names one). The log group ARN ends in `:*`, i.e. exactly this group's log streams.
 *
 * @example role.addToPrincipalPolicy(writeOwnLogsStatement(logGroup));
 */
export function writeOwnLogsStatement(logGroup: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  });
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
 * One loop's Lambda function for one cluster, with its own role, log group and alarms: what the HPA,
 * node-pool and later loops share. A loop's construct extends it, so its resources sit directly under
 * the loop's construct id and keep their logical ids.
 *
 * The role may: read the cluster's secret (kubeconfig and token access only) and the loop's extra
 * secrets, read and write the cluster's partition of the state table, write to its own log group, do
 * what the loop's `permissions` say, and, in a VPC, manage the function's network interfaces in the
 * configured subnets and security groups. EKS access needs no IAM action at all: the handler presigns
 * `sts:GetCallerIdentity` (which needs no permission) and the API server maps this role to a Kubernetes
 * identity through an EKS access entry or `aws-auth`; the role ARN is `role.roleArn`.
 *
 * Asynchronous invocations (EventBridge Scheduler and EventBridge rules invoke Lambda asynchronously) are
 * not retried and are dropped after 60 s: the next minute's run replaces a failed or throttled one. No
 * reserved concurrency: the DynamoDB lease already keeps overlapping invocations from acting twice, at
 * most two scheduled runs overlap per cluster and loop (70 s timeout, one run a minute), and reserving
 * would take concurrency from the account's unreserved pool (and fails outright in accounts with the
 * minimum quota). No X-Ray tracing: the handlers have no tracer, and active tracing would add a
 * `Resource: *` grant for nothing.
 *
 * @example
 * class ClusterVpaFunction extends ClusterLoopFunction {
 *   constructor(scope: Construct, id: string, props: ClusterLoopFunctionOptions) {
 *     super(scope, id, { ...props, loop: 'VPA', entry: VPA_HANDLER_ENTRY, serviceName: 'tideplane-vpa' });
 *   }
 * }
 */
export class ClusterLoopFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Function errors ≥ 1 within 5 minutes (a tick threw or the invocation timed out). */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** Throttled invocations ≥ 1 within 5 minutes (the account's concurrency ran out). */
  readonly throttlesAlarm: cloudwatch.Alarm;

  /** Why the role has statements on `Resource: *` (acknowledged to cdk-nag once, with every reason). */
  private readonly wildcardResourceReasons: string[] = [];

  constructor(scope: Construct, id: string, props: ClusterLoopFunctionProps) {
    super(scope, id);
    const { cluster: resolved, table, loop } = props;
    const { cluster } = resolved;
    const description = props.description ?? `tideplane ${loop} loop for cluster ${cluster.name}`;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    this.role.addToPrincipalPolicy(writeOwnLogsStatement(this.logGroup));
    table.grantClusterReadWrite(this.role, cluster.name);
    const secrets = [
      ...(cluster.access.kind !== 'eks' ? [cluster.access.secretArn] : []),
      ...(props.secretArns ?? []),
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
    for (const permission of props.permissions ?? []) this.addPermission(permission);

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
      [LOOP_ENV.table]: table.tableName,
      [LOOP_ENV.cluster]: JSON.stringify(configFor(resolved, props.configSections)),
      [LOOP_ENV.serviceName]: props.serviceName,
      [LOOP_ENV.logLevel]: props.logLevel ?? 'INFO',
      [LOOP_ENV.metricsNamespace]: METRICS_NAMESPACE,
      // The bundle is minified; stack traces in the logs point at the TypeScript source.
      NODE_OPTIONS: '--enable-source-maps',
    };
    const size = environmentSize(environment);
    if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      throw new Error(
        `cluster ${cluster.name}: the ${loop} function's environment would be about ${size} bytes, over ` +
          `Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit (the cluster config, e.g. caData, is too large)`,
      );
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...functionBuildProps(props.entry),
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(70),
      description: `${description} (${resolved.accountId}/${resolved.region})`,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      retryAttempts: 0,
      maxEventAge: MIN_ASYNC_EVENT_AGE,
      ...network,
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
      alarmDescription: `tideplane ${loop} loop of cluster ${cluster.name} failed (errors or timeouts in 5 minutes)`,
    });
    this.throttlesAlarm = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      ...alarmDefaults,
      metric: this.function.metricThrottles(fiveMinutes),
      alarmDescription: `tideplane ${loop} loop of cluster ${cluster.name} was throttled (account concurrency exhausted)`,
    });
    if (this.wildcardResourceReasons.length > 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: this.wildcardResourceReasons.join(' '),
      });
    }
  }

  private addPermission({ statement, wildcardResourceReason, acknowledgements }: LoopPermission): void {
    const json = statement.toStatementJson() as { Resource?: unknown };
    const onEverything = [json.Resource].flat().includes('*');
    if (onEverything && !wildcardResourceReason) {
      throw new Error(`statement ${statement.sid ?? '(no sid)'} grants Resource * without a reason`);
    }
    this.role.addToPrincipalPolicy(statement);
    if (wildcardResourceReason) this.wildcardResourceReasons.push(wildcardResourceReason);
    if (acknowledgements && acknowledgements.length > 0) {
      Validations.of(this.role).acknowledge(...acknowledgements);
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
