/**
 * A simulated Amazon SQS for the simulator's queue workers: the part of the SQS API that the
 * `sqs-queue-length` collector calls (`GetQueueUrl`, `GetQueueAttributes`), answered from the cluster's
 * queue model, behind an object typed as the SDK's `SQSClient` so the real collector runs unchanged.
 *
 * Every workload with a `queue` is a queue of that name in the world's region and account:
 * - `ApproximateNumberOfMessages`: the workload's backlog (messages waiting), rounded;
 * - `ApproximateNumberOfMessagesNotVisible`: the messages the consumers hold (received, not yet deleted).
 *   By Little's law that is the rate they process times how long each message stays in flight; each busy
 *   pod works through one receive batch of `RECEIVE_BATCH_SIZE` messages at its `capacityPerPod`;
 * - `ApproximateNumberOfMessagesDelayed`: 0 (the simulated producers never delay messages).
 * Unknown queue names and URLs, other regions and other accounts answer `QueueDoesNotExist`, as SQS does.
 * Calls are counted per action and queue, and each action can be told to fail its next N calls.
 */
import {
  GetQueueAttributesCommand,
  type GetQueueAttributesCommandOutput,
  GetQueueUrlCommand,
  type GetQueueUrlCommandOutput,
  InvalidAttributeName,
  type QueueAttributeName,
  QueueDoesNotExist,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimCluster } from './cluster';
import type { WorkloadRecord } from './workload-record';

/** The AWS account the simulated services live in. */
export const SIM_AWS_ACCOUNT_ID = '123456789012';
/** Messages one ReceiveMessage call returns at most; a busy consumer pod holds one such batch. */
export const RECEIVE_BATCH_SIZE = 10;

export type SimSqsAction = 'GetQueueUrl' | 'GetQueueAttributes';

/** The attributes the fake knows; `All` asks for every one of them. */
const KNOWN_ATTRIBUTES: readonly QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'QueueArn',
];

type SqsCommand = GetQueueUrlCommand | GetQueueAttributesCommand;
type SqsOutput = GetQueueUrlCommandOutput | GetQueueAttributesCommandOutput;

/** The slice of `SQSClient` the fake implements. */
interface SqsSend {
  send(command: SqsCommand, options?: { abortSignal?: AbortSignal }): Promise<SqsOutput>;
}

export interface SimSqsOptions {
  cluster: SimCluster;
  /** The region the queues live in. */
  region: string;
  /** @default SIM_AWS_ACCOUNT_ID */
  accountId?: string;
}

const METADATA = { httpStatusCode: 200 } as const;

function queueDoesNotExist(): QueueDoesNotExist {
  return new QueueDoesNotExist({
    message: 'The specified queue does not exist.',
    $metadata: { httpStatusCode: 400 },
  });
}

function aborted(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * @example
 * const sqs = new SimSqs({ cluster, region: 'eu-central-1' });
 * const collector = new SqsQueueLengthCollector({ clientFor: (region) => sqs.client(region) });
 * sqs.stats().requests; // { 'GetQueueUrl eu-central-1/order-events': 1, 'GetQueueAttributes …': 240 }
 */
export class SimSqs {
  readonly region: string;
  readonly accountId: string;
  private readonly cluster: SimCluster;
  private readonly api = new ApiCallRecorder();
  private readonly clients = new Map<string, SQSClient>();

  constructor(options: SimSqsOptions) {
    this.cluster = options.cluster;
    this.region = options.region;
    this.accountId = options.accountId ?? SIM_AWS_ACCOUNT_ID;
  }

  /** An `SQSClient` for `region` (one per region, like `new SQSClient({ region })` kept per region). */
  client(region: string): SQSClient {
    let client = this.clients.get(region);
    if (!client) {
      const narrow: SqsSend = {
        send: (command, options) => this.send(region, command, options?.abortSignal),
      };
      client = narrow as unknown as SQSClient;
      this.clients.set(region, client);
    }
    return client;
  }

  /** The URL SQS gives the queue `name` in the world's region. */
  queueUrl(name: string): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.accountId}/${name}`;
  }

  /** Names of the simulated queues (one per queue worker). */
  queueNames(): string[] {
    return [...this.cluster.workloadRecords()].flatMap((w) => (w.spec.queue ? [w.spec.queue.name] : []));
  }

  /** Calls per action (`calls`) and per action and queue (`requests`: `GetQueueUrl <region>/<name>`). */
  stats(): ApiStats {
    return this.api.stats();
  }

  resetStats(): void {
    this.api.reset();
  }

  /** The next `times` calls of `action` fail with `error` (default: a generic `Error`, like a 500). */
  failNext(action: SimSqsAction, times = 1, error?: ErrorFactory): void {
    this.api.failNext(action, times, error);
  }

  private async send(
    region: string,
    command: SqsCommand,
    signal: AbortSignal | undefined,
  ): Promise<SqsOutput> {
    // Answer asynchronously, as the SDK does.
    await Promise.resolve();
    if (signal?.aborted) throw aborted(signal);
    this.cluster.sync();
    if (command instanceof GetQueueUrlCommand) {
      const { QueueName: name = '', QueueOwnerAWSAccountId: owner } = command.input;
      this.api.call('GetQueueUrl', `GetQueueUrl ${region}/${name}`);
      const account = owner ?? this.accountId;
      if (region !== this.region || account !== this.accountId || !this.workloadOf(name))
        throw queueDoesNotExist();
      return { QueueUrl: this.queueUrl(name), $metadata: METADATA } satisfies GetQueueUrlCommandOutput;
    }
    if (command instanceof GetQueueAttributesCommand) {
      const { QueueUrl: url = '', AttributeNames: names = [] } = command.input;
      const name = this.nameOfUrl(region, url);
      this.api.call('GetQueueAttributes', `GetQueueAttributes ${region}/${name ?? url}`);
      const workload = name === undefined ? undefined : this.workloadOf(name);
      if (!workload?.spec.queue) throw queueDoesNotExist();
      return {
        Attributes: this.attributes(workload, names),
        $metadata: METADATA,
      } satisfies GetQueueAttributesCommandOutput;
    }
    const unknown = command as { constructor?: { name?: string } };
    throw new Error(`the simulated SQS does not implement ${unknown.constructor?.name ?? 'this command'}`);
  }

  private attributes(workload: WorkloadRecord, names: readonly string[]): Record<string, string> {
    const queue = workload.spec.queue;
    if (!queue) return {};
    const wanted = names.includes('All') ? KNOWN_ATTRIBUTES : names;
    const out: Record<string, string> = {};
    for (const attribute of wanted) {
      switch (attribute) {
        case 'ApproximateNumberOfMessages':
          out[attribute] = String(Math.round(workload.queueLength));
          break;
        case 'ApproximateNumberOfMessagesNotVisible':
          out[attribute] = String(
            Math.round((workload.servedRps * RECEIVE_BATCH_SIZE) / queue.capacityPerPod),
          );
          break;
        case 'ApproximateNumberOfMessagesDelayed':
          out[attribute] = '0';
          break;
        case 'QueueArn':
          out[attribute] = `arn:aws:sqs:${this.region}:${this.accountId}:${queue.name}`;
          break;
        default:
          throw new InvalidAttributeName({
            message: `Unknown Attribute ${attribute}.`,
            $metadata: { httpStatusCode: 400 },
          });
      }
    }
    return out;
  }

  /** The queue name a URL of this world names; undefined for another host, account or shape. */
  private nameOfUrl(region: string, url: string): string | undefined {
    if (region !== this.region) return undefined;
    const prefix = `https://sqs.${this.region}.amazonaws.com/${this.accountId}/`;
    if (!url.startsWith(prefix)) return undefined;
    const name = url.slice(prefix.length);
    return name === '' || name.includes('/') ? undefined : name;
  }

  private workloadOf(name: string): WorkloadRecord | undefined {
    for (const workload of this.cluster.workloadRecords()) {
      if (workload.spec.queue?.name === name) return workload;
    }
    return undefined;
  }
}
