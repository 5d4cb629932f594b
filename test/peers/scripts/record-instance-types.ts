/**
 * Records a region's EC2 instance-type catalogue and zonal offerings from moto's server (which ships the
 * data AWS's DescribeInstanceTypes and DescribeInstanceTypeOfferings return) into the fixture the
 * control-plane ladder uses offline (`tideplane control-plane ladder --offline`) and its tests.
 *
 * Usage: npx tsx test/peers/scripts/record-instance-types.ts [--region eu-central-1] [--out <file>]
 * Needs moto: `bash test/peers/scripts/moto.sh` once.
 *
 * The answers are kept in the SDK's own shape, so the adapter's mapping functions read them, but trimmed
 * to the fields the adapter maps (KEPT below; offerings without their LocationType, always
 * availability-zone): the full answer is ~3.5 MB, the trimmed one under 700 KB.
 * Every type moto answers is kept, also ones the region does not offer: a real region's
 * DescribeInstanceTypes answers only its own types, moto answers its whole list; the ladder drops types
 * without an offering anyway. Types and offerings are sorted by name, so a new recording diffs cleanly.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  DescribeInstanceTypeOfferingsCommand,
  type DescribeInstanceTypeOfferingsCommandOutput,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandOutput,
  EC2Client,
  type InstanceTypeInfo,
  type InstanceTypeOffering,
} from '@aws-sdk/client-ec2';
import { MOTO_VERSION, startMoto } from '../harness/moto';

const DEFAULT_REGION = 'eu-central-1';
/** Pages followed before the script gives up on a token loop. */
const MAX_PAGES = 100;

/** The parts of an SDK `InstanceTypeInfo` that `toInstanceTypeInfo` reads; nested keys keep only these. */
const KEPT: Record<string, true | Record<string, true | Record<string, true>>> = {
  InstanceType: true,
  CurrentGeneration: true,
  BurstablePerformanceSupported: true,
  BareMetal: true,
  Hypervisor: true,
  VCpuInfo: { DefaultVCpus: true },
  MemoryInfo: { SizeInMiB: true },
  ProcessorInfo: { SupportedArchitectures: true },
  NetworkInfo: { MaximumNetworkInterfaces: true, Ipv4AddressesPerInterface: true },
  GpuInfo: { Gpus: { Count: true, Manufacturer: true } },
  InferenceAcceleratorInfo: { Accelerators: { Count: true } },
  NeuronInfo: { NeuronDevices: { Count: true } },
  FpgaInfo: { Fpgas: { Count: true } },
  MediaAcceleratorInfo: { Accelerators: { Count: true } },
};

type Shape = true | { [key: string]: Shape };

/** `value` with only the keys `shape` names; arrays are trimmed item by item. */
function trim(value: unknown, shape: Shape): unknown {
  if (shape === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => trim(item, shape));
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(shape)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = trim(field, sub);
  }
  return out;
}

/** One item a line: small enough to read, and a changed type is a one-line diff. */
function lines(items: readonly unknown[]): string {
  return `[\n${items.map((item) => `    ${JSON.stringify(item)}`).join(',\n')}\n  ]`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { region: { type: 'string', default: DEFAULT_REGION }, out: { type: 'string' } },
  });
  const region = values.region ?? DEFAULT_REGION;
  const out = values.out ?? `shared/controlplane/fixtures/${region}.json`;
  const moto = await startMoto();
  try {
    const client = new EC2Client({ endpoint: moto.endpoint, region, credentials: moto.credentials });
    const types: InstanceTypeInfo[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output: DescribeInstanceTypesCommandOutput = await client.send(
        new DescribeInstanceTypesCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }),
      );
      types.push(...(output.InstanceTypes ?? []));
      token = output.NextToken || undefined;
      if (!token) break;
    }
    const offerings: InstanceTypeOffering[] = [];
    token = undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output: DescribeInstanceTypeOfferingsCommandOutput = await client.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone',
          MaxResults: 1000,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      offerings.push(...(output.InstanceTypeOfferings ?? []));
      token = output.NextToken || undefined;
      if (!token) break;
    }
    const byName = (a?: string, b?: string) => (a ?? '').localeCompare(b ?? '');
    types.sort((a, b) => byName(a.InstanceType, b.InstanceType));
    offerings.sort((a, b) => byName(a.InstanceType, b.InstanceType) || byName(a.Location, b.Location));
    const trimmedTypes = types.map((type) => trim(type, KEPT));
    // LocationType is availability-zone in every one of them, as asked.
    const trimmedOfferings = offerings.map((o) => ({ InstanceType: o.InstanceType, Location: o.Location }));
    const header = {
      source:
        `moto ${MOTO_VERSION} (moto_server, which ships AWS's instance-type data): DescribeInstanceTypes ` +
        '(all pages, no filter) and DescribeInstanceTypeOfferings (LocationType availability-zone, all ' +
        'pages), trimmed to the fields the EC2 adapter maps, by test/peers/scripts/record-instance-types.ts',
      region,
      recordedAt: new Date().toISOString().slice(0, 10),
    };
    const text = [
      '{',
      ...Object.entries(header).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`),
      `  "InstanceTypes": ${lines(trimmedTypes)},`,
      `  "InstanceTypeOfferings": ${lines(trimmedOfferings)}`,
      '}',
      '',
    ].join('\n');
    await writeFile(out, text);
    console.log(`${out}: ${types.length} instance types, ${offerings.length} offerings in ${region}`);
  } finally {
    await moto.stop();
  }
}

await main();
