import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  type AutoScalingGroup as SdkAutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsAutoScaling } from '../../../../shared/adapters/aws/auto-scaling';

// The fields of a group that the control-plane swap reads: its own launch template (to make a new
// version and point the group at it), its target groups (the API load balancer) and its suspended
// processes (to resume only what the swap suspended).

const REGION = 'eu-central-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const autoScalingClient = new AutoScalingClient({ region: REGION, credentials: CREDENTIALS });
const ec2Client = new EC2Client({ region: REGION, credentials: CREDENTIALS });
const autoScaling = mockClient(autoScalingClient);
const ec2 = mockClient(ec2Client);
const adapter = () => new AwsAutoScaling({ autoScaling: autoScalingClient, ec2: ec2Client });

const API_TG =
  'arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/kube-1-api/73e2d6bc24d8a067';

function group(extra: Partial<SdkAutoScalingGroup>): SdkAutoScalingGroup {
  return {
    AutoScalingGroupName: 'kube-1-control-plane',
    MinSize: 3,
    MaxSize: 4,
    DesiredCapacity: 3,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
    HealthCheckType: 'ELB',
    CreatedTime: new Date('2024-01-01T00:00:00Z'),
    Instances: [],
    Tags: [],
    ...extra,
  };
}

async function describeOne(extra: Partial<SdkAutoScalingGroup>) {
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group(extra)] });
  const [found] = await adapter().describeGroups(['kube-1-control-plane']);
  return found;
}

beforeEach(() => {
  autoScaling.reset();
  ec2.reset();
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [
      { LaunchTemplateId: 'lt-0abc', VersionNumber: 7, LaunchTemplateData: { InstanceType: 'm6i.xlarge' } },
    ],
  });
});

describe('AwsAutoScaling.describeGroups: the fields the control-plane swap reads', () => {
  it('reads the launch template, target groups and suspended processes', async () => {
    const found = await describeOne({
      LaunchTemplate: {
        LaunchTemplateId: 'lt-0abc',
        LaunchTemplateName: 'kube-1-control-plane',
        Version: '7',
      },
      TargetGroupARNs: [API_TG],
      SuspendedProcesses: [
        { ProcessName: 'AZRebalance', SuspensionReason: 'User suspended at 2024-05-01T10:00:00Z' },
        { ProcessName: 'ScheduledActions', SuspensionReason: 'User suspended at 2024-05-01T10:00:00Z' },
        { SuspensionReason: 'a process without a name is not one' },
      ],
    });
    expect(found).toMatchObject({
      instanceTypes: ['m6i.xlarge'],
      launchTemplate: {
        launchTemplateId: 'lt-0abc',
        launchTemplateName: 'kube-1-control-plane',
        version: '7',
      },
      targetGroupArns: [API_TG],
      suspendedProcesses: ['AZRebalance', 'ScheduledActions'],
    });
  });

  it('given a launch template without a version, reports $Default (what Auto Scaling launches then)', async () => {
    const found = await describeOne({ LaunchTemplate: { LaunchTemplateId: 'lt-0abc' } });
    expect(found?.launchTemplate).toEqual({ launchTemplateId: 'lt-0abc', version: '$Default' });
  });

  it("given a mixed-instances group, reports no launch template (the policy's is not the group's)", async () => {
    const found = await describeOne({
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '7' },
          Overrides: [{ InstanceType: 'm6i.xlarge' }, { InstanceType: 'm6a.xlarge' }],
        },
      },
    });
    expect(found).not.toHaveProperty('launchTemplate');
    expect(found?.instanceTypes).toEqual(['m6i.xlarge', 'm6a.xlarge']);
  });

  it('given a launch configuration group, reports no launch template and empty lists', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group({ LaunchConfigurationName: 'legacy' })],
    });
    autoScaling.on(DescribeLaunchConfigurationsCommand).resolves({
      LaunchConfigurations: [
        {
          LaunchConfigurationName: 'legacy',
          ImageId: 'ami-0123',
          InstanceType: 'm5.xlarge',
          CreatedTime: new Date('2024-01-01T00:00:00Z'),
        },
      ],
    });
    const [found] = await adapter().describeGroups(['kube-1-control-plane']);
    expect(found).not.toHaveProperty('launchTemplate');
    expect(found).toMatchObject({
      instanceTypes: ['m5.xlarge'],
      targetGroupArns: [],
      suspendedProcesses: [],
    });
  });
});
