/**
 * The EC2 port over a recording of a region's instance-type catalogue and offerings
 * (`shared/controlplane/fixtures/<region>.json`, written by test/peers/scripts/record-instance-types.ts
 * from moto's copy of AWS's data): `tideplane control-plane ladder --offline` and the ladder's tests read
 * real data without credentials. The answers are in the SDK's shape and go through the EC2 adapter's
 * own mapping, so offline and live ladders are built from the same domain types.
 */
import { readFile } from 'node:fs/promises';
import type {
  InstanceTypeInfo as SdkInstanceTypeInfo,
  InstanceTypeOffering as SdkInstanceTypeOffering,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { toInstanceTypeInfo, toOfferings } from '../adapters/aws/ec2';
import type { Ec2Port, InstanceTypeFilter, InstanceTypeInfo } from '../ports/ec2';

/** Regions with a recording in shared/controlplane/fixtures. */
export const RECORDED_REGIONS: readonly string[] = ['eu-central-1'];

const recordingSchema = z.object({
  source: z.string(),
  region: z.string(),
  recordedAt: z.string(),
  InstanceTypes: z.array(z.looseObject({ InstanceType: z.string() })),
  InstanceTypeOfferings: z.array(z.looseObject({ InstanceType: z.string(), Location: z.string() })),
});

export interface InstanceTypeRecording {
  /** Where the data comes from and how it was recorded. */
  source: string;
  region: string;
  /** `YYYY-MM-DD`. */
  recordedAt: string;
  InstanceTypes: SdkInstanceTypeInfo[];
  InstanceTypeOfferings: SdkInstanceTypeOffering[];
}

/** Reads and checks the recording of `region`; throws for a region without one. */
export async function loadRecording(region: string): Promise<InstanceTypeRecording> {
  if (!RECORDED_REGIONS.includes(region)) {
    throw new Error(`no recorded instance types for ${region}; recorded: ${RECORDED_REGIONS.join(', ')}`);
  }
  const url = new URL(`../controlplane/fixtures/${region}.json`, import.meta.url);
  const parsed = recordingSchema.safeParse(JSON.parse(await readFile(url, 'utf8')));
  if (!parsed.success)
    throw new Error(`${url.pathname}: not an instance-type recording: ${parsed.error.message}`);
  return parsed.data as unknown as InstanceTypeRecording;
}

/**
 * @example
 * const ec2 = new RecordedEc2(await loadRecording('eu-central-1'));
 * const types = await ec2.listInstanceTypes({ architecture: 'arm64', currentGenerationOnly: true });
 */
export class RecordedEc2 implements Ec2Port {
  private readonly types: InstanceTypeInfo[];

  constructor(private readonly recording: InstanceTypeRecording) {
    this.types = recording.InstanceTypes.map(toInstanceTypeInfo).filter(
      (info): info is InstanceTypeInfo => info !== undefined,
    );
  }

  async describeInstanceTypes(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    const wanted = new Set(types);
    return new Map(
      this.types.filter((info) => wanted.has(info.instanceType)).map((info) => [info.instanceType, info]),
    );
  }

  /** EC2's filters, applied as EC2 applies them. */
  async listInstanceTypes(filter: InstanceTypeFilter): Promise<InstanceTypeInfo[]> {
    const architecture = filter.architecture;
    return this.types.filter(
      (info) =>
        (!architecture || info.architectures.includes(architecture)) &&
        (!filter.currentGenerationOnly || info.currentGeneration === true),
    );
  }

  async describeInstanceTypeOfferings(zones: string[]): Promise<Map<string, string[]>> {
    return toOfferings(this.recording.InstanceTypeOfferings, [...new Set(zones)]);
  }
}
