/**
 * One replica proposal per metric and their combination, as upstream's `computeReplicasForMetric(s)` and
 * the `computeStatusFor*Metric` functions of horizontal.go: which calculator a metric spec uses, the
 * status it reports (`currentMetrics`), the name used in the rescale reason, and the condition reason,
 * event and error text when it fails.
 *
 * Resource metrics come from metrics.k8s.io pod metrics; Pods, Object and External metrics come from
 * the loop's `MetricSource` queries (see `metricQueries` in evaluate.ts). A value that is NaN, infinite
 * or negative is refused as a failed metric even though the MetricSource contract forbids it.
 */
import type {
  LabelSelector,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  MetricValueStatus,
} from '../ports/autoscaling-v2';
import type { Pod, PodMetrics } from '../ports/kubernetes';
import type { MetricResult, PodMetricSample, ScalarSample } from '../ports/metric-source';
import { selectorFromLabelSelector } from '../units/label-selector';
import { formatMilliDecimalSI, parseMilli } from '../units/quantity';
import { CONDITION } from './conditions';
import type { PodGroups, PodSample, ReadinessSettings } from './pods';
import type { PodCalculation, Rebalance, Tolerances, ValueCalculation } from './replica-calculator';
import {
  externalValueReplicas,
  objectValueReplicas,
  perPodValueReplicas,
  plainMetricReplicas,
  ReplicaCalcError,
  resourceReplicas,
  sumSeries,
} from './replica-calculator';

/** What the loop fetched for one Pods, Object or External metric (by metric index). */
export type MetricQueryResult =
  | { kind: 'Pods'; result: MetricResult<PodMetricSample[]> }
  | { kind: 'Object'; result: MetricResult<ScalarSample> }
  | { kind: 'External'; result: MetricResult<ScalarSample[]> };

export interface MetricInputs {
  namespace: string;
  /** Pods the scale target's selector matches. */
  pods: readonly Pod[];
  /** metrics.k8s.io pod metrics of the namespace. */
  podMetrics: readonly PodMetrics[];
  podMetricsServed: boolean;
  /** Results of the Pods/Object/External queries, by metric index. */
  metricResults: Readonly<Record<number, MetricQueryResult | undefined>>;
  specReplicas: number;
  statusReplicas: number;
  tolerances: Tolerances;
  readiness: ReadinessSettings;
  now: number;
}

/** Per-metric intermediates for the explanation. */
export interface MetricExplanation {
  index: number;
  type: MetricSpec['type'];
  /** e.g. `cpu resource utilization (percentage of request)`, `pods metric qps`. */
  name: string;
  target: MetricTarget;
  pods?: {
    total: number;
    readyCount: number;
    ready: string[];
    unready: string[];
    missing: string[];
    ignored: string[];
  };
  /** Current value as status shows it. */
  current?: MetricValueStatus;
  usageRatio?: number;
  withinTolerance?: boolean;
  /** `ceil(usageRatio × ready pods)`, before missing/unready pods are folded in. */
  rawProposal?: number;
  rebalance?: Rebalance;
  /** Ready pods counted by Object/External Value targets. */
  readyPodCount?: number;
  /** Object/External Value at zero replicas: `ceil(usageRatio)`. */
  fromZero?: boolean;
  /** The metric's proposal. */
  proposal?: number;
  error?: { reason: string; message: string };
}

export type MetricOutcome =
  | { ok: true; replicas: number; metricName: string; status: MetricStatus; explanation: MetricExplanation }
  | {
      ok: false;
      /** ScalingActive=False reason (also the Warning event reason). */
      reason: string;
      /** The event message (and, prefixed, the condition message). */
      eventMessage: string;
      /** The error as computeReplicasForMetric returns it. */
      error: string;
      explanation: MetricExplanation;
    };

/** `%+v` of a `*metav1.LabelSelector` (the generated `String()`), as upstream messages print it. */
export function goLabelSelectorString(selector: LabelSelector | undefined): string {
  if (selector === undefined) return 'nil';
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((key) => `${key}: ${selector.matchLabels?.[key]},`)
    .join('');
  const expressions = (selector.matchExpressions ?? [])
    .map(
      (e) =>
        `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`,
    )
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

/** `resource.Quantity.MilliValue()` of a sample that is already in milli-units. */
function milliOf(value: number): number {
  return Math.ceil(value);
}

function invalidValue(value: number): boolean {
  return !Number.isFinite(value) || value < 0;
}

function describeGroups(groups: PodGroups, total: number): NonNullable<MetricExplanation['pods']> {
  return {
    total,
    readyCount: groups.readyPodCount,
    ready: groups.ready,
    unready: groups.unready,
    missing: groups.missing,
    ignored: groups.ignored,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * metrics.k8s.io samples of the selected pods for one resource (`GetResourceMetric`): per pod the sum
 * over containers (a pod with a container lacking the resource has no sample), or one container's value.
 * Pod metrics carry no labels in the port, so they are matched to the selected pods by name.
 */
function resourceSamples(
  inputs: MetricInputs,
  resource: string,
  container: string | undefined,
): { ok: true; samples: Map<string, PodSample> } | { ok: false; error: string } {
  if (!inputs.podMetricsServed) {
    return {
      ok: false,
      error:
        'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
    };
  }
  const selected = new Set(inputs.pods.map((pod) => pod.name));
  const items = inputs.podMetrics.filter((m) => m.namespace === inputs.namespace && selected.has(m.name));
  if (items.length === 0) return { ok: false, error: 'no metrics returned from resource metrics API' };
  const samples = new Map<string, PodSample>();
  for (const item of items) {
    const windowMs = item.windowSeconds * 1000;
    let value: number | undefined;
    try {
      if (container !== undefined) {
        const c = item.containers.find((x) => x.name === container);
        const usage = c?.usage[resource];
        if (usage !== undefined) value = parseMilli(usage);
      } else if (item.containers.length > 0) {
        let sum = 0;
        let missing = false;
        for (const c of item.containers) {
          const usage = c.usage[resource];
          if (usage === undefined) {
            missing = true;
            break;
          }
          sum += parseMilli(usage);
        }
        if (!missing) value = sum;
      }
    } catch (error) {
      return {
        ok: false,
        error: `invalid ${resource} usage in metrics of pod ${item.namespace}/${item.name}: ${errorText(error)}`,
      };
    }
    if (value !== undefined) samples.set(item.name, { value, timestamp: item.timestamp, windowMs });
  }
  return { ok: true, samples };
}

function resourceStatus(spec: MetricSpec, current: MetricValueStatus): MetricStatus {
  if (spec.type === 'ContainerResource' && spec.containerResource) {
    return {
      type: 'ContainerResource',
      containerResource: {
        name: spec.containerResource.name,
        container: spec.containerResource.container,
        current,
      },
    };
  }
  return { type: 'Resource', resource: { name: spec.resource?.name ?? '', current } };
}

/** Resource and ContainerResource (`computeStatusForResourceMetricGeneric`). */
function computeResourceMetric(index: number, spec: MetricSpec, inputs: MetricInputs): MetricOutcome {
  const isContainer = spec.type === 'ContainerResource';
  const source = isContainer ? spec.containerResource : spec.resource;
  const resource = source?.name ?? '';
  const container = isContainer ? spec.containerResource?.container : undefined;
  const target = source?.target ?? { type: 'Utilization' };
  const reason = isContainer ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
  const usesUtilization = target.averageValue === undefined;
  const explanation: MetricExplanation = {
    index,
    type: spec.type,
    name: usesUtilization
      ? `${resource} ${isContainer ? 'container resource' : 'resource'} utilization (percentage of request)`
      : `${resource} resource`,
    target,
  };
  const fail = (inner: string): MetricOutcome => {
    const eventMessage = usesUtilization
      ? `failed to get ${resource} utilization: ${inner}`
      : `failed to get ${resource} usage: ${inner}`;
    const error = isContainer
      ? `failed to get ${container} container metric value: ${eventMessage}`
      : `failed to get ${resource} resource metric value: ${eventMessage}`;
    explanation.error = { reason, message: eventMessage };
    return { ok: false, reason, eventMessage, error, explanation };
  };

  /** A proposal from either target type: the explanation and the status entry say what was measured. */
  const proposed = (calc: PodCalculation, current: MetricValueStatus): MetricOutcome => {
    Object.assign(explanation, {
      pods: describeGroups(calc.groups, inputs.pods.length),
      current,
      usageRatio: calc.usageRatio,
      withinTolerance: calc.withinTolerance,
      rawProposal: calc.rawProposal,
      proposal: calc.proposal,
    });
    if (calc.rebalance) explanation.rebalance = calc.rebalance;
    return {
      ok: true,
      replicas: calc.proposal,
      metricName: explanation.name,
      status: resourceStatus(spec, current),
      explanation,
    };
  };

  const fetched = resourceSamples(inputs, resource, container);
  if (!fetched.ok) return fail(`unable to get metrics for resource ${resource}: ${fetched.error}`);
  const common = {
    currentReplicas: inputs.specReplicas,
    tolerances: inputs.tolerances,
    pods: inputs.pods,
    metrics: fetched.samples,
    readiness: inputs.readiness,
    now: inputs.now,
  };
  try {
    if (!usesUtilization) {
      const calc = plainMetricReplicas({
        ...common,
        targetUsage: parseMilli(target.averageValue ?? '0'),
        resource,
      });
      return proposed(calc, { averageValue: formatMilliDecimalSI(calc.usage) });
    }
    if (target.averageUtilization === undefined) {
      return fail(
        'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
      );
    }
    const calc = resourceReplicas({
      ...common,
      targetUtilization: target.averageUtilization,
      resource,
      ...(container === undefined ? {} : { container }),
    });
    return proposed(calc, {
      averageUtilization: calc.utilization,
      averageValue: formatMilliDecimalSI(calc.rawUtilization),
    });
  } catch (error) {
    if (error instanceof ReplicaCalcError) return fail(error.message);
    throw error;
  }
}

function resultMismatch(expected: MetricQueryResult['kind'], got: MetricQueryResult | undefined): string {
  return got === undefined
    ? 'no result was supplied for this metric (the loop did not query it)'
    : `the supplied result is for a ${got.kind} metric, not a ${expected} metric`;
}

/** Pods metrics (`computeStatusForPodsMetric` + `GetMetricReplicas`). */
function computePodsMetric(index: number, spec: MetricSpec, inputs: MetricInputs): MetricOutcome {
  const source = spec.pods;
  const name = source?.metric.name ?? '';
  const target = source?.target ?? { type: 'AverageValue' };
  const explanation: MetricExplanation = { index, type: 'Pods', name: `pods metric ${name}`, target };
  const reason = 'FailedGetPodsMetric';
  const fail = (inner: string): MetricOutcome => {
    explanation.error = { reason, message: inner };
    return {
      ok: false,
      reason,
      eventMessage: inner,
      error: `failed to get pods metric value: ${inner}`,
      explanation,
    };
  };
  try {
    selectorFromLabelSelector(source?.metric.selector ?? {});
  } catch (error) {
    return fail(errorText(error));
  }
  const supplied = inputs.metricResults[index];
  if (supplied?.kind !== 'Pods') {
    return fail(
      `unable to get metric ${name}: unable to fetch metrics from custom metrics API: ${resultMismatch('Pods', supplied)}`,
    );
  }
  if (!supplied.result.ok) {
    return fail(
      `unable to get metric ${name}: unable to fetch metrics from custom metrics API: ${supplied.result.error.message}`,
    );
  }
  const items = supplied.result.value;
  if (items.length === 0)
    return fail(`unable to get metric ${name}: no metrics returned from custom metrics API`);
  const samples = new Map<string, PodSample>();
  for (const item of items) {
    if (invalidValue(item.milliValue)) {
      return fail(
        `unable to get metric ${name}: invalid value ${item.milliValue} (milli) for pod ${item.podName}: metric values must be finite and non-negative`,
      );
    }
    samples.set(item.podName, {
      value: milliOf(item.milliValue),
      timestamp: item.timestamp,
      windowMs: item.windowSeconds * 1000,
    });
  }
  try {
    const calc = plainMetricReplicas({
      currentReplicas: inputs.specReplicas,
      targetUsage: parseMilli(target.averageValue ?? '0'),
      tolerances: inputs.tolerances,
      pods: inputs.pods,
      metrics: samples,
      readiness: inputs.readiness,
      now: inputs.now,
    });
    const current = { averageValue: formatMilliDecimalSI(calc.usage) };
    Object.assign(explanation, {
      pods: describeGroups(calc.groups, inputs.pods.length),
      current,
      usageRatio: calc.usageRatio,
      withinTolerance: calc.withinTolerance,
      rawProposal: calc.rawProposal,
      proposal: calc.proposal,
    });
    if (calc.rebalance) explanation.rebalance = calc.rebalance;
    const metric =
      source?.metric.selector === undefined ? { name } : { name, selector: source.metric.selector };
    return {
      ok: true,
      replicas: calc.proposal,
      metricName: explanation.name,
      status: { type: 'Pods', pods: { metric, current } },
      explanation,
    };
  } catch (error) {
    if (error instanceof ReplicaCalcError) return fail(error.message);
    throw error;
  }
}

function describeValueCalc(
  explanation: MetricExplanation,
  calc: ValueCalculation,
  current: MetricValueStatus,
): void {
  explanation.current = current;
  explanation.usageRatio = calc.usageRatio;
  explanation.withinTolerance = calc.withinTolerance;
  if (calc.readyPodCount !== undefined) explanation.readyPodCount = calc.readyPodCount;
  if (calc.fromZero) explanation.fromZero = true;
  explanation.proposal = calc.proposal;
}

/** Object metrics (`computeStatusForObjectMetric`). */
function computeObjectMetric(index: number, spec: MetricSpec, inputs: MetricInputs): MetricOutcome {
  const source = spec.object;
  const name = source?.metric.name ?? '';
  const target = source?.target ?? { type: 'Value' };
  const described = source?.describedObject ?? { kind: '', name: '' };
  const isValue = target.type === 'Value' && target.value !== undefined;
  const isAverage = target.type === 'AverageValue' && target.averageValue !== undefined;
  const explanation: MetricExplanation = {
    index,
    type: 'Object',
    name: isAverage
      ? `external metric ${name}(${goLabelSelectorString(source?.metric.selector)})`
      : `${described.kind} metric ${name}`,
    target,
  };
  const reason = 'FailedGetObjectMetric';
  const fail = (inner: string, error: string): MetricOutcome => {
    explanation.error = { reason, message: inner };
    return {
      ok: false,
      reason,
      eventMessage: inner,
      error: `failed to get object metric value: ${error}`,
      explanation,
    };
  };
  try {
    selectorFromLabelSelector(source?.metric.selector ?? {});
  } catch (error) {
    return fail(errorText(error), errorText(error));
  }
  if (!isValue && !isAverage) {
    const msg = 'invalid object metric source: neither a value target nor an average value target was set';
    return fail(msg, msg);
  }
  // Upstream's wording, argument order included.
  const fetchError = (detail: string) =>
    `unable to get metric ${name}: ${described.kind} on ${inputs.namespace} ${described.name}/${detail}`;
  const wrap = (inner: string) => (isAverage ? `failed to get ${name} object metric: ${inner}` : inner);
  const supplied = inputs.metricResults[index];
  const failFetch = (detail: string): MetricOutcome => {
    const message = fetchError(detail);
    return fail(message, wrap(message));
  };
  if (supplied?.kind !== 'Object') {
    return failFetch(
      `unable to fetch metrics from custom metrics API: ${resultMismatch('Object', supplied)}`,
    );
  }
  if (!supplied.result.ok) {
    return failFetch(`unable to fetch metrics from custom metrics API: ${supplied.result.error.message}`);
  }
  if (invalidValue(supplied.result.value.milliValue)) {
    return failFetch(
      `invalid value ${supplied.result.value.milliValue} (milli): metric values must be finite and non-negative`,
    );
  }
  const usage = milliOf(supplied.result.value.milliValue);
  const metric =
    source?.metric.selector === undefined ? { name } : { name, selector: source.metric.selector };
  try {
    if (isValue) {
      const calc = objectValueReplicas({
        currentReplicas: inputs.specReplicas,
        usage,
        targetUsage: parseMilli(target.value ?? '0'),
        tolerances: inputs.tolerances,
        pods: inputs.pods,
      });
      const current = { value: formatMilliDecimalSI(calc.usage) };
      describeValueCalc(explanation, calc, current);
      return {
        ok: true,
        replicas: calc.proposal,
        metricName: explanation.name,
        status: { type: 'Object', object: { describedObject: described, metric, current } },
        explanation,
      };
    }
    const calc = perPodValueReplicas({
      statusReplicas: inputs.statusReplicas,
      total: usage,
      targetPerPod: parseMilli(target.averageValue ?? '0'),
      tolerances: inputs.tolerances,
    });
    const current = { averageValue: formatMilliDecimalSI(calc.usage) };
    describeValueCalc(explanation, calc, current);
    return {
      ok: true,
      replicas: calc.proposal,
      metricName: explanation.name,
      status: { type: 'Object', object: { describedObject: described, metric, current } },
      explanation,
    };
  } catch (error) {
    if (error instanceof ReplicaCalcError) return fail(error.message, wrap(error.message));
    throw error;
  }
}

/** External metrics (`computeStatusForExternalMetric`). */
function computeExternalMetric(index: number, spec: MetricSpec, inputs: MetricInputs): MetricOutcome {
  const source = spec.external;
  const name = source?.metric.name ?? '';
  const selector = source?.metric.selector;
  const target = source?.target ?? { type: 'Value' };
  const isAverage = target.averageValue !== undefined;
  const explanation: MetricExplanation = {
    index,
    type: 'External',
    name: `external metric ${name}(${goLabelSelectorString(selector)})`,
    target,
  };
  const reason = 'FailedGetExternalMetric';
  const fail = (inner: string): MetricOutcome => {
    explanation.error = { reason, message: inner };
    const error = isAverage
      ? `failed to get ${name} external metric value: failed to get ${name} external metric: ${inner}`
      : `failed to get ${name} external metric value: failed to get external metric ${name}: ${inner}`;
    return { ok: false, reason, eventMessage: inner, error, explanation };
  };
  if (target.averageValue === undefined && target.value === undefined) {
    const msg = 'invalid external metric source: neither a value target nor an average value target was set';
    explanation.error = { reason, message: msg };
    return {
      ok: false,
      reason,
      eventMessage: msg,
      error: `failed to get ${name} external metric value: ${msg}`,
      explanation,
    };
  }
  try {
    selectorFromLabelSelector(selector);
  } catch (error) {
    return fail(errorText(error));
  }
  const prefix = `unable to get external metric ${inputs.namespace}/${name}/${goLabelSelectorString(selector)}`;
  const supplied = inputs.metricResults[index];
  if (supplied?.kind !== 'External') return fail(`${prefix}: ${resultMismatch('External', supplied)}`);
  if (!supplied.result.ok) {
    return fail(
      `${prefix}: unable to fetch metrics from external metrics API: ${supplied.result.error.message}`,
    );
  }
  const series = supplied.result.value;
  if (series.length === 0) return fail(`${prefix}: no metrics returned from external metrics API`);
  const bad = series.find((s) => invalidValue(s.milliValue));
  if (bad) {
    return fail(
      `${prefix}: invalid value ${bad.milliValue} (milli): metric values must be finite and non-negative`,
    );
  }
  const values = series.map((s) => milliOf(s.milliValue));
  const metric = selector === undefined ? { name } : { name, selector };
  try {
    if (isAverage) {
      const calc = perPodValueReplicas({
        statusReplicas: inputs.statusReplicas,
        total: sumSeries(values),
        targetPerPod: parseMilli(target.averageValue ?? '0'),
        tolerances: inputs.tolerances,
      });
      const current = { averageValue: formatMilliDecimalSI(BigInt(Math.round(calc.usage))) };
      describeValueCalc(explanation, calc, current);
      return {
        ok: true,
        replicas: calc.proposal,
        metricName: explanation.name,
        status: { type: 'External', external: { metric, current } },
        explanation,
      };
    }
    const calc = externalValueReplicas({
      currentReplicas: inputs.specReplicas,
      values,
      targetUsage: parseMilli(target.value ?? '0'),
      tolerances: inputs.tolerances,
      pods: inputs.pods,
    });
    const current = { value: formatMilliDecimalSI(BigInt(Math.round(calc.usage))) };
    describeValueCalc(explanation, calc, current);
    return {
      ok: true,
      replicas: calc.proposal,
      metricName: explanation.name,
      status: { type: 'External', external: { metric, current } },
      explanation,
    };
  } catch (error) {
    if (error instanceof ReplicaCalcError) return fail(error.message);
    throw error;
  }
}

/** `computeReplicasForMetric`: one metric's proposal, status and failure. */
export function computeReplicasForMetric(
  index: number,
  spec: MetricSpec,
  inputs: MetricInputs,
): MetricOutcome {
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource':
      return computeResourceMetric(index, spec, inputs);
    case 'Pods':
      return computePodsMetric(index, spec, inputs);
    case 'Object':
      return computeObjectMetric(index, spec, inputs);
    case 'External':
      return computeExternalMetric(index, spec, inputs);
    default: {
      const error = `unknown metric source type "${String((spec as { type: unknown }).type)}"`;
      return {
        ok: false,
        reason: 'InvalidMetricSourceType',
        eventMessage: error,
        error,
        explanation: {
          index,
          type: spec.type,
          name: String(spec.type),
          target: { type: 'Value' },
          error: { reason: 'InvalidMetricSourceType', message: error },
        },
      };
    }
  }
}

export interface MetricsOutcome {
  /** The largest proposal of the valid metrics; -1 when the HPA must not act (see `failure`). */
  replicas: number;
  /** Name of the metric that gave `replicas`. */
  metricName: string;
  /** `currentMetrics`, index-aligned with the spec (a failed metric is `{ type }` only). */
  statuses: MetricStatus[];
  outcomes: MetricOutcome[];
  invalidCount: number;
  /** The ScalingActive condition to set. */
  scalingActive: { status: 'True' | 'False'; reason: string; message: string };
  /** `invalid metrics (n invalid out of m), first error is: …` when any metric failed. */
  error?: string;
  /** Warning events of the failed metrics, in order. */
  events: { reason: string; message: string }[];
}

/**
 * `computeReplicasForMetrics` after the selector checks: the maximum of the valid proposals. When every
 * metric failed, or some failed and the valid ones would scale below the current count, the result is -1
 * and ScalingActive carries the first failure.
 */
export function computeReplicasForMetrics(
  specs: readonly MetricSpec[],
  inputs: MetricInputs,
): MetricsOutcome {
  const outcomes = specs.map((spec, i) => computeReplicasForMetric(i, spec, inputs));
  let replicas = 0;
  let metricName = '';
  let invalidCount = 0;
  let first: Extract<MetricOutcome, { ok: false }> | undefined;
  const events: MetricsOutcome['events'] = [];
  const statuses: MetricStatus[] = [];
  outcomes.forEach((outcome, i) => {
    if (!outcome.ok) {
      events.push({ reason: outcome.reason, message: outcome.eventMessage });
      if (first === undefined) first = outcome;
      invalidCount++;
      // Upstream leaves a zero MetricStatus here; the port's type needs a source type.
      statuses.push({ type: specs[i]?.type ?? 'Resource' });
      return;
    }
    statuses.push(outcome.status);
    if (replicas === 0 || outcome.replicas > replicas) {
      replicas = outcome.replicas;
      metricName = outcome.metricName;
    }
  });
  const result: MetricsOutcome = {
    replicas,
    metricName,
    statuses,
    outcomes,
    invalidCount,
    scalingActive: {
      status: 'True',
      reason: CONDITION.validMetricFound.reason,
      message: CONDITION.validMetricFound.message(metricName),
    },
    events,
  };
  if (first !== undefined) {
    result.error = `invalid metrics (${invalidCount} invalid out of ${specs.length}), first error is: ${first.error}`;
  }
  if (invalidCount >= specs.length || (invalidCount > 0 && replicas < inputs.specReplicas)) {
    result.replicas = -1;
    result.metricName = '';
    const failed = first as Extract<MetricOutcome, { ok: false }>;
    result.scalingActive = {
      status: 'False',
      reason: failed.reason,
      message: CONDITION.unableToCompute(failed.eventMessage),
    };
  }
  return result;
}
