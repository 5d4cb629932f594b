import { z } from 'zod';
import { loopRequestFields } from './loop-request';

/**
 * What the node-pool function accepts. The schedule sends `{"cluster": "<name>"}`; a person testing from
 * the Lambda console adds fields (README, "Console test events"). EventBridge delivers Auto Scaling's
 * `EC2 Instance Launch Unsuccessful` events, so a failed launch is handled at once instead of at the next
 * tick, and EC2's spot interruption warnings, rebalance recommendations and instance state changes, so a
 * node about to be taken is drained within its two minutes and a vanished one is cleaned up.
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

/** EC2 instance ids: `i-` and 8 (older) or 17 hex digits. */
const instanceIdSchema = z.string().regex(/^i-([0-9a-f]{8}|[0-9a-f]{17})$/, 'an EC2 instance id (i-...)');

/**
 * The envelope fields of EC2's instance events the loop reads: `id` keys idempotency (EventBridge may
 * deliver an event twice), `account` and `region` tell another account's or region's instance apart.
 * `resources` is not read: the spot warning's instance ARN names the zone and no account.
 */
const ec2EventEnvelope = {
  source: z.literal('aws.ec2'),
  id: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
};

/**
 * EC2's two-minute warning before it takes a spot instance
 * (docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html). `stop` and
 * `hibernate` come from persistent spot requests; Auto Scaling's spot instances are always terminated.
 */
export const spotInterruptionEventSchema = z.object({
  ...ec2EventEnvelope,
  'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
  detail: z.object({
    'instance-id': instanceIdSchema,
    'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
  }),
});

/**
 * EC2's signal that a spot instance is at elevated risk of interruption; it may come well before the
 * warning, or with it (docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html).
 */
export const rebalanceRecommendationEventSchema = z.object({
  ...ec2EventEnvelope,
  'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
  detail: z.object({ 'instance-id': instanceIdSchema }),
});

/** The states EC2 reports (docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html). */
export const INSTANCE_STATES = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
] as const;

/** Any instance's state change, whichever launched it. */
export const instanceStateChangeEventSchema = z.object({
  ...ec2EventEnvelope,
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  detail: z.object({ 'instance-id': instanceIdSchema, state: z.enum(INSTANCE_STATES) }),
});

export type NodePoolRequest = z.infer<typeof nodePoolRequestSchema>;
export type LaunchUnsuccessfulEvent = z.infer<typeof launchUnsuccessfulEventSchema>;
export type SpotInterruptionEvent = z.infer<typeof spotInterruptionEventSchema>;
export type RebalanceRecommendationEvent = z.infer<typeof rebalanceRecommendationEventSchema>;
export type InstanceStateChangeEvent = z.infer<typeof instanceStateChangeEventSchema>;

export type NodePoolEvent =
  | { kind: 'request'; request: NodePoolRequest }
  | { kind: 'launch-unsuccessful'; event: LaunchUnsuccessfulEvent }
  | { kind: 'spot-interruption'; event: SpotInterruptionEvent }
  | { kind: 'rebalance-recommendation'; event: RebalanceRecommendationEvent }
  | { kind: 'instance-state-change'; event: InstanceStateChangeEvent };

type EventBridgeKind = Exclude<NodePoolEvent['kind'], 'request'>;
type EventOf<K extends EventBridgeKind> = Extract<NodePoolEvent, { kind: K }>['event'];

/**
 * The EventBridge events the node-pool function handles, by the `source` and `detail-type` that pick
 * the schema; the CDK rules match the same strings.
 */
export const NODE_POOL_EVENT_TYPES: {
  readonly [K in EventBridgeKind]: {
    readonly source: string;
    readonly detailType: string;
    readonly schema: z.ZodType<EventOf<K>>;
  };
} = {
  'launch-unsuccessful': {
    source: 'aws.autoscaling',
    detailType: 'EC2 Instance Launch Unsuccessful',
    schema: launchUnsuccessfulEventSchema,
  },
  'spot-interruption': {
    source: 'aws.ec2',
    detailType: 'EC2 Spot Instance Interruption Warning',
    schema: spotInterruptionEventSchema,
  },
  'rebalance-recommendation': {
    source: 'aws.ec2',
    detailType: 'EC2 Instance Rebalance Recommendation',
    schema: rebalanceRecommendationEventSchema,
  },
  'instance-state-change': {
    source: 'aws.ec2',
    detailType: 'EC2 Instance State-change Notification',
    schema: instanceStateChangeEventSchema,
  },
};

export type NodePoolEventParse =
  | { ok: true; event: NodePoolEvent }
  /**
   * `unknown-event`: an EventBridge event of a source and detail-type this function does not handle (a
   * rule matching too much); `invalid`: a known kind with a missing or malformed field.
   */
  | { ok: false; reason: 'unknown-event' | 'invalid'; issues: z.core.$ZodIssue[] };

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : value === undefined ? 'none' : JSON.stringify(value);
}

/**
 * Tells the payloads apart by `source` and `detail-type`, so an invalid console event is reported against
 * the console schema and a malformed EventBridge event against its own kind's; an event of any other
 * kind is refused as unknown, naming what it was and what is handled.
 *
 * @example
 * const parsed = parseNodePoolEvent(payload);
 * if (parsed.ok && parsed.event.kind === 'spot-interruption') drain(parsed.event.event.detail['instance-id']);
 */
export function parseNodePoolEvent(payload: unknown): NodePoolEventParse {
  const fromEventBridge =
    typeof payload === 'object' && payload !== null && (payload as { source?: unknown }).source !== undefined;
  if (!fromEventBridge) {
    const parsed = nodePoolRequestSchema.safeParse(payload);
    return parsed.success
      ? { ok: true, event: { kind: 'request', request: parsed.data } }
      : { ok: false, reason: 'invalid', issues: parsed.error.issues };
  }
  const { source, 'detail-type': detailType } = payload as { source: unknown; 'detail-type'?: unknown };
  for (const kind of Object.keys(NODE_POOL_EVENT_TYPES) as EventBridgeKind[]) {
    const type = NODE_POOL_EVENT_TYPES[kind];
    if (type.source !== source || type.detailType !== detailType) continue;
    const parsed = type.schema.safeParse(payload);
    // The kind and its schema come from the same entry, which the table's type ties together.
    return parsed.success
      ? { ok: true, event: { kind, event: parsed.data } as NodePoolEvent }
      : { ok: false, reason: 'invalid', issues: parsed.error.issues };
  }
  const handled = Object.values(NODE_POOL_EVENT_TYPES)
    .map((type) => `"${type.detailType}" from ${type.source}`)
    .join(', ');
  return {
    ok: false,
    reason: 'unknown-event',
    issues: [
      {
        code: 'custom',
        path: ['detail-type'],
        input: detailType,
        message:
          `the node-pool function handles no ${describeValue(detailType)} events from ${describeValue(source)} ` +
          `(it handles ${handled})`,
      },
    ],
  };
}
