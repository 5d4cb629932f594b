import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsUsageMetrics } from '../../shared/adapters/aws/usage-metrics';
import type { UsageMetric } from '../../shared/ports/service-quotas';
import { systemClock } from '../../shared/runtime/system-clock';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The usage metrics adapter against moto's CloudWatch: GetMetricData over the query wire, with datapoints
// written by PutMetricData where AWS would publish them itself (AWS/Usage). moto keeps datapoints with the
// timestamps given, so the test writes them relative to the wall clock the adapter reads.

const MINUTE_MS = 60_000;

const vcpus = (capacityClass: string): UsageMetric => ({
  namespace: 'AWS/Usage',
  name: 'ResourceCount',
  dimensions: { Class: capacityClass, Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
  statistic: 'Maximum',
});

describe('AwsUsageMetrics against moto', () => {
  let moto: MotoServer;
  let cloudWatch: CloudWatchClient;
  let port: AwsUsageMetrics;

  const put = (metric: UsageMetric, points: [minutesAgo: number, value: number][]) =>
    cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: metric.namespace,
        MetricData: points.map(([minutesAgo, value]) => ({
          MetricName: metric.name,
          Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Timestamp: new Date(Date.now() - minutesAgo * MINUTE_MS),
          Value: value,
          Unit: 'None',
        })),
      }),
    );

  beforeAll(async () => {
    moto = await startMoto();
    cloudWatch = new CloudWatchClient(motoClientConfig(moto));
    port = new AwsUsageMetrics(cloudWatch, systemClock);
  });

  afterAll(async () => {
    cloudWatch?.destroy();
    await moto?.stop();
  });

  it('given datapoints within the hour, should answer the newest', async () => {
    await put(vcpus('Standard/OnDemand'), [
      [50, 100],
      [20, 180],
      [2, 212],
    ]);
    // Another class of the same metric must not leak in.
    await put(vcpus('Standard/Spot'), [[1, 999]]);
    expect(await port.usage(vcpus('Standard/OnDemand'))).toBe(212);
    expect(await port.usage(vcpus('Standard/Spot'))).toBe(999);
  });

  it('given datapoints older than the hour only, should answer undefined', async () => {
    await put(vcpus('G/OnDemand'), [[90, 64]]);
    expect(await port.usage(vcpus('G/OnDemand'))).toBeUndefined();
  });

  it('given a metric never published, should answer undefined', async () => {
    expect(await port.usage(vcpus('P/OnDemand'))).toBeUndefined();
  });
});
