import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DEFAULT_STATE_TABLE_NAME, STATE_TABLE } from '../../../shared/adapters/dynamodb/table';

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
});
