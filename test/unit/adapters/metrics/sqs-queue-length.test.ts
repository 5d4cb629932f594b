import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import {
  parseSqsQueueLengthConfig,
  QUEUE_URL_CACHE_TTL_MS,
  regionOfQueueUrl,
  SQS_QUEUE_LENGTH_TIMEOUT_MS,
  SqsQueueLengthCollector,
} from '../../../../shared/adapters/metrics/sqs-queue-length';

const sqs = mockClient(SQSClient);
const NOW = Date.UTC(2024, 4, 1, 12, 7, 42);
const ACCOUNT = '123456789012';
const urlOf = (name: string, region = 'eu-central-1') =>
  `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${name}`;

function request(config: Record<string, string>, now = NOW): CollectorRequest {
  return { type: 'External', namespace: 'shop', metricName: 'sqs-queue-length', config, now };
}

function collector(timeoutMs?: number) {
  const regions: string[] = [];
  const c = new SqsQueueLengthCollector({
    clientFor: (region) => {
      regions.push(region);
      return new SQSClient({ region });
    },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { c, regions };
}

const signal = () => new AbortController().signal;

/** GetQueueUrl answers the regional URL; GetQueueAttributes answers `counts[url]`. */
function serve(counts: Record<string, Record<string, string>>) {
  sqs
    .on(GetQueueUrlCommand)
    .callsFake(async (input: { QueueName: string }) => ({ QueueUrl: urlOf(input.QueueName) }));
  sqs
    .on(GetQueueAttributesCommand)
    .callsFake(async (input: { QueueUrl: string; AttributeNames: string[] }) => {
      const all = counts[input.QueueUrl] ?? {};
      return {
        Attributes: Object.fromEntries(input.AttributeNames.map((a) => [a, all[a]]).filter(([, v]) => v)),
      };
    });
}

const attributeCalls = () => sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input);
const urlCalls = () => sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input);

beforeEach(() => {
  sqs.reset();
});
afterAll(() => {
  sqs.restore();
});

describe('SqsQueueLengthCollector', () => {
  it('is kube-metrics-adapter’s sqs-queue-length with a named default timeout', () => {
    const { c } = collector();
    expect(c.name).toBe('sqs-queue-length');
    expect(c.timeoutMs).toBe(SQS_QUEUE_LENGTH_TIMEOUT_MS);
    expect(collector(1234).c.timeoutMs).toBe(1234);
  });

  it('resolves the queue by name and reads ApproximateNumberOfMessages, in milli-units', async () => {
    serve({
      [urlOf('orders')]: { ApproximateNumberOfMessages: '42', ApproximateNumberOfMessagesNotVisible: '7' },
    });
    const { c, regions } = collector();
    const result = await c.collect(request({ 'queue-name': 'orders', region: 'eu-central-1' }), signal());
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 42_000, timestamp: NOW }] },
    });
    expect(urlCalls()).toEqual([{ QueueName: 'orders' }]);
    expect(attributeCalls()).toEqual([
      { QueueUrl: urlOf('orders'), AttributeNames: ['ApproximateNumberOfMessages'] },
    ]);
    expect(regions).toEqual(['eu-central-1']);
  });

  it('adds in-flight (and delayed) messages when configured', async () => {
    serve({
      [urlOf('orders')]: {
        ApproximateNumberOfMessages: '10',
        ApproximateNumberOfMessagesNotVisible: '5',
        ApproximateNumberOfMessagesDelayed: '2',
      },
    });
    const { c } = collector();
    const inFlight = await c.collect(
      request({ 'queue-name': 'orders', region: 'eu-central-1', 'include-in-flight': 'true' }),
      signal(),
    );
    expect(inFlight.ok && inFlight.value.kind === 'scalar' && inFlight.value.values[0]?.milliValue).toBe(
      15_000,
    );
    const all = await c.collect(
      request({
        'queue-name': 'orders',
        region: 'eu-central-1',
        'include-in-flight': 'TRUE',
        'include-delayed': 'true',
      }),
      signal(),
    );
    expect(all.ok && all.value.kind === 'scalar' && all.value.values[0]?.milliValue).toBe(17_000);
    expect(attributeCalls()).toEqual([
      {
        QueueUrl: urlOf('orders'),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      },
      {
        QueueUrl: urlOf('orders'),
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      },
    ]);
  });

  it('sums several queues, by name and by URL (the URL names its own region, no GetQueueUrl)', async () => {
    const other = urlOf('audit', 'eu-west-1');
    serve({
      [urlOf('orders')]: { ApproximateNumberOfMessages: '3' },
      [urlOf('refunds')]: { ApproximateNumberOfMessages: '4' },
      [other]: { ApproximateNumberOfMessages: '5' },
    });
    const { c, regions } = collector();
    const result = await c.collect(
      request({ 'queue-name': 'orders, refunds', 'queue-url': other, region: 'eu-central-1' }),
      signal(),
    );
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 12_000, timestamp: NOW }] },
    });
    expect(urlCalls()).toEqual([{ QueueName: 'orders' }, { QueueName: 'refunds' }]);
    expect(
      attributeCalls()
        .map((i) => i.QueueUrl)
        .sort(),
    ).toEqual([urlOf('orders'), urlOf('refunds'), other].sort());
    expect(new Set(regions)).toEqual(new Set(['eu-central-1', 'eu-west-1']));
  });

  it('fails the whole metric when one of several queues fails (never a partial sum)', async () => {
    serve({ [urlOf('orders')]: { ApproximateNumberOfMessages: '3' } });
    sqs
      .on(GetQueueUrlCommand, { QueueName: 'gone' })
      .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
    const { c } = collector();
    const result = await c.collect(
      request({ 'queue-name': 'orders,gone', region: 'eu-central-1' }),
      signal(),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.reason).toBe('NotFound');
    expect(!result.ok && result.error.message).toContain('gone');
  });

  it('caches the queue URL per name and region (one GetQueueUrl for concurrent and later requests) until the TTL', async () => {
    serve({ [urlOf('orders')]: { ApproximateNumberOfMessages: '1' } });
    const { c } = collector();
    const config = { 'queue-name': 'orders', region: 'eu-central-1' };
    await Promise.all([c.collect(request(config), signal()), c.collect(request(config), signal())]);
    await c.collect(request(config, NOW + 60_000), signal());
    expect(urlCalls()).toHaveLength(1);
    expect(attributeCalls()).toHaveLength(3);
    await c.collect(request({ ...config, region: 'eu-west-1' }), signal());
    expect(urlCalls()).toHaveLength(2);
    await c.collect(request(config, NOW + QUEUE_URL_CACHE_TTL_MS), signal());
    expect(urlCalls()).toHaveLength(3);
  });

  it('forgets a cached URL when the queue no longer exists', async () => {
    serve({});
    sqs
      .on(GetQueueAttributesCommand)
      .rejectsOnce(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }))
      .resolves({ Attributes: { ApproximateNumberOfMessages: '9' } });
    const { c } = collector();
    const config = { 'queue-name': 'orders', region: 'eu-central-1' };
    const first = await c.collect(request(config), signal());
    expect(!first.ok && first.error.reason).toBe('NotFound');
    expect(!first.ok && first.error.message).toBe('SQS queue orders does not exist in eu-central-1');
    const second = await c.collect(request(config), signal());
    expect(second.ok).toBe(true);
    expect(urlCalls()).toHaveLength(2);
  });

  it('does not cache a failed GetQueueUrl', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .rejectsOnce(
        new SQSServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .resolves({ QueueUrl: urlOf('orders') });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    const { c } = collector();
    const config = { 'queue-name': 'orders', region: 'eu-central-1' };
    expect((await c.collect(request(config), signal())).ok).toBe(false);
    expect((await c.collect(request(config), signal())).ok).toBe(true);
  });

  it('accepts KEDA’s aws-sqs-queue keys unchanged, with KEDA’s default of counting in-flight messages', async () => {
    serve({
      [urlOf('orders')]: { ApproximateNumberOfMessages: '10', ApproximateNumberOfMessagesNotVisible: '5' },
    });
    const { c } = collector();
    const keda = await c.collect(
      request({ queueURL: urlOf('orders'), awsRegion: 'eu-central-1', queueLength: '5' }),
      signal(),
    );
    expect(keda.ok && keda.value.kind === 'scalar' && keda.value.values[0]?.milliValue).toBe(15_000);
    const visibleOnly = await c.collect(
      request({ queueURL: urlOf('orders'), awsRegion: 'eu-central-1', scaleOnInFlight: 'false' }),
      signal(),
    );
    expect(
      visibleOnly.ok && visibleOnly.value.kind === 'scalar' && visibleOnly.value.values[0]?.milliValue,
    ).toBe(10_000);
    expect(urlCalls()).toEqual([]);
  });

  it('counts a length at or below KEDA’s activation threshold as 0, and the real length above it', async () => {
    const valueAt = async (messages: string, key: string) => {
      serve({ [urlOf('orders')]: { ApproximateNumberOfMessages: messages } });
      const { c } = collector();
      const result = await c.collect(request({ 'queue-url': urlOf('orders'), [key]: '5' }), signal());
      return result.ok && result.value.kind === 'scalar' ? result.value.values[0]?.milliValue : result;
    };
    expect(await valueAt('5', 'activation-queue-length')).toBe(0);
    expect(await valueAt('6', 'activation-queue-length')).toBe(6_000);
    expect(await valueAt('3', 'activationQueueLength')).toBe(0);
    const { c } = collector();
    const bad = await c.collect(
      request({ 'queue-url': urlOf('orders'), 'activation-queue-length': 'few' }),
      signal(),
    );
    expect(!bad.ok && bad.error.reason).toBe('Invalid');
    expect(!bad.ok && bad.error.message).toContain('activation-queue-length');
  });

  it('maps errors: QueueDoesNotExist → NotFound, AccessDenied → Forbidden, throttling → Unavailable', async () => {
    const { c } = collector();
    const config = { 'queue-name': 'orders', region: 'eu-central-1' };
    sqs
      .on(GetQueueUrlCommand)
      .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
    const notFound = await c.collect(request(config), signal());
    expect(!notFound.ok && [notFound.error.reason, notFound.error.message]).toEqual([
      'NotFound',
      'SQS queue orders does not exist in eu-central-1',
    ]);

    sqs.reset();
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: urlOf('orders') });
    sqs.on(GetQueueAttributesCommand).rejects(
      new SQSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform: sqs:getqueueattributes',
      }),
    );
    const forbidden = await c.collect(request(config), signal());
    expect(!forbidden.ok && forbidden.error.reason).toBe('Forbidden');
    expect(!forbidden.ok && forbidden.error.message).toContain('sqs:getqueueattributes');

    sqs.reset();
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: urlOf('orders') });
    sqs.on(GetQueueAttributesCommand).rejects(
      new SQSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const throttled = await c.collect(request(config), signal());
    expect(!throttled.ok && throttled.error.reason).toBe('Unavailable');
    expect(!throttled.ok && throttled.error.message).toContain('throttled');
  });

  it('gives Timeout when its signal aborts, even if the SDK call lingers', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: urlOf('orders') });
    sqs.on(GetQueueAttributesCommand).callsFake(() => new Promise(() => {}));
    const { c } = collector();
    const controller = new AbortController();
    const pending = c.collect(request({ 'queue-name': 'orders', region: 'eu-central-1' }), controller.signal);
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const result = await pending;
    expect(!result.ok && result.error.reason).toBe('Timeout');
    const options = sqs.commandCalls(GetQueueAttributesCommand)[0]?.args as unknown[];
    expect((options[1] as { abortSignal?: AbortSignal }).abortSignal?.aborted).toBe(true);
  });

  it('rejects a non-count attribute and per-pod use', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: 'lots' } });
    const { c } = collector();
    const bad = await c.collect(request({ 'queue-name': urlOf('orders') }), signal());
    expect(!bad.ok && bad.error.reason).toBe('Invalid');
    const pods = await c.collect(
      { ...request({ 'queue-name': 'orders', region: 'eu-central-1' }), type: 'Pods' },
      signal(),
    );
    expect(!pods.ok && pods.error.reason).toBe('Invalid');
  });

  it.each([
    [{ region: 'eu-central-1' }, 'queue-name is not set'],
    [{ 'queue-name': 'orders' }, 'region is not set'],
    [{ 'queue-name': 'orders', region: 'eu-central-1', 'include-in-flight': 'yes' }, 'include-in-flight'],
    [{ 'queue-name': 'bad name', region: 'eu-central-1' }, 'queue-name'],
    [
      { 'queue-name': 'orders', region: 'eu-central-1', awsRegion: 'us-east-1' },
      'region and awsRegion disagree',
    ],
  ])('rejects the configuration %j, naming the key', async (config, text) => {
    const result = await collector().c.collect(request(config), signal());
    expect(!result.ok && result.error.reason).toBe('Invalid');
    expect(!result.ok && result.error.message).toContain(text);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('reads the region from queue URLs', () => {
    expect(regionOfQueueUrl('https://sqs.us-east-1.amazonaws.com/123456789012/q')).toBe('us-east-1');
    expect(regionOfQueueUrl('https://eu-west-1.queue.amazonaws.com/123456789012/q')).toBe('eu-west-1');
    expect(regionOfQueueUrl('http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q')).toBe(
      'us-east-1',
    );
    expect(regionOfQueueUrl('https://vpce-1.example.com/123456789012/q')).toBeUndefined();
    expect(
      parseSqsQueueLengthConfig({ 'queue-name': 'https://vpce-1.example.com/1/q', region: 'eu-north-1' })
        .queues,
    ).toEqual([{ name: 'q', url: 'https://vpce-1.example.com/1/q', region: 'eu-north-1' }]);
  });

  it('keys the cache on everything the fetch depends on', () => {
    const { c } = collector();
    const base = { 'queue-name': 'orders', region: 'eu-central-1' };
    expect(c.cacheKey(request(base))).toBe(c.cacheKey(request({ ...base }, NOW + 5_000)));
    expect(c.cacheKey(request(base))).not.toBe(c.cacheKey(request({ ...base, 'include-in-flight': 'true' })));
    expect(c.cacheKey(request(base))).not.toBe(c.cacheKey(request({ ...base, region: 'eu-west-1' })));
  });
});
