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
    expect(run.stdout).toContain('account platform-prod (123456789012): IAM roles 10 of the default 1,000\n');
    expect(run.stdout).toContain(
      '  eu-central-1: EventBridge rules on the default bus 4 of the default 300\n',
    );
  });

  it('given 100 clusters with node pools in one region, should say to raise the event bus’s rules first', () => {
    const clusters = Array.from({ length: 100 }, (_, i) =>
      [
        `          - name: kube-${i}`,
        `            access: { kind: eks, clusterName: kube-${i}, endpoint: "https://k${i}.example", caData: "Y2E=" }`,
        `            nodePools: { pools: [{ name: default, asgs: [kube-${i}-a] }] }`,
      ].join('\n'),
    );
    const file = write(
      'many.yaml',
      [
        'version: 1',
        'accounts:',
        '  - id: "123456789012"',
        '    regions:',
        '      - name: eu-west-1',
        '        clusters:',
        ...clusters,
      ].join('\n'),
    );
    const run = tideplane('validate', file);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      '  eu-west-1: EventBridge rules on the default bus 400 of the default 300: over it, raise "Rules per event bus" in Service Quotas before deploying',
    );
    expect(run.stdout).toContain('account 123456789012: IAM roles 300 of the default 1,000\n');
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
