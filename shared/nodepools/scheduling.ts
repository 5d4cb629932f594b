/**
 * kube-scheduler's filters, as the node-pool cores replay them on real and template nodes: a pod's
 * effective requests, the room a node has left, and the predicates (node selector and required node
 * affinity, taints and tolerations, the zones of bound volumes, required pod anti-affinity on the
 * hostname, host ports). Each failing predicate yields a reason in kube-scheduler's wording, so that a
 * plan reads like the scheduler's own `FailedScheduling` events. Pure: no I/O.
 *
 * Amounts are counted as the scheduler counts them: CPU in millicores (`MilliValue()`), every other
 * resource in whole units (`Value()`, bytes for memory and storage), rounded up.
 */

import type { LabelSelector } from '../ports/autoscaling-v2';
import type {
  Container,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodScheduling,
  ResourceList,
  Taint,
  Toleration,
} from '../ports/kubernetes';
import { hasFrozenRequests } from '../units/frozen-containers';
import {
  LabelSelectorError,
  newRequirement,
  type Selector,
  type SelectorOperator,
  selectorFromLabelSelector,
  selectorMatches,
} from '../units/label-selector';
import { parseMilli } from '../units/quantity';
import { ZONE_LABEL } from './template-node';

/** The node's hostname label: the only anti-affinity topology the node-pool cores model. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** The one field a node selector's `matchFields` may name. */
export const NODE_NAME_FIELD = 'metadata.name';

/** kube-scheduler's reasons, word for word (the per-resource and per-taint ones are built below). */
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_VOLUME_ZONE = 'node(s) had volume node affinity conflict';
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_HOST_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** `Insufficient cpu`, `Insufficient nvidia.com/gpu`, ... */
export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

/** `node(s) had untolerated taint {key: value}`. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/**
 * Tolerations the DaemonSet controller adds to every daemon pod, so that daemons also run on nodes
 * that are under pressure or cordoned; template nodes rarely carry these taints, real nodes may.
 */
export const DAEMONSET_DEFAULT_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

// ---------------------------------------------------------------------------------------------------
// Requests

/**
 * Quantities repeat across thousands of pods ("100m", "128Mi"); parsing is exact BigInt arithmetic,
 * so the results are kept. Bounded so that a stream of distinct strings cannot grow it without end.
 */
const MILLI_CACHE_SIZE = 50_000;
const milliCache = new Map<string, number>();

function milliOf(quantity: string): number {
  let milli = milliCache.get(quantity);
  if (milli === undefined) {
    milli = parseMilli(quantity);
    if (milliCache.size >= MILLI_CACHE_SIZE) milliCache.clear();
    milliCache.set(quantity, milli);
  }
  return milli;
}

/**
 * One quantity of `resource` in the scheduler's unit.
 *
 * @example resourceAmount('cpu', '250m') // 250
 * @example resourceAmount('memory', '1Ki') // 1024
 */
export function resourceAmount(resource: string, quantity: string): number {
  const milli = milliOf(quantity);
  return resource === 'cpu' ? milli : Math.ceil(milli / 1000);
}

/** Resource name → amount in the scheduler's unit. */
export type ResourceAmounts = Map<string, number>;

function addInto(target: ResourceAmounts, requests: ResourceList | ReadonlyMap<string, number>): void {
  const entries = requests instanceof Map ? requests.entries() : Object.entries(requests);
  for (const [name, value] of entries) {
    const amount = typeof value === 'number' ? value : resourceAmount(name, value);
    target.set(name, (target.get(name) ?? 0) + amount);
  }
}

function maxInto(target: ResourceAmounts, other: ReadonlyMap<string, number>): void {
  for (const [name, amount] of other) {
    if (amount > (target.get(name) ?? 0)) target.set(name, amount);
  }
}

/**
 * A pod's effective requests, as Kubernetes computes them (`resourcehelper.PodRequests`): app containers
 * and sidecars (init containers with `restartPolicy: Always`) all run together, and each regular init
 * container runs alone next to the sidecars started before it, so per resource the pod needs the larger
 * of the two. Pod overhead is not part of the Pod port.
 *
 * @example
 * podRequests({ containers: [app(500m)], initContainers: [migrate(2), sidecar(100m)] }).get('cpu')
 * // 2000: the migration runs alone (the sidecar starts after it), and 2 > 500m + 100m
 */
export function podRequests(pod: {
  containers: readonly Pick<Container, 'requests'>[];
  initContainers: readonly (Pick<Container, 'requests'> & { restartPolicy?: string })[];
}): ReadonlyMap<string, number> {
  // Pods of one template share their (frozen) container list: their requests are summed once. Only
  // lists checked to be frozen are remembered, and frozen they stay.
  if (pod.initContainers.length === 0) {
    const cached = requestsByContainers.get(pod.containers);
    if (cached) return cached;
  }
  const total = computePodRequests(pod);
  if (pod.initContainers.length === 0 && hasFrozenRequests(pod.containers)) {
    requestsByContainers.set(pod.containers, total);
  }
  return total;
}

/**
 * Requests of container lists that cannot change (frozen down to their requests), by list. The maps
 * are shared between callers, hence read-only.
 */
const requestsByContainers = new WeakMap<object, ReadonlyMap<string, number>>();

function computePodRequests(pod: {
  containers: readonly Pick<Container, 'requests'>[];
  initContainers: readonly (Pick<Container, 'requests'> & { restartPolicy?: string })[];
}): ResourceAmounts {
  const total: ResourceAmounts = new Map();
  for (const container of pod.containers) addInto(total, container.requests);
  const sidecars: ResourceAmounts = new Map();
  const initPeak: ResourceAmounts = new Map();
  for (const init of pod.initContainers) {
    if (init.restartPolicy === 'Always') {
      addInto(total, init.requests);
      addInto(sidecars, init.requests);
      maxInto(initPeak, sidecars);
    } else {
      const running: ResourceAmounts = new Map(sidecars);
      addInto(running, init.requests);
      maxInto(initPeak, running);
    }
  }
  maxInto(total, initPeak);
  return total;
}

/**
 * The resources one plan tracks, in a fixed order, so that requests and room are small arrays: CPU and
 * memory always (least waste reads them), then whatever the pending pods request. Order is the
 * scheduler's: cpu, memory, ephemeral-storage, then the others by name.
 */
export class ResourceIndex {
  readonly names: readonly string[];
  private readonly positions: ReadonlyMap<string, number>;

  private constructor(names: string[]) {
    this.names = names;
    this.positions = new Map(names.map((name, i) => [name, i]));
  }

  /** An index of cpu, memory and `resources` (`pods` is counted apart, never as a resource). */
  static of(resources: Iterable<string>): ResourceIndex {
    const others = new Set(resources);
    const hasStorage = others.has('ephemeral-storage');
    for (const fixed of ['cpu', 'memory', 'ephemeral-storage', 'pods']) others.delete(fixed);
    return new ResourceIndex([
      'cpu',
      'memory',
      ...(hasStorage ? ['ephemeral-storage'] : []),
      ...[...others].sort(),
    ]);
  }

  get size(): number {
    return this.names.length;
  }

  position(resource: string): number | undefined {
    return this.positions.get(resource);
  }

  /** Amounts as an array in index order; resources outside the index are dropped (no pod asks for them). */
  vector(amounts: ReadonlyMap<string, number>): Float64Array {
    const vector = new Float64Array(this.names.length);
    for (const [name, amount] of amounts) {
      const at = this.positions.get(name);
      if (at !== undefined) vector[at] = amount;
    }
    return vector;
  }

  /** A node's allocatable (or capacity) in index order; a resource the node does not list is 0. */
  list(resources: ResourceList): Float64Array {
    const vector = new Float64Array(this.names.length);
    for (let i = 0; i < this.names.length; i++) {
      const quantity = resources[this.names[i] as string];
      if (quantity !== undefined) vector[i] = resourceAmount(this.names[i] as string, quantity);
    }
    return vector;
  }
}

/**
 * An amount for a reason text: cores for CPU, binary units for bytes.
 *
 * @example formatAmount('cpu', 3870) // '3.87'
 * @example formatAmount('memory', 1610612736) // '1.5Gi'
 */
export function formatAmount(resource: string, amount: number): string {
  const trim = (value: number) => String(Number(value.toFixed(2)));
  if (resource === 'cpu') return String(Number((amount / 1000).toFixed(3)));
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) {
    const gi = 1024 ** 3;
    const mi = 1024 ** 2;
    if (Math.abs(amount) >= gi) return `${trim(amount / gi)}Gi`;
    if (Math.abs(amount) >= mi) return `${trim(amount / mi)}Mi`;
    return String(amount);
  }
  return String(amount);
}

// ---------------------------------------------------------------------------------------------------
// Room on a node

/** What a node has left for pods: free amounts in index order, free pod slots, host ports in use. */
export interface NodeRoom {
  free: Float64Array;
  podsLeft: number;
  hostPorts: Set<number>;
}

/** Pods that no longer hold resources (the scheduler's cache drops them). */
export function isTerminal(pod: Pick<Pod, 'phase'>): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

/** An empty node's room: its allocatable, and `allocatable.pods` slots (0 when absent, as the kubelet's). */
export function emptyRoom(allocatable: ResourceList, index: ResourceIndex): NodeRoom {
  const pods = allocatable.pods;
  return {
    free: index.list(allocatable),
    podsLeft: pods === undefined ? 0 : resourceAmount('pods', pods),
    hostPorts: new Set(),
  };
}

/** Takes `count` pods' requests and their host ports from a node's room. */
export function takeRoom(
  room: NodeRoom,
  requests: Float64Array,
  hostPorts: readonly number[],
  count = 1,
): void {
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i] as number;
    if (request !== 0) room.free[i] = (room.free[i] as number) - request * count;
  }
  room.podsLeft -= count;
  for (const port of hostPorts) room.hostPorts.add(port);
}

/**
 * A node's room after the pods bound to it: allocatable minus the effective requests of every pod that
 * is not finished (terminating pods still hold theirs until they are gone).
 */
export function nodeRoom(
  allocatable: ResourceList,
  boundPods: readonly Pod[],
  index: ResourceIndex,
): NodeRoom {
  const room = emptyRoom(allocatable, index);
  for (const pod of boundPods) {
    if (isTerminal(pod)) continue;
    if (pod.initContainers.length === 0) {
      // Most pods have no init containers: their requests are a plain sum, without the maps.
      for (const container of pod.containers) {
        for (const name in container.requests) {
          const at = index.position(name);
          if (at !== undefined) {
            room.free[at] =
              (room.free[at] as number) - resourceAmount(name, container.requests[name] as string);
          }
        }
      }
      room.podsLeft -= 1;
      for (const port of pod.scheduling?.hostPorts ?? []) room.hostPorts.add(port);
    } else {
      takeRoom(room, index.vector(podRequests(pod)), pod.scheduling?.hostPorts ?? []);
    }
  }
  return room;
}

/**
 * How many pods with these requests still fit the room, at most `limit`: 0 when a host port is taken,
 * at most one when the pod binds host ports (a second copy would collide with the first).
 */
export function fitCount(
  room: NodeRoom,
  requests: Float64Array,
  hostPorts: readonly number[],
  limit: number,
): number {
  let count = Math.min(limit, room.podsLeft);
  if (hostPorts.length > 0) {
    for (const port of hostPorts) if (room.hostPorts.has(port)) return 0;
    count = Math.min(count, 1);
  }
  for (let i = 0; i < requests.length && count > 0; i++) {
    const request = requests[i] as number;
    if (request > 0) count = Math.min(count, Math.floor((room.free[i] as number) / request));
  }
  return Math.max(0, count);
}

/**
 * Why one more pod does not fit the room, in the scheduler's words (`Too many pods`, one
 * `Insufficient <resource>` per short resource, host ports); empty when it fits. With `detail`, each
 * shortage says how much is asked for and how much is left, e.g. `Insufficient cpu (needs 9, has 3.87)`.
 */
export function roomFailures(
  room: NodeRoom,
  requests: Float64Array,
  hostPorts: readonly number[],
  index: ResourceIndex,
  detail?: { has: string },
): string[] {
  const failures: string[] = [];
  if (room.podsLeft < 1) failures.push(REASON_TOO_MANY_PODS);
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i] as number;
    const free = room.free[i] as number;
    if (request > 0 && request > free) {
      const name = index.names[i] as string;
      const reason = insufficientReason(name);
      failures.push(
        detail
          ? `${reason} (needs ${formatAmount(name, request)}, ${detail.has} ${formatAmount(name, Math.max(0, free))})`
          : reason,
      );
    }
  }
  if (hostPorts.some((port) => room.hostPorts.has(port))) failures.push(REASON_HOST_PORTS);
  return failures;
}

// ---------------------------------------------------------------------------------------------------
// Taints and tolerations

/**
 * Whether a toleration tolerates a taint (`Toleration.ToleratesTaint`): an empty effect matches every
 * effect, an empty key with `Exists` matches every key, `Exists` ignores the value, `Equal` (the
 * default) compares it.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const key = toleration.key ?? '';
  if (key !== '' && key !== taint.key) return false;
  const operator = toleration.operator ?? 'Equal';
  if (operator === 'Exists') return true;
  if (key === '') return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first `NoSchedule` or `NoExecute` taint no toleration tolerates (`PreferNoSchedule` never blocks). */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!tolerations.some((toleration) => toleratesTaint(toleration, taint))) return taint;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Node selector and required node affinity

/** What the node filters read of a node: a real node or a pool's template. */
export interface NodeView {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
}

const NODE_SELECTOR_OPERATORS: Readonly<Record<NodeSelectorRequirement['operator'], SelectorOperator>> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
  Gt: 'GreaterThan',
  Lt: 'LessThan',
};

/** A node selector term, checked once: a malformed one matches no node, as upstream skips it. */
export interface CompiledTerm {
  labels: Selector;
  fields: NodeSelectorRequirement[];
  valid: boolean;
}

function compileTerm(term: NodeSelectorTerm): CompiledTerm {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // An empty term selects nothing (upstream: "a null or empty node selector term matches no objects").
  if (expressions.length === 0 && fields.length === 0) {
    return { labels: { requirements: [] }, fields, valid: false };
  }
  const fieldsValid = fields.every(
    (field) =>
      field.key === NODE_NAME_FIELD &&
      (field.operator === 'In' || field.operator === 'NotIn') &&
      field.values?.length === 1,
  );
  try {
    const requirements = expressions.map((expression) =>
      newRequirement(expression.key, NODE_SELECTOR_OPERATORS[expression.operator], expression.values ?? []),
    );
    return { labels: { requirements }, fields, valid: fieldsValid };
  } catch (error) {
    if (error instanceof LabelSelectorError) return { labels: { requirements: [] }, fields, valid: false };
    throw error;
  }
}

function termMatches(term: CompiledTerm, node: NodeView): boolean {
  if (!term.valid) return false;
  for (const field of term.fields) {
    const named = field.values?.[0] === node.name;
    if (field.operator === 'In' ? !named : named) return false;
  }
  return selectorMatches(term.labels, node.labels);
}

/**
 * Whether a node selector term matches a node (requirements ANDed; `matchFields` on `metadata.name`).
 *
 * @example nodeSelectorTermMatches({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, node)
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: NodeView): boolean {
  return termMatches(compileTerm(term), node);
}

// ---------------------------------------------------------------------------------------------------
// Volumes

/** The zones a pod's bound volumes allow (undefined: no constraint), or why the pod cannot be placed. */
export type VolumeZones = { zones?: ReadonlySet<string> } | { error: string };

/**
 * The zones a pod may run in because of its volumes: a claim bound to a volume with zones pins the pod
 * to those zones (several volumes: the zones all of them allow). An unbound claim (WaitForFirstConsumer,
 * or not provisioned yet) pins nothing. A missing claim, a lost one, or one bound to a volume that does
 * not exist makes the pod unplaceable, as it does for the scheduler.
 */
export function volumeZones(
  pod: Pick<Pod, 'namespace' | 'scheduling'>,
  claims: ReadonlyMap<string, PersistentVolumeClaim>,
  volumes: ReadonlyMap<string, PersistentVolume>,
): VolumeZones {
  let zones: Set<string> | undefined;
  for (const claimName of pod.scheduling?.persistentVolumeClaims ?? []) {
    const claim = claims.get(`${pod.namespace}/${claimName}`);
    if (!claim) return { error: `persistentvolumeclaim "${claimName}" not found` };
    if (claim.phase === 'Lost') return { error: `persistentvolumeclaim "${claimName}" is lost` };
    if (claim.volumeName === undefined) continue;
    const volume = volumes.get(claim.volumeName);
    if (!volume) {
      return {
        error: `persistentvolumeclaim "${claimName}" bound to non-existent persistentvolume "${claim.volumeName}"`,
      };
    }
    if (volume.zones.length === 0) continue;
    zones = zones ? new Set(volume.zones.filter((zone) => zones?.has(zone))) : new Set(volume.zones);
  }
  return zones ? { zones } : {};
}

// ---------------------------------------------------------------------------------------------------
// The static filters of one pod (everything but room and other pods)

/** A pod's node constraints, compiled once and checked against many nodes. */
export interface NodeConstraints {
  nodeSelector: readonly [string, string][];
  /** Required node affinity terms (ORed); undefined when the pod has none. */
  affinity?: readonly CompiledTerm[];
  tolerations: readonly Toleration[];
  /** Zones the pod's bound volumes allow; undefined when they allow any. */
  volumeZones?: ReadonlySet<string>;
  /**
   * The constraints read the node's name or hostname, so nodes that differ only there must be checked
   * one by one (otherwise a result holds for every node with the same labels and taints).
   */
  nodeSpecific: boolean;
}

/**
 * Compiles what the node filters read of a pod (DaemonSet pod templates too).
 *
 * An empty `requiredNodeAffinity` list counts as none, since the port leaves absent fields out.
 */
export function nodeConstraints(
  scheduling: PodScheduling | undefined,
  zones?: ReadonlySet<string>,
  extraTolerations: readonly Toleration[] = [],
): NodeConstraints {
  const nodeSelector = Object.entries(scheduling?.nodeSelector ?? {});
  const terms = scheduling?.requiredNodeAffinity ?? [];
  const nodeSpecific =
    nodeSelector.some(([key]) => key === HOSTNAME_LABEL) ||
    terms.some(
      (term) =>
        (term.matchFields?.length ?? 0) > 0 ||
        (term.matchExpressions ?? []).some((expression) => expression.key === HOSTNAME_LABEL),
    );
  return {
    nodeSelector,
    ...(terms.length > 0 ? { affinity: terms.map(compileTerm) } : {}),
    tolerations: [...(scheduling?.tolerations ?? []), ...extraTolerations],
    ...(zones ? { volumeZones: zones } : {}),
    nodeSpecific,
  };
}

/**
 * The first filter a node fails for these constraints, in the scheduler's order (taints, node
 * affinity and selector, volume zones), or undefined when the node passes them all.
 */
export function nodeFilterFailure(constraints: NodeConstraints, node: NodeView): string | undefined {
  const taint = untoleratedTaint(node.taints, constraints.tolerations);
  if (taint) return untoleratedTaintReason(taint);
  for (const [key, value] of constraints.nodeSelector) {
    if (node.labels[key] !== value) return REASON_NODE_AFFINITY;
  }
  if (constraints.affinity && !constraints.affinity.some((term) => termMatches(term, node))) {
    return REASON_NODE_AFFINITY;
  }
  if (constraints.volumeZones) {
    const zone = node.labels[ZONE_LABEL];
    if (zone === undefined || !constraints.volumeZones.has(zone)) return REASON_VOLUME_ZONE;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Required pod anti-affinity on the hostname

/** A required anti-affinity term: no pod in `namespaces` whose labels match may share the node. */
export interface AntiAffinityTerm {
  namespaces: ReadonlySet<string>;
  selector: Selector;
}

/** A pod as the anti-affinity filter sees it: where it is, its labels, and its own terms. */
export interface AntiAffinityParty {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  terms: readonly AntiAffinityTerm[];
}

function selectorOf(selector: LabelSelector | undefined): Selector {
  try {
    return selectorFromLabelSelector(selector);
  } catch (error) {
    // The API server validates selectors; one that still does not parse selects no pod.
    if (error instanceof LabelSelectorError) return { requirements: [], matchesNothing: true };
    throw error;
  }
}

/**
 * A pod's required anti-affinity terms on `kubernetes.io/hostname`. Terms on other topologies (zone)
 * are not modelled: a new node is judged per host only.
 */
export function hostnameAntiAffinity(pod: Pick<Pod, 'namespace' | 'scheduling'>): AntiAffinityTerm[] {
  const terms: AntiAffinityTerm[] = [];
  for (const term of pod.scheduling?.requiredPodAntiAffinity ?? []) {
    if (term.topologyKey !== HOSTNAME_LABEL) continue;
    const namespaces = term.namespaces && term.namespaces.length > 0 ? term.namespaces : [pod.namespace];
    terms.push({ namespaces: new Set(namespaces), selector: selectorOf(term.labelSelector) });
  }
  return terms;
}

function repels(from: AntiAffinityParty, to: AntiAffinityParty): boolean {
  return from.terms.some(
    (term) => term.namespaces.has(to.namespace) && selectorMatches(term.selector, to.labels),
  );
}

/**
 * Whether two pods may not share a node: either one's terms select the other (the scheduler checks the
 * incoming pod's terms and the terms of the pods already there).
 *
 * @example antiAffinityConflict(replica, otherReplica) // true for a Deployment spread one per host
 */
export function antiAffinityConflict(a: AntiAffinityParty, b: AntiAffinityParty): boolean {
  return repels(a, b) || repels(b, a);
}
