import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEc2Instances } from '../../shared/adapters/aws/ec2-instances';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The EC2 instances adapter against moto's EC2: the query wire format of DescribeInstances with its
// reservations, and EC2's whole-call refusal of unknown IDs (`InvalidInstanceID.NotFound`, worded as EC2
// does), which the adapter must get round. moto 5.2.5 keeps only the asked instances in a reservation it
// describes by ID (its state loses the others), so every question here asks whole reservations.

/** One of the AMIs moto ships. */
const AMI = 'ami-12c6146b';
const ZONE = 'us-east-1b';

describe('AwsEc2Instances against moto', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let port: AwsEc2Instances;
  let ids: string[];
  /** `DescribeInstances` requests sent, counted on the wire. */
  let describeRequests = 0;

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(motoClientConfig(moto));
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeInstancesCommand') describeRequests++;
        return next(args);
      },
      { step: 'initialize', name: 'countDescribeRequests' },
    );
    port = new AwsEc2Instances(ec2);
    // Two reservations, as two launches by Auto Scaling would make.
    const first = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'm6i.xlarge',
        MinCount: 2,
        MaxCount: 2,
        Placement: { AvailabilityZone: ZONE },
      }),
    );
    const second = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm6i.2xlarge', MinCount: 1, MaxCount: 1 }),
    );
    ids = [...(first.Instances ?? []), ...(second.Instances ?? [])].map((i) => i.InstanceId ?? '');
  });

  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('should describe the instances by ID across reservations, in the order asked', async () => {
    const asked = [ids[2] ?? '', ids[0] ?? '', ids[1] ?? ''];
    const found = await port.describeInstances(asked);
    expect(found.map((i) => i.instanceId)).toEqual(asked);
    expect(found[0]).toMatchObject({ instanceType: 'm6i.2xlarge', state: 'running' });
    expect(found[1]).toMatchObject({ instanceType: 'm6i.xlarge', state: 'running', availabilityZone: ZONE });
    for (const instance of found) {
      expect(instance.privateIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(instance.availabilityZone).toMatch(/^us-east-1[a-z]$/);
      expect(instance.launchTime).toBeGreaterThan(0);
    }
  });

  it('given unknown IDs among known ones, should drop the ones named and answer the known ones', async () => {
    describeRequests = 0;
    const found = await port.describeInstances([
      ids[0] ?? '',
      'i-0123456789abcdef0',
      ids[1] ?? '',
      'i-0fedcba9876543210',
    ]);
    expect(found.map((i) => i.instanceId)).toEqual([ids[0], ids[1]]);
    // moto 5.2.5 names one unknown ID per refusal (EC2 names them all, one retry; unit-tested), so here
    // the adapter asks once more per unknown ID.
    expect(describeRequests).toBe(3);
  });

  it('given only unknown IDs, should answer none', async () => {
    expect(await port.describeInstances(['i-0123456789abcdef0'])).toEqual([]);
  });

  it('given a terminated instance, should still describe it, as terminated', async () => {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[2] ?? ''] }));
    const [gone] = await port.describeInstances([ids[2] ?? '']);
    expect(gone).toMatchObject({ instanceId: ids[2], state: 'terminated' });
  });
});
