/**
 * The simulator's kube-scheduler: filters nodes (Ready, schedulable, taints tolerated, node selector,
 * room for the pod's requests and pod count) and scores the survivors. `LeastAllocated` is
 * kube-scheduler's default spreading; `MostAllocated` packs nodes, as clusters that scale nodes down
 * often configure it.
 */
import type { Node } from '../ports/kubernetes';
import type { Toleration } from './workload';

export type SchedulingPolicy = 'LeastAllocated' | 'MostAllocated';

/** What the scheduler needs of a node; the cluster keeps the used amounts up to date. */
export interface SchedulableNode {
  readonly name: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: Node['taints'];
  readonly allocatableCpuMillis: number;
  readonly allocatableMemoryBytes: number;
  readonly maxPods: number;
  usedCpuMillis: number;
  usedMemoryBytes: number;
  usedPods: number;
}

export interface PodRequirements {
  cpuMillis: number;
  memoryBytes: number;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly Toleration[];
}

function tolerates(tolerations: readonly Toleration[] | undefined, taint: Node['taints'][number]): boolean {
  return (tolerations ?? []).some((toleration) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.key === undefined) return toleration.operator === 'Exists';
    if (toleration.key !== taint.key) return false;
    return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
  });
}

/** Whether `pod` may run on `node` now. */
export function fits(node: SchedulableNode, pod: PodRequirements): boolean {
  if (!node.ready || node.unschedulable) return false;
  if (node.usedPods + 1 > node.maxPods) return false;
  if (node.usedCpuMillis + pod.cpuMillis > node.allocatableCpuMillis) return false;
  if (node.usedMemoryBytes + pod.memoryBytes > node.allocatableMemoryBytes) return false;
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    if (node.labels[key] !== value) return false;
  }
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule' && !tolerates(pod.tolerations, taint)) return false;
  }
  return true;
}

/** Share of the node left free after placing the pod, averaged over CPU and memory. */
function freeShareAfter(node: SchedulableNode, pod: PodRequirements): number {
  const cpu = (node.allocatableCpuMillis - node.usedCpuMillis - pod.cpuMillis) / node.allocatableCpuMillis;
  const memory =
    (node.allocatableMemoryBytes - node.usedMemoryBytes - pod.memoryBytes) / node.allocatableMemoryBytes;
  return (cpu + memory) / 2;
}

/** The node the pod goes to, or undefined when none fits. Ties go to the earlier node in `nodes`. */
export function chooseNode<N extends SchedulableNode>(
  nodes: Iterable<N>,
  pod: PodRequirements,
  policy: SchedulingPolicy,
): N | undefined {
  let best: N | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const node of nodes) {
    if (!fits(node, pod)) continue;
    const free = freeShareAfter(node, pod);
    const score = policy === 'LeastAllocated' ? free : -free;
    if (score > bestScore) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}
