/**
 * The AWS metric sources end to end on the simulator: over the morning ramp, a queue worker scales on
 * its SQS queue length and two web deployments on their ALB requests per second from CloudWatch, through
 * the real HPA loop (`runHpaTick` via `hpaController`), the real `MetricRouter` and the real
 * `sqs-queue-length` and `cloudwatch` collectors, talking to the simulated SQS and CloudWatch.
 */
import { describe, expect, it } from 'vitest';
import { QUEUE_URL_CACHE_TTL_MS } from '../../../shared/adapters/metrics/sqs-queue-length';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController, simMetricRouter } from '../../../shared/sim/hpa-controller';
import type { Scenario, ScenarioService } from '../../../shared/sim/scenario';
import { ALB_NAMESPACE, albLoadBalancerName, albTargetGroupName } from '../../../shared/sim/sim-cloudwatch';
import { createSimWorld } from '../../../shared/sim/world';
import { parseQuantityNumber } from '../../../shared/units/quantity';

const REGION = 'eu-central-1';
const CLUSTER = 'sim-metric-sources';
/** Tuesday 3 June 2025, 05:30 CEST: the night trough is over, the morning ramp is about to start. */
const START = Date.UTC(2025, 5, 3, 3, 30);
const DURATION_MS = 4 * 3_600_000;
const TICK_MS = 15_000;

const cost = { cpuBaseMillis: 30, cpuMillisPerRps: 1, memoryBaseMi: 150, memoryMiPerRps: 0.02 };
const containers = (name: string) => [{ name, requests: { cpu: '500m', memory: '256Mi' } }];
const cpu80 = {
  type: 'Resource' as const,
  resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization: 80 } },
};

/** `metric-config` annotations for ALB requests per second of a target group (see default-day.ts). */
function albRps(metric: string, name: string, which: 'RequestCount' | 'RequestCountPerTarget') {
  const prefix = `metric-config.external.${metric}.cloudwatch`;
  return {
    [`${prefix}/region`]: REGION,
    [`${prefix}/namespace`]: ALB_NAMESPACE,
    [`${prefix}/metric-name`]: which,
    [`${prefix}/dimension-TargetGroup`]: albTargetGroupName('shop', name),
    ...(which === 'RequestCount'
      ? { [`${prefix}/dimension-LoadBalancer`]: albLoadBalancerName(CLUSTER) }
      : {}),
    [`${prefix}/statistic`]: 'Sum',
    [`${prefix}/period`]: '60',
    [`${prefix}/expression`]: 'm1 / PERIOD(m1)',
  };
}

const services: ScenarioService[] = [
  {
    // Total requests per second of the target group, 150 per pod (CPU would allow ~370).
    namespace: 'shop',
    name: 'web',
    replicas: 6,
    containers: containers('web'),
    load: { kind: 'european-day', peakRps: 4000 },
    cost,
    autoscalerAnnotations: albRps('alb-requests', 'web', 'RequestCount'),
    autoscaler: {
      minReplicas: 2,
      maxReplicas: 40,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'alb-requests' },
            target: { type: 'AverageValue', averageValue: '150' },
          },
        },
        cpu80,
      ],
    },
  },
  {
    // Requests per healthy target: a Value target, and a scale-up window as long as the metric's lag.
    namespace: 'shop',
    name: 'api',
    replicas: 4,
    containers: containers('api'),
    load: { kind: 'european-day', peakRps: 2000 },
    cost,
    autoscalerAnnotations: albRps('alb-requests-per-target', 'api', 'RequestCountPerTarget'),
    autoscaler: {
      minReplicas: 2,
      maxReplicas: 40,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'alb-requests-per-target' },
            target: { type: 'Value', value: '100' },
          },
        },
        cpu80,
      ],
      behavior: { scaleUp: { stabilizationWindowSeconds: 180 } },
    },
  },
  {
    // A worker on its queue alone, as kube-metrics-adapter's README writes it (the `type` label), counting
    // the messages in flight too (KEDA's default): 8 per replica is a consumer busy 80 % of the time.
    namespace: 'shop',
    name: 'orders-worker',
    replicas: 8,
    containers: containers('worker'),
    // A batch job upstream doubles the flow for 20 minutes at 07:30.
    load: { kind: 'european-day', peakRps: 1500, bursts: [{ atHour: 7.5, durationMinutes: 20, factor: 2 }] },
    cost,
    queue: { name: 'orders', capacityPerPod: 50 },
    autoscalerAnnotations: {
      'metric-config.external.orders-queue.sqs-queue-length/include-in-flight': 'true',
    },
    autoscaler: {
      minReplicas: 2,
      maxReplicas: 40,
      metrics: [
        {
          type: 'External',
          external: {
            metric: {
              name: 'orders-queue',
              selector: {
                matchLabels: { type: 'sqs-queue-length', 'queue-name': 'orders', region: REGION },
              },
            },
            target: { type: 'AverageValue', averageValue: '8' },
          },
        },
      ],
    },
  },
];

const scenario: Scenario = {
  name: 'metric-sources-morning',
  description: 'A queue worker on SQS queue length and two web deployments on ALB requests per second',
  clusterName: CLUSTER,
  region: REGION,
  seed: 42,
  start: START,
  utcOffsetMinutes: 120,
  durationMs: DURATION_MS,
  tickIntervalMs: TICK_MS,
  sampleIntervalMs: 5 * 60_000,
  nodeGroups: [
    {
      name: 'general',
      minSize: 1,
      maxSize: 20,
      desiredCapacity: 12,
      availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
      instanceType: 'm5.2xlarge',
      capacityType: 'on-demand',
    },
  ],
  services,
};

describe('simulator e2e: SQS and ALB request metrics through the real HPA loop', () => {
  it('should scale a queue worker on SQS and web deployments on CloudWatch over the morning ramp', async () => {
    const world = createSimWorld(scenario);
    const router = simMetricRouter(world);
    const result = await runSimulation(world, {
      controllers: [hpaController(world, { metrics: router })],
      sampleIntervalMs: TICK_MS,
    });
    const ticks = DURATION_MS / TICK_MS;
    const [hpa] = result.controllers;
    expect(hpa).toMatchObject({ ticks, errors: 0, skipped: 0 });
    // The report counts the controller's AWS metric calls with its other metric requests.
    const metricRequests = Object.keys(result.api.metrics.requests);
    expect(metricRequests.some((key) => key.startsWith('sqs GetQueueAttributes'))).toBe(true);
    expect(metricRequests.some((key) => key.startsWith('cloudwatch GetMetricData'))).toBe(true);
    expect(hpa?.metricRequests).toBe(result.api.metrics.totalRequests);

    // Replicas follow the load: more at the end of the ramp than at its start.
    for (const key of ['shop/web', 'shop/api', 'shop/orders-worker']) {
      const series = result.series.services[key];
      const replicas = series?.specReplicas ?? [];
      const rps = series?.rps ?? [];
      expect(rps.at(-1) ?? 0, key).toBeGreaterThan(2 * (rps[0] ?? 0));
      expect(replicas.at(-1) ?? 0, key).toBeGreaterThan(2 * (replicas[0] ?? 0));
    }
    // The worker keeps up, the burst included: the backlog (sampled every tick) stays below a few seconds
    // of arrivals and is gone at the end.
    const backlog = result.series.services['shop/orders-worker']?.queueLength ?? [];
    const arrivals = result.series.services['shop/orders-worker']?.rps ?? [];
    expect(backlog.length).toBe(ticks + 1);
    backlog.forEach((messages, i) => {
      expect(messages).toBeLessThanOrEqual(5 * (arrivals[i] ?? 0));
    });
    expect(backlog.at(-1)).toBe(0);

    // SQS: the queue's attributes every tick, its URL once per cache period.
    const sqs = world.sqs.stats();
    expect(sqs.calls.GetQueueAttributes).toBe(ticks);
    expect(sqs.requests[`GetQueueUrl ${REGION}/orders`]).toBeLessThanOrEqual(
      Math.ceil(DURATION_MS / QUEUE_URL_CACHE_TTL_MS),
    );
    expect(Object.keys(sqs.requests).filter((r) => r.startsWith('GetQueueUrl'))).toEqual([
      `GetQueueUrl ${REGION}/orders`,
    ]);
    // CloudWatch: both web services' queries batched into one GetMetricData call a tick.
    const cloudwatch = world.cloudwatch.stats();
    expect(cloudwatch.calls.GetMetricData).toBeLessThanOrEqual(ticks);
    expect(cloudwatch.calls.GetMetricData).toBeGreaterThan(0);
    expect(world.cloudwatch.queryCount()).toBe(4 * (cloudwatch.calls.GetMetricData ?? 0));
    // The last tick: one fetch per collector, nothing for the Kubernetes metrics APIs.
    expect(router.stats()).toMatchObject({
      queries: 3,
      fetches: { 'sqs-queue-length': 1, cloudwatch: 2 },
      timeouts: {},
      invalid: 0,
    });
    expect(world.metrics.stats().totalCalls).toBe(0);

    // The autoscalers' statuses show the External metrics' values, close to what the world has.
    const status = (name: string) =>
      world.cluster.getAutoscaler('HorizontalAutoscaler', 'shop', name)?.status;
    const external = (name: string) =>
      status(name)?.currentMetrics?.find((m) => m.type === 'External')?.external;
    const workload = (name: string) => world.cluster.workloadRecord(`shop/${name}`);
    const now = world.clock.now();

    const web = external('web');
    expect(web?.metric.name).toBe('alb-requests');
    const webPerPod = parseQuantityNumber(web?.current.averageValue ?? 'NaN');
    const webRecord = workload('web');
    const webReady = webRecord?.readyReplicas ?? 0;
    expect(webPerPod * webReady).toBeGreaterThan(0.85 * (webRecord?.spec.load(now) ?? 0));
    expect(webPerPod * webReady).toBeLessThan(1.15 * (webRecord?.spec.load(now) ?? 0));

    const api = external('api');
    expect(api?.metric.name).toBe('alb-requests-per-target');
    const apiPerTarget = parseQuantityNumber(api?.current.value ?? 'NaN');
    const apiRecord = workload('api');
    expect(apiPerTarget).toBeGreaterThan(50);
    expect(apiPerTarget).toBeLessThan(150);
    expect(apiRecord?.specReplicas).toBeGreaterThanOrEqual(
      Math.ceil((apiRecord?.spec.load(now) ?? 0) / 100 / 1.25),
    );

    const worker = external('orders-worker');
    expect(worker?.metric).toMatchObject({
      name: 'orders-queue',
      selector: { matchLabels: { type: 'sqs-queue-length', 'queue-name': 'orders' } },
    });
    expect(parseQuantityNumber(worker?.current.averageValue ?? 'NaN')).toBeGreaterThan(4);
    expect(parseQuantityNumber(worker?.current.averageValue ?? 'NaN')).toBeLessThan(12);

    for (const name of ['web', 'api', 'orders-worker']) {
      expect(status(name)?.conditions, name).toContainEqual(
        expect.objectContaining({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' }),
      );
    }
  });
});
