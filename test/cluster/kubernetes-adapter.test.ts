/**
 * The Kubernetes adapter and the custom/external metrics source against a real kube-apiserver (and
 * etcd), acting as user `tideplane`, whose only rights are the shipped ClusterRole (infra/manifests/).
 * Setup runs as admin; no controllers run, so the test creates pods and writes their status itself.
 */

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesAdapter } from '../../shared/adapters/kubernetes/adapter';
import { createKubeClient, type KubeClient } from '../../shared/adapters/kubernetes/client';
import { KubernetesMetricsApiSource } from '../../shared/adapters/metrics/kubernetes-metrics-api';
import { createMetricSources } from '../../shared/adapters/metrics/metric-sources';
import { RequestsPerSecondCollector } from '../../shared/adapters/metrics/requests-per-second';
import type { HorizontalPodAutoscalerStatus } from '../../shared/ports/autoscaling-v2';
import {
  ConflictError,
  ForbiddenError,
  MalformedObjectError,
  NotFoundError,
  type ScaleTargetKey,
  scaleTargetKeyString,
} from '../../shared/ports/kubernetes';
import type { MetricSource } from '../../shared/ports/metric-source';
import { systemClock } from '../../shared/runtime/system-clock';
import { type KubeHttp, type KubeObject, startTestCluster, type TestCluster } from './harness';

const NS = ['tp-shop', 'tp-search'] as const;
const HA_API = '/apis/autoscaling.tideplane.io/v1alpha1';
const MERGE_PATCH = 'application/merge-patch+json';

/** A small custom resource with a scale subresource, like an operator's workload kind. */
const WEBAPP_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'webapps.example.tideplane.io' },
  spec: {
    group: 'example.tideplane.io',
    scope: 'Namespaced',
    names: { kind: 'WebApp', plural: 'webapps', singular: 'webapp', listKind: 'WebAppList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.selector',
          },
        },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
              status: {
                type: 'object',
                properties: { replicas: { type: 'integer' }, selector: { type: 'string' } },
              },
            },
          },
        },
      },
    ],
  },
};

const deployment = (namespace: string, name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas,
    selector: {
      matchLabels: { app: name },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    },
    template: {
      metadata: { labels: { app: name, tier: 'web' } },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    },
  },
});

const statefulSet = (namespace: string, name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace },
  spec: {
    replicas,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'db', image: 'registry.example/db:1' }] },
    },
  },
});

const horizontalAutoscaler = (namespace: string, name: string, target: ScaleTargetKey): KubeObject => ({
  apiVersion: 'autoscaling.tideplane.io/v1alpha1',
  kind: 'HorizontalAutoscaler',
  metadata: { name, namespace },
  spec: {
    scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ],
  },
});

const isoNow = (offsetMs = 0) => new Date(Date.UTC(2025, 5, 1, 12, 0, 0) + offsetMs).toISOString();

let cluster: TestCluster;
let admin: KubeHttp;
/** Raw requests as user tideplane (to prove what the role forbids). */
let asTideplane: KubeHttp;
let adapter: KubernetesAdapter;
let metricsSource: KubernetesMetricsApiSource;

/** The 20 scale targets of the tick test: 12 Deployments, 6 StatefulSets, 2 WebApps. */
const targets: ScaleTargetKey[] = [];

async function patchStatus(path: string, status: unknown): Promise<void> {
  await admin.call('PATCH', `${path}/status`, { body: { status }, contentType: MERGE_PATCH });
}

beforeAll(async () => {
  cluster = await startTestCluster({ users: { nobody: [] } });
  admin = cluster.client();
  asTideplane = cluster.client(cluster.tideplaneToken);
  const client = createKubeClient({
    server: cluster.server,
    token: cluster.tideplaneToken,
    caData: cluster.caData,
  });
  adapter = new KubernetesAdapter(client, { reportingInstance: 'tideplane-test-1' });
  metricsSource = new KubernetesMetricsApiSource(client, { resolver: adapter.resolver });

  await cluster.apply([
    ...NS.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    WEBAPP_CRD,
  ]);

  // Workloads: 12 Deployments and 6 StatefulSets over two namespaces, 2 WebApps.
  const workloads: KubeObject[] = [];
  for (let i = 0; i < 12; i++) {
    const ns = NS[i % 2] as string;
    workloads.push(deployment(ns, `web-${i}`, 1 + (i % 3)));
    targets.push({ namespace: ns, apiVersion: 'apps/v1', kind: 'Deployment', name: `web-${i}` });
  }
  for (let i = 0; i < 6; i++) {
    const ns = NS[i % 2] as string;
    workloads.push(statefulSet(ns, `db-${i}`, 2));
    targets.push({ namespace: ns, apiVersion: 'apps/v1', kind: 'StatefulSet', name: `db-${i}` });
  }
  for (let i = 0; i < 2; i++) {
    workloads.push({
      apiVersion: 'example.tideplane.io/v1',
      kind: 'WebApp',
      metadata: { name: `shop-${i}`, namespace: NS[0] },
      spec: { replicas: 3 },
    });
    targets.push({
      namespace: NS[0],
      apiVersion: 'example.tideplane.io/v1',
      kind: 'WebApp',
      name: `shop-${i}`,
    });
  }
  await cluster.apply(workloads);
  await cluster.apply(targets.map((t, i) => horizontalAutoscaler(t.namespace, `ha-${i}`, t)));

  // No controllers run: write the status a controller would.
  await patchStatus(`/apis/apps/v1/namespaces/${NS[0]}/deployments/web-0`, { replicas: 1, readyReplicas: 1 });
  for (let i = 0; i < 2; i++) {
    await patchStatus(`/apis/example.tideplane.io/v1/namespaces/${NS[0]}/webapps/shop-${i}`, {
      replicas: 3,
      selector: `app=shop-${i}`,
    });
  }

  // Nodes and pods, Running and Ready.
  for (const [i, zone] of ['eu-central-1a', 'eu-central-1b'].entries()) {
    const name = `node-${i}`;
    await admin.post('/api/v1/nodes', {
      metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
      spec: {
        providerID: `aws:///${zone}/i-0${i}abc`,
        taints: i === 1 ? [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] : [],
      },
    });
    await patchStatus(`/api/v1/nodes/${name}`, {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '3920m', memory: '15Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          lastHeartbeatTime: isoNow(),
          lastTransitionTime: isoNow(),
        },
      ],
    });
  }
  for (let i = 0; i < 20; i++) {
    const ns = NS[i % 2] as string;
    const app = `web-${i % 12}`;
    await admin.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: `${app}-pod-${i}`, labels: { app, tier: 'web' } },
      spec: {
        nodeName: `node-${i % 2}`,
        containers: [
          {
            name: 'app',
            image: 'registry.example/app:1',
            resources: { requests: { cpu: '250m', memory: '256Mi' } },
          },
        ],
        initContainers: [{ name: 'proxy', image: 'registry.example/proxy:1', restartPolicy: 'Always' }],
      },
    });
    await patchStatus(`/api/v1/namespaces/${ns}/pods/${app}-pod-${i}`, {
      phase: 'Running',
      startTime: isoNow(1_000),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: isoNow(5_000) }],
    });
  }
});

afterAll(async () => {
  await adapter?.close();
  await cluster?.stop();
});

describe('the HorizontalAutoscaler CRD', () => {
  const create = (name: string, spec: unknown) =>
    admin.request('POST', `${HA_API}/namespaces/${NS[0]}/horizontalautoscalers`, {
      body: {
        apiVersion: 'autoscaling.tideplane.io/v1alpha1',
        kind: 'HorizontalAutoscaler',
        metadata: { name },
        spec,
      },
    });
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-0' };

  it('should be installed from infra/manifests/ and accept a valid autoscaler, with upstream defaults', async () => {
    expect(cluster.appliedManifests.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'CustomResourceDefinition/horizontalautoscalers.autoscaling.tideplane.io',
        'ClusterRole/tideplane',
        'ClusterRole/tideplane-vpa',
      ]),
    );
    const res = await create('valid', {
      scaleTargetRef: ref,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '500m' } },
        },
        {
          type: 'External',
          external: {
            metric: { name: 'queue', selector: { matchLabels: { q: 'a' } } },
            target: { type: 'Value', value: 30 },
          },
        },
      ],
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
        },
      },
    });
    expect(res.status).toBe(201);
    expect((res.body as { spec: { minReplicas: number } }).spec.minReplicas).toBe(1);

    const defaults = await create('defaults', { scaleTargetRef: ref, maxReplicas: 3 });
    expect(defaults.status).toBe(201);
    expect((defaults.body as { spec: unknown }).spec).toEqual({
      scaleTargetRef: ref,
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
  });

  it.each([
    ['missing maxReplicas', { scaleTargetRef: ref }, /spec.maxReplicas: Required value/],
    [
      'missing scaleTargetRef.name',
      { scaleTargetRef: { kind: 'Deployment' }, maxReplicas: 3 },
      /scaleTargetRef.name: Required/,
    ],
    [
      'maxReplicas 0',
      { scaleTargetRef: ref, maxReplicas: 0 },
      /maxReplicas.*should be greater than or equal to 1/,
    ],
    [
      'minReplicas > maxReplicas',
      { scaleTargetRef: ref, minReplicas: 5, maxReplicas: 3 },
      /maxReplicas must be greater than or equal to minReplicas/,
    ],
    [
      'minReplicas 0 without an Object or External metric',
      { scaleTargetRef: ref, minReplicas: 0, maxReplicas: 3 },
      /scaling to zero replicas/,
    ],
    [
      'a Resource metric without resource',
      { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource' }] },
      /resource must be set when type is Resource/,
    ],
    [
      'a metric with two sources',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
            external: { metric: { name: 'q' }, target: { type: 'Value', value: 1 } },
          },
        ],
      },
      /external must be set when type is External, and only then/,
    ],
    [
      'an unknown metric type',
      { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Magic' }] },
      /Unsupported value: "Magic"/,
    ],
    [
      'both utilization and averageValue',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: 50, averageValue: '1' },
            },
          },
        ],
      },
      /may not set both/,
    ],
    [
      'averageUtilization 0',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } },
          },
        ],
      },
      /averageUtilization.*should be greater than or equal to 1/,
    ],
    [
      'a Pods metric without averageValue',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [{ type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'Value', value: '1' } } }],
      },
      /must specify a positive target averageValue/,
    ],
    [
      'a zero target value',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [
          { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '0' } } },
        ],
      },
      /must be positive/,
    ],
    [
      'a bad policy type',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        behavior: { scaleUp: { policies: [{ type: 'Replicas', value: 1, periodSeconds: 15 }] } },
      },
      /Unsupported value: "Replicas"/,
    ],
    [
      'a policy value of 0',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 0, periodSeconds: 15 }] } },
      },
      /value.*should be greater than or equal to 1/,
    ],
    [
      'a policy period over 1800 s',
      {
        scaleTargetRef: ref,
        maxReplicas: 3,
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1801 }] } },
      },
      /periodSeconds.*should be less than or equal to 1800/,
    ],
    [
      'a stabilization window over 3600 s',
      { scaleTargetRef: ref, maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 3601 } } },
      /stabilizationWindowSeconds.*should be less than or equal to 3600/,
    ],
    [
      'a bad selectPolicy',
      { scaleTargetRef: ref, maxReplicas: 3, behavior: { scaleDown: { selectPolicy: 'Avg' } } },
      /Unsupported value: "Avg"/,
    ],
  ])('should make the API server itself reject %s', async (_what, spec, message) => {
    const res = await create(`bad-${Math.random().toString(36).slice(2, 8)}`, spec);
    expect(res.status).toBe(422);
    expect((res.body as { message: string }).message).toMatch(message);
  });

  it('should print columns like kubectl get hpa', async () => {
    const table = await admin.call<{ columnDefinitions: { name: string }[] }>(
      'GET',
      `${HA_API}/namespaces/${NS[0]}/horizontalautoscalers`,
      { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } },
    );
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Reference',
      'Kind',
      'Current%',
      'Target%',
      'Metric',
      'MinPods',
      'MaxPods',
      'Replicas',
      'Age',
    ]);
  });
});

describe('one tick of reads', () => {
  it('should cost one list per kind, whatever the number of autoscalers and targets', async () => {
    adapter.resetStats();
    const [pods, nodes, autoscalers] = await Promise.all([
      adapter.listPods(),
      adapter.listNodes(),
      adapter.listAutoscalers('HorizontalAutoscaler'),
    ]);
    const scales = await adapter.getScales([
      ...targets,
      ...targets.slice(0, 3), // duplicates cost nothing
      { namespace: NS[0], apiVersion: 'apps/v1', kind: 'Deployment', name: 'does-not-exist' },
    ]);

    expect(adapter.stats().byRequest).toEqual({
      'list pods': 1,
      'list nodes': 1,
      'list autoscaling.tideplane.io/horizontalautoscalers': 1,
      'list apps/deployments': 1,
      'list apps/statefulsets': 1,
      // custom kinds: one discovery for the life of the adapter, then one GET of /scale each
      'discovery example.tideplane.io/v1': 1,
      'get example.tideplane.io/webapps/scale': 2,
    });
    expect(pods).toHaveLength(20);
    expect(nodes).toHaveLength(2);
    expect(autoscalers.filter((a) => a.name.startsWith('ha-'))).toHaveLength(20);
    expect(scales.size).toBe(20);
    expect(scales.has(`${NS[0]}/apps/v1/Deployment/does-not-exist`)).toBe(false);

    // The next tick needs no discovery.
    adapter.resetStats();
    await adapter.getScales(targets);
    expect(adapter.stats()).toEqual({
      total: 4,
      byRequest: {
        'list apps/deployments': 1,
        'list apps/statefulsets': 1,
        'get example.tideplane.io/webapps/scale': 2,
      },
    });
  });

  it('should convert pods, nodes and autoscalers to the domain shapes', async () => {
    const pods = await adapter.listPods();
    const pod = pods.find((p) => p.name === 'web-0-pod-0');
    expect(pod).toMatchObject({
      namespace: NS[0],
      labels: { app: 'web-0', tier: 'web' },
      phase: 'Running',
      nodeName: 'node-0',
      startTime: Date.parse(isoNow(1_000)),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: Date.parse(isoNow(5_000)) }],
      containers: [{ name: 'app', requests: { cpu: '250m', memory: '256Mi' }, limits: {} }],
      initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
    });
    expect(typeof pod?.creationTimestamp).toBe('number');
    expect(pod?.creationTimestamp).toBeGreaterThan(0);

    const nodes = await adapter.listNodes();
    expect(nodes.find((n) => n.name === 'node-1')).toMatchObject({
      ready: true,
      unschedulable: false,
      allocatable: { cpu: '3920m', memory: '15Gi', pods: '110' },
      // kube-apiserver's TaintNodesByCondition admission adds the not-ready taint at creation.
      taints: expect.arrayContaining([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]),
      providerID: 'aws:///eu-central-1b/i-01abc',
      labels: { 'topology.kubernetes.io/zone': 'eu-central-1b' },
    });

    const [autoscaler] = (await adapter.listAutoscalers('HorizontalAutoscaler')).filter(
      (a) => a.name === 'ha-0',
    );
    expect(autoscaler).toMatchObject({
      kind: 'HorizontalAutoscaler',
      apiVersion: 'autoscaling.tideplane.io/v1alpha1',
      namespace: NS[0],
      generation: 1,
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-0' }, maxReplicas: 10 },
      statusManagers: [],
    });
    expect(autoscaler?.resourceVersion).toMatch(/^\d+$/);
  });

  it('should page through lists with limit/continue', async () => {
    const paged = new KubernetesAdapter(
      createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
      { pageSize: 6 },
    );
    try {
      const pods = await paged.listPods();
      expect(new Set(pods.map((p) => `${p.namespace}/${p.name}`)).size).toBe(20);
      expect(paged.stats().byRequest['list pods']).toBe(4);
    } finally {
      await paged.close();
    }
  });

  it('should work from a kubeconfig as well', async () => {
    const fromKubeconfig = new KubernetesAdapter(
      createKubeClient({ kubeconfig: cluster.kubeconfig(cluster.tideplaneToken) }),
    );
    try {
      expect(await fromKubeconfig.listNodes()).toHaveLength(2);
    } finally {
      await fromKubeconfig.close();
    }
  });
});

describe('node-pool reads: scheduling constraints, volumes and DaemonSets', () => {
  const SCHED_NS = 'tp-sched';
  const ZONE = 'topology.kubernetes.io/zone';
  const BETA_ZONE = 'failure-domain.beta.kubernetes.io/zone';
  const image = 'registry.example/app:1';

  const persistentVolume = (name: string, extra: { labels?: Record<string, string>; spec?: object }) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'gp3',
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${name}` },
      ...extra.spec,
    },
  });
  const zoneTerm = (key: string, zones: string[]) => ({
    matchExpressions: [{ key, operator: 'In', values: zones }],
  });
  const claim = (name: string, volumeName?: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: SCHED_NS },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
      storageClassName: 'gp3',
      ...(volumeName ? { volumeName } : {}),
    },
  });

  beforeAll(async () => {
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCHED_NS } },
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'tp-high' },
        value: 1000,
      },
      persistentVolume('tp-pv-affinity', {
        spec: {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                zoneTerm(ZONE, ['eu-central-1b']),
                zoneTerm(BETA_ZONE, ['eu-central-1c', 'eu-central-1b']),
              ],
            },
          },
        },
      }),
      persistentVolume('tp-pv-label', { labels: { [ZONE]: 'eu-central-1a' } }),
      // EBS CSI volumes provisioned before the driver wrote the well-known key carry its own.
      persistentVolume('tp-pv-ebs-csi', {
        spec: {
          nodeAffinity: {
            required: { nodeSelectorTerms: [zoneTerm('topology.ebs.csi.aws.com/zone', ['eu-central-1b'])] },
          },
        },
      }),
      persistentVolume('tp-pv-beta-label', { labels: { [BETA_ZONE]: 'eu-central-1a__eu-central-1c' } }),
      // A local volume: pinned to a host, not to a zone by its affinity, so its zone label decides.
      persistentVolume('tp-pv-local', {
        labels: { [ZONE]: 'eu-central-1c' },
        spec: {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-0'] }] },
              ],
            },
          },
        },
      }),
      // One term allows any zone, so the volume is not zonal, whatever the other term says.
      persistentVolume('tp-pv-anywhere', {
        spec: {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                zoneTerm(ZONE, ['eu-central-1a']),
                { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] },
              ],
            },
          },
        },
      }),
      persistentVolume('tp-pv-unconstrained', {}),
      claim('data-db-0', 'tp-pv-affinity'),
      claim('data-db-1', 'tp-pv-label'),
      claim('unbound'),
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'node-agent', namespace: SCHED_NS },
        spec: {
          selector: { matchLabels: { app: 'node-agent' } },
          template: {
            metadata: { labels: { app: 'node-agent' } },
            spec: {
              priorityClassName: 'system-node-critical',
              nodeSelector: { 'kubernetes.io/os': 'linux' },
              tolerations: [{ operator: 'Exists' }],
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                      {
                        matchExpressions: [
                          { key: 'node.kubernetes.io/lifecycle', operator: 'NotIn', values: ['spot'] },
                        ],
                      },
                    ],
                  },
                },
              },
              initContainers: [
                { name: 'setup', image, resources: { requests: { cpu: '50m' } } },
                {
                  name: 'log-shipper',
                  image,
                  restartPolicy: 'Always',
                  resources: { requests: { cpu: '20m', memory: '32Mi' } },
                },
              ],
              containers: [
                {
                  name: 'agent',
                  image,
                  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                  ports: [{ containerPort: 9100, hostPort: 9100 }],
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'plain-agent', namespace: SCHED_NS },
        spec: {
          selector: { matchLabels: { app: 'plain-agent' } },
          template: {
            metadata: { labels: { app: 'plain-agent' } },
            spec: { containers: [{ name: 'agent', image }] },
          },
        },
      },
    ]);
    // No PV controller runs: record the binding it would record.
    for (const name of ['data-db-0', 'data-db-1']) {
      await patchStatus(`/api/v1/namespaces/${SCHED_NS}/persistentvolumeclaims/${name}`, { phase: 'Bound' });
    }

    await admin.post(`/api/v1/namespaces/${SCHED_NS}/pods`, {
      metadata: { name: 'db-0', labels: { app: 'db' } },
      spec: {
        priorityClassName: 'tp-high',
        schedulerName: 'tp-scheduler',
        nodeSelector: { pool: 'db' },
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/lifecycle', operator: 'Exists' },
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: ZONE, operator: 'In', values: ['eu-central-1b', 'eu-central-1c'] },
                  ],
                  matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-0'] }],
                },
                { matchExpressions: [{ key: 'pool', operator: 'Exists' }] },
              ],
            },
          },
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: {
                  matchLabels: { app: 'db' },
                  matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['cache'] }],
                },
                namespaces: [SCHED_NS, NS[0]],
                topologyKey: 'kubernetes.io/hostname',
              },
            ],
          },
        },
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
          {
            name: 'scratch',
            ephemeral: {
              volumeClaimTemplate: {
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
              },
            },
          },
          { name: 'cache', emptyDir: {} },
        ],
        initContainers: [
          // Runs before the pod, so its host port is free again by the time the pod runs.
          { name: 'migrate', image, ports: [{ containerPort: 9300, hostPort: 9300 }] },
          {
            name: 'proxy',
            image,
            restartPolicy: 'Always',
            ports: [{ containerPort: 9200, hostPort: 9200 }],
          },
        ],
        containers: [
          {
            name: 'db',
            image,
            resources: { requests: { cpu: '1', memory: '2Gi' } },
            ports: [
              { containerPort: 5432, hostPort: 5432 },
              { containerPort: 5432, hostPort: 5432, protocol: 'UDP' },
              { containerPort: 8080 },
            ],
          },
        ],
      },
    });
    await admin.post(`/api/v1/namespaces/${SCHED_NS}/pods`, {
      metadata: { name: 'plain' },
      spec: { containers: [{ name: 'app', image }] },
    });
  });

  it('should convert every scheduling constraint of a pod, and leave it out of a pod without any', async () => {
    adapter.resetStats();
    const pods = await adapter.listPods();
    expect(adapter.stats().byRequest).toEqual({ 'list pods': 1 });
    const db = pods.find((p) => p.namespace === SCHED_NS && p.name === 'db-0');
    expect(db?.scheduling).toEqual({
      nodeSelector: { pool: 'db' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/lifecycle', operator: 'Exists' },
      ],
      requiredNodeAffinity: [
        {
          matchExpressions: [{ key: ZONE, operator: 'In', values: ['eu-central-1b', 'eu-central-1c'] }],
          matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-0'] }],
        },
        { matchExpressions: [{ key: 'pool', operator: 'Exists' }] },
      ],
      requiredPodAntiAffinity: [
        {
          labelSelector: {
            matchLabels: { app: 'db' },
            matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['cache'] }],
          },
          namespaces: [SCHED_NS, NS[0]],
          topologyKey: 'kubernetes.io/hostname',
        },
      ],
      // The generic ephemeral volume's claim is named `<pod>-<volume>` by its controller.
      persistentVolumeClaims: ['data-db-0', 'db-0-scratch'],
      // Resolved from the PriorityClass by the API server's Priority admission.
      priority: 1000,
      schedulerName: 'tp-scheduler',
      hostPorts: [9200, 5432],
    });

    // The API server gives every pod priority 0 and the not-ready/unreachable tolerations of the
    // DefaultTolerationSeconds admission: none of that is a constraint.
    const plain = pods.find((p) => p.namespace === SCHED_NS && p.name === 'plain');
    expect(plain).toBeDefined();
    expect(plain).not.toHaveProperty('scheduling');
    const served = await admin.get<{ spec: { tolerations: unknown[]; priority: number } }>(
      `/api/v1/namespaces/${SCHED_NS}/pods/plain`,
    );
    expect(served.spec.tolerations).toHaveLength(2);
    expect(served.spec.priority).toBe(0);
    expect(pods.find((p) => p.name === 'web-0-pod-0')).not.toHaveProperty('scheduling');
  });

  it('should list PersistentVolumeClaims in one request, with the volume each is bound to', async () => {
    adapter.resetStats();
    const claims = await adapter.listPersistentVolumeClaims();
    expect(adapter.stats().byRequest).toEqual({ 'list persistentvolumeclaims': 1 });
    const byName = (name: string) => claims.find((c) => c.namespace === SCHED_NS && c.name === name);
    expect(byName('data-db-0')).toEqual({
      namespace: SCHED_NS,
      name: 'data-db-0',
      volumeName: 'tp-pv-affinity',
      phase: 'Bound',
    });
    expect(byName('data-db-1')).toMatchObject({ volumeName: 'tp-pv-label', phase: 'Bound' });
    expect(byName('unbound')).toEqual({ namespace: SCHED_NS, name: 'unbound', phase: 'Pending' });
  });

  it('should list PersistentVolumes in one request, with zones from node affinity or else zone labels', async () => {
    adapter.resetStats();
    const volumes = await adapter.listPersistentVolumes();
    expect(adapter.stats().byRequest).toEqual({ 'list persistentvolumes': 1 });
    expect(Object.fromEntries(volumes.map((v) => [v.name, v.zones]))).toEqual({
      'tp-pv-affinity': ['eu-central-1b', 'eu-central-1c'],
      'tp-pv-label': ['eu-central-1a'],
      'tp-pv-ebs-csi': ['eu-central-1b'],
      'tp-pv-beta-label': ['eu-central-1a', 'eu-central-1c'],
      'tp-pv-local': ['eu-central-1c'],
      'tp-pv-anywhere': [],
      'tp-pv-unconstrained': [],
    });
  });

  it('should list DaemonSets in one request, as the pod their template adds to each node', async () => {
    adapter.resetStats();
    const daemonSets = await adapter.listDaemonSets();
    expect(adapter.stats().byRequest).toEqual({ 'list apps/daemonsets': 1 });
    const agent = daemonSets.find((d) => d.name === 'node-agent');
    expect(agent).toEqual({
      namespace: SCHED_NS,
      name: 'node-agent',
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      containers: [
        { name: 'agent', requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      ],
      initContainers: [
        { name: 'setup', requests: { cpu: '50m' }, limits: {}, restartPolicy: undefined },
        {
          name: 'log-shipper',
          requests: { cpu: '20m', memory: '32Mi' },
          limits: {},
          restartPolicy: 'Always',
        },
      ],
      // A template's priorityClassName is resolved only on the pods the DaemonSet creates.
      scheduling: {
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ operator: 'Exists' }],
        requiredNodeAffinity: [
          {
            matchExpressions: [{ key: 'node.kubernetes.io/lifecycle', operator: 'NotIn', values: ['spot'] }],
          },
        ],
        hostPorts: [9100],
      },
    });
    expect(daemonSets.find((d) => d.name === 'plain-agent')).not.toHaveProperty('scheduling');
  });

  it('should page through claims, volumes and DaemonSets with limit/continue', async () => {
    const paged = new KubernetesAdapter(
      createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
      { pageSize: 2 },
    );
    try {
      const [claims, volumes, daemonSets] = await Promise.all([
        paged.listPersistentVolumeClaims(),
        paged.listPersistentVolumes(),
        paged.listDaemonSets(),
      ]);
      expect(claims).toHaveLength(3);
      expect(volumes).toHaveLength(7);
      expect(daemonSets).toHaveLength(2);
      expect(paged.stats().byRequest).toEqual({
        'list persistentvolumeclaims': 2,
        'list persistentvolumes': 4,
        'list apps/daemonsets': 1,
      });
    } finally {
      await paged.close();
    }
  });
});

describe('/scale', () => {
  it('should read the scale of Deployments, StatefulSets and custom resources as the API server reports it', async () => {
    const listed = await adapter.getScales(targets);
    for (const target of [
      targets[0],
      targets[1],
      targets[12],
      targets[18],
      targets[19],
    ] as ScaleTargetKey[]) {
      const scale = await adapter.getScale(target);
      const base =
        target.kind === 'WebApp'
          ? `/apis/example.tideplane.io/v1/namespaces/${target.namespace}/webapps/${target.name}`
          : `/apis/apps/v1/namespaces/${target.namespace}/${target.kind === 'Deployment' ? 'deployments' : 'statefulsets'}/${target.name}`;
      const server = await admin.get<{
        metadata: { resourceVersion: string };
        spec: { replicas?: number };
        status: { replicas?: number; selector?: string };
      }>(`${base}/scale`);
      const expected = {
        target,
        specReplicas: server.spec.replicas ?? 0,
        statusReplicas: server.status.replicas ?? 0,
        selector: server.status.selector ?? '',
        resourceVersion: server.metadata.resourceVersion,
      };
      expect(scale).toEqual(expected);
      // Built from a list, the scale is identical to the server's /scale (selector string included).
      expect(listed.get(scaleTargetKeyString(target))).toEqual(expected);
    }
    expect((await adapter.getScale(targets[0] as ScaleTargetKey))?.selector).toBe(
      'app=web-0,!canary,tier in (api,web)',
    );
    expect((await adapter.getScale(targets[18] as ScaleTargetKey))?.statusReplicas).toBe(3);
  });

  it('should read and write the scale of a core v1 ReplicationController through discovery', async () => {
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: NS[1] },
      spec: {
        replicas: 2,
        selector: { app: 'legacy' },
        template: {
          metadata: { labels: { app: 'legacy' } },
          spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] },
        },
      },
    });
    const target = { namespace: NS[1], apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy' };
    const scale = await adapter.getScale(target);
    expect(scale).toMatchObject({ specReplicas: 2, statusReplicas: 0, selector: 'app=legacy' });
    const written = await adapter.updateScale(target, 4, scale?.resourceVersion ?? '');
    expect(written.specReplicas).toBe(4);
    expect(adapter.stats().byRequest['update replicationcontrollers/scale']).toBe(1);
  });

  it('should report a missing target as undefined', async () => {
    expect(
      await adapter.getScale({ namespace: NS[0], apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' }),
    ).toBeUndefined();
    expect(
      await adapter.getScale({
        namespace: NS[0],
        apiVersion: 'example.tideplane.io/v1',
        kind: 'WebApp',
        name: 'gone',
      }),
    ).toBeUndefined();
    expect(
      await adapter.getScale({
        namespace: NS[0],
        apiVersion: 'v1',
        kind: 'ReplicationController',
        name: 'gone',
      }),
    ).toBeUndefined();
  });

  it.each([
    ['a Deployment', 0, 'deployments', '/apis/apps/v1'],
    ['a StatefulSet', 12, 'statefulsets', '/apis/apps/v1'],
    ['a custom resource', 18, 'webapps', '/apis/example.tideplane.io/v1'],
  ])(
    'should refuse a write to %s with a stale resourceVersion (real 409), and succeed after re-reading',
    async (_what, index, plural, api) => {
      const target = targets[index] as ScaleTargetKey;
      const path = `${api}/namespaces/${target.namespace}/${plural}/${target.name}`;
      const before = await adapter.getScale(target);
      if (!before) throw new Error('no scale');
      // Someone else changes the object in between.
      await admin.call('PATCH', path, {
        body: { metadata: { labels: { touched: 'yes' } } },
        contentType: MERGE_PATCH,
      });

      const stale = adapter.updateScale(target, before.specReplicas + 1, before.resourceVersion);
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toThrow(/409/);

      const fresh = await adapter.getScale(target);
      if (!fresh) throw new Error('no scale');
      const after = await adapter.updateScale(target, 7, fresh.resourceVersion);
      expect(after.specReplicas).toBe(7);
      expect(after.resourceVersion).not.toBe(fresh.resourceVersion);
      const stored = await admin.get<{ spec: { replicas: number } }>(path);
      expect(stored.spec.replicas).toBe(7);
    },
  );

  it('should throw NotFoundError when writing the scale of a missing target', async () => {
    await expect(
      adapter.updateScale(
        { namespace: NS[0], apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' },
        2,
        '1',
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      adapter.updateScale(
        { namespace: NS[0], apiVersion: 'example.tideplane.io/v1', kind: 'WebApp', name: 'gone' },
        2,
        '1',
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('autoscaler status', () => {
  const full: HorizontalPodAutoscalerStatus = {
    observedGeneration: 1,
    lastScaleTime: '2025-06-01T12:00:00Z',
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 91, averageValue: '228m' } },
      },
    ],
    conditions: [
      {
        type: 'AbleToScale',
        status: 'True',
        lastTransitionTime: '2025-06-01T12:00:00Z',
        reason: 'SucceededRescale',
        message: 'ok',
      },
      {
        type: 'ScalingActive',
        status: 'True',
        lastTransitionTime: '2025-06-01T11:00:00Z',
        reason: 'ValidMetricFound',
        message: 'ok',
      },
    ],
  };

  it('should write a HorizontalAutoscaler status through the status subresource, replacing it', async () => {
    const ref = {
      kind: 'HorizontalAutoscaler' as const,
      apiVersion: 'autoscaling.tideplane.io/v1alpha1',
      namespace: NS[0],
      name: 'ha-0',
    };
    adapter.resetStats();
    await adapter.updateAutoscalerStatus(ref, full);
    expect(adapter.stats().byRequest).toEqual({
      'patch autoscaling.tideplane.io/horizontalautoscalers/status': 1,
    });
    let stored = await admin.get<{ status: unknown; metadata: { generation: number } }>(
      `${HA_API}/namespaces/${NS[0]}/horizontalautoscalers/ha-0`,
    );
    expect(stored.status).toEqual(full);
    expect(stored.metadata.generation).toBe(1); // the spec is untouched

    const { lastScaleTime: _dropped, currentMetrics: _alsoDropped, ...rest } = full;
    await adapter.updateAutoscalerStatus(ref, { ...rest, desiredReplicas: 2 });
    stored = await admin.get(`${HA_API}/namespaces/${NS[0]}/horizontalautoscalers/ha-0`);
    expect(stored.status).toEqual({ ...rest, desiredReplicas: 2 });

    const listed = (await adapter.listAutoscalers('HorizontalAutoscaler')).find((a) => a.name === 'ha-0');
    expect(listed?.status).toEqual({ ...rest, desiredReplicas: 2 });
    expect(listed?.statusManagers.map((m) => m.manager)).toEqual(['tideplane']);
    expect(listed?.statusManagers[0]?.time).toBeGreaterThan(0);
  });

  it('should write a plain autoscaling/v2 HPA status and list HPAs with their status managers', async () => {
    await cluster.apply({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'plain', namespace: NS[1] },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-1' },
        minReplicas: 1,
        maxReplicas: 4,
      },
    });
    await adapter.updateAutoscalerStatus(
      { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', namespace: NS[1], name: 'plain' },
      full,
    );
    const stored = await admin.get<{ status: unknown }>(
      `/apis/autoscaling/v2/namespaces/${NS[1]}/horizontalpodautoscalers/plain`,
    );
    expect(stored.status).toEqual(full);

    adapter.resetStats();
    const hpas = await adapter.listAutoscalers('HorizontalPodAutoscaler');
    expect(adapter.stats().byRequest).toEqual({ 'list autoscaling/horizontalpodautoscalers': 1 });
    expect(hpas).toHaveLength(1);
    expect(hpas[0]).toMatchObject({
      kind: 'HorizontalPodAutoscaler',
      apiVersion: 'autoscaling/v2',
      name: 'plain',
      status: full,
      statusManagers: [{ manager: 'tideplane' }],
    });
  });

  it('should throw NotFoundError for the status of a missing autoscaler', async () => {
    await expect(
      adapter.updateAutoscalerStatus(
        {
          kind: 'HorizontalAutoscaler',
          apiVersion: 'autoscaling.tideplane.io/v1alpha1',
          namespace: NS[0],
          name: 'gone',
        },
        { desiredReplicas: 1 },
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('events', () => {
  it('should create events.k8s.io/v1 Events on namespaced and cluster-scoped objects', async () => {
    const time = Date.UTC(2025, 5, 1, 12, 30, 0, 123);
    adapter.resetStats();
    const regarding = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS[0], name: 'web-0' };
    await adapter.createEvent({
      involvedObject: regarding,
      type: 'Normal',
      reason: 'SuccessfulRescale',
      message: 'New size: 7; reason: cpu resource utilization (percentage of request) above target',
      time,
      reportingComponent: 'tideplane-hpa',
    });
    // Same object, same instant: a second event gets its own name.
    await adapter.createEvent({
      involvedObject: regarding,
      type: 'Warning',
      reason: 'FailedGetResourceMetric',
      message: 'x'.repeat(5000),
      time,
      reportingComponent: 'tideplane-hpa',
    });
    await adapter.createEvent({
      involvedObject: { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'node-0' },
      type: 'Normal',
      reason: 'Cordoned',
      message: 'draining for a spot interruption',
      time,
      reportingComponent: 'tideplane-node-pools',
    });
    expect(adapter.stats().byRequest).toEqual({ 'create events.k8s.io/events': 3 });

    const events = await admin.get<{ items: Record<string, unknown>[] }>(
      `/apis/events.k8s.io/v1/namespaces/${NS[0]}/events`,
    );
    const rescale = events.items.find((e) => e.reason === 'SuccessfulRescale');
    expect(rescale).toMatchObject({
      type: 'Normal',
      action: 'Rescale',
      reportingController: 'tideplane.io/hpa',
      reportingInstance: 'tideplane-test-1',
      note: expect.stringContaining('New size: 7'),
      regarding: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS[0], name: 'web-0' },
      eventTime: '2025-06-01T12:30:00.123000Z',
    });
    const failed = events.items.find((e) => e.reason === 'FailedGetResourceMetric');
    expect(failed).toMatchObject({ type: 'Warning', action: 'GetResourceMetric' });
    expect(Buffer.byteLength(String(failed?.note))).toBeLessThanOrEqual(1024);

    const nodeEvents = await admin.get<{ items: Record<string, unknown>[] }>(
      '/apis/events.k8s.io/v1/namespaces/default/events',
    );
    // The API server's own controllers also report into `default` (e.g. ClusterIPNotAllocated at start).
    const ours = nodeEvents.items.filter((e) => String(e.reportingController).startsWith('tideplane.io/'));
    expect(ours).toEqual([
      expect.objectContaining({
        reason: 'Cordoned',
        reportingController: 'tideplane.io/node-pools',
        regarding: expect.objectContaining({ kind: 'Node', name: 'node-0' }),
      }),
    ]);
  });
});

describe('metrics', () => {
  it('should list pod metrics from metrics.k8s.io in one request', async () => {
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('the harness serves no metrics APIs');
    metrics.setPodMetrics(NS[0], 'web-0-pod-0', [{ name: 'app', cpu: '180m', memory: '200Mi' }], {
      timestamp: new Date(isoNow()),
      window: '15s',
    });
    metrics.setPodMetrics(NS[1], 'web-1-pod-1', [{ name: 'app', cpu: 0.05, memory: 1024 }]);
    adapter.resetStats();
    const podMetrics = await adapter.listPodMetrics();
    expect(adapter.stats().byRequest).toEqual({ 'list metrics.k8s.io/pods': 1 });
    expect(podMetrics.find((m) => m.name === 'web-0-pod-0')).toEqual({
      namespace: NS[0],
      name: 'web-0-pod-0',
      timestamp: Date.parse(isoNow()),
      windowSeconds: 15,
      containers: [{ name: 'app', usage: { cpu: '180m', memory: '200Mi' } }],
    });
    expect(podMetrics.find((m) => m.name === 'web-1-pod-1')?.containers[0]?.usage).toEqual({
      cpu: '50m',
      memory: '1024',
    });
    // kube-apiserver proxied the request with tideplane's identity, after RBAC allowed it.
    expect(metrics.requests.at(-1)).toMatchObject({ user: 'tideplane', status: 200 });
  });

  it('should read Pods metrics from custom.metrics.k8s.io for the selected pods', async () => {
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('the harness serves no metrics APIs');
    metrics.setCustomPodMetric(NS[0], 'web-0-pod-0', 'http_requests', '1500m', {
      metricLabels: { verb: 'GET' },
      windowSeconds: 30,
    });
    metrics.setCustomPodMetric(NS[0], 'web-0-pod-12', 'http_requests', 3, { metricLabels: { verb: 'GET' } });
    metrics.setCustomPodMetric(NS[0], 'web-2-pod-2', 'http_requests', 99, { metricLabels: { verb: 'GET' } });
    const result = await metricsSource.getPodsMetric({
      namespace: NS[0],
      metricName: 'http_requests',
      podSelector: 'app=web-0',
      metricSelector: { matchLabels: { verb: 'GET' } },
    });
    if (!result.ok) throw result.error;
    expect(result.value.map((s) => [s.podName, s.milliValue, s.windowSeconds])).toEqual([
      ['web-0-pod-0', 1500, 30],
      ['web-0-pod-12', 3000, 60],
    ]);
    expect(metrics.requests.at(-1)?.url).toContain('labelSelector=app%3Dweb-0');

    const missing = await metricsSource.getPodsMetric({
      namespace: NS[0],
      metricName: 'nope',
      podSelector: 'app=web-0',
    });
    expect(missing.ok ? undefined : missing.error.reason).toBe('NotFound');
  });

  it('should read Object metrics, finding the resource of the described kind through discovery', async () => {
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('the harness serves no metrics APIs');
    metrics.setObjectMetric(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        resource: 'deployments.apps',
        namespace: NS[0],
        name: 'web-0',
      },
      'queue_latency',
      '250m',
      { timestamp: new Date(isoNow()) },
    );
    const result = await metricsSource.getObjectMetric({
      namespace: NS[0],
      describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-0' },
      metricName: 'queue_latency',
    });
    expect(result).toEqual({ ok: true, value: { milliValue: 250, timestamp: Date.parse(isoNow()) } });

    const unknownKind = await metricsSource.getObjectMetric({
      namespace: NS[0],
      describedObject: { apiVersion: 'apps/v1', kind: 'Gizmo', name: 'g' },
      metricName: 'queue_latency',
    });
    expect(unknownKind.ok ? undefined : unknownKind.error.reason).toBe('NotFound');
  });

  it('should read External metrics from external.metrics.k8s.io, never returning NaN', async () => {
    const metrics = cluster.metrics;
    if (!metrics) throw new Error('the harness serves no metrics APIs');
    metrics.setExternalMetric(NS[1], 'queue_depth', [
      { value: 30, labels: { queue: 'orders' } },
      { value: '1500m', labels: { queue: 'orders' } },
      { value: 7, labels: { queue: 'mail' } },
    ]);
    const result = await metricsSource.getExternalMetric({
      namespace: NS[1],
      metricName: 'queue_depth',
      metricSelector: { matchLabels: { queue: 'orders' } },
    });
    if (!result.ok) throw result.error;
    expect(result.value.map((s) => s.milliValue)).toEqual([30000, 1500]);

    metrics.setExternalMetric(NS[1], 'broken', [{ value: -5 }]);
    const negative = await metricsSource.getExternalMetric({ namespace: NS[1], metricName: 'broken' });
    expect(negative.ok ? undefined : negative.error.reason).toBe('Invalid');

    const missing = await metricsSource.getExternalMetric({ namespace: NS[1], metricName: 'absent' });
    expect(missing.ok ? undefined : missing.error.reason).toBe('NotFound');
  });
});

/** A minimal RouteGroup CRD (skipper's is larger; the adapter reads only spec.hosts and defaultBackends). */
const ROUTEGROUP_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'routegroups.zalando.org' },
  spec: {
    group: 'zalando.org',
    scope: 'Namespaced',
    names: { kind: 'RouteGroup', plural: 'routegroups', singular: 'routegroup', listKind: 'RouteGroupList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};

const ingress = (name: string, annotations: Record<string, string>, hosts: string[]): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: NS[0], annotations },
  spec: {
    rules: [
      ...hosts.map((host) => ({
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'shop-blue', port: { number: 80 } } },
            },
          ],
        },
      })),
      // A rule without a host: it adds no host to count.
      {
        http: {
          paths: [
            {
              path: '/health',
              pathType: 'Exact',
              backend: { service: { name: 'shop-green', port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
});

describe('Ingress and RouteGroup routing (the requests-per-second collector’s reads)', () => {
  const ingressRef = (name: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    namespace: NS[0],
    name,
  });

  beforeAll(async () => {
    await cluster.apply([
      ROUTEGROUP_CRD,
      ingress('shop', { 'zalando.org/backend-weights': '{"shop-blue": 70, "shop-green": 30}' }, [
        'shop.example.org',
        'www.shop.example.org',
      ]),
      ingress('plain', {}, ['plain.example.org']),
      ingress('broken', { 'zalando.org/backend-weights': 'shop-blue=70' }, ['broken.example.org']),
    ]);
    await cluster.apply({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      metadata: { name: 'shop', namespace: NS[0] },
      spec: {
        hosts: ['rg.example.org'],
        backends: [
          { name: 'blue', type: 'service', serviceName: 'shop-blue', servicePort: 80 },
          { name: 'green', type: 'service', serviceName: 'shop-green', servicePort: 80 },
        ],
        defaultBackends: [
          { backendName: 'blue', weight: 90 },
          { backendName: 'green', weight: 10 },
        ],
      },
    });
  });

  it('should read an Ingress’s hosts and weights annotation as user tideplane, in one GET', async () => {
    adapter.resetStats();
    await expect(adapter.getIngressRouting(ingressRef('shop'))).resolves.toEqual({
      hosts: ['shop.example.org', 'www.shop.example.org'],
      backendWeights: { 'shop-blue': 70, 'shop-green': 30 },
    });
    expect(adapter.stats().byRequest).toEqual({ 'get networking.k8s.io/ingresses': 1 });
    await expect(adapter.getIngressRouting(ingressRef('plain'))).resolves.toEqual({
      hosts: ['plain.example.org'],
      backendWeights: {},
    });
  });

  it('should read a RouteGroup’s hosts and default backends’ weights', async () => {
    await expect(
      adapter.getIngressRouting({
        apiVersion: 'zalando.org/v1',
        kind: 'RouteGroup',
        namespace: NS[0],
        name: 'shop',
      }),
    ).resolves.toEqual({ hosts: ['rg.example.org'], backendWeights: { blue: 90, green: 10 } });
  });

  it('should answer undefined for a missing object and throw MalformedObjectError for a bad annotation', async () => {
    await expect(adapter.getIngressRouting(ingressRef('gone'))).resolves.toBeUndefined();
    await expect(
      adapter.getIngressRouting({
        apiVersion: 'zalando.org/v1',
        kind: 'RouteGroup',
        namespace: NS[1],
        name: 'gone',
      }),
    ).resolves.toBeUndefined();
    await expect(adapter.getIngressRouting(ingressRef('broken'))).rejects.toBeInstanceOf(
      MalformedObjectError,
    );
  });

  it('should give the collector the query for the Ingress’s hosts and the backend’s weight', async () => {
    const queries: string[] = [];
    const collector = new RequestsPerSecondCollector({
      reader: adapter,
      prometheus: {
        timeoutMs: 1_000,
        collect: async (request) => {
          queries.push(request.config.query ?? '');
          return { ok: true, value: { kind: 'scalar', values: [{ milliValue: 0, timestamp: request.now }] } };
        },
      },
    });
    const result = await collector.collect(
      {
        type: 'Object',
        namespace: NS[0],
        metricName: 'requests-per-second,shop-green',
        describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' },
        config: {},
        now: Date.now(),
      },
      new AbortController().signal,
    );
    expect(result.ok).toBe(true);
    expect(queries).toEqual([
      'scalar(sum(rate(skipper_serve_host_duration_seconds_count{host=~"shop_example_org|www_shop_example_org"}[1m])) * 0.3000)',
    ]);
  });

  it('should map a real 403 to ForbiddenError', async () => {
    const nobody = new KubernetesAdapter(
      createKubeClient({
        server: cluster.server,
        token: cluster.userToken('nobody'),
        caData: cluster.caData,
      }),
    );
    try {
      await expect(nobody.getIngressRouting(ingressRef('shop'))).rejects.toBeInstanceOf(ForbiddenError);
    } finally {
      await nobody.close();
    }
  });
});

/**
 * Minimal ScalingSchedule / ClusterScalingSchedule CRDs under kube-metrics-adapter's names (its
 * docs/scaling_schedules_crd.yaml has the full schema; the collector validates the spec itself).
 */
const scalingScheduleCrd = (kind: 'ScalingSchedule' | 'ClusterScalingSchedule'): KubeObject => {
  const singular = kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${singular}s.zalando.org` },
    spec: {
      group: 'zalando.org',
      scope: kind === 'ScalingSchedule' ? 'Namespaced' : 'Cluster',
      names: { kind, plural: `${singular}s`, singular, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  };
};

/** Monday 2025-06-02, 09:00 in Berlin (CEST): inside both schedules below. */
const SCHEDULE_NOW = Date.parse('2025-06-02T07:00:00Z');
const MORNING_SPEC = {
  scalingWindowDurationMinutes: 15,
  schedules: [{ type: 'OneTime', date: '2025-06-02T06:30:00Z', durationMinutes: 120, value: 30 }],
};
const WEEKDAYS_SPEC = {
  schedules: [
    {
      type: 'Repeating',
      durationMinutes: 60,
      value: 12,
      period: { startTime: '08:30', timezone: 'Europe/Berlin', days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] },
    },
  ],
};

describe('ScalingSchedule and ClusterScalingSchedule (the scheduled-scaling collector’s reads)', () => {
  it('should answer undefined while the CRDs are not installed (zalando.org/v1 is served, for RouteGroups)', async () => {
    await expect(
      adapter.getScalingSchedule({ kind: 'ScalingSchedule', namespace: NS[0], name: 'morning' }),
    ).resolves.toBeUndefined();
    await expect(
      adapter.getScalingSchedule({ kind: 'ClusterScalingSchedule', name: 'weekdays' }),
    ).resolves.toBeUndefined();
  });

  describe('with the CRDs', () => {
    beforeAll(async () => {
      await cluster.apply([
        scalingScheduleCrd('ScalingSchedule'),
        scalingScheduleCrd('ClusterScalingSchedule'),
        {
          apiVersion: 'zalando.org/v1',
          kind: 'ScalingSchedule',
          metadata: { name: 'morning', namespace: NS[0] },
          spec: MORNING_SPEC,
        },
        {
          apiVersion: 'zalando.org/v1',
          kind: 'ClusterScalingSchedule',
          metadata: { name: 'weekdays' },
          spec: WEEKDAYS_SPEC,
        },
      ]);
    });

    it('should read each kind’s spec as user tideplane, in one GET each', async () => {
      adapter.resetStats();
      await expect(
        adapter.getScalingSchedule({ kind: 'ScalingSchedule', namespace: NS[0], name: 'morning' }),
      ).resolves.toEqual(MORNING_SPEC);
      await expect(
        // A namespace on a cluster-scoped kind is ignored.
        adapter.getScalingSchedule({ kind: 'ClusterScalingSchedule', namespace: NS[1], name: 'weekdays' }),
      ).resolves.toEqual(WEEKDAYS_SPEC);
      expect(adapter.stats().byRequest).toEqual({
        'get zalando.org/scalingschedules': 1,
        'get zalando.org/clusterscalingschedules': 1,
      });
    });

    it('should answer undefined for a missing object (a ScalingSchedule of another namespace is missing)', async () => {
      await expect(
        adapter.getScalingSchedule({ kind: 'ScalingSchedule', namespace: NS[1], name: 'morning' }),
      ).resolves.toBeUndefined();
      await expect(
        adapter.getScalingSchedule({ kind: 'ClusterScalingSchedule', name: 'gone' }),
      ).resolves.toBeUndefined();
    });

    it('should refuse a ScalingSchedule without a namespace', async () => {
      await expect(
        adapter.getScalingSchedule({ kind: 'ScalingSchedule', name: 'morning' }),
      ).rejects.toBeInstanceOf(MalformedObjectError);
    });

    it('should map a real 403 to ForbiddenError', async () => {
      const nobody = new KubernetesAdapter(
        createKubeClient({
          server: cluster.server,
          token: cluster.userToken('nobody'),
          caData: cluster.caData,
        }),
      );
      try {
        await expect(
          nobody.getScalingSchedule({ kind: 'ScalingSchedule', namespace: NS[0], name: 'morning' }),
        ).rejects.toBeInstanceOf(ForbiddenError);
        await expect(
          nobody.getScalingSchedule({ kind: 'ClusterScalingSchedule', name: 'weekdays' }),
        ).rejects.toBeInstanceOf(ForbiddenError);
      } finally {
        await nobody.close();
      }
    });

    it('through createMetricSources and the router, should answer an HPA’s Object metric on a schedule', async () => {
      const router = await createMetricSources(
        {},
        {
          fallback: {} as MetricSource,
          secretsManager: {} as SecretsManagerClient,
          clock: systemClock,
          kubernetes: adapter,
        },
      );
      adapter.resetStats();
      router.beginTick({ now: SCHEDULE_NOW, pods: [] });
      const morning = {
        namespace: NS[0],
        describedObject: { apiVersion: 'zalando.org/v1', kind: 'ScalingSchedule', name: 'morning' },
        metricName: 'morning',
      };
      // Two autoscalers on the same schedule: one read.
      const [first, second] = await Promise.all([
        router.getObjectMetric(morning),
        router.getObjectMetric(morning),
      ]);
      expect(first).toEqual({ ok: true, value: { milliValue: 30_000, timestamp: SCHEDULE_NOW } });
      expect(second).toEqual(first);
      const weekdays = await router.getObjectMetric({
        namespace: NS[1],
        describedObject: { apiVersion: 'zalando.org/v1', kind: 'ClusterScalingSchedule', name: 'weekdays' },
        metricName: 'weekdays',
      });
      expect(weekdays).toEqual({ ok: true, value: { milliValue: 12_000, timestamp: SCHEDULE_NOW } });
      // The ScalingSchedule is the autoscaler's namespace's: none in NS[1].
      const elsewhere = await router.getObjectMetric({ ...morning, namespace: NS[1] });
      expect(elsewhere.ok ? undefined : elsewhere.error.reason).toBe('NotFound');
      expect(router.stats().fetches).toEqual({ 'scheduled-scaling': 3 });
      expect(adapter.stats().byRequest).toEqual({
        'get zalando.org/scalingschedules': 2,
        'get zalando.org/clusterscalingschedules': 1,
      });
    });
  });
});

describe('node drains: PodDisruptionBudgets, taints, evictions and Node deletion', () => {
  const DRAIN_NS = 'tp-drain';
  /** PDBs whose selectors would catch every pod of DRAIN_NS live apart, with no pods. */
  const SELECTOR_NS = 'tp-drain-selectors';
  const NODE = 'drain-node-a';
  const image = 'registry.example/app:1';
  const DRAIN_TAINT = { key: 'tideplane.io/scale-down', value: 'draining', effect: 'NoSchedule' } as const;
  const podPath = (name: string, namespace = DRAIN_NS) => `/api/v1/namespaces/${namespace}/pods/${name}`;
  const pdbPath = (name: string, namespace = DRAIN_NS) =>
    `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}`;

  interface ServedPod {
    metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    status: { conditions?: { type: string; status: string; reason?: string }[] };
  }
  const getPod = async (name: string): Promise<ServedPod | undefined> => {
    const res = await admin.request<ServedPod>('GET', podPath(name));
    return res.status === 404 ? undefined : res.body;
  };

  /** A pod bound to NODE, Running and Ready (no kubelet runs: the test writes the status). */
  const runningPod = async (name: string, labels: Record<string, string>, spec: object = {}) => {
    await admin.post(`/api/v1/namespaces/${DRAIN_NS}/pods`, {
      metadata: { name, labels },
      spec: { nodeName: NODE, containers: [{ name: 'app', image }], ...spec },
    });
    await patchStatus(podPath(name), {
      phase: 'Running',
      startTime: isoNow(),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: isoNow() }],
    });
  };

  const budget = (name: string, spec: object, namespace = DRAIN_NS) =>
    admin.post(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec,
    });

  /**
   * What the disruption controller (not running here) would write. The API server admits evictions
   * only against a status whose observedGeneration has caught up with the budget's generation.
   */
  const budgetStatus = (name: string, status: object) =>
    patchStatus(pdbPath(name), {
      observedGeneration: 1,
      currentHealthy: 2,
      desiredHealthy: 2,
      expectedPods: 2,
      disruptionsAllowed: 0,
      ...status,
    });

  beforeAll(async () => {
    await cluster.apply(
      [DRAIN_NS, SELECTOR_NS].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    );
    for (const name of [NODE, 'drain-node-gone']) {
      await admin.post('/api/v1/nodes', {
        metadata: { name },
        spec: { taints: [{ key: 'example.com/keep', value: 'yes', effect: 'PreferNoSchedule' }] },
      });
      await patchStatus(`/api/v1/nodes/${name}`, {
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: isoNow() }],
      });
    }

    for (const name of ['plain', 'quick', 'short']) {
      await runningPod(name, { app: name }, name === 'short' ? { terminationGracePeriodSeconds: 5 } : {});
    }
    await runningPod(
      'local',
      { app: 'local' },
      {
        terminationGracePeriodSeconds: 120,
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'shm', emptyDir: { medium: 'Memory' } },
          { name: 'logs', hostPath: { path: '/var/log' } },
          { name: 'config', configMap: { name: 'local-config' } },
        ],
      },
    );
    for (const name of ['guarded-0', 'guarded-1']) await runningPod(name, { app: 'guarded' });
    for (const name of ['budget-0', 'budget-1', 'budget-2']) await runningPod(name, { app: 'budget' });
    await runningPod('fresh-0', { app: 'fresh' });
    await runningPod('jammed-0', { app: 'jammed' });
    await runningPod('twice-0', { app: 'twice' });
    // Created, never scheduled: no nodeName, phase Pending.
    await admin.post(`/api/v1/namespaces/${DRAIN_NS}/pods`, {
      metadata: { name: 'unbound', labels: { app: 'guarded' } },
      spec: { containers: [{ name: 'app', image }] },
    });

    await budget('guarded', { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } });
    await budgetStatus('guarded', {});
    await budget('budget', {
      maxUnavailable: 1,
      selector: {
        matchLabels: { app: 'budget' },
        matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }],
      },
    });
    await budgetStatus('budget', { currentHealthy: 3, expectedPods: 3, disruptionsAllowed: 1 });
    await budget('fresh', { minAvailable: 0, selector: { matchLabels: { app: 'fresh' } } });
    await budget('jammed', { minAvailable: 0, selector: { matchLabels: { app: 'jammed' } } });
    // More evictions than the API server lets wait for the controller's confirmation (2000).
    const disruptedPods = Object.fromEntries(
      Array.from({ length: 2001 }, (_, i) => [`jammed-gone-${i}`, isoNow()]),
    );
    await budgetStatus('jammed', {
      currentHealthy: 1,
      desiredHealthy: 0,
      disruptionsAllowed: 1,
      disruptedPods,
    });
    for (const name of ['twice-a', 'twice-b']) {
      await budget(name, { maxUnavailable: 1, selector: { matchLabels: { app: 'twice' } } });
      await budgetStatus(name, { disruptionsAllowed: 1 });
    }
    await budget('no-selector', { minAvailable: 1 }, SELECTOR_NS);
    await budget('everything', { minAvailable: 1, selector: {} }, SELECTOR_NS);
  });

  it('should convert a pod’s grace period and its node-local volumes, and leave absent ones out', async () => {
    const pods = await adapter.listPods();
    const local = pods.find((p) => p.namespace === DRAIN_NS && p.name === 'local');
    expect(local?.terminationGracePeriodSeconds).toBe(120);
    // A memory-backed emptyDir is not node storage a drain must protect (cluster-autoscaler's rule).
    expect(local?.localVolumes).toEqual(['scratch', 'logs']);
    const plain = pods.find((p) => p.namespace === DRAIN_NS && p.name === 'plain');
    // The API server defaults the grace period of every pod; it is never absent from a served pod.
    expect(plain?.terminationGracePeriodSeconds).toBe(30);
    expect(plain).not.toHaveProperty('localVolumes');
  });

  it('should list PodDisruptionBudgets in one request, with what the API server will admit now', async () => {
    adapter.resetStats();
    const budgets = await adapter.listPodDisruptionBudgets();
    expect(adapter.stats().byRequest).toEqual({ 'list policy/poddisruptionbudgets': 1 });
    const byName = (name: string) => budgets.find((b) => b.name === name);
    expect(byName('guarded')).toEqual({
      namespace: DRAIN_NS,
      name: 'guarded',
      selector: { matchLabels: { app: 'guarded' } },
      disruptionsAllowed: 0,
    });
    expect(byName('budget')).toEqual({
      namespace: DRAIN_NS,
      name: 'budget',
      selector: {
        matchLabels: { app: 'budget' },
        matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }],
      },
      disruptionsAllowed: 1,
    });
    // Never synced by a disruption controller: the API server refuses evictions until it is.
    expect(byName('fresh')?.disruptionsAllowed).toBe(0);
    expect(byName('no-selector')).toEqual({
      namespace: SELECTOR_NS,
      name: 'no-selector',
      disruptionsAllowed: 0,
    });
    expect(byName('everything')?.selector).toEqual({});

    const paged = new KubernetesAdapter(
      createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
      { pageSize: 3 },
    );
    try {
      expect(await paged.listPodDisruptionBudgets()).toHaveLength(budgets.length);
      expect(paged.stats().byRequest['list policy/poddisruptionbudgets']).toBe(Math.ceil(budgets.length / 3));
    } finally {
      await paged.close();
    }
  });

  describe('setNodeTaint', () => {
    const taintsOf = async (name: string) =>
      (await adapter.listNodes()).find((n) => n.name === name)?.taints ?? [];

    it('should add a taint once, keeping the node’s other taints, and write nothing when it is there', async () => {
      adapter.resetStats();
      await adapter.setNodeTaint(NODE, DRAIN_TAINT, true);
      expect(adapter.stats().byRequest).toEqual({ 'get nodes': 1, 'patch nodes': 1 });
      expect(await taintsOf(NODE)).toEqual(
        expect.arrayContaining([
          { key: 'example.com/keep', value: 'yes', effect: 'PreferNoSchedule' },
          DRAIN_TAINT,
        ]),
      );
      const before = await admin.get<{ metadata: { resourceVersion: string } }>(`/api/v1/nodes/${NODE}`);

      adapter.resetStats();
      await adapter.setNodeTaint(NODE, DRAIN_TAINT, true);
      expect(adapter.stats().byRequest).toEqual({ 'get nodes': 1 });
      const after = await admin.get<{ metadata: { resourceVersion: string } }>(`/api/v1/nodes/${NODE}`);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    });

    it('should replace the value of a taint with the same key and effect', async () => {
      await adapter.setNodeTaint(NODE, { ...DRAIN_TAINT, value: 'interrupted' }, true);
      const ours = (await taintsOf(NODE)).filter((t) => t.key === DRAIN_TAINT.key);
      expect(ours).toEqual([{ ...DRAIN_TAINT, value: 'interrupted' }]);
    });

    it('should remove the taint once, keeping the others, and write nothing when it is gone', async () => {
      await adapter.setNodeTaint(NODE, DRAIN_TAINT, false);
      const taints = await taintsOf(NODE);
      expect(taints.some((t) => t.key === DRAIN_TAINT.key)).toBe(false);
      expect(taints).toContainEqual({ key: 'example.com/keep', value: 'yes', effect: 'PreferNoSchedule' });

      adapter.resetStats();
      await adapter.setNodeTaint(NODE, DRAIN_TAINT, false);
      // Same key, other effect: not the taint asked about, so it stays.
      await adapter.setNodeTaint(NODE, { key: 'example.com/keep', effect: 'NoSchedule' }, false);
      expect(adapter.stats().byRequest).toEqual({ 'get nodes': 2 });
    });

    it('should throw ConflictError when the node changes between its read and the patch (a real 409)', async () => {
      const base = createKubeClient({
        server: cluster.server,
        token: cluster.tideplaneToken,
        caData: cluster.caData,
      });
      // Someone else (the node lifecycle controller, a person) writes the node right after our GET.
      const request = (async (method: string, path: string, options?: object) => {
        const result = await base.request(method as 'GET', path, options);
        if (method === 'GET' && path === `/api/v1/nodes/${NODE}`) {
          await admin.call('PATCH', path, {
            body: { metadata: { labels: { 'example.com/touched': 'yes' } } },
            contentType: MERGE_PATCH,
          });
        }
        return result;
      }) as KubeClient['request'];
      const racing = new KubernetesAdapter({ ...base, request });
      try {
        const error = await racing.setNodeTaint(NODE, DRAIN_TAINT, true).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as Error).message).toMatch(/the object has been modified/);
        expect((await taintsOf(NODE)).some((t) => t.key === DRAIN_TAINT.key)).toBe(false);
        // Re-read and retry, as the contract says: the write goes through.
        await adapter.setNodeTaint(NODE, DRAIN_TAINT, true);
        expect(await taintsOf(NODE)).toContainEqual(DRAIN_TAINT);
      } finally {
        await racing.close();
      }
    });

    it('should throw NotFoundError for a node that does not exist', async () => {
      await expect(adapter.setNodeTaint('no-such-node', DRAIN_TAINT, true)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(adapter.setNodeTaint('no-such-node', DRAIN_TAINT, false)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });

  describe('evictPod', () => {
    it('should evict a pod no budget guards: a bound pod terminates for its grace period, with the eviction’s condition', async () => {
      adapter.resetStats();
      expect(await adapter.evictPod(DRAIN_NS, 'plain')).toBe('evicted');
      expect(adapter.stats().byRequest).toEqual({ 'create pods/eviction': 1 });
      // No kubelet confirms the termination, so the bound pod stays, terminating.
      const pod = await getPod('plain');
      expect(pod?.metadata.deletionTimestamp).toBeDefined();
      expect(pod?.metadata.deletionGracePeriodSeconds).toBe(30);
      expect(pod?.status.conditions).toContainEqual(
        expect.objectContaining({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
        }),
      );
      // A terminating pod is deleted again without a budget check: evicting twice is harmless.
      expect(await adapter.evictPod(DRAIN_NS, 'plain')).toBe('evicted');
      expect((await adapter.listPods()).find((p) => p.name === 'plain')?.deletionTimestamp).toBeDefined();
    });

    it('should pass the grace period, which the API server uses in place of the pod’s own (shorter or longer)', async () => {
      expect(await adapter.evictPod(DRAIN_NS, 'local', { gracePeriodSeconds: 7 })).toBe('evicted');
      expect((await getPod('local'))?.metadata.deletionGracePeriodSeconds).toBe(7);
      // Not a cap: a pod asking for 5 s gets the 60 s given (callers pass min(own, cap)).
      expect(await adapter.evictPod(DRAIN_NS, 'short', { gracePeriodSeconds: 60 })).toBe('evicted');
      expect((await getPod('short'))?.metadata.deletionGracePeriodSeconds).toBe(60);
      // Zero deletes a bound pod at once, without waiting for a kubelet.
      expect(await adapter.evictPod(DRAIN_NS, 'quick', { gracePeriodSeconds: 0 })).toBe('evicted');
      expect(await getPod('quick')).toBeUndefined();
    });

    it('should evict a pod that never ran, whatever its budget says: it is deleted at once', async () => {
      expect(await adapter.evictPod(DRAIN_NS, 'unbound')).toBe('evicted');
      expect(await getPod('unbound')).toBeUndefined();
    });

    it('should answer blocked (a real 429) when the budget allows no disruption, and leave the pod alone', async () => {
      const res = await asTideplane.request<{
        code: number;
        details: { causes: { reason: string; message: string }[] };
      }>('POST', `${podPath('guarded-0')}/eviction`, {
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'guarded-0', namespace: DRAIN_NS },
        },
      });
      expect(res.status).toBe(429);
      expect(res.body.details.causes).toContainEqual({
        reason: 'DisruptionBudget',
        message: 'The disruption budget guarded needs 2 healthy pods and has 2 currently',
      });

      adapter.resetStats();
      expect(await adapter.evictPod(DRAIN_NS, 'guarded-0')).toBe('blocked');
      expect(await adapter.evictPod(DRAIN_NS, 'guarded-1', { gracePeriodSeconds: 0 })).toBe('blocked');
      expect(adapter.stats().byRequest).toEqual({ 'create pods/eviction': 2 });
      expect((await getPod('guarded-0'))?.metadata.deletionTimestamp).toBeUndefined();
      expect((await getPod('guarded-1'))?.metadata.deletionTimestamp).toBeUndefined();
    });

    it('should use up what the budget allows: the API server decrements disruptionsAllowed itself', async () => {
      expect(await adapter.evictPod(DRAIN_NS, 'budget-0')).toBe('evicted');
      expect(await adapter.evictPod(DRAIN_NS, 'budget-1')).toBe('blocked');
      const served = await admin.get<{ status: { disruptionsAllowed: number; disruptedPods: object } }>(
        pdbPath('budget'),
      );
      expect(served.status.disruptionsAllowed).toBe(0);
      expect(Object.keys(served.status.disruptedPods)).toEqual(['budget-0']);
      expect(
        (await adapter.listPodDisruptionBudgets()).find((b) => b.name === 'budget')?.disruptionsAllowed,
      ).toBe(0);
    });

    it('should answer blocked while no disruption controller has synced the budget', async () => {
      expect(await adapter.evictPod(DRAIN_NS, 'fresh-0')).toBe('blocked');
      expect((await getPod('fresh-0'))?.metadata.deletionTimestamp).toBeUndefined();
    });

    it('should answer blocked for the budget’s own 403 (too many unconfirmed evictions), unlike an RBAC 403', async () => {
      const res = await asTideplane.request<{ details: { causes: { reason: string }[] } }>(
        'POST',
        `${podPath('jammed-0')}/eviction`,
        {
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: 'jammed-0', namespace: DRAIN_NS },
          },
        },
      );
      expect(res.status).toBe(403);
      expect(res.body.details.causes).toContainEqual(expect.objectContaining({ reason: 'DisruptionBudget' }));
      expect(await adapter.evictPod(DRAIN_NS, 'jammed-0')).toBe('blocked');
    });

    it('should throw, not answer blocked, for a pod two budgets select (the API server refuses to choose)', async () => {
      await expect(adapter.evictPod(DRAIN_NS, 'twice-0')).rejects.toThrow(
        /more than one PodDisruptionBudget/,
      );
      expect((await getPod('twice-0'))?.metadata.deletionTimestamp).toBeUndefined();
    });

    it('should answer gone for a pod (or namespace) that does not exist', async () => {
      expect(await adapter.evictPod(DRAIN_NS, 'no-such-pod')).toBe('gone');
      expect(await adapter.evictPod('no-such-namespace', 'no-such-pod')).toBe('gone');
      expect(await adapter.evictPod(DRAIN_NS, 'quick')).toBe('gone');
    });
  });

  it('should delete a Node object, and do nothing for one already gone', async () => {
    adapter.resetStats();
    await adapter.deleteNode('drain-node-gone');
    expect((await admin.request('GET', '/api/v1/nodes/drain-node-gone')).status).toBe(404);
    await adapter.deleteNode('drain-node-gone');
    await adapter.deleteNode('never-existed');
    expect(adapter.stats().byRequest).toEqual({ 'delete nodes': 3 });
  });
});

describe('the tideplane ClusterRole', () => {
  it('should allow every call the adapter made (all tests above ran as user tideplane)', async () => {
    // A last full tick as tideplane, every port method once.
    await expect(
      Promise.all([
        adapter.listPods(),
        adapter.listNodes(),
        adapter.listAutoscalers('HorizontalAutoscaler'),
        adapter.listAutoscalers('HorizontalPodAutoscaler'),
        adapter.getScales(targets),
        adapter.listPodMetrics(),
        adapter.listPersistentVolumeClaims(),
        adapter.listPersistentVolumes(),
        adapter.listDaemonSets(),
        adapter.listPodDisruptionBudgets(),
      ]),
    ).resolves.toBeDefined();
    const review = await asTideplane.post<{
      status: { resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[] }[] };
    }>('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace: NS[0] },
    });
    const granted = review.status.resourceRules.flatMap((r) =>
      (r.apiGroups ?? ['']).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`)),
      ),
    );
    expect(granted).toEqual(
      expect.arrayContaining([
        'list /pods',
        'list /nodes',
        'list /persistentvolumeclaims',
        'list /persistentvolumes',
        'list apps/deployments',
        'list apps/daemonsets',
        'list policy/poddisruptionbudgets',
        'get /nodes',
        'patch /nodes',
        'delete /nodes',
        'create /pods/eviction',
        'get */*/scale',
        'update */*/scale',
        'patch autoscaling.tideplane.io/horizontalautoscalers/status',
        'create events.k8s.io/events',
        'list metrics.k8s.io/pods',
        'get networking.k8s.io/ingresses',
        'get zalando.org/routegroups',
        'get zalando.org/scalingschedules',
        'get zalando.org/clusterscalingschedules',
      ]),
    );
  });

  it.each([
    ['delete a Deployment', 'DELETE', `/apis/apps/v1/namespaces/${NS[0]}/deployments/web-0`, undefined],
    // GET and patch of workloads are the VPA loop's, in the tideplane-vpa ClusterRole (test/cluster/
    // vpa-adapter.test.ts), which this user does not have; replacing, creating and watching them are
    // nobody's.
    [
      'read a Deployment (tideplane-vpa only)',
      'GET',
      `/apis/apps/v1/namespaces/${NS[0]}/deployments/web-0`,
      undefined,
    ],
    [
      'patch a Deployment’s pod template (tideplane-vpa only)',
      'PATCH',
      `/apis/apps/v1/namespaces/${NS[0]}/deployments/web-0`,
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'evil' }] } } } },
    ],
    [
      'resize a pod (tideplane-vpa only)',
      'PATCH',
      `/api/v1/namespaces/${NS[0]}/pods/web-0-pod-0/resize`,
      { spec: { containers: [{ name: 'app', resources: { requests: { memory: '1Gi' } } }] } },
    ],
    [
      'list VPAs (tideplane-vpa only)',
      'GET',
      '/apis/autoscaling.k8s.io/v1/verticalpodautoscalers',
      undefined,
    ],
    [
      'replace a Deployment (PUT)',
      'PUT',
      `/apis/apps/v1/namespaces/${NS[0]}/deployments/web-0`,
      { spec: { replicas: 9 } },
    ],
    [
      'create a Deployment',
      'POST',
      `/apis/apps/v1/namespaces/${NS[0]}/deployments`,
      { metadata: { name: 'x' } },
    ],
    ['watch Deployments', 'GET', '/apis/apps/v1/deployments?watch=true&timeoutSeconds=1', undefined],
    [
      'create a pod',
      'POST',
      `/api/v1/namespaces/${NS[0]}/pods`,
      { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    ],
    [
      'delete a pod (only the Eviction API may)',
      'DELETE',
      `/api/v1/namespaces/${NS[0]}/pods/web-0-pod-0`,
      undefined,
    ],
    ['delete every node at once', 'DELETE', '/api/v1/nodes', undefined],
    ['replace a node (PUT)', 'PUT', '/api/v1/nodes/node-0', { metadata: { name: 'node-0' } }],
    [
      'patch a node’s status',
      'PATCH',
      '/api/v1/nodes/node-0/status',
      { status: { allocatable: { cpu: '1' } } },
    ],
    ['watch nodes', 'GET', '/api/v1/nodes?watch=true&timeoutSeconds=1', undefined],
    ['read a pod directly', 'GET', `/api/v1/namespaces/${NS[0]}/pods/web-0-pod-0`, undefined],
    [
      'read a PodDisruptionBudget directly',
      'GET',
      '/apis/policy/v1/namespaces/tp-drain/poddisruptionbudgets/guarded',
      undefined,
    ],
    [
      'change a PodDisruptionBudget’s status',
      'PATCH',
      '/apis/policy/v1/namespaces/tp-drain/poddisruptionbudgets/guarded/status',
      { status: { disruptionsAllowed: 5 } },
    ],
    [
      'delete a PodDisruptionBudget',
      'DELETE',
      '/apis/policy/v1/namespaces/tp-drain/poddisruptionbudgets/guarded',
      undefined,
    ],
    ['read a secret', 'GET', `/api/v1/namespaces/${NS[0]}/secrets/anything`, undefined],
    ['list secrets', 'GET', '/api/v1/secrets', undefined],
    [
      'change an autoscaler spec',
      'PATCH',
      `${HA_API}/namespaces/${NS[0]}/horizontalautoscalers/ha-0`,
      { spec: { maxReplicas: 99 } },
    ],
    ['watch pods', 'GET', '/api/v1/pods?watch=true&timeoutSeconds=1', undefined],
    ['read a PersistentVolume directly', 'GET', '/api/v1/persistentvolumes/tp-pv-label', undefined],
    [
      'change a PersistentVolumeClaim',
      'PATCH',
      '/api/v1/namespaces/tp-sched/persistentvolumeclaims/unbound',
      { metadata: { labels: { x: 'y' } } },
    ],
    ['delete a PersistentVolume', 'DELETE', '/api/v1/persistentvolumes/tp-pv-label', undefined],
    ['watch DaemonSets', 'GET', '/apis/apps/v1/daemonsets?watch=true&timeoutSeconds=1', undefined],
    ['delete a DaemonSet', 'DELETE', '/apis/apps/v1/namespaces/tp-sched/daemonsets/node-agent', undefined],
    ['list events', 'GET', `/apis/events.k8s.io/v1/namespaces/${NS[0]}/events`, undefined],
    ['write core v1 events', 'POST', `/api/v1/namespaces/${NS[0]}/events`, { metadata: { name: 'e' } }],
    ['list ingresses', 'GET', '/apis/networking.k8s.io/v1/ingresses', undefined],
    [
      'change an Ingress',
      'PATCH',
      `/apis/networking.k8s.io/v1/namespaces/${NS[0]}/ingresses/shop`,
      { metadata: { annotations: { x: 'y' } } },
    ],
    ['list ScalingSchedules', 'GET', '/apis/zalando.org/v1/scalingschedules', undefined],
    [
      'change a ClusterScalingSchedule',
      'PATCH',
      '/apis/zalando.org/v1/clusterscalingschedules/weekdays',
      { spec: { schedules: [] } },
    ],
  ])('should forbid what the adapter never does: %s', async (_what, method, path, body) => {
    const res = await asTideplane.request(
      method,
      path,
      body === undefined ? {} : { body, contentType: MERGE_PATCH },
    );
    expect(res.status).toBe(403);
  });

  it('should map a real 403 to ForbiddenError', async () => {
    const nobody = new KubernetesAdapter(
      createKubeClient({
        server: cluster.server,
        token: cluster.userToken('nobody'),
        caData: cluster.caData,
      }),
    );
    try {
      await expect(nobody.listPods()).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.listPersistentVolumes()).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.listDaemonSets()).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.getScales(targets.slice(0, 1))).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.listPodDisruptionBudgets()).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        nobody.setNodeTaint('node-0', { key: 'k', effect: 'NoSchedule' }, true),
      ).rejects.toBeInstanceOf(ForbiddenError);
      // An RBAC 403 carries no DisruptionBudget cause: an error, never 'blocked'.
      await expect(nobody.evictPod(NS[0], 'web-0-pod-0')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.deleteNode('node-0')).rejects.toBeInstanceOf(ForbiddenError);
      const external = await new KubernetesMetricsApiSource(nobody.client).getExternalMetric({
        namespace: NS[1],
        metricName: 'queue_depth',
      });
      expect(external.ok ? undefined : external.error.reason).toBe('Forbidden');
    } finally {
      await nobody.close();
    }
  });
});

describe('metrics APIs that are not served', () => {
  it('should list no pod metrics and report NotServed when the APIServices are gone', async () => {
    await admin.delete('/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    await admin.delete('/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io');
    // The aggregator drops the routes asynchronously.
    await expect.poll(() => adapter.listPodMetrics(), { timeout: 20_000, interval: 200 }).toEqual([]);
    await expect
      .poll(
        async () => {
          const r = await metricsSource.getExternalMetric({ namespace: NS[1], metricName: 'queue_depth' });
          return r.ok ? 'ok' : r.error.reason;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe('NotServed');
  });
});
