import { describe, expect, it } from 'vitest';
import { ApiCallRecorder, diffStats } from '../../../shared/sim/api-calls';
import { INSTANCE_TYPES, kubeReservedCpuMillis, nodeResources } from '../../../shared/sim/instance-types';
import { createRandom, hashString, unitHash } from '../../../shared/sim/random';
import { chooseNode, fits, type SchedulableNode } from '../../../shared/sim/scheduler';
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
    expect(kubeReservedCpuMillis(2)).toBe(70);
    expect(kubeReservedCpuMillis(4)).toBe(80);
    expect(kubeReservedCpuMillis(8)).toBe(90);
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
    ...extra,
  });
  const pod = { cpuMillis: 1000, memoryBytes: 2 ** 30 };

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
