import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  EC2Client,
  EC2ServiceException,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsEc2Instances,
  INSTANCE_IDS_PER_CALL,
  idsNamedIn,
} from '../../../../shared/adapters/aws/ec2-instances';
import { Ec2InstancesError } from '../../../../shared/ports/ec2-instances';

const client = new EC2Client({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const ec2 = mockClient(client);
const adapter = () => new AwsEc2Instances(client);
const inputs = (): DescribeInstancesCommandInput[] =>
  ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);

const ec2Error = (name: string, message: string, httpStatusCode = 400) =>
  new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });

function sdkInstance(id: string, extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    InstanceType: 'm6i.xlarge',
    State: { Code: 16, Name: 'running' },
    PrivateIpAddress: '10.0.1.17',
    Placement: { AvailabilityZone: 'eu-central-1a', Tenancy: 'default' },
    LaunchTime: new Date('2024-05-01T10:00:00Z'),
    ImageId: 'ami-0123',
    ...extra,
  };
}

/** EC2 as it behaves: a whole call fails with InvalidInstanceID.NotFound naming every unknown ID. */
function serveInstances(known: Instance[], message?: (unknown: string[]) => string) {
  ec2.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput) => {
    const asked = input.InstanceIds ?? [];
    const unknown = asked.filter((id) => !known.some((i) => i.InstanceId === id));
    if (unknown.length > 0) {
      throw ec2Error(
        'InvalidInstanceID.NotFound',
        message
          ? message(unknown)
          : unknown.length === 1
            ? `The instance ID '${unknown[0]}' does not exist`
            : `The instance IDs '${unknown.join(', ')}' do not exist`,
      );
    }
    // One reservation per instance, as instances launched by Auto Scaling one at a time come back.
    return {
      Reservations: known
        .filter((i) => asked.includes(i.InstanceId ?? ''))
        .map((i) => ({ ReservationId: `r-${i.InstanceId}`, Instances: [i] })),
    } as DescribeInstancesCommandOutput;
  });
}

beforeEach(() => {
  ec2.reset();
});

describe('AwsEc2Instances.describeInstances', () => {
  it('asks by InstanceIds (no MaxResults, which EC2 refuses with IDs) and maps the instances', async () => {
    serveInstances([
      sdkInstance('i-0aaa'),
      sdkInstance('i-0bbb', {
        InstanceType: 'm6i.2xlarge',
        State: { Code: 0, Name: 'pending' },
        PrivateIpAddress: undefined,
        Placement: { AvailabilityZone: 'eu-central-1b' },
        LaunchTime: new Date('2024-05-01T10:05:00Z'),
      }),
    ]);
    expect(await adapter().describeInstances(['i-0bbb', 'i-0aaa', 'i-0bbb'])).toEqual([
      {
        instanceId: 'i-0bbb',
        instanceType: 'm6i.2xlarge',
        state: 'pending',
        availabilityZone: 'eu-central-1b',
        launchTime: Date.parse('2024-05-01T10:05:00Z'),
      },
      {
        instanceId: 'i-0aaa',
        instanceType: 'm6i.xlarge',
        state: 'running',
        privateIpAddress: '10.0.1.17',
        availabilityZone: 'eu-central-1a',
        launchTime: Date.parse('2024-05-01T10:00:00Z'),
      },
    ]);
    expect(inputs()).toEqual([{ InstanceIds: ['i-0bbb', 'i-0aaa'] }]);
  });

  it('given no IDs, asks nothing (an empty InstanceIds would list every instance)', async () => {
    expect(await adapter().describeInstances([])).toEqual([]);
    expect(inputs()).toEqual([]);
  });

  it('follows NextToken', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [sdkInstance('i-0aaa')] }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: [sdkInstance('i-0bbb')] }] });
    const found = await adapter().describeInstances(['i-0aaa', 'i-0bbb']);
    expect(found.map((i) => i.instanceId)).toEqual(['i-0aaa', 'i-0bbb']);
    expect(inputs()).toEqual([
      { InstanceIds: ['i-0aaa', 'i-0bbb'] },
      { InstanceIds: ['i-0aaa', 'i-0bbb'], NextToken: 'page-2' },
    ]);
  });

  it(`asks at most ${INSTANCE_IDS_PER_CALL} IDs a call`, async () => {
    const ids = Array.from(
      { length: INSTANCE_IDS_PER_CALL + 5 },
      (_, i) => `i-${String(i).padStart(17, '0')}`,
    );
    serveInstances(ids.map((id) => sdkInstance(id)));
    expect(await adapter().describeInstances(ids)).toHaveLength(ids.length);
    expect(inputs().map((input) => input.InstanceIds?.length)).toEqual([INSTANCE_IDS_PER_CALL, 5]);
  });

  it('given unknown IDs, drops the ones EC2 names and asks again for the rest', async () => {
    serveInstances([sdkInstance('i-0aaa'), sdkInstance('i-0ccc')]);
    const found = await adapter().describeInstances(['i-0aaa', 'i-0bbb', 'i-0ccc', 'i-0ddd']);
    expect(found.map((i) => i.instanceId)).toEqual(['i-0aaa', 'i-0ccc']);
    expect(inputs()).toEqual([
      { InstanceIds: ['i-0aaa', 'i-0bbb', 'i-0ccc', 'i-0ddd'] },
      { InstanceIds: ['i-0aaa', 'i-0ccc'] },
    ]);
  });

  it('given only unknown IDs, answers none', async () => {
    serveInstances([]);
    expect(await adapter().describeInstances(['i-0bbb'])).toEqual([]);
    expect(inputs()).toHaveLength(1);
  });

  it('given a refusal that names no ID, asks each ID alone', async () => {
    serveInstances([sdkInstance('i-0aaa')], () => 'Invalid id: "i-0???"');
    const found = await adapter().describeInstances(['i-0aaa', 'i-0bbb']);
    expect(found.map((i) => i.instanceId)).toEqual(['i-0aaa']);
    expect(inputs()).toEqual([
      { InstanceIds: ['i-0aaa', 'i-0bbb'] },
      { InstanceIds: ['i-0aaa'] },
      { InstanceIds: ['i-0bbb'] },
    ]);
  });

  it('matches named IDs as whole words, so i-0a is not taken for i-0ab', () => {
    expect(idsNamedIn("The instance IDs 'i-0ab, i-0cd' do not exist", ['i-0a', 'i-0ab', 'i-0cd'])).toEqual([
      'i-0ab',
      'i-0cd',
    ]);
  });

  it.each([
    ['throttling', ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503), 'Throttled'],
    [
      'missing permissions',
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
      'Forbidden',
    ],
    [
      'a timeout',
      Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
      'Timeout',
    ],
    ['a 5xx', ec2Error('Unavailable', 'The server is overloaded', 503), 'Unavailable'],
  ])('maps %s to %s', async (_what, error, reason) => {
    ec2.on(DescribeInstancesCommand).rejects(error);
    const thrown = await adapter()
      .describeInstances(['i-0aaa'])
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Ec2InstancesError);
    expect(thrown).toMatchObject({ reason, message: `DescribeInstances: ${(error as Error).message}` });
    expect((thrown as Ec2InstancesError).cause).toBe(error);
  });
});
