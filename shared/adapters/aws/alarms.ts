/**
 * The alarms port on `@aws-sdk/client-cloudwatch`.
 *
 * `describeAlarms` asks `DescribeAlarms` for metric alarms only, at most ALARM_NAMES_PER_CALL names a
 * call, following `NextToken`. The datapoints behind an alarm's last state change come from its
 * `StateReasonData`, a JSON string CloudWatch writes (`{"version":"1.0", ..., "recentDatapoints":[...],
 * "threshold":80.0, "evaluatedDatapoints":[...]}`, oldest first) and `SetAlarmState` lets anyone write,
 * so it is read defensively: anything that is not a list of numbers gives no datapoints.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as an `AlarmsError`.
 *
 * IAM: `cloudwatch:DescribeAlarms`, resource-level on metric alarms' ARNs,
 * `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` (a name prefix with `*` works); composite alarms
 * would need `Resource: *`, which is why only metric alarms are asked for.
 */
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  type AlarmState,
  type AlarmStatus,
  AlarmsError,
  type AlarmsErrorReason,
  type AlarmsPort,
} from '../../ports/alarms';
import { awsErrorMessage, isForbidden, isThrottle, isTimeout } from './errors';

/** `DescribeAlarms` takes at most 100 `AlarmNames`, and `MaxRecords` at most 100. */
export const ALARM_NAMES_PER_CALL = 100;
export const MAX_ALARM_RECORDS = 100;
/** Pages followed per batch; more means a loop in the API's tokens, reported as a failure. */
export const MAX_ALARM_PAGES = 10;

const STATES: ReadonlySet<string> = new Set<AlarmState>(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

function reasonOf(error: unknown): AlarmsErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  return 'Unavailable';
}

function toAlarmsError(error: unknown): AlarmsError {
  if (error instanceof AlarmsError) return error;
  return new AlarmsError(reasonOf(error), `DescribeAlarms: ${awsErrorMessage(error)}`, { cause: error });
}

/**
 * `recentDatapoints` of an alarm's `StateReasonData`, oldest first as CloudWatch writes them; empty when
 * the data is absent, not JSON, or has no such list. Entries that are not finite numbers are dropped.
 *
 * @example
 * recentDatapointsOf('{"version":"1.0","statistic":"Average","period":60,"recentDatapoints":[71.5,88.2],"threshold":80.0}');
 * // [71.5, 88.2]
 */
export function recentDatapointsOf(stateReasonData: string | undefined): number[] {
  if (!stateReasonData) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stateReasonData);
  } catch {
    return [];
  }
  const points =
    parsed !== null && typeof parsed === 'object'
      ? (parsed as { recentDatapoints?: unknown }).recentDatapoints
      : undefined;
  if (!Array.isArray(points)) return [];
  return points.filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
}

export function toAlarmStatus(alarm: MetricAlarm): AlarmStatus | undefined {
  if (!alarm.AlarmName) return undefined;
  // The last change of StateValue; StateUpdatedTimestamp also moves when only EvaluationState does.
  const changedAt = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  return {
    name: alarm.AlarmName,
    // A state CloudWatch adds later says nothing the loop can act on.
    state:
      alarm.StateValue && STATES.has(alarm.StateValue)
        ? (alarm.StateValue as AlarmState)
        : 'INSUFFICIENT_DATA',
    stateUpdatedAt: changedAt?.getTime() ?? 0,
    ...(alarm.Threshold !== undefined ? { threshold: alarm.Threshold } : {}),
    recentDatapoints: recentDatapointsOf(alarm.StateReasonData),
  };
}

/**
 * @example
 * const port = new AwsAlarms(new CloudWatchClient({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const [high, low] = await port.describeAlarms(['kube-1-control-plane-cpu-high', 'kube-1-control-plane-cpu-low']);
 */
export class AwsAlarms implements AlarmsPort {
  constructor(private readonly client: CloudWatchClient) {}

  async describeAlarms(names: string[]): Promise<AlarmStatus[]> {
    const unique = [...new Set(names)].filter((name) => name !== '');
    const found: AlarmStatus[] = [];
    for (let i = 0; i < unique.length; i += ALARM_NAMES_PER_CALL) {
      found.push(...(await this.describePages(unique.slice(i, i + ALARM_NAMES_PER_CALL))));
    }
    return found;
  }

  private async describePages(names: string[]): Promise<AlarmStatus[]> {
    const found: AlarmStatus[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_ALARM_PAGES; page++) {
      const output = await this.client
        .send(
          new DescribeAlarmsCommand({
            AlarmNames: names,
            AlarmTypes: ['MetricAlarm'],
            MaxRecords: MAX_ALARM_RECORDS,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toAlarmsError(error);
        });
      for (const alarm of output.MetricAlarms ?? []) {
        const status = toAlarmStatus(alarm);
        if (status) found.push(status);
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) return found;
    }
    throw new AlarmsError('Unavailable', `DescribeAlarms: more than ${MAX_ALARM_PAGES} pages`);
  }
}
