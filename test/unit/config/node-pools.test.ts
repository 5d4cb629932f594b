/**
 * The node-pool section of a cluster's config (shared/config/node-pools.ts), through `validateConfig` as
 * `tideplane validate` runs it, so every problem carries the path a user can find in the file.
 */
import { describe, expect, it } from 'vitest';
import { type ConfigProblem, validateConfig } from '../../../shared/config/load';
import { NODE_POOL_DEFAULTS } from '../../../shared/config/node-pools';

const CLUSTER = 'accounts[0].regions[0].clusters[0]';

function documentWith(nodePools: unknown): unknown {
  return {
    version: 1,
    accounts: [
      {
        id: '123456789012',
        regions: [
          {
            name: 'eu-central-1',
            clusters: [
              {
                name: 'kube-1',
                access: {
                  kind: 'kubeconfig',
                  secretArn:
                    'arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/kube-1-AbCdEf',
                },
                nodePools,
              },
            ],
          },
        ],
      },
    ],
  };
}

function nodePoolsOf(nodePools: unknown) {
  const result = validateConfig(documentWith(nodePools));
  if (!result.ok) throw new Error(`expected a valid config: ${JSON.stringify(result.problems)}`);
  const settings = result.config.accounts[0]?.regions[0]?.clusters[0]?.nodePools;
  if (!settings) throw new Error('nodePools missing');
  return settings;
}

function problemsOf(nodePools: unknown): ConfigProblem[] {
  const result = validateConfig(documentWith(nodePools));
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

const pool = (overrides: Record<string, unknown> = {}) => ({
  name: 'default',
  asgs: ['nodes-a', 'nodes-b', 'nodes-c'],
  ...overrides,
});

describe('nodePools defaults', () => {
  it('given an empty section, should apply every documented default', () => {
    expect(nodePoolsOf({})).toEqual({
      enabled: true,
      intervalSeconds: NODE_POOL_DEFAULTS.intervalSeconds,
      discoverByTags: true,
      podNetworking: 'node-cidr',
      provisionTimeoutSeconds: NODE_POOL_DEFAULTS.provisionTimeoutSeconds,
      backoff: { initialSeconds: 60, maxSeconds: 600, resetSeconds: 3600 },
      unavailableOfferingSeconds: NODE_POOL_DEFAULTS.unavailableOfferingSeconds,
      maxNodesPerTick: NODE_POOL_DEFAULTS.maxNodesPerTick,
      maxEventsPerTick: NODE_POOL_DEFAULTS.maxEventsPerTick,
      startupTaintKeys: [...NODE_POOL_DEFAULTS.startupTaintKeys],
      scaleDown: {
        enabled: true,
        utilizationThreshold: 0.5,
        fallbackUtilizationThreshold: 1,
        unneededSeconds: 600,
        unreadySeconds: 1200,
        delayAfterAddSeconds: 600,
        maxEmptyPerTick: 10,
        maxDrainsPerPoolPerTick: 1,
        maxConcurrentDrains: 10,
      },
      drain: {
        timeoutSeconds: 600,
        evictionRetrySeconds: 15,
        evictionBlockedTimeoutSeconds: 300,
        maxGracePeriodSeconds: 600,
        terminateRetrySeconds: 60,
      },
      pools: [],
    });
  });

  it('given a pool with only a name and groups, should default its priority, labels, taints and spot taint', () => {
    expect(nodePoolsOf({ pools: [pool()] }).pools[0]).toEqual({
      name: 'default',
      asgs: ['nodes-a', 'nodes-b', 'nodes-c'],
      priority: 0,
      labels: {},
      taints: [],
      resources: {},
      spotTaint: true,
    });
  });

  it('given a complete pool, should keep every field', () => {
    const full = pool({
      name: 'spot',
      priority: 10,
      capacityType: 'spot',
      instanceTypes: ['m5.xlarge', 'm5a.xlarge', 'm7i-flex.xlarge', 'c7i.metal-48xl', 'u-6tb1.metal'],
      minPerZone: 0,
      maxPerZone: 20,
      maxNodes: 50,
      labels: { 'example.com/team': 'batch', tier: '' },
      taints: [{ key: 'example.com/batch', effect: 'NoSchedule' }],
      spotTaint: false,
      architecture: 'arm64',
      resources: { 'ephemeral-storage': '80Gi' },
      reserved: {
        kubeReserved: { cpu: '100m', memory: '1Gi' },
        systemReserved: { memory: '200Mi' },
        evictionMemoryAvailable: '5%',
      },
      backoff: { initialSeconds: 30, maxSeconds: 300, resetSeconds: 1800 },
    });
    expect(nodePoolsOf({ pools: [full] }).pools[0]).toEqual(full);
  });
});

describe('nodePools problems, with their paths', () => {
  it('given two pools with one name, should point at the second name', () => {
    expect(problemsOf({ pools: [pool(), pool({ asgs: ['other-a'] })] })).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[1].name`,
        message: 'pool name "default" is already used by pools[0]',
      },
    ]);
  });

  it('given a group in two pools, or twice in one, should point at the repeated entry', () => {
    expect(
      problemsOf({
        pools: [pool(), pool({ name: 'fallback', asgs: ['fallback-a', 'nodes-b', 'fallback-a'] })],
      }),
    ).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[1].asgs[1]`,
        message: 'group "nodes-b" already belongs to pools[0]',
      },
      {
        path: `${CLUSTER}.nodePools.pools[1].asgs[2]`,
        message: 'group "fallback-a" is listed twice in this pool',
      },
    ]);
  });

  it('given minPerZone above maxPerZone, should say both', () => {
    expect(problemsOf({ pools: [pool({ minPerZone: 5, maxPerZone: 3 })] })).toEqual([
      { path: `${CLUSTER}.nodePools.pools[0].minPerZone`, message: 'minPerZone 5 is above maxPerZone 3' },
    ]);
  });

  it('given a taint with an unknown effect, should list the effects', () => {
    const problems = problemsOf({
      pools: [pool({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoScheduling' }] })],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(`${CLUSTER}.nodePools.pools[0].taints[0].effect`);
    expect(problems[0]?.message).toMatch(/NoSchedule.*PreferNoSchedule.*NoExecute/);
  });

  it('given a taint key or value that is no label key or value, should say why', () => {
    const problems = problemsOf({
      pools: [
        pool({
          taints: [
            { key: 'Example.com/gpu', effect: 'NoSchedule' },
            { key: 'gpu', value: 'a b', effect: 'NoSchedule' },
          ],
        }),
      ],
    });
    expect(problems).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[0].taints[0].key`,
        message: expect.stringContaining('invalid prefix'),
      },
      {
        path: `${CLUSTER}.nodePools.pools[0].taints[1].value`,
        message: expect.stringContaining('value "a b"'),
      },
    ]);
  });

  it('given the same taint twice, should point at the second', () => {
    const taint = { key: 'gpu', effect: 'NoSchedule' };
    expect(problemsOf({ pools: [pool({ taints: [taint, { ...taint, value: 'x' }] })] })).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[0].taints[1]`,
        message: 'taint gpu with effect NoSchedule is given twice',
      },
    ]);
  });

  it('given instance types that are not EC2 type names, should point at each', () => {
    const problems = problemsOf({
      pools: [pool({ instanceTypes: ['m5.large', 'M5.large', 'm5large', 'm5.'] })],
    });
    expect(problems.map((p) => p.path)).toEqual([
      `${CLUSTER}.nodePools.pools[0].instanceTypes[1]`,
      `${CLUSTER}.nodePools.pools[0].instanceTypes[2]`,
      `${CLUSTER}.nodePools.pools[0].instanceTypes[3]`,
    ]);
    expect(new Set(problems.map((p) => p.message))).toEqual(new Set(['an EC2 instance type like m5.large']));
  });

  it('given labels with a bad key and a bad value, should name the label', () => {
    expect(problemsOf({ pools: [pool({ labels: { 'team name': 'a', team: 'b c' } })] })).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[0].labels.team`,
        message: expect.stringContaining('value "b c"'),
      },
      {
        path: `${CLUSTER}.nodePools.pools[0].labels.team name`,
        message: expect.stringContaining('key "team name"'),
      },
    ]);
  });

  it('given a pool name that is not a DNS label, should say what it may hold', () => {
    expect(problemsOf({ pools: [pool({ name: 'Default_Pool' })] })).toEqual([
      { path: `${CLUSTER}.nodePools.pools[0].name`, message: expect.stringContaining('lower-case letters') },
    ]);
  });

  it('given extra resources that are no quantities or name what the instance type sets, should say why', () => {
    const problems = problemsOf({
      pools: [pool({ resources: { 'ephemeral-storage': 'lots', cpu: '8' } })],
    });
    expect(problems).toEqual([
      {
        path: `${CLUSTER}.nodePools.pools[0].resources.ephemeral-storage`,
        message: 'a Kubernetes quantity like "500m" or "1Gi"',
      },
      {
        path: `${CLUSTER}.nodePools.pools[0].resources.cpu`,
        message: 'cpu, memory and pods come from the instance type (use reserved instead)',
      },
    ]);
  });

  it('given reserved resources that are not quantities, should point at each', () => {
    const problems = problemsOf({
      pools: [
        pool({
          reserved: { kubeReserved: { cpu: '1.2.3' }, evictionMemoryAvailable: 'lots' },
        }),
      ],
    });
    expect(problems.map((p) => p.path)).toEqual([
      `${CLUSTER}.nodePools.pools[0].reserved.kubeReserved.cpu`,
      `${CLUSTER}.nodePools.pools[0].reserved.evictionMemoryAvailable`,
    ]);
  });

  it('given a backoff that starts above its maximum, for the cluster and a pool, should point at both', () => {
    const backoff = { initialSeconds: 900, maxSeconds: 600 };
    expect(problemsOf({ backoff, pools: [pool({ backoff })] }).map((p) => p.path)).toEqual([
      `${CLUSTER}.nodePools.pools[0].backoff.initialSeconds`,
      `${CLUSTER}.nodePools.backoff.initialSeconds`,
    ]);
  });

  it('given a pool without groups and an unknown field, should reject both', () => {
    expect(
      problemsOf({ pools: [{ name: 'default', asgs: [], zones: 3 }] })
        .map((p) => p.path)
        .sort(),
    ).toEqual([`${CLUSTER}.nodePools.pools[0]`, `${CLUSTER}.nodePools.pools[0].asgs`]);
  });
});
