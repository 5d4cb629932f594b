/**
 * What the control-plane loop talks to. EC2 control planes use the Auto Scaling, launch-template,
 * load-balancing, instance and probe ports; EKS control planes the EKS port; both the alarms, the
 * cluster and the state store.
 */
import type { ControlPlaneConfig } from '../config/control-plane';
import type { AlarmsPort } from '../ports/alarms';
import type { ApiServerProbePort } from '../ports/api-server-probe';
import type { AutoScalingPort } from '../ports/auto-scaling';
import type { Clock } from '../ports/clock';
import type { Ec2Port } from '../ports/ec2';
import type { Ec2InstancesPort } from '../ports/ec2-instances';
import type { EksPort } from '../ports/eks';
import type { GroupUpdatesPort } from '../ports/group-updates';
import type { KubernetesPort } from '../ports/kubernetes';
import type { LaunchTemplatesPort } from '../ports/launch-templates';
import type { LoadBalancingPort } from '../ports/load-balancing';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';

export interface Ec2ControlPlanePorts {
  autoScaling: AutoScalingPort;
  groupUpdates: GroupUpdatesPort;
  launchTemplates: LaunchTemplatesPort;
  ec2: Ec2Port;
  instances: Ec2InstancesPort;
  loadBalancing: LoadBalancingPort;
  probe: ApiServerProbePort;
}

export interface ControlPlaneLoopDeps {
  cluster: string;
  settings: ControlPlaneConfig;
  kubernetes: KubernetesPort;
  /** Present for an `ec2` control plane. */
  aws?: Ec2ControlPlanePorts;
  /** Present for an `eks` control plane. */
  eks?: EksPort;
  alarms: AlarmsPort;
  /** The alarms the stack created for this cluster (see `controlPlaneAlarmNames`). */
  alarmNames: { high: string[]; low: string[] };
  /** API latency in seconds from the configured Prometheus query; undefined when it has no value. */
  latency?: () => Promise<number | undefined>;
  state: StateStore;
  clock: Clock;
  log: Logger;
  /** Decide and report only: no AWS, Kubernetes or state write. */
  dryRun: boolean;
  /** Clear a failed swap so swaps may start again (a person looked at it). */
  clearFailed?: boolean;
}
