/**
 * A swap killed after every single port call it makes: the Lambda dies right after the call took effect
 * (AWS, Kubernetes or the DynamoDB store on dynalite), then healthy ticks go on. Every call of every
 * tick that acted in a clean swap is a crash point. Whatever the point, the swap must end on the new
 * type with every old instance terminated exactly once, one surge instance launched per old one, the
 * groups as they were (sizes, processes) but on the new version, and never fewer healthy API servers
 * than at the start.
 */
import { describe, expect, it } from 'vitest';
import { SWAP_KEY } from '../../../shared/controlplane/swap-record';
import type { ControlPlaneTickPorts } from '../../../shared/sim/control-plane/controller';
import type { SimWorld } from '../../../shared/sim/world';
import {
  BUSY_NODES,
  HandTicker,
  modelOf,
  START,
  testScenario,
  useDynamo,
  worldOf,
} from './control-plane-world';

const dynamo = useDynamo();

class Crash extends Error {
  override readonly name = 'Crash';
}

interface Watch {
  /** Throws when the Lambda is dead already: nothing it would call reaches anything any more. */
  before(call: string): void;
  /** Called once the call resolved (or threw); may throw (the Lambda dies right after the call). */
  after(call: string): void;
}

function watched<T extends object>(port: T, name: string, watch: Watch): T {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const call = `${name}.${String(key)}`;
        watch.before(call);
        let result: unknown;
        try {
          result = await (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          watch.after(call);
          throw error;
        }
        watch.after(call);
        return result;
      };
    },
  });
}

function watchedPorts(ports: ControlPlaneTickPorts, after: Watch): ControlPlaneTickPorts {
  const aws = ports.aws;
  return {
    kubernetes: watched(ports.kubernetes, 'kubernetes', after),
    alarms: watched(ports.alarms, 'alarms', after),
    state: watched(ports.state, 'state', after),
    ...(aws
      ? {
          aws: {
            autoScaling: watched(aws.autoScaling, 'autoScaling', after),
            groupUpdates: watched(aws.groupUpdates, 'groupUpdates', after),
            launchTemplates: watched(aws.launchTemplates, 'launchTemplates', after),
            ec2: watched(aws.ec2, 'ec2', after),
            instances: watched(aws.instances, 'instances', after),
            loadBalancing: watched(aws.loadBalancing, 'loadBalancing', after),
            probe: watched(aws.probe, 'probe', after),
          },
        }
      : {}),
  };
}

interface Run {
  world: SimWorld;
  ticker: HandTicker;
  /** Calls made by each tick, by tick index. */
  calls: string[][];
  /** Ticks that acted (started, stepped or finished the swap). */
  acting: number[];
  /** The instances at the start. */
  old: string[];
  crashed?: string;
}

/** A swap of two one-instance groups from m6i.xlarge to m6i.2xlarge; crashes after `crash` if given. */
async function swapRun(crash?: { tick: number; call: number }): Promise<Run> {
  const world = worldOf(testScenario({ nodes: { kind: 'constant', rps: BUSY_NODES } }));
  const calls: string[][] = [];
  let tick = -1;
  const old = modelOf(world)
    .controlPlaneInstances()
    .map((instance) => instance.instanceId);
  const run: Run = { world, ticker: undefined as unknown as HandTicker, calls, acting: [], old };
  run.ticker = new HandTicker(world, {
    state: dynamo.store(world),
    wrapPorts: (ports) => {
      tick++;
      calls[tick] = [];
      const mine = tick;
      let dead = false;
      return watchedPorts(ports, {
        before(call) {
          if (dead) throw new Crash(`dead before ${call}`);
        },
        after(call) {
          const list = calls[mine] as string[];
          list.push(call);
          if (crash && crash.tick === mine && crash.call === list.length) {
            run.crashed = call;
            dead = true;
            throw new Crash(`crashed after ${call}`);
          }
        },
      });
    },
    onTick: (summary) => {
      const stepped = summary.swap !== undefined && !summary.swap.step.startsWith('wait');
      if (stepped || summary.finished) run.acting.push(tick);
    },
  });
  const state = dynamo.store(world);
  for (let n = 0; n < 300; n++) {
    await run.ticker.tick();
    const stored = await state.get(world.scenario.clusterName, SWAP_KEY);
    const swapState = (stored?.data as { state?: string } | undefined)?.state;
    if (swapState === 'done' || swapState === 'rolled-back' || swapState === 'failed') {
      // A few more ticks: whatever a crash left half done is finished by now.
      for (let more = 0; more < 8; more++) await run.ticker.tick();
      return run;
    }
  }
  throw new Error('the swap did not finish in 300 ticks');
}

async function expectCleanEnd(run: Run): Promise<void> {
  const { world } = run;
  const model = modelOf(world);
  const cluster = world.scenario.clusterName;
  const stored = await dynamo.store(world).get(cluster, SWAP_KEY);
  expect(stored?.data).toMatchObject({ state: 'done', to: 'm6i.2xlarge' });
  const instances = model.controlPlaneInstances();
  const old = run.old;
  const live = instances.filter((i) => i.state !== 'Terminating');
  expect(live.map((i) => [i.instanceType, i.state])).toEqual([
    ['m6i.2xlarge', 'InService'],
    ['m6i.2xlarge', 'InService'],
  ]);
  const activities = model.groupNames.flatMap((group) => world.cloud.activities(group));
  const terminated = activities
    .map((a) => /^Terminating EC2 instance: (\S+)/.exec(a.description)?.[1])
    .filter((id): id is string => id !== undefined);
  expect(terminated.sort()).toEqual([...old].sort());
  const launched = activities.filter((a) => a.description.startsWith('Launching a new EC2 instance:'));
  expect(launched).toHaveLength(2);
  for (const group of model.groupNames) {
    expect(model.groups.groupState(group).suspendedProcesses).toEqual([]);
    const [described] = await world.cloud.describeGroups([group]);
    expect(described).toMatchObject({ minSize: 1, maxSize: 1, desiredCapacity: 1 });
    expect(model.groups.groupState(group).version).toBe('2');
  }
  expect(model.targets.minHealthy(START, world.clock.now())).toBe(2);
}

describe('a control-plane swap killed after every port call', () => {
  it('should end on the new type in a clean run (the reference), one instance at a time', async () => {
    const run = await swapRun();
    expect(run.acting.length).toBeGreaterThan(8);
    await expectCleanEnd(run);
  });

  it('should end on the new type, each old instance terminated once, never below the starting healthy count, whatever call it died after', async () => {
    const reference = await swapRun();
    const points = reference.acting.flatMap((tick) =>
      (reference.calls[tick] ?? []).map((_call, index) => ({ tick, call: index + 1 })),
    );
    // Every kind of call of the swap is a crash point at least once.
    const kinds = new Set(points.map((p) => reference.calls[p.tick]?.[p.call - 1]));
    for (const kind of [
      'state.put',
      'groupUpdates.suspendProcesses',
      'launchTemplates.createVersionWithInstanceType',
      'groupUpdates.updateGroup',
      'loadBalancing.deregisterTargets',
      'kubernetes.setNodeTaint',
      'autoScaling.terminateInstance',
      'groupUpdates.resumeProcesses',
    ]) {
      expect(kinds).toContain(kind);
    }
    const failures: string[] = [];
    for (const point of points) {
      const run = await swapRun(point);
      expect(run.crashed).toBeDefined();
      try {
        await expectCleanEnd(run);
      } catch (error) {
        failures.push(
          `crash after ${run.crashed} (tick ${point.tick}, call ${point.call}): ${String(error)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });
});
