/** PodIndex builds its label index lazily, per required key; the answers must be those of a full index. */
import { describe, expect, it } from 'vitest';
import { PodIndex } from '../../../shared/loops/pod-index';
import type { Pod, PodMetrics } from '../../../shared/ports/kubernetes';

function pod(namespace: string, name: string, labels: Record<string, string>): Pod {
  return {
    namespace,
    name,
    uid: `${namespace}-${name}`,
    labels,
    annotations: {},
    phase: 'Running',
    creationTimestamp: 0,
    conditions: [],
    containers: [],
    initContainers: [],
    ownerReferences: [],
  };
}

const PODS: Pod[] = [
  pod('shop', 'web-1', { app: 'web', tier: 'front' }),
  pod('shop', 'db-0', { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' }),
  pod('shop', 'web-2', { app: 'web', tier: 'front' }),
  pod('other', 'web-1', { app: 'web' }),
  pod('shop', 'job', {}),
  pod('shop', 'web-3', { tier: 'front', app: 'web' }),
];

/** Every label of every pod indexed up front: what the lazy index must answer like. */
function eagerCandidates(pods: readonly Pod[], namespace: string, key: string, value: string): Pod[] {
  return pods.filter(
    (p) => p.namespace === namespace && Object.entries(p.labels).some(([k, v]) => k === key && v === value),
  );
}

describe('PodIndex', () => {
  it('given selectors requiring one label, should return the pods carrying it, in list order', () => {
    const index = new PodIndex(PODS, []);
    for (const [selector, key, value] of [
      ['app=web', 'app', 'web'],
      ['app==db,tier!=x', 'app', 'db'],
      ['tier in (front)', 'tier', 'front'],
      ['app=nothing', 'app', 'nothing'],
    ] as const) {
      expect(index.candidates('shop', selector)).toEqual(eagerCandidates(PODS, 'shop', key, value));
    }
    expect(index.candidates('other', 'app=web').map((p) => p.name)).toEqual(['web-1']);
  });

  it('given a selector requiring no single label, or none, should return the whole namespace', () => {
    const index = new PodIndex(PODS, []);
    const shop = PODS.filter((p) => p.namespace === 'shop');
    expect(index.candidates('shop', 'app')).toEqual(shop);
    expect(index.candidates('shop', 'app in (web,db)')).toEqual(shop);
    expect(index.candidates('shop', undefined)).toEqual(shop);
    expect(index.candidates('shop', '!!!')).toEqual(shop);
    expect(index.namespacePods('nowhere')).toEqual([]);
  });

  it('given a key only an object prototype has, should not take it for a label', () => {
    const index = new PodIndex(PODS, []);
    expect(index.candidates('shop', 'constructor=x')).toEqual([]);
  });

  it('given pod metrics, should return the samples of the pods asked for, in their order', () => {
    const sample = (namespace: string, name: string): PodMetrics => ({
      namespace,
      name,
      timestamp: 0,
      windowSeconds: 15,
      containers: [],
    });
    const metrics = [sample('shop', 'web-2'), sample('shop', 'web-1'), sample('other', 'web-1')];
    const index = new PodIndex(PODS, metrics);
    const web = index.candidates('shop', 'app=web');
    expect(index.metricsOf(web)).toEqual([metrics[1], metrics[0]]);
  });
});
