import { describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../shared/ports/state-store';
import { SimStateStore } from '../../../shared/sim/state-store';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { START } from './fixtures';

describe('SimStateStore', () => {
  it('should create once, replace by version and refuse stale writes', async () => {
    const store = new SimStateStore(new VirtualClock(START));
    const created = await store.put('c', 'hpa#shop/web', { n: 1 }, { expectedVersion: 0 });
    expect(created.version).toBe(1);
    await expect(store.put('c', 'hpa#shop/web', { n: 2 }, { expectedVersion: 0 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    const replaced = await store.put('c', 'hpa#shop/web', { n: 2 }, { expectedVersion: 1 });
    expect(replaced.version).toBe(2);
    await expect(store.put('c', 'hpa#shop/web', { n: 3 }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await store.get('c', 'hpa#shop/web'))?.data).toEqual({ n: 2 });
    await expect(store.delete('c', 'hpa#shop/web', 1)).rejects.toBeInstanceOf(VersionConflictError);
    await store.delete('c', 'hpa#shop/web', 2);
    await store.delete('c', 'hpa#shop/web', 2);
    expect(await store.get('c', 'hpa#shop/web')).toBeUndefined();
  });

  it('should hide expired items and let them be created again', async () => {
    const clock = new VirtualClock(START);
    const store = new SimStateStore(clock);
    await store.put('c', 'decision#hpa#1', { a: 1 }, { expectedVersion: 0, expiresAt: START / 1000 + 60 });
    await store.put('c', 'hpa#x', { b: 1 }, { expectedVersion: 0 });
    expect((await store.query('c', 'decision#')).map((item) => item.sk)).toEqual(['decision#hpa#1']);
    clock.advance(61_000);
    expect(await store.query('c', 'decision#')).toEqual([]);
    expect(await store.get('c', 'decision#hpa#1')).toBeUndefined();
    expect((await store.put('c', 'decision#hpa#1', { a: 2 }, { expectedVersion: 0 })).version).toBe(1);
    expect((await store.query('c')).map((item) => item.sk)).toEqual(['decision#hpa#1', 'hpa#x']);
  });

  it('should copy data in and out', async () => {
    const store = new SimStateStore(new VirtualClock(START));
    const data = { list: [1] };
    await store.put('c', 'k', data, { expectedVersion: 0 });
    data.list.push(2);
    const read = await store.get('c', 'k');
    if (!read) throw new Error('missing');
    (read.data as { list: number[] }).list.push(3);
    expect((await store.get('c', 'k'))?.data).toEqual({ list: [1] });
  });

  it('should hand a lease to one owner until it expires or is released', async () => {
    const clock = new VirtualClock(START);
    const store = new SimStateStore(clock);
    const a = await store.acquireLease('c', 'hpa', 'a', 60_000);
    expect(a).toMatchObject({ owner: 'a', until: START + 60_000, version: 1 });
    expect(await store.acquireLease('c', 'hpa', 'b', 60_000)).toBeUndefined();
    expect((await store.acquireLease('c', 'hpa', 'a', 60_000))?.version).toBe(2);
    clock.advance(60_000);
    const b = await store.acquireLease('c', 'hpa', 'b', 60_000);
    expect(b).toMatchObject({ owner: 'b', version: 3 });
    if (a) await store.releaseLease(a);
    expect(await store.acquireLease('c', 'hpa', 'a', 60_000)).toBeUndefined();
    if (b) await store.releaseLease(b);
    expect(await store.acquireLease('c', 'hpa', 'a', 60_000)).toMatchObject({ owner: 'a', version: 1 });
  });
});
