/**
 * The EC2 vCPU quota table and the family mapping: every quota is reachable, the tricky prefixes go to the
 * longer family, and families without a quota are reported with why.
 */
import { describe, expect, it } from 'vitest';
import {
  EC2_VCPU_QUOTAS,
  ec2VcpuQuota,
  instanceFamily,
  UNCOVERED_FAMILIES,
  vcpuQuotaFor,
} from '../../../shared/quotas/ec2-vcpu-quotas';

function codeOf(instanceType: string, capacityType: 'on-demand' | 'spot'): string {
  const lookup = vcpuQuotaFor(instanceType, capacityType);
  if (!lookup.ok) throw new Error(`${instanceType}: ${lookup.reason}`);
  return lookup.quota.code;
}

describe('the quota table', () => {
  it('given the codes of issue 8, should hold each with its purchasing option', () => {
    const expected: [string, 'on-demand' | 'spot'][] = [
      ['L-1216C47A', 'on-demand'],
      ['L-34B43A08', 'spot'],
      ['L-DB2E81BA', 'on-demand'],
      ['L-3819A6DF', 'spot'],
      ['L-417A185B', 'on-demand'],
      ['L-7212CCBC', 'spot'],
      ['L-7295265B', 'on-demand'],
      ['L-E3A00192', 'spot'],
      ['L-74FC7D96', 'on-demand'],
      ['L-88CF9481', 'spot'],
      ['L-1945791B', 'on-demand'],
      ['L-B5D1601B', 'spot'],
      ['L-6E869C2A', 'on-demand'],
      ['L-85EED4F7', 'spot'],
      ['L-2C3B7624', 'on-demand'],
      ['L-6B0D517C', 'spot'],
      ['L-F7808C92', 'on-demand'],
      ['L-43DA4232', 'on-demand'],
    ];
    for (const [code, capacityType] of expected) {
      expect(ec2VcpuQuota(code)?.capacityType, code).toBe(capacityType);
    }
    expect(EC2_VCPU_QUOTAS.map((quota) => quota.code)).toEqual([
      'L-1216C47A',
      'L-34B43A08',
      'L-DB2E81BA',
      'L-3819A6DF',
      'L-417A185B',
      'L-7212CCBC',
      'L-C4BD4855',
      'L-7295265B',
      'L-E3A00192',
      'L-74FC7D96',
      'L-88CF9481',
      'L-1945791B',
      'L-B5D1601B',
      'L-6E869C2A',
      'L-85EED4F7',
      'L-2C3B7624',
      'L-6B0D517C',
      'L-F7808C92',
      'L-43DA4232',
    ]);
  });

  it('should name the Standard quotas as Service Quotas lists them', () => {
    expect(ec2VcpuQuota('L-1216C47A')?.name).toBe(
      'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    );
    expect(ec2VcpuQuota('L-34B43A08')?.name).toBe(
      'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
    );
    expect(ec2VcpuQuota('L-7212CCBC')?.formerNames).toEqual(['All P Spot Instance Requests']);
  });

  it('should have unique codes and unique prefixes per purchasing option', () => {
    const codes = EC2_VCPU_QUOTAS.map((quota) => quota.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const capacityType of ['on-demand', 'spot'] as const) {
      const prefixes = [
        ...EC2_VCPU_QUOTAS.filter((q) => q.capacityType === capacityType).flatMap((q) => q.families),
        ...UNCOVERED_FAMILIES.filter((u) => u.capacityType === capacityType).map((u) => u.prefix),
      ];
      expect(new Set(prefixes).size, capacityType).toBe(prefixes.length);
    }
  });

  it('given a type of every prefix of every quota, should map it to that quota', () => {
    for (const quota of EC2_VCPU_QUOTAS) {
      for (const prefix of quota.families) {
        expect(codeOf(`${prefix}9.large`, quota.capacityType), `${prefix} ${quota.capacityType}`).toBe(
          quota.code,
        );
      }
    }
  });

  it('given an on-demand family, should never let its spot twin fall through to a shorter prefix', () => {
    for (const quota of EC2_VCPU_QUOTAS.filter((q) => q.capacityType === 'on-demand')) {
      for (const prefix of quota.families) {
        const spot = vcpuQuotaFor(`${prefix}9.large`, 'spot');
        if (spot.ok) expect(spot.prefix.length, prefix).toBeGreaterThanOrEqual(prefix.length);
      }
    }
  });
});

describe('vcpuQuotaFor', () => {
  it.each([
    ['m5.large', 'L-1216C47A'],
    ['a1.medium', 'L-1216C47A'],
    ['c7i.metal-48xl', 'L-1216C47A'],
    ['m5.metal', 'L-1216C47A'],
    ['m7i-flex.large', 'L-1216C47A'],
    ['d3en.xlarge', 'L-1216C47A'],
    ['h1.2xlarge', 'L-1216C47A'],
    ['i4i.large', 'L-1216C47A'],
    ['im4gn.large', 'L-1216C47A'],
    ['is4gen.large', 'L-1216C47A'],
    ['r7iz.large', 'L-1216C47A'],
    ['t3.micro', 'L-1216C47A'],
    ['z1d.large', 'L-1216C47A'],
    ['M5.Large', 'L-1216C47A'],
    ['g5.xlarge', 'L-DB2E81BA'],
    ['gr6.4xlarge', 'L-DB2E81BA'],
    ['vt1.3xlarge', 'L-DB2E81BA'],
    ['p3.2xlarge', 'L-417A185B'],
    ['p5.48xlarge', 'L-417A185B'],
    ['p6-b200.48xlarge', 'L-417A185B'],
    ['x1e.xlarge', 'L-7295265B'],
    ['x2idn.metal', 'L-7295265B'],
    ['f2.6xlarge', 'L-74FC7D96'],
    ['inf2.xlarge', 'L-1945791B'],
    ['dl1.24xlarge', 'L-6E869C2A'],
    ['dl2q.24xlarge', 'L-6E869C2A'],
    ['trn1.2xlarge', 'L-2C3B7624'],
    ['trn2.48xlarge', 'L-2C3B7624'],
    ['hpc7a.96xlarge', 'L-F7808C92'],
    ['hpc6id.32xlarge', 'L-F7808C92'],
    ['u-6tb1.metal', 'L-43DA4232'],
    ['u-12tb1.112xlarge', 'L-43DA4232'],
    ['u7i-12tb.224xlarge', 'L-43DA4232'],
    ['u7in-16tb.224xlarge', 'L-43DA4232'],
  ])('given on-demand %s, should map it to %s', (instanceType, code) => {
    expect(codeOf(instanceType, 'on-demand')).toBe(code);
  });

  it.each([
    ['m5.large', 'L-34B43A08'],
    ['i3.metal', 'L-34B43A08'],
    ['g4dn.xlarge', 'L-3819A6DF'],
    ['vt1.3xlarge', 'L-3819A6DF'],
    ['p3.2xlarge', 'L-7212CCBC'],
    ['p4d.24xlarge', 'L-7212CCBC'],
    ['p5.48xlarge', 'L-C4BD4855'],
    ['p5en.48xlarge', 'L-C4BD4855'],
    ['x2gd.large', 'L-E3A00192'],
    ['f1.2xlarge', 'L-88CF9481'],
    ['inf1.xlarge', 'L-B5D1601B'],
    ['dl1.24xlarge', 'L-85EED4F7'],
    ['trn1n.32xlarge', 'L-6B0D517C'],
  ])('given spot %s, should map it to %s', (instanceType, code) => {
    expect(codeOf(instanceType, 'spot')).toBe(code);
  });

  it.each([
    ['hpc7a.96xlarge', 'spot', 'hpc7a', 'HPC instances are not offered as Spot'],
    ['u-6tb1.metal', 'spot', 'u-6tb1', 'High Memory instances are not offered as Spot'],
    ['u7i-12tb.224xlarge', 'spot', 'u7i-12tb', 'High Memory instances are not offered as Spot'],
    ['p6-b200.48xlarge', 'spot', 'p6-b200', 'only P2–P5 have a known Spot quota'],
    ['mac2.metal', 'on-demand', 'mac2', 'Mac instances run only on Dedicated Hosts'],
    ['mac1.metal', 'spot', 'mac1', 'Mac instances run only on Dedicated Hosts'],
    ['q9.large', 'on-demand', 'q9', 'no known on-demand vCPU quota covers the q9 family'],
    ['e1.large', 'spot', 'e1', 'no known spot vCPU quota covers the e1 family'],
  ] as const)(
    'given %s as %s, should report %s without a quota',
    (instanceType, capacityType, family, reason) => {
      const lookup = vcpuQuotaFor(instanceType, capacityType);
      expect(lookup.ok).toBe(false);
      if (lookup.ok) return;
      expect(lookup.family).toBe(family);
      expect(lookup.reason).toContain(reason);
    },
  );

  it('given a name without a dot, should say it is not an instance type', () => {
    expect(vcpuQuotaFor('m5', 'on-demand')).toEqual({
      ok: false,
      family: 'm5',
      reason: '"m5" is not an instance type (no ".")',
    });
  });

  it('should say which prefix matched', () => {
    expect(vcpuQuotaFor('inf2.xlarge', 'on-demand')).toMatchObject({
      ok: true,
      family: 'inf2',
      prefix: 'inf',
    });
    expect(vcpuQuotaFor('im4gn.large', 'on-demand')).toMatchObject({
      ok: true,
      family: 'im4gn',
      prefix: 'i',
    });
  });
});

describe('instanceFamily', () => {
  it('should take the part before the dot, lower case', () => {
    expect(instanceFamily('c7i.metal-48xl')).toBe('c7i');
    expect(instanceFamily('U-6TB1.metal')).toBe('u-6tb1');
    expect(instanceFamily('m7i-flex.large')).toBe('m7i-flex');
    expect(instanceFamily('.large')).toBeUndefined();
    expect(instanceFamily('m5')).toBeUndefined();
  });
});
