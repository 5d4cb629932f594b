import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { isThrottle } from '../../../shared/adapters/aws/errors';
import { AutoScalingError } from '../../../shared/ports/auto-scaling';
import type { Ec2Error } from '../../../shared/ports/ec2';
import { ConflictError } from '../../../shared/ports/kubernetes';
import { ApiCallRecorder } from '../../../shared/sim/api-calls';
import {
  describeFault,
  type FaultWindowRecord,
  faultSummaryLines,
  type ScenarioFault,
  scheduleFaults,
} from '../../../shared/sim/faults';
import { kubernetesMethodsOf } from '../../../shared/sim/faults-windows';
import type { Scenario } from '../../../shared/sim/scenario';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';
import { START } from './fixtures';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const GROUP = 'default-a';

function scenario(faults: ScenarioFault[]): Scenario {
  return {
    name: 'faults',
    description: 'a small cluster for fault windows',
    clusterName: 'faults',
    seed: 3,
    start: START,
    utcOffsetMinutes: 120,
    durationMs: 2 * HOUR_MS,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 5 * MINUTE_MS,
    nodeGroups: [
      {
        name: GROUP,
        minSize: 1,
        maxSize: 5,
        desiredCapacity: 1,
        availabilityZones: ['eu-central-1a'],
        instanceType: 'm5.xlarge',
        capacityType: 'on-demand',
      },
    ],
    services: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 2,
        containers: [{ name: 'web', requests: { cpu: '250m', memory: '256Mi' } }],
        load: { kind: 'constant', rps: 20 },
        cost: { cpuBaseMillis: 10, cpuMillisPerRps: 1, memoryBaseMi: 100, memoryMiPerRps: 0 },
      },
    ],
    faults,
  };
}

function at(world: SimWorld, minutes: number): void {
  world.clock.advanceTo(START + minutes * MINUTE_MS);
  world.reconcile();
}

function windowOf(world: SimWorld, index = 0): FaultWindowRecord {
  const effect = world.appliedFaults()[index]?.effect;
  if (!effect || !('failures' in effect)) throw new Error('no window record');
  return effect;
}

describe('aws-throttling fault', () => {
  const throttling: ScenarioFault = {
    kind: 'aws-throttling',
    atMs: 10 * MINUTE_MS,
    durationMs: 20 * MINUTE_MS,
    apis: ['SetDesiredCapacity', 'DescribeInstanceTypes'],
  };

  it('should answer the named APIs with Throttled for the window only, counting each refused call', async () => {
    const world = createSimWorld(scenario([throttling]));
    at(world, 5);
    await world.cloud.setDesiredCapacity(GROUP, 2);

    at(world, 10);
    const refused = world.cloud.setDesiredCapacity(GROUP, 3);
    await expect(refused).rejects.toBeInstanceOf(AutoScalingError);
    await expect(refused).rejects.toMatchObject({ reason: 'Throttled', message: 'Rate exceeded' });
    await expect(world.ec2.describeInstanceTypes(['m5.large'])).rejects.toMatchObject({
      reason: 'Throttled',
    } satisfies Partial<Ec2Error>);
    // Other APIs of the same service answer as usual.
    expect(await world.cloud.describeGroups([GROUP])).toMatchObject([{ desiredCapacity: 2 }]);

    at(world, 29);
    await expect(world.cloud.setDesiredCapacity(GROUP, 3)).rejects.toMatchObject({ reason: 'Throttled' });
    at(world, 30);
    await world.cloud.setDesiredCapacity(GROUP, 3);
    expect((await world.cloud.describeGroups([GROUP]))[0]?.desiredCapacity).toBe(3);

    expect(windowOf(world).failures).toEqual({ SetDesiredCapacity: 2, DescribeInstanceTypes: 1 });
    // The refused requests went out: Auto Scaling counted them.
    expect(world.cloud.stats().calls.setDesiredCapacity).toBe(4);
    expect(world.faultEffects.failedCalls()).toBe(3);
  });

  it('should throttle CloudWatch and SQS as the SDK does, so the collectors see a throttle', async () => {
    const world = createSimWorld(
      scenario([
        {
          kind: 'aws-throttling',
          atMs: 0,
          durationMs: HOUR_MS,
          apis: ['GetMetricData', 'GetQueueAttributes'],
        },
      ]),
    );
    const now = new Date(START);
    const metrics = world.cloudwatch
      .client('eu-central-1')
      .send(new GetMetricDataCommand({ MetricDataQueries: [], StartTime: now, EndTime: now }));
    await expect(metrics).rejects.toMatchObject({ name: 'Throttling' });
    await metrics.catch((error: unknown) => expect(isThrottle(error)).toBe(true));
    const queue = world.sqs
      .client('eu-central-1')
      .send(
        new GetQueueAttributesCommand({ QueueUrl: 'https://sqs.example/orders', AttributeNames: ['All'] }),
      );
    await queue.catch((error: unknown) => expect(isThrottle(error)).toBe(true));
    expect(windowOf(world).failures).toEqual({ GetMetricData: 1, GetQueueAttributes: 1 });
  });

  it('given an API of a service the scenario does not simulate, should say so in the fault’s description', () => {
    const world = createSimWorld(
      scenario([
        { kind: 'aws-throttling', atMs: 0, durationMs: HOUR_MS, apis: ['RequestServiceQuotaIncrease'] },
      ]),
    );
    expect(world.appliedFaults()[0]?.description).toBe(
      'AWS throttles RequestServiceQuotaIncrease for 60 min (not simulated here: RequestServiceQuotaIncrease)',
    );
  });
});

describe('api-errors fault', () => {
  it('should fail the named method with the chosen error for the window only', async () => {
    const world = createSimWorld(
      scenario([
        {
          kind: 'api-errors',
          atMs: 0,
          durationMs: 10 * MINUTE_MS,
          methods: ['updateScale'],
          error: 'conflict',
        },
      ]),
    );
    const target = { namespace: 'shop', apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
    const scale = await world.cluster.getScale(target);
    await expect(world.cluster.updateScale(target, 3, scale?.resourceVersion ?? '')).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await world.cluster.listPods()).not.toHaveLength(0);
    at(world, 10);
    const fresh = await world.cluster.getScale(target);
    expect((await world.cluster.updateScale(target, 3, fresh?.resourceVersion ?? '')).specReplicas).toBe(3);
    expect(windowOf(world).failures).toEqual({ updateScale: 1 });
  });

  it('given an HTTP verb, should fail every method sending it, the VPA port’s included', async () => {
    const world = createSimWorld(
      scenario([{ kind: 'api-errors', atMs: 0, durationMs: 10 * MINUTE_MS, methods: ['GET'] }]),
    );
    await expect(world.cluster.listPods()).rejects.toThrow('HTTP 500');
    await expect(world.cluster.listNodes()).rejects.toThrow('HTTP 500');
    await expect(world.vpas.listVerticalPodAutoscalers()).rejects.toThrow('HTTP 500');
    await world.cluster.createEvent({
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      type: 'Normal',
      reason: 'Test',
      message: 'POST is not a GET',
      time: START,
      reportingComponent: 'test',
    });
    expect(windowOf(world).failures).toEqual({
      listPods: 1,
      listNodes: 1,
      listVerticalPodAutoscalers: 1,
    });
    expect(kubernetesMethodsOf(['PATCH'])).toEqual([
      'setNodeTaint',
      'patchWorkloadResources',
      'resizePodResources',
    ]);
    expect(kubernetesMethodsOf(['listPods', 'nope'])).toBeUndefined();
  });
});

describe('fault windows on the call recorder', () => {
  it('should drop a failure whose error function has run its course and go on to the next one armed', () => {
    const api = new ApiCallRecorder();
    let open = true;
    api.failNext('m', Number.POSITIVE_INFINITY, () => (open ? new Error('window') : undefined));
    api.failNext('m', 1, new Error('after'));
    expect(() => api.call('m', 'r')).toThrow('window');
    expect(() => api.call('m', 'r')).toThrow('window');
    open = false;
    expect(() => api.call('m', 'r')).toThrow('after');
    expect(() => api.call('m', 'r')).not.toThrow();
    expect(api.stats().calls.m).toBe(4);
  });
});

describe('fault checks and descriptions', () => {
  it.each([
    [
      { kind: 'aws-throttling', atMs: 0, durationMs: 60_000, apis: ['DescribeEverything'] },
      /unknown AWS API DescribeEverything/,
    ],
    [
      { kind: 'aws-throttling', atMs: 0, durationMs: 0, apis: ['SetDesiredCapacity'] },
      /durationMs 0 must be > 0/,
    ],
    [{ kind: 'api-errors', atMs: 0, durationMs: 60_000, methods: ['getPods'] }, /unknown method in getPods/],
    [{ kind: 'lambda-crash', atMs: 0, loop: 'hpa', afterCalls: -1 }, /afterCalls -1 must be an integer ≥ 0/],
    [{ kind: 'lambda-crash', atMs: 0, loop: 'hpa', invocations: 0 }, /invocations 0 must be an integer ≥ 1/],
  ] as [ScenarioFault, RegExp][])('should refuse %j when the world is built', (fault, message) => {
    expect(() => scheduleFaults([fault], HOUR_MS)).toThrow(message);
  });

  it('should describe the new kinds in a few words', () => {
    expect(
      describeFault({
        kind: 'api-errors',
        atMs: 0,
        durationMs: 90_000,
        methods: ['evictPod'],
        error: 'too-many-requests',
      }),
    ).toBe('Kubernetes API calls of evictPod fail (too-many-requests) for 90 s');
    expect(describeFault({ kind: 'lambda-crash', atMs: 0, loop: 'vpa', afterCalls: 0 })).toBe(
      'the next invocation of the vpa Lambda dies before its first port call',
    );
    expect(
      describeFault({ kind: 'lambda-crash', atMs: 0, loop: 'hpa', afterCalls: 12, invocations: 3 }),
    ).toBe('the next 3 invocations of the hpa Lambda die after their 12th port call');
  });

  it('should summarise what a window did, at the local time it opened', async () => {
    const world = createSimWorld(
      scenario([
        {
          kind: 'aws-throttling',
          atMs: 30 * MINUTE_MS,
          durationMs: 5 * MINUTE_MS,
          apis: ['SetDesiredCapacity'],
        },
      ]),
    );
    at(world, 30);
    await world.cloud.setDesiredCapacity(GROUP, 2).catch(() => undefined);
    await world.cloud.setDesiredCapacity(GROUP, 2).catch(() => undefined);
    expect(faultSummaryLines(world.appliedFaults(), 120)).toEqual([
      '10:30 AWS throttles SetDesiredCapacity for 5 min: 2 calls throttled',
    ]);
  });
});
