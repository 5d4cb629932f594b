/**
 * The HPA loop against the simulated cluster (the same KubernetesPort the real adapter implements) and
 * the real DynamoDB store on dynalite: the fault and bad-input paths that are awkward to stage against a
 * real API server. The happy path against a real kube-apiserver lives in test/cluster.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { type HpaSettings, hpaSettingsSchema } from '../../../shared/config/hpa-settings';
import { HPA_TICK_KEY } from '../../../shared/loops/hpa-history-codec';
import { hpaStateKey, runHpaTick } from '../../../shared/loops/hpa-loop';
import { ConflictError, NotFoundError } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import { SimCluster } from '../../../shared/sim/cluster';
import { SimMetrics } from '../../../shared/sim/metrics';
import { VirtualClock } from '../../../shared/sim/virtual-clock';

const TICK_MS = 15_000;
const cpuSpec = (name: string, extra: Record<string, unknown> = {}) => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
  minReplicas: 1,
  maxReplicas: 10,
  metrics: [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
  ],
  ...extra,
});

let dynamo: LocalDynamo;
let clock: VirtualClock;
let cluster: SimCluster;
let metrics: SimMetrics;
let state: DynamoDbStateStore;
let clusterName: string;
let runs = 0;
/** Requests per second each workload receives; 1 rps costs 10m of CPU. */
const load = new Map<string, number>();

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(() => {
  clock = new VirtualClock(Date.UTC(2026, 10, 25, 9, 0, 0));
  cluster = new SimCluster({ clock, seed: 3 });
  metrics = new SimMetrics(cluster);
  state = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  clusterName = `sim-${++runs}`;
  load.clear();
  for (let n = 0; n < 4; n++)
    cluster.addNode({ name: `node-${n}`, capacity: { cpu: '16', memory: '64Gi', pods: '110' } });
});

function addService(
  namespace: string,
  name: string,
  replicas: number,
  rps: number,
  spec: unknown = cpuSpec(name),
) {
  load.set(`${namespace}/${name}`, rps);
  cluster.addWorkload(
    {
      namespace,
      name,
      replicas,
      containers: [{ name: 'app', requests: { cpu: '100m', memory: '128Mi' } }],
      load: () => load.get(`${namespace}/${name}`) ?? 0,
      cost: { cpuBaseMillis: 0, cpuMillisPerRps: 10, memoryBaseMi: 64, memoryMiPerRps: 0 },
      noise: 0,
    },
    { warm: true },
  );
  cluster.addAutoscaler({ namespace, name, spec });
}

async function tick(
  overrides: Partial<{ dryRun: boolean; settings: Partial<HpaSettings>; only: string }> = {},
) {
  clock.advance(TICK_MS);
  cluster.sync();
  return runHpaTick(
    {
      cluster: clusterName,
      kubernetes: cluster,
      metrics,
      state,
      clock,
      log: silentLogger,
      settings: hpaSettingsSchema.parse(overrides.settings ?? {}),
      dryRun: overrides.dryRun ?? false,
    },
    overrides.only ? { only: overrides.only } : {},
  );
}

const replicas = (namespace: string, name: string) =>
  cluster.workloadSnapshot(`${namespace}/${name}`).specReplicas;

describe('the HPA loop on the simulator', () => {
  it('given 2 pods at 150% of a 50% target, should scale to the upstream answer and record it', async () => {
    addService('shop', 'web', 2, 30); // 300m over 2 pods of 100m: 150% each
    const summary = await tick();
    // ceil(2 × 150/50) = 6, capped by the default scale-up limit max(2 × 2, 4) = 4.
    expect(summary.outcomes).toEqual([
      expect.objectContaining({ name: 'web', action: 'rescaled', currentReplicas: 2, desiredReplicas: 4 }),
    ]);
    expect(replicas('shop', 'web')).toBe(4);
    const status = cluster.getAutoscaler('HorizontalAutoscaler', 'shop', 'web')?.status;
    expect(status?.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'ScaleUpLimit',
    });
    expect(cluster.events().map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target',
    ]);
    const items = await state.query(clusterName);
    expect(items.map((i) => i.sk).sort()).toEqual(
      expect.arrayContaining([HPA_TICK_KEY, hpaStateKey('HorizontalAutoscaler', 'shop', 'web')]),
    );
    expect(items.some((i) => i.sk.startsWith('decision#hpa#'))).toBe(true);
  });

  it('given a dry run, should report what it would do and change nothing anywhere', async () => {
    addService('shop', 'web', 2, 30);
    const before = cluster.getAutoscaler('HorizontalAutoscaler', 'shop', 'web');
    const summary = await tick({ dryRun: true });
    expect(summary.outcomes[0]).toMatchObject({ action: 'would-rescale', desiredReplicas: 4 });
    expect(replicas('shop', 'web')).toBe(2);
    expect(cluster.getAutoscaler('HorizontalAutoscaler', 'shop', 'web')?.resourceVersion).toBe(
      before?.resourceVersion,
    );
    expect(cluster.events()).toEqual([]);
    expect(await state.query(clusterName)).toEqual([]);
  });

  it('given a 409 on the scale write, should re-read the target and decide again on fresh data', async () => {
    addService('shop', 'web', 2, 30);
    cluster.failNext('updateScale', 1, new ConflictError('the object has been modified'));
    const summary = await tick();
    expect(summary.outcomes[0]).toMatchObject({ action: 'rescaled', desiredReplicas: 4 });
    expect(replicas('shop', 'web')).toBe(4);
    expect(cluster.stats().calls).toMatchObject({ updateScale: 2, getScale: 1 });
  });

  it('given the scale write keeps failing, should report FailedRescale and keep the old size', async () => {
    addService('shop', 'web', 2, 30);
    cluster.failNext('updateScale', 2, new ConflictError('the object has been modified'));
    const summary = await tick();
    expect(summary.outcomes[0]).toMatchObject({ action: 'failed' });
    expect(replicas('shop', 'web')).toBe(2);
    const status = cluster.getAutoscaler('HorizontalAutoscaler', 'shop', 'web')?.status;
    expect(status?.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'False',
      reason: 'FailedUpdateScale',
    });
    expect(cluster.events().map((e) => e.reason)).toEqual(['FailedRescale']);
    // No scale event was stored, so the next tick is not limited by a rescale that never happened.
    const next = await tick();
    expect(next.outcomes[0]).toMatchObject({ action: 'rescaled', currentReplicas: 2, desiredReplicas: 4 });
  });

  it('given a malformed autoscaler and a failing metric, should report each and still scale the others', async () => {
    addService('shop', 'web', 2, 30);
    addService('shop', 'broken', 2, 30, {
      scaleTargetRef: { kind: 'Deployment', name: 'broken' },
      maxReplicas: 0,
    });
    addService(
      'shop',
      'queue',
      2,
      10,
      cpuSpec('queue', {
        metrics: [
          {
            type: 'External',
            external: { metric: { name: 'no-such-metric' }, target: { type: 'Value', value: '10' } },
          },
        ],
      }),
    );
    const summary = await tick();
    const byName = Object.fromEntries(summary.outcomes.map((o) => [o.name, o]));
    expect(byName.web).toMatchObject({ action: 'rescaled', desiredReplicas: 4 });
    expect(byName.broken?.action).toBe('blocked');
    expect(byName.queue?.action).toBe('blocked');
    const condition = (name: string) =>
      cluster
        .getAutoscaler('HorizontalAutoscaler', 'shop', name)
        ?.status?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(condition('broken')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(condition('broken')?.message).toContain('maxReplicas');
    expect(condition('queue')).toMatchObject({ status: 'False', reason: 'FailedGetExternalMetric' });
    expect(replicas('shop', 'broken')).toBe(2);
    expect(replicas('shop', 'queue')).toBe(2);
    const warnings = cluster
      .events()
      .filter((e) => e.type === 'Warning')
      .map((e) => `${e.involvedObject.name}:${e.reason}`);
    // Upstream reports a failed metric twice: the fetch, then the replica computation.
    expect(warnings.sort()).toEqual([
      'broken:InvalidSpec',
      'queue:FailedComputeMetricsReplicas',
      'queue:FailedGetExternalMetric',
    ]);
    // The same problems on the next tick are not news: no second warning.
    await tick();
    expect(cluster.events().filter((e) => e.type === 'Warning')).toHaveLength(3);
  });

  it('given a metric source that answers NaN, should refuse the value and change nothing', async () => {
    addService(
      'shop',
      'queue',
      2,
      10,
      cpuSpec('queue', {
        metrics: [
          {
            type: 'External',
            external: {
              metric: { name: 'queue-length' },
              target: { type: 'AverageValue', averageValue: '10' },
            },
          },
        ],
      }),
    );
    const lying = {
      getPodsMetric: metrics.getPodsMetric.bind(metrics),
      getObjectMetric: metrics.getObjectMetric.bind(metrics),
      getExternalMetric: async () => ({
        ok: true as const,
        value: [{ milliValue: Number.NaN, timestamp: clock.now() }],
      }),
    };
    clock.advance(TICK_MS);
    const summary = await runHpaTick({
      cluster: clusterName,
      kubernetes: cluster,
      metrics: lying,
      state,
      clock,
      log: silentLogger,
      settings: hpaSettingsSchema.parse({}),
      dryRun: false,
    });
    expect(summary.outcomes[0]?.action).toBe('blocked');
    expect(replicas('shop', 'queue')).toBe(2);
    const active = cluster
      .getAutoscaler('HorizontalAutoscaler', 'shop', 'queue')
      ?.status?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetExternalMetric' });
    expect(active?.message).toContain('finite and non-negative');
  });

  it('given a plain HPA whose status kube-controller-manager wrote a minute ago, should not fight it', async () => {
    load.set('shop/web', 30);
    cluster.addWorkload(
      {
        namespace: 'shop',
        name: 'web',
        replicas: 2,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '128Mi' } }],
        load: () => 30,
        cost: { cpuBaseMillis: 0, cpuMillisPerRps: 10, memoryBaseMi: 64, memoryMiPerRps: 0 },
        noise: 0,
      },
      { warm: true },
    );
    cluster.addAutoscaler({
      kind: 'HorizontalPodAutoscaler',
      namespace: 'shop',
      name: 'web',
      spec: cpuSpec('web'),
      statusManagers: [{ manager: 'kube-controller-manager', time: clock.now() - 60_000 }],
    });
    const settings = { horizontalPodAutoscalers: true };
    const summary = await tick({ settings });
    expect(summary.outcomes[0]).toMatchObject({ kind: 'HorizontalPodAutoscaler', action: 'skipped' });
    expect(summary.outcomes[0]?.reason).toContain('kube-controller-manager');
    expect(replicas('shop', 'web')).toBe(2);
    // Once that controller has been quiet for longer than the window, tideplane takes over.
    clock.advance(10 * 60_000);
    const later = await tick({ settings });
    expect(later.outcomes[0]).toMatchObject({ action: 'rescaled', desiredReplicas: 4 });
  });

  it('given load falls, should hold the scale-down for the 300 s window, then scale down', async () => {
    addService('shop', 'web', 4, 20); // 200m over 4 pods: 50%, on target
    await tick();
    load.set('shop/web', 5); // far below target
    const held: number[] = [];
    let scaledAt: number | undefined;
    for (let t = 1; t <= 25 && scaledAt === undefined; t++) {
      const summary = await tick();
      if (summary.outcomes[0]?.action === 'rescaled') scaledAt = t;
      else held.push(replicas('shop', 'web'));
    }
    expect(held.every((r) => r === 4)).toBe(true);
    // The last "4" was recommended at tick 0; 300 s later (tick 20) it is still in the window, at tick 21 not.
    expect(scaledAt).toBe(21);
    // The size upstream picks for the utilization the status reports: ceil(4 × utilization / 50).
    const status = cluster.getAutoscaler('HorizontalAutoscaler', 'shop', 'web')?.status;
    const utilization = status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? Number.NaN;
    expect(utilization).toBeLessThan(40);
    expect(replicas('shop', 'web')).toBe(Math.ceil((4 * utilization) / 50));
  });

  it('given a steady cluster, should write only the tick marker to DynamoDB', async () => {
    addService('shop', 'web', 2, 10); // 50%: on target
    addService('shop', 'api', 3, 15);
    await tick();
    await tick();
    state.resetStats();
    const summary = await tick();
    expect(summary.outcomes.map((o) => o.action)).toEqual(['unchanged', 'unchanged']);
    expect(state.stats).toMatchObject({ reads: 1, writes: 1 });
  });

  it('given a console run for one autoscaler, should evaluate only it and not advance the tick marker', async () => {
    addService('shop', 'web', 2, 30);
    addService('shop', 'api', 2, 30);
    const summary = await tick({ only: 'shop/api' });
    expect(summary.outcomes.map((o) => o.name)).toEqual(['api']);
    expect(replicas('shop', 'web')).toBe(2);
    expect(await state.get(clusterName, HPA_TICK_KEY)).toBeUndefined();
  });

  it('given metrics.k8s.io is not served, should report FailedGetResourceMetric and keep the size', async () => {
    addService('shop', 'web', 2, 30);
    cluster.setMetricsApiServed(false);
    const summary = await tick();
    expect(summary.outcomes[0]?.action).toBe('blocked');
    expect(replicas('shop', 'web')).toBe(2);
    const active = cluster
      .getAutoscaler('HorizontalAutoscaler', 'shop', 'web')
      ?.status?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
  });
});

describe('the HPA loop in a cluster without the CRD', () => {
  it('should fail the tick with the setup step that is missing', async () => {
    const missingCrd = Object.create(cluster) as SimCluster;
    missingCrd.listAutoscalers = async () => {
      throw new NotFoundError('the server could not find the requested resource');
    };
    await expect(
      runHpaTick({
        cluster: clusterName,
        kubernetes: missingCrd,
        metrics,
        state,
        clock,
        log: silentLogger,
        settings: hpaSettingsSchema.parse({}),
        dryRun: false,
      }),
    ).rejects.toThrow('kubectl apply -f infra/manifests/');
  });
});
