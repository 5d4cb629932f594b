/**
 * The real quota loop as a simulator controller: the same `runQuotaTick` the scheduled Lambda runs for an
 * account and region, against the world's Service Quotas and usage metrics (service-quotas.ts,
 * usage-metrics.ts), its Auto Scaling groups and EC2 instance types, with whatever state store the caller
 * chose. The region's one cluster is the scenario's, with its node pools' config and, when it has one,
 * its control plane's. It records each run, the account's quotas at every sample instant and AWS's side
 * of each request into the result's `quotas`.
 *
 * Cadence: production runs the loop once a day. A scenario runs it at its start and then every
 * `quotas.intervalMs` (QUOTA_SIM_INTERVAL_MS by default), so that within a run of hours the request is
 * seen filed, followed while AWS works on it and reported once when AWS answered.
 */
import type { z } from 'zod';
import { nodePoolsSchema } from '../config/node-pools';
import type { QuotaRegion } from '../config/quota-region';
import { type QuotasConfig, quotasSchema } from '../config/quotas';
import { type QuotaRunResult, runQuotaTick } from '../loops/quota-loop';
import { type Logger, silentLogger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { SimController } from './driver';
import { QuotaRecorder } from './quota-record';
import type { SimWorld } from './world';

/** Every two hours: a few looks at a request that AWS answers in hours, not a call per node-pool tick. */
export const QUOTA_SIM_INTERVAL_MS = 2 * 3_600_000;

export interface QuotaControllerOptions {
  state?: StateStore;
  /** The loop's config as a config file writes it. @default the scenario's `quotas.settings` */
  settings?: z.input<typeof quotasSchema>;
  /** @default the scenario's `quotas.intervalMs`, else QUOTA_SIM_INTERVAL_MS */
  intervalMs?: number;
  log?: Logger;
  /** @default the settings' dryRun */
  dryRun?: boolean;
  /** Called with each run's result, as the loop returned it. */
  onRun?: (result: QuotaRunResult) => void;
}

/** The account and region the loop runs for: the world's, with the scenario's cluster in it. */
export function quotaRegionOf(world: SimWorld, settings: QuotasConfig): QuotaRegion {
  return {
    accountId: world.cloud.accountId,
    region: world.cloud.region,
    quotas: settings,
    clusters: [
      {
        name: world.scenario.clusterName,
        ...(world.scenario.nodePools ? { nodePools: nodePoolsSchema.parse(world.scenario.nodePools) } : {}),
        ...(world.controlPlane ? { controlPlane: world.controlPlane.settings } : {}),
      },
    ],
  };
}

/**
 * @example
 * const result = await runSimulation(world, {
 *   controllers: [hpaController(world), nodePoolController(world), quotaController(world)],
 * });
 * result.quotas?.requests; // what was asked, when AWS opened the case and answered
 */
export function quotaController(world: SimWorld, options: QuotaControllerOptions = {}): SimController {
  const quotas = world.quotas;
  if (!quotas) throw new Error(`scenario ${world.scenario.name} has no quotas`);
  const settings = quotasSchema.parse(options.settings ?? world.scenario.quotas?.settings ?? {});
  const region = quotaRegionOf(world, settings);
  const state = options.state ?? world.state;
  const log = options.log ?? silentLogger;
  const intervalMs = options.intervalMs ?? world.scenario.quotas?.intervalMs ?? QUOTA_SIM_INTERVAL_MS;
  const dryRun = options.dryRun ?? settings.dryRun;
  const { serviceQuotas, usage, vcpuLimits } = quotas;
  const recorder = new QuotaRecorder(
    {
      accountId: region.accountId,
      region: region.region,
      value: (code, at) => serviceQuotas.value(code, at),
      definition: (code) => serviceQuotas.definition(code),
      usage: () => vcpuLimits.usage(),
      requests: () => serviceQuotas.requests(),
      statusOf: (request, at) => serviceQuotas.statusOf(request, at),
      refusals: () => vcpuLimits.refusals(),
    },
    intervalMs,
  );

  return {
    name: 'quotas',
    intervalMs,
    async tick() {
      if (!settings.enabled) return;
      const result = await runQuotaTick(
        {
          serviceQuotas,
          usage,
          autoScaling: world.cloud,
          ec2: world.ec2,
          state,
          clock: world.clock,
          log,
        },
        region,
        { dryRun },
      );
      recorder.run(result);
      options.onRun?.(result);
      return result;
    },
    sample: (now) => recorder.sample(now),
    finish: (end) => ({ quotas: recorder.finish(end) }),
  };
}
