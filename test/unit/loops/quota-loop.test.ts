/**
 * The quota loop (shared/loops/quota-loop.ts) on stateful port doubles: one request per quota and never a
 * second while one is open or being filed, what each refusal of AWS does to the next runs, answers reported
 * once, the support case followed, and facts it cannot read or trust.
 */
import { describe, expect, it } from 'vitest';
import { type QuotaRunResult, runQuotaTick } from '../../../shared/loops/quota-loop';
import { ServiceQuotasError } from '../../../shared/ports/service-quotas';
import { SupportError } from '../../../shared/ports/support-cases';
import {
  QUOTA_STATE_PARTITION,
  type QuotaRequestRecord,
  quotaRecordKey,
} from '../../../shared/quotas/request-record';
import {
  ACCOUNT,
  DAY,
  group,
  HOUR,
  MINUTE,
  QuotaWorld,
  quotaRegion,
  REGION,
  STANDARD,
} from '../../support/quota-fakes';

const KEY = quotaRecordKey(ACCOUNT, REGION, STANDARD);

async function record(world: QuotaWorld, code = STANDARD): Promise<QuotaRequestRecord | undefined> {
  const item = await world.state.get(QUOTA_STATE_PARTITION, quotaRecordKey(ACCOUNT, REGION, code));
  return item?.data as QuotaRequestRecord | undefined;
}

function decisionOf(result: QuotaRunResult, code = STANDARD) {
  const decision = result.decisions.find((d) => d.quotaCode === code);
  if (!decision) throw new Error(`no decision for ${code}: ${JSON.stringify(result.failures)}`);
  return decision;
}

describe('runQuotaTick: filing', () => {
  it('given demand above the applied value, should file exactly one request and record it', async () => {
    const world = new QuotaWorld();
    const result = await runQuotaTick(world.deps(), quotaRegion());

    expect(result.failures).toEqual([]);
    expect(decisionOf(result).action).toMatchObject({ kind: 'request', desiredValue: 1152 });
    expect(result.filed).toEqual([
      { serviceCode: 'ec2', quotaCode: STANDARD, desiredValue: 1152, requestId: 'req-1', alreadyOpen: false },
    ]);
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
    expect(await record(world)).toMatchObject({
      status: 'PENDING',
      requestId: 'req-1',
      desiredValue: 1152,
      appliedAtRequest: 320,
      requestedAt: world.clock.now(),
    });
    expect((await record(world))?.justification).toContain('kube-1, node pool default: 3 zones × 20 nodes');
    // ListServiceQuotas, DescribeAutoScalingGroups, DescribeInstanceTypes, GetServiceQuota, the history,
    // RequestServiceQuotaIncrease; FILING then the request's ids.
    expect(result.counts).toEqual({ quotas: 1, requests: 1, alarms: 0, awsCalls: 6, recordWrites: 2 });
  });

  it('given a request pending, should never file a second, and recheck it once a day', async () => {
    const world = new QuotaWorld();
    await runQuotaTick(world.deps(), quotaRegion());
    const before = (await world.state.get(QUOTA_STATE_PARTITION, KEY))?.version;

    world.clock.advance(HOUR);
    const soon = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(soon).action).toMatchObject({ kind: 'wait', awaiting: 'aws', recheckDue: false });
    expect(soon.counts.recordWrites).toBe(0);
    expect((await world.state.get(QUOTA_STATE_PARTITION, KEY))?.version).toBe(before);

    world.clock.advance(DAY);
    const daily = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(daily).action).toMatchObject({ kind: 'wait', recheckDue: true });
    expect((await record(world))?.lastCheckedAt).toBe(world.clock.now());

    expect(world.serviceQuotas.count('requestIncrease')).toBe(1);
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
  });

  it.each([
    ['the event', { dryRun: true }, {}],
    ['the config', {}, { dryRun: true }],
  ])(
    'given dry run from %s, should decide but file, write and call Support for nothing',
    async (_, options, settings) => {
      const world = new QuotaWorld();
      world.serviceQuotas.addRequest(STANDARD, { desiredValue: 500, status: 'CASE_OPENED', caseId: '42' });
      world.support.addCase('42');
      const region = quotaRegion({ ...settings, supportPlan: 'business' });
      // A smaller open request is waited for; make it answered so the decision is to request.
      world.serviceQuotas.answer(STANDARD, 'req-1', 'DENIED');
      world.clock.advance(8 * DAY);

      const result = await runQuotaTick(world.deps(true), region, options);
      expect(result.dryRun).toBe(true);
      expect(decisionOf(result).action.kind).toBe('request');
      expect(decisionOf(result).alarm).toBe(true);
      expect(result.filed).toEqual([]);
      expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
      expect(await world.state.query(QUOTA_STATE_PARTITION)).toEqual([]);
      expect(world.support.calls).toEqual([]);
      expect(result.counts.recordWrites).toBe(0);
    },
  );

  it('given two runs at once, should file once: the loser of the FILING write files nothing', async () => {
    const world = new QuotaWorld();
    let release = () => {};
    world.serviceQuotas.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = runQuotaTick(world.deps(), quotaRegion());
    const second = runQuotaTick(world.deps(), quotaRegion());
    const loser = await Promise.race([first, second]);
    release();
    const [a, b] = await Promise.all([first, second]);

    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
    expect(world.serviceQuotas.count('requestIncrease')).toBe(1);
    expect([...a.filed, ...b.filed]).toHaveLength(1);
    expect(loser.filed).toEqual([]);
    const lost = loser.failures.some((f) => f.step === 'record' && f.reason === 'Conflict');
    const waited = loser.decisions.some((d) => d.action.kind === 'wait' && d.action.awaiting === 'filing');
    expect(lost || waited).toBe(true);
    expect(await record(world)).toMatchObject({ status: 'PENDING', requestId: 'req-1' });
  });

  it('given a run that starts while another is filing, should wait for it', async () => {
    const world = new QuotaWorld();
    let release = () => {};
    let second: Promise<QuotaRunResult> | undefined;
    world.serviceQuotas.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.serviceQuotas.onHold = () => {
      world.serviceQuotas.onHold = undefined;
      world.clock.advance(MINUTE);
      second = runQuotaTick(world.deps(), quotaRegion());
    };
    const first = runQuotaTick(world.deps(), quotaRegion());
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!second) throw new Error('the first run never reached RequestServiceQuotaIncrease');
    const waiting = await second;
    release();
    const filing = await first;

    expect(decisionOf(waiting).action).toMatchObject({ kind: 'wait', awaiting: 'filing' });
    expect(decisionOf(waiting).alarm).toBe(false);
    expect(waiting.filed).toEqual([]);
    expect(filing.filed).toHaveLength(1);
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
  });
});

describe('runQuotaTick: what AWS answers to the request', () => {
  it('given a request opened meanwhile (AlreadyOpen), should record that one as filed', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.hold = Promise.resolve();
    world.serviceQuotas.onHold = () => {
      world.serviceQuotas.onHold = undefined;
      world.serviceQuotas.addRequest(STANDARD, { requestId: 'by-hand', desiredValue: 2000, caseId: '77' });
    };
    const result = await runQuotaTick(world.deps(), quotaRegion());

    expect(result.failures).toEqual([]);
    expect(result.filed).toEqual([
      {
        serviceCode: 'ec2',
        quotaCode: STANDARD,
        desiredValue: 2000,
        requestId: 'by-hand',
        caseId: '77',
        alreadyOpen: true,
      },
    ]);
    expect(await record(world)).toMatchObject({ status: 'PENDING', requestId: 'by-hand', caseId: '77' });
    world.clock.advance(HOUR);
    const next = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(next).action.kind).toBe('wait');
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
  });

  it('given AlreadyOpen and then no history, should report it filed and leave FILING for the next run', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.failNext.set('requestIncrease', [
      new ServiceQuotasError('AlreadyOpen', 'open already'),
    ]);
    world.serviceQuotas.failNext.set('listRequestedChanges', [
      undefined, // the decision's read answers
      new ServiceQuotasError('Throttled', 'slow down'),
    ]);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.filed).toMatchObject([{ quotaCode: STANDARD, alreadyOpen: true }]);
    expect(result.failures).toMatchObject([{ step: 'history', reason: 'Throttled', quotaCode: STANDARD }]);
    expect(await record(world)).toMatchObject({ status: 'FILING' });
    world.clock.advance(MINUTE);
    const next = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(next).action).toMatchObject({ kind: 'wait', awaiting: 'filing' });
  });

  it.each(['QuotaExceeded', 'NoSuchResource', 'Invalid'] as const)(
    'given %s, should report it with the quota code and not file again before retryDeniedAfterDays',
    async (reason) => {
      const world = new QuotaWorld();
      world.serviceQuotas.failNext.set('requestIncrease', [
        new ServiceQuotasError(reason, `RequestServiceQuotaIncrease ec2/${STANDARD}: ${reason}`),
      ]);
      const first = await runQuotaTick(world.deps(), quotaRegion());
      expect(first.failures).toEqual([
        {
          serviceCode: 'ec2',
          quotaCode: STANDARD,
          step: 'request',
          reason,
          message: `RequestServiceQuotaIncrease ec2/${STANDARD}: ${reason}`,
        },
      ]);
      expect(await record(world)).toMatchObject({
        status: 'INVALID_REQUEST',
        failure: expect.stringContaining(reason),
      });

      for (const days of [1, 3, 6]) {
        world.clock.advance(days === 1 ? DAY : 2 * DAY);
        const later = await runQuotaTick(world.deps(), quotaRegion());
        expect(decisionOf(later).action).toMatchObject({ kind: 'blocked', cause: 'denied' });
        expect(decisionOf(later).outcome).toBeUndefined();
        expect(decisionOf(later).alarm).toBe(true);
      }
      expect(world.serviceQuotas.count('requestIncrease')).toBe(1);

      world.clock.advance(2 * DAY);
      const retried = await runQuotaTick(world.deps(), quotaRegion());
      expect(retried.filed).toHaveLength(1);
      expect(world.serviceQuotas.count('requestIncrease')).toBe(2);
    },
  );

  it('given throttling, should roll the FILING record back so the next run files, once', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.failNext.set('requestIncrease', [
      new ServiceQuotasError('Throttled', 'Rate exceeded'),
    ]);
    const throttled = await runQuotaTick(world.deps(), quotaRegion());
    expect(throttled.failures).toMatchObject([{ step: 'request', reason: 'Throttled', quotaCode: STANDARD }]);
    expect(throttled.filed).toEqual([]);
    expect(await world.state.get(QUOTA_STATE_PARTITION, KEY)).toBeUndefined();

    world.clock.advance(MINUTE);
    const next = await runQuotaTick(world.deps(), quotaRegion());
    expect(next.filed).toHaveLength(1);
    world.clock.advance(MINUTE);
    await runQuotaTick(world.deps(), quotaRegion());
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
  });

  it('given throttling over an earlier record, should put that record back as it was', async () => {
    // The record holds a denial; eight days on the run files, and is throttled.
    const other = new QuotaWorld();
    const denied = other.serviceQuotas.addRequest(STANDARD, { desiredValue: 400 });
    other.clock.advance(HOUR);
    await runQuotaTick(other.deps(), quotaRegion());
    other.serviceQuotas.answer(STANDARD, denied.requestId, 'DENIED');
    other.clock.advance(HOUR);
    await runQuotaTick(other.deps(), quotaRegion());
    const before = await other.state.get(QUOTA_STATE_PARTITION, KEY);
    expect(before?.data).toMatchObject({ status: 'DENIED' });

    other.clock.advance(8 * DAY);
    other.serviceQuotas.failNext.set('requestIncrease', [
      new ServiceQuotasError('Throttled', 'Rate exceeded'),
    ]);
    const throttled = await runQuotaTick(other.deps(), quotaRegion());
    expect(throttled.filed).toEqual([]);
    const after = await other.state.get(QUOTA_STATE_PARTITION, KEY);
    expect(after?.data).toEqual(before?.data);
  });

  it('given a run that died after its FILING write, should wait 15 minutes and then file', async () => {
    const world = new QuotaWorld();
    const filing: QuotaRequestRecord = {
      accountId: ACCOUNT,
      region: REGION,
      serviceCode: 'ec2',
      quotaCode: STANDARD,
      quotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
      desiredValue: 1152,
      appliedAtRequest: 320,
      requestedAt: world.clock.now(),
      status: 'FILING',
      lastCheckedAt: world.clock.now(),
      justification: 'x',
    };
    await world.state.put(QUOTA_STATE_PARTITION, KEY, filing, { expectedVersion: 0 });

    world.clock.advance(10 * MINUTE);
    const within = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(within).action).toMatchObject({ kind: 'wait', awaiting: 'filing' });
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);

    world.clock.advance(6 * MINUTE);
    const after = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(after).reason).toContain('never reached AWS');
    expect(after.filed).toHaveLength(1);
    expect(await record(world)).toMatchObject({ status: 'PENDING', requestId: 'req-1' });
  });

  it('given a run that died after AWS took its request, should follow that request, not file again', async () => {
    const world = new QuotaWorld();
    await world.state.put(
      QUOTA_STATE_PARTITION,
      KEY,
      {
        accountId: ACCOUNT,
        region: REGION,
        serviceCode: 'ec2',
        quotaCode: STANDARD,
        quotaName: 'Standard',
        desiredValue: 1152,
        appliedAtRequest: 320,
        requestedAt: world.clock.now(),
        status: 'FILING',
        lastCheckedAt: world.clock.now(),
        justification: 'why',
      } satisfies QuotaRequestRecord,
      { expectedVersion: 0 },
    );
    // AWS's clock is a minute behind Lambda's: its Created is before the record's requestedAt.
    world.serviceQuotas.addRequest(STANDARD, { desiredValue: 1152, createdAt: world.clock.now() - MINUTE });

    world.clock.advance(HOUR);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(result).action).toMatchObject({ kind: 'wait', awaiting: 'aws' });
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
    expect(await record(world)).toMatchObject({
      status: 'PENDING',
      requestId: 'req-1',
      justification: 'why',
    });
  });
});

describe('runQuotaTick: answers and the support case', () => {
  it('given AWS approved later, should report the approval once', async () => {
    const world = new QuotaWorld();
    await runQuotaTick(world.deps(), quotaRegion());
    world.clock.advance(2 * DAY);
    world.serviceQuotas.answer(STANDARD, 'req-1', 'APPROVED');

    world.clock.advance(HOUR);
    const reported = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(reported).outcome).toMatchObject({
      result: 'approved',
      status: 'APPROVED',
      desiredValue: 1152,
    });
    expect(decisionOf(reported).action.kind).toBe('ok');
    expect(await record(world)).toMatchObject({ status: 'APPROVED', resolvedAt: world.clock.now() - HOUR });

    world.clock.advance(DAY);
    const again = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(again).outcome).toBeUndefined();
    expect(again.counts.recordWrites).toBe(0);
  });

  it('given AWS denied, should report it once and hold off', async () => {
    const world = new QuotaWorld();
    await runQuotaTick(world.deps(), quotaRegion());
    world.clock.advance(DAY);
    world.serviceQuotas.answer(STANDARD, 'req-1', 'DENIED');
    world.clock.advance(HOUR);

    const reported = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(reported).outcome).toMatchObject({ result: 'denied', status: 'DENIED' });
    expect(decisionOf(reported).action).toMatchObject({ kind: 'blocked', cause: 'denied' });
    expect(world.log.warnings()).toContain('AWS denied a quota request');
    world.clock.advance(HOUR);
    expect(decisionOf(await runQuotaTick(world.deps(), quotaRegion())).outcome).toBeUndefined();
  });

  it('given a case opened, should add the justification once to it', async () => {
    const world = new QuotaWorld();
    const region = quotaRegion({ supportPlan: 'business' });
    await runQuotaTick(world.deps(true), region);
    expect(world.support.calls).toEqual([]); // no case yet
    const caseId = world.serviceQuotas.openCase(STANDARD, 'req-1');
    world.support.addCase(caseId);

    world.clock.advance(2 * HOUR);
    await runQuotaTick(world.deps(true), region);
    expect(world.support.communications).toHaveLength(1);
    expect(world.support.communications[0]?.caseId).toBe(`case-${ACCOUNT}-${caseId}`);
    expect(world.support.communications[0]?.body).toContain('node pool default');
    expect(await record(world)).toMatchObject({ caseId, justificationAddedAt: world.clock.now() });

    world.clock.advance(DAY);
    await runQuotaTick(world.deps(true), region);
    expect(world.support.calls.filter((c) => c.startsWith('describeCases'))).toHaveLength(2);
    expect(world.support.communications).toHaveLength(1);
  });

  it('given a resolved case, should not reopen it with the justification', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.addRequest(STANDARD, { desiredValue: 2000, status: 'CASE_OPENED', caseId: '9' });
    world.support.addCase('9', 'resolved');
    await runQuotaTick(world.deps(true), quotaRegion({ supportPlan: 'enterprise' }));
    expect(world.support.calls).toEqual(['describeCases 9']);
    expect(world.support.communications).toEqual([]);
  });

  it('given no Business plan after all (SubscriptionRequired), should warn once and stop using Support', async () => {
    const world = new QuotaWorld();
    const region = quotaRegion({
      supportPlan: 'business',
      extraQuotas: [
        {
          serviceCode: 'ec2',
          quotaCode: 'L-0263D0A3',
          name: 'EC2-VPC Elastic IPs',
          demand: { perCluster: 3 },
        },
      ],
    });
    world.serviceQuotas.setQuota('L-0263D0A3', 5, { name: 'EC2-VPC Elastic IPs' });
    world.serviceQuotas.addRequest(STANDARD, { desiredValue: 2000, status: 'CASE_OPENED', caseId: '1' });
    world.serviceQuotas.addRequest('L-0263D0A3', { desiredValue: 10, status: 'CASE_OPENED', caseId: '2' });
    world.support.failAll = new SupportError(
      'SubscriptionRequired',
      'AWS Premium Support Subscription is required',
    );

    const result = await runQuotaTick(world.deps(true), region);
    expect(result.failures).toEqual([]);
    expect(result.supportOff).toContain('Business or Enterprise');
    expect(world.log.warnings().filter((w) => w.startsWith('Support API not available'))).toHaveLength(1);
    expect(world.support.calls.every((c) => c.startsWith('describeCases'))).toBe(true);
    expect(await record(world)).toMatchObject({ caseId: '1' });
    expect((await record(world))?.justificationAddedAt).toBeUndefined();
  });
});

describe('runQuotaTick: bad or missing facts', () => {
  it('given a corrupt record and no request at AWS, should report it and file over it once', async () => {
    const world = new QuotaWorld();
    await world.state.put(QUOTA_STATE_PARTITION, KEY, { status: 'what' }, { expectedVersion: 0 });
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([{ step: 'record', reason: 'Corrupt', quotaCode: STANDARD }]);
    expect(result.filed).toHaveLength(1);
    expect(await record(world)).toMatchObject({ status: 'PENDING', requestId: 'req-1' });
    world.clock.advance(HOUR);
    await runQuotaTick(world.deps(), quotaRegion());
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
  });

  it('given a corrupt record and a request open at AWS, should wait and mend the record', async () => {
    const world = new QuotaWorld();
    await world.state.put(QUOTA_STATE_PARTITION, KEY, 'garbage', { expectedVersion: 0 });
    world.serviceQuotas.addRequest(STANDARD, { desiredValue: 1152 });
    world.clock.advance(MINUTE);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(decisionOf(result).action).toMatchObject({ kind: 'wait', awaiting: 'aws' });
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
    expect(await record(world)).toMatchObject({ status: 'PENDING', requestId: 'req-1' });
  });

  it('given Service Quotas cannot tell the value, should say why and request nothing', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.setQuota(STANDARD, undefined, {
      errorReason: 'DEPENDENCY_THROTTLING_ERROR: EC2 throttled',
    });
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([
      { step: 'applied', reason: 'NoValue', message: expect.stringContaining('DEPENDENCY_THROTTLING_ERROR') },
    ]);
    expect(decisionOf(result).action).toEqual({ kind: 'blocked', cause: 'applied-unknown' });
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
  });

  it('given an instance type EC2 does not know, should report it and count the others, not guess', async () => {
    const world = new QuotaWorld();
    const region = quotaRegion({}, [
      {
        name: 'kube-1',
        nodePools: {
          discoverByTags: false,
          pools: [
            {
              name: 'default',
              asgs: ['kube-1-a', 'kube-1-b', 'kube-1-c'],
              instanceTypes: ['m5.4xlarge', 'm9q.4xlarge'],
            },
          ],
        },
      },
    ]);
    const result = await runQuotaTick(world.deps(), region);
    expect(result.demand.problems).toMatchObject([
      { kind: 'unknown-vcpus', cluster: 'kube-1', source: 'default', instanceType: 'm9q.4xlarge' },
    ]);
    expect(decisionOf(result).demand).toBe(960);
    expect(result.filed).toHaveLength(1);
  });

  it('given a quota code Service Quotas lists under a new code, should use the listed one', async () => {
    const world = new QuotaWorld();
    const moved = 'L-ABCDEF12';
    world.serviceQuotas.listed = world.serviceQuotas.listed.map((q) =>
      q.code === STANDARD ? { ...q, code: moved } : q,
    );
    world.serviceQuotas.quotas.delete(STANDARD);
    world.serviceQuotas.setQuota(moved, 320, {
      name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    });

    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.codeChecks.find((c) => c.code === STANDARD)).toMatchObject({
      status: 'moved',
      useCode: moved,
    });
    expect(result.filed).toMatchObject([{ quotaCode: moved, desiredValue: 1152 }]);
    expect(world.log.warnings()).toContain(
      'a vCPU quota is listed under another code; using that one, update the table',
    );
    expect(await record(world, moved)).toMatchObject({ status: 'PENDING' });
  });

  it('given a quota Service Quotas does not list, should report it and leave it alone', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.listed = world.serviceQuotas.listed.filter((q) => q.code !== STANDARD);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([
      { step: 'confirm-codes', reason: 'NotListed', quotaCode: STANDARD },
    ]);
    expect(result.decisions).toEqual([]);
    expect(world.serviceQuotas.count('getServiceQuota')).toBe(0);
  });

  it('given the listing fails, should use the table as written and say so', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.failNext.set('listServiceQuotas', [new ServiceQuotasError('Throttled', 'slow down')]);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([{ step: 'confirm-codes', reason: 'Throttled' }]);
    expect(result.codeChecks).toEqual([]);
    expect(result.filed).toHaveLength(1);
  });

  it('given the groups cannot be read, should decide on what is known but file nothing', async () => {
    const world = new QuotaWorld();
    const region = quotaRegion({}, [
      {
        name: 'kube-1',
        nodePools: {
          discoverByTags: false,
          pools: [
            {
              name: 'default',
              asgs: ['kube-1-a', 'kube-1-b', 'kube-1-c'],
              instanceTypes: ['m5.4xlarge'],
              maxPerZone: 20,
            },
          ],
        },
      },
    ]);
    world.autoScaling.failNext = [new Error('Rate exceeded')];
    const result = await runQuotaTick(world.deps(), region);
    expect(result.failures).toMatchObject([{ step: 'groups' }]);
    expect(result.filingHeld).toContain('groups');
    expect(decisionOf(result).action.kind).toBe('request');
    expect(decisionOf(result).alarm).toBe(true);
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
    expect(result.dryRun).toBe(false);
  });

  it('given the history cannot be read, should neither decide nor file for that quota', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.failNext.set('listRequestedChanges', [new ServiceQuotasError('Unavailable', 'boom')]);
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([{ step: 'history', quotaCode: STANDARD, reason: 'Unavailable' }]);
    expect(result.decisions).toEqual([]);
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
  });

  it('given usage cannot be read, should decide without it', async () => {
    const world = new QuotaWorld();
    world.serviceQuotas.setQuota(STANDARD, 320, {
      usageMetric: {
        namespace: 'AWS/Usage',
        name: 'ResourceCount',
        dimensions: { Class: 'Standard/OnDemand' },
      },
    });
    world.usage.failNext = [new Error('CloudWatch down')];
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.failures).toMatchObject([{ step: 'usage', quotaCode: STANDARD }]);
    expect(result.filed).toHaveLength(1);
  });
});

describe('runQuotaTick: demand facts', () => {
  it('given tag-discovered spot groups and a control plane, should count both', async () => {
    const world = new QuotaWorld();
    const tags = {
      'k8s.io/cluster-autoscaler/enabled': 'true',
      'k8s.io/cluster-autoscaler/kube-1': 'owned',
      'tideplane.io/node-pool': 'batch',
    };
    const spot = { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 };
    world.autoScaling.groups.push(
      ...['a', 'b'].map((zone) => ({
        ...group(`kube-1-batch-${zone}`),
        availabilityZones: [`${REGION}${zone}`],
        maxSize: 10,
        tags,
        instanceTypes: ['m5.xlarge', 'm9q.large'],
        purchase: spot,
      })),
      {
        ...group('kube-1-masters'),
        desiredCapacity: 3,
        maxSize: 3,
        instanceTypes: ['m5.xlarge'],
        instances: [],
      },
    );
    const region = quotaRegion({ dryRun: true }, [
      {
        name: 'kube-1',
        nodePools: { pools: [{ name: 'default', asgs: ['kube-1-a', 'kube-1-b', 'kube-1-c'] }] },
        controlPlane: {
          ec2: { asgs: ['kube-1-masters'], launchTemplateIds: ['lt-0123456789abcdef0'] },
          ladder: { ceiling: 'm5.2xlarge' },
        },
      },
    ]);
    const result = await runQuotaTick(world.deps(), region);
    const spotQuota = result.demand.quotas.find((q) => q.quotaCode === 'L-34B43A08');
    expect(spotQuota?.contributions).toMatchObject([{ name: 'batch', amount: 2 * 10 * 4 }]);
    const standard = result.demand.quotas.find((q) => q.quotaCode === STANDARD);
    expect(standard?.contributions.map((c) => [c.name, c.amount])).toEqual([
      ['default', 960],
      ['control plane', (3 + 1) * 8],
    ]);
    expect(result.demand.problems).toMatchObject([
      { kind: 'unknown-vcpus', source: 'batch', instanceType: 'm9q.large' },
    ]);
    expect(world.autoScaling.calls).toEqual([
      'names kube-1-a,kube-1-b,kube-1-c,kube-1-masters',
      'tag k8s.io/cluster-autoscaler/kube-1',
    ]);
    expect(world.ec2.calls).toHaveLength(1);
  });

  it('given an open request on record for a quota nothing needs now, should follow it to its answer', async () => {
    const world = new QuotaWorld();
    const P = 'L-417A185B';
    world.serviceQuotas.setQuota(P, 0);
    const open = world.serviceQuotas.addRequest(P, { desiredValue: 64 });
    await world.state.put(
      QUOTA_STATE_PARTITION,
      quotaRecordKey(ACCOUNT, REGION, P),
      {
        accountId: ACCOUNT,
        region: REGION,
        serviceCode: 'ec2',
        quotaCode: P,
        quotaName: 'Running On-Demand P instances',
        desiredValue: 64,
        appliedAtRequest: 0,
        requestedAt: world.clock.now(),
        status: 'PENDING',
        requestId: open.requestId,
        lastCheckedAt: world.clock.now(),
        justification: 'gpu pool',
      } satisfies QuotaRequestRecord,
      { expectedVersion: 0 },
    );
    world.clock.advance(DAY);
    world.serviceQuotas.answer(P, open.requestId, 'APPROVED');
    const result = await runQuotaTick(world.deps(), quotaRegion());
    expect(result.followed).toEqual([P]);
    expect(decisionOf(result, P).outcome).toMatchObject({ result: 'approved' });
    expect(await record(world, P)).toMatchObject({ status: 'APPROVED' });
    world.clock.advance(DAY);
    expect((await runQuotaTick(world.deps(), quotaRegion())).followed).toEqual([]);
  });

  it('counts each port call once', async () => {
    const world = new QuotaWorld();
    const result = await runQuotaTick(world.deps(), quotaRegion({ dryRun: true }));
    expect(result.counts.awsCalls).toBe(
      world.serviceQuotas.calls.length + world.autoScaling.calls.length + world.ec2.calls.length,
    );
  });
});
