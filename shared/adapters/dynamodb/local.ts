import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
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
  /**
   * How the returned clients reach dynalite. `in-process` (the default) hands each signed request to
   * dynalite's request handler directly, skipping sockets and HTTP parsing: the same requests, headers
   * and bodies, a quarter less CPU per call (a simulated day makes tens of thousands). `http` goes
   * through the listening port, as any other client of `endpoint` does.
   *
   * In process, requests carry a placeholder signature (`LOCAL_PLACEHOLDER_SIGNER`): dynalite checks that
   * the Authorization header names a credential, the signed headers and a signature, never the signature
   * itself, and SigV4's hashing was a sixth of a put's time. Over `http` the SDK signs as usual.
   */
  transport?: LocalDynamoTransport;
}

export type LocalDynamoTransport = 'in-process' | 'http';

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

/**
 * Signs a request for dynalite only: the headers SigV4 adds, with a signature no one checks. The date is
 * the request's own time (dynalite refuses a malformed one, never a stale one).
 */
export const LOCAL_PLACEHOLDER_SIGNER = {
  async sign<T extends { headers: Record<string, string> }>(request: T): Promise<T> {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    request.headers['x-amz-date'] = date;
    request.headers.authorization =
      `AWS4-HMAC-SHA256 Credential=${LOCAL_DYNAMO_CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/local/dynamodb/aws4_request, ` +
      'SignedHeaders=host;x-amz-date, Signature=unsigned';
    return request;
  },
};

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
  const inProcess =
    (options.transport ?? 'in-process') === 'in-process' ? inProcessHandler(server) : undefined;
  const config: DynamoDBClientConfig = {
    endpoint,
    region,
    credentials: { ...LOCAL_DYNAMO_CREDENTIALS },
    // A local server either answers or is gone: retrying only slows tests down.
    maxAttempts: 1,
    ...(inProcess
      ? {
          requestHandler: inProcess.handler as DynamoDBClientConfig['requestHandler'],
          signer: LOCAL_PLACEHOLDER_SIGNER,
        }
      : {}),
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
    // Requests dynalite is still answering finish first: its database closes with the server.
    await inProcess?.close();
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

/** The part of an SDK request this handler reads (smithy's `HttpRequest`). */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

type RequestListener = (request: unknown, response: unknown) => void;

/** The request body as Node's HTTP client would send it (see smithy's `writeBody`). */
function bodyBuffer(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  const view = body as Uint8Array;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function requestUrl(request: SdkRequest): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      pairs.push(
        one === null ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(one)}`,
      );
    }
  }
  return pairs.length > 0 ? `${request.path}?${pairs.join('&')}` : request.path;
}

/**
 * An SDK request handler that gives each request to dynalite's own request listener, with the
 * request and response objects reduced to what that listener uses (headers, method and URL; a body
 * emitted as one chunk; status, headers and a body written once). Everything an HTTP round trip
 * carries still goes through: the SDK serializes and signs, dynalite checks and answers, the SDK
 * parses the answer.
 */
type SdkResponse = { response: { statusCode: number; headers: Record<string, string>; body: Readable } };

function inProcessHandler(server: Server) {
  const listener = server.listeners('request')[0] as RequestListener | undefined;
  if (!listener) throw new Error('dynalite has no request listener');
  const inFlight = new Set<Promise<SdkResponse>>();
  let closed = false;
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    handle(request: SdkRequest): Promise<SdkResponse> {
      if (closed) {
        // What a client of a closed port gets.
        const refused = new Error('connect ECONNREFUSED: the local DynamoDB has stopped');
        return Promise.reject(Object.assign(refused, { code: 'ECONNREFUSED' }));
      }
      const answered = new Promise<SdkResponse>((resolve) => {
        const incoming = Object.assign(new EventEmitter(), {
          method: request.method,
          url: requestUrl(request),
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
        });
        const headers: Record<string, string> = {};
        const outgoing = {
          statusCode: 200,
          setHeader(name: string, value: unknown) {
            headers[name.toLowerCase()] = String(value);
          },
          end(chunk?: string | Buffer) {
            const body = Readable.from([chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk)]);
            resolve({ response: { statusCode: outgoing.statusCode, headers, body } });
          },
        };
        listener(incoming, outgoing);
        const body = bodyBuffer(request.body);
        if (body.length > 0) incoming.emit('data', body);
        incoming.emit('end');
      });
      inFlight.add(answered);
      void answered.finally(() => inFlight.delete(answered));
      return answered;
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return {
    handler,
    /** Refuses new requests and waits for those dynalite is still answering. */
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
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
