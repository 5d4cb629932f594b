import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import { summarizeNodePools, summarizeServices, timeWeightedMean } from '../../../shared/sim/report-stats';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';
import { createZonalVolumeScenario } from '../../../shared/sim/scenarios/zonal-volume';
import { createSimWorld } from '../../../shared/sim/world';

describe('report figures', () => {
  it('should weight each sample by the time until the next one', () => {
    expect(timeWeightedMean([0, 10, 40], [1, 2, 3])).toBeCloseTo((1 * 10 + 2 * 30 + 3 * 30) / 70);
    expect(timeWeightedMean([0, 10], [5, 7], (i) => i === 1)).toBe(7);
    expect(timeWeightedMean([], [])).toBeUndefined();
  });

  it('should summarize and render a short run without controllers', async () => {
    const result = await runSimulation(createDefaultDayScenario({ durationMs: 30 * 60_000 }));
    const services = summarizeServices(result);
    expect(services).toHaveLength(35);
    const web = services.find((service) => service.key === 'storefront/web');
    expect(web).toMatchObject({ minAllowed: 3, maxAllowed: 60, targetUtilization: 70, rescales: 0 });
    expect(web?.averageUtilization).toBeGreaterThan(20);
    expect(web?.peakRps).toBeGreaterThan(0);

    const summary = renderSummary(result);
    expect(summary.split('\n')).toHaveLength(4);
    expect(summary).toMatch(/^default-day on sim-eu-central-1: 0h30 virtual in/);
    expect(summary).toMatch(/35 services, 0 ticks, 0 rescales/);

    const html = renderReport(result, { subtitle: 'no controllers <test>' });
    expect(html).toContain('no controllers &lt;test&gt;');
    expect(html.match(/<svg/g)).toHaveLength(reportChartTitles(result).length);
    expect(html).toContain('No controllers ran');
  });

  it('should show the node pools: node-hours against the lower bound, each pool over time, the decisions', async () => {
    const world = createSimWorld(createZonalVolumeScenario());
    const result = await runSimulation(world, {
      controllers: [hpaController(world), nodePoolController(world)],
    });
    const pools = summarizeNodePools(result);
    expect(pools?.pools.map((pool) => pool.name)).toEqual(['default']);
    expect(pools?.scaleUps).toBeGreaterThan(0);
    expect(pools?.nodeHours).toBeGreaterThan(pools?.lowerBoundNodeHours ?? Infinity);
    expect(pools?.overLowerBound).toBeCloseTo((pools?.nodeHours ?? 0) / (pools?.lowerBoundNodeHours ?? 1));
    expect(pools?.fallback).toBeUndefined();
    expect(pools?.fallbackBoundMs).toBe(15_000 + 120_000);

    const summary = renderSummary(result).split('\n');
    expect(summary).toHaveLength(10);
    expect(summary[4]).toMatch(
      /^node pools: default \d+–\d+ nodes; \d+ scale-ups \(\+\d+ nodes\), 0 failed$/,
    );
    expect(summary[5]).toMatch(/^node-hours [\d.]+ vs lower bound [\d.]+ \([\d.]+×\)$/);
    expect(summary[6]).toMatch(
      /^scale-down: \d+ drains started, \d+ finished, \d+ aborted, \d+ nodes removed$/,
    );
    expect(summary.slice(7).map((line) => line.replace(/:.*/, ''))).toEqual([
      'goal node-hours vs lower bound ≤ 1.15×',
      'goal PDB violations 0',
      'goal pods lost 0',
    ]);
    expect(pools?.goals.map((goal) => goal.met).slice(1)).toEqual([true, true]);

    const html = renderReport(result);
    expect(reportChartTitles(result).slice(0, 6)).toEqual([
      'Nodes',
      'Pending pods',
      'CPU requested vs allocatable (cores)',
      'Timeline of decisions',
      'Node-hours vs lower bound',
      'Pool default (m5.xlarge on-demand)',
    ]);
    expect(html.match(/<svg/g)).toHaveLength(reportChartTitles(result).length);
    expect(html).toContain('<h2>Node pools</h2>');
    expect(html).toContain('<h2>Timeline of decisions</h2>');
    expect(html).toContain('>no pool can take</text>');
    expect(html).toMatch(/<td class="name">default-b<\/td><td class="name">2 → 3 for \d+ pod\(s\)<\/td>/);
    expect(html).not.toContain('Capacity failure');
  });

  it('should leave the node-pool section out when the loop did not run', async () => {
    const result = await runSimulation(createDefaultDayScenario({ durationMs: 60_000 }));
    expect(summarizeNodePools(result)).toBeUndefined();
    expect(renderReport(result)).not.toContain('Node pools');
  });
});
