import { beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_MODEL } from '../../../shared/sim/baseline';
import { CHART_LAYOUT, renderTimeChart, serviceChart, titleFontSize } from '../../../shared/sim/charts';
import { renderComparisonSection } from '../../../shared/sim/comparison-report';
import { compareDays } from '../../../shared/sim/day-figures';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { boxTables } from '../../../shared/sim/html-text';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { chartedServices, renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import { summarizeNodePools, summarizeServices, timeWeightedMean } from '../../../shared/sim/report-stats';
import type { SimulationResult } from '../../../shared/sim/result';
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

/** The service charts' titles in report HTML, in order (their SVG follows the cluster charts). */
function serviceChartTitles(html: string): string[] {
  const section = html.slice(html.indexOf('<div class="grid services">'));
  return [...section.matchAll(/<figure><svg[\s\S]*?<\/svg>/g)].map((match) => {
    const texts = [...match[0].matchAll(/font-weight:bold;"[^>]*>([^<]*)<\/text>/g)];
    return texts[0]?.[1] ?? '';
  });
}

describe('the service charts of a big scenario', () => {
  let result: SimulationResult;

  beforeAll(async () => {
    const world = createSimWorld(createDefaultDayScenario({ durationMs: 2 * 3_600_000 }));
    result = await runSimulation(world, { controllers: [hpaController(world)] });
  }, 60_000);

  it('given 35 services, should chart 12 chosen to show the policy, say why under each, and list all 35', () => {
    const html = renderReport(result);
    const selection = chartedServices(result);
    expect(selection.mode).toBe('automatic');
    expect(selection.services).toHaveLength(12);
    const keys = selection.services.map((s) => s.key);
    // One of each metric kind the scenario's autoscalers use.
    expect(selection.services.flatMap((s) => s.reasons.filter((r) => r.startsWith('scales on ')))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scales on CPU /),
        expect.stringMatching(/^scales on External requests\/s /),
        expect.stringMatching(/^scales on queue length /),
        expect.stringMatching(/^scales on Pods /),
      ]),
    );
    // The services that rescaled most and swung most are in.
    const byRescales = [...result.services].sort((a, b) => b.rescales - a.rescales);
    expect(keys).toContain(byRescales[0]?.key);
    const bySwing = [...result.services].sort(
      (a, b) => b.maxReplicas - b.minReplicas - (a.maxReplicas - a.minReplicas),
    );
    expect(keys).toContain(bySwing[0]?.key);

    expect(serviceChartTitles(html)).toEqual(keys);
    expect(reportChartTitles(result).slice(-12)).toEqual(keys);
    expect(html.match(/<svg/g)).toHaveLength(reportChartTitles(result).length);
    const captions = [...html.matchAll(/<figcaption>(replicas [^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toHaveLength(12);
    for (const [i, caption] of captions.entries()) {
      expect(caption).toContain(`; selected: ${selection.services[i]?.reasons.join(', ')}`);
    }
    expect(captions.some((caption) => /selected: .*most rescales \(\d+\)/.test(caption ?? ''))).toBe(true);
    expect(html).toContain('<h2>Requests per second vs pods: selected services</h2>');
    expect(html).toContain('Charts of <strong>12 of 35</strong> services');
    expect(html).toContain('The Services table above lists all 35.');
    // The services table still has a row per service.
    const table = html.slice(html.indexOf('<h2>Services</h2>'), html.indexOf('<h2>Cluster</h2>'));
    expect(table.match(/<tr><td class="name">/g)).toHaveLength(35);
  });

  it("given the scenario's services to chart, should draw exactly those, in its order", () => {
    const services = ['search/suggest', 'storefront/web'];
    const html = renderReport(result, { services });
    expect(serviceChartTitles(html)).toEqual(services);
    expect(reportChartTitles(result, { services }).slice(-2)).toEqual(services);
    expect(html.match(/<svg/g)).toHaveLength(reportChartTitles(result, { services }).length);
    expect(html).toContain('Charts of <strong>2 of 35</strong> services, chosen in the scenario');
    expect(html).not.toContain('selected:');
  });

  it('given a service the run does not have, should refuse to render', () => {
    expect(() => renderReport(result, { services: ['storefront/web', 'storefront/nope'] })).toThrow(
      /\[1\] no service storefront\/nope in the scenario \(did you mean storefront\/web/,
    );
  });

  it("should put every table, the side-by-side section's too, in a box of its own that scrolls", () => {
    const comparison = renderComparisonSection(compareDays(result, result), BASELINE_MODEL);
    const html = renderReport(result, { extraSections: [comparison] });
    const tables = html.match(/<table/g) ?? [];
    expect(tables.length).toBeGreaterThanOrEqual(4);
    expect(html.match(/<div class="table-box"><table>/g)).toHaveLength(tables.length);
    expect(html).toMatch(/\.table-box \{[^}]*overflow: auto;/);
    expect(boxTables('<p>a</p><table><tr><td>1</td></tr></table><table class="x"></table>')).toBe(
      '<p>a</p><div class="table-box"><table><tr><td>1</td></tr></table></div>' +
        '<div class="table-box"><table class="x"></table></div>',
    );
  });
});

/** Each text of an SVG chart: its content, font size and vertical centre (ECharts draws them centred). */
function svgTexts(svg: string): { text: string; size: number; centre: number }[] {
  return [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map((match) => {
    const attributes = match[1] ?? '';
    const size = Number(/font-size:([\d.]+)px/.exec(attributes)?.[1]);
    const translate = Number(/translate\([-\d.]+ ([-\d.]+)\)/.exec(attributes)?.[1] ?? 0);
    const y = Number(/\sy="([-\d.]+)"/.exec(attributes)?.[1] ?? 0);
    expect(attributes).toContain('dominant-baseline="central"');
    return { text: match[2] ?? '', size, centre: translate + y };
  });
}

describe('chart layout', () => {
  /** A browser's line box is about 1.2 em, whatever width its font gives the text. */
  const half = (size: number) => 0.6 * size;

  it('should keep the title in a band above the axis names, so no font can run one into the other', () => {
    const title = 'monitoring/prometheus config-reloader: memory usage vs request';
    const hours = [0, 1, 2];
    const chart = {
      ...serviceChart(title, hours, series()),
      axisNames: ['MiB', 'OOM kills'] as [string, string],
    };
    const svg = renderTimeChart(chart, { width: 560, height: 260 }, { startLocalHour: 6, durationHours: 2 });
    const texts = svgTexts(svg);
    const heading = texts.find((t) => t.text === title);
    const names = texts.filter((t) => t.text === 'MiB' || t.text === 'OOM kills');
    expect(heading?.size).toBe(CHART_LAYOUT.titleFontSize);
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect((heading?.centre ?? 0) + half(heading?.size ?? 0) + 4).toBeLessThanOrEqual(
        name.centre - half(name.size),
      );
    }
    // Every other text (ticks, legend) is below the title too.
    for (const text of texts.filter((t) => t !== heading)) {
      expect(text.centre - half(text.size)).toBeGreaterThan(
        (heading?.centre ?? 0) + half(heading?.size ?? 0),
      );
    }
  });

  it('should shrink a title too long for the chart in a wide font, down to a floor', () => {
    expect(titleFontSize('Nodes', 560)).toBe(12);
    expect(titleFontSize('monitoring/prometheus config-reloader: memory usage vs request', 560)).toBe(12);
    const long = 'storefront-experiments/recommendations-engine-v2.1'; // 50 characters
    expect(long).toHaveLength(50);
    expect(titleFontSize(long, 400)).toBe(10);
    expect(titleFontSize(long, 400) * long.length * 0.7).toBeLessThanOrEqual(400 - 16);
    expect(titleFontSize('x'.repeat(500), 400)).toBe(CHART_LAYOUT.minTitleFontSize);
  });
});

function series() {
  return {
    rps: [1, 2, 3],
    specReplicas: [1, 1, 2],
    readyPods: [1, 1, 2],
    notReadyPods: [0, 0, 0],
    cpuUsageMillis: [0, 0, 0],
    cpuRequestMillis: [0, 0, 0],
  };
}
