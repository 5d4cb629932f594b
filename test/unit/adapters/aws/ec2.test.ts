import {
  DescribeInstanceTypeOfferingsCommand,
  type DescribeInstanceTypeOfferingsCommandInput,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  type DescribeInstanceTypesCommandOutput,
  EC2Client,
  EC2ServiceException,
  type InstanceTypeInfo as SdkInstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Ec2Adapter,
  MAX_INSTANCE_TYPES_PER_CALL,
  MAX_LIST_PAGES,
  toInstanceTypeInfo,
  toOfferings,
  unknownTypesIn,
} from '../../../../shared/adapters/aws/ec2';
import { isThrottle } from '../../../../shared/adapters/aws/errors';
import { Ec2Error } from '../../../../shared/ports/ec2';

const ec2 = mockClient(EC2Client);
const adapter = () => new Ec2Adapter(new EC2Client({ region: 'eu-central-1' }));
const inputs = (): DescribeInstanceTypesCommandInput[] =>
  ec2.commandCalls(DescribeInstanceTypesCommand).map((c) => c.args[0].input);
const offeringInputs = (): DescribeInstanceTypeOfferingsCommandInput[] =>
  ec2.commandCalls(DescribeInstanceTypeOfferingsCommand).map((c) => c.args[0].input);

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
      currentGeneration: true,
      accelerators: 0,
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
      currentGeneration: true,
      accelerators: 0,
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

describe('toInstanceTypeInfo', () => {
  it('maps the flags the control-plane ladder filters on', () => {
    expect(
      toInstanceTypeInfo(
        sdkType('t3.large', { BurstablePerformanceSupported: true, BareMetal: false, Hypervisor: 'nitro' }),
      ),
    ).toMatchObject({ currentGeneration: true, burstable: true, bareMetal: false, hypervisor: 'nitro' });
    const metal = toInstanceTypeInfo(
      sdkType('m7i.metal-24xl', { BareMetal: true, CurrentGeneration: false }),
    );
    expect(metal).toMatchObject({ bareMetal: true, currentGeneration: false });
    expect(metal).not.toHaveProperty('hypervisor');
  });

  it('leaves flags EC2 did not send unset rather than guessing', () => {
    const info = toInstanceTypeInfo({
      InstanceType: 'x1.big' as SdkInstanceTypeInfo['InstanceType'],
      VCpuInfo: { DefaultVCpus: 2 },
      MemoryInfo: { SizeInMiB: 1 },
    });
    expect(info).not.toHaveProperty('currentGeneration');
    expect(info).not.toHaveProperty('burstable');
    expect(info).not.toHaveProperty('bareMetal');
    expect(info?.accelerators).toBe(0);
  });

  it('counts accelerators over inference, FPGA and media devices, Inferentia once', () => {
    // inf1.6xlarge as EC2 describes it: 4 Inferentia chips, both as inference accelerators and Neuron devices.
    const inf1 = sdkType('inf1.6xlarge', {
      InferenceAcceleratorInfo: { Accelerators: [{ Count: 4, Name: 'Inferentia', Manufacturer: 'AWS' }] },
      NeuronInfo: { NeuronDevices: [{ Count: 4, Name: 'Inferentia' }] },
    });
    expect(toInstanceTypeInfo(inf1)?.accelerators).toBe(4);
    const trn1 = sdkType('trn1.32xlarge', {
      NeuronInfo: { NeuronDevices: [{ Count: 16, Name: 'Trainium' }] },
    });
    expect(toInstanceTypeInfo(trn1)?.accelerators).toBe(16);
    const f2 = sdkType('f2.12xlarge', { FpgaInfo: { Fpgas: [{ Count: 2, Name: 'VU47P' }] } });
    expect(toInstanceTypeInfo(f2)?.accelerators).toBe(2);
    const vt1 = sdkType('vt1.6xlarge', {
      MediaAcceleratorInfo: { Accelerators: [{ Count: 2, Name: 'U30' }] },
    });
    expect(toInstanceTypeInfo(vt1)?.accelerators).toBe(2);
  });
});

describe('Ec2Adapter.listInstanceTypes', () => {
  it('asks with EC2’s filters and the largest page, and converts the answer', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [sdkType('m7g.large', { ProcessorInfo: { SupportedArchitectures: ['arm64'] } })],
    });
    const result = await adapter().listInstanceTypes({ architecture: 'arm64', currentGenerationOnly: true });
    expect(inputs()).toEqual([
      {
        MaxResults: 100,
        Filters: [
          { Name: 'processor-info.supported-architecture', Values: ['arm64'] },
          { Name: 'current-generation', Values: ['true'] },
        ],
      },
    ]);
    expect(result.map((info) => [info.instanceType, info.architectures])).toEqual([['m7g.large', ['arm64']]]);
  });

  it('sends no filters when none are asked for', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [] });
    expect(await adapter().listInstanceTypes({})).toEqual([]);
    expect(inputs()).toEqual([{ MaxResults: 100 }]);
  });

  it('follows NextToken with the same filters, in EC2’s order', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({ InstanceTypes: [sdkType('m7i.large'), sdkType('c7i.large')], NextToken: 'p2' })
      .resolvesOnce({ InstanceTypes: [sdkType('r7i.large')], NextToken: '' });
    const result = await adapter().listInstanceTypes({ currentGenerationOnly: true });
    const filters = [{ Name: 'current-generation', Values: ['true'] }];
    expect(inputs()).toEqual([
      { MaxResults: 100, Filters: filters },
      { MaxResults: 100, Filters: filters, NextToken: 'p2' },
    ]);
    expect(result.map((info) => info.instanceType)).toEqual(['m7i.large', 'c7i.large', 'r7i.large']);
  });

  it('fills the per-type cache, so describing a listed type asks nothing', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [sdkType('m7i.large')] });
    const a = adapter();
    await a.listInstanceTypes({});
    const calls = inputs().length;
    expect((await a.describeInstanceTypes(['m7i.large'])).get('m7i.large')?.vcpus).toBe(2);
    expect(inputs().length).toBe(calls);
  });

  it(`gives up after ${MAX_LIST_PAGES} pages`, async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolves({ InstanceTypes: [sdkType('m7i.large')], NextToken: 'again' });
    await expect(adapter().listInstanceTypes({})).rejects.toMatchObject({
      name: 'Ec2Error',
      reason: 'Unavailable',
      message: `DescribeInstanceTypes: more than ${MAX_LIST_PAGES} pages`,
    });
    expect(inputs()).toHaveLength(MAX_LIST_PAGES);
  });

  it('surfaces failures as an Ec2Error with the operation and reason', async () => {
    ec2.on(DescribeInstanceTypesCommand).rejects(
      new EC2ServiceException({
        name: 'RequestLimitExceeded',
        $fault: 'client',
        $metadata: { httpStatusCode: 503 },
        message: 'Request limit exceeded.',
      }),
    );
    await expect(adapter().listInstanceTypes({})).rejects.toMatchObject({
      name: 'Ec2Error',
      reason: 'Throttled',
      message: 'DescribeInstanceTypes: Request limit exceeded.',
    });
  });
});

describe('Ec2Adapter.describeInstanceTypeOfferings', () => {
  const offering = (type: string, zone: string) => ({
    InstanceType: type as SdkInstanceTypeInfo['InstanceType'],
    LocationType: 'availability-zone' as const,
    Location: zone,
  });

  it('asks by availability zone for the zones given, once each, and keeps their order', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
      InstanceTypeOfferings: [
        offering('m7i.large', 'eu-central-1c'),
        offering('m7i.large', 'eu-central-1a'),
        offering('m5zn.large', 'eu-central-1a'),
      ],
    });
    const result = await adapter().describeInstanceTypeOfferings([
      'eu-central-1c',
      'eu-central-1a',
      'eu-central-1c',
    ]);
    expect(offeringInputs()).toEqual([
      {
        LocationType: 'availability-zone',
        MaxResults: 1000,
        Filters: [{ Name: 'location', Values: ['eu-central-1c', 'eu-central-1a'] }],
      },
    ]);
    expect(result).toEqual(
      new Map([
        ['m7i.large', ['eu-central-1c', 'eu-central-1a']],
        ['m5zn.large', ['eu-central-1a']],
      ]),
    );
  });

  it('given no zones, asks for every zone and sorts each type’s zones', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
      InstanceTypeOfferings: [offering('m7i.large', 'eu-central-1b'), offering('m7i.large', 'eu-central-1a')],
    });
    const result = await adapter().describeInstanceTypeOfferings([]);
    expect(offeringInputs()).toEqual([{ LocationType: 'availability-zone', MaxResults: 1000 }]);
    expect(result.get('m7i.large')).toEqual(['eu-central-1a', 'eu-central-1b']);
  });

  it('follows NextToken with the same question', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({ InstanceTypeOfferings: [offering('m7i.large', 'eu-central-1a')], NextToken: 'p2' })
      .resolvesOnce({ InstanceTypeOfferings: [offering('m7i.large', 'eu-central-1b')] });
    const result = await adapter().describeInstanceTypeOfferings(['eu-central-1a', 'eu-central-1b']);
    const question = {
      LocationType: 'availability-zone',
      MaxResults: 1000,
      Filters: [{ Name: 'location', Values: ['eu-central-1a', 'eu-central-1b'] }],
    };
    expect(offeringInputs()).toEqual([question, { ...question, NextToken: 'p2' }]);
    expect(result.get('m7i.large')).toEqual(['eu-central-1a', 'eu-central-1b']);
  });

  it('surfaces failures as an Ec2Error naming DescribeInstanceTypeOfferings', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).rejects(
      new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'You are not authorized to perform this operation.',
      }),
    );
    await expect(adapter().describeInstanceTypeOfferings(['eu-central-1a'])).rejects.toMatchObject({
      name: 'Ec2Error',
      reason: 'Forbidden',
      message: 'DescribeInstanceTypeOfferings: You are not authorized to perform this operation.',
    });
  });

  it(`gives up after ${MAX_LIST_PAGES} pages`, async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({ InstanceTypeOfferings: [], NextToken: 'again' });
    await expect(adapter().describeInstanceTypeOfferings([])).rejects.toMatchObject({
      reason: 'Unavailable',
    });
    expect(offeringInputs()).toHaveLength(MAX_LIST_PAGES);
  });
});

describe('toOfferings', () => {
  it('ignores offerings outside the zones asked for and repeated ones', () => {
    expect(
      toOfferings(
        [
          { InstanceType: 'm7i.large', Location: 'eu-central-1a' },
          { InstanceType: 'm7i.large', Location: 'eu-central-1a' },
          { InstanceType: 'm7i.large', Location: 'eu-central-1b' },
          { InstanceType: 'c7i.large', Location: 'eu-central-1b' },
          { Location: 'eu-central-1a' },
        ],
        ['eu-central-1a'],
      ),
    ).toEqual(new Map([['m7i.large', ['eu-central-1a']]]));
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
