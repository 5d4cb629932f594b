/**
 * The node-pool loop against the simulated cluster and Auto Scaling (the same ports the real adapters
 * implement) with the real DynamoDB store on dynalite: scale from zero, zone balance, failures and the
 * fallback in the same tick, timeouts, limits, Events, and the faults that must never make it act twice.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { type NodePoolsConfig, nodePoolsSchema } from '../../../shared/config/node-pools';
import { type NodePoolTickSummary, runNodePoolTick } from '../../../shared/loops/node-pool-loop';
import { planNetwork } from '../../../shared/network/plan';
import { groupRecordKey, parseGroupRecord } from '../../../shared/nodepools/failures';
import { CA_ENABLED_TAG, clusterTag, NODE_POOL_TAG, PRIORITY_TAG } from '../../../shared/nodepools/pools';
import { ZONE_LABEL } from '../../../shared/nodepools/template-node';
import { AutoScalingError } from '../../../shared/ports/auto-scaling';
import type { Pod } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import { type StateStore, VersionConflictError } from '../../../shared/ports/state-store';
import { DEFAULT_BOOT_SECONDS, type SimCloud, type SimGroupSpec } from '../../../shared/sim/cloud';
import type { SimCluster } from '../../../shared/sim/cluster';
import { SimEc2 } from '../../../shared/sim/ec2';
import type { VirtualClock } from '../../../shared/sim/virtual-clock';
import type { WorkloadSpec } from '../../../shared/sim/workload';
import { useSimAwsWorld } from './sim-aws-world';

const TICK_MS = 15_000;
const MINUTE = 60_000;
const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

const world = useSimAwsWorld({ start: Date.UTC(2026, 10, 25, 9, 0, 0), seed: 5, prefix: 'pools' });
let clock: VirtualClock;
let cluster: SimCluster;
let cloud: SimCloud;
let ec2: SimEc2;
let state: DynamoDbStateStore;
let clusterName: string;

beforeEach(() => {
  ({ clock, cluster, cloud, state, clusterName } = world);
  ec2 = new SimEc2();
});

/** A pool as zonal groups tagged the cluster-autoscaler way, plus tideplane's pool and priority tags. */
function addPool(
  pool: string,
  instanceType: string,
  options: { priority?: number; desired?: number; max?: number; zones?: string[]; bootSeconds?: number } = {},
): string[] {
  return (options.zones ?? ZONES).map((zone) => {
    const spec: SimGroupSpec = {
      name: `${pool}-${zone.slice(-1)}`,
      minSize: 0,
      maxSize: options.max ?? 10,
      desiredCapacity: options.desired ?? 0,
      availabilityZones: [zone],
      instanceType,
      capacityType: 'on-demand',
      tags: {
        [CA_ENABLED_TAG]: 'true',
        [clusterTag(clusterName)]: 'owned',
        [NODE_POOL_TAG]: pool,
        [PRIORITY_TAG]: String(options.priority ?? 0),
      },
      ...(options.bootSeconds !== undefined ? { bootSeconds: options.bootSeconds } : {}),
    };
    cloud.addGroup(spec);
    return spec.name;
  });
}

function addWorkload(name: string, replicas: number, cpu: string, extra: Partial<WorkloadSpec> = {}) {
  cluster.addWorkload({
    namespace: 'shop',
    name,
    replicas,
    containers: [{ name: 'app', requests: { cpu, memory: '1Gi' } }],
    load: () => 0,
    cost: { cpuBaseMillis: 10, cpuMillisPerRps: 0, memoryBaseMi: 64, memoryMiPerRps: 0 },
    noise: 0,
    ...extra,
  });
}

function settings(overrides: Partial<Record<keyof NodePoolsConfig, unknown>> = {}): NodePoolsConfig {
  return nodePoolsSchema.parse(overrides);
}

/** Moves the world `ms` forward (cloud first, so booted instances join before the scheduler runs). */
function advance(ms: number) {
  clock.advance(ms);
  cloud.sync();
  cluster.sync();
}

async function tick(
  options: {
    settings?: NodePoolsConfig;
    dryRun?: boolean;
    state?: StateStore;
    network?: ReturnType<typeof planNetwork>;
  } = {},
) {
  const network = options.network?.ok ? options.network.plan : undefined;
  return runNodePoolTick({
    cluster: clusterName,
    kubernetes: cluster,
    autoScaling: cloud,
    ec2,
    state: options.state ?? state,
    clock,
    log: silentLogger,
    settings: options.settings ?? settings(),
    ...(network ? { network } : {}),
    dryRun: options.dryRun ?? false,
  });
}

async function pods(): Promise<Pod[]> {
  return (await cluster.listPods()).filter((pod) => pod.namespace === 'shop');
}

async function nodeZoneOf(pod: Pod): Promise<string | undefined> {
  const node = (await cluster.listNodes()).find((n) => n.name === pod.nodeName);
  return node?.labels[ZONE_LABEL];
}

const desired = async (name: string) => (await cloud.describeGroups([name]))[0]?.desiredCapacity;

async function groupRecord(asg: string) {
  const item = await state.get(clusterName, groupRecordKey(asg));
  return item ? parseGroupRecord(item.data) : undefined;
}

describe('node-pool loop: scale-up', () => {
  it('scales a pool up from zero nodes and the pods run on the new node once it is Ready', async () => {
    const groups = addPool('default', 'm5.xlarge');
    addWorkload('web', 3, '1');
    advance(1_000);
    expect((await pods()).every((pod) => pod.phase === 'Pending')).toBe(true);

    const first = await tick();
    expect(first.pendingPods).toBe(3);
    expect(first.increases).toHaveLength(1);
    const [increase] = first.increases;
    expect(increase).toMatchObject({ pool: 'default', from: 0, to: 1, result: 'applied' });
    expect(increase?.pods).toHaveLength(3);
    expect(groups).toContain(increase?.asgName);
    expect(await desired(increase?.asgName ?? '')).toBe(1);
    expect((await groupRecord(increase?.asgName ?? ''))?.inFlight).toMatchObject({ from: 0, to: 1 });

    // While the node boots the pods fit a node that is coming: no second scale-up.
    advance(TICK_MS);
    const booting = await tick();
    expect(booting.increases).toEqual([]);
    expect(booting.fitsUpcoming).toBe(3);

    advance(DEFAULT_BOOT_SECONDS * 1000);
    const running = await pods();
    expect(running.every((pod) => pod.nodeName !== undefined)).toBe(true);
    const settled = await tick();
    expect(settled.pendingPods).toBe(0);
    expect((await groupRecord(increase?.asgName ?? ''))?.inFlight).toBeUndefined();
  });

  it('balances new nodes over the zones for pods without a zone constraint', async () => {
    const groups = addPool('default', 'm5.xlarge');
    // 3.5 cores each: one pod per m5.xlarge (3,920m allocatable).
    addWorkload('batch', 9, '3500m');
    advance(1_000);
    const summary = await tick();
    expect(summary.increases.map((i) => i.to - i.from).sort()).toEqual([3, 3, 3]);
    for (const group of groups) expect(await desired(group)).toBe(3);
  });

  it('records TriggeredScaleUp on the pods and NotTriggerScaleUp on a pod no pool can hold', async () => {
    addPool('default', 'm5.xlarge');
    addWorkload('web', 1, '1');
    addWorkload('huge', 1, '64');
    advance(1_000);
    const summary = await tick();
    expect(summary.unplaceable.map((p) => p.pod.split('/')[1]?.startsWith('huge'))).toEqual([true]);
    expect(summary.unplaceable[0]?.reasons.join(' ')).toMatch(/Insufficient cpu/);
    const events = cluster.events().filter((e) => e.reportingComponent === 'node-pools');
    const triggered = events.filter((e) => e.reason === 'TriggeredScaleUp');
    expect(triggered).toHaveLength(1);
    expect(triggered[0]?.involvedObject.name).toMatch(/^web-/);
    expect(triggered[0]?.message).toMatch(/pod triggered scale-up: \[\{default-[abc] 0->1 \(max: 10\)\}\]/);
    const refused = events.filter((e) => e.reason === 'NotTriggerScaleUp');
    expect(refused.map((e) => e.involvedObject.name)).toEqual([expect.stringMatching(/^huge-/)]);
    expect(refused[0]?.message).toMatch(/^pod didn't trigger scale-up: .*Insufficient cpu/);
  });

  it('never plans past the network plan’s max node count and says so on the pods', async () => {
    addPool('default', 'm5.xlarge');
    addWorkload('batch', 6, '3500m');
    advance(1_000);
    // A /22 cluster CIDR with /24 node ranges holds 4 nodes.
    const network = planNetwork({ clusterCidr: '10.9.0.0/22', nodeCidrMaskSize: 24 });
    const summary = await tick({ network });
    expect(summary.increases.reduce((sum, i) => sum + i.to - i.from, 0)).toBe(4);
    expect(summary.limitsReached.join(' ')).toMatch(
      /max 4 nodes .*network plan \(10\.9\.0\.0\/22, \/24 per node\)/,
    );
    expect(summary.unplaceable).toHaveLength(2);
  });

  it('on a dry run decides the same but changes nothing', async () => {
    const groups = addPool('default', 'm5.xlarge');
    addWorkload('web', 2, '1');
    advance(1_000);
    const summary = await tick({ dryRun: true });
    expect(summary.increases.map((i) => i.result)).toEqual(['would-apply']);
    for (const group of groups) expect(await desired(group)).toBe(0);
    expect(await state.query(clusterName)).toEqual([]);
    expect(cluster.events()).toEqual([]);
  });
});

describe('node-pool loop: failures and fallback', () => {
  it('backs off a group whose launch failed and moves its pods to the fallback pool in the same tick', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addPool('fallback', 'm5a.xlarge', { priority: -10, zones: ['eu-central-1a'] });
    cloud.setCapacityAvailable(
      { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' },
      false,
    );
    addWorkload('web', 2, '1');
    advance(1_000);
    const first = await tick();
    expect(first.increases).toMatchObject([{ asgName: 'default-a', to: 1, result: 'applied' }]);

    advance(TICK_MS);
    const second = await tick();
    expect(second.failures).toMatchObject([{ asgName: 'default-a', kind: 'capacity', resetTo: 0 }]);
    expect(await desired('default-a')).toBe(0);
    expect(second.increases).toMatchObject([
      { pool: 'fallback', asgName: 'fallback-a', to: 1, result: 'applied' },
    ]);
    const record = await groupRecord('default-a');
    expect(record?.backoff?.failures).toBe(1);
    expect(record?.inFlight).toBeUndefined();

    advance(DEFAULT_BOOT_SECONDS * 1000);
    const placed = await pods();
    expect(placed.every((pod) => pod.nodeName?.length)).toBe(true);
    const nodes = await cluster.listNodes();
    expect(
      placed.map(
        (pod) => nodes.find((n) => n.name === pod.nodeName)?.labels['node.kubernetes.io/instance-type'],
      ),
    ).toEqual(['m5a.xlarge', 'm5a.xlarge']);

    // The default pool stays backed off: the next pending pods also go to the fallback pool.
    advance(TICK_MS);
    cluster.setReplicas('shop', 'web', 8);
    advance(1_000);
    const third = await tick();
    expect(third.increases.every((i) => i.pool === 'fallback')).toBe(true);
  });

  it('moves the pods back to the preferred pool once its capacity returns, without flapping', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addPool('fallback', 'm5a.xlarge', { priority: -10, zones: ['eu-central-1a'] });
    const m5 = { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' } as const;
    cloud.setCapacityAvailable(m5, false);
    addWorkload('web', 2, '1');
    advance(1_000);
    const ticks: NodePoolTickSummary[] = [];
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += TICK_MS) {
        ticks.push(await tick());
        advance(TICK_MS);
      }
    };
    await run(5 * MINUTE);
    expect(await desired('fallback-a')).toBe(1);
    expect(await desired('default-a')).toBe(0);

    cloud.setCapacityAvailable(m5, true);
    await run(45 * MINUTE);
    const rebalances = ticks.flatMap((t) => t.rebalance.increases);
    expect(rebalances).toMatchObject([{ asgName: 'default-a', from: 0, to: 1, result: 'applied' }]);
    expect(await desired('fallback-a')).toBe(0);
    expect(await desired('default-a')).toBe(1);
    const nodes = await cluster.listNodes();
    const running = (await pods()).filter((pod) => pod.phase === 'Running');
    expect(
      running.map(
        (pod) => nodes.find((n) => n.name === pod.nodeName)?.labels['node.kubernetes.io/instance-type'],
      ),
    ).toEqual(['m5.xlarge', 'm5.xlarge']);
    expect(cluster.disruptionStats()).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    // The new preferred node was never a scale-down candidate of its own: one drain, the fallback node.
    const started = ticks.flatMap((t) => t.scaleDown.started);
    expect(started.map((s) => s.pool)).toEqual(['fallback']);
    const reasons = cluster
      .events()
      .filter((e) => e.involvedObject.kind === 'Node')
      .map((e) => e.reason);
    expect(reasons).toContain('RebalanceScaleUp');
  });

  it('skips every pool whose instance type is remembered out of capacity in that zone', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addPool('other', 'm5.xlarge', { priority: -5, zones: ['eu-central-1a'] });
    addPool('fallback', 'm5a.xlarge', { priority: -10, zones: ['eu-central-1a'] });
    cloud.setCapacityAvailable(
      { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' },
      false,
    );
    addWorkload('web', 1, '1');
    advance(1_000);
    await tick();
    advance(TICK_MS);
    const second = await tick();
    expect(second.failures.map((f) => f.asgName)).toEqual(['default-a']);
    // `other` launches the same type in the same zone: skipped for the offering's TTL.
    expect(second.increases.map((i) => i.pool)).toEqual(['fallback']);
  });

  it('calls a scale-up failed when its nodes are not Ready within the provision timeout', async () => {
    addPool('slow', 'm5.xlarge', { zones: ['eu-central-1a'], bootSeconds: 3_600 });
    addPool('fallback', 'm5a.xlarge', { priority: -10, zones: ['eu-central-1a'] });
    addWorkload('web', 1, '1');
    advance(1_000);
    const config = settings({ provisionTimeoutSeconds: 60 });
    expect((await tick({ settings: config })).increases.map((i) => i.asgName)).toEqual(['slow-a']);
    advance(45_000);
    expect((await tick({ settings: config })).failures).toEqual([]);
    advance(30_000);
    const late = await tick({ settings: config });
    expect(late.failures).toMatchObject([{ asgName: 'slow-a', kind: 'timeout', resetTo: 0 }]);
    expect(late.increases.map((i) => i.asgName)).toEqual(['fallback-a']);
  });

  it('acts on a failure an event recorded, even without a scale-up of its own in flight', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'], desired: 1 });
    advance(DEFAULT_BOOT_SECONDS * 1000);
    await state.put(
      clusterName,
      groupRecordKey('default-a'),
      { asgName: 'default-a', reportedFailure: { at: clock.now(), message: 'InsufficientInstanceCapacity' } },
      { expectedVersion: 0 },
    );
    const summary = await tick();
    expect(summary.failures).toMatchObject([{ asgName: 'default-a', kind: 'capacity' }]);
    const record = await groupRecord('default-a');
    expect(record?.reportedFailure).toBeUndefined();
    expect(record?.backoff?.until).toBeGreaterThan(clock.now());
    // The instance that exists stays: desired only goes back to what exists.
    expect(await desired('default-a')).toBe(1);
  });
  it('counts a failure once when its event arrives after the tick already saw the failed activity', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addPool('fallback', 'm5a.xlarge', { priority: -10, zones: ['eu-central-1a'] });
    cloud.setCapacityAvailable(
      { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' },
      false,
    );
    addWorkload('web', 1, '1');
    advance(1_000);
    await tick();
    advance(TICK_MS);
    expect((await tick()).failures.map((f) => f.asgName)).toEqual(['default-a']);
    const item = await state.get(clusterName, groupRecordKey('default-a'));
    const record = item && parseGroupRecord(item.data);
    if (!item || !record) throw new Error('no group record');
    await state.put(
      clusterName,
      groupRecordKey('default-a'),
      { ...record, reportedFailure: { at: clock.now() - 5_000, message: 'InsufficientInstanceCapacity' } },
      { expectedVersion: item.version },
    );
    advance(TICK_MS);
    const next = await tick();
    expect(next.failures).toEqual([]);
    const after = await groupRecord('default-a');
    expect(after?.reportedFailure).toBeUndefined();
    expect(after?.backoff?.failures).toBe(1);
  });
});

describe('node-pool loop: never acting twice', () => {
  it('does not scale a group when another writer changed its state item first', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addWorkload('web', 1, '1');
    advance(1_000);
    const racing: StateStore = {
      ...state,
      query: (c, p) => state.query(c, p),
      get: (c, sk) => state.get(c, sk),
      delete: (c, sk, v) => state.delete(c, sk, v),
      acquireLease: (c, l, o, t) => state.acquireLease(c, l, o, t),
      releaseLease: (l) => state.releaseLease(l),
      put: async (c, sk, data, options) => {
        if (sk === groupRecordKey('default-a')) throw new VersionConflictError(c, sk);
        return state.put(c, sk, data, options);
      },
    };
    const summary = await tick({ state: racing });
    expect(summary.increases).toMatchObject([{ asgName: 'default-a', result: 'skipped' }]);
    expect(await desired('default-a')).toBe(0);
  });

  it('forgets an in-flight record whose SetDesiredCapacity never happened (a crash between the two)', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a'] });
    addWorkload('web', 1, '1');
    advance(1_000);
    await state.put(
      clusterName,
      groupRecordKey('default-a'),
      {
        asgName: 'default-a',
        inFlight: { since: clock.now() - 1_000, from: 0, to: 1, podCount: 1, pods: [] },
      },
      { expectedVersion: 0 },
    );
    const summary = await tick();
    expect(summary.failures).toEqual([]);
    // Dropped, then planned afresh: exactly one node asked for, not two.
    expect(summary.increases).toMatchObject([{ asgName: 'default-a', from: 0, to: 1, result: 'applied' }]);
    expect(await desired('default-a')).toBe(1);
  });

  it('keeps going when one group’s SetDesiredCapacity fails, and leaves no in-flight record for it', async () => {
    addPool('default', 'm5.xlarge', { zones: ['eu-central-1a', 'eu-central-1b'] });
    addWorkload('batch', 2, '3500m');
    advance(1_000);
    cloud.failNext('setDesiredCapacity', 1, new AutoScalingError('Busy', 'ScalingActivityInProgress'));
    const summary = await tick();
    expect(summary.increases.map((i) => i.result).sort()).toEqual(['applied', 'failed']);
    const failed = summary.increases.find((i) => i.result === 'failed');
    expect(failed?.error).toMatch(/Busy/);
    expect((await groupRecord(failed?.asgName ?? ''))?.inFlight).toBeUndefined();
  });
});

describe('node-pool loop: zonal volumes', () => {
  it('grows only the zone of a pod’s bound volume', async () => {
    addPool('default', 'm5.xlarge');
    addWorkload('db', 1, '1', {
      kind: 'StatefulSet',
      volumeClaim: { zones: ['eu-central-1b'] },
    } as Partial<WorkloadSpec>);
    advance(1_000);
    const summary = await tick();
    expect(summary.increases).toMatchObject([{ asgName: 'default-b', zone: 'eu-central-1b' }]);
    advance(DEFAULT_BOOT_SECONDS * 1000);
    const [pod] = await pods();
    expect(pod && (await nodeZoneOf(pod))).toBe('eu-central-1b');
  });
});
