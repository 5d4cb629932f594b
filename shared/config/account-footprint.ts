import { hasNodePoolGroups } from './node-pools';
import type { ClusterConfig, DeploymentConfig } from './schema';

/**
 * Account limits a tideplane deployment uses up, with the defaults AWS gives a new account. Both are
 * adjustable in Service Quotas; a deploy that crosses one fails part-way.
 */
export const ACCOUNT_LIMIT_DEFAULTS = {
  /** IAM "Roles per account" (global: every region's stacks count). */
  iamRoles: 1_000,
  /** EventBridge "Rules per event bus" in most regions (100 in af-south-1 and eu-south-1). */
  eventBusRules: 300,
} as const;

const REGIONS_WITH_FEWER_RULES = new Set(['af-south-1', 'eu-south-1']);

/** What the stacks of one account and region create that an account limit counts. */
export interface RegionFootprint {
  readonly region: string;
  readonly clusters: number;
  readonly iamRoles: number;
  /** Rules on the region's default event bus. */
  readonly eventBusRules: number;
  /** The default quota of rules on that bus in this region. */
  readonly eventBusRulesDefault: number;
}

export interface AccountFootprint {
  readonly accountId: string;
  readonly name?: string;
  readonly iamRoles: number;
  readonly regions: readonly RegionFootprint[];
}

/**
 * IAM roles a cluster's stack creates: one per loop function and one its schedules share
 * (`TideplaneClusterStack`).
 */
export function clusterIamRoles(cluster: ClusterConfig): number {
  const functions = 1 + (cluster.nodePools ? 1 : 0) + (cluster.controlPlane ? 1 : 0) + (cluster.vpa ? 1 : 0);
  return functions + 1;
}

/**
 * Rules a cluster's stack puts on the default event bus: with node pools that have groups (listed or
 * discovered), one for launch failures and three for EC2's instance events (`InstanceEventRules`).
 */
export function clusterEventBusRules(cluster: ClusterConfig): number {
  return cluster.nodePools && hasNodePoolGroups(cluster.nodePools) ? 4 : 0;
}

/** The quota loop of a region: its function's role and its schedule's role. */
const QUOTA_LOOP_IAM_ROLES = 2;

/**
 * What the config's stacks take of each account's IAM roles and each region's event-bus rules; the
 * infra scale test checks these counts against the synthesized templates.
 *
 * @example accountFootprints(config)[0] // { accountId: '123456789012', iamRoles: 752, regions: [{ region: 'eu-central-1', eventBusRules: 600, ... }] }
 */
export function accountFootprints(config: DeploymentConfig): AccountFootprint[] {
  // Entries of one account (or one region) may repeat in a config; their stacks are the same stacks.
  const accounts = new Map<string, { name?: string; regions: Map<string, RegionTally> }>();
  for (const account of config.accounts) {
    const tally = accounts.get(account.id) ?? { regions: new Map<string, RegionTally>() };
    if (account.name !== undefined) tally.name = account.name;
    for (const region of account.regions) {
      const counts = tally.regions.get(region.name) ?? {
        clusters: 0,
        clusterRoles: 0,
        rules: 0,
        quotas: false,
      };
      counts.clusters += region.clusters.length;
      counts.clusterRoles += region.clusters.reduce((sum, cluster) => sum + clusterIamRoles(cluster), 0);
      counts.rules += region.clusters.reduce((sum, cluster) => sum + clusterEventBusRules(cluster), 0);
      counts.quotas ||= region.quotas !== undefined;
      tally.regions.set(region.name, counts);
    }
    accounts.set(account.id, tally);
  }
  return [...accounts].map(([accountId, { name, regions }]) => {
    const list: RegionFootprint[] = [...regions].map(([region, counts]) => ({
      region,
      clusters: counts.clusters,
      iamRoles: counts.clusterRoles + (counts.quotas ? QUOTA_LOOP_IAM_ROLES : 0),
      eventBusRules: counts.rules,
      eventBusRulesDefault: REGIONS_WITH_FEWER_RULES.has(region) ? 100 : ACCOUNT_LIMIT_DEFAULTS.eventBusRules,
    }));
    return {
      accountId,
      ...(name !== undefined ? { name } : {}),
      iamRoles: list.reduce((sum, region) => sum + region.iamRoles, 0),
      regions: list,
    };
  });
}

interface RegionTally {
  clusters: number;
  clusterRoles: number;
  rules: number;
  quotas: boolean;
}
