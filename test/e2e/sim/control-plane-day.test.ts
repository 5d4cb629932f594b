/**
 * The control-plane-day scenario as `npm run tideplane -- simulate --scenario control-plane-day` runs
 * it: the real control-plane loop against the simulated control plane, its state in DynamoDB on
 * dynalite, the load alarm's ALARM delivered as CloudWatch's alarm action. An observer looks at the
 * control plane at every instant the driver stops (every tick, boot, health change and minute).
 */
import { describe, expect, it } from 'vitest';
import { SWAP_HISTORY_KEY } from '../../../shared/controlplane/swap-record';
import { controlPlaneController } from '../../../shared/sim/control-plane/controller';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import { createControlPlaneDayScenario } from '../../../shared/sim/scenarios/control-plane-day';
import { createSimWorld } from '../../../shared/sim/world';
import { MINUTE, modelOf, useDynamo } from './control-plane-world';

const dynamo = useDynamo();

interface Seen {
  time: number;
  healthy: number;
  live: { id: string; type: string; state: string }[];
  cpu: number | undefined;
  latency: number;
}

describe('simulator e2e: control-plane day with DynamoDB on dynalite', () => {
  it('should swap up when the load alarm fires, one instance at a time and never below three healthy API servers, and back down at night', async () => {
    const scenario = createControlPlaneDayScenario();
    const world = createSimWorld(scenario);
    const model = modelOf(world);
    const state = dynamo.store(world);
    const seen: Seen[] = [];
    const observer: SimController = {
      name: 'observer',
      intervalMs: 60 * MINUTE,
      tick: async () => undefined,
      async deliverEvents(now) {
        const snapshot = model.snapshot();
        seen.push({
          time: now,
          healthy: model.targets.healthyInstances(now).length,
          live: model
            .controlPlaneInstances()
            .filter((instance) => instance.state !== 'Terminating')
            .map((instance) => ({
              id: instance.instanceId,
              type: instance.instanceType,
              state: instance.state,
            })),
          cpu: snapshot.loadPercent,
          latency: snapshot.latencySeconds,
        });
        return false;
      },
    };
    const result = await runSimulation(world, {
      controllers: [controlPlaneController(world, { state }), observer],
    });
    const run = result.controlPlane;
    if (!run) throw new Error('no control-plane result');
    expect(result.controllers.find((c) => c.name === 'control-plane')).toMatchObject({ errors: 0 });

    // Two swaps: up in the morning, down at night, both done.
    expect(run.swaps.map((swap) => [swap.direction, swap.from, swap.to, swap.outcome])).toEqual([
      ['up', 'm6i.xlarge', 'm6i.2xlarge', 'done'],
      ['down', 'm6i.2xlarge', 'm6i.xlarge', 'done'],
    ]);
    const [up, down] = run.swaps as [(typeof run.swaps)[number], (typeof run.swaps)[number]];
    const upFinished = up.finishedAt ?? Number.NaN;
    const downFinished = down.finishedAt ?? Number.NaN;

    // The alarm action started the swap at once (same instant: the driver delivers it when it turns).
    const high = run.alarms.find((alarm) => alarm.name.endsWith('-load-high') && alarm.to === 'ALARM');
    if (!high) throw new Error('the load-high alarm never fired');
    expect(up.startedAt - high.time).toBeGreaterThanOrEqual(0);
    expect(up.startedAt - high.time).toBeLessThan(15_000);

    // Never fewer than the three healthy API servers of the start, at any moment (exact) and at every
    // instant the observer saw; never more than one surge instance.
    expect(up.healthyAtStart).toBe(3);
    expect(up.minHealthy).toBe(3);
    expect(down.minHealthy).toBe(3);
    expect(Math.min(...seen.map((s) => s.healthy))).toBe(3);
    expect(Math.max(...seen.map((s) => s.live.length))).toBe(4);

    // One at a time: during the up swap the instances of the new type grow 0 → 1 → 2 → 3, the old ones
    // shrink 3 → 2 → 1 → 0, and a new one is launched only once the previous old one has gone.
    const during = seen.filter((s) => s.time >= up.startedAt && s.time <= upFinished);
    const counts = during.map((s) => ({
      old: s.live.filter((i) => i.type === 'm6i.xlarge').length,
      fresh: s.live.filter((i) => i.type === 'm6i.2xlarge').length,
    }));
    const distinct = counts.filter(
      (c, i) => i === 0 || c.old !== counts[i - 1]?.old || c.fresh !== counts[i - 1]?.fresh,
    );
    expect(distinct).toEqual([
      { old: 3, fresh: 0 },
      { old: 3, fresh: 1 },
      { old: 2, fresh: 1 },
      { old: 2, fresh: 2 },
      { old: 1, fresh: 2 },
      { old: 1, fresh: 3 },
      { old: 0, fresh: 3 },
    ]);

    // Latency recovers: lower after the swap than when it started, and fast again.
    const at = (t: number) => seen.find((s) => s.time >= t) ?? expect.fail(`nothing seen at ${t}`);
    const before = at(up.startedAt).latency;
    const after = at(upFinished + 10 * MINUTE).latency;
    expect(after).toBeLessThan(before / 2);
    expect(after).toBeLessThan(0.15);
    expect(run.latency.minutesAbove).toBeLessThan(5);
    // Without the swap the day would have been slow for hours.
    expect(run.latency.baselineMinutesAbove).toBeGreaterThan(300);

    // Down only after an hour below 25 % and the two-hour down cooldown after the up swap.
    const quietSince = seen.find((s) => s.time > upFinished && s.cpu !== undefined && s.cpu < 25)?.time;
    if (quietSince === undefined) throw new Error('CPU never fell below 25 %');
    const low = run.alarms.find((alarm) => alarm.name.endsWith('-load-low') && alarm.to === 'ALARM');
    if (!low) throw new Error('the load-low alarm never fired');
    expect(low.time - quietSince).toBeGreaterThanOrEqual(60 * MINUTE);
    expect(down.startedAt).toBeGreaterThanOrEqual(low.time);
    expect(down.startedAt - upFinished).toBeGreaterThanOrEqual(120 * MINUTE);
    expect(at(downFinished).live.map((i) => i.type)).toEqual(['m6i.xlarge', 'm6i.xlarge', 'm6i.xlarge']);
    expect(run.endSize).toBe('m6i.xlarge');

    // The history in DynamoDB says the same.
    const history = await state.get(scenario.clusterName, SWAP_HISTORY_KEY);
    expect(
      ((history?.data ?? {}) as { entries: { direction: string; outcome: string }[] }).entries,
    ).toMatchObject([
      { direction: 'up', outcome: 'done' },
      { direction: 'down', outcome: 'done' },
    ]);

    // The report has the control-plane charts and the swaps.
    const html = renderReport(result);
    for (const title of ['Control-plane instance type', 'Control-plane CPU', 'API latency']) {
      expect(reportChartTitles(result)).toContain(title);
      expect(html).toContain(title);
    }
    expect(html).toContain('m6i.xlarge → m6i.2xlarge');
    expect(renderSummary(result)).toMatch(/up m6i\.xlarge → m6i\.2xlarge: done after [\d.]+ min/);
  });
});
