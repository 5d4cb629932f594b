/**
 * One HPA sync, as upstream's `reconcileAutoscaler` (pkg/controller/podautoscaler/horizontal.go), split
 * into what a loop needs:
 *
 * 1. `planAutoscaler(autoscaler)` → the parsed spec and the scale target to read;
 * 2. `metricQueries(autoscaler, scale)` → the Pods/Object/External queries to run (none when the sync
 *    will not look at metrics);
 * 3. `evaluateAutoscaler(input)` → the decision: replicas, status, events, next history, explanation;
 * 4. after the scale update: on success write `decision.status`, emit `decision.events`, store
 *    `decision.nextHistoryAfterRescale`; on failure use `rescaleFailed(decision, error)` and store
 *    `decision.nextHistory`. Without a rescale: write `decision.status` (when `statusChanged`), emit the
 *    events and store `decision.nextHistory`.
 */
import type { HorizontalPodAutoscalerStatus, MetricStatus } from '../ports/autoscaling-v2';
import type { AutoscalerObject, Pod, PodMetrics, Scale, ScaleTargetKey } from '../ports/kubernetes';
import { resolveScaleTarget } from '../ports/kubernetes';
import type { ExternalMetricQuery, ObjectMetricQuery, PodsMetricQuery } from '../ports/metric-source';
import type { Selector } from '../units/label-selector';
import {
  LabelSelectorError,
  parseSelector,
  selectorFromLabelSelector,
  selectorMatches,
} from '../units/label-selector';
import { parseQuantityNumber } from '../units/quantity';
import { CONDITION, setCondition } from './conditions';
import type { HpaCoreSettings, HpaExplanation } from './explanation';
import type { HpaHistory } from './history';
import { initHistory, pruneRecommendations, recordRescale } from './history';
import { jsonEqual } from './json-equal';
import type { MetricQueryResult } from './metrics';
import { computeReplicasForMetrics } from './metrics';
import { normalizeDesiredReplicas } from './normalize';
import { selectPods } from './pods';
import type { Tolerances } from './replica-calculator';
import type { DefaultedHpaSpec, SpecProblem } from './spec';
import { formatSpecProblems, parseHpaSpec } from './spec';
import { formatRfc3339 } from './time';

export type { HpaCoreSettings } from './explanation';
export type { HpaHistory } from './history';
export { emptyHistory, hpaHistorySchema, recordRescale } from './history';
export type { MetricQueryResult } from './metrics';

/** Query results of one autoscaler, by metric index. */
export type MetricQueryResults = Readonly<Record<number, MetricQueryResult | undefined>>;

export interface AutoscalerPlan {
  /** The defaulted spec; undefined when it failed validation. */
  spec?: DefaultedHpaSpec;
  problems: SpecProblem[];
  /** The target whose `/scale` the loop reads; undefined when the spec is invalid. */
  target?: ScaleTargetKey;
  /** Whether a metric reads metrics.k8s.io (Resource or ContainerResource), so pod metrics are needed. */
  needsPodMetrics: boolean;
}

/** Parses the autoscaler's spec and names its scale target. */
export function planAutoscaler(autoscaler: AutoscalerObject): AutoscalerPlan {
  const parsed = parseHpaSpec(autoscaler.spec);
  if (!parsed.ok) return { problems: parsed.problems, needsPodMetrics: false };
  return {
    spec: parsed.spec,
    problems: [],
    target: resolveScaleTarget(autoscaler.namespace, parsed.spec.scaleTargetRef),
    needsPodMetrics: parsed.spec.metrics.some((m) => m.type === 'Resource' || m.type === 'ContainerResource'),
  };
}

export type MetricQuery =
  | { metricIndex: number; kind: 'Pods'; query: PodsMetricQuery }
  | { metricIndex: number; kind: 'Object'; query: ObjectMetricQuery }
  | { metricIndex: number; kind: 'External'; query: ExternalMetricQuery };

function validMetricSelector(selector: Parameters<typeof selectorFromLabelSelector>[0]): boolean {
  try {
    selectorFromLabelSelector(selector ?? {});
    return true;
  } catch {
    return false;
  }
}

/**
 * The metric queries this sync needs, given the scale read from the target. Empty when the sync will
 * not compute metrics: invalid spec, no scale, scaling disabled, replicas outside min/max, or a missing
 * or invalid scale selector. Metrics whose own selector is invalid are left out (the evaluation reports
 * them).
 */
export function metricQueries(autoscaler: AutoscalerObject, scale: Scale | undefined): MetricQuery[] {
  const parsed = parseHpaSpec(autoscaler.spec);
  if (!parsed.ok || scale === undefined) return [];
  const spec = parsed.spec;
  const current = scale.specReplicas;
  if ((current === 0 && spec.minReplicas !== 0) || current > spec.maxReplicas || current < spec.minReplicas) {
    return [];
  }
  if (scale.selector === '') return [];
  try {
    parseSelector(scale.selector);
  } catch {
    return [];
  }
  const namespace = autoscaler.namespace;
  const origin = { namespace, name: autoscaler.name, annotations: autoscaler.annotations };
  const queries: MetricQuery[] = [];
  spec.metrics.forEach((metric, metricIndex) => {
    if (metric.type === 'Pods' && metric.pods && validMetricSelector(metric.pods.metric.selector)) {
      const query: PodsMetricQuery = {
        origin,
        namespace,
        metricName: metric.pods.metric.name,
        podSelector: scale.selector,
      };
      if (metric.pods.metric.selector) query.metricSelector = metric.pods.metric.selector;
      queries.push({ metricIndex, kind: 'Pods', query });
    } else if (
      metric.type === 'Object' &&
      metric.object &&
      validMetricSelector(metric.object.metric.selector)
    ) {
      const query: ObjectMetricQuery = {
        origin,
        namespace,
        describedObject: metric.object.describedObject,
        metricName: metric.object.metric.name,
      };
      if (metric.object.metric.selector) query.metricSelector = metric.object.metric.selector;
      queries.push({ metricIndex, kind: 'Object', query });
    } else if (
      metric.type === 'External' &&
      metric.external &&
      validMetricSelector(metric.external.metric.selector)
    ) {
      const query: ExternalMetricQuery = { origin, namespace, metricName: metric.external.metric.name };
      if (metric.external.metric.selector) query.metricSelector = metric.external.metric.selector;
      queries.push({ metricIndex, kind: 'External', query });
    }
  });
  return queries;
}

export interface HpaEvaluationInput {
  autoscaler: AutoscalerObject;
  /** The target's scale; undefined when the target does not exist. */
  scale: Scale | undefined;
  /** Why the scale could not be read, when it was another error than "not found". */
  scaleError?: string;
  /** Pods of the autoscaler's namespace (others are ignored); the core filters with the scale's selector. */
  pods: readonly Pod[];
  /** metrics.k8s.io pod metrics of the namespace. */
  podMetrics: readonly PodMetrics[];
  /** False when metrics.k8s.io is not served (Resource metrics then fail as upstream's do). */
  podMetricsServed: boolean;
  /** Results of `metricQueries`, by metric index. */
  metricResults: MetricQueryResults;
  /** The stored history; undefined the first time the autoscaler is seen. */
  history: HpaHistory | undefined;
  /** Epoch ms. */
  now: number;
  settings: HpaCoreSettings;
  /**
   * Optional: the other autoscalers of the namespace with their targets' selectors. When given, pods
   * selected by more than one autoscaler stop this one with `AmbiguousSelector`, as upstream does.
   */
  otherAutoscalers?: readonly { name: string; selector: string }[];
}

export interface HpaEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface HpaDecision {
  /** The target's spec.replicas (or the last status' currentReplicas when there is no scale). */
  currentReplicas: number;
  /** The replica count to set (equal to currentReplicas when not rescaling). */
  desiredReplicas: number;
  rescale: boolean;
  /** Upstream's rescale reason, e.g. `cpu resource utilization (percentage of request) above target`. */
  rescaleReason?: string;
  /** The status to write: assumes the rescale (if any) succeeded. */
  status: HorizontalPodAutoscalerStatus;
  /** Whether `status` differs from the autoscaler's current status (upstream skips equal writes). */
  statusChanged: boolean;
  /** Events to record: assume the rescale (if any) succeeded. */
  events: HpaEvent[];
  /**
   * History to store when there is no rescale, or when the rescale failed. Undefined only when there
   * was none before and the sync never reached the scale (nothing to store).
   */
  nextHistory: HpaHistory | undefined;
  /** History to store after a successful rescale (the scale event recorded). Set when `rescale`. */
  nextHistoryAfterRescale?: HpaHistory;
  /** Used by `rescaleFailed`: the status as it is when the update fails. */
  statusIfRescaleFails?: HorizontalPodAutoscalerStatus;
  /** Epoch ms of the evaluation. */
  evaluatedAt: number;
  /** One line for logs and CLI output, e.g. `rescale 3 → 5: cpu resource utilization … above target`. */
  summary: string;
  explanation: HpaExplanation;
}

function summarize(decision: Omit<HpaDecision, 'summary'>): string {
  const e = decision.explanation;
  if (decision.rescale) {
    return `rescale ${decision.currentReplicas} → ${decision.desiredReplicas}: ${decision.rescaleReason ?? ''}`;
  }
  switch (e.outcome) {
    case 'InvalidSpec':
      return `invalid spec: ${formatSpecProblems(e.specProblems ?? [])}`;
    case 'FailedGetScale':
    case 'InvalidSelector':
      return `${e.outcome}: ${e.notes.join('; ')}`;
    case 'ScalingDisabled':
      return 'scaling disabled: the target runs 0 replicas';
    case 'MetricsFailed':
      return `no change at ${decision.currentReplicas}: ${e.metricsError ?? 'metrics failed'}`;
    default: {
      const limit = e.rateLimit?.limited ? ` (${e.rateLimit.reason})` : '';
      const stabilized =
        e.stabilization && e.stabilization.result !== e.stabilization.input
          ? ` (${e.stabilization.reason})`
          : '';
      const proposal = e.maxAcrossMetrics ? `metrics propose ${e.maxAcrossMetrics.replicas}` : 'no proposal';
      return `no change at ${decision.currentReplicas}: ${proposal}${stabilized}${limit}`;
    }
  }
}

/** The tolerances of one HPA (`tolerancesForHpa`): the setting, overridden per direction by behavior. */
export function tolerancesFor(spec: DefaultedHpaSpec, tolerance: number): Tolerances {
  const tolerances = { scaleDown: tolerance, scaleUp: tolerance };
  if (spec.behavior?.scaleDown.tolerance !== undefined) {
    tolerances.scaleDown = parseQuantityNumber(spec.behavior.scaleDown.tolerance);
  }
  if (spec.behavior?.scaleUp.tolerance !== undefined) {
    tolerances.scaleUp = parseQuantityNumber(spec.behavior.scaleUp.tolerance);
  }
  return tolerances;
}

const GROUP_VERSION = /^([^/]+\/)?[^/]+$/;

function statusEqual(
  a: HorizontalPodAutoscalerStatus | undefined,
  b: HorizontalPodAutoscalerStatus,
): boolean {
  return jsonEqual(a ?? null, b);
}

function buildStatus(fields: {
  observedGeneration: number;
  currentReplicas: number | undefined;
  desiredReplicas: number;
  lastScaleTime: string | undefined;
  currentMetrics: MetricStatus[] | undefined;
  conditions: HorizontalPodAutoscalerStatus['conditions'];
}): HorizontalPodAutoscalerStatus {
  const status: HorizontalPodAutoscalerStatus = {
    observedGeneration: fields.observedGeneration,
    desiredReplicas: fields.desiredReplicas,
  };
  if (fields.currentReplicas !== undefined) status.currentReplicas = fields.currentReplicas;
  if (fields.lastScaleTime !== undefined) status.lastScaleTime = fields.lastScaleTime;
  if (fields.currentMetrics !== undefined && fields.currentMetrics.length > 0) {
    status.currentMetrics = fields.currentMetrics;
  }
  if (fields.conditions !== undefined && fields.conditions.length > 0) status.conditions = fields.conditions;
  return status;
}

type SelectorCheck =
  /** `pods`: the selected pods, when the check had to select them (the sync needs them next). */
  | { ok: true; selector: Selector; pods?: Pod[] }
  | { ok: false; eventReason: string; message: string; conditionMessage: string };

/**
 * Whether the selector can select any of `pods`, answered cheaply where possible: a selector requiring
 * one of some values of a key selects none of them when no pod carries any of those values, whatever
 * else it requires. Only then is each pod checked. The values each key takes are gathered once per
 * key and sync (`valuesOf`), so checking a namespace's other autoscalers costs about one pass over the
 * pods instead of one per autoscaler.
 */
function selectsAny(
  selector: Selector,
  pods: readonly Pod[],
  valuesOf: (key: string) => ReadonlySet<string>,
): boolean {
  if (selector.matchesNothing) return false;
  for (const requirement of selector.requirements) {
    const { operator } = requirement;
    if (operator !== 'In' && operator !== 'Equals' && operator !== 'DoubleEquals') continue;
    const present = valuesOf(requirement.key);
    if (!requirement.values.some((value) => present.has(value))) return false;
  }
  return pods.some((pod) => selectorMatches(selector, pod.labels));
}

/** The values label `key` takes on the pods (as `selectorMatches` reads them), gathered per key on first ask. */
function labelValuesOf(pods: readonly Pod[]): (key: string) => ReadonlySet<string> {
  const byKey = new Map<string, Set<string>>();
  return (key) => {
    let values = byKey.get(key);
    if (!values) {
      values = new Set();
      for (const pod of pods) if (Object.hasOwn(pod.labels, key)) values.add(pod.labels[key] ?? '');
      byKey.set(key, values);
    }
    return values;
  };
}

function checkSelector(input: HpaEvaluationInput, scaleSelector: string): SelectorCheck {
  if (scaleSelector === '') {
    return {
      ok: false,
      eventReason: 'SelectorRequired',
      message: 'selector is required',
      conditionMessage: CONDITION.missingSelector,
    };
  }
  let selector: Selector;
  try {
    selector = parseSelector(scaleSelector);
  } catch (error) {
    const message = `couldn't convert selector into a corresponding internal selector object: ${
      error instanceof LabelSelectorError ? error.message : String(error)
    }`;
    return { ok: false, eventReason: 'InvalidSelector', message, conditionMessage: message };
  }
  if (input.otherAutoscalers && input.otherAutoscalers.length > 0) {
    const { namespace, name } = input.autoscaler;
    const mine = selectPods(input.pods, namespace, selector);
    const valuesOf = labelValuesOf(mine);
    const controlling = new Set<string>();
    for (const other of input.otherAutoscalers) {
      if (other.name === name || other.selector === '') continue;
      let otherSelector: Selector;
      try {
        otherSelector = parseSelector(other.selector);
      } catch {
        continue;
      }
      if (selectsAny(otherSelector, mine, valuesOf)) controlling.add(`${namespace}/${other.name}`);
    }
    if (controlling.size > 0) {
      const all = [...controlling, `${namespace}/${name}`].sort();
      const message = `pods by selector ${scaleSelector} are controlled by multiple HPAs: [${all.join(' ')}]`;
      return { ok: false, eventReason: 'AmbiguousSelector', message, conditionMessage: message };
    }
    return { ok: true, selector, pods: mine };
  }
  return { ok: true, selector };
}

/**
 * Evaluates one autoscaler: the exact decision upstream's controller would take in this sync.
 * Never throws for bad data: a malformed spec, a missing target, failing metrics all come back as a
 * decision without rescale, with upstream's conditions and events.
 *
 * @example
 * const decision = evaluateAutoscaler({ autoscaler, scale, pods, podMetrics, podMetricsServed: true,
 *   metricResults: {}, history: stored, now: clock.now(), settings });
 * if (decision.rescale) await kube.updateScale(target, decision.desiredReplicas, scale.resourceVersion);
 */
export function evaluateAutoscaler(input: HpaEvaluationInput): HpaDecision {
  const { autoscaler, now, settings } = input;
  const finish = (decision: Omit<HpaDecision, 'summary'>): HpaDecision => ({
    ...decision,
    summary: summarize(decision),
  });
  const previous = autoscaler.status;
  const events: HpaEvent[] = [];
  let conditions = previous?.conditions ?? [];
  const explanation: HpaExplanation = {
    autoscaler: {
      kind: autoscaler.kind,
      namespace: autoscaler.namespace,
      name: autoscaler.name,
      generation: autoscaler.generation,
    },
    now: formatRfc3339(now),
    settings: {
      tolerance: settings.tolerance,
      cpuInitializationPeriodSeconds: settings.cpuInitializationPeriodSeconds,
      initialReadinessDelaySeconds: settings.initialReadinessDelaySeconds,
      downscaleStabilizationSeconds: settings.downscaleStabilizationSeconds,
    },
    outcome: 'Computed',
    metrics: [],
    desiredReplicas: 0,
    rescale: false,
    notes: [],
  };

  /** Ends the sync without touching replicas: previous status fields, new conditions. */
  const keepPrevious = (currentReplicas: number, history: HpaHistory | undefined): HpaDecision => {
    const status = buildStatus({
      observedGeneration: autoscaler.generation,
      currentReplicas: previous?.currentReplicas,
      desiredReplicas: previous?.desiredReplicas ?? 0,
      lastScaleTime: previous?.lastScaleTime,
      currentMetrics: previous?.currentMetrics,
      conditions,
    });
    explanation.currentReplicas = currentReplicas;
    explanation.desiredReplicas = currentReplicas;
    return finish({
      currentReplicas,
      desiredReplicas: currentReplicas,
      rescale: false,
      status,
      statusChanged: !statusEqual(previous, status),
      events,
      nextHistory: history,
      evaluatedAt: now,
      explanation,
    });
  };

  // The spec (the API server validates it for built-in HPAs; a CRD or a hand-made object may not be).
  const parsed = parseHpaSpec(autoscaler.spec);
  if (!parsed.ok) {
    const message = CONDITION.invalidSpec.message(formatSpecProblems(parsed.problems));
    conditions = setCondition(
      conditions,
      now,
      'ScalingActive',
      'False',
      CONDITION.invalidSpec.reason,
      message,
    );
    events.push({ type: 'Warning', reason: CONDITION.invalidSpec.reason, message });
    explanation.outcome = 'InvalidSpec';
    explanation.specProblems = parsed.problems;
    return keepPrevious(input.scale?.specReplicas ?? previous?.currentReplicas ?? 0, input.history);
  }
  const spec = parsed.spec;
  explanation.spec = {
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    metricCount: spec.metrics.length,
    ...(spec.behavior ? { behavior: spec.behavior } : {}),
  };

  // The scale.
  const apiVersion = spec.scaleTargetRef.apiVersion ?? '';
  let scaleError: string | undefined;
  if (apiVersion !== '' && !GROUP_VERSION.test(apiVersion)) {
    scaleError = `unexpected GroupVersion string: ${apiVersion}`;
  } else if (input.scale === undefined) {
    const target = resolveScaleTarget(autoscaler.namespace, spec.scaleTargetRef);
    scaleError = input.scaleError ?? `${target.kind} "${target.name}" (${target.apiVersion}) not found`;
  }
  const scale = input.scale;
  if (scaleError !== undefined || scale === undefined) {
    const error = scaleError ?? 'no scale';
    events.push({ type: 'Warning', reason: CONDITION.failedGetScale.reason, message: error });
    conditions = setCondition(
      conditions,
      now,
      'AbleToScale',
      'False',
      CONDITION.failedGetScale.reason,
      CONDITION.failedGetScale.message(error),
    );
    explanation.outcome = 'FailedGetScale';
    explanation.notes.push(error);
    return keepPrevious(previous?.currentReplicas ?? 0, input.history);
  }
  explanation.scale = {
    specReplicas: scale.specReplicas,
    statusReplicas: scale.statusReplicas,
    selector: scale.selector,
  };
  conditions = setCondition(
    conditions,
    now,
    'AbleToScale',
    'True',
    CONDITION.succeededGetScale.reason,
    CONDITION.succeededGetScale.message,
  );
  const currentReplicas = scale.specReplicas;
  let history = initHistory(input.history, now, currentReplicas);
  const minReplicas = spec.minReplicas;
  const maxReplicas = spec.maxReplicas;
  explanation.currentReplicas = currentReplicas;

  let desiredReplicas = 0;
  let rescaleReason = '';
  let rescale = true;
  let metricStatuses: MetricStatus[] | undefined;

  /**
   * `setCurrentReplicasAndMetricsInStatus` + no rescale. The failure paths inside the metrics branch keep
   * the status' previous desired count (upstream never reaches the line that sets it); a computed
   * decision not to rescale reports the current count as desired.
   */
  const stopWithoutScaling = (statusDesiredReplicas = previous?.desiredReplicas ?? 0): HpaDecision => {
    const status = buildStatus({
      observedGeneration: autoscaler.generation,
      currentReplicas,
      desiredReplicas: statusDesiredReplicas,
      lastScaleTime: previous?.lastScaleTime,
      currentMetrics: metricStatuses,
      conditions,
    });
    explanation.desiredReplicas = currentReplicas;
    return finish({
      currentReplicas,
      desiredReplicas: currentReplicas,
      rescale: false,
      status,
      statusChanged: !statusEqual(previous, status),
      events,
      nextHistory: prune(history),
      evaluatedAt: now,
      explanation,
    });
  };
  const prune = (h: HpaHistory): HpaHistory => {
    const up = spec.behavior?.scaleUp.stabilizationWindowSeconds ?? 0;
    const down =
      spec.behavior?.scaleDown.stabilizationWindowSeconds ?? settings.downscaleStabilizationSeconds;
    return pruneRecommendations(
      h,
      now,
      spec.behavior ? Math.max(up, down) : settings.downscaleStabilizationSeconds,
    );
  };

  if (currentReplicas === 0 && minReplicas !== 0) {
    desiredReplicas = 0;
    rescale = false;
    conditions = setCondition(
      conditions,
      now,
      'ScalingActive',
      'False',
      CONDITION.scalingDisabled.reason,
      CONDITION.scalingDisabled.message,
    );
    explanation.outcome = 'ScalingDisabled';
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = maxReplicas;
    explanation.outcome = 'AboveMaxReplicas';
    explanation.clamp = { minReplicas, maxReplicas, bound: maxReplicas };
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
    explanation.outcome = 'BelowMinReplicas';
    explanation.clamp = { minReplicas, maxReplicas, bound: minReplicas };
  } else {
    const selectorCheck = checkSelector(input, scale.selector);
    if (!selectorCheck.ok) {
      events.push({ type: 'Warning', reason: selectorCheck.eventReason, message: selectorCheck.message });
      const conditionReason =
        selectorCheck.eventReason === 'AmbiguousSelector' ? 'AmbiguousSelector' : 'InvalidSelector';
      conditions = setCondition(
        conditions,
        now,
        'ScalingActive',
        'False',
        conditionReason,
        selectorCheck.conditionMessage,
      );
      events.push({
        type: 'Warning',
        reason: 'FailedComputeMetricsReplicas',
        message: selectorCheck.message,
      });
      explanation.outcome = 'InvalidSelector';
      explanation.notes.push(selectorCheck.message);
      return stopWithoutScaling();
    }
    const tolerances = tolerancesFor(spec, settings.tolerance);
    explanation.tolerances = tolerances;
    const pods = selectorCheck.pods ?? selectPods(input.pods, autoscaler.namespace, selectorCheck.selector);
    explanation.podsSelected = pods.length;
    const outcome = computeReplicasForMetrics(spec.metrics, {
      namespace: autoscaler.namespace,
      pods,
      podMetrics: input.podMetrics,
      podMetricsServed: input.podMetricsServed,
      metricResults: input.metricResults,
      specReplicas: scale.specReplicas,
      statusReplicas: scale.statusReplicas,
      tolerances,
      readiness: settings,
      now,
    });
    for (const event of outcome.events) events.push({ type: 'Warning', ...event });
    explanation.metrics = outcome.outcomes.map((o) => o.explanation);
    explanation.invalidMetrics = outcome.invalidCount;
    if (outcome.error !== undefined) explanation.metricsError = outcome.error;
    metricStatuses = outcome.statuses;
    conditions = setCondition(
      conditions,
      now,
      'ScalingActive',
      outcome.scalingActive.status,
      outcome.scalingActive.reason,
      outcome.scalingActive.message,
    );
    if (outcome.replicas === -1) {
      events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: outcome.error ?? '' });
      explanation.outcome = 'MetricsFailed';
      return stopWithoutScaling();
    }
    explanation.maxAcrossMetrics = { replicas: outcome.replicas, metric: outcome.metricName };

    let rescaleMetric = '';
    if (outcome.replicas > desiredReplicas) {
      desiredReplicas = outcome.replicas;
      rescaleMetric = outcome.metricName;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';

    const normalized = normalizeDesiredReplicas({
      history,
      now,
      currentReplicas,
      proposedReplicas: desiredReplicas,
      minReplicas,
      maxReplicas,
      behavior: spec.behavior,
      downscaleStabilizationSeconds: settings.downscaleStabilizationSeconds,
    });
    history = normalized.history;
    explanation.stabilization = normalized.stabilization;
    explanation.rateLimit = normalized.rateLimit;
    conditions = setCondition(
      conditions,
      now,
      'AbleToScale',
      'True',
      normalized.ableToScale.reason,
      normalized.ableToScale.message,
    );
    conditions = setCondition(
      conditions,
      now,
      'ScalingLimited',
      normalized.scalingLimited.status,
      normalized.scalingLimited.reason,
      normalized.scalingLimited.message,
    );
    desiredReplicas = normalized.desiredReplicas;
    rescale = desiredReplicas !== currentReplicas;
  }

  if (!rescale) return stopWithoutScaling(currentReplicas);
  const nextHistory = prune(history);

  const statusIfRescaleFails = buildStatus({
    observedGeneration: autoscaler.generation,
    currentReplicas,
    desiredReplicas: previous?.desiredReplicas ?? 0,
    lastScaleTime: previous?.lastScaleTime,
    currentMetrics: metricStatuses,
    conditions,
  });
  conditions = setCondition(
    conditions,
    now,
    'AbleToScale',
    'True',
    CONDITION.succeededRescale.reason,
    CONDITION.succeededRescale.message(desiredReplicas),
  );
  events.push({
    type: 'Normal',
    reason: 'SuccessfulRescale',
    message: `New size: ${desiredReplicas}; reason: ${rescaleReason}`,
  });
  const status = buildStatus({
    observedGeneration: autoscaler.generation,
    currentReplicas,
    desiredReplicas,
    lastScaleTime: formatRfc3339(now),
    currentMetrics: metricStatuses,
    conditions,
  });
  explanation.desiredReplicas = desiredReplicas;
  explanation.rescale = true;
  explanation.rescaleReason = rescaleReason;
  return finish({
    currentReplicas,
    desiredReplicas,
    rescale: true,
    rescaleReason,
    status,
    statusChanged: true,
    events,
    nextHistory,
    nextHistoryAfterRescale: recordRescale(nextHistory, spec.behavior, now, currentReplicas, desiredReplicas),
    statusIfRescaleFails,
    evaluatedAt: now,
    explanation,
  });
}

/**
 * The status and events to use when the scale update of a rescaling decision failed (upstream's
 * `FailedRescale` path): AbleToScale=False `FailedUpdateScale`, the previous desired count and last scale
 * time kept. Store `decision.nextHistory` (no scale event) in that case.
 *
 * @example
 * try { await kube.updateScale(target, d.desiredReplicas, scale.resourceVersion) }
 * catch (e) { const { status, events } = rescaleFailed(d, String(e)); … }
 */
export function rescaleFailed(
  decision: HpaDecision,
  error: string,
): { status: HorizontalPodAutoscalerStatus; events: HpaEvent[] } {
  if (!decision.rescale || decision.statusIfRescaleFails === undefined) {
    return { status: decision.status, events: decision.events };
  }
  const base = decision.statusIfRescaleFails;
  const conditions = setCondition(
    base.conditions ?? [],
    decision.evaluatedAt,
    'AbleToScale',
    'False',
    CONDITION.failedUpdateScale.reason,
    CONDITION.failedUpdateScale.message(error),
  );
  const events = decision.events.map((event) =>
    event.reason === 'SuccessfulRescale'
      ? {
          type: 'Warning' as const,
          reason: 'FailedRescale',
          message: `New size: ${decision.desiredReplicas}; reason: ${decision.rescaleReason ?? ''}; error: ${error}`,
        }
      : event,
  );
  return { status: { ...base, conditions }, events };
}
