import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../shared/ports/kubernetes';
import { POD_MOVE_WINDOW_MS, PodMove } from '../../../shared/sim/pod-moves';
import { START } from './fixtures';

const SECOND = 1000;

/** A pod of workload `owner` on `node`, created at `created`, Ready since `readyAt` when given. */
function pod(name: string, owner: string, node: string, created: number, readyAt?: number): Pod {
  return {
    namespace: 'shop',
    name,
    uid: name,
    labels: {},
    annotations: {},
    phase: 'Running',
    nodeName: node,
    creationTimestamp: created,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
      ...(readyAt !== undefined
        ? [{ type: 'Ready', status: 'True' as const, lastTransitionTime: readyAt }]
        : []),
    ],
    containers: [{ name: 'app', requests: { cpu: '100m' }, limits: {} }],
    initContainers: [],
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true },
    ],
  };
}

const EARLIER = START - 3_600_000;

describe('PodMove', () => {
  it('given two pods of one workload on the node, should wait for two new Ready pods of it on other nodes', () => {
    const move = new PodMove('victim', START);
    move.observe(START - SECOND, [pod('web-0', 'web', 'victim', EARLIER)]);
    expect(move.podsToMove).toBeUndefined();
    move.observe(START, [
      pod('web-1', 'web', 'victim', EARLIER, EARLIER),
      pod('web-2', 'web', 'victim', EARLIER, EARLIER),
      // Already elsewhere before the warning: not a replacement.
      pod('web-3', 'web', 'other', EARLIER, EARLIER),
    ]);
    expect(move.podsToMove).toBe(2);
    move.observe(START + 15 * SECOND, [
      pod('web-3', 'web', 'other', EARLIER, EARLIER),
      pod('web-4', 'web', 'other', START + SECOND, START + 11 * SECOND),
      // Back on the node being drained: not moved.
      pod('web-5', 'web', 'victim', START + SECOND, START + 9 * SECOND),
    ]);
    expect(move.settled).toBe(false);
    expect(move.readyElsewhereAt).toBeUndefined();
    move.observe(START + 30 * SECOND, [
      pod('web-4', 'web', 'other', START + SECOND, START + 11 * SECOND),
      pod('web-6', 'web', 'third', START + 2 * SECOND, START + 24 * SECOND),
    ]);
    expect(move.settled).toBe(true);
    expect(move.readyElsewhereAt).toBe(START + 24 * SECOND);
  });

  it('given a node with only daemon pods, should settle with nothing to move', () => {
    const move = new PodMove('victim', START);
    const daemon = {
      ...pod('agent', 'agent', 'victim', EARLIER, EARLIER),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds', controller: true },
      ],
    };
    move.observe(START, [daemon]);
    expect(move).toMatchObject({ podsToMove: 0, settled: true, readyElsewhereAt: undefined });
  });

  it('given a replacement that never becomes Ready, should give up after the window without a time', () => {
    const move = new PodMove('victim', START);
    move.observe(START, [pod('web-1', 'web', 'victim', EARLIER, EARLIER)]);
    move.observe(START + POD_MOVE_WINDOW_MS, [pod('web-2', 'web', 'other', START + SECOND)]);
    expect(move.settled).toBe(false);
    move.observe(START + POD_MOVE_WINDOW_MS + 15 * SECOND, [pod('web-2', 'web', 'other', START + SECOND)]);
    expect(move).toMatchObject({ podsToMove: 1, settled: true, readyElsewhereAt: undefined });
  });
});
