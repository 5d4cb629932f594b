/**
 * Scale-down and drains of the node-pool loop on the simulated cluster and Auto Scaling with the real
 * DynamoDB store on dynalite: empty nodes, nodes with pods, PodDisruptionBudgets, a loop killed at every
 * step of a drain, and spot interruption warnings.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { type NodePoolsConfig, nodePoolsSchema } from '../../../shared/config/node-pools';
import { recordInterruption } from '../../../shared/loops/node-pool-interruptions';
import { runNodePoolTick } from '../../../shared/loops/node-pool-loop';
import { DRAIN_TAINT, drainRecordKey } from '../../../shared/nodepools/drain';
import { CA_ENABLED_TAG, clusterTag, NODE_POOL_TAG } from '../../../shared/nodepools/pools';
import { AutoScalingError, type AutoScalingPort } from '../../../shared/ports/auto-scaling';
import { ConflictError, type KubernetesPort } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import type { SimCloud } from '../../../shared/sim/cloud';
import type { SimCluster } from '../../../shared/sim/cluster';
import { SimEc2 } from '../../../shared/sim/ec2';
import type { VirtualClock } from '../../../shared/sim/virtual-clock';
import type { WorkloadSpec } from '../../../shared/sim/workload';
import { useSimAwsWorld } from './sim-aws-world';

const TICK_MS = 15_000;
const MINUTE = 60_000;

const world = useSimAwsWorld({ start: Date.UTC(2026, 10, 25, 22, 0, 0), seed: 9, prefix: 'down' });
let clock: VirtualClock;
let cluster: SimCluster;
let cloud: SimCloud;
let state: DynamoDbStateStore;
let clusterName: string;

beforeEach(() => {
  ({ clock, cluster, cloud, state, clusterName } = world);
});

function addGroup(name: string, desired: number, capacityType: 'on-demand' | 'spot' = 'on-demand') {
  cloud.addGroup({
    name,
    minSize: 1,
    maxSize: 10,
    desiredCapacity: desired,
    availabilityZones: ['eu-central-1a'],
    instanceType: 'm5.xlarge',
    capacityType,
    maxPods: 110,
    tags: { [CA_ENABLED_TAG]: 'true', [clusterTag(clusterName)]: 'owned', [NODE_POOL_TAG]: name },
  });
}

function addWorkload(name: string, replicas: number, cpu: string, extra: Partial<WorkloadSpec> = {}) {
  cluster.addWorkload(
    {
      namespace: 'shop',
      name,
      replicas,
      containers: [{ name: 'app', requests: { cpu, memory: '512Mi' } }],
      load: () => 0,
      cost: { cpuBaseMillis: 10, cpuMillisPerRps: 0, memoryBaseMi: 64, memoryMiPerRps: 0 },
      noise: 0,
      ...extra,
    },
    { warm: true },
  );
}

const fast = (overrides: Record<string, unknown> = {}): NodePoolsConfig =>
  nodePoolsSchema.parse({ scaleDown: { unneededSeconds: 60, delayAfterAddSeconds: 0 }, ...overrides });

function advance(ms: number) {
  clock.advance(ms);
  cloud.sync();
  cluster.sync();
}

function tick(
  settings: NodePoolsConfig = fast(),
  ports: { kubernetes?: KubernetesPort; autoScaling?: AutoScalingPort } = {},
) {
  return runNodePoolTick({
    cluster: clusterName,
    kubernetes: ports.kubernetes ?? cluster,
    autoScaling: ports.autoScaling ?? cloud,
    ec2: new SimEc2(),
    state,
    clock,
    log: silentLogger,
    settings,
    dryRun: false,
  });
}

/** Ticks every 15 s for `ms`, like an invocation would. */
async function tickFor(ms: number, settings?: NodePoolsConfig) {
  const ticks = [];
  for (let t = 0; t < ms; t += TICK_MS) {
    ticks.push(await tick(settings));
    advance(TICK_MS);
  }
  return ticks;
}

const desired = async (name: string) => (await cloud.describeGroups([name]))[0]?.desiredCapacity;
const nodeCount = async () => (await cluster.listNodes()).length;
const runningShopPods = async () =>
  (await cluster.listPods()).filter(
    (p) => p.namespace === 'shop' && p.phase === 'Running' && !p.deletionTimestamp,
  );

describe('scale-down', () => {
  it('removes an empty node after the unneeded time: taint, terminate with decrement, delete the Node', async () => {
    addGroup('workers', 3);
    addWorkload('web', 2, '500m');
    advance(1_000);
    const first = await tick();
    expect(first.scaleDown.started).toEqual([]);
    expect(first.scaleDown.unneeded).toBeGreaterThan(0);
    await tickFor(2 * MINUTE);
    // Two of three nodes hold nothing needed; the group minimum (1) keeps the last.
    expect(await desired('workers')).toBe(1);
    expect(await nodeCount()).toBe(1);
    expect(await runningShopPods()).toHaveLength(2);
    expect(cluster.disruptionStats()).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    expect(await state.query(clusterName, 'pool#drain#')).toEqual([]);
  });

  it('drains a node with pods through the Eviction API and its pods run elsewhere before it goes', async () => {
    addGroup('workers', 2);
    addWorkload('web', 4, '300m');
    advance(1_000);
    const before = await cluster.listNodes();
    expect(before).toHaveLength(2);
    await tickFor(4 * MINUTE);
    expect(await nodeCount()).toBe(1);
    expect(await desired('workers')).toBe(1);
    const running = await runningShopPods();
    expect(running).toHaveLength(4);
    const stats = cluster.disruptionStats();
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    const events = cluster.events().filter((e) => e.involvedObject.kind === 'Node');
    expect(events.some((e) => e.reason === 'ScaleDown')).toBe(true);
  });

  it('never terminates a node whose pods a PDB keeps: the drain gives up, untaints it and says why', async () => {
    addGroup('workers', 2);
    addWorkload('db', 2, '300m', { disruptionBudget: { minAvailable: 2 } });
    advance(1_000);
    const settings = fast({ drain: { evictionBlockedTimeoutSeconds: 60, timeoutSeconds: 120 } });
    // The planner already sees that the budget allows no disruption: no drain is even started.
    const ticks = await tickFor(5 * MINUTE, settings);
    expect(ticks.flatMap((t) => t.scaleDown.started)).toEqual([]);
    expect(
      ticks
        .at(-1)
        ?.scaleDown.blocked.map((b) => b.reason)
        .join(' '),
    ).toMatch(/disruption|budget/i);
    expect(await nodeCount()).toBe(2);
    expect(cluster.disruptionStats()).toMatchObject({ podsLost: 0, pdbViolations: 0 });
  });

  it('gives a node back, untainted, when Auto Scaling refuses its termination for good', async () => {
    addGroup('workers', 2);
    addWorkload('web', 1, '100m');
    advance(1_000);
    cloud.failNext(
      'terminateInstance',
      1,
      new AutoScalingError('Invalid', 'Currently, desiredSize equals minSize (2).'),
    );
    const ticks = await tickFor(
      2 * MINUTE,
      fast({
        scaleDown: { enabled: true, unneededSeconds: 60, delayAfterAddSeconds: 0, maxEmptyPerTick: 1 },
      }),
    );
    const refused = ticks
      .flatMap((t) => t.scaleDown.drains)
      .find((d) => d.actions.includes('terminate refused'));
    expect(refused).toBeDefined();
    const events = cluster.events().filter((e) => e.reason === 'ScaleDownFailed');
    expect(events[0]?.message).toMatch(
      /Auto Scaling refused the termination: Currently, desiredSize equals minSize/,
    );
    expect(cluster.disruptionStats().podsLost).toBe(0);
  });

  it('leaves nodes alone when scale-down is disabled or annotated scale-down-disabled', async () => {
    addGroup('workers', 3);
    addWorkload('web', 1, '100m');
    advance(1_000);
    await tickFor(3 * MINUTE, fast({ scaleDown: { enabled: false } }));
    expect(await nodeCount()).toBe(3);
  });
});

/** Wraps a port so that the call numbered `crashAt` (counting the methods named) throws after acting. */
function crashingAfter<T extends object>(port: T, methods: string[], crashAt: number): T {
  let calls = 0;
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !methods.includes(String(property))) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        if (++calls === crashAt) throw new Error(`Lambda killed after ${String(property)}`);
        return result;
      };
    },
  });
}

describe('a drain killed at every step', () => {
  const DRAIN_CALLS = ['setNodeTaint', 'evictPod', 'terminateInstance', 'deleteNode'];

  for (let crashAt = 1; crashAt <= 6; crashAt++) {
    it(`finishes after a crash following drain call ${crashAt}, terminating once and losing no pod`, async () => {
      addGroup('workers', 2);
      addWorkload('web', 3, '300m');
      advance(1_000);
      let terminations = 0;
      const counting = new Proxy(cloud, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property === 'terminateInstance') {
            return async (id: string, decrement: boolean) => {
              terminations++;
              return target.terminateInstance(id, decrement);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const broken = {
        kubernetes: crashingAfter(cluster, DRAIN_CALLS, crashAt),
        autoScaling: crashingAfter(counting, DRAIN_CALLS, Number.POSITIVE_INFINITY),
      };
      // Ticks until the drain started; the crashing tick throws or logs, then healthy ticks go on.
      for (let t = 0; t < 12; t++) {
        await tick(fast(), broken).catch(() => undefined);
        advance(TICK_MS);
      }
      await tickFor(5 * MINUTE);
      expect(await nodeCount()).toBe(1);
      expect(terminations).toBe(1);
      expect(await runningShopPods()).toHaveLength(3);
      expect(cluster.disruptionStats()).toMatchObject({ podsLost: 0, pdbViolations: 0 });
      const leftover = (await cluster.listNodes()).filter((n) =>
        n.taints.some((t) => t.key === DRAIN_TAINT.key),
      );
      expect(leftover).toEqual([]);
    });
  }
});

describe('a 409 on the drain taint', () => {
  it('keeps the drain, evicts nothing until the node is tainted, and finishes once the patch goes through', async () => {
    addGroup('workers', 2);
    addWorkload('web', 3, '300m');
    advance(1_000);
    let conflicts = 0;
    const conflicting = new Proxy(cluster, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'setNodeTaint') {
          return async (...args: Parameters<SimCluster['setNodeTaint']>) => {
            if (args[2] && conflicts < 3) {
              conflicts++;
              throw new ConflictError(
                `Operation cannot be fulfilled on nodes "${args[0]}": the object has been modified`,
              );
            }
            return target.setNodeTaint(...args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let drained: string | undefined;
    for (let t = 0; t < 16 && conflicts < 3; t++) {
      const result = await tick(fast(), { kubernetes: conflicting });
      drained ??= result.scaleDown.started[0]?.node;
      advance(TICK_MS);
    }
    expect(conflicts).toBe(3);
    if (!drained) throw new Error('no drain started');
    const record = await state.get(clusterName, drainRecordKey(drained));
    expect(record?.data).toMatchObject({ node: drained, state: 'tainted' });
    expect(cluster.disruptionStats().evictions).toBe(0);
    expect((await cluster.listNodes()).find((n) => n.name === drained)?.taints ?? []).not.toContainEqual(
      expect.objectContaining({ key: DRAIN_TAINT.key }),
    );

    await tickFor(5 * MINUTE, fast());
    expect(await nodeCount()).toBe(1);
    expect(await desired('workers')).toBe(1);
    expect(await runningShopPods()).toHaveLength(3);
    expect(cluster.disruptionStats()).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    expect(await state.get(clusterName, drainRecordKey(drained))).toBeUndefined();
  });
});

describe('spot interruption warnings', () => {
  it('drains the warned node at once, before the two-minute deadline, and a duplicate does nothing', async () => {
    addGroup('spot', 2, 'spot');
    addWorkload('batch', 2, '300m', {
      tolerations: [{ key: 'node.kubernetes.io/lifecycle', value: 'spot', effect: 'NoSchedule' }],
    });
    advance(1_000);
    const [victim] = cloud.instances('spot');
    if (!victim) throw new Error('no instance');
    const warning = cloud.interruptSpotInstance(victim.instanceId);
    const settings = fast({ scaleDown: { enabled: false } });
    const deps = { cluster: clusterName, autoScaling: cloud, state, settings };
    const event = { kind: 'spot-interruption' as const, instanceId: victim.instanceId, at: warning.warnedAt };
    expect(await recordInterruption(deps, event)).toMatchObject({ status: 'recorded', asgName: 'spot' });
    expect(await recordInterruption(deps, event)).toMatchObject({ status: 'duplicate' });
    expect(await recordInterruption(deps, { ...event, instanceId: 'i-0000000000000dead' })).toEqual({
      status: 'not-ours',
    });

    const first = await tick(settings);
    expect(first.scaleDown.started).toMatchObject([
      { node: victim.nodeName, reason: 'spot interruption warning' },
    ]);
    expect(first.scaleDown.drains[0]?.actions.join(' ')).toMatch(/taint.*evict/);
    expect(await state.get(clusterName, drainRecordKey(victim.nodeName))).toBeDefined();
    // Its offering is remembered as out of spot capacity.
    expect((await state.query(clusterName, 'pool#offering#')).map((i) => i.sk)).toEqual([
      'pool#offering#m5.xlarge#eu-central-1a#spot',
    ]);
    await tickFor(2 * MINUTE, settings);
    expect(cluster.disruptionStats().podsLost).toBe(0);
    expect((await cluster.listNodes()).some((n) => n.name === victim.nodeName)).toBe(false);
  });

  it('gives a drain a rebalance recommendation started the deadline of a later spot warning for the same instance', async () => {
    addGroup('spot', 2, 'spot');
    addWorkload('batch', 2, '300m', {
      tolerations: [{ key: 'node.kubernetes.io/lifecycle', value: 'spot', effect: 'NoSchedule' }],
      disruptionBudget: { minAvailable: 2 },
    });
    advance(1_000);
    const [victim] = cloud.instances('spot');
    if (!victim) throw new Error('no instance');
    const settings = fast({ scaleDown: { enabled: false } });
    const deps = { cluster: clusterName, autoScaling: cloud, state, settings };
    const recommended = {
      kind: 'rebalance-recommendation' as const,
      instanceId: victim.instanceId,
      at: clock.now(),
    };
    expect(await recordInterruption(deps, recommended)).toMatchObject({ status: 'recorded' });
    const first = await tick(settings);
    expect(first.scaleDown.started).toMatchObject([
      { node: victim.nodeName, reason: 'rebalance recommendation' },
    ]);
    const before = await state.get(clusterName, drainRecordKey(victim.nodeName));
    expect(before?.data).not.toHaveProperty('deadline');
    // The budget keeps the pods (minAvailable 2 of 2): the recommendation's drain waits.
    advance(TICK_MS);
    await tick(settings);

    const warning = cloud.interruptSpotInstance(victim.instanceId);
    const warned = {
      kind: 'spot-interruption' as const,
      instanceId: victim.instanceId,
      at: warning.warnedAt,
    };
    expect(await recordInterruption(deps, warned)).toMatchObject({ status: 'recorded' });
    expect(await recordInterruption(deps, warned)).toMatchObject({ status: 'duplicate' });
    expect((await state.query(clusterName, 'pool#offering#')).map((i) => i.sk)).toEqual([
      'pool#offering#m5.xlarge#eu-central-1a#spot',
    ]);
    await tick(settings);
    const after = await state.get(clusterName, drainRecordKey(victim.nodeName));
    expect(after?.data).toMatchObject({
      deadline: warning.warnedAt + 120_000,
      reason: 'rebalance recommendation',
    });
  });
});
