/**
 * Durable state for the loops: one partition per cluster, typed items with optimistic concurrency.
 * A Lambda remembers nothing between invocations, so everything a loop must remember lives here.
 *
 * Keys (single table, see DESIGN.md): `pk = cluster#<cluster>`; `sk` by kind, e.g. `hpa#<ns>/<name>`,
 * `lease#<loop>`, `decision#<loop>#<time>`.
 *
 * Every write is one conditional single-item write; there are no transactions.
 */

export interface StoredItem<T = unknown> {
  cluster: string;
  sk: string;
  /** Starts at 1 on create and goes up by one on every write. */
  version: number;
  /** Epoch seconds after which the item counts as gone (DynamoDB TTL attribute). */
  expiresAt?: number;
  data: T;
}

/** A conditional write lost: the item was created, changed or deleted by someone else. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly cluster: string,
    readonly sk: string,
  ) {
    super(`state item ${sk} of cluster ${cluster} changed concurrently`);
  }
}

export interface PutOptions {
  /**
   * `0` creates the item only if it does not exist (an expired item counts as absent); `n > 0`
   * replaces it only if its stored version is `n`.
   */
  expectedVersion: number;
  /** Epoch seconds. */
  expiresAt?: number;
}

export interface Lease {
  cluster: string;
  loop: string;
  owner: string;
  /** Epoch ms. */
  until: number;
  version: number;
}

export interface StateStore {
  /**
   * Every live item of a cluster whose sort key starts with `skPrefix` (all when omitted), in one
   * paginated query. Items whose `expiresAt` has passed are left out even if DynamoDB has not deleted
   * them yet (TTL deletion lags by up to days).
   */
  query(cluster: string, skPrefix?: string): Promise<StoredItem[]>;

  /** One item, or undefined when absent or expired. */
  get(cluster: string, sk: string): Promise<StoredItem | undefined>;

  /** Conditional create or replace; throws `VersionConflictError` when the condition fails. */
  put<T>(cluster: string, sk: string, data: T, options: PutOptions): Promise<StoredItem<T>>;

  /** Conditional delete of version `expectedVersion`; absent items are fine (idempotent). */
  delete(cluster: string, sk: string, expectedVersion: number): Promise<void>;

  /**
   * Takes or renews the lease of `loop` for `cluster` until `now + ttlMs`: succeeds when there is no
   * lease, it has expired, or `owner` holds it already. Returns undefined when someone else holds it.
   */
  acquireLease(cluster: string, loop: string, owner: string, ttlMs: number): Promise<Lease | undefined>;

  /** Gives the lease up early if `owner` still holds it; otherwise does nothing. */
  releaseLease(lease: Lease): Promise<void>;
}
