import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HPA_DEFAULTS } from '../../../shared/config/hpa-settings';
import { CONTROLLER_DEFAULTS, explainHpa, renderExplanation } from '../../../shared/hpa/explain';
import { formatRfc3339, parseRfc3339 } from '../../../shared/hpa/time';

const examplePath = fileURLToPath(new URL('../../../shared/hpa/examples/explain-cpu.json', import.meta.url));
const example = JSON.parse(readFileSync(examplePath, 'utf8')) as Record<string, unknown>;

describe('explainHpa on the example file', () => {
  it('given the CPU example, should rescale 4 → 5 with the unready pod folded in at 0', () => {
    const out = explainHpa(example);
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const { decision } = out.result;
    expect(decision.desiredReplicas).toBe(5);
    const metric = decision.explanation.metrics[0];
    expect(metric?.pods).toMatchObject({ readyCount: 3, unready: ['web-d'], missing: [], ignored: [] });
    expect(metric?.usageRatio).toBeCloseTo(1.6);
    expect(metric?.rebalance).toMatchObject({ unreadyPodsAsZero: true, newReplicas: 5 });
    // The previous AbleToScale condition was True: its transition time is kept.
    expect(decision.status.conditions?.[0]).toMatchObject({
      type: 'AbleToScale',
      lastTransitionTime: '2024-05-01T09:00:00Z',
    });
  });

  it('given the CPU example, should render every step as text', () => {
    const out = explainHpa(example);
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const text = renderExplanation(out.result);
    for (const line of [
      'HorizontalPodAutoscaler shop/web (generation 3) at 2024-05-01T12:00:00Z',
      'Decision: rescale 4 → 5: cpu resource utilization (percentage of request) above target',
      'pods: 4 selected; 3 ready (web-a, web-b, web-c), 1 unready (web-d)',
      'current: 80% of requests, 400m per pod',
      'rebalanced: missing pods left out; unready pods counted at 0 (scale-up); new usage ratio 1.200',
      'Stabilization: scale-down window 300s (no behavior)',
      'scale-up limit max(2 × current, 4) = 8',
      'Desired replicas: 5 (current 4; rescale: yes)',
      'Normal SuccessfulRescale: New size: 5; reason: cpu resource utilization (percentage of request) above target',
    ]) {
      expect(text).toContain(line);
    }
  });
});

describe('explainHpa inputs', () => {
  const now = '2024-05-01T12:00:00Z';

  it('given only a spec with a behavior and a Pods metric, should evaluate it in the default namespace', () => {
    const out = explainHpa({
      now,
      autoscaler: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
        maxReplicas: 20,
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: 10 } },
          },
        ],
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } },
      },
      scale: { specReplicas: 2, selector: 'app=api' },
      pods: [{ name: 'api-1' }, { name: 'api-2' }],
      metricValues: { 0: { pods: { 'api-1': 40, 'api-2': '30' } } },
      history: { scaleUpEvents: [{ timestamp: '2024-05-01T11:59:30Z', replicaChange: 1 }] },
    });
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    expect(out.result.input.autoscaler.namespace).toBe('default');
    expect(out.result.input.pods[0]?.labels).toEqual({ app: 'api' });
    // Proposal ceil(35/10 × 2) = 7, but +2 pods per 60 s from a period start of 1 allows 3.
    expect(out.result.decision.explanation.maxAcrossMetrics?.replicas).toBe(7);
    expect(out.result.decision.desiredReplicas).toBe(3);
    expect(renderExplanation(out.result)).toContain(
      'policy Pods 2 per 60s: 1 added and 0 removed in period, period start 1 → allows 3',
    );
  });

  it('given a failed metric query, should show the failure', () => {
    const out = explainHpa({
      now,
      autoscaler: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'w' },
        maxReplicas: 5,
        metrics: [
          { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '3' } } },
        ],
      },
      scale: { specReplicas: 2, selector: 'app=w' },
      metricValues: { 0: { error: 'prometheus unreachable' } },
    });
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    expect(out.result.decision.explanation.outcome).toBe('MetricsFailed');
    expect(renderExplanation(out.result)).toContain('FAILED (FailedGetExternalMetric)');
  });

  it('given a file with mistakes, should list them with JSON paths', () => {
    const out = explainHpa({
      autoscaler: { maxReplicas: 3 },
      pods: [{ name: 'p', requests: { cpu: 'lots' } }],
    });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems).toContainEqual(expect.objectContaining({ path: 'now' }));
    expect(out.problems).toContainEqual(
      expect.objectContaining({ path: 'pods[0].requests.cpu', message: expect.stringContaining('quantity') }),
    );
  });

  it('given values for a Resource metric index, should say they come from podMetrics', () => {
    const out = explainHpa({ ...example, metricValues: { 0: { value: '3' } } });
    expect(out.ok).toBe(false);
    if (!out.ok)
      expect(out.problems[0]).toMatchObject({
        path: 'metricValues.0',
        message: expect.stringContaining('podMetrics'),
      });
  });

  it('given an invalid spec, should still explain (InvalidSpec) rather than refuse the file', () => {
    const out = explainHpa({
      now,
      autoscaler: { maxReplicas: 0, scaleTargetRef: { kind: 'Deployment', name: 'x' } },
    });
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    expect(renderExplanation(out.result)).toContain(
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    );
  });
});

describe('explain defaults', () => {
  it('given the config defaults, should use the same controller defaults', () => {
    expect(CONTROLLER_DEFAULTS).toEqual({
      tolerance: HPA_DEFAULTS.tolerance,
      cpuInitializationPeriodSeconds: HPA_DEFAULTS.cpuInitializationPeriodSeconds,
      initialReadinessDelaySeconds: HPA_DEFAULTS.initialReadinessDelaySeconds,
      downscaleStabilizationSeconds: HPA_DEFAULTS.downscaleStabilizationSeconds,
    });
  });
});

describe('RFC 3339 time', () => {
  it.each([
    [0, '1970-01-01T00:00:00Z'],
    [1_714_564_800_999, '2024-05-01T12:00:00Z'],
    [951_782_400_000, '2000-02-29T00:00:00Z'],
    [-62_135_596_800_000, '0001-01-01T00:00:00Z'],
  ])('given %d ms, should format %s', (ms, text) => {
    expect(formatRfc3339(ms)).toBe(text);
  });

  it('given offsets and fractions, should parse to epoch ms; given nonsense, undefined', () => {
    expect(parseRfc3339('2024-05-01T14:00:00+02:00')).toBe(1_714_564_800_000);
    expect(parseRfc3339('2024-05-01T12:00:00.250Z')).toBe(1_714_564_800_250);
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('yesterday')).toBeUndefined();
  });
});
