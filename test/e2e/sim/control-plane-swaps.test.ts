/**
 * Control-plane swaps through the real loop against the simulated control plane, state in DynamoDB on
 * dynalite: a second alarm delivery during a swap, a new type that cannot launch or never becomes
 * healthy (rollback, and the type skipped next time), and a dry run.
 */
import { describe, expect, it } from 'vitest';
import { parseControlPlaneEvent } from '../../../shared/config/control-plane-event';
import { SWAP_HISTORY_KEY, SWAP_KEY } from '../../../shared/controlplane/swap-record';
import { runControlPlaneTick } from '../../../shared/loops/control-plane-loop';
import { silentLogger } from '../../../shared/ports/logger';
import { alarmActionPayload } from '../../../shared/sim/control-plane/controller';
import { vcpuLimitMessage } from '../../../shared/sim/vcpu-limits';
import type { SimWorld } from '../../../shared/sim/world';
import {
  BUSY_NODES,
  finishedSwap,
  HandTicker,
  MINUTE,
  modelOf,
  START,
  testScenario,
  useDynamo,
  worldOf,
  ZONES,
} from './control-plane-world';

const dynamo = useDynamo();

function busyWorld(options: { healthyTimeoutMinutes?: number } = {}): SimWorld {
  return worldOf(
    testScenario({
      nodes: { kind: 'constant', rps: BUSY_NODES },
      settings: {
        ladder: { families: ['m6i'], floor: 'm6i.xlarge' },
        ...(options.healthyTimeoutMinutes
          ? { swap: { healthyTimeoutMinutes: options.healthyTimeoutMinutes } }
          : {}),
      },
    }),
  );
}

async function describeGroup(world: SimWorld, name: string) {
  const [group] = await modelOf(world).groups.describeGroups([name]);
  if (!group) throw new Error(`no group ${name}`);
  return group;
}

function terminations(world: SimWorld): string[] {
  const model = modelOf(world);
  return model.groupNames
    .flatMap((group) => world.cloud.activities(group))
    .map((a) => /^Terminating EC2 instance: (\S+)/.exec(a.description)?.[1])
    .filter((id): id is string => id !== undefined);
}

describe('a second alarm delivery during a swap', () => {
  it('should start no second swap: the delivery moves the running swap on, and the swap ends once', async () => {
    const world = busyWorld();
    const model = modelOf(world);
    const state = dynamo.store(world);
    const ticker = new HandTicker(world, { state });
    const cluster = world.scenario.clusterName;
    const alarm = model.alarmNames.high[0] as string;
    expect(model.alarms.stateOf(alarm)).toBe('ALARM');

    const first = await ticker.tick();
    if (first instanceof Error) throw first;
    expect(first.decision).toMatchObject({ action: 'swap', to: 'm6i.2xlarge' });
    const id = first.swap?.id;
    expect(id).toBeDefined();

    // Minutes later the alarm (still in ALARM) is delivered again, through the handler's own parser, and
    // the Lambda it starts ticks at once, between two scheduled ticks.
    ticker.advance(3 * MINUTE);
    const redelivery = parseControlPlaneEvent(
      alarmActionPayload({
        alarmName: alarm,
        state: 'ALARM',
        time: world.clock.now(),
        region: 'eu-central-1',
        accountId: world.cloud.accountId,
      }),
    );
    expect(redelivery).toMatchObject({ ok: true, event: { kind: 'alarm', alarm: { alarmName: alarm } } });
    const extra = await ticker.tickNow();
    if (extra instanceof Error) throw extra;
    expect(extra.decision).toBeUndefined();
    expect(extra.swap?.id).toBe(id);

    await ticker.tickUntil(finishedSwap);
    const history = await state.get(cluster, SWAP_HISTORY_KEY);
    expect(((history?.data ?? {}) as { entries: { id: string }[] }).entries.map((e) => e.id)).toEqual([id]);
    const launches = model.groupNames
      .flatMap((group) => world.cloud.activities(group))
      .filter((a) => a.description.startsWith('Launching a new EC2 instance:'));
    expect(launches).toHaveLength(2);
    // Still in ALARM right after? No: the bigger type is below the threshold, and the cooldown holds.
    const after = await ticker.tick();
    if (after instanceof Error) throw after;
    expect(after.decision?.action).toBe('hold');
  });

  it('should let only one of two deliveries racing before any swap start one (conditional write)', async () => {
    const world = busyWorld();
    const model = modelOf(world);
    const state = dynamo.store(world);
    const deps = {
      cluster: world.scenario.clusterName,
      settings: model.settings,
      kubernetes: world.cluster,
      ...model.ports(),
      alarmNames: model.alarmNames,
      state,
      clock: world.clock,
      log: silentLogger,
      dryRun: false,
    };
    const [a, b] = await Promise.all([runControlPlaneTick(deps, {}), runControlPlaneTick(deps, {})]);
    const started = [a, b].filter((tick) => tick.decision?.action === 'swap');
    const lost = [a, b].filter((tick) => tick.decision?.action === 'hold');
    expect(started).toHaveLength(1);
    expect(lost.map((tick) => tick.decision)).toMatchObject([
      { action: 'hold', reason: 'another invocation started a swap first' },
    ]);
    const stored = await state.get(world.scenario.clusterName, SWAP_KEY);
    expect(((stored?.data ?? {}) as { id: string }).id).toBe(started[0]?.swap?.id);
  });
});

describe('a new type that cannot launch', () => {
  it('should roll back — no new-type instance left, groups back on their version and size, processes resumed — and skip the type next time', async () => {
    const world = busyWorld();
    const model = modelOf(world);
    const state = dynamo.store(world);
    const cluster = world.scenario.clusterName;
    for (const zone of ZONES) {
      world.cloud.setCapacityAvailable(
        { instanceType: 'm6i.2xlarge', zone, capacityType: 'on-demand' },
        false,
      );
    }
    const before = await Promise.all(model.groupNames.map((name) => describeGroup(world, name)));
    const ticker = new HandTicker(world, { state });

    await ticker.tickUntil(finishedSwap);
    const swap = (await state.get(cluster, SWAP_KEY))?.data as { state: string; failure: string };
    expect(swap.state).toBe('rolled-back');
    expect(swap.failure).toMatch(
      /m6i\.2xlarge could not launch: We currently do not have sufficient m6i\.2xlarge capacity/,
    );
    for (const [index, name] of model.groupNames.entries()) {
      const group = await describeGroup(world, name);
      const original = before[index];
      expect(group).toMatchObject({
        minSize: original?.minSize,
        maxSize: original?.maxSize,
        desiredCapacity: original?.desiredCapacity,
        launchTemplate: { version: '1' },
        suspendedProcesses: [],
      });
      expect(group.instances.map((i) => i.instanceType)).toEqual(['m6i.xlarge']);
    }
    expect(terminations(world)).toEqual([]);
    expect(modelOf(world).targets.minHealthy(START, world.clock.now())).toBe(2);
    const history = (await state.get(cluster, SWAP_HISTORY_KEY))?.data as {
      unavailable: Record<string, number>;
    };
    expect(Object.keys(history.unavailable)).toEqual(['m6i.2xlarge']);

    // After the up cooldown, still overloaded: the next rung after the failed type.
    ticker.advance(30 * MINUTE);
    const next = await ticker.tickUntil(
      (last) => !(last instanceof Error) && last.decision?.action === 'swap',
      10,
    );
    expect(next).toBeGreaterThan(0);
    const decision = ticker.summaries.at(-1)?.decision;
    expect(decision).toMatchObject({ action: 'swap', from: 'm6i.xlarge', to: 'm6i.4xlarge' });
    expect(decision && 'reason' in decision ? decision.reason : '').toMatch(
      /skipping recently failed m6i\.2xlarge/,
    );
  });

  it('given the vCPU quota refused it, should not try the larger types that quota counts either, until the type’s time is up', async () => {
    const world = busyWorld();
    const state = dynamo.store(world);
    const cluster = world.scenario.clusterName;
    // The account's On-Demand Standard vCPUs are all in use: any new instance is refused.
    world.cloud.limitLaunches({
      refusal: (group, instanceType) =>
        instanceType === 'm6i.xlarge' ? undefined : vcpuLimitMessage(group, 12),
      onRefused: () => {},
    });
    const ticker = new HandTicker(world, { state });

    await ticker.tickUntil(finishedSwap);
    const swap = (await state.get(cluster, SWAP_KEY))?.data as { state: string; failure: string };
    expect(swap).toMatchObject({ state: 'rolled-back' });
    expect(swap.failure).toMatch(/^m6i\.2xlarge could not launch: You have requested more vCPU capacity/);
    const history = (await state.get(cluster, SWAP_HISTORY_KEY))?.data as {
      unavailable: Record<string, number>;
      quotaRefused: Record<string, number>;
    };
    expect(Object.keys(history.quotaRefused)).toEqual(['m6i.2xlarge']);
    const until = history.quotaRefused['m6i.2xlarge'] as number;

    // After the up cooldown, still overloaded: a capacity failure would try m6i.4xlarge now; not a quota.
    ticker.advance(30 * MINUTE);
    const swapsBefore = ticker.summaries.filter((tick) => tick.decision?.action === 'swap').length;
    while (world.clock.now() < until - MINUTE) await ticker.tick();
    expect(ticker.summaries.filter((tick) => tick.decision?.action === 'swap')).toHaveLength(swapsBefore);
    const held = ticker.summaries.at(-1)?.decision;
    expect(held).toMatchObject({ action: 'hold', wanted: 'up' });
    expect(held && 'reason' in held ? held.reason : '').toMatch(
      /every candidate recently failed \(m6i\.2xlarge, m6i\.4xlarge.*\) \(the vCPU quota refused m6i\.2xlarge: larger types it counts wait too\)$/,
    );

    // Its time up, the quota may have been raised: the nearest rung is tried again.
    ticker.advance(2 * MINUTE);
    await ticker.tickUntil((last) => !(last instanceof Error) && last.decision?.action === 'swap', 10);
    expect(ticker.summaries.at(-1)?.decision).toMatchObject({ action: 'swap', to: 'm6i.2xlarge' });
  });

  it('should terminate the surge instance once when the new type never becomes healthy, and roll back', async () => {
    const world = busyWorld({ healthyTimeoutMinutes: 10 });
    const model = modelOf(world);
    model.servers.breakType('m6i.2xlarge');
    const state = dynamo.store(world);
    const ticker = new HandTicker(world, { state });
    const old = model.controlPlaneInstances().map((i) => i.instanceId);

    await ticker.tickUntil(finishedSwap);
    const swap = (await state.get(world.scenario.clusterName, SWAP_KEY))?.data as {
      state: string;
      failure: string;
    };
    expect(swap.state).toBe('rolled-back');
    expect(swap.failure).toMatch(/m6i\.2xlarge not healthy within 600 s: .*\/readyz not ready/);
    const surge = model.groupNames
      .flatMap((group) => world.cloud.activities(group))
      .map((a) => /^Launching a new EC2 instance: (\S+)/.exec(a.description)?.[1])
      .filter((id): id is string => id !== undefined);
    expect(surge).toHaveLength(1);
    expect(terminations(world)).toEqual(surge);
    for (const name of model.groupNames) {
      const group = await describeGroup(world, name);
      expect(group).toMatchObject({ maxSize: 1, desiredCapacity: 1, launchTemplate: { version: '1' } });
      expect(group.suspendedProcesses).toEqual([]);
    }
    const live = model.controlPlaneInstances().filter((i) => i.state !== 'Terminating');
    expect(live.map((i) => i.instanceId).sort()).toEqual([...old].sort());
    expect(model.targets.minHealthy(START, world.clock.now())).toBe(2);
  });
});

describe('a dry run', () => {
  it('should decide and show the swap but change nothing: no state, no AWS or Kubernetes write', async () => {
    const world = busyWorld();
    const model = modelOf(world);
    const state = dynamo.store(world);
    const ticker = new HandTicker(world, { state, dryRun: true });
    const instances = model.controlPlaneInstances();
    const groupsBefore = await Promise.all(model.groupNames.map((name) => describeGroup(world, name)));

    for (let n = 0; n < 20; n++) {
      const tick = await ticker.tick();
      if (tick instanceof Error) throw tick;
      expect(tick.dryRun).toBe(true);
      expect(tick.decision).toMatchObject({ action: 'swap', to: 'm6i.2xlarge' });
      expect(tick.swap?.step).toBe('would start');
    }
    expect(await state.query(world.scenario.clusterName)).toEqual([]);
    expect(model.controlPlaneInstances()).toEqual(instances);
    for (const [index, name] of model.groupNames.entries()) {
      const group = await describeGroup(world, name);
      expect(group).toEqual(groupsBefore[index]);
      expect(model.templates.versions(group.launchTemplate?.launchTemplateId ?? '')).toHaveLength(1);
    }
    expect(world.cloud.stats().calls.updateGroup ?? 0).toBe(0);
    expect(world.cloud.stats().calls.terminateInstance ?? 0).toBe(0);
    expect(model.groups.stats().totalCalls).toBe(0);
    expect(model.templates.stats().calls.createVersionWithInstanceType ?? 0).toBe(0);
    expect(model.targets.stats().calls.deregisterTargets ?? 0).toBe(0);
    const kubernetesCalls = Object.keys(world.cluster.stats().calls);
    for (const write of ['setNodeTaint', 'evictPod', 'deleteNode', 'createEvent']) {
      expect(kubernetesCalls).not.toContain(write);
    }
  });
});
