/**
 * What a config's stacks take of account limits (shared/config/account-footprint.ts); the infra scale
 * test checks the same counts against synthesized templates.
 */
import { describe, expect, it } from 'vitest';
import { accountFootprints } from '../../../shared/config/account-footprint';
import { validateConfig } from '../../../shared/config/load';
import type { DeploymentConfig } from '../../../shared/config/schema';

const secretArn = (name: string) =>
  `arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/${name}`;
const hpaOnly = (name: string) => ({ name, access: { kind: 'kubeconfig', secretArn: secretArn(name) } });
const withPools = (name: string, asgs: string[], discoverByTags = false) => ({
  ...hpaOnly(name),
  nodePools: { discoverByTags, ...(asgs.length > 0 ? { pools: [{ name: 'default', asgs }] } : {}) },
});
const everyLoop = (name: string) => ({
  ...withPools(name, [`${name}-a`]),
  controlPlane: { eks: {} },
  vpa: {},
});

function parsed(document: unknown): DeploymentConfig {
  const result = validateConfig(document);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe('accountFootprints', () => {
  it('given clusters with different loops, should count a role per function, one for the schedules, and 4 rules where groups are', () => {
    const [account] = accountFootprints(
      parsed({
        version: 1,
        accounts: [
          {
            id: '123456789012',
            name: 'prod',
            regions: [
              {
                name: 'eu-central-1',
                clusters: [hpaOnly('a'), withPools('b', []), withPools('c', [], true), everyLoop('d')],
              },
            ],
          },
        ],
      }),
    );
    // a: 1+1; b: 2+1, no group so no rules; c: 2+1, discovers groups; d: 4+1.
    expect(account).toEqual({
      accountId: '123456789012',
      name: 'prod',
      iamRoles: 2 + 3 + 3 + 5,
      regions: [
        { region: 'eu-central-1', clusters: 4, iamRoles: 13, eventBusRules: 8, eventBusRulesDefault: 300 },
      ],
    });
  });

  it('given the quota loop and an account listed twice, should count the loop once per region and add the regions’ roles', () => {
    const footprints = accountFootprints(
      parsed({
        version: 1,
        accounts: [
          { id: '123456789012', regions: [{ name: 'eu-central-1', quotas: {}, clusters: [hpaOnly('a')] }] },
          { id: '123456789012', regions: [{ name: 'eu-south-1', clusters: [everyLoop('b')] }] },
          { id: '210987654321', regions: [{ name: 'eu-central-1', clusters: [hpaOnly('c')] }] },
        ],
      }),
    );
    expect(footprints.map((f) => [f.accountId, f.iamRoles])).toEqual([
      ['123456789012', 2 + 2 + 5],
      ['210987654321', 2],
    ]);
    // eu-south-1 takes 100 rules a bus by default, not 300.
    expect(
      footprints[0]?.regions.map((r) => [r.region, r.iamRoles, r.eventBusRules, r.eventBusRulesDefault]),
    ).toEqual([
      ['eu-central-1', 4, 0, 300],
      ['eu-south-1', 5, 4, 100],
    ]);
  });
});
