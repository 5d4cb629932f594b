/**
 * When a recommendation goes into the workload's pod template (shared/vpa/updater.ts), one rule per
 * test, and the VPA spec it reads (shared/vpa/vpa-spec.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ContainerRecommendation } from '../../../shared/vpa/recommender';
import { DEFAULT_UPDATER_SETTINGS, decideUpdate, type UpdateInput } from '../../../shared/vpa/updater';
import { ownsVpa, parseVpaSpec } from '../../../shared/vpa/vpa-spec';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const MIB = 1024 * 1024;

function recommendation(
  memoryMiB: { target: number; lower: number; upper: number },
  cpu = 250,
): ContainerRecommendation {
  return {
    containerName: 'app',
    target: { cpu, memory: memoryMiB.target * MIB },
    lowerBound: { cpu: cpu * 0.8, memory: memoryMiB.lower * MIB },
    upperBound: { cpu: cpu * 1.5, memory: memoryMiB.upper * MIB },
    uncappedTarget: { cpu, memory: memoryMiB.target * MIB },
  };
}

function input(overrides: Partial<UpdateInput> = {}): UpdateInput {
  return {
    updateMode: 'Auto',
    recommendations: [recommendation({ target: 512, lower: 400, upper: 800 })],
    template: [
      { name: 'app', requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    ],
    podStarts: [NOW - 24 * HOUR],
    oom: false,
    now: NOW,
    settings: DEFAULT_UPDATER_SETTINGS,
    ...overrides,
  };
}

describe('decideUpdate', () => {
  it('should only recommend in mode Off and report Initial as unsupported', () => {
    expect(decideUpdate(input({ updateMode: 'Off' }))).toEqual({
      action: 'none',
      reason: 'updateMode Off: recommendations only',
    });
    expect(decideUpdate(input({ updateMode: 'Initial' }))).toMatchObject({
      action: 'unsupported',
      reason: expect.stringContaining('admission webhook'),
    });
  });

  it('should leave requests that match the recommendation alone', () => {
    expect(decideUpdate(input())).toEqual({ action: 'none', reason: 'requests match the recommendation' });
  });

  it('should update at once a request below the lower bound, memory limit = request, cpu limit in proportion', () => {
    const decision = decideUpdate(
      input({
        recommendations: [recommendation({ target: 900, lower: 700, upper: 1400 }, 400)],
        podStarts: [NOW - 5 * 60_000],
      }),
    );
    expect(decision).toEqual({
      action: 'patch',
      reason:
        'app cpu request 250m is below the lower bound 320m; app memory request 512Mi is below the lower bound 700Mi',
      containers: [
        { name: 'app', requests: { cpu: '400m', memory: '900Mi' }, limits: { cpu: '800m', memory: '900Mi' } },
      ],
    });
  });

  it('should update a request above the upper bound at once', () => {
    const decision = decideUpdate(
      input({ recommendations: [recommendation({ target: 300, lower: 250, upper: 400 })], podStarts: [NOW] }),
    );
    expect(decision).toMatchObject({
      action: 'patch',
      reason: 'app memory request 512Mi is above the upper bound 400Mi',
    });
  });

  it('should apply a change of 10 % or more inside the bounds only once the youngest pod ran 12 h', () => {
    // Upstream's rule, for limits that are not the request (with memory limit = request, see below).
    const upstream = { ...DEFAULT_UPDATER_SETTINGS, memoryLimitEqualsRequest: false };
    const grown = [recommendation({ target: 600, lower: 400, upper: 800 })];
    expect(
      decideUpdate(
        input({ recommendations: grown, podStarts: [NOW - 24 * HOUR, NOW - 11 * HOUR], settings: upstream }),
      ),
    ).toMatchObject({
      action: 'none',
      reason: 'app memory 512Mi → 600Mi waits until the pods have run 12 h (youngest pod 660 min old)',
    });
    expect(
      decideUpdate(input({ recommendations: grown, podStarts: [NOW - 13 * HOUR], settings: upstream })),
    ).toMatchObject({
      action: 'patch',
      reason: 'app memory 512Mi → 600Mi',
    });
    const small = [recommendation({ target: 550, lower: 400, upper: 800 })];
    expect(decideUpdate(input({ recommendations: small, settings: upstream })).action).toBe('none');
  });

  it('should raise memory at once when memory limit = request and the target is 10 % above the request, and lower it only after 12 h', () => {
    const young = [NOW - HOUR];
    const grown = [recommendation({ target: 600, lower: 400, upper: 800 })];
    expect(decideUpdate(input({ recommendations: grown, podStarts: young }))).toMatchObject({
      action: 'patch',
      reason: 'app memory target 600Mi is above the request 512Mi, which is the limit',
      containers: [{ name: 'app', requests: { memory: '600Mi' }, limits: { memory: '600Mi' } }],
    });
    // Less than 10 % above: no churn.
    const small = [recommendation({ target: 550, lower: 400, upper: 800 })];
    expect(decideUpdate(input({ recommendations: small, podStarts: young })).action).toBe('none');
    // Down is no risk: it waits like any change.
    const shrunk = [recommendation({ target: 450, lower: 400, upper: 800 })];
    expect(decideUpdate(input({ recommendations: shrunk, podStarts: young }))).toMatchObject({
      action: 'none',
      reason: expect.stringContaining('waits until the pods have run 12 h'),
    });
    // RequestsOnly leaves the limit where it is, above the request: upstream's rule applies.
    const requestsOnly = {
      containerPolicies: [{ containerName: 'app', controlledValues: 'RequestsOnly' as const }],
    };
    expect(
      decideUpdate(input({ recommendations: grown, podStarts: young, policy: requestsOnly })).action,
    ).toBe('none');
  });

  it('should apply any change at once after an OOM kill', () => {
    const decision = decideUpdate(
      input({
        recommendations: [recommendation({ target: 600, lower: 400, upper: 800 })],
        podStarts: [NOW],
        oom: true,
        settings: { ...DEFAULT_UPDATER_SETTINGS, memoryLimitEqualsRequest: false },
      }),
    );
    expect(decision).toMatchObject({
      action: 'patch',
      reason: 'after an OOM kill: app memory 512Mi → 600Mi',
    });
  });

  it('should keep limits with RequestsOnly, skip uncontrolled resources and containers in mode Off', () => {
    const policy = {
      containerPolicies: [
        {
          containerName: 'app',
          controlledValues: 'RequestsOnly' as const,
          controlledResources: ['memory' as const],
        },
        { containerName: 'sidecar', mode: 'Off' as const },
      ],
    };
    const decision = decideUpdate(
      input({
        policy,
        recommendations: [
          recommendation({ target: 900, lower: 700, upper: 1400 }, 400),
          { ...recommendation({ target: 64, lower: 32, upper: 128 }), containerName: 'sidecar' },
        ],
        template: [
          {
            name: 'app',
            requests: { cpu: '250m', memory: '512Mi' },
            limits: { cpu: '500m', memory: '512Mi' },
          },
          { name: 'sidecar', requests: { memory: '16Mi' }, limits: {} },
        ],
      }),
    );
    expect(decision).toEqual({
      action: 'patch',
      reason: 'app memory request 512Mi is below the lower bound 700Mi',
      containers: [
        { name: 'app', requests: { cpu: '250m', memory: '900Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
      ],
    });
  });
});

describe('parseVpaSpec', () => {
  it('should read a full spec in the core’s units, with upstream’s defaults', () => {
    expect(
      parseVpaSpec({
        targetRef: { kind: 'StatefulSet', name: 'prometheus' },
        resourcePolicy: {
          containerPolicies: [
            {
              containerName: '*',
              minAllowed: { cpu: '100m', memory: '1Gi' },
              maxAllowed: { memory: '64Gi' },
            },
          ],
        },
        recommenders: [{ name: 'tideplane' }],
      }),
    ).toEqual({
      ok: true,
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'prometheus' },
        updateMode: 'Auto',
        recommenders: ['tideplane'],
        resourcePolicy: {
          containerPolicies: [
            {
              containerName: '*',
              minAllowed: { cpu: 100, memory: 1024 * MIB },
              maxAllowed: { memory: 64 * 1024 * MIB },
            },
          ],
        },
      },
    });
  });

  it.each([
    ['no targetRef', {}, /^spec\.targetRef: /],
    [
      'an unknown update mode',
      { targetRef: { kind: 'Deployment', name: 'web' }, updatePolicy: { updateMode: 'Sometimes' } },
      /^spec\.updatePolicy\.updateMode: /,
    ],
    [
      'a malformed quantity',
      {
        targetRef: { kind: 'Deployment', name: 'web' },
        resourcePolicy: { containerPolicies: [{ containerName: 'app', maxAllowed: { memory: 'lots' } }] },
      },
      /containerPolicies\.0\.maxAllowed\.memory: a Kubernetes quantity/,
    ],
  ])('should say what is wrong with %s', (_name, raw, message) => {
    const parsed = parseVpaSpec(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join('; ')).toMatch(message);
  });

  it('should own VPAs naming its recommender, and the default recommender’s only when told to', () => {
    expect(ownsVpa({ recommenders: ['tideplane'] }, 'tideplane', false)).toBe(true);
    expect(ownsVpa({ recommenders: ['other'] }, 'tideplane', true)).toBe(false);
    expect(ownsVpa({ recommenders: [] }, 'tideplane', false)).toBe(false);
    expect(ownsVpa({ recommenders: [] }, 'tideplane', true)).toBe(true);
  });
});
