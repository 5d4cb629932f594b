/**
 * Kubernetes quantities for the simulator: parse what scenarios and pod specs say ("250m", "1.5", "512Mi")
 * and format what metrics.k8s.io serves (nanocores "123456789n", kibibytes "524288Ki").
 */

const SUFFIX_FACTORS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

function parse(text: string, unit: number): number {
  const match = QUANTITY.exec(text.trim());
  if (!match?.[1]) throw new Error(`malformed quantity ${JSON.stringify(text)}`);
  const factor = (SUFFIX_FACTORS[match[2] ?? ''] ?? 1) / unit;
  // Divide by the inverse of small factors: 30000000n is exactly 30 m, not 30.000000000000004.
  return factor < 1 ? Number(match[1]) / Math.round(1 / factor) : Number(match[1]) * factor;
}

/** The value of a quantity in base units (cores, bytes). Throws on malformed input. */
export function parseQuantity(text: string): number {
  return parse(text, 1);
}

/** CPU in millicores; `undefined` (no such resource) is 0. */
export function cpuMillis(text: string | undefined): number {
  return text === undefined ? 0 : parse(text, 1e-3);
}

/** Memory in bytes; `undefined` (no such resource) is 0. */
export function memoryBytes(text: string | undefined): number {
  return text === undefined ? 0 : parseQuantity(text);
}

/** As metrics-server reports CPU: whole nanocores. */
export function formatNanocores(millicores: number): string {
  return `${Math.max(0, Math.round(millicores * 1e6))}n`;
}

/** As metrics-server reports memory: whole kibibytes. */
export function formatKibibytes(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

/** A CPU request as people write it: `250m`. */
export function formatMillicores(millicores: number): string {
  return `${Math.round(millicores)}m`;
}

/** Memory as people write it: `512Mi`. */
export function formatMebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
