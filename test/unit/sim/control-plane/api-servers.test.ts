import { describe, expect, it } from 'vitest';
import { privateIpOf } from '../../../../shared/sim/control-plane/instances';
import { API_START_SECONDS, BOOT_SECONDS, controlPlaneFixture, GROUP } from './fixtures';

describe('SimEc2Instances', () => {
  it('should describe instances with the private IP their node is named after, and leave unknown IDs out', async () => {
    const { instances, cloud } = controlPlaneFixture();
    const [first] = cloud.instances(GROUP);
    if (!first) throw new Error('no instance');
    const described = await instances.describeInstances([first.instanceId, 'i-0000000000000dead']);
    expect(described).toEqual([
      {
        instanceId: first.instanceId,
        instanceType: 'm6i.xlarge',
        state: 'running',
        privateIpAddress: privateIpOf(first.nodeName),
        availabilityZone: first.zone,
        launchTime: first.launchedAt,
      },
    ]);
    expect(privateIpOf('ip-10-0-1-17.eu-central-1.compute.internal')).toBe('10.0.1.17');
    expect(privateIpOf('node-a')).toBeUndefined();
  });
});

describe('SimApiServers', () => {
  it('should answer /readyz once the API server has started on an instance in service, and refuse before', async () => {
    const { groups, servers, instances, cloud, advance } = controlPlaneFixture();
    const [warm] = cloud.instances(GROUP);
    expect(await servers.readyz(privateIpOf(warm?.nodeName ?? '') ?? '')).toEqual({
      ready: true,
      status: 200,
    });

    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    const surge = cloud.instances(GROUP).find((i) => i.state === 'Pending');
    if (!surge) throw new Error('no surge instance');
    const address = (await instances.describeInstances([surge.instanceId]))[0]?.privateIpAddress ?? '';
    expect(await servers.readyz(address)).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/refused/),
    });
    advance(BOOT_SECONDS * 1000);
    expect(await servers.readyz(address)).toMatchObject({ ready: false, status: 500 });
    advance(API_START_SECONDS * 1000);
    expect(await servers.readyz(address)).toEqual({ ready: true, status: 200 });

    await cloud.terminateInstance(surge.instanceId, true);
    expect(await servers.readyz(address)).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/no route/),
    });
  });

  it('should never be ready on a type told to break', async () => {
    const { groups, servers, instances, cloud, advance } = controlPlaneFixture();
    servers.breakType('m6i.xlarge');
    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    const surge = cloud.instances(GROUP).find((i) => i.state === 'Pending');
    advance(60 * 60_000);
    const address = (await instances.describeInstances([surge?.instanceId ?? '']))[0]?.privateIpAddress ?? '';
    expect((await servers.readyz(address)).ready).toBe(false);
  });
});
