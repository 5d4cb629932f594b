/**
 * EC2's instance type catalogue, as the loops see it: what an instance type offers, so a node pool can be
 * planned from a template node also when it has no nodes, and which types of the region (and where) the
 * control plane's ladder may climb. Domain shapes, not SDK shapes; the simulator implements it.
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
  // The flags below are optional so that hand-written tables (the simulator's, tests') need not state
  // them: absent means "not known to be", and nothing is filtered out on a guess.
  /** `CurrentGeneration`: false for types AWS lists as previous generation. */
  currentGeneration?: boolean;
  /** `BurstablePerformanceSupported`: CPU credits (T types) rather than a sustained baseline. */
  burstable?: boolean;
  /** `BareMetal`: the whole host, no hypervisor. */
  bareMetal?: boolean;
  /**
   * Accelerators other than GPUs: inference accelerators, FPGAs, media accelerators and Neuron devices
   * (`InferenceAcceleratorInfo`, `FpgaInfo`, `MediaAcceleratorInfo`, `NeuronInfo`), counted; EC2 lists an
   * Inferentia chip both as an inference accelerator and as a Neuron device, so it counts once.
   */
  accelerators?: number;
  /** `nitro` or `xen`; absent for bare metal. */
  hypervisor?: string;
}

/** What `listInstanceTypes` asks EC2 to leave out (EC2's own filters, so fewer pages come back). */
export interface InstanceTypeFilter {
  /** Only types that support this architecture. */
  architecture?: Architecture;
  /** Only current-generation types. */
  currentGenerationOnly?: boolean;
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

  /**
   * Every instance type of the region that passes `filter` (`DescribeInstanceTypes` with EC2's filters,
   * all pages), in EC2's order. Types EC2 describes without a name, vCPUs or memory are left out.
   * Read-only and idempotent; the list itself is not cached (a new type may appear in a region), the
   * types in it are. Throws `Ec2Error` as `describeInstanceTypes` does; callers retry on the next tick.
   */
  listInstanceTypes(filter: InstanceTypeFilter): Promise<InstanceTypeInfo[]>;

  /**
   * Instance type → the zones of `zones` where EC2 offers it (`DescribeInstanceTypeOfferings` by
   * availability zone name, all pages). A type offered in none of them is absent. No zones means every
   * zone of the region. Zone lists keep the order of `zones` (for no zones: sorted by name). Read-only,
   * idempotent, not cached: offerings change as AWS adds capacity. Throws `Ec2Error`; callers retry.
   */
  describeInstanceTypeOfferings(zones: string[]): Promise<Map<string, string[]>>;
}
