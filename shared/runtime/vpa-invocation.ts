import type { ResolvedCluster } from '../config/load';
import { formatPath } from '../config/load';
import { vpaRequestSchema } from '../config/vpa-event';
import { runVpaTick, type VpaTickSummary } from '../loops/vpa-loop';
import type { Clock } from '../ports/clock';
import type { KubernetesPort } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { VpaPort } from '../ports/vertical-pod-autoscalers';
import type { ContainerAggregateState } from '../vpa/container-state';
import { INVOCATION_SAFETY_MARGIN_MS, type InvocationResult, runUnderLease } from './invocation';

/** The lease of the VPA loop (`lease#vpa`). */
export const VPA_LOOP = 'vpa';

export interface VpaInvocationDeps {
  config: ResolvedCluster;
  /** Built lazily: an invalid or refused event never touches the cluster or its secrets. */
  connect: () => Promise<{ kubernetes: KubernetesPort; vpas: VpaPort }>;
  state: StateStore;
  clock: Clock;
  log: Logger;
  owner: string;
  remainingMs: () => number;
}

export type VpaInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      cluster: string;
      dryRun: boolean;
      status: InvocationResult<VpaTickSummary>['status'] | 'disabled';
      ticks: VpaTickSummary[];
      summary: string;
    };

/** A tick as a person reads it in the Lambda console. */
export function renderVpaSummary(tick: VpaTickSummary): string {
  const mode = tick.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [`${tick.cluster} @ ${new Date(tick.time).toISOString()}${mode}: ${tick.vpas.length} VPA(s)`];
  for (const vpa of tick.vpas) {
    if (vpa.status === 'not-ours') continue;
    const targets = vpa.recommendations
      .map((r) => `${r.container} ${[r.cpu, r.memory].filter(Boolean).join('/')}`)
      .join(', ');
    const update = vpa.update
      ? `; ${vpa.update.action}${vpa.update.result ? ` (${vpa.update.result})` : ''}: ${vpa.update.reason}`
      : '';
    const problems = vpa.problems.length > 0 ? `; problems: ${vpa.problems.join('; ')}` : '';
    lines.push(`  ${vpa.vpa} [${vpa.status}] ${targets || 'no recommendation'}${update}${problems}`);
  }
  return lines.join('\n');
}

/**
 * One invocation of the VPA function: validate the request, then tick under the cluster's lease. The
 * aggregates are carried from tick to tick and written once, on the invocation's last tick (a
 * checkpoint a minute per container is what it is worth; a crash loses at most that minute).
 */
export async function runVpaInvocation(
  payload: unknown,
  deps: VpaInvocationDeps,
): Promise<VpaInvocationResponse> {
  const parsed = vpaRequestSchema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`,
    );
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const request = parsed.data;
  const { cluster } = deps.config;
  if (request.cluster !== cluster.name) {
    return { ok: false, error: `cluster: this function serves "${cluster.name}", not "${request.cluster}"` };
  }
  const settings = cluster.vpa;
  const dryRun = cluster.dryRun || settings?.dryRun === true || request.dryRun === true;
  const base = { ok: true as const, cluster: cluster.name, dryRun, ticks: [] };
  if (!cluster.enabled || !settings?.enabled) {
    const why = !cluster.enabled
      ? 'the cluster is disabled'
      : 'the VPA loop is disabled (vpa absent or enabled: false)';
    return { ...base, status: 'disabled', summary: `${cluster.name}: ${why}` };
  }
  const intervalMs = settings.intervalSeconds * 1000;
  const maxTicks = request.ticks ?? (request.dryRun ? 1 : undefined);
  const carry = new Map<string, ContainerAggregateState>();
  let connection: ReturnType<VpaInvocationDeps['connect']> | undefined;
  const result = await runUnderLease({
    cluster: cluster.name,
    loop: VPA_LOOP,
    owner: deps.owner,
    state: deps.state,
    clock: deps.clock,
    log: deps.log,
    intervalMs,
    remainingMs: deps.remainingMs,
    ...(maxTicks !== undefined ? { maxTicks } : {}),
    tick: async (index) => {
      connection ??= deps.connect();
      const { kubernetes, vpas } = await connection;
      // The last tick of the invocation persists: `runUnderLease` starts no tick after it that could not
      // finish (its own rule: a tick plus an interval and the safety margin must fit).
      const last =
        (maxTicks !== undefined && index + 1 >= maxTicks) ||
        deps.remainingMs() < 2 * intervalMs + INVOCATION_SAFETY_MARGIN_MS;
      return runVpaTick(
        {
          cluster: cluster.name,
          kubernetes,
          vpas,
          state: deps.state,
          clock: deps.clock,
          log: deps.log,
          settings,
          dryRun,
        },
        { carry, persistCheckpoints: last },
      );
    },
  });
  const summary =
    result.status === 'lease-held'
      ? `${cluster.name}: another invocation holds the VPA lease; nothing done now`
      : result.ticks.map(renderVpaSummary).join('\n\n');
  return { ...base, status: result.status, ticks: result.ticks, summary };
}
