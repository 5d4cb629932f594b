/**
 * Smoke test of the cluster test harness: a real kube-apiserver + etcd (built by
 * `npm run test-peers`), RBAC that really says no, and the metrics APIs aggregated through it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeObject, parseManifests, startTestCluster, type TestCluster } from './harness';
import { REPO_ROOT } from './harness/binaries';

const NS = 'harness-smoke';

describe('test cluster harness', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startTestCluster({ bindTideplaneRole: false, users: { viewer: [] } });
    console.info(
      `test cluster ${cluster.server} (kube ${cluster.kubeVersion}) ready in ${Date.now() - started} ms`,
    );
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs a ready kube-apiserver of the pinned version', async () => {
    const admin = cluster.client();
    expect((await admin.request('GET', '/readyz')).status).toBe(200);
    const version = await admin.get<{ gitVersion: string }>('/version');
    expect(version.gitVersion).toBe(`v${cluster.kubeVersion}`);
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("applies the repo's infra/manifests/ (CRDs Established)", async () => {
    const dir = join(REPO_ROOT, 'infra', 'manifests');
    const expected = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8'), f));
    expect(cluster.appliedManifests.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      expected.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    for (const crd of expected.filter((o) => o.kind === 'CustomResourceDefinition')) {
      const stored = await cluster
        .client()
        .get<{ status: { conditions: { type: string; status: string }[] } }>(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        );
      expect(stored.status.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
  });

  it('lets admin create a namespace and a Deployment', async () => {
    const applied = await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: app
          image: registry.invalid/web:1
          resources:
            requests: { cpu: 100m, memory: 64Mi }
`);
    expect(applied.map((o) => o.kind)).toEqual(['Namespace', 'Deployment']);
    const deployment = await cluster
      .client()
      .get<KubeObject & { spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${NS}/deployments/web`);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.metadata.uid).toEqual(expect.any(String));
  });

  it('applies CustomResourceDefinitions and waits until they are Established', async () => {
    await cluster.apply(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.harness.tideplane.test
spec:
  group: harness.tideplane.test
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }
---
apiVersion: harness.tideplane.test/v1
kind: Widget
metadata:
  name: w1
  namespace: ${NS}
spec:
  size: 3
`);
    const widget = await cluster
      .client()
      .get<{ spec: { size: number } }>(`/apis/harness.tideplane.test/v1/namespaces/${NS}/widgets/w1`);
    expect(widget.spec.size).toBe(3);
  });

  it('forbids user tideplane without a binding from listing pods (a real RBAC 403)', async () => {
    const res = await cluster
      .client(cluster.tideplaneToken)
      .request<{ reason: string; message: string }>('GET', `/api/v1/namespaces/${NS}/pods`);
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('Forbidden');
    expect(res.body.message).toContain('User "tideplane" cannot list resource "pods"');
  });

  it('serves pod metrics set by the test through the apiserver (aggregated metrics.k8s.io)', async () => {
    expect(cluster.metricsAggregated).toBe(true);
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('metrics APIs not started');
    await cluster.apply(
      ['a', 'b'].map((suffix) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${suffix}`, namespace: NS, labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'registry.invalid/web:1' }] },
      })),
    );
    metrics.setPodMetrics(NS, 'web-a', [{ name: 'app', cpu: '250m', memory: '64Mi' }]);
    metrics.setPodMetrics(NS, 'web-b', [{ name: 'app', cpu: 0.5, memory: 100 * 1024 * 1024 }]);
    metrics.setPodMetrics(NS, 'other', [{ name: 'x', cpu: '1', memory: '1Gi' }], {
      labels: { app: 'other' },
    });

    const admin = cluster.client();
    const one = await admin.get<{
      kind: string;
      containers: { name: string; usage: Record<string, string> }[];
    }>(`/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web-a`);
    expect(one.kind).toBe('PodMetrics');
    expect(one.containers).toEqual([{ name: 'app', usage: { cpu: '250m', memory: '64Mi' } }]);

    const list = await admin.get<{
      kind: string;
      items: { metadata: { name: string }; containers: unknown[] }[];
    }>(`/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`, { labelSelector: 'app=web' });
    expect(list.kind).toBe('PodMetricsList');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['web-a', 'web-b']);
    expect(list.items[1]?.containers).toEqual([{ name: 'app', usage: { cpu: '500m', memory: '104857600' } }]);

    // kube-apiserver authenticated the caller and passed the identity on to the aggregated server.
    expect(metrics.requests.some((r) => r.user === 'admin' && r.url.includes('/pods/web-a'))).toBe(true);

    // RBAC applies to the aggregated API too.
    const denied = await cluster
      .client(cluster.tideplaneToken)
      .request('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`);
    expect(denied.status).toBe(403);
  });

  it('serves custom and external metrics through the apiserver', async () => {
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('metrics APIs not started');
    metrics.setCustomPodMetric(NS, 'web-a', 'http_requests_per_second', 12);
    metrics.setCustomPodMetric(NS, 'web-b', 'http_requests_per_second', '7500m');
    metrics.setObjectMetric(
      { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments.apps', namespace: NS, name: 'web' },
      'queue_depth',
      42,
    );
    metrics.setExternalMetric(NS, 'sqs_messages_visible', [
      { value: 30, labels: { queue: 'jobs' } },
      { value: 5, labels: { queue: 'other' } },
    ]);
    const admin = cluster.client();

    const pods = await admin.get<{
      kind: string;
      items: { describedObject: { name: string }; value: string }[];
    }>(`/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_per_second`, {
      labelSelector: 'app=web',
    });
    expect(pods.kind).toBe('MetricValueList');
    expect(pods.items.map((i) => [i.describedObject.name, i.value])).toEqual([
      ['web-a', '12'],
      ['web-b', '7500m'],
    ]);

    const object = await admin.get<{ items: { describedObject: Record<string, string>; value: string }[] }>(
      `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/deployments.apps/web/queue_depth`,
    );
    expect(object.items).toHaveLength(1);
    expect(object.items[0]?.describedObject).toEqual({
      kind: 'Deployment',
      namespace: NS,
      name: 'web',
      apiVersion: 'apps/v1',
    });
    expect(object.items[0]?.value).toBe('42');

    const external = await admin.get<{ kind: string; items: { metricName: string; value: string }[] }>(
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/sqs_messages_visible`,
      { labelSelector: 'queue=jobs' },
    );
    expect(external.kind).toBe('ExternalMetricValueList');
    expect(external.items).toEqual([
      expect.objectContaining({ metricName: 'sqs_messages_visible', value: '30' }),
    ]);

    const missing = await admin.request('GET', `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/nope`);
    expect(missing.status).toBe(404);
  });

  it('hands out kubeconfigs that @kubernetes/client-node accepts, with RBAC per user', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig());
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain(NS);

    // Not the built-in `view`: it is an aggregated ClusterRole whose rules kube-controller-manager fills.
    await cluster.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'harness-pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await cluster.bindClusterRole('viewer', 'harness-pod-reader');
    const viewer = new KubeConfig();
    viewer.loadFromString(cluster.kubeconfig(cluster.userToken('viewer')));
    const core = viewer.makeApiClient(CoreV1Api);
    // RBAC decisions follow the binding once the authorizer's informer has seen it.
    let pods: Awaited<ReturnType<CoreV1Api['listNamespacedPod']>> | undefined;
    for (let i = 0; i < 50 && !pods; i++) {
      pods = await core.listNamespacedPod({ namespace: NS }).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(pods?.items.map((p) => p.metadata?.name).sort()).toEqual(['web-a', 'web-b']);
    expect(() => cluster.userToken('nobody')).toThrow(/no test user "nobody"/);
  });
});

describe('test cluster harness with controllers', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startTestCluster({
      metricsApis: false,
      controllers: ['clusterrole-aggregation-controller', 'deployment-controller', 'replicaset-controller'],
    });
    console.info(`test cluster with kube-controller-manager ready in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('binds user tideplane to ClusterRole tideplane by default', async () => {
    const binding = await cluster
      .client()
      .get<{ roleRef: { name: string }; subjects: { kind: string; name: string }[] }>(
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/tideplane-user',
      );
    expect(binding.roleRef.name).toBe('tideplane');
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'User', name: 'tideplane' })]);
    expect(cluster.metrics).toBeUndefined();
    expect(cluster.metricsAggregated).toBe(false);
  });

  it('runs the real controllers: a Deployment gets a ReplicaSet and (unscheduled) Pods', async () => {
    await cluster.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'api', image: 'registry.invalid/api:1' }] },
        },
      },
    });
    const admin = cluster.client();
    let pods: { metadata: { name: string }; status: { phase: string } }[] = [];
    for (let i = 0; i < 100 && pods.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pods = (
        await admin.get<{ items: typeof pods }>('/api/v1/namespaces/default/pods', {
          labelSelector: 'app=api',
        })
      ).items;
    }
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status.phase === 'Pending')).toBe(true);
  });
});
