/**
 * The VPA adapter against a real kube-apiserver (and etcd) plus kube-controller-manager's Deployment
 * controller, acting as user `tideplane`, whose only rights are the shipped ClusterRoles tideplane and
 * tideplane-vpa (infra/manifests/), as the VPA function's identity.
 * The VerticalPodAutoscaler CRD is the test stand-in (support/crd-verticalpodautoscalers.yaml); the first
 * test runs before it is installed. Setup runs as admin.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../shared/adapters/kubernetes/client';
import {
  KubernetesVpaAdapter,
  VPA_RESOURCE,
} from '../../shared/adapters/kubernetes/vertical-pod-autoscalers';
import {
  ConflictError,
  ForbiddenError,
  MalformedObjectError,
  NotFoundError,
  type ScaleTargetKey,
} from '../../shared/ports/kubernetes';
import type { VpaStatus } from '../../shared/ports/vertical-pod-autoscalers';
import { type KubeHttp, type KubeObject, startTestCluster, type TestCluster } from './harness';

const NS = ['tp-vpa-shop', 'tp-vpa-data'] as const;
const VPA_API = `/apis/${VPA_RESOURCE.group}/${VPA_RESOURCE.version}`;
const VPA_LIST_KEY = `list ${VPA_RESOURCE.group}/${VPA_RESOURCE.plural}`;
const MERGE_PATCH = 'application/merge-patch+json';
const CRD_FILE = fileURLToPath(new URL('./support/crd-verticalpodautoscalers.yaml', import.meta.url));
/** Small pages, so that listing five VPAs takes three requests. */
const PAGE_SIZE = 2;
/** Reads and patches retried while a controller keeps writing the object. */
const QUIET_ATTEMPTS = 20;

interface RawContainer {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [field: string]: unknown;
}

interface RawWorkloadObject {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string; subresource?: string }[];
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: { template: { spec: { containers: RawContainer[] } }; [field: string]: unknown };
}

const appsPath = (namespace: string, plural: string, name = '') =>
  `/apis/apps/v1/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
const vpaPath = (namespace: string, name = '') =>
  `${VPA_API}/namespaces/${namespace}/verticalpodautoscalers${name ? `/${name}` : ''}`;

/** A pod template with two containers and enough around them to show that a resize touches nothing else. */
const podTemplate = (app: string) => ({
  metadata: { labels: { app, tier: 'web' }, annotations: { 'example.com/team': 'shop' } },
  spec: {
    terminationGracePeriodSeconds: 45,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    containers: [
      {
        name: 'app',
        image: 'registry.example/app:1.2.3',
        args: ['--port=8080'],
        env: [{ name: 'MODE', value: 'production' }],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
        resources: {
          requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
      },
      {
        name: 'proxy',
        image: 'registry.example/proxy:7',
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      },
    ],
  },
});

const deployment = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { team: 'shop' }, annotations: { 'example.com/owner': 'shop' } },
  spec: {
    replicas: 2,
    selector: {
      matchLabels: { app: name },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }],
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: podTemplate(name),
  },
});

const statefulSet = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace },
  spec: {
    replicas: 3,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
    template: podTemplate(name),
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      },
    ],
  },
});

const daemonSet = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name) },
});

const replicaSet = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: podTemplate(name) },
});

const target = (namespace: string, kind: string, name: string, apiVersion = 'apps/v1'): ScaleTargetKey => ({
  namespace,
  apiVersion,
  kind,
  name,
});

const vpaSpec = (kind: string, name: string) => ({
  targetRef: { apiVersion: 'apps/v1', kind, name },
  updatePolicy: { updateMode: 'Auto' },
  resourcePolicy: {
    containerPolicies: [
      {
        containerName: 'app',
        mode: 'Auto',
        minAllowed: { cpu: '50m', memory: '64Mi' },
        // An integer quantity, as users write it; the spec reaches the loop raw.
        maxAllowed: { cpu: 2, memory: '4Gi' },
        controlledResources: ['cpu', 'memory'],
        controlledValues: 'RequestsAndLimits',
      },
      { containerName: '*', mode: 'Off' },
    ],
  },
});

const verticalPodAutoscaler = (namespace: string, name: string, kind: string, targetName: string) => ({
  apiVersion: `${VPA_RESOURCE.group}/${VPA_RESOURCE.version}`,
  kind: 'VerticalPodAutoscaler',
  metadata: { name, namespace, annotations: { 'tideplane.io/recommender': 'tideplane' } },
  spec: vpaSpec(kind, targetName),
});

/** The VPAs of the suite: three in the first namespace, two in the second (five, over three pages). */
const VPAS = [
  [NS[0], 'web', 'Deployment', 'web'],
  [NS[0], 'web-canary', 'Deployment', 'web-canary'],
  [NS[0], 'agent', 'DaemonSet', 'agent'],
  [NS[1], 'db', 'StatefulSet', 'db'],
  [NS[1], 'batch', 'ReplicaSet', 'batch'],
] as const;

/** 2025-06-01T12:00:00.500Z: half a second past, to show that times are written to the second. */
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0) + 500;

let cluster: TestCluster;
let admin: KubeHttp;
/** Raw requests as user tideplane (to prove what the role forbids). */
let asTideplane: KubeHttp;
let vpa: KubernetesVpaAdapter;

const containersOf = (workload: RawWorkloadObject) => workload.spec.template.spec.containers;
const containerNamed = (workload: RawWorkloadObject, name: string) =>
  containersOf(workload).find((c) => c.name === name);

/** The ReplicaSets a Deployment owns, by name. */
async function replicaSetsOf(namespace: string, deploymentName: string): Promise<RawWorkloadObject[]> {
  const list = await admin.get<{ items: RawWorkloadObject[] }>(appsPath(namespace, 'replicasets'));
  return list.items.filter((rs) =>
    (rs.metadata.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.name === deploymentName),
  );
}

/**
 * Runs `read` between two admin GETs of the object at `path` until nothing wrote the object meanwhile:
 * the Deployment controller writes Deployments' status whenever it syncs them.
 */
async function readQuietly<T>(
  path: string,
  read: () => Promise<T>,
): Promise<{ stored: RawWorkloadObject; value: T }> {
  for (let attempt = 0; attempt < QUIET_ATTEMPTS; attempt++) {
    const stored = await admin.get<RawWorkloadObject>(path);
    const value = await read();
    const again = await admin.get<RawWorkloadObject>(path);
    if (again.metadata.resourceVersion === stored.metadata.resourceVersion) return { stored, value };
  }
  throw new Error(`${path} changed during each of ${QUIET_ATTEMPTS} reads`);
}

/**
 * Reads the template through the port and resizes it with the resourceVersion read, re-reading on a
 * conflict as the VPA loop does (a controller's status write in between is one). Returns the workload as
 * it was right before the patch.
 */
async function resize(
  key: ScaleTargetKey,
  path: string,
  containers: Parameters<KubernetesVpaAdapter['patchWorkloadResources']>[2],
): Promise<RawWorkloadObject> {
  for (let attempt = 0; attempt < QUIET_ATTEMPTS; attempt++) {
    const { stored, value: template } = await readQuietly(path, () => vpa.getWorkloadTemplate(key));
    expect(template?.resourceVersion).toBe(stored.metadata.resourceVersion);
    try {
      await vpa.patchWorkloadResources(key, template?.resourceVersion ?? '', containers);
      return stored;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new Error(`${path}: a conflict on each of ${QUIET_ATTEMPTS} patches`);
}

beforeAll(async () => {
  cluster = await startTestCluster({
    users: { nobody: [] },
    metricsApis: false,
    bindVpaRole: true,
    // A resize must roll out through the workload's own controller: show the new ReplicaSet.
    controllers: ['deployment-controller'],
  });
  admin = cluster.client();
  asTideplane = cluster.client(cluster.tideplaneToken);
  vpa = new KubernetesVpaAdapter(
    createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
    { pageSize: PAGE_SIZE },
  );
  await cluster.apply([
    ...NS.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    deployment(NS[0], 'web'),
    deployment(NS[0], 'web-canary'),
    daemonSet(NS[0], 'agent'),
    statefulSet(NS[1], 'db'),
    replicaSet(NS[1], 'batch'),
  ]);
});

afterAll(async () => {
  await vpa?.client.close();
  await cluster?.stop();
});

describe('a cluster without the VPA CRD', () => {
  it('should list no VerticalPodAutoscalers: the API server answers 404 for the resource, not 403', async () => {
    await expect(vpa.listVerticalPodAutoscalers()).resolves.toEqual([]);
    // RBAC let the list through; the resource itself is missing.
    expect((await asTideplane.request('GET', `${VPA_API}/${VPA_RESOURCE.plural}`)).status).toBe(404);
  });
});

describe('VerticalPodAutoscalers', () => {
  const created = new Map<string, KubeObject & { metadata: { uid: string; resourceVersion: string } }>();

  beforeAll(async () => {
    await cluster.apply(readFileSync(CRD_FILE, 'utf8'));
    for (const [namespace, name, kind, targetName] of VPAS) {
      const object = await admin.post<KubeObject & { metadata: { uid: string; resourceVersion: string } }>(
        vpaPath(namespace),
        verticalPodAutoscaler(namespace, name, kind, targetName),
      );
      created.set(`${namespace}/${name}`, object);
    }
  });

  it('should list every VPA of the cluster, page by page, with the spec raw and no status yet', async () => {
    vpa.client.resetStats();
    const vpas = await vpa.listVerticalPodAutoscalers();
    expect(vpa.client.stats().byRequest[VPA_LIST_KEY]).toBe(3);
    expect(vpas.map((v) => `${v.namespace}/${v.name}`).sort()).toEqual(
      VPAS.map(([namespace, name]) => `${namespace}/${name}`).sort(),
    );
    const web = vpas.find((v) => v.namespace === NS[0] && v.name === 'web');
    const stored = created.get(`${NS[0]}/web`);
    expect(web).toEqual({
      namespace: NS[0],
      name: 'web',
      uid: stored?.metadata.uid,
      generation: 1,
      resourceVersion: stored?.metadata.resourceVersion,
      annotations: { 'tideplane.io/recommender': 'tideplane' },
      creationTimestamp: Date.parse(String(stored?.metadata.creationTimestamp)),
      spec: vpaSpec('Deployment', 'web'),
    });
    expect(web?.status).toBeUndefined();
  });

  it('should read a status another recommender wrote: quantities as strings, condition times in ms', async () => {
    await admin.call('PATCH', `${vpaPath(NS[1], 'db')}/status`, {
      contentType: MERGE_PATCH,
      body: {
        status: {
          recommendation: {
            containerRecommendations: [
              {
                containerName: 'app',
                target: { cpu: '587m', memory: 262144000 },
                lowerBound: { cpu: '25m', memory: '262144k' },
                upperBound: { cpu: '1', memory: '1Gi' },
                uncappedTarget: { cpu: '587m', memory: 262144000 },
              },
            ],
          },
          conditions: [
            {
              type: 'RecommendationProvided',
              status: 'True',
              lastTransitionTime: '2025-05-31T08:15:30Z',
            },
            { type: 'LowConfidence', status: 'False', reason: 'EnoughHistory', message: '8 days' },
          ],
        },
      },
    });
    const db = (await vpa.listVerticalPodAutoscalers()).find((v) => v.namespace === NS[1] && v.name === 'db');
    expect(db?.status).toEqual({
      recommendation: {
        containerRecommendations: [
          {
            containerName: 'app',
            target: { cpu: '587m', memory: '262144000' },
            lowerBound: { cpu: '25m', memory: '262144k' },
            upperBound: { cpu: '1', memory: '1Gi' },
            uncappedTarget: { cpu: '587m', memory: '262144000' },
          },
        ],
      },
      conditions: [
        {
          type: 'RecommendationProvided',
          status: 'True',
          lastTransitionTime: Date.parse('2025-05-31T08:15:30Z'),
        },
        { type: 'LowConfidence', status: 'False', reason: 'EnoughHistory', message: '8 days' },
      ],
    });
  });

  it('should write the status subresource as kubectl describe shows it, and replace it on the next write', async () => {
    const status: VpaStatus = {
      recommendation: {
        containerRecommendations: [
          {
            containerName: 'app',
            target: { cpu: '250m', memory: '512Mi' },
            lowerBound: { cpu: '100m', memory: '300Mi' },
            upperBound: { cpu: '1', memory: '1Gi' },
            uncappedTarget: { cpu: '250m', memory: '600Mi' },
          },
          {
            containerName: 'proxy',
            target: { cpu: '25m', memory: '250Mi' },
            lowerBound: {},
            upperBound: {},
            uncappedTarget: {},
          },
        ],
      },
      conditions: [
        { type: 'RecommendationProvided', status: 'True', lastTransitionTime: T0 },
        {
          type: 'LowConfidence',
          status: 'True',
          lastTransitionTime: T0,
          reason: 'ShortHistory',
          message: 'less than 8 days of samples',
        },
      ],
    };
    await vpa.updateVpaStatus(NS[0], 'web', status);

    const stored = await admin.get<{
      metadata: { generation: number; managedFields: { manager?: string; subresource?: string }[] };
      spec: unknown;
      status: unknown;
    }>(vpaPath(NS[0], 'web'));
    expect(stored.status).toEqual({
      recommendation: {
        containerRecommendations: [
          {
            containerName: 'app',
            target: { cpu: '250m', memory: '512Mi' },
            lowerBound: { cpu: '100m', memory: '300Mi' },
            upperBound: { cpu: '1', memory: '1Gi' },
            uncappedTarget: { cpu: '250m', memory: '600Mi' },
          },
          { containerName: 'proxy', target: { cpu: '25m', memory: '250Mi' } },
        ],
      },
      conditions: [
        { type: 'RecommendationProvided', status: 'True', lastTransitionTime: '2025-06-01T12:00:00Z' },
        {
          type: 'LowConfidence',
          status: 'True',
          lastTransitionTime: '2025-06-01T12:00:00Z',
          reason: 'ShortHistory',
          message: 'less than 8 days of samples',
        },
      ],
    });
    // A status write leaves the user's spec alone and is recorded as tideplane's, on the subresource.
    expect(stored.spec).toEqual(vpaSpec('Deployment', 'web'));
    expect(stored.metadata.generation).toBe(1);
    expect(stored.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'tideplane', subresource: 'status' }),
    );

    // Read back through the port: what was written, times to the second.
    const web = (await vpa.listVerticalPodAutoscalers()).find(
      (v) => v.namespace === NS[0] && v.name === 'web',
    );
    expect(web?.status).toEqual({
      ...status,
      conditions: status.conditions.map((c) => ({ ...c, lastTransitionTime: T0 - 500 })),
    });

    // The next write replaces: no recommendation any more, one condition instead of two.
    await vpa.updateVpaStatus(NS[0], 'web', {
      conditions: [
        { type: 'ConfigUnsupported', status: 'True', reason: 'NoTarget', message: 'target not found' },
      ],
    });
    const replaced = await admin.get<{ status: unknown }>(vpaPath(NS[0], 'web'));
    expect(replaced.status).toEqual({
      conditions: [
        { type: 'ConfigUnsupported', status: 'True', reason: 'NoTarget', message: 'target not found' },
      ],
    });
  });

  it('should throw NotFoundError for the status of a VPA that does not exist', async () => {
    await expect(vpa.updateVpaStatus(NS[0], 'no-such-vpa', { conditions: [] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('workload templates', () => {
  it.each([
    ['Deployment', NS[0], 'web', 'deployments', 'app=web,tier in (api,web)'],
    ['StatefulSet', NS[1], 'db', 'statefulsets', 'app=db'],
    ['DaemonSet', NS[0], 'agent', 'daemonsets', 'app=agent'],
    ['ReplicaSet', NS[1], 'batch', 'replicasets', 'app=batch'],
  ])(
    'should read a %s’s template: selector, containers’ requests and limits, resourceVersion',
    async (kind, namespace, name, plural, selector) => {
      const key = target(namespace, kind, name);
      const { stored, value } = await readQuietly(appsPath(namespace, plural, name), () =>
        vpa.getWorkloadTemplate(key),
      );
      expect(value).toEqual({
        target: key,
        resourceVersion: stored.metadata.resourceVersion,
        selector,
        containers: [
          {
            name: 'app',
            requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
          { name: 'proxy', requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
        ],
      });
    },
  );

  it('should read any apps/* version of a reference as apps/v1', async () => {
    const key = target(NS[0], 'Deployment', 'web', 'apps/v1beta2');
    expect((await vpa.getWorkloadTemplate(key))?.selector).toBe('app=web,tier in (api,web)');
  });

  it.each([
    ['Deployment', NS[0]],
    ['StatefulSet', NS[1]],
    ['DaemonSet', NS[0]],
    ['ReplicaSet', NS[1]],
  ])('should return undefined for a %s that does not exist', async (kind, namespace) => {
    await expect(vpa.getWorkloadTemplate(target(namespace, kind, 'gone'))).resolves.toBeUndefined();
  });

  it.each([
    ['a Job', target(NS[0], 'Job', 'nightly', 'batch/v1')],
    ['a ReplicationController', target(NS[0], 'ReplicationController', 'legacy', 'v1')],
    ['a custom kind', target(NS[0], 'WebApp', 'shop', 'example.com/v1')],
    ['a Deployment of another group', target(NS[0], 'Deployment', 'web', 'example.com/v1')],
  ])(
    'should refuse %s with a MalformedObjectError naming the supported kinds, without a request',
    async (_what, key) => {
      vpa.client.resetStats();
      const supported = /supported kinds are apps\/v1 Deployment, StatefulSet, DaemonSet, ReplicaSet/;
      await expect(vpa.getWorkloadTemplate(key)).rejects.toThrow(MalformedObjectError);
      await expect(vpa.getWorkloadTemplate(key)).rejects.toThrow(supported);
      await expect(
        vpa.patchWorkloadResources(key, '1', [{ name: 'app', requests: { cpu: '1' }, limits: {} }]),
      ).rejects.toThrow(supported);
      expect(vpa.client.stats().total).toBe(0);
    },
  );
});

describe('listing workload templates', () => {
  it.each([
    ['Deployment', ['tp-vpa-shop/web', 'tp-vpa-shop/web-canary']],
    ['StatefulSet', ['tp-vpa-data/db']],
    ['DaemonSet', ['tp-vpa-shop/agent']],
    ['ReplicaSet', ['tp-vpa-data/batch']],
  ] as const)('should list every %s of the cluster with its template, page by page', async (kind, names) => {
    const templates = await vpa.listWorkloadTemplates(kind);
    // The Deployment controller's own ReplicaSets are listed too; the VPA loop looks up only its targets.
    const ours = templates.filter(
      (t) => t.target.namespace.startsWith('tp-vpa-') && !/-[a-z0-9]{8,10}$/.test(t.target.name),
    );
    expect(ours.map((t) => `${t.target.namespace}/${t.target.name}`).sort()).toEqual([...names]);
    for (const template of ours) {
      expect(template.target).toEqual(target(template.target.namespace, kind, template.target.name));
      expect(template.resourceVersion).toMatch(/^\d+$/);
      expect(template.containers.map((c) => c.name)).toEqual(['app', 'proxy']);
    }
    const single = await vpa.getWorkloadTemplate(ours[0]?.target as ScaleTargetKey);
    expect(single?.selector).toBe(ours[0]?.selector);
  });
});

describe('resizing a pod in place', () => {
  const pod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS[0], labels: { app: 'resize' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1.2.3',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
        },
      ],
    },
  });

  beforeAll(async () => {
    await cluster.apply([pod('resize-a'), pod('resize-b')]);
  });

  it('should raise a pod’s memory request and limit through the resize subresource, leaving the rest', async () => {
    vpa.client.resetStats();
    await expect(
      vpa.resizePodResources(NS[0], 'resize-a', [
        { name: 'app', requests: { memory: '256Mi' }, limits: { memory: '256Mi' } },
      ]),
    ).resolves.toBe('resized');
    expect(vpa.client.stats().total).toBe(1);
    const stored = await admin.get<{ spec: { containers: RawContainer[] } }>(
      `/api/v1/namespaces/${NS[0]}/pods/resize-a`,
    );
    expect(stored.spec.containers[0]?.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { memory: '256Mi' },
    });
  });

  it('should answer gone for a pod that does not exist, and unsupported for a resize the API server refuses', async () => {
    await expect(
      vpa.resizePodResources(NS[0], 'gone', [{ name: 'app', requests: { memory: '256Mi' }, limits: {} }]),
    ).resolves.toBe('gone');
    // CPU request = limit and memory request = limit would make the Burstable pod Guaranteed: a QoS class
    // may not change by a resize (422).
    await expect(
      vpa.resizePodResources(NS[0], 'resize-b', [
        { name: 'app', requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
      ]),
    ).resolves.toBe('unsupported');
    const stored = await admin.get<{ spec: { containers: RawContainer[] } }>(
      `/api/v1/namespaces/${NS[0]}/pods/resize-b`,
    );
    expect(stored.spec.containers[0]?.resources?.limits).toEqual({ memory: '128Mi' });
  });
});

describe('resizing a workload', () => {
  it('should patch a Deployment’s container resources and roll a new ReplicaSet, leaving the rest as it was', async () => {
    const path = appsPath(NS[0], 'deployments', 'web');
    await expect.poll(async () => (await replicaSetsOf(NS[0], 'web')).length, { timeout: 30_000 }).toBe(1);
    const [oldReplicaSet] = await replicaSetsOf(NS[0], 'web');
    const before = await resize(target(NS[0], 'Deployment', 'web'), path, [
      { name: 'app', requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
    ]);

    const after = await admin.get<RawWorkloadObject>(path);
    const newResources = {
      // Resources not given keep their values: ephemeral-storage, the CPU limit.
      requests: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '500m', memory: '512Mi' },
    };
    const expectedSpec = structuredClone(before.spec);
    const app = expectedSpec.template.spec.containers.find((c) => c.name === 'app');
    if (app) app.resources = newResources;
    expect(after.spec).toEqual(expectedSpec);
    expect(containerNamed(after, 'app')?.resources).toEqual(newResources);
    expect(containerNamed(after, 'proxy')).toEqual(containerNamed(before, 'proxy'));
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.metadata.annotations?.['example.com/owner']).toBe('shop');
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(after.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'tideplane', operation: 'Update' }),
    );

    // The Deployment controller rolls a new ReplicaSet with the new resources; the old one keeps the old.
    await expect
      .poll(
        async () =>
          (await replicaSetsOf(NS[0], 'web'))
            .filter((rs) => rs.metadata.uid !== oldReplicaSet?.metadata.uid)
            .map((rs) => containerNamed(rs, 'app')?.resources),
        { timeout: 30_000 },
      )
      .toEqual([newResources]);
    const old = (await replicaSetsOf(NS[0], 'web')).find(
      (rs) => rs.metadata.uid === oldReplicaSet?.metadata.uid,
    );
    expect(containerNamed(old as RawWorkloadObject, 'app')?.resources).toEqual(
      containerNamed(before, 'app')?.resources,
    );

    // The port reads the new template back.
    const { stored, value: reread } = await readQuietly(path, () =>
      vpa.getWorkloadTemplate(target(NS[0], 'Deployment', 'web')),
    );
    expect(reread?.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect(reread?.containers[0]).toEqual({ name: 'app', ...newResources });
  });

  it('should patch a StatefulSet’s template and leave its claims, service and update strategy alone', async () => {
    const path = appsPath(NS[1], 'statefulsets', 'db');
    const before = await resize(target(NS[1], 'StatefulSet', 'db'), path, [
      { name: 'app', requests: { memory: '1Gi' }, limits: { memory: '1Gi', cpu: '2' } },
      { name: 'proxy', requests: { cpu: '20m' }, limits: {} },
    ]);
    const after = await admin.get<RawWorkloadObject>(path);
    const expectedSpec = structuredClone(before.spec);
    const [app, proxy] = expectedSpec.template.spec.containers;
    if (app) {
      app.resources = {
        requests: { cpu: '100m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
        limits: { cpu: '2', memory: '1Gi' },
      };
    }
    if (proxy) proxy.resources = { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '64Mi' } };
    expect(after.spec).toEqual(expectedSpec);
    expect(after.spec.volumeClaimTemplates).toEqual(before.spec.volumeClaimTemplates);
    expect(after.spec.updateStrategy).toEqual(before.spec.updateStrategy);
    expect(after.spec.updateStrategy).toMatchObject({ rollingUpdate: { partition: 1 } });
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  });

  it('should throw ConflictError on a stale resourceVersion and change nothing', async () => {
    const key = target(NS[0], 'Deployment', 'web-canary');
    const path = appsPath(NS[0], 'deployments', 'web-canary');
    const template = await vpa.getWorkloadTemplate(key);
    // Someone else changes the Deployment after tideplane read it.
    await admin.call('PATCH', path, {
      contentType: MERGE_PATCH,
      body: { metadata: { annotations: { 'example.com/touched': 'yes' } } },
    });
    const changed = await admin.get<RawWorkloadObject>(path);

    await expect(
      vpa.patchWorkloadResources(key, template?.resourceVersion ?? '', [
        { name: 'app', requests: { cpu: '3' }, limits: { cpu: '3' } },
      ]),
    ).rejects.toBeInstanceOf(ConflictError);
    // The Deployment controller may write its status meanwhile; the spec is what must not change.
    const after = await admin.get<RawWorkloadObject>(path);
    expect(after.metadata.generation).toBe(changed.metadata.generation);
    expect(after.spec).toEqual(changed.spec);
    expect(containerNamed(after, 'app')?.resources).toEqual(containerNamed(changed, 'app')?.resources);
  });

  it('should leave a workload unchanged when a container name is not in its template', async () => {
    const key = target(NS[0], 'DaemonSet', 'agent');
    const path = appsPath(NS[0], 'daemonsets', 'agent');
    const before = await admin.get<RawWorkloadObject>(path);
    await expect(
      vpa.patchWorkloadResources(key, before.metadata.resourceVersion, [
        { name: 'ghost', requests: { cpu: '1' }, limits: {} },
      ]),
    ).rejects.toThrow(/422/);
    const after = await admin.get<RawWorkloadObject>(path);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(containersOf(after).map((c) => c.name)).toEqual(['app', 'proxy']);
  });

  it('should throw NotFoundError when the workload is gone, and send nothing for no containers', async () => {
    await expect(
      vpa.patchWorkloadResources(target(NS[1], 'ReplicaSet', 'gone'), '1', [
        { name: 'app', requests: { cpu: '1' }, limits: {} },
      ]),
    ).rejects.toBeInstanceOf(NotFoundError);
    vpa.client.resetStats();
    await vpa.patchWorkloadResources(target(NS[1], 'ReplicaSet', 'gone'), '1', []);
    expect(vpa.client.stats().total).toBe(0);
  });
});

describe('RBAC: the shipped ClusterRoles tideplane and tideplane-vpa', () => {
  it('should grant the VPA calls: list VPAs, patch their status, get and patch the four workload kinds', async () => {
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
        'list autoscaling.k8s.io/verticalpodautoscalers',
        'patch autoscaling.k8s.io/verticalpodautoscalers/status',
        ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].flatMap((r) => [
          `get apps/${r}`,
          `patch apps/${r}`,
          `list apps/${r}`,
        ]),
        'patch /pods/resize',
      ]),
    );
    // Nothing else on VPAs: no get, watch, create, update or delete, and no write of the spec.
    const onVpas = granted.filter((g) => g.includes(' autoscaling.k8s.io/'));
    expect(onVpas.sort()).toEqual([
      'list autoscaling.k8s.io/verticalpodautoscalers',
      'patch autoscaling.k8s.io/verticalpodautoscalers/status',
    ]);
  });

  it.each([
    ['read a VPA directly', 'GET', vpaPath(NS[0], 'web'), undefined],
    ['watch VPAs', 'GET', `${VPA_API}/verticalpodautoscalers?watch=true&timeoutSeconds=1`, undefined],
    ['create a VPA', 'POST', vpaPath(NS[0]), verticalPodAutoscaler(NS[0], 'x', 'Deployment', 'web')],
    ['change a VPA spec', 'PATCH', vpaPath(NS[0], 'web'), { spec: { updatePolicy: { updateMode: 'Off' } } }],
    ['replace a VPA status (PUT)', 'PUT', `${vpaPath(NS[0], 'web')}/status`, { metadata: { name: 'web' } }],
    ['delete a VPA', 'DELETE', vpaPath(NS[0], 'web'), undefined],
    [
      'replace a Deployment (PUT)',
      'PUT',
      appsPath(NS[0], 'deployments', 'web'),
      { metadata: { name: 'web' } },
    ],
    [
      'patch a Deployment’s status',
      'PATCH',
      `${appsPath(NS[0], 'deployments', 'web')}/status`,
      { status: {} },
    ],
    ['delete a StatefulSet', 'DELETE', appsPath(NS[1], 'statefulsets', 'db'), undefined],
    ['patch a pod itself', 'PATCH', `/api/v1/namespaces/${NS[0]}/pods/web-x`, { spec: {} }],
  ])('should forbid what the VPA adapter never does: %s', async (_what, method, path, body) => {
    const res = await asTideplane.request(
      method,
      path,
      body === undefined ? {} : { body, contentType: MERGE_PATCH },
    );
    expect(res.status).toBe(403);
  });

  it('should map a real 403 to ForbiddenError, never to “no VPAs” or “no workload”', async () => {
    const nobody = new KubernetesVpaAdapter(
      createKubeClient({
        server: cluster.server,
        token: cluster.userToken('nobody'),
        caData: cluster.caData,
      }),
    );
    const key = target(NS[0], 'Deployment', 'web');
    try {
      await expect(nobody.listVerticalPodAutoscalers()).rejects.toBeInstanceOf(ForbiddenError);
      await expect(nobody.updateVpaStatus(NS[0], 'web', { conditions: [] })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(nobody.getWorkloadTemplate(key)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        nobody.patchWorkloadResources(key, '1', [{ name: 'app', requests: { cpu: '1' }, limits: {} }]),
      ).rejects.toBeInstanceOf(ForbiddenError);
    } finally {
      await nobody.client.close();
    }
  });
});
