import { describe, expect, it } from 'vitest';
import { kubeReservedCpuMilli } from '../../../shared/nodepools/template-node';
import { ApiCallRecorder, diffStats } from '../../../shared/sim/api-calls';
import { INSTANCE_TYPES, nodeResources } from '../../../shared/sim/instance-types';
import { createRandom, hashString, unitHash } from '../../../shared/sim/random';
import {
  admits,
  chooseNode,
  fits,
  HOSTNAME_LABEL,
  type PodRequirements,
  podRequirements,
  type SchedulableNode,
  type ScheduledPod,
  ZONE_LABEL,
} from '../../../shared/sim/scheduler';
import { formatKibibytes, formatNanocores } from '../../../shared/sim/usage-format';
import { parseMilliNumber, parseQuantityNumber } from '../../../shared/units/quantity';

describe('usage format', () => {
  it('should format usage like metrics-server, and read back exactly', () => {
    expect(formatNanocores(123.5)).toBe('123500000n');
    expect(formatNanocores(-1)).toBe('0n');
    expect(formatKibibytes(1024 * 1024)).toBe('1024Ki');
    expect(formatKibibytes(1535)).toBe('1Ki');
    expect(parseMilliNumber(formatNanocores(30))).toBe(30);
    expect(parseMilliNumber(formatNanocores(123.456789))).toBe(123.456789);
    expect(parseQuantityNumber(formatKibibytes(64 * 2 ** 20))).toBe(64 * 2 ** 20);
  });
});

describe('instance types', () => {
  it('should give allocatable below capacity by the EKS reservations', () => {
    expect(kubeReservedCpuMilli(2)).toBe(70);
    expect(kubeReservedCpuMilli(4)).toBe(80);
    expect(kubeReservedCpuMilli(8)).toBe(90);
    const m5 = nodeResources('m5.large');
    expect(m5.allocatable.cpu).toBe('1930m');
    expect(m5.allocatable.pods).toBe('29');
    expect(parseQuantityNumber(m5.allocatable.memory ?? '')).toBeLessThan(
      parseQuantityNumber(m5.capacity.memory ?? ''),
    );
    for (const type of Object.keys(INSTANCE_TYPES)) {
      expect(parseQuantityNumber(nodeResources(type).allocatable.memory ?? '')).toBeGreaterThan(0);
    }
    expect(() => nodeResources('x9.huge')).toThrow(/unknown instance type/);
  });
});

describe('scheduler', () => {
  const node = (name: string, used = 0, extra: Partial<SchedulableNode> = {}): SchedulableNode => ({
    name,
    ready: true,
    unschedulable: false,
    labels: {},
    taints: [],
    allocatableCpuMillis: 4000,
    allocatableMemoryBytes: 16 * 2 ** 30,
    maxPods: 10,
    usedCpuMillis: used,
    usedMemoryBytes: 0,
    usedPods: 0,
    pods: new Set(),
    antiAffinityPods: new Set(),
    ...extra,
  });
  const pod: PodRequirements = { cpuMillis: 1000, memoryBytes: 2 ** 30, namespace: 'shop', labels: {} };
  const constrained = (
    scheduling: Parameters<typeof podRequirements>[0]['scheduling'],
    extra: Partial<Parameters<typeof podRequirements>[0]> = {},
  ) =>
    podRequirements({
      namespace: 'shop',
      labels: { app: 'db' },
      cpuMillis: 100,
      memoryBytes: 0,
      scheduling,
      ...extra,
    });
  /** A node with one bound pod of `requirements`. */
  const withPod = (name: string, requirements: PodRequirements, labels: Record<string, string> = {}) => {
    const resident: ScheduledPod = { requirements };
    return node(name, 0, {
      labels: { [HOSTNAME_LABEL]: name, ...labels },
      pods: new Set([resident]),
      antiAffinityPods: new Set(requirements.antiAffinity ? [resident] : []),
    });
  };

  it('should filter out nodes that are not Ready, cordoned, full or tainted', () => {
    expect(fits(node('a', 3001), pod)).toBe(false);
    expect(fits(node('a', 3000), pod)).toBe(true);
    expect(fits(node('a', 0, { ready: false }), pod)).toBe(false);
    expect(fits(node('a', 0, { unschedulable: true }), pod)).toBe(false);
    expect(fits(node('a', 0, { usedPods: 10 }), pod)).toBe(false);
    const tainted = node('a', 0, { taints: [{ key: 'gpu', effect: 'NoSchedule' }] });
    expect(fits(tainted, pod)).toBe(false);
    expect(fits(tainted, { ...pod, tolerations: [{ key: 'gpu', operator: 'Exists' }] })).toBe(true);
    expect(fits(node('a', 0, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), pod)).toBe(true);
  });

  it('should let pods that tolerate the unschedulable taint onto a cordoned node, as DaemonSet pods are', () => {
    const cordoned = node('a', 0, { unschedulable: true });
    const daemon = constrained({
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(fits(cordoned, daemon)).toBe(true);
    expect(fits(cordoned, constrained({ tolerations: [{ operator: 'Exists', effect: 'NoExecute' }] }))).toBe(
      false,
    );
  });

  it('should honour required node affinity: terms ORed, requirements ANDed, matchFields on the name', () => {
    const zoneB = node('b-1', 0, { labels: { [ZONE_LABEL]: 'eu-central-1b', cores: '8' } });
    const zoneA = node('a-1', 0, { labels: { [ZONE_LABEL]: 'eu-central-1a', cores: '2' } });
    const inB = constrained({
      requiredNodeAffinity: [
        { matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: ['eu-central-1b'] }] },
      ],
    });
    expect([fits(zoneB, inB), fits(zoneA, inB)]).toEqual([true, false]);
    const bigOrNamed = constrained({
      requiredNodeAffinity: [
        { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a-1'] }] },
      ],
    });
    expect([fits(zoneB, bigOrNamed), fits(zoneA, bigOrNamed), fits(node('c'), bigOrNamed)]).toEqual([
      true,
      true,
      false,
    ]);
    const notSpot = constrained({
      requiredNodeAffinity: [{ matchExpressions: [{ key: 'spot', operator: 'NotIn', values: ['true'] }] }],
    });
    expect(fits(zoneA, notSpot)).toBe(true);
    expect(fits(node('s', 0, { labels: { spot: 'true' } }), notSpot)).toBe(false);
    // An empty term matches nothing, as in Kubernetes.
    expect(fits(zoneA, constrained({ requiredNodeAffinity: [{}] }))).toBe(false);
    expect(() =>
      constrained({
        requiredNodeAffinity: [{ matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['x'] }] }],
      }),
    ).toThrow(/matchFields supports metadata.name/);
  });

  it('should place a pod with a zonal volume only in that zone, and nowhere without a zone label', () => {
    const inB = constrained(undefined, { volumeZones: [['eu-central-1b']] });
    expect(fits(node('b', 0, { labels: { [ZONE_LABEL]: 'eu-central-1b' } }), inB)).toBe(true);
    expect(fits(node('a', 0, { labels: { [ZONE_LABEL]: 'eu-central-1a' } }), inB)).toBe(false);
    expect(
      fits(node('legacy', 0, { labels: { 'failure-domain.beta.kubernetes.io/zone': 'eu-central-1b' } }), inB),
    ).toBe(true);
    expect(fits(node('nowhere'), inB)).toBe(false);
    // A volume without zones does not constrain.
    expect(fits(node('nowhere'), constrained(undefined, { volumeZones: [[]] }))).toBe(true);
  });

  it('should keep pods apart by hostname anti-affinity, in both directions and per namespace', () => {
    const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: HOSTNAME_LABEL };
    const db = constrained({ requiredPodAntiAffinity: [term] });
    const plainDb = constrained(undefined);
    // The incoming pod's term against the pod already there …
    expect(fits(withPod('n', plainDb), db)).toBe(false);
    // … and the term of the pod already there against the incoming pod.
    expect(fits(withPod('n', db), plainDb)).toBe(false);
    expect(fits(withPod('n', db), constrained(undefined, { labels: { app: 'web' } }))).toBe(true);
    expect(
      fits(withPod('n', plainDb), constrained({ requiredPodAntiAffinity: [term] }, { namespace: 'other' })),
    ).toBe(true);
    const acrossNamespaces = constrained(
      { requiredPodAntiAffinity: [{ ...term, namespaces: ['shop', 'other'] }] },
      {
        namespace: 'other',
      },
    );
    expect(fits(withPod('n', plainDb), acrossNamespaces)).toBe(false);
    // A term without a selector selects nothing.
    expect(
      fits(
        withPod('n', plainDb),
        constrained({ requiredPodAntiAffinity: [{ topologyKey: HOSTNAME_LABEL }] }),
      ),
    ).toBe(true);
    expect(() => constrained({ requiredPodAntiAffinity: [{ ...term, topologyKey: ZONE_LABEL }] })).toThrow(
      /anti-affinity on kubernetes.io\/hostname only/,
    );
  });

  it('should admit by labels and taints alone, whatever the room, as the DaemonSet controller checks', () => {
    const full = node('a', 4000, { labels: { os: 'linux' }, taints: [{ key: 'gpu', effect: 'NoExecute' }] });
    expect(
      admits(
        full,
        constrained({ nodeSelector: { os: 'linux' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
      ),
    ).toBe(true);
    expect(admits(full, constrained({ nodeSelector: { os: 'linux' } }))).toBe(false);
    expect(
      admits(full, constrained({ nodeSelector: { os: 'windows' }, tolerations: [{ operator: 'Exists' }] })),
    ).toBe(false);
  });

  it('should prefer the emptier node with LeastAllocated and the fuller with MostAllocated', () => {
    const nodes = [node('busy', 2000), node('idle', 0)];
    expect(chooseNode(nodes, pod, 'LeastAllocated')?.name).toBe('idle');
    expect(chooseNode(nodes, pod, 'MostAllocated')?.name).toBe('busy');
    expect(chooseNode([node('full', 4000)], pod, 'LeastAllocated')).toBeUndefined();
  });
});

describe('randomness and call accounting', () => {
  it('should be deterministic', () => {
    const a = createRandom(5);
    const b = createRandom(5);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(hashString('web')).toBe(hashString('web'));
    expect(unitHash(1, 2)).toBe(unitHash(1, 2));
    expect(unitHash(1, 2)).not.toBe(unitHash(2, 1));
  });

  it('should count calls and requests and diff snapshots', () => {
    const api = new ApiCallRecorder();
    api.call('getScales', { 'list apps/deployments': 1, 'get x/y/scale': 2 });
    const before = api.stats();
    api.call('listPods', 'list pods');
    expect(diffStats(api.stats(), before)).toEqual({
      calls: { listPods: 1 },
      requests: { 'list pods': 1 },
      totalCalls: 1,
      totalRequests: 1,
    });
    expect(api.stats().totalRequests).toBe(4);
  });
});
