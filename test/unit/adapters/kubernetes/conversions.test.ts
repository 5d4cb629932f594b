import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventAction, reportingController } from '../../../../shared/adapters/kubernetes/adapter';
import {
  parseGoDurationSeconds,
  scaleFromWorkload,
  statusManagers,
  toAutoscaler,
  toPod,
  toPodMetrics,
} from '../../../../shared/adapters/kubernetes/convert';
import { toPortError } from '../../../../shared/adapters/kubernetes/errors';
import { describeRequest } from '../../../../shared/adapters/kubernetes/request-stats';
import { toMetricError } from '../../../../shared/adapters/metrics/kubernetes-metrics-api';
import type { LabelSelector } from '../../../../shared/ports/autoscaling-v2';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../../shared/ports/kubernetes';

describe('describeRequest', () => {
  it.each([
    ['GET', 'https://k/api/v1/pods?limit=500', 'list pods'],
    ['GET', 'https://k/api/v1/nodes', 'list nodes'],
    ['GET', 'https://k/apis/apps/v1/deployments', 'list apps/deployments'],
    ['GET', 'https://k/apis/apps/v1/namespaces/a/deployments/web/scale', 'get apps/deployments/scale'],
    ['PUT', 'https://k/apis/example.com/v1/namespaces/a/webapps/w/scale', 'update example.com/webapps/scale'],
    [
      'PATCH',
      'https://k/apis/autoscaling.tideplane.io/v1alpha1/namespaces/a/horizontalautoscalers/h/status',
      'patch autoscaling.tideplane.io/horizontalautoscalers/status',
    ],
    ['POST', 'https://k/apis/events.k8s.io/v1/namespaces/a/events', 'create events.k8s.io/events'],
    ['GET', 'https://k/apis/example.com/v1', 'discovery example.com/v1'],
    ['GET', 'https://k/api/v1', 'discovery v1'],
    [
      'GET',
      'https://k/apis/custom.metrics.k8s.io/v1beta2/namespaces/a/pods/*/rps',
      'get custom.metrics.k8s.io/pods/rps',
    ],
    [
      'GET',
      'https://k/apis/external.metrics.k8s.io/v1beta1/namespaces/a/queue',
      'list external.metrics.k8s.io/queue',
    ],
    ['DELETE', 'https://k/api/v1/namespaces/a/pods', 'deletecollection pods'],
  ])('%s %s → %s', (method, url, key) => {
    expect(describeRequest(method, url)).toBe(key);
  });
});

describe('conversions', () => {
  it('should convert a pod: times to epoch ms, quantities as strings, sidecars kept', () => {
    const pod: V1Pod = {
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: 'u1',
        creationTimestamp: new Date('2025-01-01T00:00:00Z'),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1', controller: true },
        ],
      },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'app', resources: { requests: { cpu: '250m', memory: '1Gi' } } }],
        initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { limits: { cpu: '1' } } }],
      },
      status: {
        phase: 'Running',
        startTime: new Date('2025-01-01T00:00:05Z'),
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2025-01-01T00:00:10Z') }],
      },
    };
    expect(toPod(pod)).toEqual({
      namespace: 'shop',
      name: 'web-1',
      uid: 'u1',
      labels: {},
      annotations: {},
      phase: 'Running',
      nodeName: 'n1',
      creationTimestamp: Date.parse('2025-01-01T00:00:00Z'),
      startTime: Date.parse('2025-01-01T00:00:05Z'),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: Date.parse('2025-01-01T00:00:10Z') }],
      containers: [{ name: 'app', requests: { cpu: '250m', memory: '1Gi' }, limits: {} }],
      initContainers: [{ name: 'proxy', requests: {}, limits: { cpu: '1' }, restartPolicy: 'Always' }],
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1', controller: true },
      ],
    });
  });

  it('should list status managers from managedFields entries of the status subresource, latest time', () => {
    expect(
      statusManagers({
        managedFields: [
          { manager: 'kubectl', operation: 'Apply', time: '2025-01-01T00:00:00Z' },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            time: '2025-01-01T00:01:00Z',
          },
          { manager: 'tideplane', operation: 'Update', subresource: 'status', time: '2025-01-01T00:02:00Z' },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            time: '2025-01-01T00:03:00Z',
          },
        ],
      }),
    ).toEqual([
      { manager: 'kube-controller-manager', time: Date.parse('2025-01-01T00:03:00Z') },
      { manager: 'tideplane', time: Date.parse('2025-01-01T00:02:00Z') },
    ]);
  });

  it('should keep an autoscaler spec raw and default the apiVersion that built-in list items omit', () => {
    const hpa = toAutoscaler(
      'HorizontalPodAutoscaler',
      {
        metadata: { name: 'h', namespace: 'a', generation: 3, creationTimestamp: '2025-01-01T00:00:00Z' },
        spec: { bad: 1 },
      },
      'autoscaling/v2',
    );
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      generation: 3,
      spec: { bad: 1 },
      statusManagers: [],
    });
    expect(hpa.status).toBeUndefined();
  });

  it('should build a workload scale as /scale does (replicas default 1, selector string)', () => {
    const target = { namespace: 'a', apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
    expect(
      scaleFromWorkload(target, {
        metadata: { resourceVersion: '42' },
        spec: { selector: { matchLabels: { app: 'web' } } },
      }),
    ).toEqual({ target, specReplicas: 1, statusReplicas: 0, selector: 'app=web', resourceVersion: '42' });
    const selectorOf = (selector?: LabelSelector) =>
      scaleFromWorkload(target, { spec: { selector } }).selector;
    expect(
      selectorOf({
        matchLabels: { tier: 'web', app: 'shop' },
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['b', 'a'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'owner', operator: 'Exists' },
        ],
      }),
    ).toBe('app=shop,!canary,env notin (dev),owner,tier=web,zone in (a,b)');
    expect(selectorOf(undefined)).toBe('');
    expect(selectorOf({})).toBe('');
  });

  it('should parse Go durations and pod metrics windows', () => {
    expect(parseGoDurationSeconds('30s')).toBe(30);
    expect(parseGoDurationSeconds('1m0.5s')).toBe(60.5);
    expect(parseGoDurationSeconds('500ms')).toBe(0.5);
    expect(parseGoDurationSeconds('1h2m')).toBe(3720);
    expect(parseGoDurationSeconds('soon')).toBeUndefined();
    expect(
      toPodMetrics({
        metadata: { name: 'p', namespace: 'a' },
        timestamp: '2025-01-01T00:00:00Z',
        window: '15s',
        containers: [{ name: 'c', usage: { cpu: '12m', memory: '3Mi' } }],
      }),
    ).toEqual({
      namespace: 'a',
      name: 'p',
      timestamp: Date.parse('2025-01-01T00:00:00Z'),
      windowSeconds: 15,
      containers: [{ name: 'c', usage: { cpu: '12m', memory: '3Mi' } }],
    });
  });
});

describe('error classification', () => {
  const apiError = (code: number, body: unknown = { message: 'nope' }) =>
    new ApiException(code, 'x', body, {});

  it('should map 409/404/403 to the port errors and leave others alone', () => {
    expect(toPortError(apiError(409), 'w')).toBeInstanceOf(ConflictError);
    expect(toPortError(apiError(404), 'w')).toBeInstanceOf(NotFoundError);
    expect(toPortError(apiError(403), 'w')).toBeInstanceOf(ForbiddenError);
    const other = apiError(500);
    expect(toPortError(other, 'w')).toBe(other);
    expect(
      (toPortError(apiError(409, JSON.stringify({ message: 'changed' })), 'update x') as Error).message,
    ).toBe('update x: HTTP 409: changed');
  });

  it('should map metrics API failures to MetricError reasons', () => {
    expect(
      toMetricError(apiError(404, { message: 'metric rps not found', details: { name: 'rps' } }), 'm').reason,
    ).toBe('NotFound');
    expect(
      toMetricError(apiError(404, { message: 'the server could not find the requested resource' }), 'm')
        .reason,
    ).toBe('NotServed');
    expect(toMetricError(apiError(404, '404 page not found\n'), 'm').reason).toBe('NotServed');
    expect(toMetricError(apiError(503), 'm').reason).toBe('NotServed');
    expect(toMetricError(apiError(403), 'm').reason).toBe('Forbidden');
    expect(toMetricError(apiError(500), 'm').reason).toBe('Unavailable');
    expect(toMetricError(new DOMException('The operation timed out.', 'TimeoutError'), 'm').reason).toBe(
      'Timeout',
    );
    expect(toMetricError(new TypeError('fetch failed'), 'm').reason).toBe('Unavailable');
  });
});

describe('events', () => {
  it('should name the reporting controller tideplane.io/<component> and derive the action from the reason', () => {
    expect(reportingController('tideplane-hpa')).toBe('tideplane.io/hpa');
    expect(reportingController('node-pools')).toBe('tideplane.io/node-pools');
    expect(reportingController('example.com/x')).toBe('example.com/x');
    expect(eventAction('SuccessfulRescale')).toBe('Rescale');
    expect(eventAction('FailedGetResourceMetric')).toBe('GetResourceMetric');
    expect(eventAction('ScaleUpLimited')).toBe('ScaleUpLimited');
  });
});
