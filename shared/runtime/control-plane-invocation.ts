import { parseControlPlaneEvent } from '../config/control-plane-event';
import type { ResolvedCluster } from '../config/load';
import { formatPath } from '../config/load';
import { controlPlaneAlarmNames } from '../controlplane/alarm-names';
import type { Ladder } from '../controlplane/ladder';
import type { Ec2ControlPlanePorts } from '../loops/control-plane-deps';
import {
  type ControlPlaneTickSummary,
  renderControlPlaneSummary,
  runControlPlaneTick,
} from '../loops/control-plane-loop';
import type { AlarmsPort } from '../ports/alarms';
import type { Clock } from '../ports/clock';
import type { EksPort } from '../ports/eks';
import type { KubernetesPort } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import { type InvocationResult, runUnderLease } from './invocation';

/** The lease of the control-plane loop (`lease#control-plane`). */
export const CONTROL_PLANE_LOOP = 'control-plane';

export interface ControlPlaneInvocationDeps {
  config: ResolvedCluster;
  /** Built lazily: an invalid or refused event never touches the cluster or its secrets. */
  connect: () => Promise<{ kubernetes: KubernetesPort; aws?: Ec2ControlPlanePorts }>;
  eks?: EksPort;
  alarms: AlarmsPort;
  latency?: () => Promise<number | undefined>;
  state: StateStore;
  clock: Clock;
  log: Logger;
  owner: string;
  remainingMs: () => number;
  /** The ladder, built once per container (instance types do not change while it lives). */
  ladderCache?: { ladder?: Ladder };
}

export type ControlPlaneInvocationResponse =
  | { ok: false; error: string }
  | {
      ok: true;
      cluster: string;
      dryRun: boolean;
      status: InvocationResult<ControlPlaneTickSummary>['status'] | 'disabled';
      /** The alarm that woke the function, if one did. */
      alarm?: { name: string; state: string; via: string };
      ticks: ControlPlaneTickSummary[];
      summary: string;
    };

/**
 * One invocation of the control-plane function: validate the payload (a request, an alarm action, an
 * alarm state change), then tick under the cluster's lease. A bad payload, or an alarm of another
 * cluster, gets a message saying so and changes nothing.
 */
export async function runControlPlaneInvocation(
  payload: unknown,
  deps: ControlPlaneInvocationDeps,
): Promise<ControlPlaneInvocationResponse> {
  const parsed = parseControlPlaneEvent(payload);
  if (!parsed.ok) {
    const problems = parsed.issues.map((issue) => `${formatPath(issue.path) || '(event)'}: ${issue.message}`);
    return { ok: false, error: `invalid event — ${problems.join('; ')}` };
  }
  const { cluster } = deps.config;
  const settings = cluster.controlPlane;
  const event = parsed.event;
  if (event.kind === 'request' && event.request.cluster !== cluster.name) {
    return {
      ok: false,
      error: `cluster: this function serves "${cluster.name}", not "${event.request.cluster}"`,
    };
  }
  const alarmNames = settings ? controlPlaneAlarmNames(cluster.name, settings) : { high: [], low: [] };
  if (event.kind === 'alarm') {
    if (event.alarm.region !== deps.config.region) {
      return {
        ok: false,
        error: `region: this function serves ${deps.config.region}, not ${event.alarm.region}`,
      };
    }
    const ours = [...alarmNames.high, ...alarmNames.low];
    if (!ours.includes(event.alarm.alarmName)) {
      return {
        ok: false,
        error: `alarm: ${event.alarm.alarmName} is not one of ${cluster.name}'s control-plane alarms (${ours.join(', ') || 'none'})`,
      };
    }
  }
  const requested = event.kind === 'request' ? event.request : undefined;
  const dryRun = cluster.dryRun || settings?.dryRun === true || requested?.dryRun === true;
  const base = {
    ok: true as const,
    cluster: cluster.name,
    dryRun,
    ticks: [],
    ...(event.kind === 'alarm'
      ? { alarm: { name: event.alarm.alarmName, state: event.alarm.state, via: event.alarm.via } }
      : {}),
  };
  if (!cluster.enabled || !settings?.enabled) {
    const why = !cluster.enabled
      ? 'the cluster is disabled'
      : 'the control-plane loop is disabled (controlPlane absent or enabled: false)';
    return { ...base, status: 'disabled', summary: `${cluster.name}: ${why}` };
  }
  const maxTicks = requested?.ticks ?? (dryRun && requested?.dryRun ? 1 : undefined);
  const ladderCache = deps.ladderCache ?? {};
  let connection: ReturnType<ControlPlaneInvocationDeps['connect']> | undefined;
  const result = await runUnderLease({
    cluster: cluster.name,
    loop: CONTROL_PLANE_LOOP,
    owner: deps.owner,
    state: deps.state,
    clock: deps.clock,
    log: deps.log,
    intervalMs: settings.intervalSeconds * 1000,
    remainingMs: deps.remainingMs,
    ...(maxTicks !== undefined ? { maxTicks } : {}),
    tick: async (index) => {
      connection ??= deps.connect();
      const { kubernetes, aws } = await connection;
      return runControlPlaneTick(
        {
          cluster: cluster.name,
          settings,
          kubernetes,
          ...(aws ? { aws } : {}),
          ...(deps.eks ? { eks: deps.eks } : {}),
          alarms: deps.alarms,
          alarmNames,
          ...(deps.latency ? { latency: deps.latency } : {}),
          state: deps.state,
          clock: deps.clock,
          log: deps.log,
          dryRun,
          ...(requested?.clearFailedSwap && index === 0 ? { clearFailed: true } : {}),
        },
        ladderCache,
      );
    },
  });
  const summary =
    result.status === 'lease-held'
      ? `${cluster.name}: another invocation holds the control-plane lease; its next tick reads the alarms again`
      : result.ticks.map(renderControlPlaneSummary).join('\n\n');
  return { ...base, status: result.status, ticks: result.ticks, summary };
}
