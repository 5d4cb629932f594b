import { describe, expect, it } from 'vitest';
import { parseNodePoolEvent } from '../../../shared/config/node-pool-event';
import { eventBridgeEvent, type SimInstanceEvent } from '../../../shared/sim/instance-events';
import { START } from './fixtures';

const where = { account: '123456789012', region: 'eu-central-1' };
const about = {
  id: '5a1c0ffe-0000-4000-8000-000000000001',
  // Mid-second: EC2's times have whole seconds.
  time: START + 1_250,
  instanceId: 'i-0123456789abcdef0',
  groupName: 'spot-a',
  nodeName: 'ip-10-0-0-4.eu-central-1.compute.internal',
  zone: 'eu-central-1a',
  instanceType: 'm5.xlarge',
};

const events: SimInstanceEvent[] = [
  { ...about, kind: 'spot-interruption', instanceAction: 'terminate', interruptAt: START + 121_250 },
  { ...about, kind: 'rebalance-recommendation' },
  { ...about, kind: 'instance-state-change', state: 'shutting-down' },
  { ...about, kind: 'instance-state-change', state: 'terminated' },
];

describe('eventBridgeEvent', () => {
  it('should write a spot warning as EventBridge delivers it, the zone in its ARN', () => {
    expect(eventBridgeEvent(events[0] as SimInstanceEvent, where)).toEqual({
      version: '0',
      id: about.id,
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2025-06-03T08:00:01Z',
      region: 'eu-central-1',
      resources: ['arn:aws:ec2:eu-central-1a:instance/i-0123456789abcdef0'],
      detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' },
    });
  });

  it('should write a rebalance recommendation and a state change with the instance ARN of the account', () => {
    const arn = 'arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0';
    expect(eventBridgeEvent(events[1] as SimInstanceEvent, where)).toMatchObject({
      'detail-type': 'EC2 Instance Rebalance Recommendation',
      resources: [arn],
      detail: { 'instance-id': 'i-0123456789abcdef0' },
    });
    expect(eventBridgeEvent(events[3] as SimInstanceEvent, where)).toMatchObject({
      'detail-type': 'EC2 Instance State-change Notification',
      resources: [arn],
      detail: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' },
    });
  });

  it.each(events.map((event) => [event.kind, event] as const))(
    'given a %s, should be what the production parser accepts as that kind',
    (kind, event) => {
      const parsed = parseNodePoolEvent(eventBridgeEvent(event, where));
      expect(parsed).toMatchObject({
        ok: true,
        event: {
          kind,
          event: {
            id: about.id,
            account: where.account,
            region: where.region,
            time: '2025-06-03T08:00:01Z',
            detail: { 'instance-id': about.instanceId },
          },
        },
      });
    },
  );
});
