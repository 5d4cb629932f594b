/**
 * Workloads in scenario files: services (a Deployment, StatefulSet or other scalable kind with its load
 * model, and optionally its HPA, PodDisruptionBudget and VPA), and DaemonSets. The shapes are the
 * simulator's `ScenarioService` and `DaemonSetSpec`, with three conveniences: `hpa` (the autoscaler's
 * autoscaling/v2 spec, its target filled in), `pdb` (a budget selecting the service's pods) and `vpa`
 * (a VerticalPodAutoscaler on the service, its targetRef filled in). The HPA spec is checked with the
 * same rules the HPA loop applies (shared/hpa/spec.ts), the VPA spec with the VPA loop's.
 */
import { z } from 'zod';
import { parseHpaSpec } from '../hpa/spec';
import { isQuantity } from '../units/quantity';
import { parseVpaSpec } from '../vpa/vpa-spec';
import type { DaemonSetSpec } from './daemon-set';
import type { ScenarioContainer, ScenarioService } from './scenario';
import {
  compileTrace,
  type TraceCompileContext,
  type TraceProblem,
  traceSchema,
} from './scenario-file-traces';
import type { SimVpaInput } from './vpa-objects';
import { WORKLOAD_DEFAULTS } from './workload';

const name = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
    'a Kubernetes name: lower-case letters, digits, "-" and "."',
  );

/** Kubernetes writes quantities as strings; YAML turns `cpu: 1` into a number, which means the same. */
export const quantitySchema = z.union([
  z.string().refine(isQuantity, 'a Kubernetes quantity like 250m, 1.5 or 512Mi'),
  z.number().min(0).transform(String),
]);

const resourceList = z.record(z.string().min(1), quantitySchema);
const stringMap = z.record(z.string(), z.string());
const int32 = z.number().int().min(-2147483648).max(2147483647);

const tolerationSchema = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  })
  .strict();

const nodeSelectorRequirement = z
  .object({
    key: z.string().min(1),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
    values: z.array(z.string()).optional(),
  })
  .strict();

const nodeSelectorTerm = z
  .object({
    matchExpressions: z.array(nodeSelectorRequirement).optional(),
    matchFields: z.array(nodeSelectorRequirement).optional(),
  })
  .strict();

const labelSelectorSchema = z
  .object({
    matchLabels: stringMap.optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

const podAffinityTerm = z
  .object({
    labelSelector: labelSelectorSchema.optional(),
    namespaces: z.array(z.string()).optional(),
    topologyKey: z.string().min(1),
  })
  .strict();

/** Where a pod template may run: the fields services and DaemonSets share. */
const schedulingFields = {
  nodeSelector: stringMap.optional(),
  tolerations: z.array(tolerationSchema).optional(),
  requiredNodeAffinity: z.array(nodeSelectorTerm).optional().describe('Required node affinity terms, ORed.'),
  requiredPodAntiAffinity: z
    .array(podAffinityTerm)
    .optional()
    .describe('Only topologyKey kubernetes.io/hostname is simulated.'),
  priority: int32.optional().describe('What the PriorityClass resolves to.'),
};

const fixedUsageSchema = z
  .object({ cpuMillis: z.number().min(0), memoryMi: z.number().min(0) })
  .strict()
  .describe('Constant usage of a container the load does not drive (a sidecar, a node agent).');

const containerSchema = z
  .object({
    name,
    requests: resourceList,
    limits: resourceList.optional(),
    fixedUsage: fixedUsageSchema.optional(),
    memoryNeed: z
      .object({
        needMi: traceSchema.describe('MiB one pod needs once warmed up, over time.'),
        fillSeconds: z.number().min(0).optional(),
        startFraction: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional()
      .describe(
        'Memory that follows a trace instead of the load; past the limit the container is OOM-killed.',
      ),
  })
  .strict();

const intOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+%$/, 'a count or a percentage like "25%"'),
]);

// ---- HPA (autoscaling/v2), shaped for editors; the HPA loop's rules check it afterwards ----

const metricTargetSchema = z
  .object({
    type: z.enum(['Utilization', 'Value', 'AverageValue']),
    value: quantitySchema.optional(),
    averageValue: quantitySchema.optional(),
    averageUtilization: int32.optional(),
  })
  .strict();

const metricIdentifierSchema = z
  .object({ name: z.string().min(1), selector: labelSelectorSchema.optional() })
  .strict();

const metricSpecSchema = z
  .object({
    type: z.enum(['Resource', 'ContainerResource', 'Pods', 'Object', 'External']),
    resource: z
      .object({ name: z.string().min(1), target: metricTargetSchema })
      .strict()
      .optional(),
    containerResource: z
      .object({ name: z.string().min(1), container: z.string().min(1), target: metricTargetSchema })
      .strict()
      .optional(),
    pods: z.object({ metric: metricIdentifierSchema, target: metricTargetSchema }).strict().optional(),
    object: z
      .object({
        describedObject: z
          .object({ apiVersion: z.string().optional(), kind: z.string().min(1), name: z.string().min(1) })
          .strict(),
        metric: metricIdentifierSchema,
        target: metricTargetSchema,
      })
      .strict()
      .optional(),
    external: z.object({ metric: metricIdentifierSchema, target: metricTargetSchema }).strict().optional(),
  })
  .strict();

const scalingRulesSchema = z
  .object({
    stabilizationWindowSeconds: int32.optional(),
    selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
    policies: z
      .array(z.object({ type: z.enum(['Pods', 'Percent']), value: int32, periodSeconds: int32 }).strict())
      .optional(),
    tolerance: quantitySchema.optional(),
  })
  .strict();

const hpaSchema = z
  .object({
    kind: z
      .enum(['HorizontalAutoscaler', 'HorizontalPodAutoscaler'])
      .optional()
      .describe("tideplane's custom resource (default) or a plain HPA."),
    annotations: stringMap.optional().describe("kube-metrics-adapter's metric-config.* annotations."),
    scaleTargetRef: z
      .object({ apiVersion: z.string().optional(), kind: z.string().min(1), name: z.string().min(1) })
      .strict()
      .optional()
      .describe('Default: the service itself.'),
    minReplicas: int32.optional(),
    maxReplicas: int32,
    metrics: z.array(metricSpecSchema).optional(),
    behavior: z
      .object({ scaleUp: scalingRulesSchema.optional(), scaleDown: scalingRulesSchema.optional() })
      .strict()
      .optional(),
  })
  .strict();

const pdbSchema = z
  .object({
    minAvailable: intOrPercent.optional(),
    maxUnavailable: intOrPercent.optional(),
    unhealthyPodEvictionPolicy: z.enum(['IfHealthyBudget', 'AlwaysAllow']).optional(),
  })
  .strict()
  .refine((pdb) => (pdb.minAvailable === undefined) !== (pdb.maxUnavailable === undefined), {
    message: 'give exactly one of minAvailable or maxUnavailable',
  });

/** A VPA's spec as a user writes it, without `targetRef` (the service is the target). */
const serviceVpaSchema = z
  .object({
    annotations: stringMap.optional(),
    updatePolicy: z
      .object({
        updateMode: z.enum(['Off', 'Initial', 'Recreate', 'Auto', 'InPlaceOrRecreate']).optional(),
        minReplicas: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    resourcePolicy: z
      .object({
        containerPolicies: z
          .array(
            z
              .object({
                containerName: z.string().min(1),
                mode: z.enum(['Auto', 'Off']).optional(),
                minAllowed: resourceList.optional(),
                maxAllowed: resourceList.optional(),
                controlledResources: z.array(z.enum(['cpu', 'memory'])).optional(),
                controlledValues: z.enum(['RequestsAndLimits', 'RequestsOnly']).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
    recommenders: z.array(z.object({ name: z.string().min(1) }).strict()).optional(),
  })
  .strict();

/** A VPA object of its own (any target), as `vpa.objects` lists them. */
export const vpaObjectSchema = z
  .object({
    namespace: name,
    name,
    annotations: stringMap.optional(),
    spec: z.record(z.string(), z.unknown()).describe('autoscaling.k8s.io/v1 VerticalPodAutoscaler spec.'),
  })
  .strict();

export const serviceSchema = z
  .object({
    namespace: name,
    name,
    kind: z.string().min(1).optional().describe('Default: Deployment.'),
    apiVersion: z.string().min(1).optional().describe('Default: apps/v1.'),
    replicas: z.number().int().min(0).describe('spec.replicas at the start.'),
    labels: stringMap.optional().describe('Pod labels and the selector (default: app: <name>).'),
    annotations: stringMap.optional(),
    containers: z
      .array(containerSchema)
      .min(1)
      .describe('The first follows the load; the others fixedUsage.'),
    load: traceSchema.describe('Requests per second arriving (queue workers: messages per second).'),
    cost: z
      .object({
        cpuBaseMillis: z.number().min(0).describe('CPU of a Ready pod without traffic.'),
        cpuMillisPerRps: z.number().min(0).describe('CPU per request per second a pod serves.'),
        memoryBaseMi: z.number().min(0),
        memoryMiPerRps: z.number().min(0),
        startupCpuMillis: z.number().min(0).optional().describe('CPU while not Ready yet (JIT, warm-up).'),
      })
      .strict()
      .describe('How the load turns into CPU and memory of the first container.'),
    queue: z
      .object({
        name: z
          .string()
          .min(1)
          .describe('Served as the External metric queue-length{queue=<name>} and by SQS.'),
        capacityPerPod: z.number().gt(0).describe('Messages per second one Ready pod processes at most.'),
      })
      .strict()
      .optional()
      .describe('Makes the service a queue worker: the load is the arrival rate, a backlog builds up.'),
    noise: z.number().min(0).max(1).optional().describe('Relative per-pod usage noise (default 0.03).'),
    startupSeconds: z.number().min(0).optional(),
    readinessSeconds: z.number().min(0).optional(),
    terminationSeconds: z.number().min(0).optional(),
    terminationGracePeriodSeconds: z.number().min(0).optional(),
    localVolumes: z.array(z.string().min(1)).optional().describe('emptyDir/hostPath volumes of the pods.'),
    rollingUpdate: z
      .object({ maxSurge: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() })
      .strict()
      .optional(),
    podManagementPolicy: z.enum(['OrderedReady', 'Parallel']).optional(),
    volumeClaim: z
      .object({ name: z.string().min(1).optional(), zones: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional()
      .describe('StatefulSets: pod i keeps a volume in zones[i % zones.length].'),
    ...schedulingFields,
    hpa: hpaSchema
      .optional()
      .describe('The HorizontalAutoscaler (or HPA) of the service, autoscaling/v2 spec.'),
    pdb: pdbSchema.optional().describe('A PodDisruptionBudget selecting the service’s pods.'),
    vpa: serviceVpaSchema.optional().describe('A VerticalPodAutoscaler on the service (named after it).'),
  })
  .strict();

export const daemonSetSchema = z
  .object({
    namespace: name,
    name,
    labels: stringMap.optional(),
    containers: z
      .array(containerSchema.omit({ memoryNeed: true }))
      .min(1)
      .describe('Each uses its fixedUsage.'),
    startupSeconds: z.number().min(0).optional(),
    readinessSeconds: z.number().min(0).optional(),
    ...schedulingFields,
  })
  .strict();

type ServiceInput = z.output<typeof serviceSchema>;
type ContainerInput = z.output<typeof containerSchema>;

/** A problem found after the shape was accepted, with its path from the file's root. */
export interface FileProblem {
  path: (string | number)[];
  message: string;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function compileTraceAt(
  trace: z.output<typeof traceSchema>,
  at: (string | number)[],
  context: TraceCompileContext,
  problems: FileProblem[],
) {
  const traceProblems: TraceProblem[] = [];
  const compiled = compileTrace(trace, context, traceProblems);
  for (const problem of traceProblems)
    problems.push({ path: [...at, ...problem.path], message: problem.message });
  return compiled;
}

function compileContainer(
  container: ContainerInput,
  at: (string | number)[],
  context: TraceCompileContext,
  problems: FileProblem[],
): ScenarioContainer {
  const { memoryNeed, ...rest } = container;
  if (!memoryNeed) return withoutUndefined(rest);
  const needMi = compileTraceAt(memoryNeed.needMi, [...at, 'memoryNeed', 'needMi'], context, problems);
  return withoutUndefined({
    ...rest,
    memoryNeed: withoutUndefined({ ...memoryNeed, needMi: needMi ?? { kind: 'constant', rps: 0 } }),
  });
}

/** `spec.metrics[0].target` of the HPA and VPA loops' checks, as a path under `at`. */
function hpaProblemPath(at: (string | number)[], specPath: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of specPath.replace(/^spec\.?/, '').matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  }
  return [...at, ...parts];
}

/** A VPA loop problem (`spec.updatePolicy.updateMode: Invalid option`) as a path under `at` and a message. */
function vpaProblem(at: (string | number)[], problem: string): FileProblem {
  const match = /^spec\.?([^:]*): (.*)$/s.exec(problem);
  if (!match) return { path: at, message: problem };
  return { path: hpaProblemPath(at, match[1] as string), message: match[2] as string };
}

/** The service as the simulator takes it, plus the VPA object it declares, if any. */
export function compileService(
  service: ServiceInput,
  index: number,
  context: TraceCompileContext,
  problems: FileProblem[],
): { service: ScenarioService; vpa?: SimVpaInput } {
  const at = ['services', index];
  const { hpa, pdb, vpa, load, containers, ...workload } = service;
  const compiledLoad = compileTraceAt(load, [...at, 'load'], context, problems);
  const compiled: ScenarioService = withoutUndefined({
    ...workload,
    containers: containers.map((container, c) =>
      compileContainer(container, [...at, 'containers', c], context, problems),
    ),
    load: compiledLoad ?? { kind: 'constant', rps: 0 },
    ...(pdb ? { disruptionBudget: withoutUndefined(pdb) } : {}),
  });
  if (hpa) {
    const { kind, annotations, scaleTargetRef, ...spec } = hpa;
    const target = scaleTargetRef ?? {
      apiVersion: service.apiVersion ?? WORKLOAD_DEFAULTS.apiVersion,
      kind: service.kind ?? WORKLOAD_DEFAULTS.kind,
      name: service.name,
    };
    const checked = parseHpaSpec({ ...spec, scaleTargetRef: target });
    if (!checked.ok) {
      for (const problem of checked.problems) {
        problems.push({ path: hpaProblemPath([...at, 'hpa'], problem.path), message: problem.message });
      }
    }
    compiled.autoscaler = withoutUndefined({ ...spec, ...(scaleTargetRef ? { scaleTargetRef } : {}) });
    if (kind) compiled.autoscalerKind = kind;
    if (annotations) compiled.autoscalerAnnotations = annotations;
  }
  for (const [c, container] of containers.entries()) {
    if (c > 0 && !container.fixedUsage && !container.memoryNeed) {
      problems.push({
        path: [...at, 'containers', c],
        message: 'only the first container follows the load: give this one fixedUsage (or memoryNeed)',
      });
    }
  }
  if (!vpa) return { service: compiled };
  const { annotations, ...spec } = vpa;
  const vpaSpec = {
    targetRef: {
      apiVersion: service.apiVersion ?? WORKLOAD_DEFAULTS.apiVersion,
      kind: service.kind ?? WORKLOAD_DEFAULTS.kind,
      name: service.name,
    },
    ...withoutUndefined(spec),
  };
  const checked = parseVpaSpec(vpaSpec);
  if (!checked.ok) {
    for (const problem of checked.problems) problems.push(vpaProblem([...at, 'vpa'], problem));
  }
  return {
    service: compiled,
    vpa: {
      namespace: service.namespace,
      name: service.name,
      spec: vpaSpec,
      ...(annotations ? { annotations } : {}),
    },
  };
}

export function compileDaemonSet(daemonSet: z.output<typeof daemonSetSchema>): DaemonSetSpec {
  return withoutUndefined({
    ...daemonSet,
    containers: daemonSet.containers.map((container) => withoutUndefined(container)),
  });
}

/** Checks a VPA object's raw spec with the VPA loop's rules. */
export function checkVpaObject(
  object: z.output<typeof vpaObjectSchema>,
  index: number,
  problems: FileProblem[],
): SimVpaInput {
  const checked = parseVpaSpec(object.spec);
  if (!checked.ok) {
    for (const problem of checked.problems)
      problems.push(vpaProblem(['vpa', 'objects', index, 'spec'], problem));
  }
  return withoutUndefined(object);
}
