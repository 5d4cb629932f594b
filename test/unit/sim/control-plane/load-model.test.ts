import { describe, expect, it } from 'vitest';
import {
  apiLatencySeconds,
  cpuPercent,
  latencySeconds,
  REQUEST_TIMEOUT_SECONDS,
  requestRate,
  seatsInUse,
  serverUtilization,
} from '../../../../shared/sim/control-plane/load-model';

const size = (nodes: number, podsPerNode = 30, extra = 0) => ({
  nodes,
  pods: nodes * podsPerNode,
  extraRequestsPerSecond: extra,
});
const serving = (nodes: number, vcpus: number[], podsPerNode = 30, extra = 0) =>
  serverUtilization(size(nodes, podsPerNode, extra), { serving: vcpus, standing: [] }).serving;

describe('control-plane load model', () => {
  it('should load the API servers more with more nodes, more pods and more requests', () => {
    let previous = 0;
    for (const nodes of [0, 100, 250, 500, 750, 1000, 2000]) {
      const [u = 0] = serving(nodes, [4, 4, 4]);
      expect(u).toBeGreaterThan(previous);
      previous = u;
    }
    expect(serving(500, [4, 4, 4], 40)[0]).toBeGreaterThan(serving(500, [4, 4, 4], 30)[0] ?? 0);
    expect(serving(500, [4, 4, 4], 30, 200)[0]).toBeGreaterThan(serving(500, [4, 4, 4], 30, 0)[0] ?? 0);
    expect(requestRate(size(1000))).toBe(800);
  });

  it('should load bigger instances less, and help more with one size up than with one more small server', () => {
    const [small = 0] = serving(800, [4, 4, 4]);
    const [bigger = 0] = serving(800, [8, 8, 8]);
    const [more = 0] = serving(800, [4, 4, 4, 4]);
    expect(bigger).toBeLessThan(small);
    expect(more).toBeLessThan(small);
    expect(bigger).toBeLessThan(more);
  });

  it('should be calibrated: 3 × m6i.xlarge cross 70 % near 600 nodes, 3 × m6i.2xlarge stay near 58 % at 1,000', () => {
    expect(cpuPercent(serving(550, [4, 4, 4])[0] ?? 0)).toBeLessThan(70);
    expect(cpuPercent(serving(620, [4, 4, 4])[0] ?? 0)).toBeGreaterThan(70);
    expect(cpuPercent(serving(1000, [8, 8, 8])[0] ?? 0)).toBeCloseTo(57, 0);
    expect(cpuPercent(serving(1000, [4, 4, 4])[0] ?? 0)).toBe(100);
  });

  it('should leave servers that take no requests with only their own caches to keep', () => {
    const split = serverUtilization(size(600), { serving: [4, 4], standing: [8] });
    expect(split.standing[0]).toBeLessThan(split.serving[0] ?? 0);
    expect(split.standing[0]).toBeGreaterThan(0);
  });

  it('should give latency that rises with utilization, steeply past 70 %, up to the request timeout', () => {
    let previous = 0;
    for (const u of [0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]) {
      expect(latencySeconds(u)).toBeGreaterThan(previous);
      previous = latencySeconds(u);
    }
    expect(latencySeconds(0.5)).toBeLessThan(0.2);
    expect(latencySeconds(0.7)).toBeLessThan(0.5);
    expect(latencySeconds(0.85)).toBeGreaterThan(1);
    expect(latencySeconds(0.8) - latencySeconds(0.7)).toBeGreaterThan(
      3 * (latencySeconds(0.5) - latencySeconds(0.4)),
    );
    expect(latencySeconds(1.2)).toBe(REQUEST_TIMEOUT_SECONDS);
    expect(apiLatencySeconds([])).toBe(REQUEST_TIMEOUT_SECONDS);
    expect(apiLatencySeconds([0.5, 0.9])).toBeCloseTo((latencySeconds(0.5) + latencySeconds(0.9)) / 2, 9);
  });

  it('should use more EKS seats with more nodes and pods', () => {
    expect(seatsInUse(size(1000))).toBeCloseTo(1300, 0);
    expect(seatsInUse(size(1000, 40))).toBeGreaterThan(seatsInUse(size(1000)));
    expect(seatsInUse(size(500))).toBeLessThan(seatsInUse(size(1000)));
  });
});
