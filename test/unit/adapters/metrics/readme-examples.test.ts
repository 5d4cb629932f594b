/**
 * The README's custom-metric examples, routed through the real MetricRouter: each must reach the
 * collector it claims to use, with the settings it shows. Keeps the documentation honest.
 */
import { describe, expect, it } from 'vitest';
import type { Collector, CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import { MetricRouter } from '../../../../shared/adapters/metrics/router';
import type { MetricSource } from '../../../../shared/ports/metric-source';

const NOW = Date.UTC(2026, 10, 25, 7, 0, 0);

function recordingCollector(name: string, seen: CollectorRequest[]): Collector {
  return {
    name,
    timeoutMs: 1_000,
    cacheKey: (request) => JSON.stringify(request.config) + request.metricName,
    collect: async (request) => {
      seen.push(request);
      return { ok: true, value: { kind: 'scalar', values: [{ milliValue: 1000, timestamp: request.now }] } };
    },
  };
}

const fallback: MetricSource = {
  getPodsMetric: async () => ({ ok: true, value: [] }),
  getObjectMetric: async () => ({ ok: true, value: { milliValue: 0, timestamp: NOW } }),
  getExternalMetric: async () => ({ ok: true, value: [] }),
};

function route(
  annotations: Record<string, string>,
  metric: { name: string; matchLabels?: Record<string, string> },
) {
  const seen: CollectorRequest[] = [];
  const names = [
    'sqs-queue-length',
    'prometheus',
    'cloudwatch',
    'influxdb',
    'scheduled-scaling',
    'json-path',
  ];
  const router = new MetricRouter({ collectors: names.map((n) => recordingCollector(n, seen)), fallback });
  router.beginTick({ now: NOW, pods: [] });
  return router
    .getExternalMetric({
      origin: { namespace: 'shop', name: 'web', annotations },
      namespace: 'shop',
      metricName: metric.name,
      ...(metric.matchLabels ? { metricSelector: { matchLabels: metric.matchLabels } } : {}),
    })
    .then((result) => ({ result, seen }));
}

describe('the README’s custom-metric examples', () => {
  it('SQS: the metric name and selector labels pick the SQS collector with queue and region', async () => {
    const { result, seen } = await route(
      {},
      { name: 'sqs-queue-length', matchLabels: { 'queue-name': 'orders', region: 'eu-central-1' } },
    );
    expect(result.ok).toBe(true);
    expect(seen).toEqual([
      expect.objectContaining({
        config: expect.objectContaining({ 'queue-name': 'orders', region: 'eu-central-1' }),
      }),
    ]);
  });

  it('Prometheus: the annotation’s query reaches the Prometheus collector', async () => {
    const query = 'scalar(sum(rate(event_service_events_count{application="event-service"}[1m])))\n';
    const { seen } = await route(
      { 'metric-config.external.processed-events-per-second.prometheus/query': query },
      { name: 'processed-events-per-second', matchLabels: { type: 'prometheus' } },
    );
    expect(seen.map((r) => r.config.query)).toEqual([query]);
  });

  it('CloudWatch: the annotations reach the CloudWatch collector', async () => {
    const { seen } = await route(
      {
        'metric-config.external.alb-requests.cloudwatch/region': 'eu-central-1',
        'metric-config.external.alb-requests.cloudwatch/namespace': 'AWS/ApplicationELB',
        'metric-config.external.alb-requests.cloudwatch/metric-name': 'RequestCountPerTarget',
        'metric-config.external.alb-requests.cloudwatch/dimension-TargetGroup':
          'targetgroup/web/0123456789abcdef',
        'metric-config.external.alb-requests.cloudwatch/statistic': 'Sum',
      },
      { name: 'alb-requests' },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.config).toMatchObject({
      namespace: 'AWS/ApplicationELB',
      'metric-name': 'RequestCountPerTarget',
    });
  });

  it('InfluxDB: the type label and the query reach the InfluxDB collector', async () => {
    const { seen } = await route(
      { 'metric-config.external.queue-depth.influxdb/query': 'from(bucket: "apps") |> last()' },
      { name: 'queue-depth', matchLabels: { type: 'influxdb' } },
    );
    expect(seen.map((r) => r.config.query)).toEqual(['from(bucket: "apps") |> last()']);
  });

  it('Scheduled scaling: the spec annotation reaches the scheduled-scaling collector', async () => {
    const { seen } = await route(
      { 'metric-config.external.morning.scheduled-scaling/spec': 'schedules: []' },
      { name: 'morning' },
    );
    expect(seen.map((r) => r.config.spec)).toEqual(['schedules: []']);
  });

  it('Requests per second of an Ingress: the Object metric reaches requests-per-second with its backend', async () => {
    const seen: CollectorRequest[] = [];
    const router = new MetricRouter({
      collectors: [recordingCollector('requests-per-second', seen), recordingCollector('prometheus', seen)],
      fallback,
    });
    router.beginTick({ now: NOW, pods: [] });
    const result = await router.getObjectMetric({
      origin: { namespace: 'shop', name: 'shop-green', annotations: {} },
      namespace: 'shop',
      describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' },
      metricName: 'requests-per-second',
      metricSelector: { matchLabels: { backend: 'shop-green' } },
    });
    expect(result.ok).toBe(true);
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'Object',
        describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' },
        config: { backend: 'shop-green' },
      }),
    ]);
  });
});
