/**
 * The whole default day (35 services, 24 h at 15-s ticks) through the driver with a cheap test
 * controller (how long it takes is measured by `npm run bench`, not here).
 */
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../shared/sim/driver';
import { renderReport, renderSummary } from '../../../shared/sim/report';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';
import { doublingController } from './doubling-controller';

describe('simulator e2e: the default day', () => {
  it('should replay a whole day with a controller ticking every 15 s', async () => {
    const scenario = createDefaultDayScenario();
    const result = await runSimulation(scenario, {
      controllers: (world) => [doublingController(world.cluster, scenario.tickIntervalMs)],
    });
    console.log(`${renderSummary(result)}\n`);
    expect(result.controllers[0]).toMatchObject({ ticks: 5760, errors: 0 });
    expect(result.series.times).toHaveLength(24 * 12 + 1);
    expect(result.rescales).toBeGreaterThan(35);
    const html = renderReport(result);
    expect(html.match(/<svg/g)).toHaveLength(35 + 3);
  });
});
