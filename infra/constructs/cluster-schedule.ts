import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

/**
 * How long Scheduler keeps trying to hand one run to Lambda (its minimum). A run that did not start
 * within a minute is worthless: the next minute's run does the same work with fresher data.
 */
export const SCHEDULE_MAX_EVENT_AGE = Duration.seconds(60);

export interface ClusterScheduleProps {
  /** The cluster the loop runs for; the function receives `{"cluster": "<name>"}`. */
  readonly cluster: string;
  /** Which loop (names the description), e.g. `hpa`. */
  readonly loop: string;
  /** The function to invoke. */
  readonly target: lambda.IFunction;
  /**
   * Whether the schedule runs. A disabled schedule is kept (state DISABLED), so turning a cluster or a
   * loop back on is a config change, not a new resource.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * When the loop runs. Inside one invocation the loop ticks every interval until time runs low.
   * @default rate(1 minute)
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * The schedule group; the invoking role trusts Scheduler only on behalf of this group.
   * @default the account's `default` group
   */
  readonly scheduleGroup?: scheduler.IScheduleGroup;
  /**
   * The role the schedule invokes `target` with; it must allow `lambda:InvokeFunction` on it
   * (`schedulerInvokeRole`). A cluster's schedules share one, so that a cluster costs four fewer IAM
   * roles (an account holds 1,000 by default).
   * @default a role of its own that may invoke `target` only
   */
  readonly role?: iam.Role;
}

/**
 * An EventBridge Scheduler schedule that invokes one cluster's loop function every minute.
 *
 * The flexible time window is off (a tick must not drift by minutes). Scheduler does not retry and drops
 * a run after 60 s, because the next run replaces it; there is no dead-letter queue for the same reason
 * (a queue of stale "run now" events is nothing anyone can replay; dropped runs show in the schedule
 * group's `InvocationDroppedCount`). The schedule's role may only `lambda:InvokeFunction` that function's
 * unqualified ARN (and, when shared, the same cluster's other loop functions), and only Scheduler acting
 * for this account and schedule group may assume it.
 *
 * @example
 * new ClusterSchedule(this, 'HpaSchedule', { cluster: 'kube-prod-1', loop: 'hpa', target: hpa.function });
 */
export class ClusterSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ClusterScheduleProps) {
    super(scope, id);
    const group = props.scheduleGroup;
    this.role =
      props.role ??
      schedulerInvokeRole(this, {
        targets: [props.target],
        ...(group ? { scheduleGroup: group } : {}),
        sid: 'InvokeLoopFunction',
        description: `EventBridge Scheduler: invoke the tideplane ${props.loop} loop of cluster ${props.cluster}`,
      });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      target: new InvokeUnqualified(props.target, this.role, { cluster: props.cluster }),
      ...(group ? { scheduleGroup: group } : {}),
      enabled: props.enabled ?? true,
      timeWindow: scheduler.TimeWindow.off(),
      description: `tideplane ${props.loop} loop of cluster ${props.cluster}`,
    });
  }
}

/**
 * The role schedules invoke their functions with: only `lambda:InvokeFunction` on the `targets`'
 * unqualified ARNs, and only Scheduler acting for this account and schedule group may assume it (the
 * confused-deputy guard). Shared by the loop and quota schedules.
 *
 * @example schedulerInvokeRole(this, { targets: [fn], scheduleGroup, sid: 'InvokeLoopFunction', description })
 */
export function schedulerInvokeRole(
  scope: Construct,
  props: {
    targets: readonly lambda.IFunction[];
    scheduleGroup?: scheduler.IScheduleGroup;
    sid: string;
    description: string;
    /** @default 'Role' */
    id?: string;
  },
): iam.Role {
  const groupArn =
    props.scheduleGroup?.scheduleGroupArn ??
    Stack.of(scope).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
  const role = new iam.Role(scope, props.id ?? 'Role', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': groupArn } },
    }),
    description: props.description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: props.sid,
      actions: ['lambda:InvokeFunction'],
      resources: props.targets.map((target) => target.functionArn),
    }),
  );
  return role;
}

/**
 * A Lambda target with a role we made. The stock `LambdaInvoke` target grants through
 * `IFunction.grantInvoke`, which adds `<function ARN>:*` (every version and alias) to the role; the
 * schedule invokes the unqualified function only. No retries: the next scheduled run replaces a lost one.
 */
export class InvokeUnqualified implements scheduler.IScheduleTarget {
  constructor(
    private readonly target: lambda.IFunction,
    private readonly role: iam.IRole,
    private readonly input: Record<string, unknown>,
  ) {}

  bind(_schedule: scheduler.ISchedule): scheduler.ScheduleTargetConfig {
    return {
      arn: this.target.functionArn,
      role: this.role,
      input: scheduler.ScheduleTargetInput.fromObject(this.input),
      retryPolicy: {
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE.toSeconds(),
      },
    };
  }
}
