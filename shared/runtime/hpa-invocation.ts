import { type HpaEvent, hpaEventSchema } from '../config/hpa-event';
import type { ResolvedCluster } from '../config/load';
import { formatPath } from '../config/load';
import { HPA_OWNED_PREFIXES, type HpaTickSummary, runHpaTick } from '../loops/hpa-loop';
import type { Clock } from '../ports/clock';
import type { KubernetesPort } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import type { MetricSource } from '../ports/metric-source';
import type { StateStore } from '../ports/state-store';
import { renderTickSummary } from './hpa-summary';
import { type InvocationResult, runUnderLease } from './invocation';
import { OwnedItemsCache } from './owned-items-cache';

export interface HpaInvocationDeps {
  config: ResolvedCluster;
  /** Built lazily: an invalid or refused event never touches the cluster or its secrets. */
  connect: () => Promise<{ kubernetes: KubernetesPort; metrics: MetricSource }>;
  state: StateStore;
  clock: Clock;
  log: Logger;
  /** The Lambda request id. */
  owner: string;
  remainingMs: () => number;
}

export type HpaInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      cluster: string;
      dryRun: boolean;
      /** `lease-held`: another invocation runs this loop for the cluster right now; nothing was done. */
      status: InvocationResult<HpaTickSummary>['status'] | 'disabled';
      ticks: HpaTickSummary[];
      /** What a person reads in the Lambda console. */
      summary: string;
    };

/**
 * One invocation of the HPA function: validate the event, then tick under the cluster's lease. A bad
 * payload gets a message naming the field and changes nothing; so does an event for another cluster.
 */
export async function runHpaInvocation(
  event: unknown,
  deps: HpaInvocationDeps,
): Promise<HpaInvocationResponse> {
  const parsed = hpaEventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`,
    );
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const request: HpaEvent = parsed.data;
  const { cluster, hpa } = deps.config;
  if (request.cluster !== cluster.name) {
    return {
      ok: false,
      error: `cluster: this function serves "${cluster.name}", not "${request.cluster}"`,
    };
  }
  const dryRun = cluster.dryRun || request.dryRun === true;
  if (!cluster.enabled || !hpa.enabled) {
    const why = cluster.enabled ? 'the HPA loop is disabled (hpa.enabled: false)' : 'the cluster is disabled';
    return {
      ok: true,
      cluster: cluster.name,
      dryRun,
      status: 'disabled',
      ticks: [],
      summary: `${cluster.name}: ${why}`,
    };
  }
  const only = request.autoscaler;
  // Connecting reads a secret or mints a token: only worth it once the lease says this run will tick.
  let connection: ReturnType<HpaInvocationDeps['connect']> | undefined;
  // The invocation's ticks read the autoscalers' history once, then keep it up to date themselves.
  const state = new OwnedItemsCache(deps.state, deps.clock, HPA_OWNED_PREFIXES);
  const result = await runUnderLease({
    cluster: cluster.name,
    loop: 'hpa',
    owner: deps.owner,
    state: deps.state,
    clock: deps.clock,
    log: deps.log,
    intervalMs: hpa.intervalSeconds * 1000,
    remainingMs: deps.remainingMs,
    maxTicks: request.ticks ?? (dryRun && request.dryRun ? 1 : undefined),
    tick: async (_index, leaseUnbroken) => {
      if (!leaseUnbroken) state.forgetAll();
      connection ??= deps.connect();
      const { kubernetes, metrics } = await connection;
      return runHpaTick(
        {
          cluster: cluster.name,
          kubernetes,
          metrics,
          state,
          clock: deps.clock,
          log: deps.log,
          settings: hpa,
          dryRun,
        },
        only ? { only } : {},
      );
    },
  });
  const summary =
    result.status === 'lease-held'
      ? `${cluster.name}: another invocation holds the HPA lease; nothing done`
      : result.ticks.map(renderTickSummary).join('\n\n');
  return { ok: true, cluster: cluster.name, dryRun, status: result.status, ticks: result.ticks, summary };
}
