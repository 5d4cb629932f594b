import { describe, expect, it } from 'vitest';
import { FirstFitIndex } from '../../../shared/nodepools/first-fit';
import type { NodeRoom } from '../../../shared/nodepools/scheduling';

function node(cpu: number, memory: number, podsLeft = 110): { room: NodeRoom } {
  return { room: { free: Float64Array.of(cpu, memory), podsLeft, hostPorts: new Set() } };
}

describe('given nodes in opening order, FirstFitIndex', () => {
  it('should find the first node whose room covers every request', () => {
    const index = new FirstFitIndex<{ room: NodeRoom }>(2);
    for (const [cpu, memory] of [
      [100, 8],
      [900, 1],
      [600, 6],
      [1000, 10],
    ] as const) {
      index.add(node(cpu, memory));
    }
    expect(index.find(Float64Array.of(500, 4))).toBe(2);
    expect(index.find(Float64Array.of(500, 4), 3)).toBe(3);
    expect(index.find(Float64Array.of(2000, 1))).toBe(-1);
    expect(index.find(Float64Array.of(0, 0))).toBe(0);
  });

  it('should skip nodes without a pod slot', () => {
    const index = new FirstFitIndex<{ room: NodeRoom }>(2);
    index.add(node(1000, 10, 0));
    index.add(node(1000, 10, 1));
    expect(index.find(Float64Array.of(0, 0))).toBe(1);
  });

  it('should see a room change after refresh, and keep working past its initial size', () => {
    const index = new FirstFitIndex<{ room: NodeRoom }>(2);
    const nodes = Array.from({ length: 100 }, () => node(1000, 10));
    for (const n of nodes) index.add(n);
    expect(index.size).toBe(100);
    for (let i = 0; i < 70; i++) {
      (nodes[i] as { room: NodeRoom }).room.free[0] = 0;
      index.refresh(i);
    }
    expect(index.find(Float64Array.of(500, 1))).toBe(70);
    expect(index.item(70)).toBe(nodes[70]);
  });
});
