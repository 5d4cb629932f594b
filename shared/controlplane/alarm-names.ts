/**
 * The names of the alarms the stack creates for a cluster's control plane, shared by the stack (which
 * creates them) and the loop (which reads their state every tick), so the two never disagree.
 */
import type { ControlPlaneConfig } from '../config/control-plane';

export interface ControlPlaneAlarmNames {
  /** Any of these in ALARM is a reason to go up. */
  high: string[];
  /** All of these in ALARM (and none of `high`) is a reason to go down. */
  low: string[];
}

/**
 * @example controlPlaneAlarmNames('prod-1', config)
 * // { high: ['tideplane-prod-1-control-plane-load-high', 'tideplane-prod-1-control-plane-latency-high'],
 * //   low: ['tideplane-prod-1-control-plane-load-low'] }
 */
export function controlPlaneAlarmNames(
  cluster: string,
  config: Pick<ControlPlaneConfig, 'latency'>,
): ControlPlaneAlarmNames {
  const prefix = `tideplane-${cluster}-control-plane`;
  const high = [`${prefix}-load-high`];
  // A Prometheus latency is queried by the loop itself; only a CloudWatch one gets an alarm.
  if (config.latency?.cloudwatch) high.push(`${prefix}-latency-high`);
  return { high, low: [`${prefix}-load-low`] };
}
