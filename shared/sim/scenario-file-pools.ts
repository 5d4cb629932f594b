/**
 * Node pools in scenario files. A pool is one Auto Scaling group per zone (`<pool>-<zone letter>`, as the
 * default day names them) of one instance type, found by the node-pool loop either through its config
 * (`discovery: config`: the pool joins `nodePools.settings.pools`) or through cluster-autoscaler's
 * tags (`discovery: tags`: the groups carry the discovery, node-template and tideplane pool tags). Every
 * group carries the cluster tag and the node-template label and taint tags either way, as groups that
 * tideplane may scale must. `groups` lists further groups exactly as the simulated cloud takes them.
 */
import { z } from 'zod';
import { nodePoolSchema, nodePoolsSchema, POOL_NAME_PATTERN } from '../config/node-pools';
import {
  CA_ENABLED_TAG,
  CA_LABEL_TAG_PREFIX,
  CA_TAINT_TAG_PREFIX,
  CLUSTER_TAG_VALUE,
  clusterTag,
  NODE_POOL_TAG,
  PRIORITY_TAG,
} from '../nodepools/pools';
import { SPOT_TAINT } from '../nodepools/template-node';
import type { Taint } from '../ports/kubernetes';
import type { SimGroupSpec } from './cloud';
import { INSTANCE_TYPES } from './instance-types';
import type { FileProblem } from './scenario-file-workloads';

const instanceTypeSchema = z.enum(Object.keys(INSTANCE_TYPES) as [string, ...string[]]);
const stringMap = z.record(z.string(), z.string());

const taintSchema = z
  .object({
    key: z.string().min(1),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  })
  .strict();

const groupFields = {
  fallbackInstanceTypes: z
    .array(instanceTypeSchema)
    .optional()
    .describe('Makes the groups mixed-instances groups: further types in priority order.'),
  maxPods: z.number().int().min(1).optional().describe('Pods per node (default: the type’s ENI limit).'),
  bootSeconds: z.number().min(0).optional().describe('Launch to node Ready (default 120).'),
};

export const poolSchema = z
  .object({
    name: z.string().regex(POOL_NAME_PATTERN, 'lower-case letters, digits and "-", at most 63'),
    instanceType: instanceTypeSchema,
    capacityType: z.enum(['on-demand', 'spot']).default('on-demand'),
    zones: z.array(z.string().min(1)).min(1).optional().describe('Default: the cluster’s zones.'),
    perZone: z
      .object({
        min: z.number().int().min(0).default(0),
        max: z.number().int().min(0),
        initial: z.number().int().min(0).optional().describe('Nodes in service at the start (default: min).'),
      })
      .strict()
      .refine((size) => size.min <= size.max, { message: 'min is above max', path: ['min'] })
      .refine(
        (size) => size.initial === undefined || (size.initial >= size.min && size.initial <= size.max),
        {
          message: 'initial is outside min..max',
          path: ['initial'],
        },
      ),
    priority: z.number().int().default(0).describe('Higher first; fallback pools below 0.'),
    discovery: z
      .enum(['config', 'tags'])
      .default('config')
      .describe('config: listed in the node-pool settings; tags: found by cluster-autoscaler’s tags.'),
    labels: stringMap.optional().describe('Labels of the nodes (and node-template tags).'),
    taints: z.array(taintSchema).optional(),
    spotTaint: z
      .boolean()
      .default(true)
      .describe('Spot pools: give the nodes the spot taint, as the node-pool loop expects by default.'),
    tags: stringMap.optional().describe('Further tags of the groups.'),
    ...groupFields,
  })
  .strict();

export const nodeGroupSchema = z
  .object({
    name: z.string().regex(/^[\w+=,.@/:-]{1,255}$/, 'an Auto Scaling group name'),
    minSize: z.number().int().min(0),
    maxSize: z.number().int().min(0),
    desiredCapacity: z.number().int().min(0),
    availabilityZones: z.array(z.string().min(1)).min(1),
    instanceType: instanceTypeSchema,
    capacityType: z.enum(['on-demand', 'spot']),
    tags: stringMap.optional(),
    nodeLabels: stringMap.optional(),
    nodeTaints: z.array(taintSchema).optional(),
    ...groupFields,
  })
  .strict()
  .refine((group) => group.minSize <= group.desiredCapacity && group.desiredCapacity <= group.maxSize, {
    message: 'desiredCapacity must lie within minSize..maxSize',
    path: ['desiredCapacity'],
  });

export const nodePoolsBlockSchema = z
  .object({
    settings: nodePoolsSchema
      .optional()
      .describe('The node-pool loop’s config, as a deployment config’s nodePools block.'),
    pools: z.array(poolSchema).default([]),
    groups: z
      .array(nodeGroupSchema)
      .default([])
      .describe('Auto Scaling groups as the simulated cloud takes them.'),
  })
  .strict();

export type NodePoolsBlock = z.output<typeof nodePoolsBlockSchema>;

/** `default-a` for the default pool's group in eu-central-1a. */
export function poolGroupName(pool: string, zone: string): string {
  return `${pool}-${zone.slice(-1)}`;
}

function poolTags(
  pool: z.output<typeof poolSchema>,
  taints: Taint[],
  clusterName: string,
): Record<string, string> {
  return {
    [CA_ENABLED_TAG]: 'true',
    [clusterTag(clusterName)]: CLUSTER_TAG_VALUE,
    ...Object.fromEntries(
      Object.entries(pool.labels ?? {}).map(([key, value]) => [`${CA_LABEL_TAG_PREFIX}${key}`, value]),
    ),
    ...Object.fromEntries(
      taints.map((taint) => [`${CA_TAINT_TAG_PREFIX}${taint.key}`, `${taint.value ?? ''}:${taint.effect}`]),
    ),
    ...(pool.discovery === 'tags'
      ? { [NODE_POOL_TAG]: pool.name, [PRIORITY_TAG]: String(pool.priority) }
      : {}),
    ...pool.tags,
  };
}

export interface CompiledPools {
  groups: SimGroupSpec[];
  /** The loop's config with the config-discovered pools added; undefined: no node-pool loop. */
  settings: z.input<typeof nodePoolsSchema> | undefined;
}

/**
 * The groups of the pools and the loop's config. The loop runs when the file has a node-pools block with
 * settings, pools or groups; a pool the settings already list by name is left to the settings.
 */
export function compilePools(
  block: NodePoolsBlock | undefined,
  cluster: { name: string; zones: string[] },
  problems: FileProblem[],
): CompiledPools {
  if (!block) return { groups: [], settings: undefined };
  const groups: SimGroupSpec[] = [];
  const owner = new Map<string, (string | number)[]>();
  const add = (group: SimGroupSpec, at: (string | number)[]) => {
    const first = owner.get(group.name);
    if (first) {
      problems.push({ path: at, message: `group name ${group.name} is already used by ${first.join('.')}` });
      return;
    }
    owner.set(group.name, at);
    groups.push(group);
  };
  const settings = block.settings ?? nodePoolsSchema.parse({});
  const listed = new Set(settings.pools.map((pool) => pool.name));
  const configPools: (typeof settings.pools)[number][] = [];
  for (const [index, pool] of block.pools.entries()) {
    const at = ['nodePools', 'pools', index];
    const taints = [
      ...(pool.taints ?? []),
      ...(pool.capacityType === 'spot' &&
      pool.spotTaint &&
      !pool.taints?.some((t) => t.key === SPOT_TAINT.key)
        ? [SPOT_TAINT]
        : []),
    ];
    const zones = pool.zones ?? cluster.zones;
    const names: string[] = [];
    for (const zone of zones) {
      const group: SimGroupSpec = {
        name: poolGroupName(pool.name, zone),
        minSize: pool.perZone.min,
        maxSize: pool.perZone.max,
        desiredCapacity: pool.perZone.initial ?? pool.perZone.min,
        availabilityZones: [zone],
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        tags: poolTags(pool, taints, cluster.name),
        ...(pool.labels ? { nodeLabels: pool.labels } : {}),
        ...(taints.length > 0 ? { nodeTaints: taints } : {}),
        ...(pool.fallbackInstanceTypes ? { fallbackInstanceTypes: pool.fallbackInstanceTypes } : {}),
        ...(pool.maxPods !== undefined ? { maxPods: pool.maxPods } : {}),
        ...(pool.bootSeconds !== undefined ? { bootSeconds: pool.bootSeconds } : {}),
      };
      add(group, [...at, 'zones']);
      names.push(group.name);
    }
    if (pool.discovery === 'config' && !listed.has(pool.name)) {
      configPools.push(nodePoolSchema.parse({ name: pool.name, priority: pool.priority, asgs: names }));
    }
  }
  for (const [index, group] of block.groups.entries()) add(group, ['nodePools', 'groups', index, 'name']);
  return { groups, settings: { ...settings, pools: [...settings.pools, ...configPools] } };
}
