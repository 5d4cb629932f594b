/**
 * The drain state machine (shared/nodepools/drain.ts): every transition, and a small world that answers
 * the loop's actions the way the API server and Auto Scaling do, to crash the loop at every step.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRAIN_SETTINGS,
  DRAIN_TAINT,
  type DrainAction,
  type DrainObservation,
  type DrainRecord,
  type DrainStart,
  drainObservation,
  drainRecordKey,
  encodeDrainRecord,
  hasDrainTaint,
  MIRROR_POD_ANNOTATION,
  mustMove,
  nextDrainStep,
  parseDrainRecord,
  recordEvictionResults,
  startDrain,
} from '../../../shared/nodepools/drain';
import { CorruptStateError } from '../../../shared/nodepools/failures';
import type { EvictionResult, Pod } from '../../../shared/ports/kubernetes';
import { makeNode, makePod, makePool } from './fixtures';

const T0 = Date.UTC(2025, 5, 3, 2, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const S = DEFAULT_DRAIN_SETTINGS;

const START: DrainStart = {
  node: 'a1',
  nodeUid: 'uid-a1',
  pool: 'default',
  asgName: 'default-a',
  instanceId: 'i-a1',
  reason: 'scale-down',
};

function web(name: string, extra: Partial<Pod> = {}): Pod {
  return { ...makePod(name, { owner: 'rs-web', cpu: '100m', nodeName: 'a1' }), ...extra };
}

function daemon(name: string): Pod {
  return {
    ...makePod(name, { namespace: 'kube-system', cpu: '50m', nodeName: 'a1' }),
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid: `ds-${name}`, controller: true },
    ],
  };
}

function mirror(name: string): Pod {
  const pod = makePod(name, { namespace: 'kube-system', cpu: '50m', nodeName: 'a1' });
  return { ...pod, annotations: { [MIRROR_POD_ANNOTATION]: 'hash' } };
}

function observe(
  pods: Pod[],
  options: { tainted?: boolean; node?: 'gone' | string; instance?: DrainObservation['instance'] } = {},
): DrainObservation {
  return {
    ...(options.node === 'gone'
      ? {}
      : { node: { uid: options.node ?? 'uid-a1', tainted: options.tainted ?? true } }),
    pods,
    instance: options.instance ?? 'in-service',
  };
}

function evicting(now = T0): DrainRecord {
  return { ...startDrain(START, T0), state: 'evicting', stateSince: now };
}

function evicted(drain: DrainRecord, pods: readonly Pod[], result: EvictionResult, now: number): DrainRecord {
  return recordEvictionResults(
    drain,
    pods.map((pod) => ({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, result })),
    now,
  );
}

describe('pods a drain moves', () => {
  it('should move everything running but daemon, static and finished pods', () => {
    expect(mustMove(web('web-0'))).toBe(true);
    expect(mustMove(daemon('fluent-bit'))).toBe(false);
    expect(mustMove(mirror('kube-proxy'))).toBe(false);
    expect(mustMove(web('job-0', { phase: 'Succeeded' }))).toBe(false);
  });
});

describe('given a new drain', () => {
  it('should taint the node first, and again on a re-run until the node shows the taint', () => {
    const drain = startDrain(START, T0);
    expect(drain).toMatchObject({ state: 'tainted', startedAt: T0, stateSince: T0, pods: {} });
    const first = nextDrainStep(drain, observe([web('web-0')], { tainted: false }), T0, S);
    expect(first.action).toEqual({ kind: 'taint' });
    expect(first.drain).toEqual(drain);
    const again = nextDrainStep(
      first.drain,
      observe([web('web-0')], { tainted: false }),
      T0 + 15 * SECOND,
      S,
    );
    expect(again.action).toEqual({ kind: 'taint' });
  });

  it('once tainted, should evict every pod that must move at once, and none of the daemons or static pods', () => {
    const pods = [web('web-1'), web('web-0'), daemon('fluent-bit'), mirror('kube-proxy')];
    const step = nextDrainStep(startDrain(START, T0), observe(pods), T0, S);
    expect(step.action).toEqual({
      kind: 'evict',
      pods: [
        { namespace: 'shop', name: 'web-0', uid: 'uid-web-0' },
        { namespace: 'shop', name: 'web-1', uid: 'uid-web-1' },
      ],
    });
    expect(step.drain.state).toBe('evicting');
    expect(step.drain.pods['shop/web-0']).toEqual({ uid: 'uid-web-0', requestedAt: T0 });
  });

  it('should go straight to terminating an empty node', () => {
    const step = nextDrainStep(startDrain(START, T0), observe([daemon('fluent-bit')]), T0, S);
    expect(step.action).toEqual({ kind: 'terminate', instanceId: 'i-a1' });
    expect(step.drain).toMatchObject({ state: 'terminating', terminateRequestedAt: T0 });
  });

  it('should cap a long grace period in the eviction request', () => {
    const slow = web('web-0', { terminationGracePeriodSeconds: 3600 });
    const step = nextDrainStep(evicting(), observe([slow]), T0, S);
    expect(step.action).toEqual({
      kind: 'evict',
      pods: [{ namespace: 'shop', name: 'web-0', uid: 'uid-web-0', gracePeriodSeconds: 600 }],
    });
  });
});

describe('given evictions', () => {
  it('should record an admitted eviction, a 429 and a pod already gone', () => {
    const pods = [web('web-0'), web('web-1'), web('web-2')];
    const requested = nextDrainStep(evicting(), observe(pods), T0, S).drain;
    const after = recordEvictionResults(
      requested,
      [
        { pod: 'shop/web-0', uid: 'uid-web-0', result: 'evicted' },
        { pod: 'shop/web-1', uid: 'uid-web-1', result: 'blocked' },
        { pod: 'shop/web-2', uid: 'uid-web-2', result: 'gone' },
      ],
      T0 + SECOND,
    );
    expect(after.pods).toEqual({
      'shop/web-0': { uid: 'uid-web-0', requestedAt: T0, result: 'evicted', evictedAt: T0 + SECOND },
      'shop/web-1': { uid: 'uid-web-1', requestedAt: T0, result: 'blocked', blockedSince: T0 + SECOND },
      'shop/web-2': { uid: 'uid-web-2', requestedAt: T0, result: 'gone' },
    });
  });

  it('given a 429, should wait the retry interval and then evict again, keeping when the refusals began', () => {
    const pod = web('web-0');
    let drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'blocked', T0);
    const waiting = nextDrainStep(drain, observe([pod]), T0 + 10 * SECOND, S);
    expect(waiting.action).toEqual({
      kind: 'wait',
      until: T0 + 15 * SECOND,
      reason: 'evictions refused by a PodDisruptionBudget: shop/web-0',
    });
    const retry = nextDrainStep(waiting.drain, observe([pod]), T0 + 15 * SECOND, S);
    expect(retry.action).toMatchObject({ kind: 'evict', pods: [{ name: 'web-0' }] });
    drain = evicted(retry.drain, [pod], 'blocked', T0 + 15 * SECOND);
    expect(drain.pods['shop/web-0']).toMatchObject({ requestedAt: T0 + 15 * SECOND, blockedSince: T0 });
    drain = evicted(drain, [pod], 'evicted', T0 + 30 * SECOND);
    expect(drain.pods['shop/web-0']?.blockedSince).toBeUndefined();
  });

  it('should wait for evicted pods to terminate, as long as their grace period', () => {
    const pod = web('web-0');
    const drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    const terminating = { ...pod, deletionTimestamp: T0 };
    const step = nextDrainStep(drain, observe([terminating]), T0 + 10 * SECOND, S);
    expect(step.action).toEqual({
      kind: 'wait',
      until: T0 + 30 * SECOND,
      reason: 'pods terminating: shop/web-0',
    });
    // Past its grace period the pod is killed anyway; the instance may go.
    expect(nextDrainStep(drain, observe([terminating]), T0 + 30 * SECOND, S).action).toEqual({
      kind: 'terminate',
      instanceId: 'i-a1',
    });
  });

  it('should bound the wait by the maximum grace period', () => {
    const pod = web('web-0', { terminationGracePeriodSeconds: 7200 });
    const drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    const step = nextDrainStep(drain, observe([{ ...pod, deletionTimestamp: T0 }]), T0 + MINUTE, S);
    expect(step.action).toMatchObject({ kind: 'wait', until: T0 + 10 * MINUTE });
  });

  it('should wait for an admitted eviction whose pod has not started terminating, then ask again', () => {
    const pod = web('web-0');
    const drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    expect(nextDrainStep(drain, observe([pod]), T0 + 5 * SECOND, S).action).toEqual({
      kind: 'wait',
      until: T0 + 15 * SECOND,
      reason: 'waiting for evicted pods to start terminating: shop/web-0',
    });
    expect(nextDrainStep(drain, observe([pod]), T0 + 15 * SECOND, S).action.kind).toBe('evict');
  });

  it('should terminate once the pods are gone, and forget them', () => {
    const pod = web('web-0');
    const drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    const step = nextDrainStep(drain, observe([daemon('fluent-bit')]), T0 + 20 * SECOND, S);
    expect(step.action).toEqual({ kind: 'terminate', instanceId: 'i-a1' });
    expect(step.drain).toMatchObject({
      state: 'terminating',
      pods: {},
      terminateRequestedAt: T0 + 20 * SECOND,
    });
  });

  it('should evict a pod recreated under the same name as a new pod', () => {
    const old = web('db-0');
    const drain = evicted(nextDrainStep(evicting(), observe([old]), T0, S).drain, [old], 'evicted', T0);
    const recreated = { ...old, uid: 'uid-db-0-new' };
    const step = nextDrainStep(drain, observe([recreated]), T0 + SECOND, S);
    expect(step.action).toEqual({
      kind: 'evict',
      pods: [{ namespace: 'shop', name: 'db-0', uid: 'uid-db-0-new' }],
    });
    expect(step.drain.pods['shop/db-0']).toEqual({ uid: 'uid-db-0-new', requestedAt: T0 + SECOND });
  });

  it('should never terminate while a pod that must move is not terminating', () => {
    const pods = [web('web-0'), web('web-1')];
    let drain = nextDrainStep(evicting(), observe(pods), T0, S).drain;
    drain = evicted(drain, pods, 'evicted', T0);
    for (let t = 0; t <= 20 * MINUTE; t += 5 * SECOND) {
      for (const variant of [
        pods,
        [{ ...(pods[0] as Pod), deletionTimestamp: T0 }, pods[1] as Pod],
        [pods[1] as Pod],
      ]) {
        const action = nextDrainStep(drain, observe(variant), T0 + t, S).action;
        expect(action.kind).not.toBe('terminate');
      }
    }
  });
});

describe('given a drain that cannot finish', () => {
  it('should give up after the drain timeout, untaint the node and say why', () => {
    const pod = web('web-0');
    let drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    drain = { ...drain, pods: { 'shop/web-0': { uid: 'uid-web-0', requestedAt: T0 + 9 * MINUTE } } };
    const step = nextDrainStep(drain, observe([pod]), T0 + 10 * MINUTE, S);
    expect(step.action).toEqual({
      kind: 'untaint',
      reason: 'drain did not finish within 600 s; still to evict: shop/web-0',
    });
    expect(step.drain.state).toBe('aborted');
    // A re-run untaints again until the node shows no taint, then the drain is done.
    expect(nextDrainStep(step.drain, observe([pod]), T0 + 10 * MINUTE + SECOND, S).action.kind).toBe(
      'untaint',
    );
    const done = nextDrainStep(step.drain, observe([pod], { tainted: false }), T0 + 10 * MINUTE + SECOND, S);
    expect(done.action).toEqual({ kind: 'done' });
    expect(done.drain).toMatchObject({
      state: 'done',
      abortReason: 'drain did not finish within 600 s; still to evict: shop/web-0',
    });
  });

  it('should give up on a pod whose evictions were refused for too long', () => {
    const pod = web('web-0');
    const drain = evicted(nextDrainStep(evicting(), observe([pod]), T0, S).drain, [pod], 'blocked', T0);
    expect(nextDrainStep(drain, observe([pod]), T0 + 5 * MINUTE, S).action).toEqual({
      kind: 'untaint',
      reason: 'eviction of shop/web-0 refused by a PodDisruptionBudget for 300 s',
    });
  });

  it('should not untaint a node that is gone or replaced', () => {
    const aborted: DrainRecord = { ...evicting(), state: 'aborted', abortReason: 'stuck' };
    expect(nextDrainStep(aborted, observe([], { node: 'gone' }), T0, S).action).toEqual({ kind: 'done' });
    expect(nextDrainStep(aborted, observe([], { node: 'uid-other' }), T0, S).action).toEqual({
      kind: 'done',
    });
  });
});

describe('given the node or the instance changing under the drain', () => {
  it('should keep evicting when the Node object is gone but the instance is not', () => {
    const step = nextDrainStep(startDrain(START, T0), observe([web('web-0')], { node: 'gone' }), T0, S);
    expect(step.action.kind).toBe('evict');
  });

  it('should stop, without touching it, when another node of the same name appeared', () => {
    const step = nextDrainStep(
      evicting(),
      observe([web('web-0')], { node: 'uid-new', tainted: false }),
      T0,
      S,
    );
    expect(step.action).toEqual({ kind: 'done' });
    expect(step.drain).toMatchObject({
      state: 'done',
      abortReason: 'node a1 was replaced by another node of the same name',
    });
  });

  it('should delete the Node object when the instance went without us', () => {
    for (const instance of ['terminating', 'gone'] as const) {
      const step = nextDrainStep(evicting(), observe([web('web-0')], { instance }), T0, S);
      expect(step.action).toEqual({ kind: 'delete-node' });
      expect(step.drain.state).toBe('deleting');
    }
  });

  it('should re-taint a node that lost its taint mid-drain', () => {
    expect(nextDrainStep(evicting(), observe([web('web-0')], { tainted: false }), T0, S).action).toEqual({
      kind: 'taint',
    });
  });
});

describe('given termination and node deletion', () => {
  const terminating: DrainRecord = {
    ...evicting(),
    state: 'terminating',
    stateSince: T0,
    terminateRequestedAt: T0,
  };

  it('should wait while the instance is still in service, and ask once more after the retry time', () => {
    expect(nextDrainStep(terminating, observe([]), T0 + 30 * SECOND, S).action).toEqual({
      kind: 'wait',
      until: T0 + MINUTE,
      reason: 'instance i-a1 still in service',
    });
    const again = nextDrainStep(terminating, observe([]), T0 + MINUTE, S);
    expect(again.action).toEqual({ kind: 'terminate', instanceId: 'i-a1' });
    expect(again.drain.terminateRequestedAt).toBe(T0 + MINUTE);
  });

  it('should delete the Node object once the instance is terminating or gone, without terminating again', () => {
    for (const instance of ['terminating', 'gone'] as const) {
      const step = nextDrainStep(terminating, observe([], { instance }), T0 + 5 * MINUTE, S);
      expect(step.action).toEqual({ kind: 'delete-node' });
      expect(step.drain.state).toBe('deleting');
    }
  });

  it('should be done once the Node object is gone, and never delete a node that replaced it', () => {
    const deleting: DrainRecord = { ...terminating, state: 'deleting' };
    expect(nextDrainStep(deleting, observe([], { instance: 'gone' }), T0, S).action).toEqual({
      kind: 'delete-node',
    });
    for (const node of ['gone', 'uid-new'] as const) {
      const step = nextDrainStep(deleting, observe([], { node, instance: 'gone' }), T0, S);
      expect(step.action).toEqual({ kind: 'done' });
      expect(step.drain.state).toBe('done');
    }
    const done = nextDrainStep({ ...deleting, state: 'done' }, observe([]), T0, S);
    expect(done.action).toEqual({ kind: 'done' });
  });
});

describe('given a spot interruption deadline', () => {
  const deadline = T0 + 2 * MINUTE;
  const spot = (): DrainRecord => startDrain({ ...START, reason: 'spot interruption warning', deadline }, T0);

  it('should evict every pod at once with grace periods that end before the deadline', () => {
    const pods = [web('web-0'), web('web-1', { terminationGracePeriodSeconds: 300 })];
    const step = nextDrainStep(spot(), observe(pods), T0 + 30 * SECOND, S);
    expect(step.action).toEqual({
      kind: 'evict',
      pods: [
        { namespace: 'shop', name: 'web-0', uid: 'uid-web-0' },
        { namespace: 'shop', name: 'web-1', uid: 'uid-web-1', gracePeriodSeconds: 90 },
      ],
    });
  });

  it('should never wait past the deadline, nor give up before it', () => {
    const pod = web('web-0');
    const near = T0 + 110 * SECOND;
    const drain = evicted(
      nextDrainStep(spot(), observe([pod]), near, S).drain,
      [pod],
      'blocked',
      T0 - 10 * MINUTE,
    );
    const step = nextDrainStep(drain, observe([pod]), near + SECOND, S);
    expect(step.action).toMatchObject({ kind: 'wait', until: deadline });
    // Refused for ten minutes, yet no untaint: the instance goes anyway.
    expect(nextDrainStep(drain, observe([pod]), deadline, S).action.kind).toBe('evict');
  });

  it('should cut the wait for terminating pods at the deadline', () => {
    const pod = web('web-0', { terminationGracePeriodSeconds: 600 });
    const drain = evicted(nextDrainStep(spot(), observe([pod]), T0, S).drain, [pod], 'evicted', T0);
    const step = nextDrainStep(drain, observe([{ ...pod, deletionTimestamp: T0 }]), T0 + 30 * SECOND, S);
    expect(step.action).toMatchObject({ kind: 'wait', until: deadline });
  });

  it('should delete the Node object once the instance is reclaimed', () => {
    const step = nextDrainStep(spot(), observe([web('web-0')], { instance: 'gone' }), deadline + SECOND, S);
    expect(step.action).toEqual({ kind: 'delete-node' });
  });

  it('should give up only if the instance is still there a drain timeout after the deadline', () => {
    const pod = web('web-0');
    const drain = evicted(nextDrainStep(spot(), observe([pod]), T0, S).drain, [pod], 'blocked', T0);
    expect(nextDrainStep(drain, observe([pod]), deadline + 10 * MINUTE, S).action.kind).toBe('untaint');
  });
});

/**
 * A node, its pods and its instance answering the loop's actions the way the API server and Auto Scaling
 * do: evictions are refused while a pod's budget says so, admitted pods terminate after their grace
 * period, a terminated instance is gone a little later.
 */
class World {
  node: { uid: string; tainted: boolean } | undefined = { uid: 'uid-a1', tainted: false };
  pods: (Pod & { goneAt?: number })[];
  instance: DrainObservation['instance'] = 'in-service';
  terminatedAt?: number;
  terminations = 0;
  terminateRefusals = 0;
  evictionsOfGonePods = 0;
  violations: string[] = [];

  constructor(
    pods: Pod[],
    private readonly refusedUntil: Record<string, number>,
  ) {
    this.pods = pods.map((pod) => ({ ...pod }));
  }

  advance(now: number): void {
    this.pods = this.pods.filter((pod) => pod.goneAt === undefined || pod.goneAt > now);
    if (this.terminatedAt !== undefined && now - this.terminatedAt >= 30 * SECOND) this.instance = 'gone';
  }

  observe(): DrainObservation {
    return { ...(this.node ? { node: { ...this.node } } : {}), pods: this.pods, instance: this.instance };
  }

  act(action: DrainAction, now: number): { pod: string; uid: string; result: EvictionResult }[] {
    switch (action.kind) {
      case 'taint':
        if (this.node) this.node.tainted = true;
        return [];
      case 'untaint':
        if (this.node) this.node.tainted = false;
        return [];
      case 'evict':
        return action.pods.map((request) => {
          const key = `${request.namespace}/${request.name}`;
          const pod = this.pods.find((p) => p.name === request.name && p.uid === request.uid);
          if (!pod) {
            this.evictionsOfGonePods++;
            return { pod: key, uid: request.uid, result: 'gone' as const };
          }
          if ((this.refusedUntil[request.name] ?? 0) > now)
            return { pod: key, uid: request.uid, result: 'blocked' };
          if (pod.deletionTimestamp === undefined) {
            pod.goneAt =
              now + (request.gracePeriodSeconds ?? pod.terminationGracePeriodSeconds ?? 30) * SECOND;
            // As the API server does: the deletion timestamp is when the grace period ends.
            pod.deletionTimestamp = pod.goneAt;
          }
          return { pod: key, uid: request.uid, result: 'evicted' as const };
        });
      case 'terminate': {
        const stranded = this.pods.filter((pod) => mustMove(pod) && pod.deletionTimestamp === undefined);
        if (stranded.length > 0)
          this.violations.push(`terminated with ${stranded.map((p) => p.name).join(', ')}`);
        if (this.instance !== 'in-service') {
          // Auto Scaling refuses to terminate an instance that is not in service.
          this.terminateRefusals++;
          return [];
        }
        this.terminations++;
        this.instance = 'terminating';
        this.terminatedAt = now;
        return [];
      }
      case 'delete-node':
        this.node = undefined;
        return [];
      case 'wait':
      case 'done':
        return [];
    }
  }
}

type CrashPoint =
  /** The record of the step was persisted, the action never happened. */
  | 'after-persist'
  /** The action happened, its record (and eviction results) were never persisted. */
  | 'after-act';

/**
 * Runs the loop every 5 s until the drain is done, stepping on within a tick until it has to wait;
 * the `crashAt`-th step crashes at `point`, and the next tick starts from what was persisted.
 */
function run(
  world: World,
  crashAt: number | undefined,
  point: CrashPoint,
): { drain: DrainRecord; steps: number } {
  let stored = startDrain(START, T0);
  let steps = 0;
  for (let now = T0; now < T0 + 30 * MINUTE; now += 5 * SECOND) {
    world.advance(now);
    let crashed = false;
    for (let inTick = 0; inTick < 10 && !crashed; inTick++) {
      const step = nextDrainStep(stored, world.observe(), now, S);
      const crashHere = steps === crashAt;
      steps++;
      if (step.action.kind === 'done') {
        stored = step.drain;
        break;
      }
      if (crashHere && point === 'after-persist') {
        stored = step.drain;
        crashed = true;
        break;
      }
      const results = world.act(step.action, now);
      if (crashHere && point === 'after-act') {
        crashed = true;
        break;
      }
      stored = results.length > 0 ? recordEvictionResults(step.drain, results, now) : step.drain;
      if (step.action.kind === 'wait' || step.action.kind === 'evict') break;
    }
    if (stored.state === 'done') return { drain: stored, steps };
  }
  throw new Error(`drain did not finish: ${JSON.stringify(stored)}`);
}

describe('given the loop dying at any step', () => {
  const pods = () => [
    web('web-0'),
    web('web-1', { terminationGracePeriodSeconds: 45 }),
    daemon('fluent-bit'),
    mirror('kube-proxy'),
  ];
  // web-1's budget refuses it for the first 40 s: one 429 and a retry on the way.
  const refusals = { 'web-1': T0 + 40 * SECOND };
  const baseline = run(new World(pods(), refusals), undefined, 'after-persist');

  it('should drain, terminate once and delete the node without a crash', () => {
    expect(baseline.drain.state).toBe('done');
    expect(baseline.drain.abortReason).toBeUndefined();
  });

  for (const point of ['after-persist', 'after-act'] as const) {
    it(`should finish the same way when it dies ${point.replace('-', ' ')} at every step`, () => {
      for (let crashAt = 0; crashAt < baseline.steps; crashAt++) {
        const world = new World(pods(), refusals);
        const { drain } = run(world, crashAt, point);
        const where = `crash ${point} at step ${crashAt}`;
        expect(drain.state, where).toBe('done');
        expect(drain.abortReason, where).toBeUndefined();
        expect(world.terminations, where).toBe(1);
        expect(world.terminateRefusals, where).toBe(0);
        expect(world.violations, where).toEqual([]);
        expect(world.node, where).toBeUndefined();
        expect(world.pods.filter(mustMove), where).toEqual([]);
      }
    });
  }
});

describe('drainObservation', () => {
  it('should read the node, its taint and its pods from the snapshot', () => {
    const tpl = makePool('default').groups[0]?.template as never;
    const node = { ...makeNode('a1', tpl), taints: [DRAIN_TAINT] };
    const pods = [web('web-0'), makePod('elsewhere', { nodeName: 'a2' })];
    expect(hasDrainTaint(node)).toBe(true);
    expect(drainObservation(START, [node, makeNode('a2', tpl)], pods, 'in-service')).toEqual({
      node: { uid: 'uid-a1', tainted: true },
      pods: [pods[0]],
      instance: 'in-service',
    });
    expect(drainObservation(START, [], pods, 'gone')).toEqual({ pods: [pods[0]], instance: 'gone' });
  });
});

describe('state codec', () => {
  const full: DrainRecord = {
    ...startDrain({ ...START, deadline: T0 + 2 * MINUTE }, T0),
    state: 'aborted',
    pods: {
      'shop/web-0': { uid: 'u0', requestedAt: T0, result: 'blocked', blockedSince: T0 },
      'shop/web-1': { uid: 'u1', requestedAt: T0, result: 'evicted', evictedAt: T0 + SECOND },
    },
    terminateRequestedAt: T0,
    abortReason: 'stuck',
  };

  it('should key drains by node under pool#', () => {
    expect(drainRecordKey('ip-10-0-1-5.eu-central-1.compute.internal')).toBe(
      'pool#drain#ip-10-0-1-5.eu-central-1.compute.internal',
    );
  });

  it('should round-trip a full record through JSON, leaving no undefined fields', () => {
    const stored = JSON.parse(JSON.stringify(encodeDrainRecord(full)));
    expect(parseDrainRecord(stored)).toEqual(full);
    const minimal = encodeDrainRecord(startDrain(START, T0));
    expect(Object.values(minimal).includes(undefined)).toBe(false);
    expect(parseDrainRecord(JSON.parse(JSON.stringify(minimal)))).toEqual(startDrain(START, T0));
  });

  it('should drop unknown fields and refuse a corrupt record saying what is wrong', () => {
    expect(parseDrainRecord({ ...encodeDrainRecord(full), future: 1 })).toEqual(full);
    expect(() => parseDrainRecord({ ...encodeDrainRecord(full), state: 'sleeping' })).toThrow(
      CorruptStateError,
    );
    expect(() => parseDrainRecord({ ...encodeDrainRecord(full), startedAt: 'soon' })).toThrow(
      /not a valid drain record: startedAt/,
    );
  });
});
