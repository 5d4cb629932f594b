/**
 * Fallback must not be forever: when a fallback node's pods would fit new nodes of a preferred pool (a due
 * rebalance hint of the scale-down plan), the preferred pool grows for them, and the scale-down then
 * drains the fallback node onto the new nodes. Pure: the scale-up's own planner decides how many nodes,
 * with the pods as if they were pending and their fallback nodes closed to them.
 *
 * One preferred pool per tick, so the cluster-wide limits of one plan hold; the others follow next tick.
 * Every other pool is held still, but their nodes still count against the limits.
 */
import type { DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod } from '../ports/kubernetes';
import { type NodePool, podKey, type ScaleUpLimits } from './pool';
import type { RebalanceHint } from './scale-down';
import { planScaleUp, type ScaleUpPlan } from './scale-up';

export interface RebalanceInput {
  hints: readonly RebalanceHint[];
  nodes: Node[];
  pods: Pod[];
  daemonSets: DaemonSet[];
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  pools: NodePool[];
  limits: ScaleUpLimits;
}

export interface RebalancePlan extends ScaleUpPlan {
  /** The pool that grows (undefined when no hint is due). */
  preferredPool?: string;
  /** The fallback nodes it grows for. */
  nodes: string[];
}

const HELD_STILL = 'held still: the rebalance grows only its preferred pool';

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Plans the growth of the preferred pool of the due hints (the highest-priority one first).
 *
 * @example
 * const plan = planRebalance({ hints: scaleDown.rebalance, nodes, pods, daemonSets, claims, volumes,
 *   pools, limits });
 * // plan.preferredPool: 'default'; plan.increases: [{ asgName: 'default-a', from: 3, to: 4, ... }]
 */
export function planRebalance(input: RebalanceInput): RebalancePlan {
  const priorityOf = new Map(input.pools.map((pool) => [pool.name, pool.priority]));
  const due = input.hints.filter((hint) => hint.due && priorityOf.has(hint.preferredPool));
  const nothing: RebalancePlan = {
    increases: [],
    fitsExisting: [],
    fitsUpcoming: [],
    unplaceable: [],
    limitsReached: [],
    nodes: [],
  };
  if (due.length === 0) return nothing;
  const preferred = [...new Set(due.map((hint) => hint.preferredPool))].sort(
    (a, b) => (priorityOf.get(b) as number) - (priorityOf.get(a) as number) || compare(a, b),
  )[0] as string;
  const hints = due.filter((hint) => hint.preferredPool === preferred);
  const leaving = new Set(hints.map((hint) => hint.node));
  const moving = new Set(hints.flatMap((hint) => hint.pods));

  const pendingPods = input.pods
    .filter((pod) => pod.nodeName !== undefined && leaving.has(pod.nodeName) && moving.has(podKey(pod)))
    .map(({ nodeName: _leaving, ...pod }): Pod => ({ ...pod, phase: 'Pending' }));
  // The fallback nodes stay in the count (they run until drained) but offer their pods no room.
  const nodes = input.nodes.map((node) => (leaving.has(node.name) ? { ...node, unschedulable: true } : node));
  const pools = input.pools.map((pool) =>
    pool.name === preferred
      ? pool
      : { ...pool, groups: pool.groups.map((group) => ({ ...group, blocked: group.blocked ?? HELD_STILL })) },
  );
  const plan = planScaleUp({
    pendingPods,
    nodes,
    pods: input.pods,
    daemonSets: input.daemonSets,
    claims: input.claims,
    volumes: input.volumes,
    pools,
    limits: input.limits,
  });
  return { ...plan, preferredPool: preferred, nodes: [...leaving].sort(compare) };
}
