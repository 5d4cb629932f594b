/**
 * The VPA loop in the stack: a function and a schedule per cluster with `vpa`, and no AWS permission
 * beyond what every loop function has (everything it changes is in the cluster).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { ACCOUNT, NO_BUNDLING, REGION, vpcCluster } from './support/clusters';
import {
  type Json,
  logicalId,
  regionMessages,
  regionTemplate,
  resource,
  roleStatements,
  single,
} from './support/template';

function config(clusters: Json[]): Json {
  return { version: 1, accounts: [{ id: ACCOUNT, regions: [{ name: REGION, clusters }] }] };
}

describe('given a cluster with vpa and one without', () => {
  const built = buildApp(
    config([vpcCluster({ vpa: { oomPolicy: 'fast' } }), vpcCluster({ name: 'plain', vpa: undefined })]),
    { context: NO_BUNDLING },
  );
  const stack = single(built.stacks);
  const template = regionTemplate(stack);

  it('should create the VPA function and its every-minute schedule only where vpa is configured', () => {
    const loops = stack.clusters.get('vpc-cluster');
    if (!loops?.vpa || !loops.vpaSchedule) throw new Error('no VPA loop');
    expect(resource(template, loops.vpa.function).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      MemorySize: 512,
    });
    expect(resource(template, loops.vpaSchedule.schedule).Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: { Input: JSON.stringify({ cluster: 'vpc-cluster' }) },
    });
    expect(stack.clusters.get('plain')?.vpa).toBeUndefined();
  });

  it('should output the function’s role, to bind to both shipped ClusterRoles (the workload writes are tideplane-vpa’s)', () => {
    const loops = stack.clusters.get('vpc-cluster');
    const vpaRole = loops?.vpa?.role;
    if (!loops || !vpaRole) throw new Error('no VPA loop');
    const outputs = Template.fromStack(loops).toJSON().Outputs as Record<
      string,
      { Value: unknown; Description: string }
    >;
    const output = Object.values(outputs).find((o) => JSON.stringify(o.Value).includes(logicalId(vpaRole)));
    expect(output?.Description).toMatch(
      /bind it to the shipped tideplane and tideplane-vpa ClusterRoles \(.*patches workload pod templates/,
    );
  });

  it('should grant the function nothing in AWS beyond its logs, its partition, its secret and the VPC', () => {
    const loops = stack.clusters.get('vpc-cluster');
    if (!loops?.vpa) throw new Error('no VPA loop');
    const statements = roleStatements(template, loops.vpa.role);
    // The VPC attachment's statements are every VPC function's (tested with the loop function).
    const own = statements.filter((s) => !s.Sid?.includes('VpcNetworkInterfaces'));
    expect(statements.length - own.length).toBe(3);
    for (const action of own.flatMap((s) => [s.Action].flat())) {
      expect(action).toMatch(
        /^(logs:(CreateLogStream|PutLogEvents)|dynamodb:\w+|secretsmanager:GetSecretValue)$/,
      );
    }
  });

  it('should pass cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
    expect(regionMessages(stack).warnings).toEqual([]);
  });
});

describe('given a cluster with every loop', () => {
  it('should give each function only its own loop’s section of the config (Lambda allows 4 KB of environment)', () => {
    const built = buildApp(
      config([
        vpcCluster({
          vpa: {},
          nodePools: { pools: [{ name: 'default', asgs: ['a', 'b', 'c'] }] },
          controlPlane: { eks: {} },
          hpa: { tolerance: 0.2 },
        }),
      ]),
      { context: NO_BUNDLING },
    );
    const stack = single(built.stacks);
    const template = regionTemplate(stack);
    const loops = stack.clusters.get('vpc-cluster');
    if (!loops?.vpa || !loops.nodePools || !loops.controlPlane) throw new Error('missing loops');
    const sectionsOf = (fn: Parameters<typeof resource>[1]) => {
      const env = (
        resource(template, fn).Properties as { Environment: { Variables: Record<string, string> } }
      ).Environment.Variables;
      const cluster = JSON.parse(env.TIDEPLANE_CLUSTER as string).cluster as Record<string, unknown>;
      return ['hpa', 'metrics', 'nodePools', 'controlPlane', 'vpa'].filter((key) => key in cluster);
    };
    expect(sectionsOf(loops.hpa.function)).toEqual(['hpa']);
    expect(sectionsOf(loops.nodePools.function)).toEqual(['nodePools']);
    expect(sectionsOf(loops.controlPlane.function)).toEqual(['controlPlane']);
    expect(sectionsOf(loops.vpa.function)).toEqual(['vpa']);
  });
});
