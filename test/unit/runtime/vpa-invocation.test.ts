/**
 * The VPA function's invocation (shared/runtime/vpa-invocation.ts): refusals before anything is
 * touched, and checkpoints written on the invocation's last tick only.
 */
import { describe, expect, it } from 'vitest';
import { type ResolvedCluster, resolvedClusterSchema } from '../../../shared/config/load';
import type { Clock } from '../../../shared/ports/clock';
import type { KubernetesPort } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import type { VpaPort } from '../../../shared/ports/vertical-pod-autoscalers';
import { runVpaInvocation } from '../../../shared/runtime/vpa-invocation';
import { SimStateStore } from '../../../shared/sim/state-store';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function config(vpa: Record<string, unknown> | null = {}): ResolvedCluster {
  return resolvedClusterSchema.parse({
    accountId: '123456789012',
    region: 'eu-central-1',
    cluster: {
      name: 'prod-1',
      access: {
        kind: 'token',
        endpoint: 'https://kube.example.com',
        secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:kube-AbCdEf',
      },
      ...(vpa ? { vpa } : {}),
    },
    hpa: {},
  });
}

function harness(resolved = config()) {
  // Sleeping moves time on at once: the invocation's ticks run back to back.
  let time = NOW;
  const clock: Clock = {
    now: () => time,
    sleep: async (ms) => {
      time += Math.max(0, ms);
    },
  };
  const state = new SimStateStore(clock);
  let connects = 0;
  const pod = {
    namespace: 'shop',
    name: 'web-0',
    uid: 'u',
    labels: { app: 'web' },
    annotations: {},
    phase: 'Running' as const,
    creationTimestamp: NOW - 86_400_000,
    conditions: [],
    containers: [{ name: 'app', requests: { cpu: '100m', memory: '256Mi' }, limits: {} }],
    initContainers: [],
    ownerReferences: [],
  };
  const kubernetes = {
    listPods: async () => [pod],
    listPodMetrics: async () => [
      {
        namespace: 'shop',
        name: 'web-0',
        timestamp: clock.now(),
        windowSeconds: 30,
        containers: [{ name: 'app', usage: { cpu: '50m', memory: '200Mi' } }],
      },
    ],
    createEvent: async () => undefined,
  } as unknown as KubernetesPort;
  const vpas: VpaPort = {
    listVerticalPodAutoscalers: async () => [
      {
        namespace: 'shop',
        name: 'web',
        uid: 'v',
        generation: 1,
        resourceVersion: '1',
        annotations: {},
        creationTimestamp: NOW,
        spec: {
          targetRef: { kind: 'Deployment', name: 'web' },
          updatePolicy: { updateMode: 'Off' },
          recommenders: [{ name: 'tideplane' }],
        },
      },
    ],
    updateVpaStatus: async () => undefined,
    listWorkloadTemplates: async (kind) =>
      kind === 'Deployment'
        ? [
            {
              target: { namespace: 'shop', apiVersion: 'apps/v1', kind, name: 'web' },
              resourceVersion: '1',
              selector: 'app=web',
              containers: pod.containers,
            },
          ]
        : [],
    getWorkloadTemplate: async (target) => ({
      target,
      resourceVersion: '1',
      selector: 'app=web',
      containers: pod.containers,
    }),
    patchWorkloadResources: async () => undefined,
    resizePodResources: async () => 'resized',
  };
  const invoke = (payload: unknown, remainingMs = () => 60_000_000) =>
    runVpaInvocation(payload, {
      config: resolved,
      connect: async () => {
        connects++;
        return { kubernetes, vpas };
      },
      state,
      clock,
      log: silentLogger,
      owner: 'req-1',
      remainingMs,
    });
  return { invoke, state, connects: () => connects };
}

describe('runVpaInvocation', () => {
  it.each([
    ['a garbled payload', { cluster: 1 }, /^invalid event — cluster: /],
    ['another cluster', { cluster: 'prod-2' }, 'cluster: this function serves "prod-1", not "prod-2"'],
    ['an unknown field', { cluster: 'prod-1', vpa: 'x' }, /Unrecognized key/],
  ])('given %s, should say why and connect to nothing', async (_name, payload, error) => {
    const { invoke, connects } = harness();
    const response = await invoke(payload);
    expect(response.ok).toBe(false);
    if (!response.ok) expect(response.error).toMatch(error);
    expect(connects()).toBe(0);
  });

  it('given a cluster without the VPA loop, should say it is disabled', async () => {
    const { invoke, connects } = harness(config(null));
    expect(await invoke({ cluster: 'prod-1' })).toMatchObject({ ok: true, status: 'disabled' });
    expect(connects()).toBe(0);
  });

  it('should write the checkpoints on the last tick only, and say what it recommends', async () => {
    const { invoke, state } = harness();
    const response = await invoke({ cluster: 'prod-1', ticks: 3 });
    expect(response).toMatchObject({ ok: true, status: 'ran' });
    if (!response.ok) return;
    expect(response.ticks.map((t) => t.counts.checkpointWrites)).toEqual([0, 0, 1]);
    expect((await state.query('prod-1', 'vpa#')).map((i) => i.sk)).toEqual(['vpa#shop/web#app']);
    expect(response.summary).toMatch(/shop\/web \[recommended\] app \d+m\/\d+Mi; none: updateMode Off/);
  });
});
