/**
 * A short scenario through the driver with a simple test controller (not tideplane's HPA), rendered to
 * the HTML report.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../shared/sim/driver';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import type { Scenario, ScenarioService } from '../../../shared/sim/scenario';
import { doublingController } from './doubling-controller';

const START = Date.UTC(2025, 5, 3, 15, 0, 0);
const HOUR = 3_600_000;

function service(
  namespace: string,
  name: string,
  peakRps: number,
  kind: 'Deployment' | 'StatefulSet' = 'Deployment',
): ScenarioService {
  return {
    namespace,
    name,
    kind,
    replicas: 2,
    containers: [{ name, requests: { cpu: '500m', memory: '512Mi' } }],
    startupSeconds: 5,
    readinessSeconds: 10,
    load: { kind: 'european-day', peakRps, noise: 0.05 },
    cost: { cpuBaseMillis: 40, cpuMillisPerRps: 2, memoryBaseMi: 200, memoryMiPerRps: 0.2 },
    autoscaler: {
      minReplicas: 2,
      maxReplicas: 20,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  };
}

const scenario: Scenario = {
  name: 'evening-ramp',
  description: 'Four services from 17:00 to 21:00 CEST, with a controller that doubles and halves replicas.',
  clusterName: 'sim-e2e',
  seed: 11,
  start: START,
  utcOffsetMinutes: 120,
  durationMs: 4 * HOUR,
  tickIntervalMs: 15_000,
  sampleIntervalMs: 2 * 60_000,
  nodeGroups: [
    {
      name: 'workers',
      minSize: 1,
      maxSize: 20,
      desiredCapacity: 6,
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      instanceType: 'm5.2xlarge',
      capacityType: 'on-demand',
    },
  ],
  services: [
    service('shop', 'web', 1200),
    service('shop', 'cart', 500),
    service('catalog', 'search', 800),
    service('catalog', 'sessions', 300, 'StatefulSet'),
  ],
};

describe('simulator e2e: a short scenario with a test controller and its report', () => {
  it('should scale the services with the load and render one SVG chart per service and cluster series', async () => {
    let controller: ReturnType<typeof doublingController> | undefined;
    const result = await runSimulation(scenario, {
      controllers: (world) => {
        controller = doublingController(world.cluster, 30_000);
        return [controller];
      },
    });

    expect(result.controllers[0]).toMatchObject({ name: 'doubling', ticks: 480, errors: 0, skipped: 0 });
    expect(controller?.stats.rescales).toBe(result.rescales);
    expect(result.rescales).toBeGreaterThan(4);
    const web = result.services.find((s) => s.key === 'shop/web');
    expect(web?.maxReplicas).toBeGreaterThan(2);
    // One list per kind per tick: autoscalers, deployments, statefulsets, pods, pod metrics.
    expect(result.api.kubernetes.requests['list pods']).toBe(480);
    expect(result.api.kubernetes.requests['list apps/deployments']).toBe(480);
    expect(result.api.kubernetes.requests['list apps/statefulsets']).toBe(480);
    expect(result.series.times).toHaveLength(121);
    expect(result.pendingPodSeconds).toBe(0);

    const html = renderReport(result);
    writeFileSync(join(tmpdir(), 'tideplane-sim-e2e-report.html'), html);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // Self-contained: no script, no external resource (only in-document `url(#clip)` references).
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\((?!#)/i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(ids.length);

    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    const titles = reportChartTitles(result);
    expect(titles).toEqual([
      'Nodes',
      'Pending pods',
      'CPU requested vs allocatable (cores)',
      'shop/web',
      'shop/cart',
      'catalog/search',
      'catalog/sessions',
    ]);
    expect(svgs).toHaveLength(titles.length);
    for (const [i, title] of titles.entries()) {
      expect(svgs[i]).toContain(`>${title}</text>`);
    }
    for (const svg of svgs.slice(3)) {
      expect(svg).toContain('>requests/s</text>');
      expect(svg).toContain('>pods</text>');
    }
    expect(html).toContain('<h2>Requests per second vs pods</h2>');

    const summary = renderSummary(result);
    expect(summary).toMatch(/4 services, 480 ticks, \d+ rescales/);
    expect(summary).toMatch(/Kubernetes API requests 2,\d{3} \(5\.\d per tick\)/);
  });
});
