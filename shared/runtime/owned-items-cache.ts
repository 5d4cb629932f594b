import type { Clock } from '../ports/clock';
import type { Lease, PutOptions, StateStore, StoredItem } from '../ports/state-store';
import { deepFreeze } from '../units/deep-freeze';

/**
 * The state store as one invocation of a loop sees it, for the items only that loop writes (its
 * `prefixes`, e.g. `hpa#`). The first query of such a prefix goes to the store; later queries and gets in
 * the same invocation are answered from what that query returned plus the invocation's own writes.
 *
 * Why it is safe: under the loop's lease nobody else writes these items, so the store's answer could
 * only differ by what this invocation wrote, and every write goes through here. Whatever breaks that
 * assumption is treated as "the cache may be wrong" and the prefix is read again next time: a failed
 * write or delete (a conflict means someone else wrote; any other error may have written anyway), or a
 * lease that was not held without a break (`forgetAll`, see runUnderLease). Conditional writes still carry
 * the versions, so a wrong cache could cost a conflict, never a lost update.
 *
 * Why: the HPA loop reads every autoscaler's history each tick (a few hundred items); with four ticks a
 * minute, three of those four reads return what the loop itself just wrote.
 *
 * Items handed out are frozen (the data of a write too, once it is stored): they are shared between ticks
 * now, so a loop that changed one in place would corrupt the next tick's reading.
 *
 * @example
 * const state = new OwnedItemsCache(store, clock, ['hpa#']); // one per invocation
 * await state.query(cluster, 'hpa#'); // from DynamoDB
 * await state.query(cluster, 'hpa#'); // from memory
 */
export class OwnedItemsCache implements StateStore {
  /** `cluster\0prefix` → the prefix's items by sort key, for the prefixes read so far. */
  private readonly cached = new Map<string, CachedPrefix>();

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly prefixes: readonly string[],
  ) {
    for (const prefix of prefixes) {
      if (prefix.length === 0) throw new RangeError('an owned prefix must not be empty');
    }
  }

  async query(cluster: string, skPrefix?: string): Promise<StoredItem[]> {
    if (skPrefix === undefined || !this.prefixes.includes(skPrefix))
      return this.store.query(cluster, skPrefix);
    const key = cacheKey(cluster, skPrefix);
    let entry = this.cached.get(key);
    if (!entry) {
      const read = await this.store.query(cluster, skPrefix);
      entry = { items: new Map(read.map((item) => [item.sk, deepFreeze(item)])), sorted: true };
      this.cached.set(key, entry);
    }
    if (!entry.sorted) {
      // In sort-key order, as a query returns them.
      entry.items = new Map([...entry.items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      entry.sorted = true;
    }
    const now = this.clock.now();
    const live: StoredItem[] = [];
    for (const item of entry.items.values()) if (!expired(item, now)) live.push(item);
    return live;
  }

  async get(cluster: string, sk: string): Promise<StoredItem | undefined> {
    const entry = this.entryOf(cluster, sk);
    if (!entry) return this.store.get(cluster, sk);
    const item = entry.items.get(sk);
    return item && !expired(item, this.clock.now()) ? item : undefined;
  }

  async put<T>(cluster: string, sk: string, data: T, options: PutOptions): Promise<StoredItem<T>> {
    try {
      const stored = await this.store.put(cluster, sk, data, options);
      const entry = this.entryOf(cluster, sk);
      if (entry) {
        if (!entry.items.has(sk)) entry.sorted = false;
        entry.items.set(sk, deepFreeze(stored));
      }
      return stored;
    } catch (error) {
      this.forget(cluster, sk);
      throw error;
    }
  }

  async delete(cluster: string, sk: string, expectedVersion: number): Promise<void> {
    try {
      await this.store.delete(cluster, sk, expectedVersion);
      this.entryOf(cluster, sk)?.items.delete(sk);
    } catch (error) {
      this.forget(cluster, sk);
      throw error;
    }
  }

  acquireLease(cluster: string, loop: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    return this.store.acquireLease(cluster, loop, owner, ttlMs);
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.store.releaseLease(lease);
  }

  /** Everything is read from the store again (the lease had a gap since the last tick). */
  forgetAll(): void {
    this.cached.clear();
  }

  private entryOf(cluster: string, sk: string): CachedPrefix | undefined {
    const prefix = this.prefixes.find((p) => sk.startsWith(p));
    return prefix === undefined ? undefined : this.cached.get(cacheKey(cluster, prefix));
  }

  private forget(cluster: string, sk: string): void {
    const prefix = this.prefixes.find((p) => sk.startsWith(p));
    if (prefix !== undefined) this.cached.delete(cacheKey(cluster, prefix));
  }
}

interface CachedPrefix {
  items: Map<string, StoredItem>;
  /** False once a write added a sort key: the next query sorts again. */
  sorted: boolean;
}

function cacheKey(cluster: string, prefix: string): string {
  return `${cluster}\u0000${prefix}`;
}

/** As the DynamoDB store counts it: gone once `expiresAt` (epoch seconds) lies before now. */
function expired(item: StoredItem, nowMs: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt * 1000 < nowMs;
}
