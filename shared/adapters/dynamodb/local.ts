import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_STATE_TABLE_NAME, STATE_TABLE } from './table';

export interface LocalDynamoOptions {
  /** @default 'tideplane-state' (`DEFAULT_STATE_TABLE_NAME`) */
  tableName?: string;
  /** Region the returned clients sign for; dynalite ignores it. @default 'us-east-1' */
  region?: string;
}

export interface LocalDynamo {
  /** A client pointed at the local DynamoDB with dummy credentials. `stop()` destroys it. */
  client: DynamoDBClient;
  /** The state table, already ACTIVE, with the shared layout from `./table`. */
  tableName: string;
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /**
   * Another client for the same server (e.g. to play a second Lambda racing the first). The caller
   * may destroy it; `stop()` destroys it otherwise.
   */
  newClient(): DynamoDBClient;
  /** Closes the clients, the server and its in-memory database. Everything written is lost. */
  stop(): Promise<void>;
}

/** Dummy credentials: dynalite checks that requests are signed, not by whom. */
export const LOCAL_DYNAMO_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** How long `startLocalDynamo` waits for the table to become ACTIVE. */
export const LOCAL_TABLE_ACTIVE_TIMEOUT_MS = 5_000;

const LOCAL_TABLE_POLL_MS = 10;

/** The part of dynalite's CommonJS API used here (the package ships no types). */
type Dynalite = (options: {
  /** ms a new table stays CREATING (dynalite's default 500). */
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  /** LevelDB folder; omitted = in memory. */
  path?: string;
}) => Server;

/**
 * Starts dynalite (an in-process DynamoDB on LevelDB) in memory on 127.0.0.1 on a free port, creates
 * the state table with the shared layout and returns a client for it. Differences from DynamoDB that
 * matter here: no transactions, no `UpdateTimeToLive`, and TTL never deletes anything (the store
 * hides expired items itself).
 *
 * @example
 * const dynamo = await startLocalDynamo();
 * const store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
 * // ...
 * await dynamo.stop();
 */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const tableName = options.tableName ?? DEFAULT_STATE_TABLE_NAME;
  const region = options.region ?? 'us-east-1';
  const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const clients: DynamoDBClient[] = [];
  const config: DynamoDBClientConfig = {
    endpoint,
    region,
    credentials: { ...LOCAL_DYNAMO_CREDENTIALS },
    // A local server either answers or is gone: retrying only slows tests down.
    maxAttempts: 1,
  };
  const newClient = () => {
    const client = new DynamoDBClient(config);
    clients.push(client);
    return client;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const client of clients) client.destroy();
    // Keep-alive sockets would hold `close` open until they time out.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };

  const client = newClient();
  try {
    await createStateTable(client, tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return { client, tableName, endpoint, newClient, stop };
}

async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: STATE_TABLE.partitionKey, AttributeType: STATE_TABLE.keyType },
        { AttributeName: STATE_TABLE.sortKey, AttributeType: STATE_TABLE.keyType },
      ],
      KeySchema: [
        { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: STATE_TABLE.billingMode,
    }),
  );
  // dynalite has no UpdateTimeToLive; the TTL attribute is declared only on real tables (CDK).
  for (let waited = 0; ; waited += LOCAL_TABLE_POLL_MS) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (waited >= LOCAL_TABLE_ACTIVE_TIMEOUT_MS) {
      throw new Error(`local table ${tableName} not ACTIVE after ${LOCAL_TABLE_ACTIVE_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCAL_TABLE_POLL_MS));
  }
}
