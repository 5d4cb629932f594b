import { describe, expect, it } from 'vitest';
import {
  annotationConfigFor,
  annotationErrorsFor,
  genericSettings,
  type MetricAnnotationProblem,
  metricConfigKey,
  parseGoDuration,
  parseMetricAnnotations,
} from '../../../../shared/adapters/metrics/annotations';
import type { CollectorMetricType } from '../../../../shared/adapters/metrics/collector';

describe('parseMetricAnnotations: well-formed', () => {
  it('gathers the keys of one metric into one collector configuration (upstream README example)', () => {
    const parsed = parseMetricAnnotations({
      'metric-config.pods.requests-per-second.json-path/json-key': '$.http_server.rps',
      'metric-config.pods.requests-per-second.json-path/path': '/metrics',
      'metric-config.pods.requests-per-second.json-path/port': '9090',
      'metric-config.pods.requests-per-second.json-path/interval': '60s',
      'metric-config.pods.requests-per-second.json-path/min-pod-ready-age': '30s',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    });
    expect(parsed.errors).toEqual([]);
    expect(annotationConfigFor(parsed, 'Pods', 'requests-per-second')).toEqual({
      type: 'Pods',
      metricName: 'requests-per-second',
      collector: 'json-path',
      config: {
        'json-key': '$.http_server.rps',
        path: '/metrics',
        port: '9090',
        interval: '60s',
        'min-pod-ready-age': '30s',
      },
      annotations: [
        'metric-config.pods.requests-per-second.json-path/interval',
        'metric-config.pods.requests-per-second.json-path/json-key',
        'metric-config.pods.requests-per-second.json-path/min-pod-ready-age',
        'metric-config.pods.requests-per-second.json-path/path',
        'metric-config.pods.requests-per-second.json-path/port',
      ],
    });
    expect(parsed.configs.size).toBe(1);
  });

  it('keeps metrics apart by type and name', () => {
    const parsed = parseMetricAnnotations({
      'metric-config.external.queue.prometheus/query': 'sum(queue)',
      'metric-config.object.queue.prometheus/query': 'max(queue)',
      'metric-config.object.queue.prometheus/per-replica': 'true',
      'metric-config.external.depth.influxdb/query': 'from(bucket: "a")',
      'metric-config.external.depth.influxdb/max-pod-sample-size': '5',
    });
    expect(parsed.errors).toEqual([]);
    expect([...parsed.configs.keys()].sort()).toEqual(['External/depth', 'External/queue', 'Object/queue']);
    expect(annotationConfigFor(parsed, 'External', 'queue')?.config).toEqual({ query: 'sum(queue)' });
    expect(annotationConfigFor(parsed, 'Object', 'queue')?.config).toEqual({
      query: 'max(queue)',
      'per-replica': 'true',
    });
    expect(annotationConfigFor(parsed, 'External', 'depth')?.collector).toBe('influxdb');
    expect(annotationConfigFor(parsed, 'Pods', 'queue')).toBeUndefined();
  });

  it('allows dots in the config key and any value, including multi-line queries', () => {
    const query = 'scalar(sum(rate(x{a="b.c"}[1m])))\n';
    const parsed = parseMetricAnnotations({
      'metric-config.external.q.zmon/tag.application': 'my-app',
      'metric-config.external.r.prometheus/query': query,
    });
    expect(parsed.errors).toEqual([]);
    expect(annotationConfigFor(parsed, 'External', 'q')?.config).toEqual({ 'tag.application': 'my-app' });
    expect(annotationConfigFor(parsed, 'External', 'r')?.config.query).toBe(query);
  });

  it('does not depend on the order of the map', () => {
    const entries: [string, string][] = [
      ['metric-config.external.a.prometheus/query', '1'],
      ['metric-config.external.a.influxdb/query', '2'],
      ['metric-config.external.b.sqs-queue-length/queue-name', 'q'],
    ];
    const forward = parseMetricAnnotations(Object.fromEntries(entries));
    const backward = parseMetricAnnotations(Object.fromEntries([...entries].reverse()));
    expect(backward.errors.map((e) => e.message)).toEqual(forward.errors.map((e) => e.message));
    expect([...backward.configs.entries()]).toEqual([...forward.configs.entries()]);
  });

  it('returns nothing for an autoscaler without metric-config annotations', () => {
    expect(parseMetricAnnotations({ app: 'x' })).toEqual({ configs: new Map(), errors: [] });
  });
});

describe('parseMetricAnnotations: malformed keys name the key and never throw', () => {
  const cases: {
    key: string;
    value?: string;
    code: MetricAnnotationProblem;
    message: RegExp;
    type?: CollectorMetricType;
    metricName?: string;
  }[] = [
    {
      key: 'metric-config.extrenal.queue.prometheus/query',
      code: 'unknown-metric-type',
      message: /unknown metric type "extrenal"/,
      metricName: 'queue',
    },
    {
      key: 'metric-config.resource.cpu.prometheus/query',
      code: 'unknown-metric-type',
      message: /expected metric-config\.<pods\|object\|external>/,
      metricName: 'cpu',
    },
    {
      key: 'metric-config.external.queue/query',
      code: 'missing-collector',
      message: /no collector type/,
      type: 'External',
      metricName: 'queue',
    },
    {
      key: 'metric-config.external.queue./query',
      code: 'missing-collector',
      message: /no collector type/,
      type: 'External',
      metricName: 'queue',
    },
    {
      key: 'metric-config.external.queue.prometheus',
      code: 'missing-key',
      message: /no config key/,
      type: 'External',
      metricName: 'queue',
    },
    {
      key: 'metric-config.external.queue.prometheus/',
      code: 'empty-key',
      message: /empty config key/,
      type: 'External',
      metricName: 'queue',
    },
    {
      key: 'metric-config.pods.rps.json-path/a/b',
      code: 'malformed-key',
      message: /more than one '\/'/,
      type: 'Pods',
      metricName: 'rps',
    },
    {
      key: 'metric-config.external.my.queue.prometheus/query',
      code: 'dotted-metric-name',
      message: /"my\.queue\.prometheus" has more than one '\.'/,
      type: 'External',
      metricName: 'my.queue',
    },
    {
      key: 'metric-config.external..prometheus/query',
      code: 'missing-metric-name',
      message: /no metric name/,
      type: 'External',
    },
    {
      key: 'metric-config.object/query',
      code: 'missing-metric-name',
      message: /no metric name/,
      type: 'Object',
    },
    { key: 'metric-config.', code: 'unknown-metric-type', message: /unknown metric type ""/ },
    {
      key: 'metric-config.external.queue.prometheus/interval',
      value: 'often',
      code: 'invalid-value',
      message: /invalid interval: "often" is not a duration/,
      type: 'External',
      metricName: 'queue',
    },
    {
      key: 'metric-config.pods.rps.json-path/min-pod-ready-age',
      value: '-5s',
      code: 'invalid-value',
      message: /must not be negative/,
      type: 'Pods',
      metricName: 'rps',
    },
    {
      key: 'metric-config.pods.rps.json-path/max-pod-sample-size',
      value: 'ten',
      code: 'invalid-value',
      message: /not a non-negative integer/,
      type: 'Pods',
      metricName: 'rps',
    },
  ];

  it.each(cases)('$key → $code', ({ key, value, code, message, type, metricName }) => {
    const parsed = parseMetricAnnotations({ [key]: value ?? 'x' });
    expect(parsed.configs.size).toBe(0);
    expect(parsed.errors).toHaveLength(1);
    const [error] = parsed.errors;
    expect(error?.annotation).toBe(key);
    expect(error?.code).toBe(code);
    expect(error?.message.startsWith(`${key}: `)).toBe(true);
    expect(error?.message).toMatch(message);
    expect(error?.type).toBe(type);
    expect(error?.metricName).toBe(metricName);
  });

  it('reports two collectors for one metric, naming both keys, and configures neither', () => {
    const parsed = parseMetricAnnotations({
      'metric-config.external.queue.prometheus/query': 'sum(x)',
      'metric-config.external.queue.influxdb/query': 'from(bucket: "x")',
      'metric-config.external.other.prometheus/query': 'sum(y)',
    });
    expect(parsed.errors).toHaveLength(1);
    const [error] = parsed.errors;
    expect(error?.code).toBe('conflicting-collectors');
    expect(error?.annotation).toBe('metric-config.external.queue.prometheus/query');
    expect(error?.message).toContain('also configured for collector "influxdb"');
    expect(error?.message).toContain('metric-config.external.queue.influxdb/query');
    expect(annotationConfigFor(parsed, 'External', 'queue')).toBeUndefined();
    expect(annotationConfigFor(parsed, 'External', 'other')?.config).toEqual({ query: 'sum(y)' });
  });

  it('attributes errors to the metrics they concern', () => {
    const parsed = parseMetricAnnotations({
      'metric-config.extrenal.queue.prometheus/query': 'a', // any type, metric "queue"
      'metric-config.object/query': 'b', // every Object metric
      'metric-config.pods.rps.json-path/': 'c', // Pods "rps" only
    });
    const codes = (type: CollectorMetricType, name: string) =>
      annotationErrorsFor(parsed, type, name).map((e) => e.code);
    expect(codes('External', 'queue')).toEqual(['unknown-metric-type']);
    expect(codes('Pods', 'queue')).toEqual(['unknown-metric-type']);
    expect(codes('Object', 'queue')).toEqual(['unknown-metric-type', 'missing-metric-name']);
    expect(codes('Object', 'anything')).toEqual(['missing-metric-name']);
    expect(codes('Pods', 'rps')).toEqual(['empty-key']);
    expect(codes('External', 'other')).toEqual([]);
  });

  it('keeps the well-formed keys of other metrics', () => {
    const parsed = parseMetricAnnotations({
      'metric-config.external.good.prometheus/query': 'sum(x)',
      'metric-config.external.bad.prometheus/': 'sum(y)',
      'metric-config.external.bad.prometheus/query': 'sum(y)',
    });
    expect(annotationConfigFor(parsed, 'External', 'good')?.config).toEqual({ query: 'sum(x)' });
    expect(annotationErrorsFor(parsed, 'External', 'bad')).toHaveLength(1);
    expect(metricConfigKey('External', 'good')).toBe('External/good');
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['2h45m', 9_900_000],
    ['10us', 0.01],
    ['10µs', 0.01],
    ['+5s', 5000],
    ['-5s', -5000],
    ['.5s', 500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '30', 's', '5 s', '1d', '5s5', 'often', '--5s'])('%j is not a duration', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('genericSettings', () => {
  it('reads the generic keys typed; per-replica counts when present, whatever its value (upstream)', () => {
    expect(
      genericSettings({
        'per-replica': 'false',
        interval: '30s',
        'min-pod-ready-age': '1m',
        'max-pod-sample-size': '7',
        query: 'x',
      }),
    ).toEqual({ perReplica: true, intervalMs: 30_000, minPodReadyAgeMs: 60_000, maxPodSampleSize: 7 });
    expect(genericSettings({ query: 'x' })).toEqual({ perReplica: false, maxPodSampleSize: 0 });
  });
});
