/** Facts from upstream's TestGroupPods and TestCalculateRequests (CPU initialization 2 min, delay 10 s). */
import { describe, expect, it } from 'vitest';
import {
  calculateRequests,
  groupPods,
  MissingRequestError,
  type PodSample,
  readyPodsCount,
  selectPods,
} from '../../../shared/hpa/pods';
import type { Container } from '../../../shared/ports/kubernetes';
import { parseSelector } from '../../../shared/units/label-selector';
import { MINUTE, makePod, NOW, TEST_READINESS } from './fixtures';

const SECOND = 1000;
const sample = (timestamp: number, windowMs = MINUTE): PodSample => ({ value: 1, timestamp, windowMs });

function group(
  pods: ReturnType<typeof makePod>[],
  metrics: Record<string, PodSample>,
  resource: string | undefined,
) {
  return groupPods(pods, new Map(Object.entries(metrics)), resource, TEST_READINESS, NOW);
}

describe('groupPods', () => {
  it('given no pods, should return empty groups', () => {
    expect(group([], {}, 'cpu')).toEqual({
      readyPodCount: 0,
      ready: [],
      unready: [],
      missing: [],
      ignored: [],
    });
  });

  it('given a pod without Ready condition and a memory metric, should count it ready (readiness only matters for CPU)', () => {
    const pod = makePod('bentham', { phase: 'Succeeded', ready: 'none', startTime: null });
    expect(group([pod], { bentham: sample(NOW) }, 'memory').ready).toEqual(['bentham']);
  });

  it('given a CPU pod without Ready condition, should count it unready', () => {
    const pod = makePod('lucretius', { phase: 'Succeeded', ready: 'none', startTime: NOW });
    expect(group([pod], { lucretius: sample(NOW) }, 'cpu').unready).toEqual(['lucretius']);
  });

  it('given a CPU pod without start time, should count it unready', () => {
    const pod = makePod('p', { startTime: null });
    expect(group([pod], { p: sample(NOW) }, 'cpu').unready).toEqual(['p']);
  });

  it('given a ready pod with a metric window that began after it became ready, during initialization, should count it ready', () => {
    const pod = makePod('bentham', { startTime: NOW - MINUTE, readyTransition: NOW - 30 * SECOND });
    expect(group([pod], { bentham: sample(NOW, 30 * SECOND) }, 'cpu').readyPodCount).toBe(1);
  });

  it('given a ready pod whose metric window began before it became ready, during initialization, should count it unready', () => {
    const pod = makePod('bentham', { startTime: NOW - MINUTE, readyTransition: NOW - 30 * SECOND });
    expect(group([pod], { bentham: sample(NOW, 60 * SECOND) }, 'cpu').unready).toEqual(['bentham']);
  });

  it('given a pod that is not ready within the initialization period, should count it unready', () => {
    const pod = makePod('p', { startTime: NOW - MINUTE, ready: 'False', readyTransition: NOW - 50 * SECOND });
    expect(group([pod], { p: sample(NOW) }, 'cpu').unready).toEqual(['p']);
  });

  it('given an unready pod that turned unready within the readiness delay of its start, after initialization, should count it unready', () => {
    const pod = makePod('lucretius', {
      startTime: NOW - 10 * MINUTE,
      ready: 'False',
      readyTransition: NOW - 9 * MINUTE - 54 * SECOND,
    });
    expect(group([pod], { lucretius: sample(NOW) }, 'cpu').unready).toEqual(['lucretius']);
  });

  it('given a ready pod with an old metric after initialization, should count it ready', () => {
    const pod = makePod('bentham', { startTime: NOW - 3 * MINUTE, readyTransition: NOW - 3 * MINUTE });
    expect(group([pod], { bentham: sample(NOW - 2 * MINUTE) }, 'cpu').readyPodCount).toBe(1);
  });

  it('given an unready pod that was ready once (transition long after start), after initialization, should count it ready', () => {
    const pod = makePod('lucretius', {
      startTime: NOW - 10 * MINUTE,
      ready: 'False',
      readyTransition: NOW - 9 * MINUTE,
    });
    expect(group([pod], { lucretius: sample(NOW) }, 'cpu').readyPodCount).toBe(1);
  });

  it('given a Ready condition Unknown after initialization, should count the pod ready (only False makes it unready)', () => {
    const pod = makePod('p', {
      startTime: NOW - 10 * MINUTE,
      ready: 'Unknown',
      readyTransition: NOW - 10 * MINUTE,
    });
    expect(group([pod], { p: sample(NOW) }, 'cpu').readyPodCount).toBe(1);
  });

  it('given pods deleting, failed, pending and without metric, should sort them into ignored, unready and missing', () => {
    const pods = [
      makePod('deleting', { deleting: true }),
      makePod('failed', { phase: 'Failed' }),
      makePod('pending', { phase: 'Pending' }),
      makePod('nometric'),
      makePod('ok'),
    ];
    const metrics = { deleting: sample(NOW), failed: sample(NOW), pending: sample(NOW), ok: sample(NOW) };
    expect(group(pods, metrics, undefined)).toEqual({
      readyPodCount: 1,
      ready: ['ok'],
      unready: ['pending'],
      missing: ['nometric'],
      ignored: ['deleting', 'failed'],
    });
  });
});

describe('calculateRequests', () => {
  it('given app containers and a restartable init container (sidecar), should sum all of their requests', () => {
    const pod = makePod('p', {
      containers: [
        { name: 'app', requests: { cpu: '500m' }, limits: {} },
        { name: 'helper', requests: { cpu: '250m' }, limits: {} },
      ],
      initContainers: [
        { name: 'sidecar', requests: { cpu: '100m' }, limits: {}, restartPolicy: 'Always' },
        { name: 'setup', requests: { cpu: '4' }, limits: {} },
      ],
    });
    expect(calculateRequests([pod], undefined, 'cpu').get('p')).toBe(850);
  });

  it('given a container name, should use only that container (sidecars included)', () => {
    const pod = makePod('p', {
      containers: [{ name: 'app', requests: { cpu: '500m' }, limits: {} }],
      initContainers: [{ name: 'sidecar', requests: { cpu: '100m' }, limits: {}, restartPolicy: 'Always' }],
    });
    expect(calculateRequests([pod], 'sidecar', 'cpu').get('p')).toBe(100);
    expect(calculateRequests([pod], 'app', 'cpu').get('p')).toBe(500);
  });

  it('given a sidecar without request, should fail like any container without request', () => {
    const pod = makePod('p', {
      containers: [{ name: 'app', requests: { cpu: '500m' }, limits: {} }],
      initContainers: [{ name: 'sidecar', requests: {}, limits: {}, restartPolicy: 'Always' }],
    });
    expect(() => calculateRequests([pod], undefined, 'cpu')).toThrow(
      new MissingRequestError('missing request for cpu in container sidecar of Pod p'),
    );
  });

  it('given a named container that does not exist, should fail with "container … not found"', () => {
    const pod = makePod('p', { cpuRequest: '1' });
    expect(() => calculateRequests([pod], 'nope', 'cpu')).toThrow('container nope not found in Pod p');
  });

  it('given a named container, should not require requests on the others', () => {
    const pod = makePod('p', {
      containers: [
        { name: 'app', requests: { cpu: '1' }, limits: {} },
        { name: 'other', requests: {}, limits: {} },
      ],
    });
    expect(calculateRequests([pod], 'app', 'cpu').get('p')).toBe(1000);
  });
});

describe('calculateRequests on shared container lists', () => {
  // The Pod port's lists are mutable types; the simulator hands out frozen ones.
  const frozenList = (cpu: string): Container[] =>
    Object.freeze([
      Object.freeze({ name: 'app', requests: Object.freeze({ cpu }), limits: Object.freeze({}) }),
      Object.freeze({ name: 'proxy', requests: Object.freeze({ cpu: '100m' }), limits: Object.freeze({}) }),
    ]) as unknown as Container[];

  it('given pods sharing one frozen list (a template), should give each the sum, per container asked for', () => {
    const containers = frozenList('500m');
    const pods = [
      makePod('a', { containers: [...containers] }),
      makePod('b', { containers: [...containers] }),
    ];
    const shared = pods.map((pod) => ({ ...pod, containers }));
    expect([...calculateRequests(shared, undefined, 'cpu')]).toEqual([
      ['a', 600],
      ['b', 600],
    ]);
    expect(calculateRequests(shared, 'proxy', 'cpu').get('b')).toBe(100);
    expect(calculateRequests(shared, undefined, 'cpu').get('a')).toBe(600);
    // Another list with other requests is its own entry, even for the same pod names.
    const bigger = frozenList('2');
    expect(
      calculateRequests([{ ...(shared[0] as (typeof shared)[0]), containers: bigger }], undefined, 'cpu').get(
        'a',
      ),
    ).toBe(2100);
  });

  it('given a list that can still change, should read its requests every time', () => {
    const requests: Record<string, string> = { cpu: '500m' };
    const pod = makePod('a', { containers: [{ name: 'app', requests, limits: {} }] });
    expect(calculateRequests([pod], undefined, 'cpu').get('a')).toBe(500);
    requests.cpu = '750m';
    expect(calculateRequests([pod], undefined, 'cpu').get('a')).toBe(750);
  });

  it('given a shared list without the request, should fail for every pod, naming it', () => {
    const containers = Object.freeze([
      Object.freeze({ name: 'app', requests: Object.freeze({}), limits: Object.freeze({}) }),
    ]) as unknown as Container[];
    const pod = { ...makePod('x', {}), containers };
    expect(() => calculateRequests([pod], undefined, 'cpu')).toThrow(
      'missing request for cpu in container app of Pod x',
    );
    expect(() => calculateRequests([{ ...pod, name: 'y' }], undefined, 'cpu')).toThrow('of Pod y');
  });
});

describe('pod selection and ready count', () => {
  it('given pods of several namespaces and labels, should keep those of the namespace the selector matches', () => {
    const pods = [
      makePod('a', { labels: { app: 'web' } }),
      makePod('b', { labels: { app: 'api' } }),
      makePod('c', { labels: { app: 'web' }, namespace: 'other' }),
    ];
    expect(selectPods(pods, 'test-namespace', parseSelector('app=web')).map((p) => p.name)).toEqual(['a']);
  });

  it('given running ready, running unready, pending and deleting pods, should count Running+Ready ones (deleting included)', () => {
    const pods = [
      makePod('a'),
      makePod('b', { ready: 'False' }),
      makePod('c', { phase: 'Pending' }),
      makePod('d', { deleting: true }),
    ];
    expect(readyPodsCount(pods)).toBe(2);
  });
});
