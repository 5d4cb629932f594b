/**
 * Node pools from the config and from Auto Scaling group tags (cluster-autoscaler's conventions), with a
 * template node per group. Pure.
 *
 * Which groups: those a config pool lists, and (with `discoverByTags`) those tagged like
 * cluster-autoscaler's auto-discovery wants them, `k8s.io/cluster-autoscaler/enabled=true` and
 * `k8s.io/cluster-autoscaler/<cluster>`. The second tag is also what IAM keys SetDesiredCapacity on, so a
 * config pool's group without it is kept (its nodes count) but blocked.
 *
 * What a group's nodes look like: the planning instance type (the smallest it may launch, so that a
 * plan never counts on room a smaller type would not have), its one zone, and labels, taints and extra
 * resources from cluster-autoscaler's node-template tags, overridden by the config. Each group gets its
 * own template; the pool's fields are those of its first group (by zone), and groups that differ from
 * it are reported.
 */

import {
  type NodePoolConfig,
  type NodePoolsConfig,
  POOL_NAME_PATTERN,
  TAINT_EFFECTS,
} from '../config/node-pools';
import type { AutoScalingGroup } from '../ports/auto-scaling';
import type { Architecture, InstanceTypeInfo } from '../ports/ec2';
import type { Node, ResourceList, Taint, TaintEffect } from '../ports/kubernetes';
import { labelKeyProblem, labelValueProblem } from '../units/label-selector';
import { isQuantity, quantitySign } from '../units/quantity';
import type { CapacityType, NodePool, PoolGroup } from './pool';
import { ARCH_LABEL, CAPACITY_TYPE_LABEL, maxPodsFor, templateNode } from './template-node';

export interface PoolProblem {
  pool?: string;
  asgName?: string;
  message: string;
}

export interface ResolvePoolsInput {
  cluster: string;
  config: NodePoolsConfig;
  /** Every group of the region (`describeGroups()`); the function picks the cluster's. */
  groups: AutoScalingGroup[];
  instanceTypes: ReadonlyMap<string, InstanceTypeInfo>;
  /** Pods per node from the network plan (`planNetwork(...).maxPodsPerNode`). */
  maxPodsPerNode: number;
  /** To count each group's Ready nodes (matched by provider ID `aws:///<zone>/<instance id>`). */
  nodes: Node[];
}

export interface ResolvedPools {
  pools: NodePool[];
  /** Groups and pools left out, with why (untagged, several zones, unknown instance type, ...). */
  problems: PoolProblem[];
}

/** cluster-autoscaler's auto-discovery tag; its value must be "true". */
export const CA_ENABLED_TAG = 'k8s.io/cluster-autoscaler/enabled';
/** cluster-autoscaler's node-template tags: `<prefix><label key>` = value. */
export const CA_LABEL_TAG_PREFIX = 'k8s.io/cluster-autoscaler/node-template/label/';
/** `<prefix><taint key>` = `<value>:<effect>` (the value may be empty). */
export const CA_TAINT_TAG_PREFIX = 'k8s.io/cluster-autoscaler/node-template/taint/';
/** `<prefix><resource name>` = a quantity the nodes have besides the instance type's. */
export const CA_RESOURCES_TAG_PREFIX = 'k8s.io/cluster-autoscaler/node-template/resources/';
/** Groups with the same value form one pool of that name (tag-discovered groups only). */
export const NODE_POOL_TAG = 'tideplane.io/node-pool';
/** A tag-discovered pool's priority, an integer (default 0). */
export const PRIORITY_TAG = 'tideplane.io/priority';
/** The value the cluster tag conventionally has. */
export const CLUSTER_TAG_VALUE = 'owned';

/** EKS managed node groups' capacity-type label: `ON_DEMAND`, `SPOT` (or `CAPACITY_BLOCK`). */
export const EKS_CAPACITY_TYPE_LABEL = 'eks.amazonaws.com/capacityType';
/** Karpenter's capacity-type label: `on-demand`, `spot`. */
export const KARPENTER_CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';

/**
 * Resources a resources tag may not set: they come from the instance type and the kubelet reservations,
 * which is where a different figure belongs.
 */
const INSTANCE_RESOURCES: ReadonlySet<string> = new Set(['cpu', 'memory', 'pods']);

const KUBERNETES_TO_EC2_ARCH: Readonly<Record<string, Architecture>> = { amd64: 'x86_64', arm64: 'arm64' };

/**
 * The tag that lets tideplane scale a group of `cluster` (and cluster-autoscaler discover it).
 *
 * @example clusterTag('kube-prod-1') // 'k8s.io/cluster-autoscaler/kube-prod-1'
 */
export function clusterTag(cluster: string): string {
  return `k8s.io/cluster-autoscaler/${cluster}`;
}

function hasClusterTag(cluster: string, group: AutoScalingGroup): boolean {
  return Object.hasOwn(group.tags, clusterTag(cluster));
}

function isDiscoverable(cluster: string, group: AutoScalingGroup): boolean {
  return hasClusterTag(cluster, group) && group.tags[CA_ENABLED_TAG]?.trim().toLowerCase() === 'true';
}

function configuredGroups(config: NodePoolsConfig): Map<string, NodePoolConfig> {
  const owners = new Map<string, NodePoolConfig>();
  for (const pool of config.pools) for (const asg of pool.asgs) if (!owners.has(asg)) owners.set(asg, pool);
  return owners;
}

/**
 * The cluster's groups among all groups, in their given order: those of config pools and, with
 * discovery, the tagged ones.
 *
 * @example clusterGroups('kube-prod-1', config, await autoScaling.describeGroups())
 */
export function clusterGroups(
  cluster: string,
  config: NodePoolsConfig,
  groups: AutoScalingGroup[],
): AutoScalingGroup[] {
  const configured = configuredGroups(config);
  return groups.filter(
    (group) => configured.has(group.name) || (config.discoverByTags && isDiscoverable(cluster, group)),
  );
}

/**
 * Every instance type the cluster's pools may launch (to ask EC2 about once), sorted: a config pool's
 * `instanceTypes` where it names them, else each group's own. `groups` are the cluster's groups
 * (`clusterGroups`).
 *
 * @example instanceTypesOf(config, clusterGroups(cluster, config, all)) // ['m5.large', 'm5a.large']
 */
export function instanceTypesOf(config: NodePoolsConfig, groups: AutoScalingGroup[]): string[] {
  const configured = configuredGroups(config);
  const types = new Set<string>();
  for (const pool of config.pools) for (const type of pool.instanceTypes ?? []) types.add(type);
  for (const group of groups) {
    if (configured.get(group.name)?.instanceTypes) continue;
    for (const type of group.instanceTypes) types.add(type);
  }
  return [...types].sort();
}

/**
 * A group name turned into a pool name (lower-case letters, digits and "-", at most 63).
 *
 * @example poolNameOf('Nodes_EU-Central-1a') // 'nodes-eu-central-1a'
 */
export function poolNameOf(groupName: string): string {
  const name = groupName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? 'pool' : name;
}

/** A pool before its groups are resolved. */
interface PoolDraft {
  name: string;
  priority: number;
  config?: NodePoolConfig;
  groups: AutoScalingGroup[];
}

/** One group with everything its pool needs from it. */
interface ResolvedGroup {
  group: PoolGroup;
  capacityType: CapacityType;
  instanceTypes: string[];
  planningInstanceType: string;
  labels: Record<string, string>;
  taints: Taint[];
}

/** What the node-template tags of a group say. */
interface TemplateTags {
  labels: Record<string, string>;
  taints: Taint[];
  resources: ResourceList;
}

class Problems {
  private readonly seen = new Set<string>();
  readonly list: PoolProblem[] = [];

  add(problem: PoolProblem): void {
    const key = JSON.stringify([problem.pool ?? '', problem.asgName ?? '', problem.message]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(problem);
  }

  sorted(): PoolProblem[] {
    return [...this.list].sort(
      (a, b) =>
        compare(a.pool ?? '', b.pool ?? '') ||
        compare(a.asgName ?? '', b.asgName ?? '') ||
        compare(a.message, b.message),
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A tag's reading: the value, or why the tag is ignored. */
type TagReading<T> = { value: T } | { problem: string };

function taintFromTag(key: string, text: string): TagReading<Taint> {
  const colon = text.lastIndexOf(':');
  const value = colon < 0 ? '' : text.slice(0, colon);
  const effect = text.slice(colon + 1) as TaintEffect;
  const problem =
    labelKeyProblem(key) ??
    (TAINT_EFFECTS.includes(effect)
      ? labelValueProblem(value)
      : `value "${text}" is not <value>:<effect> with effect ${TAINT_EFFECTS.join(', ')}`);
  if (problem) return { problem };
  return { value: value === '' ? { key, effect } : { key, value, effect } };
}

function resourceFromTag(name: string, quantity: string): TagReading<string> {
  const problem =
    labelKeyProblem(name) ??
    (INSTANCE_RESOURCES.has(name)
      ? `${name} comes from the instance type (set the pool's reserved resources instead)`
      : undefined) ??
    (isQuantity(quantity) && quantitySign(quantity) >= 0
      ? undefined
      : `value "${quantity}" is not a non-negative quantity`);
  return problem ? { problem } : { value: quantity };
}

function labelFromTag(key: string, value: string): TagReading<string> {
  const problem = labelKeyProblem(key) ?? labelValueProblem(value);
  return problem ? { problem } : { value };
}

function templateTags(group: AutoScalingGroup, pool: string, problems: Problems): TemplateTags {
  const found: TemplateTags = { labels: {}, taints: [], resources: {} };
  for (const tag of Object.keys(group.tags).sort()) {
    const text = group.tags[tag] ?? '';
    let reading: TagReading<unknown> | undefined;
    if (tag.startsWith(CA_LABEL_TAG_PREFIX)) {
      const key = tag.slice(CA_LABEL_TAG_PREFIX.length);
      const label = labelFromTag(key, text);
      if ('value' in label) found.labels[key] = label.value;
      reading = label;
    } else if (tag.startsWith(CA_TAINT_TAG_PREFIX)) {
      const taint = taintFromTag(tag.slice(CA_TAINT_TAG_PREFIX.length), text);
      if ('value' in taint) found.taints.push(taint.value);
      reading = taint;
    } else if (tag.startsWith(CA_RESOURCES_TAG_PREFIX)) {
      const name = tag.slice(CA_RESOURCES_TAG_PREFIX.length);
      const resource = resourceFromTag(name, text);
      if ('value' in resource) found.resources[name] = resource.value;
      reading = resource;
    }
    if (reading && 'problem' in reading) {
      problems.add({ pool, asgName: group.name, message: `tag ${tag} ignored: ${reading.problem}` });
    }
  }
  return found;
}

function mergeTaints(fromTags: Taint[], fromConfig: Taint[]): Taint[] {
  const overridden = new Set(fromConfig.map((taint) => taint.key));
  return [
    ...fromTags.filter((taint) => !overridden.has(taint.key)),
    ...fromConfig.map((taint) => ({ ...taint })),
  ];
}

function capacityTypeFromLabels(labels: Record<string, string>): CapacityType | undefined {
  const lifecycle = labels[CAPACITY_TYPE_LABEL]?.toLowerCase();
  if (lifecycle === 'spot') return 'spot';
  // `normal` is what kops and older setups put on on-demand nodes.
  if (lifecycle === 'on-demand' || lifecycle === 'normal') return 'on-demand';
  const eks = labels[EKS_CAPACITY_TYPE_LABEL]?.toUpperCase();
  if (eks === 'SPOT') return 'spot';
  if (eks === 'ON_DEMAND') return 'on-demand';
  const karpenter = labels[KARPENTER_CAPACITY_TYPE_LABEL]?.toLowerCase();
  if (karpenter === 'spot') return 'spot';
  if (karpenter === 'on-demand') return 'on-demand';
  return undefined;
}

function capacityTypeOf(
  group: AutoScalingGroup,
  config: NodePoolConfig | undefined,
  labels: Record<string, string>,
  report: (message: string) => void,
): CapacityType {
  if (config?.capacityType) return config.capacityType;
  const labelled = capacityTypeFromLabels(labels);
  if (labelled) return labelled;
  const { onDemandBaseCapacity: base, onDemandPercentageAboveBase: percent } = group.purchase;
  if (base === 0 && percent === 0) return 'spot';
  if (percent < 100) {
    report(
      `buys on-demand and spot (on-demand base ${base}, ${percent}% on-demand above it): planned as on-demand`,
    );
  }
  return 'on-demand';
}

function smallest(types: InstanceTypeInfo[]): InstanceTypeInfo | undefined {
  return [...types].sort(
    (a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || compare(a.instanceType, b.instanceType),
  )[0];
}

/** Instance IDs of Ready nodes, from their provider IDs. */
/** Prefix of the taints cluster-autoscaler treats as startup taints; kept for users who move over. */
export const CA_STARTUP_TAINT_PREFIX = 'startup-taint.cluster-autoscaler.kubernetes.io/';

/**
 * Whether the node is Ready and carries no startup taint (`nodePools.startupTaintKeys`): a node still
 * starting cannot take pods yet, so it counts as coming (its group's desired above its ready nodes), not
 * as a ready node the pods were refused by — else every tick in that window of a few seconds would ask
 * for the same nodes again.
 */
export function isNodeUp(node: Node, startupTaintKeys: readonly string[]): boolean {
  if (!node.ready) return false;
  return !node.taints.some(
    (taint) => startupTaintKeys.includes(taint.key) || taint.key.startsWith(CA_STARTUP_TAINT_PREFIX),
  );
}

function readyInstanceIds(nodes: Node[], startupTaintKeys: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const node of nodes) {
    if (!node.providerID || !isNodeUp(node, startupTaintKeys)) continue;
    const match = /^aws:\/\/\/[^/]*\/(i-[0-9a-zA-Z]+)$/.exec(node.providerID);
    if (match?.[1]) ids.add(match[1]);
  }
  return ids;
}

interface Context {
  input: ResolvePoolsInput;
  readyIds: Set<string>;
  problems: Problems;
}

/**
 * The types a group may launch that EC2 knows and the pool's architecture allows, each dropped one
 * reported; undefined (reported) when the group's types cannot be told at all.
 */
function plannableTypes(
  ctx: Context,
  draft: PoolDraft,
  group: AutoScalingGroup,
  architecture: Architecture | undefined,
): InstanceTypeInfo[] | undefined {
  const configured = draft.config?.instanceTypes;
  const report = (message: string) => ctx.problems.add({ pool: draft.name, asgName: group.name, message });
  const wanted = configured ?? group.instanceTypes;
  if (wanted.length === 0 && group.instanceTypesError) {
    report(`left out this tick: its instance types could not be read (${group.instanceTypesError})`);
    return undefined;
  }
  if (wanted.length === 0) {
    report(
      'left out: its instance types cannot be told (no overrides, launch template without one); set instanceTypes in the config',
    );
    return undefined;
  }
  const known: InstanceTypeInfo[] = [];
  for (const type of wanted) {
    const info = ctx.input.instanceTypes.get(type);
    if (!info) {
      // A config pool's types are the pool's, so their problem is reported once for the pool.
      ctx.problems.add({
        pool: draft.name,
        ...(configured ? {} : { asgName: group.name }),
        message: `instance type ${type} ignored: EC2 does not know it in this region`,
      });
    } else if (architecture && !info.architectures.includes(architecture)) {
      report(`instance type ${type} ignored: it does not support ${architecture}`);
    } else if (!known.some((k) => k.instanceType === type)) {
      known.push(info);
    }
  }
  return known;
}

function resolveGroup(ctx: Context, draft: PoolDraft, group: AutoScalingGroup): ResolvedGroup | undefined {
  const { input, problems } = ctx;
  const config = draft.config;
  const report = (message: string) => problems.add({ pool: draft.name, asgName: group.name, message });

  if (group.availabilityZones.length !== 1) {
    const zones = group.availabilityZones.join(', ') || 'none';
    report(
      `left out: spans ${group.availabilityZones.length} zones (${zones}); tideplane needs one group per zone`,
    );
    return undefined;
  }
  const zone = group.availabilityZones[0] as string;

  const tags = templateTags(group, draft.name, problems);
  const labels = { ...tags.labels, ...(config?.labels ?? {}) };
  const taints = mergeTaints(tags.taints, config?.taints ?? []);
  const capacityType = capacityTypeOf(group, config, labels, report);
  const labelledArch = labels[ARCH_LABEL];
  const architecture =
    config?.architecture ?? (labelledArch === undefined ? undefined : KUBERNETES_TO_EC2_ARCH[labelledArch]);

  const known = plannableTypes(ctx, draft, group, architecture);
  if (!known) return undefined;
  const planning = smallest(known);
  if (!planning) {
    report('left out: none of its instance types can be planned');
    return undefined;
  }

  let template: PoolGroup['template'];
  try {
    template = templateNode({
      instanceType: planning,
      zone,
      capacityType,
      labels,
      taints,
      maxPods: maxPodsFor(planning, { maxPodsPerNode: input.maxPodsPerNode }, input.config.podNetworking),
      ...(config?.reserved ? { reserved: config.reserved } : {}),
      ...(architecture ? { architecture } : {}),
      spotTaint: config?.spotTaint ?? true,
    });
  } catch (error) {
    report(`left out: no template node for ${planning.instanceType}: ${(error as Error).message}`);
    return undefined;
  }
  for (const [name, quantity] of Object.entries({ ...tags.resources, ...(config?.resources ?? {}) })) {
    template.capacity[name] = quantity;
    template.allocatable[name] = quantity;
  }

  const maxSize = clamp(config?.maxPerZone ?? group.maxSize, group.minSize, group.maxSize);
  const minSize = clamp(config?.minPerZone ?? group.minSize, group.minSize, maxSize);
  if (config?.maxPerZone !== undefined && config.maxPerZone < group.minSize) {
    report(`maxPerZone ${config.maxPerZone} is below the group's MinSize ${group.minSize}: using ${maxSize}`);
  }
  if (config?.minPerZone !== undefined && config.minPerZone > maxSize) {
    report(`minPerZone ${config.minPerZone} is above the group's usable max ${maxSize}: using ${minSize}`);
  }

  const poolGroup: PoolGroup = {
    asgName: group.name,
    zone,
    minSize,
    maxSize,
    desiredCapacity: group.desiredCapacity,
    readyNodes: group.instances.filter((instance) => ctx.readyIds.has(instance.instanceId)).length,
    template,
  };
  if (!hasClusterTag(input.cluster, group)) {
    poolGroup.blocked =
      `not tagged ${clusterTag(input.cluster)}: IAM lets tideplane set the desired capacity only of groups ` +
      `with that tag; add it (value "${CLUSTER_TAG_VALUE}")`;
  }
  return {
    group: poolGroup,
    capacityType,
    instanceTypes: known.map((info) => info.instanceType),
    planningInstanceType: planning.instanceType,
    labels,
    taints,
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** How a group differs from the pool's first group, for a problem; empty when it does not. */
function differences(first: ResolvedGroup, other: ResolvedGroup): string[] {
  const fields: string[] = [];
  if (first.capacityType !== other.capacityType) fields.push('capacity type');
  if (first.planningInstanceType !== other.planningInstanceType) fields.push('planning instance type');
  if (!sameRecord(first.labels, other.labels)) fields.push('labels');
  if (!sameTaints(first.taints, other.taints)) fields.push('taints');
  return fields;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  const text = (taints: Taint[]) =>
    taints
      .map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`)
      .sort()
      .join(',');
  return text(a) === text(b);
}

function resolvePool(ctx: Context, draft: PoolDraft): NodePool | undefined {
  const resolved: ResolvedGroup[] = [];
  const byZone = new Map<string, string>();
  for (const group of draft.groups) {
    const result = resolveGroup(ctx, draft, group);
    if (!result) continue;
    const other = byZone.get(result.group.zone);
    if (other !== undefined) {
      ctx.problems.add({
        pool: draft.name,
        asgName: group.name,
        message: `left out: zone ${result.group.zone} already has group ${other} in this pool (one group per zone)`,
      });
      continue;
    }
    byZone.set(result.group.zone, group.name);
    resolved.push(result);
  }
  resolved.sort((a, b) => compare(a.group.zone, b.group.zone) || compare(a.group.asgName, b.group.asgName));
  const first = resolved[0];
  if (!first) {
    ctx.problems.add({ pool: draft.name, message: 'left out: no group of the pool can be planned' });
    return undefined;
  }
  for (const other of resolved.slice(1)) {
    const fields = differences(first, other);
    if (fields.length === 0) continue;
    ctx.problems.add({
      pool: draft.name,
      asgName: other.group.asgName,
      message: `differs from ${first.group.asgName} in ${fields.join(', ')}: planned with its own template`,
    });
  }
  const instanceTypes = [...new Set(resolved.flatMap((r) => r.instanceTypes))];
  const infos = instanceTypes.flatMap((type) => ctx.input.instanceTypes.get(type) ?? []);
  const pool: NodePool = {
    name: draft.name,
    priority: draft.priority,
    capacityType: first.capacityType,
    instanceTypes,
    planningInstanceType: smallest(infos)?.instanceType ?? first.planningInstanceType,
    labels: first.labels,
    taints: first.taints,
    groups: resolved.map((r) => r.group),
  };
  if (draft.config?.maxNodes !== undefined) pool.maxNodes = draft.config.maxNodes;
  return pool;
}

function parsePriority(group: AutoScalingGroup, pool: string, problems: Problems): number | undefined {
  const value = group.tags[PRIORITY_TAG];
  if (value === undefined) return undefined;
  if (/^\s*[+-]?\d+\s*$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  problems.add({
    pool,
    asgName: group.name,
    message: `tag ${PRIORITY_TAG} ignored: "${value}" is not an integer`,
  });
  return undefined;
}

/** Pools of tag-discovered groups: by `tideplane.io/node-pool`, else one per group. */
function tagDrafts(ctx: Context, groups: AutoScalingGroup[], taken: Set<string>): PoolDraft[] {
  const { problems } = ctx;
  const named = new Map<string, AutoScalingGroup[]>();
  const single: AutoScalingGroup[] = [];
  for (const group of [...groups].sort((a, b) => compare(a.name, b.name))) {
    const poolName = group.tags[NODE_POOL_TAG]?.trim();
    if (poolName === undefined) {
      single.push(group);
    } else if (!POOL_NAME_PATTERN.test(poolName)) {
      problems.add({
        asgName: group.name,
        message: `tag ${NODE_POOL_TAG} ignored: "${poolName}" is not a pool name (lower-case letters, digits and "-")`,
      });
      single.push(group);
    } else if (taken.has(poolName)) {
      problems.add({
        pool: poolName,
        asgName: group.name,
        message: `left out: tag ${NODE_POOL_TAG} names a pool of the config; list the group in its asgs instead`,
      });
    } else {
      named.set(poolName, [...(named.get(poolName) ?? []), group]);
    }
  }
  for (const name of named.keys()) taken.add(name);

  const drafts: PoolDraft[] = [];
  for (const [name, members] of named) {
    drafts.push({ name, priority: tagPriority(name, members, problems), groups: members });
  }
  for (const group of single) {
    const base = poolNameOf(group.name);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 63 - String(n).length - 1)}-${n}`;
    taken.add(name);
    drafts.push({ name, priority: tagPriority(name, [group], problems), groups: [group] });
  }
  return drafts;
}

function tagPriority(pool: string, members: AutoScalingGroup[], problems: Problems): number {
  const priorities = members.map((group) => parsePriority(group, pool, problems));
  const first = priorities.find((p) => p !== undefined) ?? 0;
  const distinct = new Set(priorities.filter((p) => p !== undefined));
  if (distinct.size > 1) {
    problems.add({
      pool,
      message: `its groups' ${PRIORITY_TAG} tags disagree (${[...distinct].join(', ')}): using ${first}`,
    });
  }
  return first;
}

/**
 * The cluster's node pools: config pools (which win for their groups) and, with `discoverByTags`, pools
 * of tagged groups; sorted by priority (higher first), then name. Problems are sorted by pool, group and
 * message, so the same input always reports the same.
 *
 * @example
 * const { pools, problems } = resolvePools({ cluster, config, groups, instanceTypes, maxPodsPerNode: 110, nodes });
 */
export function resolvePools(input: ResolvePoolsInput): ResolvedPools {
  const problems = new Problems();
  const ctx: Context = {
    input,
    readyIds: readyInstanceIds(input.nodes, input.config.startupTaintKeys),
    problems,
  };
  const groups = clusterGroups(input.cluster, input.config, input.groups);
  const byName = new Map(groups.map((group) => [group.name, group]));
  const configured = configuredGroups(input.config);

  const drafts: PoolDraft[] = input.config.pools.map((config) => {
    const members: AutoScalingGroup[] = [];
    for (const asg of config.asgs) {
      const group = byName.get(asg);
      if (group) members.push(group);
      else
        problems.add({
          pool: config.name,
          asgName: asg,
          message: 'left out: no such Auto Scaling group in the region',
        });
    }
    return { name: config.name, priority: config.priority, config, groups: members };
  });
  if (input.config.discoverByTags) {
    const discovered = groups.filter((group) => !configured.has(group.name));
    drafts.push(...tagDrafts(ctx, discovered, new Set(input.config.pools.map((pool) => pool.name))));
  }

  const pools = drafts
    .flatMap((draft) => resolvePool(ctx, draft) ?? [])
    .sort((a, b) => b.priority - a.priority || compare(a.name, b.name));
  return { pools, problems: problems.sorted() };
}
