import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  type CreateAutoScalingGroupCommandInput,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { AutoScalingError } from '../../shared/ports/auto-scaling';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The Auto Scaling adapter against moto's server: real query/XML wire format for Auto Scaling and EC2,
// real pagination tokens, launch templates with versions. What moto does not implement (scaling
// activities, the checks of SetDesiredCapacity and TerminateInstanceInAutoScalingGroup) is asserted as
// moto does it, so a moto upgrade that adds it shows up here.

/** One of the AMIs moto ships. */
const AMI = 'ami-12c6146b';
/** More than one page of `DescribeAutoScalingGroups` (100 a page). */
const BULK_GROUPS = 120;
const ZONE = 'us-east-1a';

describe('AwsAutoScaling against moto', () => {
  let moto: MotoServer;
  let autoScalingClient: AutoScalingClient;
  let ec2Client: EC2Client;
  let port: AwsAutoScaling;
  let templateId: string;
  /** `DescribeAutoScalingGroups` requests sent, counted on the wire. */
  let describeRequests = 0;

  const createGroup = (input: Omit<CreateAutoScalingGroupCommandInput, 'AvailabilityZones'>) =>
    autoScalingClient.send(new CreateAutoScalingGroupCommand({ AvailabilityZones: [ZONE], ...input }));

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    autoScalingClient = new AutoScalingClient(config);
    ec2Client = new EC2Client(config);
    autoScalingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeAutoScalingGroupsCommand') describeRequests++;
        return next(args);
      },
      { step: 'initialize', name: 'countDescribeRequests' },
    );
    port = new AwsAutoScaling({ autoScaling: autoScalingClient, ec2: ec2Client });

    // Version 1 (the default) launches m5.large, version 2 ($Latest) m5.xlarge.
    const template = await ec2Client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'workers',
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm5.large' },
      }),
    );
    templateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
    await ec2Client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm5.xlarge' },
      }),
    );
    await autoScalingClient.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy',
        ImageId: AMI,
        InstanceType: 'r5.large',
      }),
    );

    await createGroup({
      AutoScalingGroupName: 'single-latest',
      MinSize: 0,
      MaxSize: 5,
      DesiredCapacity: 1,
      LaunchTemplate: { LaunchTemplateName: 'workers', Version: '$Latest' },
      Tags: [
        { Key: 'k8s.io/cluster-autoscaler/enabled', Value: 'true', PropagateAtLaunch: false },
        { Key: 'k8s.io/cluster-autoscaler/node-template/label/node-pool', Value: 'general' },
      ],
    });
    await createGroup({
      AutoScalingGroupName: 'single-default',
      MinSize: 0,
      MaxSize: 5,
      DesiredCapacity: 0,
      LaunchTemplate: { LaunchTemplateId: templateId },
    });
    await createGroup({
      AutoScalingGroupName: 'mixed',
      MinSize: 0,
      MaxSize: 10,
      DesiredCapacity: 2,
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: '1' },
          Overrides: [{ InstanceType: 'c5.xlarge' }, { InstanceType: 'c5.2xlarge' }],
        },
        InstancesDistribution: {
          OnDemandBaseCapacity: 1,
          OnDemandPercentageAboveBaseCapacity: 50,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
      },
    });
    await createGroup({
      AutoScalingGroupName: 'legacy',
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 0,
      LaunchConfigurationName: 'legacy',
    });
    for (let i = 0; i < BULK_GROUPS; i++) {
      await createGroup({
        AutoScalingGroupName: `bulk-${String(i).padStart(3, '0')}`,
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 0,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
      });
    }
  });

  afterAll(async () => {
    autoScalingClient?.destroy();
    ec2Client?.destroy();
    await moto?.stop();
  });

  it('given more than a page of groups, should follow the NextToken to list them all', async () => {
    describeRequests = 0;
    const groups = await port.describeGroups();
    expect(groups).toHaveLength(BULK_GROUPS + 4);
    expect(new Set(groups.map((g) => g.name)).size).toBe(BULK_GROUPS + 4);
    expect(describeRequests).toBe(2);
  });

  it('given a tag key, should have Auto Scaling return only the groups carrying it', async () => {
    const groups = await port.describeGroups(undefined, 'k8s.io/cluster-autoscaler/enabled');
    expect(groups.map((g) => g.name)).toEqual(['single-latest']);
  });

  it('given more than 100 names and one unknown, should ask in batches and leave the unknown out', async () => {
    const names = [
      ...Array.from({ length: 110 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`),
      'mixed',
      'no-such-group',
    ];
    describeRequests = 0;
    const groups = await port.describeGroups(names);
    expect(groups.map((g) => g.name).sort()).toEqual(names.filter((n) => n !== 'no-such-group').sort());
    expect(describeRequests).toBe(2);
  });

  it('should tell the instance types from the launch template version, the overrides or the launch configuration', async () => {
    const groups = new Map(
      (await port.describeGroups(['single-latest', 'single-default', 'mixed', 'legacy'])).map((g) => [
        g.name,
        g,
      ]),
    );
    expect(groups.get('single-latest')).toMatchObject({
      minSize: 0,
      maxSize: 5,
      desiredCapacity: 1,
      availabilityZones: [ZONE],
      tags: {
        'k8s.io/cluster-autoscaler/enabled': 'true',
        'k8s.io/cluster-autoscaler/node-template/label/node-pool': 'general',
      },
      instanceTypes: ['m5.xlarge'],
      purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
    });
    expect(groups.get('single-latest')?.instances).toEqual([
      expect.objectContaining({ availabilityZone: ZONE, instanceType: 'm5.xlarge', healthStatus: 'Healthy' }),
    ]);
    expect(groups.get('single-default')?.instanceTypes).toEqual(['m5.large']);
    expect(groups.get('mixed')).toMatchObject({
      instanceTypes: ['c5.xlarge', 'c5.2xlarge'],
      purchase: {
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBase: 50,
        spotAllocationStrategy: 'price-capacity-optimized',
      },
    });
    expect(groups.get('legacy')?.instanceTypes).toEqual(['r5.large']);
  });

  it('given a new template version, should see it through $Latest on the next call', async () => {
    await ec2Client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm6i.xlarge' },
      }),
    );
    const [group] = await port.describeGroups(['single-latest']);
    expect(group?.instanceTypes).toEqual(['m6i.xlarge']);
    // The default version did not move.
    expect((await port.describeGroups(['single-default']))[0]?.instanceTypes).toEqual(['m5.large']);
  });

  it('given a new desired capacity, should move the group and its instances', async () => {
    await port.setDesiredCapacity('single-latest', 3);
    const [group] = await port.describeGroups(['single-latest']);
    expect(group?.desiredCapacity).toBe(3);
    expect(group?.instances).toHaveLength(3);
    // Idempotent.
    await port.setDesiredCapacity('single-latest', 3);
    expect((await port.describeGroups(['single-latest']))[0]?.instances).toHaveLength(3);
  });

  it('given a desired capacity above max, moto accepts it (AWS answers ValidationError, mapped to Invalid)', async () => {
    // moto 5.2.5 does not check SetDesiredCapacity against min/max; the unit tests cover the mapping.
    await port.setDesiredCapacity('legacy', 7);
    expect((await port.describeGroups(['legacy']))[0]?.desiredCapacity).toBe(7);
  });

  it('given an unknown group, should throw an AutoScalingError (moto: a 500, so Unavailable rather than NotFound)', async () => {
    const error = await port.setDesiredCapacity('no-such-group', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoScalingError);
    // moto 5.2.5 looks the group up without a check and fails with an internal error; AWS answers a
    // ValidationError "... not found", which the adapter maps to NotFound (unit-tested).
    expect((error as AutoScalingError).reason).toBe('Unavailable');
  });

  describe('terminateInstance', () => {
    const instanceIds = async (group: string) =>
      ((await port.describeGroups([group]))[0]?.instances ?? []).map((instance) => instance.instanceId);

    beforeAll(async () => {
      for (const [name, minSize] of [
        ['terminate-decrement', 0],
        ['terminate-replace', 0],
        ['terminate-at-min', 1],
      ] as const) {
        await createGroup({
          AutoScalingGroupName: name,
          MinSize: minSize,
          MaxSize: 5,
          DesiredCapacity: name === 'terminate-at-min' ? 1 : 2,
          LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
        });
      }
    });

    it('given a decrement, should take the instance out of the group and lower desired capacity', async () => {
      const [victim, survivor] = await instanceIds('terminate-decrement');
      await port.terminateInstance(victim ?? '', true);
      const [group] = await port.describeGroups(['terminate-decrement']);
      expect(group?.desiredCapacity).toBe(1);
      expect(group?.instances.map((instance) => instance.instanceId)).toEqual([survivor]);
    });

    it('given no decrement, should keep desired capacity and launch a replacement', async () => {
      const before = await instanceIds('terminate-replace');
      await port.terminateInstance(before[0] ?? '', false);
      const [group] = await port.describeGroups(['terminate-replace']);
      expect(group?.desiredCapacity).toBe(2);
      const after = group?.instances.map((instance) => instance.instanceId) ?? [];
      expect(after).toHaveLength(2);
      expect(after).not.toContain(before[0]);
      expect(after).toContain(before[1]);
    });

    it('given an instance already terminated, should throw an AutoScalingError (moto: a 500, so Unavailable rather than NotFound)', async () => {
      const [survivor] = await instanceIds('terminate-decrement');
      await port.terminateInstance(survivor ?? '', true);
      // moto 5.2.5 looks the instance up among the groups without a check and fails with an internal
      // error; AWS answers ValidationError "Instance Id not found - ...", mapped to NotFound (unit-tested).
      for (const id of [survivor ?? '', 'i-0123456789abcdef0']) {
        const error = await port.terminateInstance(id, true).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AutoScalingError);
        expect((error as AutoScalingError).reason).toBe('Unavailable');
      }
      expect((await port.describeGroups(['terminate-decrement']))[0]?.desiredCapacity).toBe(0);
    });

    it('given a decrement at the minimum, moto goes below it (AWS answers ValidationError, mapped to Invalid)', async () => {
      const [only] = await instanceIds('terminate-at-min');
      await port.terminateInstance(only ?? '', true);
      const [group] = await port.describeGroups(['terminate-at-min']);
      expect(group).toMatchObject({ minSize: 1, desiredCapacity: 0, instances: [] });
    });
  });

  it('should read scaling activities (moto 5.2.5 keeps none and answers every group with an empty list)', async () => {
    expect(await port.describeScalingActivities('single-latest', 0)).toEqual([]);
    expect(await port.describeScalingActivities('no-such-group', 0)).toEqual([]);
  });
});
