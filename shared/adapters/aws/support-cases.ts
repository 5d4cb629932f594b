/**
 * The support cases port on `@aws-sdk/client-support`. The Support API has one endpoint per partition
 * (`support.us-east-1.amazonaws.com` for `aws`), which the SDK picks whatever region the client has.
 *
 * Service Quotas reports a request's case by its display id (digits, "6780195351"), while
 * `AddCommunicationToCase` and `DescribeCases`' `caseIdList` take the Support API's id
 * (`case-123456789012-muen-2025-...`). `describeCases` therefore asks for case ids in batches of
 * CASE_IDS_PER_CALL and for each display id on its own (`displayId` takes one), and `addCommunication`
 * looks a display id up first. Resolved cases are included: a closed case is how the loop learns that AWS
 * answered. AWS refuses a whole batch with CaseIdNotFound when one id is unknown; the batch is then asked
 * one id at a time so the others are still found.
 *
 * The last communication is the newest of the case's recent communications (`DescribeCases` includes the
 * five newest). Support writes times as ISO 8601 strings; one without a zone is read as UTC.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as a `SupportError`. Without a Business or Enterprise plan every
 * call fails with SubscriptionRequiredException, which the SDK does not model: it is told by its name.
 *
 * IAM: `support:DescribeCases` and `support:AddCommunicationToCase`, both `Resource: *` (the Support API
 * has no resource-level permissions).
 */
import {
  AddCommunicationToCaseCommand,
  type CaseDetails,
  DescribeCasesCommand,
  type DescribeCasesCommandInput,
  type SupportClient,
} from '@aws-sdk/client-support';
import {
  SUPPORT_COMMUNICATION_MAX_CHARS,
  type SupportCase,
  type SupportCasesPort,
  SupportError,
  type SupportErrorReason,
} from '../../ports/support-cases';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** `DescribeCases` takes at most 100 ids in `caseIdList`, and `maxResults` 10 to 100. */
export const CASE_IDS_PER_CALL = 100;
export const MAX_CASE_RESULTS = 100;
/** Pages followed per `DescribeCases` question; more means a loop in the API's tokens. */
export const MAX_CASE_PAGES = 10;

/** A Support Center display id: digits only. Anything else is taken for a Support API case id. */
const DISPLAY_ID = /^\d+$/;
/** An ISO 8601 time that ends in a zone (`Z`, `+02:00`, `+0200`). */
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const INVALID =
  /^(AttachmentSetExpired|AttachmentSetIdNotFound|AttachmentLimitExceeded|AttachmentSetSizeLimitExceeded|UploadIdNotFound|DryRunOperationException|ValidationException)$/;

function reasonOf(error: unknown): SupportErrorReason {
  const name = awsErrorName(error);
  if (name === 'SubscriptionRequiredException') return 'SubscriptionRequired';
  if (name === 'CaseIdNotFound') return 'NotFound';
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  if (INVALID.test(name)) return 'Invalid';
  // InternalServerError, a reset connection, an answer that is not JSON.
  return 'Unavailable';
}

export function toSupportError(operation: string, error: unknown): SupportError {
  if (error instanceof SupportError) return error;
  return new SupportError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, { cause: error });
}

/**
 * Epoch ms of a Support time, or undefined when it is absent or not a time.
 *
 * @example supportTime('2025-03-02T09:15:00.123Z') // 1740906900123
 */
export function supportTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(HAS_ZONE.test(value) ? value : `${value}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

export function toSupportCase(details: CaseDetails): SupportCase | undefined {
  if (!details.caseId) return undefined;
  let last: { at: number; by?: string } | undefined;
  for (const communication of details.recentCommunications?.communications ?? []) {
    const at = supportTime(communication.timeCreated);
    if (at !== undefined && (last === undefined || at > last.at)) {
      last = { at, ...(communication.submittedBy ? { by: communication.submittedBy } : {}) };
    }
  }
  const createdAt = supportTime(details.timeCreated);
  return {
    caseId: details.caseId,
    ...(details.displayId ? { displayId: details.displayId } : {}),
    ...(details.subject !== undefined ? { subject: details.subject } : {}),
    status: details.status ?? '',
    ...(createdAt !== undefined ? { createdAt } : {}),
    ...(last ? { lastCommunicationAt: last.at } : {}),
    ...(last?.by ? { lastCommunicationBy: last.by } : {}),
  };
}

/**
 * The body as `AddCommunicationToCase` takes it: at most SUPPORT_COMMUNICATION_MAX_CHARS, a cut one
 * saying at its end how much is missing, so a reader of the case knows the list goes on.
 */
export function communicationBody(body: string): string {
  if (body.length <= SUPPORT_COMMUNICATION_MAX_CHARS) return body;
  const note = (cut: number) => `\n[... ${cut} more characters cut]`;
  // The note's own length depends on the number it states; the longest it can be is reserved.
  const kept = SUPPORT_COMMUNICATION_MAX_CHARS - note(body.length).length;
  return body.slice(0, kept) + note(body.length - kept);
}

/**
 * @example
 * const port = new AwsSupportCases(new SupportClient({ region: 'us-east-1', ...AUTO_SCALING_CLIENT_RETRY }));
 * const [kase] = await port.describeCases(['6780195351']);
 * if (kase && kase.status !== RESOLVED_CASE_STATUS) await port.addCommunication(kase.caseId, justification);
 */
export class AwsSupportCases implements SupportCasesPort {
  constructor(private readonly client: SupportClient) {}

  async describeCases(ids: readonly string[]): Promise<SupportCase[]> {
    const unique = [...new Set(ids)].filter((id) => id !== '');
    const caseIds = unique.filter((id) => !DISPLAY_ID.test(id));
    const displayIds = unique.filter((id) => DISPLAY_ID.test(id));
    const found = new Map<string, SupportCase>();
    const keep = (cases: SupportCase[]) => {
      for (const kase of cases) found.set(kase.caseId, kase);
    };
    for (let i = 0; i < caseIds.length; i += CASE_IDS_PER_CALL) {
      const batch = caseIds.slice(i, i + CASE_IDS_PER_CALL);
      try {
        keep(await this.describePages({ caseIdList: batch }));
      } catch (error) {
        if (!(error instanceof SupportError && error.reason === 'NotFound' && batch.length > 1)) throw error;
        for (const id of batch) keep(await this.describeOrNone({ caseIdList: [id] }));
      }
    }
    for (const displayId of displayIds) {
      // The filter is the API's; the check keeps a server that ignores it (moto) from adding other cases.
      keep((await this.describeOrNone({ displayId })).filter((kase) => kase.displayId === displayId));
    }
    return [...found.values()];
  }

  async addCommunication(caseId: string, body: string): Promise<void> {
    if (body.trim() === '') {
      throw new SupportError('Invalid', `AddCommunicationToCase ${caseId}: the communication is empty`);
    }
    let target = caseId;
    if (DISPLAY_ID.test(caseId)) {
      const [kase] = (await this.describeOrNone({ displayId: caseId })).filter((c) => c.displayId === caseId);
      if (!kase) {
        throw new SupportError('NotFound', `AddCommunicationToCase: no case has display id ${caseId}`);
      }
      target = kase.caseId;
    }
    const output = await this.client
      .send(new AddCommunicationToCaseCommand({ caseId: target, communicationBody: communicationBody(body) }))
      .catch((error: unknown) => {
        throw toSupportError(`AddCommunicationToCase ${target}`, error);
      });
    if (output.result === false) {
      throw new SupportError('Unavailable', `AddCommunicationToCase ${target}: AWS answered result false`);
    }
  }

  /** The cases of one question; none when AWS does not know the id. */
  private async describeOrNone(
    question: Pick<DescribeCasesCommandInput, 'caseIdList' | 'displayId'>,
  ): Promise<SupportCase[]> {
    try {
      return await this.describePages(question);
    } catch (error) {
      if (error instanceof SupportError && error.reason === 'NotFound') return [];
      throw error;
    }
  }

  private async describePages(
    question: Pick<DescribeCasesCommandInput, 'caseIdList' | 'displayId'>,
  ): Promise<SupportCase[]> {
    const cases: SupportCase[] = [];
    const operation = `DescribeCases ${question.displayId ?? question.caseIdList?.join(',') ?? ''}`;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_CASE_PAGES; page++) {
      const output = await this.client
        .send(
          new DescribeCasesCommand({
            ...question,
            includeResolvedCases: true,
            includeCommunications: true,
            maxResults: MAX_CASE_RESULTS,
            ...(nextToken ? { nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toSupportError(operation, error);
        });
      for (const details of output.cases ?? []) {
        const kase = toSupportCase(details);
        if (kase) cases.push(kase);
      }
      nextToken = output.nextToken || undefined;
      if (!nextToken) return cases;
    }
    throw new SupportError('Unavailable', `${operation}: more than ${MAX_CASE_PAGES} pages`);
  }
}
