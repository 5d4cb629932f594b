import { describe, expect, it } from 'vitest';
import { templateNode } from '../../../shared/nodepools/template-node';
import { AutoScalingError } from '../../../shared/ports/auto-scaling';
import {
  DEFAULT_BOOT_SECONDS,
  LAUNCH_RETRY_MS,
  SimCloud,
  type SimGroupSpec,
  SPOT_INTERRUPTION_NOTICE_MS,
  TERMINATION_MS,
} from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { INSTANCE_TYPES, nodeResources } from '../../../shared/sim/instance-types';
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
      instanceTypes: ['m5.xlarge'],
      purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 },
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
    expect(node?.labels).toEqual({
      'kubernetes.io/hostname': node?.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': 'm5.xlarge',
      'topology.kubernetes.io/region': 'eu-central-1',
      'topology.kubernetes.io/zone': 'eu-central-1a',
      'node.kubernetes.io/lifecycle': 'spot',
      'node-pool': 'workers',
    });
    expect(node?.providerID).toBe(`aws:///eu-central-1a/${group?.instances[0]?.instanceId}`);
    expect(node?.allocatable).toEqual(nodeResources('m5.xlarge').allocatable);
    // Spot nodes get the group's taints only, not the template's spot taint.
    expect(node?.taints).toEqual([]);
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
    expect(
      cloud.activities('workers').filter((activity) => activity.statusCode === 'Successful'),
    ).toHaveLength(2);
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
    const failed = cloud.activities('workers').filter((activity) => activity.statusCode === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.statusMessage).toBe(
      'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available ' +
        'that matches your request. Launching EC2 instance failed.',
    );
    expect(failed[0]?.description).toBe(
      `Launching a new EC2 instance.  Status Reason: ${failed[0]?.statusMessage}`,
    );
    expect(cloud.nextEventAt()).toBe(START + LAUNCH_RETRY_MS);

    clock.advance(LAUNCH_RETRY_MS);
    cloud.reconcile();
    expect(cloud.activities('workers').filter((activity) => activity.statusCode === 'Failed')).toHaveLength(
      2,
    );

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
    expect(cloud.activities('workers').some((activity) => activity.statusCode === 'Failed')).toBe(false);
  });

  it('given desired capacity outside min/max or an unknown group, should throw as the adapter does', async () => {
    const { cloud } = world({ minSize: 1, maxSize: 5 });
    await expect(cloud.setDesiredCapacity('workers', 6)).rejects.toMatchObject({
      name: 'AutoScalingError',
      reason: 'Invalid',
      message: expect.stringMatching(/above max value 5/),
    });
    await expect(cloud.setDesiredCapacity('workers', 0)).rejects.toMatchObject({
      reason: 'Invalid',
      message: expect.stringMatching(/below min value 1/),
    });
    const error = await cloud.setDesiredCapacity('nope', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoScalingError);
    expect((error as AutoScalingError).reason).toBe('NotFound');
    expect(await cloud.describeGroups(['nope'])).toEqual([]);
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
    cloud.failNext('setDesiredCapacity', 1, new AutoScalingError('Throttled', 'Rate exceeded'));
    await expect(cloud.setDesiredCapacity('workers', 4)).rejects.toThrow('Rate exceeded');
    expect(cloud.stats()).toMatchObject({
      calls: { describeGroups: 1, setDesiredCapacity: 2 },
      requests: { DescribeAutoScalingGroups: 1, SetDesiredCapacity: 2 },
      totalRequests: 3,
    });
    expect((await cloud.describeGroups())[0]?.desiredCapacity).toBe(3);
  });

  it("given an on-demand group without capacity, should fail with EC2's message naming the type and zone", async () => {
    const { cloud } = world({ capacityType: 'on-demand', desiredCapacity: 0 });
    for (const zone of ['eu-central-1a', 'eu-central-1b']) {
      cloud.setCapacityAvailable({ instanceType: 'm5.xlarge', zone, capacityType: 'on-demand' }, false);
    }
    await cloud.setDesiredCapacity('workers', 1);
    const [failed] = cloud.activities('workers');
    expect(failed).toMatchObject({
      statusCode: 'Failed',
      statusMessage:
        'We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested ' +
        '(eu-central-1a). Our system will be working on provisioning additional capacity. ' +
        'Launching EC2 instance failed.',
      cause:
        'At 2025-06-03T08:00:00Z an instance was started in response to a difference between desired and ' +
        'actual capacity, increasing the capacity from 0 to 1.',
    });
  });

  it('given a mixed group, should report its types and launch the first one with capacity', async () => {
    const { clock, cluster, cloud } = world({
      capacityType: 'on-demand',
      desiredCapacity: 0,
      availabilityZones: ['eu-central-1a'],
      fallbackInstanceTypes: ['m5a.xlarge', 'm6i.xlarge'],
    });
    const [group] = await cloud.describeGroups(['workers']);
    expect(group?.instanceTypes).toEqual(['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge']);
    expect(group?.purchase).toEqual({
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBase: 100,
      spotAllocationStrategy: 'price-capacity-optimized',
    });
    const offering = (instanceType: string) =>
      ({ instanceType, zone: 'eu-central-1a', capacityType: 'on-demand' }) as const;
    cloud.setCapacityAvailable(offering('m5.xlarge'), false);
    await cloud.setDesiredCapacity('workers', 1);
    expect(cloud.instances('workers').map((instance) => instance.instanceType)).toEqual(['m5a.xlarge']);
    clock.advance(DEFAULT_BOOT_SECONDS * 1000);
    cloud.reconcile();
    expect((await cluster.listNodes())[0]?.labels['node.kubernetes.io/instance-type']).toBe('m5a.xlarge');

    cloud.setCapacityAvailable(offering('m5a.xlarge'), false);
    cloud.setCapacityAvailable(offering('m6i.xlarge'), false);
    await cloud.setDesiredCapacity('workers', 2);
    const failed = cloud.activities('workers').filter((activity) => activity.statusCode === 'Failed');
    expect(failed.map((activity) => activity.statusMessage)).toEqual([
      expect.stringMatching(
        /^Could not launch On-Demand Instances\. InsufficientInstanceCapacity - We currently do not have sufficient m5\.xlarge capacity/,
      ),
    ]);
  });

  it('should size and label nodes as the template node the loop plans with', async () => {
    const { cluster } = world({
      name: 'arm',
      instanceType: 'm6g.xlarge',
      capacityType: 'on-demand',
      desiredCapacity: 1,
      availabilityZones: ['eu-central-1b'],
      maxPods: 110,
    });
    const [node] = await cluster.listNodes();
    const planned = templateNode({
      instanceType: INSTANCE_TYPES['m6g.xlarge'] ?? expect.fail('m6g.xlarge in the table'),
      zone: 'eu-central-1b',
      capacityType: 'on-demand',
      labels: { 'node-pool': 'workers' },
      taints: [],
      maxPods: 110,
    });
    expect(node?.allocatable).toEqual(planned.allocatable);
    expect(node?.capacity).toEqual(planned.capacity);
    expect(node?.labels).toMatchObject(planned.labels);
    expect(node?.labels['kubernetes.io/arch']).toBe('arm64');
  });

  it('given a GPU type, should give its nodes the GPUs as allocatable', async () => {
    const { cluster } = world({ instanceType: 'p3.2xlarge', capacityType: 'on-demand', desiredCapacity: 1 });
    const [node] = await cluster.listNodes();
    expect(node?.allocatable['nvidia.com/gpu']).toBe('1');
    expect(node?.allocatable.pods).toBe('58');
  });
});

describe('SimCloud.describeScalingActivities', () => {
  it('should answer launches and failures since a time, newest first, with activity ids', async () => {
    const { clock, cloud } = world({ desiredCapacity: 0, availabilityZones: ['eu-central-1a'] });
    await cloud.setDesiredCapacity('workers', 1);
    clock.advance(10_000);
    const since = clock.now();
    cloud.setCapacityAvailable(pool, false);
    await cloud.setDesiredCapacity('workers', 2);
    clock.advance(LAUNCH_RETRY_MS);
    cloud.setCapacityAvailable(pool, true);
    cloud.reconcile();

    const activities = await cloud.describeScalingActivities('workers', since);
    expect(activities.map((activity) => [activity.statusCode, activity.startTime])).toEqual([
      ['Successful', since + LAUNCH_RETRY_MS],
      ['Failed', since],
    ]);
    expect(activities[0]?.description).toMatch(/^Launching a new EC2 instance: i-0[0-9a-f]{16}$/);
    expect(activities[0]?.cause).toMatch(/increasing the capacity from 1 to 2\.$/);
    expect(activities[1]).toMatchObject({ groupName: 'workers', endTime: since });
    const ids = new Set(
      (await cloud.describeScalingActivities('workers', 0)).map((activity) => activity.activityId),
    );
    expect(ids.size).toBe(3);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await cloud.describeScalingActivities('workers', clock.now() + 1)).toEqual([]);
  });

  it('should record terminations', async () => {
    const { cloud } = world();
    await cloud.setDesiredCapacity('workers', 1);
    const [terminated] = await cloud.describeScalingActivities('workers', START);
    expect(terminated).toMatchObject({
      statusCode: 'Successful',
      description: expect.stringMatching(/^Terminating EC2 instance: i-/),
      cause: expect.stringMatching(/^At 2025-06-03T08:00:00Z an instance was taken out of service/),
    });
  });

  it('given an unknown group, should throw NotFound; should count the calls', async () => {
    const { cloud } = world();
    await expect(cloud.describeScalingActivities('nope', 0)).rejects.toMatchObject({ reason: 'NotFound' });
    await cloud.describeScalingActivities('workers', 0);
    expect(cloud.stats()).toMatchObject({
      calls: { describeScalingActivities: 2 },
      requests: { DescribeScalingActivities: 2 },
    });
  });
});

describe('SimCloud.terminateInstance', () => {
  it('given a decrement, should terminate the instance, take its node out and not replace it', async () => {
    const { cluster, cloud } = world({ desiredCapacity: 3 });
    cluster.addWorkload(workload({ replicas: 6 }), { warm: true });
    const victim = cloud.instances('workers')[0];
    await cloud.terminateInstance(victim?.instanceId ?? '', true);
    const [group] = await cloud.describeGroups(['workers']);
    expect(group?.desiredCapacity).toBe(2);
    expect(group?.instances.map((instance) => instance.lifecycleState)).toEqual([
      'Terminating',
      'InService',
      'InService',
    ]);
    expect((await cluster.listNodes()).map((node) => node.name)).not.toContain(victim?.nodeName);
    cluster.reconcile();
    expect((await cluster.listPods()).some((pod) => pod.nodeName === victim?.nodeName)).toBe(false);
    expect(cloud.activities('workers').at(-1)).toMatchObject({
      statusCode: 'Successful',
      description: `Terminating EC2 instance: ${victim?.instanceId}`,
      cause:
        `At 2025-06-03T08:00:00Z instance ${victim?.instanceId} was taken out of service in response to a ` +
        'user request, shrinking the capacity from 3 to 2.',
    });
  });

  it('given no decrement, should keep desired capacity and launch a replacement at once', async () => {
    const { clock, cluster, cloud } = world();
    const [victim, survivor] = cloud.instances('workers');
    await cloud.terminateInstance(victim?.instanceId ?? '', false);
    expect((await cloud.describeGroups(['workers']))[0]?.desiredCapacity).toBe(2);
    expect(cloud.instances('workers').map((instance) => instance.state)).toEqual([
      'Terminating',
      'InService',
      'Pending',
    ]);
    expect(cloud.activities('workers').at(-2)?.cause).toBe(
      `At 2025-06-03T08:00:00Z instance ${victim?.instanceId} was taken out of service in response to a user request.`,
    );
    clock.advance(DEFAULT_BOOT_SECONDS * 1000);
    cloud.reconcile();
    const nodes = (await cluster.listNodes()).map((node) => node.name);
    expect(nodes).toHaveLength(2);
    expect(nodes).toContain(survivor?.nodeName);
  });

  it('given the group at its minimum, should refuse the decrement as Auto Scaling does and change nothing', async () => {
    const { cluster, cloud } = world({ minSize: 2 });
    const [victim] = cloud.instances('workers');
    const error = await cloud.terminateInstance(victim?.instanceId ?? '', true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoScalingError);
    expect(error).toMatchObject({
      reason: 'Invalid',
      message:
        'TerminateInstanceInAutoScalingGroup: Currently, desiredSize equals minSize (2). Terminating instance ' +
        "without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity " +
        "flag to false or lower group's min size.",
    });
    expect(cloud.instances('workers').map((instance) => instance.state)).toEqual(['InService', 'InService']);
    expect(await cluster.listNodes()).toHaveLength(2);
    // Without the decrement the group stays at its minimum by replacing the instance.
    await cloud.terminateInstance(victim?.instanceId ?? '', false);
    expect((await cloud.describeGroups(['workers']))[0]?.desiredCapacity).toBe(2);
  });

  it('given an unknown instance or one already terminating, should throw NotFound and decrement nothing twice', async () => {
    const { clock, cloud } = world({ desiredCapacity: 3 });
    const [victim] = cloud.instances('workers');
    await cloud.terminateInstance(victim?.instanceId ?? '', true);
    for (const id of [victim?.instanceId ?? '', 'i-nothere']) {
      await expect(cloud.terminateInstance(id, true)).rejects.toMatchObject({
        name: 'AutoScalingError',
        reason: 'NotFound',
        message: `TerminateInstanceInAutoScalingGroup: Instance Id not found - No managed instance found for instance ID: ${id}`,
      });
    }
    clock.advance(TERMINATION_MS);
    await expect(cloud.terminateInstance(victim?.instanceId ?? '', true)).rejects.toMatchObject({
      reason: 'NotFound',
    });
    expect((await cloud.describeGroups(['workers']))[0]?.desiredCapacity).toBe(2);
  });

  it('should count every call, failed ones too, and fail armed ones before acting', async () => {
    const { cloud } = world();
    const [first, second] = cloud.instances('workers');
    cloud.failNext('terminateInstance', 1, new AutoScalingError('Busy', 'Scaling activity in progress'));
    await expect(cloud.terminateInstance(first?.instanceId ?? '', true)).rejects.toMatchObject({
      reason: 'Busy',
    });
    expect(cloud.instances('workers').map((instance) => instance.state)).toEqual(['InService', 'InService']);
    await cloud.terminateInstance(first?.instanceId ?? '', true);
    await cloud.terminateInstance('i-nothere', true).catch(() => undefined);
    await cloud.terminateInstance(second?.instanceId ?? '', true);
    expect(cloud.stats()).toMatchObject({
      calls: { terminateInstance: 4 },
      requests: { TerminateInstanceInAutoScalingGroup: 4 },
    });
  });
});

describe('SimCloud.interruptSpotInstance', () => {
  it('should warn at once and take the instance two minutes later, losing the pods still on its node', async () => {
    const { clock, cluster, cloud } = world({ availabilityZones: ['eu-central-1a'], desiredCapacity: 1 });
    cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
    const [victim] = cloud.instances('workers');
    const warning = cloud.interruptSpotInstance(victim?.instanceId ?? '');
    expect(warning).toEqual({
      instanceId: victim?.instanceId,
      groupName: 'workers',
      nodeName: victim?.nodeName,
      zone: 'eu-central-1a',
      instanceType: 'm5.xlarge',
      instanceAction: 'terminate',
      warnedAt: START,
      interruptAt: START + SPOT_INTERRUPTION_NOTICE_MS,
    });
    expect(cloud.takeInstanceEvents()).toEqual([
      {
        kind: 'spot-interruption',
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        time: START,
        instanceId: victim?.instanceId,
        groupName: 'workers',
        nodeName: victim?.nodeName,
        zone: 'eu-central-1a',
        instanceType: 'm5.xlarge',
        instanceAction: 'terminate',
        interruptAt: START + SPOT_INTERRUPTION_NOTICE_MS,
      },
    ]);
    // Each event is handed out once.
    expect(cloud.takeInstanceEvents()).toEqual([]);
    expect(cloud.interruptionWarnings()).toEqual([warning]);
    expect(cloud.nextEventAt()).toBe(START + SPOT_INTERRUPTION_NOTICE_MS);

    clock.advance(SPOT_INTERRUPTION_NOTICE_MS - 1);
    cloud.reconcile();
    expect((await cluster.listNodes()).map((node) => node.name)).toEqual([victim?.nodeName]);

    clock.advance(1);
    cloud.reconcile();
    cluster.reconcile();
    expect(await cluster.listNodes()).toEqual([]);
    expect(await cluster.listPods()).toHaveLength(2);
    expect((await cluster.listPods()).every((pod) => pod.nodeName === undefined)).toBe(true);
    // EC2 took it: the group's desired capacity is unchanged, so it launches a replacement.
    expect(cloud.instances('workers').map((instance) => instance.state)).toEqual(['Terminating', 'Pending']);
    expect((await cloud.describeGroups(['workers']))[0]?.desiredCapacity).toBe(1);
    expect(cloud.activities('workers').at(-2)?.cause).toBe(
      'At 2025-06-03T08:02:00Z an instance was taken out of service in response to an EC2 health check ' +
        'indicating it has been terminated or stopped.',
    );
  });

  it('given a later warning, should wake the event source then and hand the warning out only from then', () => {
    const { clock, cloud } = world();
    const [victim] = cloud.instances('workers');
    cloud.interruptSpotInstance(victim?.instanceId ?? '', {
      warningAt: START + 60_000,
      terminateAfterMs: 30_000,
    });
    expect(cloud.takeInstanceEvents()).toEqual([]);
    expect(cloud.interruptionWarnings()).toEqual([]);
    expect(cloud.nextEventAt()).toBe(START + 60_000);
    clock.advance(60_000);
    cloud.reconcile();
    expect(cloud.nextEventAt()).toBe(START + 90_000);
    expect(cloud.takeInstanceEvents()).toMatchObject([
      {
        kind: 'spot-interruption',
        instanceId: victim?.instanceId,
        time: START + 60_000,
        interruptAt: START + 90_000,
      },
    ]);
  });

  it('given the loop terminated the instance before the deadline, should not take it again', async () => {
    const { clock, cloud } = world({ desiredCapacity: 3 });
    const [victim] = cloud.instances('workers');
    cloud.interruptSpotInstance(victim?.instanceId ?? '');
    await cloud.terminateInstance(victim?.instanceId ?? '', true);
    const activities = cloud.activities('workers').length;
    clock.advance(SPOT_INTERRUPTION_NOTICE_MS);
    cloud.reconcile();
    expect(cloud.activities('workers')).toHaveLength(activities);
    expect((await cloud.describeGroups(['workers']))[0]?.desiredCapacity).toBe(2);
    // Its shutdown ended before the deadline: the survivors are all that is left.
    expect(cloud.instances('workers').map((instance) => instance.instanceId)).not.toContain(
      victim?.instanceId,
    );
    expect(cloud.instances('workers')).toHaveLength(2);
  });

  it('should refuse on-demand, unknown, already interrupted instances and warnings in the past', () => {
    const { clock, cloud } = world();
    cloud.addGroup({
      name: 'on-demand',
      minSize: 0,
      maxSize: 1,
      desiredCapacity: 1,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm5.xlarge',
      capacityType: 'on-demand',
    });
    const [spot] = cloud.instances('workers');
    const [onDemand] = cloud.instances('on-demand');
    expect(() => cloud.interruptSpotInstance(onDemand?.instanceId ?? '')).toThrow(/on-demand/);
    expect(() => cloud.interruptSpotInstance('i-nothere')).toThrow(/no running instance/);
    clock.advance(1_000);
    expect(() => cloud.interruptSpotInstance(spot?.instanceId ?? '', { warningAt: START })).toThrow(
      /in the past/,
    );
    cloud.interruptSpotInstance(spot?.instanceId ?? '');
    expect(() => cloud.interruptSpotInstance(spot?.instanceId ?? '')).toThrow(/already being interrupted/);
  });
});

describe('SimCloud instance events', () => {
  it('should hand out a rebalance recommendation, a spot warning and the state changes of the instance EC2 takes once each, oldest first', async () => {
    const { clock, cloud } = world();
    const [victim, other] = cloud.instances('workers');
    if (!victim || !other) throw new Error('no instances');
    const about = {
      instanceId: victim.instanceId,
      groupName: 'workers',
      nodeName: victim.nodeName,
      zone: 'eu-central-1a',
      instanceType: 'm5.xlarge',
    };
    const recommendation = cloud.recommendRebalance(victim.instanceId);
    clock.advance(60_000);
    cloud.interruptSpotInstance(victim.instanceId);
    // Not the order they were asked for: a later-dated recommendation of the other instance comes last.
    cloud.recommendRebalance(other.instanceId, { at: START + 90_000 });

    expect(cloud.takeInstanceEvents()).toEqual([
      { ...about, kind: 'rebalance-recommendation', id: recommendation.id, time: START },
      {
        ...about,
        kind: 'spot-interruption',
        id: expect.any(String),
        time: START + 60_000,
        instanceAction: 'terminate',
        interruptAt: START + 60_000 + SPOT_INTERRUPTION_NOTICE_MS,
      },
    ]);
    expect(cloud.takeInstanceEvents()).toEqual([]);
    // The later recommendation wakes the event source at its time.
    expect(cloud.nextEventAt()).toBe(START + 90_000);
    clock.advance(30_000);
    cloud.reconcile();
    expect(cloud.takeInstanceEvents()).toMatchObject([
      { kind: 'rebalance-recommendation', instanceId: other.instanceId, time: START + 90_000 },
    ]);

    // EC2 takes the instance: it starts shutting down at once and is terminated once gone.
    const takenAt = START + 60_000 + SPOT_INTERRUPTION_NOTICE_MS;
    clock.advanceTo(takenAt);
    cloud.reconcile();
    expect(cloud.takeInstanceEvents()).toEqual([
      {
        ...about,
        kind: 'instance-state-change',
        id: expect.any(String),
        time: takenAt,
        state: 'shutting-down',
      },
    ]);
    expect(cloud.nextEventAt()).toBe(takenAt + TERMINATION_MS);
    clock.advance(TERMINATION_MS);
    cloud.reconcile();
    expect(cloud.takeInstanceEvents()).toMatchObject([
      {
        kind: 'instance-state-change',
        instanceId: victim.instanceId,
        time: takenAt + TERMINATION_MS,
        state: 'terminated',
      },
    ]);
    expect(cloud.takeInstanceEvents()).toEqual([]);

    const all = cloud.instanceEvents();
    expect(all.map((event) => [event.kind, event.time - START])).toEqual([
      ['rebalance-recommendation', 0],
      ['spot-interruption', 60_000],
      ['rebalance-recommendation', 90_000],
      ['instance-state-change', takenAt - START],
      ['instance-state-change', takenAt + TERMINATION_MS - START],
    ]);
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
  });

  it('should emit state changes for instances Auto Scaling terminates, on request and on scale-in', async () => {
    const { clock, cloud } = world({ desiredCapacity: 3 });
    const [first, , third] = cloud.instances('workers');
    if (!first || !third) throw new Error('no instances');
    await cloud.terminateInstance(first.instanceId, true);
    // Scale-in takes the newest instance.
    await cloud.setDesiredCapacity('workers', 1);
    expect(cloud.takeInstanceEvents()).toMatchObject([
      { kind: 'instance-state-change', instanceId: first.instanceId, state: 'shutting-down', time: START },
      { kind: 'instance-state-change', instanceId: third.instanceId, state: 'shutting-down', time: START },
    ]);
    clock.advance(TERMINATION_MS);
    cloud.reconcile();
    expect(cloud.takeInstanceEvents()).toMatchObject([
      { instanceId: first.instanceId, state: 'terminated', time: START + TERMINATION_MS },
      { instanceId: third.instanceId, state: 'terminated', time: START + TERMINATION_MS },
    ]);
    expect(cloud.instances('workers')).toHaveLength(1);
  });

  it('should hand a redelivered event out again with its id and time', () => {
    const { clock, cloud } = world();
    const [victim] = cloud.instances('workers');
    const event = cloud.recommendRebalance(victim?.instanceId ?? '');
    expect(cloud.takeInstanceEvents()).toEqual([event]);
    clock.advance(5_000);
    cloud.redeliverInstanceEvent(event.id);
    expect(cloud.takeInstanceEvents()).toEqual([event]);
    expect(cloud.takeInstanceEvents()).toEqual([]);
    expect(() => cloud.redeliverInstanceEvent('no-such-event')).toThrow(/no instance event/);
  });

  it('should refuse to recommend rebalancing on-demand, unknown, terminating or recommended instances, or in the past', async () => {
    const { clock, cloud } = world();
    cloud.addGroup({
      name: 'on-demand',
      minSize: 0,
      maxSize: 1,
      desiredCapacity: 1,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm5.xlarge',
      capacityType: 'on-demand',
    });
    const [spot, leaving] = cloud.instances('workers');
    const [onDemand] = cloud.instances('on-demand');
    expect(() => cloud.recommendRebalance(onDemand?.instanceId ?? '')).toThrow(/on-demand/);
    expect(() => cloud.recommendRebalance('i-nothere')).toThrow(/no running instance/);
    await cloud.terminateInstance(leaving?.instanceId ?? '', false);
    expect(() => cloud.recommendRebalance(leaving?.instanceId ?? '')).toThrow(/no running instance/);
    clock.advance(1_000);
    expect(() => cloud.recommendRebalance(spot?.instanceId ?? '', { at: START })).toThrow(/in the past/);
    cloud.recommendRebalance(spot?.instanceId ?? '');
    expect(() => cloud.recommendRebalance(spot?.instanceId ?? '')).toThrow(/already recommended/);
    // A recommendation takes nothing: the instance stays in service.
    clock.advance(SPOT_INTERRUPTION_NOTICE_MS * 10);
    cloud.reconcile();
    expect(cloud.instances('workers').find((i) => i.instanceId === spot?.instanceId)?.state).toBe(
      'InService',
    );
  });
});
