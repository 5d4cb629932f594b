/**
 * VerticalPodAutoscalers of the simulated cluster behind the same `VpaPort` the real adapter implements
 * (shared/adapters/kubernetes/vertical-pod-autoscalers.ts): `autoscaling.k8s.io/v1` objects whose status
 * the VPA loop writes, and the pod templates of the cluster's workloads, which it reads and patches. A
 * patch changes the workload's template in the cluster, whose controller then rolls the pods
 * (rolling-update.ts), so a resize costs what it costs in a real cluster.
 *
 * Same semantics as the adapter where the loop depends on them: a status write replaces the status of
 * an existing VPA (`NotFoundError` otherwise); a template read of a missing workload is undefined; a
 * patch with a stale resourceVersion is a `ConflictError`, of a container the template lacks an error
 * that changes nothing (the API server's 422), of a kind outside apps/v1 a `MalformedObjectError`.
 * Simulator limits: DaemonSets are not resized (a VPA on one reads as a missing target).
 *
 * Every call is counted (and can be told to fail), every status write, template patch and pod resize
 * recorded.
 */
import {
  MalformedObjectError,
  NotFoundError,
  type ResourceList,
  type ScaleTargetKey,
} from '../ports/kubernetes';
import type {
  ContainerResources,
  PodResizeResult,
  VpaObject,
  VpaPort,
  VpaStatus,
  VpaWorkloadKind,
  WorkloadTemplate,
} from '../ports/vertical-pod-autoscalers';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimCluster } from './cluster';
import { workloadKey } from './workload';

export const VPA_API_VERSION = 'autoscaling.k8s.io/v1';
const VPA_RESOURCE = 'verticalpodautoscalers.autoscaling.k8s.io';
/** The apps/v1 kinds the simulator resizes, and their resources (for the request counts). */
const WORKLOAD_RESOURCES: Readonly<Record<string, string>> = {
  Deployment: 'apps/deployments',
  StatefulSet: 'apps/statefulsets',
  ReplicaSet: 'apps/replicasets',
};

/** A VPA as a scenario or test declares it: the spec is raw, as a user wrote it. */
export interface SimVpaInput {
  namespace: string;
  name: string;
  spec: unknown;
  annotations?: Record<string, string>;
}

/** A write of a VPA's status, as recorded. */
export interface VpaStatusWrite {
  time: number;
  /** `namespace/name`. */
  vpa: string;
  status: VpaStatus;
}

/** A template patch the port applied, as recorded. */
export interface TemplatePatchRecord {
  time: number;
  /** `namespace/name` of the workload. */
  workload: string;
  kind: string;
  containers: { name: string; requests: ResourceList; limits: ResourceList }[];
  /** The template revision the patch made (pods of older ones are rolled). */
  revision: number;
}

/** An in-place resize of a pod the port asked for, as recorded. */
export interface PodResizeRecord {
  time: number;
  /** `namespace/name` of the pod. */
  pod: string;
  containers: ContainerResources[];
}

type VpaMethod = keyof VpaPort;

function templateOf(
  target: ScaleTargetKey,
  record: { resourceVersion: string; selector: string; containers: readonly ContainerResources[] },
): WorkloadTemplate {
  return {
    target: { ...target },
    resourceVersion: record.resourceVersion,
    selector: record.selector,
    containers: record.containers.map((c) => ({
      name: c.name,
      requests: { ...c.requests },
      limits: { ...c.limits },
    })),
  };
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * @example
 * const vpas = new SimVpas(world.cluster);
 * vpas.addVpa({ namespace: 'monitoring', name: 'prometheus', spec: { targetRef: { kind: 'StatefulSet', name: 'prometheus' } } });
 * await runVpaTick({ ...deps, vpas }, { carry, persistCheckpoints: true });
 * vpas.getVpa('monitoring', 'prometheus')?.status?.recommendation;
 */
export class SimVpas implements VpaPort {
  private readonly objects = new Map<string, VpaObject>();
  private readonly api = new ApiCallRecorder();
  private readonly writes: VpaStatusWrite[] = [];
  private readonly patches: TemplatePatchRecord[] = [];
  private readonly resizes: PodResizeRecord[] = [];
  private revision = 0;
  private uids = 0;

  constructor(private readonly cluster: SimCluster) {}

  // ---- VPA port ----------------------------------------------------------------------------------

  async listVerticalPodAutoscalers(): Promise<VpaObject[]> {
    this.call('listVerticalPodAutoscalers', `list ${VPA_RESOURCE}`);
    return [...this.objects.values()].map(copy);
  }

  async updateVpaStatus(namespace: string, name: string, status: VpaStatus): Promise<void> {
    this.call('updateVpaStatus', `patch ${VPA_RESOURCE}/status`);
    const key = workloadKey(namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new NotFoundError(`VerticalPodAutoscaler ${key} not found`);
    this.objects.set(key, { ...current, resourceVersion: this.nextVersion(), status: copy(status) });
    this.writes.push({ time: this.cluster.clock.now(), vpa: key, status: copy(status) });
  }

  async listWorkloadTemplates(kind: VpaWorkloadKind): Promise<WorkloadTemplate[]> {
    const resource = WORKLOAD_RESOURCES[kind];
    // DaemonSets are not simulated as resizable: the list is empty, as for a cluster without any.
    this.call('listWorkloadTemplates', `list ${resource ?? 'apps/daemonsets'}`);
    if (!resource) return [];
    const templates: WorkloadTemplate[] = [];
    for (const record of this.cluster.workloadRecords()) {
      if (record.kind !== kind) continue;
      templates.push(
        templateOf({ apiVersion: 'apps/v1', kind, namespace: record.namespace, name: record.name }, record),
      );
    }
    return templates;
  }

  async getWorkloadTemplate(target: ScaleTargetKey): Promise<WorkloadTemplate | undefined> {
    const resource = this.resourceOf(target, 'get the pod template of');
    this.call('getWorkloadTemplate', `get ${resource}`);
    const record = this.cluster.workloadRecord(workloadKey(target.namespace, target.name));
    if (!record || record.kind !== target.kind) return undefined;
    return templateOf(target, record);
  }

  async resizePodResources(
    namespace: string,
    name: string,
    containers: ContainerResources[],
  ): Promise<PodResizeResult> {
    if (containers.length === 0) return 'resized';
    this.call('resizePodResources', 'patch pods/resize');
    const result = this.cluster.resizePod(namespace, name, containers);
    if (result === 'resized') {
      this.resizes.push({
        time: this.cluster.clock.now(),
        pod: workloadKey(namespace, name),
        containers: copy(containers),
      });
    }
    return result;
  }

  async patchWorkloadResources(
    target: ScaleTargetKey,
    resourceVersion: string,
    containers: { name: string; requests: ResourceList; limits: ResourceList }[],
  ): Promise<void> {
    const resource = this.resourceOf(target, 'patch the pod template of');
    if (containers.length === 0) return;
    this.call('patchWorkloadResources', `patch ${resource}`);
    const key = workloadKey(target.namespace, target.name);
    const record = this.cluster.workloadRecord(key);
    if (!record || record.kind !== target.kind) {
      throw new NotFoundError(`${target.kind} ${key} not found`);
    }
    this.cluster.updatePodTemplate(target.namespace, target.name, containers, resourceVersion);
    this.patches.push({
      time: this.cluster.clock.now(),
      workload: key,
      kind: record.kind,
      containers: copy(containers),
      revision: record.templateRevision,
    });
  }

  // ---- the world ---------------------------------------------------------------------------------

  /** Adds a VPA (its spec as given, valid or not: the loop reports a bad one). */
  addVpa(input: SimVpaInput): VpaObject {
    const key = workloadKey(input.namespace, input.name);
    if (this.objects.has(key)) throw new Error(`VerticalPodAutoscaler ${key} exists`);
    const object: VpaObject = {
      namespace: input.namespace,
      name: input.name,
      uid: `vpa-${String(++this.uids).padStart(4, '0')}`,
      generation: 1,
      resourceVersion: this.nextVersion(),
      annotations: { ...input.annotations },
      creationTimestamp: this.cluster.clock.now(),
      spec: copy(input.spec),
    };
    this.objects.set(key, object);
    return copy(object);
  }

  /** Replaces a VPA's spec (a user's `kubectl apply`); the status stays. */
  setVpaSpec(namespace: string, name: string, spec: unknown): void {
    const key = workloadKey(namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new NotFoundError(`VerticalPodAutoscaler ${key} not found`);
    this.objects.set(key, {
      ...current,
      spec: copy(spec),
      generation: current.generation + 1,
      resourceVersion: this.nextVersion(),
    });
  }

  deleteVpa(namespace: string, name: string): boolean {
    return this.objects.delete(workloadKey(namespace, name));
  }

  getVpa(namespace: string, name: string): VpaObject | undefined {
    const object = this.objects.get(workloadKey(namespace, name));
    return object && copy(object);
  }

  /** Keys (`namespace/name`) of the VPAs, in the order they were added. */
  vpaKeys(): string[] {
    return [...this.objects.keys()];
  }

  /** Every status write, oldest first. */
  statusWrites(): readonly VpaStatusWrite[] {
    return this.writes;
  }

  /** Every in-place pod resize the API took, oldest first. */
  podResizes(): readonly PodResizeRecord[] {
    return this.resizes;
  }

  /** Every template patch applied, oldest first. */
  templatePatches(): readonly TemplatePatchRecord[] {
    return this.patches;
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `method` fail with `error` (default: a generic error, like a 500). */
  failNext(method: VpaMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  // ---- internals ---------------------------------------------------------------------------------

  private call(method: VpaMethod, request: string): void {
    this.cluster.sync();
    this.api.call(method, request);
  }

  private nextVersion(): string {
    this.revision++;
    return String(this.revision);
  }

  /** The workload's resource; a kind the port cannot resize fails before any request, as the adapter's. */
  private resourceOf(target: ScaleTargetKey, action: string): string {
    const resource = WORKLOAD_RESOURCES[target.kind];
    const group = target.apiVersion.includes('/') ? target.apiVersion.split('/')[0] : '';
    if (!resource || group !== 'apps') {
      throw new MalformedObjectError(
        `cannot ${action} ${target.apiVersion} ${target.kind} ${target.namespace}/${target.name}: ` +
          `the simulator resizes apps/v1 ${Object.keys(WORKLOAD_RESOURCES).join(', ')}`,
      );
    }
    return resource;
  }
}
