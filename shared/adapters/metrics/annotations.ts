/**
 * kube-metrics-adapter's collector configuration on an autoscaler's annotations:
 *
 *   metric-config.<metricType>.<metricName>.<collectorType>/<configKey>: <value>
 *
 * read the way upstream's `pkg/annotations/parser.go` reads it: only keys that start with
 * `metric-config.`; the part before the `/` split on `.` into exactly four pieces (so neither a metric
 * name nor a collector name can contain a dot); the keys of one (type, metric) pair gathered into one
 * collector configuration. Upstream takes four keys out of the map into typed settings (`per-replica`,
 * `interval`, `min-pod-ready-age`, `max-pod-sample-size`); here they stay in `config` (collectors only
 * get `config`), validated, and `genericSettings` reads them typed.
 *
 * Where upstream silently skips or guesses (a key it cannot split, an unknown type read as `external`,
 * two collectors for one metric where whichever key the map yields first wins), this parser reports a
 * `MetricAnnotationError` naming the key, and never throws: the router turns the error into an invalid
 * metric with the key in its message, so a typo shows on the autoscaler's status instead of silently
 * routing the metric somewhere else.
 */
import type { CollectorMetricType } from './collector';

export const METRIC_CONFIG_PREFIX = 'metric-config.';

/** The config keys every collector accepts (upstream's `perReplicaMetricsConfKey` and friends). */
export const GENERIC_CONFIG_KEYS = {
  /** Present (any value) = the value is a total the collector divides by the target's replicas. */
  perReplica: 'per-replica',
  /** Upstream's collection interval, a Go duration (`30s`). */
  interval: 'interval',
  /** Pods collectors skip pods that have been Ready for less than this Go duration. */
  minPodReadyAge: 'min-pod-ready-age',
  /** Pods collectors ask at most this many pods (0 or absent: all). */
  maxPodSampleSize: 'max-pod-sample-size',
} as const;

const METRIC_TYPES: Readonly<Record<string, CollectorMetricType>> = {
  pods: 'Pods',
  object: 'Object',
  external: 'External',
};

export type MetricAnnotationProblem =
  | 'unknown-metric-type'
  | 'missing-metric-name'
  | 'dotted-metric-name'
  | 'missing-collector'
  | 'missing-key'
  | 'empty-key'
  | 'malformed-key'
  | 'conflicting-collectors'
  | 'invalid-value';

/**
 * One malformed annotation. `type` and `metricName` say which metric it belongs to, as far as the key
 * tells: both unset for a key that names no metric (it then concerns every custom metric of the
 * autoscaler), `type` unset for an unknown metric type (it concerns every metric of that name).
 */
export class MetricAnnotationError extends Error {
  override readonly name = 'MetricAnnotationError';
  constructor(
    readonly annotation: string,
    readonly code: MetricAnnotationProblem,
    readonly problem: string,
    readonly type?: CollectorMetricType,
    readonly metricName?: string,
  ) {
    super(`${annotation}: ${problem}`);
  }

  /** Whether this error concerns the metric (type, name). */
  concerns(type: CollectorMetricType, metricName: string): boolean {
    return (
      (this.type === undefined || this.type === type) &&
      (this.metricName === undefined || this.metricName === metricName)
    );
  }
}

/** The collector configuration of one (type, metric name) pair. */
export interface MetricAnnotationConfig {
  type: CollectorMetricType;
  metricName: string;
  /** The `<collectorType>` part, as written. */
  collector: string;
  /** `<configKey>` → value, including the generic keys. */
  config: Record<string, string>;
  /** The annotation keys it came from, sorted. */
  annotations: string[];
}

export interface ParsedMetricAnnotations {
  /** By `metricConfigKey(type, name)`. Only well-formed keys contribute. */
  configs: ReadonlyMap<string, MetricAnnotationConfig>;
  /** Sorted by annotation key. */
  errors: readonly MetricAnnotationError[];
}

export const metricConfigKey = (type: CollectorMetricType, metricName: string): string =>
  `${type}/${metricName}`;

const FORMAT = 'expected metric-config.<pods|object|external>.<metric>.<collector>/<key>';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * A Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) in milliseconds; undefined when
 * the text is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  let at = 0;
  while (at < rest.length) {
    DURATION_PART.lastIndex = at;
    const match = DURATION_PART.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    at = DURATION_PART.lastIndex;
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

/** A problem with the value of a generic key, or undefined. */
function genericValueProblem(key: string, value: string): string | undefined {
  switch (key) {
    case GENERIC_CONFIG_KEYS.interval:
    case GENERIC_CONFIG_KEYS.minPodReadyAge: {
      const ms = parseGoDuration(value.trim());
      if (ms === undefined) return `"${value}" is not a duration (like 30s, 1m30s)`;
      if (ms < 0) return `"${value}" must not be negative`;
      return undefined;
    }
    case GENERIC_CONFIG_KEYS.maxPodSampleSize:
      return /^\+?\d+$/.test(value.trim()) ? undefined : `"${value}" is not a non-negative integer`;
    default:
      return undefined;
  }
}

export interface GenericSettings {
  perReplica: boolean;
  intervalMs?: number;
  minPodReadyAgeMs?: number;
  /** 0 when absent: ask every pod. */
  maxPodSampleSize: number;
}

/** The generic keys of a collector's `config`, typed (values the parser accepted). */
export function genericSettings(config: Readonly<Record<string, string>>): GenericSettings {
  const duration = (key: string): number | undefined => {
    const value = config[key];
    if (value === undefined) return undefined;
    const ms = parseGoDuration(value.trim());
    return ms !== undefined && ms >= 0 ? ms : undefined;
  };
  const settings: GenericSettings = {
    perReplica: Object.hasOwn(config, GENERIC_CONFIG_KEYS.perReplica),
    maxPodSampleSize: Number.parseInt(config[GENERIC_CONFIG_KEYS.maxPodSampleSize] ?? '0', 10) || 0,
  };
  const interval = duration(GENERIC_CONFIG_KEYS.interval);
  if (interval !== undefined) settings.intervalMs = interval;
  const minPodReadyAge = duration(GENERIC_CONFIG_KEYS.minPodReadyAge);
  if (minPodReadyAge !== undefined) settings.minPodReadyAgeMs = minPodReadyAge;
  return settings;
}

interface Group {
  type: CollectorMetricType;
  metricName: string;
  /** collector → its keys and values, in key order. */
  byCollector: Map<string, { key: string; configKey: string; value: string }[]>;
}

/**
 * Parses every `metric-config.*` annotation. Keys are read in sorted order, so the result does not
 * depend on the order of the map.
 *
 * @example
 *   parseMetricAnnotations({ 'metric-config.external.queue.prometheus/query': 'sum(up)' })
 *   // configs: External/queue → { collector: 'prometheus', config: { query: 'sum(up)' } }, errors: []
 */
export function parseMetricAnnotations(
  annotations: Readonly<Record<string, string>>,
): ParsedMetricAnnotations {
  const errors: MetricAnnotationError[] = [];
  const groups = new Map<string, Group>();
  const keys = Object.keys(annotations)
    .filter((key) => key.startsWith(METRIC_CONFIG_PREFIX))
    .sort();

  for (const key of keys) {
    const value = annotations[key] ?? '';
    const slash = key.indexOf('/');
    const path = slash === -1 ? key : key.slice(0, slash);
    const configKey = slash === -1 ? undefined : key.slice(slash + 1);
    const segments = path.slice(METRIC_CONFIG_PREFIX.length).split('.');
    const typeText = segments[0] ?? '';
    const metricName =
      segments.length >= 3
        ? segments.slice(1, -1).join('.')
        : segments.length === 2
          ? segments[1]
          : undefined;
    const collector = segments.length >= 3 ? (segments.at(-1) ?? '') : '';
    const type = Object.hasOwn(METRIC_TYPES, typeText) ? METRIC_TYPES[typeText] : undefined;
    const fail = (code: MetricAnnotationProblem, problem: string): void => {
      errors.push(new MetricAnnotationError(key, code, problem, type, metricName || undefined));
    };

    if (type === undefined) {
      errors.push(
        new MetricAnnotationError(
          key,
          'unknown-metric-type',
          `unknown metric type "${typeText}": ${FORMAT}`,
          undefined,
          metricName || undefined,
        ),
      );
      continue;
    }
    if (!metricName) {
      fail('missing-metric-name', `no metric name: ${FORMAT}`);
      continue;
    }
    if (segments.length > 3) {
      fail(
        'dotted-metric-name',
        `cannot tell the metric name from the collector: "${segments.slice(1).join('.')}" has more than one '.' ` +
          `(metric and collector names cannot contain '.'; ${FORMAT})`,
      );
      continue;
    }
    if (!collector) {
      fail('missing-collector', `no collector type after the metric name: ${FORMAT}`);
      continue;
    }
    if (configKey === undefined) {
      fail('missing-key', `no config key: ${FORMAT}`);
      continue;
    }
    if (configKey === '') {
      fail('empty-key', `empty config key after '/': ${FORMAT}`);
      continue;
    }
    if (configKey.includes('/')) {
      fail('malformed-key', `more than one '/': ${FORMAT}`);
      continue;
    }
    const valueProblem = genericValueProblem(configKey, value);
    if (valueProblem) {
      fail('invalid-value', `invalid ${configKey}: ${valueProblem}`);
      continue;
    }

    const groupKey = metricConfigKey(type, metricName);
    let group = groups.get(groupKey);
    if (!group) {
      group = { type, metricName, byCollector: new Map() };
      groups.set(groupKey, group);
    }
    const entries = group.byCollector.get(collector) ?? [];
    entries.push({ key, configKey, value });
    group.byCollector.set(collector, entries);
  }

  const configs = new Map<string, MetricAnnotationConfig>();
  for (const [groupKey, group] of groups) {
    const collectors = [...group.byCollector.keys()].sort();
    const [first, ...others] = collectors;
    if (first === undefined) continue;
    if (others.length > 0) {
      const firstKey = group.byCollector.get(first)?.[0]?.key ?? '';
      for (const other of others) {
        const otherKey = group.byCollector.get(other)?.[0]?.key ?? '';
        errors.push(
          new MetricAnnotationError(
            otherKey,
            'conflicting-collectors',
            `${group.type} metric "${group.metricName}" is also configured for collector "${first}" ` +
              `(${firstKey}); one metric takes one collector`,
            group.type,
            group.metricName,
          ),
        );
      }
      continue;
    }
    const entries = group.byCollector.get(first) ?? [];
    configs.set(groupKey, {
      type: group.type,
      metricName: group.metricName,
      collector: first,
      config: Object.fromEntries(entries.map((entry) => [entry.configKey, entry.value])),
      annotations: entries.map((entry) => entry.key),
    });
  }

  errors.sort((a, b) => (a.annotation < b.annotation ? -1 : a.annotation > b.annotation ? 1 : 0));
  return { configs, errors };
}

/** The configuration for one metric, if its annotations name one. */
export function annotationConfigFor(
  parsed: ParsedMetricAnnotations,
  type: CollectorMetricType,
  metricName: string,
): MetricAnnotationConfig | undefined {
  return parsed.configs.get(metricConfigKey(type, metricName));
}

/** The errors that concern one metric (see `MetricAnnotationError.concerns`). */
export function annotationErrorsFor(
  parsed: ParsedMetricAnnotations,
  type: CollectorMetricType,
  metricName: string,
): MetricAnnotationError[] {
  return parsed.errors.filter((error) => error.concerns(type, metricName));
}
