import {
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  type DescribeInstanceTypesCommandOutput,
  EC2Client,
  EC2ServiceException,
  type InstanceTypeInfo as SdkInstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Ec2Adapter, MAX_INSTANCE_TYPES_PER_CALL, unknownTypesIn } from '../../../../shared/adapters/aws/ec2';
import { isThrottle } from '../../../../shared/adapters/aws/errors';
import { Ec2Error } from '../../../../shared/ports/ec2';

const ec2 = mockClient(EC2Client);
const adapter = () => new Ec2Adapter(new EC2Client({ region: 'eu-central-1' }));
const inputs = (): DescribeInstanceTypesCommandInput[] =>
  ec2.commandCalls(DescribeInstanceTypesCommand).map((c) => c.args[0].input);

/** An SDK instance type as EC2 answers it (trimmed to the fields the adapter reads, plus one more). */
function sdkType(name: string, extra: Partial<SdkInstanceTypeInfo> = {}): SdkInstanceTypeInfo {
  return {
    InstanceType: name as SdkInstanceTypeInfo['InstanceType'],
    CurrentGeneration: true,
    VCpuInfo: { DefaultVCpus: 2, DefaultCores: 1, DefaultThreadsPerCore: 2 },
    MemoryInfo: { SizeInMiB: 8192 },
    ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
    NetworkInfo: { MaximumNetworkInterfaces: 3, Ipv4AddressesPerInterface: 10 },
    ...extra,
  };
}

const invalidInstanceType = (message: string) =>
  new EC2ServiceException({
    name: 'InvalidInstanceType',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  });

/** EC2 as it answers: the known types asked for, or InvalidInstanceType naming the unknown ones. */
function serve(known: Set<string>, options: { nameUnknown?: boolean } = {}) {
  ec2.on(DescribeInstanceTypesCommand).callsFake(async (input: DescribeInstanceTypesCommandInput) => {
    const asked = input.InstanceTypes ?? [];
    const unknown = asked.filter((t) => !known.has(t));
    if (unknown.length > 0) {
      throw invalidInstanceType(
        options.nameUnknown === false
          ? 'The instance type is not supported'
          : `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
      );
    }
    return {
      InstanceTypes: asked.map((t) => sdkType(t)),
      $metadata: {},
    } as DescribeInstanceTypesCommandOutput;
  });
}

beforeEach(() => ec2.reset());
afterAll(() => ec2.restore());

describe('Ec2Adapter.describeInstanceTypes', () => {
  it('asks for the types and converts the answer', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [
        sdkType('m5.large'),
        sdkType('g5.xlarge', {
          VCpuInfo: { DefaultVCpus: 4 },
          MemoryInfo: { SizeInMiB: 16384 },
          GpuInfo: {
            Gpus: [{ Name: 'A10G', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 24576 } }],
          },
          NetworkInfo: { MaximumNetworkInterfaces: 4, Ipv4AddressesPerInterface: 15 },
        }),
        sdkType('m6g.xlarge', {
          ProcessorInfo: { SupportedArchitectures: ['arm64', 'arm64_mac'] },
        }),
      ],
    });
    const result = await adapter().describeInstanceTypes(['m5.large', 'g5.xlarge', 'm6g.xlarge']);
    expect(inputs()).toEqual([{ InstanceTypes: ['m5.large', 'g5.xlarge', 'm6g.xlarge'] }]);
    expect(result.get('m5.large')).toEqual({
      instanceType: 'm5.large',
      vcpus: 2,
      memoryMiB: 8192,
      gpus: 0,
      architectures: ['x86_64'],
      maxNetworkInterfaces: 3,
      ipv4AddressesPerInterface: 10,
    });
    expect(result.get('g5.xlarge')).toEqual({
      instanceType: 'g5.xlarge',
      vcpus: 4,
      memoryMiB: 16384,
      gpus: 1,
      gpuManufacturer: 'NVIDIA',
      architectures: ['x86_64'],
      maxNetworkInterfaces: 4,
      ipv4AddressesPerInterface: 15,
    });
    expect(result.get('m6g.xlarge')?.architectures).toEqual(['arm64']);
  });

  it('sums GPUs over the devices', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [sdkType('p9.big', { GpuInfo: { Gpus: [{ Count: 4 }, { Count: 4 }] } })],
    });
    expect((await adapter().describeInstanceTypes(['p9.big'])).get('p9.big')?.gpus).toBe(8);
  });

  it(`batches at most ${MAX_INSTANCE_TYPES_PER_CALL} types a call`, async () => {
    const names = Array.from({ length: 250 }, (_, i) => `t${i}.large`);
    serve(new Set(names));
    const result = await adapter().describeInstanceTypes(names);
    expect(inputs()).toEqual([
      { InstanceTypes: names.slice(0, 100) },
      { InstanceTypes: names.slice(100, 200) },
      { InstanceTypes: names.slice(200) },
    ]);
    expect(result.size).toBe(250);
  });

  it('follows NextToken with the same types', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({ InstanceTypes: [sdkType('m5.large')], NextToken: 'page-2' })
      .resolvesOnce({ InstanceTypes: [sdkType('c5.large')] });
    const result = await adapter().describeInstanceTypes(['m5.large', 'c5.large']);
    expect(inputs()).toEqual([
      { InstanceTypes: ['m5.large', 'c5.large'] },
      { InstanceTypes: ['m5.large', 'c5.large'], NextToken: 'page-2' },
    ]);
    expect([...result.keys()]).toEqual(['m5.large', 'c5.large']);
  });

  it('caches answers, unknown types included, and asks once per distinct type', async () => {
    serve(new Set(['m5.large', 'c5.large']));
    const a = adapter();
    await a.describeInstanceTypes(['m5.large', 'm5.large', 'm9.huge']);
    const calls = inputs().length;
    const again = await a.describeInstanceTypes(['m9.huge', 'm5.large']);
    expect(inputs().length).toBe(calls);
    expect([...again.keys()]).toEqual(['m5.large']);
    await a.describeInstanceTypes(['m5.large', 'c5.large']);
    expect(inputs().slice(calls)).toEqual([{ InstanceTypes: ['c5.large'] }]);
  });

  it('drops the unknown types EC2 names and asks again for the rest', async () => {
    serve(new Set(['m5.large', 'c5.large']));
    const result = await adapter().describeInstanceTypes(['m5.large', 'm9.huge', 'c5.large', 'x0.tiny']);
    expect(inputs()).toEqual([
      { InstanceTypes: ['m5.large', 'm9.huge', 'c5.large', 'x0.tiny'] },
      { InstanceTypes: ['m5.large', 'c5.large'] },
    ]);
    expect([...result.keys()]).toEqual(['m5.large', 'c5.large']);
  });

  it('asks one type at a time when EC2 does not name the unknown ones', async () => {
    serve(new Set(['m5.large', 'c5.large']), { nameUnknown: false });
    const result = await adapter().describeInstanceTypes(['m5.large', 'm9.huge', 'c5.large']);
    expect(inputs()).toEqual([
      { InstanceTypes: ['m5.large', 'm9.huge', 'c5.large'] },
      { InstanceTypes: ['m5.large'] },
      { InstanceTypes: ['m9.huge'] },
      { InstanceTypes: ['c5.large'] },
    ]);
    expect([...result.keys()]).toEqual(['m5.large', 'c5.large']);
  });

  it('returns an empty map when every type is unknown', async () => {
    serve(new Set());
    const result = await adapter().describeInstanceTypes(['m9.huge']);
    expect(result.size).toBe(0);
    expect(inputs()).toEqual([{ InstanceTypes: ['m9.huge'] }]);
  });

  it('surfaces throttling as an Ec2Error and does not cache it', async () => {
    const throttled = new EC2ServiceException({
      name: 'RequestLimitExceeded',
      $fault: 'client',
      $metadata: { httpStatusCode: 503 },
      message: 'Request limit exceeded.',
    });
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejectsOnce(throttled)
      .resolves({ InstanceTypes: [sdkType('m5.large')] });
    const a = adapter();
    const error = await a.describeInstanceTypes(['m5.large']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Ec2Error);
    expect(error).toMatchObject({
      reason: 'Throttled',
      message: 'DescribeInstanceTypes: Request limit exceeded.',
    });
    expect(isThrottle((error as Ec2Error).cause)).toBe(true);
    expect((await a.describeInstanceTypes(['m5.large'])).has('m5.large')).toBe(true);
  });

  it('surfaces other failures, also while asking one type at a time', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejectsOnce(invalidInstanceType('not supported'))
      .rejectsOnce(
        new EC2ServiceException({
          name: 'UnauthorizedOperation',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'You are not authorized to perform this operation.',
        }),
      );
    await expect(adapter().describeInstanceTypes(['m5.large', 'c5.large'])).rejects.toMatchObject({
      name: 'Ec2Error',
      reason: 'Forbidden',
    });
  });

  it('asks nothing for no types', async () => {
    expect((await adapter().describeInstanceTypes([])).size).toBe(0);
    expect(inputs()).toEqual([]);
  });
});

describe('unknownTypesIn', () => {
  it('reads the names from EC2 and moto messages', () => {
    expect(unknownTypesIn('The following supplied instance types do not exist: [m9.huge, x0.tiny]')).toEqual([
      'm9.huge',
      'x0.tiny',
    ]);
    expect(unknownTypesIn("The instance type '{'c6a.large'}' does not exist")).toEqual([]);
    expect(unknownTypesIn('no list')).toEqual([]);
  });
});
