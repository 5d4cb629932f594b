import { CloudWatchCollector } from '../adapters/metrics/cloudwatch';
import { MetricRouter } from '../adapters/metrics/router';
import { SqsQueueLengthCollector } from '../adapters/metrics/sqs-queue-length';
import { type HpaSettings, hpaSettingsSchema } from '../config/hpa-settings';
import { HPA_OWNED_PREFIXES, runHpaTick } from '../loops/hpa-loop';
import type { Logger } from '../ports/logger';
import type { MetricSource } from '../ports/metric-source';
import type { StateStore } from '../ports/state-store';
import { OwnedItemsCache } from '../runtime/owned-items-cache';
import type { SimController } from './driver';
import type { SimWorld } from './world';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The loop's schedule (EventBridge Scheduler's `rate(1 minute)`): one invocation a minute. */
const SCHEDULE_RATE_MS = 60_000;

export interface HpaControllerOptions {
  state?: StateStore;
  settings?: Partial<HpaSettings>;
  log?: Logger;
  dryRun?: boolean;
  /**
   * The loop's metric source. @default `simMetricRouter(world)`: the real MetricRouter with the real SQS
   * and CloudWatch collectors on the world's simulated AWS services, falling back to `world.metrics`.
   */
  metrics?: MetricSource;
}

/**
 * The `MetricSource` a Lambda builds for a cluster (`createMetricSources`), on the simulator: the real
 * `MetricRouter` with the real `sqs-queue-length` and `cloudwatch` collectors, whose SDK clients are the
 * world's simulated SQS and CloudWatch, and the world's custom/external metrics APIs (`world.metrics`)
 * for every metric no collector claims.
 *
 * @example
 * const metrics = simMetricRouter(world);
 * await runSimulation(world, { controllers: [hpaController(world, { metrics })] });
 * metrics.stats(); // the last tick's queries, cache hits and fetches per source
 */
export function simMetricRouter(world: SimWorld, log: Logger = silent): MetricRouter {
  return new MetricRouter({
    collectors: [
      new SqsQueueLengthCollector({ clientFor: (region) => world.sqs.client(region) }),
      new CloudWatchCollector({ clientFor: (region) => world.cloudwatch.client(region) }),
    ],
    fallback: world.metrics,
    clock: world.clock,
    log,
  });
}

/**
 * The real HPA loop as a simulator controller: the same `runHpaTick` a Lambda runs, against the
 * simulated cluster and metric sources, with whatever state store the caller chose (DynamoDB on
 * dynalite for `npm start`).
 */
export function hpaController(world: SimWorld, options: HpaControllerOptions = {}): SimController {
  const settings = hpaSettingsSchema.parse(options.settings ?? {});
  const state = options.state ?? world.state;
  const log = options.log ?? silent;
  const metrics = options.metrics ?? simMetricRouter(world, log);
  // As in Lambda, an invocation a minute keeps the autoscalers' history between its ticks; a tick that
  // fails (a simulated crash included) ends its invocation.
  let invocation: { index: number; state: OwnedItemsCache } | undefined;
  return {
    name: 'hpa',
    intervalMs: settings.intervalSeconds * 1000,
    tick: async (now) => {
      const index = Math.floor((now - world.scenario.start) / SCHEDULE_RATE_MS);
      if (invocation?.index !== index)
        invocation = { index, state: new OwnedItemsCache(state, world.clock, HPA_OWNED_PREFIXES) };
      try {
        return await runHpaTick({
          cluster: world.scenario.clusterName,
          kubernetes: world.cluster,
          metrics,
          state: invocation.state,
          clock: world.clock,
          log,
          settings,
          dryRun: options.dryRun ?? false,
        });
      } catch (error) {
        invocation = undefined;
        throw error;
      }
    },
  };
}
