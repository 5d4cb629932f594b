import type { z } from 'zod';
import { parseNodePoolEvent } from '../config/node-pool-event';
import { type NodePoolsConfig, nodePoolsSchema } from '../config/node-pools';
import { acceptNodePoolEvent, type NodePoolEventAcceptance } from '../loops/node-pool-events';
import { type NodePoolTickSummary, runNodePoolTick } from '../loops/node-pool-loop';
import { KUBELET_DEFAULT_MAX_PODS } from '../network/plan';
import { resolvePools } from '../nodepools/pools';
import type { AutoScalingGroup, AutoScalingPort } from '../ports/auto-scaling';
import type { Ec2Port, InstanceTypeInfo } from '../ports/ec2';
import type { KubernetesPort, Node, Pod } from '../ports/kubernetes';
import { type Logger, silentLogger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import { DEFAULT_BOOT_SECONDS } from './cloud';
import type { SimController } from './driver';
import { eventBridgeEvent, type SimInstanceEvent } from './instance-events';
import { NodePoolRecorder } from './node-pool-record';
import type { DisruptionOutcome, InstanceEventStatus } from './result';
import type { SimWorld } from './world';

export interface NodePoolControllerOptions {
  state?: StateStore;
  /** @default the scenario's `nodePools` (an empty config: pools from tags only) */
  settings?: z.input<typeof nodePoolsSchema>;
  log?: Logger;
  /** @default the settings' dryRun, else false */
  dryRun?: boolean;
  /** Called with each tick's summary, as the loop returned it (pod names included). */
  onTick?: (summary: NodePoolTickSummary) => void;
}

/** What a tick read through the ports, kept for the recorder (reading it again would cost API calls). */
interface TickReads {
  nodes?: Node[];
  pods?: Pod[];
  /** Every group any `describeGroups` of the tick returned (it may ask more than once). */
  groups: Map<string, AutoScalingGroup>;
  instanceTypes?: Map<string, InstanceTypeInfo>;
}

/** What became of a spot warning or rebalance recommendation, in the report's words. */
function statusOf(acceptance: NodePoolEventAcceptance): InstanceEventStatus {
  if (acceptance.action === 'tick') return acceptance.recorded ? 'recorded' : 'dry-run';
  return acceptance.reason === 'untracked' ? 'ignored' : acceptance.reason;
}

/**
 * The port with some methods replaced; every other member is the port's own, bound to it, so the
 * wrapper behaves exactly like the port for everything it does not watch.
 */
function watched<T extends object>(port: T, replaced: Partial<T>): T {
  return new Proxy(port, {
    get(target, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The real node-pool loop as a simulator controller: the same `runNodePoolTick` a Lambda runs, against
 * the world's cluster, Auto Scaling, EC2 and network plan, with the settings of the scenario and
 * whatever state store the caller chose (DynamoDB on dynalite for `npm start`). EC2's instance events
 * (spot warnings, rebalance recommendations, state changes) reach it the way they reach the Lambda: as
 * EventBridge JSON through `parseNodePoolEvent` and `acceptNodePoolEvent`, which decide whether a tick
 * starts at once. It records what each tick read and decided (nodes per pool against their lower bound,
 * scale-ups, failures, where the pods it saw unschedulable went) and what became of each spot warning
 * and rebalance recommendation into the result's `nodePools`.
 *
 * @example
 * const result = await runSimulation(world, {
 *   controllers: [hpaController(world), nodePoolController(world)],
 * });
 * result.nodePools?.pools; // nodes and node-hours per pool
 */
export function nodePoolController(world: SimWorld, options: NodePoolControllerOptions = {}): SimController {
  const settings: NodePoolsConfig = nodePoolsSchema.parse(options.settings ?? world.scenario.nodePools ?? {});
  const state = options.state ?? world.state;
  const log = options.log ?? silentLogger;
  const dryRun = options.dryRun ?? settings.dryRun ?? false;
  const intervalMs = settings.intervalSeconds * 1000;
  const bootSeconds = world.scenario.nodeGroups.reduce(
    (longest, group) => Math.max(longest, group.bootSeconds ?? DEFAULT_BOOT_SECONDS),
    0,
  );
  const recorder = new NodePoolRecorder(intervalMs, bootSeconds);
  const cluster = world.scenario.clusterName;
  let reads: TickReads = { groups: new Map() };
  /** Pool names by group, as the last tick resolved them (interruption warnings name only the group). */
  const resolvedPoolOfGroup = new Map<string, string>();
  // Pods lost and budgets violated while the loop itself removed a node; the rest is EC2's doing.
  const byLoop = { podsLost: 0, pdbViolations: 0 };
  const chargedToLoop = async <T>(remove: () => Promise<T>): Promise<T> => {
    const before = world.cluster.disruptionStats();
    try {
      return await remove();
    } finally {
      const after = world.cluster.disruptionStats();
      byLoop.podsLost += after.podsLost - before.podsLost;
      byLoop.pdbViolations += after.pdbViolations - before.pdbViolations;
    }
  };

  const kubernetes = watched<KubernetesPort>(world.cluster, {
    listNodes: async () => {
      reads.nodes = await world.cluster.listNodes();
      return reads.nodes;
    },
    listPods: async () => {
      reads.pods = await world.cluster.listPods();
      return reads.pods;
    },
    deleteNode: (name: string) => chargedToLoop(() => world.cluster.deleteNode(name)),
  });
  const autoScaling = watched<AutoScalingPort>(world.cloud, {
    describeGroups: async (names?: string[], withTagKey?: string) => {
      const groups = await world.cloud.describeGroups(names, withTagKey);
      for (const group of groups) reads.groups.set(group.name, group);
      return groups;
    },
    terminateInstance: (instanceId: string, decrement: boolean) =>
      chargedToLoop(() => world.cloud.terminateInstance(instanceId, decrement)),
  });
  const ec2 = watched<Ec2Port>(world.ec2, {
    describeInstanceTypes: async (types: string[]) => {
      reads.instanceTypes = await world.ec2.describeInstanceTypes(types);
      return reads.instanceTypes;
    },
  });

  /** The event as EventBridge hands it to the Lambda, through the Lambda's own parsing and handling. */
  const deliver = async (event: SimInstanceEvent): Promise<NodePoolEventAcceptance> => {
    const payload = eventBridgeEvent(event, { account: world.cloud.accountId, region: world.cloud.region });
    const parsed = parseNodePoolEvent(payload);
    if (!parsed.ok) {
      const problems = parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new Error(`the simulated ${event.kind} event ${event.id} does not parse: ${problems}`);
    }
    return acceptNodePoolEvent({ cluster, settings, autoScaling: world.cloud, state }, parsed.event, dryRun);
  };

  return {
    name: 'node-pools',
    intervalMs,
    async tick() {
      if (!settings.enabled) return;
      reads = { groups: new Map() };
      const summary = await runNodePoolTick({
        cluster,
        kubernetes,
        autoScaling,
        ec2,
        state,
        clock: world.clock,
        log,
        settings,
        ...(world.network ? { network: world.network } : {}),
        dryRun,
      });
      options.onTick?.(summary);
      const { nodes, pods, instanceTypes } = reads;
      if (!nodes || !pods || !instanceTypes) return summary;
      const groups = [...reads.groups.values()];
      const { pools } = resolvePools({
        cluster,
        config: settings,
        groups,
        instanceTypes,
        maxPodsPerNode: world.network?.maxPodsPerNode ?? KUBELET_DEFAULT_MAX_PODS,
        nodes,
      });
      for (const pool of pools)
        for (const group of pool.groups) resolvedPoolOfGroup.set(group.asgName, pool.name);
      recorder.observe({ summary, nodes, pods, groups, pools });
      return summary;
    },
    async deliverEvents() {
      if (!settings.enabled) return false;
      let tickNow = false;
      for (const event of world.cloud.takeInstanceEvents()) {
        const acceptance = await deliver(event);
        if (acceptance.action === 'tick') tickNow = true;
        // A state change only finishes what a warning or drain started; the run lists those instead.
        if (event.kind === 'instance-state-change') continue;
        const status = statusOf(acceptance);
        const pool =
          resolvedPoolOfGroup.get(event.groupName) ??
          (status === 'not-ours' ? '(not ours)' : event.groupName);
        recorder.interruption(
          {
            kind: event.kind,
            instanceId: event.instanceId,
            node: event.nodeName,
            warnedAt: event.time,
            ...(event.kind === 'spot-interruption' ? { deadline: event.interruptAt } : {}),
            status,
          },
          pool,
        );
      }
      return tickNow;
    },
    sample: (now) => recorder.sample(now),
    finish: (end) => {
      const stats = world.cluster.disruptionStats();
      const disruption: DisruptionOutcome = {
        evictions: stats.evictions,
        evictionsBlocked: stats.evictionsBlocked,
        podsLost: stats.podsLost,
        podsLostByLoop: byLoop.podsLost,
        podsLostOutsideLoop: stats.podsLost - byLoop.podsLost,
        pdbViolations: stats.pdbViolations,
        pdbViolationsByLoop: byLoop.pdbViolations,
      };
      return { nodePools: recorder.finish(end, (group) => world.cloud.activities(group), disruption) };
    },
  };
}
