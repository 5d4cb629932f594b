/**
 * Elastic Load Balancing v2, as the control-plane swap sees it: the API load balancer's target groups,
 * whose health says whether a new API server takes traffic, and whose deregistration lets an old one
 * finish its requests before it goes. Domain shapes, not SDK shapes.
 */

/** `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable` (ELBv2's TargetHealth.State). */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealth {
  /** The instance ID (instance targets) or IP address (ip targets). */
  targetId: string;
  port?: number;
  state: TargetState;
  /** ELBv2's reason code when not healthy, e.g. `Target.FailedHealthChecks`, `Target.DeregistrationInProgress`. */
  reason?: string;
}

export type LoadBalancingErrorReason =
  | 'Throttled'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable'
  | 'NotFound'
  | 'Invalid';

export class LoadBalancingError extends Error {
  override readonly name = 'LoadBalancingError';
  constructor(
    readonly reason: LoadBalancingErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LoadBalancingPort {
  /**
   * Health of every registered target of the group (`DescribeTargetHealth`). A target that was
   * deregistered and is gone is absent. Throws `LoadBalancingError` (`NotFound` for an unknown group).
   */
  describeTargetHealth(targetGroupArn: string): Promise<TargetHealth[]>;
  /**
   * Deregisters instance targets (`DeregisterTargets`); idempotent (a target not registered is no error).
   * Throws `LoadBalancingError`.
   */
  deregisterTargets(targetGroupArn: string, instanceIds: string[]): Promise<void>;
  /** The group's `deregistration_delay.timeout_seconds` (ELBv2 default 300). Throws `LoadBalancingError`. */
  deregistrationDelaySeconds(targetGroupArn: string): Promise<number>;
}
