import { describe, expect, it } from 'vitest';
import { eniMaxPods } from '../../../shared/nodepools/template-node';
import { Ec2Error } from '../../../shared/ports/ec2';
import { SimEc2 } from '../../../shared/sim/ec2';
import { INSTANCE_TYPES, nodeResources } from '../../../shared/sim/instance-types';

describe('SimEc2', () => {
  it('given known and unknown types, should answer the known ones with EC2 figures', async () => {
    const ec2 = new SimEc2();
    const types = await ec2.describeInstanceTypes(['m5.large', 'm9.huge', 'm6g.xlarge', 'p3.2xlarge']);
    expect([...types.keys()]).toEqual(['m5.large', 'm6g.xlarge', 'p3.2xlarge']);
    expect(types.get('m5.large')).toEqual({
      instanceType: 'm5.large',
      vcpus: 2,
      memoryMiB: 8192,
      gpus: 0,
      architectures: ['x86_64'],
      maxNetworkInterfaces: 3,
      ipv4AddressesPerInterface: 10,
    });
    expect(types.get('m6g.xlarge')?.architectures).toEqual(['arm64']);
    expect(types.get('p3.2xlarge')).toMatchObject({
      vcpus: 8,
      memoryMiB: 62464,
      gpus: 1,
      gpuManufacturer: 'NVIDIA',
    });
  });

  it('should know the types node pools use, with the VPC CNI pod limits EKS publishes', () => {
    const eksMaxPods: Record<string, number> = {
      'm5.large': 29,
      'm5.xlarge': 58,
      'm5.2xlarge': 58,
      'm5.4xlarge': 234,
      'm5a.xlarge': 58,
      'm6i.xlarge': 58,
      'm6g.xlarge': 58,
      'c5.xlarge': 58,
      'c5.2xlarge': 58,
      'r5.xlarge': 58,
      'r5.2xlarge': 58,
      'p3.2xlarge': 58,
    };
    for (const [type, maxPods] of Object.entries(eksMaxPods)) {
      const info = INSTANCE_TYPES[type];
      expect(info, type).toBeDefined();
      if (info) expect(eniMaxPods(info), type).toBe(maxPods);
    }
    expect(nodeResources('m5.large').allocatable).toEqual({ cpu: '1930m', memory: '7698432Ki', pods: '29' });
  });

  it('should hand out copies, so a caller cannot change the table', async () => {
    const ec2 = new SimEc2();
    const first = (await ec2.describeInstanceTypes(['m5.large'])).get('m5.large');
    first?.architectures.push('arm64');
    expect((await ec2.describeInstanceTypes(['m5.large'])).get('m5.large')?.architectures).toEqual([
      'x86_64',
    ]);
  });

  it('should count the requests the caching adapter would send', async () => {
    const ec2 = new SimEc2();
    const many = Object.keys(INSTANCE_TYPES);
    await ec2.describeInstanceTypes(['m5.large', 'm5.large', 'c5.xlarge']);
    await ec2.describeInstanceTypes(['m5.large']);
    await ec2.describeInstanceTypes(['r5.xlarge', 'm9.huge']);
    await ec2.describeInstanceTypes(['m9.huge']);
    await ec2.describeInstanceTypes([]);
    expect(ec2.stats()).toMatchObject({
      calls: { describeInstanceTypes: 5 },
      // 1 for the first call, 2 for the batch with an unknown type (asked again without it), then cached.
      requests: { DescribeInstanceTypes: 3 },
    });
    ec2.resetStats();
    await ec2.describeInstanceTypes(many);
    expect(ec2.stats().requests.DescribeInstanceTypes).toBe(1);
  });

  it('given an armed failure, should throw it after counting the call', async () => {
    const ec2 = new SimEc2();
    ec2.failNext('describeInstanceTypes', 1, new Ec2Error('Throttled', 'Rate exceeded'));
    await expect(ec2.describeInstanceTypes(['m5.large'])).rejects.toMatchObject({
      name: 'Ec2Error',
      reason: 'Throttled',
    });
    expect(ec2.stats().calls.describeInstanceTypes).toBe(1);
    expect((await ec2.describeInstanceTypes(['m5.large'])).size).toBe(1);
  });

  it('should list the table by architecture, every type current generation as the table says nothing', async () => {
    const ec2 = new SimEc2();
    const arm = await ec2.listInstanceTypes({ architecture: 'arm64', currentGenerationOnly: true });
    expect(arm.map((info) => info.instanceType)).toEqual(['m6g.xlarge']);
    const x86 = await ec2.listInstanceTypes({ architecture: 'x86_64' });
    expect(x86.map((info) => info.instanceType)).toContain('m5.xlarge');
    expect(x86.map((info) => info.instanceType)).not.toContain('m6g.xlarge');
    expect(ec2.stats().requests.DescribeInstanceTypes).toBe(2);
    // The adapter caches what it lists: describing a listed type afterwards sends nothing.
    await ec2.describeInstanceTypes(['m5.xlarge']);
    expect(ec2.stats().requests.DescribeInstanceTypes).toBe(2);
  });

  it('should offer every type in every zone asked for, unless restricted', async () => {
    const ec2 = new SimEc2();
    ec2.restrictOfferings('m5.xlarge', ['eu-central-1a']);
    const offerings = await ec2.describeInstanceTypeOfferings(['eu-central-1b', 'eu-central-1a']);
    expect(offerings.get('c5.xlarge')).toEqual(['eu-central-1b', 'eu-central-1a']);
    expect(offerings.get('m5.xlarge')).toEqual(['eu-central-1a']);
    expect(offerings.size).toBe(Object.keys(INSTANCE_TYPES).length);
    expect((await ec2.describeInstanceTypeOfferings(['eu-central-1c'])).has('m5.xlarge')).toBe(false);
    expect((await ec2.describeInstanceTypeOfferings([])).get('m5.large')).toEqual([
      'eu-central-1a',
      'eu-central-1b',
      'eu-central-1c',
    ]);
    expect(ec2.stats().requests.DescribeInstanceTypeOfferings).toBe(3);
  });
});
