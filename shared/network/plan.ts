/**
 * Network limits of a cluster, from its pod CIDR and the node CIDR mask size (kube-controller-manager's
 * `--cluster-cidr` and `--node-cidr-mask-size`): how many addresses each node gets, how many nodes the
 * cluster can have, and how many pods a node should run. Pure: the node-pool loops plan with it, the
 * config validator refuses plans that cannot work, `tideplane network plan` prints it.
 */

/** The kubelet's default `--max-pods`. */
export const KUBELET_DEFAULT_MAX_PODS = 110;

/**
 * Addresses per pod a node should have: twice as many as pods, so a pod's address is not reused at once
 * after it is freed (the rule behind GKE's and Zalando's node CIDR sizing).
 */
export const ADDRESSES_PER_POD = 2;

/** Node CIDRs narrower than this hold too few pods to be worth a node; allowed only when asked for. */
export const NARROWEST_DEFAULT_NODE_MASK = 26;

/** A node range needs room for at least a few pods even when narrow ranges are allowed. */
export const NARROWEST_NODE_MASK = 28;

export interface NetworkInput {
  /** The cluster's pod network, e.g. `10.2.0.0/16`. */
  clusterCidr: string;
  /** Prefix length of each node's pod range, e.g. 24. */
  nodeCidrMaskSize: number;
  /** Accept node ranges narrower than /26 (a /27 or /28). */
  allowNarrowNodeCidr?: boolean;
  /** Overrides the computed max pods per node (with a warning when it exceeds the rule). */
  maxPodsPerNode?: number;
  /**
   * The service network when it lies inside the cluster CIDR: kube-controller-manager's range allocator
   * marks the node ranges it overlaps as used, so they are not available to nodes.
   */
  serviceCidr?: string;
}

export interface NetworkPlan {
  clusterCidr: string;
  nodeCidrMaskSize: number;
  /** Addresses in one node's pod range. */
  addressesPerNode: number;
  /** Node ranges in the cluster CIDR. */
  nodeRanges: number;
  /** Node ranges the service CIDR takes (0 unless it lies inside the cluster CIDR). */
  reservedRanges: number;
  /** Nodes the cluster can hold: node ranges minus reserved ones. */
  maxNodes: number;
  /** Pods per node: addresses / 2, capped at the kubelet's default 110, unless overridden. */
  maxPodsPerNode: number;
  /** maxNodes × maxPodsPerNode. */
  maxPods: number;
  warnings: string[];
}

export type NetworkPlanResult = { ok: true; plan: NetworkPlan } | { ok: false; problems: string[] };

interface Cidr {
  address: number;
  prefix: number;
}

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  return { address, prefix };
}

const blockSize = (prefix: number) => 2 ** (32 - prefix);

/** The network address of `cidr` (host bits cleared). */
const networkOf = (cidr: Cidr) => Math.floor(cidr.address / blockSize(cidr.prefix)) * blockSize(cidr.prefix);

/** Node ranges of `cluster` at `nodeMask` that overlap `service`. */
function overlappedRanges(cluster: Cidr, nodeMask: number, service: Cidr): number {
  const clusterStart = networkOf(cluster);
  const clusterEnd = clusterStart + blockSize(cluster.prefix);
  const serviceStart = networkOf(service);
  const serviceEnd = serviceStart + blockSize(service.prefix);
  const start = Math.max(clusterStart, serviceStart);
  const end = Math.min(clusterEnd, serviceEnd);
  if (start >= end) return 0;
  const size = blockSize(nodeMask);
  return Math.floor((end - 1 - clusterStart) / size) - Math.floor((start - clusterStart) / size) + 1;
}

/**
 * The network plan, or every problem that makes it unusable.
 *
 * @example
 * planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 25 })
 * // { ok: true, plan: { addressesPerNode: 128, maxNodes: 512, maxPodsPerNode: 64, ... } }
 */
export function planNetwork(input: NetworkInput): NetworkPlanResult {
  const problems: string[] = [];
  const cluster = parseCidr(input.clusterCidr);
  if (!cluster) problems.push(`clusterCidr: "${input.clusterCidr}" is not an IPv4 CIDR like 10.2.0.0/16`);
  const mask = input.nodeCidrMaskSize;
  if (!Number.isInteger(mask) || mask < 1 || mask > 32) {
    problems.push(`nodeCidrMaskSize: ${mask} is not a prefix length`);
  } else if (cluster && mask < cluster.prefix) {
    problems.push(`nodeCidrMaskSize: /${mask} is wider than the cluster CIDR /${cluster.prefix}`);
  } else if (mask > NARROWEST_NODE_MASK) {
    problems.push(
      `nodeCidrMaskSize: /${mask} leaves a node fewer than ${blockSize(NARROWEST_NODE_MASK)} addresses`,
    );
  } else if (mask > NARROWEST_DEFAULT_NODE_MASK && !input.allowNarrowNodeCidr) {
    problems.push(
      `nodeCidrMaskSize: /${mask} gives ${blockSize(mask) / ADDRESSES_PER_POD} pods per node; ` +
        `ranges narrower than /${NARROWEST_DEFAULT_NODE_MASK} need allowNarrowNodeCidr: true`,
    );
  }
  const service = input.serviceCidr === undefined ? undefined : parseCidr(input.serviceCidr);
  if (input.serviceCidr !== undefined && !service) {
    problems.push(`serviceCidr: "${input.serviceCidr}" is not an IPv4 CIDR`);
  }
  const override = input.maxPodsPerNode;
  if (override !== undefined && (!Number.isInteger(override) || override < 1)) {
    problems.push(`maxPodsPerNode: ${override} is not a positive whole number`);
  }
  if (problems.length > 0 || !cluster) return { ok: false, problems };

  const addressesPerNode = blockSize(mask);
  const nodeRanges = 2 ** (mask - cluster.prefix);
  const reservedRanges = service ? overlappedRanges(cluster, mask, service) : 0;
  const byRule = Math.min(KUBELET_DEFAULT_MAX_PODS, Math.floor(addressesPerNode / ADDRESSES_PER_POD));
  const warnings: string[] = [];
  let maxPodsPerNode = byRule;
  if (override !== undefined) {
    // Network, gateway and broadcast addresses are not for pods.
    const usable = addressesPerNode - 3;
    if (override > usable) {
      return {
        ok: false,
        problems: [`maxPodsPerNode: ${override} pods cannot fit in a /${mask} (${usable} usable addresses)`],
      };
    }
    if (override > byRule) {
      warnings.push(
        `maxPodsPerNode ${override} exceeds ${byRule} (half of a /${mask}'s ${addressesPerNode} addresses, ` +
          `at most ${KUBELET_DEFAULT_MAX_PODS}): freed pod addresses will be reused quickly`,
      );
    }
    maxPodsPerNode = override;
  }
  if (reservedRanges > 0) {
    warnings.push(
      `the service CIDR ${input.serviceCidr} takes ${reservedRanges} node range(s) of the cluster CIDR`,
    );
  }
  const maxNodes = nodeRanges - reservedRanges;
  return {
    ok: true,
    plan: {
      clusterCidr: input.clusterCidr,
      nodeCidrMaskSize: mask,
      addressesPerNode,
      nodeRanges,
      reservedRanges,
      maxNodes,
      maxPodsPerNode,
      maxPods: maxNodes * maxPodsPerNode,
      warnings,
    },
  };
}
