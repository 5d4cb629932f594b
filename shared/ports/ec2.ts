/**
 * EC2, as the node-pool loops see it: what an instance type offers, so a pool can be planned from a
 * template node also when it has no nodes. Domain shapes, not SDK shapes; the simulator implements it.
 */

/** The CPU architectures a Kubernetes node can run (`kubernetes.io/arch`); Mac types are left out. */
export type Architecture = 'x86_64' | 'arm64';

export interface InstanceTypeInfo {
  /** `m5.large`. */
  instanceType: string;
  /** Default vCPUs (`VCpuInfo.DefaultVCpus`). */
  vcpus: number;
  /** Memory of the instance in MiB (`MemoryInfo.SizeInMiB`), before the OS and kubelet take theirs. */
  memoryMiB: number;
  /** GPUs, summed over the GPU devices (`GpuInfo.Gpus[].Count`); 0 without GPUs. */
  gpus: number;
  /** Manufacturer of the GPUs (`NVIDIA`, `AMD`, ...) when there are GPUs. */
  gpuManufacturer?: string;
  /** Architectures the type supports, restricted to the ones Kubernetes nodes use. */
  architectures: Architecture[];
  /** Network interfaces an instance can attach (`NetworkInfo.MaximumNetworkInterfaces`). */
  maxNetworkInterfaces: number;
  /** Private IPv4 addresses per interface, the primary one included. */
  ipv4AddressesPerInterface: number;
}

export type Ec2ErrorReason = 'Throttled' | 'Forbidden' | 'Timeout' | 'Unavailable';

/** A call to EC2 that failed as a whole; the loop reports it and tries again next tick. */
export class Ec2Error extends Error {
  override readonly name = 'Ec2Error';
  constructor(
    readonly reason: Ec2ErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Ec2Port {
  /**
   * The instance types by name. Types EC2 does not know (a typo, or not offered in the region) are
   * absent from the map, not an error, so one bad type in a pool never hides the others. Any number of
   * types: batched and paginated internally. Read-only and idempotent; implementations may cache, since
   * an instance type's figures never change. Throws `Ec2Error` when EC2 cannot be asked (throttling is
   * retried by the SDK first, then reported with reason `Throttled`); callers retry on the next tick.
   */
  describeInstanceTypes(types: string[]): Promise<Map<string, InstanceTypeInfo>>;
}
