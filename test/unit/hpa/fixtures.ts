/**
 * Builders for HPA core tests: pods, pod metrics, autoscalers and scales in the ports' shapes, close to
 * the fixtures of upstream's replica_calculator_test.go (two containers per pod, label `name=test-pod`,
 * a 1-minute metric window) so that ported cases read with the same numbers.
 */
import type { HpaCoreSettings, HpaEvaluationInput, MetricQueryResult } from '../../../shared/hpa/evaluate';
import type { HpaHistory } from '../../../shared/hpa/history';
import { GO_ZERO_TIME_MS, type PodSample } from '../../../shared/hpa/pods';
import type { Tolerances } from '../../../shared/hpa/replica-calculator';
import type { HorizontalPodAutoscalerStatus } from '../../../shared/ports/autoscaling-v2';
import type { AutoscalerObject, Pod, PodMetrics, PodPhase, Scale } from '../../../shared/ports/kubernetes';

export const NOW = 1_714_564_800_000; // 2024-05-01T12:00:00Z
export const NAMESPACE = 'test-namespace';
export const POD_PREFIX = 'test-pod';
export const SELECTOR = 'name=test-pod';
export const MINUTE = 60_000;

/** Upstream's testing values: tolerance 0.1, CPU initialization 2 min, readiness delay 10 s. */
export const TEST_READINESS = { cpuInitializationPeriodSeconds: 120, initialReadinessDelaySeconds: 10 };
export const DEFAULT_TOLERANCES: Tolerances = { scaleDown: 0.1, scaleUp: 0.1 };
export const TEST_SETTINGS: HpaCoreSettings = {
  tolerance: 0.1,
  cpuInitializationPeriodSeconds: 120,
  initialReadinessDelaySeconds: 10,
  downscaleStabilizationSeconds: 300,
};

/** Started long ago (Go zero time in upstream's fixtures): outside CPU initialization. */
export const LONG_AGO = GO_ZERO_TIME_MS;
/** `coolCPUCreationTime`: started 3 min ago (past the 2 min initialization). */
export const COOL = NOW - 3 * MINUTE;
/** `hotCPUCreationTime`: started 1 min ago (within the 2 min initialization). */
export const HOT = NOW - 1 * MINUTE;

export interface PodOptions {
  phase?: PodPhase;
  ready?: 'True' | 'False' | 'Unknown' | 'none';
  readyTransition?: number;
  startTime?: number | null;
  deleting?: boolean;
  /** Request per container (both containers). */
  cpuRequest?: string;
  labels?: Record<string, string>;
  namespace?: string;
  containers?: Pod['containers'];
  initContainers?: Pod['initContainers'];
}

export function makePod(name: string, options: PodOptions = {}): Pod {
  const requests: Record<string, string> =
    options.cpuRequest === undefined ? {} : { cpu: options.cpuRequest };
  const pod: Pod = {
    namespace: options.namespace ?? NAMESPACE,
    name,
    uid: name,
    labels: options.labels ?? { name: POD_PREFIX },
    annotations: {},
    phase: options.phase ?? 'Running',
    creationTimestamp: LONG_AGO,
    conditions:
      options.ready === 'none'
        ? []
        : [
            {
              type: 'Ready',
              status: options.ready ?? 'True',
              ...(options.readyTransition === undefined
                ? {}
                : { lastTransitionTime: options.readyTransition }),
            },
          ],
    containers: options.containers ?? [
      { name: 'container1', requests, limits: {} },
      { name: 'container2', requests, limits: {} },
    ],
    initContainers: options.initContainers ?? [],
    ownerReferences: [],
  };
  if (options.startTime !== null) pod.startTime = options.startTime ?? LONG_AGO;
  if (options.deleting) pod.deletionTimestamp = NOW;
  return pod;
}

/** `test-pod-0`, `test-pod-1`, … */
export const podName = (i: number): string => `${POD_PREFIX}-${i}`;

export interface ScenarioPods {
  count: number;
  cpuRequest?: string;
  /** Per pod, defaults apply where absent. */
  readiness?: ('True' | 'False')[];
  phases?: PodPhase[];
  deleting?: boolean[];
  startTimes?: number[];
}

export function makePods(s: ScenarioPods): Pod[] {
  return Array.from({ length: s.count }, (_, i) => {
    const options: PodOptions = {};
    if (s.cpuRequest !== undefined) options.cpuRequest = s.cpuRequest;
    const ready = s.readiness?.[i];
    if (ready !== undefined) options.ready = ready;
    const phase = s.phases?.[i];
    if (phase !== undefined) options.phase = phase;
    if (s.deleting?.[i]) options.deleting = true;
    const start = s.startTimes?.[i];
    if (start !== undefined) options.startTime = start;
    return makePod(podName(i), options);
  });
}

/**
 * metrics.k8s.io samples: `levels[i][j]` is container j+1 of pod i in milli-CPU (upstream's
 * `makePodMetricLevels` gives both containers the same level).
 */
export function makePodMetrics(
  levels: number[][],
  options: { timestamp?: number; names?: string[]; resource?: string } = {},
): PodMetrics[] {
  return levels.map((containers, i) => ({
    namespace: NAMESPACE,
    name: options.names?.[i] ?? podName(i),
    timestamp: options.timestamp ?? LONG_AGO,
    windowSeconds: 60,
    containers: containers.map((value, j) => ({
      name: `container${j + 1}`,
      usage: { [options.resource ?? 'cpu']: `${value}m` },
    })),
  }));
}

/** Both containers at the same level, like upstream's `makePodMetricLevels`. */
export const levelsPerPod = (...values: number[]): number[][] => values.map((v) => [v, v]);

/** Samples by pod name for the calculator (milli values). */
export function samples(
  values: number[],
  options: { timestamp?: number; windowMs?: number } = {},
): Map<string, PodSample> {
  return new Map(
    values.map((value, i) => [
      podName(i),
      { value, timestamp: options.timestamp ?? LONG_AGO, windowMs: options.windowMs ?? 60_000 },
    ]),
  );
}

export function makeAutoscaler(
  spec: unknown,
  options: { status?: HorizontalPodAutoscalerStatus; generation?: number; name?: string } = {},
): AutoscalerObject {
  const autoscaler: AutoscalerObject = {
    kind: 'HorizontalAutoscaler',
    apiVersion: 'tideplane.io/v1alpha1',
    namespace: NAMESPACE,
    name: options.name ?? 'test-hpa',
    uid: 'uid-1',
    generation: options.generation ?? 1,
    resourceVersion: '1',
    labels: {},
    annotations: {},
    creationTimestamp: LONG_AGO,
    spec,
    statusManagers: [],
  };
  if (options.status) autoscaler.status = options.status;
  return autoscaler;
}

export function makeScale(
  specReplicas: number,
  options: { statusReplicas?: number; selector?: string } = {},
): Scale {
  return {
    target: { namespace: NAMESPACE, apiVersion: 'apps/v1', kind: 'Deployment', name: 'test-deployment' },
    specReplicas,
    statusReplicas: options.statusReplicas ?? specReplicas,
    selector: options.selector ?? SELECTOR,
    resourceVersion: '7',
  };
}

export const DEPLOYMENT_REF = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'test-deployment' };

/** A CPU Utilization HPA spec. */
export function cpuSpec(
  targetUtilization: number,
  min: number | undefined,
  max: number,
  extra: object = {},
): object {
  return {
    scaleTargetRef: DEPLOYMENT_REF,
    ...(min === undefined ? {} : { minReplicas: min }),
    maxReplicas: max,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetUtilization } },
      },
    ],
    ...extra,
  };
}

export function input(
  overrides: Partial<HpaEvaluationInput> & Pick<HpaEvaluationInput, 'autoscaler'>,
): HpaEvaluationInput {
  return {
    scale: makeScale(3),
    pods: [],
    podMetrics: [],
    podMetricsServed: true,
    metricResults: {},
    history: undefined,
    now: NOW,
    settings: TEST_SETTINGS,
    ...overrides,
  };
}

export const podsResult = (values: Record<string, number>): MetricQueryResult => ({
  kind: 'Pods',
  result: {
    ok: true,
    value: Object.entries(values).map(([name, milliValue]) => ({
      podName: name,
      milliValue,
      timestamp: NOW,
      windowSeconds: 60,
    })),
  },
});
export const objectResult = (milliValue: number): MetricQueryResult => ({
  kind: 'Object',
  result: { ok: true, value: { milliValue, timestamp: NOW } },
});
export const externalResult = (...milliValues: number[]): MetricQueryResult => ({
  kind: 'External',
  result: { ok: true, value: milliValues.map((milliValue) => ({ milliValue, timestamp: NOW })) },
});

/** A history with recommendations `[secondsAgo, replicas]`. */
export function historyWith(
  recommendations: [number, number][],
  events: { up?: [number, number][]; down?: [number, number][] } = {},
): HpaHistory {
  return {
    recommendations: recommendations.map(([ago, replicas]) => ({ timestamp: NOW - ago * 1000, replicas })),
    scaleUpEvents: (events.up ?? []).map(([ago, change]) => ({
      timestamp: NOW - ago * 1000,
      replicaChange: change,
      outdated: false,
    })),
    scaleDownEvents: (events.down ?? []).map(([ago, change]) => ({
      timestamp: NOW - ago * 1000,
      replicaChange: change,
      outdated: false,
    })),
  };
}
