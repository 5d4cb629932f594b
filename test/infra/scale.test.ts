/**
 * The seed's scale in one account and region: 150 clusters, each with every loop, and the region's quota
 * loop, which reads every cluster's pools and control plane. CloudFormation takes at
 * most 500 resources and 200 outputs in a stack and a 1 MB template; CDK refuses to synthesize a stack
 * over 500 resources.
 */

import type { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import type { TideplaneStack } from '../../infra/stack';
import { accountFootprints } from '../../shared/config/account-footprint';
import { validateConfig } from '../../shared/config/load';
import { ACCOUNT, NO_BUNDLING, REGION } from './support/clusters';
import { type Json, single } from './support/template';

const CLUSTERS = 150;
const CLOUDFORMATION_MAX_RESOURCES = 500;
const CLOUDFORMATION_MAX_OUTPUTS = 200;
const CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1_000_000;
const IAM_DEFAULT_ROLES_PER_ACCOUNT = 1_000;

/** A cluster with node pools in three zones, an EC2 control plane and VPA, named `kube-<n>`. */
function clusterWithEveryLoop(n: number): Json {
  const name = `kube-${n}`;
  const zones = ['a', 'b', 'c'];
  return {
    name,
    access: {
      kind: 'kubeconfig',
      secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tideplane/${name}`,
    },
    vpc: {
      vpcId: 'vpc-0a1b2c3d',
      subnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d'],
      securityGroupIds: ['sg-0a1b2c3d'],
    },
    nodePools: {
      pools: [
        {
          name: 'default',
          instanceTypes: ['m5.xlarge'],
          asgs: zones.map((z) => `${name}-default-${z}`),
          maxPerZone: 100,
        },
        {
          name: 'spot',
          priority: 10,
          capacityType: 'spot',
          instanceTypes: ['m5.xlarge', 'm6i.xlarge'],
          asgs: zones.map((z) => `${name}-spot-${z}`),
          maxNodes: 60,
        },
      ],
    },
    controlPlane: {
      ec2: {
        asgs: zones.map((z) => `${name}-master-${z}`),
        launchTemplateIds: ['lt-0123456789abcdef0', 'lt-0fedcba9876543210', 'lt-00112233445566778'],
        instanceRoleArns: [`arn:aws:iam::${ACCOUNT}:role/${name}-masters`],
        targetGroupArns: [
          `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}-api/0123456789abcdef`,
        ],
      },
      ladder: { families: ['m7i'], floor: 'm7i.xlarge', ceiling: 'm7i.16xlarge' },
    },
    vpa: { oomPolicy: 'fast' },
  };
}

function config(clusters: number): Json {
  return {
    version: 1,
    accounts: [
      {
        id: ACCOUNT,
        regions: [
          {
            name: REGION,
            quotas: {},
            clusters: Array.from({ length: clusters }, (_, i) => clusterWithEveryLoop(i + 1)),
          },
        ],
      },
    ],
  };
}

interface Shape {
  resources: number;
  roles: number;
  rules: number;
  outputs: number;
  bytes: number;
}

function ofType(resources: Json, type: string): number {
  return Object.values(resources).filter((r) => (r as Json).Type === type).length;
}

function shapes(app: App, stack: TideplaneStack): Map<string, Shape> {
  const assembly = app.synth();
  const names = [stack.stackName, ...[...stack.clusters.values()].map((c) => c.stackName)];
  return new Map(
    names.map((name) => {
      const template = assembly.getStackByName(name).template as { Resources: Json; Outputs?: Json };
      return [
        name,
        {
          resources: Object.keys(template.Resources).length,
          roles: ofType(template.Resources, 'AWS::IAM::Role'),
          rules: ofType(template.Resources, 'AWS::Events::Rule'),
          outputs: Object.keys(template.Outputs ?? {}).length,
          bytes: JSON.stringify(template).length,
        },
      ];
    }),
  );
}

describe(`given ${CLUSTERS} clusters with every loop in one account and region`, () => {
  let stack: TideplaneStack;
  let byStack: Map<string, Shape>;
  let oneCluster: Map<string, Shape>;

  beforeAll(() => {
    // Synthesis runs cdk-nag over every stack, as `cdk synth` does.
    const built = buildApp(config(CLUSTERS), { context: NO_BUNDLING });
    stack = single(built.stacks);
    byStack = shapes(built.app, stack);
    const small = buildApp(config(1), { context: NO_BUNDLING });
    oneCluster = shapes(small.app, single(small.stacks));
  }, 120_000);

  it('should synthesize a stack per cluster beside the account and region stack', () => {
    expect(byStack.size).toBe(CLUSTERS + 1);
    expect(stack.clusters.get('kube-150')?.stackName).toBe(`tideplane-${ACCOUNT}-${REGION}-kube-150`);
  });

  it('should keep every stack far inside CloudFormation’s limits', () => {
    for (const [name, shape] of byStack) {
      expect(shape.resources, name).toBeLessThan(CLOUDFORMATION_MAX_RESOURCES / 5);
      expect(shape.outputs, name).toBeLessThan(CLOUDFORMATION_MAX_OUTPUTS / 20);
      expect(shape.bytes, name).toBeLessThan(CLOUDFORMATION_MAX_TEMPLATE_BYTES / 10);
    }
  });

  it('should need fewer IAM roles than an account holds by default (1,000): one per function and one per cluster’s schedules', () => {
    const roles = [...byStack.values()].reduce((sum, shape) => sum + shape.roles, 0);
    expect(byStack.get(stack.clusters.get('kube-1')?.stackName ?? '')?.roles).toBe(5);
    expect(roles).toBe(CLUSTERS * 5 + 2);
    expect(roles).toBeLessThan(IAM_DEFAULT_ROLES_PER_ACCOUNT);
  });

  it('should put 4 rules a cluster on the default event bus, which takes 300 unless raised (README)', () => {
    const rules = [...byStack.values()].reduce((sum, shape) => sum + shape.rules, 0);
    expect(byStack.get(stack.clusters.get('kube-1')?.stackName ?? '')?.rules).toBe(4);
    expect(rules).toBe(CLUSTERS * 4);
  });

  it('should create the roles and rules `tideplane validate` counts for the account and region', () => {
    const validated = validateConfig(config(CLUSTERS));
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const [account] = accountFootprints(validated.config);
    const total = (key: 'roles' | 'rules') =>
      [...byStack.values()].reduce((sum, shape) => sum + shape[key], 0);
    expect(account?.iamRoles).toBe(total('roles'));
    expect(account?.regions.map((r) => r.eventBusRules)).toEqual([total('rules')]);
  });

  it('should give the quota loop every cluster', () => {
    expect(stack.quotas?.region.clusters).toHaveLength(CLUSTERS);
  });

  it('should not grow the account and region stack with the clusters', () => {
    const shared = byStack.get(stack.stackName);
    expect(shared?.resources).toBe(oneCluster.get(stack.stackName)?.resources);
    expect(shared?.outputs).toBe(oneCluster.get(stack.stackName)?.outputs);
  });
});

describe('given clusters with different loops in two regions of one account', () => {
  it('should create exactly the roles and rules `tideplane validate` counts', () => {
    const eks = (name: string, more: Json = {}) => ({
      name,
      access: { kind: 'eks', clusterName: name, endpoint: `https://${name}.example`, caData: 'Y2E=' },
      ...more,
    });
    const document = {
      version: 1,
      accounts: [
        {
          id: ACCOUNT,
          regions: [
            {
              name: REGION,
              quotas: {},
              clusters: [
                eks('hpa-only'),
                eks('no-groups', { nodePools: { discoverByTags: false } }),
                eks('discovers', { nodePools: {} }),
                clusterWithEveryLoop(1),
              ],
            },
            { name: 'eu-west-1', clusters: [eks('west', { vpa: {}, controlPlane: { eks: {} } })] },
          ],
        },
      ],
    };
    const validated = validateConfig(document);
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const [account] = accountFootprints(validated.config);
    const built = buildApp(document, { context: NO_BUNDLING });
    const counted = built.stacks.map((stack) => {
      const all = [...shapes(built.app, stack).values()];
      return [all.reduce((sum, s) => sum + s.roles, 0), all.reduce((sum, s) => sum + s.rules, 0)];
    });
    expect(account?.regions.map((r) => [r.iamRoles, r.eventBusRules])).toEqual(counted);
    expect(account?.iamRoles).toBe(counted.reduce((sum, [roles]) => sum + (roles ?? 0), 0));
  }, 60_000);
});
