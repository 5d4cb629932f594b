/**
 * The VPA loop (shared/loops/vpa-loop.ts) on port doubles: what it writes to VPA status, when it patches
 * the pod template, what it refuses, and its checkpoints in the state store.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { vpaSchema } from '../../../shared/config/vpa';
import { checkpointKey, runVpaTick, type VpaLoopDeps } from '../../../shared/loops/vpa-loop';
import type { KubeEvent, KubernetesPort, Pod, PodMetrics } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import type {
  ContainerResources,
  PodResizeResult,
  VpaObject,
  VpaPort,
  VpaStatus,
  WorkloadTemplate,
} from '../../../shared/ports/vertical-pod-autoscalers';
import { SimStateStore } from '../../../shared/sim/state-store';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import type { ContainerAggregateState } from '../../../shared/vpa/container-state';

const START = Date.UTC(2026, 10, 25, 0, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CLUSTER = 'kube-1';

function pod(name: string, memoryRequest: string, extra: Partial<Pod> = {}): Pod {
  return {
    namespace: 'monitoring',
    name,
    uid: `uid-${name}`,
    labels: { app: 'prometheus' },
    annotations: {},
    phase: 'Running',
    creationTimestamp: START - 48 * HOUR,
    startTime: START - 48 * HOUR,
    conditions: [{ type: 'Ready', status: 'True' }],
    nodeName: 'node-a',
    containers: [
      {
        name: 'prometheus',
        requests: { cpu: '500m', memory: memoryRequest },
        limits: { memory: memoryRequest },
      },
    ],
    initContainers: [],
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'prometheus', uid: 'sts', controller: true },
    ],
    ...extra,
  };
}

class World {
  clock = new VirtualClock(START);
  state = new SimStateStore(this.clock);
  pods: Pod[] = [pod('prometheus-0', '2Gi'), pod('prometheus-1', '2Gi')];
  /** Working set per pod, bytes. */
  usage = 1.5 * 1024 ** 3;
  cpuUsage = '400m';
  events: KubeEvent[] = [];
  statuses: { vpa: string; status: VpaStatus }[] = [];
  patches: { target: string; containers: unknown }[] = [];
  resizes: { pod: string; containers: ContainerResources[] }[] = [];
  resizeAnswer: PodResizeResult = 'resized';
  templateLists = 0;
  templateGets = 0;
  template: WorkloadTemplate | undefined = {
    target: { namespace: 'monitoring', apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'prometheus' },
    resourceVersion: '7',
    selector: 'app=prometheus',
    containers: [{ name: 'prometheus', requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } }],
  };
  vpa: VpaObject = {
    namespace: 'monitoring',
    name: 'prometheus',
    uid: 'vpa-uid',
    generation: 1,
    resourceVersion: '1',
    annotations: {},
    creationTimestamp: START - 48 * HOUR,
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'prometheus' },
      updatePolicy: { updateMode: 'Off' },
      recommenders: [{ name: 'tideplane' }],
    },
  };

  kubernetes(): KubernetesPort {
    const port: Partial<KubernetesPort> = {
      listPods: async () => this.pods,
      listPodMetrics: async (): Promise<PodMetrics[]> =>
        this.pods.map((p) => ({
          namespace: p.namespace,
          name: p.name,
          timestamp: this.clock.now() - 30_000,
          windowSeconds: 30,
          containers: [
            { name: 'prometheus', usage: { cpu: this.cpuUsage, memory: `${Math.round(this.usage)}` } },
          ],
        })),
      createEvent: async (event) => {
        this.events.push(event);
      },
    };
    return port as KubernetesPort;
  }

  vpas(): VpaPort {
    return {
      listVerticalPodAutoscalers: async () => [this.vpa],
      updateVpaStatus: async (namespace, name, status) => {
        this.statuses.push({ vpa: `${namespace}/${name}`, status });
        this.vpa = { ...this.vpa, status };
      },
      listWorkloadTemplates: async (kind) => {
        this.templateLists++;
        return this.template?.target.kind === kind ? [this.template] : [];
      },
      getWorkloadTemplate: async () => {
        this.templateGets++;
        return this.template;
      },
      patchWorkloadResources: async (target, _version, containers) => {
        this.patches.push({ target: `${target.kind}/${target.name}`, containers });
        if (this.template) {
          this.template = {
            ...this.template,
            containers: this.template.containers.map((c) => containers.find((n) => n.name === c.name) ?? c),
          };
        }
      },
      resizePodResources: async (namespace, name, containers) => {
        this.resizes.push({ pod: `${namespace}/${name}`, containers });
        if (this.resizeAnswer === 'resized') {
          this.pods = this.pods.map((p) =>
            p.name !== name
              ? p
              : {
                  ...p,
                  containers: p.containers.map((c) => {
                    const change = containers.find((n) => n.name === c.name);
                    return change
                      ? {
                          ...c,
                          requests: { ...c.requests, ...change.requests },
                          limits: { ...c.limits, ...change.limits },
                        }
                      : c;
                  }),
                },
          );
        }
        return this.resizeAnswer;
      },
    };
  }

  deps(overrides: Record<string, unknown> = {}): VpaLoopDeps {
    return {
      cluster: CLUSTER,
      kubernetes: this.kubernetes(),
      vpas: this.vpas(),
      state: this.state,
      clock: this.clock,
      log: silentLogger,
      settings: vpaSchema.parse(overrides),
      dryRun: false,
    };
  }

  /** One tick a minute for `minutes`, persisting on the last, as an invocation would. */
  async run(minutes: number, deps = this.deps(), carry = new Map<string, ContainerAggregateState>()) {
    let last: Awaited<ReturnType<typeof runVpaTick>> | undefined;
    for (let m = 0; m < minutes; m++) {
      last = await runVpaTick(deps, { carry, persistCheckpoints: m === minutes - 1 });
      this.clock.advance(MINUTE);
    }
    return last as Awaited<ReturnType<typeof runVpaTick>>;
  }
}

let world: World;
beforeEach(() => {
  world = new World();
});

/** prometheus-0's container was OOM-killed 10 s ago, `startedAgoMs` after its incarnation started. */
function oomKill(startedAgoMs?: number): void {
  world.pods = world.pods.map((p) =>
    p.name === 'prometheus-0'
      ? {
          ...p,
          containerStatuses: [
            {
              name: 'prometheus',
              restartCount: 1,
              lastTerminationReason: 'OOMKilled',
              lastTerminationAt: world.clock.now() - 10_000,
              ...(startedAgoMs !== undefined
                ? { lastTerminationStartedAt: world.clock.now() - startedAgoMs }
                : {}),
            },
          ],
        }
      : p,
  );
}

function autoMode(): void {
  world.vpa = {
    ...world.vpa,
    spec: { ...(world.vpa.spec as object), updatePolicy: { updateMode: 'Auto' } },
  };
}

describe('runVpaTick', () => {
  it('should write the recommendation to the VPA status for its own VPA, and only recommend in mode Off', async () => {
    const tick = await world.run(120);
    expect(tick.vpas).toMatchObject([
      { vpa: 'monitoring/prometheus', status: 'recommended', update: { action: 'none' } },
    ]);
    const status = world.vpa.status;
    expect(status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'RecommendationProvided', status: 'True' }),
    );
    const recommendation = status?.recommendation?.containerRecommendations[0];
    expect(recommendation?.containerName).toBe('prometheus');
    // The memory peak (1.5 GiB) plus the 15 % margin, within a bucket of the histogram.
    const target = Number(recommendation?.target.memory);
    expect(target).toBeGreaterThan(1.5 * 1.15 * 1024 ** 3);
    expect(target).toBeLessThan(1.5 * 1.15 * 1.06 * 1024 ** 3);
    expect(world.patches).toEqual([]);
    // Status is written when it changes noticeably, not every tick: often while the history is young
    // (the bounds follow confidence), rarely once it is a day old.
    expect(world.statuses.length).toBeLessThan(60);
    await world.run(24 * 60);
    const before = world.statuses.length;
    await world.run(60);
    expect(world.statuses.length - before).toBeLessThanOrEqual(3);
  });

  it('should keep the aggregate in a checkpoint, written once an invocation, and resume from it', async () => {
    await world.run(30);
    const item = await world.state.get(CLUSTER, checkpointKey('monitoring', 'prometheus', 'prometheus'));
    expect(item).toBeDefined();
    expect(JSON.stringify(item?.data).length).toBeLessThan(4096);
    const writes = (await world.state.stats()).calls.put ?? 0;
    expect(writes).toBe(1);
    // A new invocation (no carry) picks the aggregate up from the store and writes again only at its end.
    const again = await world.run(1);
    expect(again.counts.checkpointWrites).toBe(1);
  });

  it('should patch the pod template at once when the request is below the lower bound (memory limit = request)', async () => {
    world.vpa = {
      ...world.vpa,
      spec: { ...(world.vpa.spec as object), updatePolicy: { updateMode: 'Auto' } },
    };
    world.usage = 3 * 1024 ** 3;
    const tick = await world.run(60);
    expect(world.patches.length).toBeGreaterThan(0);
    const [first] = world.patches;
    expect(first?.target).toBe('StatefulSet/prometheus');
    const containers = first?.containers as {
      name: string;
      requests: Record<string, string>;
      limits: Record<string, string>;
    }[];
    expect(containers[0]?.requests.memory).toBe(containers[0]?.limits.memory);
    expect(tick.vpas[0]?.update?.result === 'patched' || world.patches.length === 1).toBe(true);
    expect(world.events.map((e) => e.reason)).toContain('ResourcesUpdated');
  });

  it('should raise memory at once after an OOM kill, to at least twice the killed request', async () => {
    world.vpa = {
      ...world.vpa,
      spec: { ...(world.vpa.spec as object), updatePolicy: { updateMode: 'Auto' } },
    };
    await world.run(30);
    expect(world.patches).toEqual([]);
    world.pods = world.pods.map((p) =>
      p.name === 'prometheus-0'
        ? {
            ...p,
            containerStatuses: [
              {
                name: 'prometheus',
                restartCount: 1,
                lastTerminationReason: 'OOMKilled',
                lastTerminationAt: world.clock.now() - 10_000,
              },
            ],
          }
        : p,
    );
    await world.run(1);
    const containers = world.patches[0]?.containers as { requests: Record<string, string> }[];
    expect(containers).toBeDefined();
    const memory = containers[0]?.requests.memory ?? '0Mi';
    expect(Number.parseInt(memory, 10)).toBeGreaterThanOrEqual(4096);
  });

  it('should raise the memory of the live pods in place after an OOM kill, up only, memory only', async () => {
    autoMode();
    await world.run(30);
    oomKill();
    const tick = await world.run(1);
    const patched = (world.patches[0]?.containers as ContainerResources[] | undefined)?.[0];
    expect(patched?.requests.memory).toBeDefined();
    // Both pods run below the new request: both get it (the killed one and its sibling at 2Gi).
    expect(world.resizes.map((r) => r.pod)).toEqual(['monitoring/prometheus-0', 'monitoring/prometheus-1']);
    for (const resize of world.resizes) {
      expect(resize.containers).toEqual([
        {
          name: 'prometheus',
          requests: { memory: patched?.requests.memory },
          limits: { memory: patched?.limits.memory },
        },
      ]);
    }
    expect(tick.counts.podResizes).toBe(2);
    expect(tick.vpas[0]?.update?.resizedPods).toHaveLength(2);
    expect(world.events.find((e) => e.reason === 'ResourcesUpdated')?.message).toContain(
      '2 pod(s) raised in place',
    );
    // The pods have the new request now: later ticks resize nothing more.
    await world.run(10);
    expect(world.resizes).toHaveLength(2);
  });

  it('should ask only once a tick when the API server cannot resize in place, and keep the template patch', async () => {
    autoMode();
    world.resizeAnswer = 'unsupported';
    await world.run(30);
    oomKill();
    const tick = await world.run(1);
    expect(world.patches).toHaveLength(1);
    expect(world.resizes).toHaveLength(1);
    expect(tick.counts.podResizes).toBe(0);
    expect(tick.vpas[0]?.update?.result).toBe('patched');
  });

  it('should not resize in place with resizeInPlace off, nor in a dry run (it reports the pods instead)', async () => {
    autoMode();
    await world.run(30);
    oomKill();
    await world.run(1, world.deps({ update: { resizeInPlace: false } }));
    expect(world.patches).toHaveLength(1);
    expect(world.resizes).toEqual([]);

    const dry = new World();
    dry.vpa = { ...world.vpa, status: undefined };
    world = dry;
    await world.run(30);
    oomKill();
    const tick = await world.run(1, { ...world.deps(), dryRun: true });
    expect(tick.vpas[0]?.update).toMatchObject({ result: 'would-patch' });
    expect(tick.vpas[0]?.update?.resizedPods).toEqual(['monitoring/prometheus-0', 'monitoring/prometheus-1']);
    expect(world.resizes).toEqual([]);
  });

  it('should read the targets with one list per kind a tick, not one GET per VPA', async () => {
    await world.run(5);
    expect(world.templateLists).toBe(5);
    expect(world.templateGets).toBe(0);
  });

  it('should treat a quick OOM as news only while a pod it killed still runs below the recommendation', async () => {
    autoMode();
    // Young pods: a change that is neither urgent nor after an OOM waits until they have run 12 h.
    world.pods = world.pods.map((p) => ({ ...p, startTime: world.clock.now() - HOUR }));
    await world.run(30);
    oomKill(60_000);
    const first = await world.run(1);
    expect(first.vpas[0]?.update?.reason).toMatch(/^after an OOM kill/);
    expect(world.patches).toHaveLength(1);
    // The kill stays in the container's last state (and in the recommender's memory for a day), but no
    // pod runs below the memory recommendation any more: a CPU change now waits like any other.
    world.cpuUsage = '1500m';
    const later = await world.run(30);
    expect(later.vpas[0]?.update?.reason).toMatch(/waits until the pods have run 12 h/);
    expect(world.patches).toHaveLength(1);
  });

  it('should take a memory-pressure eviction as an OOM: the floor from the container’s usage, the evicted pod not resized', async () => {
    autoMode();
    await world.run(30);
    const evictedAt = world.clock.now() - 20_000;
    world.pods = [
      ...world.pods,
      pod('prometheus-2', '2Gi', {
        phase: 'Failed',
        statusReason: 'Evicted',
        statusMessage:
          'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. ' +
          'Container prometheus was using 3Gi, request is 2Gi, has larger consumption of memory. ',
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            lastTransitionTime: evictedAt,
            reason: 'TerminationByKubelet',
          },
          { type: 'Ready', status: 'False', lastTransitionTime: evictedAt },
        ],
      }),
    ];
    const tick = await world.run(1);
    expect(tick.vpas[0]?.update?.reason).toMatch(/^after an OOM kill/);
    const memory = (world.patches[0]?.containers as ContainerResources[] | undefined)?.[0]?.requests.memory;
    // 2 × the 3 GiB the container used when evicted.
    expect(Number.parseInt(memory ?? '0', 10)).toBeGreaterThanOrEqual(6144);
    expect(world.resizes.map((r) => r.pod)).toEqual(['monitoring/prometheus-0', 'monitoring/prometheus-1']);
  });

  it('should leave VPAs of another recommender alone, and take unnamed ones only with claimDefault', async () => {
    world.vpa = { ...world.vpa, spec: { targetRef: { kind: 'StatefulSet', name: 'prometheus' } } };
    const tick = await world.run(5);
    expect(tick.vpas).toMatchObject([{ status: 'not-ours' }]);
    expect(world.statuses).toEqual([]);
    await world.run(5, world.deps({ claimDefault: true }));
    expect(world.statuses.length).toBeGreaterThan(0);
  });

  it('should report a malformed spec and a missing target on the VPA, changing nothing else', async () => {
    world.vpa = {
      ...world.vpa,
      spec: { targetRef: { kind: 'StatefulSet' }, recommenders: [{ name: 'tideplane' }] },
    };
    const invalid = await world.run(1);
    expect(invalid.vpas[0]).toMatchObject({
      status: 'invalid',
      problems: ['spec.targetRef.name: Invalid input: expected string, received undefined'],
    });
    expect(world.vpa.status?.conditions).toMatchObject([
      { type: 'ConfigUnsupported', status: 'True', reason: 'InvalidSpec' },
    ]);
    expect(world.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'InvalidSpec']]);

    world.vpa = {
      ...world.vpa,
      spec: { targetRef: { kind: 'StatefulSet', name: 'gone' }, recommenders: [{ name: 'tideplane' }] },
    };
    world.template = undefined;
    const missing = await world.run(2);
    expect(missing.vpas[0]).toMatchObject({
      status: 'no-target',
      problems: ['target StatefulSet/gone does not exist'],
    });
    // One Event when the problem is new, not one a tick while it lasts.
    expect(world.events.filter((e) => e.reason === 'TargetNotFound')).toHaveLength(1);
    expect(world.patches).toEqual([]);
  });

  it('should discard a corrupt checkpoint and rebuild the aggregate', async () => {
    const key = checkpointKey('monitoring', 'prometheus', 'prometheus');
    await world.state.put(CLUSTER, key, { v: 1, garbage: true }, { expectedVersion: 0 });
    const tick = await world.run(3);
    expect(tick.vpas[0]?.problems).toEqual([]);
    const item = await world.state.get(CLUSTER, key);
    expect(item?.data).not.toHaveProperty('garbage');
  });

  it('should decide without writing anything on a dry run', async () => {
    world.vpa = {
      ...world.vpa,
      spec: { ...(world.vpa.spec as object), updatePolicy: { updateMode: 'Auto' } },
    };
    world.usage = 3 * 1024 ** 3;
    const deps = { ...world.deps(), dryRun: true };
    const tick = await world.run(5, deps);
    expect(tick.vpas[0]?.update).toMatchObject({ action: 'patch', result: 'would-patch' });
    expect(world.patches).toEqual([]);
    expect(world.statuses).toEqual([]);
    expect(world.events).toEqual([]);
    expect(await world.state.query(CLUSTER, 'vpa#')).toEqual([]);
  });
});
