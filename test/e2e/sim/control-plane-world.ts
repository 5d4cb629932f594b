/**
 * What the control-plane e2e tests share: a small scenario with a simulated control plane under a load
 * they choose, the real control-plane loop (as the simulator's controller) ticking against it with its
 * state in DynamoDB on dynalite (one per test file), and a way to tick by hand while virtual time moves.
 */
import { afterAll, beforeAll } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import type { ControlPlaneTickSummary } from '../../../shared/loops/control-plane-loop';
import type { StateStore } from '../../../shared/ports/state-store';
import type { SimControlPlane } from '../../../shared/sim/control-plane/control-plane';
import {
  type ControlPlaneControllerOptions,
  controlPlaneController,
} from '../../../shared/sim/control-plane/controller';
import type { SimControlPlaneSpec } from '../../../shared/sim/control-plane/spec';
import type { SimController } from '../../../shared/sim/driver';
import type { Scenario } from '../../../shared/sim/scenario';
import type { TraceSpec } from '../../../shared/sim/traces';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** Monday 2 June 2025, 08:00 UTC. */
export const START = Date.UTC(2025, 5, 2, 8, 0, 0);
export const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

/** Nodes that put two m6i.xlarge API servers at about 88 % CPU (and two m6i.2xlarge at about 44 %). */
export const BUSY_NODES = 640;
/** Nodes at which m6i.2xlarge API servers idle below 25 %. */
export const QUIET_NODES = 300;

/** Registers dynalite for the file; `store(clock)` gives a store on it with the world's clock. */
export function useDynamo(): { store(world: SimWorld): StateStore } {
  let dynamo: LocalDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  return {
    store(world) {
      if (!dynamo) throw new Error('dynalite did not start');
      return new DynamoDbStateStore({
        client: dynamo.client,
        tableName: dynamo.tableName,
        clock: world.clock,
      });
    },
  };
}

let clusters = 0;

export interface TestControlPlaneOptions {
  /** The traced node count (30 pods each). */
  nodes: TraceSpec;
  /** kOps-style groups, one per zone. @default 2 */
  zones?: number;
  settings?: SimControlPlaneSpec['settings'];
  ec2?: Partial<NonNullable<SimControlPlaneSpec['ec2']>>;
  /** An EKS control plane on this tier instead of EC2. */
  eksTier?: string;
  durationMs?: number;
}

/** A scenario with nothing but a control plane (a unique cluster name, so tests share the table). */
export function testScenario(options: TestControlPlaneOptions): Scenario {
  const zones = ZONES.slice(0, options.zones ?? 2);
  const settings = options.settings ?? { ladder: { families: ['m6i'], floor: 'm6i.xlarge' } };
  return {
    name: 'control-plane-test',
    description: 'a control plane under a chosen load',
    clusterName: `cp-e2e-${++clusters}`,
    region: 'eu-central-1',
    seed: 7,
    start: START,
    utcOffsetMinutes: 0,
    durationMs: options.durationMs ?? 6 * HOUR,
    tickIntervalMs: 15_000,
    sampleIntervalMs: MINUTE,
    nodeGroups: [],
    services: [],
    controlPlane: {
      settings,
      ...(options.eksTier
        ? { eks: { tier: options.eksTier } }
        : {
            ec2: {
              instanceType: 'm6i.xlarge',
              groups: zones.map((zone) => ({
                name: `control-plane-${zone}`,
                availabilityZones: [zone],
                instances: 1,
              })),
              deregistrationDelaySeconds: 60,
              ...options.ec2,
            },
          }),
      load: { nodes: options.nodes, podsPerNode: 30 },
    },
  };
}

export function modelOf(world: SimWorld): SimControlPlane {
  if (!world.controlPlane) throw new Error('no control plane');
  return world.controlPlane;
}

/**
 * The loop ticking by hand: `tick()` runs one tick (a thrown error is returned, as a crashed Lambda's
 * would be logged), then virtual time moves one interval and the world catches up.
 */
export class HandTicker {
  readonly controller: SimController;
  readonly summaries: ControlPlaneTickSummary[] = [];

  constructor(
    readonly world: SimWorld,
    options: ControlPlaneControllerOptions,
  ) {
    this.controller = controlPlaneController(world, {
      ...options,
      onTick: (summary) => {
        this.summaries.push(summary);
        options.onTick?.(summary);
      },
    });
  }

  /** One tick now, without moving time; the summary, or the error it threw. */
  async tickNow(): Promise<ControlPlaneTickSummary | Error> {
    try {
      return (await this.controller.tick(this.world.clock.now())) as ControlPlaneTickSummary;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** One tick, then one interval of virtual time. */
  async tick(): Promise<ControlPlaneTickSummary | Error> {
    const result = await this.tickNow();
    this.advance(this.controller.intervalMs);
    return result;
  }

  /** Ticks until `done` says so (checked after each tick), at most `maxTicks`; how many it took. */
  async tickUntil(done: (last: ControlPlaneTickSummary | Error) => boolean, maxTicks = 400): Promise<number> {
    for (let n = 1; n <= maxTicks; n++) {
      if (done(await this.tick())) return n;
    }
    throw new Error(`not done after ${maxTicks} ticks`);
  }

  /** Moves virtual time in steps of at most 15 s, the world catching up at each. */
  advance(ms: number): void {
    const end = this.world.clock.now() + ms;
    while (this.world.clock.now() < end) {
      this.world.clock.advanceTo(Math.min(end, this.world.clock.now() + 15_000));
      this.world.reconcile();
    }
  }
}

/** A fresh world for the scenario. */
export function worldOf(scenario: Scenario): SimWorld {
  return createSimWorld(scenario);
}

/** Whether the tick finished a swap. */
export function finishedSwap(last: ControlPlaneTickSummary | Error): boolean {
  return !(last instanceof Error) && last.finished !== undefined;
}
