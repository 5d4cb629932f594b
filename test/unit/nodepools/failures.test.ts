/**
 * Failed scale-ups, backoff and unavailable offerings (shared/nodepools/failures.ts), with the status
 * messages Auto Scaling really writes into failed activities and launch-unsuccessful events.
 */
import { describe, expect, it } from 'vitest';
import {
  type BackoffSettings,
  backOff,
  backoffReason,
  CorruptStateError,
  classifyFailureMessage,
  detectFailure,
  encodeGroupRecord,
  encodeUnavailableOffering,
  type FailureCheckInput,
  findUnavailableOffering,
  type GroupRecord,
  groupRecordKey,
  instanceTypeInMessage,
  isOfferingUnavailable,
  MAX_REASON_LENGTH,
  offeringKey,
  parseGroupRecord,
  parseUnavailableOffering,
  reportAlreadyHandled,
  SAME_FAILURE_WINDOW_MS,
  type ScaleUpFailure,
  settleInFlight,
  shortFailureMessage,
  type UnavailableOffering,
  unavailableOfferingKey,
  unavailableOfferingsAfter,
} from '../../../shared/nodepools/failures';
import type { AutoScalingGroup, ScalingActivity } from '../../../shared/ports/auto-scaling';

const T0 = Date.UTC(2025, 5, 3, 8, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Status messages as Auto Scaling reports them (EC2's code, then EC2's words). */
const MESSAGES = {
  onDemandCapacity:
    'Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient ' +
    'm5.xlarge capacity in the Availability Zone you requested (eu-central-1a). Our system will be working on ' +
    'provisioning additional capacity. You can currently get m5.xlarge capacity by not specifying an ' +
    'Availability Zone in your request or choosing eu-central-1b, eu-central-1c. Launching EC2 instance failed.',
  spotNoCapacity:
    'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that ' +
    'matches your request. Launching EC2 instance failed.',
  spotUnfulfillable:
    'Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity due to your request ' +
    'configuration. Please adjust your request and try again. Launching EC2 instance failed.',
  spotRequestStatus: 'Spot request status: capacity-not-available',
  vcpuLimit:
    'Could not launch On-Demand Instances. VcpuLimitExceeded - You have requested more vCPU capacity than your ' +
    'current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. ' +
    'Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. ' +
    'Launching EC2 instance failed.',
  vcpuLimitWordsOnly:
    'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket ' +
    'that the specified instance type belongs to.',
  instanceLimit:
    'You have requested more instances (7) than your current instance limit of 6 allows for the specified ' +
    'instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this ' +
    'limit. Launching EC2 instance failed.',
  maxSpot:
    'Could not launch Spot Instances. MaxSpotInstanceCountExceeded - Max spot instance count exceeded. Launching EC2 instance failed.',
  unsupported:
    'Could not launch On-Demand Instances. Unsupported - Your requested instance type (m5.xlarge) is not ' +
    'supported in your requested Availability Zone (eu-central-1a). Please retry your request by not specifying ' +
    'an Availability Zone or choosing eu-central-1b, eu-central-1c. Launching EC2 instance failed.',
  unsupportedWordsOnly:
    'Your requested instance type (t3.micro) is not supported in your requested Availability Zone (us-east-1e).',
  subnetAddresses:
    'Could not launch On-Demand Instances. InsufficientFreeAddressesInSubnet - There are not enough free ' +
    'addresses in subnet subnet-0a1b2c3d to satisfy the requested number of instances. Launching EC2 instance failed.',
  launchTemplate:
    'The specified launch template, with template ID lt-0a1b2c3d, does not exist. Launching EC2 instance failed.',
};

const BACKOFF: BackoffSettings = { initialMs: 1 * MINUTE, maxMs: 10 * MINUTE, resetMs: 60 * MINUTE };

function group(more: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    name: 'nodes-a',
    minSize: 0,
    maxSize: 10,
    desiredCapacity: 5,
    availabilityZones: ['eu-central-1a'],
    tags: {},
    instances: [],
    instanceTypes: ['m5.xlarge', 'm5a.xlarge'],
    purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
    ...more,
  };
}

function activity(more: Partial<ScalingActivity>): ScalingActivity {
  return {
    activityId: 'act-1',
    groupName: 'nodes-a',
    startTime: T0 + 10 * SECOND,
    endTime: T0 + 11 * SECOND,
    statusCode: 'Successful',
    description: 'Launching a new EC2 instance: i-0aaa',
    cause:
      'At 2025-06-03T08:00:00Z a user request explicitly set group desired capacity changing the desired capacity from 2 to 5.',
    ...more,
  };
}

const IN_FLIGHT: GroupRecord = {
  asgName: 'nodes-a',
  inFlight: { since: T0, from: 2, to: 5, podCount: 7, pods: ['shop/web-1', 'shop/web-2'] },
};

function check(more: Partial<FailureCheckInput> = {}): FailureCheckInput {
  return {
    group: group(),
    capacityType: 'on-demand',
    record: IN_FLIGHT,
    activities: [],
    readyNodes: 2,
    now: T0 + MINUTE,
    provisionTimeoutMs: 5 * MINUTE,
    ...more,
  };
}

describe('classifyFailureMessage', () => {
  it.each([
    ['onDemandCapacity', 'capacity'],
    ['spotNoCapacity', 'capacity'],
    ['spotUnfulfillable', 'capacity'],
    ['spotRequestStatus', 'capacity'],
    ['vcpuLimit', 'quota'],
    ['vcpuLimitWordsOnly', 'quota'],
    ['instanceLimit', 'quota'],
    ['maxSpot', 'quota'],
    ['unsupported', 'unsupported'],
    ['unsupportedWordsOnly', 'unsupported'],
    ['subnetAddresses', 'other'],
    ['launchTemplate', 'other'],
  ] as const)('%s → %s', (message, kind) => {
    expect(classifyFailureMessage(MESSAGES[message])).toBe(kind);
  });

  it('should classify bare EC2 error codes', () => {
    expect(classifyFailureMessage('InsufficientInstanceCapacity')).toBe('capacity');
    expect(classifyFailureMessage('VcpuLimitExceeded')).toBe('quota');
    expect(classifyFailureMessage('InstanceLimitExceeded')).toBe('quota');
    expect(classifyFailureMessage('MaxSpotInstanceCountExceeded')).toBe('quota');
    expect(classifyFailureMessage('Unsupported')).toBe('unsupported');
    expect(classifyFailureMessage('')).toBe('other');
  });
});

describe('instanceTypeInMessage', () => {
  it('should find the type in capacity and unsupported messages, and none in spot ones', () => {
    expect(instanceTypeInMessage(MESSAGES.onDemandCapacity)).toBe('m5.xlarge');
    expect(instanceTypeInMessage(MESSAGES.unsupportedWordsOnly)).toBe('t3.micro');
    expect(instanceTypeInMessage(MESSAGES.spotNoCapacity)).toBeUndefined();
  });
});

describe('shortFailureMessage', () => {
  it('should drop Auto Scaling’s boilerplate and cut long texts', () => {
    expect(
      shortFailureMessage(
        'Launching a new EC2 instance.  Status Reason: Could not launch Spot Instances. UnfulfillableCapacity - ' +
          'Unable to fulfill capacity.  Launching EC2 instance failed.',
      ),
    ).toBe('Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity.');
    const long = shortFailureMessage('x'.repeat(500));
    expect(long).toHaveLength(MAX_REASON_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('detectFailure', () => {
  it('given a failed launch after the scale-up started, should report its kind and the named offering', () => {
    const failure = detectFailure(
      check({
        activities: [
          activity({ activityId: 'ok', statusCode: 'Successful', startTime: T0 + 20 * SECOND }),
          activity({
            statusCode: 'Failed',
            statusMessage: MESSAGES.onDemandCapacity,
            endTime: T0 + 12 * SECOND,
          }),
        ],
      }),
    );
    expect(failure).toEqual({
      asgName: 'nodes-a',
      kind: 'capacity',
      message: MESSAGES.onDemandCapacity,
      at: T0 + 12 * SECOND,
      offerings: [{ instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' }],
    });
  });

  it('given a spot failure naming no type, should mark every type of the group in its zone', () => {
    const failure = detectFailure(
      check({
        capacityType: 'spot',
        activities: [activity({ statusCode: 'Failed', statusMessage: MESSAGES.spotNoCapacity })],
      }),
    );
    expect(failure?.kind).toBe('capacity');
    expect(failure?.offerings).toEqual([
      { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'spot' },
      { instanceType: 'm5a.xlarge', zone: 'eu-central-1a', capacityType: 'spot' },
    ]);
  });

  it('given the pool’s types, should mark those when the message names none', () => {
    const failure = detectFailure(
      check({
        group: group({ instanceTypes: [] }),
        instanceTypes: ['c5.xlarge'],
        activities: [activity({ statusCode: 'Failed', statusMessage: MESSAGES.spotUnfulfillable })],
      }),
    );
    expect(failure?.offerings.map((o) => o.instanceType)).toEqual(['c5.xlarge']);
  });

  it('given a quota failure, should back off without marking offerings', () => {
    const failure = detectFailure(
      check({ activities: [activity({ statusCode: 'Failed', statusMessage: MESSAGES.vcpuLimit })] }),
    );
    expect(failure).toMatchObject({ kind: 'quota', offerings: [] });
  });

  it('given a cancelled launch without a status message, should use its description', () => {
    const failure = detectFailure(
      check({
        activities: [
          activity({
            statusCode: 'Cancelled',
            description: `Launching a new EC2 instance. Status Reason: ${MESSAGES.unsupported}`,
          }),
        ],
      }),
    );
    expect(failure).toMatchObject({ kind: 'unsupported' });
    expect(failure?.offerings).toEqual([
      { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' },
    ]);
  });

  it('should take the newest failed launch, and ignore older ones and failed terminations', () => {
    const failure = detectFailure(
      check({
        activities: [
          activity({
            statusCode: 'Failed',
            description: 'Terminating EC2 instance: i-0bbb',
            statusMessage: 'Instance i-0bbb could not be terminated',
            startTime: T0 + 50 * SECOND,
          }),
          activity({
            statusCode: 'Failed',
            statusMessage: MESSAGES.vcpuLimit,
            startTime: T0 + 30 * SECOND,
            endTime: undefined,
          }),
          activity({
            statusCode: 'Failed',
            statusMessage: MESSAGES.onDemandCapacity,
            startTime: T0 + 20 * SECOND,
          }),
          activity({ statusCode: 'Failed', statusMessage: MESSAGES.maxSpot, startTime: T0 - SECOND }),
        ],
      }),
    );
    expect(failure).toMatchObject({ kind: 'quota', at: T0 + 30 * SECOND });
  });

  it('given only launches that are still running, should see no failure before the timeout', () => {
    expect(
      detectFailure(check({ activities: [activity({ statusCode: 'InProgress', endTime: undefined })] })),
    ).toBeUndefined();
  });

  it('given a reported event, should count it with or without a scale-up in flight', () => {
    const reportedFailure = { at: T0 + 5 * SECOND, message: MESSAGES.onDemandCapacity };
    expect(detectFailure(check({ record: { ...IN_FLIGHT, reportedFailure } }))).toMatchObject({
      kind: 'capacity',
      at: T0 + 5 * SECOND,
    });
    expect(
      detectFailure(check({ record: { asgName: 'nodes-a', reportedFailure }, activities: [] })),
    ).toMatchObject({ kind: 'capacity', offerings: [{ instanceType: 'm5.xlarge' }] });
  });

  it('given a failed activity and a reported event, should prefer the activity', () => {
    const failure = detectFailure(
      check({
        record: { ...IN_FLIGHT, reportedFailure: { at: T0, message: MESSAGES.onDemandCapacity } },
        activities: [activity({ statusCode: 'Failed', statusMessage: MESSAGES.vcpuLimit })],
      }),
    );
    expect(failure?.kind).toBe('quota');
  });

  it('given nodes not Ready within the provision timeout, should report a timeout', () => {
    const failure = detectFailure(check({ now: T0 + 5 * MINUTE + SECOND, readyNodes: 4 }));
    expect(failure).toEqual({
      asgName: 'nodes-a',
      kind: 'timeout',
      message: '4 of 5 nodes Ready 301 s after raising desired capacity from 2 (provision timeout 300 s)',
      at: T0 + 5 * MINUTE + SECOND,
      offerings: [],
    });
  });

  it('given all nodes Ready, or the timeout not yet passed, should see no failure', () => {
    expect(detectFailure(check({ now: T0 + 10 * MINUTE, readyNodes: 5 }))).toBeUndefined();
    expect(detectFailure(check({ now: T0 + 5 * MINUTE, readyNodes: 2 }))).toBeUndefined();
  });

  it('given nothing in flight and nothing reported, should ignore failed activities', () => {
    const activities = [activity({ statusCode: 'Failed', statusMessage: MESSAGES.onDemandCapacity })];
    expect(detectFailure(check({ record: undefined, activities }))).toBeUndefined();
    expect(detectFailure(check({ record: { asgName: 'nodes-a' }, activities }))).toBeUndefined();
  });
});

function failureAt(at: number, kind: ScaleUpFailure['kind'] = 'capacity'): ScaleUpFailure {
  return {
    asgName: 'nodes-a',
    kind,
    message: MESSAGES.onDemandCapacity,
    at,
    offerings: [{ instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' }],
  };
}

describe('a failure seen twice (activity first, then its event)', () => {
  const handled: GroupRecord = backOff(
    IN_FLIGHT,
    {
      asgName: 'nodes-a',
      kind: 'capacity',
      message: MESSAGES.onDemandCapacity,
      at: T0 + 11 * SECOND,
      offerings: [],
    },
    BACKOFF,
  );

  it('given an event about the failure the group was just backed off for, should not count it again', () => {
    const record = {
      ...handled,
      reportedFailure: { at: T0 + 12 * SECOND, message: MESSAGES.onDemandCapacity },
    };
    expect(reportAlreadyHandled(record)).toBe(true);
    expect(detectFailure(check({ record, now: T0 + 20 * SECOND }))).toBeUndefined();
  });

  it('given an event well after the last failure, should treat it as a new one', () => {
    const at = T0 + 11 * SECOND + SAME_FAILURE_WINDOW_MS + SECOND;
    const record = { ...handled, reportedFailure: { at, message: MESSAGES.onDemandCapacity } };
    expect(reportAlreadyHandled(record)).toBe(false);
    expect(detectFailure(check({ record, now: at + SECOND }))).toMatchObject({ kind: 'capacity', at });
  });

  it('given a report and no backoff, should not call it handled', () => {
    expect(reportAlreadyHandled({ asgName: 'nodes-a', reportedFailure: { at: T0, message: 'x' } })).toBe(
      false,
    );
  });
});

describe('backOff', () => {
  it('should double the backoff per failure up to the maximum, and clear what was in flight', () => {
    let record: GroupRecord = { ...IN_FLIGHT, reportedFailure: { at: T0, message: 'x' } };
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const at = T0 + i * 20 * MINUTE;
      record = backOff(record, failureAt(at), BACKOFF);
      delays.push(((record.backoff?.until ?? 0) - at) / MINUTE);
    }
    expect(delays).toEqual([1, 2, 4, 8, 10, 10]);
    expect(record).toEqual({
      asgName: 'nodes-a',
      backoff: {
        failures: 6,
        until: T0 + 100 * MINUTE + 10 * MINUTE,
        lastFailureAt: T0 + 100 * MINUTE,
        reason: `capacity: ${shortFailureMessage(MESSAGES.onDemandCapacity)}`,
      },
    });
  });

  it('given no failure for longer than the reset time, should start again at the initial backoff', () => {
    const first = backOff(undefined, failureAt(T0), BACKOFF);
    const second = backOff(first, failureAt(T0 + 30 * MINUTE), BACKOFF);
    expect(second.backoff?.failures).toBe(2);
    const later = backOff(second, failureAt(T0 + 30 * MINUTE + 61 * MINUTE), BACKOFF);
    expect(later.backoff).toMatchObject({ failures: 1, until: T0 + 91 * MINUTE + 1 * MINUTE });
  });

  it('given a huge failure count, should stay at the maximum', () => {
    const record: GroupRecord = {
      asgName: 'nodes-a',
      backoff: { failures: 5000, until: T0, lastFailureAt: T0, reason: 'x' },
    };
    expect(backOff(record, failureAt(T0 + MINUTE), BACKOFF).backoff?.until).toBe(T0 + 11 * MINUTE);
  });
});

describe('settleInFlight', () => {
  it('should clear the scale-up once all its nodes are Ready, and keep it before', () => {
    expect(settleInFlight(IN_FLIGHT, 4)).toBe(IN_FLIGHT);
    expect(settleInFlight(IN_FLIGHT, 5)).toEqual({ asgName: 'nodes-a' });
    const backedOff = { ...IN_FLIGHT, backoff: { failures: 1, until: T0, lastFailureAt: T0, reason: 'x' } };
    expect(settleInFlight(backedOff, 6)).toEqual({ asgName: 'nodes-a', backoff: backedOff.backoff });
  });
});

describe('backoffReason', () => {
  it('should say until when and why while backed off, and nothing after', () => {
    const record = backOff(
      backOff(undefined, failureAt(T0), BACKOFF),
      failureAt(T0 + MINUTE, 'quota'),
      BACKOFF,
    );
    expect(backoffReason(record, T0 + 2 * MINUTE)).toBe(
      `backed off until 2025-06-03T08:03:00.000Z after 2 failures: quota: ${shortFailureMessage(MESSAGES.onDemandCapacity)}`,
    );
    expect(backoffReason(backOff(undefined, failureAt(T0), BACKOFF), T0)).toMatch(
      /after 1 failure: capacity: /,
    );
    expect(backoffReason(record, T0 + 3 * MINUTE)).toBeUndefined();
    expect(backoffReason(undefined, T0)).toBeUndefined();
    expect(backoffReason(IN_FLIGHT, T0)).toBeUndefined();
  });
});

describe('unavailable offerings', () => {
  const offering = { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' as const };

  it('should remember a failure’s offerings for the TTL, and none with a TTL of 0', () => {
    const offerings = unavailableOfferingsAfter(failureAt(T0), 3 * MINUTE);
    expect(offerings).toEqual([
      {
        ...offering,
        until: T0 + 3 * MINUTE,
        reason: `capacity: ${shortFailureMessage(MESSAGES.onDemandCapacity)}`,
      },
    ]);
    expect(isOfferingUnavailable(offerings, offering, T0 + 3 * MINUTE - 1)).toBe(true);
    expect(isOfferingUnavailable(offerings, offering, T0 + 3 * MINUTE)).toBe(false);
    expect(isOfferingUnavailable(offerings, { ...offering, capacityType: 'spot' }, T0)).toBe(false);
    expect(isOfferingUnavailable(offerings, { ...offering, zone: 'eu-central-1b' }, T0)).toBe(false);
    expect(unavailableOfferingsAfter(failureAt(T0), 0)).toEqual([]);
    expect(unavailableOfferingsAfter(failureAt(T0, 'timeout'), 3 * MINUTE)).toEqual([]);
  });

  it('should find the entry that lasts longest', () => {
    const offerings: UnavailableOffering[] = [
      { ...offering, until: T0 + MINUTE, reason: 'first' },
      { ...offering, until: T0 + 5 * MINUTE, reason: 'second' },
    ];
    expect(findUnavailableOffering(offerings, offering, T0)?.reason).toBe('second');
  });

  it('should key offerings and group records under pool#', () => {
    expect(offeringKey(offering)).toBe('m5.xlarge#eu-central-1a#on-demand');
    expect(unavailableOfferingKey(offering)).toBe('pool#offering#m5.xlarge#eu-central-1a#on-demand');
    expect(groupRecordKey('nodes-a')).toBe('pool#group#nodes-a');
  });
});

describe('state codec', () => {
  it('should round-trip a full group record through JSON', () => {
    const record: GroupRecord = {
      ...IN_FLIGHT,
      backoff: { failures: 2, until: T0 + MINUTE, lastFailureAt: T0, reason: 'capacity: x' },
      reportedFailure: { at: T0, message: MESSAGES.spotNoCapacity },
    };
    expect(parseGroupRecord(JSON.parse(JSON.stringify(encodeGroupRecord(record))))).toEqual(record);
  });

  it('should leave no undefined fields for the store to trip over', () => {
    const encoded = encodeGroupRecord({ asgName: 'nodes-a', inFlight: undefined, backoff: undefined });
    expect(Object.keys(encoded)).toEqual(['asgName']);
  });

  it('should drop fields it does not know, so older code reads newer items', () => {
    expect(parseGroupRecord({ asgName: 'nodes-a', somethingNew: 1 })).toEqual({ asgName: 'nodes-a' });
  });

  it('given a corrupt group record, should throw a CorruptStateError saying what is wrong', () => {
    const corrupt = {
      asgName: 'nodes-a',
      inFlight: { since: 'soon', from: 1, to: 2, podCount: 1, pods: [] },
    };
    expect(() => parseGroupRecord(corrupt)).toThrow(CorruptStateError);
    expect(() => parseGroupRecord(corrupt)).toThrow(/^not a valid group record: inFlight\.since: /);
    expect(() => parseGroupRecord(null)).toThrow(/^not a valid group record: /);
    expect(() =>
      parseGroupRecord({ asgName: 'x', backoff: { failures: 0, until: 1, lastFailureAt: 1, reason: '' } }),
    ).toThrow(/backoff\.failures/);
  });

  it('should round-trip an unavailable offering and refuse a corrupt one', () => {
    const offering: UnavailableOffering = {
      instanceType: 'm5.xlarge',
      zone: 'eu-central-1a',
      capacityType: 'spot',
      until: T0,
      reason: 'capacity: x',
    };
    expect(parseUnavailableOffering(JSON.parse(JSON.stringify(encodeUnavailableOffering(offering))))).toEqual(
      offering,
    );
    expect(() => parseUnavailableOffering({ ...offering, capacityType: 'reserved' })).toThrow(
      /^not a valid unavailable offering: capacityType: /,
    );
  });
});
