/**
 * Pod usage as the simulated metrics.k8s.io serves it, in the units metrics-server writes: CPU in whole
 * nanocores (`"123456789n"`), memory in whole kibibytes (`"524288Ki"`). Parsing quantities is
 * shared/units/quantity.ts's job (`parseMilliNumber` reads these back exactly).
 */

/** As metrics-server reports CPU: whole nanocores. */
export function formatNanocores(millicores: number): string {
  return `${Math.max(0, Math.round(millicores * 1e6))}n`;
}

/** As metrics-server reports memory: whole kibibytes. */
export function formatKibibytes(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}
