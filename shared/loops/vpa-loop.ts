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
import type { KubeEvent, KubernetesPort, Pod, ScaleTargetKey } from '../ports/kubernetes';
import { ConflictError } from '../ports/kubernetes';
import type { Logger } from '../ports/logger';
import { type StateStore, type StoredItem, VersionConflictError } from '../ports/state-store';
import {
  type ContainerResources,
  type RecommendedContainerResources,
  VPA_WORKLOAD_KINDS,
  type VpaCondition,
  type VpaObject,
  type VpaPort,
  type VpaStatus,
  type VpaWorkloadKind,
  type WorkloadTemplate,
} from '../ports/vertical-pod-autoscalers';
import { mapLimit } from '../runtime/map-limit';
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
import { EVICTED_REASON, memoryEvictionUsage } from '../vpa/eviction';
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
/**
 * VPAs evaluated at once. Each one's calls (a status write, maybe a template patch and an Event) wait on
 * the API server; eight in flight keep a tick of 2,000 VPAs within its minute without a burst the API
 * server's priority and fairness would queue.
 */
const VPA_CONCURRENCY = 8;
/**
 * Patches of one template a tick, re-reading it after each conflict whose containers are still as read
 * (a status or metadata writer in between); a change of the containers themselves waits for the next tick.
 */
const PATCH_ATTEMPTS = 3;
/** Checkpoint puts in flight: DynamoDB takes far more, but a persisting tick should not starve the rest. */
const CHECKPOINT_WRITE_CONCURRENCY = 16;

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
  update?: {
    action: string;
    reason: string;
    result?: 'patched' | 'would-patch' | 'conflict' | 'failed';
    /** Pods raised in place after an OOM kill (or that would be, in a dry run). */
    resizedPods?: string[];
  };
  problems: string[];
}

export interface VpaTickSummary {
  cluster: string;
  time: number;
  dryRun: boolean;
  vpas: VpaOutcome[];
  counts: {
    statusWrites: number;
    templatePatches: number;
    /** In-place resizes the API server took (pods of an older template after an OOM kill). */
    podResizes: number;
    checkpointWrites: number;
    events: number;
  };
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

/**
 * When the kubelet evicted the pod: its `DisruptionTarget` condition (Kubernetes 1.26+), else the moment
 * it stopped being Ready.
 */
function evictedAt(pod: Pod): number | undefined {
  const condition = (type: string) => pod.conditions.find((c) => c.type === type)?.lastTransitionTime;
  return condition('DisruptionTarget') ?? condition('Ready');
}

function oomEvents(pods: readonly Pod[], container: string): OomEvent[] {
  const events: OomEvent[] = [];
  for (const pod of pods) {
    if (pod.statusReason === EVICTED_REASON) {
      const usage = memoryEvictionUsage(pod.statusMessage);
      const at = evictedAt(pod);
      // A message that names no container blames the whole pod: each container counts at its request.
      const request = pod.containers.find((c) => c.name === container)?.requests.memory;
      const bytes =
        usage === undefined
          ? undefined
          : usage.size > 0
            ? usage.get(container)
            : request !== undefined
              ? Math.ceil(parseMilli(request) / 1000)
              : undefined;
      if (bytes !== undefined && at !== undefined) {
        events.push({ pod: pod.name, at, reason: 'Evicted', memoryBytes: bytes });
      }
      continue;
    }
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

type ParsedVpaSpec = Extract<ReturnType<typeof parseVpaSpec>, { ok: true }>['spec'];

/** A checkpoint that changed this tick, written after every VPA was evaluated. */
interface CheckpointWrite {
  key: string;
  encoded: StoredVpaCheckpoint;
  item?: StoredItem;
  now: number;
}

/** `kind/namespace/name` of a workload, as the tick's template map keys it. */
function templateKey(target: Pick<ScaleTargetKey, 'kind' | 'namespace' | 'name'>): string {
  return `${target.kind}/${target.namespace}/${target.name}`;
}

function listableKind(target: ScaleTargetKey): VpaWorkloadKind | undefined {
  const group = target.apiVersion.includes('/') ? target.apiVersion.split('/')[0] : '';
  if (group !== 'apps') return undefined;
  return (VPA_WORKLOAD_KINDS as readonly string[]).includes(target.kind)
    ? (target.kind as VpaWorkloadKind)
    : undefined;
}

/**
 * The pod templates of the kinds the VPAs target, one list per kind: a GET per VPA would cost 2,000
 * requests a tick in a cluster with 2,000 VPAs, four lists cost four. A kind whose list fails is left out,
 * and its VPAs read their target one by one, as before.
 */
async function listTemplates(
  deps: VpaLoopDeps,
  targets: readonly ScaleTargetKey[],
): Promise<Map<string, WorkloadTemplate>> {
  const kinds = [...new Set(targets.flatMap((t) => listableKind(t) ?? []))];
  const templates = new Map<string, WorkloadTemplate>();
  await Promise.all(
    kinds.map(async (kind) => {
      try {
        for (const template of await deps.vpas.listWorkloadTemplates(kind)) {
          templates.set(templateKey(template.target), template);
        }
      } catch (error) {
        deps.log.warn('could not list workload templates; reading targets one by one', {
          cluster: deps.cluster,
          kind,
          error: errorText(error),
        });
      }
    }),
  );
  return templates;
}

/** A spec the loop cannot read: a condition and an Event on our own VPAs, nothing on others'. */
async function reportInvalid(
  deps: VpaLoopDeps,
  vpa: VpaObject,
  problems: readonly string[],
  now: number,
  counts: VpaTickSummary['counts'],
): Promise<void> {
  const { settings } = deps;
  // A VPA we cannot read may still be another recommender's: only our own get a condition.
  const names = (vpa.spec as { recommenders?: { name?: unknown }[] } | undefined)?.recommenders;
  const ours = Array.isArray(names)
    ? names.some((r) => r?.name === settings.recommenderName)
    : settings.claimDefault;
  if (!ours) return;
  const message = problems.join('; ');
  await writeStatus(
    deps,
    vpa,
    { conditions: [{ type: 'ConfigUnsupported', status: 'True', reason: 'InvalidSpec', message }] },
    now,
    counts,
  );
  if (!reportedAlready(vpa, 'InvalidSpec', message)) {
    await vpaEvent(deps, vpa, 'Warning', 'InvalidSpec', message, counts);
  }
}

async function writeCheckpoint(
  deps: VpaLoopDeps,
  write: CheckpointWrite,
  carry: Map<string, ContainerAggregateState>,
  counts: VpaTickSummary['counts'],
): Promise<void> {
  try {
    await deps.state.put(deps.cluster, write.key, JSON.parse(checkpointText(write.encoded)), {
      expectedVersion: write.item?.version ?? 0,
      expiresAt: Math.floor(write.now / 1000) + CHECKPOINT_TTL_SECONDS,
    });
    counts.checkpointWrites++;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // Another invocation wrote first; its aggregate is as good as ours, and the next tick reads it.
    carry.delete(write.key);
    deps.log.warn('VPA checkpoint changed concurrently; keeping the stored one', { key: write.key });
  }
}

function memoryBytesOf(list: Record<string, string> | undefined): number | undefined {
  const text = list?.memory;
  return text === undefined ? undefined : parseMilli(text) / 1000;
}

/**
 * After an OOM kill, the workload's live pods whose memory request is below the one just written to the
 * template (or, on later ticks, pods still OOM-killed below the template's) get it in place. They would
 * otherwise be killed again and again until the rollout reaches them: a Deployment replaces at most
 * maxSurge + maxUnavailable pods at a time, and a crash loop restarts every 10 s to 5 min meanwhile. Only
 * memory, only up: a raise never restarts a container (memory's default resize policy) and cannot break
 * the pod's QoS class while memory limit = request.
 */
async function resizeUndersizedPods(
  deps: VpaLoopDeps,
  pods: readonly Pod[],
  wanted: readonly ContainerResources[],
  onlyOomKilled: boolean,
  counts: VpaTickSummary['counts'],
): Promise<string[]> {
  const resized: string[] = [];
  for (const pod of pods) {
    if (!pod.nodeName) continue;
    const changes: ContainerResources[] = [];
    for (const want of wanted) {
      const request = memoryBytesOf(want.requests);
      const current = pod.containers.find((c) => c.name === want.name);
      const has = memoryBytesOf(current?.requests);
      if (request === undefined || !current || has === undefined || has >= request) continue;
      const killed = pod.containerStatuses?.some(
        (status) => status.name === want.name && status.lastTerminationReason === 'OOMKilled',
      );
      if (onlyOomKilled && !killed) continue;
      const limit = want.limits.memory;
      changes.push({
        name: want.name,
        requests: { memory: want.requests.memory as string },
        limits: limit !== undefined ? { memory: limit } : {},
      });
    }
    if (changes.length === 0) continue;
    const id = `${pod.namespace}/${pod.name}`;
    if (deps.dryRun) {
      resized.push(id);
      continue;
    }
    try {
      const result = await deps.vpas.resizePodResources(pod.namespace, pod.name, changes);
      if (result === 'resized') {
        resized.push(id);
        counts.podResizes++;
      } else if (result === 'unsupported') {
        deps.log.info('the API server does not resize this pod in place; the rollout will replace it', {
          pod: id,
        });
        // One refusal is every pod's answer (an older cluster); do not ask for each of them.
        break;
      }
    } catch (error) {
      deps.log.warn('could not resize a pod in place; the rollout will replace it', {
        pod: id,
        error: errorText(error),
      });
    }
  }
  return resized;
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
  const counts = { statusWrites: 0, templatePatches: 0, podResizes: 0, checkpointWrites: 0, events: 0 };
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
  const checkpointWrites: CheckpointWrite[] = [];

  const work: { vpa: VpaObject; outcome: VpaOutcome; spec?: ParsedVpaSpec }[] = [];
  for (const vpa of vpas) {
    const id = `${vpa.namespace}/${vpa.name}`;
    const outcome: VpaOutcome = { vpa: id, status: 'recommended', recommendations: [], problems: [] };
    summary.vpas.push(outcome);
    const parsed = parseVpaSpec(vpa.spec);
    if (!parsed.ok) {
      outcome.status = 'invalid';
      outcome.problems = parsed.problems;
      work.push({ vpa, outcome });
      continue;
    }
    if (!ownsVpa(parsed.spec, settings.recommenderName, settings.claimDefault)) {
      outcome.status = 'not-ours';
      continue;
    }
    work.push({ vpa, outcome, spec: parsed.spec });
  }
  const templates = await listTemplates(
    deps,
    work.flatMap(({ vpa, spec }) => (spec ? [{ namespace: vpa.namespace, ...spec.targetRef }] : [])),
  );

  await mapLimit(work, VPA_CONCURRENCY, async ({ vpa, outcome, spec }) => {
    if (!spec) {
      await reportInvalid(deps, vpa, outcome.problems, now, counts);
      return;
    }
    try {
      await evaluate(deps, vpa, spec, outcome, {
        index,
        storedByKey,
        templates,
        live,
        carry: options.carry,
        recommenderOptions,
        persist: options.persistCheckpoints,
        checkpointWrites,
        now,
        counts,
      });
    } catch (error) {
      outcome.problems.push(errorText(error));
      log.warn('VPA evaluation failed; retrying next tick', {
        cluster,
        vpa: outcome.vpa,
        error: errorText(error),
      });
    }
  });
  await mapLimit(checkpointWrites, CHECKPOINT_WRITE_CONCURRENCY, (write) =>
    writeCheckpoint(deps, write, options.carry, counts),
  );

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
    podResizes: counts.podResizes,
    checkpointWrites: counts.checkpointWrites,
  });
  return summary;
}

interface EvaluateContext {
  index: PodIndex;
  storedByKey: Map<string, StoredItem>;
  /** The tick's listed templates (`templateKey`). */
  templates: Map<string, WorkloadTemplate>;
  checkpointWrites: CheckpointWrite[];
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
  spec: ParsedVpaSpec,
  outcome: VpaOutcome,
  context: EvaluateContext,
): Promise<void> {
  const { now, counts } = context;
  const target = { namespace: vpa.namespace, ...spec.targetRef };
  const template =
    context.templates.get(templateKey(target)) ?? (await deps.vpas.getWorkloadTemplate(target));
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
  const selected = context.index
    .candidates(vpa.namespace, template.selector)
    .filter((pod) => selectorMatches(selector, pod.labels) && pod.deletionTimestamp === undefined);
  // Pods the kubelet failed (evicted) stay listed until garbage-collected: they tell of an eviction, but
  // they run nothing, so they are neither samples, nor replicas, nor resized.
  const pods = selected.filter((pod) => pod.phase !== 'Failed' && pod.phase !== 'Succeeded');
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
      ooms: oomEvents(selected, name),
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
  // A quick OOM matters while a pod it killed still runs below the recommendation (upstream's updater
  // looks at the pod, not at the kill): once the pod was replaced or resized, it is history.
  const undersized = (podName: string, container: string) => {
    const pod = pods.find((p) => p.name === podName);
    const has = memoryBytesOf(pod?.containers.find((c) => c.name === container)?.requests);
    const want = recommendations.find((r) => r.containerName === container)?.target.memory;
    return has !== undefined && want !== undefined && has < want;
  };
  const oom = result.containers.some(
    (c) =>
      c.ooms.some((o) => o.status === 'applied') || c.quickOomPods.some((pod) => undersized(pod, c.name)),
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
      if (oom && deps.settings.update.resizeInPlace) {
        const resized = await resizeUndersizedPods(deps, pods, decision.containers, false, counts);
        if (resized.length > 0) outcome.update.resizedPods = resized;
      }
    } else {
      try {
        let version = template.resourceVersion;
        for (let attempt = 1; ; attempt++) {
          try {
            await deps.vpas.patchWorkloadResources(target, version, decision.containers);
            break;
          } catch (error) {
            // The workload's controller writes its status all the time (more so right after another
            // writer's change), which moves the resourceVersion; while the containers are still as read,
            // the same patch is right on the fresh version.
            if (!(error instanceof ConflictError) || attempt >= PATCH_ATTEMPTS) throw error;
            const fresh = await deps.vpas.getWorkloadTemplate(target);
            if (!fresh || JSON.stringify(fresh.containers) !== JSON.stringify(template.containers))
              throw error;
            version = fresh.resourceVersion;
          }
        }
        counts.templatePatches++;
        outcome.update.result = 'patched';
        const resized =
          oom && deps.settings.update.resizeInPlace
            ? await resizeUndersizedPods(deps, pods, decision.containers, false, counts)
            : [];
        if (resized.length > 0) outcome.update.resizedPods = resized;
        await vpaEvent(
          deps,
          vpa,
          'Normal',
          'ResourcesUpdated',
          `${spec.targetRef.kind}/${spec.targetRef.name} pod template: ${decision.containers
            .map((c) => `${c.name} requests ${JSON.stringify(c.requests)} limits ${JSON.stringify(c.limits)}`)
            .join('; ')} (${decision.reason})` +
            (resized.length > 0 ? `; ${resized.length} pod(s) raised in place` : ''),
          counts,
        );
      } catch (error) {
        // Someone changed the workload since it was read: the next tick reads it again.
        outcome.update.result = error instanceof ConflictError ? 'conflict' : 'failed';
        if (!(error instanceof ConflictError)) outcome.problems.push(errorText(error));
      }
    }
  }

  if (decision.action === 'none' && deps.settings.update.resizeInPlace && spec.updateMode !== 'Off') {
    // A pod the last patch's resize missed (created by the old ReplicaSet meanwhile, or deferred) that is
    // OOM-killed below the template gets the template's memory too.
    const resized = await resizeUndersizedPods(deps, pods, template.containers, true, counts);
    if (resized.length > 0) outcome.update.resizedPods = resized;
  }

  // Aggregates: carried between ticks of an invocation, written when they changed.
  for (const container of result.containers) {
    const key = checkpointKey(vpa.namespace, vpa.name, container.name);
    context.carry.set(key, container.state);
    if (!context.persist || deps.dryRun) continue;
    const encoded: StoredVpaCheckpoint = encodeCheckpoint(container.state);
    const item = context.storedByKey.get(key);
    if (item && !checkpointChanged(item.data as StoredVpaCheckpoint, encoded)) continue;
    context.checkpointWrites.push({ key, encoded, ...(item ? { item } : {}), now });
  }
}
