/**
 * Lambda crashes in the simulator: a loop's invocation that dies part-way, right after one of its port
 * calls took effect, as a Lambda killed by its timeout, an out-of-memory or a lost host does. Whatever it
 * did before stays done (the Auto Scaling group was resized, the record was written), nothing after it
 * happens, and the next invocation must pick up from the world and the state as they are: the "a crash
 * at any point resumes" rail of the design.
 *
 * How: a `lambda-crash` fault arms a crash in the world's `FaultEffects`; the loop's controller is built
 * by `crashable` against a view of the world whose ports go through a gate. An invocation that starts
 * while a crash is armed for its loop is doomed: the gate counts its port calls (asynchronous calls: the
 * I/O a Lambda makes), and after the one the fault names the call's caller gets a `LambdaCrash`, and so
 * does every later call of that invocation, before it reaches the world. The gate knows which calls are
 * the invocation's by its async context (AsyncLocalStorage), so the driver's own reads between ticks
 * (samples, event delivery) never count and never die.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StateStore } from '../ports/state-store';
import { controlPlaneController } from './control-plane/controller';
import type { SimController } from './driver';
import type { LambdaCrashRecord } from './faults';
import { hpaController } from './hpa-controller';
import { nodePoolController } from './node-pool-controller';
import { quotaController } from './quota-controller';
import { vpaController } from './vpa-controller';
import type { SimWorld } from './world';

export class LambdaCrash extends Error {
  override readonly name = 'LambdaCrash';
}

/** What a controller is built against: the world, and a way to route one more port through the gate. */
export interface CrashGate {
  /** The world as the loop's Lambda sees it: its ports die with a doomed invocation. */
  readonly world: SimWorld;
  /** A port the caller brings itself (the state store), routed the same way. */
  port<T extends object>(port: T, name: string): T;
}

/** A doomed invocation, while it runs. */
interface Invocation {
  afterCalls: number;
  calls: number;
  lastCall?: string;
  dead: boolean;
}

/** The world's members that are ports (or hold ports) a loop calls. */
const GATED_WORLD_MEMBERS: ReadonlySet<PropertyKey> = new Set([
  'cluster',
  'cloud',
  'ec2',
  'vpas',
  'metrics',
  'sqs',
  'cloudwatch',
  'state',
  'quotas',
  'controlPlane',
]);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

class Gate implements CrashGate {
  readonly storage = new AsyncLocalStorage<Invocation>();
  readonly world: SimWorld;
  private readonly proxies = new WeakMap<object, object>();

  constructor(real: SimWorld) {
    this.world = new Proxy(real, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target);
        if (!GATED_WORLD_MEMBERS.has(key) || typeof value !== 'object' || value === null) return value;
        return this.wrap(value, String(key));
      },
    });
  }

  port<T extends object>(port: T, name: string): T {
    return this.proxy(port, name);
  }

  /** A port, or a plain bundle of ports (`world.quotas`, `controlPlane.ports()`), routed through the gate. */
  private wrap(value: object, name: string): object {
    if (!isPlainObject(value)) return this.proxy(value, name);
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      out[key] = typeof member === 'object' && member !== null ? this.wrap(member, key) : member;
    }
    return out;
  }

  private proxy<T extends object>(port: T, name: string): T {
    const known = this.proxies.get(port);
    if (known) return known as T;
    const proxy = new Proxy(port, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          this.call(target, value as (...a: unknown[]) => unknown, args, name, key);
      },
    });
    this.proxies.set(port, proxy);
    return proxy;
  }

  private call(
    target: object,
    method: (...args: unknown[]) => unknown,
    args: unknown[],
    name: string,
    key: PropertyKey,
  ): unknown {
    const invocation = this.storage.getStore();
    const call = `${name}.${String(key)}`;
    if (invocation?.dead) throw new LambdaCrash(`the invocation is dead: ${call} never went out`);
    const result = method.apply(target, args);
    if (isThenable(result)) {
      if (!invocation) return result;
      // The call took effect whether it succeeded or failed; the Lambda may die right after either.
      const settle = () => this.counted(invocation, call);
      return Promise.resolve(result).then(
        (value) => {
          settle();
          return value;
        },
        (error: unknown) => {
          settle();
          throw error;
        },
      );
    }
    // A client a port hands out (the simulated SQS and CloudWatch SDK clients) sends requests of its own.
    if (typeof (result as { send?: unknown } | null)?.send === 'function') {
      return this.proxy(result as object, `${name}.${String(key)}()`);
    }
    return isPlainObject(result) ? this.wrap(result, String(key)) : result;
  }

  private counted(invocation: Invocation, call: string): void {
    if (invocation.dead) throw new LambdaCrash(`the invocation is dead: the answer to ${call} is lost`);
    invocation.calls++;
    invocation.lastCall = call;
    if (invocation.calls >= invocation.afterCalls) {
      invocation.dead = true;
      throw new LambdaCrash(`the Lambda died right after ${call} (port call ${invocation.calls})`);
    }
  }
}

function deathMessage(loop: string, invocation: Invocation): string {
  return invocation.lastCall
    ? `simulated Lambda crash: the ${loop} invocation died after port call ${invocation.calls} (${invocation.lastCall})`
    : `simulated Lambda crash: the ${loop} invocation died before its first port call`;
}

/**
 * A loop's controller whose invocations die as the world's `lambda-crash` faults say. `build` makes the
 * controller from the gate's world (and routes any port it brings itself through `gate.port`). A scenario
 * without crashes for this loop gets the controller built on the world itself, at no cost.
 *
 * @example
 * const hpa = crashable(world, 'hpa', (gate) => hpaController(gate.world, { state: gate.port(state, 'state') }));
 */
export function crashable(
  world: SimWorld,
  loop: string,
  build: (gate: CrashGate) => SimController,
): SimController {
  const crashes = (world.scenario.faults ?? []).some(
    (fault) => fault.kind === 'lambda-crash' && fault.loop === loop,
  );
  if (!crashes) return build({ world, port: (port) => port });
  const gate = new Gate(world);
  const controller = build(gate);
  if (controller.name !== loop) {
    throw new Error(`crashable: the controller built for loop "${loop}" is named "${controller.name}"`);
  }
  const effects = world.faultEffects;
  const die = (record: LambdaCrashRecord, at: number, invocation: Invocation): never => {
    record.deaths.push({
      at,
      calls: invocation.calls,
      ...(invocation.lastCall ? { lastCall: invocation.lastCall } : {}),
    });
    throw new LambdaCrash(deathMessage(loop, invocation));
  };
  return {
    name: controller.name,
    intervalMs: controller.intervalMs,
    ...(controller.offsetMs !== undefined ? { offsetMs: controller.offsetMs } : {}),
    async tick(now) {
      const record = effects.doomed(loop);
      if (!record) {
        const result = await controller.tick(now);
        effects.completed(loop, world.clock.now());
        return result;
      }
      const afterCalls = record.fault.afterCalls ?? 1;
      const invocation: Invocation = { afterCalls, calls: 0, dead: afterCalls === 0 };
      try {
        await gate.storage.run(invocation, () => controller.tick(now));
      } catch {
        // Whatever it threw, it threw as it died (or just before): the death is what the run records.
      }
      // An invocation that made fewer calls than the fault names dies as it returns, its work all done.
      return die(record, now, invocation);
    },
    ...(controller.deliverEvents ? { deliverEvents: controller.deliverEvents.bind(controller) } : {}),
    ...(controller.sample ? { sample: controller.sample.bind(controller) } : {}),
    ...(controller.finish ? { finish: controller.finish.bind(controller) } : {}),
  };
}

/**
 * The loops a scenario configures, as `tideplane simulate` runs them: the HPA loop, and the node-pool,
 * control-plane, VPA and quota loops when the scenario has them, each through `crashable` so that the
 * scenario's lambda-crash faults reach it. `state` is the store the Lambdas share (default the world's).
 *
 * @example
 * const result = await runSimulation(world, { controllers: loopControllers(world, { state }) });
 */
export function loopControllers(world: SimWorld, options: { state?: StateStore } = {}): SimController[] {
  const { scenario } = world;
  const state = (gate: CrashGate) => (options.state ? { state: gate.port(options.state, 'state') } : {});
  const controllers = [crashable(world, 'hpa', (gate) => hpaController(gate.world, state(gate)))];
  if (scenario.nodePools) {
    controllers.push(crashable(world, 'node-pools', (gate) => nodePoolController(gate.world, state(gate))));
  }
  if (scenario.controlPlane) {
    controllers.push(
      crashable(world, 'control-plane', (gate) => controlPlaneController(gate.world, state(gate))),
    );
  }
  if (scenario.vpa)
    controllers.push(crashable(world, 'vpa', (gate) => vpaController(gate.world, state(gate))));
  if (scenario.quotas) {
    controllers.push(crashable(world, 'quotas', (gate) => quotaController(gate.world, state(gate))));
  }
  return controllers;
}
