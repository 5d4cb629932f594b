/**
 * AWS SDK errors classified in one place, over the error codes of every service tideplane calls: a
 * service's own codes (QueueDoesNotExist, InvalidParameterValue) stay with its adapter.
 */

/** The SDK error's code (`name`, or `Code`/`code` of older shapes); '' when there is none. */
export function awsErrorName(error: unknown): string {
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  return [e?.name, e?.Code, e?.code].find((v): v is string => typeof v === 'string' && v !== 'Error') ?? '';
}

export function awsHttpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A message for a person: the error's own, else its code. */
export function awsErrorMessage(error: unknown): string {
  return error instanceof Error && error.message ? error.message : String(awsErrorName(error) || error);
}

const THROTTLING =
  /^(Throttling|ThrottlingException|ThrottledException|RequestThrottled|RequestThrottledException|TooManyRequestsException|RequestLimitExceeded|LimitExceededException|LimitExceeded|SlowDown)$/;
const FORBIDDEN =
  /^(AccessDenied|AccessDeniedException|InvalidClientTokenId|UnrecognizedClientException|ExpiredToken|ExpiredTokenException|InvalidSecurity|KmsAccessDenied|SignatureDoesNotMatch|MissingAuthenticationToken|OptInRequired)$/;
const TIMEOUT = /^(AbortError|TimeoutError|RequestTimeout|RequestTimeoutException)$/;

/** Throttled: retry later (next tick), never now. */
export const isThrottle = (error: unknown): boolean =>
  THROTTLING.test(awsErrorName(error)) || awsHttpStatus(error) === 429;

/** The credentials lack a permission, or are invalid or expired. */
export const isForbidden = (error: unknown): boolean =>
  FORBIDDEN.test(awsErrorName(error)) || awsHttpStatus(error) === 403;

/** The call was aborted or timed out. */
export const isTimeout = (error: unknown): boolean => TIMEOUT.test(awsErrorName(error));
