/**
 * An in-memory `StateStore` on the simulator's clock, so a simulated day does not need a local DynamoDB.
 * Same contract as the DynamoDB store: single-item conditional writes with versions, expired items
 * counting as absent (`expiresAt` in epoch seconds, expired once it lies before now), leases as
 * `lease#<loop>` items. Data is kept as JSON (as DynamoDB keeps attributes), so callers never share objects with the store. Calls
 * are counted, and each method can be told to fail its next N calls.
 */
import type { Clock } from '../ports/clock';
import {
  type Lease,
  type PutOptions,
  type StateStore,
  type StoredItem,
  VersionConflictError,
} from '../ports/state-store';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';

interface LeaseData {
  owner: string;
  until: number;
}

/** An item with its data kept as JSON, so reads hand out fresh copies cheaply (as DynamoDB would). */
interface Row {
  cluster: string;
  sk: string;
  version: number;
  expiresAt?: number;
  json: string;
}

function toItem<T>(row: Row): StoredItem<T> {
  const item: StoredItem<T> = {
    cluster: row.cluster,
    sk: row.sk,
    version: row.version,
    data: JSON.parse(row.json) as T,
  };
  if (row.expiresAt !== undefined) item.expiresAt = row.expiresAt;
  return item;
}

type StoreMethod = keyof StateStore;

function isExpired(item: { expiresAt?: number }, now: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt * 1000 < now;
}

/**
 * @example
 * const state = new SimStateStore(clock);
 * await state.put('sim', 'hpa#shop/web', { history: [] }, { expectedVersion: 0 });
 */
export class SimStateStore implements StateStore {
  private readonly items = new Map<string, Row>();
  private readonly api = new ApiCallRecorder();

  constructor(private readonly clock: Clock) {}

  async query(cluster: string, skPrefix = ''): Promise<StoredItem[]> {
    this.api.call('query', 'Query');
    const now = this.clock.now();
    const out: StoredItem[] = [];
    for (const item of this.items.values()) {
      if (item.cluster === cluster && item.sk.startsWith(skPrefix) && !isExpired(item, now))
        out.push(toItem(item));
    }
    return out.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  }

  async get(cluster: string, sk: string): Promise<StoredItem | undefined> {
    this.api.call('get', 'GetItem');
    const item = this.items.get(this.key(cluster, sk));
    return item && !isExpired(item, this.clock.now()) ? toItem(item) : undefined;
  }

  async put<T>(cluster: string, sk: string, data: T, options: PutOptions): Promise<StoredItem<T>> {
    this.api.call('put', 'PutItem');
    const { expectedVersion, expiresAt } = options;
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a whole number >= 0, got ${expectedVersion}`);
    }
    const current = this.items.get(this.key(cluster, sk));
    const live = current && !isExpired(current, this.clock.now()) ? current : undefined;
    const ok = expectedVersion === 0 ? !live : live?.version === expectedVersion;
    if (!ok) throw new VersionConflictError(cluster, sk);
    const row: Row = { cluster, sk, version: expectedVersion + 1, json: JSON.stringify(data) };
    if (expiresAt !== undefined) row.expiresAt = expiresAt;
    this.items.set(this.key(cluster, sk), row);
    return toItem<T>(row);
  }

  async delete(cluster: string, sk: string, expectedVersion: number): Promise<void> {
    this.api.call('delete', 'DeleteItem');
    const current = this.items.get(this.key(cluster, sk));
    if (!current || isExpired(current, this.clock.now())) {
      this.items.delete(this.key(cluster, sk));
      return;
    }
    if (current.version !== expectedVersion) throw new VersionConflictError(cluster, sk);
    this.items.delete(this.key(cluster, sk));
  }

  async acquireLease(
    cluster: string,
    loop: string,
    owner: string,
    ttlMs: number,
  ): Promise<Lease | undefined> {
    this.api.call('acquireLease', 'UpdateItem');
    if (!(ttlMs > 0)) throw new RangeError(`lease ttlMs must be > 0, got ${ttlMs}`);
    const now = this.clock.now();
    const key = this.key(cluster, `lease#${loop}`);
    const row = this.items.get(key);
    const current = row ? toItem<LeaseData>(row) : undefined;
    const free =
      !current || isExpired(current, now) || current.data.owner === owner || current.data.until <= now;
    if (!free) return undefined;
    const until = now + ttlMs;
    const version = (current?.version ?? 0) + 1;
    this.items.set(key, {
      cluster,
      sk: `lease#${loop}`,
      version,
      expiresAt: Math.ceil(until / 1000),
      json: JSON.stringify({ owner, until } satisfies LeaseData),
    });
    return { cluster, loop, owner, until, version };
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.api.call('releaseLease', 'DeleteItem');
    const key = this.key(lease.cluster, `lease#${lease.loop}`);
    const row = this.items.get(key);
    if (row && toItem<LeaseData>(row).data.owner === lease.owner) this.items.delete(key);
  }

  /** Every stored item (expired ones included), copied; for assertions. */
  dump(): StoredItem[] {
    return [...this.items.values()].map((row) => toItem(row));
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `method` fail with `error` (default: a generic error), after being counted. */
  failNext(method: StoreMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private key(cluster: string, sk: string): string {
    return `${cluster}\u0000${sk}`;
  }
}
