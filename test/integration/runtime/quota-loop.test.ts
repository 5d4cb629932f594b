/**
 * The quota loop's guard against double filing on the real conditional writes: runs on their own
 * DynamoDB clients against dynalite, made to write their FILING records at the same moment, file one
 * request between them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import type { QuotaRegion } from '../../../shared/config/quota-region';
import { runQuotaTick } from '../../../shared/loops/quota-loop';
import type { StateStore } from '../../../shared/ports/state-store';
import {
  FILING,
  QUOTA_STATE_PARTITION,
  type QuotaRequestRecord,
  quotaRecordKey,
} from '../../../shared/quotas/request-record';
import { HOUR, MINUTE, QuotaWorld, quotaRegion, REGION, STANDARD } from '../../support/quota-fakes';

let dynamo: LocalDynamo;
let accounts = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** A region of its own account per test: quota records live in one partition, keyed by account. */
function freshRegion(): QuotaRegion {
  return { ...quotaRegion(), accountId: String(100_000_000_000 + ++accounts) };
}

function store(world: QuotaWorld): DynamoDbStateStore {
  return new DynamoDbStateStore({
    client: dynamo.newClient(),
    tableName: dynamo.tableName,
    clock: world.clock,
  });
}

/**
 * Stores whose first `parties` puts, over all of them, are held until all arrived: every run has read the
 * record (absent) and decided to file before any of them writes.
 */
function barrier(parties: number): (inner: StateStore) => StateStore {
  let arrived = 0;
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return (inner) =>
    new Proxy(inner, {
      get(target, property, receiver) {
        if (property !== 'put') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<StateStore['put']>) => {
          if (arrived < parties) {
            arrived++;
            if (arrived === parties) open();
            await opened;
          }
          return target.put(...args);
        };
      },
    });
}

describe('runQuotaTick against dynalite', () => {
  it('given four runs that all decided to file, should let one FILING write win and file once', async () => {
    const world = new QuotaWorld();
    const region = freshRegion();
    const gate = barrier(4);
    // Four Lambdas: each its own DynamoDB client, all writing FILING at once.
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runQuotaTick({ ...world.deps(), state: gate(store(world)) }, region)),
    );

    const filed = results.flatMap((result) => result.filed);
    expect(filed).toHaveLength(1);
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
    // All four had decided before any wrote: the three losers lost the conditional write itself.
    const conflicts = results.flatMap((r) => r.failures).filter((f) => f.step === 'record');
    expect(conflicts).toHaveLength(3);
    expect(conflicts.every((f) => f.reason === 'Conflict' && f.quotaCode === STANDARD)).toBe(true);
    expect(world.serviceQuotas.count('requestIncrease')).toBe(1);
    const item = await store(world).get(
      QUOTA_STATE_PARTITION,
      quotaRecordKey(region.accountId, REGION, STANDARD),
    );
    expect(item?.data).toMatchObject({ status: 'PENDING', requestId: 'req-1' });
    expect(item?.version).toBe(2);
  });

  it('given a stale FILING record, should file over it with its version, and a racing run should not', async () => {
    const world = new QuotaWorld();
    const region = freshRegion();
    const key = quotaRecordKey(region.accountId, REGION, STANDARD);
    const stale: QuotaRequestRecord = {
      accountId: region.accountId,
      region: REGION,
      serviceCode: 'ec2',
      quotaCode: STANDARD,
      quotaName: 'Standard',
      desiredValue: 1152,
      appliedAtRequest: 320,
      requestedAt: world.clock.now(),
      status: FILING,
      lastCheckedAt: world.clock.now(),
      justification: 'x',
    };
    await store(world).put(QUOTA_STATE_PARTITION, key, stale, { expectedVersion: 0 });
    world.clock.advance(10 * MINUTE);
    const early = await runQuotaTick({ ...world.deps(), state: store(world) }, region);
    expect(early.filed).toEqual([]);

    world.clock.advance(HOUR);
    const gate = barrier(2);
    const results = await Promise.all([
      runQuotaTick({ ...world.deps(), state: gate(store(world)) }, region),
      runQuotaTick({ ...world.deps(), state: gate(store(world)) }, region),
    ]);
    expect(results.flatMap((r) => r.filed)).toHaveLength(1);
    expect(world.serviceQuotas.requests(STANDARD)).toHaveLength(1);
    expect((await store(world).get(QUOTA_STATE_PARTITION, key))?.version).toBe(3);
  });
});
