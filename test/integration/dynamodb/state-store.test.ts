import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { type StoredItem, VersionConflictError } from '../../../shared/ports/state-store';
import { FakeClock } from '../../support/fake-clock';

const START = Date.UTC(2026, 0, 1);

describe('DynamoDbStateStore against dynalite', () => {
  let dynamo: LocalDynamo;
  let clusterSeq = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });

  afterAll(async () => {
    await dynamo?.stop();
  });

  /** A fresh cluster name per test keeps tests independent in the one table. */
  const freshCluster = () => `c${++clusterSeq}`;

  function storeOn(clock: FakeClock, options: { queryPageSize?: number; ownClient?: boolean } = {}) {
    return new DynamoDbStateStore({
      client: options.ownClient ? dynamo.newClient() : dynamo.client,
      tableName: dynamo.tableName,
      clock,
      queryPageSize: options.queryPageSize,
    });
  }

  describe('put and get', () => {
    it('given no item, should create version 1 and read it back', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      const data = { replicas: [3, 4], reason: '', nested: { ok: true, none: null }, ratio: 0.25 };

      const created = await store.put(cluster, 'hpa#default/web', data, { expectedVersion: 0 });

      expect(created).toEqual({ cluster, sk: 'hpa#default/web', version: 1, data });
      expect(await store.get(cluster, 'hpa#default/web')).toEqual(created);
    });

    it('given version n, should replace it with version n + 1', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'pool#a#asg-1', { step: 1 }, { expectedVersion: 0 });
      await store.put(cluster, 'pool#a#asg-1', { step: 2 }, { expectedVersion: 1 });

      const third = await store.put(
        cluster,
        'pool#a#asg-1',
        { step: 3 },
        { expectedVersion: 2, expiresAt: 1e10 },
      );

      expect(third).toEqual({ cluster, sk: 'pool#a#asg-1', version: 3, expiresAt: 1e10, data: { step: 3 } });
      expect(await store.get(cluster, 'pool#a#asg-1')).toEqual(third);
    });

    it('given undefined fields in data, should drop them', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'x', { kept: 1, dropped: undefined }, { expectedVersion: 0 });

      expect((await store.get(cluster, 'x'))?.data).toEqual({ kept: 1 });
    });

    it('given an existing item, should refuse a create with VersionConflictError', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'cp#swap', { step: 'a' }, { expectedVersion: 0 });

      const error = await store
        .put(cluster, 'cp#swap', { step: 'b' }, { expectedVersion: 0 })
        .catch((e) => e);

      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ cluster, sk: 'cp#swap' });
      expect((await store.get(cluster, 'cp#swap'))?.data).toEqual({ step: 'a' });
    });

    it('given a stale or missing version, should refuse the replace', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'a', 1, { expectedVersion: 0 });
      await store.put(cluster, 'a', 2, { expectedVersion: 1 });

      await expect(store.put(cluster, 'a', 3, { expectedVersion: 1 })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      await expect(store.put(cluster, 'absent', 3, { expectedVersion: 4 })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      expect(await store.get(cluster, 'absent')).toBeUndefined();
    });

    it('given a negative or fractional expectedVersion, should throw before writing', async () => {
      const store = storeOn(new FakeClock(START));
      await expect(store.put('c', 'a', 1, { expectedVersion: -1 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.put('c', 'a', 1, { expectedVersion: 1.5 })).rejects.toBeInstanceOf(RangeError);
      expect(store.stats.writes).toBe(0);
    });
  });

  describe('races', () => {
    it('given two writers that both read version n, should let exactly one write win', async () => {
      const clock = new FakeClock(START);
      const cluster = freshCluster();
      const first = storeOn(clock, { ownClient: true });
      const second = storeOn(clock, { ownClient: true });
      await first.put(cluster, 'hpa#default/api', { desired: 2 }, { expectedVersion: 0 });
      await first.put(cluster, 'hpa#default/api', { desired: 3 }, { expectedVersion: 1 });
      const readByFirst = await first.get(cluster, 'hpa#default/api');
      const readBySecond = await second.get(cluster, 'hpa#default/api');
      expect(readByFirst?.version).toBe(2);
      expect(readBySecond?.version).toBe(2);

      const results = await Promise.allSettled([
        first.put(cluster, 'hpa#default/api', { desired: 4 }, { expectedVersion: 2 }),
        second.put(cluster, 'hpa#default/api', { desired: 5 }, { expectedVersion: 2 }),
      ]);

      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(VersionConflictError);
      const winner = (won[0] as PromiseFulfilledResult<StoredItem>).value;
      expect(winner.version).toBe(3);
      expect(await first.get(cluster, 'hpa#default/api')).toEqual(winner);
      expect(first.stats.conditionalFailures + second.stats.conditionalFailures).toBe(1);
    });

    it('given ten writers replacing the same version, should let exactly one win', async () => {
      const clock = new FakeClock(START);
      const cluster = freshCluster();
      const stores = Array.from({ length: 10 }, () => storeOn(clock, { ownClient: true }));
      await stores[0]?.put(cluster, 'vpa#default/web#app', { writer: -1 }, { expectedVersion: 0 });

      const results = await Promise.allSettled(
        stores.map((store, writer) =>
          store.put(cluster, 'vpa#default/web#app', { writer }, { expectedVersion: 1 }),
        ),
      );

      expectOneWinner(results);
      const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<StoredItem>)
        .value;
      expect(await stores[0]?.get(cluster, 'vpa#default/web#app')).toEqual(winner);
    });

    it('given ten writers creating the same item, should let exactly one win', async () => {
      const clock = new FakeClock(START);
      const cluster = freshCluster();
      const stores = Array.from({ length: 10 }, () => storeOn(clock, { ownClient: true }));

      const results = await Promise.allSettled(
        stores.map((store, writer) =>
          store.put(cluster, 'quota#1#eu-west-1#L-1', { writer }, { expectedVersion: 0 }),
        ),
      );

      expectOneWinner(results);
      expect((await stores[0]?.get(cluster, 'quota#1#eu-west-1#L-1'))?.version).toBe(1);
    });
  });

  describe('query', () => {
    it('given more items than one page holds, should follow the pages and return them all', async () => {
      const store = storeOn(new FakeClock(START), { queryPageSize: 7 });
      const cluster = freshCluster();
      const sks = Array.from({ length: 25 }, (_, i) => `hpa#ns/app-${String(i).padStart(2, '0')}`);
      for (const sk of sks) await store.put(cluster, sk, { sk }, { expectedVersion: 0 });
      store.resetStats();

      const items = await store.query(cluster);

      expect(items.map((i) => i.sk)).toEqual(sks);
      expect(store.stats).toMatchObject({ queries: 1, pages: 4, reads: 4, writes: 0 });
    });

    it('given more than 1 MB of items, should follow DynamoDB’s own page boundary', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      const blob = 'x'.repeat(350 * 1024);
      for (let i = 0; i < 4; i++)
        await store.put(cluster, `vpa#big-${i}`, { blob, i }, { expectedVersion: 0 });
      store.resetStats();

      const items = await store.query(cluster, 'vpa#');

      expect(items.map((item) => (item.data as { i: number }).i)).toEqual([0, 1, 2, 3]);
      expect(store.stats.pages).toBe(2);
    });

    it('given other clusters and kinds, should return only the asked cluster and prefix', async () => {
      const store = storeOn(new FakeClock(START), { queryPageSize: 2 });
      const cluster = freshCluster();
      const neighbour = `${cluster}-2`;
      await store.put(cluster, 'hpa#a', 1, { expectedVersion: 0 });
      await store.put(cluster, 'hpa#b', 2, { expectedVersion: 0 });
      await store.put(cluster, 'pool#p#g', 3, { expectedVersion: 0 });
      await store.put(neighbour, 'hpa#a', 4, { expectedVersion: 0 });
      await store.put(neighbour, 'hpa#z', 5, { expectedVersion: 0 });

      const all = await store.query(cluster);
      const hpas = await store.query(cluster, 'hpa#');

      expect(all.map((i) => [i.cluster, i.sk, i.data])).toEqual([
        [cluster, 'hpa#a', 1],
        [cluster, 'hpa#b', 2],
        [cluster, 'pool#p#g', 3],
      ]);
      expect(hpas.map((i) => i.sk)).toEqual(['hpa#a', 'hpa#b']);
      expect(await store.query(freshCluster())).toEqual([]);
    });
  });

  describe('expiry', () => {
    it('given an item past its expiresAt, should hide it from get and query and let it be created again', async () => {
      const clock = new FakeClock(START);
      const store = storeOn(clock);
      const cluster = freshCluster();
      const expiresAt = START / 1000 + 60;
      await store.put(cluster, 'decision#hpa#1', { old: true }, { expectedVersion: 0, expiresAt });
      await store.put(cluster, 'decision#hpa#1', { old: true }, { expectedVersion: 1, expiresAt });
      await store.put(cluster, 'hpa#kept', {}, { expectedVersion: 0 });

      clock.advance(60_000);
      expect((await store.get(cluster, 'decision#hpa#1'))?.version).toBe(2);
      clock.advance(1);

      expect(await store.get(cluster, 'decision#hpa#1')).toBeUndefined();
      expect((await store.query(cluster)).map((i) => i.sk)).toEqual(['hpa#kept']);
      await expect(store.put(cluster, 'decision#hpa#1', {}, { expectedVersion: 2 })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      const recreated = await store.put(cluster, 'decision#hpa#1', { old: false }, { expectedVersion: 0 });
      expect(recreated.version).toBe(1);
      expect(await store.get(cluster, 'decision#hpa#1')).toEqual(recreated);
    });
  });

  describe('delete', () => {
    it('given the right version, should delete, and be idempotent afterwards', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'cp#swap', {}, { expectedVersion: 0 });

      await store.delete(cluster, 'cp#swap', 1);
      await store.delete(cluster, 'cp#swap', 1);
      await store.delete(cluster, 'never-written', 7);

      expect(await store.get(cluster, 'cp#swap')).toBeUndefined();
    });

    it('given another version, should refuse with VersionConflictError and keep the item', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.put(cluster, 'cp#swap', {}, { expectedVersion: 0 });
      await store.put(cluster, 'cp#swap', {}, { expectedVersion: 1 });

      await expect(store.delete(cluster, 'cp#swap', 1)).rejects.toBeInstanceOf(VersionConflictError);
      expect((await store.get(cluster, 'cp#swap'))?.version).toBe(2);
    });

    it('given an expired item, should delete it whatever the version', async () => {
      const clock = new FakeClock(START);
      const store = storeOn(clock);
      const cluster = freshCluster();
      await store.put(cluster, 'd', {}, { expectedVersion: 0, expiresAt: START / 1000 + 1 });
      clock.advance(5_000);

      await store.delete(cluster, 'd', 9);

      await store.put(cluster, 'd', {}, { expectedVersion: 0 });
      expect((await store.get(cluster, 'd'))?.version).toBe(1);
    });
  });

  describe('stats', () => {
    it('should count reads, writes, conditional failures and capacity, and reset to zero', async () => {
      const store = storeOn(new FakeClock(START));
      const cluster = freshCluster();
      await store.get(cluster, 'a');
      await store.put(cluster, 'a', { n: 1 }, { expectedVersion: 0 });
      await store.put(cluster, 'a', { n: 2 }, { expectedVersion: 0 }).catch(() => undefined);
      await store.query(cluster);

      expect(store.stats).toMatchObject({
        reads: 2,
        writes: 2,
        conditionalFailures: 1,
        queries: 1,
        pages: 1,
      });
      expect(store.stats.readCapacityUnits).toBeGreaterThan(0);
      expect(store.stats.writeCapacityUnits).toBeGreaterThan(0);

      store.resetStats();
      expect(Object.values(store.stats).every((value) => value === 0)).toBe(true);
    });
  });
});

function expectOneWinner(results: PromiseSettledResult<unknown>[]): void {
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(losers).toHaveLength(results.length - 1);
  for (const loser of losers) expect(loser.reason).toBeInstanceOf(VersionConflictError);
}
