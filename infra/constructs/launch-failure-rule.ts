import { Aws, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** What Auto Scaling sends to the default event bus when a group could not launch an instance. */
export const LAUNCH_UNSUCCESSFUL = {
  source: 'aws.autoscaling',
  detailType: 'EC2 Instance Launch Unsuccessful',
} as const;

/**
 * How long EventBridge keeps trying to hand a failure event to Lambda (its minimum). Lambda's own
 * asynchronous queue then keeps it at most another 60 s (`ClusterLoopFunction`), so an event is acted on
 * within about two minutes or never: by then the running loop, which reads the groups' scaling activities
 * every tick, has seen the same failure.
 */
export const LAUNCH_FAILURE_MAX_EVENT_AGE = Duration.seconds(60);

/**
 * Delivery retries within `LAUNCH_FAILURE_MAX_EVENT_AGE`: a throttled Invoke is worth another try while
 * the event is fresh (the fallback starts a tick earlier), not after.
 */
export const LAUNCH_FAILURE_RETRY_ATTEMPTS = 2;

export interface LaunchFailureRuleProps {
  /** The cluster (names the rule's description). */
  readonly cluster: string;
  /** The cluster's node-pool function, which receives the whole event. */
  readonly target: lambda.IFunction;
  /**
   * The groups whose failures matter, when the config lists every one (`discoverByTags: false`).
   * Otherwise the rule matches every group of the account and region, and the handler ignores the
   * groups of other clusters after one DescribeAutoScalingGroups call: which groups are the cluster's is
   * known only from their tags at run time.
   * @default every group
   */
  readonly groupNames?: readonly string[];
  /**
   * Whether the rule delivers. Kept (DISABLED) when the cluster or loop is switched off.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * An EventBridge rule on the default bus that hands Auto Scaling's `EC2 Instance Launch Unsuccessful`
 * events of this account to the node-pool function at once, so a capacity failure backs the group off
 * and falls back to the next pool without waiting for the next tick.
 *
 * The event is a shortcut, not the source of truth: the loop also finds failed launches in the groups'
 * scaling activities every tick. So delivery is retried only briefly (`LAUNCH_FAILURE_MAX_EVENT_AGE`)
 * and there is no dead-letter queue: a stale failure event is nothing anyone would replay, and the
 * failed activity stays visible in DescribeScalingActivities. The function may be invoked only by
 * EventBridge on behalf of this rule (the Lambda permission names the rule's ARN).
 *
 * @example
 * new LaunchFailureRule(this, 'NodePoolsLaunchFailures', {
 *   cluster: 'kube-prod-1', target: nodePools.function, groupNames: ['kube-prod-1-default-a'],
 * });
 */
export class LaunchFailureRule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: LaunchFailureRuleProps) {
    super(scope, id);
    if (props.groupNames?.length === 0) {
      throw new Error(`cluster ${props.cluster}: a launch-failure rule for no groups would never match`);
    }
    this.rule = new events.Rule(this, 'Rule', {
      description: `tideplane node-pool loop of cluster ${props.cluster}: Auto Scaling launch failures`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: [LAUNCH_UNSUCCESSFUL.source],
        detailType: [LAUNCH_UNSUCCESSFUL.detailType],
        // Events forwarded from other accounts' buses name groups this function cannot see.
        account: [Aws.ACCOUNT_ID],
        ...(props.groupNames ? { detail: { AutoScalingGroupName: [...props.groupNames] } } : {}),
      },
      targets: [
        new targets.LambdaFunction(props.target, {
          retryAttempts: LAUNCH_FAILURE_RETRY_ATTEMPTS,
          maxEventAge: LAUNCH_FAILURE_MAX_EVENT_AGE,
        }),
      ],
    });
  }
}
