import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../shared/config/load';

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', ...args], { encoding: 'utf8' });

describe('tideplane network plan', () => {
  it('given a /16 and /25 node ranges, should print the plan with its neighbours and mark the chosen mask', () => {
    const run = tideplane('network', 'plan', '--cluster-cidr', '10.2.0.0/16', '--node-mask', '25');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('cluster CIDR 10.2.0.0/16, node ranges /25 (marked >)');
    expect(lines.find((l) => l.startsWith('>'))?.split(/\s+/)).toEqual([
      '>',
      '/25',
      '128',
      '64',
      '512',
      '32768',
    ]);
    expect(
      lines
        .find((l) => l.includes('/24'))
        ?.trim()
        .split(/\s+/),
    ).toEqual(['/24', '256', '110', '256', '28160']);
  });

  it('given a /27 without --allow-narrow, should refuse it and exit 1', () => {
    const run = tideplane('network', 'plan', '--cluster-cidr', '10.2.0.0/16', '--node-mask', '27');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ranges narrower than /26 need allowNarrowNodeCidr: true');
  });
});

describe('network limits in the deployment config', () => {
  const config = (network: string) =>
    parseConfigText(
      [
        'version: 1',
        'accounts:',
        '  - id: "123456789012"',
        '    regions:',
        '      - name: eu-central-1',
        '        clusters:',
        '          - name: kube-1',
        '            access: { kind: eks, clusterName: kube-1, endpoint: "https://x.example", caData: "Y2E=" }',
        `            network: ${network}`,
      ].join('\n'),
    );

  it('given a node mask narrower than /26, should report it at its path', () => {
    expect(config('{ clusterCidr: 10.2.0.0/16, nodeCidrMaskSize: 27 }')).toEqual({
      ok: false,
      problems: [
        {
          path: 'accounts[0].regions[0].clusters[0].network.nodeCidrMaskSize',
          message: '/27 gives 16 pods per node; ranges narrower than /26 need allowNarrowNodeCidr: true',
        },
      ],
    });
    expect(config('{ clusterCidr: 10.2.0.0/16, nodeCidrMaskSize: 27, allowNarrowNodeCidr: true }').ok).toBe(
      true,
    );
  });

  it('given more pods than a node range has addresses, should report maxPodsPerNode', () => {
    const result = config('{ clusterCidr: 10.2.0.0/16, nodeCidrMaskSize: 26, maxPodsPerNode: 100 }');
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual([
      'accounts[0].regions[0].clusters[0].network.maxPodsPerNode',
    ]);
  });
});
