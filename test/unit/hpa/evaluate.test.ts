/**
 * One sync end to end, with facts from upstream's horizontal_test.go: rescale reasons, conditions,
 * events, status, history, and the failure paths (missing target, selectors, invalid metrics).
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateAutoscaler,
  type HpaDecision,
  type HpaEvaluationInput,
  metricQueries,
  planAutoscaler,
  rescaleFailed,
} from '../../../shared/hpa/evaluate';
import { formatRfc3339 } from '../../../shared/hpa/time';
import type { HorizontalPodAutoscalerStatus } from '../../../shared/ports/autoscaling-v2';
import { MetricError } from '../../../shared/ports/metric-source';
import {
  cpuSpec,
  DEPLOYMENT_REF,
  externalResult,
  historyWith,
  input,
  levelsPerPod,
  makeAutoscaler,
  makePod,
  makePodMetrics,
  makePods,
  makeScale,
  NOW,
  objectResult,
  podName,
  podsResult,
} from './fixtures';

const NOW_TEXT = formatRfc3339(NOW);
const CPU_NAME = 'cpu resource utilization (percentage of request)';

/** Pods requesting 1 CPU per container (2 per pod) with the given per-container usage. */
function cpuWorld(levels: number[], count = levels.length) {
  return {
    pods: makePods({ count, cpuRequest: '1.0' }),
    podMetrics: makePodMetrics(levelsPerPod(...levels)),
  };
}

function evaluate(
  overrides: Partial<HpaEvaluationInput> & Pick<HpaEvaluationInput, 'autoscaler'>,
): HpaDecision {
  return evaluateAutoscaler(input(overrides));
}

function condition(decision: HpaDecision, type: string) {
  return decision.status.conditions?.find((c) => c.type === type);
}

describe('scaling on CPU utilization', () => {
  it('given CPU above target, should scale up with upstream reason, conditions, event and status', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(30, 1, 10), { generation: 4 }),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
    });
    expect(decision.rescale).toBe(true);
    expect(decision.currentReplicas).toBe(3);
    expect(decision.desiredReplicas).toBe(5);
    expect(decision.rescaleReason).toBe(`${CPU_NAME} above target`);
    expect(decision.events).toEqual([
      {
        type: 'Normal',
        reason: 'SuccessfulRescale',
        message: `New size: 5; reason: ${CPU_NAME} above target`,
      },
    ]);
    expect(decision.status).toEqual({
      observedGeneration: 4,
      currentReplicas: 3,
      desiredReplicas: 5,
      lastScaleTime: NOW_TEXT,
      currentMetrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '1' } },
        },
      ],
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          lastTransitionTime: NOW_TEXT,
          reason: 'SucceededRescale',
          message: 'the HPA controller was able to update the target scale to 5',
        },
        {
          type: 'ScalingActive',
          status: 'True',
          lastTransitionTime: NOW_TEXT,
          reason: 'ValidMetricFound',
          message: `the HPA was able to successfully calculate a replica count from ${CPU_NAME}`,
        },
        {
          type: 'ScalingLimited',
          status: 'False',
          lastTransitionTime: NOW_TEXT,
          reason: 'DesiredWithinRange',
          message: 'the desired count is within the acceptable range',
        },
      ],
    });
    expect(decision.summary).toBe(`rescale 3 → 5: ${CPU_NAME} above target`);
  });

  it('given a first sync that would scale down, should hold at the initial recommendation (ScaleDownStabilized)', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(5),
      ...cpuWorld([100, 300, 500, 250, 250]),
    });
    expect(decision.rescale).toBe(false);
    expect(decision.desiredReplicas).toBe(5);
    expect(condition(decision, 'AbleToScale')?.reason).toBe('ScaleDownStabilized');
    expect(decision.nextHistory?.recommendations).toEqual([
      { timestamp: NOW, replicas: 5 },
      { timestamp: NOW, replicas: 3 },
    ]);
  });

  it('given only recommendations older than the downscale window, should scale down with "All metrics below target"', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(5),
      history: historyWith([[400, 5]]),
      ...cpuWorld([100, 300, 500, 250, 250]),
    });
    expect(decision.desiredReplicas).toBe(3);
    expect(decision.rescaleReason).toBe('All metrics below target');
    expect(decision.nextHistory?.recommendations).toEqual([{ timestamp: NOW, replicas: 3 }]);
  });

  it('given a proposal far above current, should apply the default scale-up limit max(2 × current, 4)', () => {
    const pods = makePods({ count: 2, cpuRequest: '100m' });
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 30)),
      scale: makeScale(2),
      pods,
      podMetrics: makePodMetrics(levelsPerPod(500, 500)),
    });
    expect(decision.explanation.maxAcrossMetrics?.replicas).toBe(20);
    expect(decision.desiredReplicas).toBe(4);
    expect(condition(decision, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
  });

  it('given a proposal below minReplicas, should set minReplicas (TooFewReplicas)', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 4, 10)),
      scale: makeScale(5),
      history: historyWith([]),
      ...cpuWorld([50, 50, 50, 50, 50]),
    });
    expect(decision.desiredReplicas).toBe(4);
    expect(condition(decision, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooFewReplicas' });
  });

  it('given usage within tolerance, should keep the count without an event', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      history: historyWith([]),
      ...cpuWorld([520, 480, 510]),
    });
    expect(decision.rescale).toBe(false);
    expect(decision.events).toEqual([]);
    expect(condition(decision, 'AbleToScale')?.reason).toBe('ReadyForNewScale');
    expect(decision.summary).toBe('no change at 3: metrics propose 3');
  });

  it('given a per-direction tolerance in behavior, should use it instead of the setting', () => {
    const spec = cpuSpec(50, 1, 10, { behavior: { scaleUp: { tolerance: '0.01' } } });
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      history: historyWith([]),
      ...cpuWorld([525, 525, 525]),
    });
    expect(decision.explanation.tolerances).toEqual({ scaleDown: 0.1, scaleUp: 0.01 });
    expect(decision.desiredReplicas).toBe(4);
    const withoutTolerance = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      history: historyWith([]),
      ...cpuWorld([525, 525, 525]),
    });
    expect(withoutTolerance.rescale).toBe(false);
  });

  it('given a sidecar (restartable init container), should count its request in the utilization', () => {
    const pod = makePod(podName(0), {
      containers: [{ name: 'container1', requests: { cpu: '500m' }, limits: {} }],
      initContainers: [
        { name: 'container2', requests: { cpu: '500m' }, limits: {}, restartPolicy: 'Always' },
      ],
    });
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(1),
      history: historyWith([]),
      pods: [pod],
      podMetrics: makePodMetrics([[400, 400]]),
    });
    // 800m of 1000m requested → 80% (not 160% of the app container alone).
    expect(decision.status.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(80);
    expect(decision.desiredReplicas).toBe(2);
  });
});

describe('other metric sources', () => {
  it('given a ContainerResource metric, should use only that container and name it as upstream', () => {
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'ContainerResource',
          containerResource: {
            name: 'cpu',
            container: 'container2',
            target: { type: 'Utilization', averageUtilization: 30 },
          },
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      pods: makePods({ count: 3, cpuRequest: '1.0' }),
      podMetrics: makePodMetrics([
        [1000, 300],
        [1000, 500],
        [1000, 700],
      ]),
    });
    expect(decision.desiredReplicas).toBe(5);
    expect(decision.rescaleReason).toBe(
      'cpu container resource utilization (percentage of request) above target',
    );
    expect(decision.status.currentMetrics).toEqual([
      {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          container: 'container2',
          current: { averageUtilization: 50, averageValue: '500m' },
        },
      },
    ]);
  });

  it('given a memory AverageValue target, should report the average as NewMilliQuantity(…, DecimalSI) prints it', () => {
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
        },
      ],
    };
    const pods = makePods({ count: 2 });
    const podMetrics = [0, 1].map((i) => ({
      namespace: 'test-namespace',
      name: podName(i),
      timestamp: NOW,
      windowSeconds: 30,
      containers: [{ name: 'container1', usage: { memory: '256Mi' } }],
    }));
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(2),
      history: historyWith([]),
      pods,
      podMetrics,
    });
    expect(decision.status.currentMetrics).toEqual([
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '268435456' } } },
    ]);
    expect(decision.desiredReplicas).toBe(1);
    expect(decision.rescaleReason).toBe('All metrics below target');
  });

  it('given a Pods metric, should scale on the average per pod', () => {
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '15' } },
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      pods: makePods({ count: 3 }),
      metricResults: { 0: podsResult({ [podName(0)]: 20000, [podName(1)]: 10000, [podName(2)]: 30000 }) },
    });
    expect(decision.desiredReplicas).toBe(4);
    expect(decision.rescaleReason).toBe('pods metric qps above target');
    expect(decision.status.currentMetrics).toEqual([
      { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '20' } } },
    ]);
  });

  it('given an Object Value metric, should scale on value/target × ready pods', () => {
    const described = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' };
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Object',
          object: {
            describedObject: described,
            metric: { name: 'rps' },
            target: { type: 'Value', value: '15' },
          },
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      pods: makePods({ count: 3 }),
      metricResults: { 0: objectResult(20000) },
    });
    expect(decision.desiredReplicas).toBe(4);
    expect(decision.rescaleReason).toBe('Ingress metric rps above target');
    expect(decision.status.currentMetrics).toEqual([
      {
        type: 'Object',
        object: { describedObject: described, metric: { name: 'rps' }, current: { value: '20' } },
      },
    ]);
  });

  it('given an Object AverageValue metric, should use status.replicas and upstream\'s "external metric" name for it', () => {
    const described = { kind: 'Service', name: 'web' };
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Object',
          object: {
            describedObject: described,
            metric: { name: 'rps' },
            target: { type: 'AverageValue', averageValue: '5' },
          },
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      metricResults: { 0: objectResult(20000) },
    });
    expect(decision.desiredReplicas).toBe(4);
    expect(decision.rescaleReason).toBe('external metric rps(nil) above target');
    expect(decision.status.currentMetrics?.[0]?.object?.current).toEqual({ averageValue: '6667m' });
  });

  it("given a failed Object query, should report FailedGetObjectMetric with upstream's message layout", () => {
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Object',
          object: {
            describedObject: { kind: 'Ingress', name: 'web' },
            metric: { name: 'rps' },
            target: { type: 'Value', value: '5' },
          },
        },
      ],
    };
    const failure = {
      kind: 'Object' as const,
      result: { ok: false as const, error: new MetricError('Unavailable', 'boom') },
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      metricResults: { 0: failure },
    });
    const inner =
      'unable to get metric rps: Ingress on test-namespace web/unable to fetch metrics from custom metrics API: boom';
    expect(decision.events[0]).toEqual({ type: 'Warning', reason: 'FailedGetObjectMetric', message: inner });
    expect(decision.events[1]?.message).toBe(
      `invalid metrics (1 invalid out of 1), first error is: failed to get object metric value: ${inner}`,
    );
  });

  it('given an External AverageValue metric, should divide by status.replicas and name it with the selector', () => {
    const selector = { matchLabels: { queue: 'jobs' } };
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'depth', selector },
            target: { type: 'AverageValue', averageValue: '2150m' },
          },
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(3),
      metricResults: { 0: externalResult(8600) },
    });
    expect(decision.desiredReplicas).toBe(4);
    expect(decision.rescaleReason).toBe(
      'external metric depth(&LabelSelector{MatchLabels:map[string]string{queue: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}) above target',
    );
    expect(decision.status.currentMetrics).toEqual([
      {
        type: 'External',
        external: { metric: { name: 'depth', selector }, current: { averageValue: '2867m' } },
      },
    ]);
  });
});

describe('scale to and from zero (minReplicas 0)', () => {
  const spec = {
    scaleTargetRef: DEPLOYMENT_REF,
    minReplicas: 0,
    maxReplicas: 10,
    metrics: [
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '1' } } },
    ],
  };

  it('given zero replicas and a value above target, should scale up to ceil(value / target)', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(0),
      metricResults: { 0: externalResult(1500) },
    });
    expect(decision.desiredReplicas).toBe(2);
    expect(decision.rescaleReason).toBe('external metric queue(nil) above target');
    expect(decision.status.currentMetrics).toEqual([
      { type: 'External', external: { metric: { name: 'queue' }, current: { value: '1500m' } } },
    ]);
  });

  it('given zero replicas and a zero value, should stay at zero without disabling scaling', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(0),
      metricResults: { 0: externalResult(0) },
    });
    expect(decision.rescale).toBe(false);
    expect(condition(decision, 'ScalingActive')?.reason).toBe('ValidMetricFound');
  });

  it('given running replicas and a zero value, should scale to zero once stabilization allows', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(2),
      pods: makePods({ count: 2 }),
      history: historyWith([]),
      metricResults: { 0: externalResult(0) },
    });
    expect(decision.desiredReplicas).toBe(0);
    expect(decision.rescaleReason).toBe('All metrics below target');
  });
});

describe('scale target states', () => {
  it('given a target at zero replicas and minReplicas 1, should disable scaling (ScalingDisabled)', () => {
    const decision = evaluate({ autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)), scale: makeScale(0) });
    expect(decision.rescale).toBe(false);
    expect(decision.desiredReplicas).toBe(0);
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
    });
    expect(decision.status.currentMetrics).toBeUndefined();
    expect(metricQueries(makeAutoscaler(cpuSpec(50, 1, 10)), makeScale(0))).toEqual([]);
  });

  it('given more replicas than maxReplicas, should set maxReplicas without reading metrics', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(12),
      podMetricsServed: false,
    });
    expect(decision.desiredReplicas).toBe(10);
    expect(decision.rescaleReason).toBe('Current number of replicas above Spec.MaxReplicas');
    expect(decision.events).toEqual([
      {
        type: 'Normal',
        reason: 'SuccessfulRescale',
        message: 'New size: 10; reason: Current number of replicas above Spec.MaxReplicas',
      },
    ]);
    expect(decision.status.currentMetrics).toBeUndefined();
    expect(condition(decision, 'ScalingActive')).toBeUndefined();
  });

  it('given fewer replicas than minReplicas, should set minReplicas', () => {
    const decision = evaluate({ autoscaler: makeAutoscaler(cpuSpec(50, 3, 10)), scale: makeScale(1) });
    expect(decision.desiredReplicas).toBe(3);
    expect(decision.rescaleReason).toBe('Current number of replicas below Spec.MinReplicas');
  });

  it('given no scale (target missing), should report FailedGetScale, keep the previous status and store no history', () => {
    const previous: HorizontalPodAutoscalerStatus = { currentReplicas: 4, desiredReplicas: 4 };
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10), { status: previous }),
      scale: undefined,
    });
    expect(decision.rescale).toBe(false);
    expect(decision.nextHistory).toBeUndefined();
    expect(decision.status).toMatchObject({ currentReplicas: 4, desiredReplicas: 4 });
    expect(condition(decision, 'AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale' });
    expect(condition(decision, 'AbleToScale')?.message).toContain(
      "the HPA controller was unable to get the target's current scale: ",
    );
    expect(decision.events[0]).toMatchObject({ type: 'Warning', reason: 'FailedGetScale' });
  });

  it('given an invalid scaleTargetRef apiVersion, should fail to get the scale', () => {
    const spec = { scaleTargetRef: { apiVersion: 'a/b/c', kind: 'Deployment', name: 'x' }, maxReplicas: 3 };
    const decision = evaluate({ autoscaler: makeAutoscaler(spec), scale: makeScale(1) });
    expect(decision.events).toEqual([
      { type: 'Warning', reason: 'FailedGetScale', message: 'unexpected GroupVersion string: a/b/c' },
    ]);
  });
});

describe('selectors', () => {
  it('given a scale without selector, should report SelectorRequired and InvalidSelector', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3, { selector: '' }),
    });
    expect(decision.rescale).toBe(false);
    expect(decision.events).toEqual([
      { type: 'Warning', reason: 'SelectorRequired', message: 'selector is required' },
      { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: 'selector is required' },
    ]);
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'InvalidSelector',
      message: "the HPA target's scale is missing a selector",
    });
  });

  it('given an unparseable selector, should report InvalidSelector', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3, { selector: 'a in b' }),
    });
    expect(decision.events[0]?.reason).toBe('InvalidSelector');
    expect(decision.events[0]?.message).toMatch(
      /^couldn't convert selector into a corresponding internal selector object: /,
    );
    expect(condition(decision, 'ScalingActive')?.reason).toBe('InvalidSelector');
  });

  it('given pods also selected by another autoscaler, should report AmbiguousSelector', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      ...cpuWorld([500, 500, 500]),
      otherAutoscalers: [{ name: 'other-hpa', selector: 'name' }],
    });
    expect(decision.rescale).toBe(false);
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'AmbiguousSelector',
      message:
        'pods by selector name=test-pod are controlled by multiple HPAs: [test-namespace/other-hpa test-namespace/test-hpa]',
    });
  });

  it('given many other autoscalers, should name exactly those whose selectors select one of its pods', () => {
    const others = [
      { name: 'by-other-value', selector: 'name=other-pod' },
      { name: 'by-value', selector: 'name=test-pod' },
      { name: 'by-set', selector: 'name in (x,test-pod)' },
      { name: 'by-set-missing', selector: 'name in (x,y)' },
      { name: 'by-double', selector: 'name==test-pod,absent!=1' },
      { name: 'by-value-and-missing-key', selector: 'name=test-pod,tier=web' },
      { name: 'by-negation', selector: 'name!=other' },
      { name: 'by-absence', selector: '!tier' },
      { name: 'by-empty-value', selector: 'tier=' },
      { name: 'unparseable', selector: 'a in b' },
      { name: 'empty', selector: '' },
    ];
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      ...cpuWorld([500, 500, 500]),
      otherAutoscalers: others,
    });
    const controlling = ['by-absence', 'by-double', 'by-negation', 'by-set', 'by-value'];
    expect(condition(decision, 'ScalingActive')?.message).toBe(
      `pods by selector name=test-pod are controlled by multiple HPAs: [${[...controlling, 'test-hpa']
        .map((name) => `test-namespace/${name}`)
        .join(' ')}]`,
    );
  });

  it('given other autoscalers that select none of its pods, should compute as if alone', () => {
    const alone = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      ...cpuWorld([500, 500, 500]),
    });
    const withOthers = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)),
      scale: makeScale(3),
      ...cpuWorld([500, 500, 500]),
      otherAutoscalers: [
        { name: 'a', selector: 'name=other-pod' },
        { name: 'b', selector: 'name in (x,y),tier' },
      ],
    });
    expect(withOthers).toEqual(alone);
  });
});

describe('invalid metrics', () => {
  const twoMetrics = cpuSpec(30, 1, 10, {
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } },
      },
      {
        type: 'Pods',
        pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
      },
    ],
  });
  const failed = {
    kind: 'Pods' as const,
    result: { ok: false as const, error: new MetricError('NotFound', 'metric qps not found') },
  };

  it('given resource metrics not served, should stop with ScalingActive False FailedGetResourceMetric', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10), { status: { currentReplicas: 3, desiredReplicas: 6 } }),
      scale: makeScale(3),
      pods: makePods({ count: 3, cpuRequest: '1' }),
      podMetricsServed: false,
    });
    const inner =
      'failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)';
    expect(decision.rescale).toBe(false);
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: `the HPA was unable to compute the replica count: ${inner}`,
    });
    expect(decision.events).toEqual([
      { type: 'Warning', reason: 'FailedGetResourceMetric', message: inner },
      {
        type: 'Warning',
        reason: 'FailedComputeMetricsReplicas',
        message: `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${inner}`,
      },
    ]);
    // setCurrentReplicasAndMetricsInStatus: the previous desired count stays.
    expect(decision.status).toMatchObject({
      currentReplicas: 3,
      desiredReplicas: 6,
      currentMetrics: [{ type: 'Resource' }],
    });
  });

  it('given one invalid metric and a scale-up from the others, should scale up (ScalingActive True)', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(twoMetrics),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
      metricResults: { 1: failed },
    });
    expect(decision.desiredReplicas).toBe(5);
    expect(condition(decision, 'ScalingActive')?.reason).toBe('ValidMetricFound');
    expect(decision.events.map((e) => e.reason)).toEqual(['FailedGetPodsMetric', 'SuccessfulRescale']);
    expect(decision.events[0]?.message).toBe(
      'unable to get metric qps: unable to fetch metrics from custom metrics API: metric qps not found',
    );
    expect(decision.status.currentMetrics?.[1]).toEqual({ type: 'Pods' });
  });

  it('given one invalid metric and a scale-down from the others, should refuse to scale down', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(twoMetrics, { status: { desiredReplicas: 5 } }),
      scale: makeScale(5),
      history: historyWith([]),
      ...cpuWorld([100, 100, 100, 100, 100]),
      metricResults: { 1: failed },
    });
    expect(decision.rescale).toBe(false);
    expect(decision.explanation.outcome).toBe('MetricsFailed');
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetPodsMetric',
    });
    expect(decision.events.at(-1)).toMatchObject({
      reason: 'FailedComputeMetricsReplicas',
      message: expect.stringContaining(
        'invalid metrics (1 invalid out of 2), first error is: failed to get pods metric value: ',
      ),
    });
  });

  it('given several valid metrics, should take the largest proposal and name its metric', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(twoMetrics),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
      metricResults: { 1: podsResult({ [podName(0)]: 20000, [podName(1)]: 20000, [podName(2)]: 20000 }) },
    });
    expect(decision.explanation.metrics.map((m) => m.proposal)).toEqual([5, 6]);
    expect(decision.desiredReplicas).toBe(6);
    expect(decision.rescaleReason).toBe('pods metric qps above target');
  });

  it('given a NaN pod metric, should refuse it as FailedGetPodsMetric', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(twoMetrics),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
      metricResults: { 1: podsResult({ [podName(0)]: Number.NaN }) },
    });
    expect(decision.events[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedGetPodsMetric',
      message: expect.stringContaining(
        'invalid value NaN (milli) for pod test-pod-0: metric values must be finite and non-negative',
      ),
    });
  });

  it('given a negative external value, should refuse it as FailedGetExternalMetric', () => {
    const spec = {
      scaleTargetRef: DEPLOYMENT_REF,
      maxReplicas: 10,
      metrics: [
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '1' } } },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(spec),
      scale: makeScale(2),
      metricResults: { 0: externalResult(-5) },
    });
    expect(decision.rescale).toBe(false);
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetExternalMetric',
    });
    expect(decision.events[0]?.message).toContain('metric values must be finite and non-negative');
  });

  it('given no result for a queried metric, should say the loop did not query it', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(twoMetrics),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
    });
    expect(decision.events[0]?.message).toContain('no result was supplied for this metric');
  });
});

describe('malformed spec', () => {
  it.each([
    ['null', null],
    ['maxReplicas 0', { scaleTargetRef: DEPLOYMENT_REF, maxReplicas: 0 }],
    [
      'a Pods metric with a Value target',
      cpuSpec(50, 1, 10, {
        metrics: [{ type: 'Pods', pods: { metric: { name: 'x' }, target: { type: 'Value', value: '1' } } }],
      }),
    ],
  ])('given %s, should report InvalidSpec without rescaling or throwing', (_name, spec) => {
    const history = historyWith([[10, 3]]);
    const decision = evaluate({ autoscaler: makeAutoscaler(spec), scale: makeScale(3), history });
    expect(decision.rescale).toBe(false);
    expect(decision.nextHistory).toEqual(history);
    expect(condition(decision, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(decision.events).toHaveLength(1);
    expect(decision.events[0]).toMatchObject({ type: 'Warning', reason: 'InvalidSpec' });
    expect(decision.events[0]?.message).toMatch(/^the HPA spec is invalid and was not evaluated: spec/);
    expect(planAutoscaler(makeAutoscaler(spec)).target).toBeUndefined();
  });
});

describe('behavior', () => {
  it('given the default behavior from 1 replica, should add at most 4 pods and record the scale-up event only on success', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(5, 1, 20, { behavior: {} })),
      scale: makeScale(1),
      ...cpuWorld([500]),
    });
    expect(decision.explanation.maxAcrossMetrics?.replicas).toBe(10);
    expect(decision.desiredReplicas).toBe(5);
    expect(condition(decision, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    expect(decision.nextHistory?.scaleUpEvents).toEqual([]);
    expect(decision.nextHistoryAfterRescale?.scaleUpEvents).toEqual([
      { timestamp: NOW, replicaChange: 4, outdated: false },
    ]);
  });

  it('given a recent scale-up event, should count it against the policy on the next sync', () => {
    const decision = evaluate({
      autoscaler: makeAutoscaler(
        cpuSpec(10, 1, 20, {
          behavior: { scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] } },
        }),
      ),
      scale: makeScale(5),
      history: historyWith([], { up: [[30, 4]] }),
      ...cpuWorld([500, 500, 500, 500, 500]),
    });
    expect(decision.desiredReplicas).toBe(5);
    expect(decision.rescale).toBe(false);
    expect(decision.explanation.rateLimit?.policies?.[0]).toMatchObject({
      replicasAddedInPeriod: 4,
      periodStartReplicas: 1,
      allowed: 5,
    });
  });
});

describe('status, conditions and rescale outcome', () => {
  it('given a condition whose status does not change, should keep its lastTransitionTime', () => {
    const earlier = '2024-04-30T10:00:00Z';
    const previous: HorizontalPodAutoscalerStatus = {
      currentReplicas: 3,
      desiredReplicas: 3,
      conditions: [
        {
          type: 'AbleToScale',
          status: 'False',
          lastTransitionTime: earlier,
          reason: 'FailedGetScale',
          message: 'x',
        },
        {
          type: 'ScalingActive',
          status: 'True',
          lastTransitionTime: earlier,
          reason: 'ValidMetricFound',
          message: 'y',
        },
      ],
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10), { status: previous }),
      scale: makeScale(3),
      history: historyWith([]),
      ...cpuWorld([500, 500, 500]),
    });
    expect(condition(decision, 'AbleToScale')).toMatchObject({
      status: 'True',
      lastTransitionTime: NOW_TEXT,
      reason: 'ReadyForNewScale',
    });
    expect(condition(decision, 'ScalingActive')).toMatchObject({
      status: 'True',
      lastTransitionTime: earlier,
    });
    expect(decision.status.conditions?.map((c) => c.type)).toEqual([
      'AbleToScale',
      'ScalingActive',
      'ScalingLimited',
    ]);
  });

  it('given the same world twice, should report the second status as unchanged', () => {
    const world = { scale: makeScale(3), history: historyWith([]), ...cpuWorld([500, 500, 500]) };
    const first = evaluate({ autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)), ...world });
    expect(first.statusChanged).toBe(true);
    const second = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(50, 1, 10), { status: first.status }),
      ...world,
      history: first.nextHistory,
    });
    expect(second.statusChanged).toBe(false);
  });

  it('given a failed scale update, should report FailedUpdateScale and FailedRescale and keep the previous desired count', () => {
    const previous: HorizontalPodAutoscalerStatus = {
      currentReplicas: 3,
      desiredReplicas: 3,
      lastScaleTime: '2024-04-30T10:00:00Z',
    };
    const decision = evaluate({
      autoscaler: makeAutoscaler(cpuSpec(30, 1, 10), { status: previous }),
      scale: makeScale(3),
      ...cpuWorld([300, 500, 700]),
    });
    const failed = rescaleFailed(decision, 'the object has been modified');
    expect(failed.status).toMatchObject({
      currentReplicas: 3,
      desiredReplicas: 3,
      lastScaleTime: '2024-04-30T10:00:00Z',
    });
    expect(failed.status.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'False',
      lastTransitionTime: NOW_TEXT,
      reason: 'FailedUpdateScale',
      message: 'the HPA controller was unable to update the target scale: the object has been modified',
    });
    expect(failed.events).toEqual([
      {
        type: 'Warning',
        reason: 'FailedRescale',
        message: `New size: 5; reason: ${CPU_NAME} above target; error: the object has been modified`,
      },
    ]);
  });

  it('given a sync without rescale, rescaleFailed should change nothing', () => {
    const decision = evaluate({ autoscaler: makeAutoscaler(cpuSpec(50, 1, 10)), scale: makeScale(0) });
    expect(rescaleFailed(decision, 'x')).toEqual({ status: decision.status, events: decision.events });
  });
});

describe('planning', () => {
  const spec = {
    scaleTargetRef: { kind: 'ReplicationController', name: 'rc' },
    maxReplicas: 10,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'qps', selector: { matchLabels: { verb: 'GET' } } },
          target: { type: 'AverageValue', averageValue: '10' },
        },
      },
      {
        type: 'Object',
        object: {
          describedObject: { kind: 'Service', name: 'web' },
          metric: { name: 'rps' },
          target: { type: 'Value', value: '5' },
        },
      },
      { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '5' } } },
      {
        type: 'External',
        external: {
          metric: { name: 'bad', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } },
          target: { type: 'Value', value: '5' },
        },
      },
    ],
  };

  it('given a spec, should name the scale target (apiVersion v1 when absent) and whether pod metrics are needed', () => {
    const plan = planAutoscaler(makeAutoscaler(spec));
    expect(plan.target).toEqual({
      namespace: 'test-namespace',
      apiVersion: 'v1',
      kind: 'ReplicationController',
      name: 'rc',
    });
    expect(plan.needsPodMetrics).toBe(true);
  });

  it('given a scale, should list the Pods/Object/External queries (skipping metrics with invalid selectors)', () => {
    const origin = { namespace: 'test-namespace', name: 'test-hpa', annotations: { team: 'shop' } };
    expect(metricQueries({ ...makeAutoscaler(spec), annotations: { team: 'shop' } }, makeScale(3))).toEqual([
      {
        metricIndex: 1,
        kind: 'Pods',
        query: {
          origin,
          namespace: 'test-namespace',
          metricName: 'qps',
          podSelector: 'name=test-pod',
          metricSelector: { matchLabels: { verb: 'GET' } },
        },
      },
      {
        metricIndex: 2,
        kind: 'Object',
        query: {
          origin,
          namespace: 'test-namespace',
          describedObject: { kind: 'Service', name: 'web' },
          metricName: 'rps',
        },
      },
      { metricIndex: 3, kind: 'External', query: { origin, namespace: 'test-namespace', metricName: 'q' } },
    ]);
  });

  it('given replicas outside [min, max] or no selector, should need no queries', () => {
    expect(metricQueries(makeAutoscaler(spec), makeScale(11))).toEqual([]);
    expect(metricQueries(makeAutoscaler(spec), makeScale(3, { selector: '' }))).toEqual([]);
    expect(metricQueries(makeAutoscaler(spec), undefined)).toEqual([]);
  });
});

describe('over several syncs', () => {
  it('given steady low usage, should hold the scale-down for the 5 min window and then scale down', () => {
    const autoscaler = makeAutoscaler(cpuSpec(50, 1, 10));
    const world = (now: number, history: HpaEvaluationInput['history']) =>
      evaluate({ autoscaler, scale: makeScale(4), now, history, ...cpuWorld([100, 100, 100, 100]) });
    const first = world(NOW, undefined);
    expect(first.rescale).toBe(false);
    const second = world(NOW + 60_000, first.nextHistory);
    expect(second.rescale).toBe(false);
    expect(second.explanation.stabilization?.recommendations.map((r) => r.replicas)).toEqual([4, 1]);
    const third = world(NOW + 301_000, second.nextHistory);
    expect(third.rescale).toBe(true);
    expect(third.desiredReplicas).toBe(1);
    expect(third.nextHistory?.recommendations.map((r) => r.replicas)).toEqual([1, 1]);
  });
});
