import { CreateCaseCommand, SupportClient } from '@aws-sdk/client-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsSupportCases } from '../../shared/adapters/aws/support-cases';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The support cases adapter against moto's Support backend: DescribeCases on the JSON 1.1 wire, with a
// case's status, subject and communications. moto 5.2.5 moves a case to its next status on every
// DescribeCases, ignores `displayId`, gives every case the display id "foo_display_id", answers an unknown
// case id with a 500 instead of CaseIdNotFound, and has no AddCommunicationToCase: display ids,
// CaseIdNotFound, adding communications and SubscriptionRequiredException are covered by
// test/unit/adapters/aws/support-cases.test.ts.

const STATUSES = [
  'opened',
  'pending-customer-action',
  'reopened',
  'resolved',
  'unassigned',
  'work-in-progress',
];

describe('AwsSupportCases against moto', () => {
  let moto: MotoServer;
  let client: SupportClient;
  let port: AwsSupportCases;
  let timezone: string | undefined;

  const openCase = async (subject: string, body: string) =>
    (
      await client.send(
        new CreateCaseCommand({
          subject,
          communicationBody: body,
          serviceCode: 'service-limit-increase',
          categoryCode: 'ec2-instances',
          severityCode: 'low',
          language: 'en',
        }),
      )
    ).caseId ?? '';

  beforeAll(async () => {
    // moto writes times in its local zone without saying which; in UTC they read as Support writes them.
    timezone = process.env.TZ;
    process.env.TZ = 'UTC';
    moto = await startMoto();
    client = new SupportClient(motoClientConfig(moto));
    port = new AwsSupportCases(client);
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
    if (timezone === undefined) delete process.env.TZ;
    else process.env.TZ = timezone;
  });

  it('given a case, should read its subject, status, creation and last communication', async () => {
    const before = Date.now();
    const caseId = await openCase('Limit Increase: EC2 Instances', 'New limit value: 1296');
    const after = Date.now();
    const [kase, ...others] = await port.describeCases([caseId]);
    expect(others).toEqual([]);
    expect(kase).toMatchObject({
      caseId,
      displayId: 'foo_display_id',
      subject: 'Limit Increase: EC2 Instances',
      lastCommunicationBy: 'moto@moto.com',
    });
    expect(STATUSES).toContain(kase?.status);
    // moto keeps microseconds, times are read to the millisecond.
    expect(kase?.createdAt).toBeGreaterThanOrEqual(before - 1);
    expect(kase?.createdAt).toBeLessThanOrEqual(after);
    expect(kase?.lastCommunicationAt).toBeGreaterThanOrEqual(kase?.createdAt ?? 0);
    expect(kase?.lastCommunicationAt).toBeLessThanOrEqual(after);
  });

  it('given several case ids, should answer each case once, resolved ones included', async () => {
    const first = await openCase('Limit Increase: EC2 Spot', 'New limit value: 640');
    const second = await openCase('Limit Increase: EBS', 'New limit value: 50');
    const seen = new Set<string>();
    // Six looks walk moto's cases through every status, `resolved` included.
    for (let look = 0; look < STATUSES.length; look++) {
      const cases = await port.describeCases([first, second, first]);
      expect(cases.map((c) => c.caseId).sort()).toEqual([first, second].sort());
      for (const kase of cases) seen.add(kase.status);
    }
    expect(seen).toContain('resolved');
  });
});
