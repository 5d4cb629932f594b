/**
 * One invocation of the node-pool function as Lambda runs it (payload validation, lease, the launch
 * failure event), on the simulated cluster and Auto Scaling with the DynamoDB store on dynalite.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { type ResolvedCluster, resolvedClusterSchema } from '../../../shared/config/load';
import { runNodePoolTick } from '../../../shared/loops/node-pool-loop';
import { groupRecordKey, parseGroupRecord } from '../../../shared/nodepools/failures';
import { CA_ENABLED_TAG, clusterTag } from '../../../shared/nodepools/pools';
import { silentLogger } from '../../../shared/ports/logger';
import { NODE_POOL_LOOP, runNodePoolInvocation } from '../../../shared/runtime/node-pool-invocation';
import type { SimCloud } from '../../../shared/sim/cloud';
import type { SimCluster } from '../../../shared/sim/cluster';
import { SimEc2 } from '../../../shared/sim/ec2';
import type { VirtualClock } from '../../../shared/sim/virtual-clock';
import { useSimAwsWorld } from './sim-aws-world';

const REGION = 'eu-central-1';

const world = useSimAwsWorld({ start: Date.UTC(2026, 10, 25, 9, 0, 0), seed: 2, prefix: 'invoke' });
let clock: VirtualClock;
let cluster: SimCluster;
let cloud: SimCloud;
let state: DynamoDbStateStore;
let clusterName: string;
let connects: number;

beforeEach(() => {
  ({ clock, cluster, cloud, state, clusterName } = world);
  connects = 0;
  for (const [name, tags] of [
    ['ours-a', { [CA_ENABLED_TAG]: 'true', [clusterTag(clusterName)]: 'owned' }],
    ['theirs-a', { [CA_ENABLED_TAG]: 'true', [clusterTag('someone-else')]: 'owned' }],
  ] as const) {
    cloud.addGroup({
      name,
      minSize: 0,
      maxSize: 5,
      desiredCapacity: 0,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm5.xlarge',
      capacityType: 'on-demand',
      tags,
    });
  }
});

function config(nodePools: Record<string, unknown> | null = {}): ResolvedCluster {
  return resolvedClusterSchema.parse({
    accountId: '123456789012',
    region: REGION,
    cluster: {
      name: clusterName,
      access: {
        kind: 'token',
        endpoint: 'https://kube.example.com',
        secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:kube-AbCdEf',
      },
      ...(nodePools ? { nodePools } : {}),
    },
    hpa: {},
  });
}

function invoke(payload: unknown, resolved = config()) {
  return runNodePoolInvocation(payload, {
    config: resolved,
    connect: async () => {
      connects++;
      return { kubernetes: cluster };
    },
    autoScaling: cloud,
    ec2: new SimEc2(),
    state,
    clock,
    log: silentLogger,
    owner: 'request-1',
    remainingMs: () => 60_000,
  });
}

function launchFailure(asg: string, overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '7e0a7c5e-0000-0000-0000-000000000000',
    'detail-type': 'EC2 Instance Launch Unsuccessful',
    source: 'aws.autoscaling',
    account: '123456789012',
    time: new Date(clock.now()).toISOString(),
    region: REGION,
    resources: [],
    detail: {
      StatusCode: 'Failed',
      AutoScalingGroupName: asg,
      ActivityId: 'a1',
      Details: { 'Availability Zone': 'eu-central-1a', 'Subnet ID': 'subnet-12345678' },
      StatusMessage:
        'We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested (eu-central-1a).',
      Cause:
        'At 2026-11-25T09:00:00Z an instance was started in response to a difference between desired and actual capacity',
    },
    ...overrides,
  };
}

describe('node-pool invocation', () => {
  it('refuses an invalid console payload with the field, before touching anything', async () => {
    const response = await invoke({ cluster: clusterName, ticks: 0 });
    expect(response).toEqual({ ok: false, error: expect.stringMatching(/^invalid event — ticks: /) });
    const unknown = await invoke({ cluster: clusterName, autoscaler: 'a/b' });
    expect(unknown.ok).toBe(false);
    expect(connects).toBe(0);
    expect(await state.query(clusterName)).toEqual([]);
  });

  it('refuses a request for another cluster and a malformed Auto Scaling event', async () => {
    expect(await invoke({ cluster: 'other' })).toEqual({
      ok: false,
      error: `cluster: this function serves "${clusterName}", not "other"`,
    });
    const event = launchFailure('ours-a');
    const broken = { ...event, detail: { ...event.detail, AutoScalingGroupName: undefined } };
    const response = await invoke(broken);
    expect(response).toEqual({
      ok: false,
      error: expect.stringContaining('detail.AutoScalingGroupName'),
    });
    expect(await invoke(launchFailure('ours-a', { region: 'us-east-1' }))).toEqual({
      ok: false,
      error: 'region: this function serves eu-central-1, not us-east-1',
    });
    expect(connects).toBe(0);
  });

  it('says the loop is disabled when the cluster has no nodePools section', async () => {
    const response = await invoke({ cluster: clusterName }, config(null));
    expect(response).toMatchObject({ ok: true, status: 'disabled' });
    expect(connects).toBe(0);
  });

  it('runs one tick for a dry-run console event and reports it', async () => {
    const response = await invoke({ cluster: clusterName, dryRun: true });
    expect(response).toMatchObject({ ok: true, status: 'ran', dryRun: true });
    if (!response.ok) throw new Error('unreachable');
    expect(response.ticks).toHaveLength(1);
    expect(response.summary).toMatch(/dry run: nothing changed/);
  });

  it('ignores a launch failure of another cluster’s group', async () => {
    const response = await invoke(launchFailure('theirs-a'));
    expect(response).toMatchObject({ ok: true, status: 'ignored' });
    expect(await state.query(clusterName)).toEqual([]);
    expect(connects).toBe(0);
  });

  it('records a launch failure while another invocation holds the lease, and the holder acts on it once', async () => {
    const held = await state.acquireLease(clusterName, NODE_POOL_LOOP, 'the-other-invocation', 60_000);
    expect(held).toBeDefined();
    const response = await invoke(launchFailure('ours-a'));
    expect(response).toMatchObject({ ok: true, status: 'lease-held' });
    expect(connects).toBe(0);
    const item = await state.get(clusterName, groupRecordKey('ours-a'));
    expect(item && parseGroupRecord(item.data).reportedFailure?.message).toMatch(
      /sufficient m5\.xlarge capacity/,
    );

    const settings = config().cluster.nodePools;
    if (!settings) throw new Error('unreachable');
    const deps = {
      cluster: clusterName,
      kubernetes: cluster,
      autoScaling: cloud,
      ec2: new SimEc2(),
      state,
      clock,
      log: silentLogger,
      settings,
      dryRun: false,
    };
    const handled = await runNodePoolTick(deps);
    expect(handled.failures).toMatchObject([{ asgName: 'ours-a', kind: 'capacity' }]);
    clock.advance(15_000);
    expect((await runNodePoolTick(deps)).failures).toEqual([]);
  });

  it('handles a launch failure at once when the lease is free', async () => {
    const response = await invoke(launchFailure('ours-a'));
    expect(response).toMatchObject({ ok: true, status: 'ran' });
    if (!response.ok) throw new Error('unreachable');
    expect(response.ticks).toHaveLength(1);
    expect(response.ticks[0]?.failures).toMatchObject([{ asgName: 'ours-a', kind: 'capacity' }]);
    expect(response.summary).toMatch(/failed ours-a \[capacity\]/);
  });
  it('records a spot warning for one of its instances and drains at once; ignores other instances and duplicates', async () => {
    cloud.addGroup({
      name: 'spot-a',
      minSize: 0,
      maxSize: 5,
      desiredCapacity: 1,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm5.xlarge',
      capacityType: 'spot',
      tags: { [CA_ENABLED_TAG]: 'true', [clusterTag(clusterName)]: 'owned' },
    });
    clock.advance(300_000);
    cloud.sync();
    cluster.sync();
    const [instance] = cloud.instances('spot-a');
    if (!instance) throw new Error('no instance');
    const warning = (instanceId: string) => ({
      version: '0',
      id: `w-${instanceId}`,
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      source: 'aws.ec2',
      account: '123456789012',
      time: new Date(clock.now()).toISOString(),
      region: REGION,
      resources: [`arn:aws:ec2:eu-central-1a:instance/${instanceId}`],
      detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
    });
    const other = await invoke(warning('i-0123456789abcdef0'));
    expect(other).toMatchObject({ ok: true, status: 'ignored' });
    expect(connects).toBe(0);

    const response = await invoke(warning(instance.instanceId));
    expect(response).toMatchObject({ ok: true, status: 'ran' });
    if (!response.ok) throw new Error('unreachable');
    expect(response.ticks[0]?.scaleDown.started).toMatchObject([
      { node: instance.nodeName, reason: 'spot interruption warning' },
    ]);
    expect(await invoke(warning(instance.instanceId))).toMatchObject({ ok: true, status: 'ignored' });
  });

  it('ignores a state change of an instance it has no drain or warning for', async () => {
    const response = await invoke({
      version: '0',
      id: 'sc-1',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: new Date(clock.now()).toISOString(),
      region: REGION,
      resources: [],
      detail: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' },
    });
    expect(response).toMatchObject({ ok: true, status: 'ignored' });
    expect(connects).toBe(0);
  });
});
