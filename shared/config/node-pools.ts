import { z } from 'zod';
import { labelKeyProblem, labelValueProblem } from '../units/label-selector';
import { isQuantity } from '../units/quantity';

/**
 * The node-pool loop of one cluster: its tunables and its pools. Defaults and where they come from:
 * - `provisionTimeoutSeconds` 300: cluster-autoscaler waits 15 min (`--max-node-provision-time`) before
 *   it calls a scale-up failed; a node boots in about two, so five minutes already means "not coming".
 * - backoff 60 s initial, doubling to 600 s, reset after 1 h without failures: cluster-autoscaler's is
 *   5 min / 30 min / 3 h, too slow for a fallback that must act within a tick.
 * - `unavailableOfferingSeconds` 180: Karpenter's unavailable-offerings cache TTL (3 min).
 * - `maxNodesPerTick` 100, `maxEventsPerTick` 50: bounds on one tick's work and noise.
 */
export const NODE_POOL_DEFAULTS = {
  intervalSeconds: 15,
  provisionTimeoutSeconds: 300,
  backoff: { initialSeconds: 60, maxSeconds: 600, resetSeconds: 3600 },
  unavailableOfferingSeconds: 180,
  maxNodesPerTick: 100,
  maxEventsPerTick: 50,
  /**
   * Taints of a node that is still starting: kube-controller-manager's not-ready taint until the node
   * controller sees it Ready, the network's and the cloud provider's until they initialised it, Cilium's
   * until its agent runs (cluster-autoscaler calls these startup taints).
   */
  startupTaintKeys: [
    'node.kubernetes.io/not-ready',
    'node.kubernetes.io/network-unavailable',
    'node.cloudprovider.kubernetes.io/uninitialized',
    'node.cilium.io/agent-not-ready',
  ],
} as const;

/** A pool's name: a DNS label, as it ends up in state keys, Events and reports. */
export const POOL_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An EC2 instance type: a family (`m5`, `g4dn`, `m7i-flex`, `u-6tb1`), a dot, a size (`large`, `2xlarge`,
 * `metal-48xl`).
 */
export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$/;

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

const labelKey = z.string().superRefine((key, ctx) => {
  const problem = labelKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const labelValue = z.string().superRefine((value, ctx) => {
  const problem = labelValueProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const taintSchema = z
  .object({
    key: labelKey,
    value: labelValue.optional(),
    effect: z.enum(TAINT_EFFECTS),
  })
  .strict();

const quantity = z.string().refine(isQuantity, 'a Kubernetes quantity like "500m" or "1Gi"');

const backoffSchema = z
  .object({
    initialSeconds: z.number().int().min(1).default(NODE_POOL_DEFAULTS.backoff.initialSeconds),
    maxSeconds: z.number().int().min(1).default(NODE_POOL_DEFAULTS.backoff.maxSeconds),
    resetSeconds: z.number().int().min(1).default(NODE_POOL_DEFAULTS.backoff.resetSeconds),
  })
  .strict();

const asgName = z.string().regex(/^[\w+=,.@/:-]{1,255}$/, 'an Auto Scaling group name');

/**
 * Scale-down: cluster-autoscaler's defaults (`--scale-down-utilization-threshold` 0.5,
 * `--scale-down-unneeded-time` 10 min, `--scale-down-unready-time` 20 min, `--scale-down-delay-after-add`
 * 10 min, `--max-empty-bulk-delete` 10, `--max-scale-down-parallelism` 10), except that nodes with pods
 * drain one per pool per tick and fallback pools are held to 1.0 so they give their nodes back.
 */
const scaleDownSchema = z
  .object({
    enabled: z.boolean().default(true),
    utilizationThreshold: z.number().min(0).max(1).default(0.5),
    fallbackUtilizationThreshold: z.number().min(0).max(1).default(1),
    unneededSeconds: z.number().int().min(0).default(600),
    unreadySeconds: z.number().int().min(0).default(1200),
    delayAfterAddSeconds: z.number().int().min(0).default(600),
    maxEmptyPerTick: z.number().int().min(0).default(10),
    maxDrainsPerPoolPerTick: z.number().int().min(0).default(1),
    maxConcurrentDrains: z.number().int().min(0).default(10),
  })
  .strict();

/** Drains: see DEFAULT_DRAIN_SETTINGS in shared/nodepools/drain.ts for why these defaults. */
const drainSchema = z
  .object({
    timeoutSeconds: z.number().int().min(30).default(600),
    evictionRetrySeconds: z.number().int().min(1).default(15),
    evictionBlockedTimeoutSeconds: z.number().int().min(1).default(300),
    maxGracePeriodSeconds: z.number().int().min(0).default(600),
    terminateRetrySeconds: z.number().int().min(5).default(60),
  })
  .strict();

export const nodePoolSchema = z
  .object({
    name: z
      .string()
      .regex(
        POOL_NAME_PATTERN,
        'lower-case letters, digits and "-", at most 63, starting and ending alphanumeric',
      ),
    priority: z.number().int().default(0).describe('Higher first; fallback pools below the default (0).'),
    capacityType: z.enum(['on-demand', 'spot']).optional().describe('Default: from the groups.'),
    instanceTypes: z
      .array(z.string().regex(INSTANCE_TYPE_PATTERN, 'an EC2 instance type like m5.large'))
      .min(1)
      .optional()
      .describe('Default: from the groups (launch template or mixed-instances overrides).'),
    asgs: z.array(asgName).min(1).describe('One Auto Scaling group per zone.'),
    minPerZone: z.number().int().min(0).optional().describe('Narrows the groups’ own MinSize.'),
    maxPerZone: z.number().int().min(0).optional().describe('Narrows the groups’ own MaxSize.'),
    maxNodes: z.number().int().min(0).optional().describe('Nodes of the whole pool at most.'),
    labels: z
      .record(z.string(), labelValue)
      .superRefine((labels, ctx) => {
        // Checked here, not as the record's key schema, which would only say "Invalid key in record".
        for (const key of Object.keys(labels)) {
          const problem = labelKeyProblem(key);
          if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
        }
      })
      .default({}),
    taints: z.array(taintSchema).default([]),
    scaleDownUtilizationThreshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Nodes of this pool below this utilization may go (default: scaleDown’s, 1.0 for fallback pools).',
      ),
    spotTaint: z.boolean().default(true).describe('Give spot nodes the spot taint (spot is opt-in).'),
    architecture: z.enum(['x86_64', 'arm64']).optional(),
    resources: z
      .record(z.string(), quantity)
      .superRefine((resources, ctx) => {
        for (const name of Object.keys(resources)) {
          if (['cpu', 'memory', 'pods'].includes(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: 'cpu, memory and pods come from the instance type (use reserved instead)',
            });
          }
        }
      })
      .default({})
      .describe(
        'Resources the nodes have besides the instance type’s, e.g. ephemeral-storage (the root volume ' +
          'after the kubelet’s disk eviction) or hugepages; overrides the node-template/resources tags.',
      ),
    reserved: z
      .object({
        kubeReserved: z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict().optional(),
        systemReserved: z
          .object({ cpu: quantity.optional(), memory: quantity.optional() })
          .strict()
          .optional(),
        evictionMemoryAvailable: z
          .string()
          .refine(
            (text) => isQuantity(text) || /^\d+(\.\d+)?%$/.test(text),
            'a quantity like "100Mi" or a percentage like "5%"',
          )
          .optional(),
      })
      .strict()
      .optional()
      .describe('Kubelet reservations of the pool’s nodes (defaults: template-node.ts).'),
    backoff: backoffSchema.optional().describe('Overrides the cluster’s backoff for this pool.'),
  })
  .strict();

export const nodePoolsSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the node-pool loop for this cluster.'),
    dryRun: z.boolean().optional().describe('Overrides the cluster’s dryRun for this loop.'),
    intervalSeconds: z.number().int().min(5).max(60).default(NODE_POOL_DEFAULTS.intervalSeconds),
    discoverByTags: z
      .boolean()
      .default(true)
      .describe(
        'Also use groups tagged k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster>.',
      ),
    podNetworking: z
      .enum(['node-cidr', 'aws-vpc-cni'])
      .default('node-cidr')
      .describe('aws-vpc-cni without prefix delegation also caps pods per node by ENIs.'),
    provisionTimeoutSeconds: z.number().int().min(30).default(NODE_POOL_DEFAULTS.provisionTimeoutSeconds),
    backoff: backoffSchema.default(backoffSchema.parse({})),
    unavailableOfferingSeconds: z
      .number()
      .int()
      .min(0)
      .default(NODE_POOL_DEFAULTS.unavailableOfferingSeconds),
    maxNodesPerTick: z.number().int().min(1).default(NODE_POOL_DEFAULTS.maxNodesPerTick),
    maxNodes: z.number().int().min(1).optional().describe('Below the network plan’s max node count.'),
    maxVcpus: z.number().int().min(1).optional(),
    maxMemoryMiB: z.number().int().min(1).optional(),
    maxEventsPerTick: z.number().int().min(0).default(NODE_POOL_DEFAULTS.maxEventsPerTick),
    scaleDown: scaleDownSchema.default(scaleDownSchema.parse({})),
    drain: drainSchema.default(drainSchema.parse({})),
    startupTaintKeys: z
      .array(z.string().min(1))
      .default([...NODE_POOL_DEFAULTS.startupTaintKeys])
      .describe('A node with one of these taints is still starting: it counts as coming, not as ready.'),
    pools: z.array(nodePoolSchema).default([]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const names = new Map<string, number>();
    const groups = new Map<string, number>();
    for (const [index, pool] of settings.pools.entries()) {
      const first = names.get(pool.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pools', index, 'name'],
          message: `pool name "${pool.name}" is already used by pools[${first}]`,
        });
      } else {
        names.set(pool.name, index);
      }
      for (const [g, group] of pool.asgs.entries()) {
        const owner = groups.get(group);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['pools', index, 'asgs', g],
            message:
              owner === index
                ? `group "${group}" is listed twice in this pool`
                : `group "${group}" already belongs to pools[${owner}]`,
          });
        } else {
          groups.set(group, index);
        }
      }
      const taints = new Set<string>();
      for (const [t, taint] of pool.taints.entries()) {
        const id = `${taint.key}:${taint.effect}`;
        if (taints.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pools', index, 'taints', t],
            message: `taint ${taint.key} with effect ${taint.effect} is given twice`,
          });
        }
        taints.add(id);
      }
      if (
        pool.minPerZone !== undefined &&
        pool.maxPerZone !== undefined &&
        pool.minPerZone > pool.maxPerZone
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['pools', index, 'minPerZone'],
          message: `minPerZone ${pool.minPerZone} is above maxPerZone ${pool.maxPerZone}`,
        });
      }
      const backoff = pool.backoff;
      if (backoff && backoff.initialSeconds > backoff.maxSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['pools', index, 'backoff', 'initialSeconds'],
          message: `initialSeconds ${backoff.initialSeconds} is above maxSeconds ${backoff.maxSeconds}`,
        });
      }
    }
    if (settings.backoff.initialSeconds > settings.backoff.maxSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoff', 'initialSeconds'],
        message: `initialSeconds ${settings.backoff.initialSeconds} is above maxSeconds ${settings.backoff.maxSeconds}`,
      });
    }
  });

export type NodePoolConfig = z.infer<typeof nodePoolSchema>;
export type NodePoolsConfig = z.infer<typeof nodePoolsSchema>;

/**
 * Whether the loop has Auto Scaling groups to watch: listed in a pool or discovered by tags. Without any,
 * no launch can fail and no node of the loop's can be interrupted, so the stack makes no event rules.
 */
export function hasNodePoolGroups(settings: NodePoolsConfig): boolean {
  return settings.discoverByTags || settings.pools.some((pool) => pool.asgs.length > 0);
}
