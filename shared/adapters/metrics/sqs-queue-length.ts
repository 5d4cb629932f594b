/**
 * kube-metrics-adapter's `sqs-queue-length` collector: the number of messages in one or more SQS queues,
 * as an `External` metric (usually with an `AverageValue` target: messages per replica).
 *
 *   1. GetQueueUrl(QueueName[, QueueOwnerAWSAccountId])    once per queue, cached for QUEUE_URL_CACHE_TTL_MS
 *   2. GetQueueAttributes(QueueUrl, AttributeNames = [ApproximateNumberOfMessages
 *                                                      (+ ApproximateNumberOfMessagesNotVisible)
 *                                                      (+ ApproximateNumberOfMessagesDelayed)])
 *
 * Several queues are summed into one value. Settings come from the metric selector's `matchLabels`
 * (kube-metrics-adapter: `queue-name`, `region`) and from the annotations
 * `metric-config.external.<metric>.sqs-queue-length/<key>`; KEDA's `aws-sqs-queue` keys are accepted
 * too (`queueURL`, `awsRegion`, `scaleOnInFlight`, `scaleOnDelayed`), with KEDA's defaults when the
 * queue is given with KEDA's keys. A label value cannot hold `,`, `/` or `:`, so several queues or a
 * queue URL go in the annotation. KEDA's `queueLength` is the HPA's `target.averageValue`, not a collector
 * setting; its `activationQueueLength` (`activation-queue-length`) is: a length at or below it counts as
 * 0, so an HPA with `minReplicas: 0` stays at zero until the queue exceeds it and returns to zero when
 * the queue falls back to it — KEDA's activation, expressed as a metric value.
 *
 * IAM: `sqs:GetQueueUrl`, `sqs:GetQueueAttributes` on the queues.
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MetricError, type MetricResult } from '../../ports/metric-source';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from '../aws/errors';
import type { CollectedValues, Collector, CollectorRequest } from './collector';
import { raceAbort } from './race-abort';

/** Upper bound on one `collect` (all queues of the metric), in ms. */
export const SQS_QUEUE_LENGTH_TIMEOUT_MS = 5_000;
/**
 * How long a queue URL resolved from a queue name is reused. The URL of a queue depends only on its
 * account, region and name, so it survives the queue being recreated; the TTL only bounds how long a
 * mistake (a queue resolved in the wrong account) can stick.
 */
export const QUEUE_URL_CACHE_TTL_MS = 60 * 60 * 1000;

export const VISIBLE: QueueAttributeName = 'ApproximateNumberOfMessages';
export const IN_FLIGHT: QueueAttributeName = 'ApproximateNumberOfMessagesNotVisible';
export const DELAYED: QueueAttributeName = 'ApproximateNumberOfMessagesDelayed';

export interface SqsQueueLengthCollectorOptions {
  /** An SQS client for a region (the function's role, or a role assumed per cluster). */
  clientFor(region: string): SQSClient;
  /** Default SQS_QUEUE_LENGTH_TIMEOUT_MS. */
  timeoutMs?: number;
}

interface QueueRef {
  /** The queue's name, or the last path segment of its URL (for messages). */
  name: string;
  /** Set when the configuration gave a URL: no GetQueueUrl. */
  url?: string;
  region: string;
}

export interface SqsQueueLengthConfig {
  queues: QueueRef[];
  ownerAccountId?: string;
  includeInFlight: boolean;
  includeDelayed: boolean;
  /** Lengths at or below this count as 0 (KEDA's `activationQueueLength`). */
  activationLength: number;
}

const fail = (reason: MetricError['reason'], message: string): MetricResult<CollectedValues> => ({
  ok: false,
  error: new MetricError(reason, message),
});

const isUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/** The region in an SQS URL's host: `sqs.<region>.amazonaws.com` or legacy `<region>.queue.amazonaws.com`. */
export function regionOfQueueUrl(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const modern = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(host);
  if (modern) return modern[1];
  const legacy = /^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return legacy?.[1];
}

function nameOfQueueUrl(url: string): string {
  try {
    const segments = new URL(url).pathname.split('/').filter((s) => s !== '');
    return segments.at(-1) ?? url;
  } catch {
    return url;
  }
}

function pick(
  config: Readonly<Record<string, string>>,
  keys: readonly string[],
): [string, string] | undefined {
  const present = keys.filter((k) => config[k] !== undefined && config[k].trim() !== '');
  if (present.length > 1) {
    const values = new Set(present.map((k) => config[k]?.trim()));
    if (values.size > 1) throw new Error(`${present.join(' and ')} disagree; set only one of them`);
  }
  const key = present[0];
  return key === undefined ? undefined : [key, (config[key] ?? '').trim()];
}

function parseBool(entry: [string, string] | undefined, fallback: boolean): boolean {
  if (entry === undefined) return fallback;
  const [key, value] = entry;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw new Error(`${key}: ${JSON.stringify(value)} is not "true" or "false"`);
}

/**
 * The collector's settings from the request's config (matchLabels and annotations); throws an Error
 * naming the offending key.
 */
export function parseSqsQueueLengthConfig(config: Readonly<Record<string, string>>): SqsQueueLengthConfig {
  const byName = pick(config, ['queue-name']);
  const byUrl = pick(config, ['queue-url', 'queueURL']);
  if (!byName && !byUrl)
    throw new Error('queue-name is not set (a queue name, URL, or a comma-separated list)');
  // KEDA's aws-sqs-queue counts in-flight messages unless told otherwise; kube-metrics-adapter doesn't.
  const kedaDialect = config.queueURL !== undefined || config.awsRegion !== undefined;
  const region = pick(config, ['region', 'awsRegion']);
  const items = [byName, byUrl].flatMap((entry) =>
    entry === undefined
      ? []
      : entry[1]
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map((value) => ({ key: entry[0], value })),
  );
  if (items.length === 0) throw new Error(`${(byName ?? byUrl)?.[0]}: no queue given`);
  const queues = items.map(({ key, value }): QueueRef => {
    if (isUrl(value)) {
      const fromUrl = regionOfQueueUrl(value) ?? region?.[1];
      if (!fromUrl) throw new Error(`region is not set and ${key} ${value} does not name one`);
      return { name: nameOfQueueUrl(value), url: value, region: fromUrl };
    }
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(value))
      throw new Error(`${key}: ${JSON.stringify(value)} is not a queue name`);
    if (!region) throw new Error(`region is not set (needed for queue ${value})`);
    return { name: value, region: region[1] };
  });
  const owner = pick(config, ['queue-owner-account-id']);
  if (owner && !/^\d{12}$/.test(owner[1]))
    throw new Error(`${owner[0]}: ${JSON.stringify(owner[1])} is not an AWS account id`);
  const activation = pick(config, ['activation-queue-length', 'activationQueueLength']);
  if (activation && !/^\d+$/.test(activation[1]))
    throw new Error(`${activation[0]}: ${JSON.stringify(activation[1])} is not a whole number of messages`);
  const result: SqsQueueLengthConfig = {
    queues,
    includeInFlight: parseBool(pick(config, ['include-in-flight', 'scaleOnInFlight']), kedaDialect),
    includeDelayed: parseBool(pick(config, ['include-delayed', 'scaleOnDelayed']), false),
    activationLength: activation ? Number(activation[1]) : 0,
  };
  if (owner) result.ownerAccountId = owner[1];
  return result;
}

const NOT_FOUND = /^(QueueDoesNotExist|AWS\.SimpleQueueService\.NonExistentQueue|NonExistentQueue)$/;

/** An SQS failure as a `MetricError` naming the queue. */
export function toSqsMetricError(error: unknown, queue: QueueRef, action: string): MetricError {
  if (error instanceof MetricError) return error;
  const name = awsErrorName(error);
  const what = `SQS ${action} for queue ${queue.url ?? queue.name} in ${queue.region}`;
  if (isTimeout(error)) return new MetricError('Timeout', `${what}: timed out`);
  if (NOT_FOUND.test(name))
    return new MetricError(
      'NotFound',
      `SQS queue ${queue.url ?? queue.name} does not exist in ${queue.region}`,
    );
  if (isForbidden(error))
    return new MetricError('Forbidden', `${what}: access denied (${awsErrorMessage(error)})`);
  if (isThrottle(error))
    return new MetricError('Unavailable', `${what}: throttled (${awsErrorMessage(error)})`);
  return new MetricError('Unavailable', `${what}: ${name ? `${name}: ` : ''}${awsErrorMessage(error)}`);
}

interface CachedUrl {
  url: Promise<string>;
  /** Epoch ms it was resolved at (by the requests' `now`); undefined while resolving. */
  resolvedAt?: number;
}

/**
 * @example
 *   const sqs = new SqsQueueLengthCollector({ clientFor: (region) => new SQSClient({ region }) });
 *   const result = await sqs.collect(
 *     { type: 'External', namespace: 'shop', metricName: 'sqs-queue-length',
 *       config: { 'queue-name': 'orders', region: 'eu-central-1' }, now: Date.now() },
 *     AbortSignal.timeout(sqs.timeoutMs),
 *   );
 */
export class SqsQueueLengthCollector implements Collector {
  readonly name = 'sqs-queue-length';
  readonly timeoutMs: number;
  private readonly clientFor: (region: string) => SQSClient;
  private readonly urls = new Map<string, CachedUrl>();

  constructor(options: SqsQueueLengthCollectorOptions) {
    this.clientFor = options.clientFor;
    this.timeoutMs = options.timeoutMs ?? SQS_QUEUE_LENGTH_TIMEOUT_MS;
  }

  cacheKey(request: CollectorRequest): string {
    try {
      const c = parseSqsQueueLengthConfig(request.config);
      return JSON.stringify([
        this.name,
        c.queues.map((q) => [q.region, q.url ?? q.name]),
        c.ownerAccountId ?? '',
        c.includeInFlight,
        c.includeDelayed,
      ]);
    } catch {
      return JSON.stringify([this.name, 'invalid', request.config]);
    }
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    if (request.type === 'Pods')
      return fail(
        'Invalid',
        `${this.name} gives one value for the queue(s), not per-pod values: use an External metric`,
      );
    let config: SqsQueueLengthConfig;
    try {
      config = parseSqsQueueLengthConfig(request.config);
    } catch (error) {
      return fail(
        'Invalid',
        `${this.name} configuration of metric ${request.metricName}: ${awsErrorMessage(error)}`,
      );
    }
    if (signal.aborted) return fail('Timeout', `${this.name}: cancelled before it started`);
    const attributeNames: QueueAttributeName[] = [VISIBLE];
    if (config.includeInFlight) attributeNames.push(IN_FLIGHT);
    if (config.includeDelayed) attributeNames.push(DELAYED);
    const lengths = await Promise.all(
      config.queues.map((queue) => this.queueLength(queue, config, attributeNames, request.now, signal)),
    );
    let total = 0;
    for (const length of lengths) {
      if (!length.ok) return length;
      total += length.value;
    }
    const counted = total <= config.activationLength ? 0 : total;
    return {
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: counted * 1000, timestamp: request.now }] },
    };
  }

  private async queueLength(
    queue: QueueRef,
    config: SqsQueueLengthConfig,
    attributeNames: QueueAttributeName[],
    now: number,
    signal: AbortSignal,
  ): Promise<{ ok: true; value: number } | { ok: false; error: MetricError }> {
    let client: SQSClient;
    let url: string;
    try {
      client = this.clientFor(queue.region);
      url =
        queue.url ?? (await raceAbort(this.resolveUrl(client, queue, config.ownerAccountId, now), signal));
    } catch (error) {
      return { ok: false, error: toSqsMetricError(error, queue, 'GetQueueUrl') };
    }
    let attributes: Record<string, string> | undefined;
    try {
      const output = await raceAbort(
        client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: attributeNames }), {
          abortSignal: signal,
        }),
        signal,
      );
      attributes = output.Attributes;
    } catch (error) {
      const mapped = toSqsMetricError(error, queue, 'GetQueueAttributes');
      if (mapped.reason === 'NotFound' && !queue.url)
        this.urls.delete(this.urlKey(queue, config.ownerAccountId));
      return { ok: false, error: mapped };
    }
    let sum = 0;
    for (const attribute of attributeNames) {
      const raw = attributes?.[attribute];
      const count = raw === undefined ? Number.NaN : Number(raw);
      if (raw === undefined || raw.trim() === '' || !Number.isSafeInteger(count) || count < 0)
        return {
          ok: false,
          error: new MetricError(
            'Invalid',
            `SQS GetQueueAttributes for queue ${queue.url ?? queue.name} in ${queue.region}: ${attribute} is ${raw === undefined ? 'missing' : JSON.stringify(raw)}, not a count`,
          ),
        };
      sum += count;
    }
    return { ok: true, value: sum };
  }

  private urlKey(queue: QueueRef, owner: string | undefined): string {
    return `${queue.region}\u0000${owner ?? ''}\u0000${queue.name}`;
  }

  /** The queue's URL, from the cache or GetQueueUrl (one call per queue however many requests wait). */
  private resolveUrl(
    client: SQSClient,
    queue: QueueRef,
    owner: string | undefined,
    now: number,
  ): Promise<string> {
    const key = this.urlKey(queue, owner);
    const cached = this.urls.get(key);
    const fresh =
      cached !== undefined &&
      (cached.resolvedAt === undefined ||
        (now >= cached.resolvedAt && now - cached.resolvedAt < QUEUE_URL_CACHE_TTL_MS));
    if (fresh) return cached.url;
    const entry: CachedUrl = {
      // Shared by every request for this queue, so not bound to one request's signal; bounded by the timeout.
      url: client
        .send(
          new GetQueueUrlCommand(
            owner ? { QueueName: queue.name, QueueOwnerAWSAccountId: owner } : { QueueName: queue.name },
          ),
          { abortSignal: AbortSignal.timeout(this.timeoutMs) },
        )
        .then((output) => {
          if (!output.QueueUrl)
            throw new MetricError('Invalid', `SQS GetQueueUrl for ${queue.name} returned no URL`);
          entry.resolvedAt = now;
          return output.QueueUrl;
        }),
    };
    entry.url.catch(() => {
      if (this.urls.get(key) === entry) this.urls.delete(key);
    });
    this.urls.set(key, entry);
    return entry.url;
  }
}
