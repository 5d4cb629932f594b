import { describe, expect, it } from 'vitest';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import { faultSummaryLines, type LambdaCrashRecord, type ScenarioFault } from '../../../shared/sim/faults';
import {
  type CrashGate,
  crashable,
  LambdaCrash,
  loopControllers,
} from '../../../shared/sim/faults-lambda-crash';
import type { Scenario } from '../../../shared/sim/scenario';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';
import { START } from './fixtures';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const GROUP = 'default-a';
const LOOP = 'probe';

function scenario(faults: ScenarioFault[], overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: 'crashes',
    description: 'a small cluster whose Lambdas die',
    clusterName: 'crashes',
    seed: 9,
    start: START,
    utcOffsetMinutes: 120,
    durationMs: 2 * HOUR_MS,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 5 * MINUTE_MS,
    nodeGroups: [
      {
        name: GROUP,
        minSize: 1,
        maxSize: 6,
        desiredCapacity: 1,
        availabilityZones: ['eu-central-1a'],
        instanceType: 'm5.xlarge',
        capacityType: 'on-demand',
        tags: { 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/crashes': 'owned' },
      },
    ],
    services: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 2,
        containers: [{ name: 'web', requests: { cpu: '500m', memory: '256Mi' } }],
        load: { kind: 'constant', rps: 20 },
        cost: { cpuBaseMillis: 10, cpuMillisPerRps: 1, memoryBaseMi: 100, memoryMiPerRps: 0 },
      },
    ],
    faults,
    ...overrides,
  };
}

/** A loop of three port calls: read the nodes, read the group, grow the group by one. */
function probe(gate: CrashGate): SimController {
  return {
    name: LOOP,
    intervalMs: 15_000,
    async tick() {
      await gate.world.cluster.listNodes();
      const [group] = await gate.world.cloud.describeGroups([GROUP]);
      await gate.world.cloud.setDesiredCapacity(GROUP, (group?.desiredCapacity ?? 0) + 1);
    },
  };
}

async function desired(world: SimWorld): Promise<number> {
  return (await world.cloud.describeGroups([GROUP]))[0]?.desiredCapacity ?? -1;
}

function crashOf(world: SimWorld): LambdaCrashRecord {
  const effect = world.appliedFaults().find((applied) => applied.fault.kind === 'lambda-crash')?.effect;
  if (!effect || !('deaths' in effect)) throw new Error('no crash record');
  return effect;
}

describe('lambda-crash fault', () => {
  it('should kill the invocation right after the named call took effect, and let the next one run', async () => {
    const world = createSimWorld(scenario([{ kind: 'lambda-crash', atMs: 0, loop: LOOP, afterCalls: 2 }]));
    const controller = crashable(world, LOOP, probe);
    const setsBefore = world.cloud.stats().calls.setDesiredCapacity ?? 0;

    await expect(controller.tick(START)).rejects.toThrow(
      new LambdaCrash(
        'simulated Lambda crash: the probe invocation died after port call 2 (cloud.describeGroups)',
      ),
    );
    // The second call went out; the third never reached Auto Scaling.
    expect(world.cloud.stats().calls.describeGroups).toBeGreaterThan(0);
    expect(world.cloud.stats().calls.setDesiredCapacity ?? 0).toBe(setsBefore);
    expect(await desired(world)).toBe(1);

    world.clock.advanceTo(START + 15_000);
    await controller.tick(START + 15_000);
    expect(await desired(world)).toBe(2);
    expect(crashOf(world)).toMatchObject({
      deaths: [{ at: START, calls: 2, lastCall: 'cloud.describeGroups' }],
      recoveredAt: START + 15_000,
    });
    expect(faultSummaryLines(world.appliedFaults(), 120)).toEqual([
      '10:00 the next invocation of the probe Lambda dies after its 2nd port call: died at 10:00 after port ' +
        'call 2 (cloud.describeGroups); recovered at 10:00:15 (15 s later)',
    ]);
  });

  it('given afterCalls 0, should let no call of the invocation reach the world', async () => {
    const world = createSimWorld(scenario([{ kind: 'lambda-crash', atMs: 0, loop: LOOP, afterCalls: 0 }]));
    const controller = crashable(world, LOOP, probe);
    const before = world.cluster.stats().totalCalls;
    await expect(controller.tick(START)).rejects.toThrow('died before its first port call');
    expect(world.cluster.stats().totalCalls).toBe(before);
    expect(await desired(world)).toBe(1);
  });

  it('given several invocations, should kill that many in a row; one that does less dies as it returns', async () => {
    const world = createSimWorld(
      scenario([{ kind: 'lambda-crash', atMs: 0, loop: LOOP, afterCalls: 5, invocations: 2 }]),
    );
    const controller = crashable(world, LOOP, probe);
    await expect(controller.tick(START)).rejects.toBeInstanceOf(LambdaCrash);
    await expect(controller.tick(START)).rejects.toBeInstanceOf(LambdaCrash);
    // Both did all their work before dying.
    expect(await desired(world)).toBe(3);
    await controller.tick(START);
    expect(crashOf(world).deaths).toHaveLength(2);
    expect(crashOf(world).recoveredAt).toBe(START);
  });

  it('should arm at the fault’s instant, not before, and never count calls made outside an invocation', async () => {
    const world = createSimWorld(
      scenario([{ kind: 'lambda-crash', atMs: 10 * MINUTE_MS, loop: LOOP, afterCalls: 1 }]),
    );
    let gateWorld: SimWorld | undefined;
    const controller = crashable(world, LOOP, (gate) => {
      gateWorld = gate.world;
      return probe(gate);
    });
    await controller.tick(START);
    world.clock.advanceTo(START + 10 * MINUTE_MS);
    world.reconcile();
    // The driver's own reads between ticks go through the same ports.
    await gateWorld?.cluster.listNodes();
    await expect(controller.tick(START + 10 * MINUTE_MS)).rejects.toThrow(
      'after port call 1 (cluster.listNodes)',
    );
  });

  it('given no crash for its loop, should build the controller on the world itself', () => {
    const world = createSimWorld(scenario([{ kind: 'lambda-crash', atMs: 0, loop: 'vpa' }]));
    let seen: SimWorld | undefined;
    crashable(world, LOOP, (gate) => {
      seen = gate.world;
      return probe(gate);
    });
    expect(seen).toBe(world);
  });

  it('given the real node-pool loop dying right after its scale-up, should neither scale up twice nor lose a pod', async () => {
    // Call 12 of the loop's first invocation is SetDesiredCapacity (after its in-flight record is written);
    // it dies before its Events and final state write.
    const base = scenario([{ kind: 'lambda-crash', atMs: 0, loop: 'node-pools', afterCalls: 12 }], {
      durationMs: HOUR_MS,
      nodePools: { pools: [{ name: 'default', asgs: [GROUP] }] },
    });
    // 14 pods of 500m: two m5.xlarge nodes' worth, one more than the group starts with.
    const service = base.services[0];
    if (!service) throw new Error('no service');
    const world = createSimWorld({ ...base, services: [{ ...service, replicas: 14 }] });
    const result = await runSimulation(world, { controllers: loopControllers(world) });
    const nodePools = result.controllers.find((controller) => controller.name === 'node-pools');
    expect(nodePools?.errors).toBe(1);
    expect(nodePools?.lastError).toBe(
      'simulated Lambda crash: the node-pools invocation died after port call 12 (cloud.setDesiredCapacity)',
    );
    expect(crashOf(world).recoveredAt).toBe(START + 15_000);
    const launches = world.cloud
      .activities(GROUP)
      .filter((activity) => activity.description.startsWith('Launching a new EC2 instance'));
    expect(launches).toHaveLength(1);
    const pods = await world.cluster.listPods({ namespace: 'shop' });
    expect(pods).toHaveLength(14);
    expect(pods.filter((pod) => pod.nodeName === undefined)).toEqual([]);
    expect(world.cluster.disruptionStats().podsLost).toBe(0);
  });
});
