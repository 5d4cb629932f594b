import {
  type AttributeValue,
  type ConsumedCapacity,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../../ports/clock';
import {
  type Lease,
  type PutOptions,
  type StateStore,
  type StoredItem,
  VersionConflictError,
} from '../../ports/state-store';
import { clusterFromKey, clusterKey, isExpired, leaseKey, STATE_TABLE } from './table';

export interface DynamoDbStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The only source of time: expiry checks and lease deadlines use `clock.now()`. */
  clock: Clock;
  /**
   * Most items per Query page (DynamoDB `Limit`). Only tests set it, to force pagination cheaply.
   * @default undefined: DynamoDB's own 1 MB pages
   */
  queryPageSize?: number;
}

/** Calls made since construction or the last `resetStats()`, so a benchmark can report cost per tick. */
export interface DynamoDbStats {
  /** Read requests: one per GetItem and one per Query page. */
  reads: number;
  /** Write requests sent (PutItem, UpdateItem, DeleteItem), whether or not their condition held. */
  writes: number;
  /** Writes whose condition failed: version conflicts, leases held by others, releases of lost leases. */
  conditionalFailures: number;
  /** `query()` calls. */
  queries: number;
  /** Query pages consumed by those calls. */
  pages: number;
  /** Read capacity units DynamoDB reported (strongly consistent reads). */
  readCapacityUnits: number;
  /** Write capacity units DynamoDB reported; failed conditional writes report none but are billed. */
  writeCapacityUnits: number;
}

interface LeaseData {
  owner: string;
  /** Epoch ms. */
  until: number;
}

const NAMES = {
  '#pk': STATE_TABLE.partitionKey,
  '#sk': STATE_TABLE.sortKey,
  '#version': STATE_TABLE.versionAttribute,
  '#expiresAt': STATE_TABLE.timeToLiveAttribute,
  '#data': STATE_TABLE.dataAttribute,
} as const;

/*
 * Conditions are written without parentheses, relying on DynamoDB's precedence (AND before OR): the same
 * meaning, and the local DynamoDB (dynalite) parses a parenthesised group several times over, which made
 * its parser the largest single cost of a simulated day's writes.
 */
/** Absent, or present but expired (which counts as absent). An OR chain: extend it only with `OR`. */
const ABSENT = 'attribute_not_exists(#pk) OR #expiresAt < :nowSeconds';
/** The version read, on a live item (no TTL, or a TTL that has not passed at `:nowSeconds`). */
const EXPECTED_AND_LIVE =
  '#version = :expected AND attribute_not_exists(#expiresAt) OR #version = :expected AND #expiresAt >= :nowSeconds';

/**
 * `StateStore` on one DynamoDB table (layout in `./table`). Every write is a single-item conditional
 * write; reads are strongly consistent so a loop always sees its own last write. Expired items are
 * hidden in code, because DynamoDB deletes them late and the local DynamoDB never does.
 *
 * @example
 * const store = new DynamoDbStateStore({ client: new DynamoDBClient({}), tableName, clock: systemClock });
 * const item = await store.get('prod', 'hpa#default/web');
 * await store.put('prod', 'hpa#default/web', next, { expectedVersion: item?.version ?? 0 });
 */
export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly clock: Clock;
  private readonly queryPageSize: number | undefined;
  private counters: DynamoDbStats = emptyStats();

  constructor(options: DynamoDbStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.clock = options.clock;
    this.queryPageSize = options.queryPageSize;
  }

  /** A snapshot of the call counters. */
  get stats(): DynamoDbStats {
    return { ...this.counters };
  }

  /** Sets every counter back to zero (e.g. at the start of a benchmark tick). */
  resetStats(): void {
    this.counters = emptyStats();
  }

  async query(cluster: string, skPrefix?: string): Promise<StoredItem[]> {
    const nowMs = this.clock.now();
    this.counters.queries++;
    const values: Record<string, AttributeValue> = { ':pk': { S: clusterKey(cluster) } };
    let keyCondition = '#pk = :pk';
    if (skPrefix) {
      keyCondition += ' AND begins_with(#sk, :prefix)';
      values[':prefix'] = { S: skPrefix };
    }
    const items: StoredItem[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      this.counters.reads++;
      this.counters.pages++;
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: keyCondition,
          ExpressionAttributeNames: skPrefix
            ? { '#pk': NAMES['#pk'], '#sk': NAMES['#sk'] }
            : { '#pk': NAMES['#pk'] },
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          Limit: this.queryPageSize,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countReadUnits(page.ConsumedCapacity);
      for (const raw of page.Items ?? []) {
        const item = fromRecord(raw);
        if (!isExpired(item.expiresAt, nowMs)) items.push(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async get(cluster: string, sk: string): Promise<StoredItem | undefined> {
    const nowMs = this.clock.now();
    this.counters.reads++;
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: key(cluster, sk),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.countReadUnits(result.ConsumedCapacity);
    if (!result.Item) return undefined;
    const item = fromRecord(result.Item);
    return isExpired(item.expiresAt, nowMs) ? undefined : item;
  }

  async put<T>(cluster: string, sk: string, data: T, options: PutOptions): Promise<StoredItem<T>> {
    const { expectedVersion, expiresAt } = options;
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a whole number >= 0, got ${expectedVersion}`);
    }
    const stored: StoredItem<T> = { cluster, sk, version: expectedVersion + 1, data };
    if (expiresAt !== undefined) stored.expiresAt = expiresAt;

    const values: Record<string, AttributeValue> = { ':nowSeconds': nowSeconds(this.clock) };
    let condition: string;
    if (expectedVersion === 0) {
      condition = ABSENT;
    } else {
      // A replace needs the version it read and a live item: an expired item counts as gone.
      condition = EXPECTED_AND_LIVE;
      values[':expected'] = { N: String(expectedVersion) };
    }
    const created = await this.conditionalWrite(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toRecord(stored),
          ConditionExpression: condition,
          ExpressionAttributeNames: pickNames(condition),
          ExpressionAttributeValues: values,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (!created) throw new VersionConflictError(cluster, sk);
    return stored;
  }

  async delete(cluster: string, sk: string, expectedVersion: number): Promise<void> {
    // Absent and expired items are already gone: only a live item of another version is a conflict.
    const condition = `${ABSENT} OR #version = :expected`;
    const deleted = await this.conditionalWrite(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(cluster, sk),
          ConditionExpression: condition,
          ExpressionAttributeNames: pickNames(condition),
          ExpressionAttributeValues: {
            ':nowSeconds': nowSeconds(this.clock),
            ':expected': { N: String(expectedVersion) },
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (!deleted) throw new VersionConflictError(cluster, sk);
  }

  async acquireLease(
    cluster: string,
    loop: string,
    owner: string,
    ttlMs: number,
  ): Promise<Lease | undefined> {
    if (!(ttlMs > 0)) throw new RangeError(`lease ttlMs must be > 0, got ${ttlMs}`);
    const nowMs = this.clock.now();
    const lease: LeaseData = { owner, until: nowMs + ttlMs };
    // Free (absent, TTL passed or `until` passed) or ours already. One UpdateItem, no read first: the
    // version keeps counting up across owners, so it doubles as a fencing token.
    const condition = `${ABSENT} OR #data.#owner = :owner OR #data.#until <= :nowMs`;
    const result = await this.conditionalWrite(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(cluster, leaseKey(loop)),
          UpdateExpression:
            'SET #data = :lease, #expiresAt = :leaseExpiresAt, #version = if_not_exists(#version, :zero) + :one',
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#pk': NAMES['#pk'],
            '#data': NAMES['#data'],
            '#expiresAt': NAMES['#expiresAt'],
            '#version': NAMES['#version'],
            '#owner': 'owner',
            '#until': 'until',
          },
          ExpressionAttributeValues: {
            ':lease': { M: marshall(lease) },
            ':leaseExpiresAt': { N: String(Math.ceil(lease.until / 1000)) },
            ':zero': { N: '0' },
            ':one': { N: '1' },
            ':owner': { S: owner },
            ':nowMs': { N: String(nowMs) },
            ':nowSeconds': { N: String(nowMs / 1000) },
          },
          ReturnValues: 'ALL_NEW',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (!result) return undefined;
    const version = Number(result.Attributes?.[STATE_TABLE.versionAttribute]?.N);
    return { cluster, loop, owner, until: lease.until, version };
  }

  async releaseLease(lease: Lease): Promise<void> {
    const condition = '#data.#owner = :owner';
    // A failed condition means someone else holds it now (or nobody does): nothing to give up.
    await this.conditionalWrite(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(lease.cluster, leaseKey(lease.loop)),
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#data': NAMES['#data'], '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: lease.owner } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
  }

  /** Sends one conditional write; resolves its output, or undefined when the condition failed. */
  private async conditionalWrite<Output extends { ConsumedCapacity?: ConsumedCapacity }>(
    send: () => Promise<Output>,
  ): Promise<Output | undefined> {
    this.counters.writes++;
    try {
      const output = await send();
      this.counters.writeCapacityUnits += output.ConsumedCapacity?.CapacityUnits ?? 0;
      return output;
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        this.counters.conditionalFailures++;
        return undefined;
      }
      throw error;
    }
  }

  private countReadUnits(consumed: ConsumedCapacity | undefined): void {
    this.counters.readCapacityUnits += consumed?.CapacityUnits ?? 0;
  }
}

function emptyStats(): DynamoDbStats {
  return {
    reads: 0,
    writes: 0,
    conditionalFailures: 0,
    queries: 0,
    pages: 0,
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
  };
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Now in epoch seconds, with the milliseconds kept as a fraction so expiry matches `isExpired`. */
function nowSeconds(clock: Clock): AttributeValue {
  return { N: String(clock.now() / 1000) };
}

function key(cluster: string, sk: string): Record<string, AttributeValue> {
  return {
    [STATE_TABLE.partitionKey]: { S: clusterKey(cluster) },
    [STATE_TABLE.sortKey]: { S: sk },
  };
}

/** DynamoDB rejects unused `ExpressionAttributeNames`, so pass only those the expression mentions. */
function pickNames(expression: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [placeholder, name] of Object.entries(NAMES)) {
    if (new RegExp(`${placeholder}\\b`).test(expression)) names[placeholder] = name;
  }
  return names;
}

function toRecord(item: StoredItem): Record<string, AttributeValue> {
  const record: Record<string, AttributeValue> = {
    ...key(item.cluster, item.sk),
    [STATE_TABLE.versionAttribute]: { N: String(item.version) },
  };
  if (item.expiresAt !== undefined) record[STATE_TABLE.timeToLiveAttribute] = { N: String(item.expiresAt) };
  if (item.data !== undefined) {
    record[STATE_TABLE.dataAttribute] = marshall({ value: item.data }, { removeUndefinedValues: true })
      .value ?? {
      NULL: true,
    };
  }
  return record;
}

function fromRecord(record: Record<string, AttributeValue>): StoredItem {
  const plain = unmarshall(record);
  const item: StoredItem = {
    cluster: clusterFromKey(String(plain[STATE_TABLE.partitionKey])),
    sk: String(plain[STATE_TABLE.sortKey]),
    version: Number(plain[STATE_TABLE.versionAttribute]),
    data: plain[STATE_TABLE.dataAttribute],
  };
  const expiresAt = plain[STATE_TABLE.timeToLiveAttribute];
  if (typeof expiresAt === 'number') item.expiresAt = expiresAt;
  return item;
}
