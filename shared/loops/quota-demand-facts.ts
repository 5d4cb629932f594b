/**
 * What the quota demand needs to know of AWS for one account and region: the clusters' Auto Scaling groups
 * (their maxima, instance types and purchasing options), the control planes' current type and size, and
 * the vCPUs of every instance type involved. Reads only, a bounded number of calls: one `describeGroups`
 * for every group named in the config (node pools and control planes of all clusters, batched by the
 * adapter), one per cluster that discovers groups by tag, and one `describeInstanceTypes` for the region.
 *
 * A read that fails leaves the demand short of what the clusters may really use, so the facts say they are
 * incomplete and the loop files nothing on them (a request below the real need blocks the right one until
 * AWS answered, which takes days). Instance types EC2 does not know are not a failed read: the demand core
 * reports them, and the rest is counted.
 */
import type { QuotaCluster, QuotaRegion } from '../config/quota-region';
import type { CapacityType } from '../nodepools/pool';
import { clusterTag, resolvePools } from '../nodepools/pools';
import type { AutoScalingGroup, AutoScalingPort } from '../ports/auto-scaling';
import type { Ec2Port } from '../ports/ec2';
import type { Logger } from '../ports/logger';
import {
  type ClusterDemandInput,
  type ControlPlaneDemandInput,
  controlPlaneDemandOf,
  type DemandProblem,
  type GroupFacts,
  type PoolDemandInput,
  poolFromNodePool,
  poolsFromConfig,
} from '../quotas/demand';
import { mapLimit } from '../runtime/map-limit';
import type { QuotaFailure } from './quota-loop';

/** Concurrent `describeGroups` calls for tag discovery (one per cluster). */
export const GROUP_READ_CONCURRENCY = 4;

/**
 * Pods per node only shape the template node `resolvePools` builds for the node-pool loop; the demand reads
 * nothing of it, so any valid figure does.
 */
const ANY_MAX_PODS = 110;

/** A tag-discovered group or pool that is left out of the demand, with why (as the node-pool loop says). */
export interface QuotaPoolProblem {
  cluster: string;
  pool?: string;
  asgName?: string;
  message: string;
}

export interface DemandFacts {
  clusters: ClusterDemandInput[];
  /** Default vCPUs per instance type EC2 knows. */
  vcpus: Map<string, number>;
  /** Config pools and control planes that cannot be counted (the demand core adds its own). */
  problems: DemandProblem[];
  /** Discovered pools and groups the node-pool rules leave out. */
  poolProblems: QuotaPoolProblem[];
  failures: QuotaFailure[];
  /** Every read answered: the demand is not short because AWS did not. */
  complete: boolean;
}

export interface DemandFactPorts {
  autoScaling: AutoScalingPort;
  ec2: Ec2Port;
  log: Logger;
}

function errorReason(error: unknown): string {
  if (error && typeof error === 'object' && 'reason' in error && typeof error.reason === 'string') {
    return error.reason;
  }
  return error instanceof Error ? error.name : 'Error';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failed port call as a failure of the run, with the port error's reason.
 *
 * @example failureOf('history', new ServiceQuotasError('Throttled', 'Rate exceeded'), quota) // { step: 'history', reason: 'Throttled', ... }
 */
export function failureOf(
  step: QuotaFailure['step'],
  error: unknown,
  quota?: { serviceCode: string; quotaCode: string },
): QuotaFailure {
  return {
    ...(quota ? { serviceCode: quota.serviceCode, quotaCode: quota.quotaCode } : {}),
    step,
    reason: errorReason(error),
    message: errorMessage(error),
  };
}

/**
 * A group's purchasing option as the node-pool loop reads it: spot only when nothing is bought on demand;
 * a group that mixes counts as on-demand, the quota its base capacity certainly needs.
 */
function capacityTypeOf(group: AutoScalingGroup): CapacityType {
  const { onDemandBaseCapacity, onDemandPercentageAboveBase } = group.purchase;
  return onDemandBaseCapacity === 0 && onDemandPercentageAboveBase === 0 ? 'spot' : 'on-demand';
}

function isLive(lifecycleState: string): boolean {
  return !lifecycleState.startsWith('Terminat');
}

function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Groups the config names: node pools' and control planes' of every cluster. */
function namedGroups(clusters: readonly QuotaCluster[]): string[] {
  return unique(
    clusters.flatMap((cluster) => [
      ...(cluster.nodePools?.pools.flatMap((pool) => pool.asgs) ?? []),
      ...(cluster.controlPlane?.ec2?.asgs ?? []),
    ]),
  ).sort();
}

function discovers(cluster: QuotaCluster): boolean {
  return cluster.nodePools?.discoverByTags === true;
}

/** Instance types of a cluster whose vCPUs the demand needs. */
function typesOf(
  cluster: QuotaCluster,
  named: ReadonlyMap<string, AutoScalingGroup>,
  tagged: AutoScalingGroup[],
) {
  const types: string[] = [];
  const pools = cluster.nodePools?.pools ?? [];
  for (const pool of pools) {
    if (pool.instanceTypes) types.push(...pool.instanceTypes);
    else for (const asg of pool.asgs) types.push(...(named.get(asg)?.instanceTypes ?? []));
  }
  for (const group of tagged) types.push(...group.instanceTypes);
  const controlPlane = cluster.controlPlane;
  if (controlPlane?.ec2) {
    for (const asg of controlPlane.ec2.asgs) {
      const group = named.get(asg);
      if (!group) continue;
      types.push(...group.instanceTypes);
      types.push(...group.instances.filter((i) => isLive(i.lifecycleState)).map((i) => i.instanceType));
    }
    if (controlPlane.ladder.ceiling) types.push(controlPlane.ladder.ceiling);
  }
  return types;
}

/**
 * The control plane's share from its groups: the types it runs now (the launch template's and the
 * instances', which differ during a swap) and its instances, the larger of desired and running per group.
 */
function controlPlaneOf(
  cluster: QuotaCluster,
  named: ReadonlyMap<string, AutoScalingGroup>,
  problems: DemandProblem[],
): ControlPlaneDemandInput | undefined {
  const config = cluster.controlPlane;
  if (!config?.ec2) return undefined;
  const groups = config.ec2.asgs.flatMap((asg) => named.get(asg) ?? []);
  if (groups.length === 0) {
    problems.push({
      kind: 'no-instance-types',
      cluster: cluster.name,
      source: 'control plane',
      message: `${cluster.name}, control plane: none of its groups (${config.ec2.asgs.join(', ')}) exists in the region; not counted`,
    });
    return undefined;
  }
  const types = unique(
    groups.flatMap((group) => [
      ...group.instanceTypes,
      ...group.instances.filter((i) => isLive(i.lifecycleState)).map((i) => i.instanceType),
    ]),
  );
  const current = types[0];
  if (current === undefined) {
    problems.push({
      kind: 'no-instance-types',
      cluster: cluster.name,
      source: 'control plane',
      message: `${cluster.name}, control plane: its groups name no instance type and run no instance; not counted`,
    });
    return undefined;
  }
  const instances = groups.reduce(
    (sum, group) =>
      sum + Math.max(group.desiredCapacity, group.instances.filter((i) => isLive(i.lifecycleState)).length),
    0,
  );
  const share = controlPlaneDemandOf(config, { instanceType: current, instances });
  if (!share) return undefined;
  return { ...share, instanceTypes: unique([...share.instanceTypes, ...types]) };
}

/** The discovered pools of a cluster (config pools are counted from the config, see `poolsFromConfig`). */
function discoveredPools(
  cluster: QuotaCluster,
  candidates: AutoScalingGroup[],
  infos: Parameters<typeof resolvePools>[0]['instanceTypes'],
  poolProblems: QuotaPoolProblem[],
): PoolDemandInput[] {
  const settings = cluster.nodePools;
  if (!settings) return [];
  const configNames = new Set(settings.pools.map((pool) => pool.name));
  const resolved = resolvePools({
    cluster: cluster.name,
    config: settings,
    groups: candidates,
    instanceTypes: infos,
    maxPodsPerNode: ANY_MAX_PODS,
    nodes: [],
  });
  for (const problem of resolved.problems) {
    if (problem.pool !== undefined && configNames.has(problem.pool)) continue;
    poolProblems.push({ cluster: cluster.name, ...problem });
  }
  const byName = new Map(candidates.map((group) => [group.name, group]));
  return resolved.pools
    .filter((pool) => !configNames.has(pool.name))
    .map((pool) => {
      const input = poolFromNodePool(pool);
      // The node-pool rules drop types EC2 does not know; the demand core reports them instead.
      const raw = pool.groups.flatMap((group) => byName.get(group.asgName)?.instanceTypes ?? []);
      const unknown = raw.filter((type) => !infos.has(type));
      return unknown.length > 0
        ? { ...input, instanceTypes: unique([...input.instanceTypes, ...unknown]) }
        : input;
    });
}

/**
 * Reads the groups and instance types of every cluster of the region and assembles the demand's input.
 *
 * @example
 * const facts = await gatherDemandFacts({ autoScaling, ec2, log }, region);
 * demandOf({ ...region, clusters: facts.clusters, vcpus: facts.vcpus, headroomFraction: 0.2 });
 */
export async function gatherDemandFacts(ports: DemandFactPorts, region: QuotaRegion): Promise<DemandFacts> {
  const { autoScaling, ec2, log } = ports;
  const failures: QuotaFailure[] = [];
  const problems: DemandProblem[] = [];
  const poolProblems: QuotaPoolProblem[] = [];
  let complete = true;

  const names = namedGroups(region.clusters);
  const discovering = region.clusters.filter(discovers);
  const named = new Map<string, AutoScalingGroup>();
  const tagged = new Map<string, AutoScalingGroup[]>();
  const reads: { cluster?: string }[] = [
    ...(names.length > 0 ? [{}] : []),
    ...discovering.map((c) => ({ cluster: c.name })),
  ];
  await mapLimit(reads, GROUP_READ_CONCURRENCY, async (read) => {
    try {
      if (read.cluster === undefined) {
        for (const group of await autoScaling.describeGroups(names)) named.set(group.name, group);
      } else {
        tagged.set(read.cluster, await autoScaling.describeGroups(undefined, clusterTag(read.cluster)));
      }
    } catch (error) {
      complete = false;
      const failure = failureOf('groups', error);
      failures.push({
        ...failure,
        message:
          read.cluster === undefined
            ? `the configured groups: ${failure.message}`
            : `${read.cluster}'s tagged groups: ${failure.message}`,
      });
    }
  });

  // A group whose launch template could not be read this time hides its types: the demand would be short.
  const unreadable = new Set<string>();
  for (const cluster of region.clusters) {
    const configured = new Map(
      (cluster.nodePools?.pools ?? []).flatMap((pool) => pool.asgs.map((asg) => [asg, pool] as const)),
    );
    const relevant = [
      ...(tagged.get(cluster.name) ?? []),
      ...[...configured.keys()].flatMap((asg) => named.get(asg) ?? []),
      ...(cluster.controlPlane?.ec2?.asgs.flatMap((asg) => named.get(asg) ?? []) ?? []),
    ];
    for (const group of relevant) {
      if (!group.instanceTypesError || group.instanceTypes.length > 0) continue;
      if (configured.get(group.name)?.instanceTypes) continue;
      if (unreadable.has(group.name)) continue;
      unreadable.add(group.name);
      complete = false;
      failures.push({
        step: 'groups',
        reason: 'InstanceTypesUnreadable',
        message: `${cluster.name}, group ${group.name}: its instance types could not be read (${group.instanceTypesError})`,
      });
    }
  }

  const types = unique(
    region.clusters.flatMap((cluster) => typesOf(cluster, named, tagged.get(cluster.name) ?? [])),
  ).sort();
  let infos: Awaited<ReturnType<Ec2Port['describeInstanceTypes']>> = new Map();
  if (types.length > 0) {
    try {
      infos = await ec2.describeInstanceTypes(types);
    } catch (error) {
      complete = false;
      failures.push(failureOf('instance-types', error));
    }
  }
  const vcpus = new Map([...infos].map(([type, info]) => [type, info.vcpus]));

  const clusters: ClusterDemandInput[] = region.clusters.map((cluster) => {
    const configPools = cluster.nodePools?.pools ?? [];
    const facts = new Map<string, GroupFacts>();
    for (const pool of configPools) {
      for (const asg of pool.asgs) {
        const group = named.get(asg);
        if (!group) continue;
        facts.set(asg, {
          maxSize: group.maxSize,
          instanceTypes: group.instanceTypes,
          capacityType: capacityTypeOf(group),
        });
      }
    }
    const fromConfig = poolsFromConfig(cluster.name, configPools, facts);
    problems.push(...fromConfig.problems);
    const candidates = [
      ...(tagged.get(cluster.name) ?? []),
      ...configPools.flatMap((pool) => pool.asgs.flatMap((asg) => named.get(asg) ?? [])),
    ];
    const pools = [
      ...fromConfig.pools,
      ...(discovers(cluster) ? discoveredPools(cluster, candidates, infos, poolProblems) : []),
    ];
    const controlPlane = controlPlaneOf(cluster, named, problems);
    return { name: cluster.name, pools, ...(controlPlane ? { controlPlane } : {}) };
  });

  for (const problem of poolProblems) {
    log.info('a discovered group is left out of the demand', { ...problem });
  }
  return { clusters, vcpus, problems, poolProblems, failures, complete };
}
