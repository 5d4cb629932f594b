import { describe, expect, it } from 'vitest';
import {
  isOpenStatus,
  newestRequest,
  parseQuotaRequestRecord,
  type QuotaRequestRecord,
  quotaRecordKey,
  requestViewOf,
} from '../../../shared/quotas/request-record';
import { CorruptStateError } from '../../../shared/units/stored-data';

const RECORD: QuotaRequestRecord = {
  accountId: '123456789012',
  region: 'eu-central-1',
  serviceCode: 'ec2',
  quotaCode: 'L-1216C47A',
  quotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  desiredValue: 1296,
  appliedAtRequest: 320,
  requestedAt: 1_767_225_600_000,
  status: 'CASE_OPENED',
  lastCheckedAt: 1_767_312_000_000,
  requestId: 'a1b2c3',
  caseId: '170000000001',
  justification:
    'Quota L-1216C47A ...\n- kube-1, node pool default: 3 zones × 20 nodes × 16 vCPUs (m5.4xlarge) = 960',
  justificationAddedAt: 1_767_225_700_000,
};

describe('the quota request record', () => {
  it('should key it by account, region and quota code', () => {
    expect(quotaRecordKey('123456789012', 'eu-central-1', 'L-1216C47A')).toBe(
      'quota#123456789012#eu-central-1#L-1216C47A',
    );
  });

  it('given a record through JSON (as the state store keeps it), should read back the same', () => {
    expect(parseQuotaRequestRecord(JSON.parse(JSON.stringify(RECORD)))).toEqual(RECORD);
  });

  it('given a record written before the call, should read back the filing status without ids', () => {
    const filing = { ...RECORD, status: 'FILING', requestId: undefined, caseId: undefined };
    const parsed = parseQuotaRequestRecord(JSON.parse(JSON.stringify(filing)));
    expect(parsed.status).toBe('FILING');
    expect(parsed.requestId).toBeUndefined();
  });

  it('given a corrupt record, should name every problem', () => {
    expect(() => parseQuotaRequestRecord({ ...RECORD, status: 'WAITING', desiredValue: 0 })).toThrow(
      CorruptStateError,
    );
    expect(() => parseQuotaRequestRecord({ ...RECORD, status: 'WAITING', desiredValue: 0 })).toThrow(
      /not a valid quota request record: desiredValue: .*; status: /,
    );
  });

  it('should tell open statuses from answered ones', () => {
    expect(['PENDING', 'CASE_OPENED'].every((s) => isOpenStatus(s as 'PENDING'))).toBe(true);
    expect(
      ['FILING', 'APPROVED', 'DENIED', 'NOT_APPROVED', 'CASE_CLOSED', 'INVALID_REQUEST'].some((s) =>
        isOpenStatus(s as 'PENDING'),
      ),
    ).toBe(false);
  });
});

describe('request views', () => {
  it('should turn a record into the view the decision reads', () => {
    expect(requestViewOf({ ...RECORD, resolvedAt: 1_767_400_000_000 })).toEqual({
      status: 'CASE_OPENED',
      desiredValue: 1296,
      createdAt: 1_767_225_600_000,
      updatedAt: 1_767_400_000_000,
      requestId: 'a1b2c3',
      caseId: '170000000001',
    });
  });

  it('given a filing record and AWS’s request created after it, should take AWS’s', () => {
    const filing = { status: 'FILING' as const, desiredValue: 1296, createdAt: 1000 };
    const aws = { status: 'PENDING' as const, desiredValue: 1296, createdAt: 1500, requestId: 'r' };
    const older = { status: 'DENIED' as const, desiredValue: 900, createdAt: 500 };
    expect(newestRequest(filing, aws, older)).toBe(aws);
    expect(newestRequest(filing, older)).toBe(filing);
    expect(newestRequest({ ...aws, createdAt: 1000 }, filing)?.status).toBe('PENDING');
    expect(newestRequest(undefined)).toBeUndefined();
  });
});
