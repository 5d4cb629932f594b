import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { AwsGroupUpdates } from '../../shared/adapters/aws/group-updates';
import { AutoScalingError } from '../../shared/ports/auto-scaling';
import { SWAP_SUSPENDED_PROCESSES } from '../../shared/ports/group-updates';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The group-updates adapter against moto's Auto Scaling, read back through the Auto Scaling adapter's
// describeGroups: the fields the control-plane swap reads (its own launch template, target groups,
// suspended processes) and the changes it makes (a new template version, a surge maximum, processes
// held and released). moto 5.2.5 checks no sizes and has no ResourceContention; those mappings are
// unit-tested.

/** One of the AMIs moto ships. */
const AMI = 'ami-12c6146b';
const GROUP = 'kube-1-control-plane';

describe('AwsGroupUpdates against moto', () => {
  let moto: MotoServer;
  let autoScalingClient: AutoScalingClient;
  let ec2: EC2Client;
  let elb: ElasticLoadBalancingV2Client;
  let groups: AwsAutoScaling;
  let port: AwsGroupUpdates;
  let templateId: string;
  let targetGroupArn: string;

  const describe1 = async () => (await groups.describeGroups([GROUP]))[0];

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    autoScalingClient = new AutoScalingClient(config);
    ec2 = new EC2Client(config);
    elb = new ElasticLoadBalancingV2Client(config);
    groups = new AwsAutoScaling({ autoScaling: autoScalingClient, ec2 });
    port = new AwsGroupUpdates(autoScalingClient);

    const template = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: GROUP,
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm6i.xlarge' },
      }),
    );
    templateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm6i.2xlarge' },
      }),
    );
    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    const targetGroup = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'kube-1-api',
        Protocol: 'TCP',
        Port: 443,
        VpcId: vpcs.Vpcs?.[0]?.VpcId ?? '',
        TargetType: 'instance',
      }),
    );
    targetGroupArn = targetGroup.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await autoScalingClient.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        MinSize: 3,
        MaxSize: 3,
        DesiredCapacity: 3,
        AvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
        TargetGroupARNs: [targetGroupArn],
      }),
    );
  });

  afterAll(async () => {
    autoScalingClient?.destroy();
    ec2?.destroy();
    elb?.destroy();
    await moto?.stop();
  });

  it('should read the launch template, the target groups and no suspended processes', async () => {
    expect(await describe1()).toMatchObject({
      instanceTypes: ['m6i.xlarge'],
      launchTemplate: { launchTemplateId: templateId, launchTemplateName: GROUP, version: '1' },
      targetGroupArns: [targetGroupArn],
      suspendedProcesses: [],
    });
  });

  it('given the swap suspends its processes, should read them back; resuming one leaves the others', async () => {
    await port.suspendProcesses(GROUP, SWAP_SUSPENDED_PROCESSES);
    expect((await describe1())?.suspendedProcesses?.sort()).toEqual([...SWAP_SUSPENDED_PROCESSES].sort());
    // Idempotent.
    await port.suspendProcesses(GROUP, SWAP_SUSPENDED_PROCESSES);
    expect((await describe1())?.suspendedProcesses).toHaveLength(SWAP_SUSPENDED_PROCESSES.length);

    await port.resumeProcesses(GROUP, ['AZRebalance']);
    expect((await describe1())?.suspendedProcesses?.sort()).toEqual([
      'AlarmNotification',
      'ScheduledActions',
    ]);
    await port.resumeProcesses(GROUP, SWAP_SUSPENDED_PROCESSES);
    expect((await describe1())?.suspendedProcesses).toEqual([]);
  });

  it('given an empty process list, should change nothing (the API would read it as every process)', async () => {
    await port.suspendProcesses(GROUP, []);
    expect((await describe1())?.suspendedProcesses).toEqual([]);
  });

  it('given a surge maximum, should change only the maximum', async () => {
    await port.updateGroup(GROUP, { maxSize: 4 });
    expect(await describe1()).toMatchObject({
      minSize: 3,
      maxSize: 4,
      desiredCapacity: 3,
      launchTemplate: { launchTemplateId: templateId, version: '1' },
    });
  });

  it('given a new launch template version, should launch its type from then on', async () => {
    await port.updateGroup(GROUP, { launchTemplate: { launchTemplateId: templateId, version: '2' } });
    expect(await describe1()).toMatchObject({
      maxSize: 4,
      instanceTypes: ['m6i.2xlarge'],
      launchTemplate: { launchTemplateId: templateId, version: '2' },
    });
    await port.updateGroup(GROUP, { desiredCapacity: 4 });
    const surged = await describe1();
    expect(surged?.desiredCapacity).toBe(4);
    // moto launches the surge instance from the group's template version, as Auto Scaling does.
    expect(surged?.instances.map((i) => i.instanceType).sort()).toEqual([
      'm6i.2xlarge',
      'm6i.xlarge',
      'm6i.xlarge',
      'm6i.xlarge',
    ]);
  });

  it('given an unknown group, updateGroup should throw NotFound', async () => {
    const error = await port.updateGroup('no-such-group', { maxSize: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoScalingError);
    expect((error as AutoScalingError).reason).toBe('NotFound');
  });

  it('given an unknown group, suspendProcesses should throw (moto: a 500, so Unavailable rather than NotFound)', async () => {
    // moto 5.2.5 looks the group up without a check; AWS answers ValidationError "... not found" (NotFound).
    const error = await port.suspendProcesses('no-such-group', ['AZRebalance']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoScalingError);
    expect((error as AutoScalingError).reason).toBe('Unavailable');
  });
});
