import { type HpaSettings, hpaSettingsSchema } from '../config/hpa-settings';
import { runHpaTick } from '../loops/hpa-loop';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { SimController } from './driver';
import type { SimWorld } from './world';

/**
 * The real HPA loop as a simulator controller: the same `runHpaTick` a Lambda runs, against the
 * simulated cluster and metric source, with whatever state store the caller chose (DynamoDB on
 * dynalite for `npm start`).
 */
export function hpaController(
  world: SimWorld,
  options: { state?: StateStore; settings?: Partial<HpaSettings>; log?: Logger; dryRun?: boolean } = {},
): SimController {
  const settings = hpaSettingsSchema.parse(options.settings ?? {});
  const state = options.state ?? world.state;
  return {
    name: 'hpa',
    intervalMs: settings.intervalSeconds * 1000,
    tick: () =>
      runHpaTick({
        cluster: world.scenario.clusterName,
        kubernetes: world.cluster,
        metrics: world.metrics,
        state,
        clock: world.clock,
        log: options.log ?? { debug() {}, info() {}, warn() {}, error() {} },
        settings,
        dryRun: options.dryRun ?? false,
      }),
  };
}
