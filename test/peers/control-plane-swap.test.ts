import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateLaunchTemplateCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAlarms } from '../../shared/adapters/aws/alarms';
import { AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { AwsEc2Instances } from '../../shared/adapters/aws/ec2-instances';
import { AwsGroupUpdates } from '../../shared/adapters/aws/group-updates';
import { AwsLaunchTemplates } from '../../shared/adapters/aws/launch-templates';
import { AwsLoadBalancing } from '../../shared/adapters/aws/load-balancing';
import { controlPlaneSchema } from '../../shared/config/control-plane';
import { controlPlaneAlarmNames } from '../../shared/controlplane/alarm-names';
import {
  parseSwapHistory,
  parseSwapRecord,
  SWAP_HISTORY_KEY,
  SWAP_KEY,
} from '../../shared/controlplane/swap-record';
import type { ControlPlaneLoopDeps } from '../../shared/loops/control-plane-deps';
import { type ControlPlaneTickSummary, runControlPlaneTick } from '../../shared/loops/control-plane-loop';
import type { KubernetesPort, Node } from '../../shared/ports/kubernetes';
import { silentLogger } from '../../shared/ports/logger';
import { SimStateStore } from '../../shared/sim/state-store';
import { VirtualClock } from '../../shared/sim/virtual-clock';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// A whole control-plane swap through the real AWS adapters against moto's Auto Scaling, EC2 (launch
// templates, instances, the instance-type catalogue and offerings), ELBv2 and CloudWatch alarms: the
// alarm fires, the loop walks the swap one step per tick, and every instance ends on the bigger type
// with the load balancer never short of API servers. Kubernetes is a port double whose Nodes mirror the
// group's instances (the real API server is exercised by the adapter suites); `/readyz` answers ready.
// moto 5.2.5 launches instances InService at once, reports every registered running target healthy,
// drops a deregistered target at once and does not evaluate alarms (SetAlarmState sets them).

const AMI = 'ami-12c6146b';
const CLUSTER = 'kube-1';
const GROUP = 'master-us-east-1';
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TICK_MS = 15_000;

/**
 * A Node for every instance the group ever had, until the loop deletes it (as a real Node outlives its
 * instance until someone deletes it); Ready while its instance runs.
 */
class MirroredNodes {
  readonly deleted = new Set<string>();
  readonly tainted = new Set<string>();
  readonly events: { node: string; reason: string; component?: string }[] = [];
  private readonly seen = new Map<string, { instanceId: string; availabilityZone: string }>();
  constructor(private readonly groups: AwsAutoScaling) {}

  async nodes(): Promise<Node[]> {
    const [group] = await this.groups.describeGroups([GROUP]);
    const running = new Set<string>();
    for (const i of group?.instances ?? []) {
      if (i.lifecycleState.startsWith('Terminat')) continue;
      running.add(i.instanceId);
      this.seen.set(i.instanceId, { instanceId: i.instanceId, availabilityZone: i.availabilityZone });
    }
    return [...this.seen.values()]
      .map((i) => ({
        name: `node-${i.instanceId}`,
        uid: `uid-${i.instanceId}`,
        labels: { 'node-role.kubernetes.io/control-plane': '' },
        annotations: {},
        capacity: {},
        allocatable: {},
        unschedulable: false,
        taints: this.tainted.has(`node-${i.instanceId}`)
          ? [{ key: 'tideplane.io/draining', effect: 'NoSchedule' as const }]
          : [],
        ready: running.has(i.instanceId),
        creationTimestamp: 0,
        providerID: `aws:///${i.availabilityZone}/${i.instanceId}`,
      }))
      .filter((node) => !this.deleted.has(node.name));
  }

  port(): KubernetesPort {
    const port: Partial<KubernetesPort> = {
      listNodes: () => this.nodes(),
      listPods: async () => [],
      setNodeTaint: async (name, _taint, present) => {
        if (present) this.tainted.add(name);
        else this.tainted.delete(name);
      },
      deleteNode: async (name) => {
        this.deleted.add(name);
      },
      createEvent: async (event) => {
        this.events.push({
          node: event.involvedObject.name,
          reason: event.reason,
          ...(event.reportingComponent ? { component: event.reportingComponent } : {}),
        });
      },
    };
    return port as KubernetesPort;
  }
}

describe('a control-plane swap through the AWS adapters against moto', () => {
  let moto: MotoServer;
  let clients: {
    autoScaling: AutoScalingClient;
    ec2: EC2Client;
    elb: ElasticLoadBalancingV2Client;
    cloudWatch: CloudWatchClient;
  };
  let templateId: string;
  let targetGroupArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    clients = {
      autoScaling: new AutoScalingClient(config),
      ec2: new EC2Client(config),
      elb: new ElasticLoadBalancingV2Client(config),
      cloudWatch: new CloudWatchClient(config),
    };
    const template = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: GROUP,
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm7i.xlarge' },
      }),
    );
    templateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
    const vpcs = await clients.ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    const targetGroup = await clients.elb.send(
      new CreateTargetGroupCommand({
        Name: 'kube-1-api',
        Protocol: 'TCP',
        Port: 443,
        VpcId: vpcs.Vpcs?.[0]?.VpcId ?? '',
        TargetType: 'instance',
      }),
    );
    targetGroupArn = targetGroup.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await clients.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        MinSize: 3,
        MaxSize: 3,
        DesiredCapacity: 3,
        AvailabilityZones: ZONES,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '$Latest' },
        TargetGroupARNs: [targetGroupArn],
      }),
    );
  });

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await moto?.stop();
  });

  it('should replace every instance by the next rung, surge first, and put the group back as it was', async () => {
    const settings = controlPlaneSchema.parse({
      ec2: { asgs: [GROUP], launchTemplateIds: [templateId], targetGroupArns: [targetGroupArn] },
      ladder: { families: ['m7i'] },
    });
    const names = controlPlaneAlarmNames(CLUSTER, settings);
    for (const name of [...names.high, ...names.low]) {
      await clients.cloudWatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 5,
          Threshold: name.endsWith('high') ? 70 : 25,
          ComparisonOperator: name.endsWith('high') ? 'GreaterThanThreshold' : 'LessThanThreshold',
        }),
      );
    }
    await clients.cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: names.high[0],
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed',
        StateReasonData: JSON.stringify({
          version: '1.0',
          recentDatapoints: [74, 76, 78, 77, 79],
          threshold: 70,
        }),
      }),
    );

    const autoScaling = new AwsAutoScaling({ autoScaling: clients.autoScaling, ec2: clients.ec2 });
    const mirrored = new MirroredNodes(autoScaling);
    const clock = new VirtualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const state = new SimStateStore(clock);
    const deps: ControlPlaneLoopDeps = {
      cluster: CLUSTER,
      settings,
      kubernetes: mirrored.port(),
      aws: {
        autoScaling,
        groupUpdates: new AwsGroupUpdates(clients.autoScaling),
        launchTemplates: new AwsLaunchTemplates(clients.ec2),
        ec2: new Ec2Adapter(clients.ec2),
        instances: new AwsEc2Instances(clients.ec2),
        loadBalancing: new AwsLoadBalancing(clients.elb),
        probe: { readyz: async () => ({ ready: true, status: 200 }) },
      },
      alarms: new AwsAlarms(clients.cloudWatch),
      alarmNames: names,
      state,
      clock,
      log: silentLogger,
      dryRun: false,
    };
    const healthy = async () => {
      const health = await clients.elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
      );
      return (health.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy')
        .length;
    };
    const before = await autoScaling.describeGroups([GROUP]);
    const oldInstances = (before[0]?.instances ?? []).map((i) => i.instanceId);
    expect(oldInstances).toHaveLength(3);
    expect(await healthy()).toBe(3);

    const ticks: ControlPlaneTickSummary[] = [];
    const cache = {};
    let minHealthy = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 120; t++) {
      const tick = await runControlPlaneTick(deps, cache);
      ticks.push(tick);
      minHealthy = Math.min(minHealthy, await healthy());
      clock.advance(TICK_MS);
      if (tick.finished) break;
    }

    expect(ticks[0]?.decision).toMatchObject({
      action: 'swap',
      direction: 'up',
      from: 'm7i.xlarge',
      to: 'm7i.2xlarge',
    });
    const finished = ticks.at(-1)?.finished;
    expect(finished).toMatchObject({ outcome: 'done' });
    const [after] = await autoScaling.describeGroups([GROUP]);
    expect(after?.instances.map((i) => i.instanceType)).toEqual([
      'm7i.2xlarge',
      'm7i.2xlarge',
      'm7i.2xlarge',
    ]);
    expect(after?.instances.some((i) => oldInstances.includes(i.instanceId))).toBe(false);
    expect(after).toMatchObject({ desiredCapacity: 3, maxSize: 3, minSize: 3, suspendedProcesses: [] });
    expect(after?.launchTemplate?.version).not.toBe('$Latest');
    expect(minHealthy).toBeGreaterThanOrEqual(3);
    expect(await healthy()).toBe(3);
    // Each old node was drained (tainted) and its Node deleted; the swap is history now.
    expect([...mirrored.deleted].sort()).toEqual(oldInstances.map((id) => `node-${id}`).sort());
    expect(
      mirrored.events
        .filter((e) => e.reason === 'ControlPlaneSwap')
        .map((e) => e.node)
        .sort(),
    ).toEqual(oldInstances.map((id) => `node-${id}`).sort());
    expect(new Set(mirrored.events.map((e) => e.component))).toEqual(new Set(['control-plane']));
    const swap = parseSwapRecord((await state.get(CLUSTER, SWAP_KEY))?.data);
    expect(swap).toMatchObject({ state: 'done', from: 'm7i.xlarge', to: 'm7i.2xlarge' });
    if (swap.kind === 'ec2') expect(swap.replaced.map((r) => r.old).sort()).toEqual([...oldInstances].sort());
    expect(parseSwapHistory((await state.get(CLUSTER, SWAP_HISTORY_KEY))?.data).entries).toMatchObject([
      { from: 'm7i.xlarge', to: 'm7i.2xlarge', direction: 'up', outcome: 'done' },
    ]);

    // The alarm still fires, but the cooldown holds the next swap.
    const next = await runControlPlaneTick(deps, cache);
    expect(next.decision).toMatchObject({ action: 'hold', reason: expect.stringContaining('cooling down') });
    expect(next.current).toBe('m7i.2xlarge');
  });
});
