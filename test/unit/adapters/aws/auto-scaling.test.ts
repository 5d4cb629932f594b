import { Readable } from 'node:stream';
import {
  type Activity,
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  type DescribeAutoScalingGroupsCommandOutput,
  DescribeLaunchConfigurationsCommand,
  type DescribeLaunchConfigurationsCommandInput,
  type DescribeLaunchConfigurationsCommandOutput,
  DescribeScalingActivitiesCommand,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  type AutoScalingGroup as SdkAutoScalingGroup,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandInput,
  type DescribeLaunchTemplateVersionsCommandOutput,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AUTO_SCALING_CLIENT_RETRY,
  AUTO_SCALING_MAX_ATTEMPTS,
  AwsAutoScaling,
  GROUP_NAMES_PER_CALL,
  LAUNCH_CONFIGURATION_NAMES_PER_CALL,
  MAX_RECORDS,
} from '../../../../shared/adapters/aws/auto-scaling';
import { AutoScalingError } from '../../../../shared/ports/auto-scaling';

const REGION = 'eu-central-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

// Instances, not the classes, are mocked, so the retry test below can send through a real client.
const autoScalingClient = new AutoScalingClient({ region: REGION, credentials: CREDENTIALS });
const ec2Client = new EC2Client({ region: REGION, credentials: CREDENTIALS });
const autoScaling = mockClient(autoScalingClient);
const ec2 = mockClient(ec2Client);
const adapter = () => new AwsAutoScaling({ autoScaling: autoScalingClient, ec2: ec2Client });

const groupInputs = (): DescribeAutoScalingGroupsCommandInput[] =>
  autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input);
const templateInputs = (): DescribeLaunchTemplateVersionsCommandInput[] =>
  ec2.commandCalls(DescribeLaunchTemplateVersionsCommand).map((c) => c.args[0].input);
const configurationInputs = (): DescribeLaunchConfigurationsCommandInput[] =>
  autoScaling.commandCalls(DescribeLaunchConfigurationsCommand).map((c) => c.args[0].input);

/** A group as DescribeAutoScalingGroups answers it, with what the adapter reads. */
function sdkGroup(name: string, extra: Partial<SdkAutoScalingGroup> = {}): SdkAutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:123456789012:autoScalingGroup:uuid:autoScalingGroupName/${name}`,
    MinSize: 0,
    MaxSize: 10,
    DesiredCapacity: 1,
    DefaultCooldown: 300,
    AvailabilityZones: [`${REGION}a`],
    HealthCheckType: 'EC2',
    CreatedTime: new Date('2024-01-01T00:00:00Z'),
    LaunchTemplate: { LaunchTemplateId: 'lt-0abc', LaunchTemplateName: 'workers', Version: '1' },
    Instances: [],
    Tags: [],
    ...extra,
  };
}

/** EC2 knows these template versions: `lt-id` or name → version ('1', '$Latest', ...) → data. */
function serveTemplates(
  versions: Record<string, { instanceType?: string; number: number; spot?: boolean }>,
  template = { id: 'lt-0abc', name: 'workers' },
) {
  ec2
    .on(DescribeLaunchTemplateVersionsCommand)
    .callsFake(async (input: DescribeLaunchTemplateVersionsCommandInput) => {
      const known = input.LaunchTemplateId === template.id || input.LaunchTemplateName === template.name;
      const version = input.Versions?.[0] ?? '';
      const found = versions[version];
      if (!known || !found) {
        throw new EC2ServiceException({
          name: known ? 'InvalidLaunchTemplateId.VersionNotFound' : 'InvalidLaunchTemplateId.NotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: known
            ? `Could not find the specified version ${version} for the launch template with ID ${template.id}.`
            : `The specified launch template, with template ID ${input.LaunchTemplateId}, does not exist.`,
        });
      }
      return {
        LaunchTemplateVersions: [
          {
            LaunchTemplateId: template.id,
            LaunchTemplateName: template.name,
            VersionNumber: found.number,
            DefaultVersion: version === '$Default',
            LaunchTemplateData: {
              ...(found.instanceType ? { InstanceType: found.instanceType } : {}),
              ...(found.spot ? { InstanceMarketOptions: { MarketType: 'spot' } } : {}),
            },
          },
        ],
        $metadata: {},
      } as DescribeLaunchTemplateVersionsCommandOutput;
    });
}

function serveGroups(groups: SdkAutoScalingGroup[]) {
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(async (input: DescribeAutoScalingGroupsCommandInput) => {
      const asked = input.AutoScalingGroupNames;
      return {
        AutoScalingGroups: asked
          ? groups.filter((g) => asked.includes(g.AutoScalingGroupName ?? ''))
          : groups,
        $metadata: {},
      } as DescribeAutoScalingGroupsCommandOutput;
    });
}

const serviceError = (name: string, message: string, httpStatusCode = 400) =>
  new AutoScalingServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });

beforeEach(() => {
  autoScaling.reset();
  ec2.reset();
});

describe('AwsAutoScaling.describeGroups', () => {
  it('maps a mixed-instances group: tags, instances, override types in order and purchase options', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        sdkGroup('workers-a', {
          MinSize: 1,
          MaxSize: 20,
          DesiredCapacity: 3,
          AvailabilityZones: ['eu-central-1a', 'eu-central-1b'],
          LaunchTemplate: undefined,
          MixedInstancesPolicy: {
            LaunchTemplate: {
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' },
              Overrides: [
                { InstanceType: 'm5.xlarge', WeightedCapacity: '1' },
                { InstanceRequirements: { VCpuCount: { Min: 4 }, MemoryMiB: { Min: 16384 } } },
                { InstanceType: 'm5a.xlarge' },
                { InstanceType: 'm5.xlarge' },
              ],
            },
            InstancesDistribution: {
              OnDemandAllocationStrategy: 'prioritized',
              OnDemandBaseCapacity: 1,
              OnDemandPercentageAboveBaseCapacity: 25,
              SpotAllocationStrategy: 'price-capacity-optimized',
            },
          },
          Instances: [
            {
              InstanceId: 'i-0a',
              InstanceType: 'm5.xlarge',
              AvailabilityZone: 'eu-central-1a',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
              ProtectedFromScaleIn: false,
            },
            {
              InstanceId: 'i-0b',
              InstanceType: 'm5a.xlarge',
              AvailabilityZone: 'eu-central-1b',
              LifecycleState: 'Pending',
              HealthStatus: 'Unhealthy',
              ProtectedFromScaleIn: false,
            },
          ],
          Tags: [
            {
              ResourceId: 'workers-a',
              ResourceType: 'auto-scaling-group',
              Key: 'k8s.io/cluster-autoscaler/enabled',
              Value: 'true',
              PropagateAtLaunch: false,
            },
            { Key: 'team', Value: 'platform' },
          ],
        }),
      ],
    });
    const [group] = await adapter().describeGroups(['workers-a']);
    expect(groupInputs()).toEqual([{ AutoScalingGroupNames: ['workers-a'], MaxRecords: MAX_RECORDS }]);
    expect(group).toEqual({
      name: 'workers-a',
      minSize: 1,
      maxSize: 20,
      desiredCapacity: 3,
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      tags: { 'k8s.io/cluster-autoscaler/enabled': 'true', team: 'platform' },
      instances: [
        {
          instanceId: 'i-0a',
          availabilityZone: 'eu-central-1a',
          instanceType: 'm5.xlarge',
          lifecycleState: 'InService',
          healthStatus: 'Healthy',
        },
        {
          instanceId: 'i-0b',
          availabilityZone: 'eu-central-1b',
          instanceType: 'm5a.xlarge',
          lifecycleState: 'Pending',
          healthStatus: 'Unhealthy',
        },
      ],
      instanceTypes: ['m5.xlarge', 'm5a.xlarge'],
      purchase: {
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBase: 25,
        spotAllocationStrategy: 'price-capacity-optimized',
      },
      // A mixed-instances policy's template is not the group's own launch template.
      targetGroupArns: [],
      suspendedProcesses: [],
    });
    // The overrides name the types: the template is not asked.
    expect(templateInputs()).toEqual([]);
  });

  it("takes AWS's defaults for distribution fields a mixed-instances policy leaves out", async () => {
    serveTemplates({});
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        sdkGroup('mixed', {
          LaunchTemplate: undefined,
          MixedInstancesPolicy: {
            LaunchTemplate: {
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '1' },
              Overrides: [{ InstanceType: 'c5.xlarge' }],
            },
          },
        }),
      ],
    });
    const [group] = await adapter().describeGroups();
    expect(group?.purchase).toEqual({
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBase: 100,
      spotAllocationStrategy: 'lowest-price',
    });
  });

  it('follows NextToken across pages with the same question', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [sdkGroup('a'), sdkGroup('b')], NextToken: 'page-2' })
      .resolvesOnce({ AutoScalingGroups: [sdkGroup('c')], NextToken: 'page-3' })
      .resolvesOnce({ AutoScalingGroups: [sdkGroup('d')], NextToken: '' });
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1 } });
    const groups = await adapter().describeGroups();
    expect(groupInputs()).toEqual([
      { MaxRecords: MAX_RECORDS },
      { MaxRecords: MAX_RECORDS, NextToken: 'page-2' },
      { MaxRecords: MAX_RECORDS, NextToken: 'page-3' },
    ]);
    expect(groups.map((g) => g.name)).toEqual(['a', 'b', 'c', 'd']);
    // Four groups on one numbered template version: one question.
    expect(templateInputs()).toEqual([{ LaunchTemplateId: 'lt-0abc', Versions: ['1'] }]);
    expect(groups.every((g) => g.instanceTypes[0] === 'm5.large')).toBe(true);
  });

  it(`sends names in batches of ${GROUP_NAMES_PER_CALL}, each batch paginated, without repeats`, async () => {
    const names = Array.from({ length: 230 }, (_, i) => `group-${i}`);
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1 } });
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake(async (input: DescribeAutoScalingGroupsCommandInput) => {
        const asked = input.AutoScalingGroupNames ?? [];
        // The API may answer a batch in two pages; the second batch here does.
        if (asked[0] === 'group-100' && !input.NextToken) {
          return { AutoScalingGroups: asked.slice(0, 40).map((n) => sdkGroup(n)), NextToken: 'more' };
        }
        const rest = input.NextToken ? asked.slice(40) : asked;
        return { AutoScalingGroups: rest.filter((n) => n !== 'group-7').map((n) => sdkGroup(n)) };
      });
    const groups = await adapter().describeGroups([...names, 'group-3', '']);
    expect(groupInputs()).toEqual([
      { AutoScalingGroupNames: names.slice(0, 100), MaxRecords: MAX_RECORDS },
      { AutoScalingGroupNames: names.slice(100, 200), MaxRecords: MAX_RECORDS },
      { AutoScalingGroupNames: names.slice(100, 200), MaxRecords: MAX_RECORDS, NextToken: 'more' },
      { AutoScalingGroupNames: names.slice(200), MaxRecords: MAX_RECORDS },
    ]);
    // A group that does not exist is absent, not an error.
    expect(groups).toHaveLength(229);
    expect(groups.some((g) => g.name === 'group-7')).toBe(false);
  });

  it('asks nothing for no names', async () => {
    expect(await adapter().describeGroups([])).toEqual([]);
    expect(groupInputs()).toEqual([]);
  });

  it('resolves the launch template version by id and caches a numbered version for the adapter life', async () => {
    serveGroups([sdkGroup('a', { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '3' } })]);
    serveTemplates({ '3': { instanceType: 'r5.xlarge', number: 3 } });
    const a = adapter();
    expect((await a.describeGroups(['a']))[0]?.instanceTypes).toEqual(['r5.xlarge']);
    expect((await a.describeGroups(['a']))[0]?.instanceTypes).toEqual(['r5.xlarge']);
    expect(templateInputs()).toEqual([{ LaunchTemplateId: 'lt-0abc', Versions: ['3'] }]);
    expect(groupInputs()).toHaveLength(2);
  });

  it('re-reads $Latest and $Default once per call, and remembers the version they pointed at', async () => {
    serveGroups([
      sdkGroup('latest-1', { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' } }),
      sdkGroup('latest-2', { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' } }),
      // By name and without a version: the template's default version.
      sdkGroup('default', { LaunchTemplate: { LaunchTemplateName: 'workers' } }),
    ]);
    serveTemplates({
      $Latest: { instanceType: 'm5.2xlarge', number: 7 },
      $Default: { instanceType: 'm5.xlarge', number: 5 },
    });
    const a = adapter();
    const first = await a.describeGroups();
    expect(first.map((g) => g.instanceTypes)).toEqual([['m5.2xlarge'], ['m5.2xlarge'], ['m5.xlarge']]);
    expect(templateInputs()).toEqual([
      { LaunchTemplateId: 'lt-0abc', Versions: ['$Latest'] },
      { LaunchTemplateName: 'workers', Versions: ['$Default'] },
    ]);

    // A new $Latest is seen on the next call.
    ec2.reset();
    serveTemplates({
      $Latest: { instanceType: 'm6i.2xlarge', number: 8 },
      $Default: { instanceType: 'm5.xlarge', number: 5 },
    });
    const second = await a.describeGroups(['latest-1', 'latest-2', 'default']);
    expect(second.map((g) => g.instanceTypes)).toEqual([['m6i.2xlarge'], ['m6i.2xlarge'], ['m5.xlarge']]);
    expect(templateInputs()).toHaveLength(2);

    // Version 7, seen through $Latest, is not asked again.
    ec2.reset();
    serveTemplates({});
    autoScaling.reset();
    serveGroups([sdkGroup('pinned', { LaunchTemplate: { LaunchTemplateName: 'workers', Version: '7' } })]);
    expect((await a.describeGroups(['pinned']))[0]?.instanceTypes).toEqual(['m5.2xlarge']);
    expect(templateInputs()).toEqual([]);
  });

  it("falls back to the template's type when the overrides name none (attribute-based selection)", async () => {
    serveGroups([
      sdkGroup('abs', {
        LaunchTemplate: undefined,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '2' },
            Overrides: [{ InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 } } }],
          },
          InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 0 },
        },
      }),
    ]);
    serveTemplates({ '2': { number: 2 } });
    const [group] = await adapter().describeGroups(['abs']);
    expect(templateInputs()).toEqual([{ LaunchTemplateId: 'lt-0abc', Versions: ['2'] }]);
    // A template for attribute-based selection has no type: unknown, reported by the loop.
    expect(group?.instanceTypes).toEqual([]);
    expect(group?.purchase.onDemandPercentageAboveBase).toBe(0);
  });

  it('leaves the types empty when the template or version is gone, and asks again next time', async () => {
    serveGroups([
      sdkGroup('gone', { LaunchTemplate: { LaunchTemplateId: 'lt-0gone', Version: '1' } }),
      sdkGroup('old', { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '9' } }),
    ]);
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1 } });
    const a = adapter();
    const groups = await a.describeGroups();
    expect(groups.map((g) => g.instanceTypes)).toEqual([[], []]);
    await a.describeGroups();
    expect(templateInputs()).toHaveLength(4);
  });

  it('a launch template with spot market options buys spot only', async () => {
    serveGroups([sdkGroup('spot', { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '1' } })]);
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1, spot: true } });
    const [group] = await adapter().describeGroups();
    expect(group?.purchase).toEqual({ onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 });
  });

  it('without a template policy, buys on-demand only', async () => {
    serveGroups([sdkGroup('plain')]);
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1 } });
    const [group] = await adapter().describeGroups();
    expect(group?.purchase).toEqual({ onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 });
  });

  it(`reads launch configurations in batches of ${LAUNCH_CONFIGURATION_NAMES_PER_CALL}`, async () => {
    const groups = Array.from({ length: 60 }, (_, i) =>
      sdkGroup(`lc-group-${i}`, { LaunchTemplate: undefined, LaunchConfigurationName: `lc-${i % 55}` }),
    );
    serveGroups(groups);
    autoScaling
      .on(DescribeLaunchConfigurationsCommand)
      .callsFake(async (input: DescribeLaunchConfigurationsCommandInput) => {
        const names = (input.LaunchConfigurationNames ?? []).filter((n) => n !== 'lc-4');
        return {
          LaunchConfigurations: names.map((n) => ({
            LaunchConfigurationName: n,
            ImageId: 'ami-0123',
            InstanceType: n === 'lc-1' ? 'c5.2xlarge' : 'm5.large',
            ...(n === 'lc-2' ? { SpotPrice: '0.05' } : {}),
            CreatedTime: new Date('2024-01-01T00:00:00Z'),
          })),
          $metadata: {},
        } as DescribeLaunchConfigurationsCommandOutput;
      });
    const described = await adapter().describeGroups();
    const names = Array.from({ length: 55 }, (_, i) => `lc-${i}`);
    expect(configurationInputs()).toEqual([
      { LaunchConfigurationNames: names.slice(0, 50), MaxRecords: MAX_RECORDS },
      { LaunchConfigurationNames: names.slice(50), MaxRecords: MAX_RECORDS },
    ]);
    expect(templateInputs()).toEqual([]);
    const byName = new Map(described.map((g) => [g.name, g]));
    expect(byName.get('lc-group-0')?.instanceTypes).toEqual(['m5.large']);
    expect(byName.get('lc-group-1')?.instanceTypes).toEqual(['c5.2xlarge']);
    expect(byName.get('lc-group-56')?.instanceTypes).toEqual(['c5.2xlarge']);
    expect(byName.get('lc-group-2')?.purchase.onDemandPercentageAboveBase).toBe(0);
    expect(byName.get('lc-group-4')?.instanceTypes).toEqual([]);
  });

  it('asks Auto Scaling to filter by a tag key, on every page', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [sdkGroup('a')], NextToken: 'page-2' })
      .resolvesOnce({ AutoScalingGroups: [sdkGroup('b')] });
    serveTemplates({ '1': { instanceType: 'm5.large', number: 1 } });
    const groups = await adapter().describeGroups(undefined, 'k8s.io/cluster-autoscaler/kube-1');
    const filter = [{ Name: 'tag-key', Values: ['k8s.io/cluster-autoscaler/kube-1'] }];
    expect(groupInputs()).toEqual([
      { Filters: filter, MaxRecords: MAX_RECORDS },
      { Filters: filter, MaxRecords: MAX_RECORDS, NextToken: 'page-2' },
    ]);
    expect(groups.map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('reports a failed template lookup on that group only, so the other groups still plan', async () => {
    serveGroups([sdkGroup('a')]);
    ec2.on(DescribeLaunchTemplateVersionsCommand).rejects(
      new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'You are not authorized to perform this operation.',
      }),
    );
    const [group] = await adapter().describeGroups();
    expect(group).toMatchObject({
      name: 'a',
      instanceTypes: [],
      instanceTypesError: 'DescribeLaunchTemplateVersions: You are not authorized to perform this operation.',
    });
  });
});

describe('AwsAutoScaling.describeScalingActivities', () => {
  const at = (iso: string) => new Date(iso);
  const activity = (id: string, start: string, extra: Partial<Activity> = {}): Activity => ({
    ActivityId: id,
    AutoScalingGroupName: 'workers-a',
    Description: `Launching a new EC2 instance: i-${id}`,
    Cause:
      'At 2024-05-01T10:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 3.',
    StartTime: at(start),
    EndTime: at(start),
    StatusCode: 'Successful',
    Progress: 100,
    ...extra,
  });
  const since = Date.parse('2024-05-01T10:00:00Z');

  it('reads pages newest first and stops once older activities appear', async () => {
    autoScaling
      .on(DescribeScalingActivitiesCommand)
      .resolvesOnce({
        Activities: [
          activity('3', '2024-05-01T10:05:00Z', {
            Description:
              'Launching a new EC2 instance.  Status Reason: We currently do not have sufficient m5.large capacity in the Availability Zone you requested (eu-central-1a). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.',
            StatusCode: 'Failed',
            StatusMessage:
              'We currently do not have sufficient m5.large capacity in the Availability Zone you requested (eu-central-1a). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.',
          }),
          activity('2', '2024-05-01T10:01:00Z', { EndTime: undefined, StatusCode: 'InProgress' }),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Activities: [activity('1', '2024-05-01T10:00:00Z'), activity('0', '2024-05-01T09:59:59Z')],
        NextToken: 'page-3',
      })
      .resolves({ Activities: [activity('never', '2024-04-01T00:00:00Z')] });
    const activities = await adapter().describeScalingActivities('workers-a', since);
    expect(autoScaling.commandCalls(DescribeScalingActivitiesCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'workers-a', MaxRecords: MAX_RECORDS },
      { AutoScalingGroupName: 'workers-a', MaxRecords: MAX_RECORDS, NextToken: 'page-2' },
    ]);
    expect(activities.map((a) => a.activityId)).toEqual(['3', '2', '1']);
    expect(activities[0]).toEqual({
      activityId: '3',
      groupName: 'workers-a',
      startTime: Date.parse('2024-05-01T10:05:00Z'),
      endTime: Date.parse('2024-05-01T10:05:00Z'),
      statusCode: 'Failed',
      statusMessage: expect.stringMatching(/^We currently do not have sufficient m5\.large capacity/),
      description: expect.stringMatching(/^Launching a new EC2 instance\. {2}Status Reason/),
      cause: expect.stringMatching(/difference between desired and actual capacity/),
    });
    expect(activities[1]).not.toHaveProperty('endTime');
    expect(activities[1]).not.toHaveProperty('statusMessage');
  });

  it('follows pages until the last one when every activity is recent', async () => {
    autoScaling
      .on(DescribeScalingActivitiesCommand)
      .resolvesOnce({ Activities: [activity('2', '2024-05-01T10:02:00Z')], NextToken: 'page-2' })
      .resolvesOnce({ Activities: [activity('1', '2024-05-01T10:01:00Z')] });
    const activities = await adapter().describeScalingActivities('workers-a', since);
    expect(activities.map((a) => a.activityId)).toEqual(['2', '1']);
    expect(autoScaling.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(2);
  });

  it('maps an unknown group to NotFound', async () => {
    autoScaling
      .on(DescribeScalingActivitiesCommand)
      .rejects(serviceError('ValidationError', 'AutoScalingGroup name not found - nope'));
    await expect(adapter().describeScalingActivities('nope', since)).rejects.toMatchObject({
      reason: 'NotFound',
    });
  });
});

describe('AwsAutoScaling.setDesiredCapacity', () => {
  it('sets the desired capacity without honouring the cooldown', async () => {
    autoScaling.on(SetDesiredCapacityCommand).resolves({});
    await adapter().setDesiredCapacity('workers-a', 7);
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'workers-a', DesiredCapacity: 7, HonorCooldown: false },
    ]);
  });

  it.each([
    [
      'an unknown group',
      serviceError('ValidationError', 'AutoScalingGroup name not found - AutoScalingGroup nope not found'),
      'NotFound',
    ],
    [
      'desired above max',
      serviceError(
        'ValidationError',
        'New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup.',
      ),
      'Invalid',
    ],
    [
      'a scaling activity in progress',
      new ScalingActivityInProgressFault({
        $metadata: { httpStatusCode: 400 },
        message: 'Scaling activity 1234 is in progress and blocks this action.',
      }),
      'Busy',
    ],
    [
      'resource contention',
      new ResourceContentionFault({
        $metadata: { httpStatusCode: 500 },
        message: 'You already have a pending update to an Auto Scaling resource.',
      }),
      'Busy',
    ],
    ['throttling', serviceError('Throttling', 'Rate exceeded'), 'Throttled'],
    ['missing permissions', serviceError('AccessDenied', 'User is not authorized', 403), 'Forbidden'],
    [
      'a timeout',
      Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
      'Timeout',
    ],
    ['a 5xx', serviceError('InternalFailure', 'An internal error occurred', 500), 'Unavailable'],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'Unavailable'],
  ])('maps %s to %s', async (_what, error, reason) => {
    autoScaling.on(SetDesiredCapacityCommand).rejects(error);
    const thrown = await adapter()
      .setDesiredCapacity('workers-a', 11)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AutoScalingError);
    expect(thrown).toMatchObject({ reason, message: `SetDesiredCapacity: ${(error as Error).message}` });
    expect((thrown as AutoScalingError).cause).toBe(error);
  });
});

describe('AwsAutoScaling.terminateInstance', () => {
  const terminateInputs = () =>
    autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input);

  it.each([
    [true, 'so the group does not replace it'],
    [false, 'so the group replaces it'],
  ])('sends ShouldDecrementDesiredCapacity %s (%s)', async (decrement) => {
    autoScaling.on(TerminateInstanceInAutoScalingGroupCommand).resolves({
      Activity: {
        ActivityId: 'a-1',
        AutoScalingGroupName: 'workers-a',
        Cause:
          'At 2024-05-01T10:00:00Z instance i-0abc was taken out of service in response to a user request.',
        StartTime: new Date('2024-05-01T10:00:00Z'),
        StatusCode: 'InProgress',
      },
    });
    await expect(adapter().terminateInstance('i-0abc', decrement)).resolves.toBeUndefined();
    expect(terminateInputs()).toEqual([{ InstanceId: 'i-0abc', ShouldDecrementDesiredCapacity: decrement }]);
  });

  it.each([
    [
      'an instance in no group (already terminated)',
      serviceError(
        'ValidationError',
        'Instance Id not found - No managed instance found for instance ID: i-0abc',
      ),
      'NotFound',
    ],
    [
      'a decrement below the minimum',
      serviceError(
        'ValidationError',
        "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's " +
          "min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
      ),
      'Invalid',
    ],
    [
      'a scaling activity in progress',
      new ScalingActivityInProgressFault({
        $metadata: { httpStatusCode: 400 },
        message: 'Scaling activity 1234 is in progress and blocks this action.',
      }),
      'Busy',
    ],
    [
      'resource contention',
      new ResourceContentionFault({
        $metadata: { httpStatusCode: 500 },
        message: 'You already have a pending update to an Auto Scaling resource.',
      }),
      'Busy',
    ],
    ['throttling', serviceError('Throttling', 'Rate exceeded'), 'Throttled'],
    [
      'missing permissions (a group without the cluster tag)',
      serviceError('AccessDenied', 'User is not authorized', 403),
      'Forbidden',
    ],
    ['a 5xx', serviceError('InternalFailure', 'An internal error occurred', 500), 'Unavailable'],
  ])('maps %s to %s', async (_what, error, reason) => {
    autoScaling.on(TerminateInstanceInAutoScalingGroupCommand).rejects(error);
    const thrown = await adapter()
      .terminateInstance('i-0abc', true)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AutoScalingError);
    expect(thrown).toMatchObject({
      reason,
      message: `TerminateInstanceInAutoScalingGroup: ${(error as Error).message}`,
    });
    expect((thrown as AutoScalingError).cause).toBe(error);
  });
});

describe('retries', () => {
  it.each([
    ['SetDesiredCapacity', (port: AwsAutoScaling) => port.setDesiredCapacity('workers-a', 3)],
    ['TerminateInstanceInAutoScalingGroup', (port: AwsAutoScaling) => port.terminateInstance('i-0abc', true)],
  ])(
    `surfaces %s throttling as Throttled after ${AUTO_SCALING_MAX_ATTEMPTS} attempts by the SDK`,
    async (operation, call) => {
      let attempts = 0;
      const throttled = new AutoScalingClient({
        region: REGION,
        credentials: CREDENTIALS,
        ...AUTO_SCALING_CLIENT_RETRY,
        requestHandler: {
          handle: async () => {
            attempts++;
            const body =
              '<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>' +
              '<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>';
            return {
              response: {
                statusCode: 400,
                reason: 'Bad Request',
                headers: { 'content-type': 'text/xml' },
                body: Readable.from([Buffer.from(body)]),
              },
            };
          },
        },
      });
      const port = new AwsAutoScaling({ autoScaling: throttled, ec2: ec2Client });
      await expect(call(port)).rejects.toMatchObject({
        name: 'AutoScalingError',
        reason: 'Throttled',
        message: `${operation}: Rate exceeded`,
      });
      expect(attempts).toBe(AUTO_SCALING_MAX_ATTEMPTS);
      throttled.destroy();
      // The SDK's throttling backoff (jittered, from 500 ms) is real time here.
    },
    15_000,
  );
});
