/**
 * The default day through the real HPA and node-pool loops (state in the simulator's store), from the
 * night trough through the morning ramp to noon: the cluster starts with the night's nodes and the
 * node-pool loop must grow it under the HPAs, without leaving pods pending for longer than a node takes
 * to come. How long a whole day takes is what `npm start` shows.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BOOT_SECONDS } from '../../../shared/sim/cloud';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import { summarizeNodePools } from '../../../shared/sim/report-stats';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';
import { createSimWorld } from '../../../shared/sim/world';

const HOUR_MS = 3_600_000;
const START_HOUR = 4;

describe('simulator e2e: the default day', () => {
  it('should grow the nodes from the night level through the morning ramp, pods pending no longer than a node takes to come', async () => {
    const scenario = createDefaultDayScenario({ startHour: START_HOUR, durationMs: 8 * HOUR_MS });
    const world = createSimWorld(scenario);
    const result = await runSimulation(world, {
      controllers: [hpaController(world), nodePoolController(world)],
    });
    console.log(`${renderSummary(result)}\n`);
    expect(result.controllers.map((c) => [c.name, c.ticks, c.errors])).toEqual([
      ['hpa', 1920, 0],
      ['node-pools', 1920, 0],
    ]);
    const run = result.nodePools;
    if (!run) throw new Error('no node-pool record');

    // The night level holds through the trough, then the ramp (from 06:00 local) makes the loop add nodes:
    // by noon the cluster has half as many again.
    const rampAt = scenario.start + (6 - START_HOUR) * HOUR_MS;
    const nodes = result.series.cluster.nodes;
    const night = scenario.nodeGroups.reduce((sum, group) => sum + group.desiredCapacity, 0);
    const beforeRamp = nodes.filter((_, i) => (result.series.times[i] ?? Infinity) <= rampAt);
    expect(beforeRamp.length).toBeGreaterThan(1);
    expect(new Set(beforeRamp)).toEqual(new Set([night]));
    expect(nodes.at(-1)).toBeGreaterThanOrEqual(night * 1.5);
    const defaultPool = run.pools.find((pool) => pool.name === 'default');
    expect(defaultPool?.scaleUps).toBeGreaterThan(0);
    expect(defaultPool?.maxNodes).toBeGreaterThan(defaultPool?.minNodes ?? Infinity);
    const scaleUps = run.decisions.filter((d) => d.kind === 'scale-up' && d.result === 'applied');
    expect(scaleUps.length).toBeGreaterThan(0);
    expect(scaleUps.every((d) => d.time > rampAt)).toBe(true);
    // Nothing failed, nothing needed the fallback pool, every pod found a pool.
    expect(run.decisions.filter((d) => d.kind === 'failure')).toEqual([]);
    expect(run.pools.find((pool) => pool.name === 'fallback')?.maxNodes).toBe(0);
    expect(run.unplaceableReasons).toEqual([]);

    // Pending stays bounded: each pod the loop saw unschedulable was placed within a tick plus boot.
    const boundMs = run.intervalMs + DEFAULT_BOOT_SECONDS * 1000;
    expect(run.pendingPods.length).toBeGreaterThan(0);
    for (const pod of run.pendingPods) {
      expect(pod.boundAt, pod.pod).toBeDefined();
      expect((pod.boundAt ?? Infinity) - pod.pendingSince, pod.pod).toBeLessThanOrEqual(boundMs);
    }
    expect(result.pendingPodSeconds).toBeLessThanOrEqual((run.pendingPods.length * boundMs) / 1000);

    const pools = summarizeNodePools(result);
    expect(pools?.nodeHours).toBeGreaterThan(pools?.lowerBoundNodeHours ?? Infinity);
    const html = renderReport(result);
    expect(html.match(/<svg/g)).toHaveLength(reportChartTitles(result).length);
    // Cluster, the timeline of decisions, node-hours, four pools, and 12 of the 35 services.
    expect(reportChartTitles(result)).toHaveLength(3 + 1 + 1 + 4 + 12);
    expect(html).toContain('<h2>Node pools</h2>');
  });

  it('should shrink the nodes after the evening peak into the night, with no pod lost and no budget broken', async () => {
    const eveningHour = 19;
    const scenario = createDefaultDayScenario({ startHour: eveningHour, durationMs: 7 * HOUR_MS });
    const world = createSimWorld(scenario);
    const result = await runSimulation(world, {
      controllers: [hpaController(world), nodePoolController(world)],
    });
    console.log(`${renderSummary(result)}\n`);
    expect(result.controllers.every((controller) => controller.errors === 0)).toBe(true);
    const run = result.nodePools;
    if (!run) throw new Error('no node-pool record');

    const nodes = result.series.cluster.nodes;
    const peak = Math.max(...nodes);
    expect(nodes.at(-1)).toBeLessThan(peak);
    expect(run.scaleDown.nodesRemoved).toBeGreaterThan(0);
    expect(run.scaleDown.drainsFinished).toBeGreaterThan(0);
    const removals = run.decisions.filter((d) => d.kind === 'node-removed');
    expect(removals.length).toBe(run.scaleDown.nodesRemoved);
    expect(run.disruption).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    const html = renderReport(result);
    expect(html).toContain('drain started');
    expect(html).toContain('goal: pods lost 0');
  });
});
