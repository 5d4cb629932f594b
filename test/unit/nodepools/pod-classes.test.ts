import { describe, expect, it } from 'vitest';
import { groupPendingPods } from '../../../shared/nodepools/pod-classes';
import { makePod, replicas } from './fixtures';

const group = (pendingPods: ReturnType<typeof makePod>[], labelsMatter = false) =>
  groupPendingPods({ pendingPods, claims: [], volumes: [], labelsMatter });

describe('given pending pods, groupPendingPods', () => {
  it('should put the replicas of one controller in one class, ordered by key', () => {
    const { classes } = group(replicas('web', 500, { cpu: '100m' }).reverse());
    expect(classes).toHaveLength(1);
    expect(classes[0]?.pods[0]?.name).toBe('web-0');
  });

  it('should split pods of one controller whose requests or constraints differ', () => {
    const { classes } = group([
      makePod('a', { owner: 'web', cpu: '100m' }),
      makePod('b', { owner: 'web', cpu: '200m' }),
      makePod('c', { owner: 'web', cpu: '100m', scheduling: { nodeSelector: { disk: 'ssd' } } }),
      makePod('d', { owner: 'api', cpu: '100m' }),
    ]);
    expect(classes).toHaveLength(4);
    expect(new Set(classes.map((cls) => cls.constraintId)).size).toBe(2);
  });

  it('should tell pods apart by their labels only when anti-affinity can read them', () => {
    const pods = [
      makePod('a', { owner: 'db', labels: { pod: 'a' } }),
      makePod('b', { owner: 'db', labels: { pod: 'b' } }),
    ];
    expect(group(pods).classes).toHaveLength(1);
    expect(group(pods, true).classes).toHaveLength(2);
  });

  it('should index cpu, memory and whatever the pods request', () => {
    const { index } = group([makePod('a', { cpu: '1', requests: { 'nvidia.com/gpu': '1' } })]);
    expect(index.names).toEqual(['cpu', 'memory', 'nvidia.com/gpu']);
  });
});
