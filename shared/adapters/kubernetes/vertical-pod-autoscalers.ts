/**
 * `VpaPort` on `@kubernetes/client-node`: autoscaling.k8s.io/v1 VerticalPodAutoscalers (one paginated
 * cluster-wide list; status written through the status subresource) and the pod templates of the apps/v1
 * workloads they resize (one GET to read, one strategic merge patch to resize). It shares a
 * `KubeClient` with the Kubernetes adapter, so its requests count in the same `stats()`.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { LabelSelector } from '../../ports/autoscaling-v2';
import { MalformedObjectError, type ResourceList, type ScaleTargetKey } from '../../ports/kubernetes';
import type {
  ContainerResources,
  PodResizeResult,
  RecommendedContainerResources,
  VpaCondition,
  VpaObject,
  VpaPort,
  VpaStatus,
  VpaWorkloadKind,
  WorkloadTemplate,
} from '../../ports/vertical-pod-autoscalers';
import { LabelSelectorError, selectorFromLabelSelector, selectorToString } from '../../units/label-selector';
import { FIELD_MANAGER, LIST_PAGE_SIZE, listAllPages } from './adapter';
import type { KubeClient } from './client';
import { type RawObject, toEpochMs } from './convert';
import { parseApiVersion } from './discovery';
import { httpStatusOf, isNotFound, toPortError } from './errors';

/** Where VerticalPodAutoscalers live (the VPA project's CRD). */
export const VPA_RESOURCE = {
  group: 'autoscaling.k8s.io',
  version: 'v1',
  plural: 'verticalpodautoscalers',
} as const;

/**
 * The workload kinds whose pod template can be read and resized, and their apps/v1 resources. Like the
 * HPA's `/scale` reads, any `apps/*` version of a reference means the served apps/v1.
 */
export const VPA_WORKLOAD_RESOURCES = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
} as const satisfies Record<VpaWorkloadKind, string>;

const SUPPORTED_WORKLOADS = `apps/v1 ${Object.keys(VPA_WORKLOAD_RESOURCES).join(', ')}`;

const CONDITION_STATUSES: ReadonlySet<string> = new Set(['True', 'False', 'Unknown']);

export interface KubernetesVpaAdapterOptions {
  /** Items per list page; default `LIST_PAGE_SIZE`. */
  pageSize?: number;
}

/**
 * `VpaPort` for one cluster.
 *
 * @example
 *   const kube = new KubernetesAdapter(createKubeClient({ server, token, caData }));
 *   const vpas = await new KubernetesVpaAdapter(kube.client).listVerticalPodAutoscalers();
 */
export class KubernetesVpaAdapter implements VpaPort {
  private readonly pageSize: number;

  constructor(
    readonly client: KubeClient,
    options: KubernetesVpaAdapterOptions = {},
  ) {
    this.pageSize = options.pageSize ?? LIST_PAGE_SIZE;
  }

  /**
   * Empty when the cluster does not serve the VPA CRD (a 404 on the resource): a cluster without the VPA
   * simply has no VPAs, and the loop has nothing to do. A 403 still throws `ForbiddenError`.
   */
  async listVerticalPodAutoscalers(): Promise<VpaObject[]> {
    const { group, version, plural } = VPA_RESOURCE;
    try {
      const items = await listAllPages<RawObject>((_continue) =>
        this.client.customObjects.listCustomObjectForAllNamespaces({
          group,
          version,
          resourcePlural: plural,
          limit: this.pageSize,
          _continue,
        }),
      );
      return items.map(toVpaObject);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw toPortError(error, `list ${plural}.${group}`);
    }
  }

  /**
   * Unconditional (no resourceVersion): tideplane alone writes the status of the VPAs it owns. Throws
   * `NotFoundError` when the VPA is gone (or its CRD has no status subresource).
   */
  async updateVpaStatus(namespace: string, name: string, status: VpaStatus): Promise<void> {
    const { group, version, plural } = VPA_RESOURCE;
    try {
      await this.client.customObjects.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace,
          plural,
          name,
          body: vpaStatusPatch(status),
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw toPortError(error, `update status of VerticalPodAutoscaler ${namespace}/${name}`);
    }
  }

  /**
   * One paginated cluster-wide list of the kind. A workload whose selector is missing or invalid is left
   * out (a VPA targeting it reads it with `getWorkloadTemplate`, which says what is wrong).
   */
  async listWorkloadTemplates(kind: VpaWorkloadKind): Promise<WorkloadTemplate[]> {
    const resource = VPA_WORKLOAD_RESOURCES[kind];
    type RawListed = RawWorkload & { metadata?: { name?: string; namespace?: string } };
    let items: RawListed[];
    try {
      items = await listAllPages<RawListed>((_continue) =>
        this.client.request('GET', `/apis/apps/v1/${resource}`, {
          query: { limit: this.pageSize, continue: _continue },
        }),
      );
    } catch (error) {
      throw toPortError(error, `list apps/v1 ${resource}`);
    }
    const templates: WorkloadTemplate[] = [];
    for (const item of items) {
      const target = {
        apiVersion: 'apps/v1',
        kind,
        namespace: item.metadata?.namespace ?? '',
        name: item.metadata?.name ?? '',
      };
      try {
        templates.push(toWorkloadTemplate(target, item));
      } catch (error) {
        if (!(error instanceof MalformedObjectError)) throw error;
      }
    }
    return templates;
  }

  /**
   * One GET. Throws `MalformedObjectError` for a kind it cannot resize (before any request) and for a
   * workload without a valid selector.
   */
  async getWorkloadTemplate(target: ScaleTargetKey): Promise<WorkloadTemplate | undefined> {
    const path = workloadPath(target, 'get the pod template of');
    let workload: RawWorkload;
    try {
      workload = await this.client.request<RawWorkload>('GET', path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toPortError(error, `get ${describe(target)}`);
    }
    return toWorkloadTemplate(target, workload);
  }

  /**
   * Every container named must exist in the template: a strategic merge patch would add an unknown name
   * as a new container, which the API server rejects (422, no image), leaving the workload unchanged.
   * Throws `ConflictError` when the workload changed since `resourceVersion` was read, `NotFoundError`
   * when it is gone, `MalformedObjectError` for a kind it cannot resize. No containers: no request.
   */
  async patchWorkloadResources(
    target: ScaleTargetKey,
    resourceVersion: string,
    containers: ContainerResources[],
  ): Promise<void> {
    const path = workloadPath(target, 'patch the pod template of');
    if (containers.length === 0) return;
    try {
      await this.client.request('PATCH', path, {
        query: { fieldManager: FIELD_MANAGER },
        body: resourcesPatch(resourceVersion, containers),
        contentType: PatchStrategy.StrategicMergePatch,
      });
    } catch (error) {
      throw toPortError(error, `patch container resources of ${describe(target)}`);
    }
  }

  /**
   * A strategic merge patch of `pods/<name>/resize`. A 404 is either the pod gone or an API server
   * without the subresource; one list of the namespace's pods narrowed to the name tells them apart. 400 and 422 are resizes the API server
   * will not do (a QoS class change, a memory decrease the container's resize policy forbids).
   */
  async resizePodResources(
    namespace: string,
    name: string,
    containers: ContainerResources[],
  ): Promise<PodResizeResult> {
    if (containers.length === 0) return 'resized';
    const pod = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    try {
      await this.client.request('PATCH', `${pod}/resize`, {
        query: { fieldManager: FIELD_MANAGER },
        body: { spec: { containers: containers.map(containerResourcesPatch) } },
        contentType: PatchStrategy.StrategicMergePatch,
      });
      return 'resized';
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 400 || status === 422) return 'unsupported';
      if (status !== 404) throw toPortError(error, `resize pod ${namespace}/${name}`);
      // A list narrowed to the name, which the role grants already (a pod GET it does not).
      let listed: { items?: unknown[] };
      try {
        listed = await this.client.request(
          'GET',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
          {
            query: { fieldSelector: `metadata.name=${name}`, limit: 1 },
          },
        );
      } catch (lookup) {
        throw toPortError(lookup, `list pod ${namespace}/${name}`);
      }
      // The pod is there, so the API server has no resize subresource.
      return (listed.items ?? []).length === 0 ? 'gone' : 'unsupported';
    }
  }
}

const describe = (t: ScaleTargetKey) => `${t.apiVersion} ${t.kind} ${t.namespace}/${t.name}`;

function workloadKind(target: ScaleTargetKey): VpaWorkloadKind | undefined {
  if (parseApiVersion(target.apiVersion).group !== 'apps') return undefined;
  return Object.hasOwn(VPA_WORKLOAD_RESOURCES, target.kind) ? (target.kind as VpaWorkloadKind) : undefined;
}

function workloadPath(target: ScaleTargetKey, action: string): string {
  const kind = workloadKind(target);
  if (!kind) {
    throw new MalformedObjectError(
      `cannot ${action} ${describe(target)}: supported kinds are ${SUPPORTED_WORKLOADS}`,
    );
  }
  return (
    `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}` +
    `/${VPA_WORKLOAD_RESOURCES[kind]}/${encodeURIComponent(target.name)}`
  );
}

/** The fields of an apps/v1 workload that a template read needs, as raw JSON. */
export interface RawWorkload {
  metadata?: { resourceVersion?: string };
  spec?: {
    selector?: LabelSelector;
    template?: {
      spec?: {
        containers?: { name?: string; resources?: { requests?: unknown; limits?: unknown } }[];
      };
    };
  };
}

/**
 * A quantity map as read from raw JSON. CRD schemas declare quantities int-or-string, so a number a
 * user or another tool wrote is kept as its string form; anything else is dropped.
 */
function resourceList(value: unknown): ResourceList {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const list: ResourceList = {};
  for (const [name, quantity] of Object.entries(value)) {
    if (typeof quantity === 'string') list[name] = quantity;
    else if (typeof quantity === 'number' && Number.isFinite(quantity)) list[name] = String(quantity);
  }
  return list;
}

/**
 * An apps/v1 workload (raw JSON) → the port's template. Throws `MalformedObjectError` for a missing or
 * invalid selector: apps/v1 requires one, and the string form of "no selector" (`''`) would read as
 * "every pod of the namespace".
 */
export function toWorkloadTemplate(target: ScaleTargetKey, workload: RawWorkload): WorkloadTemplate {
  const structured = workload.spec?.selector;
  if (!structured) throw new MalformedObjectError(`${describe(target)} has no spec.selector`);
  let selector: string;
  try {
    selector = selectorToString(selectorFromLabelSelector(structured));
  } catch (error) {
    if (!(error instanceof LabelSelectorError)) throw error;
    throw new MalformedObjectError(`spec.selector of ${describe(target)}: ${error.message}`, {
      cause: error,
    });
  }
  return {
    target,
    resourceVersion: workload.metadata?.resourceVersion ?? '',
    selector,
    containers: (workload.spec?.template?.spec?.containers ?? []).map((c) => ({
      name: c.name ?? '',
      requests: resourceList(c.resources?.requests),
      limits: resourceList(c.resources?.limits),
    })),
  };
}

/** One container's entry of a strategic merge patch (merged by name; resources not named stay). */
function containerResourcesPatch(c: ContainerResources): unknown {
  return {
    name: c.name,
    resources: {
      ...(Object.keys(c.requests).length > 0 ? { requests: { ...c.requests } } : {}),
      ...(Object.keys(c.limits).length > 0 ? { limits: { ...c.limits } } : {}),
    },
  };
}

/**
 * The strategic merge patch that sets container resources: containers merge by name and resource maps
 * merge by key, so fields, containers and resources not named keep their values. The resourceVersion
 * makes the API server refuse it (409) when the workload changed since it was read.
 */
export function resourcesPatch(resourceVersion: string, containers: readonly ContainerResources[]): unknown {
  return {
    metadata: { resourceVersion },
    spec: {
      template: { spec: { containers: containers.map(containerResourcesPatch) } },
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A VerticalPodAutoscaler (raw JSON from the custom-objects API) → the port's object; the spec stays raw. */
export function toVpaObject(obj: RawObject): VpaObject {
  const meta = obj.metadata ?? {};
  const status = toVpaStatus(obj.status);
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    generation: meta.generation ?? 0,
    resourceVersion: meta.resourceVersion ?? '',
    annotations: { ...(meta.annotations ?? {}) },
    creationTimestamp: toEpochMs(meta.creationTimestamp) ?? 0,
    spec: obj.spec,
    ...(status ? { status } : {}),
  };
}

/**
 * A VPA's stored status → the port's. Another recommender, or a CRD with a looser schema than upstream's,
 * may have written it, so entries that are not objects and conditions without a type are skipped rather
 * than fatal, and an unknown condition status reads as `Unknown`.
 */
export function toVpaStatus(raw: unknown): VpaStatus | undefined {
  if (!isRecord(raw)) return undefined;
  const status: VpaStatus = { conditions: [] };
  const recommendations = isRecord(raw.recommendation)
    ? raw.recommendation.containerRecommendations
    : undefined;
  if (Array.isArray(recommendations)) {
    status.recommendation = {
      containerRecommendations: recommendations.filter(isRecord).map(
        (r): RecommendedContainerResources => ({
          containerName: typeof r.containerName === 'string' ? r.containerName : '',
          target: resourceList(r.target),
          lowerBound: resourceList(r.lowerBound),
          upperBound: resourceList(r.upperBound),
          uncappedTarget: resourceList(r.uncappedTarget),
        }),
      ),
    };
  }
  for (const c of Array.isArray(raw.conditions) ? raw.conditions.filter(isRecord) : []) {
    if (typeof c.type !== 'string' || c.type === '') continue;
    const lastTransitionTime = toEpochMs(
      typeof c.lastTransitionTime === 'string' ? c.lastTransitionTime : undefined,
    );
    const reason = optionalString(c.reason);
    const message = optionalString(c.message);
    status.conditions.push({
      type: c.type,
      status:
        typeof c.status === 'string' && CONDITION_STATUSES.has(c.status)
          ? (c.status as VpaCondition['status'])
          : 'Unknown',
      ...(lastTransitionTime !== undefined ? { lastTransitionTime } : {}),
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    });
  }
  return status;
}

/**
 * Epoch ms → a `metav1.Time` string. The API machinery serializes times to the second (RFC 3339, UTC),
 * so writing the same precision keeps what tideplane writes identical to what upstream's recommender
 * would, and a read-back equal to the whole second.
 */
export function toKubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The JSON merge patch that replaces a VPA's status. A merge patch merges maps and replaces lists, so
 * the lists are written whole, and a null removes a recommendation the new status lacks. Empty bounds
 * are left out, as upstream's types omit empty maps.
 */
export function vpaStatusPatch(status: VpaStatus): { status: Record<string, unknown> } {
  const nonEmpty = (key: string, list: ResourceList) =>
    Object.keys(list).length > 0 ? { [key]: { ...list } } : {};
  return {
    status: {
      recommendation: status.recommendation
        ? {
            containerRecommendations: status.recommendation.containerRecommendations.map((r) => ({
              containerName: r.containerName,
              target: { ...r.target },
              ...nonEmpty('lowerBound', r.lowerBound),
              ...nonEmpty('upperBound', r.upperBound),
              ...nonEmpty('uncappedTarget', r.uncappedTarget),
            })),
          }
        : null,
      conditions: status.conditions.map((c) => ({
        type: c.type,
        status: c.status,
        ...(c.lastTransitionTime !== undefined && Number.isFinite(c.lastTransitionTime)
          ? { lastTransitionTime: toKubeTime(c.lastTransitionTime) }
          : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
    },
  };
}
