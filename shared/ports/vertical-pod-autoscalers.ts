/**
 * VerticalPodAutoscalers and the workloads they resize, as the VPA loop sees them: the standard
 * `autoscaling.k8s.io/v1` objects (read, and their status written so `kubectl describe vpa` shows
 * tideplane's numbers), and the pod template of a target workload (read, and its container resources
 * patched when a VPA's update mode applies recommendations). Separate from `KubernetesPort` because
 * only the VPA loop needs it. Errors are the Kubernetes port's (`ConflictError`, `NotFoundError`,
 * `ForbiddenError`, `MalformedObjectError`).
 */
import type { ResourceList, ScaleTargetKey } from './kubernetes';

export type VpaUpdateMode = 'Off' | 'Initial' | 'Recreate' | 'Auto' | 'InPlaceOrRecreate';

/** A VPA as stored: the spec is raw (validated by the loop), so a malformed one is reported, not fatal. */
export interface VpaObject {
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  resourceVersion: string;
  annotations: Record<string, string>;
  creationTimestamp: number;
  spec: unknown;
  status?: VpaStatus;
}

export interface RecommendedContainerResources {
  containerName: string;
  target: ResourceList;
  lowerBound: ResourceList;
  upperBound: ResourceList;
  uncappedTarget: ResourceList;
}

export interface VpaCondition {
  /** `RecommendationProvided`, `LowConfidence`, `NoPodsMatched`, `FetchingHistory`, `ConfigUnsupported`, … */
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** Epoch ms. */
  lastTransitionTime?: number;
  reason?: string;
  message?: string;
}

/** `status` of an autoscaling.k8s.io/v1 VerticalPodAutoscaler. */
export interface VpaStatus {
  recommendation?: { containerRecommendations: RecommendedContainerResources[] };
  conditions: VpaCondition[];
}

/** A workload's pod template as far as resizing goes. */
export interface WorkloadTemplate {
  target: ScaleTargetKey;
  /** The workload's resourceVersion; a patch with a stale one fails with a 409. */
  resourceVersion: string;
  /** spec.selector in string form, to find its pods. */
  selector: string;
  containers: { name: string; requests: ResourceList; limits: ResourceList }[];
}

/** The workload kinds whose pod templates the port reads and resizes (apps/v1). */
export const VPA_WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const;
export type VpaWorkloadKind = (typeof VPA_WORKLOAD_KINDS)[number];

/** A container's new resources, as a template patch or a pod resize sets them. */
export interface ContainerResources {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
}

/** What an in-place resize request came to. */
export type PodResizeResult =
  /** The API server took the new resources; the kubelet applies them (or reports the resize pending). */
  | 'resized'
  /** The pod is gone. */
  | 'gone'
  /**
   * The API server refused it as a resize it cannot do: no `resize` subresource (Kubernetes before 1.33,
   * or the feature off), or one the pod does not allow (a QoS class change, a static pod). The rollout of
   * the patched template is then what brings the new resources.
   */
  | 'unsupported';

export interface VpaPort {
  /** Every VerticalPodAutoscaler of the cluster (one paginated list). */
  listVerticalPodAutoscalers(): Promise<VpaObject[]>;
  /** Replaces the status subresource (a merge patch of `status`). */
  updateVpaStatus(namespace: string, name: string, status: VpaStatus): Promise<void>;
  /**
   * The pod templates of every workload of one kind in the cluster (one paginated list): a tick reads
   * each kind its VPAs target once, instead of one GET per VPA. Workloads without a valid selector are
   * left out (they cannot be resized; `getWorkloadTemplate` says why).
   */
  listWorkloadTemplates(kind: VpaWorkloadKind): Promise<WorkloadTemplate[]>;
  /** The target's pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet); undefined when it does not exist. */
  getWorkloadTemplate(target: ScaleTargetKey): Promise<WorkloadTemplate | undefined>;
  /**
   * Sets the requests and limits of the named containers in the target's pod template (a strategic
   * merge patch by container name, conditional on `resourceVersion`), so the workload's controller rolls
   * its pods within its own update strategy. Resources not given are left as they are.
   */
  patchWorkloadResources(
    target: ScaleTargetKey,
    resourceVersion: string,
    containers: ContainerResources[],
  ): Promise<void>;
  /**
   * Sets the requests and limits of the named containers of a running pod in place (a strategic merge
   * patch of the pod's `resize` subresource, Kubernetes 1.33+), without recreating it. The VPA loop only
   * raises memory this way, after an OOM kill, so pods of the old template stop being killed while the
   * rollout replaces them. Idempotent. Throws the Kubernetes port's errors for anything but the results
   * named in `PodResizeResult`.
   */
  resizePodResources(
    namespace: string,
    name: string,
    containers: ContainerResources[],
  ): Promise<PodResizeResult>;
}
