import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import type { Lease } from '../../../shared/ports/state-store';
import { FakeClock } from '../../support/fake-clock';

const START = Date.UTC(2026, 0, 1);
const TTL_MS = 60_000;

describe('DynamoDbStateStore leases against dynalite', () => {
  let dynamo: LocalDynamo;
  let clusterSeq = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });

  afterAll(async () => {
    await dynamo?.stop();
  });

  const freshCluster = () => `lease-c${++clusterSeq}`;
  const storeOn = (clock: FakeClock) =>
    new DynamoDbStateStore({ client: dynamo.newClient(), tableName: dynamo.tableName, clock });

  it('given no lease, should grant it until now + ttl and store it as lease#<loop>', async () => {
    const clock = new FakeClock(START);
    const store = storeOn(clock);
    const cluster = freshCluster();

    const lease = await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS);

    expect(lease).toEqual({ cluster, loop: 'hpa', owner: 'lambda-a', until: START + TTL_MS, version: 1 });
    expect(await store.get(cluster, 'lease#hpa')).toMatchObject({
      version: 1,
      data: { owner: 'lambda-a', until: START + TTL_MS },
    });
  });

  it('given a valid lease, should refuse another owner until it expires, then hand it over', async () => {
    const clock = new FakeClock(START);
    const store = storeOn(clock);
    const cluster = freshCluster();
    await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS);

    expect(await store.acquireLease(cluster, 'hpa', 'lambda-b', TTL_MS)).toBeUndefined();
    clock.advance(TTL_MS - 1);
    expect(await store.acquireLease(cluster, 'hpa', 'lambda-b', TTL_MS)).toBeUndefined();
    expect(store.stats.conditionalFailures).toBe(2);

    clock.advance(1);
    const takenOver = await store.acquireLease(cluster, 'hpa', 'lambda-b', TTL_MS);

    expect(takenOver).toEqual({
      cluster,
      loop: 'hpa',
      owner: 'lambda-b',
      until: clock.now() + TTL_MS,
      version: 2,
    });
    expect(await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS)).toBeUndefined();
  });

  it('given the owner, should renew the lease and extend it', async () => {
    const clock = new FakeClock(START);
    const store = storeOn(clock);
    const cluster = freshCluster();
    await store.acquireLease(cluster, 'node-pools', 'lambda-a', TTL_MS);
    clock.advance(15_000);

    const renewed = await store.acquireLease(cluster, 'node-pools', 'lambda-a', TTL_MS);

    expect(renewed).toMatchObject({ owner: 'lambda-a', until: START + 15_000 + TTL_MS, version: 2 });
    clock.advance(TTL_MS - 1);
    expect(await store.acquireLease(cluster, 'node-pools', 'lambda-b', TTL_MS)).toBeUndefined();
  });

  it('given leases of two loops or two clusters, should keep them apart', async () => {
    const store = storeOn(new FakeClock(START));
    const cluster = freshCluster();
    const other = freshCluster();

    expect(await store.acquireLease(cluster, 'hpa', 'a', TTL_MS)).toBeDefined();
    expect(await store.acquireLease(cluster, 'vpa', 'b', TTL_MS)).toBeDefined();
    expect(await store.acquireLease(other, 'hpa', 'c', TTL_MS)).toBeDefined();
  });

  it('given the holder releases, should free the lease at once', async () => {
    const store = storeOn(new FakeClock(START));
    const cluster = freshCluster();
    const lease = (await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS)) as Lease;

    await store.releaseLease(lease);

    expect(await store.get(cluster, 'lease#hpa')).toBeUndefined();
    expect(await store.acquireLease(cluster, 'hpa', 'lambda-b', TTL_MS)).toMatchObject({ owner: 'lambda-b' });
  });

  it('given a lease lost to another owner, should leave the new holder alone on release', async () => {
    const clock = new FakeClock(START);
    const store = storeOn(clock);
    const cluster = freshCluster();
    const stale = (await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS)) as Lease;
    clock.advance(TTL_MS);
    await store.acquireLease(cluster, 'hpa', 'lambda-b', TTL_MS);

    await store.releaseLease(stale);
    await store.releaseLease({ ...stale, loop: 'never-leased' });

    expect((await store.get(cluster, 'lease#hpa'))?.data).toMatchObject({ owner: 'lambda-b' });
    expect(await store.acquireLease(cluster, 'hpa', 'lambda-a', TTL_MS)).toBeUndefined();
  });

  it('given ten owners racing for a free lease, should grant it to exactly one', async () => {
    const clock = new FakeClock(START);
    const cluster = freshCluster();
    const stores = Array.from({ length: 10 }, () => storeOn(clock));

    const leases = await Promise.all(
      stores.map((store, i) => store.acquireLease(cluster, 'hpa', `owner-${i}`, TTL_MS)),
    );

    const granted = leases.filter((lease) => lease !== undefined);
    expect(granted).toHaveLength(1);
    expect((await stores[0]?.get(cluster, 'lease#hpa'))?.data).toMatchObject({ owner: granted[0]?.owner });
  });

  it('given a ttl that is not positive, should throw', async () => {
    const store = storeOn(new FakeClock(START));
    await expect(store.acquireLease('c', 'hpa', 'a', 0)).rejects.toBeInstanceOf(RangeError);
  });
});
