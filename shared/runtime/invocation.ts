import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Lease, StateStore } from '../ports/state-store';

/**
 * Time kept free at the end of an invocation so the last tick finishes and the lease is released
 * before Lambda's timeout. A tick of a large cluster takes a few seconds; this leaves room for one.
 */
export const INVOCATION_SAFETY_MARGIN_MS = 10_000;

/**
 * A lease covers two intervals plus this grace and is renewed before every tick, so a crashed
 * invocation's lease frees up within about 45 s and the next scheduled run takes over.
 */
export const LEASE_GRACE_MS = 15_000;

export interface InvocationOptions<T> {
  cluster: string;
  /** Names the lease (`lease#<loop>`), e.g. `hpa`. */
  loop: string;
  /** Unique per invocation (the Lambda request id), so a retried invocation can renew its own lease. */
  owner: string;
  state: StateStore;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Upper bound on ticks (a console test event asks for one). */
  maxTicks?: number;
  /**
   * One tick. `leaseUnbroken` is false when the lease was lost and taken again since the previous tick
   * (another invocation may have written in between): what the invocation remembers of the store is stale.
   */
  tick: (index: number, leaseUnbroken: boolean) => Promise<T>;
}

export type InvocationResult<T> = { status: 'ran'; ticks: T[] } | { status: 'lease-held'; ticks: [] };

/**
 * Runs `tick` every `intervalMs` while enough time remains, under the DynamoDB lease of this cluster
 * and loop. A schedule fires every minute and invocations may overlap; the lease makes the second one
 * return at once instead of acting twice. The lease is renewed before each tick, so a slow tick that
 * lost it stops instead of racing the new holder.
 */
export async function runUnderLease<T>(options: InvocationOptions<T>): Promise<InvocationResult<T>> {
  const { cluster, loop, owner, state, clock, log, intervalMs } = options;
  const maxTicks = options.maxTicks ?? Number.POSITIVE_INFINITY;
  const leaseTtl = () => 2 * intervalMs + LEASE_GRACE_MS;

  let lease: Lease | undefined = await state.acquireLease(cluster, loop, owner, leaseTtl());
  if (!lease) {
    log.info('another invocation holds the lease; nothing to do', { cluster, loop });
    return { status: 'lease-held', ticks: [] };
  }
  const ticks: T[] = [];
  let leaseUnbroken = true;
  try {
    for (let index = 0; index < maxTicks; index++) {
      const started = clock.now();
      ticks.push(await options.tick(index, leaseUnbroken));
      if (index + 1 >= maxTicks) break;
      const wait = intervalMs - (clock.now() - started);
      if (options.remainingMs() - Math.max(0, wait) < INVOCATION_SAFETY_MARGIN_MS + intervalMs) break;
      await clock.sleep(wait);
      const previousVersion: number = lease.version;
      lease = await state.acquireLease(cluster, loop, owner, leaseTtl());
      // The version counts every acquisition: anything but the next one means another owner came between.
      leaseUnbroken = lease !== undefined && lease.version === previousVersion + 1;
      if (!lease) {
        log.warn('lease lost to another invocation; stopping', { cluster, loop });
        break;
      }
    }
  } finally {
    if (lease)
      await state
        .releaseLease(lease)
        .catch((error) => log.warn('lease release failed', { error: String(error) }));
  }
  return { status: 'ran', ticks };
}
