/**
 * What the quota function of an account and region gets from the config (shared/config/quota-region.ts):
 * which regions have one, their clusters, and the gzipped form that must fit Lambda's 4 KB environment.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../shared/config/load';
import { nodePoolsSchema } from '../../../shared/config/node-pools';
import {
  decodeQuotaRegion,
  encodeQuotaRegion,
  type QuotaRegion,
  quotaRegionsOf,
  withoutDefaults,
} from '../../../shared/config/quota-region';
import { quotasSchema } from '../../../shared/config/quotas';
import type { DeploymentConfig } from '../../../shared/config/schema';

function cluster(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    access: {
      kind: 'kubeconfig',
      secretArn: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/${name}-AbCdEf`,
    },
    ...extra,
  };
}

function config(document: unknown): DeploymentConfig {
  const result = validateConfig(document);
  if (!result.ok) throw new Error(`expected a valid config: ${JSON.stringify(result.problems)}`);
  return result.config;
}

const pools = (name: string) => ({
  nodePools: { pools: [{ name: 'default', asgs: [`${name}-a`, `${name}-b`], maxPerZone: 10 }] },
});

describe('quotaRegionsOf', () => {
  it('should pick the regions with quotas, with every cluster of them and only the demand sections', () => {
    const regions = quotaRegionsOf(
      config({
        version: 1,
        accounts: [
          {
            id: '123456789012',
            regions: [
              {
                name: 'eu-central-1',
                quotas: { headroomFraction: 0.5 },
                clusters: [cluster('kube-1', { ...pools('kube-1'), vpa: {} }), cluster('kube-2')],
              },
              { name: 'eu-west-1', clusters: [cluster('kube-3', pools('kube-3'))] },
            ],
          },
        ],
      }),
    );
    expect(regions.map((r) => `${r.accountId}/${r.region}`)).toEqual(['123456789012/eu-central-1']);
    const [region] = regions;
    expect(region?.quotas.headroomFraction).toBe(0.5);
    expect(region?.clusters.map((c) => c.name)).toEqual(['kube-1', 'kube-2']);
    expect(Object.keys(region?.clusters[0] ?? {})).toEqual(['name', 'nodePools']);
    expect(Object.keys(region?.clusters[1] ?? {})).toEqual(['name']);
  });

  it('should merge entries of the same account, taking the quota settings where they are given', () => {
    const regions = quotaRegionsOf(
      config({
        version: 1,
        accounts: [
          {
            id: '123456789012',
            name: 'prod-a',
            regions: [{ name: 'eu-central-1', clusters: [cluster('kube-1', pools('kube-1'))] }],
          },
          {
            id: '123456789012',
            name: 'prod-b',
            regions: [
              {
                name: 'eu-central-1',
                quotas: { dryRun: true },
                clusters: [cluster('kube-2', pools('kube-2'))],
              },
            ],
          },
          {
            id: '210987654321',
            regions: [{ name: 'eu-central-1', quotas: {}, clusters: [cluster('kube-9')] }],
          },
        ],
      }),
    );
    expect(regions.map((r) => [r.accountId, r.quotas.dryRun, r.clusters.map((c) => c.name)])).toEqual([
      ['123456789012', true, ['kube-1', 'kube-2']],
      ['210987654321', false, ['kube-9']],
    ]);
  });
});

describe('encodeQuotaRegion / decodeQuotaRegion', () => {
  const region = (): QuotaRegion => {
    const [first] = quotaRegionsOf(
      config({
        version: 1,
        accounts: [
          {
            id: '123456789012',
            regions: [
              {
                name: 'eu-central-1',
                quotas: {
                  maxRequestValues: { 'L-417A185B': 192 },
                  extraQuotas: [
                    { serviceCode: 'ec2', quotaCode: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs', demand: 5 },
                  ],
                },
                clusters: [
                  cluster('kube-1', {
                    ...pools('kube-1'),
                    controlPlane: {
                      ec2: { asgs: ['kube-1-masters'], launchTemplateIds: ['lt-0123456789abcdef0'] },
                      ladder: { ceiling: 'm7i.4xlarge' },
                    },
                  }),
                ],
              },
            ],
          },
        ],
      }),
    );
    if (!first) throw new Error('expected a quota region');
    return first;
  };

  it('should give back what it was given', () => {
    const original = region();
    const encoded = encodeQuotaRegion(original);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodeQuotaRegion(encoded)).toEqual(original);
  });

  it('given text that is not gzipped base64 JSON, should refuse it saying so', () => {
    expect(() => decodeQuotaRegion('{"accountId": "123456789012"}')).toThrow(
      /^the quota region is not gzipped, base64-encoded JSON: /,
    );
    expect(() => decodeQuotaRegion('')).toThrow(/not gzipped, base64-encoded JSON/);
  });

  it('given JSON that breaks the config schemas, should say where', () => {
    const broken = { ...region(), accountId: '42' } as unknown as QuotaRegion;
    expect(() => decodeQuotaRegion(encodeQuotaRegion(broken))).toThrow(
      /^the quota region is not a valid config: accountId: /,
    );
    const badPool = region();
    (badPool.clusters[0]?.nodePools?.pools[0] as { maxPerZone: unknown }).maxPerZone = -1;
    expect(() => decodeQuotaRegion(encodeQuotaRegion(badPool))).toThrow(
      'clusters[0].nodePools.pools[0].maxPerZone',
    );
  });

  /** 30 clusters of 4 zonal pools each, as a large account region has them; control planes optional. */
  function largeRegion(withControlPlanes: boolean): QuotaRegion {
    const clusters = Array.from({ length: 30 }, (_, c) => {
      const name = `kube-prod-${String(c + 1).padStart(2, '0')}`;
      const zonal = (pool: string) => ['a', 'b', 'c'].map((zone) => `${name}-${pool}-eu-central-1${zone}`);
      return cluster(name, {
        nodePools: {
          pools: [
            { name: 'default', asgs: zonal('default'), maxPerZone: 40, instanceTypes: ['m6i.4xlarge'] },
            {
              name: 'spot',
              asgs: zonal('spot'),
              capacityType: 'spot',
              maxPerZone: 60,
              instanceTypes: ['m6i.4xlarge', 'm5.4xlarge'],
            },
            { name: 'memory', asgs: zonal('memory'), maxPerZone: 10, instanceTypes: ['r6i.4xlarge'] },
            { name: 'fallback', asgs: zonal('fallback'), priority: -10, maxNodes: 30 },
          ],
        },
        ...(withControlPlanes
          ? {
              controlPlane: {
                ec2: { asgs: [`${name}-masters`], launchTemplateIds: ['lt-0123456789abcdef0'] },
                ladder: { ceiling: 'm7i.8xlarge' },
              },
            }
          : {}),
      });
    });
    const [big] = quotaRegionsOf(
      config({
        version: 1,
        accounts: [{ id: '123456789012', regions: [{ name: 'eu-central-1', quotas: {}, clusters }] }],
      }),
    );
    if (!big) throw new Error('expected a quota region');
    return big;
  }

  it('given 30 clusters of 4 pools each, should stay under 3 KB encoded', () => {
    const big = largeRegion(false);
    const encoded = encodeQuotaRegion(big);
    console.log(
      `quota region of 30 clusters × 4 pools: ${JSON.stringify(big).length} bytes of JSON, ` +
        `${encoded.length} bytes gzipped and base64-encoded`,
    );
    expect(encoded.length).toBeLessThan(3 * 1024);
    expect(decodeQuotaRegion(encoded).clusters).toHaveLength(30);
  });

  it('given the same with a self-managed control plane each, should leave room in 4 KB for the other variables', () => {
    // The defaults are left out (3.7 KB with them); decoding puts them back.
    const region = largeRegion(true);
    const encoded = encodeQuotaRegion(region);
    console.log(`… with 30 control planes: ${encoded.length} bytes encoded`);
    expect(encoded.length).toBeLessThan(3 * 1024);
    expect(decodeQuotaRegion(encoded)).toEqual(region);
  });

  it('should leave out exactly the fields the schema would fill in with the same value', () => {
    expect(withoutDefaults(quotasSchema.parse({ dryRun: true }), quotasSchema)).toEqual({ dryRun: true });
    const pools = nodePoolsSchema.parse({ pools: [{ name: 'default', asgs: ['a', 'b'], maxNodes: 10 }] });
    const stripped = withoutDefaults(pools, nodePoolsSchema);
    expect(JSON.stringify(stripped).length).toBeLessThan(JSON.stringify(pools).length / 2);
    expect(nodePoolsSchema.parse(stripped)).toEqual(pools);
  });
});
