import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { loadRecording, RecordedEc2 } from '../../shared/cli/recorded-ec2';
import type { InstanceTypeInfo } from '../../shared/ports/ec2';
import { type MotoServer, startMoto } from './harness/moto';

// The EC2 adapter's catalogue calls (DescribeInstanceTypes with EC2's filters, DescribeInstanceTypeOfferings
// by zone) against moto's server, which ships AWS's instance-type data: the real query wire format and
// filter names. The recorded fixture the ladder's tests and `--offline` use must give the same domain
// types as the live calls, so a recording trimmed of a field the adapter maps fails here.

const REGION = 'eu-central-1';
const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];
/** Request names seen on the wire. */
const sent: string[] = [];

const byName = (types: InstanceTypeInfo[]) =>
  [...types].sort((a, b) => a.instanceType.localeCompare(b.instanceType));

describe('Ec2Adapter catalogue against moto', () => {
  let moto: MotoServer;
  let client: EC2Client;
  let adapter: Ec2Adapter;
  let recorded: RecordedEc2;

  beforeAll(async () => {
    moto = await startMoto();
    // moto keeps its catalogue per region; the client's region picks eu-central-1's offerings.
    client = new EC2Client({ endpoint: moto.endpoint, region: REGION, credentials: moto.credentials });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    adapter = new Ec2Adapter(client);
    recorded = new RecordedEc2(await loadRecording(REGION));
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('given architecture and generation filters, should answer only current arm64 types', async () => {
    const types = await adapter.listInstanceTypes({ architecture: 'arm64', currentGenerationOnly: true });
    const names = types.map((info) => info.instanceType);
    expect(names).toContain('m7g.xlarge');
    expect(names).not.toContain('m7i.xlarge');
    // a1 is arm64 but previous generation.
    expect(names).not.toContain('a1.large');
    for (const info of types) {
      expect(info.architectures, info.instanceType).toContain('arm64');
      expect(info.currentGeneration, info.instanceType).toBe(true);
    }
    expect(names.sort()).toEqual(
      (await recorded.listInstanceTypes({ architecture: 'arm64', currentGenerationOnly: true }))
        .map((info) => info.instanceType)
        .sort(),
    );
  });

  it('given no filter, should give the same domain types as the recorded fixture', async () => {
    const live = await adapter.listInstanceTypes({});
    expect(live.length).toBeGreaterThan(1000);
    expect(byName(live)).toEqual(byName(await recorded.listInstanceTypes({})));
  });

  it('given zones, should answer where each type is offered, in the order asked', async () => {
    sent.length = 0;
    const offerings = await adapter.describeInstanceTypeOfferings(['eu-central-1c', 'eu-central-1a']);
    expect(sent).toEqual(['DescribeInstanceTypeOfferingsCommand']);
    expect(offerings.get('m7i.xlarge')).toEqual(['eu-central-1c', 'eu-central-1a']);
    // m5zn is offered in eu-central-1a and 1b only.
    expect(offerings.get('m5zn.xlarge')).toEqual(['eu-central-1a']);
    for (const zones of offerings.values()) {
      for (const zone of zones) expect(['eu-central-1a', 'eu-central-1c']).toContain(zone);
    }
    expect(offerings).toEqual(
      await recorded.describeInstanceTypeOfferings(['eu-central-1c', 'eu-central-1a']),
    );
  });

  it('given no zones, should answer every zone of the region', async () => {
    const offerings = await adapter.describeInstanceTypeOfferings([]);
    expect(offerings.get('m7i.xlarge')).toEqual(ZONES);
    expect(offerings).toEqual(await recorded.describeInstanceTypeOfferings([]));
  });

  it('given a zone of another region, should find nothing offered there', async () => {
    expect((await adapter.describeInstanceTypeOfferings(['us-east-1a'])).size).toBe(0);
  });
});
