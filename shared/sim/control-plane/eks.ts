/**
 * Amazon EKS's Provisioned Control Plane in memory, behind the same `EksPort` the real adapter
 * implements: a cluster on a scaling tier; `UpdateClusterConfig` with a new tier starts an update that
 * runs for `updateMinutes` (the cluster `UPDATING`, still on its old tier) and then succeeds (the new
 * tier in force, the cluster `ACTIVE` again). A client request token returns the update it started; a
 * second update while one runs is refused (`ResourceInUseException`); a tier EKS does not know, or the
 * one the cluster is on, is refused as invalid. Fault knob: `failTier(tier)` makes updates to that tier
 * fail (EKS keeps the old tier).
 *
 * Seat capacity per tier (API request concurrency) is what AWS publishes for the provisioned tiers —
 * XL 1,700, 2XL 3,400, 4XL 6,800, 8XL 13,600 seats; `standard` scales by itself in EKS and has no
 * published figure, so the simulator gives it half of XL's. A config's `eks.seatCapacity` overrides.
 */
import type { Clock } from '../../ports/clock';
import { EKS_TIERS, type EksClusterInfo, EksError, type EksPort, type EksUpdate } from '../../ports/eks';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';
import { mix32 } from '../random';

export const EKS_TIER_SEATS: Readonly<Record<string, number>> = Object.freeze({
  standard: 850,
  'tier-xl': 1700,
  'tier-2xl': 3400,
  'tier-4xl': 6800,
  'tier-8xl': 13600,
});

/** How long EKS takes to apply a tier change in the simulator ("a few minutes" in AWS's words). */
export const DEFAULT_TIER_UPDATE_MINUTES = 8;

interface UpdateRecord {
  id: string;
  token: string;
  tier: string;
  createdAt: number;
  endsAt: number;
  status: EksUpdate['status'];
  errors: string[];
}

interface ClusterRecord {
  name: string;
  tier: string;
  updates: UpdateRecord[];
}

type PortMethod = keyof EksPort;

/**
 * @example
 * const eks = new SimEks({ clock });
 * eks.addCluster('prod', 'tier-xl');
 * const update = await eks.updateScalingTier('prod', 'tier-2xl', 'swap-1'); // InProgress
 */
export class SimEks implements EksPort {
  private readonly api = new ApiCallRecorder();
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly failing = new Set<string>();
  private readonly clock: Clock;
  private readonly updateMs: number;
  private counter = 0;

  constructor(options: { clock: Clock; updateMinutes?: number; seed?: number }) {
    this.clock = options.clock;
    this.updateMs = (options.updateMinutes ?? DEFAULT_TIER_UPDATE_MINUTES) * 60_000;
    this.counter = (options.seed ?? 1) * 1000;
  }

  async describeCluster(name: string): Promise<EksClusterInfo> {
    this.api.call('describeCluster', 'DescribeCluster');
    const cluster = this.cluster(name);
    this.sync();
    const running = cluster.updates.some((update) => update.status === 'InProgress');
    return { name, status: running ? 'UPDATING' : 'ACTIVE', tier: cluster.tier };
  }

  async updateScalingTier(name: string, tier: string, clientRequestToken: string): Promise<EksUpdate> {
    this.api.call('updateScalingTier', 'UpdateClusterConfig');
    const cluster = this.cluster(name);
    this.sync();
    const earlier = cluster.updates.find((update) => update.token === clientRequestToken);
    if (earlier) return view(earlier);
    if (!(EKS_TIERS as readonly string[]).includes(tier)) {
      throw new EksError('Invalid', `InvalidParameterException: unknown control plane scaling tier ${tier}`);
    }
    if (cluster.updates.some((update) => update.status === 'InProgress')) {
      throw new EksError(
        'Busy',
        `ResourceInUseException: Cluster ${name} has an update in progress; wait for it to finish`,
      );
    }
    if (tier === cluster.tier) {
      throw new EksError('Invalid', `InvalidParameterException: the cluster is already on tier ${tier}`);
    }
    const now = this.clock.now();
    const n = this.counter++;
    const hex = [0, 1, 2, 3].map((salt) => mix32(n, salt, 41).toString(16).padStart(8, '0')).join('');
    const update: UpdateRecord = {
      id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
      token: clientRequestToken,
      tier,
      createdAt: now,
      endsAt: now + this.updateMs,
      status: 'InProgress',
      errors: [],
    };
    cluster.updates.push(update);
    return view(update);
  }

  async describeUpdate(name: string, updateId: string): Promise<EksUpdate> {
    this.api.call('describeUpdate', 'DescribeUpdate');
    const cluster = this.cluster(name);
    this.sync();
    const update = cluster.updates.find((candidate) => candidate.id === updateId);
    if (!update)
      throw new EksError('NotFound', `ResourceNotFoundException: No update found for ID: ${updateId}`);
    return view(update);
  }

  // ---- the world ---------------------------------------------------------------------------------

  addCluster(name: string, tier: string): void {
    if (this.clusters.has(name)) throw new Error(`EKS cluster ${name} exists`);
    if (!(EKS_TIERS as readonly string[]).includes(tier)) throw new Error(`unknown tier ${tier}`);
    this.clusters.set(name, { name, tier, updates: [] });
  }

  /** Updates to `tier` fail from now on (EKS keeps the old tier). */
  failTier(tier: string): void {
    this.failing.add(tier);
  }

  /** The tier in force now, without counting a call. */
  tierOf(name: string): string {
    this.sync();
    return this.cluster(name).tier;
  }

  /** Finishes the updates due by now. */
  sync(): void {
    const now = this.clock.now();
    for (const cluster of this.clusters.values()) {
      for (const update of cluster.updates) {
        if (update.status !== 'InProgress' || update.endsAt > now) continue;
        if (this.failing.has(update.tier)) {
          update.status = 'Failed';
          update.errors = [
            `InsufficientCapacity: EKS could not provision control plane capacity for ${update.tier}`,
          ];
        } else {
          update.status = 'Successful';
          cluster.tier = update.tier;
        }
      }
    }
  }

  /** When a running update ends (Infinity when none runs). */
  nextEventAt(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const cluster of this.clusters.values()) {
      for (const update of cluster.updates)
        if (update.status === 'InProgress') next = Math.min(next, update.endsAt);
    }
    return next;
  }

  /** Every update started so far, oldest first (for tests and reports). */
  updates(name: string): EksUpdate[] {
    this.sync();
    return this.cluster(name).updates.map(view);
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private cluster(name: string): ClusterRecord {
    const cluster = this.clusters.get(name);
    if (!cluster)
      throw new EksError('NotFound', `ResourceNotFoundException: No cluster found for name: ${name}.`);
    return cluster;
  }
}

function view(update: UpdateRecord): EksUpdate {
  return { id: update.id, status: update.status, createdAt: update.createdAt, errors: [...update.errors] };
}
