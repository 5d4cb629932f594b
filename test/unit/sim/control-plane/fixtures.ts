/**
 * A control-plane group in a fresh simulated cloud, with its launch template, API servers, EC2 view and
 * target group, wired by hand (not through a scenario), for the unit tests of those pieces.
 */
import { SimCloud } from '../../../../shared/sim/cloud';
import { SimCluster } from '../../../../shared/sim/cluster';
import { SimApiServers } from '../../../../shared/sim/control-plane/api-servers';
import { SimControlPlaneGroups } from '../../../../shared/sim/control-plane/groups';
import { SimEc2Instances } from '../../../../shared/sim/control-plane/instances';
import { SimLaunchTemplates } from '../../../../shared/sim/control-plane/launch-templates';
import { SimTargetGroups } from '../../../../shared/sim/control-plane/target-groups';
import { VirtualClock } from '../../../../shared/sim/virtual-clock';

export const START = Date.UTC(2025, 5, 2, 8, 0, 0);
export const GROUP = 'control-plane';
export const ARN = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/api/0123456789abcdef';
export const BOOT_SECONDS = 180;
export const API_START_SECONDS = 60;
export const DELAY_SECONDS = 60;

export function controlPlaneFixture(options: { instances?: number } = {}) {
  const clock = new VirtualClock(START);
  const cluster = new SimCluster({ clock });
  const cloud = new SimCloud({ clock, cluster });
  const count = options.instances ?? 2;
  cloud.addGroup({
    name: GROUP,
    minSize: count,
    maxSize: count,
    desiredCapacity: count,
    availabilityZones: ['eu-central-1a', 'eu-central-1b'],
    instanceType: 'm6i.xlarge',
    capacityType: 'on-demand',
    nodeLabels: { 'node-role.kubernetes.io/control-plane': '' },
    nodeTaints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    bootSeconds: BOOT_SECONDS,
  });
  const templates = new SimLaunchTemplates();
  const launchTemplateId = templates.addTemplate({ name: GROUP, instanceType: 'm6i.xlarge' });
  const groups = new SimControlPlaneGroups(cloud, templates);
  groups.attach(GROUP, { launchTemplateId, version: '1', targetGroupArns: [ARN] });
  const instances = new SimEc2Instances(cloud);
  const servers = new SimApiServers({ clock, instances, apiStartSeconds: API_START_SECONDS });
  servers.markWarm(cloud.instances(GROUP));
  const targets = new SimTargetGroups({ clock, cloud, servers });
  targets.addTargetGroup({ arn: ARN, groups: [GROUP], deregistrationDelaySeconds: DELAY_SECONDS });
  /** Moves time and lets the cloud and the target group catch up. */
  const advance = (ms: number) => {
    clock.advance(ms);
    cloud.reconcile();
    targets.sync();
  };
  return { clock, cluster, cloud, templates, launchTemplateId, groups, instances, servers, targets, advance };
}
