/**
 * A scenario's control plane, as plain data: the loop's settings as a config file writes them, the
 * EC2 control plane (Auto Scaling groups, instance type, how long instances take) or the EKS cluster's
 * tier, and the load it carries. The load may come from a trace of nodes rather than from the simulated
 * cluster, so a control plane serving 1,000 nodes needs no 1,000 simulated nodes.
 */
import type { z } from 'zod';
import type { controlPlaneSchema } from '../../config/control-plane';
import type { TraceSpec } from '../traces';
import type { LoadCoefficients } from './load-model';

export interface SimControlPlaneGroupSpec {
  name: string;
  availabilityZones: string[];
  /** Instances it runs (its min, max and desired capacity). */
  instances: number;
}

export interface SimEc2ControlPlaneSpec {
  /** The type the launch templates' first versions launch. */
  instanceType: string;
  /** One group for all zones, or one per zone as kOps makes them. */
  groups: SimControlPlaneGroupSpec[];
  /** The launch template version the groups launch (`1`, `$Latest`, `$Default`). @default '1' */
  launchTemplateVersion?: string;
  /** Launch to in service, node Ready. @default CONTROL_PLANE_BOOT_SECONDS */
  bootSeconds?: number;
  /** In service to `/readyz` passing. @default DEFAULT_API_START_SECONDS */
  apiStartSeconds?: number;
  /** The API target group's. @default DEFAULT_DEREGISTRATION_DELAY_SECONDS */
  deregistrationDelaySeconds?: number;
}

export interface SimEksControlPlaneSpec {
  tier: string;
  /** @default DEFAULT_TIER_UPDATE_MINUTES */
  updateMinutes?: number;
}

export interface SimControlPlaneLoadSpec {
  /**
   * Nodes the control plane serves beyond the simulated cluster's own, over the day (a trace's value is
   * read as a node count). Absent: only the simulated cluster's nodes.
   */
  nodes?: TraceSpec;
  /** Pods per traced node. */
  podsPerNode: number;
  /** API requests per second beyond what nodes and pods cause. */
  extraRequestsPerSecond?: TraceSpec;
  coefficients?: Partial<LoadCoefficients>;
}

export interface SimControlPlaneSpec {
  /**
   * The control-plane loop's settings as the config file writes them; `ec2.asgs` (or `eks`) is filled
   * in from the groups below when absent.
   */
  settings: Omit<z.input<typeof controlPlaneSchema>, 'ec2' | 'eks'> & {
    ec2?: Partial<NonNullable<z.input<typeof controlPlaneSchema>['ec2']>>;
    eks?: z.input<typeof controlPlaneSchema>['eks'];
  };
  ec2?: SimEc2ControlPlaneSpec;
  eks?: SimEksControlPlaneSpec;
  load: SimControlPlaneLoadSpec;
}
