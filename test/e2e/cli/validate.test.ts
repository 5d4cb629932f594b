import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', ...args], { encoding: 'utf8' });

const write = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tideplane-')), name);
  writeFileSync(path, text);
  return path;
};

describe('tideplane validate', () => {
  it('given the shipped example config, should accept it and list its clusters', () => {
    const run = tideplane('validate', 'infra/config/example.yaml');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('valid — 2 cluster(s)');
    expect(run.stdout).toContain('kube-prod-eks (eks) [dry-run]');
  });

  it('given a config with several mistakes, should print each with its path and exit 1', () => {
    const file = write(
      'bad.yaml',
      [
        'version: 1',
        'accounts:',
        '  - id: "1234"',
        '    regions:',
        '      - name: eu-central-1',
        '        clusters:',
        '          - name: prod',
        '            access: { kind: token, endpoint: "http://insecure", secretArn: nope }',
        '            hpa: { tolerance: 2 }',
        '          - name: prod',
        '            access: { kind: eks, clusterName: prod, endpoint: "https://x.example", caData: "Y2E=" }',
      ].join('\n'),
    );
    const run = tideplane('validate', file);
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${file}: accounts[0].id: a 12-digit AWS account id`,
        expect.stringMatching(/accounts\[0\]\.regions\[0\]\.clusters\[0\]\.access\.endpoint: /),
        `${file}: accounts[0].regions[0].clusters[0].access.secretArn: a Secrets Manager ARN`,
        expect.stringMatching(/accounts\[0\]\.regions\[0\]\.clusters\[0\]\.hpa\.tolerance: /),
        `${file}: accounts[0].regions[0].clusters[1].name: cluster name "prod" is already used at accounts[0].regions[0].clusters[0]`,
      ]),
    );
    expect(lines.at(-1)).toMatch(/^\d+ problem\(s\) found$/);
  });

  it('given a file that is not YAML, should say so', () => {
    const run = tideplane('validate', write('broken.yaml', 'version: [1'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('(file): not valid YAML or JSON');
  });
});
