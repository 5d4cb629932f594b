/**
 * Amazon EKS, as the control-plane loop sees it for an EKS cluster: its Provisioned Control Plane
 * scaling tier, and an update of it followed until it is active. Domain shapes, not SDK shapes.
 */

/** EKS's control-plane scaling tiers, smallest first (`standard` is EKS's own autoscaling mode). */
export const EKS_TIERS = ['standard', 'tier-xl', 'tier-2xl', 'tier-4xl', 'tier-8xl'] as const;
export type EksTier = (typeof EKS_TIERS)[number];

export interface EksClusterInfo {
  name: string;
  /** `CREATING`, `ACTIVE`, `UPDATING`, ... */
  status: string;
  /** `controlPlaneScalingConfig.tier`; `standard` when EKS reports none. */
  tier: string;
}

/** `InProgress`, `Failed`, `Cancelled`, `Successful` (EKS's Update.status). */
export type EksUpdateStatus = 'InProgress' | 'Failed' | 'Cancelled' | 'Successful';

export interface EksUpdate {
  id: string;
  status: EksUpdateStatus;
  /** Epoch ms. */
  createdAt?: number;
  /** `errorCode: errorMessage` of each error EKS reports. */
  errors: string[];
}

export type EksErrorReason =
  | 'Throttled'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable'
  | 'NotFound'
  | 'Invalid'
  /** `ResourceInUseException`: another update is running on the cluster; retry later. */
  | 'Busy';

export class EksError extends Error {
  override readonly name = 'EksError';
  constructor(
    readonly reason: EksErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EksPort {
  /** `DescribeCluster`. Throws `EksError` (`NotFound` for an unknown cluster). */
  describeCluster(name: string): Promise<EksClusterInfo>;
  /**
   * `UpdateClusterConfig` with `controlPlaneScalingConfig: { tier }`; `clientRequestToken` makes a retry
   * return the same update. Returns the update. Throws `EksError` (`Busy` while another update runs,
   * `Invalid` for a tier the cluster cannot take).
   */
  updateScalingTier(name: string, tier: string, clientRequestToken: string): Promise<EksUpdate>;
  /** `DescribeUpdate`. Throws `EksError` (`NotFound` for an unknown update). */
  describeUpdate(name: string, updateId: string): Promise<EksUpdate>;
}
