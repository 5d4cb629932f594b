import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { MetricSourcesConfig } from '../../shared/config/schema';
import {
  ClusterLoopFunction,
  type ClusterLoopFunctionOptions,
  LOOP_ENV,
  type LoopPermission,
} from './cluster-loop-function';

export {
  environmentSize,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  type LogLevel,
  METRICS_NAMESPACE,
  secretResourceArn,
} from './cluster-loop-function';

/** The HPA handler; the lead owns it. */
export const HPA_HANDLER_ENTRY = fileURLToPath(new URL('../../functions/hpa/handler.ts', import.meta.url));

/** The environment contract between this construct and `functions/hpa/handler.ts` (every loop's). */
export const HPA_ENV = LOOP_ENV;

/** Powertools service name of the HPA function's logs and metrics. */
export const HPA_SERVICE_NAME = 'tideplane-hpa';

export interface ClusterHpaFunctionProps extends ClusterLoopFunctionOptions {
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
}

/**
 * The HPA loop's Lambda function for one cluster: a `ClusterLoopFunction` (role, log group, alarms, VPC
 * attachment, cluster secret and state partition) plus read-only access to the metric sources the
 * cluster's config turns on, and their secrets.
 *
 * @example
 * const hpa = new ClusterHpaFunction(this, 'Hpa', { cluster: resolved, table });
 * new ClusterSchedule(this, 'HpaSchedule', { cluster: resolved.cluster.name, target: hpa.function });
 */
export class ClusterHpaFunction extends ClusterLoopFunction {
  constructor(scope: Construct, id: string, props: ClusterHpaFunctionProps) {
    const { metrics } = props.cluster.cluster;
    super(scope, id, {
      ...props,
      entry: props.entry ?? HPA_HANDLER_ENTRY,
      loop: 'HPA',
      configSections: ['hpa', 'metrics'],
      serviceName: HPA_SERVICE_NAME,
      secretArns: metricSourceSecrets(metrics),
      permissions: metricSourcePermissions(metrics),
    });
  }
}

/** The secrets of the metric sources the cluster's config turns on. */
function metricSourceSecrets(metrics: MetricSourcesConfig | undefined): string[] {
  return [
    metrics?.prometheus?.bearerTokenSecretArn,
    metrics?.influxdb?.tokenSecretArn,
    metrics?.prometheus?.basicAuthSecretArn,
  ].filter((arn): arn is string => arn !== undefined && arn !== '');
}

/** Read-only access to the AWS metric sources the cluster's config turns on, and nothing else. */
function metricSourcePermissions(metrics: MetricSourcesConfig | undefined): LoopPermission[] {
  const permissions: LoopPermission[] = [];
  if (metrics?.awsRoleArn) {
    // The role's trust policy (in its account) must name this function's role; see README.
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'AssumeMetricsRole',
        actions: ['sts:AssumeRole'],
        resources: [metrics.awsRoleArn],
      }),
    });
  }
  if (metrics?.sqs) {
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'ReadQueueLength',
        actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        resources: metrics.sqs.queueArns,
      }),
      acknowledgements: metrics.sqs.queueArns
        .filter((arn) => /[*?]/.test(arn))
        .map((arn) => ({
          id: `AwsSolutions-IAM5[Resource::${arn}]`,
          reason: `The deployment config scopes queue-length reads to the queues matching ${arn} (read-only).`,
        })),
    });
  }
  if (metrics?.cloudwatch?.enabled) {
    permissions.push({
      statement: new iam.PolicyStatement({
        sid: 'ReadCloudWatchMetrics',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
      wildcardResourceReason:
        'cloudwatch:GetMetricData supports no resource-level permissions; the HPA loop reads the metrics ' +
        'that autoscalers name (read-only).',
    });
  }
  return permissions;
}
