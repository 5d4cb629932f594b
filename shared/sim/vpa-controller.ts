/**
 * The real VPA loop as a simulator controller: the same `runVpaTick` the Lambda runs, at the config's
 * interval, against the world's cluster (pods, metrics.k8s.io, Events) and VPAs (`world.vpas`), with
 * whatever state store the caller chose. Ticks are grouped into simulated invocations as the Lambda
 * runs them: the aggregates are carried from tick to tick, written as checkpoints on an invocation's last
 * tick, and dropped after it, so the next invocation starts from the checkpoints as a new Lambda would.
 */
import type { z } from 'zod';
import { type VpaConfig, vpaSchema } from '../config/vpa';
import { runVpaTick, VPA_STATE_PREFIX, type VpaTickSummary } from '../loops/vpa-loop';
import { type Logger, silentLogger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { ContainerAggregateState } from '../vpa/container-state';
import type { SimController } from './driver';
import { dynamoItemBytes } from './dynamo-item-size';
import type { CheckpointWrite } from './vpa-record';
import { VpaRecorder } from './vpa-record';
import type { SimWorld } from './world';

/**
 * Ticks of one simulated invocation. Five one-minute ticks: a scheduled invocation ticks for a few
 * minutes, and a checkpoint every five minutes loses at most that much history on a crash.
 */
export const VPA_TICKS_PER_INVOCATION = 5;

export interface VpaControllerOptions {
  state?: StateStore;
  /** The loop's config as a config file writes it. @default the scenario's `vpa.settings` */
  settings?: z.input<typeof vpaSchema>;
  log?: Logger;
  /** @default the settings' dryRun */
  dryRun?: boolean;
  /** @default VPA_TICKS_PER_INVOCATION */
  ticksPerInvocation?: number;
  /** Called with each tick's summary. */
  onTick?: (summary: VpaTickSummary) => void;
}

/** Passes every call through, and reports each checkpoint put with its item size. */
function recordingStore(
  state: StateStore,
  now: () => number,
  onPut: (write: CheckpointWrite) => void,
): StateStore {
  return {
    query: (cluster, prefix) => state.query(cluster, prefix),
    get: (cluster, sk) => state.get(cluster, sk),
    delete: (cluster, sk, version) => state.delete(cluster, sk, version),
    acquireLease: (...args) => state.acquireLease(...args),
    releaseLease: (...args) => state.releaseLease(...args),
    put: async (cluster, sk, data, options) => {
      const stored = await state.put(cluster, sk, data, options);
      if (sk.startsWith(VPA_STATE_PREFIX)) {
        onPut({ time: now(), key: sk, bytes: dynamoItemBytes(stored) });
      }
      return stored;
    },
  };
}

/**
 * @example
 * const world = createSimWorld(createVpaDayScenario());
 * const result = await runSimulation(world, { controllers: [vpaController(world)] });
 * result.vpa?.containers[0]?.memoryRequestMi; // the template's memory request over the day
 */
export function vpaController(world: SimWorld, options: VpaControllerOptions = {}): SimController {
  const settings: VpaConfig = vpaSchema.parse(options.settings ?? world.scenario.vpa?.settings ?? {});
  const perInvocation = options.ticksPerInvocation ?? VPA_TICKS_PER_INVOCATION;
  if (!(Number.isInteger(perInvocation) && perInvocation >= 1)) {
    throw new RangeError(`ticksPerInvocation must be a whole number ≥ 1, got ${perInvocation}`);
  }
  const intervalMs = settings.intervalSeconds * 1000;
  const recorder = new VpaRecorder(world, {
    intervalMs,
    ticksPerInvocation: perInvocation,
    oomPolicy: settings.oomPolicy,
  });
  const state = recordingStore(
    options.state ?? world.state,
    () => world.clock.now(),
    (write) => recorder.onCheckpointWrite(write),
  );
  const log = options.log ?? silentLogger;
  let carry = new Map<string, ContainerAggregateState>();
  let tickInInvocation = 0;
  let start: number | undefined;
  return {
    name: 'vpa',
    intervalMs,
    tick: async (now) => {
      start ??= now;
      const last = tickInInvocation === perInvocation - 1;
      const summary = await runVpaTick(
        {
          cluster: world.scenario.clusterName,
          kubernetes: world.cluster,
          vpas: world.vpas,
          state,
          clock: world.clock,
          log,
          settings,
          dryRun: options.dryRun ?? settings.dryRun,
        },
        { carry, persistCheckpoints: last },
      );
      tickInInvocation = last ? 0 : tickInInvocation + 1;
      if (last) carry = new Map();
      recorder.onTick(summary);
      options.onTick?.(summary);
      return summary;
    },
    sample: (now) => recorder.sample(now),
    finish: (end) => ({ vpa: recorder.finish(start ?? end, end) }),
  };
}
