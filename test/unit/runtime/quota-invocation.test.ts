/**
 * The quota function's invocation (shared/runtime/quota-invocation.ts): refusals before anything is
 * touched, the lease, the console summary, the EMF lines the CDK alarm reads, and the environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeQuotaRegion } from '../../../shared/config/quota-region';
import { QUOTA_STATE_PARTITION } from '../../../shared/quotas/request-record';
import {
  publishQuotaMetrics,
  QUOTA_LOOP,
  type QuotaInvocationDeps,
  readQuotaEnvironment,
  runQuotaInvocation,
} from '../../../shared/runtime/quota-invocation';
import { ACCOUNT, QuotaWorld, quotaRegion, REGION, STANDARD } from '../../support/quota-fakes';

const EVENT = { quotas: `${ACCOUNT}/${REGION}` };

function deps(world: QuotaWorld, region = quotaRegion()): QuotaInvocationDeps {
  return { ...world.deps(), region, owner: 'request-1', remainingMs: () => 300_000 };
}

function awsCalls(world: QuotaWorld): number {
  return world.serviceQuotas.calls.length + world.autoScaling.calls.length + world.ec2.calls.length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runQuotaInvocation', () => {
  it.each([
    [undefined, '(event)'],
    [{}, 'quotas'],
    [{ quotas: 'eu-central-1' }, 'quotas: an account id and region like 123456789012/eu-central-1'],
    [{ ...EVENT, dryRun: 'yes' }, 'dryRun'],
    [{ ...EVENT, cluster: 'kube-1' }, 'cluster'],
  ])('given the event %j, should refuse it before any call', async (event, problem) => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation(event, deps(world));
    expect(response.ok).toBe(false);
    if (response.ok) return;
    expect(response.error).toContain('invalid event');
    expect(response.error).toContain(problem);
    expect(awsCalls(world)).toBe(0);
    expect(await world.state.query(QUOTA_STATE_PARTITION)).toEqual([]);
  });

  it.each([
    ['another region', `${ACCOUNT}/us-east-1`],
    ['another account', `210987654321/${REGION}`],
  ])('given %s, should refuse it', async (_, quotas) => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation({ quotas }, deps(world));
    expect(response).toEqual({
      ok: false,
      error: `quotas: this function serves "${ACCOUNT}/${REGION}", not "${quotas}"`,
    });
    expect(awsCalls(world)).toBe(0);
  });

  it('given another invocation holds the lease, should do nothing', async () => {
    const world = new QuotaWorld();
    await world.state.acquireLease(QUOTA_STATE_PARTITION, QUOTA_LOOP, 'request-0', 60_000);
    const response = await runQuotaInvocation(EVENT, deps(world));
    expect(response).toMatchObject({ ok: true, status: 'lease-held' });
    expect(awsCalls(world)).toBe(0);
    expect(world.serviceQuotas.requests(STANDARD)).toEqual([]);
  });

  it('given a valid event, should run once under the lease, release it and summarize', async () => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation(EVENT, deps(world));
    if (!response.ok) throw new Error(response.error);
    expect(response.status).toBe('ran');
    expect(response.result?.filed).toHaveLength(1);
    expect(response.summary).toContain(
      `${ACCOUNT}/${REGION} @ 2026-01-05T06:00:00.000Z: 1 quota(s), 1 request(s)`,
    );
    expect(response.summary).toContain(`${STANDARD} Running On-Demand Standard`);
    expect(response.summary).toContain(`filed ec2/${STANDARD} for 1152: request req-1`);
    // Released: another owner takes it at once.
    expect(
      await world.state.acquireLease(QUOTA_STATE_PARTITION, QUOTA_LOOP, 'request-2', 60_000),
    ).toBeDefined();
  });

  it('given dryRun in the event, should file nothing', async () => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation({ ...EVENT, dryRun: true }, deps(world));
    expect(response).toMatchObject({ ok: true, status: 'ran', dryRun: true });
    expect(world.serviceQuotas.count('requestIncrease')).toBe(0);
    if (response.ok) expect(response.summary).toContain('(dry run: nothing filed or written)');
  });

  it('given the loop disabled, should say so and call nothing', async () => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation(EVENT, deps(world, quotaRegion({ enabled: false })));
    expect(response).toMatchObject({ ok: true, status: 'disabled' });
    expect(awsCalls(world)).toBe(0);
  });

  it('given the loop throws, should still release the lease', async () => {
    const world = new QuotaWorld();
    world.state.query = async () => {
      throw new Error('DynamoDB unavailable');
    };
    await expect(runQuotaInvocation(EVENT, deps(world))).rejects.toThrow('DynamoDB unavailable');
    expect(
      await world.state.acquireLease(QUOTA_STATE_PARTITION, QUOTA_LOOP, 'request-2', 60_000),
    ).toBeDefined();
  });
});

describe('publishQuotaMetrics', () => {
  it('should print one ratio per quota by Region and QuotaCode, and the alarms by Region alone', async () => {
    const world = new QuotaWorld();
    const response = await runQuotaInvocation({ ...EVENT, dryRun: true }, deps(world));
    if (!response.ok || !response.result) throw new Error('expected a run');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    publishQuotaMetrics(
      new Metrics({ namespace: 'Tideplane', serviceName: 'tideplane-quotas' }),
      response.result,
    );
    vi.restoreAllMocks();

    const records = lines
      .map((line) => line.trim())
      .filter((line) => line.startsWith('{') && line.includes('_aws'))
      .map(
        (line) =>
          JSON.parse(line) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
          },
      );
    expect(records).toHaveLength(2);
    const [ratio, alarms] = records;
    expect(ratio).toMatchObject({ Region: REGION, QuotaCode: STANDARD, QuotaDemandRatio: 3 });
    expect(ratio?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Tideplane',
      Dimensions: [['Region', 'QuotaCode']],
    });
    // Dry run: the request is not filed, so 960 of 320 is an alarm.
    expect(alarms).toMatchObject({ Region: REGION, QuotaAlarms: 1 });
    expect(alarms?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Region']]);
    expect(alarms).not.toHaveProperty('service');
  });
});

describe('readQuotaEnvironment', () => {
  const directory = mkdtempSync(join(tmpdir(), 'quota-env-'));
  const regionFile = join(directory, 'quota-region');
  writeFileSync(regionFile, encodeQuotaRegion(quotaRegion()));
  const env = {
    TIDEPLANE_TABLE: 'tideplane-state',
    TIDEPLANE_QUOTA_REGION_FILE: regionFile,
    AWS_REGION: 'eu-west-1',
  };

  it('given the CDK environment and its layer file, should give table, function region and the served region', () => {
    const read = readQuotaEnvironment(env);
    expect(read.tableName).toBe('tideplane-state');
    expect(read.functionRegion).toBe('eu-west-1');
    expect(read.region).toEqual(quotaRegion());
  });

  it('given a missing variable, should name it', () => {
    expect(() => readQuotaEnvironment({ ...env, TIDEPLANE_TABLE: undefined })).toThrow(
      "the quota function's environment lacks TIDEPLANE_TABLE",
    );
  });

  it('given no file where the variable points (no layer), should name the file', () => {
    const missing = join(directory, 'absent');
    expect(() => readQuotaEnvironment({ ...env, TIDEPLANE_QUOTA_REGION_FILE: missing })).toThrow(
      `TIDEPLANE_QUOTA_REGION_FILE ${missing} cannot be read (is the region layer attached?)`,
    );
  });

  it('given a file that is not what encodeQuotaRegion makes, should say which', () => {
    const broken = join(directory, 'broken');
    writeFileSync(broken, 'not gzip');
    expect(() => readQuotaEnvironment({ ...env, TIDEPLANE_QUOTA_REGION_FILE: broken })).toThrow(
      `TIDEPLANE_QUOTA_REGION_FILE ${broken}: the quota region is not gzipped, base64-encoded JSON`,
    );
  });
});
