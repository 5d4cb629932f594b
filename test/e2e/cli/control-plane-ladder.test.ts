import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `tideplane control-plane ladder --offline` over the recorded eu-central-1 catalogue: no AWS calls.

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', 'control-plane', 'ladder', ...args], {
    encoding: 'utf8',
  });

/** The table's rows: rung, type, vCPU, memory GiB and the marks, split on runs of spaces. */
function rows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('rung'));
  const body: string[][] = [];
  for (const line of lines.slice(header + 1)) {
    if (!/^\s*\d+\s/.test(line)) break;
    body.push(line.trim().split(/\s{2,}/));
  }
  return body;
}

const ZONES = 'eu-central-1a,eu-central-1b,eu-central-1c';

const dir = mkdtempSync(join(tmpdir(), 'tideplane-ladder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tideplane control-plane ladder --offline', () => {
  it('given the m7i family, a current type and bounds, should print the rungs with the marks and the steps', () => {
    const run = tideplane(
      '--offline',
      '--region',
      'eu-central-1',
      '--zones',
      ZONES,
      '--families',
      'm7i',
      '--current',
      'm7i.xlarge',
      '--floor',
      'm7i.large',
      '--ceiling',
      'm7i.16xlarge',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      'control-plane ladder: eu-central-1, x86_64, zones eu-central-1a, eu-central-1b, eu-central-1c, ' +
        'families m7i, no burstable',
    );
    expect(run.stdout).toMatch(
      /^source: recorded \d{4}-\d{2}-\d{2} \(shared\/controlplane\/fixtures\/eu-central-1\.json\)$/m,
    );
    expect(rows(run.stdout)).toEqual([
      ['1', 'm7i.large', '2', '8', 'floor, down'],
      ['2', 'm7i.xlarge', '4', '16', 'current'],
      ['3', 'm7i.2xlarge', '8', '32', 'up'],
      ['4', 'm7i.4xlarge', '16', '64', 'up 2'],
      ['5', 'm7i.8xlarge', '32', '128'],
      ['6', 'm7i.12xlarge', '48', '192'],
      ['7', 'm7i.16xlarge', '64', '256', 'ceiling'],
      ['8', 'm7i.24xlarge', '96', '384'],
      ['9', 'm7i.48xlarge', '192', '768'],
    ]);
    expect(run.stdout).toContain('up from m7i.xlarge: m7i.2xlarge\n');
    expect(run.stdout).toContain('up 2 from m7i.xlarge (load far above the threshold): m7i.4xlarge\n');
    expect(run.stdout).toContain('down from m7i.xlarge: m7i.large\n');
  });

  it('given a current type off the ladder and --verbose, should place it and list what was left out and why', () => {
    const run = tideplane(
      '--offline',
      '--region',
      'eu-central-1',
      '--families',
      'm7i',
      '--current',
      'm6i.xlarge',
      '--verbose',
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'current m6i.xlarge is not on the ladder (previous generation): 4 vCPU, 16 GiB, same size as rung 2\n',
    );
    expect(run.stdout).toContain('up from m6i.xlarge: m7i.2xlarge\n');
    expect(run.stdout).toContain('down from m6i.xlarge: m7i.large\n');
    const leftOut = run.stdout.slice(run.stdout.indexOf('left out:'));
    expect(leftOut).toMatch(/^ {2}m7i\.metal-24xl +96 +384 +bare-metal +bare metal$/m);
    expect(leftOut).toMatch(
      /^ {2}m7i-flex\.xlarge +4 +16 +family-not-allowed +family m7i-flex is not in m7i$/m,
    );
    expect(leftOut).toMatch(/^ {2}t3\.xlarge +4 +16 +burstable /m);
  });

  it('given the top rung, should say there is nothing above', () => {
    const run = tideplane(
      '--offline',
      '--region',
      'eu-central-1',
      '--families',
      'm7i',
      '--current',
      'm7i.48xlarge',
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('up from m7i.48xlarge: none, already on the top rung\n');
    expect(run.stdout).toContain('down from m7i.48xlarge: m7i.24xlarge\n');
  });

  it('given a cluster’s controlPlane config, should take its families, bounds and jump', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'accounts:',
        '  - id: "123456789012"',
        '    regions:',
        '      - name: eu-central-1',
        '        clusters:',
        '          - name: kube-1',
        '            access: { kind: eks, clusterName: kube-1, endpoint: "https://x.example", caData: "Y2E=" }',
        '            controlPlane:',
        '              ec2: { asgs: [kube-1-control-plane], launchTemplateIds: [lt-0123456789abcdef0] }',
        '              ladder: { families: [m7g], floor: m7g.large, ceiling: m7g.4xlarge }',
        '              jumpSteps: 3',
        '          - name: kube-2',
        '            access: { kind: eks, clusterName: kube-2, endpoint: "https://x.example", caData: "Y2E=" }',
        '            controlPlane:',
        '              eks: {}',
        '              ladder: { floor: tier-xl, ceiling: tier-4xl }',
      ].join('\n'),
    );
    const ec2 = tideplane(
      '--offline',
      '--config',
      file,
      '--cluster',
      'kube-1',
      '--architecture',
      'arm64',
      '--current',
      'm7g.xlarge',
    );
    expect(ec2.stderr).toBe('');
    expect(rows(ec2.stdout).map((row) => [row[1], row[4] ?? ''])).toEqual([
      ['m7g.medium', ''],
      ['m7g.large', 'floor, down'],
      ['m7g.xlarge', 'current'],
      ['m7g.2xlarge', 'up'],
      ['m7g.4xlarge', 'ceiling, up 3'],
      ['m7g.8xlarge', ''],
      ['m7g.12xlarge', ''],
      ['m7g.16xlarge', ''],
    ]);
    expect(ec2.stdout).toContain(
      'up 3 from m7g.xlarge (load far above the threshold): m7g.4xlarge (held at the ceiling)\n',
    );

    const eks = tideplane('--config', file, '--cluster', 'kube-2', '--current', 'tier-xl');
    expect(eks.status).toBe(0);
    expect(rows(eks.stdout)).toEqual([
      ['1', 'standard'],
      ['2', 'tier-xl', 'current, floor'],
      ['3', 'tier-2xl', 'up'],
      ['4', 'tier-4xl', 'ceiling, up 2'],
      ['5', 'tier-8xl'],
    ]);
    expect(eks.stdout).toContain('down from tier-xl: none, already at the floor\n');
  });

  it('given a region without a recording, or a zone the region lacks, should refuse and exit 1', () => {
    const region = tideplane('--offline', '--region', 'us-east-1');
    expect(region.status).toBe(1);
    expect(region.stderr).toContain('no recorded instance types for us-east-1; recorded: eu-central-1');
    const zone = tideplane('--offline', '--region', 'eu-central-1', '--zones', 'eu-central-1a,eu-central-1d');
    expect(zone.status).toBe(1);
    expect(zone.stderr).toContain(
      'no instance type is offered in eu-central-1d: not a zone of eu-central-1?',
    );
  });

  it('given a current type the region does not know, should say so and exit 1', () => {
    const run = tideplane(
      '--offline',
      '--region',
      'eu-central-1',
      '--families',
      'm7i',
      '--current',
      'm9.huge',
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('current m9.huge: not an instance type of eu-central-1\n');
  });
});
