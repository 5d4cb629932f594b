import { z } from 'zod';
import { loopRequestFields } from './loop-request';

/**
 * What the node-pool function accepts. The schedule sends `{"cluster": "<name>"}`; a person testing from
 * the Lambda console adds fields (README, "Console test events"); EventBridge delivers Auto Scaling's
 * `EC2 Instance Launch Unsuccessful` events so a failed launch is handled at once instead of at the
 * next tick.
 */
export const nodePoolRequestSchema = z.object(loopRequestFields).strict();

/** Auto Scaling's event, as EventBridge delivers it (only the fields the loop reads are checked). */
export const launchUnsuccessfulEventSchema = z.object({
  source: z.literal('aws.autoscaling'),
  'detail-type': z.literal('EC2 Instance Launch Unsuccessful'),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  detail: z.object({
    AutoScalingGroupName: z.string().min(1),
    StatusCode: z.string().optional(),
    StatusMessage: z.string().default(''),
    Cause: z.string().optional(),
    Details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type NodePoolRequest = z.infer<typeof nodePoolRequestSchema>;
export type LaunchUnsuccessfulEvent = z.infer<typeof launchUnsuccessfulEventSchema>;

export type NodePoolEvent =
  | { kind: 'request'; request: NodePoolRequest }
  | { kind: 'launch-unsuccessful'; event: LaunchUnsuccessfulEvent };

/**
 * Tells the two payloads apart by `source`, so an invalid console event is reported against the console
 * schema and a malformed Auto Scaling event against the event's.
 */
export function parseNodePoolEvent(
  payload: unknown,
): { ok: true; event: NodePoolEvent } | { ok: false; issues: z.core.$ZodIssue[] } {
  const fromEventBridge =
    typeof payload === 'object' && payload !== null && (payload as { source?: unknown }).source !== undefined;
  if (fromEventBridge) {
    const parsed = launchUnsuccessfulEventSchema.safeParse(payload);
    return parsed.success
      ? { ok: true, event: { kind: 'launch-unsuccessful', event: parsed.data } }
      : { ok: false, issues: parsed.error.issues };
  }
  const parsed = nodePoolRequestSchema.safeParse(payload);
  return parsed.success
    ? { ok: true, event: { kind: 'request', request: parsed.data } }
    : { ok: false, issues: parsed.error.issues };
}
