import { Aws, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { NODE_POOL_EVENT_TYPES } from '../../shared/config/node-pool-event';

/**
 * How long EventBridge keeps trying to hand a spot interruption warning to Lambda: its minimum. EC2 takes
 * the instance two minutes after the warning, and Lambda's own asynchronous queue keeps an accepted event
 * at most another 60 s (`ClusterLoopFunction`), so a warning is acted on within about two minutes or not
 * at all: an older one is useless, the node and its pods are gone by then.
 */
export const SPOT_WARNING_MAX_EVENT_AGE = Duration.seconds(60);

/** Delivery retries of a spot warning within `SPOT_WARNING_MAX_EVENT_AGE`: a throttled Invoke is worth another try. */
export const SPOT_WARNING_RETRY_ATTEMPTS = 2;

/**
 * How long a rebalance recommendation is worth delivering. It often comes minutes before the warning (or
 * with it), and nothing else tells the loop about it; a few minutes late it still moves pods off the node
 * before the warning, later it is more likely noise than notice.
 */
export const REBALANCE_MAX_EVENT_AGE = Duration.minutes(5);

/** Delivery retries of a rebalance recommendation within `REBALANCE_MAX_EVENT_AGE`. */
export const REBALANCE_RETRY_ATTEMPTS = 4;

/**
 * How long an instance state change is worth delivering: it only cleans up state of a node that is gone,
 * which is as right a quarter of an hour late as at once, but after a long outage a backlog of them
 * would only replay what the loop has since seen for itself.
 */
export const STATE_CHANGE_MAX_EVENT_AGE = Duration.minutes(15);

/** Delivery retries of a state change within `STATE_CHANGE_MAX_EVENT_AGE`. */
export const STATE_CHANGE_RETRY_ATTEMPTS = 8;

/**
 * The states that mean an instance is leaving or gone. `pending` and `running` (every launch in the
 * region) are left out in the pattern, so they never start the function.
 */
export const GONE_INSTANCE_STATES = ['stopping', 'stopped', 'shutting-down', 'terminated'] as const;

export interface InstanceEventRulesProps {
  /** The cluster (names the rules' descriptions). */
  readonly cluster: string;
  /** The cluster's node-pool function, which receives the whole event. */
  readonly target: lambda.IFunction;
  /**
   * Whether the rules deliver. Kept (DISABLED) when the cluster or loop is switched off.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * EventBridge rules on the default bus that hand EC2's instance events of this account to the cluster's
 * node-pool function: `EC2 Spot Instance Interruption Warning` (drain the node within its two minutes),
 * `EC2 Instance Rebalance Recommendation` (drain it early) and `EC2 Instance State-change Notification`
 * for instances stopping or terminating (clean up the state of a node that is gone).
 *
 * EC2's instance events name only the instance: no group, no tags, no cluster. So no pattern can pick
 * one cluster's nodes, and every cluster's function in the region receives every instance's events of
 * the account (on a busy account, every instance that terminates anywhere). The handler must drop an
 * instance that is not one of its cluster's nodes cheaply, from what it already has (its nodes'
 * provider IDs or the state store), before any Kubernetes or AWS call, and must not take the loop's lease
 * for it.
 *
 * Each event kind is its own rule so each gets the retry budget its usefulness allows (the constants
 * above); there is no dead-letter queue, since a stale instance event is nothing anyone would replay.
 * The function may be invoked only by EventBridge on behalf of these rules (each Lambda permission names
 * its rule's ARN).
 *
 * @example
 * new InstanceEventRules(this, 'NodePoolsInstanceEvents', {
 *   cluster: 'kube-prod-1', target: nodePools.function,
 * });
 */
export class InstanceEventRules extends Construct {
  readonly spotInterruptions: events.Rule;
  readonly rebalanceRecommendations: events.Rule;
  readonly stateChanges: events.Rule;

  constructor(scope: Construct, id: string, props: InstanceEventRulesProps) {
    super(scope, id);
    const rule = (
      ruleId: string,
      type: { source: string; detailType: string },
      what: string,
      delivery: { retryAttempts: number; maxEventAge: Duration },
      detail?: Record<string, unknown>,
    ) =>
      new events.Rule(this, ruleId, {
        description: `tideplane node-pool loop of cluster ${props.cluster}: ${what}`,
        enabled: props.enabled ?? true,
        eventPattern: {
          source: [type.source],
          detailType: [type.detailType],
          // Events forwarded from other accounts' buses name instances this function cannot see.
          account: [Aws.ACCOUNT_ID],
          ...(detail ? { detail } : {}),
        },
        targets: [new targets.LambdaFunction(props.target, delivery)],
      });

    this.spotInterruptions = rule(
      'SpotInterruptionWarnings',
      NODE_POOL_EVENT_TYPES['spot-interruption'],
      'EC2 spot interruption warnings (every instance of the account and region)',
      { retryAttempts: SPOT_WARNING_RETRY_ATTEMPTS, maxEventAge: SPOT_WARNING_MAX_EVENT_AGE },
    );
    this.rebalanceRecommendations = rule(
      'RebalanceRecommendations',
      NODE_POOL_EVENT_TYPES['rebalance-recommendation'],
      'EC2 rebalance recommendations (every instance of the account and region)',
      { retryAttempts: REBALANCE_RETRY_ATTEMPTS, maxEventAge: REBALANCE_MAX_EVENT_AGE },
    );
    this.stateChanges = rule(
      'StateChanges',
      NODE_POOL_EVENT_TYPES['instance-state-change'],
      'EC2 instances stopping or terminating (every instance of the account and region)',
      { retryAttempts: STATE_CHANGE_RETRY_ATTEMPTS, maxEventAge: STATE_CHANGE_MAX_EVENT_AGE },
      { state: [...GONE_INSTANCE_STATES] },
    );
  }
}
