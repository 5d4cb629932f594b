/**
 * Control-plane day: a self-managed (kOps-style) control plane of three m6i.xlarge instances, one Auto
 * Scaling group per zone behind the API load balancer, serving a cluster that grows from ~340 nodes at
 * 06:00 to ~1,000 at the evening peak and shrinks to ~250 in the night (30 pods a node), over 24 hours
 * from 06:00 CEST.
 *
 * The load comes from a trace of the node count, not from 1,000 simulated nodes: the simulated cluster
 * holds only the control-plane nodes, and the control plane's CPU and API latency follow the traced
 * nodes and pods (see control-plane/load-model.ts). With the defaults of the control-plane config the
 * morning ramp pushes the instances' CPU past 70 %: the load-high alarm fires, the loop swaps to
 * m6i.2xlarge one instance at a time, surge first, and latency recovers; after midnight CPU stays below
 * 25 % for an hour, and once the down cooldown has passed the loop swaps back to m6i.xlarge (the floor).
 * The ladder climbs the m6i family only.
 */
import type { Scenario } from '../scenario';

/** Tuesday 3 June 2025, 06:00 CEST. */
const DEFAULT_START = Date.UTC(2025, 5, 3, 4, 0, 0);
const CEST_OFFSET_MINUTES = 120;
const HOUR_MS = 3_600_000;

export const CONTROL_PLANE_DAY = {
  clusterName: 'sim-control-plane',
  region: 'eu-central-1',
  zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
  /** Where the control plane starts, and where it may not go below. */
  instanceType: 'm6i.xlarge',
  /** Nodes at the evening peak and in the night's trough (the trace's shape is a European day). */
  peakNodes: 1000,
  nightNodes: 250,
  podsPerNode: 30,
  startHour: 6,
} as const;

export interface ControlPlaneDayOptions {
  /** @default 24 h */
  durationMs?: number;
  /** @default 1 */
  seed?: number;
  /** The launch template version the groups launch. @default '1' */
  launchTemplateVersion?: string;
}

/** The control plane's groups: kOps's one per zone, one instance each. */
export function controlPlaneGroupName(zone: string): string {
  return `control-plane-${zone}`;
}

/**
 * @example
 * const result = await runSimulation(createControlPlaneDayScenario(), { controllers: (world) => [controlPlaneController(world)] });
 * result.controlPlane?.swaps; // up in the morning, down in the night
 */
export function createControlPlaneDayScenario(options: ControlPlaneDayOptions = {}): Scenario {
  const day = CONTROL_PLANE_DAY;
  return {
    name: 'control-plane-day',
    description:
      `A kOps-style control plane of three ${day.instanceType} (one Auto Scaling group per zone) for a cluster ` +
      `that grows to ~${day.peakNodes} nodes (${day.podsPerNode} pods each) by the evening and shrinks to ` +
      `~${day.nightNodes} at night; node and pod counts come from a trace, not from simulated nodes. The ` +
      'control-plane loop swaps the instance type up when the load alarm fires and back down at night.',
    clusterName: day.clusterName,
    region: day.region,
    seed: options.seed ?? 1,
    start: DEFAULT_START,
    utcOffsetMinutes: CEST_OFFSET_MINUTES,
    durationMs: options.durationMs ?? 24 * HOUR_MS,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 5 * 60_000,
    nodeGroups: [],
    services: [],
    controlPlane: {
      settings: {
        ladder: { families: ['m6i'], floor: day.instanceType },
      },
      ec2: {
        instanceType: day.instanceType,
        groups: day.zones.map((zone) => ({
          name: controlPlaneGroupName(zone),
          availabilityZones: [zone],
          instances: 1,
        })),
        ...(options.launchTemplateVersion ? { launchTemplateVersion: options.launchTemplateVersion } : {}),
        // An API NLB drains faster than ELB's default 300 s: API requests are short, watches reconnect.
        deregistrationDelaySeconds: 60,
      },
      load: {
        nodes: {
          kind: 'european-day',
          peakRps: day.peakNodes,
          nightFraction: day.nightNodes / day.peakNodes,
          noise: 0.02,
        },
        podsPerNode: day.podsPerNode,
      },
    },
  };
}
