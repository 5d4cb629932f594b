import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  QueueDoesNotExist,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  QUEUE_URL_CACHE_TTL_MS,
  SqsQueueLengthCollector,
} from '../../../shared/adapters/metrics/sqs-queue-length';
import { RECEIVE_BATCH_SIZE, SIM_AWS_ACCOUNT_ID, SimSqs } from '../../../shared/sim/sim-sqs';
import { smallCluster, workload } from './fixtures';

const REGION = 'eu-central-1';
const URL = `https://sqs.${REGION}.amazonaws.com/${SIM_AWS_ACCOUNT_ID}/orders`;

/** A consumer of 2 pods × 30 msg/s under 100 msg/s: the backlog grows by 40 messages a second. */
function setup() {
  const { clock, cluster } = smallCluster();
  cluster.addWorkload(
    workload({
      name: 'consumer',
      replicas: 2,
      load: () => 100,
      queue: { name: 'orders', capacityPerPod: 30 },
    }),
    { warm: true },
  );
  cluster.addWorkload(workload({ replicas: 2 }), { warm: true });
  const sqs = new SimSqs({ cluster, region: REGION });
  return { clock, cluster, sqs, consumer: () => cluster.workloadRecord('shop/consumer') };
}

const request = (config: Record<string, string>, now: number) => ({
  type: 'External' as const,
  namespace: 'shop',
  metricName: 'sqs-queue-length',
  config,
  now,
});

describe('SimSqs', () => {
  it('should resolve the URL of each queue worker’s queue and refuse other names, regions and accounts', async () => {
    const { sqs } = setup();
    const client = sqs.client(REGION);
    expect(sqs.queueNames()).toEqual(['orders']);
    expect(await client.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).toMatchObject({
      QueueUrl: URL,
    });
    expect(
      await client.send(
        new GetQueueUrlCommand({ QueueName: 'orders', QueueOwnerAWSAccountId: SIM_AWS_ACCOUNT_ID }),
      ),
    ).toMatchObject({ QueueUrl: URL });
    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'web' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
    await expect(
      sqs.client('us-east-1').send(new GetQueueUrlCommand({ QueueName: 'orders' })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(
      client.send(new GetQueueUrlCommand({ QueueName: 'orders', QueueOwnerAWSAccountId: '210987654321' })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    expect(sqs.stats().calls).toEqual({ GetQueueUrl: 5 });
    expect(sqs.stats().requests['GetQueueUrl eu-central-1/orders']).toBe(3);
  });

  it('should answer the backlog, the messages in flight and none delayed from the queue model', async () => {
    const { clock, cluster, sqs, consumer } = setup();
    clock.advance(60_000);
    const output = await sqs.client(REGION).send(
      new GetQueueAttributesCommand({
        QueueUrl: URL,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    // The call brought the cluster to the clock's time: 60 s of 40 messages a second more than served.
    const record = consumer();
    expect(record?.queueLength).toBeCloseTo(2400, 0);
    expect(output.Attributes).toEqual({
      ApproximateNumberOfMessages: '2400',
      ApproximateNumberOfMessagesNotVisible: String(Math.round((60 * RECEIVE_BATCH_SIZE) / 30)),
      ApproximateNumberOfMessagesDelayed: '0',
    });
    const all = await sqs
      .client(REGION)
      .send(new GetQueueAttributesCommand({ QueueUrl: URL, AttributeNames: ['All'] }));
    expect(all.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '2400',
      QueueArn: `arn:aws:sqs:${REGION}:${SIM_AWS_ACCOUNT_ID}:orders`,
    });
    await expect(
      sqs.client(REGION).send(new GetQueueAttributesCommand({ QueueUrl: URL, AttributeNames: ['Policy'] })),
    ).rejects.toBeInstanceOf(InvalidAttributeName);
    await expect(
      sqs
        .client(REGION)
        .send(new GetQueueAttributesCommand({ QueueUrl: `${URL}-dlq`, AttributeNames: ['All'] })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    // More consumers drain the backlog.
    cluster.setReplicas('shop', 'consumer', 8);
    for (let i = 0; i < 120; i++) {
      clock.advance(5_000);
      cluster.reconcile();
    }
    const drained = await sqs
      .client(REGION)
      .send(
        new GetQueueAttributesCommand({ QueueUrl: URL, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
    expect(drained.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('should serve the real sqs-queue-length collector, which resolves the URL once per cache period', async () => {
    const { clock, sqs } = setup();
    const collector = new SqsQueueLengthCollector({ clientFor: (region) => sqs.client(region) });
    const config = { 'queue-name': 'orders', region: REGION };
    clock.advance(30_000);
    const first = await collector.collect(request(config, clock.now()), new AbortController().signal);
    expect(first).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 1_200_000, timestamp: clock.now() }] },
    });
    for (let i = 0; i < 10; i++) {
      clock.advance(15_000);
      const result = await collector.collect(request(config, clock.now()), new AbortController().signal);
      expect(result.ok).toBe(true);
    }
    expect(sqs.stats().calls).toEqual({ GetQueueUrl: 1, GetQueueAttributes: 11 });
    clock.advance(QUEUE_URL_CACHE_TTL_MS);
    await collector.collect(request(config, clock.now()), new AbortController().signal);
    expect(sqs.stats().calls.GetQueueUrl).toBe(2);

    const inFlight = await collector.collect(
      request({ ...config, 'include-in-flight': 'true' }, clock.now()),
      new AbortController().signal,
    );
    expect(inFlight).toMatchObject({ ok: true });

    const missing = await collector.collect(
      request({ 'queue-name': 'nope', region: REGION }, clock.now()),
      new AbortController().signal,
    );
    expect(missing).toMatchObject({ ok: false, error: { reason: 'NotFound' } });
  });

  it('should fail armed calls, counted, and refuse an aborted request', async () => {
    const { sqs } = setup();
    const collector = new SqsQueueLengthCollector({ clientFor: (region) => sqs.client(region) });
    const config = { 'queue-name': 'orders', region: REGION };
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' });
    sqs.failNext('GetQueueAttributes', 1, throttled);
    expect(await collector.collect(request(config, 0), new AbortController().signal)).toMatchObject({
      ok: false,
      error: { reason: 'Unavailable' },
    });
    expect(await collector.collect(request(config, 0), new AbortController().signal)).toMatchObject({
      ok: true,
    });
    expect(sqs.stats().calls).toEqual({ GetQueueUrl: 1, GetQueueAttributes: 2 });
    await expect(
      sqs
        .client(REGION)
        .send(new GetQueueUrlCommand({ QueueName: 'orders' }), { abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    sqs.resetStats();
    expect(sqs.stats().totalCalls).toBe(0);
  });
});
