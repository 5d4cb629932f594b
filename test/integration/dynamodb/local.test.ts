import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { type LocalDynamoTransport, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { DEFAULT_STATE_TABLE_NAME, STATE_TABLE } from '../../../shared/adapters/dynamodb/table';
import { VersionConflictError } from '../../../shared/ports/state-store';

describe('startLocalDynamo', () => {
  it('should create the state table with the shared layout, on-demand and ACTIVE', async () => {
    const dynamo = await startLocalDynamo();
    try {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: dynamo.tableName }));

      expect(dynamo.tableName).toBe(DEFAULT_STATE_TABLE_NAME);
      expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    } finally {
      await dynamo.stop();
    }
  });

  it('given two instances, should keep them apart, and stop quickly and idempotently', async () => {
    const [a, b] = await Promise.all([
      startLocalDynamo({ tableName: 'state-a' }),
      startLocalDynamo({ tableName: 'state-b' }),
    ]);
    expect(a.endpoint).not.toBe(b.endpoint);
    expect((await a.client.send(new ListTablesCommand({}))).TableNames).toEqual(['state-a']);
    expect((await b.newClient().send(new ListTablesCommand({}))).TableNames).toEqual(['state-b']);

    const started = performance.now();
    await Promise.all([a.stop(), b.stop()]);
    await a.stop();

    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(fetch(a.endpoint)).rejects.toThrow();
  });

  it('given either transport, should give the same answers: items, pages, conditional failures, errors', async () => {
    const run = async (transport: LocalDynamoTransport) => {
      const dynamo = await startLocalDynamo({ transport });
      try {
        const clock = { now: () => 1_750_000_000_000, sleep: async () => {} };
        const store = new DynamoDbStateStore({
          client: dynamo.client,
          tableName: dynamo.tableName,
          clock,
          queryPageSize: 2,
        });
        const written = [];
        for (let i = 0; i < 5; i++)
          written.push(
            await store.put(
              'c',
              `hpa#${i}`,
              { i, text: 'ü€', list: [1.5, null, { a: true }] },
              { expectedVersion: 0 },
            ),
          );
        const conflict = await store
          .put('c', 'hpa#0', {}, { expectedVersion: 7 })
          .catch((error: unknown) => error);
        const missingTable = await dynamo.client
          .send(new DescribeTableCommand({ TableName: 'no-such-table' }))
          .catch((error: unknown) => (error as Error).name);
        return {
          written,
          items: await store.query('c', 'hpa#'),
          one: await store.get('c', 'hpa#3'),
          conflict: conflict instanceof VersionConflictError,
          missingTable,
          stats: store.stats,
        };
      } finally {
        await dynamo.stop();
      }
    };
    const inProcess = await run('in-process');
    expect(inProcess.items).toHaveLength(5);
    expect(inProcess.conflict).toBe(true);
    expect(inProcess.missingTable).toBe('ResourceNotFoundException');
    expect(inProcess).toEqual(await run('http'));
  });

  it('given the in-process transport, should send a placeholder signature dynalite takes; over http, SigV4', async () => {
    const authorizations = async (transport: LocalDynamoTransport) => {
      const dynamo = await startLocalDynamo({ transport });
      const seen: string[] = [];
      dynamo.client.middlewareStack.add(
        (next) => async (args) => {
          seen.push(String((args.request as { headers: Record<string, string> }).headers.authorization));
          return next(args);
        },
        { step: 'deserialize', name: 'captureAuthorization' },
      );
      try {
        await dynamo.client.send(new ListTablesCommand({}));
        return seen;
      } finally {
        await dynamo.stop();
      }
    };
    const [placeholder] = await authorizations('in-process');
    expect(placeholder).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/local\/dynamodb\/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned$/,
    );
    const [signed] = await authorizations('http');
    expect(signed).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
    );
  });

  it('given requests under way when it stops, should answer or refuse each of them, never fail inside', async () => {
    const dynamo = await startLocalDynamo();
    const sends = Array.from({ length: 20 }, () =>
      dynamo.client.send(new DescribeTableCommand({ TableName: dynamo.tableName })),
    );
    // Let some reach dynalite before stopping: those must be answered before its database closes.
    await new Promise((resolve) => setImmediate(resolve));
    await dynamo.stop();
    const outcomes = await Promise.allSettled(sends);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(outcome.value.Table?.TableStatus).toBe('ACTIVE');
      else expect(String(outcome.reason)).toMatch(/ECONNREFUSED/);
    }
    await expect(dynamo.newClient().send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
  });
});
