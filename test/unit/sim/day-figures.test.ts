/**
 * The pieces of the day figures that need no simulation (shared/sim/day-figures.ts, shared/sim/baseline.ts).
 */
import { describe, expect, it } from 'vitest';
import { BASELINE_MODEL, baselineScenario } from '../../../shared/sim/baseline';
import { renderComparisonSection } from '../../../shared/sim/comparison-report';
import {
  comparisonLines,
  failuresWithoutFallback,
  fallbackSeconds,
  quantile,
} from '../../../shared/sim/day-figures';
import type { SimulationResult } from '../../../shared/sim/result';
import { createDefaultDayScenario } from '../../../shared/sim/scenarios/default-day';
import { createVpaDayScenario } from '../../../shared/sim/scenarios/vpa-day';

describe('quantile', () => {
  it('should take the nearest rank', () => {
    const values = [5, 1, 4, 2, 3];
    expect(quantile(values, 0.5)).toBe(3);
    expect(quantile(values, 0.99)).toBe(5);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('baselineScenario', () => {
  it('should remove every autoscaler’s own behavior and keep its metrics', () => {
    const day = createDefaultDayScenario();
    const withBehavior = day.services.filter((s) => s.autoscaler?.behavior);
    expect(withBehavior.length).toBeGreaterThan(0);
    const baseline = baselineScenario(day);
    for (const service of baseline.services) {
      expect(service.autoscaler?.behavior).toBeUndefined();
      const original = day.services.find((s) => s.name === service.name && s.namespace === service.namespace);
      expect(service.autoscaler?.metrics).toEqual(original?.autoscaler?.metrics);
    }
    expect(day.services.filter((s) => s.autoscaler?.behavior)).toHaveLength(withBehavior.length);
  });

  it('should give the VPA upstream’s OOM policy without the in-place raise', () => {
    const baseline = baselineScenario(createVpaDayScenario());
    expect(baseline.vpa?.settings).toMatchObject({ oomPolicy: 'upstream', update: { resizeInPlace: false } });
  });
});

describe('comparisonLines', () => {
  it('should align the columns and mark a safety rail that is not 0', () => {
    const lines = comparisonLines([
      {
        key: 'pendingPodSeconds',
        label: 'pod-seconds pending',
        unit: 'pod·s',
        tideplane: 1200,
        baseline: 4800,
        ratio: 0.25,
      },
      {
        key: 'podsLost',
        label: 'pods lost',
        unit: '',
        tideplane: 1,
        baseline: 0,
        ratio: undefined,
        mustBeZero: true,
      },
    ]);
    expect(lines[1]).toMatch(/^pod-seconds pending\s+1,200 pod·s\s+4,800 pod·s\s+0\.25$/);
    expect(lines[2]).toMatch(/must be 0 ✗$/);
    // The figures column ends where its header does.
    const end = (lines[0] ?? '').indexOf('tideplane') + 'tideplane'.length;
    expect((lines[1] ?? '').slice(0, end)).toMatch(/1,200 pod·s$/);
  });
});

describe('renderComparisonSection', () => {
  it('should show each figure of both runs with its ratio, the safety rails, and every baseline assumption', () => {
    const html = renderComparisonSection(
      [
        {
          key: 'pendingPodSeconds',
          label: 'pod-seconds pending',
          unit: 'pod·s',
          tideplane: 1200,
          baseline: 4800,
          ratio: 0.25,
        },
        {
          key: 'podsLost',
          label: 'pods lost',
          unit: '',
          tideplane: 0,
          baseline: 0,
          ratio: undefined,
          mustBeZero: true,
        },
      ],
      BASELINE_MODEL,
    );
    expect(html).toContain('<h2>tideplane vs upstream defaults</h2>');
    expect(html).toContain(
      '<td class="name">pod-seconds pending</td><td>1,200 pod·s</td><td>4,800 pod·s</td><td class="ok">0.25</td>',
    );
    expect(html).toContain('<td class="ok">both 0 ✓</td>');
    for (const assumption of BASELINE_MODEL)
      expect(html).toContain(`<td class="name">${assumption.component}</td>`);
    expect(html).not.toMatch(/<script/);
  });
});

describe('fallbackSeconds and failuresWithoutFallback', () => {
  const START = Date.UTC(2026, 5, 1, 0, 0, 0);
  const episode = (asgName: string, placedWithinMs?: number) => ({
    asgName,
    pool: 'p',
    failure: 'capacity',
    visibleAt: START + 60_000,
    detectedAt: START + 75_000,
    fallbackPods: placedWithinMs === undefined ? 0 : 3,
    fallbackPools: [],
    ...(placedWithinMs !== undefined ? { placedWithinMs } : {}),
  });
  const scaleUp = (asgName: string, rebalance: boolean) => ({
    time: START,
    kind: 'scale-up',
    pool: 'p',
    asgName,
    zone: 'a',
    from: 1,
    to: 2,
    pods: 2,
    result: 'applied',
    ...(rebalance ? { rebalance: true } : {}),
  });
  const result = {
    scenario: { end: START + 3_600_000 },
    nodePools: {
      decisions: [scaleUp('a', false), scaleUp('b', false), scaleUp('c', true)],
      fallbacks: [episode('a', 120_000), episode('b'), episode('c')],
    },
  } as unknown as SimulationResult;

  it('should take the longest wait of the failures whose pods went elsewhere, and count the others', () => {
    expect(fallbackSeconds(result)).toBe(120);
    // b's pods had nowhere else to go; c was a move back that failed (its pods already ran on fallback).
    expect(failuresWithoutFallback(result)).toBe(1);
  });
});
