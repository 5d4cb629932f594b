/**
 * The Kubernetes port for one cluster. Domain shapes, not client-library shapes: quantities stay
 * Kubernetes quantity strings ("250m", "1Gi"), times are epoch milliseconds.
 *
 * Cost contract: the loops call each list method at most once per tick for the whole cluster, so an
 * implementation must never turn a list into one request per object.
 */
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscalerStatus,
  LabelSelector,
} from './autoscaling-v2';

/** Resource name → Kubernetes quantity string, e.g. `{ cpu: "250m", memory: "512Mi" }`. */
export type ResourceList = Record<string, string>;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface PodCondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: number;
  reason?: string;
}

export interface Container {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
}

export interface ContainerStatus {
  name: string;
  restartCount: number;
  /** `lastState.terminated.reason`, e.g. `OOMKilled`. */
  lastTerminationReason?: string;
  /** `lastState.terminated.finishedAt`, epoch ms. */
  lastTerminationAt?: number;
  /** `lastState.terminated.startedAt`, epoch ms: a kill soon after the start is a "quick" OOM. */
  lastTerminationStartedAt?: number;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** A pod's toleration (`operator` defaults to `Equal`; an empty key with `Exists` tolerates every taint). */
export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  /** Empty: every effect. */
  effect?: TaintEffect;
}

/** One requirement of a node selector term (`Gt`/`Lt` compare integers). */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** Requirements ANDed; `matchFields` supports `metadata.name` only, as in Kubernetes. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** A required pod (anti-)affinity term: pods matching `labelSelector` in `namespaces` per `topologyKey`. */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  /** Empty: the pod's own namespace (`namespaceSelector` is not read). */
  namespaces?: string[];
  topologyKey: string;
}

/**
 * What the scheduler reads of a pod beyond its requests. Every field is optional so that an object
 * without constraints stays small; absent means "no constraint". Defaults the API server adds to every
 * pod are left out: the `not-ready`/`unreachable` NoExecute tolerations (they only delay eviction from a
 * failing node, never affect placement on a Ready or template node) and priority 0.
 */
export interface PodScheduling {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms` (ORed). */
  requiredNodeAffinity?: NodeSelectorTerm[];
  /** `affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`. */
  requiredPodAntiAffinity?: PodAffinityTerm[];
  /** Names of the PersistentVolumeClaims the pod mounts, in its namespace. */
  persistentVolumeClaims?: string[];
  /** spec.priority (resolved from the PriorityClass by the API server). */
  priority?: number;
  /** spec.schedulerName when not `default-scheduler`. */
  schedulerName?: string;
  /** Host ports the containers bind (a node holds one pod per host port and protocol). */
  hostPorts?: number[];
}

export interface Pod {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  phase: PodPhase;
  nodeName?: string;
  /** status.podIP, once the pod has one. */
  podIP?: string;
  creationTimestamp: number;
  /** When the kubelet started the pod (status.startTime). */
  startTime?: number;
  /** Set while the pod is terminating. */
  deletionTimestamp?: number;
  conditions: PodCondition[];
  containers: Container[];
  /**
   * Per container, how it last ended when it restarted (`OOMKilled`, `Error`, …) and when; only
   * containers that restarted are listed. The VPA loop reads OOM kills from here.
   */
  containerStatuses?: ContainerStatus[];
  /**
   * status.reason and status.message when the kubelet gave them, e.g. `Evicted` with "The node was low on
   * resource: memory. ... Container app was using 1500Mi, request is 1Gi, ...": the VPA loop reads
   * memory-pressure evictions from here.
   */
  statusReason?: string;
  statusMessage?: string;
  /** Init containers; those with `restartPolicy: Always` are sidecars and count towards requests. */
  initContainers: (Container & { restartPolicy?: string })[];
  ownerReferences: OwnerReference[];
  /** Scheduling constraints; absent on pods without any. */
  scheduling?: PodScheduling;
  /** spec.terminationGracePeriodSeconds when set (Kubernetes' default is 30). */
  terminationGracePeriodSeconds?: number;
  /**
   * Names of the pod's volumes that live on the node's disk (hostPath, emptyDir unless memory-backed, as
   * cluster-autoscaler counts local storage); absent when none.
   */
  localVolumes?: string[];
}

/** A PodDisruptionBudget, as far as deciding whether a node can be drained needs. */
export interface PodDisruptionBudget {
  namespace: string;
  name: string;
  /** spec.selector; a PDB without one selects nothing (policy/v1). */
  selector?: LabelSelector;
  /** status.disruptionsAllowed: evictions the API server will admit now. */
  disruptionsAllowed: number;
}

/** What an eviction request came to. */
export type EvictionResult =
  /** The API server accepted it; the pod is terminating. */
  | 'evicted'
  /** 429: a PodDisruptionBudget does not allow it now; try again later, never delete the pod. */
  | 'blocked'
  /** 404: the pod is gone already. */
  | 'gone';

/** A PersistentVolumeClaim, as far as placing its pods needs. */
export interface PersistentVolumeClaim {
  namespace: string;
  name: string;
  /** spec.volumeName once bound. */
  volumeName?: string;
  phase: 'Pending' | 'Bound' | 'Lost';
}

/** A PersistentVolume and the zones a node must be in to mount it. */
export interface PersistentVolume {
  name: string;
  /**
   * Zones from the PV's required node affinity on `topology.kubernetes.io/zone` (or the deprecated
   * `failure-domain.beta.kubernetes.io/zone`), else from those labels on the PV; empty when unconstrained.
   */
  zones: string[];
}

/** A DaemonSet's pod template: the pod it adds to every node whose labels and taints admit it. */
export interface DaemonSet {
  namespace: string;
  name: string;
  uid: string;
  containers: Container[];
  initContainers: (Container & { restartPolicy?: string })[];
  scheduling?: PodScheduling;
}

export interface Node {
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  capacity: ResourceList;
  allocatable: ResourceList;
  unschedulable: boolean;
  taints: Taint[];
  ready: boolean;
  creationTimestamp: number;
  /** `aws:///eu-central-1a/i-0123…` on AWS. */
  providerID?: string;
}

/** One container's usage sample from metrics.k8s.io. */
export interface ContainerMetrics {
  name: string;
  usage: ResourceList;
}

/** A `metrics.k8s.io/v1beta1` PodMetrics. */
export interface PodMetrics {
  namespace: string;
  name: string;
  /** When the sample was taken (epoch ms). */
  timestamp: number;
  windowSeconds: number;
  containers: ContainerMetrics[];
}

/** A reference to an HPA's scale target, resolved in the autoscaler's namespace. */
export interface ScaleTargetKey {
  namespace: string;
  /** `apps/v1`, `example.com/v1alpha1`, … (upstream defaults a missing apiVersion per kind). */
  apiVersion: string;
  kind: string;
  name: string;
}

/** The `/scale` subresource of a target. */
export interface Scale {
  target: ScaleTargetKey;
  /** spec.replicas: what the target is asked to run. */
  specReplicas: number;
  /** status.replicas: what it runs now. */
  statusReplicas: number;
  /** status.selector in string form (`app=web,tier in (a,b)`); empty when the target exposes none. */
  selector: string;
  /** The target object's resourceVersion; a write with a stale one fails with a 409. */
  resourceVersion: string;
}

export type AutoscalerKind = 'HorizontalAutoscaler' | 'HorizontalPodAutoscaler';

export interface StatusManager {
  manager: string;
  /** Epoch ms of the manager's last write, when the API server recorded it. */
  time?: number;
}

/** An autoscaler object as stored: the spec is raw so that a malformed one can be reported, not crash. */
export interface AutoscalerObject {
  kind: AutoscalerKind;
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  resourceVersion: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  creationTimestamp: number;
  spec: unknown;
  status?: HorizontalPodAutoscalerStatus;
  /**
   * Field managers that have written the status subresource, with when they last did (from
   * metadata.managedFields entries whose subresource is `status`). A plain HPA whose status another
   * manager (kube-controller-manager) wrote recently is owned by a running HPA controller, and the loop
   * refuses to fight it.
   */
  statusManagers: StatusManager[];
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface KubeEvent {
  involvedObject: ObjectRef;
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. `SuccessfulRescale`, `FailedGetResourceMetric` (upstream HPA reasons). */
  reason: string;
  message: string;
  /** Epoch ms. */
  time: number;
  /** The component that reports, e.g. `tideplane-hpa`. */
  reportingComponent: string;
}

/** A 409 from the API server: the object changed since it was read. Retry on fresh data. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** The target or object does not exist (404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The credentials lack a permission (403). Never retried. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/** An object exists but a field or annotation the caller reads from it is malformed. Never retried. */
export class MalformedObjectError extends Error {
  override readonly name = 'MalformedObjectError';
}

export interface PodFilter {
  nodeName?: string;
  namespace?: string;
}

export interface KubernetesPort {
  /**
   * All pods of the cluster in one list (paginated internally), or only those of one node (a field
   * selector on `spec.nodeName`, so a drain does not read a thousand nodes' pods) and/or one namespace.
   * Idempotent.
   */
  listPods(filter?: PodFilter): Promise<Pod[]>;

  /** All nodes in one list. Idempotent. */
  listNodes(): Promise<Node[]>;

  /**
   * All autoscaler objects of the given kind in the cluster, one list. `HorizontalAutoscaler` is
   * tideplane's CRD; `HorizontalPodAutoscaler` is plain autoscaling/v2 (only for clusters whose HPA
   * controller is off).
   */
  listAutoscalers(kind: AutoscalerKind): Promise<AutoscalerObject[]>;

  /**
   * The scale of each target. Well-known workload kinds (apps/v1 Deployment, StatefulSet, ReplicaSet)
   * cost one list per kind for the whole cluster, whatever the number of targets; other kinds (custom
   * resources with a scale subresource) cost one GET of `/scale` each. A target that does not exist is
   * absent from the result (no error). Keys are `scaleTargetKeyString(target)`.
   */
  getScales(targets: ScaleTargetKey[]): Promise<Map<string, Scale>>;

  /** One GET of a target's `/scale`; undefined when the target does not exist. */
  getScale(target: ScaleTargetKey): Promise<Scale | undefined>;

  /**
   * Writes spec.replicas through the `/scale` subresource, guarded by `resourceVersion`. Throws
   * `ConflictError` when the target changed since it was read (callers re-read and re-decide, never
   * blindly retry), `NotFoundError` when it is gone. Returns the scale after the write.
   */
  updateScale(target: ScaleTargetKey, replicas: number, resourceVersion: string): Promise<Scale>;

  /**
   * Replaces the autoscaler's status through the status subresource. Status is owned by tideplane alone,
   * so the write is unconditional (no resourceVersion) and idempotent.
   */
  updateAutoscalerStatus(
    autoscaler: Pick<AutoscalerObject, 'kind' | 'apiVersion' | 'namespace' | 'name'>,
    status: HorizontalPodAutoscalerStatus,
  ): Promise<void>;

  /** Records an Event (events.k8s.io/v1 or core/v1). Best effort: callers log a failure and go on. */
  createEvent(event: KubeEvent): Promise<void>;

  /** metrics.k8s.io pod metrics for the whole cluster, one list. Empty when the API is not served. */
  listPodMetrics(): Promise<PodMetrics[]>;

  /** All PersistentVolumeClaims of the cluster, one list. */
  listPersistentVolumeClaims(): Promise<PersistentVolumeClaim[]>;

  /** All PersistentVolumes, one list. */
  listPersistentVolumes(): Promise<PersistentVolume[]>;

  /** All DaemonSets (apps/v1), one list. */
  listDaemonSets(): Promise<DaemonSet[]>;

  /** All PodDisruptionBudgets (policy/v1), one list. */
  listPodDisruptionBudgets(): Promise<PodDisruptionBudget[]>;

  /**
   * Adds (`present`) or removes the taint with this key and effect on the node; idempotent. Throws
   * `NotFoundError` when the node is gone, `ConflictError` when it changed under the write (re-read).
   */
  setNodeTaint(nodeName: string, taint: Taint, present: boolean): Promise<void>;

  /**
   * Asks the Eviction API to evict the pod (policy/v1 Eviction), so PodDisruptionBudgets hold. Never
   * deletes the pod directly. `gracePeriodSeconds` replaces the pod's own grace period (as the API server
   * does), so callers pass `min(pod's, cap)`.
   */
  evictPod(
    namespace: string,
    name: string,
    options?: { gracePeriodSeconds?: number },
  ): Promise<EvictionResult>;

  /** Deletes the Node object; a node already gone is fine (idempotent). */
  deleteNode(nodeName: string): Promise<void>;
}

/** The key `getScales` uses: `namespace/apiVersion/kind/name`. */
export function scaleTargetKeyString(target: ScaleTargetKey): string {
  return `${target.namespace}/${target.apiVersion}/${target.kind}/${target.name}`;
}

/**
 * The target an autoscaler points at. Like upstream, a reference without `apiVersion` means the core
 * group (`v1`), where only ReplicationController is scalable; there is no guessing of `apps/v1`.
 */
export function resolveScaleTarget(namespace: string, ref: CrossVersionObjectReference): ScaleTargetKey {
  return { namespace, apiVersion: ref.apiVersion || 'v1', kind: ref.kind, name: ref.name };
}
