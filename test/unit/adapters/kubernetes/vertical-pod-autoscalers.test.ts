/**
 * The VPA adapter's conversions between raw JSON and the port's shapes; the wire behaviour (pagination,
 * status subresource, strategic merge, 409, RBAC) is tested against a real API server in
 * test/cluster/vpa-adapter.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  resourcesPatch,
  toKubeTime,
  toVpaObject,
  toVpaStatus,
  toWorkloadTemplate,
  vpaStatusPatch,
} from '../../../../shared/adapters/kubernetes/vertical-pod-autoscalers';
import { MalformedObjectError, type ScaleTargetKey } from '../../../../shared/ports/kubernetes';

const web: ScaleTargetKey = { namespace: 'shop', apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

describe('reading a VPA', () => {
  it('should keep the spec raw and leave the status out when there is none', () => {
    const spec = { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, bogus: [1] };
    expect(
      toVpaObject({
        metadata: {
          namespace: 'shop',
          name: 'web',
          uid: 'u1',
          generation: 4,
          resourceVersion: '812',
          annotations: { a: 'b' },
          creationTimestamp: '2025-06-01T12:00:00Z',
        },
        spec,
      }),
    ).toEqual({
      namespace: 'shop',
      name: 'web',
      uid: 'u1',
      generation: 4,
      resourceVersion: '812',
      annotations: { a: 'b' },
      creationTimestamp: Date.parse('2025-06-01T12:00:00Z'),
      spec,
    });
  });

  it('should read a status leniently: integer quantities as strings, odd entries skipped, unknown status Unknown', () => {
    expect(
      toVpaStatus({
        recommendation: {
          containerRecommendations: [
            { containerName: 'app', target: { cpu: '250m', memory: 536870912, gpu: null } },
            'not an object',
          ],
        },
        conditions: [
          { type: 'RecommendationProvided', status: 'True', lastTransitionTime: '2025-06-01T12:00:00Z' },
          { type: 'LowConfidence', status: 'Maybe', reason: '', message: 'few samples' },
          { status: 'True' },
          { type: 'Odd', status: 'False', lastTransitionTime: 'yesterday' },
        ],
      }),
    ).toEqual({
      recommendation: {
        containerRecommendations: [
          {
            containerName: 'app',
            target: { cpu: '250m', memory: '536870912' },
            lowerBound: {},
            upperBound: {},
            uncappedTarget: {},
          },
        ],
      },
      conditions: [
        {
          type: 'RecommendationProvided',
          status: 'True',
          lastTransitionTime: Date.parse('2025-06-01T12:00:00Z'),
        },
        { type: 'LowConfidence', status: 'Unknown', message: 'few samples' },
        { type: 'Odd', status: 'False' },
      ],
    });
  });

  it('should read no status from a non-object, and an empty one as no recommendation and no conditions', () => {
    expect(toVpaStatus(undefined)).toBeUndefined();
    expect(toVpaStatus(['x'])).toBeUndefined();
    expect(toVpaStatus({})).toEqual({ conditions: [] });
  });
});

describe('writing a VPA status', () => {
  it('should write metav1 times, to the second', () => {
    expect(toKubeTime(Date.parse('2025-06-01T12:00:00.999Z'))).toBe('2025-06-01T12:00:00Z');
    expect(toKubeTime(Date.parse('2025-06-01T12:00:01Z'))).toBe('2025-06-01T12:00:01Z');
  });

  it('should replace: null for a missing recommendation, the conditions list whole', () => {
    expect(vpaStatusPatch({ conditions: [] })).toEqual({ status: { recommendation: null, conditions: [] } });
  });

  it('should leave out empty bounds and empty reasons, as upstream’s types omit them', () => {
    expect(
      vpaStatusPatch({
        recommendation: {
          containerRecommendations: [
            {
              containerName: 'app',
              target: { cpu: '25m', memory: '250Mi' },
              lowerBound: {},
              upperBound: { cpu: '1', memory: '1Gi' },
              uncappedTarget: {},
            },
          ],
        },
        conditions: [
          {
            type: 'RecommendationProvided',
            status: 'True',
            lastTransitionTime: Date.parse('2025-06-01T12:00:00.250Z'),
          },
          { type: 'LowConfidence', status: 'False', reason: '', message: '' },
        ],
      }),
    ).toEqual({
      status: {
        recommendation: {
          containerRecommendations: [
            {
              containerName: 'app',
              target: { cpu: '25m', memory: '250Mi' },
              upperBound: { cpu: '1', memory: '1Gi' },
            },
          ],
        },
        conditions: [
          { type: 'RecommendationProvided', status: 'True', lastTransitionTime: '2025-06-01T12:00:00Z' },
          { type: 'LowConfidence', status: 'False' },
        ],
      },
    });
  });
});

describe('workload templates', () => {
  it('should read the selector in string form and each container’s requests and limits', () => {
    expect(
      toWorkloadTemplate(web, {
        metadata: { resourceVersion: '77' },
        spec: {
          selector: {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }],
          },
          template: {
            spec: {
              containers: [
                { name: 'app', resources: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } } },
                { name: 'bare' },
              ],
            },
          },
        },
      }),
    ).toEqual({
      target: web,
      resourceVersion: '77',
      selector: 'app=web,track notin (canary)',
      containers: [
        { name: 'app', requests: { cpu: '100m' }, limits: { memory: '1Gi' } },
        { name: 'bare', requests: {}, limits: {} },
      ],
    });
  });

  it('should refuse a workload without a selector or with an invalid one, rather than select every pod', () => {
    expect(() => toWorkloadTemplate(web, { spec: {} })).toThrow(MalformedObjectError);
    expect(() =>
      toWorkloadTemplate(web, {
        spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Near' as 'In', values: ['b'] }] } },
      }),
    ).toThrow(
      /spec.selector of apps\/v1 Deployment shop\/web: "Near" is not a valid label selector operator/,
    );
  });

  it('should patch only the named containers’ non-empty resource maps, guarded by the resourceVersion', () => {
    expect(
      resourcesPatch('812', [
        { name: 'app', requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
        { name: 'proxy', requests: { cpu: '20m' }, limits: {} },
      ]),
    ).toEqual({
      metadata: { resourceVersion: '812' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
              },
              { name: 'proxy', resources: { requests: { cpu: '20m' } } },
            ],
          },
        },
      },
    });
  });
});
