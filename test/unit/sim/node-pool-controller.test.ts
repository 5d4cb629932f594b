/**
 * The simulator's node-pool controller takes EC2's instance events from the simulated cloud and hands
 * them to the loop the way the Lambda gets them: as EventBridge JSON through the production parser and
 * `acceptNodePoolEvent`, a tick starting at once when that says so.
 */
import { describe, expect, it } from 'vitest';
import { interruptionKey, parseInterruption } from '../../../shared/loops/node-pool-interruptions';
import type { NodePoolTickSummary } from '../../../shared/loops/node-pool-loop';
import { DRAIN_RECORD_PREFIX, drainRecordKey } from '../../../shared/nodepools/drain';
import { CA_ENABLED_TAG, clusterTag } from '../../../shared/nodepools/pools';
import type { SimGroupSpec } from '../../../shared/sim/cloud';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import type { Scenario } from '../../../shared/sim/scenario';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';
import { START } from './fixtures';

const CLUSTER = 'sim-events';
const SECOND = 1000;

function spotGroup(name: string, owner: string): SimGroupSpec {
  return {
    name,
    minSize: 0,
    maxSize: 6,
    desiredCapacity: 3,
    availabilityZones: ['eu-central-1a'],
    instanceType: 'm5.xlarge',
    capacityType: 'spot',
    tags: { [CA_ENABLED_TAG]: 'true', [clusterTag(owner)]: 'owned' },
  };
}

/** Three spot nodes of the cluster, three of someone else's, four pods spread over them. */
function scenario(): Scenario {
  return {
    name: 'events',
    description: 'spot groups and one service',
    clusterName: CLUSTER,
    seed: 5,
    start: START,
    utcOffsetMinutes: 0,
    durationMs: 30 * 60_000,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 60_000,
    nodeGroups: [spotGroup('spot-a', CLUSTER), spotGroup('their-spot-a', 'someone-else')],
    services: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 6,
        containers: [{ name: 'app', requests: { cpu: '500m', memory: '512Mi' } }],
        startupSeconds: 5,
        readinessSeconds: 5,
        terminationSeconds: 5,
        noise: 0,
        load: { kind: 'steps', steps: [{ atMinute: 0, rps: 100 }] },
        cost: { cpuBaseMillis: 50, cpuMillisPerRps: 1, memoryBaseMi: 200, memoryMiPerRps: 0 },
      },
    ],
    // Scale-down stays out of the way: every drain here is an event's.
    nodePools: { scaleDown: { enabled: false } },
  };
}

function setUp() {
  const world = createSimWorld(scenario());
  const summaries: NodePoolTickSummary[] = [];
  const controller = nodePoolController(world, { onTick: (summary) => summaries.push(summary) });
  const [victim, other] = world.cloud.instances('spot-a');
  const [foreign] = world.cloud.instances('their-spot-a');
  if (!victim || !other || !foreign) throw new Error('no instances');
  return { world, controller, summaries, victim, other, foreign };
}

/** Moves the world on by `ms`, as the driver does between instants. */
function advance(world: SimWorld, ms: number): void {
  world.clock.advance(ms);
  world.reconcile();
}

describe('nodePoolController instance events', () => {
  it('should record a rebalance recommendation and a spot warning through the production path, each once', async () => {
    const { world, controller, victim, other, foreign } = setUp();
    const recommendation = world.cloud.recommendRebalance(other.instanceId);
    advance(world, 30 * SECOND);
    world.cloud.interruptSpotInstance(victim.instanceId);
    world.cloud.interruptSpotInstance(foreign.instanceId);

    expect(await controller.deliverEvents?.(world.clock.now())).toBe(true);
    const recorded = async (instanceId: string) => {
      const item = await world.state.get(CLUSTER, interruptionKey(instanceId));
      return item && { version: item.version, ...parseInterruption(item.data) };
    };
    expect(await recorded(other.instanceId)).toEqual({
      version: 1,
      instanceId: other.instanceId,
      asgName: 'spot-a',
      kind: 'rebalance-recommendation',
      at: START,
    });
    expect(await recorded(victim.instanceId)).toEqual({
      version: 1,
      instanceId: victim.instanceId,
      asgName: 'spot-a',
      kind: 'spot-interruption',
      at: START + 30 * SECOND,
      deadline: START + 150 * SECOND,
    });
    // Another cluster's instance: nothing written.
    expect(await recorded(foreign.instanceId)).toBeUndefined();

    // EventBridge delivers both again: nothing is recorded twice and no tick is asked for.
    const [warning] = world.cloud.interruptionWarnings();
    world.cloud.redeliverInstanceEvent(recommendation.id);
    for (const event of world.cloud.instanceEvents()) {
      if (event.kind === 'spot-interruption' && event.instanceId === warning?.instanceId)
        world.cloud.redeliverInstanceEvent(event.id);
    }
    advance(world, SECOND);
    expect(await controller.deliverEvents?.(world.clock.now())).toBe(false);
    expect((await recorded(other.instanceId))?.version).toBe(1);
    expect((await recorded(victim.instanceId))?.version).toBe(1);

    const run = controller.finish?.(world.clock.now()).nodePools;
    expect(run?.interruptions.map((i) => [i.kind, i.instanceId, i.status, i.deadline])).toEqual([
      ['rebalance-recommendation', other.instanceId, 'recorded', undefined],
      ['spot-interruption', victim.instanceId, 'recorded', START + 150 * SECOND],
      ['spot-interruption', foreign.instanceId, 'not-ours', START + 150 * SECOND],
      ['rebalance-recommendation', other.instanceId, 'duplicate', undefined],
      ['spot-interruption', victim.instanceId, 'duplicate', START + 150 * SECOND],
    ]);
  });

  it('should ignore the state change of an instance with no drain or warning', async () => {
    const { world, controller, other } = setUp();
    await controller.tick(world.clock.now());
    const before = await world.state.query(CLUSTER);
    // Someone terminates a node's instance by hand: no drain or warning refers to it.
    await world.cloud.terminateInstance(other.instanceId, false);
    expect(world.cloud.instanceEvents().map((event) => event.kind)).toEqual(['instance-state-change']);
    expect(await controller.deliverEvents?.(world.clock.now())).toBe(false);
    advance(world, 60 * SECOND);
    expect(
      world.cloud.instanceEvents().map((e) => (e.kind === 'instance-state-change' ? e.state : '')),
    ).toEqual(['shutting-down', 'terminated']);
    expect(await controller.deliverEvents?.(world.clock.now())).toBe(false);
    expect(await world.state.query(CLUSTER)).toEqual(before);
  });

  it('given EC2 takes the instance in the middle of its drain, should finish the drain on the state change', async () => {
    const { world, controller, summaries, victim } = setUp();
    await controller.tick(world.clock.now());
    // A short notice, so the instance goes before the next scheduled tick.
    world.cloud.interruptSpotInstance(victim.instanceId, { terminateAfterMs: 5 * SECOND });
    expect(await controller.deliverEvents?.(world.clock.now())).toBe(true);
    await controller.tick(world.clock.now());
    expect(summaries.at(-1)?.scaleDown.started).toMatchObject([
      { node: victim.nodeName, reason: 'spot interruption warning' },
    ]);
    const drain = await world.state.get(CLUSTER, drainRecordKey(victim.nodeName));
    expect(drain?.data).toMatchObject({ instanceId: victim.instanceId });

    advance(world, 5 * SECOND);
    const [gone] = world.cloud.instanceEvents().filter((event) => event.kind === 'instance-state-change');
    expect(gone).toMatchObject({ instanceId: victim.instanceId, state: 'shutting-down' });
    expect(await controller.deliverEvents?.(world.clock.now())).toBe(true);
    await controller.tick(world.clock.now());
    const finished = summaries.at(-1)?.scaleDown.drains.find((d) => d.node === victim.nodeName);
    expect(finished?.state).toBe('done');
    expect(await world.state.query(CLUSTER, DRAIN_RECORD_PREFIX)).toEqual([]);
  });
});
