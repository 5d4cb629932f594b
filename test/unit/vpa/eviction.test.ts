/**
 * Memory-pressure evictions read from the evicted pod's status message (shared/vpa/eviction.ts), in the
 * kubelet's wording.
 */
import { describe, expect, it } from 'vitest';
import { memoryEvictionUsage } from '../../../shared/vpa/eviction';

const MIB = 1024 * 1024;

describe('memoryEvictionUsage', () => {
  it('should read each offending container’s memory usage from a memory eviction', () => {
    const message =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80492Ki. ' +
      'Container app was using 1500Mi, request is 1Gi, has larger consumption of memory. ' +
      'Container sidecar was using 300Mi, request is 64Mi, has larger consumption of memory. ';
    expect(memoryEvictionUsage(message)).toEqual(
      new Map([
        ['app', 1500 * MIB],
        ['sidecar', 300 * MIB],
      ]),
    );
  });

  it('should give an empty map for a memory eviction that names no container', () => {
    expect(memoryEvictionUsage('The node was low on resource: memory. ')).toEqual(new Map());
  });

  it('should ignore evictions for other resources and other messages', () => {
    expect(
      memoryEvictionUsage(
        'The node was low on resource: ephemeral-storage. Container app was using 5Gi, request is 0, has larger consumption of ephemeral-storage. ',
      ),
    ).toBeUndefined();
    expect(memoryEvictionUsage('Pod was rejected: Node didn’t have enough resource: memory')).toBeUndefined();
    expect(memoryEvictionUsage(undefined)).toBeUndefined();
  });
});
