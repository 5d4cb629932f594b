/**
 * Part of `npm run bench`: custom-metric fetches of one HPA tick with 1,000 autoscalers whose metrics
 * name 200 distinct CloudWatch queries and 200 distinct SQS queues, through the real loop, the real
 * MetricRouter and the real collectors on counting SDK clients (no network). Goal: 200 fetches per
 * source, not 1,000, and CloudWatch in ceil(queries / 500) GetMetricData calls.
 */

import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchCollector } from '../../shared/adapters/metrics/cloudwatch';
import { MetricRouter } from '../../shared/adapters/metrics/router';
import { SqsQueueLengthCollector } from '../../shared/adapters/metrics/sqs-queue-length';
import { hpaSettingsSchema } from '../../shared/config/hpa-settings';
import { runHpaTick } from '../../shared/loops/hpa-loop';
import { silentLogger } from '../../shared/ports/logger';
import { SimCluster } from '../../shared/sim/cluster';
import { SimMetrics } from '../../shared/sim/metrics';
import { SimStateStore } from '../../shared/sim/state-store';
import { VirtualClock } from '../../shared/sim/virtual-clock';
import { recordFigures } from './figures';

const AUTOSCALERS = 1_000;
const DISTINCT = 200;
const NAMESPACES = 20;
const REGION = 'eu-central-1';

/** A CloudWatch client that answers every query with one datapoint and counts its calls. */
class CountingCloudWatch extends CloudWatchClient {
  calls = 0;
  queries = 0;
  constructor() {
    super({ region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  }
  override async send(command: unknown): Promise<never> {
    if (!(command instanceof GetMetricDataCommand)) throw new Error('unexpected command');
    const input = command.input as GetMetricDataCommandInput;
    this.calls++;
    this.queries += input.MetricDataQueries?.length ?? 0;
    const end = input.EndTime as Date;
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        StatusCode: 'Complete',
        Timestamps: [new Date(end.getTime() - 60_000)],
        Values: [120],
      })),
    } as never;
  }
}

/** An SQS client with every queue holding 50 messages, counting its calls. */
class CountingSqs extends SQSClient {
  urlCalls = 0;
  attributeCalls = 0;
  constructor() {
    super({ region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  }
  override async send(command: unknown): Promise<never> {
    if (command instanceof GetQueueUrlCommand) {
      this.urlCalls++;
      return {
        QueueUrl: `https://sqs.${REGION}.amazonaws.com/123456789012/${command.input.QueueName}`,
      } as never;
    }
    if (command instanceof GetQueueAttributesCommand) {
      this.attributeCalls++;
      return { Attributes: { ApproximateNumberOfMessages: '50' } } as never;
    }
    throw new Error('unexpected command');
  }
}

const clock = new VirtualClock(Date.UTC(2026, 10, 25, 8, 0, 0));
const cluster = new SimCluster({ clock, seed: 11 });
for (let n = 0; n < 40; n++)
  cluster.addNode({ name: `node-${n}`, capacity: { cpu: '64', memory: '256Gi', pods: '110' } });
for (let i = 0; i < AUTOSCALERS; i++) {
  const namespace = `team-${i % NAMESPACES}`;
  const name = `svc-${i}`;
  const shared = i % DISTINCT;
  cluster.addWorkload(
    {
      namespace,
      name,
      replicas: 2,
      containers: [{ name: 'app', requests: { cpu: '100m', memory: '128Mi' } }],
      load: () => 10,
      cost: { cpuBaseMillis: 0, cpuMillisPerRps: 5, memoryBaseMi: 64, memoryMiPerRps: 0 },
      noise: 0,
    },
    { warm: true },
  );
  cluster.addAutoscaler({
    namespace,
    name,
    annotations: {
      'metric-config.external.alb-requests.cloudwatch/region': REGION,
      'metric-config.external.alb-requests.cloudwatch/namespace': 'AWS/ApplicationELB',
      'metric-config.external.alb-requests.cloudwatch/metric-name': 'RequestCountPerTarget',
      'metric-config.external.alb-requests.cloudwatch/dimension-TargetGroup': `targetgroup/shared-${shared}/0123456789abcdef`,
      'metric-config.external.alb-requests.cloudwatch/statistic': 'Sum',
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'alb-requests' },
            target: { type: 'AverageValue', averageValue: '100' },
          },
        },
        {
          type: 'External',
          external: {
            metric: {
              name: 'sqs-queue-length',
              selector: { matchLabels: { 'queue-name': `jobs-${shared}`, region: REGION } },
            },
            target: { type: 'AverageValue', averageValue: '30' },
          },
        },
      ],
    },
  });
}

const cloudwatch = new CountingCloudWatch();
const sqs = new CountingSqs();
const router = new MetricRouter({
  collectors: [
    new CloudWatchCollector({ clientFor: () => cloudwatch }),
    new SqsQueueLengthCollector({ clientFor: () => sqs }),
  ],
  fallback: new SimMetrics(cluster),
  clock,
});
const state = new SimStateStore(clock);
const settings = hpaSettingsSchema.parse({});

const tick = async () => {
  clock.advance(15_000);
  cluster.sync();
  return runHpaTick({
    cluster: 'bench',
    kubernetes: cluster,
    metrics: router,
    state,
    clock,
    log: silentLogger,
    settings,
    dryRun: false,
  });
};

const first = await tick();
const firstStats = router.stats();
const firstCloudWatch = { calls: cloudwatch.calls, queries: cloudwatch.queries };
const firstSqs = { url: sqs.urlCalls, attributes: sqs.attributeCalls };
await tick();
const second = router.stats();

console.log(
  `Metric fetches per tick (${AUTOSCALERS} HPAs, ${DISTINCT} distinct CloudWatch queries and ${DISTINCT} distinct queues)`,
);
console.log(
  `  first tick: ${firstStats.queries} metric queries, ${firstStats.cacheHits} answered from the tick cache, ` +
    `fetches ${JSON.stringify(firstStats.fetches)}; blocked autoscalers ${first.counts.blocked}`,
);
console.log(
  `  CloudWatch: ${firstCloudWatch.calls} GetMetricData call(s) for ${firstCloudWatch.queries} queries ` +
    `(ceil(${DISTINCT}/500) = ${Math.ceil(DISTINCT / 500)})`,
);
console.log(`  SQS: ${firstSqs.attributes} GetQueueAttributes, ${firstSqs.url} GetQueueUrl (first tick)`);
console.log(
  `  second tick: fetches ${JSON.stringify(second.fetches)}; SQS GetQueueUrl total ${sqs.urlCalls} (URLs cached), ` +
    `GetMetricData total ${cloudwatch.calls}`,
);
recordFigures('metric sources', [
  {
    figure: `GetMetricData calls for ${DISTINCT} CloudWatch queries`,
    value: String(firstCloudWatch.calls),
    goal: `${Math.ceil(DISTINCT / 500)}`,
  },
  {
    figure: `metric queries answered from the tick cache, of ${firstStats.queries}`,
    value: String(firstStats.cacheHits),
  },
  { figure: 'SQS GetQueueUrl on the second tick', value: String(sqs.urlCalls - firstSqs.url), goal: '0' },
]);
