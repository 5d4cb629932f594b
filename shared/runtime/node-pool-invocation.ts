import type { ResolvedCluster } from '../config/load';
import { formatPath } from '../config/load';
import { parseNodePoolEvent } from '../config/node-pool-event';
import type { NodePoolsConfig } from '../config/node-pools';
import { networkInputOf } from '../config/schema';
import { acceptNodePoolEvent } from '../loops/node-pool-events';
import { type NodePoolTickSummary, renderNodePoolSummary, runNodePoolTick } from '../loops/node-pool-loop';
import { type NetworkPlan, planNetwork } from '../network/plan';
import type { AutoScalingPort } from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Ec2Port } from '../ports/ec2';
import type { KubernetesPort } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import { type InvocationResult, runUnderLease } from './invocation';

/** The lease of the node-pool loop (`lease#node-pools`). */
export const NODE_POOL_LOOP = 'node-pools';

export interface NodePoolInvocationDeps {
  config: ResolvedCluster;
  /** Built lazily: an invalid or refused event never touches the cluster or its secrets. */
  connect: () => Promise<{ kubernetes: KubernetesPort }>;
  autoScaling: AutoScalingPort;
  ec2: Ec2Port;
  state: StateStore;
  clock: Clock;
  log: Logger;
  /** The Lambda request id. */
  owner: string;
  remainingMs: () => number;
}

export type NodePoolInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      cluster: string;
      dryRun: boolean;
      /**
       * `lease-held`: another invocation runs the loop right now (a reported failure waits in the state
       * store for its next tick); `ignored`: an event of another cluster's group or instance, a
       * duplicate, or a state change of an instance nothing here refers to (`acceptNodePoolEvent`).
       */
      status: InvocationResult<NodePoolTickSummary>['status'] | 'disabled' | 'ignored';
      ticks: NodePoolTickSummary[];
      /** What a person reads in the Lambda console. */
      summary: string;
    };

function networkOf(config: ResolvedCluster): NetworkPlan | undefined {
  const network = config.cluster.network;
  if (!network) return undefined;
  const result = planNetwork(networkInputOf(network));
  // The config schema runs the same plan, so a config that got here plans fine.
  if (!result.ok) throw new Error(`network: ${result.problems.join('; ')}`);
  return result.plan;
}

/**
 * One invocation of the node-pool function: validate the payload, then tick under the cluster's lease.
 * A bad payload gets a message naming the field and changes nothing; so does an event for another
 * cluster or region.
 */
export async function runNodePoolInvocation(
  payload: unknown,
  deps: NodePoolInvocationDeps,
): Promise<NodePoolInvocationResponse> {
  const parsed = parseNodePoolEvent(payload);
  if (!parsed.ok) {
    const problems = parsed.issues.map((issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`);
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const { cluster } = deps.config;
  const settings: NodePoolsConfig | undefined = cluster.nodePools;
  const event = parsed.event;
  if (event.kind === 'request' && event.request.cluster !== cluster.name) {
    return {
      ok: false,
      error: `cluster: this function serves "${cluster.name}", not "${event.request.cluster}"`,
    };
  }
  if (event.kind !== 'request' && event.event.region !== deps.config.region) {
    return {
      ok: false,
      error: `region: this function serves ${deps.config.region}, not ${event.event.region}`,
    };
  }
  const requested = event.kind === 'request' ? event.request : undefined;
  const dryRun = cluster.dryRun || settings?.dryRun === true || requested?.dryRun === true;
  const base = { ok: true as const, cluster: cluster.name, dryRun, ticks: [] };
  if (!cluster.enabled || !settings?.enabled) {
    const why = !cluster.enabled
      ? 'the cluster is disabled'
      : 'the node-pool loop is disabled (nodePools absent or enabled: false)';
    return { ...base, status: 'disabled', summary: `${cluster.name}: ${why}` };
  }

  const accepted = await acceptNodePoolEvent(
    { cluster: cluster.name, settings, autoScaling: deps.autoScaling, state: deps.state },
    event,
    dryRun,
  );
  if (accepted.action === 'ignored') return { ...base, status: 'ignored', summary: accepted.summary };
  const { maxTicks } = accepted;

  const network = networkOf(deps.config);
  let connection: ReturnType<NodePoolInvocationDeps['connect']> | undefined;
  const result = await runUnderLease({
    cluster: cluster.name,
    loop: NODE_POOL_LOOP,
    owner: deps.owner,
    state: deps.state,
    clock: deps.clock,
    log: deps.log,
    intervalMs: settings.intervalSeconds * 1000,
    remainingMs: deps.remainingMs,
    ...(maxTicks !== undefined ? { maxTicks } : {}),
    tick: async () => {
      connection ??= deps.connect();
      const { kubernetes } = await connection;
      return runNodePoolTick({
        cluster: cluster.name,
        kubernetes,
        autoScaling: deps.autoScaling,
        ec2: deps.ec2,
        state: deps.state,
        clock: deps.clock,
        log: deps.log,
        settings,
        ...(network ? { network } : {}),
        dryRun,
      });
    },
  });
  const summary =
    result.status === 'lease-held'
      ? `${cluster.name}: another invocation holds the node-pool lease; nothing done now` +
        (event.kind === 'launch-unsuccessful' ? ' (the failure is recorded for its next tick)' : '')
      : result.ticks.map(renderNodePoolSummary).join('\n\n');
  return { ...base, status: result.status, ticks: result.ticks, summary };
}
