/**
 * Cluster fixtures shared by the HPA end-to-end suites: a Deployment with pods that look Running and
 * Ready (no kubelet or controllers run, so the test writes what they would), HorizontalAutoscaler
 * objects, and admin-side readers for what the loop wrote (replicas, autoscaler status, Events).
 */
import { KubernetesAdapter } from '../../../shared/adapters/kubernetes/adapter';
import { createKubeClient } from '../../../shared/adapters/kubernetes/client';
import { KubernetesMetricsApiSource } from '../../../shared/adapters/metrics/kubernetes-metrics-api';
import type { HorizontalPodAutoscalerStatus } from '../../../shared/ports/autoscaling-v2';
import type { StateStore } from '../../../shared/ports/state-store';
import type { KubeHttp, KubeObject, TestCluster } from '../harness';

export const HA_API_VERSION = 'autoscaling.tideplane.io/v1alpha1';
export const HA_API = `/apis/${HA_API_VERSION}`;
export const MERGE_PATCH = 'application/merge-patch+json';

export interface WebWorkloadOptions {
  namespace: string;
  /** Deployment name; pods are `<name>-0`, `<name>-1`, … labelled `app: <name>`. */
  name: string;
  replicas: number;
  /** Pods to create (the Deployment controller does not run). */
  pods: number;
  /** The app container's CPU request, e.g. `100m`. */
  cpuRequest: string;
  /** Epoch ms the pods started; well before the loop's `now`, so CPU initialization rules pass them. */
  startedAt: number;
}

export const podNames = (name: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${name}-${i}`);

/** A namespace, a Deployment and its pods, Running and Ready since `startedAt`. */
export async function createWebWorkload(cluster: TestCluster, options: WebWorkloadOptions): Promise<void> {
  const { namespace, name, replicas, cpuRequest, startedAt } = options;
  const admin = cluster.client();
  const container = {
    name: 'app',
    image: 'registry.invalid/web:1',
    resources: { requests: { cpu: cpuRequest, memory: '64Mi' } },
  };
  await cluster.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
      },
    },
  ]);
  await admin.call('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/status`, {
    body: {
      status: { replicas: options.pods, readyReplicas: options.pods, availableReplicas: options.pods },
    },
    contentType: MERGE_PATCH,
  });
  for (const pod of podNames(name, options.pods)) {
    await admin.post(`/api/v1/namespaces/${namespace}/pods`, {
      metadata: { name: pod, labels: { app: name } },
      spec: { containers: [container] },
    });
    await admin.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}/status`, {
      body: {
        status: {
          phase: 'Running',
          startTime: new Date(startedAt).toISOString(),
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: new Date(startedAt + 10_000).toISOString() },
          ],
        },
      },
      contentType: MERGE_PATCH,
    });
  }
}

/** A HorizontalAutoscaler with the given autoscaling/v2 spec. */
export function horizontalAutoscaler(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): KubeObject {
  return { apiVersion: HA_API_VERSION, kind: 'HorizontalAutoscaler', metadata: { name, namespace }, spec };
}

/** The spec of an autoscaler of a Deployment on average CPU utilization. */
export function cpuUtilizationSpec(
  deployment: string,
  averageUtilization: number,
  minReplicas: number,
  maxReplicas: number,
): Record<string, unknown> {
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
    minReplicas,
    maxReplicas,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } } },
    ],
  };
}

/** Sets the same CPU usage on every listed pod (metrics.k8s.io, through the aggregator). */
export function setPodCpu(cluster: TestCluster, namespace: string, pods: string[], cpu: string): void {
  const metrics = cluster.metrics;
  if (!metrics) throw new Error('the test cluster serves no metrics APIs');
  for (const pod of pods) metrics.setPodMetrics(namespace, pod, [{ name: 'app', cpu, memory: '64Mi' }]);
}

/** The adapter and metric source as the Lambda builds them: user `tideplane`, the shipped ClusterRole only. */
export function connectAsTideplane(
  cluster: TestCluster,
  reportingInstance = 'tideplane-e2e',
): { adapter: KubernetesAdapter; metrics: KubernetesMetricsApiSource } {
  const adapter = new KubernetesAdapter(
    createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
    { reportingInstance },
  );
  return { adapter, metrics: new KubernetesMetricsApiSource(adapter.client, { resolver: adapter.resolver }) };
}

export interface DeploymentView {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec: { replicas: number };
}

export function readDeployment(admin: KubeHttp, namespace: string, name: string): Promise<DeploymentView> {
  return admin.get<DeploymentView>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
}

export interface AutoscalerView {
  metadata: {
    uid: string;
    generation: number;
    resourceVersion: string;
    managedFields?: { manager: string; operation: string; subresource?: string }[];
  };
  status?: HorizontalPodAutoscalerStatus;
}

export function readAutoscaler(admin: KubeHttp, namespace: string, name: string): Promise<AutoscalerView> {
  return admin.get<AutoscalerView>(`${HA_API}/namespaces/${namespace}/horizontalautoscalers/${name}`);
}

/** An events.k8s.io/v1 Event as the API server returns it. */
export interface EventView {
  metadata: { name: string };
  type: string;
  reason: string;
  note: string;
  action: string;
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { apiVersion?: string; kind: string; namespace?: string; name: string; uid?: string };
}

/** Events of the namespace about the named HorizontalAutoscaler (read as admin: tideplane may not list). */
export async function autoscalerEvents(
  admin: KubeHttp,
  namespace: string,
  name: string,
): Promise<EventView[]> {
  const list = await admin.get<{ items: EventView[] }>(
    `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
  );
  return list.items.filter((e) => e.regarding.kind === 'HorizontalAutoscaler' && e.regarding.name === name);
}

/** Every Event of the namespace. */
export async function namespaceEvents(admin: KubeHttp, namespace: string): Promise<EventView[]> {
  const list = await admin.get<{ items: EventView[] }>(
    `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
  );
  return list.items;
}

/**
 * Everything an HPA invocation could change, to compare before and after: the target's replicas and
 * version, the autoscaler's version and status, the namespace's Events, the cluster's DynamoDB items
 * (leases left out: taking and giving one back is not a change to the world).
 */
export async function observableState(
  admin: KubeHttp,
  store: StateStore,
  cluster: string,
  namespace: string,
  name: string,
) {
  const [deployment, autoscaler, events, items] = await Promise.all([
    readDeployment(admin, namespace, name),
    readAutoscaler(admin, namespace, name),
    namespaceEvents(admin, namespace),
    store.query(cluster),
  ]);
  return {
    replicas: deployment.spec.replicas,
    deploymentVersion: deployment.metadata.resourceVersion,
    autoscalerVersion: autoscaler.metadata.resourceVersion,
    status: autoscaler.status,
    events: events.length,
    items: items.filter((i) => !i.sk.startsWith('lease#')).map((i) => ({ sk: i.sk, version: i.version })),
  };
}
