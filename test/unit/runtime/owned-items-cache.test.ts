import { describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../shared/ports/state-store';
import { OwnedItemsCache } from '../../../shared/runtime/owned-items-cache';
import { SimStateStore } from '../../../shared/sim/state-store';
import { FakeClock } from '../../support/fake-clock';

const START = Date.UTC(2026, 10, 26, 12, 0, 0);

function setup() {
  const clock = new FakeClock(START);
  const store = new SimStateStore(clock);
  const cache = new OwnedItemsCache(store, clock, ['hpa#']);
  const queries = () => store.stats().requests.Query ?? 0;
  return { clock, store, cache, queries };
}

describe('OwnedItemsCache', () => {
  it('given a prefix it owns, should query the store once and answer later queries from memory', async () => {
    const { store, cache, queries } = setup();
    await store.put('c1', 'hpa#shop/web', { n: 1 }, { expectedVersion: 0 });
    const first = await cache.query('c1', 'hpa#');
    const second = await cache.query('c1', 'hpa#');
    expect(second).toEqual(first);
    expect(first.map((item) => [item.sk, item.version])).toEqual([['hpa#shop/web', 1]]);
    expect(queries()).toBe(1);
  });

  it('given its own writes and deletes, should answer as the store does, in sort-key order', async () => {
    const { store, cache } = setup();
    await store.put('c1', 'hpa#b', { n: 1 }, { expectedVersion: 0 });
    await store.put('c1', 'hpa#d', { n: 1 }, { expectedVersion: 0 });
    await cache.query('c1', 'hpa#');
    await cache.put('c1', 'hpa#b', { n: 2 }, { expectedVersion: 1 });
    await cache.put('c1', 'hpa#a', { n: 1 }, { expectedVersion: 0 });
    await cache.put('c1', 'hpa#c', { n: 1 }, { expectedVersion: 0, expiresAt: START / 1000 + 60 });
    await cache.delete('c1', 'hpa#d', 1);
    expect(await cache.query('c1', 'hpa#')).toEqual(await store.query('c1', 'hpa#'));
    expect((await cache.query('c1', 'hpa#')).map((item) => item.sk)).toEqual(['hpa#a', 'hpa#b', 'hpa#c']);
    expect(await cache.get('c1', 'hpa#b')).toEqual(await store.get('c1', 'hpa#b'));
  });

  it('given an item whose TTL passes, should hide it as the store does', async () => {
    const { clock, cache } = setup();
    await cache.query('c1', 'hpa#');
    await cache.put('c1', 'hpa#web', { n: 1 }, { expectedVersion: 0, expiresAt: START / 1000 + 30 });
    clock.advance(31_000);
    expect(await cache.query('c1', 'hpa#')).toEqual([]);
    expect(await cache.get('c1', 'hpa#web')).toBeUndefined();
  });

  it('given a write that lost to someone else, should read the prefix from the store again', async () => {
    const { store, cache, queries } = setup();
    await store.put('c1', 'hpa#web', { n: 1 }, { expectedVersion: 0 });
    await cache.query('c1', 'hpa#');
    await store.put('c1', 'hpa#web', { n: 2, by: 'someone else' }, { expectedVersion: 1 });
    await expect(cache.put('c1', 'hpa#web', { n: 2 }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await cache.query('c1', 'hpa#'))[0]?.data).toEqual({ n: 2, by: 'someone else' });
    expect(queries()).toBe(2);
  });

  it('given a delete that failed, should read the prefix from the store again', async () => {
    const { store, cache, queries } = setup();
    await store.put('c1', 'hpa#web', { n: 1 }, { expectedVersion: 0 });
    await cache.query('c1', 'hpa#');
    await expect(cache.delete('c1', 'hpa#web', 7)).rejects.toBeInstanceOf(VersionConflictError);
    await cache.query('c1', 'hpa#');
    expect(queries()).toBe(2);
  });

  it('given forgetAll (a lease with a gap), should read from the store again', async () => {
    const { cache, queries } = setup();
    await cache.query('c1', 'hpa#');
    cache.forgetAll();
    await cache.query('c1', 'hpa#');
    expect(queries()).toBe(2);
  });

  it('given prefixes and clusters it does not own, should pass every call through', async () => {
    const { store, cache, queries } = setup();
    await cache.query('c1', 'pool#');
    await cache.query('c1', 'pool#');
    await cache.query('c1');
    expect(queries()).toBe(3);
    await cache.query('c1', 'hpa#');
    await store.put('c2', 'hpa#web', { n: 1 }, { expectedVersion: 0 });
    expect(await cache.query('c2', 'hpa#')).toHaveLength(1);
    expect(queries()).toBe(5);
  });

  it('given a caller that changes an item it was handed, should refuse (the next tick reads the same object)', async () => {
    const { cache } = setup();
    await cache.query('c1', 'hpa#');
    const data = { samples: [1, 2] };
    await cache.put('c1', 'hpa#web', data, { expectedVersion: 0 });
    const [item] = await cache.query('c1', 'hpa#');
    const samples = (item?.data as { samples: number[] } | undefined)?.samples;
    expect(samples).toEqual([1, 2]);
    expect(() => samples?.push(3)).toThrow(TypeError);
  });

  it('given an empty owned prefix, should refuse it (it would own every item, leases included)', () => {
    const clock = new FakeClock(START);
    expect(() => new OwnedItemsCache(new SimStateStore(clock), clock, [''])).toThrow(/must not be empty/);
  });
});
