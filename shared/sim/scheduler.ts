/**
 * The simulator's kube-scheduler: filters nodes as kube-scheduler's default plugins do for what simulated
 * pods can declare (Ready and schedulable, room for the requests and the pod count, node selector and
 * required node affinity, taints, the zones of bound volumes, required pod anti-affinity per host) and
 * scores the survivors. `LeastAllocated` is kube-scheduler's default spreading; `MostAllocated` packs
 * nodes, as clusters that scale nodes down often configure it. There is no preemption.
 */
import { HOSTNAME_LABEL, toleratesTaint } from '../nodepools/scheduling';
import { ZONE_LABEL } from '../nodepools/template-node';
import type { PodScheduling, Taint, Toleration } from '../ports/kubernetes';
import {
  newRequirement,
  type Selector,
  type SelectorOperator,
  selectorFromLabelSelector,
  selectorMatches,
} from '../units/label-selector';

export type SchedulingPolicy = 'LeastAllocated' | 'MostAllocated';

export { HOSTNAME_LABEL } from '../nodepools/scheduling';
export { ZONE_LABEL } from '../nodepools/template-node';
/** Nodes of older clusters carry only this form of the zone label. */
export const BETA_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
/** A cordoned node counts as carrying this taint (kube-scheduler's NodeUnschedulable filter). */
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
/** The one node field a node selector term's `matchFields` can name. */
const NODE_NAME_FIELD = 'metadata.name';

/** A required node affinity term, parsed: its label and field selectors are ANDed. */
export interface CompiledNodeSelectorTerm {
  labels: Selector;
  fields?: Selector;
}

/** A required anti-affinity term on the hostname: no pod it selects may share the node. */
export interface AntiAffinityTerm {
  selector: Selector;
  namespaces: ReadonlySet<string>;
}

/** What the scheduler reads of a pod, parsed once when the pod is created. */
export interface PodRequirements {
  cpuMillis: number;
  memoryBytes: number;
  /** Where other pods' anti-affinity terms look for this pod. */
  namespace: string;
  labels: Readonly<Record<string, string>>;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly Toleration[];
  /** ORed; absent: any node. */
  nodeAffinity?: readonly CompiledNodeSelectorTerm[];
  antiAffinity?: readonly AntiAffinityTerm[];
  /** For each volume the pod mounts, the zones it can be attached in (empty: any zone). */
  volumeZones?: readonly (readonly string[])[];
  /** spec.priority: the queue takes higher first. @default 0 */
  priority?: number;
}

/** A pod bound to a node, as far as other pods' placement depends on it. */
export interface ScheduledPod {
  readonly requirements: PodRequirements;
}

/** What the scheduler needs of a node; the cluster keeps the used amounts and bound pods up to date. */
export interface SchedulableNode {
  readonly name: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly allocatableCpuMillis: number;
  readonly allocatableMemoryBytes: number;
  readonly maxPods: number;
  usedCpuMillis: number;
  usedMemoryBytes: number;
  usedPods: number;
  readonly pods: ReadonlySet<ScheduledPod>;
  /** The bound pods that carry anti-affinity terms, which an incoming pod must not match. */
  readonly antiAffinityPods: ReadonlySet<ScheduledPod>;
}

/** The input of `podRequirements`: a pod's identity, its requests and its declared constraints. */
export interface PodRequirementsInput {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  cpuMillis: number;
  memoryBytes: number;
  scheduling?: PodScheduling;
  volumeZones?: readonly (readonly string[])[];
}

const OPERATORS: Record<string, SelectorOperator> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
  Gt: 'GreaterThan',
  Lt: 'LessThan',
};

function compileTerm(
  term: NonNullable<PodScheduling['requiredNodeAffinity']>[number],
): CompiledNodeSelectorTerm {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // As in Kubernetes, a term with no requirement at all matches no node.
  if (expressions.length === 0 && fields.length === 0) {
    return { labels: { requirements: [], matchesNothing: true } };
  }
  const labels: Selector = {
    requirements: expressions.map((r) => {
      const operator = OPERATORS[r.operator];
      if (!operator) throw new Error(`node selector operator ${r.operator} is not supported`);
      return newRequirement(r.key, operator, r.values ?? []);
    }),
  };
  if (fields.length === 0) return { labels };
  return {
    labels,
    fields: {
      requirements: fields.map((r) => {
        if (r.key !== NODE_NAME_FIELD || (r.operator !== 'In' && r.operator !== 'NotIn')) {
          throw new Error(
            `matchFields supports ${NODE_NAME_FIELD} with In or NotIn only, not ${r.key} ${r.operator}`,
          );
        }
        if (r.values?.length !== 1) throw new Error(`matchFields ${r.operator} takes exactly one node name`);
        return newRequirement(r.key, r.operator, r.values);
      }),
    },
  };
}

/**
 * Parses a pod's constraints for the filters. Throws for what the simulator cannot honour: malformed
 * node selector requirements and anti-affinity on any topology other than the hostname.
 *
 * @example
 * podRequirements({ namespace: 'shop', labels: { app: 'db' }, cpuMillis: 500, memoryBytes: 2 ** 30,
 *   scheduling: { requiredPodAntiAffinity: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: HOSTNAME_LABEL }] } });
 */
export function podRequirements(input: PodRequirementsInput): PodRequirements {
  const scheduling = input.scheduling;
  const antiAffinity = scheduling?.requiredPodAntiAffinity?.map((term) => {
    if (term.topologyKey !== HOSTNAME_LABEL) {
      throw new Error(
        `the simulated scheduler supports pod anti-affinity on ${HOSTNAME_LABEL} only, not ${term.topologyKey}`,
      );
    }
    const namespaces = term.namespaces?.length ? term.namespaces : [input.namespace];
    return { selector: selectorFromLabelSelector(term.labelSelector), namespaces: new Set(namespaces) };
  });
  const volumeZones = input.volumeZones?.filter((zones) => zones.length > 0);
  return {
    cpuMillis: input.cpuMillis,
    memoryBytes: input.memoryBytes,
    namespace: input.namespace,
    labels: input.labels,
    ...(scheduling?.nodeSelector ? { nodeSelector: scheduling.nodeSelector } : {}),
    ...(scheduling?.tolerations ? { tolerations: scheduling.tolerations } : {}),
    ...(scheduling?.requiredNodeAffinity
      ? { nodeAffinity: scheduling.requiredNodeAffinity.map(compileTerm) }
      : {}),
    ...(antiAffinity?.length ? { antiAffinity } : {}),
    ...(volumeZones?.length ? { volumeZones } : {}),
    ...(scheduling?.priority !== undefined ? { priority: scheduling.priority } : {}),
  };
}

/** Whether one of the tolerations tolerates the taint (Kubernetes' `ToleratesTaint`). */
export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((toleration) => toleratesTaint(toleration, taint));
}

function matchesTerm(node: SchedulableNode, term: CompiledNodeSelectorTerm): boolean {
  if (!selectorMatches(term.labels, node.labels)) return false;
  return !term.fields || selectorMatches(term.fields, { [NODE_NAME_FIELD]: node.name });
}

/**
 * Whether the node's labels and taints admit the pod: node selector, required node affinity, and no
 * untolerated NoSchedule/NoExecute taint. What the DaemonSet controller checks before it creates a pod
 * for a node; the scheduler checks more (`fits`).
 */
export function admits(node: SchedulableNode, pod: PodRequirements): boolean {
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    if (node.labels[key] !== value) return false;
  }
  if (pod.nodeAffinity && !pod.nodeAffinity.some((term) => matchesTerm(node, term))) return false;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule' && !tolerates(pod.tolerations, taint)) return false;
  }
  return true;
}

/** The node's zone; a node without a zone label cannot attach a zonal volume. */
function zoneOf(node: SchedulableNode): string | undefined {
  return node.labels[ZONE_LABEL] ?? node.labels[BETA_ZONE_LABEL];
}

function selectedBy(terms: readonly AntiAffinityTerm[], pod: PodRequirements): boolean {
  return terms.some(
    (term) => term.namespaces.has(pod.namespace) && selectorMatches(term.selector, pod.labels),
  );
}

/** Required anti-affinity both ways: the pod's terms against the node's pods, and theirs against it. */
function antiAffinityAllows(node: SchedulableNode, pod: PodRequirements): boolean {
  if (pod.antiAffinity) {
    for (const resident of node.pods) if (selectedBy(pod.antiAffinity, resident.requirements)) return false;
  }
  for (const resident of node.antiAffinityPods) {
    if (selectedBy(resident.requirements.antiAffinity ?? [], pod)) return false;
  }
  return true;
}

/** Whether `pod` may run on `node` now. */
export function fits(node: SchedulableNode, pod: PodRequirements): boolean {
  if (!node.ready) return false;
  if (node.unschedulable && !tolerates(pod.tolerations, UNSCHEDULABLE_TAINT)) return false;
  if (node.usedPods + 1 > node.maxPods) return false;
  if (node.usedCpuMillis + pod.cpuMillis > node.allocatableCpuMillis) return false;
  if (node.usedMemoryBytes + pod.memoryBytes > node.allocatableMemoryBytes) return false;
  if (!admits(node, pod)) return false;
  if (pod.volumeZones) {
    const zone = zoneOf(node);
    if (zone === undefined || !pod.volumeZones.every((zones) => zones.includes(zone))) return false;
  }
  return antiAffinityAllows(node, pod);
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
