/**
 * Demand per quota: pools at their maxima × their largest type, split by purchasing option and quota, the
 * control plane with its surge instance, headroom, the breakdown for the support case, and what is
 * reported instead of guessed.
 */
import { describe, expect, it } from 'vitest';
import { controlPlaneSchema } from '../../../shared/config/control-plane';
import { nodePoolSchema } from '../../../shared/config/node-pools';
import { EXTRA_QUOTA_EXAMPLES, extraQuotaSchema } from '../../../shared/config/quotas';
import type { NodePool } from '../../../shared/nodepools/pool';
import {
  type ClusterDemandInput,
  controlPlaneDemandOf,
  type DemandInput,
  demandOf,
  type PoolDemandInput,
  poolFromNodePool,
  poolsFromConfig,
} from '../../../shared/quotas/demand';

const VCPUS = new Map([
  ['m5.xlarge', 4],
  ['m5.4xlarge', 16],
  ['m6i.xlarge', 4],
  ['c5.large', 2],
  ['g5.2xlarge', 8],
  ['g5.12xlarge', 48],
  ['m7i.2xlarge', 8],
  ['m7i.8xlarge', 32],
  ['hpc7a.96xlarge', 192],
  ['mac2.metal', 12],
  ['q9.large', 2],
]);

const pool = (overrides: Partial<PoolDemandInput> = {}): PoolDemandInput => ({
  name: 'default',
  capacityType: 'on-demand',
  instanceTypes: ['m5.xlarge'],
  zoneMaxima: [20, 20, 20],
  ...overrides,
});

function input(clusters: ClusterDemandInput[], overrides: Partial<DemandInput> = {}): DemandInput {
  return {
    accountId: '123456789012',
    region: 'eu-central-1',
    clusters,
    vcpus: VCPUS,
    headroomFraction: 0.2,
    ...overrides,
  };
}

function quota(result: ReturnType<typeof demandOf>, code: string) {
  const found = result.quotas.find((q) => q.quotaCode === code);
  if (!found)
    throw new Error(`no demand for ${code}: ${JSON.stringify(result.quotas.map((q) => q.quotaCode))}`);
  return found;
}

describe('demandOf: node pools', () => {
  it('given a pool of three zones, should count per-zone max × zones × vCPUs of its largest type', () => {
    const result = demandOf(
      input([
        { name: 'kube-1', pools: [pool({ instanceTypes: ['m5.xlarge', 'm5.4xlarge', 'm6i.xlarge'] })] },
      ]),
    );
    const standard = quota(result, 'L-1216C47A');
    expect(standard.demand).toBe(960);
    expect(standard.required).toBe(1152);
    expect(standard.unit).toBe('vCPUs');
    expect(standard.contributions).toEqual([
      {
        cluster: 'kube-1',
        source: 'pool',
        name: 'default',
        amount: 960,
        formula: '3 zones × 20 nodes × 16 vCPUs (m5.4xlarge) = 960',
        instanceType: 'm5.4xlarge',
        vcpusPerNode: 16,
        nodes: 60,
      },
    ]);
    expect(result.problems).toEqual([]);
  });

  it('given a pool maxNodes below the zones’ sum, should cap the nodes at it', () => {
    const standard = quota(
      demandOf(input([{ name: 'kube-1', pools: [pool({ maxNodes: 50 })] }])),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(200);
    expect(standard.contributions[0]?.formula).toBe(
      '50 nodes (maxNodes; 3 zones × 20 nodes would be 60) × 4 vCPUs (m5.xlarge) = 200',
    );
  });

  it('given a pool maxNodes above the zones’ sum, should keep the zones’ sum', () => {
    expect(
      quota(demandOf(input([{ name: 'kube-1', pools: [pool({ maxNodes: 500 })] }])), 'L-1216C47A').demand,
    ).toBe(240);
  });

  it('given groups of different maxima, should add them up', () => {
    const standard = quota(
      demandOf(input([{ name: 'kube-1', pools: [pool({ zoneMaxima: [10, 10, 30] })] }])),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(200);
    expect(standard.contributions[0]?.formula).toBe('10 + 10 + 30 nodes × 4 vCPUs (m5.xlarge) = 200');
  });

  it('given no known group maxima but maxNodes, should count maxNodes', () => {
    const standard = quota(
      demandOf(input([{ name: 'kube-1', pools: [pool({ zoneMaxima: [], maxNodes: 7 })] }])),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(28);
    expect(standard.contributions[0]?.formula).toBe('7 nodes (maxNodes) × 4 vCPUs (m5.xlarge) = 28');
  });

  it('given spot and on-demand pools, should count them against separate quotas', () => {
    const result = demandOf(
      input([
        {
          name: 'kube-1',
          pools: [
            pool(),
            pool({
              name: 'spot',
              capacityType: 'spot',
              instanceTypes: ['m5.xlarge', 'c5.large'],
              zoneMaxima: [10, 10, 10],
            }),
          ],
        },
      ]),
    );
    expect(result.quotas.map((q) => [q.quotaCode, q.demand, q.required])).toEqual([
      ['L-1216C47A', 240, 288],
      ['L-34B43A08', 120, 144],
    ]);
  });

  it('given a pool whose types span quotas, should count all its nodes against each with its largest type', () => {
    const result = demandOf(
      input([
        {
          name: 'kube-1',
          pools: [
            pool({
              name: 'gpu',
              instanceTypes: ['m5.xlarge', 'g5.2xlarge', 'g5.12xlarge'],
              zoneMaxima: [5, 5],
            }),
          ],
        },
      ]),
    );
    expect(result.quotas.map((q) => [q.quotaCode, q.demand])).toEqual([
      ['L-1216C47A', 40],
      ['L-DB2E81BA', 480],
    ]);
  });

  it('given pools of two clusters on one quota, should sum them and list both', () => {
    const standard = quota(
      demandOf(
        input([
          { name: 'kube-1', pools: [pool()] },
          { name: 'kube-2', pools: [pool({ name: 'workers', zoneMaxima: [5, 5, 5] })] },
        ]),
      ),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(300);
    expect(standard.required).toBe(360);
    expect(standard.contributions.map((c) => [c.cluster, c.name, c.amount])).toEqual([
      ['kube-1', 'default', 240],
      ['kube-2', 'workers', 60],
    ]);
  });

  it('given a pool at 0 nodes, should contribute nothing', () => {
    expect(demandOf(input([{ name: 'kube-1', pools: [pool({ zoneMaxima: [0, 0] })] }])).quotas).toEqual([]);
  });
});

describe('demandOf: control plane', () => {
  it('given instances and a ceiling, should count instances + 1 surge of the largest allowed type', () => {
    const standard = quota(
      demandOf(
        input([
          {
            name: 'kube-1',
            pools: [],
            controlPlane: { instanceTypes: ['m7i.8xlarge', 'm7i.2xlarge'], instances: 3 },
          },
        ]),
      ),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(128);
    expect(standard.contributions).toEqual([
      {
        cluster: 'kube-1',
        source: 'control-plane',
        name: 'control plane',
        amount: 128,
        formula: '(3 instances + 1 surge) × 32 vCPUs (m7i.8xlarge) = 128',
        instanceType: 'm7i.8xlarge',
        vcpusPerNode: 32,
        nodes: 4,
      },
    ]);
  });

  it('given pools and a control plane, should add both to the on-demand quota', () => {
    const standard = quota(
      demandOf(
        input([
          {
            name: 'kube-1',
            pools: [pool()],
            controlPlane: { instanceTypes: ['m7i.2xlarge'], instances: 3 },
          },
        ]),
      ),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(272);
    expect(standard.required).toBe(327);
  });
});

describe('demandOf: headroom and justification', () => {
  it('given 20 % headroom on 80, should require exactly 96 (no float noise)', () => {
    const standard = quota(
      demandOf(input([{ name: 'kube-1', pools: [pool({ zoneMaxima: [20] })] }])),
      'L-1216C47A',
    );
    expect(standard.demand).toBe(80);
    expect(standard.required).toBe(96);
  });

  it('given no headroom, should require the demand; given 0.5, half more rounded up', () => {
    const cluster = { name: 'kube-1', pools: [pool({ zoneMaxima: [7] })] };
    expect(quota(demandOf(input([cluster], { headroomFraction: 0 })), 'L-1216C47A').required).toBe(28);
    expect(quota(demandOf(input([cluster], { headroomFraction: 0.5 })), 'L-1216C47A').required).toBe(42);
    expect(quota(demandOf(input([cluster], { headroomFraction: 0.25 })), 'L-1216C47A').required).toBe(35);
  });

  it('should write the justification with totals and one line per contribution', () => {
    const standard = quota(
      demandOf(
        input([
          {
            name: 'kube-1',
            pools: [pool({ instanceTypes: ['m5.4xlarge'] })],
            controlPlane: { instanceTypes: ['m7i.8xlarge'], instances: 3 },
          },
          { name: 'kube-2', pools: [pool({ name: 'workers', zoneMaxima: [1] })] },
        ]),
      ),
      'L-1216C47A',
    );
    expect(standard.justification).toBe(
      [
        'Quota L-1216C47A "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (ec2) in account ' +
          '123456789012, eu-central-1: the Kubernetes clusters managed by tideplane may use 1092 vCPUs at ' +
          'their configured maxima; with 20 % headroom they need 1311 vCPUs.',
        '- kube-1, node pool default: 3 zones × 20 nodes × 16 vCPUs (m5.4xlarge) = 960',
        '- kube-1, control plane: (3 instances + 1 surge) × 32 vCPUs (m7i.8xlarge) = 128',
        '- kube-2, node pool workers: 1 zone × 1 node × 4 vCPUs (m5.xlarge) = 4',
      ].join('\n'),
    );
  });
});

describe('demandOf: what is reported, not guessed', () => {
  it('given a type with unknown vCPUs, should report it and count the pool’s known types', () => {
    const result = demandOf(
      input([{ name: 'kube-1', pools: [pool({ instanceTypes: ['m5.xlarge', 'm9z.48xlarge'] })] }]),
    );
    expect(quota(result, 'L-1216C47A').demand).toBe(240);
    expect(result.problems).toEqual([
      {
        kind: 'unknown-vcpus',
        cluster: 'kube-1',
        source: 'default',
        instanceType: 'm9z.48xlarge',
        message: 'kube-1, default: vCPUs of m9z.48xlarge unknown (not in DescribeInstanceTypes); not counted',
      },
    ]);
  });

  it('given families without a quota, should report them and count nothing for them', () => {
    const result = demandOf(
      input([
        {
          name: 'kube-1',
          pools: [
            pool({ name: 'mac', instanceTypes: ['mac2.metal'] }),
            pool({ name: 'odd', instanceTypes: ['q9.large'] }),
            pool({ name: 'hpc-spot', capacityType: 'spot', instanceTypes: ['hpc7a.96xlarge'] }),
          ],
        },
      ]),
    );
    expect(result.quotas).toEqual([]);
    expect(result.problems.map((p) => [p.kind, p.source, p.instanceType])).toEqual([
      ['unknown-quota', 'mac', 'mac2.metal'],
      ['unknown-quota', 'odd', 'q9.large'],
      ['unknown-quota', 'hpc-spot', 'hpc7a.96xlarge'],
    ]);
    expect(result.problems[1]?.message).toBe(
      'kube-1, odd: no vCPU quota for on-demand q9.large: no known on-demand vCPU quota covers the q9 family',
    );
  });

  it('given a pool without any maximum, should report it unbounded', () => {
    const result = demandOf(input([{ name: 'kube-1', pools: [pool({ zoneMaxima: [] })] }]));
    expect(result.quotas).toEqual([]);
    expect(result.problems.map((p) => p.kind)).toEqual(['unbounded-pool']);
  });

  it('given a pool without instance types, should report it', () => {
    const result = demandOf(input([{ name: 'kube-1', pools: [pool({ instanceTypes: [] })] }]));
    expect(result.problems.map((p) => p.kind)).toEqual(['no-instance-types']);
  });
});

describe('demandOf: extra quotas', () => {
  const extras = EXTRA_QUOTA_EXAMPLES.map((example) => extraQuotaSchema.parse(example));
  const clusters = [
    { name: 'kube-1', pools: [pool()], controlPlane: { instanceTypes: ['m7i.2xlarge'], instances: 3 } },
    { name: 'kube-2', pools: [pool({ zoneMaxima: [10, 10] })] },
  ];

  it('given the documented examples, should follow their rules over nodes and clusters', () => {
    const result = demandOf(input(clusters, { extraQuotas: extras }));
    const byCode = (code: string) => quota(result, code);
    // kube-1: 60 pool nodes + 4 control-plane nodes; kube-2: 20 nodes.
    expect(byCode('L-DF5E4CA3').demand).toBe(168);
    expect(byCode('L-DF5E4CA3').required).toBe(202);
    expect(byCode('L-DF5E4CA3').contributions.map((c) => c.formula)).toEqual([
      '64 nodes × 2 = 128',
      '20 nodes × 2 = 40',
    ]);
    expect(byCode('L-0263D0A3').demand).toBe(6);
    expect(byCode('L-0263D0A3').required).toBe(8);
    expect(byCode('L-7A658B76').demand).toBe(8.203125);
    expect(byCode('L-7A658B76').required).toBe(10);
    expect(byCode('L-7A658B76').contributions[0]?.formula).toBe('64 nodes × 0.0977 = 6.25');
    expect(byCode('L-7A658B76').justification.split('\n')[0]).toContain('may use 8.2 TiB');
  });

  it('given a fixed number and a per-vCPU rule, should add the fixed share once', () => {
    const result = demandOf(
      input(clusters, {
        extraQuotas: [
          extraQuotaSchema.parse({ serviceCode: 'ebs', quotaCode: 'L-D18FCD1D', name: 'gp2', demand: 5 }),
          extraQuotaSchema.parse({
            serviceCode: 'ec2',
            quotaCode: 'L-0263D0A3',
            name: 'EIPs',
            demand: { fixed: 2, perVcpu: 0.5 },
          }),
        ],
      }),
    );
    expect(quota(result, 'L-D18FCD1D').demand).toBe(5);
    expect(quota(result, 'L-D18FCD1D').required).toBe(6);
    // kube-1: 60 × 4 + 4 × 8 = 272 vCPUs; kube-2: 20 × 4 = 80.
    expect(quota(result, 'L-0263D0A3').demand).toBe(178);
    expect(quota(result, 'L-0263D0A3').contributions.map((c) => [c.source, c.amount])).toEqual([
      ['fixed', 2],
      ['cluster', 136],
      ['cluster', 40],
    ]);
  });
});

describe('poolsFromConfig', () => {
  const config = (overrides: Record<string, unknown>) =>
    nodePoolSchema.parse({ name: 'default', asgs: ['nodes-a', 'nodes-b', 'nodes-c'], ...overrides });

  it('given maxPerZone and types, should need no group facts', () => {
    expect(poolsFromConfig('kube-1', [config({ maxPerZone: 20, instanceTypes: ['m5.xlarge'] })])).toEqual({
      pools: [
        {
          name: 'default',
          capacityType: 'on-demand',
          instanceTypes: ['m5.xlarge'],
          zoneMaxima: [20, 20, 20],
        },
      ],
      problems: [],
    });
  });

  it('given groups, should narrow each by maxPerZone and take types and capacity from them', () => {
    const groups = new Map([
      ['nodes-a', { maxSize: 10, instanceTypes: ['m5.xlarge'], capacityType: 'spot' as const }],
      ['nodes-b', { maxSize: 30, instanceTypes: ['m5.xlarge', 'm6i.xlarge'] }],
    ]);
    expect(poolsFromConfig('kube-1', [config({ maxPerZone: 20, maxNodes: 40 })], groups).pools).toEqual([
      {
        name: 'default',
        capacityType: 'spot',
        instanceTypes: ['m5.xlarge', 'm6i.xlarge'],
        zoneMaxima: [10, 20, 20],
        maxNodes: 40,
      },
    ]);
  });

  it('given a group of unknown MaxSize without maxPerZone, should fall back to maxNodes or report', () => {
    const groups = new Map([['nodes-a', { maxSize: 10 }]]);
    expect(
      poolsFromConfig('kube-1', [config({ maxNodes: 12, instanceTypes: ['m5.xlarge'] })], groups).pools[0]
        ?.zoneMaxima,
    ).toEqual([]);
    const unbounded = poolsFromConfig('kube-1', [config({ instanceTypes: ['m5.xlarge'] })], groups);
    expect(unbounded.pools).toEqual([]);
    expect(unbounded.problems.map((p) => [p.kind, p.source])).toEqual([['unbounded-pool', 'default']]);
  });

  it('given no types in config or groups, should report the pool', () => {
    const result = poolsFromConfig('kube-1', [config({ maxPerZone: 3 })]);
    expect(result.problems.map((p) => p.kind)).toEqual(['no-instance-types']);
  });
});

describe('poolFromNodePool', () => {
  it('should take each group’s effective max and the pool’s maxNodes', () => {
    const resolved = {
      name: 'default',
      capacityType: 'spot',
      instanceTypes: ['m5.xlarge'],
      groups: [{ maxSize: 10 }, { maxSize: 12 }],
      maxNodes: 20,
    } as unknown as NodePool;
    expect(poolFromNodePool(resolved)).toEqual({
      name: 'default',
      capacityType: 'spot',
      instanceTypes: ['m5.xlarge'],
      zoneMaxima: [10, 12],
      maxNodes: 20,
    });
  });
});

describe('controlPlaneDemandOf', () => {
  const ec2 = {
    asgs: ['master-a'],
    launchTemplateIds: ['lt-0123456789abcdef0'],
  };

  it('given a ceiling, should offer it and the current type', () => {
    const config = controlPlaneSchema.parse({ ec2, ladder: { ceiling: 'm7i.8xlarge' } });
    expect(controlPlaneDemandOf(config, { instanceType: 'm7i.2xlarge', instances: 3 })).toEqual({
      instanceTypes: ['m7i.8xlarge', 'm7i.2xlarge'],
      instances: 3,
    });
  });

  it('given no ceiling, should use the current type', () => {
    const config = controlPlaneSchema.parse({ ec2 });
    expect(controlPlaneDemandOf(config, { instanceType: 'm7i.2xlarge', instances: 3 })).toEqual({
      instanceTypes: ['m7i.2xlarge'],
      instances: 3,
    });
  });

  it('given EKS, should need no EC2 quota', () => {
    const config = controlPlaneSchema.parse({ eks: {} });
    expect(controlPlaneDemandOf(config, { instanceType: 'tier-xl', instances: 0 })).toBeUndefined();
  });
});
