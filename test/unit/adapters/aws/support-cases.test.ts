import { Readable } from 'node:stream';
import {
  AddCommunicationToCaseCommand,
  type CaseDetails,
  CaseIdNotFound,
  DescribeCasesCommand,
  type DescribeCasesCommandInput,
  InternalServerError,
  SupportClient,
  SupportServiceException,
} from '@aws-sdk/client-support';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsSupportCases,
  CASE_IDS_PER_CALL,
  communicationBody,
  MAX_CASE_RESULTS,
  supportTime,
} from '../../../../shared/adapters/aws/support-cases';
import { SUPPORT_COMMUNICATION_MAX_CHARS, SupportError } from '../../../../shared/ports/support-cases';

// moto 5.2.5 has DescribeCases (it ignores displayId and answers an unknown case id with a 500) but no
// AddCommunicationToCase, so the peer test covers reading a case and this file the rest: request shapes,
// display ids, CaseIdNotFound in a batch, errors, and SubscriptionRequiredException on the JSON 1.1 wire.

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = new SupportClient({ region: 'us-east-1', credentials: CREDENTIALS });
const support = mockClient(client);
const adapter = () => new AwsSupportCases(client);
const $metadata = { httpStatusCode: 400 };
const describeInputs = (): DescribeCasesCommandInput[] =>
  support.commandCalls(DescribeCasesCommand).map((c) => c.args[0].input);

const CASE_ID = 'case-123456789012-muen-2026-c4c1d2bf33c5cf47';
const DISPLAY_ID = '6780195351';

/** The case Service Quotas opens for an EC2 vCPU request, as DescribeCases returns it. */
function caseDetails(extra: Partial<CaseDetails> = {}): CaseDetails {
  return {
    caseId: CASE_ID,
    displayId: DISPLAY_ID,
    subject: 'Limit Increase: EC2 Instances',
    status: 'pending-customer-action',
    serviceCode: 'service-limit-increase',
    categoryCode: 'ec2-instances',
    severityCode: 'low',
    submittedBy: 'tideplane-quotas (Role) <ops@example.com>',
    timeCreated: '2026-01-05T06:00:14.112Z',
    language: 'en',
    ccEmailAddresses: [],
    recentCommunications: {
      communications: [
        {
          caseId: CASE_ID,
          body: 'Could you tell us more about the workload that needs 1296 vCPUs?',
          submittedBy: 'Amazon Web Services',
          timeCreated: '2026-01-05T11:42:07.000Z',
          attachmentSet: [],
        },
        {
          caseId: CASE_ID,
          body: 'Limit increase request 1\nService: EC2 Instances\nRegion: EU (Frankfurt)\nNew limit value: 1296',
          submittedBy: 'tideplane-quotas (Role) <ops@example.com>',
          timeCreated: '2026-01-05T06:00:14.112Z',
          attachmentSet: [],
        },
      ],
      nextToken: 'older-communications',
    },
    ...extra,
  };
}

const subscriptionRequired = () =>
  new SupportServiceException({
    name: 'SubscriptionRequiredException',
    $fault: 'client',
    $metadata,
    message: 'AWS Premium Support Subscription is required to use this service.',
  });

beforeEach(() => {
  support.reset();
});

describe('supportTime', () => {
  it.each([
    ['2026-01-05T11:42:07.000Z', Date.parse('2026-01-05T11:42:07.000Z')],
    ['2026-01-05T13:42:07.000+02:00', Date.parse('2026-01-05T11:42:07.000Z')],
    // moto writes Python's naive isoformat(), microseconds and no zone: read as UTC.
    ['2026-01-05T11:42:07.123456', Date.parse('2026-01-05T11:42:07.123Z')],
  ])('reads %s', (value, ms) => {
    expect(supportTime(value)).toBe(ms);
  });

  it.each([undefined, '', 'yesterday'])('answers nothing for %s', (value) => {
    expect(supportTime(value)).toBeUndefined();
  });
});

describe('AwsSupportCases.describeCases', () => {
  it('asks for the case ids with resolved cases and communications, and reads the newest communication', async () => {
    support.on(DescribeCasesCommand).resolves({ cases: [caseDetails()] });
    expect(await adapter().describeCases([CASE_ID])).toEqual([
      {
        caseId: CASE_ID,
        displayId: DISPLAY_ID,
        subject: 'Limit Increase: EC2 Instances',
        status: 'pending-customer-action',
        createdAt: Date.parse('2026-01-05T06:00:14.112Z'),
        lastCommunicationAt: Date.parse('2026-01-05T11:42:07.000Z'),
        lastCommunicationBy: 'Amazon Web Services',
      },
    ]);
    expect(describeInputs()).toEqual([
      {
        caseIdList: [CASE_ID],
        includeResolvedCases: true,
        includeCommunications: true,
        maxResults: MAX_CASE_RESULTS,
      },
    ]);
  });

  it('given a case without communications or times, leaves them out', async () => {
    support.on(DescribeCasesCommand).resolves({
      cases: [{ caseId: CASE_ID, status: 'opened', timeCreated: 'not a time' }],
    });
    expect(await adapter().describeCases([CASE_ID])).toEqual([{ caseId: CASE_ID, status: 'opened' }]);
  });

  it('asks a display id (Service Quotas CaseId) on its own, and keeps only the case that has it', async () => {
    support.on(DescribeCasesCommand).resolves({
      cases: [caseDetails(), caseDetails({ caseId: 'case-other', displayId: '1111111111' })],
    });
    const cases = await adapter().describeCases([DISPLAY_ID]);
    expect(cases.map((c) => c.caseId)).toEqual([CASE_ID]);
    expect(describeInputs()).toEqual([
      {
        displayId: DISPLAY_ID,
        includeResolvedCases: true,
        includeCommunications: true,
        maxResults: MAX_CASE_RESULTS,
      },
    ]);
  });

  it('asks case ids in batches of CASE_IDS_PER_CALL, each id once, and follows nextToken', async () => {
    const ids = Array.from({ length: CASE_IDS_PER_CALL + 20 }, (_, i) => `case-123456789012-muen-2026-${i}`);
    support.on(DescribeCasesCommand).callsFake(async (input: DescribeCasesCommandInput) => {
      const list = input.caseIdList ?? [];
      // The first batch answers in two pages.
      if (list.length === CASE_IDS_PER_CALL && !input.nextToken) {
        return { cases: list.slice(0, 50).map((caseId) => ({ caseId, status: 'opened' })), nextToken: 't2' };
      }
      if (input.nextToken === 't2')
        return { cases: list.slice(50).map((caseId) => ({ caseId, status: 'opened' })) };
      return { cases: list.map((caseId) => ({ caseId, status: 'resolved' })) };
    });
    const cases = await adapter().describeCases([...ids, ids[0] ?? '', '']);
    expect(cases.map((c) => c.caseId).sort()).toEqual([...ids].sort());
    expect(describeInputs().map((input) => [input.caseIdList?.length, input.nextToken])).toEqual([
      [CASE_IDS_PER_CALL, undefined],
      [CASE_IDS_PER_CALL, 't2'],
      [20, undefined],
    ]);
  });

  it('given CaseIdNotFound for a batch, asks one id at a time and leaves the unknown out', async () => {
    support.on(DescribeCasesCommand).callsFake(async (input: DescribeCasesCommandInput) => {
      const list = input.caseIdList ?? [];
      if (list.includes('case-gone')) {
        throw new CaseIdNotFound({ $metadata, message: 'Invalid case ID: case-gone' });
      }
      return { cases: list.map((caseId) => caseDetails({ caseId })) };
    });
    const cases = await adapter().describeCases([CASE_ID, 'case-gone', 'case-other']);
    expect(cases.map((c) => c.caseId)).toEqual([CASE_ID, 'case-other']);
    expect(describeInputs().map((input) => input.caseIdList)).toEqual([
      [CASE_ID, 'case-gone', 'case-other'],
      [CASE_ID],
      ['case-gone'],
      ['case-other'],
    ]);
  });

  it('given an unknown display id, answers no case', async () => {
    support
      .on(DescribeCasesCommand)
      .rejects(new CaseIdNotFound({ $metadata, message: 'Invalid display ID' }));
    expect(await adapter().describeCases(['9999999999'])).toEqual([]);
  });

  it.each([
    [subscriptionRequired(), 'SubscriptionRequired'],
    [
      new SupportServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata,
        message: 'Rate exceeded',
      }),
      'Throttled',
    ],
    [
      new SupportServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata,
        message: 'not authorized to perform: support:DescribeCases',
      }),
      'Forbidden',
    ],
    [
      new InternalServerError({ $metadata: { httpStatusCode: 500 }, message: 'Internal error' }),
      'Unavailable',
    ],
  ])('maps %s to %s', async (error, reason) => {
    support.on(DescribeCasesCommand).rejects(error);
    const thrown = await adapter()
      .describeCases([CASE_ID])
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(SupportError);
    expect(thrown).toMatchObject({ reason, message: `DescribeCases ${CASE_ID}: ${error.message}` });
  });

  it('given no ids, asks nothing', async () => {
    expect(await adapter().describeCases([])).toEqual([]);
    expect(describeInputs()).toEqual([]);
  });
});

describe('AwsSupportCases.addCommunication', () => {
  it('sends the case id and the body', async () => {
    support.on(AddCommunicationToCaseCommand).resolves({ result: true });
    await adapter().addCommunication(CASE_ID, 'kube-1/workers: 3 zones × 20 nodes × 16 vCPUs = 960');
    expect(support.commandCalls(AddCommunicationToCaseCommand).map((c) => c.args[0].input)).toEqual([
      { caseId: CASE_ID, communicationBody: 'kube-1/workers: 3 zones × 20 nodes × 16 vCPUs = 960' },
    ]);
  });

  it("given Service Quotas' display id, looks the case up and writes to its case id", async () => {
    support.on(DescribeCasesCommand).resolves({ cases: [caseDetails()] });
    support.on(AddCommunicationToCaseCommand).resolves({ result: true });
    await adapter().addCommunication(DISPLAY_ID, 'why');
    expect(describeInputs()).toEqual([expect.objectContaining({ displayId: DISPLAY_ID })]);
    expect(support.commandCalls(AddCommunicationToCaseCommand).map((c) => c.args[0].input)).toEqual([
      { caseId: CASE_ID, communicationBody: 'why' },
    ]);
  });

  it('given a display id no case has, throws NotFound and writes nothing', async () => {
    support.on(DescribeCasesCommand).resolves({ cases: [] });
    await expect(adapter().addCommunication('9999999999', 'why')).rejects.toMatchObject({
      name: 'SupportError',
      reason: 'NotFound',
    });
    expect(support.commandCalls(AddCommunicationToCaseCommand)).toHaveLength(0);
  });

  it('cuts a body longer than Support takes, saying how much is missing', async () => {
    support.on(AddCommunicationToCaseCommand).resolves({ result: true });
    const long = `${'pool line\n'.repeat(1_000)}end`;
    await adapter().addCommunication(CASE_ID, long);
    const sent =
      support.commandCalls(AddCommunicationToCaseCommand)[0]?.args[0].input.communicationBody ?? '';
    expect(sent.length).toBeLessThanOrEqual(SUPPORT_COMMUNICATION_MAX_CHARS);
    const cut = Number(/\[\.\.\. (\d+) more characters cut\]$/.exec(sent)?.[1]);
    expect(long.startsWith(sent.slice(0, sent.lastIndexOf('\n[...')))).toBe(true);
    expect(sent.lastIndexOf('\n[...') + cut).toBe(long.length);
  });

  it('leaves a body of exactly the limit as it is', () => {
    const body = 'x'.repeat(SUPPORT_COMMUNICATION_MAX_CHARS);
    expect(communicationBody(body)).toBe(body);
  });

  it.each(['', '  \n'])('refuses an empty body %j without a call', async (body) => {
    await expect(adapter().addCommunication(CASE_ID, body)).rejects.toMatchObject({ reason: 'Invalid' });
    expect(support.commandCalls(AddCommunicationToCaseCommand)).toHaveLength(0);
  });

  it.each([
    [new CaseIdNotFound({ $metadata, message: `Invalid case ID: ${CASE_ID}` }), 'NotFound'],
    [subscriptionRequired(), 'SubscriptionRequired'],
    [
      new SupportServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata,
        message: 'Rate exceeded',
      }),
      'Throttled',
    ],
    [
      new InternalServerError({ $metadata: { httpStatusCode: 500 }, message: 'Internal error' }),
      'Unavailable',
    ],
  ])('maps %s to %s', async (error, reason) => {
    support.on(AddCommunicationToCaseCommand).rejects(error);
    await expect(adapter().addCommunication(CASE_ID, 'why')).rejects.toMatchObject({
      reason,
      message: `AddCommunicationToCase ${CASE_ID}: ${error.message}`,
    });
  });

  it('given result false, throws Unavailable', async () => {
    support.on(AddCommunicationToCaseCommand).resolves({ result: false });
    await expect(adapter().addCommunication(CASE_ID, 'why')).rejects.toMatchObject({ reason: 'Unavailable' });
  });
});

describe('on the wire (JSON 1.1)', () => {
  it('reads SubscriptionRequiredException, which the SDK does not model, by its type', async () => {
    const targets: string[] = [];
    const wire = new SupportClient({
      region: 'eu-central-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { hostname: string; headers: Record<string, string> }) => {
          targets.push(`${request.hostname} ${request.headers['x-amz-target']}`);
          return {
            response: {
              statusCode: 400,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Readable.from([
                Buffer.from(
                  JSON.stringify({
                    __type: 'SubscriptionRequiredException',
                    message: 'AWS Premium Support Subscription is required to use this service.',
                  }),
                ),
              ]),
            },
          };
        },
      },
    });
    await expect(new AwsSupportCases(wire).describeCases([CASE_ID])).rejects.toMatchObject({
      name: 'SupportError',
      reason: 'SubscriptionRequired',
    });
    // The Support API's one endpoint of the partition, whatever the client's region.
    expect(targets).toEqual(['support.us-east-1.amazonaws.com AWSSupport_20130415.DescribeCases']);
    wire.destroy();
  });
});
