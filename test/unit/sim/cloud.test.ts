import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOOT_SECONDS,
  LAUNCH_RETRY_MS,
  SimAwsError,
  SimCloud,
  type SimGroupSpec,
  TERMINATION_MS,
} from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { nodeResources } from '../../../shared/sim/instance-types';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { START, workload } from './fixtures';

function world(groupOverrides: Partial<SimGroupSpec> = {}, options: { warm?: boolean } = {}) {
  const clock = new VirtualClock(START);
  const cluster = new SimCluster({ clock });
  const cloud = new SimCloud({ clock, cluster });
  cloud.addGroup(
    {
      name: 'workers',
      minSize: 0,
      maxSize: 10,
      desiredCapacity: 2,
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      instanceType: 'm5.xlarge',
      capacityType: 'spot',
      tags: { team: 'platform' },
      nodeLabels: { 'node-pool': 'workers' },
      ...groupOverrides,
    },
    options,
  );
  return { clock, cluster, cloud };
}

const pool = { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'spot' } as const;

describe('SimCloud', () => {
  it('given a warm group, should start with its instances in service and their nodes Ready', async () => {
    const { cluster, cloud } = world();
    const [group] = await cloud.describeGroups(['workers']);
    expect(group).toMatchObject({
      name: 'workers',
      minSize: 0,
      maxSize: 10,
      desiredCapacity: 2,
      tags: { team: 'platform' },
    });
    expect(group?.instances.map((instance) => instance.lifecycleState)).toEqual(['InService', 'InService']);
    expect(group?.instances.map((instance) => instance.availabilityZone)).toEqual([
      'eu-central-1a',
      'eu-central-1b',
    ]);
    const nodes = await cluster.listNodes();
    expect(nodes).toHaveLength(2);
    const node = nodes[0];
    expect(node?.ready).toBe(true);
    expect(node?.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'm5.xlarge',
      'topology.kubernetes.io/zone': 'eu-central-1a',
      'karpenter.sh/capacity-type': 'spot',
      'node-pool': 'workers',
    });
    expect(node?.providerID).toBe(`aws:///eu-central-1a/${group?.instances[0]?.instanceId}`);
    expect(node?.allocatable).toEqual(nodeResources('m5.xlarge').allocatable);
  });

  it('given a raised desired capacity, should launch instances whose nodes join after the boot delay', async () => {
    const { clock, cluster, cloud } = world();
    await cloud.setDesiredCapacity('workers', 4);
    cloud.reconcile();
    const [group] = await cloud.describeGroups();
    expect(group?.instances.filter((instance) => instance.lifecycleState === 'Pending')).toHaveLength(2);
    expect(cloud.nextEventAt()).toBe(START + DEFAULT_BOOT_SECONDS * 1000);
    clock.advance(DEFAULT_BOOT_SECONDS * 1000 - 1);
    cloud.reconcile();
    expect(await cluster.listNodes()).toHaveLength(2);
    clock.advance(1);
    cloud.reconcile();
    expect(await cluster.listNodes()).toHaveLength(4);
    expect(cloud.activities('workers').filter((activity) => activity.status === 'Successful')).toHaveLength(
      2,
    );
  });

  it('given pods waiting for room, should schedule them once new nodes join', async () => {
    const { clock, cluster, cloud } = world({ desiredCapacity: 1, availabilityZones: ['eu-central-1a'] });
    // m5.xlarge allocatable is 3920 m: two 1.5-core pods fit, four do not.
    cluster.addWorkload(
      workload({ replicas: 4, containers: [{ name: 'app', requests: { cpu: '1500m', memory: '1Gi' } }] }),
    );
    cluster.reconcile();
    expect(cluster.clusterSnapshot().unscheduledPods).toBe(2);
    await cloud.setDesiredCapacity('workers', 2);
    cloud.reconcile();
    clock.advance(DEFAULT_BOOT_SECONDS * 1000);
    cloud.reconcile();
    cluster.reconcile();
    expect(cluster.clusterSnapshot().unscheduledPods).toBe(0);
  });

  it('given a lowered desired capacity, should terminate the newest instances and take their nodes out', async () => {
    const { clock, cluster, cloud } = world({ desiredCapacity: 3 });
    cluster.addWorkload(workload({ replicas: 6 }), { warm: true });
    const newest = cloud.instances('workers')[2];
    await cloud.setDesiredCapacity('workers', 2);
    cloud.reconcile();
    cluster.reconcile();
    expect(
      cloud.instances('workers').find((instance) => instance.instanceId === newest?.instanceId)?.state,
    ).toBe('Terminating');
    expect((await cluster.listNodes()).map((node) => node.name)).not.toContain(newest?.nodeName);
    const pods = await cluster.listPods();
    expect(pods).toHaveLength(6);
    expect(pods.some((pod) => pod.nodeName === newest?.nodeName)).toBe(false);
    clock.advance(TERMINATION_MS);
    cloud.reconcile();
    expect(cloud.instances('workers')).toHaveLength(2);
  });

  it('given no capacity for the offering, should stay below desired with failed activities until restored', async () => {
    const { clock, cluster, cloud } = world({ availabilityZones: ['eu-central-1a'], desiredCapacity: 1 });
    cloud.setCapacityAvailable(pool, false);
    await cloud.setDesiredCapacity('workers', 3);
    cloud.reconcile();
    const [group] = await cloud.describeGroups(['workers']);
    expect(group?.desiredCapacity).toBe(3);
    expect(group?.instances).toHaveLength(1);
    const failed = cloud.activities('workers').filter((activity) => activity.status === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.description).toMatch(/InsufficientInstanceCapacity/);
    expect(failed[0]?.cause).toMatch(
      /m5\.xlarge Spot capacity in the Availability Zone you requested \(eu-central-1a\)/,
    );
    expect(cloud.nextEventAt()).toBe(START + LAUNCH_RETRY_MS);

    clock.advance(LAUNCH_RETRY_MS);
    cloud.reconcile();
    expect(cloud.activities('workers').filter((activity) => activity.status === 'Failed')).toHaveLength(2);

    cloud.setCapacityAvailable(pool, true);
    clock.advance(LAUNCH_RETRY_MS);
    cloud.reconcile();
    clock.advance(DEFAULT_BOOT_SECONDS * 1000);
    cloud.reconcile();
    expect(await cluster.listNodes()).toHaveLength(3);
  });

  it('given one zone without capacity, should launch in the others', async () => {
    const { cloud } = world({ desiredCapacity: 0 });
    cloud.setCapacityAvailable(pool, false);
    await cloud.setDesiredCapacity('workers', 3);
    cloud.reconcile();
    expect(cloud.instances('workers').map((instance) => instance.zone)).toEqual([
      'eu-central-1b',
      'eu-central-1b',
      'eu-central-1b',
    ]);
    expect(cloud.activities('workers').some((activity) => activity.status === 'Failed')).toBe(false);
  });

  it('given desired capacity outside min/max or an unknown group, should throw a ValidationError', async () => {
    const { cloud } = world({ minSize: 1, maxSize: 5 });
    await expect(cloud.setDesiredCapacity('workers', 6)).rejects.toThrow(/above max value 5/);
    await expect(cloud.setDesiredCapacity('workers', 0)).rejects.toThrow(/below min value 1/);
    const error = await cloud.setDesiredCapacity('nope', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimAwsError);
    expect((error as SimAwsError).code).toBe('ValidationError');
    expect(await cloud.describeGroups(['nope'])).toEqual([]);
  });

  it('given an interrupted instance, should replace it unless desired capacity goes down with it', async () => {
    const { cluster, cloud } = world();
    const [first, second] = cloud.instances('workers');
    cloud.terminateInstance(first?.instanceId ?? '');
    cloud.reconcile();
    expect(cloud.instances('workers').filter((instance) => instance.state === 'Pending')).toHaveLength(1);
    cloud.terminateInstance(second?.instanceId ?? '', true);
    cloud.reconcile();
    expect((await cloud.describeGroups())[0]?.desiredCapacity).toBe(1);
    expect(await cluster.listNodes()).toHaveLength(0);
    expect(() => cloud.terminateInstance('i-nothere')).toThrow(SimAwsError);
  });

  it('given a cold group, should launch its initial instances and boot them', async () => {
    const { clock, cluster, cloud } = world({}, { warm: false });
    cloud.reconcile();
    expect(await cluster.listNodes()).toHaveLength(0);
    clock.advance(DEFAULT_BOOT_SECONDS * 1000);
    cloud.reconcile();
    expect(await cluster.listNodes()).toHaveLength(2);
  });

  it('should count calls and fail armed ones', async () => {
    const { cloud } = world();
    await cloud.describeGroups();
    await cloud.setDesiredCapacity('workers', 3);
    cloud.failNext('setDesiredCapacity', 1, new SimAwsError('Throttling', 'Rate exceeded'));
    await expect(cloud.setDesiredCapacity('workers', 4)).rejects.toThrow('Rate exceeded');
    expect(cloud.stats()).toMatchObject({
      calls: { describeGroups: 1, setDesiredCapacity: 2 },
      requests: { DescribeAutoScalingGroups: 1, SetDesiredCapacity: 2 },
      totalRequests: 3,
    });
    expect((await cloud.describeGroups())[0]?.desiredCapacity).toBe(3);
  });
});
