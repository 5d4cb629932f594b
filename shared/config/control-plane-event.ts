import { z } from 'zod';
import { loopRequestFields } from './loop-request';

/**
 * What starts the control-plane function: the schedule's (or a person's) request, a CloudWatch alarm
 * invoking it directly as its alarm action, or the alarm's state change through EventBridge. Both alarm
 * payloads become one domain event; the loop re-reads every alarm's state anyway, so the payload only
 * says "look now" and which alarm asked.
 */
export const controlPlaneRequestSchema = z
  .object({
    ...loopRequestFields,
    clearFailedSwap: z
      .boolean()
      .optional()
      .describe('Forget a failed swap (after a person looked at it), so swaps may start again.'),
  })
  .strict();

export type ControlPlaneRequest = z.infer<typeof controlPlaneRequestSchema>;

const alarmStateSchema = z.object({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z.string().optional(),
  timestamp: z.string().min(1),
});

const alarmNameSchema = z.string().min(1).max(255);

/**
 * The payload CloudWatch sends a Lambda alarm action
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda).
 */
export const alarmActionEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: z.string().regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'an alarm ARN'),
  accountId: z.string().regex(/^\d{12}$/),
  time: z.string().min(1),
  region: z.string().min(1),
  alarmData: z.object({ alarmName: alarmNameSchema, state: alarmStateSchema }),
});

/** EventBridge's "CloudWatch Alarm State Change". */
export const alarmStateChangeEventSchema = z.object({
  id: z.string().min(1),
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  account: z.string().regex(/^\d{12}$/),
  time: z.string().min(1),
  region: z.string().min(1),
  detail: z.object({ alarmName: alarmNameSchema, state: alarmStateSchema }),
});

export interface AlarmEvent {
  alarmName: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** Epoch ms of the event. */
  time: number;
  region: string;
  account: string;
  /** `alarm-action` (CloudWatch invoked the function) or `eventbridge`. */
  via: 'alarm-action' | 'eventbridge';
}

export type ControlPlaneEvent =
  | { kind: 'request'; request: ControlPlaneRequest }
  | { kind: 'alarm'; alarm: AlarmEvent };

export type ControlPlaneEventParse =
  | { ok: true; event: ControlPlaneEvent }
  | { ok: false; issues: z.core.$ZodIssue[] };

/** CloudWatch writes `+0000` where ISO 8601 parsers want `+00:00`. */
function parseTime(text: string): number {
  const time = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(time) ? time : Number.NaN;
}

/**
 * Tells the three payloads apart: an alarm action carries `alarmData`, an EventBridge alarm event a
 * `detail-type`, anything else is a request.
 *
 * @example
 * const parsed = parseControlPlaneEvent(payload);
 * if (parsed.ok && parsed.event.kind === 'alarm') log.info('woken by', { alarm: parsed.event.alarm.alarmName });
 */
export function parseControlPlaneEvent(payload: unknown): ControlPlaneEventParse {
  const object =
    typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  if (object?.source === undefined) {
    const parsed = controlPlaneRequestSchema.safeParse(payload);
    return parsed.success
      ? { ok: true, event: { kind: 'request', request: parsed.data } }
      : { ok: false, issues: parsed.error.issues };
  }
  const viaAction = object.alarmData !== undefined;
  if (viaAction) {
    const parsed = alarmActionEventSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, issues: parsed.error.issues };
    const e = parsed.data;
    return alarm(
      e.alarmData.alarmName,
      e.alarmData.state.value,
      e.time,
      e.region,
      e.accountId,
      'alarm-action',
    );
  }
  const parsed = alarmStateChangeEventSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues };
  const e = parsed.data;
  return alarm(e.detail.alarmName, e.detail.state.value, e.time, e.region, e.account, 'eventbridge');
}

function alarm(
  alarmName: string,
  state: AlarmEvent['state'],
  timeText: string,
  region: string,
  account: string,
  via: AlarmEvent['via'],
): ControlPlaneEventParse {
  const time = parseTime(timeText);
  if (Number.isNaN(time)) {
    return {
      ok: false,
      issues: [{ code: 'custom', path: ['time'], input: timeText, message: `not a time: "${timeText}"` }],
    };
  }
  return { ok: true, event: { kind: 'alarm', alarm: { alarmName, state, time, region, account, via } } };
}
