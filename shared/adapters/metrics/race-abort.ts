/** What `raceAbort` rejects with when the signal fires first. */
export class AbortedError extends Error {
  override readonly name = 'AbortError';
}

/**
 * `promise`, or a rejection with an AbortedError as soon as `signal` aborts: a collector answers the
 * router at its deadline even when the call underneath (an SDK request) lingers.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new AbortedError('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
