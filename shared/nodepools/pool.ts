/**
 * Node pools as the node-pool cores see them, after config, Auto Scaling group tags and EC2's instance
 * types have been resolved (see pools.ts): one logical pool backed by one Auto Scaling group per zone,
 * each group with the template node it would add. Pure data.
 */

import type { Taint } from '../ports/kubernetes';
import type { TemplateNode } from './template-node';

export type CapacityType = 'on-demand' | 'spot';

/** One zone of a pool: its Auto Scaling group as read this tick. */
export interface PoolGroup {
  asgName: string;
  zone: string;
  /** Effective bounds: the group's own min/max, narrowed by the pool's per-zone config. */
  minSize: number;
  maxSize: number;
  /** Desired capacity as read this tick. */
  desiredCapacity: number;
  /** Ready nodes that belong to the group's instances (by provider ID). */
  readyNodes: number;
  /** What one more node of this group looks like (planned with the pool's smallest instance type). */
  template: TemplateNode;
  /**
   * Why the group may not grow now (backed off after a failed scale-up, its offering is unavailable,
   * not tagged for the cluster, ...). Instances it is already launching still count as upcoming.
   */
  blocked?: string;
}

export interface NodePool {
  name: string;
  /** Higher first; the default pool has 0, fallback pools less. */
  priority: number;
  capacityType: CapacityType;
  /** Every type the groups may launch (mixed-instances groups have several). */
  instanceTypes: string[];
  /** The smallest of `instanceTypes` by vCPU, then memory: what the templates are made of. */
  planningInstanceType: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** One per zone. */
  groups: PoolGroup[];
  /** Nodes of the whole pool at most (sum over zones), when configured. */
  maxNodes?: number;
}

/** Cluster-wide limits of one plan. */
export interface ScaleUpLimits {
  /** Nodes in the cluster at most (the network plan's max node count, or less from config). */
  maxNodes: number;
  /** Why `maxNodes` is what it is, for reports: "the network plan (10.2.0.0/16, /24 per node)". */
  maxNodesSource: string;
  /** New nodes one plan may add over all groups. */
  maxNodesPerTick: number;
  /** vCPUs of all nodes (existing, upcoming and planned) at most, when configured. */
  maxVcpus?: number;
  /** Memory of all nodes at most, in MiB, when configured. */
  maxMemoryMiB?: number;
}

/** `namespace/name`, how plans name pods. */
export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}
