import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../shared/config/load';
import {
  INSTANCE_STATES,
  NODE_POOL_EVENT_TYPES,
  type NodePoolEventParse,
  parseNodePoolEvent,
} from '../../../shared/config/node-pool-event';

// The examples are the events AWS documents, with real-looking ids in place of the placeholders:
// docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html,
// .../rebalance-recommendations.html, .../monitoring-instance-state-changes.html and
// docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html.

const spotWarning = {
  version: '0',
  id: '12345678-1234-1234-1234-123456789012',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2025-06-03T08:00:00Z',
  region: 'eu-central-1',
  // The warning's ARN names the zone and no account.
  resources: ['arn:aws:ec2:eu-central-1a:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', 'instance-action': 'terminate' },
};

const rebalance = {
  version: '0',
  id: '12345678-1234-1234-1234-123456789013',
  'detail-type': 'EC2 Instance Rebalance Recommendation',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2025-06-03T07:58:00Z',
  region: 'eu-central-1',
  resources: ['arn:aws:ec2:eu-central-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0' },
};

const stateChange = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2021-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'terminated' },
};

const launchUnsuccessful = {
  version: '0',
  id: '12345678-1234-1234-1234-123456789012',
  'detail-type': 'EC2 Instance Launch Unsuccessful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2025-06-03T08:00:00Z',
  region: 'eu-central-1',
  resources: [
    'arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/workers-a',
  ],
  detail: {
    StatusCode: 'Failed',
    AutoScalingGroupName: 'workers-a',
    ActivityId: '2b8e7d1e-0000-0000-0000-000000000000',
    Details: { 'Availability Zone': 'eu-central-1a', 'Subnet ID': 'subnet-0a1b2c3d' },
    RequestId: '2b8e7d1e-0000-0000-0000-000000000000',
    StatusMessage:
      'We currently do not have sufficient m5.large capacity in the Availability Zone you requested.',
    EndTime: '2025-06-03T08:00:00Z',
    EC2InstanceId: '',
    StartTime: '2025-06-03T08:00:00Z',
    Cause:
      'At 2025-06-03T08:00:00Z an instance was started in response to a difference between desired and actual capacity.',
  },
};

/** The failure's issues as `path: message`, as the invocation reports them. */
function problems(parsed: NodePoolEventParse): string[] {
  if (parsed.ok) throw new Error(`parsed as ${parsed.event.kind}`);
  return parsed.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

describe('parseNodePoolEvent', () => {
  it('given a spot interruption warning, should return it with its instance and action', () => {
    const parsed = parseNodePoolEvent(spotWarning);
    expect(parsed).toEqual({
      ok: true,
      event: {
        kind: 'spot-interruption',
        event: {
          source: 'aws.ec2',
          'detail-type': 'EC2 Spot Instance Interruption Warning',
          id: spotWarning.id,
          account: '123456789012',
          time: '2025-06-03T08:00:00Z',
          region: 'eu-central-1',
          detail: { 'instance-id': 'i-1234567890abcdef0', 'instance-action': 'terminate' },
        },
      },
    });
  });

  it.each(['stop', 'hibernate'])(
    'given a spot warning that will %s the instance, should accept it',
    (action) => {
      const parsed = parseNodePoolEvent({
        ...spotWarning,
        detail: { ...spotWarning.detail, 'instance-action': action },
      });
      expect(
        parsed.ok &&
          parsed.event.kind === 'spot-interruption' &&
          parsed.event.event.detail['instance-action'],
      ).toBe(action);
    },
  );

  it('given a rebalance recommendation, should return it with its instance', () => {
    const parsed = parseNodePoolEvent(rebalance);
    expect(parsed).toMatchObject({
      ok: true,
      event: {
        kind: 'rebalance-recommendation',
        event: { id: rebalance.id, detail: { 'instance-id': 'i-1234567890abcdef0' } },
      },
    });
  });

  it.each(INSTANCE_STATES)('given a state change to %s, should return it with the state', (state) => {
    const parsed = parseNodePoolEvent({ ...stateChange, detail: { ...stateChange.detail, state } });
    expect(parsed).toMatchObject({
      ok: true,
      event: { kind: 'instance-state-change', event: { detail: { 'instance-id': 'i-abcd1111', state } } },
    });
  });

  it('should keep the launch-unsuccessful and console request kinds as they were', () => {
    expect(parseNodePoolEvent(launchUnsuccessful)).toMatchObject({
      ok: true,
      event: {
        kind: 'launch-unsuccessful',
        event: {
          region: 'eu-central-1',
          detail: { AutoScalingGroupName: 'workers-a', StatusCode: 'Failed' },
        },
      },
    });
    expect(parseNodePoolEvent({ cluster: 'kube-prod-1', dryRun: true })).toEqual({
      ok: true,
      event: { kind: 'request', request: { cluster: 'kube-prod-1', dryRun: true } },
    });
    expect(problems(parseNodePoolEvent({ cluster: 'kube-prod-1', ticks: 0 }))).toEqual([
      'ticks: Too small: expected number to be >=1',
    ]);
  });

  it.each([
    [
      'no instance id',
      { ...spotWarning, detail: { 'instance-action': 'terminate' } },
      /^detail\.instance-id: /,
    ],
    [
      'an instance id that is none',
      { ...rebalance, detail: { 'instance-id': 'i-123; rm -rf /' } },
      /^detail\.instance-id: an EC2 instance id/,
    ],
    [
      'an action EC2 does not take',
      { ...spotWarning, detail: { ...spotWarning.detail, 'instance-action': 'reboot' } },
      /^detail\.instance-action: /,
    ],
    [
      'a state EC2 does not report',
      { ...stateChange, detail: { ...stateChange.detail, state: 'gone' } },
      /^detail\.state: /,
    ],
    ['a time that is none', { ...stateChange, time: 'yyyy-mm-ddThh:mm:ssZ' }, /^time: /],
    ['an account that is none', { ...spotWarning, account: '1234' }, /^account: a 12-digit AWS account id/],
    ['no event id', { ...rebalance, id: undefined }, /^id: /],
    ['a detail that is a string', { ...stateChange, detail: '{"instance-id":"i-abcd1111"}' }, /^detail: /],
  ])(
    'given a known kind with %s, should refuse it as invalid, naming the field',
    (_what, payload, problem) => {
      const parsed = parseNodePoolEvent(payload);
      expect(parsed).toMatchObject({ ok: false, reason: 'invalid' });
      expect(problems(parsed)).toEqual([expect.stringMatching(problem)]);
    },
  );

  it.each([
    [
      'an Auto Scaling event of another kind',
      { ...launchUnsuccessful, 'detail-type': 'EC2 Instance Launch Successful' },
    ],
    [
      'an EC2 event of another kind',
      { ...spotWarning, 'detail-type': 'EC2 Spot Instance Request Fulfillment' },
    ],
    ['a known detail-type from another source', { ...spotWarning, source: 'aws.health' }],
    ['a custom event without a detail-type', { source: 'my.app', detail: {} }],
  ])('given %s, should refuse it as unknown, saying what it was and what is handled', (_what, payload) => {
    const parsed = parseNodePoolEvent(payload);
    expect(parsed).toMatchObject({ ok: false, reason: 'unknown-event' });
    const [problem] = problems(parsed);
    expect(problem).toMatch(/^detail-type: the node-pool function handles no /);
    expect(problem).toContain(`from ${JSON.stringify(payload.source)}`);
    for (const type of Object.values(NODE_POOL_EVENT_TYPES))
      expect(problem).toContain(`"${type.detailType}" from ${type.source}`);
  });

  it('given a non-string source, should refuse it as unknown', () => {
    const parsed = parseNodePoolEvent({
      source: 42,
      'detail-type': ['EC2 Spot Instance Interruption Warning'],
    });
    expect(parsed).toMatchObject({ ok: false, reason: 'unknown-event' });
    expect(problems(parsed)[0]).toContain(
      'handles no ["EC2 Spot Instance Interruption Warning"] events from 42',
    );
  });

  it.each([
    ['null', null],
    ['a string', 'EC2 Spot Instance Interruption Warning'],
    ['an array', [spotWarning]],
    ['an empty object', {}],
  ])('given %s, should refuse it against the console request schema', (_what, payload) => {
    expect(parseNodePoolEvent(payload)).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
