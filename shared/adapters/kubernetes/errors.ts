/**
 * Kubernetes API errors classified in one place: HTTP status codes of client-node's `ApiException`
 * (and of this package's raw requests, which throw the same class) mapped to the port's typed errors.
 */
import { ApiException } from '@kubernetes/client-node';
import { ConflictError, ForbiddenError, NotFoundError } from '../../ports/kubernetes';

/** The HTTP status of a failed API call, or undefined for transport errors (DNS, TLS, timeouts). */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  return undefined;
}

export const isNotFound = (error: unknown): boolean => httpStatusOf(error) === 404;
export const isConflict = (error: unknown): boolean => httpStatusOf(error) === 409;
export const isForbidden = (error: unknown): boolean => httpStatusOf(error) === 403;
export const isGone = (error: unknown): boolean => httpStatusOf(error) === 410;
/** The API group is not registered (404) or its aggregated server is unavailable (503). */
export const isNotServed = (error: unknown): boolean => {
  const status = httpStatusOf(error);
  return status === 404 || status === 503;
};

/** True when a request was aborted by its timeout signal. */
export function isTimeout(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The server's explanation: the `message` of a `metav1.Status` body when there is one, else a short
 * description of the error. Never includes request headers (credentials).
 */
export function statusMessage(error: unknown): string {
  if (error instanceof ApiException) {
    let body: unknown = error.body;
    if (typeof body === 'string') {
      const text = body;
      try {
        body = JSON.parse(text);
      } catch {
        return `HTTP ${error.code}: ${text.slice(0, 500)}`;
      }
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `HTTP ${error.code}: ${message}` : `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The port's typed error for a failed call on `what` (e.g. `update apps/v1 Deployment ns/web`):
 * 409 → ConflictError, 404 → NotFoundError, 403 → ForbiddenError; anything else is returned as is.
 */
export function toPortError(error: unknown, what: string): unknown {
  const status = httpStatusOf(error);
  const detail = `${what}: ${statusMessage(error)}`;
  if (status === 409) return new ConflictError(detail, { cause: error });
  if (status === 404) return new NotFoundError(detail, { cause: error });
  if (status === 403) return new ForbiddenError(detail, { cause: error });
  return error;
}
