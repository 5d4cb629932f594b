/**
 * Which pool grows next: cluster-autoscaler's `priority` expander, with its `least-waste` expander
 * breaking ties among the pools of the highest priority. Pure.
 */

/** One pool's answer to "what if you took the pending pods you can?". */
export interface ExpansionOption {
  pool: string;
  /** The pool's priority (higher first). */
  priority: number;
  /** Nodes the option adds. */
  nodes: number;
  /** Pending pods the option places. */
  pods: number;
  /** `wasteOf` the new nodes: lower is better. */
  waste: number;
}

/** Amounts on the new nodes of one option, in the same unit per resource. */
export interface WasteInput {
  allocatableCpu: number;
  requestedCpu: number;
  allocatableMemory: number;
  requestedMemory: number;
}

/**
 * Waste scores that differ by less than this are a tie: the same template and pods give the same score,
 * but sums of floating shares in a different order may differ in the last bits.
 */
export const WASTE_TIE_EPSILON = 1e-9;

/**
 * least-waste's score: the unused share of CPU plus the unused share of memory of the new nodes (0 to 2).
 *
 * @example wasteOf({ allocatableCpu: 4000, requestedCpu: 3000, allocatableMemory: 16, requestedMemory: 8 })
 * // 0.75 (25% CPU + 50% memory unused)
 */
export function wasteOf(input: WasteInput): number {
  const share = (requested: number, allocatable: number) =>
    allocatable > 0 ? Math.max(0, allocatable - requested) / allocatable : 0;
  return (
    share(input.requestedCpu, input.allocatableCpu) + share(input.requestedMemory, input.allocatableMemory)
  );
}

/**
 * The option to carry out: highest priority; among equals the least waste, then the most pods placed,
 * then the pool name (so the same input always gives the same plan). Options that place no pod are
 * never chosen.
 *
 * @example chooseExpansion([{ pool: 'default', priority: 0, ... }, { pool: 'fallback', priority: -10, ... }])
 * // the default pool's option
 */
export function chooseExpansion<T extends ExpansionOption>(options: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const option of options) {
    if (option.pods <= 0) continue;
    if (!best || better(option, best)) best = option;
  }
  return best;
}

function better(a: ExpansionOption, b: ExpansionOption): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (Math.abs(a.waste - b.waste) > WASTE_TIE_EPSILON) return a.waste < b.waste;
  if (a.pods !== b.pods) return a.pods > b.pods;
  return a.pool < b.pool;
}
