/**
 * An in-memory Kubernetes cluster behind the same `KubernetesPort` the real adapter implements: nodes,
 * pods, workloads with `/scale`, DaemonSets, StatefulSets' volume claims and their zonal volumes,
 * autoscaler objects and Events, on the simulator's clock. It keeps real state and real semantics where
 * the loops depend on them: resourceVersions (a stale write is a 409), pods that are created, scheduled
 * (with their constraints), started and become Ready after delays, terminating pods with a
 * deletionTimestamp, metrics.k8s.io samples that follow each workload's load, pod templates whose
 * changes roll out as their controllers would (rolling-update.ts), and containers with a memory need that
 * are OOM-killed past their limit and restarted (oom-killer.ts).
 *
 * Every port call is counted (and the requests a real adapter would send for it), and any method can be
 * told to fail its next N calls.
 */
import type { HorizontalPodAutoscalerStatus, LabelSelector } from '../ports/autoscaling-v2';
import type { Clock } from '../ports/clock';
import {
  type AutoscalerKind,
  type AutoscalerObject,
  ConflictError,
  type Container,
  type DaemonSet,
  type EvictionResult,
  type KubeEvent,
  type KubernetesPort,
  type Node,
  NotFoundError,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type PodDisruptionBudget,
  type PodFilter,
  type PodMetrics,
  type PodScheduling,
  type Scale,
  type ScaleTargetKey,
  type StatusManager,
  scaleTargetKeyString,
  type Taint,
} from '../ports/kubernetes';
import { deepFreeze } from '../units/deep-freeze';
import {
  type Selector,
  selectorFromLabelSelector,
  selectorMatches,
  selectorToString,
} from '../units/label-selector';
import { parseQuantityNumber } from '../units/quantity';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import {
  type DaemonSetSpec,
  daemonPodScheduling,
  daemonPodTolerations,
  daemonWorkloadSpec,
} from './daemon-set';
import {
  type BudgetPodCounts,
  budgetStatus,
  type DisruptionBudgetSpec,
  type DisruptionBudgetStatus,
  validateBudget,
} from './disruption-budget';
import { DueQueue } from './due-queue';
import { frozenJsonCopy } from './json-copy';
import { podUsage, servedRps } from './load-model';
import {
  assignPod,
  createNodeRecord,
  type NodeRecord,
  type NodeSpec,
  refreshNodeView,
  releasePod,
} from './node';
import { type OomKill, OomKiller, resizeRun, runUsageBytes, startRun } from './oom-killer';
import { type PodRecord, type PodState, podStateAt, refreshPodView } from './pod';
import { createRandom, hashString, mix32, randomSuffix, signedHash } from './random';
import {
  admits,
  chooseNode,
  fits,
  type PodRequirements,
  podRequirements,
  type SchedulingPolicy,
} from './scheduler';
import { formatKibibytes, formatNanocores } from './usage-format';
import {
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  LISTABLE_WORKLOAD_KINDS,
  type RescaleRecord,
  templateScheduling,
  type VolumeClaimTemplate,
  volumeClaimName,
  WORKLOAD_DEFAULTS,
  type WorkloadSpec,
  workloadKey,
} from './workload';
import { planWorkload, sumRequests, type WorkloadRecord } from './workload-record';

/** apiVersion of tideplane's HorizontalAutoscaler custom resource in the simulator. */
export const HORIZONTAL_AUTOSCALER_API_VERSION = 'autoscaling.tideplane.io/v1alpha1';
export const HORIZONTAL_POD_AUTOSCALER_API_VERSION = 'autoscaling/v2';
/** The field manager recorded when the port writes an autoscaler's status. */
export const DEFAULT_STATUS_FIELD_MANAGER = 'tideplane';
/** metrics-server's scrape resolution, also the window of its samples. */
export const METRICS_RESOLUTION_MS = 15_000;
/** Pods of a workload added `warm` started this long before (past any CPU initialization period). */
export const WARM_POD_AGE_MS = 3_600_000;
/** Start-up and readiness delays vary per pod by up to this share, deterministically. */
export const DELAY_JITTER = 0.2;
/** Sub-step of the queue model's integration. */
const QUEUE_STEP_MS = 5_000;
/** Reconcile passes at one instant (StatefulSets with zero delays create one pod per pass). */
const MAX_RECONCILE_PASSES = 1_000;

export interface SimClusterOptions {
  clock: Clock;
  /** Seeds names, uids and noise. @default 1 */
  seed?: number;
  /** @default 'LeastAllocated' (kube-scheduler's default) */
  scheduling?: SchedulingPolicy;
  /** @default DEFAULT_STATUS_FIELD_MANAGER */
  statusFieldManager?: string;
}

export interface AutoscalerInput {
  /** @default 'HorizontalAutoscaler' */
  kind?: AutoscalerKind;
  /** @default by kind: HORIZONTAL_AUTOSCALER_API_VERSION or HORIZONTAL_POD_AUTOSCALER_API_VERSION */
  apiVersion?: string;
  namespace: string;
  name: string;
  /** Stored as given (raw), so malformed specs can be tested. */
  spec: unknown;
  status?: HorizontalPodAutoscalerStatus;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** e.g. `[{ manager: 'kube-controller-manager', time }]` for an HPA an in-cluster controller owns. */
  statusManagers?: StatusManager[];
}

/** A workload at one instant, for sampling and assertions. */
export interface WorkloadSnapshot {
  key: string;
  namespace: string;
  name: string;
  kind: string;
  /** Requests per second arriving (queue workers: messages per second arriving). */
  rps: number;
  specReplicas: number;
  statusReplicas: number;
  unscheduledPods: number;
  startingPods: number;
  /** Running, not Ready yet. */
  runningPods: number;
  readyPods: number;
  terminatingPods: number;
  /** Usage of the Ready pods, all containers. */
  readyCpuUsageMillis: number;
  /** Requests of the Ready pods, all containers. */
  readyCpuRequestMillis: number;
  queueLength?: number;
}

/**
 * How pods left their nodes other than by scale-down, over the whole run: the numbers behind "zero
 * evictions that violated a PDB, zero pods lost".
 */
export interface DisruptionStats {
  /** Pods the Eviction API terminated (`evictPod` answered `evicted` for a pod not terminating yet). */
  evictions: number;
  /** Evictions a PodDisruptionBudget refused (`blocked`). */
  evictionsBlocked: number;
  /**
   * Pods that were on a node when it went (`deleteNode`, or its instance terminated) without being
   * evicted first: not terminating, not a DaemonSet's pod (those go with their node by design).
   */
  podsLost: number;
  /**
   * Lost Ready pods whose budget allowed no more disruption at that moment. Evictions cannot cause any:
   * the Eviction API refuses them.
   */
  pdbViolations: number;
}

export interface ClusterSnapshot {
  nodes: number;
  readyNodes: number;
  pods: number;
  unscheduledPods: number;
  cpuAllocatableMillis: number;
  cpuRequestedMillis: number;
}

type PortMethod = keyof KubernetesPort;

/** A DaemonSet and the pod it runs (or is about to run) for each node. */
interface DaemonSetRecord {
  readonly workload: WorkloadRecord;
  readonly view: DaemonSet;
  /** The template as the DaemonSet controller checks it against a node (default tolerations added). */
  readonly admission: PodRequirements;
  readonly podsByNode: Map<string, PodRecord>;
}

/** A budget and the workloads whose pods it selects (cached until workloads come or go). */
interface BudgetRecord {
  readonly spec: DisruptionBudgetSpec;
  readonly selector: Selector;
  readonly viewSelector?: LabelSelector;
  matched?: {
    version: number;
    /** Workloads all of whose pods it selects (they share their labels). */
    whole: WorkloadRecord[];
    /** StatefulSets: each pod has labels of its own (its name, its ordinal), so each is checked. */
    perPod: WorkloadRecord[];
  };
}

/**
 * The taints with `taint` (same key and effect) present or absent; undefined when they already are as
 * asked, so a repeated call changes nothing.
 */
function withTaint(current: readonly Taint[], taint: Taint, present: boolean): Taint[] | undefined {
  const same = (t: Taint) => t.key === taint.key && t.effect === taint.effect;
  const value = taint.value ?? '';
  if (!present) return current.some(same) ? current.filter((t) => !same(t)) : undefined;
  const existing = current.find(same);
  if (existing && (existing.value ?? '') === value) return undefined;
  const wanted: Taint = { key: taint.key, ...(value ? { value } : {}), effect: taint.effect };
  return existing ? current.map((t) => (same(t) ? wanted : t)) : [...current, wanted];
}

/** A copy as the API server would hand it back: what survives JSON (as on the wire), and fast. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function defaultAutoscalerApiVersion(kind: AutoscalerKind): string {
  return kind === 'HorizontalAutoscaler'
    ? HORIZONTAL_AUTOSCALER_API_VERSION
    : HORIZONTAL_POD_AUTOSCALER_API_VERSION;
}

/** `<group>/<plural>` (core group: `<plural>`), as the real adapter keys its request counts. */
function resourceName(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return `${group ? `${group}/` : ''}${kind.toLowerCase()}s`;
}

/** Targets whose scale a real adapter reads from one list per kind: `apps/*` Deployments, StatefulSets, ReplicaSets. */
function isListableTarget(target: ScaleTargetKey): boolean {
  return target.apiVersion.startsWith('apps/') && LISTABLE_WORKLOAD_KINDS.has(target.kind);
}

/**
 * The simulated cluster.
 *
 * @example
 * const clock = new VirtualClock(0);
 * const cluster = new SimCluster({ clock });
 * cluster.addNode({ name: 'node-1', capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
 * cluster.addWorkload({ namespace: 'shop', name: 'web', replicas: 2, containers: [...], load: () => 100, cost });
 * clock.advance(60_000);
 * cluster.reconcile(); // pods scheduled, started, Ready
 */
export class SimCluster implements KubernetesPort {
  readonly clock: Clock;
  readonly seed: number;
  private readonly scheduling: SchedulingPolicy;
  private readonly statusFieldManager: string;
  private readonly api = new ApiCallRecorder();
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly pods = new Set<PodRecord>();
  private readonly unscheduled = new Set<PodRecord>();
  private readonly workloads = new Map<string, WorkloadRecord>();
  private readonly workloadsByTarget = new Map<string, WorkloadRecord>();
  private readonly autoscalers = new Map<string, AutoscalerObject>();
  private readonly daemonSets = new Map<string, DaemonSetRecord>();
  /** Claims by `namespace/name`; they outlive their pods and workloads, as with a `Retain` policy. */
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly recordedEvents: KubeEvent[] = [];
  /** Pods by `namespace/name`, for the calls that name one pod. */
  private readonly podsByName = new Map<string, PodRecord>();
  /** Budgets by `namespace/name`. */
  private readonly budgets = new Map<string, BudgetRecord>();
  /** Bumped when a workload or DaemonSet comes or goes (budgets' selections are cached until then). */
  private workloadsVersion = 0;
  private readonly disruption: DisruptionStats = {
    evictions: 0,
    evictionsBlocked: 0,
    podsLost: 0,
    pdbViolations: 0,
  };
  private readonly rescaleLog: RescaleRecord[] = [];
  private revision = 0;
  private serial = 0;
  private uidCounter = 0;
  private lastReconcileAt: number;
  private schedulingDirty = false;
  private daemonSetsDirty = false;
  private nextEvent = Number.POSITIVE_INFINITY;
  private totalPendingPodSeconds = 0;
  private metricsApiServed = true;
  /** Containers with a memory need: their OOM kills and restarts. */
  private readonly oom = new OomKiller<PodRecord>();
  /** Pods by their next transition (`nextChangeAt`), so a reconcile looks only at the pods due. */
  private readonly podTransitions = new DueQueue<PodRecord>(
    (pod, at) => pod.nextChangeAt === at && this.pods.has(pod),
  );
  /**
   * Workloads whose controller may have something to do: one of their pods came, went or changed, or
   * their spec did. A workload's plan depends on nothing else, so the others are skipped (their plan
   * would be empty), in the same order as before.
   */
  private readonly controllersDue = new Set<WorkloadRecord>();
  /** Workloads whose status may have changed (a pod of theirs came, went or changed its view). */
  private readonly statusDue = new Set<WorkloadRecord>();
  /** Every pod's view in `pods` order, as lists return them; dropped when a pod comes, goes or changes. */
  private podViews: Pod[] | undefined;
  /** Each node's scrape phase (a hash of its name), asked for every pod on every metrics read. */
  private readonly scrapeOffsets = new WeakMap<NodeRecord, number>();
  private readonly resizes = { requested: 0, deferred: 0 };

  constructor(options: SimClusterOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    this.scheduling = options.scheduling ?? 'LeastAllocated';
    this.statusFieldManager = options.statusFieldManager ?? DEFAULT_STATUS_FIELD_MANAGER;
    this.lastReconcileAt = this.clock.now();
  }

  // ---- Kubernetes port -------------------------------------------------------------------------

  async listPods(filter: PodFilter = {}): Promise<Pod[]> {
    this.call('listPods', 'list pods');
    this.podViews ??= Array.from(this.pods, (pod) => pod.view);
    // A copy: the caller may sort or splice its list.
    const pods = this.podViews.slice();
    if (filter.nodeName === undefined && filter.namespace === undefined) return pods;
    return pods.filter(
      (pod) =>
        (filter.nodeName === undefined || pod.nodeName === filter.nodeName) &&
        (filter.namespace === undefined || pod.namespace === filter.namespace),
    );
  }

  async listNodes(): Promise<Node[]> {
    this.call('listNodes', 'list nodes');
    return Array.from(this.nodes.values(), (node) => node.view);
  }

  async listAutoscalers(kind: AutoscalerKind): Promise<AutoscalerObject[]> {
    this.call('listAutoscalers', `list ${resourceName(defaultAutoscalerApiVersion(kind), kind)}`);
    return [...this.autoscalers.values()].filter((autoscaler) => autoscaler.kind === kind);
  }

  async getScales(targets: ScaleTargetKey[]): Promise<Map<string, Scale>> {
    const unique = new Map<string, ScaleTargetKey>();
    for (const target of targets) unique.set(scaleTargetKeyString(target), target);
    const requests: Record<string, number> = {};
    for (const target of unique.values()) {
      const request = isListableTarget(target)
        ? `list ${resourceName(target.apiVersion, target.kind)}`
        : `get ${resourceName(target.apiVersion, target.kind)}/scale`;
      requests[request] = isListableTarget(target) ? 1 : (requests[request] ?? 0) + 1;
    }
    this.call('getScales', requests);
    const scales = new Map<string, Scale>();
    for (const [key, target] of unique) {
      const workload = this.findTarget(target);
      if (workload) scales.set(key, this.scaleOf(workload, target));
    }
    return scales;
  }

  async getScale(target: ScaleTargetKey): Promise<Scale | undefined> {
    this.call('getScale', `get ${resourceName(target.apiVersion, target.kind)}/scale`);
    const workload = this.findTarget(target);
    return workload ? this.scaleOf(workload, target) : undefined;
  }

  async updateScale(target: ScaleTargetKey, replicas: number, resourceVersion: string): Promise<Scale> {
    this.call('updateScale', `update ${resourceName(target.apiVersion, target.kind)}/scale`);
    const workload = this.findTarget(target);
    if (!workload) throw new NotFoundError(`${target.kind} ${target.namespace}/${target.name} not found`);
    if (resourceVersion !== workload.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${target.kind.toLowerCase()}s "${target.name}": the object has been ` +
          'modified; please apply your changes to the latest version and try again',
      );
    }
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new Error(`Scale.apps "${target.name}" is invalid: spec.replicas: ${replicas}`);
    }
    this.setSpecReplicas(workload, replicas, 'port');
    return this.scaleOf(workload, target);
  }

  async updateAutoscalerStatus(
    autoscaler: Pick<AutoscalerObject, 'kind' | 'apiVersion' | 'namespace' | 'name'>,
    status: HorizontalPodAutoscalerStatus,
  ): Promise<void> {
    this.call(
      'updateAutoscalerStatus',
      `patch ${resourceName(autoscaler.apiVersion || defaultAutoscalerApiVersion(autoscaler.kind), autoscaler.kind)}/status`,
    );
    const key = this.autoscalerKey(autoscaler.kind, autoscaler.namespace, autoscaler.name);
    const current = this.autoscalers.get(key);
    if (!current || current.apiVersion !== autoscaler.apiVersion) {
      throw new NotFoundError(`${autoscaler.kind} ${autoscaler.namespace}/${autoscaler.name} not found`);
    }
    const managers = [
      ...current.statusManagers.filter((entry) => entry.manager !== this.statusFieldManager),
      { manager: this.statusFieldManager, time: this.clock.now() },
    ];
    this.autoscalers.set(
      key,
      deepFreeze({
        ...current,
        resourceVersion: this.nextResourceVersion(),
        status: frozenJsonCopy(status),
        statusManagers: managers,
      }),
    );
  }

  async createEvent(event: KubeEvent): Promise<void> {
    this.call('createEvent', 'create events.k8s.io/events');
    this.recordedEvents.push(frozenJsonCopy(event));
  }

  async listPodMetrics(): Promise<PodMetrics[]> {
    this.call('listPodMetrics', 'list metrics.k8s.io/pods');
    if (!this.metricsApiServed) return [];
    return this.podMetrics();
  }

  /**
   * What metrics.k8s.io serves now, without counting a call (for recorders). A container with a memory
   * need reports its working set, and none while it waits to restart after an OOM kill.
   */
  podMetrics(): PodMetrics[] {
    this.sync();
    const now = this.clock.now();
    const out: PodMetrics[] = [];
    const readyByWorkload = new Map<WorkloadRecord, number>();
    const scrapeByNode = new Map<NodeRecord, number>();
    for (const pod of this.pods) {
      const node = pod.node;
      if (!node || pod.runningAt === undefined) continue;
      let scrapedAt = scrapeByNode.get(node);
      if (scrapedAt === undefined) {
        scrapedAt = this.scrapeTime(node, now);
        scrapeByNode.set(node, scrapedAt);
      }
      if (pod.runningAt > scrapedAt || (pod.goneAt !== undefined && pod.goneAt <= scrapedAt)) continue;
      const workload = pod.workload;
      let ready = readyByWorkload.get(workload);
      if (ready === undefined) {
        ready = this.readyPodCount(workload);
        readyByWorkload.set(workload, ready);
      }
      const state = this.stateAtScrape(pod, scrapedAt);
      const usage = podUsage(
        workload,
        state,
        ready,
        servedRps(workload, scrapedAt),
        this.seed,
        pod.serial,
        Math.floor(scrapedAt / METRICS_RESOLUTION_MS),
      );
      const containers: PodMetrics['containers'] = [];
      for (const container of usage) {
        let memory = container.memoryBytes;
        const run = pod.containerRuns?.find((r) => r.name === container.name);
        if (run) {
          const working = runUsageBytes(run, scrapedAt);
          if (working === undefined) continue;
          memory = working;
        }
        containers.push({
          name: container.name,
          usage: { cpu: formatNanocores(container.cpuMillis), memory: formatKibibytes(memory) },
        });
      }
      out.push({
        namespace: workload.namespace,
        name: pod.name,
        timestamp: scrapedAt,
        windowSeconds: METRICS_RESOLUTION_MS / 1000,
        containers,
      });
    }
    return out;
  }

  async listPersistentVolumeClaims(): Promise<PersistentVolumeClaim[]> {
    this.call('listPersistentVolumeClaims', 'list persistentvolumeclaims');
    return [...this.claims.values()];
  }

  async listPersistentVolumes(): Promise<PersistentVolume[]> {
    this.call('listPersistentVolumes', 'list persistentvolumes');
    return [...this.volumes.values()];
  }

  async listDaemonSets(): Promise<DaemonSet[]> {
    this.call('listDaemonSets', 'list apps/daemonsets');
    return Array.from(this.daemonSets.values(), (daemonSet) => daemonSet.view);
  }

  /** Each budget with the disruptions its status allows now (the disruption controller is instant). */
  async listPodDisruptionBudgets(): Promise<PodDisruptionBudget[]> {
    this.call('listPodDisruptionBudgets', 'list policy/poddisruptionbudgets');
    return Array.from(this.budgets.values(), (budget) =>
      Object.freeze({
        namespace: budget.spec.namespace,
        name: budget.spec.name,
        ...(budget.viewSelector ? { selector: budget.viewSelector } : {}),
        disruptionsAllowed: this.statusOf(budget).disruptionsAllowed,
      }),
    );
  }

  /** Like the adapter: a read of the node, and a write only when its taints change. */
  async setNodeTaint(nodeName: string, taint: Taint, present: boolean): Promise<void> {
    this.sync();
    const node = this.nodes.get(nodeName);
    const taints = node ? withTaint(node.taints, taint, present) : undefined;
    this.call('setNodeTaint', taints ? { 'get nodes': 1, 'patch nodes': 1 } : 'get nodes');
    if (!node) throw new NotFoundError(`nodes "${nodeName}" not found`);
    if (!taints) return;
    this.changeNode(nodeName, (record) => {
      record.taints = taints;
    });
    this.reconcile();
  }

  /**
   * The Eviction API as kube-apiserver runs it: a pod that is not running yet, or already terminating,
   * is deleted without a budget check; a pod two budgets select is refused (an error, as the API server
   * answers 500); otherwise its budget must allow a disruption (an unready pod passes while the budget
   * has its desired healthy pods, unless the budget says `AlwaysAllow`). The pod then terminates: like
   * the API server, a given `gracePeriodSeconds` replaces the pod's own, and the pod is gone after the
   * shorter of that and the time it takes to exit. Its controller creates a replacement at once.
   */
  async evictPod(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number } = {},
  ): Promise<EvictionResult> {
    this.call('evictPod', 'create pods/eviction');
    const pod = this.podsByName.get(workloadKey(namespace, name));
    if (!pod) return 'gone';
    const now = this.clock.now();
    const state = podStateAt(pod, now);
    const running = state === 'Running' || state === 'Ready';
    if (running) {
      const budgets = this.budgetsOf(pod);
      if (budgets.length > 1) {
        throw new Error(
          `evict pod ${namespace}/${name}: This pod has more than one PodDisruptionBudget, which the ` +
            'eviction subresource does not support.',
        );
      }
      const budget = budgets[0];
      if (budget && !this.evictionAllowed(budget, state === 'Ready')) {
        this.disruption.evictionsBlocked++;
        return 'blocked';
      }
    }
    if (pod.deletedAt === undefined) this.disruption.evictions++;
    const grace = options.gracePeriodSeconds ?? this.gracePeriodOf(pod);
    this.terminatePod(pod, now, Math.max(0, grace));
    // The workload controller and the scheduler react within milliseconds in a real cluster.
    this.reconcile();
    return 'evicted';
  }

  /**
   * An in-place resize (`pods/<name>/resize`, Kubernetes 1.33+): the pod's containers get the given
   * requests and limits without a restart; memory limits only go up (a container's default resize policy
   * forbids lowering one without a restart, and the API server refuses it). On a bound pod the kubelet
   * actuates it when the node has room for the new requests, else it stays pending (PodResizePending
   * Deferred) and the pod keeps its old limits; this simulator does not retry a pending one. Not counted
   * as a call: the port that resizes (SimVpas) counts its own.
   */
  resizePod(
    namespace: string,
    name: string,
    containers: readonly { name: string; requests: Record<string, string>; limits: Record<string, string> }[],
  ): 'resized' | 'gone' | 'unsupported' {
    const pod = this.podsByName.get(workloadKey(namespace, name));
    if (!pod || pod.deletedAt !== undefined) return 'gone';
    const next = pod.containers.map((container) => {
      const change = containers.find((c) => c.name === container.name);
      return change
        ? {
            ...container,
            requests: { ...container.requests, ...change.requests },
            limits: { ...container.limits, ...change.limits },
          }
        : container;
    });
    if (containers.some((c) => !pod.containers.some((t) => t.name === c.name))) return 'unsupported';
    const lowered = next.some((container, i) => {
      const before = pod.containers[i]?.limits.memory;
      const after = container.limits.memory;
      return (
        before !== undefined &&
        (after === undefined || parseQuantityNumber(after) < parseQuantityNumber(before))
      );
    });
    if (lowered) return 'unsupported';
    const requests = sumRequests(next);
    const node = pod.node;
    if (node) {
      const extraCpu = requests.cpuMillis - pod.requirements.cpuMillis;
      const extraMemory = requests.memoryBytes - pod.requirements.memoryBytes;
      const room =
        node.usedCpuMillis + extraCpu <= node.allocatableCpuMillis &&
        node.usedMemoryBytes + extraMemory <= node.allocatableMemoryBytes;
      this.resizes.requested++;
      if (!room) {
        this.resizes.deferred++;
        return 'resized';
      }
      node.usedCpuMillis += extraCpu;
      node.usedMemoryBytes += extraMemory;
    }
    const now = this.clock.now();
    pod.containers = next.map((c) => Object.freeze(c));
    pod.requirements = {
      ...pod.requirements,
      cpuMillis: requests.cpuMillis,
      memoryBytes: requests.memoryBytes,
    };
    for (const run of pod.containerRuns ?? []) {
      const limit = next.find((c) => c.name === run.name)?.limits.memory;
      resizeRun(run, limit === undefined ? undefined : parseQuantityNumber(limit), now);
    }
    this.refreshView(pod, now, true);
    return 'resized';
  }

  /** In-place resizes asked for bound pods, and those the node had no room for (left pending). */
  resizeStats(): { requested: number; deferred: number } {
    return { ...this.resizes };
  }

  /**
   * Deletes the Node object; a missing node is fine. Its pods go with it (the pod garbage collector
   * deletes pods bound to a node that no longer exists): those not evicted before count as lost.
   */
  async deleteNode(nodeName: string): Promise<void> {
    this.call('deleteNode', 'delete nodes');
    if (this.removeNode(nodeName)) this.reconcile();
  }

  // ---- the world: nodes ------------------------------------------------------------------------

  /** A node joins (Ready unless the spec says otherwise). Throws if the name is taken. */
  addNode(spec: NodeSpec): Node {
    if (this.nodes.has(spec.name)) throw new Error(`node ${spec.name} exists`);
    const record = createNodeRecord(spec, this.newUid(), this.clock.now());
    this.nodes.set(spec.name, record);
    this.schedulingDirty = true;
    this.daemonSetsDirty = true;
    return record.view;
  }

  /**
   * The node leaves (its instance terminated): its pods are gone at once and their workloads create
   * replacements, which wait unscheduled until a node has room. Pods that were not evicted first count
   * as lost (see `disruptionStats`). Returns false when there is no such node.
   */
  removeNode(name: string): boolean {
    const node = this.nodes.get(name);
    if (!node) return false;
    this.recordLoss([...node.pods]);
    for (const pod of [...node.pods]) this.removePod(pod);
    for (const daemonSet of this.daemonSets.values()) {
      const pending = daemonSet.podsByNode.get(name);
      if (pending) this.removePod(pending);
    }
    this.nodes.delete(name);
    this.schedulingDirty = true;
    return true;
  }

  setNodeReady(name: string, ready: boolean): void {
    this.changeNode(name, (node) => {
      node.ready = ready;
    });
  }

  cordonNode(name: string, unschedulable = true): void {
    this.changeNode(name, (node) => {
      node.unschedulable = unschedulable;
    });
  }

  setNodeTaints(name: string, taints: Node['taints']): void {
    this.changeNode(name, (node) => {
      node.taints = taints.map((taint) => ({ ...taint }));
    });
  }

  // ---- the world: workloads --------------------------------------------------------------------

  /**
   * Adds a workload. `warm: true` starts it as if it had been running for a while: its pods are
   * scheduled at once and Ready since `WARM_POD_AGE_MS` ago (those that find no room stay unscheduled).
   */
  addWorkload(spec: WorkloadSpec, options: { warm?: boolean } = {}): Scale {
    const key = workloadKey(spec.namespace, spec.name);
    if (this.workloads.has(key)) throw new Error(`workload ${key} exists`);
    if (spec.volumeClaim && (spec.kind ?? WORKLOAD_DEFAULTS.kind) !== 'StatefulSet') {
      throw new Error(`workload ${key}: only a StatefulSet has volume claims`);
    }
    if (spec.volumeClaim && spec.volumeClaim.zones.length === 0) {
      throw new Error(`workload ${key}: a volume claim template needs at least one zone`);
    }
    const budget: DisruptionBudgetSpec | undefined = spec.disruptionBudget && {
      ...spec.disruptionBudget,
      namespace: spec.namespace,
      name: spec.name,
      selector: { matchLabels: { ...(spec.labels ?? { app: spec.name }) } },
    };
    if (budget) {
      validateBudget(budget);
      if (this.budgets.has(workloadKey(budget.namespace, budget.name))) {
        throw new Error(`PodDisruptionBudget ${key} exists`);
      }
    }
    const record = this.newWorkloadRecord(spec);
    this.workloads.set(key, record);
    this.touch(record);
    this.workloadsVersion++;
    if (budget) this.addPodDisruptionBudget(budget);
    this.workloadsByTarget.set(
      scaleTargetKeyString({
        namespace: spec.namespace,
        apiVersion: record.apiVersion,
        kind: record.kind,
        name: spec.name,
      }),
      record,
    );
    if (options.warm) {
      const now = this.clock.now();
      const plan = planWorkload(record, now, true);
      this.warmUp(plan.create.map((ordinal) => this.createPod(record, ordinal, now, now - WARM_POD_AGE_MS)));
      const queue = spec.queue;
      if (queue) {
        record.servedRps = Math.min(spec.load(now), this.readyPodCount(record) * queue.capacityPerPod);
      }
    }
    this.reconcile();
    return this.scaleOf(record);
  }

  /** Deletes a workload and its pods at once (a later `/scale` call gets a 404). */
  deleteWorkload(namespace: string, name: string): boolean {
    const record = this.workloads.get(workloadKey(namespace, name));
    if (!record) return false;
    for (const pod of [...record.pods]) this.removePod(pod);
    this.workloads.delete(record.key);
    this.controllersDue.delete(record);
    this.statusDue.delete(record);
    this.workloadsVersion++;
    if (record.spec.disruptionBudget) this.budgets.delete(record.key);
    this.workloadsByTarget.delete(
      scaleTargetKeyString({ namespace, apiVersion: record.apiVersion, kind: record.kind, name }),
    );
    return true;
  }

  /** Sets spec.replicas directly (a person with kubectl, a test); counted as a rescale, not as a call. */
  setReplicas(namespace: string, name: string, replicas: number): void {
    const record = this.workloads.get(workloadKey(namespace, name));
    if (!record) throw new NotFoundError(`workload ${namespace}/${name} not found`);
    this.setSpecReplicas(record, replicas, 'direct');
  }

  /**
   * Sets the requests and limits of named containers in a workload's pod template (resources not given
   * keep their values), as a strategic merge patch would; the workload's controller then rolls its pods
   * (see rolling-update.ts). Not counted as a call: the port that patches (SimVpas) counts its own.
   * Throws `NotFoundError` for an unknown workload, `ConflictError` when `resourceVersion` is given and
   * stale, and an Error (the API server's 422) naming a container the template lacks, changing nothing.
   * A patch that changes nothing leaves the template (and its revision) as it is.
   */
  updatePodTemplate(
    namespace: string,
    name: string,
    containers: readonly {
      name: string;
      requests?: Record<string, string>;
      limits?: Record<string, string>;
    }[],
    resourceVersion?: string,
  ): void {
    const record = this.workloads.get(workloadKey(namespace, name));
    if (!record) throw new NotFoundError(`workload ${namespace}/${name} not found`);
    if (resourceVersion !== undefined && resourceVersion !== record.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${record.kind.toLowerCase()}s "${name}": the object has been ` +
          'modified; please apply your changes to the latest version and try again',
      );
    }
    const unknown = containers.filter((c) => !record.containers.some((t) => t.name === c.name));
    if (unknown.length > 0) {
      throw new Error(
        `${record.kind} ${namespace}/${name} is invalid: spec.template.spec.containers: ` +
          `no container named ${unknown.map((c) => c.name).join(', ')}`,
      );
    }
    const next = record.containers.map((container) => {
      const change = containers.find((c) => c.name === container.name);
      return change
        ? {
            name: container.name,
            requests: { ...container.requests, ...change.requests },
            limits: { ...container.limits, ...change.limits },
          }
        : container;
    });
    if (JSON.stringify(next) === JSON.stringify(record.containers)) return;
    this.applyTemplate(record, next, record.templateRevision + 1);
    record.generation++;
    record.resourceVersion = this.nextResourceVersion();
    this.reconcile();
  }

  // ---- the world: DaemonSets and volumes ---------------------------------------------------------

  /**
   * Adds a DaemonSet: from the next reconcile on, each Ready node that admits its template (node
   * selector, required node affinity, taints against the template's and the daemon pod tolerations) gets
   * one pod, pinned to it. `warm: true` places the pods on today's nodes at once, Ready since
   * `WARM_POD_AGE_MS` ago (add DaemonSets before warm workloads, as their pods were there first).
   */
  addDaemonSet(spec: DaemonSetSpec, options: { warm?: boolean } = {}): DaemonSet {
    const key = workloadKey(spec.namespace, spec.name);
    if (this.daemonSets.has(key)) throw new Error(`DaemonSet ${key} exists`);
    const workload = this.newWorkloadRecord(daemonWorkloadSpec(spec));
    // The template as stored: a PriorityClass is resolved only on the pods, as in a real cluster.
    const template = templateScheduling({ ...spec, priority: undefined });
    const record: DaemonSetRecord = {
      workload,
      view: deepFreeze({
        namespace: spec.namespace,
        name: spec.name,
        uid: workload.uid,
        containers: workload.containers,
        initContainers: [],
        ...(template ? { scheduling: template } : {}),
      }),
      admission: {
        ...workload.podRequirements,
        tolerations: daemonPodTolerations(workload.podScheduling),
      },
      podsByNode: new Map(),
    };
    this.daemonSets.set(key, record);
    this.workloadsVersion++;
    if (options.warm) {
      const now = this.clock.now();
      this.warmUp(this.runDaemonSetController(record, now, now - WARM_POD_AGE_MS));
    }
    this.daemonSetsDirty = true;
    this.reconcile();
    return record.view;
  }

  // ---- the world: PodDisruptionBudgets -----------------------------------------------------------

  /**
   * Adds a budget (a `kubectl apply` of a policy/v1 PodDisruptionBudget). Its status follows the pods it
   * selects at every read, as if the disruption controller synced it at once. Throws for a taken name
   * or a budget the API server would reject.
   */
  addPodDisruptionBudget(spec: DisruptionBudgetSpec): PodDisruptionBudget {
    const key = workloadKey(spec.namespace, spec.name);
    if (this.budgets.has(key)) throw new Error(`PodDisruptionBudget ${key} exists`);
    validateBudget(spec);
    const viewSelector = spec.selector ? deepFreeze(jsonCopy(spec.selector)) : undefined;
    const record: BudgetRecord = {
      spec: deepFreeze(jsonCopy(spec)),
      selector: selectorFromLabelSelector(spec.selector),
      ...(viewSelector ? { viewSelector } : {}),
    };
    this.budgets.set(key, record);
    return Object.freeze({
      namespace: spec.namespace,
      name: spec.name,
      ...(viewSelector ? { selector: viewSelector } : {}),
      disruptionsAllowed: this.statusOf(record).disruptionsAllowed,
    });
  }

  removePodDisruptionBudget(namespace: string, name: string): boolean {
    return this.budgets.delete(workloadKey(namespace, name));
  }

  /** A budget's status as the disruption controller would write it now; undefined for an unknown one. */
  podDisruptionBudgetStatus(namespace: string, name: string): DisruptionBudgetStatus | undefined {
    const budget = this.budgets.get(workloadKey(namespace, name));
    return budget ? this.statusOf(budget) : undefined;
  }

  /** A claim by namespace and name, e.g. a StatefulSet pod's `data-db-0`. */
  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.get(workloadKey(namespace, name));
  }

  // ---- the world: autoscalers ------------------------------------------------------------------

  addAutoscaler(input: AutoscalerInput): AutoscalerObject {
    const kind = input.kind ?? 'HorizontalAutoscaler';
    const key = this.autoscalerKey(kind, input.namespace, input.name);
    if (this.autoscalers.has(key)) throw new Error(`${kind} ${input.namespace}/${input.name} exists`);
    const object: AutoscalerObject = deepFreeze({
      kind,
      apiVersion: input.apiVersion ?? defaultAutoscalerApiVersion(kind),
      namespace: input.namespace,
      name: input.name,
      uid: this.newUid(),
      generation: 1,
      resourceVersion: this.nextResourceVersion(),
      labels: { ...input.labels },
      annotations: { ...input.annotations },
      creationTimestamp: this.clock.now(),
      spec: jsonCopy(input.spec),
      ...(input.status ? { status: jsonCopy(input.status) } : {}),
      statusManagers: (input.statusManagers ?? []).map((entry) => ({ ...entry })),
    });
    this.autoscalers.set(key, object);
    return object;
  }

  /** Replaces an autoscaler's spec (a `kubectl apply`): generation and resourceVersion go up. */
  updateAutoscalerSpec(
    kind: AutoscalerKind,
    namespace: string,
    name: string,
    spec: unknown,
  ): AutoscalerObject {
    const key = this.autoscalerKey(kind, namespace, name);
    const current = this.autoscalers.get(key);
    if (!current) throw new NotFoundError(`${kind} ${namespace}/${name} not found`);
    const next = deepFreeze({
      ...current,
      spec: jsonCopy(spec),
      generation: current.generation + 1,
      resourceVersion: this.nextResourceVersion(),
    });
    this.autoscalers.set(key, next);
    return next;
  }

  getAutoscaler(kind: AutoscalerKind, namespace: string, name: string): AutoscalerObject | undefined {
    return this.autoscalers.get(this.autoscalerKey(kind, namespace, name));
  }

  // ---- time --------------------------------------------------------------------------------------

  /**
   * Brings the cluster to the clock's time: pods whose delays passed start or become Ready, terminating
   * pods go, workload controllers create and delete pods for spec.replicas, the scheduler binds
   * unscheduled pods, and workload statuses follow (a change bumps the resourceVersion, as in a real
   * cluster). Port calls do this by themselves when the clock has moved.
   */
  reconcile(): void {
    const now = this.clock.now();
    this.integrate(this.lastReconcileAt, now);
    this.lastReconcileAt = now;
    this.playContainerEvents(now);
    for (let pass = 0; pass < MAX_RECONCILE_PASSES; pass++) {
      this.advancePods(now);
      const changed = this.runWorkloadControllers(now);
      this.runDaemonSetControllers(now);
      this.schedule(now);
      if (!changed) break;
    }
    if (this.statusDue.size > 0) {
      for (const workload of this.workloads.values()) {
        if (this.statusDue.delete(workload)) this.updateStatus(workload);
      }
    }
    this.nextEvent = Math.min(this.oom.nextEventAt(), this.podTransitions.nextAt());
  }

  /** Reconciles if the clock moved since the last reconcile (port calls do this first). */
  sync(): void {
    if (this.clock.now() > this.lastReconcileAt) this.reconcile();
  }

  /** When something next happens by itself (a pod starts, becomes Ready or is gone); Infinity if never. */
  nextEventAt(): number {
    return this.nextEvent;
  }

  // ---- observation -------------------------------------------------------------------------------

  /** Events written through the port, oldest first. */
  events(): readonly KubeEvent[] {
    return this.recordedEvents;
  }

  /** Every change of spec.replicas, oldest first. */
  rescales(): readonly RescaleRecord[] {
    return this.rescaleLog;
  }

  /** Evictions, refusals, lost pods and budget violations over the whole run. */
  disruptionStats(): DisruptionStats {
    return { ...this.disruption };
  }

  /** Every OOM kill so far (containers with a memory need), oldest first. */
  oomKills(): readonly OomKill[] {
    return this.oom.log();
  }

  /** Pod-seconds that pods spent unscheduled, summed over the whole run. */
  pendingPodSeconds(): number {
    return this.totalPendingPodSeconds;
  }

  workloadKeys(): string[] {
    return [...this.workloads.keys()];
  }

  /** The simulator's own record (read-only use: metric sources, the driver). */
  workloadRecord(key: string): WorkloadRecord | undefined {
    return this.workloads.get(key);
  }

  workloadRecords(): IterableIterator<WorkloadRecord> {
    return this.workloads.values();
  }

  /** The state of a workload now; throws for an unknown key (`namespace/name`). */
  workloadSnapshot(key: string): WorkloadSnapshot {
    const workload = this.workloads.get(key);
    if (!workload) throw new NotFoundError(`workload ${key} not found`);
    const now = this.clock.now();
    const counts: Record<PodState, number> = {
      Unscheduled: 0,
      Starting: 0,
      Running: 0,
      Ready: 0,
      Terminating: 0,
    };
    let readyCpuRequest = 0;
    for (const pod of workload.pods) {
      counts[pod.viewState]++;
      if (pod.viewState === 'Ready') readyCpuRequest += pod.requirements.cpuMillis;
    }
    const rps = servedRps(workload, now);
    let usage = 0;
    const noiseKey = Math.floor(now / METRICS_RESOLUTION_MS);
    for (const pod of workload.pods) {
      if (pod.viewState !== 'Ready') continue;
      for (const container of podUsage(
        workload,
        'Ready',
        counts.Ready,
        rps,
        this.seed,
        pod.serial,
        noiseKey,
      )) {
        usage += container.cpuMillis;
      }
    }
    return {
      key,
      namespace: workload.namespace,
      name: workload.name,
      kind: workload.kind,
      rps: workload.spec.load(now),
      specReplicas: workload.specReplicas,
      statusReplicas: workload.statusReplicas,
      unscheduledPods: counts.Unscheduled,
      startingPods: counts.Starting,
      runningPods: counts.Running,
      readyPods: counts.Ready,
      terminatingPods: counts.Terminating,
      readyCpuUsageMillis: usage,
      readyCpuRequestMillis: readyCpuRequest,
      ...(workload.spec.queue ? { queueLength: workload.queueLength } : {}),
    };
  }

  clusterSnapshot(): ClusterSnapshot {
    let readyNodes = 0;
    let allocatable = 0;
    let requested = 0;
    for (const node of this.nodes.values()) {
      if (node.ready) readyNodes++;
      allocatable += node.allocatableCpuMillis;
      requested += node.usedCpuMillis;
    }
    return {
      nodes: this.nodes.size,
      readyNodes,
      pods: this.pods.size,
      unscheduledPods: this.unscheduled.size,
      cpuAllocatableMillis: allocatable,
      cpuRequestedMillis: requested,
    };
  }

  /** Ready pods of a workload now. */
  readyPodCount(workload: WorkloadRecord): number {
    let ready = 0;
    for (const pod of workload.pods) if (pod.viewState === 'Ready') ready++;
    return ready;
  }

  /** The pod's state as of a past scrape (it may have become Ready or been deleted since). */
  stateAtScrape(pod: PodRecord, scrapedAt: number): PodState {
    if (pod.deletedAt !== undefined && pod.deletedAt <= scrapedAt) return 'Terminating';
    if (pod.readyAt !== undefined && pod.readyAt <= scrapedAt) return 'Ready';
    if (pod.runningAt !== undefined && pod.runningAt <= scrapedAt) return 'Running';
    return pod.node ? 'Starting' : 'Unscheduled';
  }

  /** When metrics-server last scraped the node (each node on its own 15-s phase). */
  scrapeTime(node: NodeRecord, now: number): number {
    let offset = this.scrapeOffsets.get(node);
    if (offset === undefined) {
      offset = hashString(node.name) % METRICS_RESOLUTION_MS;
      this.scrapeOffsets.set(node, offset);
    }
    return Math.floor((now - offset) / METRICS_RESOLUTION_MS) * METRICS_RESOLUTION_MS + offset;
  }

  // ---- knobs and counters ----------------------------------------------------------------------

  /** Counts of port calls and of the requests a real adapter would have sent. */
  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /**
   * The next `times` calls of `method` fail with `error` (default: a generic error, like a 500), after
   * being counted.
   *
   * @example
   * cluster.failNext('updateScale', 1, new ConflictError('simulated conflict'));
   */
  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  clearFailures(): void {
    this.api.clearFailures();
  }

  /** Whether metrics.k8s.io is served (when not, `listPodMetrics` returns an empty list). */
  setMetricsApiServed(served: boolean): void {
    this.metricsApiServed = served;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private call(method: PortMethod, requests: string | Record<string, number>): void {
    this.sync();
    this.api.call(method, requests);
  }

  private nextResourceVersion(): string {
    this.revision++;
    return String(this.revision);
  }

  private newUid(): string {
    const n = this.uidCounter++;
    const a = mix32(this.seed, n, 1).toString(16).padStart(8, '0');
    const b = mix32(this.seed, n, 2).toString(16).padStart(8, '0');
    const c = mix32(this.seed, n, 3).toString(16).padStart(8, '0');
    const d = mix32(this.seed, n, 4).toString(16).padStart(8, '0');
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  private autoscalerKey(kind: string, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  /** The workload a target names; like upstream, any `apps/*` version means the served apps/v1. */
  private findTarget(target: ScaleTargetKey): WorkloadRecord | undefined {
    const apiVersion = isListableTarget(target) ? 'apps/v1' : target.apiVersion;
    return this.workloadsByTarget.get(scaleTargetKeyString({ ...target, apiVersion }));
  }

  private scaleOf(workload: WorkloadRecord, target?: ScaleTargetKey): Scale {
    return Object.freeze({
      target: Object.freeze(
        target
          ? { ...target }
          : {
              namespace: workload.namespace,
              apiVersion: workload.apiVersion,
              kind: workload.kind,
              name: workload.name,
            },
      ),
      specReplicas: workload.specReplicas,
      statusReplicas: workload.statusReplicas,
      selector: workload.selector,
      resourceVersion: workload.resourceVersion,
    });
  }

  private setSpecReplicas(workload: WorkloadRecord, replicas: number, via: RescaleRecord['via']): void {
    if (replicas === workload.specReplicas) return;
    const record: RescaleRecord = {
      time: this.clock.now(),
      namespace: workload.namespace,
      kind: workload.kind,
      name: workload.name,
      from: workload.specReplicas,
      to: replicas,
      via,
    };
    workload.specReplicas = replicas;
    this.touch(workload);
    workload.generation++;
    workload.resourceVersion = this.nextResourceVersion();
    workload.rescales.push(record);
    this.rescaleLog.push(record);
    // The workload controller and the scheduler react within milliseconds in a real cluster.
    this.reconcile();
  }

  private changeNode(name: string, change: (node: NodeRecord) => void): void {
    const node = this.nodes.get(name);
    if (!node) throw new NotFoundError(`node ${name} not found`);
    change(node);
    refreshNodeView(node);
    this.schedulingDirty = true;
    this.daemonSetsDirty = true;
  }

  private updateStatus(workload: WorkloadRecord): void {
    let active = 0;
    let ready = 0;
    for (const pod of workload.pods) {
      if (pod.viewState === 'Terminating') continue;
      active++;
      if (pod.viewState === 'Ready') ready++;
    }
    if (active !== workload.statusReplicas || ready !== workload.readyReplicas) {
      workload.statusReplicas = active;
      workload.readyReplicas = ready;
      workload.resourceVersion = this.nextResourceVersion();
    }
  }

  private integrate(from: number, to: number): void {
    if (to <= from) return;
    const seconds = (to - from) / 1000;
    this.totalPendingPodSeconds += this.unscheduled.size * seconds;
    for (const pod of this.unscheduled) pod.workload.pendingPodSeconds += seconds;
    for (const workload of this.workloads.values()) {
      const queue = workload.spec.queue;
      if (!queue) continue;
      const capacity = this.readyPodCount(workload) * queue.capacityPerPod;
      for (let t = from; t < to; t += QUEUE_STEP_MS) {
        const dt = (Math.min(to, t + QUEUE_STEP_MS) - t) / 1000;
        const arrival = workload.spec.load(t + (dt * 1000) / 2);
        const served = Math.min(capacity, arrival + workload.queueLength / dt);
        workload.servedRps = served;
        workload.queueLength = Math.max(0, workload.queueLength + (arrival - served) * dt);
      }
    }
  }

  private advancePods(now: number): void {
    for (let pod = this.podTransitions.popDue(now); pod; pod = this.podTransitions.popDue(now)) {
      if (pod.goneAt !== undefined && pod.goneAt <= now) this.removePod(pod);
      else this.refreshView(pod, now);
    }
  }

  /** Rebuilds a pod's view (see `refreshPodView`), keeping the transition queue and the workload's flags. */
  private refreshView(pod: PodRecord, now: number, force = false): void {
    const before = pod.nextChangeAt;
    if (refreshPodView(pod, now, force)) this.podViews = undefined;
    if (pod.nextChangeAt !== before) this.podTransitions.push(pod.nextChangeAt, pod);
    this.touch(pod.workload);
  }

  /** Something of the workload's changed: its controller and status are looked at in the next reconcile. */
  private touch(workload: WorkloadRecord): void {
    this.controllersDue.add(workload);
    this.statusDue.add(workload);
  }

  private runWorkloadControllers(now: number, burst = false): boolean {
    let changed = false;
    for (const workload of this.workloads.values()) {
      if (!this.controllersDue.has(workload)) continue;
      if (this.applyPlan(workload, now, burst)) changed = true;
      else this.controllersDue.delete(workload);
    }
    return changed;
  }

  private applyPlan(workload: WorkloadRecord, now: number, burst: boolean): boolean {
    const plan = planWorkload(workload, now, burst);
    for (const ordinal of plan.create) this.createPod(workload, ordinal, now);
    for (const pod of plan.delete) this.deletePod(pod, now);
    return plan.create.length > 0 || plan.delete.length > 0;
  }

  private runDaemonSetControllers(now: number): void {
    if (!this.daemonSetsDirty) return;
    this.daemonSetsDirty = false;
    for (const daemonSet of this.daemonSets.values()) this.runDaemonSetController(daemonSet, now, now);
  }

  /** Creates the pods a DaemonSet lacks on Ready nodes that admit it; returns them. */
  private runDaemonSetController(daemonSet: DaemonSetRecord, now: number, createdAt: number): PodRecord[] {
    const created: PodRecord[] = [];
    for (const node of this.nodes.values()) {
      if (!node.ready || daemonSet.podsByNode.has(node.name) || !admits(node, daemonSet.admission)) continue;
      const pod = this.createPod(daemonSet.workload, -1, now, createdAt, node.name);
      daemonSet.podsByNode.set(node.name, pod);
      created.push(pod);
    }
    return created;
  }

  private createPod(
    workload: WorkloadRecord,
    ordinal: number,
    now: number,
    createdAt = now,
    daemonSetNode?: string,
  ): PodRecord {
    let name: string;
    let labels = workload.podLabels;
    if (workload.kind === 'StatefulSet') {
      name = `${workload.name}-${ordinal}`;
      labels = Object.freeze({
        ...workload.podLabels,
        'apps.kubernetes.io/pod-index': String(ordinal),
        'statefulset.kubernetes.io/pod-name': name,
      });
    } else {
      // Upstream names a DaemonSet's pods after the DaemonSet, a ReplicaSet's after the ReplicaSet.
      const prefix =
        workload.kind === 'DaemonSet' ? workload.name : `${workload.name}-${workload.templateHash}`;
      const taken = new Set(Array.from(workload.pods, (pod) => pod.name));
      do {
        name = `${prefix}-${randomSuffix(workload.nextRandom, 5)}`;
      } while (taken.has(name));
    }
    const { scheduling, requirements } = this.podConstraints(workload, ordinal, labels, daemonSetNode);
    const pod: PodRecord = {
      uid: this.newUid(),
      name,
      workload,
      ordinal,
      serial: this.serial++,
      createdAt,
      labels,
      templateRevision: workload.templateRevision,
      containers: workload.containers,
      ownerReferences: workload.podOwnerReferences,
      ...(scheduling ? { scheduling } : {}),
      requirements,
      ...(daemonSetNode !== undefined ? { daemonSetNode } : {}),
      view: undefined as unknown as Pod,
      viewState: 'Unscheduled',
      nextChangeAt: Number.POSITIVE_INFINITY,
    };
    this.refreshView(pod, now);
    this.pods.add(pod);
    this.podViews = undefined;
    this.podsByName.set(workloadKey(workload.namespace, name), pod);
    workload.pods.add(pod);
    this.unscheduled.add(pod);
    this.schedulingDirty = true;
    return pod;
  }

  /**
   * A pod's constraints: the template's, shared by every pod with the workload's labels; a daemon pod
   * pinned to its node; a StatefulSet pod with its claim, whose volume's zone it must run in.
   */
  private podConstraints(
    workload: WorkloadRecord,
    ordinal: number,
    labels: Readonly<Record<string, string>>,
    daemonSetNode: string | undefined,
  ): { scheduling: PodScheduling | undefined; requirements: PodRequirements } {
    let scheduling = workload.podScheduling;
    let volumeZones: string[][] | undefined;
    if (daemonSetNode !== undefined) {
      scheduling = deepFreeze(daemonPodScheduling(workload.podScheduling, daemonSetNode));
    } else if (workload.spec.volumeClaim) {
      const claim = this.claimFor(workload, workload.spec.volumeClaim, ordinal);
      scheduling = deepFreeze({ ...workload.podScheduling, persistentVolumeClaims: [claim.name] });
      volumeZones = [[...(this.volumes.get(claim.volumeName ?? '')?.zones ?? [])]];
    } else if (labels === workload.podLabels) {
      return { scheduling, requirements: workload.podRequirements };
    }
    const requirements = podRequirements({
      namespace: workload.namespace,
      labels,
      cpuMillis: workload.podCpuRequestMillis,
      memoryBytes: workload.podMemoryRequestBytes,
      ...(scheduling ? { scheduling } : {}),
      ...(volumeZones ? { volumeZones } : {}),
    });
    return { scheduling, requirements };
  }

  /**
   * The claim of a StatefulSet's pod, provisioned and bound on first use (a PV named `pvc-<uid>`, as
   * dynamic provisioning names them), then reused by every later pod of that ordinal.
   */
  private claimFor(
    workload: WorkloadRecord,
    template: VolumeClaimTemplate,
    ordinal: number,
  ): PersistentVolumeClaim {
    const name = volumeClaimName(template, workload.name, ordinal);
    const key = workloadKey(workload.namespace, name);
    const existing = this.claims.get(key);
    if (existing) return existing;
    const zone = template.zones[ordinal % template.zones.length] as string;
    const volume: PersistentVolume = deepFreeze({ name: `pvc-${this.newUid()}`, zones: [zone] });
    const claim: PersistentVolumeClaim = deepFreeze({
      namespace: workload.namespace,
      name,
      volumeName: volume.name,
      phase: 'Bound',
    });
    this.volumes.set(volume.name, volume);
    this.claims.set(key, claim);
    return claim;
  }

  /** Deletes a pod (its controller scales down): it terminates within its own grace period. */
  private deletePod(pod: PodRecord, now: number): void {
    this.terminatePod(pod, now, this.gracePeriodOf(pod));
  }

  private gracePeriodOf(pod: PodRecord): number {
    return pod.workload.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }

  /**
   * A running pod terminates: it exits after `terminationSeconds` or is killed when the grace period
   * ends, whichever is first; any other pod is gone at once. Deleting a terminating pod again can only
   * shorten its termination, as with the API server.
   */
  private terminatePod(pod: PodRecord, now: number, graceSeconds: number): void {
    if (pod.runningAt === undefined || pod.runningAt > now) {
      this.removePod(pod);
      return;
    }
    // A terminating container is not restarted; an OOM kill in its last seconds would change nothing.
    this.oom.stop(pod);
    const exitSeconds = pod.workload.spec.terminationSeconds ?? WORKLOAD_DEFAULTS.terminationSeconds;
    const goneAt = now + Math.min(exitSeconds, graceSeconds) * 1000;
    pod.goneAt = pod.deletedAt === undefined ? goneAt : Math.min(pod.goneAt ?? goneAt, goneAt);
    pod.deletedAt ??= now;
    this.refreshView(pod, now);
  }

  /** The budgets that select the pod. */
  private budgetsOf(pod: PodRecord): BudgetRecord[] {
    const namespace = pod.workload.namespace;
    const out: BudgetRecord[] = [];
    for (const budget of this.budgets.values()) {
      if (budget.spec.namespace === namespace && selectorMatches(budget.selector, pod.labels)) {
        out.push(budget);
      }
    }
    return out;
  }

  /** The eviction subresource's check of one budget for a running pod (`Ready` or not). */
  private evictionAllowed(budget: BudgetRecord, ready: boolean): boolean {
    const status = this.statusOf(budget);
    if (!ready) {
      if (budget.spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true;
      if (status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy) return true;
    }
    return status.disruptionsAllowed > 0;
  }

  private statusOf(budget: BudgetRecord): DisruptionBudgetStatus {
    return budgetStatus(budget.spec, this.countPods(budget));
  }

  /** The selected pods as the disruption controller counts them. */
  private countPods(budget: BudgetRecord): BudgetPodCounts {
    const now = this.clock.now();
    const counts: BudgetPodCounts = { pods: 0, healthy: 0, controllerScale: 0 };
    const add = (workload: WorkloadRecord, pods: Iterable<PodRecord>) => {
      let selected = 0;
      for (const pod of pods) {
        selected++;
        if (podStateAt(pod, now) === 'Ready') counts.healthy++;
      }
      if (selected === 0) return;
      counts.pods += selected;
      const daemonSet = this.daemonSets.get(workload.key);
      counts.controllerScale +=
        daemonSet?.workload === workload ? daemonSet.podsByNode.size : workload.specReplicas;
    };
    const { whole, perPod } = this.selectedWorkloads(budget);
    for (const workload of whole) add(workload, workload.pods);
    for (const workload of perPod) {
      add(
        workload,
        [...workload.pods].filter((pod) => selectorMatches(budget.selector, pod.labels)),
      );
    }
    return counts;
  }

  private selectedWorkloads(budget: BudgetRecord): NonNullable<BudgetRecord['matched']> {
    if (budget.matched?.version === this.workloadsVersion) return budget.matched;
    const matched: NonNullable<BudgetRecord['matched']> = {
      version: this.workloadsVersion,
      whole: [],
      perPod: [],
    };
    const all = [
      ...this.workloads.values(),
      ...Array.from(this.daemonSets.values(), (daemonSet) => daemonSet.workload),
    ];
    for (const workload of all) {
      if (workload.namespace !== budget.spec.namespace || budget.selector.matchesNothing) continue;
      if (workload.kind === 'StatefulSet') matched.perPod.push(workload);
      else if (selectorMatches(budget.selector, workload.podLabels)) matched.whole.push(workload);
    }
    budget.matched = matched;
    return matched;
  }

  /**
   * Counts the pods a vanishing node takes with it: those not evicted first are lost, and a lost Ready
   * pod whose budget had no disruption left violated it (counted before any of them is removed).
   */
  private recordLoss(pods: readonly PodRecord[]): void {
    const now = this.clock.now();
    const lost = pods.filter((pod) => pod.deletedAt === undefined && pod.daemonSetNode === undefined);
    this.disruption.podsLost += lost.length;
    const left = new Map<BudgetRecord, number>();
    for (const pod of lost) {
      if (podStateAt(pod, now) !== 'Ready') continue;
      let violated = false;
      for (const budget of this.budgetsOf(pod)) {
        const allowed = left.get(budget) ?? this.statusOf(budget).disruptionsAllowed;
        if (allowed <= 0) violated = true;
        left.set(budget, allowed - 1);
      }
      if (violated) this.disruption.pdbViolations++;
    }
  }

  private removePod(pod: PodRecord): void {
    this.oom.stop(pod);
    if (pod.node) releasePod(pod.node, pod);
    this.pods.delete(pod);
    this.podViews = undefined;
    const key = workloadKey(pod.workload.namespace, pod.name);
    if (this.podsByName.get(key) === pod) this.podsByName.delete(key);
    this.unscheduled.delete(pod);
    pod.workload.pods.delete(pod);
    this.touch(pod.workload);
    this.schedulingDirty = true;
    if (pod.daemonSetNode !== undefined) {
      const daemonSet = this.daemonSets.get(pod.workload.key);
      if (daemonSet?.podsByNode.get(pod.daemonSetNode) === pod)
        daemonSet.podsByNode.delete(pod.daemonSetNode);
      this.daemonSetsDirty = true;
    }
  }

  /**
   * One pass of kube-scheduler's queue: higher priority first, then older first. A pod that finds no
   * node marks its requirements as failed for the pass, so its identical siblings skip the search.
   */
  private schedule(now: number): void {
    if (!this.schedulingDirty) return;
    this.schedulingDirty = false;
    const queue = [...this.unscheduled].sort(
      (a, b) =>
        (b.requirements.priority ?? 0) - (a.requirements.priority ?? 0) ||
        a.createdAt - b.createdAt ||
        a.serial - b.serial,
    );
    const failed = new Set<PodRequirements>();
    for (const pod of queue) {
      const node = failed.has(pod.requirements)
        ? undefined
        : chooseNode(this.nodes.values(), pod.requirements, this.scheduling);
      if (!node) {
        failed.add(pod.requirements);
        if (pod.unschedulableSince === undefined) {
          pod.unschedulableSince = now;
          this.refreshView(pod, now, true);
        }
        continue;
      }
      this.bind(pod, node, now);
    }
  }

  private bind(pod: PodRecord, node: NodeRecord, boundAt: number): void {
    const spec = pod.workload.spec;
    const startup = (spec.startupSeconds ?? WORKLOAD_DEFAULTS.startupSeconds) * 1000;
    const readiness = (spec.readinessSeconds ?? WORKLOAD_DEFAULTS.readinessSeconds) * 1000;
    pod.node = node;
    pod.boundAt = boundAt;
    pod.runningAt = boundAt + Math.round(startup * (1 + DELAY_JITTER * signedHash(this.seed, pod.serial, 1)));
    pod.readyAt =
      pod.runningAt + Math.round(readiness * (1 + DELAY_JITTER * signedHash(this.seed, pod.serial, 2)));
    delete pod.unschedulableSince;
    assignPod(node, pod);
    this.unscheduled.delete(pod);
    this.startContainerRuns(pod);
    this.refreshView(pod, this.clock.now());
  }

  /** Starts watching the pod's containers that have a memory need, from when they run. */
  private startContainerRuns(pod: PodRecord): void {
    const runs = [];
    for (const spec of pod.workload.spec.containers) {
      if (!spec.memoryNeed || pod.runningAt === undefined) continue;
      const limit = pod.containers.find((c) => c.name === spec.name)?.limits.memory;
      runs.push(
        startRun(
          spec.name,
          spec.memoryNeed,
          limit === undefined ? undefined : parseQuantityNumber(limit),
          pod.runningAt,
        ),
      );
    }
    if (runs.length === 0) return;
    pod.containerRuns = runs;
    this.oom.track(
      pod,
      { namespace: pod.workload.namespace, pod: pod.name, workload: pod.workload.key },
      runs,
    );
  }

  /**
   * Plays the OOM kills and restarts due by `now`: a killed container makes its pod unready until it has
   * restarted and passed its readiness delay again.
   */
  private playContainerEvents(now: number): void {
    for (const event of this.oom.advance(now)) {
      if (event.kind !== 'kill') continue;
      const pod = event.owner;
      const readiness = (pod.workload.spec.readinessSeconds ?? WORKLOAD_DEFAULTS.readinessSeconds) * 1000;
      const readyAgain = event.run.next.at + readiness;
      if (pod.readyAt === undefined || pod.readyAt < readyAgain) pod.readyAt = readyAgain;
      this.refreshView(pod, now, true);
    }
  }

  /**
   * Places pods created `WARM_POD_AGE_MS` ago as if they had been running since (a daemon pod only on
   * its own node); those that find no room stay unscheduled.
   */
  private warmUp(pods: readonly PodRecord[]): void {
    for (const pod of pods) {
      const pinned = pod.daemonSetNode === undefined ? undefined : this.nodes.get(pod.daemonSetNode);
      const node = pinned
        ? fits(pinned, pod.requirements)
          ? pinned
          : undefined
        : chooseNode(this.nodes.values(), pod.requirements, this.scheduling);
      if (node) this.bind(pod, node, pod.createdAt);
    }
  }

  /**
   * Makes `containers` the workload's template at `revision`: what new pods request, and for a
   * Deployment a new ReplicaSet (hash, pod label, owner) as the Deployment controller creates one.
   */
  private applyTemplate(record: WorkloadRecord, containers: readonly Container[], revision: number): void {
    const frozen = deepFreeze(
      containers.map((c) => ({ name: c.name, requests: { ...c.requests }, limits: { ...c.limits } })),
    );
    const requests = sumRequests(frozen);
    const main = frozen[0];
    this.touch(record);
    record.templateRevision = revision;
    record.containers = frozen;
    record.podCpuRequestMillis = requests.cpuMillis;
    record.podMemoryRequestBytes = requests.memoryBytes;
    record.mainCpuRequestMillis = main ? sumRequests([main]).cpuMillis : 0;
    record.mainCpuLimitMillis = main?.limits.cpu
      ? sumRequests([{ ...main, requests: main.limits }]).cpuMillis
      : 0;
    if (record.kind === 'Deployment') {
      record.templateHash = randomSuffix(
        createRandom(mix32(this.seed, hashString(record.key), revision)),
        10,
      );
      record.podLabels = Object.freeze({ ...record.matchLabels, 'pod-template-hash': record.templateHash });
      record.podOwnerReferences = deepFreeze([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${record.name}-${record.templateHash}`,
          uid: this.newUid(),
          controller: true,
        },
      ]);
    }
    record.podRequirements = podRequirements({
      namespace: record.namespace,
      labels: record.podLabels,
      cpuMillis: requests.cpuMillis,
      memoryBytes: requests.memoryBytes,
      ...(record.podScheduling ? { scheduling: record.podScheduling } : {}),
    });
  }

  /** A workload's record; throws for constraints the simulated scheduler cannot honour. */
  private newWorkloadRecord(spec: WorkloadSpec): WorkloadRecord {
    const key = workloadKey(spec.namespace, spec.name);
    if (spec.containers.length === 0) throw new Error(`workload ${key} has no containers`);
    const kind = spec.kind ?? WORKLOAD_DEFAULTS.kind;
    const apiVersion = spec.apiVersion ?? WORKLOAD_DEFAULTS.apiVersion;
    const uid = this.newUid();
    const templateHash = randomSuffix(createRandom(mix32(this.seed, hashString(key))), 10);
    const matchLabels = Object.freeze({ ...(spec.labels ?? { app: spec.name }) });
    const podLabels =
      kind === 'Deployment'
        ? Object.freeze({ ...matchLabels, 'pod-template-hash': templateHash })
        : matchLabels;
    const containers = deepFreeze(
      spec.containers.map((container) => ({
        name: container.name,
        requests: { ...container.requests },
        limits: { ...container.limits },
      })),
    );
    const owner =
      kind === 'Deployment'
        ? {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${spec.name}-${templateHash}`,
            uid: this.newUid(),
          }
        : { apiVersion, kind, name: spec.name, uid };
    const requests = sumRequests(containers);
    const main = containers[0];
    const podScheduling = deepFreeze(templateScheduling(spec));
    const podRequirementsOfTemplate = podRequirements({
      namespace: spec.namespace,
      labels: podLabels,
      cpuMillis: requests.cpuMillis,
      memoryBytes: requests.memoryBytes,
      ...(podScheduling ? { scheduling: podScheduling } : {}),
    });
    return {
      spec,
      key,
      namespace: spec.namespace,
      name: spec.name,
      kind,
      apiVersion,
      uid,
      matchLabels,
      selector: selectorToString(selectorFromLabelSelector({ matchLabels })),
      templateHash,
      containers,
      podAnnotations: Object.freeze({ ...spec.annotations }),
      podOwnerReferences: deepFreeze([{ ...owner, controller: true }]),
      podLabels,
      ...(spec.localVolumes?.length ? { podLocalVolumes: Object.freeze([...spec.localVolumes]) } : {}),
      ...(podScheduling ? { podScheduling } : {}),
      podRequirements: podRequirementsOfTemplate,
      podCpuRequestMillis: requests.cpuMillis,
      podMemoryRequestBytes: requests.memoryBytes,
      mainCpuRequestMillis: main ? sumRequests([main]).cpuMillis : 0,
      mainCpuLimitMillis: main?.limits.cpu ? sumRequests([{ ...main, requests: main.limits }]).cpuMillis : 0,
      specReplicas: spec.replicas,
      templateRevision: 1,
      generation: 1,
      resourceVersion: this.nextResourceVersion(),
      statusReplicas: 0,
      readyReplicas: 0,
      pods: new Set(),
      nextRandom: createRandom(mix32(this.seed, hashString(key), 7)),
      queueLength: 0,
      servedRps: 0,
      pendingPodSeconds: 0,
      rescales: [],
    };
  }
}
