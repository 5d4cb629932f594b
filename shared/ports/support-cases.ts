/**
 * AWS Support cases, as the quota loop follows them: the case Service Quotas opened for an increase
 * request, and the justification added to it. Only accounts with a Business or Enterprise support plan
 * may call the Support API; others get `SubscriptionRequired` on every call.
 */

/**
 * A support case. `status` is one of Support's case states: `opened`, `unassigned`, `work-in-progress`,
 * `pending-customer-action`, `customer-action-completed`, `reopened`, `resolved`.
 */
export interface SupportCase {
  /** The Support API's id, `case-<account>-<...>`: the one `addCommunication` takes. */
  caseId: string;
  /** The number the Support Center shows, which Service Quotas reports as a request's `CaseId`. */
  displayId?: string;
  subject?: string;
  status: string;
  /** Epoch ms. */
  createdAt?: number;
  /** Epoch ms of the newest communication on the case, from either side. */
  lastCommunicationAt?: number;
  /** Who wrote it: `Amazon Web Services` for AWS Support, else the caller's role and email address. */
  lastCommunicationBy?: string;
}

/** The state of a case AWS Support closed. */
export const RESOLVED_CASE_STATUS = 'resolved';

export type SupportErrorReason =
  /** `SubscriptionRequiredException`: no Business or Enterprise plan. Turn the Support API off, warn. */
  | 'SubscriptionRequired'
  | 'Throttled'
  | 'Forbidden'
  | 'Timeout'
  | 'Unavailable'
  /** `CaseIdNotFound`. */
  | 'NotFound'
  /** The request was refused as invalid (an empty communication, a bad attachment set). */
  | 'Invalid';

export class SupportError extends Error {
  override readonly name = 'SupportError';
  constructor(
    readonly reason: SupportErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SupportCasesPort {
  /**
   * The cases with these ids (`DescribeCases`, resolved ones included, paginated internally). An id is
   * a Support case id (`case-...`) or a display id (digits only, Service Quotas' `CaseId`). Ids no case
   * has are absent, not an error. Throws `SupportError`.
   */
  describeCases(ids: readonly string[]): Promise<SupportCase[]>;
  /**
   * Adds a communication to the case (`AddCommunicationToCase`); `caseId` may be a display id, which is
   * looked up first. Bodies longer than SUPPORT_COMMUNICATION_MAX_CHARS are cut, saying so at the end.
   * Not idempotent (a retry adds a second message), and it reopens a resolved case: the loop adds the
   * justification once, to an open case, and records that it did. Throws `SupportError` (`NotFound` for an
   * unknown case, `Invalid` for an empty body).
   */
  addCommunication(caseId: string, body: string): Promise<void>;
}

/** `AddCommunicationToCase` takes a `communicationBody` of at most 8,000 characters. */
export const SUPPORT_COMMUNICATION_MAX_CHARS = 8_000;
