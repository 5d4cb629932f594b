import { describe, expect, it } from 'vitest';
import { parseHpaSpec, type SpecProblem } from '../../../shared/hpa/spec';
import { DEPLOYMENT_REF } from './fixtures';

const base = { scaleTargetRef: DEPLOYMENT_REF, maxReplicas: 10 };

function problems(spec: unknown): SpecProblem[] {
  const result = parseHpaSpec(spec);
  return result.ok ? [] : result.problems;
}

function expectProblem(spec: unknown, path: string, fragment: string): void {
  const found = problems(spec);
  expect(found, JSON.stringify(found)).toContainEqual(
    expect.objectContaining({ path, message: expect.stringContaining(fragment) }),
  );
}

describe('parseHpaSpec defaults', () => {
  it('given only a target and maxReplicas, should default minReplicas to 1 and the metrics to CPU at 80%', () => {
    const result = parseHpaSpec(base);
    expect(result).toEqual({
      ok: true,
      spec: {
        scaleTargetRef: DEPLOYMENT_REF,
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
    });
  });

  it('given an empty metrics list, should default it too', () => {
    const result = parseHpaSpec({ ...base, metrics: [] });
    expect(result.ok && result.spec.metrics[0]?.resource?.name).toBe('cpu');
  });

  it('given no behavior, should leave behavior unset (the controller applies its own rules)', () => {
    const result = parseHpaSpec(base);
    expect(result.ok && result.spec.behavior).toBeUndefined();
  });

  it('given an empty behavior, should fill both directions with the upstream defaults', () => {
    const result = parseHpaSpec({ ...base, behavior: {} });
    expect(result.ok && result.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });

  it('given a partial scaleDown rule, should keep what is set and default the rest (window stays unset)', () => {
    const result = parseHpaSpec({
      ...base,
      behavior: {
        scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], tolerance: '0.05' },
      },
    });
    expect(result.ok && result.spec.behavior?.scaleDown).toEqual({
      selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
      tolerance: '0.05',
    });
  });

  it('given numbers where quantities are expected, should accept them as quantities', () => {
    const result = parseHpaSpec({
      ...base,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: 10 } },
        },
      ],
    });
    expect(result.ok && result.spec.metrics[0]?.pods?.target.averageValue).toBe('10');
  });

  it('given minReplicas 0 with an External metric, should accept scale to zero', () => {
    const result = parseHpaSpec({
      ...base,
      minReplicas: 0,
      metrics: [
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } },
      ],
    });
    expect(result.ok && result.spec.minReplicas).toBe(0);
  });
});

describe('parseHpaSpec validation', () => {
  it('given no object, should report the spec as required', () => {
    expectProblem(null, 'spec', 'spec must be an object');
    expectProblem('x', 'spec', 'spec must be an object');
  });

  it('given fields of the wrong type, should report their paths', () => {
    expectProblem({ ...base, maxReplicas: 'ten' }, 'spec.maxReplicas', 'Invalid value');
    expectProblem({ ...base, minReplicas: 1.5 }, 'spec.minReplicas', 'Invalid value');
  });

  it.each([
    [{ ...base, maxReplicas: 0 }, 'spec.maxReplicas', 'must be greater than 0'],
    [{ ...base, minReplicas: -1 }, 'spec.minReplicas', 'must be greater than or equal to 0'],
    [
      { ...base, minReplicas: 5, maxReplicas: 3 },
      'spec.maxReplicas',
      'must be greater than or equal to `minReplicas`',
    ],
    [{ maxReplicas: 3 }, 'spec.scaleTargetRef.kind', 'Required value'],
    [
      { ...base, scaleTargetRef: { kind: 'Deployment', name: 'a/b' } },
      'spec.scaleTargetRef.name',
      "may not contain '/'",
    ],
    [{ ...base, minReplicas: 0 }, 'spec.metrics', 'must specify at least one Object or External metric'],
  ])('given %j, should report %s (%s)', (spec, path, fragment) => {
    expectProblem(spec, path, fragment);
  });

  it.each([
    [{ type: 'Foo' }, 'spec.metrics[0].type', 'Unsupported value: "Foo"'],
    [
      { type: 'Resource' },
      'spec.metrics[0].resource',
      'must populate information for the given metric source',
    ],
    [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        pods: { metric: { name: 'x' }, target: { type: 'AverageValue', averageValue: '1' } },
      },
      'spec.metrics[0].pods',
      'must populate the given metric source only',
    ],
    [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Value', value: '1' } } },
      'spec.metrics[0].resource.target.type',
      'supported values: "AverageValue", "Utilization"',
    ],
    [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } },
      'spec.metrics[0].resource.target.averageUtilization',
      'must set either a target raw value or a target utilization',
    ],
    [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } },
      'spec.metrics[0].resource.target.averageUtilization',
      'must be greater than 0',
    ],
    [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50, averageValue: '1' } },
      },
      'spec.metrics[0].resource.target.averageValue',
      'may not set both',
    ],
    [
      { type: 'Resource', resource: { name: '', target: { type: 'AverageValue', averageValue: '1' } } },
      'spec.metrics[0].resource.name',
      'must specify a resource name',
    ],
    [
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'Value', value: '1' } } },
      'spec.metrics[0].pods.target.averageValue',
      'must specify a positive target averageValue',
    ],
    [
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'Value', value: '1' } } },
      'spec.metrics[0].pods.target.type',
      'supported values: "AverageValue"',
    ],
    [
      { type: 'Pods', pods: { metric: { name: '' }, target: { type: 'AverageValue', averageValue: '1' } } },
      'spec.metrics[0].pods.metric.name',
      'must specify a metric name',
    ],
    [
      {
        type: 'Pods',
        pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '-1' } },
      },
      'spec.metrics[0].pods.target.averageValue',
      'must be positive',
    ],
    [
      {
        type: 'Pods',
        pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: 'lots' } },
      },
      'spec.metrics[0].pods.target.averageValue',
      'no digits',
    ],
    [
      {
        type: 'Object',
        object: {
          describedObject: { kind: 'Ingress', name: 'web' },
          metric: { name: 'rps' },
          target: { type: 'Utilization', averageUtilization: 5 },
        },
      },
      'spec.metrics[0].object.target.averageValue',
      'must set either a target value or averageValue',
    ],
    [
      {
        type: 'Object',
        object: {
          describedObject: { kind: '', name: 'web' },
          metric: { name: 'rps' },
          target: { type: 'Value', value: '5' },
        },
      },
      'spec.metrics[0].object.describedObject.kind',
      'Required value',
    ],
    [
      {
        type: 'Object',
        object: {
          describedObject: { kind: 'Ingress', name: 'web' },
          metric: { name: 'rps' },
          target: { type: 'Value', averageValue: '5' },
        },
      },
      'spec.metrics[0].object.target.value',
      'must be set for target type Value',
    ],
    [
      {
        type: 'External',
        external: { metric: { name: 'q' }, target: { type: 'Value', value: '5', averageValue: '1' } },
      },
      'spec.metrics[0].external.target.value',
      'may not set both a target value for metric and a per-pod target',
    ],
    [
      { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Bogus', value: '5' } } },
      'spec.metrics[0].external.target.type',
      'must be either Utilization, Value, or AverageValue',
    ],
    [
      {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          container: 'App_1',
          target: { type: 'Utilization', averageUtilization: 60 },
        },
      },
      'spec.metrics[0].containerResource.container',
      'RFC 1123 label',
    ],
    [
      {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          container: '',
          target: { type: 'Utilization', averageUtilization: 60 },
        },
      },
      'spec.metrics[0].containerResource.container',
      'must specify a container',
    ],
  ])('given the metric %j, should report %s (%s)', (metric, path, fragment) => {
    expectProblem({ ...base, metrics: [metric] }, path, fragment);
  });

  it.each([
    [{ scaleUp: { policies: [] } }, 'spec.behavior.scaleUp.policies', 'must specify at least one Policy'],
    [
      { scaleUp: { policies: [{ type: 'Pods', value: 0, periodSeconds: 15 }] } },
      'spec.behavior.scaleUp.policies[0].value',
      'must be greater than zero',
    ],
    [
      { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 0 }] } },
      'spec.behavior.scaleDown.policies[0].periodSeconds',
      'must be greater than zero',
    ],
    [
      { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1801 }] } },
      'spec.behavior.scaleDown.policies[0].periodSeconds',
      'must be less than or equal to 1800',
    ],
    [
      { scaleDown: { policies: [{ type: 'Bogus', value: 1, periodSeconds: 60 }] } },
      'spec.behavior.scaleDown.policies[0].type',
      'supported values: "Percent", "Pods"',
    ],
    [
      { scaleUp: { stabilizationWindowSeconds: -1 } },
      'spec.behavior.scaleUp.stabilizationWindowSeconds',
      'must be greater than or equal to zero',
    ],
    [
      { scaleDown: { stabilizationWindowSeconds: 3601 } },
      'spec.behavior.scaleDown.stabilizationWindowSeconds',
      'must be less than or equal to 3600',
    ],
    [
      { scaleDown: { selectPolicy: 'Sometimes' } },
      'spec.behavior.scaleDown.selectPolicy',
      'supported values: "Disabled", "Max", "Min"',
    ],
    [
      { scaleUp: { tolerance: '-0.1' } },
      'spec.behavior.scaleUp.tolerance',
      'must be greater than or equal to zero',
    ],
  ])('given the behavior %j, should report %s (%s)', (behavior, path, fragment) => {
    expectProblem({ ...base, behavior }, path, fragment);
  });

  it('given a valid spec with every metric kind, should accept it', () => {
    const result = parseHpaSpec({
      ...base,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
        },
        {
          type: 'ContainerResource',
          containerResource: {
            name: 'cpu',
            container: 'app',
            target: { type: 'Utilization', averageUtilization: 60 },
          },
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
            describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' },
            metric: { name: 'rps' },
            target: { type: 'AverageValue', averageValue: '100' },
          },
        },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
      ],
      behavior: {
        scaleUp: { selectPolicy: 'Disabled' },
        scaleDown: { stabilizationWindowSeconds: 60, tolerance: '50m' },
      },
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });
});
