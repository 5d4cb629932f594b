import { describe, expect, it } from 'vitest';
import {
  MAX_AUTO_SELECTED_SERVICES,
  metricKind,
  reportServiceProblems,
  selectServices,
} from '../../../shared/sim/report-selection';
import type { ServiceSummary } from '../../../shared/sim/report-stats';

const CPU = 'Resource/cpu';

/** A quiet service: CPU-scaled, 3 replicas all day, no rescale, nothing pending. */
function quiet(key: string, overrides: Partial<ServiceSummary> = {}): ServiceSummary {
  return {
    key,
    kind: 'Deployment',
    metrics: [CPU],
    peakRps: 10,
    minReplicas: 3,
    maxReplicas: 3,
    minAllowed: 2,
    maxAllowed: 20,
    rescales: 0,
    scaleUps: 0,
    scaleDowns: 0,
    pendingPodSeconds: 0,
    ...overrides,
  };
}

/** `n` quiet services `ns/s<i>`. */
function many(n: number): ServiceSummary[] {
  return Array.from({ length: n }, (_, i) => quiet(`ns/s${String(i).padStart(3, '0')}`));
}

/** One busy service of each kind hidden among 200 quiet ones, like full-day's 246. */
function bigScenario(): ServiceSummary[] {
  const services = many(200);
  const busy: ServiceSummary[] = [
    quiet('shop/web', {
      metrics: [CPU, 'External/alb-requests'],
      minReplicas: 4,
      maxReplicas: 30,
      maxAllowed: 40,
      rescales: 22,
    }),
    quiet('shop/suggest', {
      metrics: ['Pods/requests-per-second'],
      minReplicas: 2,
      maxReplicas: 6,
      rescales: 3,
    }),
    quiet('jobs/worker', {
      metrics: ['External/sqs-queue-length', CPU],
      minReplicas: 1,
      maxReplicas: 9,
      rescales: 5,
    }),
    quiet('shop/cart', { minReplicas: 5, maxReplicas: 20, maxAllowed: 20, rescales: 8 }),
    quiet('shop/search', { minReplicas: 3, maxReplicas: 12, rescales: 9, pendingPodSeconds: 4_200 }),
    quiet('shop/checkout', { minReplicas: 2, maxReplicas: 4, rescales: 40 }),
  ];
  // Spread among the quiet ones, so scenario order is not the ranking.
  busy.forEach((service, i) => {
    services.splice(i * 30 + 7, 0, service);
  });
  return services;
}

describe('the services the report charts', () => {
  it('should classify autoscaler metrics by kind', () => {
    expect(metricKind('Resource/cpu')).toBe('CPU');
    expect(metricKind('ContainerResource/cpu')).toBe('CPU');
    expect(metricKind('Resource/memory')).toBe('memory');
    expect(metricKind('External/alb-requests')).toBe('External requests/s');
    expect(metricKind('External/sqs-queue-length')).toBe('queue length');
    expect(metricKind('Pods/requests-per-second')).toBe('Pods');
    expect(metricKind('Object/hits')).toBe('Object');
  });

  it('given no more than 12 services, should chart all of them with no reasons', () => {
    const services = many(MAX_AUTO_SELECTED_SERVICES);
    const selection = selectServices(services);
    expect(selection.mode).toBe('all');
    expect(selection.total).toBe(12);
    expect(selection.services.map((s) => s.key)).toEqual(services.map((s) => s.key));
    expect(selection.services.every((s) => s.reasons.length === 0)).toBe(true);
  });

  it('given 206 services, should chart those that show the policy at work, each with its reasons', () => {
    const services = bigScenario();
    const selection = selectServices(services);
    expect(selection.mode).toBe('automatic');
    expect(selection.total).toBe(206);
    // Scenario order; the 200 quiet services neither swung nor rescaled, so none takes a place.
    expect(selection.services).toEqual([
      {
        key: 'shop/web',
        reasons: [
          'scales on External requests/s (External/alb-requests)',
          'largest swing of replicas (4–30)',
          'rescales #2 (22)',
        ],
      },
      {
        key: 'shop/suggest',
        reasons: [
          'scales on Pods (Pods/requests-per-second)',
          'swing of replicas #5 (2–6)',
          'rescales #6 (3)',
        ],
      },
      {
        key: 'jobs/worker',
        reasons: [
          'scales on queue length (External/sqs-queue-length)',
          'swing of replicas #4 (1–9)',
          'rescales #5 (5)',
        ],
      },
      {
        key: 'shop/cart',
        reasons: ['reached maxReplicas (20)', 'swing of replicas #2 (5–20)', 'rescales #4 (8)'],
      },
      {
        key: 'shop/search',
        reasons: ['most pod-seconds pending (4,200)', 'swing of replicas #3 (3–12)', 'rescales #3 (9)'],
      },
      {
        // The busiest of the CPU-scaled services shows CPU.
        key: 'shop/checkout',
        reasons: ['scales on CPU (Resource/cpu)', 'swing of replicas #6 (2–4)', 'most rescales (40)'],
      },
    ]);
  });

  it('given more busy services than places, should take 12 in turns over the criteria, the same every time', () => {
    // 30 services: the later ones swing more and reach maxReplicas (20), the earlier ones rescale more.
    const services = Array.from({ length: 30 }, (_, i) =>
      quiet(`ns/s${String(i).padStart(2, '0')}`, {
        minReplicas: 2,
        maxReplicas: 3 + i,
        rescales: 60 - 2 * i,
        pendingPodSeconds: i === 3 ? 100 : 0,
      }),
    );
    const selection = selectServices(services);
    expect(selection.services.map((s) => s.key)).toEqual([
      ...['ns/s00', 'ns/s01', 'ns/s02', 'ns/s03'],
      ...['ns/s17', 'ns/s18', 'ns/s19', 'ns/s20'],
      ...['ns/s26', 'ns/s27', 'ns/s28', 'ns/s29'],
    ]);
    const reasons = Object.fromEntries(selection.services.map((s) => [s.key, s.reasons]));
    expect(reasons['ns/s00']).toEqual(['scales on CPU (Resource/cpu)', 'most rescales (60)']);
    expect(reasons['ns/s01']).toEqual(['rescales #2 (58)']);
    expect(reasons['ns/s03']).toEqual(['most pod-seconds pending (100)', 'rescales #4 (54)']);
    expect(reasons['ns/s17']).toEqual(['reached maxReplicas (20)']);
    expect(reasons['ns/s26']).toEqual(['reached maxReplicas (20)', 'swing of replicas #4 (2–29)']);
    expect(reasons['ns/s29']).toEqual(['reached maxReplicas (20)', 'largest swing of replicas (2–32)']);
    expect(selectServices(services)).toEqual(selection);
    expect(selectServices(services, { limit: 3 }).services.map((s) => s.key)).toEqual([
      'ns/s00',
      'ns/s03',
      'ns/s17',
    ]);
  });

  it("given the scenario's list, should chart exactly those, in its order", () => {
    const services = bigScenario();
    const selection = selectServices(services, { requested: ['shop/cart', 'ns/s150'] });
    expect(selection).toEqual({
      mode: 'scenario',
      total: 206,
      services: [
        { key: 'shop/cart', reasons: [] },
        { key: 'ns/s150', reasons: [] },
      ],
    });
    // Even a list longer than 12 is the scenario's call.
    expect(
      selectServices(services, { requested: services.slice(0, 20).map((s) => s.key) }).services,
    ).toHaveLength(20);
  });

  it('given a key the run does not have, should throw naming it', () => {
    expect(() => selectServices(bigScenario(), { requested: ['shop/web', 'shop/wbe'] })).toThrow(
      'services to chart: [1] no service shop/wbe in the scenario (did you mean shop/web, shop/suggest, shop/cart, shop/search, shop/checkout?)',
    );
  });

  it('should name unknown and repeated keys with a hint at what the scenario has', () => {
    expect(reportServiceProblems(['a/x', 'a/y', 'a/x'], ['a/x', 'b/z'])).toEqual([
      { index: 1, message: 'no service a/y in the scenario (it has a/x, b/z)' },
      { index: 2, message: 'a/x is listed twice (first at [0])' },
    ]);
    expect(
      reportServiceProblems(
        ['nope/zzz'],
        many(20).map((s) => s.key),
      ),
    ).toEqual([
      { index: 0, message: 'no service nope/zzz in the scenario (keys are namespace/name, e.g. ns/s000)' },
    ]);
    expect(
      reportServiceProblems(
        ['x/s001'],
        many(20).map((s) => s.key),
      )[0]?.message,
    ).toBe('no service x/s001 in the scenario (did you mean ns/s001?)');
    expect(reportServiceProblems([], [])).toEqual([]);
  });
});
