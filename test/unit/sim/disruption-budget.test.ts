import { describe, expect, it } from 'vitest';
import { budgetStatus, scaledValue, validateBudget } from '../../../shared/sim/disruption-budget';

describe('the disruption controller’s arithmetic', () => {
  it('should scale percentages like intstr, rounding as asked, and refuse other strings', () => {
    expect(scaledValue(3, 10, true)).toBe(3);
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue('100%', 7, true)).toBe(7);
    expect(() => scaledValue('3', 10, true)).toThrow(/invalid value/);
  });

  it.each([
    ['integer minAvailable: the selected pods are expected', { minAvailable: 2 }, 4, 3, 9, [4, 3, 2, 1]],
    [
      'percent minAvailable: the controllers’ scale is expected, rounded up',
      { minAvailable: '50%' },
      4,
      4,
      5,
      [5, 4, 3, 1],
    ],
    ['integer maxUnavailable', { maxUnavailable: 1 }, 3, 3, 3, [3, 3, 2, 1]],
    ['percent maxUnavailable, rounded up', { maxUnavailable: '30%' }, 5, 5, 5, [5, 5, 3, 2]],
    ['never negative', { minAvailable: 5 }, 3, 3, 3, [3, 3, 5, 0]],
    ['no pods expected: nothing allowed', { minAvailable: 0 }, 0, 0, 0, [0, 0, 0, 0]],
    ['neither bound: nothing allowed', {}, 3, 3, 3, [0, 3, 0, 0]],
  ] as const)('given %s', (_what, budget, pods, healthy, controllerScale, expected) => {
    const [expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed] = expected;
    expect(budgetStatus(budget, { pods, healthy, controllerScale })).toEqual({
      expectedPods,
      currentHealthy,
      desiredHealthy,
      disruptionsAllowed,
    });
  });

  it('should refuse budgets the API server rejects', () => {
    const base = { namespace: 'shop', name: 'web' };
    expect(() => validateBudget({ ...base, minAvailable: 1, maxUnavailable: 1 })).toThrow(/both set/);
    expect(() => validateBudget({ ...base, minAvailable: -1 })).toThrow(/non-negative/);
    expect(() => validateBudget({ ...base, maxUnavailable: 'half' })).toThrow(/percentage/);
    expect(() => validateBudget({ ...base, maxUnavailable: '101%' })).toThrow(/up to 100%/);
    expect(() => validateBudget({ ...base, minAvailable: '100%' })).not.toThrow();
  });
});
