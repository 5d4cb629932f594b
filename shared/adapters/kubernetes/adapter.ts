/**
 * The Kubernetes port on `@kubernetes/client-node`: cluster-wide paginated lists, `/scale` of any
 * scalable kind, status writes for both autoscaler kinds, events.k8s.io Events, metrics.k8s.io pod
 * metrics, and the drain calls (node taints, the Eviction API, Node deletion). Every request goes through one counting HTTP layer (see `client.ts`), so `stats()` shows
 * what a tick cost on the wire.
 */
import {
  ApiException,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  V1MicroTime,
  type V1Scale,
} from '@kubernetes/client-node';
import type { HorizontalPodAutoscalerStatus } from '../../ports/autoscaling-v2';
import {
  type AutoscalerKind,
  type AutoscalerObject,
  type DaemonSet,
  type EvictionResult,
  type KubeEvent,
  type KubernetesPort,
  MalformedObjectError,
  type Node,
  NotFoundError,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type PodDisruptionBudget,
  type PodFilter,
  type PodMetrics,
  type Scale,
  type ScaleTargetKey,
  scaleTargetKeyString,
  type Taint,
} from '../../ports/kubernetes';
import { mapLimit } from '../../runtime/map-limit';
import type { KubeClient } from './client';
import {
  type RawObject,
  type RawScale,
  type ScalableWorkload,
  scaleFromScaleObject,
  scaleFromWorkload,
  toAutoscaler,
  toDaemonSet,
  toNode,
  toPersistentVolume,
  toPersistentVolumeClaim,
  toPod,
  toPodDisruptionBudget,
  toPodMetrics,
} from './convert';
import { parseApiVersion, type ResolvedResource, ResourceResolver } from './discovery';
import { httpStatusOf, isConflict, isGone, isNotFound, isNotServed, toPortError } from './errors';
import type { RequestStats } from './request-stats';

/** Items per page of a cluster-wide list (client-go's pager uses the same default). */
export const LIST_PAGE_SIZE = 500;
/** The field manager of every write, so managedFields show tideplane as the status owner. */
export const FIELD_MANAGER = 'tideplane';
/** At most this many `/scale` GETs of custom resources in flight at once. */
export const SCALE_GET_CONCURRENCY = 8;
/** events.k8s.io rejects notes longer than 1 kB. */
export const EVENT_NOTE_MAX_BYTES = 1024;
/** reportingController of Events is `tideplane.io/<component>`. */
export const EVENT_REPORTING_PREFIX = 'tideplane.io/';

/** Where each autoscaler kind lives. */
export const AUTOSCALER_RESOURCES: Record<
  AutoscalerKind,
  { group: string; version: string; plural: string }
> = {
  HorizontalAutoscaler: {
    group: 'autoscaling.tideplane.io',
    version: 'v1alpha1',
    plural: 'horizontalautoscalers',
  },
  HorizontalPodAutoscaler: { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers' },
};

/**
 * Where `getIngressRouting` reads each kind. Like kube-metrics-adapter, the described object's version
 * is ignored: an Ingress is always read as networking.k8s.io/v1, a RouteGroup as zalando.org/v1.
 */
export const INGRESS_ROUTING_RESOURCES: Readonly<
  Record<string, { group: string; version: string; plural: string }>
> = {
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  RouteGroup: { group: 'zalando.org', version: 'v1', plural: 'routegroups' },
};

/**
 * Where `getScalingSchedule` reads kube-metrics-adapter's schedule kinds (its CRDs
 * `scalingschedules.zalando.org`, namespaced, and `clusterscalingschedules.zalando.org`, cluster-scoped).
 */
export const SCALING_SCHEDULE_RESOURCES: Readonly<
  Record<'ScalingSchedule' | 'ClusterScalingSchedule', { group: string; version: string; plural: string }>
> = {
  ScalingSchedule: { group: 'zalando.org', version: 'v1', plural: 'scalingschedules' },
  ClusterScalingSchedule: { group: 'zalando.org', version: 'v1', plural: 'clusterscalingschedules' },
};

/** The Ingress annotation with the backends' traffic weights (kube-metrics-adapter's default). */
export const BACKEND_WEIGHTS_ANNOTATION = 'zalando.org/backend-weights';

/**
 * The hosts an Ingress or RouteGroup serves and its backends' traffic weights (percent). No weights
 * (`{}`) means the object does not split traffic between backends.
 */
export interface IngressRoutingInfo {
  hosts: string[];
  backendWeights: Record<string, number>;
}

/** The HPA status fields; a status write sets those the new status lacks to null, so it replaces. */
const STATUS_FIELDS = [
  'observedGeneration',
  'lastScaleTime',
  'currentReplicas',
  'desiredReplicas',
  'currentMetrics',
  'conditions',
] as const;

type AppsWorkloadKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet';
const APPS_WORKLOAD_KINDS: readonly AppsWorkloadKind[] = ['Deployment', 'StatefulSet', 'ReplicaSet'];

/**
 * The apps workload kind of a target, or undefined. Like upstream's HPA controller (which maps the
 * group and kind and ignores the version), any `apps/*` version means the served apps/v1.
 */
function appsWorkloadKind(target: ScaleTargetKey): AppsWorkloadKind | undefined {
  if (parseApiVersion(target.apiVersion).group !== 'apps') return undefined;
  return APPS_WORKLOAD_KINDS.find((k) => k === target.kind);
}

const describe = (t: ScaleTargetKey) => `${t.apiVersion} ${t.kind} ${t.namespace}/${t.name}`;

export interface KubernetesAdapterOptions {
  /** Items per list page; default `LIST_PAGE_SIZE`. */
  pageSize?: number;
  /** Events' reportingInstance, e.g. the Lambda function name; default `tideplane`. */
  reportingInstance?: string;
  /** Parallel `/scale` GETs for custom kinds; default `SCALE_GET_CONCURRENCY`. */
  scaleConcurrency?: number;
}

export interface ListPage<T> {
  items: T[];
  metadata?: { _continue?: string; continue?: string };
}

/**
 * Reads every page of a list. A continue token that expired (410 Gone) restarts the list once from
 * the beginning, as client-go's pager falls back to a full list.
 */
export async function listAllPages<T>(
  fetchPage: (continueToken: string | undefined) => Promise<ListPage<T>>,
): Promise<T[]> {
  let items: T[] = [];
  let continueToken: string | undefined;
  let restarted = false;
  for (;;) {
    let page: ListPage<T>;
    try {
      page = await fetchPage(continueToken);
    } catch (error) {
      if (isGone(error) && continueToken !== undefined && !restarted) {
        restarted = true;
        items = [];
        continueToken = undefined;
        continue;
      }
      throw error;
    }
    items = items.concat(page.items ?? []);
    continueToken = page.metadata?._continue || page.metadata?.continue || undefined;
    if (!continueToken) return items;
  }
}

/**
 * `KubernetesPort` for one cluster.
 *
 * @example
 *   const adapter = new KubernetesAdapter(createKubeClient({ server, token, caData }));
 *   const [pods, hpas] = await Promise.all([adapter.listPods(), adapter.listAutoscalers('HorizontalAutoscaler')]);
 */
export class KubernetesAdapter implements KubernetesPort {
  private readonly pageSize: number;
  private readonly reportingInstance: string;
  private readonly scaleConcurrency: number;
  /** Kind → resource discovery, cached for the life of the adapter (shared with the metrics source). */
  readonly resolver: ResourceResolver;
  private readonly policy: PolicyV1Api;
  private eventSequence = 0;

  constructor(
    readonly client: KubeClient,
    options: KubernetesAdapterOptions = {},
  ) {
    this.pageSize = options.pageSize ?? LIST_PAGE_SIZE;
    this.reportingInstance = options.reportingInstance ?? 'tideplane';
    this.scaleConcurrency = options.scaleConcurrency ?? SCALE_GET_CONCURRENCY;
    this.resolver = new ResourceResolver(client);
    this.policy = new PolicyV1Api(client.configuration);
  }

  /** HTTP requests made so far, by verb and resource. */
  stats(): RequestStats {
    return this.client.stats();
  }

  resetStats(): void {
    this.client.resetStats();
  }

  async listPods(filter: PodFilter = {}): Promise<Pod[]> {
    try {
      const fieldSelector = filter.nodeName !== undefined ? `spec.nodeName=${filter.nodeName}` : undefined;
      const namespace = filter.namespace;
      const pods = await listAllPages((_continue) =>
        namespace !== undefined
          ? this.client.core.listNamespacedPod({
              namespace,
              limit: this.pageSize,
              _continue,
              ...(fieldSelector ? { fieldSelector } : {}),
            })
          : this.client.core.listPodForAllNamespaces({
              limit: this.pageSize,
              _continue,
              ...(fieldSelector ? { fieldSelector } : {}),
            }),
      );
      return pods.map(toPod);
    } catch (error) {
      throw toPortError(error, 'list pods');
    }
  }

  async listNodes(): Promise<Node[]> {
    try {
      const nodes = await listAllPages((_continue) =>
        this.client.core.listNode({ limit: this.pageSize, _continue }),
      );
      return nodes.map(toNode);
    } catch (error) {
      throw toPortError(error, 'list nodes');
    }
  }

  async listPersistentVolumeClaims(): Promise<PersistentVolumeClaim[]> {
    try {
      const claims = await listAllPages((_continue) =>
        this.client.core.listPersistentVolumeClaimForAllNamespaces({ limit: this.pageSize, _continue }),
      );
      return claims.map(toPersistentVolumeClaim);
    } catch (error) {
      throw toPortError(error, 'list persistentvolumeclaims');
    }
  }

  async listPersistentVolumes(): Promise<PersistentVolume[]> {
    try {
      const volumes = await listAllPages((_continue) =>
        this.client.core.listPersistentVolume({ limit: this.pageSize, _continue }),
      );
      return volumes.map(toPersistentVolume);
    } catch (error) {
      throw toPortError(error, 'list persistentvolumes');
    }
  }

  async listDaemonSets(): Promise<DaemonSet[]> {
    try {
      const daemonSets = await listAllPages((_continue) =>
        this.client.apps.listDaemonSetForAllNamespaces({ limit: this.pageSize, _continue }),
      );
      return daemonSets.map(toDaemonSet);
    } catch (error) {
      throw toPortError(error, 'list daemonsets.apps');
    }
  }

  async listPodDisruptionBudgets(): Promise<PodDisruptionBudget[]> {
    try {
      const budgets = await listAllPages((_continue) =>
        this.policy.listPodDisruptionBudgetForAllNamespaces({ limit: this.pageSize, _continue }),
      );
      return budgets.map(toPodDisruptionBudget);
    } catch (error) {
      throw toPortError(error, 'list poddisruptionbudgets.policy');
    }
  }

  /**
   * One GET of the node, then, only when its taints differ from what is asked, a JSON merge patch of
   * spec.taints carrying the resourceVersion read: the API server refuses it with a 409 when anything
   * changed the node in between, so a taint another writer added or removed is never overwritten.
   */
  async setNodeTaint(nodeName: string, taint: Taint, present: boolean): Promise<void> {
    const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
    const what = `${present ? 'add' : 'remove'} taint ${taint.key}:${taint.effect} on node ${nodeName}`;
    try {
      // Raw JSON, so that the taints written back are exactly the ones read (timeAdded included).
      const node = await this.client.request<RawNode>('GET', path);
      const taints = withTaint(node.spec?.taints ?? [], taint, present);
      if (taints === undefined) return;
      await this.client.request('PATCH', path, {
        query: { fieldManager: FIELD_MANAGER },
        body: { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints } },
        contentType: PatchStrategy.MergePatch,
      });
    } catch (error) {
      throw toPortError(error, what);
    }
  }

  /**
   * POSTs a policy/v1 Eviction to the pod's `eviction` subresource; the API server deletes the pod only
   * when its PodDisruptionBudget allows it. A given `gracePeriodSeconds` goes in the Eviction's
   * deleteOptions, where the API server uses it instead of the pod's own (a longer one too). Any 429
   * means "later" (a budget, or the server shedding load). A pod that two budgets select gets a 500,
   * thrown as is: no wait fixes that.
   */
  async evictPod(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number } = {},
  ): Promise<EvictionResult> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`;
    const body = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
      ...(options.gracePeriodSeconds !== undefined
        ? { deleteOptions: { gracePeriodSeconds: options.gracePeriodSeconds } }
        : {}),
    };
    try {
      await this.client.request('POST', path, { body });
      return 'evicted';
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 429 || (status === 403 && isDisruptionBudgetRefusal(error))) return 'blocked';
      if (status === 404) return 'gone';
      throw toPortError(error, `evict pod ${namespace}/${name}`);
    }
  }

  async deleteNode(nodeName: string): Promise<void> {
    try {
      await this.client.request('DELETE', `/api/v1/nodes/${encodeURIComponent(nodeName)}`);
    } catch (error) {
      if (isNotFound(error)) return;
      throw toPortError(error, `delete node ${nodeName}`);
    }
  }

  /** Throws `NotFoundError` when the kind is not served (the CRD is not installed). */
  async listAutoscalers(kind: AutoscalerKind): Promise<AutoscalerObject[]> {
    const { group, version, plural } = AUTOSCALER_RESOURCES[kind];
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
      return items.map((item) => toAutoscaler(kind, item, `${group}/${version}`));
    } catch (error) {
      throw toPortError(error, `list ${plural}.${group}`);
    }
  }

  async getScales(targets: ScaleTargetKey[]): Promise<Map<string, Scale>> {
    const unique = new Map<string, ScaleTargetKey>();
    for (const target of targets) unique.set(scaleTargetKeyString(target), target);

    const byAppsKind = new Map<AppsWorkloadKind, ScaleTargetKey[]>();
    const others: ScaleTargetKey[] = [];
    for (const target of unique.values()) {
      const kind = appsWorkloadKind(target);
      if (!kind) others.push(target);
      else if (byAppsKind.has(kind)) byAppsKind.get(kind)?.push(target);
      else byAppsKind.set(kind, [target]);
    }

    const result = new Map<string, Scale>();
    const listed = [...byAppsKind].map(async ([kind, kindTargets]) => {
      const workloads = await this.listWorkloads(kind);
      for (const target of kindTargets) {
        const workload = workloads.get(`${target.namespace}/${target.name}`);
        if (workload) result.set(scaleTargetKeyString(target), scaleFromWorkload(target, workload));
      }
    });
    const fetched = mapLimit(others, this.scaleConcurrency, async (target) => {
      const scale = await this.getScale(target);
      if (scale) result.set(scaleTargetKeyString(target), scale);
    });
    await Promise.all([...listed, fetched]);
    return result;
  }

  async getScale(target: ScaleTargetKey): Promise<Scale | undefined> {
    try {
      const appsKind = appsWorkloadKind(target);
      if (appsKind) {
        const request = { name: target.name, namespace: target.namespace };
        const scale =
          appsKind === 'Deployment'
            ? await this.client.apps.readNamespacedDeploymentScale(request)
            : appsKind === 'StatefulSet'
              ? await this.client.apps.readNamespacedStatefulSetScale(request)
              : await this.client.apps.readNamespacedReplicaSetScale(request);
        return scaleFromScaleObject(target, scale);
      }
      const resource = await this.resolver.resolve(target.apiVersion, target.kind);
      if (!resource?.scalable) return undefined;
      const scale = await this.client.request<RawScale>('GET', scalePath(resource, target));
      return scaleFromScaleObject(target, scale);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toPortError(error, `get scale of ${describe(target)}`);
    }
  }

  async updateScale(target: ScaleTargetKey, replicas: number, resourceVersion: string): Promise<Scale> {
    const body: V1Scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: target.name, namespace: target.namespace, resourceVersion },
      spec: { replicas },
    };
    try {
      const appsKind = appsWorkloadKind(target);
      if (appsKind) {
        const request = { name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER };
        const scale =
          appsKind === 'Deployment'
            ? await this.client.apps.replaceNamespacedDeploymentScale(request)
            : appsKind === 'StatefulSet'
              ? await this.client.apps.replaceNamespacedStatefulSetScale(request)
              : await this.client.apps.replaceNamespacedReplicaSetScale(request);
        return scaleFromScaleObject(target, scale);
      }
      const resource = await this.resolver.resolve(target.apiVersion, target.kind);
      if (!resource?.scalable) {
        throw new NotFoundError(
          `update scale of ${describe(target)}: the kind is not served with a scale subresource`,
        );
      }
      const scale = await this.client.request<RawScale>('PUT', scalePath(resource, target), {
        query: { fieldManager: FIELD_MANAGER },
        body,
      });
      return scaleFromScaleObject(target, scale);
    } catch (error) {
      throw toPortError(error, `update scale of ${describe(target)}`);
    }
  }

  async updateAutoscalerStatus(
    autoscaler: Pick<AutoscalerObject, 'kind' | 'apiVersion' | 'namespace' | 'name'>,
    status: HorizontalPodAutoscalerStatus,
  ): Promise<void> {
    const { group, version } = parseApiVersion(autoscaler.apiVersion || defaultApiVersion(autoscaler.kind));
    const { plural } = AUTOSCALER_RESOURCES[autoscaler.kind];
    // A JSON merge patch merges maps; nulls for the fields the new status lacks make it a replacement.
    const replacement: Record<string, unknown> = Object.fromEntries(
      STATUS_FIELDS.map((field) => [field, null]),
    );
    for (const [field, value] of Object.entries(status)) {
      if (value !== undefined) replacement[field] = value;
    }
    try {
      await this.client.customObjects.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace: autoscaler.namespace,
          plural,
          name: autoscaler.name,
          body: { status: replacement },
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw toPortError(
        error,
        `update status of ${autoscaler.kind} ${autoscaler.namespace}/${autoscaler.name}`,
      );
    }
  }

  /** Creates an events.k8s.io/v1 Event. Throws on failure; callers log and go on. */
  async createEvent(event: KubeEvent): Promise<void> {
    const regarding = event.involvedObject;
    // Events about cluster-scoped objects (nodes) live in `default`, as upstream's recorder puts them.
    const namespace = regarding.namespace || 'default';
    const create = (name: string) =>
      this.client.events.createNamespacedEvent({
        namespace,
        fieldManager: FIELD_MANAGER,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace },
          eventTime: new V1MicroTime(event.time),
          reportingController: reportingController(event.reportingComponent),
          reportingInstance: this.reportingInstance,
          action: eventAction(event.reason),
          reason: event.reason,
          type: event.type,
          note: truncateUtf8(event.message, EVENT_NOTE_MAX_BYTES),
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            namespace: regarding.namespace || undefined,
            name: regarding.name,
            uid: regarding.uid,
          },
        },
      });
    try {
      try {
        await create(this.eventName(regarding.name, event.time));
      } catch (error) {
        // Two events on one object in the same instant from two invocations: take the next name.
        if (!isConflict(error)) throw error;
        await create(this.eventName(regarding.name, event.time));
      }
    } catch (error) {
      throw toPortError(
        error,
        `create event ${event.reason} on ${regarding.kind} ${namespace}/${regarding.name}`,
      );
    }
  }

  /** Cluster-wide, one request (metrics APIs do not paginate). Empty when metrics.k8s.io is not served. */
  async listPodMetrics(): Promise<PodMetrics[]> {
    try {
      const list = (await this.client.customObjects.listClusterCustomObject({
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        plural: 'pods',
      })) as { items?: Parameters<typeof toPodMetrics>[0][] };
      return (list.items ?? []).map(toPodMetrics);
    } catch (error) {
      if (isNotServed(error)) return [];
      throw toPortError(error, 'list pods.metrics.k8s.io');
    }
  }

  /**
   * One GET of an Ingress (networking.k8s.io/v1) or RouteGroup (zalando.org/v1): the hosts it serves and
   * its backends' weights, for the `requests-per-second` metric collector. Undefined when the object (or
   * the RouteGroup CRD) does not exist. Throws `MalformedObjectError` for an unreadable weights
   * annotation, `ForbiddenError` on 403.
   */
  async getIngressRouting(ref: {
    apiVersion: string;
    kind: string;
    namespace: string;
    name: string;
  }): Promise<IngressRoutingInfo | undefined> {
    const resource = Object.hasOwn(INGRESS_ROUTING_RESOURCES, ref.kind)
      ? INGRESS_ROUTING_RESOURCES[ref.kind]
      : undefined;
    const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
    if (!resource) {
      throw new MalformedObjectError(`get routing of ${what}: only Ingress and RouteGroup have routing`);
    }
    const path =
      `/apis/${resource.group}/${resource.version}/namespaces/${encodeURIComponent(ref.namespace)}` +
      `/${resource.plural}/${encodeURIComponent(ref.name)}`;
    let object: RawObject;
    try {
      object = await this.client.request<RawObject>('GET', path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toPortError(error, `get ${resource.plural}.${resource.group} ${ref.namespace}/${ref.name}`);
    }
    return ref.kind === 'Ingress' ? ingressRouting(object, what) : routeGroupRouting(object);
  }

  /**
   * One GET of a ScalingSchedule (in `ref.namespace`) or ClusterScalingSchedule (zalando.org/v1): its
   * raw `spec`, which the `scheduled-scaling` metric collector validates. Undefined when the object, or
   * its CRD, does not exist (404). Throws `MalformedObjectError` for a ScalingSchedule without a
   * namespace, `ForbiddenError` on 403. Not cached here: the metric router fetches each distinct
   * schedule once per tick.
   */
  async getScalingSchedule(ref: {
    kind: 'ScalingSchedule' | 'ClusterScalingSchedule';
    namespace?: string;
    name: string;
  }): Promise<unknown | undefined> {
    const resource = Object.hasOwn(SCALING_SCHEDULE_RESOURCES, ref.kind)
      ? SCALING_SCHEDULE_RESOURCES[ref.kind]
      : undefined;
    if (!resource) {
      throw new MalformedObjectError(`get ${ref.kind} ${ref.name}: not a ScalingSchedule kind`);
    }
    const namespaced = ref.kind === 'ScalingSchedule';
    if (namespaced && !ref.namespace) {
      throw new MalformedObjectError(`get ScalingSchedule ${ref.name}: a ScalingSchedule is namespaced`);
    }
    const scope = namespaced ? `/namespaces/${encodeURIComponent(ref.namespace as string)}` : '';
    const path =
      `/apis/${resource.group}/${resource.version}${scope}` +
      `/${resource.plural}/${encodeURIComponent(ref.name)}`;
    try {
      return (await this.client.request<RawObject>('GET', path)).spec;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      const name = namespaced ? `${ref.namespace}/${ref.name}` : ref.name;
      throw toPortError(error, `get ${resource.plural}.${resource.group} ${name}`);
    }
  }

  /** Closes pooled connections. */
  close(): Promise<void> {
    return this.client.close();
  }

  private async listWorkloads(kind: AppsWorkloadKind): Promise<Map<string, ScalableWorkload>> {
    const page = (_continue: string | undefined) => {
      const request = { limit: this.pageSize, _continue };
      switch (kind) {
        case 'Deployment':
          return this.client.apps.listDeploymentForAllNamespaces(request);
        case 'StatefulSet':
          return this.client.apps.listStatefulSetForAllNamespaces(request);
        case 'ReplicaSet':
          return this.client.apps.listReplicaSetForAllNamespaces(request);
      }
    };
    try {
      const items = await listAllPages<
        ScalableWorkload & { metadata?: { name?: string; namespace?: string } }
      >(page as (c: string | undefined) => Promise<ListPage<ScalableWorkload>>);
      return new Map(items.map((w) => [`${w.metadata?.namespace}/${w.metadata?.name}`, w]));
    } catch (error) {
      throw toPortError(error, `list ${kind.toLowerCase()}s.apps`);
    }
  }

  /** `<name>.<hex>` like upstream's recorder (name + timestamp), with a sequence for same-instant events. */
  private eventName(regardingName: string, time: number): string {
    this.eventSequence = (this.eventSequence + 1) % 1_000_000;
    const stamp = BigInt(Math.max(0, Math.trunc(time))) * 1_000_000n + BigInt(this.eventSequence);
    return `${regardingName.slice(0, 200)}.${stamp.toString(16)}`;
  }
}

/** The fields of a Node that `setNodeTaint` reads, as raw JSON. */
interface RawNode {
  metadata?: { resourceVersion?: string };
  spec?: { taints?: RawTaint[] };
}

interface RawTaint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/**
 * The node's taints with `taint` (same key and effect) present or absent; undefined when they already
 * are as asked, so a repeated call writes nothing.
 */
function withTaint(current: readonly RawTaint[], taint: Taint, present: boolean): RawTaint[] | undefined {
  const same = (t: RawTaint) => t.key === taint.key && t.effect === taint.effect;
  const value = taint.value ?? '';
  if (!present) return current.some(same) ? current.filter((t) => !same(t)) : undefined;
  const existing = current.find(same);
  if (existing && (existing.value ?? '') === value) return undefined;
  const wanted: RawTaint = { key: taint.key, ...(value ? { value } : {}), effect: taint.effect };
  return existing ? current.map((t) => (same(t) ? wanted : t)) : [...current, wanted];
}

/**
 * A 403 that the eviction subresource answers for a budget (its Status names a `DisruptionBudget`
 * cause: a negative disruptionsAllowed, or too many evictions the disruption controller has not
 * confirmed yet), unlike an RBAC 403. Like a 429, it clears once the controller catches up.
 */
function isDisruptionBudgetRefusal(error: unknown): boolean {
  if (!(error instanceof ApiException)) return false;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return false;
    }
  }
  // A StatusCause's type travels as `reason` on the wire.
  const causes = (body as { details?: { causes?: { reason?: unknown }[] } } | undefined)?.details?.causes;
  return Array.isArray(causes) && causes.some((cause) => cause?.reason === DISRUPTION_BUDGET_CAUSE);
}

/** policy/v1's `DisruptionBudgetCause`, the StatusCause type of the eviction subresource's refusals. */
const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';

function defaultApiVersion(kind: AutoscalerKind): string {
  const { group, version } = AUTOSCALER_RESOURCES[kind];
  return `${group}/${version}`;
}

function scalePath(resource: ResolvedResource, target: ScaleTargetKey): string {
  const base =
    resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const namespace = resource.namespaced ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  return `${base}${namespace}/${resource.resource}/${encodeURIComponent(target.name)}/scale`;
}

/** `tideplane-hpa` → `tideplane.io/hpa`; a component that already names a controller is kept. */
export function reportingController(component: string): string {
  if (component.includes('/')) return component;
  return `${EVENT_REPORTING_PREFIX}${component.replace(/^tideplane-/, '')}`;
}

/** The action an event reports: its reason without the outcome (`SuccessfulRescale` → `Rescale`). */
export function eventAction(reason: string): string {
  const match = /^(?:Successful|Succeeded|Failed)(.+)$/.exec(reason);
  return (match?.[1] ?? reason).slice(0, 128);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end), 'utf8') > maxBytes - 3) end--;
  return `${text.slice(0, end)}...`;
}

/** Non-empty strings of `values`, each once, in order. */
function distinctHosts(values: readonly unknown[]): string[] {
  const hosts = values.filter((h): h is string => typeof h === 'string' && h !== '');
  return [...new Set(hosts)];
}

/**
 * An Ingress's hosts (`spec.rules[].host`; rules without a host are skipped) and the weights of its
 * `zalando.org/backend-weights` annotation, a JSON object of backend name → percent.
 */
export function ingressRouting(object: RawObject, what = 'Ingress'): IngressRoutingInfo {
  const raw = object as {
    metadata?: { annotations?: Record<string, string> };
    spec?: { rules?: { host?: unknown }[] };
  };
  const hosts = distinctHosts((raw.spec?.rules ?? []).map((rule) => rule?.host));
  const annotation = raw.metadata?.annotations?.[BACKEND_WEIGHTS_ANNOTATION];
  if (annotation === undefined) return { hosts, backendWeights: {} };
  const malformed = (detail: string) =>
    new MalformedObjectError(
      `annotation ${BACKEND_WEIGHTS_ANNOTATION} of ${what} must be a JSON object of backend name to ` +
        `weight: ${detail}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw malformed(`got ${annotation.slice(0, 100)}`);
  }
  const backendWeights: Record<string, number> = {};
  for (const [backend, weight] of Object.entries(parsed)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw malformed(`the weight of ${JSON.stringify(backend)} is ${JSON.stringify(weight)}`);
    }
    backendWeights[backend] = weight;
  }
  return { hosts, backendWeights };
}

/**
 * A RouteGroup's hosts (`spec.hosts`) and the weights of its `spec.defaultBackends[]` (`backendName`,
 * `weight`, absent = 0), as kube-metrics-adapter reads them. With at most one default backend the
 * traffic is not split: no weights.
 */
export function routeGroupRouting(object: RawObject): IngressRoutingInfo {
  const raw = object as {
    spec?: { hosts?: unknown[]; defaultBackends?: { backendName?: unknown; weight?: unknown }[] };
  };
  const hosts = distinctHosts(raw.spec?.hosts ?? []);
  const defaults = raw.spec?.defaultBackends ?? [];
  const backendWeights: Record<string, number> = {};
  if (defaults.length > 1) {
    for (const backend of defaults) {
      if (typeof backend?.backendName !== 'string') continue;
      const weight =
        typeof backend.weight === 'number' && Number.isFinite(backend.weight) ? backend.weight : 0;
      backendWeights[backend.backendName] = weight;
    }
  }
  return { hosts, backendWeights };
}
