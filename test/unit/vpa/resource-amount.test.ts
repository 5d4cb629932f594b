/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/model/types_test.go: TestCPUAmountFromCores,
 * TestCoresFromCPUAmount, TestMemoryAmountFromBytes, TestScaleResource, TestResourceAmountFromFloat.
 */
import { describe, expect, it } from 'vitest';
import {
  coresFromCpuAmount,
  cpuAmountFromCores,
  MAX_RESOURCE_AMOUNT,
  memoryAmountFromBytes,
  resourceAmountFromFloat,
  scaleResource,
} from '../../../shared/vpa/resource-amount';

describe('resource amounts', () => {
  it('should truncate cores to millicores', () => {
    const cases: [number, number][] = [
      [0.069946, 69],
      [0.61535112, 615],
      [0.0172071, 17],
      [0.00455, 4],
      [0.0123456789, 12],
      [0.00123456789, 1],
    ];
    for (const [cores, millicores] of cases) expect(cpuAmountFromCores(cores)).toBe(millicores);
  });

  it('should turn millicores back into cores', () => {
    const cases: [number, number][] = [
      [69, 0.069],
      [615, 0.615],
      [17, 0.017],
      [4, 0.004],
      [12, 0.012],
      [1, 0.001],
    ];
    for (const [millicores, cores] of cases) expect(coresFromCpuAmount(millicores)).toBe(cores);
  });

  it('should truncate bytes', () => {
    const cases: [number, number][] = [
      [69.669, 69],
      [12.333, 12],
      [17.357, 17],
      [4.0, 4],
      [12.123456, 12],
      [1, 1],
    ];
    for (const [bytes, amount] of cases) expect(memoryAmountFromBytes(bytes)).toBe(amount);
  });

  it('should scale and truncate', () => {
    const cases: [number, number, number][] = [
      [69, 1.0, 69],
      [615, 1.0, 615],
      [17, 1.0, 17],
      [4, 2.124, 8],
      [12, 1.1, 13],
      [1213, 1.2414, 1505],
      [0, 1.0, 0],
      [11, 0.0, 0],
      [41208, 0.000001, 0],
    ];
    for (const [amount, factor, scaled] of cases) expect(scaleResource(amount, factor)).toBe(scaled);
  });

  it('should clamp to [0, 1e14]', () => {
    expect(resourceAmountFromFloat(100.5)).toBe(100);
    expect(resourceAmountFromFloat(0)).toBe(0);
    expect(resourceAmountFromFloat(-50.5)).toBe(0);
    expect(resourceAmountFromFloat(MAX_RESOURCE_AMOUNT + 100)).toBe(1e14);
    expect(resourceAmountFromFloat(MAX_RESOURCE_AMOUNT)).toBe(1e14);
    expect(resourceAmountFromFloat(Number.NaN)).toBe(0);
  });
});
