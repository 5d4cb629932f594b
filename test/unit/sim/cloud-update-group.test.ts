import { describe, expect, it } from 'vitest';
import { AutoScalingError } from '../../../shared/ports/auto-scaling';
import { SimCloud } from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { START } from './fixtures';

function world() {
  const clock = new VirtualClock(START);
  const cluster = new SimCluster({ clock });
  const cloud = new SimCloud({ clock, cluster });
  cloud.addGroup({
    name: 'cp',
    minSize: 2,
    maxSize: 2,
    desiredCapacity: 2,
    availabilityZones: ['eu-central-1a'],
    instanceType: 'm6i.xlarge',
    capacityType: 'on-demand',
  });
  return { clock, cloud };
}

describe('SimCloud.updateGroup (UpdateAutoScalingGroup)', () => {
  it('should raise max and desired together and launch the new instance type; running ones keep theirs', async () => {
    const { cloud } = world();
    await cloud.updateGroup('cp', { instanceType: 'm6i.2xlarge' });
    await cloud.updateGroup('cp', { maxSize: 3, desiredCapacity: 3 });
    const [group] = await cloud.describeGroups(['cp']);
    expect(group).toMatchObject({
      minSize: 2,
      maxSize: 3,
      desiredCapacity: 3,
      instanceTypes: ['m6i.2xlarge'],
    });
    expect(cloud.instances('cp').map((i) => [i.instanceType, i.state])).toEqual([
      ['m6i.xlarge', 'InService'],
      ['m6i.xlarge', 'InService'],
      ['m6i.2xlarge', 'Pending'],
    ]);
    expect(cloud.stats().requests.UpdateAutoScalingGroup).toBe(2);
  });

  it('should lower desired to a new max below it, raise it to a new min above it, and refuse desired outside min/max', async () => {
    const { cloud } = world();
    await cloud.updateGroup('cp', { minSize: 1, maxSize: 1 });
    expect((await cloud.describeGroups(['cp']))[0]).toMatchObject({
      minSize: 1,
      maxSize: 1,
      desiredCapacity: 1,
    });
    expect(cloud.instances('cp').filter((i) => i.state !== 'Terminating')).toHaveLength(1);
    await cloud.updateGroup('cp', { minSize: 2, maxSize: 4 });
    expect((await cloud.describeGroups(['cp']))[0]?.desiredCapacity).toBe(2);
    await expect(cloud.updateGroup('cp', { desiredCapacity: 5 })).rejects.toMatchObject({
      reason: 'Invalid',
    });
    await expect(cloud.updateGroup('cp', { minSize: 3, maxSize: 2 })).rejects.toBeInstanceOf(
      AutoScalingError,
    );
    await expect(cloud.updateGroup('nope', { desiredCapacity: 1 })).rejects.toMatchObject({
      reason: 'NotFound',
    });
    expect(() => cloud.failNext('updateGroup')).not.toThrow();
    await expect(cloud.updateGroup('cp', { desiredCapacity: 2 })).rejects.toThrow(
      /simulated failure of updateGroup/,
    );
  });

  it('should refuse an instance type the simulator does not know', async () => {
    const { cloud } = world();
    await expect(cloud.updateGroup('cp', { instanceType: 'x9.huge' })).rejects.toThrow(
      /unknown instance type/,
    );
    expect((await cloud.describeGroups(['cp']))[0]?.instanceTypes).toEqual(['m6i.xlarge']);
  });
});
