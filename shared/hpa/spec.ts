/**
 * Parsing, validation and defaulting of an autoscaling/v2 HorizontalPodAutoscaler spec from the raw
 * `spec: unknown` of an `AutoscalerObject`.
 *
 * Validation follows kube-apiserver's `pkg/apis/autoscaling/validation` (with `HPAScaleToZero` and
 * `HPAConfigurableTolerance` on), plus one rule upstream leaves to the controller: the target `type` must
 * fit the metric source (Resource/ContainerResource: Utilization or AverageValue; Pods: AverageValue;
 * Object/External: Value or AverageValue) and the field that type names must be set. Defaulting follows
 * `pkg/apis/autoscaling/v2/defaults.go`: minReplicas 1, CPU at 80% when no metric is listed, and the
 * behavior defaults only when `behavior` is present. A scale-down stabilization window left unset stays
 * unset here; the controller fills it from its `downscaleStabilizationSeconds` setting.
 */
import { z } from 'zod';
import type {
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerSpec,
  HPAScalingPolicy,
  HPAScalingRules,
  MetricSpec,
  MetricTarget,
} from '../ports/autoscaling-v2';
import { deepFreeze } from '../units/deep-freeze';
import { parseQuantityExact, QuantityError } from '../units/quantity';

/** One validation finding: a field path (`spec.metrics[0].resource.name`) and what is wrong. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** A spec after defaulting: minReplicas and metrics are always set; behavior is complete when present. */
export interface DefaultedHpaSpec extends HorizontalPodAutoscalerSpec {
  minReplicas: number;
  metrics: MetricSpec[];
  behavior?: DefaultedBehavior;
}

export interface DefaultedScalingRules extends HPAScalingRules {
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: HPAScalingPolicy[];
}

export interface DefaultedBehavior extends HorizontalPodAutoscalerBehavior {
  /** stabilizationWindowSeconds is always set (default 0). */
  scaleUp: DefaultedScalingRules & { stabilizationWindowSeconds: number };
  /** stabilizationWindowSeconds may be unset: the controller's downscale stabilization applies. */
  scaleDown: DefaultedScalingRules;
}

export type SpecParseResult = { ok: true; spec: DefaultedHpaSpec } | { ok: false; problems: SpecProblem[] };

/** Upstream `DefaultCPUUtilization`. */
export const DEFAULT_CPU_UTILIZATION = 80;
/** Upstream `MaxPeriodSeconds` for scaling policies. */
export const MAX_POLICY_PERIOD_SECONDS = 1800;
/** Upstream `MaxStabilizationWindowSeconds`. */
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
/** Scale-up defaults (`defaultHPAScaleUpRules`): no window, Max of +4 pods or +100% per 15 s. */
export const DEFAULT_SCALE_UP_RULES = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
} as const satisfies HPAScalingRules;
/** Scale-down defaults (`defaultHPAScaleDownRules`): window from the controller, -100% per 15 s. */
export const DEFAULT_SCALE_DOWN_RULES = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
} as const satisfies HPAScalingRules;

const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'] as const;
const TARGET_TYPES = ['Utilization', 'Value', 'AverageValue'] as const;
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'] as const;
const POLICY_TYPES = ['Percent', 'Pods'] as const;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// ---------------------------------------------------------------------------------------------------
// Shape (zod): types only. The rules with upstream messages are checked afterwards.

/** Kubernetes accepts a JSON number wherever a quantity is expected. */
const quantity = z.union([z.string(), z.number().transform((n) => String(n))]);
const int32 = z.number().int().min(-2147483648).max(2147483647);

const labelSelectorShape = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string(),
        operator: z.string(),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const crossVersionRefShape = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().default(''),
  name: z.string().default(''),
});

const metricTargetShape = z.object({
  type: z.string().default(''),
  value: quantity.optional(),
  averageValue: quantity.optional(),
  averageUtilization: int32.optional(),
});

const metricIdentifierShape = z.object({
  name: z.string().default(''),
  selector: labelSelectorShape.optional(),
});

const metricSpecShape = z.object({
  type: z.string().default(''),
  resource: z
    .object({ name: z.string().default(''), target: metricTargetShape.default({ type: '' }) })
    .optional(),
  containerResource: z
    .object({
      name: z.string().default(''),
      container: z.string().default(''),
      target: metricTargetShape.default({ type: '' }),
    })
    .optional(),
  pods: z
    .object({
      metric: metricIdentifierShape.default({ name: '' }),
      target: metricTargetShape.default({ type: '' }),
    })
    .optional(),
  object: z
    .object({
      describedObject: crossVersionRefShape.default({ kind: '', name: '' }),
      metric: metricIdentifierShape.default({ name: '' }),
      target: metricTargetShape.default({ type: '' }),
    })
    .optional(),
  external: z
    .object({
      metric: metricIdentifierShape.default({ name: '' }),
      target: metricTargetShape.default({ type: '' }),
    })
    .optional(),
});

const scalingRulesShape = z.object({
  stabilizationWindowSeconds: int32.optional(),
  selectPolicy: z.string().optional(),
  policies: z
    .array(
      z.object({
        type: z.string().default(''),
        value: int32.default(0),
        periodSeconds: int32.default(0),
      }),
    )
    .optional(),
  tolerance: quantity.optional(),
});

const specShape = z.object({
  scaleTargetRef: crossVersionRefShape.default({ kind: '', name: '' }),
  minReplicas: int32.optional(),
  maxReplicas: int32.default(0),
  metrics: z.array(metricSpecShape).optional(),
  behavior: z
    .object({
      scaleUp: scalingRulesShape.optional(),
      scaleDown: scalingRulesShape.optional(),
    })
    .optional(),
});

type ShapedSpec = z.infer<typeof specShape>;
type ShapedTarget = z.infer<typeof metricTargetShape>;
type ShapedRules = z.infer<typeof scalingRulesShape>;

function zodPath(path: readonly PropertyKey[]): string {
  let out = 'spec';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Rules (apimachinery `field.Error` style messages).

const required = (path: string, detail: string): SpecProblem => ({
  path,
  message: detail ? `Required value: ${detail}` : 'Required value',
});
const invalid = (path: string, value: unknown, detail: string): SpecProblem => ({
  path,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
const forbidden = (path: string, detail: string): SpecProblem => ({ path, message: `Forbidden: ${detail}` });
const notSupported = (path: string, value: unknown, supported: readonly string[]): SpecProblem => ({
  path,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});

/** `pathvalidation.IsValidPathSegmentName`. */
function pathSegmentProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const problems: string[] = [];
  for (const illegal of ['/', '%']) {
    if (name.includes(illegal)) problems.push(`may not contain '${illegal}'`);
  }
  return problems;
}

function validateCrossVersionRef(
  ref: { kind: string; name: string },
  path: string,
  out: SpecProblem[],
): void {
  if (ref.kind.length === 0) out.push(required(`${path}.kind`, ''));
  else for (const msg of pathSegmentProblems(ref.kind)) out.push(invalid(`${path}.kind`, ref.kind, msg));
  if (ref.name.length === 0) out.push(required(`${path}.name`, ''));
  else for (const msg of pathSegmentProblems(ref.name)) out.push(invalid(`${path}.name`, ref.name, msg));
}

function validateMetricIdentifier(id: { name: string }, path: string, out: SpecProblem[]): void {
  if (id.name.length === 0) out.push(required(`${path}.name`, 'must specify a metric name'));
  else for (const msg of pathSegmentProblems(id.name)) out.push(invalid(`${path}.name`, id.name, msg));
}

function positiveQuantityProblem(value: string): string | undefined {
  try {
    const { numerator } = parseQuantityExact(value);
    return numerator > 0n ? undefined : 'must be positive';
  } catch (error) {
    return error instanceof QuantityError ? error.message : String(error);
  }
}

function validateMetricTarget(target: ShapedTarget, path: string, out: SpecProblem[]): void {
  if (target.type.length === 0) out.push(required(`${path}.type`, 'must specify a metric target type'));
  else if (!(TARGET_TYPES as readonly string[]).includes(target.type)) {
    out.push(invalid(`${path}.type`, target.type, 'must be either Utilization, Value, or AverageValue'));
  }
  if (target.value !== undefined) {
    const problem = positiveQuantityProblem(target.value);
    if (problem) out.push(invalid(`${path}.value`, target.value, problem));
  }
  if (target.averageValue !== undefined) {
    const problem = positiveQuantityProblem(target.averageValue);
    if (problem) out.push(invalid(`${path}.averageValue`, target.averageValue, problem));
  }
  if (target.averageUtilization !== undefined && target.averageUtilization < 1) {
    out.push(invalid(`${path}.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
  }
}

/** The target `type` must be one the source supports, and the field it names must be set. */
function validateTargetFitsSource(
  target: ShapedTarget,
  path: string,
  allowed: readonly ('Utilization' | 'Value' | 'AverageValue')[],
  out: SpecProblem[],
): void {
  if (!(TARGET_TYPES as readonly string[]).includes(target.type)) return; // reported already
  if (!(allowed as readonly string[]).includes(target.type)) {
    out.push(notSupported(`${path}.type`, target.type, [...allowed].sort()));
    return;
  }
  const field =
    target.type === 'Utilization' ? 'averageUtilization' : target.type === 'Value' ? 'value' : 'averageValue';
  if (target[field] === undefined) {
    out.push(required(`${path}.${field}`, `must be set for target type ${target.type}`));
  }
}

type ShapedMetric = z.infer<typeof metricSpecShape>;

function validateMetricSpec(metric: ShapedMetric, path: string, out: SpecProblem[]): void {
  if (metric.type.length === 0) out.push(required(`${path}.type`, 'must specify a metric source type'));
  const present: string[] = [];
  if (metric.object) {
    present.push('object');
    if (present.length === 1) {
      const src = metric.object;
      const p = `${path}.object`;
      validateCrossVersionRef(src.describedObject, `${p}.describedObject`, out);
      validateMetricIdentifier(src.metric, `${p}.metric`, out);
      validateMetricTarget(src.target, `${p}.target`, out);
      if (src.target.value === undefined && src.target.averageValue === undefined) {
        out.push(required(`${p}.target.averageValue`, 'must set either a target value or averageValue'));
      }
      validateTargetFitsSource(src.target, `${p}.target`, ['Value', 'AverageValue'], out);
    }
  }
  if (metric.external) {
    present.push('external');
    if (present.length === 1) {
      const src = metric.external;
      const p = `${path}.external`;
      validateMetricIdentifier(src.metric, `${p}.metric`, out);
      validateMetricTarget(src.target, `${p}.target`, out);
      if (src.target.value === undefined && src.target.averageValue === undefined) {
        out.push(
          required(
            `${p}.target.averageValue`,
            'must set either a target value for metric or a per-pod target',
          ),
        );
      }
      if (src.target.value !== undefined && src.target.averageValue !== undefined) {
        out.push(
          forbidden(`${p}.target.value`, 'may not set both a target value for metric and a per-pod target'),
        );
      }
      validateTargetFitsSource(src.target, `${p}.target`, ['Value', 'AverageValue'], out);
    }
  }
  if (metric.pods) {
    present.push('pods');
    if (present.length === 1) {
      const src = metric.pods;
      const p = `${path}.pods`;
      validateMetricIdentifier(src.metric, `${p}.metric`, out);
      validateMetricTarget(src.target, `${p}.target`, out);
      if (src.target.averageValue === undefined) {
        out.push(required(`${p}.target.averageValue`, 'must specify a positive target averageValue'));
      }
      validateTargetFitsSource(src.target, `${p}.target`, ['AverageValue'], out);
    }
  }
  if (metric.resource) {
    present.push('resource');
    if (present.length === 1) {
      const src = metric.resource;
      const p = `${path}.resource`;
      if (src.name.length === 0) out.push(required(`${p}.name`, 'must specify a resource name'));
      validateMetricTarget(src.target, `${p}.target`, out);
      validateResourceTargetPair(src.target, `${p}.target`, out);
      validateTargetFitsSource(src.target, `${p}.target`, ['Utilization', 'AverageValue'], out);
    }
  }
  if (metric.containerResource) {
    present.push('containerResource');
    if (present.length === 1) {
      const src = metric.containerResource;
      const p = `${path}.containerResource`;
      if (src.name.length === 0) out.push(required(`${p}.name`, 'must specify a resource name'));
      if (src.container.length === 0) out.push(required(`${p}.container`, 'must specify a container'));
      else if (src.container.length > 63 || !DNS1123_LABEL.test(src.container)) {
        out.push(
          invalid(
            `${p}.container`,
            src.container,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          ),
        );
      }
      validateMetricTarget(src.target, `${p}.target`, out);
      validateResourceTargetPair(src.target, `${p}.target`, out);
      validateTargetFitsSource(src.target, `${p}.target`, ['Utilization', 'AverageValue'], out);
    }
  }

  const expected: Record<string, string> = {
    Object: 'object',
    Pods: 'pods',
    Resource: 'resource',
    External: 'external',
    ContainerResource: 'containerResource',
  };
  const expectedField = expected[metric.type];
  if (expectedField === undefined) {
    if (metric.type.length > 0) out.push(notSupported(`${path}.type`, metric.type, METRIC_SOURCE_TYPES));
  } else if (!present.includes(expectedField)) {
    out.push(required(`${path}.${expectedField}`, 'must populate information for the given metric source'));
  }
  if (present.length !== 1) {
    for (const field of present) {
      if (field !== expectedField) {
        out.push(forbidden(`${path}.${field}`, 'must populate the given metric source only'));
      }
    }
  }
}

function validateResourceTargetPair(target: ShapedTarget, path: string, out: SpecProblem[]): void {
  if (target.averageUtilization === undefined && target.averageValue === undefined) {
    out.push(
      required(`${path}.averageUtilization`, 'must set either a target raw value or a target utilization'),
    );
  }
  if (target.averageUtilization !== undefined && target.averageValue !== undefined) {
    out.push(
      forbidden(`${path}.averageValue`, 'may not set both a target raw value and a target utilization'),
    );
  }
}

function validateScalingRules(rules: DefaultedScalingRules, path: string, out: SpecProblem[]): void {
  const window = rules.stabilizationWindowSeconds;
  if (window !== undefined && window < 0) {
    out.push(invalid(`${path}.stabilizationWindowSeconds`, window, 'must be greater than or equal to zero'));
  }
  if (window !== undefined && window > MAX_STABILIZATION_WINDOW_SECONDS) {
    out.push(
      invalid(
        `${path}.stabilizationWindowSeconds`,
        window,
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      ),
    );
  }
  if (!(SELECT_POLICIES as readonly string[]).includes(rules.selectPolicy)) {
    out.push(notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  }
  if (rules.policies.length === 0) out.push(required(`${path}.policies`, 'must specify at least one Policy'));
  rules.policies.forEach((policy, i) => {
    const p = `${path}.policies[${i}]`;
    if (!(POLICY_TYPES as readonly string[]).includes(policy.type)) {
      out.push(notSupported(`${p}.type`, policy.type, POLICY_TYPES));
    }
    if (policy.value <= 0) out.push(invalid(`${p}.value`, policy.value, 'must be greater than zero'));
    if (policy.periodSeconds <= 0) {
      out.push(invalid(`${p}.periodSeconds`, policy.periodSeconds, 'must be greater than zero'));
    }
    if (policy.periodSeconds > MAX_POLICY_PERIOD_SECONDS) {
      out.push(
        invalid(
          `${p}.periodSeconds`,
          policy.periodSeconds,
          `must be less than or equal to ${MAX_POLICY_PERIOD_SECONDS}`,
        ),
      );
    }
  });
  if (rules.tolerance !== undefined) {
    try {
      const { numerator } = parseQuantityExact(rules.tolerance);
      if (numerator < 0n) {
        out.push(invalid(`${path}.tolerance`, rules.tolerance, 'must be greater than or equal to zero'));
      }
    } catch (error) {
      out.push(
        invalid(`${path}.tolerance`, rules.tolerance, error instanceof Error ? error.message : String(error)),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Defaulting.

function defaultRules(
  given: ShapedRules | undefined,
  defaults: typeof DEFAULT_SCALE_UP_RULES | typeof DEFAULT_SCALE_DOWN_RULES,
): DefaultedScalingRules {
  const rules: DefaultedScalingRules = {
    selectPolicy: (given?.selectPolicy ?? defaults.selectPolicy) as DefaultedScalingRules['selectPolicy'],
    policies: (given?.policies ?? defaults.policies.map((p) => ({ ...p }))) as HPAScalingPolicy[],
  };
  const window =
    given?.stabilizationWindowSeconds ??
    ('stabilizationWindowSeconds' in defaults ? defaults.stabilizationWindowSeconds : undefined);
  if (window !== undefined) rules.stabilizationWindowSeconds = window;
  if (given?.tolerance !== undefined) rules.tolerance = given.tolerance;
  return rules;
}

function toMetricTarget(target: ShapedTarget): MetricTarget {
  const out: MetricTarget = { type: target.type as MetricTarget['type'] };
  if (target.value !== undefined) out.value = target.value;
  if (target.averageValue !== undefined) out.averageValue = target.averageValue;
  if (target.averageUtilization !== undefined) out.averageUtilization = target.averageUtilization;
  return out;
}

function toMetricSpec(metric: ShapedMetric): MetricSpec {
  const out: MetricSpec = { type: metric.type as MetricSpec['type'] };
  const cleanSelector = <T extends { selector?: unknown; name: string }>(id: T) =>
    id.selector === undefined ? { name: id.name } : { name: id.name, selector: id.selector as never };
  if (metric.resource)
    out.resource = { name: metric.resource.name, target: toMetricTarget(metric.resource.target) };
  if (metric.containerResource) {
    out.containerResource = {
      name: metric.containerResource.name,
      container: metric.containerResource.container,
      target: toMetricTarget(metric.containerResource.target),
    };
  }
  if (metric.pods) {
    out.pods = { metric: cleanSelector(metric.pods.metric), target: toMetricTarget(metric.pods.target) };
  }
  if (metric.object) {
    const ref = metric.object.describedObject;
    out.object = {
      describedObject:
        ref.apiVersion === undefined
          ? { kind: ref.kind, name: ref.name }
          : { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name },
      metric: cleanSelector(metric.object.metric),
      target: toMetricTarget(metric.object.target),
    };
  }
  if (metric.external) {
    out.external = {
      metric: cleanSelector(metric.external.metric),
      target: toMetricTarget(metric.external.target),
    };
  }
  return out;
}

function applyDefaults(shaped: ShapedSpec): DefaultedHpaSpec {
  const ref = shaped.scaleTargetRef;
  const spec: DefaultedHpaSpec = {
    scaleTargetRef:
      ref.apiVersion === undefined
        ? { kind: ref.kind, name: ref.name }
        : { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name },
    minReplicas: shaped.minReplicas ?? 1,
    maxReplicas: shaped.maxReplicas,
    metrics:
      shaped.metrics && shaped.metrics.length > 0
        ? shaped.metrics.map(toMetricSpec)
        : [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION },
              },
            },
          ],
  };
  if (shaped.behavior) {
    spec.behavior = {
      scaleUp: defaultRules(shaped.behavior.scaleUp, DEFAULT_SCALE_UP_RULES) as DefaultedBehavior['scaleUp'],
      scaleDown: defaultRules(shaped.behavior.scaleDown, DEFAULT_SCALE_DOWN_RULES),
    };
  }
  return spec;
}

/**
 * Parses, defaults and validates a raw HPA spec. Never throws: anything wrong comes back as problems
 * with field paths.
 *
 * @example
 * const result = parseHpaSpec({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 });
 * // result.ok && result.spec.minReplicas === 1 && result.spec.metrics[0].resource?.name === 'cpu'
 */
export function parseHpaSpec(raw: unknown): SpecParseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: 'spec', message: 'Required value: spec must be an object' }] };
  }
  const cached = parsedFrozenSpecs.get(raw);
  if (cached) return cached;
  const result = parseSpecObject(raw);
  // A loop parses each spec several times a tick; a spec that can never change is parsed once.
  if (isDeeplyFrozen(raw)) parsedFrozenSpecs.set(raw, deepFreeze(result));
  return result;
}

/**
 * Parse results of deeply frozen raw specs (the simulator's autoscalers keep theirs frozen across ticks).
 * The results are frozen too, so a caller can never change what the next caller gets.
 */
const parsedFrozenSpecs = new WeakMap<object, SpecParseResult>();

/** Frozen all the way down, with plain data properties only (a getter could answer differently each time). */
function isDeeplyFrozen(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(value))) {
    if (!('value' in descriptor)) return false;
    const child: unknown = descriptor.value;
    if (child !== null && typeof child === 'object' && !isDeeplyFrozen(child)) return false;
  }
  return true;
}

function parseSpecObject(raw: object): SpecParseResult {
  const shaped = specShape.safeParse(raw);
  if (!shaped.success) {
    return {
      ok: false,
      problems: shaped.error.issues.map((issue) => ({
        path: zodPath(issue.path),
        message: `Invalid value: ${issue.message}`,
      })),
    };
  }
  const spec = applyDefaults(shaped.data);
  const problems: SpecProblem[] = [];
  if (spec.minReplicas < 0) {
    problems.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 0'));
  }
  if (spec.maxReplicas < 1)
    problems.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  if (spec.maxReplicas < spec.minReplicas) {
    problems.push(
      invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'),
    );
  }
  validateCrossVersionRef(spec.scaleTargetRef, 'spec.scaleTargetRef', problems);
  (shaped.data.metrics ?? []).forEach((metric, i) => {
    validateMetricSpec(metric, `spec.metrics[${i}]`, problems);
  });
  if (spec.minReplicas === 0 && !spec.metrics.some((m) => m.type === 'Object' || m.type === 'External')) {
    problems.push(
      forbidden(
        'spec.metrics',
        'must specify at least one Object or External metric to support scaling to zero replicas',
      ),
    );
  }
  if (spec.behavior) {
    validateScalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp', problems);
    validateScalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown', problems);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec };
}

/** Problems rendered one per line as `path: message`. */
export function formatSpecProblems(problems: readonly SpecProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
