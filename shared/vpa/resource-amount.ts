/**
 * Upstream's integer resource amounts (`model/types.go`): CPU in millicores, memory in bytes, always in
 * `[0, MAX_RESOURCE_AMOUNT]`. Every conversion from a float truncates toward zero, and recommendations
 * pass through several conversions (percentile → amount → margin → confidence → minimum), so the
 * truncations are part of the numbers users see and are reproduced exactly.
 */

export type ResourceName = 'cpu' | 'memory';

/** Millicores for `cpu`, bytes for `memory`; a missing key means "not recommended / not set". */
export interface ResourceAmounts {
  cpu?: number;
  memory?: number;
}

export const RESOURCE_NAMES: readonly ResourceName[] = ['cpu', 'memory'];

/** Upstream `MaxResourceAmount`. */
export const MAX_RESOURCE_AMOUNT = 1e14;

/**
 * A float to an amount: truncated, clamped to `[0, MAX_RESOURCE_AMOUNT]`. NaN (0 × ∞ in a confidence
 * multiplier with no history) becomes 0; Go turns it into a huge negative int64 that the per-pod
 * minimum then replaces, so the recommendation ends up the same.
 */
export function resourceAmountFromFloat(amount: number): number {
  if (Number.isNaN(amount) || amount < 0) return 0;
  if (amount > MAX_RESOURCE_AMOUNT) return MAX_RESOURCE_AMOUNT;
  return Math.trunc(amount);
}

/** @example cpuAmountFromCores(0.069946) // 69 */
export function cpuAmountFromCores(cores: number): number {
  return resourceAmountFromFloat(cores * 1000);
}

/** @example coresFromCpuAmount(615) // 0.615 */
export function coresFromCpuAmount(millicores: number): number {
  return millicores / 1000;
}

/** @example memoryAmountFromBytes(69.669) // 69 */
export function memoryAmountFromBytes(bytes: number): number {
  return resourceAmountFromFloat(bytes);
}

/** @example scaleResource(1213, 1.2414) // 1505 */
export function scaleResource(amount: number, factor: number): number {
  return resourceAmountFromFloat(amount * factor);
}
