/**
 * One tick of the control-plane loop for one cluster: move a running swap one step, or — when none
 * runs — read the alarms, decide, and start a swap. A swap is recorded (`cp#swap`, a conditional write)
 * before anything is changed, so only one swap per cluster ever runs, and a Lambda that dies anywhere
 * resumes at the next tick. Finished swaps go to `cp#history` (cooldowns, flapping, unavailable types).
 */
import { controlPlaneAlarmNames } from '../controlplane/alarm-names';
import { type AlarmView, type Decision, decideSwap } from '../controlplane/decision';
import { type Ec2SwapAction, nextEc2SwapStep, rollBack } from '../controlplane/ec2-swap';
import { nextEksSwapStep, recordEksUpdate } from '../controlplane/eks-swap';
import { tierCandidatesFrom } from '../controlplane/eks-tier-ladder';
import { buildLadder, candidatesFrom, type Ladder } from '../controlplane/ladder';
import { quotaRefusedTypes, withQuotaRefusals } from '../controlplane/quota-refusals';
import {
  encodeSwapRecord,
  isFinished,
  parseSwapHistory,
  parseSwapRecord,
  recordOutcome,
  SWAP_HISTORY_KEY,
  SWAP_KEY,
  type SwapHistory,
  type SwapRecord,
} from '../controlplane/swap-record';
import { DEFAULT_DRAIN_SETTINGS } from '../nodepools/drain';
import type { AlarmStatus } from '../ports/alarms';
import type { Architecture } from '../ports/ec2';
import type { StoredItem } from '../ports/state-store';
import { VersionConflictError } from '../ports/state-store';
import type { ControlPlaneLoopDeps } from './control-plane-deps';
import {
  actEc2Swap,
  awsPorts,
  ec2SwapBlocker,
  newEc2Swap,
  observeEc2Swap,
  readGroups,
  targetGroupsOf,
} from './control-plane-ec2';
import { nodeEvent } from './node-pool-scale-down';

export const CONTROL_PLANE_COMPONENT = 'control-plane';
export const CONTROL_PLANE_STATE_PREFIX = 'cp#';

/** History is kept a week: longer than any flapping window or cooldown. */
const HISTORY_KEEP_MS = 7 * 24 * 3_600_000;
const AUDIT_TTL_SECONDS = 30 * 24 * 3600;

export interface ControlPlaneTickSummary {
  cluster: string;
  time: number;
  dryRun: boolean;
  kind: 'ec2' | 'eks';
  /** The instance type (or tier) the control plane runs on now, when it could be told. */
  current?: string;
  /** vCPUs of the current type (EC2), for the size metric. */
  currentVcpus?: number;
  /** Index of the current tier (EKS), for the size metric. */
  currentTierIndex?: number;
  alarms: { name: string; state: string; value?: number }[];
  /** This tick's decision, when no swap was running. */
  decision?: Decision;
  /** The swap this tick worked on (or started). */
  swap?: { id: string; from: string; to: string; state: string; step: string; failure?: string };
  /** A swap that finished this tick, with its outcome. */
  finished?: { id: string; outcome: string; failure?: string };
  /** On a dry run that would start a swap: its steps, in order. */
  plan?: string[];
  counts: { stateWrites: number; actions: number; events: number };
}

/** A refusal no retry fixes: the adapters' errors carry `reason: 'Forbidden'` for AccessDenied. */
function isForbidden(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { reason?: unknown }).reason === 'Forbidden'
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A short hash, so swap ids (and the client tokens made from them) differ between clusters. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** Unique per cluster and start time; at most 32 characters, as client tokens need. */
export function swapId(cluster: string, now: number): string {
  return `cp-${shortHash(cluster)}-${now.toString(36)}`;
}

function alarmView(status: AlarmStatus): AlarmView {
  const value = status.recentDatapoints.at(-1);
  return {
    name: status.name,
    state: status.state,
    ...(value !== undefined ? { value } : {}),
    ...(status.threshold !== undefined ? { threshold: status.threshold } : {}),
  };
}

function describeStep(action: { kind: string; reason?: string }): string {
  return action.reason ? `${action.kind}: ${action.reason}` : action.kind;
}

interface Stored {
  swapItem?: StoredItem;
  swap?: SwapRecord;
  corrupt?: string;
  historyItem?: StoredItem;
  history: SwapHistory;
}

async function readState(deps: ControlPlaneLoopDeps): Promise<Stored> {
  const items = await deps.state.query(deps.cluster, CONTROL_PLANE_STATE_PREFIX);
  const stored: Stored = { history: { entries: [], unavailable: {} } };
  const swapItem = items.find((item) => item.sk === SWAP_KEY);
  if (swapItem) {
    stored.swapItem = swapItem;
    try {
      stored.swap = parseSwapRecord(swapItem.data);
    } catch (error) {
      stored.corrupt = errorText(error);
    }
  }
  const historyItem = items.find((item) => item.sk === SWAP_HISTORY_KEY);
  if (historyItem) {
    stored.historyItem = historyItem;
    try {
      stored.history = parseSwapHistory(historyItem.data);
    } catch (error) {
      deps.log.warn('ignoring a corrupt control-plane history', {
        cluster: deps.cluster,
        error: errorText(error),
      });
    }
  }
  return stored;
}

/** Writes the swap record conditionally; the version to expect next. */
async function persistSwap(
  deps: ControlPlaneLoopDeps,
  swap: SwapRecord,
  expectedVersion: number,
  counts: ControlPlaneTickSummary['counts'],
): Promise<number> {
  const written = await deps.state.put(deps.cluster, SWAP_KEY, encodeSwapRecord(swap), { expectedVersion });
  counts.stateWrites++;
  return written.version;
}

async function audit(
  deps: ControlPlaneLoopDeps,
  now: number,
  swap: SwapRecord,
  what: string,
  counts: ControlPlaneTickSummary['counts'],
): Promise<void> {
  await deps.state
    .put(
      deps.cluster,
      // The step in the key: a tick that starts a swap records the start and its first step.
      `decision#control-plane#${new Date(now).toISOString()}#${swap.id}#${what.split(/[:\s]/)[0]}`,
      { swap: swap.id, from: swap.from, to: swap.to, state: swap.state, what, reason: swap.reason },
      { expectedVersion: 0, expiresAt: Math.floor(now / 1000) + AUDIT_TTL_SECONDS },
    )
    .then(() => {
      counts.stateWrites++;
    })
    .catch((error: unknown) => {
      if (!(error instanceof VersionConflictError)) {
        deps.log.warn('could not write the audit record', { cluster: deps.cluster, error: errorText(error) });
      }
    });
}

async function finishSwap(
  deps: ControlPlaneLoopDeps,
  stored: Stored,
  swap: SwapRecord,
  now: number,
  counts: ControlPlaneTickSummary['counts'],
): Promise<void> {
  const history = recordOutcome(stored.history, swap, now, {
    keepMs: HISTORY_KEEP_MS,
    unavailableMs: deps.settings.swap.unavailableTypeMinutes * 60_000,
  });
  try {
    await deps.state.put(deps.cluster, SWAP_HISTORY_KEY, history, {
      expectedVersion: stored.historyItem?.version ?? 0,
    });
    counts.stateWrites++;
  } catch (error) {
    // The swap record says it finished; a lost history entry only shortens a cooldown.
    deps.log.warn('could not record the swap in the history', {
      cluster: deps.cluster,
      error: errorText(error),
    });
  }
  const level = swap.state === 'done' ? 'info' : 'warn';
  deps.log[level]('control-plane swap finished', {
    cluster: deps.cluster,
    swap: swap.id,
    from: swap.from,
    to: swap.to,
    outcome: swap.state,
    failure: swap.failure,
  });
}

/** Events on the control-plane nodes a step touched, so `kubectl describe node` tells the swap's story. */
async function reportOnNodes(
  deps: ControlPlaneLoopDeps,
  action: Ec2SwapAction,
  swap: SwapRecord,
  nodes: ReadonlyMap<string, { name: string }>,
  now: number,
  counts: ControlPlaneTickSummary['counts'],
): Promise<void> {
  if (action.kind !== 'deregister' || swap.kind !== 'ec2') return;
  const node = nodes.get(action.instanceId)?.name;
  if (!node) return;
  const replacement = swap.replacing?.newInstanceId ?? 'a new instance';
  await nodeEvent(
    { kubernetes: deps.kubernetes, log: deps.log, nodes: [], now, counts },
    node,
    'Normal',
    'ControlPlaneSwap',
    `replaced by ${replacement} (${swap.to}), now healthy behind the load balancer; leaving it, then drained and terminated (tideplane swap ${swap.id}: ${swap.from} → ${swap.to})`,
    CONTROL_PLANE_COMPONENT,
  );
}

/** Moves a running swap one step: observe, decide the step, persist, act. */
async function advance(
  deps: ControlPlaneLoopDeps,
  stored: Stored,
  summary: ControlPlaneTickSummary,
  now: number,
): Promise<void> {
  let swap = stored.swap as SwapRecord;
  let version = stored.swapItem?.version ?? 0;
  const counts = summary.counts;
  let step: string;
  if (swap.kind === 'ec2') {
    const observation = await observeEc2Swap(deps, swap, {});
    const next = nextEc2SwapStep(swap, observation, now, {
      healthyTimeoutMs: deps.settings.swap.healthyTimeoutMinutes * 60_000,
      drain: { ...DEFAULT_DRAIN_SETTINGS, timeoutMs: deps.settings.swap.drainTimeoutSeconds * 1000 },
    });
    step = describeStep(next.action);
    if (!deps.dryRun) {
      if (JSON.stringify(next.swap) !== JSON.stringify(swap))
        version = await persistSwap(deps, next.swap, version, counts);
      swap = next.swap;
      if (next.action.kind !== 'wait' && next.action.kind !== 'done') {
        counts.actions++;
        await audit(deps, now, swap, step, counts);
        try {
          const after = await actEc2Swap(deps, next, now);
          if (after) {
            version = await persistSwap(deps, after, version, counts);
            swap = after;
          }
          await reportOnNodes(deps, next.action, swap, observation.nodes, now, counts);
        } catch (error) {
          if (!isForbidden(error)) throw error;
          // No retry makes a refused call pass: roll back what was done (or stop, if rolling back is refused).
          const why = `AWS refused ${next.action.kind}: ${errorText(error)} (see the function's IAM policy)`;
          swap =
            swap.state === 'rolling-back'
              ? {
                  ...swap,
                  state: 'failed',
                  stateSince: now,
                  failure: `${swap.failure ?? ''}; rolling back: ${why}`,
                }
              : rollBack(swap, why, now, false);
          version = await persistSwap(deps, swap, version, counts);
          step = `${step} refused`;
        }
      }
    } else {
      swap = next.swap;
    }
    if (isFinished(swap) && swap.state !== 'done' && !deps.dryRun) {
      const where = swap.replacing?.newInstanceId ?? swap.replacing?.old;
      const node = where ? observation.nodes.get(where)?.name : undefined;
      if (node) {
        await nodeEvent(
          { kubernetes: deps.kubernetes, log: deps.log, nodes: [], now, counts },
          node,
          'Warning',
          swap.state === 'failed' ? 'ControlPlaneSwapFailed' : 'ControlPlaneSwapRolledBack',
          `control-plane swap ${swap.from} → ${swap.to} ${swap.state} (tideplane): ${swap.failure ?? ''}`,
          CONTROL_PLANE_COMPONENT,
        );
      }
    }
  } else {
    const eks = deps.eks;
    if (!eks) throw new Error('an eks control plane needs the EKS port');
    const [cluster, update] = await Promise.all([
      eks.describeCluster(swap.eksCluster),
      swap.updateId ? eks.describeUpdate(swap.eksCluster, swap.updateId) : Promise.resolve(undefined),
    ]);
    const next = nextEksSwapStep(swap, { cluster, ...(update ? { update } : {}) }, now, {
      timeoutMs: deps.settings.swap.eksUpdateTimeoutMinutes * 60_000,
    });
    step = describeStep(next.action);
    swap = next.swap;
    if (!deps.dryRun) {
      version = await persistSwap(deps, swap, version, counts);
      if (next.action.kind === 'update-tier') {
        counts.actions++;
        await audit(deps, now, swap, step, counts);
        const started = await eks.updateScalingTier(
          next.action.eksCluster,
          next.action.tier,
          next.action.clientRequestToken,
        );
        swap = recordEksUpdate(swap, started, now);
        version = await persistSwap(deps, swap, version, counts);
      }
    }
  }
  summary.swap = {
    id: swap.id,
    from: swap.from,
    to: swap.to,
    state: swap.state,
    step,
    ...(swap.failure !== undefined ? { failure: swap.failure } : {}),
  };
  if (isFinished(swap) && !deps.dryRun) {
    await finishSwap(deps, stored, swap, now, counts);
    await audit(deps, now, swap, `finished: ${swap.state}`, counts);
    summary.finished = {
      id: swap.id,
      outcome: swap.state,
      ...(swap.failure !== undefined ? { failure: swap.failure } : {}),
    };
  }
}

interface Position {
  current: string;
  up: string[];
  down: string[];
  vcpus?: number;
  tierIndex?: number;
}

/** Where an EC2 control plane stands on its ladder. */
async function ec2Position(
  deps: ControlPlaneLoopDeps,
  ladderCache: { ladder?: Ladder },
): Promise<{ position?: Position; problem?: string; groups: Awaited<ReturnType<typeof readGroups>> }> {
  const ports = awsPorts(deps);
  const groups = await readGroups(deps);
  const first = groups.find((group) => group.launchTemplate);
  if (!first?.launchTemplate)
    return { groups, problem: 'no control-plane group with a launch template found' };
  const version = await ports.launchTemplates.describeVersion(
    first.launchTemplate.launchTemplateId,
    first.launchTemplate.version,
  );
  const current = version.instanceType ?? first.instances[0]?.instanceType;
  if (!current)
    return { groups, problem: `launch template ${version.launchTemplateId} sets no instance type` };
  const { floor, ceiling } = deps.settings.ladder;
  const named = [current, floor, ceiling].filter((type): type is string => type !== undefined);
  const described = await ports.ec2.describeInstanceTypes(named);
  const info = described.get(current);
  if (!info) return { groups, problem: `instance type ${current} is unknown to EC2` };
  for (const [role, type] of [
    ['floor', floor],
    ['ceiling', ceiling],
  ] as const) {
    if (type !== undefined && !described.has(type)) {
      return {
        groups,
        problem: `controlPlane.ladder.${role} ${type} is not an instance type of this region`,
      };
    }
  }
  const architecture: Architecture =
    info.architectures.includes('arm64') && !info.architectures.includes('x86_64') ? 'arm64' : 'x86_64';
  if (!ladderCache.ladder) {
    const zones = [...new Set(groups.flatMap((group) => group.availabilityZones))].sort();
    const [types, offerings] = await Promise.all([
      ports.ec2.listInstanceTypes({ architecture, currentGenerationOnly: true }),
      ports.ec2.describeInstanceTypeOfferings(zones),
    ]);
    // The current type, the floor and the ceiling may be of a previous generation (filtered out by EC2):
    // they must still be placed on the ladder by their size.
    const listed = new Set(types.map((type) => type.instanceType));
    const placed = [...types, ...[...described.values()].filter((type) => !listed.has(type.instanceType))];
    ladderCache.ladder = buildLadder({
      types: placed,
      offerings,
      zones,
      architecture,
      options: deps.settings.ladder,
      current,
    });
  }
  const bounds = { floor: deps.settings.ladder.floor, ceiling: deps.settings.ladder.ceiling };
  return {
    groups,
    position: {
      current,
      up: candidatesFrom(ladderCache.ladder, current, 'up', bounds),
      down: candidatesFrom(ladderCache.ladder, current, 'down', bounds),
      vcpus: info.vcpus,
    },
  };
}

/**
 * Runs one tick.
 *
 * @example
 * const tick = await runControlPlaneTick(deps, {});
 * // tick.decision: { action: 'swap', direction: 'up', from: 'm6i.xlarge', to: 'm6i.2xlarge', ... }
 * // tick.swap: { id: 'cp-1x2y3z-lq8k2m0', state: 'preparing', step: 'suspend', ... }
 */
export async function runControlPlaneTick(
  deps: ControlPlaneLoopDeps,
  cache: { ladder?: Ladder } = {},
): Promise<ControlPlaneTickSummary> {
  const now = deps.clock.now();
  const kind = deps.settings.ec2 ? 'ec2' : 'eks';
  const summary: ControlPlaneTickSummary = {
    cluster: deps.cluster,
    time: now,
    dryRun: deps.dryRun,
    kind,
    alarms: [],
    counts: { stateWrites: 0, actions: 0, events: 0 },
  };
  const stored = await readState(deps);

  if (stored.swap?.state === 'failed' && deps.clearFailed && !deps.dryRun && stored.swapItem) {
    await deps.state.delete(deps.cluster, SWAP_KEY, stored.swapItem.version);
    summary.counts.stateWrites++;
    deps.log.info('failed control-plane swap cleared by request', {
      cluster: deps.cluster,
      swap: stored.swap.id,
    });
    delete stored.swap;
    delete stored.swapItem;
  }

  if (stored.swap && !isFinished(stored.swap)) {
    await advance(deps, stored, summary, now);
    return summary;
  }

  const names = deps.alarmNames ?? controlPlaneAlarmNames(deps.cluster, deps.settings);
  const [statuses, latency] = await Promise.all([
    deps.alarms.describeAlarms([...names.high, ...names.low]),
    deps.latency ? deps.latency().catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const byName = new Map(statuses.map((status) => [status.name, alarmView(status)]));
  const missing = (name: string): AlarmView => ({ name, state: 'INSUFFICIENT_DATA' });
  const high = names.high.map((name) => byName.get(name) ?? missing(name));
  const low = names.low.map((name) => byName.get(name) ?? missing(name));
  summary.alarms = [...high, ...low].map((alarm) => ({
    name: alarm.name,
    state: alarm.state,
    ...(alarm.value !== undefined ? { value: alarm.value } : {}),
  }));

  let position: Position | undefined;
  let groups: Awaited<ReturnType<typeof readGroups>> = [];
  let problem: string | undefined;
  if (kind === 'ec2') {
    const read = await ec2Position(deps, cache);
    groups = read.groups;
    position = read.position;
    problem = read.problem;
  } else {
    const eks = deps.eks;
    if (!eks) throw new Error('an eks control plane needs the EKS port');
    const eksCluster = deps.settings.eks?.clusterName ?? deps.cluster;
    const info = await eks.describeCluster(eksCluster);
    const bounds = { floor: deps.settings.ladder.floor, ceiling: deps.settings.ladder.ceiling };
    position = {
      current: info.tier,
      up: tierCandidatesFrom(info.tier, 'up', bounds),
      down: tierCandidatesFrom(info.tier, 'down', bounds),
    };
  }
  if (!position) {
    summary.decision = { action: 'hold', reason: problem ?? 'the current size is unknown' };
    return summary;
  }
  summary.current = position.current;
  if (position.vcpus !== undefined) summary.currentVcpus = position.vcpus;

  const blockedBy = stored.corrupt
    ? `the stored swap is corrupt (${stored.corrupt}); look at ${SWAP_KEY} and delete it to go on`
    : stored.swap?.state === 'failed'
      ? `swap ${stored.swap.id} (${stored.swap.from} → ${stored.swap.to}) failed: ${stored.swap.failure ?? 'unknown'}; clear it with {"clearFailedSwap": true} once a person looked`
      : undefined;
  const settings = deps.settings;
  const refusedByQuota =
    cache.ladder && stored.history.quotaRefused
      ? quotaRefusedTypes(cache.ladder, stored.history.quotaRefused, now)
      : {};
  let decision = decideSwap({
    now,
    current: position.current,
    upCandidates: position.up,
    downCandidates: position.down,
    signals: {
      high,
      low,
      ...(latency !== undefined && settings.latency?.prometheus
        ? { latency: { seconds: latency, thresholdSeconds: settings.latency.highSeconds } }
        : {}),
    },
    history: stored.history.entries,
    unavailable: withQuotaRefusals(stored.history.unavailable, refusedByQuota),
    ...(blockedBy ? { blockedBy } : {}),
    farAboveFactor: settings.farAboveFactor,
    jumpSteps: settings.jumpSteps,
    cooldownUpMs: settings.cooldowns.upMinutes * 60_000,
    cooldownDownMs: settings.cooldowns.downMinutes * 60_000,
    flappingWindowMs: settings.flapping.windowHours * 3_600_000,
    maxReversals: settings.flapping.maxReversals,
  });

  const refusedNow = Object.keys(stored.history.quotaRefused ?? {}).filter((type) => refusedByQuota[type]);
  if (refusedNow.length > 0 && (decision.action === 'swap' ? decision.direction : decision.wanted) === 'up') {
    decision = {
      ...decision,
      reason: `${decision.reason} (the vCPU quota refused ${refusedNow.join(', ')}: larger types it counts wait too)`,
    };
  }

  let targetGroupArns: string[] = [];
  if (decision.action === 'swap' && kind === 'ec2') {
    targetGroupArns = targetGroupsOf(deps, groups);
    const blocker = await ec2SwapBlocker(deps, groups, targetGroupArns);
    if (blocker)
      decision = { action: 'hold', wanted: decision.direction, reason: `${decision.reason}; ${blocker}` };
  }
  summary.decision = decision;
  if (decision.action !== 'swap') return summary;

  const id = swapId(deps.cluster, now);
  const swap: SwapRecord =
    kind === 'ec2'
      ? await newEc2Swap(deps, {
          id,
          from: decision.from,
          to: decision.to,
          direction: decision.direction,
          reason: decision.reason,
          groups,
          targetGroupArns,
          now,
        })
      : {
          kind: 'eks',
          id,
          from: decision.from,
          to: decision.to,
          direction: decision.direction,
          reason: decision.reason,
          startedAt: now,
          state: 'updating',
          stateSince: now,
          eksCluster: deps.settings.eks?.clusterName ?? deps.cluster,
        };
  if (deps.dryRun) {
    summary.swap = { id, from: swap.from, to: swap.to, state: swap.state, step: 'would start' };
    summary.plan = planOf(swap);
    return summary;
  }
  let version: number;
  try {
    version = await persistSwap(deps, swap, stored.swapItem?.version ?? 0, summary.counts);
  } catch (error) {
    if (error instanceof VersionConflictError) {
      summary.decision = {
        action: 'hold',
        wanted: decision.direction,
        reason: 'another invocation started a swap first',
      };
      return summary;
    }
    throw error;
  }
  deps.log.info('control-plane swap started', {
    cluster: deps.cluster,
    swap: id,
    from: swap.from,
    to: swap.to,
    reason: decision.reason,
  });
  await audit(deps, now, swap, 'started', summary.counts);
  await advance(
    deps,
    { ...stored, swap, swapItem: { sk: SWAP_KEY, version, data: swap } as StoredItem },
    summary,
    now,
  );
  return summary;
}

/** The steps a new swap will take, for a dry run. */
export function planOf(swap: SwapRecord): string[] {
  if (swap.kind === 'eks') {
    return [
      `UpdateClusterConfig ${swap.eksCluster}: controlPlaneScalingConfig.tier ${swap.from} → ${swap.to}`,
      'follow DescribeUpdate until Successful (Failed or Cancelled: the tier is skipped for a while)',
    ];
  }
  const groups = swap.groups.map((group) => group.name).join(', ');
  return [
    `suspend AZRebalance, AlarmNotification, ScheduledActions on ${groups}`,
    ...swap.groups.map(
      (group) =>
        `new version of ${group.launchTemplateId} from version ${group.originalVersionNumber} with ${swap.to}; point ${group.name} at it`,
    ),
    ...swap.toReplace.map(
      ({ instanceId, group }) =>
        `${group}: surge one ${swap.to} (desired + 1), wait until it is InService, /readyz, healthy in the target groups and its Node Ready; deregister ${instanceId} (never below ${swap.healthyAtStart} healthy API servers), wait out the deregistration delay, drain its node, terminate it with decrement, delete its Node`,
    ),
    `restore the groups' maximum and resume their processes`,
  ];
}

/** A tick as a person reads it in the Lambda console or the CLI. */
export function renderControlPlaneSummary(tick: ControlPlaneTickSummary): string {
  const mode = tick.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [
    `${tick.cluster} @ ${new Date(tick.time).toISOString()}${mode}: control plane (${tick.kind}) on ${tick.current ?? 'unknown'}`,
  ];
  for (const alarm of tick.alarms) {
    lines.push(
      `  alarm ${alarm.name}: ${alarm.state}${alarm.value !== undefined ? ` (${alarm.value})` : ''}`,
    );
  }
  const decision = tick.decision;
  if (decision?.action === 'swap') {
    lines.push(
      `  decision: swap ${decision.direction} ${decision.from} → ${decision.to} (${decision.reason})`,
    );
  } else if (decision) {
    lines.push(`  decision: hold — ${decision.reason}`);
  }
  if (tick.swap) {
    const failure = tick.swap.failure ? ` — ${tick.swap.failure}` : '';
    lines.push(
      `  swap ${tick.swap.id} ${tick.swap.from} → ${tick.swap.to} [${tick.swap.state}] ${tick.swap.step}${failure}`,
    );
  }
  if (tick.finished) lines.push(`  swap ${tick.finished.id} finished: ${tick.finished.outcome}`);
  for (const [index, step] of (tick.plan ?? []).entries()) lines.push(`  would ${index + 1}. ${step}`);
  return lines.join('\n');
}
