/**
 * One tick of the VPA loop for one cluster: list the VerticalPodAutoscalers, pods and pod metrics once;
 * per VPA that is tideplane's, feed the new samples and OOM kills to the recommender core, write the
 * recommendation and conditions to the VPA's status when they changed, apply it to the workload's pod
 * template when the update mode and the updater's rules say so, and keep each container's aggregate as
 * a checkpoint (`vpa#<ns>/<name>#<container>`), written only when it changed.
 *
 * Bad input changes nothing but the VPA's status: a malformed spec, a missing target or container, or
 * no metrics become a condition and a Warning Event.
 */
import type { VpaConfig } from '../config/vpa';
import type { Clock } from '../ports/clock';
import type { KubeEvent, KubernetesPort, Pod } from '../ports/kubernetes';
import { ConflictError } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import type {
  RecommendedContainerResources,
  VpaCondition,
  VpaObject,
  VpaPort,
  VpaStatus,
} from '../ports/vertical-pod-autoscalers';
import { parseSelector, selectorMatches } from '../units/label-selector';
import { parseMilli, parseMilliNumber } from '../units/quantity';
import {
  checkpointChanged,
  checkpointText,
  decodeCheckpoint,
  encodeCheckpoint,
  type StoredVpaCheckpoint,
  VpaCheckpointError,
} from '../vpa/checkpoint';
import type { ContainerAggregateState } from '../vpa/container-state';
import { type RecommenderOptions, recommenderOptionsSchema } from '../vpa/options';
import {
  type ContainerRecommendation,
  type ContainerUsageSample,
  type OomEvent,
  recommendVpa,
} from '../vpa/recommender';
import { DEFAULT_UPDATER_SETTINGS, decideUpdate, type UpdaterSettings } from '../vpa/updater';
import { ownsVpa, parseVpaSpec } from '../vpa/vpa-spec';
import { PodIndex } from './pod-index';

export const VPA_COMPONENT = 'vpa';
export const VPA_STATE_PREFIX = 'vpa#';
const VPA_API_VERSION = 'autoscaling.k8s.io/v1';
const MIB = 1024 * 1024;
/** A checkpoint outlives its last write by upstream's 8-day expiry of an aggregate without samples. */
const CHECKPOINT_TTL_SECONDS = 8 * 24 * 3600;

export interface VpaLoopDeps {
  cluster: string;
  kubernetes: KubernetesPort;
  vpas: VpaPort;
  state: StateStore;
  clock: Clock;
  log: Logger;
  settings: VpaConfig;
  dryRun: boolean;
}

export interface VpaOutcome {
  vpa: string;
  /** `recommended`, `not-ours`, `invalid`, `no-target`, `no-pods`. */
  status: string;
  recommendations: { container: string; cpu?: string; memory?: string }[];
  update?: { action: string; reason: string; result?: 'patched' | 'would-patch' | 'conflict' | 'failed' };
  problems: string[];
}

export interface VpaTickSummary {
  cluster: string;
  time: number;
  dryRun: boolean;
  vpas: VpaOutcome[];
  counts: { statusWrites: number; templatePatches: number; checkpointWrites: number; events: number };
}

export function recommenderOptionsOf(settings: VpaConfig): RecommenderOptions {
  const hour = 3_600_000;
  return recommenderOptionsSchema.parse({
    oomPolicy: settings.oomPolicy,
    safetyMarginFraction: settings.safetyMarginFraction,
    podMinCpuMillicores: settings.podMinCpuMillicores,
    podMinMemoryMb: settings.podMinMemoryMiB,
    fastOom: {
      bumpRatios: settings.fastOom.bumpRatios,
      minBumpBytes: settings.fastOom.minBumpMiB * MIB,
      escalationWindowMs: settings.fastOom.escalationWindowHours * hour,
      holdMs: settings.fastOom.holdHours * hour,
      quickOomThresholdMs: settings.fastOom.quickOomMinutes * 60_000,
    },
  }) as RecommenderOptions;
}

export function updaterSettingsOf(settings: VpaConfig): UpdaterSettings {
  return {
    ...DEFAULT_UPDATER_SETTINGS,
    minChangeFraction: settings.update.minChangeFraction,
    minPodAgeMs: settings.update.minPodAgeHours * 3_600_000,
    memoryLimitEqualsRequest: settings.update.memoryLimitEqualsRequest,
  };
}

export function checkpointKey(namespace: string, name: string, container: string): string {
  return `${VPA_STATE_PREFIX}${namespace}/${name}#${container}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cpuText(millicores: number): string {
  return `${Math.ceil(millicores)}m`;
}

function memoryText(bytes: number): string {
  return `${Math.ceil(bytes)}`;
}

function resources(amounts: { cpu?: number; memory?: number }): Record<string, string> {
  return {
    ...(amounts.cpu !== undefined ? { cpu: cpuText(amounts.cpu) } : {}),
    ...(amounts.memory !== undefined ? { memory: memoryText(amounts.memory) } : {}),
  };
}

function toStatusRecommendation(recommendation: ContainerRecommendation): RecommendedContainerResources {
  return {
    containerName: recommendation.containerName,
    target: resources(recommendation.target),
    lowerBound: resources(recommendation.lowerBound),
    upperBound: resources(recommendation.upperBound),
    uncappedTarget: resources(recommendation.uncappedTarget),
  };
}

/** Conditions keep their transition time while their status does not change (as upstream's do). */
function withTimes(
  next: VpaCondition[],
  previous: readonly VpaCondition[] | undefined,
  now: number,
): VpaCondition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime =
      before && before.status === condition.status && before.lastTransitionTime !== undefined
        ? before.lastTransitionTime
        : now;
    return { ...condition, lastTransitionTime };
  });
}

/**
 * Bounds move a little every minute as confidence grows; a status write for each would cost an API
 * call per VPA per tick for nothing a reader would act on. Conditions that change, a container that
 * appears or goes, a target that moves by 1 % or a bound by 5 % are written.
 */
const TARGET_CHANGE_FRACTION = 0.01;
/** Bounds widen and narrow with confidence every minute of a young history; they matter less. */
const BOUND_CHANGE_FRACTION = 0.05;

function statusChanged(before: VpaStatus | undefined, after: VpaStatus): boolean {
  const conditions = (status: VpaStatus | undefined) =>
    JSON.stringify(
      (status?.conditions ?? [])
        .map(({ type, status: s, reason, message }) => [type, s, reason ?? '', message ?? ''])
        .sort(),
    );
  if (conditions(before) !== conditions(after)) return true;
  const was = before?.recommendation?.containerRecommendations ?? [];
  const now = after.recommendation?.containerRecommendations ?? [];
  if (was.length !== now.length) return true;
  for (const container of now) {
    const old = was.find((c) => c.containerName === container.containerName);
    if (!old) return true;
    for (const field of ['target', 'lowerBound', 'upperBound', 'uncappedTarget'] as const) {
      for (const resource of new Set([...Object.keys(old[field]), ...Object.keys(container[field])])) {
        const a = old[field][resource];
        const b = container[field][resource];
        if (a === undefined || b === undefined) return true;
        const x = parseMilli(a);
        const y = parseMilli(b);
        const fraction =
          field === 'target' || field === 'uncappedTarget' ? TARGET_CHANGE_FRACTION : BOUND_CHANGE_FRACTION;
        if (Math.abs(x - y) > fraction * Math.max(Math.abs(x), 1)) return true;
      }
    }
  }
  return false;
}

function usageSamples(pods: readonly Pod[], index: PodIndex, container: string): ContainerUsageSample[] {
  const samples: ContainerUsageSample[] = [];
  for (const metrics of index.metricsOf(pods)) {
    const usage = metrics.containers.find((c) => c.name === container)?.usage;
    if (!usage) continue;
    samples.push({
      pod: metrics.name,
      at: metrics.timestamp,
      ...(usage.cpu !== undefined ? { cpuMillicores: parseMilliNumber(usage.cpu) } : {}),
      ...(usage.memory !== undefined ? { memoryBytes: parseMilliNumber(usage.memory) / 1000 } : {}),
    });
  }
  return samples;
}

function oomEvents(pods: readonly Pod[], container: string): OomEvent[] {
  const events: OomEvent[] = [];
  for (const pod of pods) {
    const status = pod.containerStatuses?.find((s) => s.name === container);
    if (status?.lastTerminationReason !== 'OOMKilled' || status.lastTerminationAt === undefined) continue;
    const request = pod.containers.find((c) => c.name === container)?.requests.memory;
    if (request === undefined) continue;
    events.push({
      pod: pod.name,
      at: status.lastTerminationAt,
      reason: 'OOMKilled',
      memoryBytes: Math.ceil(parseMilli(request) / 1000),
      ...(status.lastTerminationStartedAt !== undefined
        ? { containerStartedAt: status.lastTerminationStartedAt }
        : {}),
    });
  }
  return events;
}

/** Whether the VPA's status already says this problem (so its Event was written when it was new). */
function reportedAlready(vpa: VpaObject, reason: string, message: string): boolean {
  return (vpa.status?.conditions ?? []).some(
    (c) =>
      c.type === 'ConfigUnsupported' && c.status === 'True' && c.reason === reason && c.message === message,
  );
}

async function vpaEvent(
  deps: VpaLoopDeps,
  vpa: VpaObject,
  type: KubeEvent['type'],
  reason: string,
  message: string,
  counts: VpaTickSummary['counts'],
): Promise<void> {
  if (deps.dryRun) return;
  try {
    await deps.kubernetes.createEvent({
      involvedObject: {
        apiVersion: VPA_API_VERSION,
        kind: 'VerticalPodAutoscaler',
        namespace: vpa.namespace,
        name: vpa.name,
        uid: vpa.uid,
      },
      type,
      reason,
      message,
      time: deps.clock.now(),
      reportingComponent: VPA_COMPONENT,
    });
    counts.events++;
  } catch (error) {
    deps.log.warn('could not record a VPA event', {
      vpa: `${vpa.namespace}/${vpa.name}`,
      error: errorText(error),
    });
  }
}

async function writeStatus(
  deps: VpaLoopDeps,
  vpa: VpaObject,
  next: VpaStatus,
  now: number,
  counts: VpaTickSummary['counts'],
): Promise<void> {
  const status: VpaStatus = {
    ...(next.recommendation ? { recommendation: next.recommendation } : {}),
    conditions: withTimes(next.conditions, vpa.status?.conditions, now),
  };
  if (deps.dryRun || !statusChanged(vpa.status, status)) return;
  await deps.vpas.updateVpaStatus(vpa.namespace, vpa.name, status);
  counts.statusWrites++;
}

/**
 * Runs one tick. `persistCheckpoints` false keeps the aggregates in `carry` only (an invocation writes
 * them on its last tick: every tick with samples changes them, and one write a minute per container is
 * what a checkpoint is worth).
 *
 * @example
 * const tick = await runVpaTick(deps, { carry: new Map(), persistCheckpoints: true });
 * // tick.vpas: [{ vpa: 'monitoring/prometheus', status: 'recommended', recommendations: [...] }]
 */
export async function runVpaTick(
  deps: VpaLoopDeps,
  options: { carry: Map<string, ContainerAggregateState>; persistCheckpoints: boolean },
): Promise<VpaTickSummary> {
  const { cluster, settings, log } = deps;
  const now = deps.clock.now();
  const counts = { statusWrites: 0, templatePatches: 0, checkpointWrites: 0, events: 0 };
  const summary: VpaTickSummary = { cluster, time: now, dryRun: deps.dryRun, vpas: [], counts };
  const recommenderOptions = recommenderOptionsOf(settings);
  const [vpas, pods, metrics, stored] = await Promise.all([
    deps.vpas.listVerticalPodAutoscalers(),
    deps.kubernetes.listPods(),
    deps.kubernetes.listPodMetrics(),
    deps.state.query(cluster, VPA_STATE_PREFIX),
  ]);
  const index = new PodIndex(pods, metrics);
  const storedByKey = new Map(stored.map((item) => [item.sk, item]));
  const live = new Set<string>();

  for (const vpa of vpas) {
    const id = `${vpa.namespace}/${vpa.name}`;
    const outcome: VpaOutcome = { vpa: id, status: 'recommended', recommendations: [], problems: [] };
    summary.vpas.push(outcome);
    const parsed = parseVpaSpec(vpa.spec);
    if (!parsed.ok) {
      outcome.status = 'invalid';
      outcome.problems = parsed.problems;
      // A VPA we cannot read may still be another recommender's: only our own get a condition.
      const names = (vpa.spec as { recommenders?: { name?: unknown }[] } | undefined)?.recommenders;
      const ours = Array.isArray(names)
        ? names.some((r) => r?.name === settings.recommenderName)
        : settings.claimDefault;
      if (ours) {
        await writeStatus(
          deps,
          vpa,
          {
            conditions: [
              {
                type: 'ConfigUnsupported',
                status: 'True',
                reason: 'InvalidSpec',
                message: parsed.problems.join('; '),
              },
            ],
          },
          now,
          counts,
        );
        if (!reportedAlready(vpa, 'InvalidSpec', parsed.problems.join('; '))) {
          await vpaEvent(deps, vpa, 'Warning', 'InvalidSpec', parsed.problems.join('; '), counts);
        }
      }
      continue;
    }
    const spec = parsed.spec;
    if (!ownsVpa(spec, settings.recommenderName, settings.claimDefault)) {
      outcome.status = 'not-ours';
      continue;
    }
    try {
      await evaluate(deps, vpa, spec, outcome, {
        index,
        storedByKey,
        live,
        carry: options.carry,
        recommenderOptions,
        persist: options.persistCheckpoints,
        now,
        counts,
      });
    } catch (error) {
      outcome.problems.push(errorText(error));
      log.warn('VPA evaluation failed; retrying next tick', { cluster, vpa: id, error: errorText(error) });
    }
  }

  // Checkpoints of VPAs (or containers) that are gone.
  if (!deps.dryRun && options.persistCheckpoints) {
    for (const item of stored) {
      if (live.has(item.sk)) continue;
      await deps.state.delete(cluster, item.sk, item.version).catch((error: unknown) => {
        if (!(error instanceof VersionConflictError)) throw error;
      });
      options.carry.delete(item.sk);
    }
  }
  log.info('vpa tick', {
    cluster,
    vpas: summary.vpas.length,
    statusWrites: counts.statusWrites,
    templatePatches: counts.templatePatches,
    checkpointWrites: counts.checkpointWrites,
  });
  return summary;
}

interface EvaluateContext {
  index: PodIndex;
  storedByKey: Map<string, StoredItem>;
  live: Set<string>;
  carry: Map<string, ContainerAggregateState>;
  recommenderOptions: RecommenderOptions;
  persist: boolean;
  now: number;
  counts: VpaTickSummary['counts'];
}

async function evaluate(
  deps: VpaLoopDeps,
  vpa: VpaObject,
  spec: Extract<ReturnType<typeof parseVpaSpec>, { ok: true }>['spec'],
  outcome: VpaOutcome,
  context: EvaluateContext,
): Promise<void> {
  const { now, counts } = context;
  const target = { namespace: vpa.namespace, ...spec.targetRef };
  const template = await deps.vpas.getWorkloadTemplate(target);
  if (!template) {
    outcome.status = 'no-target';
    const message = `target ${spec.targetRef.kind}/${spec.targetRef.name} does not exist`;
    outcome.problems.push(message);
    const known = reportedAlready(vpa, 'TargetNotFound', message);
    await writeStatus(
      deps,
      vpa,
      {
        ...(vpa.status?.recommendation ? { recommendation: vpa.status.recommendation } : {}),
        conditions: [{ type: 'ConfigUnsupported', status: 'True', reason: 'TargetNotFound', message }],
      },
      now,
      counts,
    );
    if (!known) await vpaEvent(deps, vpa, 'Warning', 'TargetNotFound', message, counts);
    return;
  }
  const selector = parseSelector(template.selector);
  const pods = context.index
    .candidates(vpa.namespace, template.selector)
    .filter((pod) => selectorMatches(selector, pod.labels) && pod.deletionTimestamp === undefined);
  const containerNames = template.containers.map((c) => c.name);
  const unknown = (spec.resourcePolicy.containerPolicies ?? [])
    .map((policy) => policy.containerName)
    .filter((name) => name !== '*' && !containerNames.includes(name));
  if (unknown.length > 0) {
    outcome.problems.push(
      `container policy for ${unknown.join(', ')}: no such container in ${spec.targetRef.kind}/${spec.targetRef.name}`,
    );
  }

  const inputs = containerNames.map((name) => {
    const key = checkpointKey(vpa.namespace, vpa.name, name);
    context.live.add(key);
    let state = context.carry.get(key);
    if (!state) {
      const item = context.storedByKey.get(key);
      if (item) {
        try {
          state = decodeCheckpoint(item.data, context.recommenderOptions);
        } catch (error) {
          if (!(error instanceof VpaCheckpointError)) throw error;
          deps.log.warn('discarding a corrupt VPA checkpoint; the container starts afresh', {
            key,
            error: error.message,
          });
        }
      }
    }
    return {
      name,
      ...(state ? { state } : {}),
      samples: usageSamples(pods, context.index, name),
      ooms: oomEvents(pods, name),
      livePods: pods.map((pod) => pod.name),
    };
  });
  const result = recommendVpa({
    now,
    policy: spec.resourcePolicy,
    containers: inputs,
    options: context.recommenderOptions,
  });

  const recommendations = result.containers.flatMap((c) => (c.recommendation ? [c.recommendation] : []));
  outcome.recommendations = recommendations.map((r) => ({
    container: r.containerName,
    ...(r.target.cpu !== undefined ? { cpu: cpuText(r.target.cpu) } : {}),
    ...(r.target.memory !== undefined ? { memory: `${Math.ceil(r.target.memory / MIB)}Mi` } : {}),
  }));
  outcome.problems.push(...result.problems.map((p) => p.message));
  const noMetrics = pods.length > 0 && context.index.metricsOf(pods).length === 0;
  if (pods.length === 0) outcome.status = 'no-pods';

  const conditions: VpaCondition[] = [
    recommendations.length > 0
      ? { type: 'RecommendationProvided', status: 'True', reason: 'RecommendationProvided' }
      : {
          type: 'RecommendationProvided',
          status: 'False',
          reason: pods.length === 0 ? 'NoPodsMatched' : noMetrics ? 'NoMetrics' : 'FetchingHistory',
          message:
            pods.length === 0
              ? `no pod matches ${template.selector}`
              : noMetrics
                ? 'metrics.k8s.io has no samples for the pods yet'
                : 'not enough samples yet',
        },
  ];
  if (pods.length === 0)
    conditions.push({
      type: 'NoPodsMatched',
      status: 'True',
      reason: 'NoPodsMatched',
      message: `no pod matches ${template.selector}`,
    });
  const problems = [...outcome.problems];
  if (spec.updateMode === 'Initial') {
    problems.push('updateMode Initial is not supported: it needs an admission webhook in the cluster');
  }
  if (problems.length > 0) {
    conditions.push({
      type: 'ConfigUnsupported',
      status: 'True',
      reason: 'ConfigUnsupported',
      message: problems.join('; '),
    });
  }
  // Only a new problem gets an Event, so a standing one does not flood the VPA's Events.
  const reported = vpa.status?.conditions?.find((c) => c.type === 'ConfigUnsupported' && c.status === 'True');
  await writeStatus(
    deps,
    vpa,
    {
      ...(recommendations.length > 0
        ? { recommendation: { containerRecommendations: recommendations.map(toStatusRecommendation) } }
        : {}),
      conditions,
    },
    now,
    counts,
  );
  if (problems.length > 0 && reported?.message !== problems.join('; ')) {
    await vpaEvent(deps, vpa, 'Warning', 'ConfigUnsupported', problems.join('; '), counts);
  }

  // Apply to the workload.
  const oom = result.containers.some(
    (c) => c.ooms.some((o) => o.status === 'applied') || c.quickOomPods.length > 0,
  );
  const decision = decideUpdate({
    updateMode: spec.updateMode,
    policy: spec.resourcePolicy,
    recommendations,
    template: template.containers,
    podStarts: pods.map((pod) => pod.startTime ?? pod.creationTimestamp),
    oom,
    now,
    settings: updaterSettingsOf(deps.settings),
  });
  outcome.update = { action: decision.action, reason: decision.reason };
  if (decision.action === 'patch') {
    if (deps.dryRun) {
      outcome.update.result = 'would-patch';
    } else {
      try {
        try {
          await deps.vpas.patchWorkloadResources(target, template.resourceVersion, decision.containers);
        } catch (error) {
          // The workload's controller writes its status all the time, which moves the resourceVersion;
          // when the containers are still as read, the same patch is right on the fresh version.
          if (!(error instanceof ConflictError)) throw error;
          const fresh = await deps.vpas.getWorkloadTemplate(target);
          if (!fresh || JSON.stringify(fresh.containers) !== JSON.stringify(template.containers)) throw error;
          await deps.vpas.patchWorkloadResources(target, fresh.resourceVersion, decision.containers);
        }
        counts.templatePatches++;
        outcome.update.result = 'patched';
        await vpaEvent(
          deps,
          vpa,
          'Normal',
          'ResourcesUpdated',
          `${spec.targetRef.kind}/${spec.targetRef.name} pod template: ${decision.containers
            .map((c) => `${c.name} requests ${JSON.stringify(c.requests)} limits ${JSON.stringify(c.limits)}`)
            .join('; ')} (${decision.reason})`,
          counts,
        );
      } catch (error) {
        // Someone changed the workload since it was read: the next tick reads it again.
        outcome.update.result = error instanceof ConflictError ? 'conflict' : 'failed';
        if (!(error instanceof ConflictError)) outcome.problems.push(errorText(error));
      }
    }
  }

  // Aggregates: carried between ticks of an invocation, written when they changed.
  for (const container of result.containers) {
    const key = checkpointKey(vpa.namespace, vpa.name, container.name);
    context.carry.set(key, container.state);
    if (!context.persist || deps.dryRun) continue;
    const encoded: StoredVpaCheckpoint = encodeCheckpoint(container.state);
    const item = context.storedByKey.get(key);
    if (item && !checkpointChanged(item.data as StoredVpaCheckpoint, encoded)) continue;
    try {
      await deps.state.put(deps.cluster, key, JSON.parse(checkpointText(encoded)), {
        expectedVersion: item?.version ?? 0,
        expiresAt: Math.floor(now / 1000) + CHECKPOINT_TTL_SECONDS,
      });
      counts.checkpointWrites++;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Another invocation wrote first; its aggregate is as good as ours, and the next tick reads it.
      context.carry.delete(key);
      deps.log.warn('VPA checkpoint changed concurrently; keeping the stored one', { key });
    }
  }
}
