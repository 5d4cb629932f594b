import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../shared/sim/driver';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import { summarizeServices, timeWeightedMean } from '../../../shared/sim/report-stats';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';

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
});
