/**
 * A day of vertical scaling (the vpa-day scenario): a Prometheus whose memory follows the cluster over a
 * European day, under a VPA in mode Auto, through the real VPA loop. The request (= limit) should follow
 * the usage up, a step ahead of it, and keep the day's peak into the night.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../../shared/sim/driver';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import type { SimulationResult } from '../../../shared/sim/result';
import { createVpaDayScenario, VPA_DAY_DEFAULTS } from '../../../shared/sim/scenarios/vpa-day';
import { vpaController } from '../../../shared/sim/vpa-controller';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';

const HOUR_MS = 3_600_000;

let world: SimWorld;
let result: SimulationResult;
beforeAll(async () => {
  world = createSimWorld(createVpaDayScenario());
  result = await runSimulation(world, { controllers: [vpaController(world)] });
  console.log(renderSummary(result));
});

const memoryMi = (text: string | undefined) => Number(/^(\d+)Mi$/.exec(text ?? '')?.[1] ?? Number.NaN);

describe('simulator e2e: a day of vertical scaling', () => {
  it('should raise the memory request with the usage over the day and keep the peak into the night', () => {
    expect(result.controllers[0]).toMatchObject({ name: 'vpa', ticks: 1440, errors: 0 });
    // Per tick: pods, pod metrics, VPAs and the targets' kind listed (the VPA port's calls count as the
    // API server's, with the cluster's); no GET per VPA.
    expect(result.api.kubernetes.requests).toMatchObject({
      'list pods': 1440,
      'list metrics.k8s.io/pods': 1440,
      'list verticalpodautoscalers.autoscaling.k8s.io': 1440,
      'list apps/statefulsets': 1440,
    });
    expect(result.api.kubernetes.requests['get apps/statefulsets']).toBeUndefined();
    const run = result.vpa;
    const prometheus = run?.containers.find((c) => c.container === 'prometheus');
    if (!run || !prometheus) throw new Error('no VPA record');
    const memoryPatches = run.templatePatches
      .map((patch) => memoryMi(patch.containers.find((c) => c.name === 'prometheus')?.requests.memory))
      .filter((mi) => !Number.isNaN(mi));
    expect(memoryPatches.length).toBeGreaterThanOrEqual(5);
    // Only up during the day: one memory peak per day is what the recommender keeps.
    expect([...memoryPatches].sort((a, b) => a - b)).toEqual(memoryPatches);
    expect(memoryPatches[0]).toBeGreaterThan(VPA_DAY_DEFAULTS.requestMi);
    // At the end (night), the request still covers the evening's peak need with the margin.
    const peakNeed = Math.max(...prometheus.memoryNeedMi.map((v) => v ?? 0));
    const finalRequest = prometheus.memoryRequestMi.at(-1) ?? 0;
    expect(finalRequest).toBeGreaterThan(peakNeed * 1.1);
    expect(prometheus.memoryUsageMaxMi.at(-1) ?? Infinity).toBeLessThan(finalRequest / 2);
  });

  it('should cover the need after the morning ramp: OOM kills only while the ramp outruns the request, then none', () => {
    const run = result.vpa;
    const prometheus = run?.containers.find((c) => c.container === 'prometheus');
    if (!run || !prometheus) throw new Error('no VPA record');
    const start = result.scenario.start;
    // The ramp (06:00–08:00 local) can outrun a request raised minutes before: one round, two replicas.
    expect(run.oomKills.length).toBeLessThanOrEqual(2);
    for (const kill of run.oomKills) expect(kill.time).toBeLessThan(start + 4 * HOUR_MS);
    run.times.forEach((time, i) => {
      if (time < start + 4 * HOUR_MS) return;
      expect(prometheus.memoryNeedMi[i] ?? 0).toBeLessThanOrEqual(prometheus.memoryRequestMi[i] ?? 0);
    });
  });

  it('should recommend for the sidecar too and keep the checkpoints small', () => {
    const recommendations =
      world.vpas.getVpa('monitoring', 'prometheus')?.status?.recommendation?.containerRecommendations ?? [];
    expect(recommendations.map((r) => r.containerName)).toEqual(['prometheus', 'config-reloader']);
    const sizes = (result.vpa?.checkpointWrites ?? []).map((write) => write.bytes);
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBeLessThan(4096);
  });

  it('should draw memory (and CPU) usage vs request per VPA container in the report', () => {
    const titles = reportChartTitles(result);
    expect(titles).toContain('monitoring/prometheus prometheus: memory usage vs request');
    expect(titles).toContain('monitoring/prometheus prometheus: CPU usage vs request');
    expect(titles).toContain('monitoring/prometheus config-reloader: memory usage vs request');
    const html = renderReport(result);
    expect(html.match(/<svg/g)).toHaveLength(titles.length);
    expect(html).toContain('<h2>Vertical pod autoscaling</h2>');
    expect(renderSummary(result)).toMatch(/vpa \(oomPolicy fast\): 2 container\(s\), 1440 ticks/);
  });
});
