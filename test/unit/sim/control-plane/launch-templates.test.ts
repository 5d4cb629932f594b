import { describe, expect, it } from 'vitest';
import { AutoScalingError } from '../../../../shared/ports/auto-scaling';
import { LaunchTemplateError } from '../../../../shared/ports/launch-templates';
import { BOOT_SECONDS, controlPlaneFixture, GROUP } from './fixtures';

describe('SimLaunchTemplates', () => {
  it('should resolve numbers, $Latest and $Default, and create versions idempotently by client token', async () => {
    const { templates, launchTemplateId: id } = controlPlaneFixture();
    expect(await templates.describeVersion(id, '1')).toEqual({
      launchTemplateId: id,
      versionNumber: 1,
      instanceType: 'm6i.xlarge',
    });
    const args = { launchTemplateId: id, sourceVersion: 1, instanceType: 'm6i.2xlarge', description: 'swap' };
    const created = await templates.createVersionWithInstanceType({ ...args, clientToken: 'swap-1-g0' });
    expect(created).toMatchObject({ versionNumber: 2, instanceType: 'm6i.2xlarge' });
    // A retry with the same token gets the same version, not a third.
    expect(await templates.createVersionWithInstanceType({ ...args, clientToken: 'swap-1-g0' })).toEqual(
      created,
    );
    expect((await templates.describeVersion(id, '$Latest')).versionNumber).toBe(2);
    expect((await templates.describeVersion(id, '$Default')).versionNumber).toBe(1);
    expect(templates.versions(id)).toEqual([
      { version: 1, instanceType: 'm6i.xlarge' },
      { version: 2, instanceType: 'm6i.2xlarge' },
    ]);
    await expect(
      templates.createVersionWithInstanceType({
        ...args,
        instanceType: 'm6i.4xlarge',
        clientToken: 'swap-1-g0',
      }),
    ).rejects.toMatchObject({
      reason: 'Invalid',
      message: expect.stringMatching(/IdempotentParameterMismatch/),
    });
    await expect(templates.describeVersion(id, '7')).rejects.toMatchObject({ reason: 'NotFound' });
    await expect(templates.describeVersion('lt-0ffffffffffffffff', '1')).rejects.toBeInstanceOf(
      LaunchTemplateError,
    );
    expect(templates.stats().calls).toEqual({ describeVersion: 5, createVersionWithInstanceType: 3 });
  });
});

describe('SimControlPlaneGroups', () => {
  it('should describe the group with its launch template, target groups and suspended processes', async () => {
    const { groups, launchTemplateId } = controlPlaneFixture();
    await groups.suspendProcesses(GROUP, ['AZRebalance', 'ScheduledActions']);
    const [group] = await groups.describeGroups([GROUP]);
    expect(group).toMatchObject({
      launchTemplate: { launchTemplateId, launchTemplateName: GROUP, version: '1' },
      targetGroupArns: [expect.stringMatching(/^arn:aws:elasticloadbalancing:/)],
      suspendedProcesses: ['AZRebalance', 'ScheduledActions'],
    });
    await groups.resumeProcesses(GROUP, ['AZRebalance', 'ScheduledActions']);
    expect((await groups.describeGroups([GROUP]))[0]?.suspendedProcesses).toEqual([]);
  });

  it('should launch the type of the version the group points at from then on; running instances keep theirs', async () => {
    const { groups, templates, launchTemplateId: id, cloud, cluster, clock } = controlPlaneFixture();
    const { versionNumber } = await templates.createVersionWithInstanceType({
      launchTemplateId: id,
      sourceVersion: 1,
      instanceType: 'm6i.2xlarge',
      clientToken: 't',
      description: '',
    });
    await groups.updateGroup(GROUP, {
      launchTemplate: { launchTemplateId: id, version: String(versionNumber) },
    });
    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    const [group] = await groups.describeGroups([GROUP]);
    expect(group?.launchTemplate?.version).toBe('2');
    expect(group?.instanceTypes).toEqual(['m6i.2xlarge']);
    expect(group?.instances.map((i) => [i.instanceType, i.lifecycleState])).toEqual([
      ['m6i.xlarge', 'InService'],
      ['m6i.xlarge', 'InService'],
      ['m6i.2xlarge', 'Pending'],
    ]);
    clock.advance(BOOT_SECONDS * 1000);
    cloud.reconcile();
    const joined = (await cluster.listNodes()).at(-1);
    expect(joined).toMatchObject({
      labels: expect.objectContaining({
        'node.kubernetes.io/instance-type': 'm6i.2xlarge',
        'node-role.kubernetes.io/control-plane': '',
      }),
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    });
  });

  it('should refuse a version that does not exist, and leave the group as it was', async () => {
    const { groups, launchTemplateId: id } = controlPlaneFixture();
    await expect(
      groups.updateGroup(GROUP, { launchTemplate: { launchTemplateId: id, version: '9' } }),
    ).rejects.toBeInstanceOf(AutoScalingError);
    expect((await groups.describeGroups([GROUP]))[0]?.launchTemplate?.version).toBe('1');
  });
});
