/**
 * What a refusal by the vCPU quota rules out on the ladder (shared/controlplane/quota-refusals.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Ladder, Rung } from '../../../shared/controlplane/ladder';
import { quotaRefusedTypes, withQuotaRefusals } from '../../../shared/controlplane/quota-refusals';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const UNTIL = NOW + 3_600_000;

const rung = (instanceType: string, vcpus: number, sameSize: string[] = []): Rung => ({
  instanceType,
  vcpus,
  memoryMiB: vcpus * 4096,
  sameSize,
});

// m, r: On-Demand Standard (L-1216C47A); x2iedn: On-Demand X (L-7295265B).
const ladder: Ladder = {
  steps: [
    rung('m6i.large', 2),
    rung('m6i.xlarge', 4, ['m7i.xlarge']),
    rung('x2iedn.xlarge', 4),
    rung('r6i.xlarge', 4),
    rung('m6i.2xlarge', 8),
    rung('m6i.4xlarge', 16),
  ],
  excluded: [{ instanceType: 't3.xlarge', vcpus: 4, memoryMiB: 16_384, reason: 'burstable', detail: '' }],
};

describe('quotaRefusedTypes', () => {
  it('given a refused type, should rule out it and every rung at least as large that the same quota counts', () => {
    expect(quotaRefusedTypes(ladder, { 'm6i.xlarge': UNTIL }, NOW)).toEqual({
      'm6i.xlarge': UNTIL,
      'r6i.xlarge': UNTIL,
      'm6i.2xlarge': UNTIL,
      'm6i.4xlarge': UNTIL,
    });
  });

  it('given a refused type off the ladder, should take its vCPUs from where the ladder lists it', () => {
    // t3.xlarge (4 vCPUs, excluded as burstable) and m7i.xlarge (passed over for m6i.xlarge's rung).
    expect(Object.keys(quotaRefusedTypes(ladder, { 't3.xlarge': UNTIL }, NOW)).sort()).toEqual([
      'm6i.2xlarge',
      'm6i.4xlarge',
      'm6i.xlarge',
      'r6i.xlarge',
      't3.xlarge',
    ]);
    expect(quotaRefusedTypes(ladder, { 'm7i.xlarge': UNTIL }, NOW)['m6i.xlarge']).toBe(UNTIL);
  });

  it('given a type the ladder does not know, should rule out only that type', () => {
    expect(quotaRefusedTypes(ladder, { 'm5.xlarge': UNTIL }, NOW)).toEqual({ 'm5.xlarge': UNTIL });
  });

  it('given refusals that expired, should rule out nothing; given two, the later time wins', () => {
    expect(quotaRefusedTypes(ladder, { 'm6i.xlarge': NOW }, NOW)).toEqual({});
    const later = UNTIL + 60_000;
    const both = quotaRefusedTypes(ladder, { 'm6i.xlarge': UNTIL, 'm6i.2xlarge': later }, NOW);
    expect(both['r6i.xlarge']).toBe(UNTIL);
    expect(both['m6i.4xlarge']).toBe(later);
  });

  it('given a refused type of another quota, should leave the Standard rungs alone', () => {
    expect(quotaRefusedTypes(ladder, { 'x2iedn.xlarge': UNTIL }, NOW)).toEqual({ 'x2iedn.xlarge': UNTIL });
  });
});

describe('withQuotaRefusals', () => {
  it('should skip both kinds of type, each until the later of its times', () => {
    const later = UNTIL + 600_000;
    expect(
      withQuotaRefusals(
        { 'm6i.4xlarge': later, 'm6i.large': UNTIL },
        { 'm6i.4xlarge': UNTIL, 'm6i.2xlarge': UNTIL },
      ),
    ).toEqual({ 'm6i.4xlarge': later, 'm6i.large': UNTIL, 'm6i.2xlarge': UNTIL });
  });
});
