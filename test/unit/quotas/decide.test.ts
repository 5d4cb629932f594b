/**
 * The decision table for one quota: enough, request (capped, never at or below applied), wait for an open
 * request, report approvals and denials once, hold off after a denial, and the alarm.
 */
import { describe, expect, it } from 'vitest';
import { quotasSchema } from '../../../shared/config/quotas';
import {
  type DecideContext,
  decideQuota,
  decideQuotas,
  FILING_STALE_MS,
  type QuotaCheck,
} from '../../../shared/quotas/decide';

const NOW = Date.parse('2026-03-02T06:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function context(overrides: Record<string, unknown> = {}): DecideContext {
  return { now: NOW, settings: quotasSchema.parse(overrides) };
}

const check = (overrides: Partial<QuotaCheck> = {}): QuotaCheck => ({
  serviceCode: 'ec2',
  quotaCode: 'L-1216C47A',
  quotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  unit: 'vCPUs',
  demand: 1080,
  required: 1296,
  applied: 320,
  ...overrides,
});

describe('decideQuota: enough or request', () => {
  it('given required at or below applied, or demand within the alarm threshold, should be ok', () => {
    const decision = decideQuota(check({ demand: 80, required: 96, applied: 100 }), context());
    expect(decision.action).toEqual({ kind: 'ok' });
    expect(decision.demandRatio).toBe(0.8);
    expect(decision.alarm).toBe(false);
    expect(decision.reason).toBe('needs 96 vCPUs (80 at the maxima + 20 % headroom), applied 100: enough');
    expect(decideQuota(check({ demand: 80, required: 96, applied: 96 }), context()).action.kind).toBe('ok');
    // A quota raised to demand + headroom is not asked again for every vCPU the demand grows by: only
    // once demand passes 90 % of it.
    expect(decideQuota(check({ demand: 1092, required: 1311, applied: 1296 }), context()).action.kind).toBe(
      'ok',
    );
    expect(decideQuota(check({ demand: 90, required: 108, applied: 100 }), context()).action.kind).toBe('ok');
    expect(decideQuota(check({ demand: 91, required: 110, applied: 100 }), context()).action).toMatchObject({
      kind: 'request',
      desiredValue: 110,
    });
  });

  it('given required above applied, should request the required value', () => {
    const decision = decideQuota(check(), context());
    expect(decision.action).toEqual({
      kind: 'request',
      desiredValue: 1296,
      uncappedValue: 1296,
      cap: 3200,
      capSource: 'maxIncreaseFactor',
      capped: false,
    });
    expect(decision.demandRatio).toBe(3.375);
    expect(decision.reason).toBe(
      'needs 1296 vCPUs (1080 at the maxima + 20 % headroom), applied 320: request 1296 vCPUs',
    );
  });

  it('given required above the factor cap, should request the cap and say so', () => {
    const decision = decideQuota(check({ applied: 100 }), context());
    expect(decision.action).toEqual({
      kind: 'request',
      desiredValue: 1000,
      uncappedValue: 1296,
      cap: 1000,
      capSource: 'maxIncreaseFactor',
      capped: true,
    });
    expect(decision.reason).toBe(
      'needs 1296 vCPUs (1080 at the maxima + 20 % headroom), applied 100: request 1000 vCPUs, capped from ' +
        '1296 by maxIncreaseFactor 10 × applied 100',
    );
  });

  it('given an explicit maxRequestValues entry, should cap by it instead of the factor', () => {
    const settings = { maxRequestValues: { 'L-1216C47A': 5000 } };
    expect(decideQuota(check({ applied: 100 }), context(settings)).action).toMatchObject({
      kind: 'request',
      desiredValue: 1296,
      cap: 5000,
      capSource: 'maxRequestValues',
      capped: false,
    });
    const gpu = check({ quotaCode: 'L-DB2E81BA', applied: 0, demand: 80, required: 96 });
    expect(decideQuota(gpu, context({ maxRequestValues: { 'L-DB2E81BA': 64 } })).action).toMatchObject({
      kind: 'request',
      desiredValue: 64,
      capped: true,
    });
  });

  it('given a quota at 0 and no explicit cap, should block and say how to allow it', () => {
    const decision = decideQuota(
      check({ quotaCode: 'L-DB2E81BA', applied: 0, demand: 80, required: 96 }),
      context(),
    );
    expect(decision.action).toEqual({ kind: 'blocked', cause: 'cap' });
    expect(decision.reason).toBe(
      'needs 96 vCPUs (80 at the maxima + 20 % headroom), applied 0: the cap (maxIncreaseFactor 10 × ' +
        'applied 0 = 0) allows nothing above the applied value; set quotas.maxRequestValues.L-DB2E81BA to ' +
        'allow a request; ALARM: above 90 % of the applied value with no request open',
    );
    expect(decision.alarm).toBe(true);
    expect(decision.demandRatio).toBeUndefined();
  });

  it('given a cap at or below applied, should never ask for that little', () => {
    for (const cap of [320, 200]) {
      const decision = decideQuota(check(), context({ maxRequestValues: { 'L-1216C47A': cap } }));
      expect(decision.action, String(cap)).toEqual({ kind: 'blocked', cause: 'cap' });
    }
  });

  it('given no applied value, should use AWS’s default and say so', () => {
    const decision = decideQuota(check({ applied: undefined, defaultValue: 5 }), context());
    expect(decision.applied).toBe(5);
    expect(decision.appliedSource).toBe('default');
    expect(decision.action).toMatchObject({ kind: 'request', desiredValue: 50, capped: true });
    expect(decision.reason).toContain('applied 5 (AWS default): request 50 vCPUs, capped from 1296');
  });

  it('given neither applied nor default, should block without guessing', () => {
    const decision = decideQuota(check({ applied: undefined }), context());
    expect(decision.action).toEqual({ kind: 'blocked', cause: 'applied-unknown' });
    expect(decision.alarm).toBe(false);
    expect(decision.reason).toBe(
      'needs 1296 vCPUs (1080 at the maxima + 20 % headroom): neither the applied nor the AWS default value is known',
    );
  });

  it('given a quota AWS does not adjust, should block', () => {
    const decision = decideQuota(check({ adjustable: false }), context());
    expect(decision.action).toEqual({ kind: 'blocked', cause: 'not-adjustable' });
    expect(decision.reason).toContain('AWS does not adjust this quota');
  });
});

describe('decideQuota: open requests', () => {
  const pending = {
    status: 'PENDING' as const,
    desiredValue: 1296,
    createdAt: NOW - 2 * DAY,
    requestId: 'req-1',
    caseId: 'case-1',
  };

  it('given a pending request, should wait and never file a second one', () => {
    const decision = decideQuota(
      check({ request: pending, recorded: { status: 'PENDING', lastCheckedAt: NOW - 25 * HOUR } }),
      context(),
    );
    expect(decision.action).toEqual({ kind: 'wait', request: pending, awaiting: 'aws', recheckDue: true });
    expect(decision.alarm).toBe(false);
    expect(decision.aboveThreshold).toBe(true);
    expect(decision.reason).toBe(
      'needs 1296 vCPUs (1080 at the maxima + 20 % headroom), applied 320: request req-1 for 1296 vCPUs ' +
        '(case case-1) open since 2026-02-28T06:00:00Z (PENDING); status check due',
    );
  });

  it('given a recent status check, should not be due again before recheckHours', () => {
    const decision = decideQuota(
      check({
        request: { ...pending, status: 'CASE_OPENED' },
        recorded: { status: 'CASE_OPENED', lastCheckedAt: NOW - 23 * HOUR },
      }),
      context(),
    );
    expect(decision.action).toMatchObject({ kind: 'wait', recheckDue: false });
    expect(
      decideQuota(
        check({ request: pending, recorded: { status: 'PENDING', lastCheckedAt: NOW - 2 * HOUR } }),
        context({ recheckHours: 1 }),
      ).action,
    ).toMatchObject({ recheckDue: true });
  });

  it('given a pending request for less than needed now, should still wait and say so', () => {
    const decision = decideQuota(check({ request: { ...pending, desiredValue: 500 } }), context());
    expect(decision.action.kind).toBe('wait');
    expect(decision.reason).toContain(
      'it asks less than needed now, a new request follows once AWS answered',
    );
  });

  it('given another run filing right now, should wait for it', () => {
    const filing = { status: 'FILING' as const, desiredValue: 1296, createdAt: NOW - 5 * 60_000 };
    const decision = decideQuota(check({ request: filing }), context());
    expect(decision.action).toEqual({ kind: 'wait', request: filing, awaiting: 'filing', recheckDue: false });
    expect(decision.alarm).toBe(false);
  });

  it('given a filing record older than a Lambda can run, should file again', () => {
    const filing = { status: 'FILING' as const, desiredValue: 1296, createdAt: NOW - FILING_STALE_MS };
    const decision = decideQuota(check({ request: filing }), context());
    expect(decision.action).toMatchObject({ kind: 'request', desiredValue: 1296 });
    expect(decision.reason).toBe(
      'a run at 2026-03-02T05:45:00Z wrote a request for 1296 vCPUs but never reached AWS; needs 1296 vCPUs ' +
        '(1080 at the maxima + 20 % headroom), applied 320: request 1296 vCPUs',
    );
  });
});

describe('decideQuota: answered requests', () => {
  it('given a newly approved request that the applied value shows, should report it once and be ok', () => {
    const approved = {
      status: 'APPROVED' as const,
      desiredValue: 1296,
      createdAt: NOW - 3 * DAY,
      caseId: 'c-9',
    };
    const first = decideQuota(
      check({ applied: 1296, request: approved, recorded: { status: 'PENDING', lastCheckedAt: NOW - DAY } }),
      context(),
    );
    expect(first.outcome).toEqual({
      result: 'approved',
      status: 'APPROVED',
      desiredValue: 1296,
      caseId: 'c-9',
    });
    expect(first.action).toEqual({ kind: 'ok' });
    expect(first.reason).toBe(
      'AWS approved the request for 1296 vCPUs (case c-9); needs 1296 vCPUs (1080 at the maxima + 20 % ' +
        'headroom), applied 1296: enough',
    );
    const again = decideQuota(
      check({ applied: 1296, request: approved, recorded: { status: 'APPROVED', lastCheckedAt: NOW - DAY } }),
      context(),
    );
    expect(again.outcome).toBeUndefined();
  });

  it('given an approval the applied value does not show yet, should wait one recheck period', () => {
    const approved = {
      status: 'APPROVED' as const,
      desiredValue: 1296,
      createdAt: NOW - DAY,
      updatedAt: NOW - HOUR,
    };
    const decision = decideQuota(check({ request: approved }), context());
    expect(decision.action).toMatchObject({ kind: 'wait', awaiting: 'applied-value' });
    const late = decideQuota(check({ request: { ...approved, updatedAt: NOW - 30 * HOUR } }), context());
    expect(late.action).toMatchObject({ kind: 'request', desiredValue: 1296 });
  });

  it('given an approval below what is needed now, should ask for more', () => {
    const approved = { status: 'APPROVED' as const, desiredValue: 500, createdAt: NOW - 3 * DAY };
    const decision = decideQuota(
      check({ applied: 500, request: approved, recorded: { status: 'APPROVED', lastCheckedAt: NOW - DAY } }),
      context(),
    );
    expect(decision.action).toMatchObject({ kind: 'request', desiredValue: 1296 });
  });

  it('given a denial, should report it once and block new requests for retryDeniedAfterDays', () => {
    const denied = {
      status: 'DENIED' as const,
      desiredValue: 1296,
      createdAt: NOW - 4 * DAY,
      updatedAt: NOW - 2 * DAY,
      caseId: 'c-7',
    };
    const decision = decideQuota(
      check({
        demand: 300,
        required: 360,
        request: denied,
        recorded: { status: 'PENDING', lastCheckedAt: NOW - DAY },
      }),
      context(),
    );
    expect(decision.outcome).toEqual({
      result: 'denied',
      status: 'DENIED',
      desiredValue: 1296,
      caseId: 'c-7',
    });
    expect(decision.action).toEqual({ kind: 'blocked', cause: 'denied', until: NOW + 5 * DAY });
    expect(decision.alarm).toBe(true);
    expect(decision.reason).toBe(
      'AWS answered DENIED to the request for 1296 vCPUs (case c-7); needs 360 vCPUs (300 at the maxima + ' +
        '20 % headroom), applied 320: the request for 1296 vCPUs (case c-7) ended DENIED; no new request ' +
        'before 2026-03-07T06:00:00Z (retryDeniedAfterDays 7): talk to AWS support; ALARM: above 90 % of the ' +
        'applied value with no request open',
    );
  });

  it('given a denial older than retryDeniedAfterDays, should request again', () => {
    const denied = {
      status: 'NOT_APPROVED' as const,
      desiredValue: 1296,
      createdAt: NOW - 9 * DAY,
      updatedAt: NOW - 8 * DAY,
    };
    const decision = decideQuota(
      check({ request: denied, recorded: { status: 'NOT_APPROVED', lastCheckedAt: NOW - DAY } }),
      context(),
    );
    expect(decision.outcome).toBeUndefined();
    expect(decision.action).toMatchObject({ kind: 'request', desiredValue: 1296 });
  });

  it('given an answered request the loop never stored (filed by hand), should not report it as news', () => {
    const byHand = { status: 'DENIED' as const, desiredValue: 900, createdAt: NOW - DAY };
    const decision = decideQuota(check({ request: byHand }), context());
    expect(decision.outcome).toBeUndefined();
    expect(decision.action).toMatchObject({ kind: 'blocked', cause: 'denied' });
  });

  it('given a denial but enough applied anyway, should be ok', () => {
    const denied = { status: 'DENIED' as const, desiredValue: 2000, createdAt: NOW - DAY };
    expect(decideQuota(check({ applied: 1500, request: denied }), context()).action).toEqual({ kind: 'ok' });
  });

  it('given a closed case, should count it approved when the applied value reached it, else denied', () => {
    const closed = { status: 'CASE_CLOSED' as const, desiredValue: 1296, createdAt: NOW - 3 * DAY };
    const recorded = { status: 'CASE_OPENED' as const, lastCheckedAt: NOW - DAY };
    const reached = decideQuota(check({ applied: 1296, request: closed, recorded }), context());
    expect(reached.outcome?.result).toBe('approved');
    expect(reached.action).toEqual({ kind: 'ok' });
    const short = decideQuota(check({ request: closed, recorded }), context());
    expect(short.outcome?.result).toBe('denied');
    expect(short.action).toMatchObject({ kind: 'blocked', cause: 'denied' });
  });

  it('given an invalid request, should report it and hold off like a denial', () => {
    const invalid = { status: 'INVALID_REQUEST' as const, desiredValue: 1296, createdAt: NOW - HOUR };
    const decision = decideQuota(
      check({ request: invalid, recorded: { status: 'FILING', lastCheckedAt: NOW - HOUR } }),
      context(),
    );
    expect(decision.outcome).toMatchObject({ result: 'denied', status: 'INVALID_REQUEST' });
    expect(decision.action).toMatchObject({ kind: 'blocked', cause: 'denied', until: NOW - HOUR + 7 * DAY });
  });
});

describe('decideQuota: alarm threshold', () => {
  it('given demand above 90 % of applied and a request filed now, should not alarm', () => {
    const decision = decideQuota(check({ demand: 91, required: 110, applied: 100 }), context());
    expect(decision.action.kind).toBe('request');
    expect(decision.aboveThreshold).toBe(true);
    expect(decision.alarm).toBe(false);
  });

  it('given the same in dry run, should alarm (nothing is filed)', () => {
    const decision = decideQuota(
      check({ demand: 91, required: 110, applied: 100 }),
      context({ dryRun: true }),
    );
    expect(decision.action.kind).toBe('request');
    expect(decision.alarm).toBe(true);
  });

  it('given usage above the threshold while demand is fine, should alarm', () => {
    const decision = decideQuota(check({ demand: 10, required: 12, applied: 100, usage: 95 }), context());
    expect(decision.action).toEqual({ kind: 'ok' });
    expect(decision.usageRatio).toBe(0.95);
    expect(decision.alarm).toBe(true);
    expect(decision.reason).toMatch(/; ALARM: above 90 % of the applied value with no request open$/);
  });

  it('given usage or demand at exactly the threshold, should not alarm', () => {
    const decision = decideQuota(
      check({ demand: 90, required: 108, applied: 100 }),
      context({ dryRun: true }),
    );
    expect(decision.aboveThreshold).toBe(false);
    expect(decision.alarm).toBe(false);
    const exact = decideQuota(check({ demand: 10, required: 12, applied: 100, usage: 90 }), context());
    expect(exact.aboveThreshold).toBe(false);
    expect(exact.alarm).toBe(false);
  });

  it('given a lower threshold, should alarm earlier', () => {
    const decision = decideQuota(
      check({ demand: 10, required: 12, applied: 100, usage: 60 }),
      context({ alarmThresholdFraction: 0.5 }),
    );
    expect(decision.alarm).toBe(true);
  });

  it('given no demand and no applied value above 0, should report a ratio of 0 and no alarm', () => {
    const decision = decideQuota(check({ demand: 0, required: 0, applied: 0 }), context());
    expect(decision.action).toEqual({ kind: 'ok' });
    expect(decision.demandRatio).toBe(0);
    expect(decision.alarm).toBe(false);
  });
});

describe('decideQuotas', () => {
  it('should decide each quota in order', () => {
    const decisions = decideQuotas(
      [check({ demand: 80, required: 96, applied: 100 }), check({ quotaCode: 'L-34B43A08', applied: 320 })],
      context(),
    );
    expect(decisions.map((d) => [d.quotaCode, d.action.kind])).toEqual([
      ['L-1216C47A', 'ok'],
      ['L-34B43A08', 'request'],
    ]);
  });
});
