import { DescribeVpcsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsLoadBalancing,
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
} from '../../shared/adapters/aws/load-balancing';
import { LoadBalancingError } from '../../shared/ports/load-balancing';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The load-balancing adapter against moto's ELBv2: the query wire format and its error codes
// (`TargetGroupNotFound` without the SDK's `Exception` suffix), registrations with and without a port
// override, deregistration, and the deregistration delay attribute. moto 5.2.5 does not health-check
// (every registered running instance is `healthy`) and drops a deregistered target at once (AWS keeps
// it `draining` for the delay), ignores the port when deregistering (the port is checked in the unit
// test's request shape), and refuses (`InvalidTarget`) to deregister a target that is not registered.

/** One of the AMIs moto ships. */
const AMI = 'ami-12c6146b';
const API_PORT = 443;

describe('AwsLoadBalancing against moto', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let elb: ElasticLoadBalancingV2Client;
  let port: AwsLoadBalancing;
  let targetGroupArn: string;
  let instances: string[];
  /** `DeregisterTargets` requests sent, counted on the wire. */
  let deregisterRequests = 0;

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    ec2 = new EC2Client(config);
    elb = new ElasticLoadBalancingV2Client(config);
    elb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeregisterTargetsCommand') deregisterRequests++;
        return next(args);
      },
      { step: 'initialize', name: 'countDeregisterRequests' },
    );
    port = new AwsLoadBalancing(elb);

    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    const created = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'kube-1-api',
        Protocol: 'TCP',
        Port: API_PORT,
        VpcId: vpcs.Vpcs?.[0]?.VpcId ?? '',
        TargetType: 'instance',
        HealthCheckProtocol: 'HTTPS',
        HealthCheckPath: '/readyz',
      }),
    );
    targetGroupArn = created.TargetGroups?.[0]?.TargetGroupArn ?? '';
    const launched = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm6i.xlarge', MinCount: 3, MaxCount: 3 }),
    );
    instances = (launched.Instances ?? []).map((i) => i.InstanceId ?? '');
    await elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: targetGroupArn,
        // The third on another port: its deregistration must name that port.
        Targets: [{ Id: instances[0] }, { Id: instances[1] }, { Id: instances[2], Port: 6443 }],
      }),
    );
  });

  afterAll(async () => {
    ec2?.destroy();
    elb?.destroy();
    await moto?.stop();
  });

  it('should report every registered target with its port and health', async () => {
    const health = await port.describeTargetHealth(targetGroupArn);
    expect(health).toEqual([
      { targetId: instances[0], port: API_PORT, state: 'healthy' },
      { targetId: instances[1], port: API_PORT, state: 'healthy' },
      { targetId: instances[2], port: 6443, state: 'healthy' },
    ]);
  });

  it("should read the deregistration delay: ELBv2's default, then the group's own", async () => {
    expect(await port.deregistrationDelaySeconds(targetGroupArn)).toBe(DEFAULT_DEREGISTRATION_DELAY_SECONDS);
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: targetGroupArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
      }),
    );
    expect(await port.deregistrationDelaySeconds(targetGroupArn)).toBe(30);
  });

  it('given instances to deregister (one on a port override), should take exactly those out', async () => {
    await port.deregisterTargets(targetGroupArn, [instances[0] ?? '', instances[2] ?? '']);
    expect((await port.describeTargetHealth(targetGroupArn)).map((t) => t.targetId)).toEqual([instances[1]]);
  });

  it('given instances no longer registered, should send no DeregisterTargets (moto would refuse it)', async () => {
    deregisterRequests = 0;
    await port.deregisterTargets(targetGroupArn, [instances[0] ?? '', 'i-0123456789abcdef0']);
    expect(deregisterRequests).toBe(0);
    expect((await port.describeTargetHealth(targetGroupArn)).map((t) => t.targetId)).toEqual([instances[1]]);
  });

  it.each([
    ['describeTargetHealth', (p: AwsLoadBalancing, arn: string) => p.describeTargetHealth(arn)],
    ['deregistrationDelaySeconds', (p: AwsLoadBalancing, arn: string) => p.deregistrationDelaySeconds(arn)],
    [
      'deregisterTargets',
      (p: AwsLoadBalancing, arn: string) => p.deregisterTargets(arn, ['i-0123456789abcdef0']),
    ],
  ])('given an unknown target group, %s should throw NotFound', async (_what, call) => {
    const unknown = targetGroupArn.replace(/\/[0-9a-f]+$/, '/0123456789abcdef');
    const error = await call(port, unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadBalancingError);
    expect((error as LoadBalancingError).reason).toBe('NotFound');
  });
});
