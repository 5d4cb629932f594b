/**
 * The simulator's `VpaPort` (shared/sim/vpa-objects.ts): the same contract as the Kubernetes adapter
 * where the VPA loop depends on it.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  MalformedObjectError,
  NotFoundError,
  type ScaleTargetKey,
} from '../../../shared/ports/kubernetes';
import { SimVpas } from '../../../shared/sim/vpa-objects';
import { isReady, runClusterUntil, START, smallCluster, webTarget, workload } from './fixtures';

const spec = {
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
  recommenders: [{ name: 'tideplane' }],
};

function setup() {
  const { clock, cluster } = smallCluster();
  cluster.addWorkload(
    workload({
      replicas: 2,
      containers: [
        { name: 'app', requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '512Mi' } },
        { name: 'sidecar', requests: { cpu: '10m', memory: '32Mi' } },
      ],
    }),
    { warm: true },
  );
  const vpas = new SimVpas(cluster);
  vpas.addVpa({ namespace: 'shop', name: 'web', spec });
  return { clock, cluster, vpas };
}

describe('SimVpas', () => {
  it('should list the VPAs as stored, as copies a caller cannot change the store through', async () => {
    const { vpas } = setup();
    const [vpa] = await vpas.listVerticalPodAutoscalers();
    expect(vpa).toMatchObject({ namespace: 'shop', name: 'web', generation: 1, spec, annotations: {} });
    expect(vpa?.status).toBeUndefined();
    if (!vpa) throw new Error('no VPA listed');
    (vpa.spec as { targetRef: { name: string } }).targetRef.name = 'changed';
    expect((await vpas.listVerticalPodAutoscalers())[0]?.spec).toEqual(spec);
    expect(() => vpas.addVpa({ namespace: 'shop', name: 'web', spec })).toThrow(/exists/);
  });

  it('should store a status write, readable by the next list and in the log, and refuse a VPA that is gone', async () => {
    const { clock, vpas } = setup();
    const status = {
      recommendation: {
        containerRecommendations: [
          {
            containerName: 'app',
            target: { memory: '600000000' },
            lowerBound: { memory: '500000000' },
            upperBound: { memory: '900000000' },
            uncappedTarget: { memory: '600000000' },
          },
        ],
      },
      conditions: [{ type: 'RecommendationProvided', status: 'True' as const, lastTransitionTime: START }],
    };
    const before = (await vpas.listVerticalPodAutoscalers())[0]?.resourceVersion;
    clock.advance(60_000);
    await vpas.updateVpaStatus('shop', 'web', status);
    const [vpa] = await vpas.listVerticalPodAutoscalers();
    expect(vpa?.status).toEqual(status);
    expect(vpa?.resourceVersion).not.toBe(before);
    expect(vpas.statusWrites()).toEqual([{ time: START + 60_000, vpa: 'shop/web', status }]);
    await expect(vpas.updateVpaStatus('shop', 'gone', status)).rejects.toThrow(NotFoundError);
    expect(vpas.stats().calls).toMatchObject({ listVerticalPodAutoscalers: 2, updateVpaStatus: 2 });
  });

  it("should read a workload's pod template, and nothing for a missing one or another kind of that name", async () => {
    const { cluster, vpas } = setup();
    const template = await vpas.getWorkloadTemplate(webTarget);
    expect(template).toEqual({
      target: webTarget,
      resourceVersion: cluster.workloadRecord('shop/web')?.resourceVersion,
      selector: 'app=web',
      containers: [
        { name: 'app', requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '512Mi' } },
        { name: 'sidecar', requests: { cpu: '10m', memory: '32Mi' }, limits: {} },
      ],
    });
    expect(await vpas.getWorkloadTemplate({ ...webTarget, name: 'gone' })).toBeUndefined();
    expect(await vpas.getWorkloadTemplate({ ...webTarget, kind: 'StatefulSet' })).toBeUndefined();
  });

  it('should refuse kinds outside apps/v1 before any request, as the adapter does', async () => {
    const { vpas } = setup();
    const custom: ScaleTargetKey = {
      namespace: 'shop',
      apiVersion: 'example.com/v1',
      kind: 'Deployment',
      name: 'web',
    };
    await expect(vpas.getWorkloadTemplate(custom)).rejects.toThrow(MalformedObjectError);
    await expect(vpas.patchWorkloadResources({ ...webTarget, kind: 'CronJob' }, '1', [])).rejects.toThrow(
      MalformedObjectError,
    );
    expect(vpas.stats().totalCalls).toBe(0);
  });

  it('should patch the template so that the pods roll onto it, and record the patch', async () => {
    const { clock, cluster, vpas } = setup();
    const template = await vpas.getWorkloadTemplate(webTarget);
    clock.advance(1_000);
    await vpas.patchWorkloadResources(webTarget, template?.resourceVersion ?? '', [
      { name: 'app', requests: { memory: '1Gi' }, limits: { memory: '1Gi' } },
    ]);
    expect(vpas.templatePatches()).toEqual([
      {
        time: START + 1_000,
        workload: 'shop/web',
        kind: 'Deployment',
        containers: [{ name: 'app', requests: { memory: '1Gi' }, limits: { memory: '1Gi' } }],
        revision: 2,
      },
    ]);
    // Resources not named keep their values; the sidecar is untouched.
    expect((await vpas.getWorkloadTemplate(webTarget))?.containers).toEqual([
      { name: 'app', requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
      { name: 'sidecar', requests: { cpu: '10m', memory: '32Mi' }, limits: {} },
    ]);
    runClusterUntil(clock, cluster, START + 5 * 60_000);
    const pods = await cluster.listPods();
    expect(pods).toHaveLength(2);
    expect(pods.every((pod) => isReady(pod) && pod.containers[0]?.requests.memory === '1Gi')).toBe(true);
  });

  it('should refuse a stale resourceVersion, an unknown container and a missing workload, changing nothing', async () => {
    const { cluster, vpas } = setup();
    const template = await vpas.getWorkloadTemplate(webTarget);
    const version = template?.resourceVersion ?? '';
    await expect(
      vpas.patchWorkloadResources(webTarget, 'stale', [
        { name: 'app', requests: { memory: '1Gi' }, limits: {} },
      ]),
    ).rejects.toThrow(ConflictError);
    await expect(
      vpas.patchWorkloadResources(webTarget, version, [
        { name: 'nope', requests: { memory: '1Gi' }, limits: {} },
      ]),
    ).rejects.toThrow(/no container named nope/);
    await expect(
      vpas.patchWorkloadResources({ ...webTarget, name: 'gone' }, version, [
        { name: 'app', requests: {}, limits: {} },
      ]),
    ).rejects.toThrow(NotFoundError);
    expect(cluster.workloadRecord('shop/web')?.templateRevision).toBe(1);
    expect(vpas.templatePatches()).toEqual([]);
    // No containers: no request at all, like the adapter.
    await vpas.patchWorkloadResources(webTarget, version, []);
    expect(vpas.stats().calls.patchWorkloadResources).toBe(3);
  });

  it('should fail the next calls it is told to, after counting them', async () => {
    const { vpas } = setup();
    vpas.failNext('listVerticalPodAutoscalers', 1, new Error('apiserver down'));
    await expect(vpas.listVerticalPodAutoscalers()).rejects.toThrow('apiserver down');
    expect(await vpas.listVerticalPodAutoscalers()).toHaveLength(1);
    expect(vpas.stats().calls.listVerticalPodAutoscalers).toBe(2);
  });

  it('should list the templates of one kind, as one request', async () => {
    const { vpas } = setup();
    vpas.resetStats();
    const templates = await vpas.listWorkloadTemplates('Deployment');
    expect(templates.map((t) => `${t.target.kind}/${t.target.namespace}/${t.target.name}`)).toEqual([
      'Deployment/shop/web',
    ]);
    expect(templates[0]).toEqual(await vpas.getWorkloadTemplate(webTarget));
    expect(await vpas.listWorkloadTemplates('StatefulSet')).toEqual([]);
    expect(vpas.stats().calls.listWorkloadTemplates).toBe(2);
  });

  it('should resize a pod in place and record it; a gone pod says so', async () => {
    const { clock, cluster, vpas } = setup();
    const [pod] = await cluster.listPods();
    clock.advance(1_000);
    const change = [{ name: 'app', requests: { memory: '768Mi' }, limits: { memory: '768Mi' } }];
    expect(await vpas.resizePodResources('shop', pod?.name ?? '', change)).toBe('resized');
    expect(vpas.podResizes()).toEqual([
      { time: START + 1_000, pod: `shop/${pod?.name}`, containers: change },
    ]);
    const resized = (await cluster.listPods()).find((p) => p.name === pod?.name);
    expect(resized?.containers[0]?.requests).toEqual({ cpu: '500m', memory: '768Mi' });
    expect(await vpas.resizePodResources('shop', 'gone', change)).toBe('gone');
    expect(vpas.podResizes()).toHaveLength(1);
  });
});
