/**
 * What the clusters of one account and region may need from each quota, at the most. Pure: pools, control
 * planes and instance types come in.
 *
 * A node pool may run, at its maxima, the sum of its groups' maxima (one group per zone), capped by the
 * pool's `maxNodes`, each node of its largest instance type: that many vCPUs count against the vCPU quota
 * of that type's family and purchasing option. A pool whose types span quotas (`m5` and `g5`) counts its
 * nodes against each of them with that quota's largest type, since it may launch all its nodes as any of
 * its types. A self-managed control plane counts its instances plus one surge instance (a swap adds the
 * new instance before it removes an old one) of its largest allowed type, on-demand.
 *
 * Sums per quota come with their breakdown — which cluster and pool needs how much, as text for the support
 * case — and a headroom on top. Instance types whose vCPUs or quota are unknown are reported, not guessed.
 * Extra quotas from the config (EBS storage, Elastic IPs, ENIs) follow their linear rule over the same
 * clusters' node and vCPU maxima.
 */
import type { ControlPlaneConfig } from '../config/control-plane';
import type { NodePoolConfig } from '../config/node-pools';
import type { ExtraQuotaConfig } from '../config/quotas';
import type { CapacityType, NodePool } from '../nodepools/pool';
import { EC2_SERVICE_CODE, EC2_VCPU_QUOTAS, type Ec2VcpuQuota, vcpuQuotaFor } from './ec2-vcpu-quotas';

/** A node pool as the demand sees it: its types, purchasing option and maxima. */
export interface PoolDemandInput {
  name: string;
  capacityType: CapacityType;
  instanceTypes: readonly string[];
  /**
   * The most nodes each of the pool's groups may have (one group per zone), the group's MaxSize narrowed by
   * the pool's `maxPerZone`. Empty when unknown: then `maxNodes` alone bounds the pool.
   */
  zoneMaxima: readonly number[];
  /** Nodes of the whole pool at most. */
  maxNodes?: number;
}

/** A self-managed control plane: the types it may run on and how many instances it has. */
export interface ControlPlaneDemandInput {
  /** The ladder's ceiling and the current type (the larger counts), or the current type alone. */
  instanceTypes: readonly string[];
  /** Control-plane instances over all its groups; one more counts for the swap's surge. */
  instances: number;
}

export interface ClusterDemandInput {
  name: string;
  /** Config pools and pools discovered by tags, each once (`poolsFromConfig`, `poolFromNodePool`). */
  pools: readonly PoolDemandInput[];
  /** Absent for EKS (AWS runs that control plane) and for clusters without the control-plane loop. */
  controlPlane?: ControlPlaneDemandInput;
}

export interface DemandInput {
  accountId: string;
  region: string;
  clusters: readonly ClusterDemandInput[];
  /** Default vCPUs per instance type (`DescribeInstanceTypes`). */
  vcpus: ReadonlyMap<string, number>;
  /** 0.2 asks for 20 % more than the maxima need. */
  headroomFraction: number;
  extraQuotas?: readonly ExtraQuotaConfig[];
  /** The vCPU quota table, with codes as confirmed at run time (default: the table as written). */
  quotas?: readonly Ec2VcpuQuota[];
}

export interface DemandContribution {
  /** Empty for a region-wide share of an extra quota (`fixed`). */
  cluster: string;
  source: 'pool' | 'control-plane' | 'cluster' | 'fixed';
  /** The pool's name; `control plane`; the cluster's name; `fixed`. */
  name: string;
  amount: number;
  /** How the amount comes about: `3 zones × 20 nodes × 16 vCPUs (m5.4xlarge) = 960`. */
  formula: string;
  /** vCPU quotas: the largest type of the pool in this quota, its vCPUs, and the pool's node maximum. */
  instanceType?: string;
  vcpusPerNode?: number;
  nodes?: number;
}

export interface QuotaDemand {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  /** `vCPUs` for EC2's instance quotas; the config's unit for extra quotas. */
  unit: string;
  /** What the clusters may use at their maxima. */
  demand: number;
  /** `demand` with the headroom, rounded up: what the quota should allow. */
  required: number;
  contributions: DemandContribution[];
  /** For the support case: the quota, the totals and one line per contribution. */
  justification: string;
}

export type DemandProblemKind = 'unknown-vcpus' | 'unknown-quota' | 'no-instance-types' | 'unbounded-pool';

export interface DemandProblem {
  kind: DemandProblemKind;
  cluster: string;
  /** The pool's name, or `control plane`. */
  source: string;
  instanceType?: string;
  message: string;
}

export interface DemandResult {
  /** vCPU quotas some pool or control plane needs (table order), then every extra quota (config order). */
  quotas: QuotaDemand[];
  problems: DemandProblem[];
}

const CONTROL_PLANE = 'control plane';
const VCPUS = 'vCPUs';

/** Rounds away float noise (80 × 1.2 = 96.00000000000001) before rounding up. */
function ceilClean(value: number): number {
  return Math.ceil(Math.round(value * 1e6) / 1e6);
}

/** `12`, `6.25`, `153.6`, `0.0977`: none when whole, two decimals, four below 1 (per-node rates). */
function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) < 1 ? 4 : 2)));
}

function plural(count: number, one: string, many: string): string {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

interface Nodes {
  count: number;
  /** `3 zones × 20 nodes`, `10 + 10 + 30 nodes`, `50 nodes (maxNodes; the zones allow 60)`. */
  text: string;
}

function poolNodes(pool: PoolDemandInput): Nodes | undefined {
  const maxima = pool.zoneMaxima;
  const sum = maxima.reduce((total, max) => total + max, 0);
  const zonesText =
    maxima.length > 0 && maxima.every((max) => max === maxima[0])
      ? `${plural(maxima.length, 'zone', 'zones')} × ${plural(maxima[0] ?? 0, 'node', 'nodes')}`
      : `${maxima.map(formatNumber).join(' + ')} nodes`;
  if (maxima.length === 0) {
    return pool.maxNodes === undefined
      ? undefined
      : { count: pool.maxNodes, text: `${plural(pool.maxNodes, 'node', 'nodes')} (maxNodes)` };
  }
  if (pool.maxNodes !== undefined && pool.maxNodes < sum) {
    return {
      count: pool.maxNodes,
      text: `${plural(pool.maxNodes, 'node', 'nodes')} (maxNodes; ${zonesText} would be ${sum})`,
    };
  }
  return { count: sum, text: zonesText };
}

interface Share {
  quota: Ec2VcpuQuota;
  instanceType: string;
  vcpusPerNode: number;
}

/**
 * The largest type per quota among `instanceTypes`, with problems for types whose vCPUs or quota are
 * unknown.
 */
function sharesOf(
  cluster: string,
  source: string,
  instanceTypes: readonly string[],
  capacityType: CapacityType,
  input: DemandInput,
  problems: DemandProblem[],
): { shares: Share[]; largestVcpus: number } {
  const shares = new Map<string, Share>();
  let largestVcpus = 0;
  for (const instanceType of new Set(instanceTypes)) {
    const vcpus = input.vcpus.get(instanceType);
    if (vcpus === undefined) {
      problems.push({
        kind: 'unknown-vcpus',
        cluster,
        source,
        instanceType,
        message: `${cluster}, ${source}: vCPUs of ${instanceType} unknown (not in DescribeInstanceTypes); not counted`,
      });
    } else {
      largestVcpus = Math.max(largestVcpus, vcpus);
    }
    const lookup = vcpuQuotaFor(instanceType, capacityType, input.quotas ?? EC2_VCPU_QUOTAS);
    if (!lookup.ok) {
      problems.push({
        kind: 'unknown-quota',
        cluster,
        source,
        instanceType,
        message: `${cluster}, ${source}: no vCPU quota for ${capacityType} ${instanceType}: ${lookup.reason}`,
      });
      continue;
    }
    if (vcpus === undefined) continue;
    const current = shares.get(lookup.quota.code);
    if (!current || vcpus > current.vcpusPerNode) {
      shares.set(lookup.quota.code, { quota: lookup.quota, instanceType, vcpusPerNode: vcpus });
    }
  }
  return { shares: [...shares.values()], largestVcpus };
}

/** Per cluster: nodes and vCPUs at the maxima, for the extra quotas' rules. */
interface ClusterTotals {
  cluster: string;
  nodes: number;
  vcpus: number;
}

function extraQuotaDemand(
  quota: ExtraQuotaConfig,
  totals: readonly ClusterTotals[],
  headroomFraction: number,
  where: string,
): QuotaDemand {
  const rule =
    typeof quota.demand === 'number'
      ? { fixed: quota.demand, perCluster: 0, perNode: 0, perVcpu: 0 }
      : quota.demand;
  const unit = quota.unit;
  const contributions: DemandContribution[] = [];
  if (rule.fixed > 0) {
    contributions.push({
      cluster: '',
      source: 'fixed',
      name: 'fixed',
      amount: rule.fixed,
      formula: `fixed ${formatNumber(rule.fixed)}`,
    });
  }
  for (const cluster of totals) {
    const parts: string[] = [];
    let amount = 0;
    if (rule.perCluster > 0) {
      amount += rule.perCluster;
      parts.push(`${formatNumber(rule.perCluster)} per cluster`);
    }
    if (rule.perNode > 0) {
      amount += rule.perNode * cluster.nodes;
      parts.push(`${plural(cluster.nodes, 'node', 'nodes')} × ${formatNumber(rule.perNode)}`);
    }
    if (rule.perVcpu > 0) {
      amount += rule.perVcpu * cluster.vcpus;
      parts.push(`${plural(cluster.vcpus, 'vCPU', 'vCPUs')} × ${formatNumber(rule.perVcpu)}`);
    }
    if (amount > 0) {
      contributions.push({
        cluster: cluster.cluster,
        source: 'cluster',
        name: cluster.cluster,
        amount,
        formula: `${parts.join(' + ')} = ${formatNumber(amount)}`,
      });
    }
  }
  return withTotals(
    quota.serviceCode,
    quota.quotaCode,
    quota.name,
    unit,
    contributions,
    headroomFraction,
    where,
  );
}

function contributionLabel(contribution: DemandContribution): string {
  switch (contribution.source) {
    case 'pool':
      return `${contribution.cluster}, node pool ${contribution.name}`;
    case 'control-plane':
      return `${contribution.cluster}, ${CONTROL_PLANE}`;
    case 'cluster':
      return contribution.cluster;
    case 'fixed':
      return 'region';
  }
}

function withTotals(
  serviceCode: string,
  quotaCode: string,
  quotaName: string,
  unit: string,
  contributions: DemandContribution[],
  headroomFraction: number,
  where: string,
): QuotaDemand {
  const demand = Math.round(contributions.reduce((total, c) => total + c.amount, 0) * 1e6) / 1e6;
  const required = ceilClean(demand * (1 + headroomFraction));
  const units = unit ? ` ${unit}` : '';
  const headroom = `${formatNumber(headroomFraction * 100)} %`;
  const lines = contributions.map((c) => `- ${contributionLabel(c)}: ${c.formula}`);
  const justification = [
    `Quota ${quotaCode} "${quotaName}" (${serviceCode}) in ${where}: the Kubernetes clusters managed by ` +
      `tideplane may use ${formatNumber(demand)}${units} at their configured maxima; with ${headroom} ` +
      `headroom they need ${required}${units}.`,
    ...lines,
  ].join('\n');
  return { serviceCode, quotaCode, quotaName, unit, demand, required, contributions, justification };
}

/**
 * Demand per quota for every cluster of an account and region.
 *
 * @example
 * demandOf({
 *   accountId: '123456789012', region: 'eu-central-1', headroomFraction: 0.2,
 *   vcpus: new Map([['m5.4xlarge', 16]]),
 *   clusters: [{ name: 'kube-1', pools: [{ name: 'default', capacityType: 'on-demand',
 *     instanceTypes: ['m5.4xlarge'], zoneMaxima: [20, 20, 20] }] }],
 * }).quotas[0] // { quotaCode: 'L-1216C47A', demand: 960, required: 1152, ... }
 */
export function demandOf(input: DemandInput): DemandResult {
  const problems: DemandProblem[] = [];
  const byQuota = new Map<string, DemandContribution[]>();
  const totals: ClusterTotals[] = [];
  const add = (quota: Ec2VcpuQuota, contribution: DemandContribution) => {
    if (contribution.amount <= 0) return;
    const list = byQuota.get(quota.code) ?? [];
    list.push(contribution);
    byQuota.set(quota.code, list);
  };

  for (const cluster of input.clusters) {
    const clusterTotals: ClusterTotals = { cluster: cluster.name, nodes: 0, vcpus: 0 };
    totals.push(clusterTotals);
    for (const pool of cluster.pools) {
      const nodes = poolNodes(pool);
      if (nodes === undefined) {
        problems.push({
          kind: 'unbounded-pool',
          cluster: cluster.name,
          source: pool.name,
          message: `${cluster.name}, ${pool.name}: no maximum known (no group MaxSize, maxPerZone or maxNodes); not counted`,
        });
        continue;
      }
      if (pool.instanceTypes.length === 0) {
        problems.push({
          kind: 'no-instance-types',
          cluster: cluster.name,
          source: pool.name,
          message: `${cluster.name}, ${pool.name}: no instance types known; not counted`,
        });
        continue;
      }
      const { shares, largestVcpus } = sharesOf(
        cluster.name,
        pool.name,
        pool.instanceTypes,
        pool.capacityType,
        input,
        problems,
      );
      clusterTotals.nodes += nodes.count;
      clusterTotals.vcpus += nodes.count * largestVcpus;
      for (const share of shares) {
        const amount = nodes.count * share.vcpusPerNode;
        add(share.quota, {
          cluster: cluster.name,
          source: 'pool',
          name: pool.name,
          amount,
          formula: `${nodes.text} × ${share.vcpusPerNode} vCPUs (${share.instanceType}) = ${amount}`,
          instanceType: share.instanceType,
          vcpusPerNode: share.vcpusPerNode,
          nodes: nodes.count,
        });
      }
    }
    const controlPlane = cluster.controlPlane;
    if (controlPlane) {
      const count = controlPlane.instances + 1;
      const { shares, largestVcpus } = sharesOf(
        cluster.name,
        CONTROL_PLANE,
        controlPlane.instanceTypes,
        'on-demand',
        input,
        problems,
      );
      clusterTotals.nodes += count;
      clusterTotals.vcpus += count * largestVcpus;
      for (const share of shares) {
        const amount = count * share.vcpusPerNode;
        add(share.quota, {
          cluster: cluster.name,
          source: 'control-plane',
          name: CONTROL_PLANE,
          amount,
          formula:
            `(${plural(controlPlane.instances, 'instance', 'instances')} + 1 surge) × ` +
            `${share.vcpusPerNode} vCPUs (${share.instanceType}) = ${amount}`,
          instanceType: share.instanceType,
          vcpusPerNode: share.vcpusPerNode,
          nodes: count,
        });
      }
    }
  }

  const where = `account ${input.accountId}, ${input.region}`;
  const quotas: QuotaDemand[] = [];
  for (const quota of input.quotas ?? EC2_VCPU_QUOTAS) {
    const contributions = byQuota.get(quota.code);
    if (!contributions) continue;
    quotas.push(
      withTotals(
        EC2_SERVICE_CODE,
        quota.code,
        quota.name,
        VCPUS,
        contributions,
        input.headroomFraction,
        where,
      ),
    );
  }
  for (const extra of input.extraQuotas ?? []) {
    quotas.push(extraQuotaDemand(extra, totals, input.headroomFraction, where));
  }
  return { quotas, problems };
}

/** What the demand needs to know of an Auto Scaling group (`describeGroups`). */
export interface GroupFacts {
  maxSize: number;
  instanceTypes?: readonly string[];
  capacityType?: CapacityType;
}

/**
 * A cluster's config pools as the demand sees them. A pool's per-zone maximum is the group's MaxSize
 * narrowed by `maxPerZone` (either alone when the other is unknown); instance types and capacity type come
 * from the config, else from the groups, and a pool with neither is on-demand (as the node-pool loop
 * treats it).
 *
 * @example poolsFromConfig('kube-1', config.nodePools.pools, new Map([['nodes-a', { maxSize: 20 }]]))
 */
export function poolsFromConfig(
  cluster: string,
  pools: readonly NodePoolConfig[],
  groups: ReadonlyMap<string, GroupFacts> = new Map(),
): { pools: PoolDemandInput[]; problems: DemandProblem[] } {
  const result: PoolDemandInput[] = [];
  const problems: DemandProblem[] = [];
  for (const pool of pools) {
    const facts = pool.asgs.map((asg) => groups.get(asg));
    const maxima = facts.map((group) => Math.min(pool.maxPerZone ?? Infinity, group?.maxSize ?? Infinity));
    const known = maxima.every(Number.isFinite);
    if (!known && pool.maxNodes === undefined) {
      problems.push({
        kind: 'unbounded-pool',
        cluster,
        source: pool.name,
        message:
          `${cluster}, ${pool.name}: some group's MaxSize is unknown and the pool sets neither maxPerZone ` +
          'nor maxNodes; not counted',
      });
      continue;
    }
    const instanceTypes = pool.instanceTypes ?? [
      ...new Set(facts.flatMap((group) => group?.instanceTypes ?? [])),
    ];
    if (instanceTypes.length === 0) {
      problems.push({
        kind: 'no-instance-types',
        cluster,
        source: pool.name,
        message: `${cluster}, ${pool.name}: no instance types in the config or the groups; not counted`,
      });
      continue;
    }
    const capacityType =
      pool.capacityType ?? facts.find((group) => group?.capacityType)?.capacityType ?? 'on-demand';
    result.push({
      name: pool.name,
      capacityType,
      instanceTypes,
      zoneMaxima: known ? maxima : [],
      ...(pool.maxNodes !== undefined ? { maxNodes: pool.maxNodes } : {}),
    });
  }
  return { pools: result, problems };
}

/**
 * A pool the node-pool core resolved (config and tag-discovered groups merged), as the demand sees it.
 *
 * @example resolvePools(input).pools.map(poolFromNodePool)
 */
export function poolFromNodePool(pool: NodePool): PoolDemandInput {
  return {
    name: pool.name,
    capacityType: pool.capacityType,
    instanceTypes: pool.instanceTypes,
    zoneMaxima: pool.groups.map((group) => group.maxSize),
    ...(pool.maxNodes !== undefined ? { maxNodes: pool.maxNodes } : {}),
  };
}

/**
 * The control plane's share: its ladder's ceiling and the type it runs now (a ceiling below the current
 * type still leaves the current one running), or nothing for EKS, whose control plane runs in AWS's
 * account.
 *
 * @example controlPlaneDemandOf(cluster.controlPlane, { instanceType: 'm7i.2xlarge', instances: 3 })
 * // { instanceTypes: ['m7i.8xlarge', 'm7i.2xlarge'], instances: 3 } with ceiling m7i.8xlarge
 */
export function controlPlaneDemandOf(
  config: Pick<ControlPlaneConfig, 'ec2' | 'ladder'>,
  current: { instanceType: string; instances: number },
): ControlPlaneDemandInput | undefined {
  if (!config.ec2) return undefined;
  const ceiling = config.ladder.ceiling;
  const instanceTypes =
    ceiling && ceiling !== current.instanceType ? [ceiling, current.instanceType] : [current.instanceType];
  return { instanceTypes, instances: current.instances };
}
