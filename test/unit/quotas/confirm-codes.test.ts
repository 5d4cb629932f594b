import { describe, expect, it } from 'vitest';
import { confirmQuotaCodes } from '../../../shared/quotas/confirm-codes';
import { EC2_VCPU_QUOTAS } from '../../../shared/quotas/ec2-vcpu-quotas';

const table = [
  {
    code: 'L-1216C47A',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    formerNames: [],
  },
  {
    code: 'L-7212CCBC',
    name: 'All P4, P3 and P2 Spot Instance Requests',
    formerNames: ['All P Spot Instance Requests'],
  },
];

describe('confirmQuotaCodes', () => {
  it('given the code listed with the name, or a former name, should confirm it', () => {
    expect(
      confirmQuotaCodes(
        [
          { code: 'L-1216C47A', name: 'Running On-Demand  Standard (A, C, D, H, I, M, R, T, Z) instances' },
          { code: 'L-7212CCBC', name: 'All P Spot Instance Requests' },
        ],
        table,
      ),
    ).toEqual([
      {
        status: 'confirmed',
        code: 'L-1216C47A',
        name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
        useCode: 'L-1216C47A',
      },
      {
        status: 'confirmed',
        code: 'L-7212CCBC',
        name: 'All P4, P3 and P2 Spot Instance Requests',
        useCode: 'L-7212CCBC',
      },
    ]);
  });

  it('given the code listed under an unknown name, should keep the code and report the name', () => {
    const [check] = confirmQuotaCodes(
      [{ code: 'L-1216C47A', name: 'Running On-Demand General instances' }],
      table,
    );
    expect(check).toEqual({
      status: 'renamed',
      code: 'L-1216C47A',
      name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
      listedName: 'Running On-Demand General instances',
      useCode: 'L-1216C47A',
    });
  });

  it('given the name listed under another code, should use that code', () => {
    const checks = confirmQuotaCodes([{ code: 'L-00000001', name: 'All P Spot Instance Requests' }], table);
    expect(checks[1]).toEqual({
      status: 'moved',
      code: 'L-7212CCBC',
      name: 'All P4, P3 and P2 Spot Instance Requests',
      listedCode: 'L-00000001',
      useCode: 'L-00000001',
    });
  });

  it('given neither code nor name listed, should report the quota missing', () => {
    expect(confirmQuotaCodes([], table).map((check) => check.status)).toEqual(['missing', 'missing']);
  });

  it('given a listing of the whole table, should confirm every entry', () => {
    const listed = EC2_VCPU_QUOTAS.map((quota) => ({ code: quota.code, name: quota.name }));
    expect(confirmQuotaCodes(listed, EC2_VCPU_QUOTAS).every((check) => check.status === 'confirmed')).toBe(
      true,
    );
  });
});
