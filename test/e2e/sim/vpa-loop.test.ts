/**
 * The real VPA loop in the simulator (vpa-controller.ts) with its checkpoints in DynamoDB on dynalite:
 * the Prometheus of the vpa-day scenario and its VPA, through the update modes, a corrupt checkpoint and a
 * dry run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { checkpointKey, type VpaTickSummary } from '../../../shared/loops/vpa-loop';
import type { SimController } from '../../../shared/sim/driver';
import { runSimulation } from '../../../shared/sim/driver';
import { dynamoItemBytes } from '../../../shared/sim/dynamo-item-size';
import { createVpaDayScenario } from '../../../shared/sim/scenarios/vpa-day';
import { vpaController } from '../../../shared/sim/vpa-controller';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';
import { parseQuantityNumber } from '../../../shared/units/quantity';
import { storedVpaCheckpointSchema } from '../../../shared/vpa/checkpoint';

const HOUR_MS = 3_600_000;
const MiB = 2 ** 20;

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

/** The vpa-day world for `hours`, its own cluster name (the tests share one table), its VPA in `mode`. */
function dayWorld(
  name: string,
  hours: number,
  mode = 'Auto',
): { world: SimWorld; state: DynamoDbStateStore } {
  const base = createVpaDayScenario({ durationMs: hours * HOUR_MS });
  const world = createSimWorld({ ...base, clusterName: `sim-vpa-${name}` });
  const vpa = world.vpas.getVpa('monitoring', 'prometheus');
  world.vpas.setVpaSpec('monitoring', 'prometheus', {
    ...(vpa?.spec as object),
    updatePolicy: { updateMode: mode },
  });
  const state = new DynamoDbStateStore({
    client: dynamo.client,
    tableName: dynamo.tableName,
    clock: world.clock,
  });
  return { world, state };
}

/** Records the memory request of every Prometheus pod at each sample. */
function podWatcher(world: SimWorld): SimController & { seen: { time: number; memory: string[] }[] } {
  const seen: { time: number; memory: string[] }[] = [];
  return {
    name: 'watcher',
    intervalMs: HOUR_MS,
    tick: async () => undefined,
    sample: (time) => {
      const pods = [...(world.cluster.workloadRecord('monitoring/prometheus')?.pods ?? [])];
      seen.push({ time, memory: pods.map((pod) => pod.containers[0]?.requests.memory ?? '') });
    },
    seen,
  };
}

describe('simulator e2e: the VPA loop', () => {
  it('should put recommendations on the VPA status and keep one small checkpoint per container in DynamoDB', async () => {
    const { world, state } = dayWorld('status', 2);
    const result = await runSimulation(world, { controllers: [vpaController(world, { state })] });
    expect(result.controllers[0]).toMatchObject({ name: 'vpa', ticks: 120, errors: 0 });

    const status = world.vpas.getVpa('monitoring', 'prometheus')?.status;
    expect(status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'RecommendationProvided', status: 'True' }),
    );
    const recommendations = status?.recommendation?.containerRecommendations ?? [];
    expect(recommendations.map((r) => r.containerName)).toEqual(['prometheus', 'config-reloader']);
    // The peak working set of the two hours plus the 15 % margin, within a bucket (5 %).
    const peakMi = Math.max(...(result.vpa?.containers[0]?.memoryUsageMaxMi ?? []).map((v) => v ?? 0));
    const targetMi = parseQuantityNumber(recommendations[0]?.target.memory ?? '0') / MiB;
    expect(targetMi).toBeGreaterThan(peakMi * 1.15);
    expect(targetMi).toBeLessThan(peakMi * 1.15 * 1.06);
    // The sidecar gets its share (half) of the per-pod minimum of 250 MiB.
    expect(parseQuantityNumber(recommendations[1]?.target.memory ?? '0') / MiB).toBeCloseTo(125, 0);
    // Status writes only when the numbers move: far fewer than ticks.
    expect(result.vpa?.statusWrites).toBeGreaterThan(0);
    expect(result.vpa?.statusWrites).toBeLessThan(60);

    const items = await state.query('sim-vpa-status', 'vpa#');
    expect(items.map((item) => item.sk)).toEqual([
      checkpointKey('monitoring', 'prometheus', 'config-reloader'),
      checkpointKey('monitoring', 'prometheus', 'prometheus'),
    ]);
    for (const item of items) {
      expect(storedVpaCheckpointSchema.safeParse(item.data).success).toBe(true);
      expect(dynamoItemBytes(item)).toBeLessThan(4096);
    }
    // Written on the last tick of each five-tick invocation only, at most once per container.
    const writes = result.vpa?.checkpointWrites ?? [];
    expect(writes.length).toBeLessThanOrEqual((120 / 5) * 2);
    expect(writes.every((write) => Math.round((write.time - result.scenario.start) / 60_000) % 5 === 4)).toBe(
      true,
    );
  });

  it('given mode Off, should recommend through the morning ramp but never patch the workload', async () => {
    const { world, state } = dayWorld('off', 5, 'Off');
    const result = await runSimulation(world, { controllers: [vpaController(world, { state })] });
    expect(result.vpa?.templatePatches).toEqual([]);
    expect(world.vpas.templatePatches()).toEqual([]);
    expect(world.cluster.workloadRecord('monitoring/prometheus')?.templateRevision).toBe(1);
    const target = world.vpas.getVpa('monitoring', 'prometheus')?.status?.recommendation
      ?.containerRecommendations[0]?.target.memory;
    // The recommendation follows the usage past the request the pods keep.
    expect(parseQuantityNumber(target ?? '0') / MiB).toBeGreaterThan(4608);
    expect(result.events).toBe(0);
  });

  it('given mode Auto, should patch the pod template as the usage grows, and the pods should roll onto it', async () => {
    const { world, state } = dayWorld('auto', 6);
    const watcher = podWatcher(world);
    const result = await runSimulation(world, { controllers: [vpaController(world, { state }), watcher] });
    const patches = result.vpa?.templatePatches ?? [];
    expect(patches.length).toBeGreaterThanOrEqual(2);
    expect(patches.every((patch) => patch.workload === 'monitoring/prometheus')).toBe(true);
    // Each patch reaches both replicas (one at a time, as the StatefulSet rolls) within 15 minutes,
    // unless the next patch comes first.
    let checked = 0;
    for (const patch of patches) {
      const memory = patch.containers.find((c) => c.name === 'prometheus')?.requests.memory;
      if (!memory) continue;
      const next = patches.find((later) => later.time > patch.time)?.time ?? Infinity;
      const settled = watcher.seen.find((s) => s.time >= patch.time + 15 * 60_000);
      if (!settled || settled.time >= next) continue;
      expect(settled.memory, `patch at ${new Date(patch.time).toISOString()}`).toEqual([memory, memory]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(1);
    // Memory limit = request (Zalando's rule) on every patch.
    for (const patch of patches) {
      const prometheus = patch.containers.find((c) => c.name === 'prometheus');
      if (prometheus?.requests.memory) expect(prometheus.limits.memory).toBe(prometheus.requests.memory);
    }
    expect(world.cluster.events().filter((e) => e.reason === 'ResourcesUpdated')).toHaveLength(
      patches.length,
    );
  });

  it('should discard a corrupt checkpoint and rebuild it', async () => {
    const { world, state } = dayWorld('corrupt', 0.5);
    const key = checkpointKey('monitoring', 'prometheus', 'prometheus');
    await state.put('sim-vpa-corrupt', key, { v: 1, c: 'not a time', p: 42 }, { expectedVersion: 0 });
    const ticks: VpaTickSummary[] = [];
    const result = await runSimulation(world, {
      controllers: [vpaController(world, { state, onTick: (tick) => ticks.push(tick) })],
    });
    expect(result.controllers[0]?.errors).toBe(0);
    expect(ticks.flatMap((tick) => tick.vpas.flatMap((vpa) => vpa.problems))).toEqual([]);
    const item = await state.get('sim-vpa-corrupt', key);
    expect(item?.version).toBeGreaterThan(1);
    expect(storedVpaCheckpointSchema.safeParse(item?.data).success).toBe(true);
    expect(world.vpas.getVpa('monitoring', 'prometheus')?.status?.recommendation).toBeDefined();
  });

  it('given a dry run, should decide as usual and write nothing: no status, no patch, no Event, no checkpoint', async () => {
    const { world, state } = dayWorld('dry', 3);
    const ticks: VpaTickSummary[] = [];
    const result = await runSimulation(world, {
      controllers: [vpaController(world, { state, dryRun: true, onTick: (tick) => ticks.push(tick) })],
    });
    // Unlike the Auto run, which patched in these hours, it only says what it would have done.
    expect(ticks.some((tick) => tick.vpas.some((vpa) => vpa.update?.result === 'would-patch'))).toBe(true);
    expect(world.vpas.statusWrites()).toEqual([]);
    expect(world.vpas.getVpa('monitoring', 'prometheus')?.status).toBeUndefined();
    expect(world.vpas.templatePatches()).toEqual([]);
    expect(world.cluster.events()).toEqual([]);
    expect(await state.query('sim-vpa-dry', 'vpa#')).toEqual([]);
    expect(result.vpa?.checkpointWrites).toEqual([]);
  });
});
