/**
 * The EC2 port on `@aws-sdk/client-ec2`.
 *
 * `describeInstanceTypes` asks `DescribeInstanceTypes` for at most MAX_INSTANCE_TYPES_PER_CALL names a
 * call, one batch after the other, and follows every `NextToken` page of a batch. EC2 rejects a whole
 * call with `InvalidInstanceType` when one name is unknown ("The following supplied instance types do
 * not exist: [m9.huge]"): the named types are dropped and the batch asked again, so the known types
 * still come back; when the message names none of the batch's types, each type is asked alone. Results,
 * unknown types included, are cached for the adapter's lifetime: an instance type's figures never
 * change, and a Lambda container lives far shorter than a new type takes to appear in a region.
 *
 * `listInstanceTypes` pages through the region's whole catalogue with EC2's own filters (architecture,
 * current generation) and `describeInstanceTypeOfferings` through the offerings by zone; neither list is
 * cached, but the types listed fill the per-type cache.
 *
 * IAM: `ec2:DescribeInstanceTypes`, `ec2:DescribeInstanceTypeOfferings` (no resource-level
 * permissions: `Resource: *`).
 */
import {
  type _InstanceType,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Filter,
  type InstanceTypeInfo as SdkInstanceTypeInfo,
  type InstanceTypeOffering as SdkInstanceTypeOffering,
} from '@aws-sdk/client-ec2';
import {
  type Architecture,
  Ec2Error,
  type Ec2Port,
  type InstanceTypeFilter,
  type InstanceTypeInfo,
} from '../../ports/ec2';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** `DescribeInstanceTypes` takes at most 100 names in `InstanceTypes`. */
export const MAX_INSTANCE_TYPES_PER_CALL = 100;
/** Pages followed per batch; more means a loop in the API's tokens, reported as a failure. */
export const MAX_PAGES_PER_BATCH = 20;
/** `DescribeInstanceTypes` returns at most 100 types a page (`MaxResults` 5–100). */
export const INSTANCE_TYPES_PAGE_SIZE = 100;
/** `DescribeInstanceTypeOfferings` returns at most 1,000 offerings a page (`MaxResults` 5–1000). */
export const OFFERINGS_PAGE_SIZE = 1000;
/**
 * Pages followed when listing a region's catalogue or offerings. A region has about 1,000 types and
 * 3,500 zonal offerings (10 and 4 pages); 50 pages leave room for growth, and more means a loop in the
 * API's tokens, reported as a failure.
 */
export const MAX_LIST_PAGES = 50;

/** EC2's code for an unknown name (moto answers `InvalidInstanceType.NotFound`). */
const INVALID_INSTANCE_TYPE = /^InvalidInstanceType(\.NotFound)?$/;
const KNOWN_ARCHITECTURES: readonly Architecture[] = ['x86_64', 'arm64'];

/** The instance types an `InvalidInstanceType` message names in `[a, b]`, or none. */
export function unknownTypesIn(message: string): string[] {
  const list = /\[([^\]]*)\]/.exec(message)?.[1];
  if (list === undefined) return [];
  return list
    .split(',')
    .map((name) => name.trim().replace(/^['"]|['"]$/g, ''))
    .filter((name) => name !== '');
}

/** The domain shape of one `InstanceTypeInfo`; undefined when it lacks the name, vCPUs or memory. */
export function toInstanceTypeInfo(sdk: SdkInstanceTypeInfo): InstanceTypeInfo | undefined {
  const instanceType = sdk.InstanceType;
  const vcpus = sdk.VCpuInfo?.DefaultVCpus;
  const memoryMiB = sdk.MemoryInfo?.SizeInMiB;
  if (!instanceType || vcpus === undefined || memoryMiB === undefined) return undefined;
  const gpuDevices = sdk.GpuInfo?.Gpus ?? [];
  const gpus = gpuDevices.reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0);
  const gpuManufacturer = gpus > 0 ? gpuDevices.find((gpu) => gpu.Manufacturer)?.Manufacturer : undefined;
  const architectures = KNOWN_ARCHITECTURES.filter((arch) =>
    (sdk.ProcessorInfo?.SupportedArchitectures ?? []).includes(arch),
  );
  return {
    instanceType,
    vcpus,
    memoryMiB,
    gpus,
    ...(gpuManufacturer ? { gpuManufacturer } : {}),
    architectures,
    maxNetworkInterfaces: sdk.NetworkInfo?.MaximumNetworkInterfaces ?? 1,
    ipv4AddressesPerInterface: sdk.NetworkInfo?.Ipv4AddressesPerInterface ?? 1,
    ...(sdk.CurrentGeneration !== undefined ? { currentGeneration: sdk.CurrentGeneration } : {}),
    ...(sdk.BurstablePerformanceSupported !== undefined
      ? { burstable: sdk.BurstablePerformanceSupported }
      : {}),
    ...(sdk.BareMetal !== undefined ? { bareMetal: sdk.BareMetal } : {}),
    accelerators: acceleratorsOf(sdk),
    ...(sdk.Hypervisor ? { hypervisor: sdk.Hypervisor } : {}),
  };
}

const countOf = (devices: readonly { Count?: number | undefined }[] | undefined) =>
  (devices ?? []).reduce((sum, device) => sum + (device.Count ?? 0), 0);

/** Accelerators other than GPUs; Inferentia appears both as inference accelerator and Neuron device. */
function acceleratorsOf(sdk: SdkInstanceTypeInfo): number {
  const inference = countOf(sdk.InferenceAcceleratorInfo?.Accelerators);
  const neuron = countOf(sdk.NeuronInfo?.NeuronDevices);
  return (
    Math.max(inference, neuron) +
    countOf(sdk.FpgaInfo?.Fpgas) +
    countOf(sdk.MediaAcceleratorInfo?.Accelerators)
  );
}

/**
 * Instance type → its zones among `zones`, in the order of `zones` (no zones: every zone, sorted), from
 * `DescribeInstanceTypeOfferings` answers by availability zone. Offerings outside `zones` are ignored.
 *
 * @example
 * toOfferings([{ InstanceType: 'm7i.large', Location: 'eu-central-1b' }], ['eu-central-1a', 'eu-central-1b'])
 * // Map { 'm7i.large' => ['eu-central-1b'] }
 */
export function toOfferings(
  offerings: readonly SdkInstanceTypeOffering[],
  zones: readonly string[],
): Map<string, string[]> {
  const wanted = new Map(zones.map((zone, index) => [zone, index]));
  const rank = (zone: string) => wanted.get(zone) ?? 0;
  const result = new Map<string, string[]>();
  for (const offering of offerings) {
    const type = offering.InstanceType;
    const zone = offering.Location;
    if (!type || !zone || (wanted.size > 0 && !wanted.has(zone))) continue;
    const list = result.get(type) ?? [];
    if (!list.includes(zone)) list.push(zone);
    result.set(type, list);
  }
  for (const list of result.values()) {
    list.sort((a, b) => (wanted.size > 0 ? rank(a) - rank(b) : a.localeCompare(b)));
  }
  return result;
}

/** EC2's filters for `listInstanceTypes`. */
export function instanceTypeFilters(filter: InstanceTypeFilter): Filter[] {
  const filters: Filter[] = [];
  if (filter.architecture) {
    filters.push({ Name: 'processor-info.supported-architecture', Values: [filter.architecture] });
  }
  if (filter.currentGenerationOnly) filters.push({ Name: 'current-generation', Values: ['true'] });
  return filters;
}

function toEc2Error(error: unknown, operation = 'DescribeInstanceTypes'): Ec2Error {
  if (error instanceof Ec2Error) return error;
  const message = `${operation}: ${awsErrorMessage(error)}`;
  const reason = isThrottle(error)
    ? 'Throttled'
    : isForbidden(error)
      ? 'Forbidden'
      : isTimeout(error)
        ? 'Timeout'
        : 'Unavailable';
  return new Ec2Error(reason, message, { cause: error });
}

const isInvalidInstanceType = (error: unknown) => INVALID_INSTANCE_TYPE.test(awsErrorName(error));

export class Ec2Adapter implements Ec2Port {
  /** Instance type → its figures, or `null` when EC2 does not know it. */
  private readonly cache = new Map<string, InstanceTypeInfo | null>();

  constructor(private readonly client: EC2Client) {}

  async describeInstanceTypes(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    const missing = [...new Set(types)].filter((type) => type !== '' && !this.cache.has(type));
    for (let i = 0; i < missing.length; i += MAX_INSTANCE_TYPES_PER_CALL) {
      const batch = missing.slice(i, i + MAX_INSTANCE_TYPES_PER_CALL);
      const found = await this.describeBatch(batch);
      for (const type of batch) this.cache.set(type, found.get(type) ?? null);
    }
    const result = new Map<string, InstanceTypeInfo>();
    for (const type of types) {
      const info = this.cache.get(type);
      if (info) result.set(type, info);
    }
    return result;
  }

  async listInstanceTypes(filter: InstanceTypeFilter): Promise<InstanceTypeInfo[]> {
    const filters = instanceTypeFilters(filter);
    const found: InstanceTypeInfo[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const output = await this.client
        .send(
          new DescribeInstanceTypesCommand({
            MaxResults: INSTANCE_TYPES_PAGE_SIZE,
            ...(filters.length > 0 ? { Filters: filters } : {}),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toEc2Error(error);
        });
      for (const sdk of output.InstanceTypes ?? []) {
        const info = toInstanceTypeInfo(sdk);
        if (!info) continue;
        found.push(info);
        this.cache.set(info.instanceType, info);
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) return found;
    }
    throw new Ec2Error('Unavailable', `DescribeInstanceTypes: more than ${MAX_LIST_PAGES} pages`);
  }

  async describeInstanceTypeOfferings(zones: string[]): Promise<Map<string, string[]>> {
    const distinct = [...new Set(zones)].filter((zone) => zone !== '');
    const offerings: SdkInstanceTypeOffering[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const output = await this.client
        .send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            MaxResults: OFFERINGS_PAGE_SIZE,
            ...(distinct.length > 0 ? { Filters: [{ Name: 'location', Values: distinct }] } : {}),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toEc2Error(error, 'DescribeInstanceTypeOfferings');
        });
      offerings.push(...(output.InstanceTypeOfferings ?? []));
      nextToken = output.NextToken || undefined;
      if (!nextToken) return toOfferings(offerings, distinct);
    }
    throw new Ec2Error('Unavailable', `DescribeInstanceTypeOfferings: more than ${MAX_LIST_PAGES} pages`);
  }

  /** The known types of `batch`, dropping the ones EC2 names as unknown. */
  private async describeBatch(batch: string[]): Promise<Map<string, InstanceTypeInfo>> {
    let remaining = batch;
    while (remaining.length > 0) {
      try {
        return await this.describePages(remaining);
      } catch (error) {
        if (!isInvalidInstanceType(error)) throw toEc2Error(error);
        const named = new Set(unknownTypesIn(awsErrorMessage(error)));
        const rest = remaining.filter((type) => !named.has(type));
        if (rest.length === remaining.length) return this.describeOneByOne(remaining);
        remaining = rest;
      }
    }
    return new Map();
  }

  /** Last resort when EC2 does not say which type is unknown: one call per type. */
  private async describeOneByOne(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    const found = new Map<string, InstanceTypeInfo>();
    for (const type of types) {
      try {
        for (const [name, info] of await this.describePages([type])) found.set(name, info);
      } catch (error) {
        if (!isInvalidInstanceType(error)) throw toEc2Error(error);
      }
    }
    return found;
  }

  /** All pages of one `DescribeInstanceTypes` question; SDK errors are thrown as they are. */
  private async describePages(types: string[]): Promise<Map<string, InstanceTypeInfo>> {
    const found = new Map<string, InstanceTypeInfo>();
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_BATCH; page++) {
      const output = await this.client.send(
        new DescribeInstanceTypesCommand({
          InstanceTypes: types as _InstanceType[],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const sdk of output.InstanceTypes ?? []) {
        const info = toInstanceTypeInfo(sdk);
        if (info) found.set(info.instanceType, info);
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) return found;
    }
    throw new Ec2Error('Unavailable', `DescribeInstanceTypes: more than ${MAX_PAGES_PER_BATCH} pages`);
  }
}
