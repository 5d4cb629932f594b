import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `tideplane quotas plan --fixtures`: the quota loop in dry run against the recorded account
// test/fixtures/quotas/123456789012-eu-central-1.json and the config next to it; no AWS calls.

const CONFIG = 'test/fixtures/quotas/config.yaml';
const FIXTURES = 'test/fixtures/quotas';
const RECORDING = join(FIXTURES, '123456789012-eu-central-1.json');

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', 'quotas', 'plan', ...args], {
    encoding: 'utf8',
  });

/** The table's rows, split into cells on runs of two or more spaces. */
function rows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('quota '));
  const body: string[][] = [];
  for (const line of lines.slice(header + 1)) {
    if (!/^L-[0-9A-F]{8} /.test(line)) break;
    body.push(line.split(/ {2,}/));
  }
  return body;
}

const dir = mkdtempSync(join(tmpdir(), 'tideplane-quotas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tideplane quotas plan --fixtures', () => {
  it('given the recorded account, should print demand, applied, usage, open request and action per quota and file nothing', () => {
    const before = readFileSync(RECORDING, 'utf8');
    const run = tideplane('--config', CONFIG, '--fixtures', FIXTURES);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      `account 123456789012, eu-central-1: dry run, recorded 2026-11-24T06:00Z (${RECORDING})`,
    );
    expect(lines[1]?.split(/ {2,}/)).toEqual([
      'quota',
      'unit',
      'demand',
      'required',
      'applied',
      'usage',
      'open request',
      'action',
    ]);
    expect(rows(run.stdout)).toEqual([
      // 3 × 40 × 16 (default) + 3 × 10 × 32 (compute) + (3 + 1) × 32 (control plane up to m7i.8xlarge).
      ['L-1216C47A Standard on-demand', 'vCPUs', '3008', '3610', '1536', '1192', '-', 'request 3610'],
      // The request the loop filed two days before is still pending: wait, never a second one.
      [
        'L-34B43A08 Standard spot',
        'vCPUs',
        '1440',
        '1728',
        '1280',
        '608',
        'd2b7e93a… 1728 PENDING 1d 23h',
        'wait: AWS has not answered',
      ],
      // 288 (gpu) + 64 (the tag-discovered inference pool); AWS denied 346 yesterday.
      [
        'L-DB2E81BA G and VT on-demand',
        'vCPUs',
        '352',
        '423',
        '64 (AWS default)',
        '56',
        '-',
        'blocked: denied, no new request before 2026-11-30T16:45Z ALARM',
      ],
      [
        'L-C4BD4855 P5 spot',
        'vCPUs',
        '384',
        '461',
        '0 (AWS default)',
        '-',
        '-',
        'blocked: the cap allows nothing above applied (set maxRequestValues.L-C4BD4855) ALARM',
      ],
      // 264 nodes × a 100 GiB root volume.
      [
        'L-7A658B76 Storage for General Purpose SSD (gp3) volumes',
        'TiB',
        '25.78',
        '31',
        '50 (AWS default)',
        '-',
        '-',
        'ok',
      ],
    ]);
    expect(lines).toContain(
      '5 quotas: 1 request, 1 wait, 2 blocked, 1 ok; required = demand + 20 % headroom, rounded up',
    );
    expect(lines).toContain(
      '  L-DB2E81BA G and VT on-demand: DENIED the request for 346 vCPUs (case 17319652078)',
    );
    const problems = lines.indexOf('demand problems (not counted above):');
    expect(lines.slice(problems + 1, problems + 3)).toEqual([
      '  ml-1, system: vCPUs of m6i.8xl unknown (not in DescribeInstanceTypes); not counted',
      '  ml-1, training: no vCPU quota for spot p6-b200.48xlarge: only P2–P5 have a known Spot quota (L-7212CCBC, L-C4BD4855)',
    ]);
    expect(lines).toContain('quota codes: 19 of 19 confirmed by name (ListServiceQuotas)');
    expect(lines).toContain('filed: nothing (dry run)');
    expect(readFileSync(RECORDING, 'utf8')).toBe(before);
  });

  it('given --json, should print the run results: dry run, nothing filed, no record written', () => {
    const run = tideplane('--config', CONFIG, '--fixtures', FIXTURES, '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(run.stdout) as {
      accountId: string;
      region: string;
      dryRun: boolean;
      decisions: { quotaCode: string; action: { kind: string; desiredValue?: number } }[];
      filed: unknown[];
      failures: unknown[];
      counts: { requests: number; recordWrites: number };
    }[];
    expect(results).toHaveLength(1);
    const [result] = results;
    expect(result).toMatchObject({ accountId: '123456789012', region: 'eu-central-1', dryRun: true });
    expect(result?.filed).toEqual([]);
    expect(result?.failures).toEqual([]);
    expect(result?.counts).toMatchObject({ requests: 0, recordWrites: 0 });
    expect(result?.decisions.map((d) => [d.quotaCode, d.action.kind, d.action.desiredValue])).toEqual([
      ['L-1216C47A', 'request', 3610],
      ['L-34B43A08', 'wait', undefined],
      ['L-DB2E81BA', 'blocked', undefined],
      ['L-C4BD4855', 'blocked', undefined],
      ['L-7A658B76', 'ok', undefined],
    ]);
  });

  it('given a recording with an unknown request status, should name the file and the field and exit 1', () => {
    const recording = JSON.parse(readFileSync(RECORDING, 'utf8')) as { requests: { status: string }[] };
    const broken = join(dir, 'broken');
    const request = recording.requests[0];
    if (!request) throw new Error('the recording has no requests');
    request.status = 'WAITING';
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, '123456789012-eu-central-1.json'), JSON.stringify(recording));
    const run = tideplane('--config', CONFIG, '--fixtures', broken);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `${join(broken, '123456789012-eu-central-1.json')}: requests[0].status: Invalid option`,
    );
  });

  it('given a recording without a quota the config needs, should plan the rest, list the failure and exit 1', () => {
    const recording = JSON.parse(readFileSync(RECORDING, 'utf8')) as { quotas: { code: string }[] };
    recording.quotas = recording.quotas.filter((quota) => quota.code !== 'L-7A658B76');
    const partial = join(dir, 'partial');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, '123456789012-eu-central-1.json'), JSON.stringify(recording));
    const run = tideplane('--config', CONFIG, '--fixtures', partial);
    expect(run.status).toBe(1);
    expect(rows(run.stdout).map((row) => row[0])).toEqual([
      'L-1216C47A Standard on-demand',
      'L-34B43A08 Standard spot',
      'L-DB2E81BA G and VT on-demand',
      'L-C4BD4855 P5 spot',
    ]);
    expect(run.stdout).toContain(
      'failures:\n  applied ebs/L-7A658B76: NoSuchResource: GetAWSDefaultServiceQuota ebs/L-7A658B76: not in the recording\n',
    );
    expect(run.stderr).toBe('quotas plan: incomplete, 1 step(s) failed (listed under "failures")\n');
  });

  it('given a directory without the account’s recording, should say which file is missing and exit 1', () => {
    const run = tideplane('--config', CONFIG, '--fixtures', dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `no recording of account 123456789012 in eu-central-1: ${join(dir, '123456789012-eu-central-1.json')} does not exist`,
    );
  });

  it('given an invalid config, should print its problems with their paths and exit 1', () => {
    const config = join(dir, 'invalid.yaml');
    writeFileSync(
      config,
      readFileSync(CONFIG, 'utf8').replace('headroomFraction: 0.2', 'headroomFraction: -1'),
    );
    const run = tideplane('--config', config, '--fixtures', FIXTURES);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${config}: accounts[0].regions[0].quotas.headroomFraction:`);
  });

  it('given a region the config does not have, should name the ones it has and exit 1', () => {
    const run = tideplane('--config', CONFIG, '--fixtures', FIXTURES, '--region', 'eu-west-1');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'no quota region matches --region eu-west-1; the config has: 123456789012 eu-central-1',
    );
  });
});
