/**
 * PodDisruptionBudgets in the simulated cluster: what a scenario or test declares, and the arithmetic
 * of kube-controller-manager's disruption controller that turns a budget and the pods it selects into
 * the status the Eviction API checks.
 */
import type { LabelSelector } from '../ports/autoscaling-v2';

/** An integer, or a percentage string like `"50%"`, as `intstr.IntOrString` holds it. */
export type IntOrPercent = number | string;

/** How a budget treats pods that run but are not Ready (policy/v1 `unhealthyPodEvictionPolicy`). */
export type UnhealthyPodEvictionPolicy = 'IfHealthyBudget' | 'AlwaysAllow';

/** The budget fields a workload declares for its own pods. */
export interface WorkloadDisruptionBudget {
  /** Set this or `maxUnavailable` (never both: the API server rejects that). */
  minAvailable?: IntOrPercent;
  maxUnavailable?: IntOrPercent;
  /** @default 'IfHealthyBudget' */
  unhealthyPodEvictionPolicy?: UnhealthyPodEvictionPolicy;
}

/** A PodDisruptionBudget as `SimCluster.addPodDisruptionBudget` takes it. */
export interface DisruptionBudgetSpec extends WorkloadDisruptionBudget {
  namespace: string;
  name: string;
  /** Absent selects no pod; `{}` selects every pod of the namespace (policy/v1). */
  selector?: LabelSelector;
}

/** What the disruption controller writes to a budget's status. */
export interface DisruptionBudgetStatus {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

/** What the disruption controller counts of the pods a budget selects. */
export interface BudgetPodCounts {
  /** Every selected pod that exists, terminating ones included. */
  pods: number;
  /** Selected pods that are Ready and not terminating. */
  healthy: number;
  /** The summed scale of the selected pods' controllers (for percentages and `maxUnavailable`). */
  controllerScale: number;
}

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an integer as is, a percentage of `total`, rounded up or
 * down. Throws for a string that is not a percentage.
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * The status the disruption controller computes (`getExpectedPodCount`, `updatePdbStatus`): an integer
 * `minAvailable` counts the selected pods as expected, a percentage or `maxUnavailable` the scale of
 * their controllers; a budget that expects no pods, or names neither bound, allows nothing.
 *
 * @example
 * budgetStatus({ minAvailable: 2 }, { pods: 3, healthy: 3, controllerScale: 3 }).disruptionsAllowed // 1
 */
export function budgetStatus(
  budget: WorkloadDisruptionBudget,
  counts: BudgetPodCounts,
): DisruptionBudgetStatus {
  let expectedPods = 0;
  let desiredHealthy = 0;
  if (budget.maxUnavailable !== undefined) {
    expectedPods = counts.controllerScale;
    desiredHealthy = Math.max(0, expectedPods - scaledValue(budget.maxUnavailable, expectedPods, true));
  } else if (budget.minAvailable !== undefined) {
    expectedPods = typeof budget.minAvailable === 'number' ? counts.pods : counts.controllerScale;
    desiredHealthy = scaledValue(budget.minAvailable, expectedPods, true);
  }
  const allowed = counts.healthy - desiredHealthy;
  return {
    expectedPods,
    currentHealthy: counts.healthy,
    desiredHealthy,
    disruptionsAllowed: expectedPods <= 0 || allowed <= 0 ? 0 : allowed,
  };
}

/** Throws for a budget the API server would reject. */
export function validateBudget(budget: DisruptionBudgetSpec): void {
  const what = `PodDisruptionBudget ${budget.namespace}/${budget.name}`;
  if (budget.minAvailable !== undefined && budget.maxUnavailable !== undefined) {
    throw new Error(`${what}: minAvailable and maxUnavailable cannot be both set`);
  }
  for (const value of [budget.minAvailable, budget.maxUnavailable]) {
    if (value === undefined) continue;
    const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
    const valid =
      typeof value === 'number'
        ? Number.isInteger(value) && value >= 0
        : percent && Number(percent[1]) <= 100;
    if (!valid) {
      throw new Error(
        `${what}: ${JSON.stringify(value)} is not a non-negative integer or a percentage up to 100%`,
      );
    }
  }
}
