import { describe, expect, it } from 'vitest';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import type { Scenario } from '../../../shared/sim/scenario';
import { createSimWorld } from '../../../shared/sim/world';
import { START, webTarget } from './fixtures';

const MINUTE = 60_000;

function tinyScenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: 'tiny',
    description: 'one service, one node group',
    clusterName: 'sim-test',
    seed: 3,
    start: START,
    utcOffsetMinutes: 0,
    durationMs: 10 * MINUTE,
    tickIntervalMs: 15_000,
    sampleIntervalMs: MINUTE,
    nodeGroups: [
      {
        name: 'workers',
        minSize: 0,
        maxSize: 10,
        desiredCapacity: 2,
        availabilityZones: ['eu-central-1a'],
        instanceType: 'm5.xlarge',
        capacityType: 'on-demand',
      },
    ],
    services: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 2,
        containers: [{ name: 'app', requests: { cpu: '500m', memory: '512Mi' } }],
        startupSeconds: 10,
        readinessSeconds: 20,
        noise: 0,
        load: {
          kind: 'steps',
          steps: [
            { atMinute: 0, rps: 100 },
            { atMinute: 5, rps: 400 },
          ],
        },
        cost: { cpuBaseMillis: 50, cpuMillisPerRps: 2, memoryBaseMi: 200, memoryMiPerRps: 0.5 },
        autoscaler: {
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
            },
          ],
        },
      },
    ],
    ...overrides,
  };
}

describe('runSimulation', () => {
  it('should tick controllers at their interval and sample series at the sample interval', async () => {
    const seen: number[] = [];
    const result = await runSimulation(tinyScenario(), {
      controllers: [
        { name: 'probe', intervalMs: 15_000, offsetMs: 5_000, tick: async (now) => seen.push(now) },
      ],
    });
    expect(seen).toHaveLength(40);
    expect(seen[0]).toBe(START + 5_000);
    expect(seen[1]).toBe(START + 20_000);
    expect(result.series.times).toHaveLength(11);
    expect(result.series.times.at(-1)).toBe(START + 10 * MINUTE);
    expect(result.series.services['shop/web']?.rps).toEqual([
      100, 100, 100, 100, 100, 400, 400, 400, 400, 400, 400,
    ]);
    expect(result.series.cluster.nodes.every((nodes) => nodes === 2)).toBe(true);
    expect(result.controllers[0]).toMatchObject({ name: 'probe', ticks: 40, errors: 0, skipped: 0 });
    expect(result.services[0]).toMatchObject({
      key: 'shop/web',
      initialReplicas: 2,
      rescales: 0,
      autoscaler: {
        kind: 'HorizontalAutoscaler',
        minReplicas: 2,
        maxReplicas: 10,
        targetCpuUtilization: 70,
        metrics: ['Resource/cpu'],
      },
    });
  });

  it('should bring pods up between ticks: a scale-up is Ready within its delays', async () => {
    const result = await runSimulation(tinyScenario(), {
      controllers: (world) => [
        {
          name: 'scale-once',
          intervalMs: 10 * MINUTE,
          offsetMs: 2 * MINUTE,
          tick: async () => {
            const scale = await world.cluster.getScale(webTarget);
            await world.cluster.updateScale(webTarget, 5, scale?.resourceVersion ?? '');
          },
        },
      ],
    });
    const series = result.series.services['shop/web'];
    // Samples come before the controllers of the same instant: at 2:00 the old state; by 3:00 the new pods
    // (start-up ≤ 12 s, readiness ≤ 24 s) are Ready.
    expect(series?.specReplicas.slice(0, 4)).toEqual([2, 2, 2, 5]);
    expect(series?.readyPods.slice(0, 4)).toEqual([2, 2, 2, 5]);
    expect(result.rescales).toBe(1);
    expect(result.services[0]).toMatchObject({
      minReplicas: 2,
      maxReplicas: 5,
      scaleUps: 1,
      rescales: 1,
      finalReplicas: 5,
    });
    expect(result.controllers[0]).toMatchObject({ kubernetesRequests: 2 });
    expect(result.api.kubernetes.requests).toEqual({
      'get apps/deployments/scale': 1,
      'update apps/deployments/scale': 1,
    });
  });

  it('given a controller that sleeps on virtual time inside its tick, should wake it and skip overlapping ticks', async () => {
    const world = createSimWorld(tinyScenario({ durationMs: 2 * MINUTE }));
    const times: number[] = [];
    const sleeper: SimController = {
      name: 'invocation',
      intervalMs: MINUTE,
      tick: async () => {
        for (let i = 0; i < 3; i++) {
          times.push(world.clock.now());
          await world.clock.sleep(15_000);
        }
      },
    };
    const slow: SimController = {
      name: 'slow',
      intervalMs: 15_000,
      tick: () => world.clock.sleep(40_000),
    };
    const result = await runSimulation(world, { controllers: [sleeper, slow] });
    expect(times.map((t) => (t - START) / 1000)).toEqual([0, 15, 30, 60, 75, 90]);
    const slowOutcome = result.controllers.find((c) => c.name === 'slow');
    // Ticks at 0, 45 and 90 s (each sleeping 40 s); those due at 15, 30, 60, 75 and 105 s are skipped.
    expect(slowOutcome).toMatchObject({ ticks: 3, skipped: 5 });
  });

  it('given a failing controller and one doing real I/O, should count the failures and keep going', async () => {
    let ios = 0;
    const result = await runSimulation(tinyScenario({ durationMs: MINUTE }), {
      controllers: [
        {
          name: 'broken',
          intervalMs: 15_000,
          tick: async () => {
            throw new Error('boom');
          },
        },
        {
          name: 'io',
          intervalMs: 15_000,
          tick: async () => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            ios++;
          },
        },
      ],
    });
    expect(result.controllers[0]).toMatchObject({ ticks: 4, errors: 4, lastError: 'boom' });
    expect(result.controllers[1]).toMatchObject({ ticks: 4, errors: 0 });
    expect(ios).toBe(4);
  });

  it('should replay identically', async () => {
    const run = () =>
      runSimulation(tinyScenario({ durationMs: 30 * MINUTE }), {
        controllers: (world) => [
          {
            name: 'follow-load',
            intervalMs: 15_000,
            tick: async () => {
              const [scale] = [...(await world.cluster.getScales([webTarget])).values()];
              const metrics = await world.cluster.listPodMetrics();
              const desired = Math.min(10, Math.max(2, metrics.length + (metrics.length % 3) - 1));
              if (scale && desired !== scale.specReplicas) {
                await world.cluster.updateScale(webTarget, desired, scale.resourceVersion);
              }
            },
          },
        ],
      });
    const [a, b] = [await run(), await run()];
    expect(a.series).toEqual(b.series);
    expect(a.services).toEqual(b.services);
    expect(a.api).toEqual(b.api);
  });

  it('given a capacity fault between ticks, should apply it at its instant and list it in the result', async () => {
    const atMs = 5 * MINUTE + 7_000;
    const offering = { instanceType: 'm5.xlarge', zone: 'eu-central-1a', capacityType: 'on-demand' as const };
    const world = createSimWorld(
      tinyScenario({
        faults: [
          { atMs: 8 * MINUTE, kind: 'capacity', ...offering, available: true },
          { atMs, kind: 'capacity', ...offering, available: false },
        ],
      }),
    );
    const seen: { now: number; available: boolean }[] = [];
    const result = await runSimulation(world, {
      controllers: [
        {
          name: 'probe',
          intervalMs: MINUTE,
          tick: async (now) => {
            seen.push({ now, available: world.cloud.isCapacityAvailable(offering) });
          },
        },
      ],
    });
    // Each fault is stamped with the clock at which the world applied it: the driver stopped at 5:07, not
    // at the next tick or sample, and the scenario's order does not matter.
    expect(
      result.faults.map((fault) => [
        fault.time - START,
        fault.fault.kind === 'capacity' && fault.fault.available,
      ]),
    ).toEqual([
      [atMs, false],
      [8 * MINUTE, true],
    ]);
    expect(result.faults[0]?.description).toBe('m5.xlarge on-demand in eu-central-1a: no capacity');
    // Ticks at whole minutes: the one at 6:00 is the first after the fault, the one at 8:00 sees it gone.
    expect(seen.filter((tick) => !tick.available).map((tick) => (tick.now - START) / MINUTE)).toEqual([6, 7]);
    expect(world.cloud.isCapacityAvailable(offering)).toBe(true);
  });

  it('given a fault outside the scenario, should refuse to build the world', () => {
    expect(() =>
      createSimWorld(
        tinyScenario({
          faults: [
            {
              atMs: 11 * MINUTE,
              kind: 'capacity',
              instanceType: 'm5.xlarge',
              zone: 'eu-central-1a',
              capacityType: 'spot',
              available: false,
            },
          ],
        }),
      ),
    ).toThrow(/faults\[0\]: atMs 660000 is outside the scenario/);
  });

  it('should let controllers record at sample instants and add their records to the result', async () => {
    const samples: number[] = [];
    const result = await runSimulation(tinyScenario({ durationMs: 3 * MINUTE }), {
      controllers: [
        {
          name: 'recorder',
          intervalMs: 15_000,
          tick: async () => {},
          sample: (now) => samples.push(now),
          finish: (end) => ({
            nodePools: {
              intervalMs: 15_000,
              bootSeconds: 120,
              ticks: (end - START) / 15_000,
              pools: [],
              series: {},
              unplaceable: [],
              decisions: [],
              pendingPods: [],
              fallbacks: [],
              unplaceableReasons: [],
              scaleDown: { drainsStarted: 0, drainsFinished: 0, drainsAborted: 0, nodesRemoved: 0 },
              disruption: {
                evictions: 0,
                evictionsBlocked: 0,
                podsLost: 0,
                podsLostByLoop: 0,
                podsLostOutsideLoop: 0,
                pdbViolations: 0,
                pdbViolationsByLoop: 0,
              },
              interruptions: [],
            },
          }),
        },
      ],
    });
    expect(samples).toEqual(result.series.times);
    expect(result.nodePools?.ticks).toBe(12);
  });

  it('should tick a controller at once when an event it is delivered asks for it, without shifting its schedule', async () => {
    const ticks: number[] = [];
    const eventAt = START + 40_000;
    let delivered = false;
    await runSimulation(tinyScenario({ durationMs: 2 * MINUTE }), {
      controllers: (world) => [
        {
          name: 'events',
          intervalMs: MINUTE,
          tick: async (now) => {
            ticks.push(now);
          },
          deliverEvents: async (now) => {
            if (delivered || now < eventAt) return false;
            delivered = true;
            return true;
          },
        },
        // Events are looked at only where the driver stops; this makes it stop at the event's instant.
        { name: 'wake', intervalMs: 40_000, tick: async () => world.clock.now() },
      ],
    });
    expect(ticks).toEqual([START, eventAt, START + MINUTE]);
  });
});
