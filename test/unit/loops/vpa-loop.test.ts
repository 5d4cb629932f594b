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
  events: KubeEvent[] = [];
  statuses: { vpa: string; status: VpaStatus }[] = [];
  patches: { target: string; containers: unknown }[] = [];
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
          containers: [{ name: 'prometheus', usage: { cpu: '400m', memory: `${Math.round(this.usage)}` } }],
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
      getWorkloadTemplate: async () => this.template,
      patchWorkloadResources: async (target, _version, containers) => {
        this.patches.push({ target: `${target.kind}/${target.name}`, containers });
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
