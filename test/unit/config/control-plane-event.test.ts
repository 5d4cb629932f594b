/**
 * The control-plane function's payloads (shared/config/control-plane-event.ts): the schedule's request,
 * CloudWatch's alarm-action payload and EventBridge's alarm state change, in the shapes AWS documents
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda,
 * .../cloudwatch-and-eventbridge.html).
 */
import { describe, expect, it } from 'vitest';
import { parseControlPlaneEvent } from '../../../shared/config/control-plane-event';

const ALARM = 'tideplane-prod-1-control-plane-load-high';

const alarmAction = {
  source: 'aws.cloudwatch',
  alarmArn: `arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${ALARM}`,
  accountId: '123456789012',
  time: '2026-11-25T12:36:15.490+0000',
  region: 'eu-central-1',
  alarmData: {
    alarmName: ALARM,
    state: {
      value: 'ALARM',
      reason: 'Threshold Crossed: 5 datapoints were greater than the threshold (70.0)',
      timestamp: '2026-11-25T12:36:15.490+0000',
    },
    previousState: { value: 'OK', reason: 'ok', timestamp: '2026-11-25T11:00:00.000+0000' },
    configuration: { metrics: [] },
  },
};

const stateChange = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-25T12:36:15Z',
  region: 'eu-central-1',
  resources: [`arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${ALARM}`],
  detail: {
    alarmName: ALARM,
    state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-25T12:36:15.490+0000' },
    previousState: { value: 'OK', reason: 'ok', timestamp: '2026-11-25T11:00:00.000+0000' },
    configuration: { metrics: [] },
  },
};

describe('parseControlPlaneEvent', () => {
  it('given the schedule’s request, should return it', () => {
    expect(parseControlPlaneEvent({ cluster: 'prod-1' })).toEqual({
      ok: true,
      event: { kind: 'request', request: { cluster: 'prod-1' } },
    });
    expect(parseControlPlaneEvent({ cluster: 'prod-1', dryRun: true, clearFailedSwap: true })).toMatchObject({
      ok: true,
      event: { request: { dryRun: true, clearFailedSwap: true } },
    });
  });

  it('given an alarm action and the same alarm through EventBridge, should return one domain event', () => {
    const viaAction = parseControlPlaneEvent(alarmAction);
    const viaRule = parseControlPlaneEvent(stateChange);
    expect(viaAction).toEqual({
      ok: true,
      event: {
        kind: 'alarm',
        alarm: {
          alarmName: ALARM,
          state: 'ALARM',
          time: Date.parse('2026-11-25T12:36:15.490Z'),
          region: 'eu-central-1',
          account: '123456789012',
          via: 'alarm-action',
        },
      },
    });
    expect(viaRule).toMatchObject({
      ok: true,
      event: {
        kind: 'alarm',
        alarm: {
          alarmName: ALARM,
          state: 'ALARM',
          via: 'eventbridge',
          time: Date.parse('2026-11-25T12:36:15Z'),
        },
      },
    });
  });

  it.each([
    ['a request with an unknown field', { cluster: 'prod-1', swapTo: 'm7i.large' }, /Unrecognized key/],
    ['a request without a cluster', { dryRun: true }, /^cluster: /],
    [
      'an alarm action without alarm data fields',
      { ...alarmAction, alarmData: { alarmName: ALARM } },
      /^alarmData\.state: /,
    ],
    [
      'an alarm action with a garbled state',
      {
        ...alarmAction,
        alarmData: { ...alarmAction.alarmData, state: { value: 'ON FIRE', timestamp: 'x' } },
      },
      /^alarmData\.state\.value: /,
    ],
    [
      'an alarm action with a bad ARN',
      { ...alarmAction, alarmArn: 'arn:aws:sns:eu-central-1:1:x' },
      /^alarmArn: an alarm ARN/,
    ],
    [
      'an alarm action with an unreadable time',
      { ...alarmAction, time: 'yesterday' },
      /^time: not a time: "yesterday"/,
    ],
    [
      'another EventBridge event',
      { ...stateChange, 'detail-type': 'EC2 Instance Launch Unsuccessful' },
      /^detail-type: /,
    ],
    ['an EventBridge alarm event without detail', { ...stateChange, detail: undefined }, /^detail: /],
  ])('given %s, should say what is wrong', (_name, payload, message) => {
    const parsed = parseControlPlaneEvent(payload);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const text = parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    expect(text).toMatch(message);
  });
});
