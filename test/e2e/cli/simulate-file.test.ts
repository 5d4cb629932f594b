/**
 * `tideplane simulate <file>` end to end: the CLI reads a scenario file, runs its loops against the
 * simulator with state in dynalite, and prints what each injected fault did.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', ...args], { encoding: 'utf8' });

const scratch = () => mkdtempSync(join(tmpdir(), 'tideplane-scenario-'));

const TSX_CLI = 'node_modules/tsx/dist/cli.mjs';

/**
 * The machine's own `node` (Node 20 on a fresh machine), not the project's pinned one that npm scripts
 * put first on PATH; the pinned one when there is no other.
 */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return process.execPath;
}

describe('tideplane simulate <scenario file>', () => {
  it('given flaky-cloud.yaml for 90 minutes, should run it and show each fault’s effect', () => {
    const report = join(scratch(), 'report.html');
    const run = tideplane('simulate', 'scenarios/flaky-cloud.yaml', '--hours', '1.5', '--report', report);
    expect(run.stderr).not.toContain('problem');
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain('tideplane simulate: flaky-cloud — 1 services');
    expect(out).toMatch(/^flaky-cloud on flaky: 1h30 virtual/m);
    expect(out).toMatch(
      /^ {2}07:20 AWS throttles DescribeAutoScalingGroups, SetDesiredCapacity for 20 min: [1-9]\d* calls throttled/m,
    );
    expect(out).toMatch(
      /^ {2}07:30 the next invocation of the node-pools Lambda dies after its 2nd port call: died at 07:30 after port call 2 \(\S+\); recovered at \d\d:\d\d/m,
    );
    expect(out).toMatch(
      /^ {2}07:45 Kubernetes API calls of updateScale fail \(server-error\) for 10 min: [1-9]\d* calls failed/m,
    );
    expect(out).toMatch(
      /^ {2}08:00 the next 2 invocations of the hpa Lambda die after their 3rd port call: died at 08:00 after port call 3 \(\S+\); died at 08:00:15 after port call 3 \(\S+\); recovered at 08:00:30 \(15 s later\)/m,
    );
    // The ramp still got its pods and nodes, and nothing was lost.
    expect(out).toMatch(/goal pods lost 0: 0 .*✓/);
    expect(out).toMatch(/node pools: default 2–\d nodes; [1-9]\d* scale-ups/);
    expect(existsSync(report)).toBe(true);
  });

  it('given the tsx CLI under the machine’s own Node, should run the baseline’s worker too', () => {
    const node = machineNode();
    const report = join(scratch(), 'report.html');
    const run = spawnSync(
      node,
      [
        TSX_CLI,
        'shared/cli/main.ts',
        'simulate',
        'scenarios/flaky-cloud.yaml',
        '--hours',
        '0.5',
        '--report',
        report,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
    expect(run.status).toBe(0);
    // Both columns: the baseline ran on its worker thread.
    expect(run.stdout).toMatch(/^ {2}pods lost +0 +0 /m);
    expect(existsSync(report)).toBe(true);
  });

  it('given a file with mistakes, should print each with its path and run nothing', () => {
    const dir = scratch();
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: broken',
        'start: 2025-06-03T07:00:00+02:00',
        'duration: 2h',
        'cluster: { name: broken }',
        'services:',
        '  - namespace: shop',
        '    name: web',
        '    replicas: 1',
        '    containers: [{ name: web, requests: { cpu: 1 } }]',
        '    load: { kind: csv, file: missing.csv }',
        '    cost: { cpuBaseMillis: 1, cpuMillisPerRps: 1, memoryBaseMi: 1, memoryMiPerRps: 0 }',
        'faults:',
        '  - { kind: lambda-crash, at: 3h, loop: hpa }',
      ].join('\n'),
    );
    const report = join(dir, 'report.html');
    const run = tideplane('simulate', file, '--report', report);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^${file}: services\\[0\\]\\.load\\.file: cannot read missing\\.csv: ENOENT`),
      ),
      `${file}: faults[0].at: "3h" lies outside the scenario`,
      '2 problem(s) found; nothing was run',
    ]);
    expect(existsSync(report)).toBe(false);
  });

  it('given --check, should check a file or a built-in scenario without running it', () => {
    const file = tideplane('simulate', 'scenarios/queue-worker.yaml', '--check');
    expect(file.status).toBe(0);
    expect(file.stdout).toBe(
      'scenarios/queue-worker.yaml: valid — 2 services, 6 node groups, 1 fault(s), 24 h\n',
    );
    const builtIn = tideplane('simulate', '--scenario', 'capacity-shortage', '--check');
    expect(builtIn.status).toBe(0);
    expect(builtIn.stdout).toMatch(
      /^capacity-shortage: valid — \d+ services, \d+ node groups, 2 fault\(s\), 4 h/,
    );
    // What `npm start` runs when given no scenario: the full day, every loop on one big cluster.
    const byDefault = tideplane('simulate', '--check');
    expect(byDefault.status).toBe(0);
    expect(byDefault.stdout).toBe('full-day: valid — 246 services, 12 node groups, 4 fault(s), 24 h\n');
  });

  it('given an unknown name, or two different scenarios, should say so', () => {
    const unknown = tideplane('simulate', 'tuesday');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown scenario "tuesday"; known: default-day');
    const both = tideplane('simulate', 'default-day', '--scenario', 'vpa-day');
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('give the scenario once');
  });

  it('given --schema, should print the JSON Schema editors validate scenario files with', () => {
    const printed = tideplane('simulate', '--schema');
    expect(printed.status).toBe(0);
    const schema = JSON.parse(printed.stdout);
    expect(schema.title).toBe('tideplane scenario file (version 1)');
    expect(schema.required).toEqual(
      expect.arrayContaining(['version', 'name', 'start', 'duration', 'cluster']),
    );
    expect(schema).toEqual(JSON.parse(readFileSync('scenarios/scenario.schema.json', 'utf8')));
  });
});
