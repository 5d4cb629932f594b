/**
 * What the node-pool loop does with one event before ticking, shared by Lambda's invocation and the
 * simulator's event source: against the simulated Auto Scaling and the in-memory state store.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { type NodePoolEvent, parseNodePoolEvent } from '../../../shared/config/node-pool-event';
import { type NodePoolsConfig, nodePoolsSchema } from '../../../shared/config/node-pools';
import { acceptNodePoolEvent, type NodePoolEventDeps } from '../../../shared/loops/node-pool-events';
import {
  INTERRUPTION_RECORD_PREFIX,
  interruptionKey,
  parseInterruption,
  SPOT_NOTICE_MS,
} from '../../../shared/loops/node-pool-interruptions';
import { drainRecordKey } from '../../../shared/nodepools/drain';
import { groupRecordKey, OFFERING_RECORD_PREFIX, parseGroupRecord } from '../../../shared/nodepools/failures';
import { CA_ENABLED_TAG, clusterTag } from '../../../shared/nodepools/pools';
import { SimCloud } from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { SimStateStore } from '../../../shared/sim/state-store';
import { VirtualClock } from '../../../shared/sim/virtual-clock';

const START = Date.UTC(2025, 5, 3, 8, 0, 0);
const CLUSTER = 'kube-test-1';
const TIME = '2025-06-03T08:00:00Z';

let state: SimStateStore;
let cloud: SimCloud;
let settings: NodePoolsConfig;
let ours: string;
let theirs: string;

beforeEach(() => {
  const clock = new VirtualClock(START);
  const cluster = new SimCluster({ clock });
  cloud = new SimCloud({ clock, cluster });
  state = new SimStateStore(clock);
  settings = nodePoolsSchema.parse({});
  for (const [name, owner] of [
    ['spot-a', CLUSTER],
    ['their-spot-a', 'someone-else'],
  ] as const) {
    cloud.addGroup({
      name,
      minSize: 0,
      maxSize: 5,
      desiredCapacity: 1,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm5.xlarge',
      capacityType: 'spot',
      tags: { [CA_ENABLED_TAG]: 'true', [clusterTag(owner)]: 'owned' },
    });
  }
  ours = cloud.instances('spot-a')[0]?.instanceId ?? '';
  theirs = cloud.instances('their-spot-a')[0]?.instanceId ?? '';
});

function deps(): NodePoolEventDeps {
  return { cluster: CLUSTER, settings, autoScaling: cloud, state };
}

function parsed(payload: unknown): NodePoolEvent {
  const result = parseNodePoolEvent(payload);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

function ec2Event(detailType: string, detail: Record<string, string>, id = 'e-1'): NodePoolEvent {
  return parsed({
    version: '0',
    id,
    'detail-type': detailType,
    source: 'aws.ec2',
    account: '123456789012',
    time: TIME,
    region: 'eu-central-1',
    resources: [],
    detail,
  });
}

const warning = (instanceId: string) =>
  ec2Event('EC2 Spot Instance Interruption Warning', {
    'instance-id': instanceId,
    'instance-action': 'terminate',
  });
const recommendation = (instanceId: string) =>
  ec2Event('EC2 Instance Rebalance Recommendation', { 'instance-id': instanceId });
const stateChange = (instanceId: string, to = 'shutting-down') =>
  ec2Event('EC2 Instance State-change Notification', { 'instance-id': instanceId, state: to });

function launchFailure(asg: string): NodePoolEvent {
  return parsed({
    version: '0',
    id: 'lf-1',
    'detail-type': 'EC2 Instance Launch Unsuccessful',
    source: 'aws.autoscaling',
    account: '123456789012',
    time: TIME,
    region: 'eu-central-1',
    resources: [],
    detail: {
      StatusCode: 'Failed',
      AutoScalingGroupName: asg,
      Details: { 'Availability Zone': 'eu-central-1a' },
      StatusMessage:
        'We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested.',
    },
  });
}

describe('acceptNodePoolEvent', () => {
  it('given a console or schedule request, should ask for its ticks and record nothing', async () => {
    const request = (fields: Record<string, unknown>) => parsed({ cluster: CLUSTER, ...fields });
    expect(await acceptNodePoolEvent(deps(), request({}), false)).toEqual({
      action: 'tick',
      recorded: false,
    });
    expect(await acceptNodePoolEvent(deps(), request({ ticks: 3 }), false)).toEqual({
      action: 'tick',
      maxTicks: 3,
      recorded: false,
    });
    expect(await acceptNodePoolEvent(deps(), request({ dryRun: true }), true)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: false,
    });
    expect(await state.query(CLUSTER)).toEqual([]);
  });

  it('given a spot warning for one of its instances, should record it with the deadline once and tick once', async () => {
    expect(await acceptNodePoolEvent(deps(), warning(ours), false)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: true,
    });
    const item = await state.get(CLUSTER, interruptionKey(ours));
    expect(item && parseInterruption(item.data)).toEqual({
      instanceId: ours,
      asgName: 'spot-a',
      kind: 'spot-interruption',
      at: START,
      deadline: START + SPOT_NOTICE_MS,
    });
    // Its offering is out of spot capacity for the scale-up that replaces it.
    expect((await state.query(CLUSTER, OFFERING_RECORD_PREFIX)).map((i) => i.sk)).toEqual([
      'pool#offering#m5.xlarge#eu-central-1a#spot',
    ]);

    // EventBridge delivers the same event again: nothing is written, no tick.
    expect(await acceptNodePoolEvent(deps(), warning(ours), false)).toEqual({
      action: 'ignored',
      reason: 'duplicate',
      summary: `${CLUSTER}: instance ${ours}'s spot-interruption was recorded already; nothing done`,
    });
    expect((await state.get(CLUSTER, interruptionKey(ours)))?.version).toBe(item?.version);
  });

  it('given a rebalance recommendation, should record it without a deadline and leave the offering alone', async () => {
    expect(await acceptNodePoolEvent(deps(), recommendation(ours), false)).toMatchObject({
      action: 'tick',
      recorded: true,
    });
    const item = await state.get(CLUSTER, interruptionKey(ours));
    expect(item && parseInterruption(item.data)).toEqual({
      instanceId: ours,
      asgName: 'spot-a',
      kind: 'rebalance-recommendation',
      at: START,
    });
    expect(await state.query(CLUSTER, OFFERING_RECORD_PREFIX)).toEqual([]);
  });

  it("given another cluster's or an unknown instance, should ignore it and write nothing", async () => {
    for (const instanceId of [theirs, 'i-0123456789abcdef0']) {
      expect(await acceptNodePoolEvent(deps(), warning(instanceId), false)).toEqual({
        action: 'ignored',
        reason: 'not-ours',
        summary: `${CLUSTER}: instance ${instanceId} is not in one of this cluster's groups; nothing done`,
      });
      expect(await acceptNodePoolEvent(deps(), recommendation(instanceId), false)).toMatchObject({
        action: 'ignored',
        reason: 'not-ours',
      });
    }
    expect(await state.query(CLUSTER)).toEqual([]);
  });

  it('given a dry run, should tick without recording the warning', async () => {
    expect(await acceptNodePoolEvent(deps(), warning(ours), true)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: false,
    });
    expect(await state.query(CLUSTER)).toEqual([]);
  });

  it('given a state change, should tick only for an instance a warning or drain refers to', async () => {
    expect(await acceptNodePoolEvent(deps(), stateChange(ours, 'terminated'), false)).toEqual({
      action: 'ignored',
      reason: 'untracked',
      summary: `${CLUSTER}: instance ${ours} (terminated) has no drain or warning here; nothing done`,
    });
    await acceptNodePoolEvent(deps(), recommendation(ours), false);
    expect(await acceptNodePoolEvent(deps(), stateChange(ours), false)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: false,
    });

    // A scale-down drain names its instance in its record.
    await state.put(
      CLUSTER,
      drainRecordKey('node-x'),
      { node: 'node-x', instanceId: theirs },
      { expectedVersion: 0 },
    );
    expect(await acceptNodePoolEvent(deps(), stateChange(theirs), false)).toMatchObject({ action: 'tick' });
    expect((await state.query(CLUSTER, INTERRUPTION_RECORD_PREFIX)).map((i) => i.sk)).toEqual([
      interruptionKey(ours),
    ]);
  });

  it("given a launch failure, should record it on one of its groups and ignore another cluster's", async () => {
    expect(await acceptNodePoolEvent(deps(), launchFailure('their-spot-a'), false)).toEqual({
      action: 'ignored',
      reason: 'not-ours',
      summary: `${CLUSTER}: group their-spot-a is not one of this cluster's node pools; nothing done`,
    });
    expect(await acceptNodePoolEvent(deps(), launchFailure('spot-a'), true)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: false,
    });
    expect(await state.query(CLUSTER)).toEqual([]);
    expect(await acceptNodePoolEvent(deps(), launchFailure('spot-a'), false)).toEqual({
      action: 'tick',
      maxTicks: 1,
      recorded: true,
    });
    const item = await state.get(CLUSTER, groupRecordKey('spot-a'));
    expect(item && parseGroupRecord(item.data).reportedFailure).toEqual({
      at: START,
      message:
        'We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested. (zone eu-central-1a)',
    });
  });
});
