/**
 * `tideplane explain`: run the HPA core on a JSON file that describes one autoscaler and the world it
 * sees, and print every step of the decision. The file format is documented in EXPLAIN.md; an example is
 * examples/explain-cpu.json.
 */
import { z } from 'zod';
import type { HorizontalPodAutoscalerStatus } from '../ports/autoscaling-v2';
import type { AutoscalerObject, Container, Pod, PodMetrics, Scale } from '../ports/kubernetes';
import { MetricError } from '../ports/metric-source';
import type { Selector } from '../units/label-selector';
import { parseSelector } from '../units/label-selector';
import { isQuantity, parseMilli } from '../units/quantity';
import type { HpaDecision, MetricQueryResults } from './evaluate';
import { evaluateAutoscaler, planAutoscaler } from './evaluate';
import type { HpaHistory } from './history';
import type { MetricQueryResult } from './metrics';
import { formatRfc3339, parseRfc3339 } from './time';

/**
 * kube-controller-manager's defaults for the settings the core uses (the same values as `HPA_DEFAULTS` in
 * shared/config/hpa-settings.ts, repeated because the core imports only types from config).
 */
export const CONTROLLER_DEFAULTS = {
  tolerance: 0.1,
  cpuInitializationPeriodSeconds: 300,
  initialReadinessDelaySeconds: 30,
  downscaleStabilizationSeconds: 300,
} as const;

const DEFAULT_NAMESPACE = 'default';
const DEFAULT_NAME = 'explain';
/** Pods without a start time started this long before `now` (well past CPU initialization). */
const DEFAULT_POD_AGE_MS = 3_600_000;
/** metrics-server's usual window. */
const DEFAULT_METRIC_WINDOW_SECONDS = 60;

const timestamp = z.union([
  z.number(),
  z.string().transform((text, ctx) => {
    const ms = parseRfc3339(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not an RFC 3339 timestamp` });
      return z.NEVER;
    }
    return ms;
  }),
]);

const quantity = z.union([
  z.number().transform((n) => String(n)),
  z.string().refine(isQuantity, { message: 'not a Kubernetes quantity (e.g. "250m", "1.5", "2Gi")' }),
]);
const resourceList = z.record(z.string(), quantity);

const containerShape = z.object({ name: z.string(), requests: resourceList.default({}) });

const podShape = z.object({
  name: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']).default('Running'),
  ready: z.boolean().default(true),
  readySince: timestamp.optional(),
  startTime: timestamp.optional(),
  deleting: z.boolean().default(false),
  requests: resourceList.optional(),
  containers: z.array(containerShape).optional(),
  sidecars: z.array(containerShape).optional(),
});

const podMetricsShape = z.object({
  pod: z.string().min(1),
  usage: resourceList.optional(),
  containers: z.array(z.object({ name: z.string(), usage: resourceList })).optional(),
  timestamp: timestamp.optional(),
  windowSeconds: z.number().positive().default(DEFAULT_METRIC_WINDOW_SECONDS),
});

const metricValueShape = z.union([
  z.object({ error: z.string() }),
  z.object({ pods: z.record(z.string(), quantity) }),
  z.object({ value: quantity }),
  z.object({ values: z.array(quantity) }),
]);

const historyShape = z.object({
  recommendations: z.array(z.object({ timestamp, replicas: z.number().int() })).default([]),
  scaleUpEvents: z
    .array(z.object({ timestamp, replicaChange: z.number().int(), outdated: z.boolean().default(false) }))
    .default([]),
  scaleDownEvents: z
    .array(z.object({ timestamp, replicaChange: z.number().int(), outdated: z.boolean().default(false) }))
    .default([]),
});

const autoscalerShape = z.object({
  apiVersion: z.string().default('autoscaling/v2'),
  kind: z.enum(['HorizontalPodAutoscaler', 'HorizontalAutoscaler']).default('HorizontalPodAutoscaler'),
  metadata: z
    .object({
      name: z.string().default(DEFAULT_NAME),
      namespace: z.string().default(DEFAULT_NAMESPACE),
      generation: z.number().int().default(1),
      uid: z.string().default(''),
      resourceVersion: z.string().default(''),
      labels: z.record(z.string(), z.string()).default({}),
      annotations: z.record(z.string(), z.string()).default({}),
    })
    .default({
      name: DEFAULT_NAME,
      namespace: DEFAULT_NAMESPACE,
      generation: 1,
      uid: '',
      resourceVersion: '',
      labels: {},
      annotations: {},
    }),
  spec: z.unknown(),
  status: z.record(z.string(), z.unknown()).optional(),
});

/** zod schema of an explain input file (see EXPLAIN.md). */
export const explainInputSchema = z.object({
  /** An HPA / HorizontalAutoscaler as `kubectl get -o json` shows it, or just its spec. */
  autoscaler: z.record(z.string(), z.unknown()),
  scale: z
    .object({
      specReplicas: z.number().int().min(0),
      statusReplicas: z.number().int().min(0).optional(),
      selector: z.string().default(''),
    })
    .optional(),
  pods: z.array(podShape).default([]),
  podMetrics: z.array(podMetricsShape).default([]),
  podMetricsServed: z.boolean().default(true),
  /** Values of Pods/Object/External metrics, by metric index ("0", "1", …). */
  metricValues: z.record(z.string().regex(/^\d+$/, 'keys are metric indexes'), metricValueShape).default({}),
  history: historyShape.optional(),
  now: timestamp,
  settings: z
    .object({
      tolerance: z.number().min(0).max(1).default(CONTROLLER_DEFAULTS.tolerance),
      cpuInitializationPeriodSeconds: z
        .number()
        .int()
        .min(0)
        .default(CONTROLLER_DEFAULTS.cpuInitializationPeriodSeconds),
      initialReadinessDelaySeconds: z
        .number()
        .int()
        .min(0)
        .default(CONTROLLER_DEFAULTS.initialReadinessDelaySeconds),
      downscaleStabilizationSeconds: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(CONTROLLER_DEFAULTS.downscaleStabilizationSeconds),
    })
    .default({
      tolerance: CONTROLLER_DEFAULTS.tolerance,
      cpuInitializationPeriodSeconds: CONTROLLER_DEFAULTS.cpuInitializationPeriodSeconds,
      initialReadinessDelaySeconds: CONTROLLER_DEFAULTS.initialReadinessDelaySeconds,
      downscaleStabilizationSeconds: CONTROLLER_DEFAULTS.downscaleStabilizationSeconds,
    }),
});

export type ExplainInput = z.input<typeof explainInputSchema>;

export interface ExplainProblem {
  /** JSON path in the input file, e.g. `pods[2].startTime`. */
  path: string;
  message: string;
}

export interface ExplainResult {
  decision: HpaDecision;
  /** What the file turned into (ports' shapes), for inspection. */
  input: {
    autoscaler: AutoscalerObject;
    scale: Scale | undefined;
    pods: Pod[];
    podMetrics: PodMetrics[];
    metricResults: MetricQueryResults;
    history: HpaHistory | undefined;
    now: number;
  };
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

/** Labels that satisfy a selector: one value per equality/set requirement, none for negative ones. */
function labelsSatisfying(selector: Selector | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const r of selector?.requirements ?? []) {
    if (r.operator === 'Equals' || r.operator === 'DoubleEquals' || r.operator === 'In')
      labels[r.key] = r.values[0] ?? '';
    else if (r.operator === 'Exists') labels[r.key] = '';
    else if (r.operator === 'GreaterThan') labels[r.key] = String(BigInt(r.values[0] ?? '0') + 1n);
    else if (r.operator === 'LessThan') labels[r.key] = String(BigInt(r.values[0] ?? '0') - 1n);
  }
  return labels;
}

/**
 * Validates an explain input file and runs the core on it.
 *
 * @example
 * const out = explainHpa(JSON.parse(readFileSync('shared/hpa/examples/explain-cpu.json', 'utf8')));
 * if (out.ok) console.log(renderExplanation(out.result));
 */
export function explainHpa(
  json: unknown,
): { ok: true; result: ExplainResult } | { ok: false; problems: ExplainProblem[] } {
  const parsed = explainInputSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message })),
    };
  }
  const file = parsed.data;
  const now = file.now;
  const problems: ExplainProblem[] = [];

  // The autoscaler: a whole object, or only its spec.
  const raw = file.autoscaler;
  const looksLikeSpec = !('spec' in raw) && ('scaleTargetRef' in raw || 'maxReplicas' in raw);
  const objectParse = autoscalerShape.safeParse(looksLikeSpec ? { spec: raw } : raw);
  if (!objectParse.success) {
    return {
      ok: false,
      problems: objectParse.error.issues.map((issue) => ({
        path: `autoscaler.${jsonPath(issue.path)}`,
        message: issue.message,
      })),
    };
  }
  const object = objectParse.data;
  const autoscaler: AutoscalerObject = {
    kind: object.kind,
    apiVersion: object.apiVersion,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    uid: object.metadata.uid,
    generation: object.metadata.generation,
    resourceVersion: object.metadata.resourceVersion,
    labels: object.metadata.labels,
    annotations: object.metadata.annotations,
    creationTimestamp: now,
    spec: object.spec,
    statusManagers: [],
  };
  if (object.status !== undefined)
    autoscaler.status = object.status as unknown as HorizontalPodAutoscalerStatus;

  const plan = planAutoscaler(autoscaler);
  let scale: Scale | undefined;
  let selector: Selector | undefined;
  if (file.scale) {
    scale = {
      target: plan.target ?? { namespace: autoscaler.namespace, apiVersion: 'v1', kind: '', name: '' },
      specReplicas: file.scale.specReplicas,
      statusReplicas: file.scale.statusReplicas ?? file.scale.specReplicas,
      selector: file.scale.selector,
      resourceVersion: '',
    };
    try {
      selector = file.scale.selector === '' ? undefined : parseSelector(file.scale.selector);
    } catch {
      selector = undefined; // the evaluation reports it
    }
  }

  const defaultLabels = labelsSatisfying(selector);
  const pods: Pod[] = file.pods.map((p) => {
    const startTime = p.startTime ?? now - DEFAULT_POD_AGE_MS;
    const containers: Container[] = p.containers
      ? p.containers.map((c) => ({ name: c.name, requests: c.requests, limits: {} }))
      : [{ name: 'app', requests: p.requests ?? {}, limits: {} }];
    const pod: Pod = {
      namespace: autoscaler.namespace,
      name: p.name,
      uid: p.name,
      labels: p.labels ?? defaultLabels,
      annotations: {},
      phase: p.phase,
      creationTimestamp: startTime,
      startTime,
      conditions: [
        { type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: p.readySince ?? startTime },
      ],
      containers,
      initContainers: (p.sidecars ?? []).map((c) => ({
        name: c.name,
        requests: c.requests,
        limits: {},
        restartPolicy: 'Always',
      })),
      ownerReferences: [],
    };
    if (p.deleting) pod.deletionTimestamp = now;
    return pod;
  });
  const podsByName = new Map(pods.map((pod) => [pod.name, pod]));

  const podMetrics: PodMetrics[] = file.podMetrics.map((m, i) => {
    let containers = m.containers;
    if (!containers) {
      const first = podsByName.get(m.pod)?.containers[0]?.name ?? 'app';
      containers = [{ name: first, usage: m.usage ?? {} }];
      if (!m.usage)
        problems.push({ path: `podMetrics[${i}]`, message: 'neither usage nor containers is set' });
    }
    return {
      namespace: autoscaler.namespace,
      name: m.pod,
      timestamp: m.timestamp ?? now,
      windowSeconds: m.windowSeconds,
      containers,
    };
  });

  const metricResults: Record<number, MetricQueryResult> = {};
  const specMetrics = plan.spec?.metrics ?? [];
  for (const [key, value] of Object.entries(file.metricValues)) {
    const index = Number(key);
    const metric = specMetrics[index];
    const path = `metricValues.${key}`;
    if (metric === undefined) {
      if (plan.spec) problems.push({ path, message: `the spec has no metric at index ${index}` });
      continue;
    }
    const failure = 'error' in value ? { ok: false as const, error: metricError(value.error) } : undefined;
    if (metric.type === 'Pods') {
      if (failure) metricResults[index] = { kind: 'Pods', result: failure };
      else if ('pods' in value) {
        metricResults[index] = {
          kind: 'Pods',
          result: {
            ok: true,
            value: Object.entries(value.pods).map(([podName, q]) => ({
              podName,
              milliValue: milli(q),
              timestamp: now,
              windowSeconds: DEFAULT_METRIC_WINDOW_SECONDS,
            })),
          },
        };
      } else problems.push({ path, message: 'a Pods metric takes { "pods": { "<pod>": "<quantity>" } }' });
    } else if (metric.type === 'Object') {
      if (failure) metricResults[index] = { kind: 'Object', result: failure };
      else if ('value' in value) {
        metricResults[index] = {
          kind: 'Object',
          result: { ok: true, value: { milliValue: milli(value.value), timestamp: now } },
        };
      } else problems.push({ path, message: 'an Object metric takes { "value": "<quantity>" }' });
    } else if (metric.type === 'External') {
      if (failure) metricResults[index] = { kind: 'External', result: failure };
      else if ('values' in value || 'value' in value) {
        const values = 'values' in value ? value.values : [value.value];
        metricResults[index] = {
          kind: 'External',
          result: { ok: true, value: values.map((q) => ({ milliValue: milli(q), timestamp: now })) },
        };
      } else problems.push({ path, message: 'an External metric takes { "values": ["<quantity>", …] }' });
    } else {
      problems.push({
        path,
        message: `metric ${index} is a ${metric.type} metric; its values come from podMetrics`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const history: HpaHistory | undefined = file.history;
  const decision = evaluateAutoscaler({
    autoscaler,
    scale,
    pods,
    podMetrics,
    podMetricsServed: file.podMetricsServed,
    metricResults,
    history,
    now,
    settings: file.settings,
  });
  return {
    ok: true,
    result: { decision, input: { autoscaler, scale, pods, podMetrics, metricResults, history, now } },
  };
}

/** Quantities were validated by the schema. */
function milli(q: string): number {
  return parseMilli(q);
}

function metricError(message: string): MetricError {
  return new MetricError('Unavailable', message);
}

// ---------------------------------------------------------------------------------------------------
// Plain-text rendering.

const percent = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`;
const fixed = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3));
const list = (names: readonly string[]): string => (names.length === 0 ? '' : ` (${names.join(', ')})`);

function targetText(target: {
  type: string;
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}): string {
  if (target.type === 'Utilization') return `${target.averageUtilization ?? '?'}% of requests (average)`;
  if (target.type === 'AverageValue') return `${target.averageValue ?? '?'} per pod (average)`;
  return `${target.value ?? '?'} (total)`;
}

function currentText(
  current: { value?: string; averageValue?: string; averageUtilization?: number } | undefined,
): string {
  if (!current) return 'unknown';
  const parts: string[] = [];
  if (current.averageUtilization !== undefined) parts.push(`${current.averageUtilization}% of requests`);
  if (current.averageValue !== undefined) parts.push(`${current.averageValue} per pod`);
  if (current.value !== undefined) parts.push(current.value);
  return parts.join(', ');
}

/**
 * Renders an explain result as plain text for a terminal.
 *
 * @example console.log(renderExplanation(result))
 */
export function renderExplanation(result: ExplainResult): string {
  const { decision } = result;
  const e = decision.explanation;
  const out: string[] = [];
  out.push(
    `${e.autoscaler.kind} ${e.autoscaler.namespace}/${e.autoscaler.name} (generation ${e.autoscaler.generation}) at ${e.now}`,
  );
  out.push(`Decision: ${decision.summary}`);
  out.push('');
  if (e.specProblems) {
    out.push('Spec problems:');
    for (const p of e.specProblems) out.push(`  ${p.path}: ${p.message}`);
  }
  if (e.spec) {
    const behavior = e.spec.behavior ? 'behavior set' : 'no behavior (controller defaults)';
    out.push(
      `Spec: minReplicas ${e.spec.minReplicas}, maxReplicas ${e.spec.maxReplicas}, ${e.spec.metricCount} metric(s), ${behavior}`,
    );
  }
  if (e.scale) {
    out.push(
      `Scale: spec.replicas ${e.scale.specReplicas}, status.replicas ${e.scale.statusReplicas}, selector ${e.scale.selector || '<none>'}` +
        (e.podsSelected !== undefined ? `, ${e.podsSelected} pod(s) selected` : ''),
    );
  }
  if (e.tolerances) {
    out.push(
      `Tolerances: scale down below ${percent(1 - e.tolerances.scaleDown)}, scale up above ${percent(1 + e.tolerances.scaleUp)} of target`,
    );
  }
  for (const note of e.notes) out.push(`Note: ${note}`);
  if (e.clamp) {
    out.push(
      `Replicas outside [${e.clamp.minReplicas}, ${e.clamp.maxReplicas}]: set to ${e.clamp.bound} without looking at metrics`,
    );
  }

  if (e.metrics.length > 0) {
    out.push('');
    out.push('Metrics:');
    for (const m of e.metrics) {
      out.push(`  [${m.index}] ${m.type}: ${m.name}; target ${targetText(m.target)}`);
      if (m.pods) {
        out.push(
          `      pods: ${m.pods.total} selected; ${m.pods.readyCount} ready${list(m.pods.ready)}, ` +
            `${m.pods.unready.length} unready${list(m.pods.unready)}, ${m.pods.missing.length} missing a metric${list(m.pods.missing)}, ` +
            `${m.pods.ignored.length} ignored (deleting/failed)${list(m.pods.ignored)}`,
        );
      }
      if (m.error) {
        out.push(`      FAILED (${m.error.reason}): ${m.error.message}`);
        continue;
      }
      out.push(`      current: ${currentText(m.current)}`);
      if (m.usageRatio !== undefined) {
        out.push(
          `      usage ratio: ${fixed(m.usageRatio)}${m.withinTolerance ? ' (within tolerance)' : ''}`,
        );
      }
      if (m.rawProposal !== undefined) out.push(`      proposal from ready pods: ${m.rawProposal}`);
      if (m.readyPodCount !== undefined) out.push(`      ready pods counted: ${m.readyPodCount}`);
      if (m.fromZero) out.push('      at zero replicas: proposal = ceil(usage ratio)');
      if (m.rebalance) {
        const r = m.rebalance;
        const missing =
          r.missingPodsAs === 'target'
            ? 'missing pods counted at the target (scale-down)'
            : r.missingPodsAs === 'zero'
              ? 'missing pods counted at 0 (scale-up)'
              : 'missing pods left out';
        const unready = r.unreadyPodsAsZero
          ? 'unready pods counted at 0 (scale-up)'
          : 'unready pods left out';
        out.push(`      rebalanced: ${missing}; ${unready}; new usage ratio ${fixed(r.newUsageRatio)}`);
        if (r.newReplicas !== undefined) out.push(`      rebalanced proposal: ${r.newReplicas}`);
        if (r.keptCurrent) {
          const why =
            r.keptCurrent === 'withinTolerance'
              ? 'the rebalanced ratio is within tolerance'
              : r.keptCurrent === 'directionChanged'
                ? 'rebalancing would reverse the direction'
                : 'the rebalanced count would move against the ratio';
          out.push(`      kept the current count: ${why}`);
        }
      }
      out.push(`      => ${m.proposal}`);
    }
  }
  if (e.metricsError) out.push(`Metric errors: ${e.metricsError}`);
  if (e.maxAcrossMetrics)
    out.push(`Max across metrics: ${e.maxAcrossMetrics.replicas} (${e.maxAcrossMetrics.metric})`);

  if (e.stabilization) {
    const s = e.stabilization;
    out.push('');
    const windows =
      s.mode === 'behavior'
        ? `scale-up window ${s.scaleUpWindowSeconds}s, scale-down window ${s.scaleDownWindowSeconds}s`
        : `scale-down window ${s.scaleDownWindowSeconds}s (no behavior)`;
    out.push(`Stabilization: ${windows}`);
    const recs = s.recommendations.map(
      (r) => `${r.replicas}@${formatRfc3339(r.timestamp)}[${r.usedFor.join('+')}]`,
    );
    out.push(`  recommendations considered: ${recs.length === 0 ? 'none' : recs.join(', ')}`);
    if (s.mode === 'behavior') {
      out.push(
        `  lowest in scale-up window ${s.upperLimitFromScaleUpWindow}, highest in scale-down window ${s.lowerLimitFromScaleDownWindow}`,
      );
    }
    out.push(`  ${s.input} => ${s.result} (${s.reason})`);
  }
  if (e.rateLimit) {
    const r = e.rateLimit;
    out.push(`Limits (${r.direction}):`);
    if (r.defaultScaleUpLimit !== undefined)
      out.push(`  scale-up limit max(2 × current, 4) = ${r.defaultScaleUpLimit}`);
    if (r.selectPolicy) out.push(`  selectPolicy ${r.selectPolicy}`);
    for (const p of r.policies ?? []) {
      out.push(
        `  policy ${p.type} ${p.value} per ${p.periodSeconds}s: ${p.replicasAddedInPeriod} added and ${p.replicasRemovedInPeriod} removed in period, ` +
          `period start ${p.periodStartReplicas} → allows ${p.allowed}`,
      );
    }
    if (r.policyLimit !== undefined) out.push(`  policy limit: ${r.policyLimit}`);
    out.push(`  min ${r.minReplicas}, max ${r.maxReplicas}: ${r.input} => ${r.result} (${r.reason})`);
  }

  out.push('');
  out.push(
    `Desired replicas: ${decision.desiredReplicas} (current ${decision.currentReplicas}; rescale: ${decision.rescale ? 'yes' : 'no'})`,
  );
  if (decision.rescaleReason) out.push(`Rescale reason: ${decision.rescaleReason}`);
  out.push('Conditions:');
  for (const c of decision.status.conditions ?? []) {
    out.push(`  ${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`);
  }
  if (decision.events.length > 0) {
    out.push('Events:');
    for (const ev of decision.events) out.push(`  ${ev.type} ${ev.reason}: ${ev.message}`);
  }
  return out.join('\n');
}
