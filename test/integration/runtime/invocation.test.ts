import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { hpaSettingsSchema } from '../../../shared/config/hpa-settings';
import type { ResolvedCluster } from '../../../shared/config/load';
import { clusterSchema } from '../../../shared/config/schema';
import { silentLogger } from '../../../shared/ports/logger';
import { runHpaInvocation } from '../../../shared/runtime/hpa-invocation';
import { runUnderLease } from '../../../shared/runtime/invocation';
import { FakeClock } from '../../support/fake-clock';

const START = Date.UTC(2026, 10, 25, 12, 0, 0);
const LAMBDA_TIMEOUT_MS = 70_000;

let dynamo: LocalDynamo;
let clock: FakeClock;
let state: DynamoDbStateStore;
let cluster: string;
let clusterCount = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(() => {
  clock = new FakeClock(START);
  state = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  cluster = `kube-${++clusterCount}`;
});

const deadline = () => {
  const end = clock.now() + LAMBDA_TIMEOUT_MS;
  return () => end - clock.now();
};

/** A 10-minute invocation of owner `slow` ticking every 15 s, for the tests whose ticks outlast the lease. */
const slowInvocation = () => ({
  cluster,
  loop: 'hpa',
  owner: 'slow',
  state,
  clock,
  log: silentLogger,
  intervalMs: 15_000,
  remainingMs: () => 10 * 60_000,
});

describe('runUnderLease', () => {
  it('given a 70 s invocation and a 15 s interval, should tick at 0, 15, 30 and 45 s and then free the lease', async () => {
    const tickTimes: number[] = [];
    const result = await runUnderLease({
      cluster,
      loop: 'hpa',
      owner: 'invocation-1',
      state,
      clock,
      log: silentLogger,
      intervalMs: 15_000,
      remainingMs: deadline(),
      tick: async () => {
        tickTimes.push(clock.now() - START);
        clock.advance(1_000); // a tick takes a second
      },
    });
    expect(result.status).toBe('ran');
    expect(tickTimes).toEqual([0, 15_000, 30_000, 45_000]);
    // The last tick ends at 46 s; a fifth at 60 s would leave less than margin + interval before 70 s.
    expect(await state.acquireLease(cluster, 'hpa', 'invocation-2', 30_000)).toBeDefined();
  });

  it('given another invocation holds the lease, should not tick at all', async () => {
    await state.acquireLease(cluster, 'hpa', 'invocation-1', 45_000);
    const tick = vi.fn(async () => undefined);
    const result = await runUnderLease({
      cluster,
      loop: 'hpa',
      owner: 'invocation-2',
      state,
      clock,
      log: silentLogger,
      intervalMs: 15_000,
      remainingMs: deadline(),
      tick,
    });
    expect(result).toEqual({ status: 'lease-held', ticks: [] });
    expect(tick).not.toHaveBeenCalled();
  });

  it('given the lease was taken over during a long tick, should stop instead of racing the new holder', async () => {
    let ticks = 0;
    const result = await runUnderLease({
      ...slowInvocation(),
      tick: async () => {
        ticks++;
        clock.advance(60_000); // longer than the lease (2 intervals + grace)
        await state.acquireLease(cluster, 'hpa', 'newcomer', 45_000);
      },
    });
    expect(result.status).toBe('ran');
    expect(ticks).toBe(1);
    const holder = await state.get(cluster, 'lease#hpa');
    expect(holder?.data).toMatchObject({ owner: 'newcomer' });
  });

  it('given the lease lapsed and another invocation held it between two ticks, should tell the next tick', async () => {
    const unbroken: boolean[] = [];
    await runUnderLease({
      ...slowInvocation(),
      maxTicks: 4,
      tick: async (index, leaseUnbroken) => {
        unbroken.push(leaseUnbroken);
        if (index !== 1) return;
        // A slow tick: the lease lapses, a newcomer takes it, ticks and lets it go before this one renews.
        clock.advance(60_000);
        const newcomer = await state.acquireLease(cluster, 'hpa', 'newcomer', 45_000);
        if (newcomer) await state.releaseLease(newcomer);
      },
    });
    expect(unbroken).toEqual([true, true, false, true]);
  });

  it('given maxTicks, should stop after that many', async () => {
    const result = await runUnderLease({
      cluster,
      loop: 'hpa',
      owner: 'console',
      state,
      clock,
      log: silentLogger,
      intervalMs: 15_000,
      remainingMs: deadline(),
      maxTicks: 2,
      tick: async (index) => index,
    });
    expect(result).toEqual({ status: 'ran', ticks: [0, 1] });
  });
});

describe('runHpaInvocation', () => {
  const config = (overrides: Record<string, unknown> = {}): ResolvedCluster => ({
    accountId: '123456789012',
    region: 'eu-central-1',
    cluster: clusterSchema.parse({
      name: cluster,
      access: {
        kind: 'token',
        endpoint: 'https://kube.example',
        secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:t-AbCdEf',
      },
      ...overrides,
    }),
    hpa: hpaSettingsSchema.parse({}),
  });
  const invoke = (event: unknown, resolved = config()) => {
    const connect = vi.fn(async () => {
      throw new Error('must not connect');
    });
    const response = runHpaInvocation(event, {
      config: resolved,
      connect,
      state,
      clock,
      log: silentLogger,
      owner: 'request-1',
      remainingMs: deadline(),
    });
    return { response, connect };
  };

  it.each([
    [{ cluster: 5 }, 'cluster: Invalid input: expected string, received number'],
    [{}, 'cluster: Invalid input: expected string, received undefined'],
    [{ cluster: 'x', bogus: 1 }, 'Unrecognized key: "bogus"'],
    [{ cluster: 'x', ticks: 0 }, 'ticks:'],
    [{ cluster: 'x', autoscaler: 'no-slash' }, 'autoscaler: namespace/name'],
    ['{"cluster": "x"}', 'expected object'],
  ])(
    'given the invalid event %j, should name the problem and not touch the cluster',
    async (event, message) => {
      const { response, connect } = invoke(event);
      const result = await response;
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toContain(message);
      expect(connect).not.toHaveBeenCalled();
      expect(await state.query(cluster)).toEqual([]);
    },
  );

  it('given an event for another cluster, should refuse it', async () => {
    const { response, connect } = invoke({ cluster: 'someone-else', dryRun: true });
    expect(await response).toEqual({
      ok: false,
      error: `cluster: this function serves "${cluster}", not "someone-else"`,
    });
    expect(connect).not.toHaveBeenCalled();
  });

  it('given another invocation holds the lease, should not even connect to the cluster', async () => {
    await state.acquireLease(cluster, 'hpa', 'someone-else', 45_000);
    const { response, connect } = invoke({ cluster, dryRun: true });
    expect(await response).toMatchObject({ ok: true, status: 'lease-held', ticks: [] });
    expect(connect).not.toHaveBeenCalled();
  });

  it('given the cluster is switched off, should report that and do nothing', async () => {
    const { response, connect } = invoke({ cluster }, config({ enabled: false }));
    const result = await response;
    expect(result).toMatchObject({ ok: true, status: 'disabled', ticks: [] });
    expect(result.ok && result.summary).toContain('the cluster is disabled');
    expect(connect).not.toHaveBeenCalled();
  });
});
