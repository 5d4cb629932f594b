/**
 * Call accounting and failure knobs shared by the simulator's port implementations. Each port method call
 * is counted, and so are the HTTP requests a real adapter would send for it (`list pods`, `get scale`,
 * ...), so a benchmark can report requests per tick. A test can arm a method to fail its next N calls.
 */

export interface ApiStats {
  /** Port method → calls (failed calls included: the request went out). */
  calls: Record<string, number>;
  /** Request kind (`list pods`, `put scale`, ...) → requests a real adapter would send. */
  requests: Record<string, number>;
  totalCalls: number;
  totalRequests: number;
}

/**
 * The error of an armed failure, or a function making one per call. A function that returns undefined
 * has run its course (a window of time has passed): the failure is dropped and the call goes on.
 */
export type ErrorFactory = Error | ((method: string) => Error | undefined);

interface ArmedFailure {
  remaining: number;
  error: ErrorFactory;
}

/** Adds `b` into `a`, key by key. */
function addCounts(target: Record<string, number>, source: Record<string, number>): void {
  for (const [key, value] of Object.entries(source)) target[key] = (target[key] ?? 0) + value;
}

/** The difference of two snapshots (`after - before`), e.g. the requests one tick made. */
export function diffStats(after: ApiStats, before: ApiStats): ApiStats {
  const calls: Record<string, number> = {};
  const requests: Record<string, number> = {};
  for (const [key, value] of Object.entries(after.calls)) {
    const delta = value - (before.calls[key] ?? 0);
    if (delta !== 0) calls[key] = delta;
  }
  for (const [key, value] of Object.entries(after.requests)) {
    const delta = value - (before.requests[key] ?? 0);
    if (delta !== 0) requests[key] = delta;
  }
  return {
    calls,
    requests,
    totalCalls: after.totalCalls - before.totalCalls,
    totalRequests: after.totalRequests - before.totalRequests,
  };
}

/** Several backends' counts as one (keys are prefixed by the backend, so they stay apart). */
export function sumStats(parts: Readonly<Record<string, ApiStats>>): ApiStats {
  const sum = emptyStats();
  for (const [prefix, stats] of Object.entries(parts)) {
    for (const [key, value] of Object.entries(stats.calls)) sum.calls[`${prefix} ${key}`] = value;
    for (const [key, value] of Object.entries(stats.requests)) sum.requests[`${prefix} ${key}`] = value;
    sum.totalCalls += stats.totalCalls;
    sum.totalRequests += stats.totalRequests;
  }
  return sum;
}

/** Counts of several ports of one API server as one (keys kept: the ports' methods and requests differ). */
export function mergeStats(...parts: readonly ApiStats[]): ApiStats {
  const merged = emptyStats();
  for (const stats of parts) {
    addCounts(merged.calls, stats.calls);
    addCounts(merged.requests, stats.requests);
    merged.totalCalls += stats.totalCalls;
    merged.totalRequests += stats.totalRequests;
  }
  return merged;
}

/** An empty snapshot. */
export function emptyStats(): ApiStats {
  return { calls: {}, requests: {}, totalCalls: 0, totalRequests: 0 };
}

/**
 * Counts calls and requests and throws armed failures.
 *
 * @example
 * const api = new ApiCallRecorder();
 * api.failNext('updateScale', 1, new ConflictError('simulated'));
 * api.call('updateScale', 'put scale'); // throws the ConflictError, counted
 */
export class ApiCallRecorder {
  private calls: Record<string, number> = {};
  private requests: Record<string, number> = {};
  private totalCalls = 0;
  private totalRequests = 0;
  private armed = new Map<string, ArmedFailure[]>();

  /**
   * Records one call of `method` sending `requests` (a request kind, or kinds with counts), then throws
   * if a failure is armed for `method`.
   */
  call(method: string, requests: string | Record<string, number>): void {
    this.record(method, requests);
    const error = this.takeFailure(method);
    if (error) throw error;
  }

  /** Records one call without consulting the armed failures. */
  record(method: string, requests: string | Record<string, number>): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    this.totalCalls++;
    if (typeof requests === 'string') {
      // The common case, every port call of a simulated day: no object built for one count.
      this.requests[requests] = (this.requests[requests] ?? 0) + 1;
      this.totalRequests++;
      return;
    }
    addCounts(this.requests, requests);
    for (const value of Object.values(requests)) this.totalRequests += value;
  }

  /** Returns the armed failure for `method`, if any, using it up (for ports that return errors). */
  takeFailure(method: string): Error | undefined {
    for (;;) {
      const queue = this.armed.get(method);
      const head = queue?.[0];
      if (!queue || !head) return undefined;
      const error = typeof head.error === 'function' ? head.error(method) : head.error;
      if (error === undefined || --head.remaining <= 0) queue.shift();
      if (queue.length === 0) this.armed.delete(method);
      if (error !== undefined) return error;
    }
  }

  /**
   * The next `times` calls of `method` fail with `error` (default: a generic `Error`, like a 500 or a
   * reset connection). Arming twice queues the failures in order. `times` may be Infinity with an error
   * function that ends the failure by returning undefined (a window of time).
   */
  failNext(method: string, times = 1, error?: ErrorFactory): void {
    if (times <= 0) return;
    const failure = {
      remaining: times,
      error: error ?? ((m: string) => new Error(`simulated failure of ${m}`)),
    };
    const queue = this.armed.get(method) ?? [];
    queue.push(failure);
    this.armed.set(method, queue);
  }

  /** Drops every armed failure. */
  clearFailures(): void {
    this.armed.clear();
  }

  stats(): ApiStats {
    return {
      calls: { ...this.calls },
      requests: { ...this.requests },
      totalCalls: this.totalCalls,
      totalRequests: this.totalRequests,
    };
  }

  reset(): void {
    this.calls = {};
    this.requests = {};
    this.totalCalls = 0;
    this.totalRequests = 0;
  }
}
