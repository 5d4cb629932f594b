/**
 * EC2's instance events as the simulated cloud emits them, and the JSON EventBridge hands a Lambda for
 * each: the same bytes a rule on the default bus delivers, so the simulator's event source parses them
 * with the production schema rather than trusting its own objects.
 */

/** What the simulator knows of the instance an event is about (EC2's event itself names only the id). */
interface InstanceEventBase {
  /** EventBridge's event id: unique per event, the same when it is delivered again. */
  id: string;
  /** When EC2 emitted it (epoch ms). */
  time: number;
  instanceId: string;
  groupName: string;
  nodeName: string;
  zone: string;
  instanceType: string;
}

/** `EC2 Spot Instance Interruption Warning`: EC2 takes the instance at `interruptAt`. */
export interface SpotInterruptionInstanceEvent extends InstanceEventBase {
  kind: 'spot-interruption';
  /** Auto Scaling groups' spot instances are always terminated, never stopped or hibernated. */
  instanceAction: 'terminate';
  interruptAt: number;
}

/** `EC2 Instance Rebalance Recommendation`: elevated interruption risk; EC2 takes nothing by it. */
export interface RebalanceRecommendationInstanceEvent extends InstanceEventBase {
  kind: 'rebalance-recommendation';
}

/**
 * `EC2 Instance State-change Notification` of an instance leaving: `shutting-down` when its termination
 * starts, `terminated` when it is gone. Launches (`pending`, `running`) are not emitted: the production
 * rule does not match them.
 */
export interface StateChangeInstanceEvent extends InstanceEventBase {
  kind: 'instance-state-change';
  state: 'shutting-down' | 'terminated';
}

export type SimInstanceEvent =
  | SpotInterruptionInstanceEvent
  | RebalanceRecommendationInstanceEvent
  | StateChangeInstanceEvent;

/** An instant as EC2 writes it in events: whole seconds, `2025-06-03T08:00:00Z`. */
function eventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The event as EventBridge delivers it to a target, with the envelope of an event on the default bus
 * (docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html,
 * .../rebalance-recommendations.html, .../monitoring-instance-state-changes.html). Its `time` has whole
 * seconds, as EC2's has.
 *
 * @example
 * const payload = eventBridgeEvent(event, { account: '123456789012', region: 'eu-central-1' });
 * parseNodePoolEvent(payload); // { ok: true, event: { kind: event.kind, ... } }
 */
export function eventBridgeEvent(
  event: SimInstanceEvent,
  where: { account: string; region: string },
): Record<string, unknown> {
  const envelope = {
    version: '0',
    id: event.id,
    source: 'aws.ec2',
    account: where.account,
    time: eventTime(event.time),
    region: where.region,
  };
  const instanceArn = `arn:aws:ec2:${where.region}:${where.account}:instance/${event.instanceId}`;
  switch (event.kind) {
    case 'spot-interruption':
      return {
        ...envelope,
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        // EC2's warning names the zone in its ARN, and no account.
        resources: [`arn:aws:ec2:${event.zone}:instance/${event.instanceId}`],
        detail: { 'instance-id': event.instanceId, 'instance-action': event.instanceAction },
      };
    case 'rebalance-recommendation':
      return {
        ...envelope,
        'detail-type': 'EC2 Instance Rebalance Recommendation',
        resources: [instanceArn],
        detail: { 'instance-id': event.instanceId },
      };
    case 'instance-state-change':
      return {
        ...envelope,
        'detail-type': 'EC2 Instance State-change Notification',
        resources: [instanceArn],
        detail: { 'instance-id': event.instanceId, state: event.state },
      };
  }
}
