/**
 * The full day (issue 9's default scenario): every loop on one big cluster over a European day.
 * - The shop of the default day seven times over (246 services in 49 namespaces) with HPAs on CPU,
 *   requests per second (ALB through CloudWatch) and queue length (SQS): ~50 nodes at night, 250+ at the
 *   evening peak.
 * - A Prometheus under a VPA (mode Auto, memory limit = request) whose memory follows the cluster.
 * - A kOps-style control plane of three m6i.large that needs a bigger instance at the peak.
 * - The default instance type (m5.2xlarge, on-demand) and the spot pool's (m5.xlarge spot) out of capacity
 *   in one zone during the morning ramp.
 * - An account whose Standard on-demand vCPU quota would block the evening peak.
 * Run side by side with the baseline (baseline.ts), it is the yardstick of the project's policies.
 */

import type { Scenario } from '../scenario';
import { STANDARD_ON_DEMAND_QUOTA_CODE, STANDARD_SPOT_QUOTA_CODE } from '../service-quotas';
import { controlPlaneGroupName } from './control-plane-day';
import { createDefaultDayScenario, ZONES } from './default-day';
import { QUOTA_LIMIT_AWS } from './quota-limit';
import { VPA_DAY_PROMETHEUS, VPA_DAY_PROMETHEUS_VPA } from './vpa-day';

const HOUR_MS = 3_600_000;

/**
 * The full day's figures:
 * - `copies` 7: 246 services, the "few hundred" of a big cluster; the six tenant copies have a quarter of
 *   the shop's night traffic (default-day.ts, `copyRow`), so the cluster needs ~30 nodes' worth of
 *   requests at 04:00 and ~280 at the evening peak;
 * - `scaleDownUtilizationThreshold` 0.65: this platform team lets tideplane empty nodes below 65 %
 *   utilization (cluster-autoscaler's default, 0.5, is the baseline's), so the night gets down to ~50;
 * - `controlPlaneType` m6i.large with `extraApiRequestsPerSecond` 450 at the peak (deploys, CI, dashboards
 *   and operators beyond what nodes and pods cause): the lunch plateau takes three m6i.large just past the
 *   load alarm's 70 % CPU and, without a swap, the evening to ~90 % (API latency of seconds);
 * - the shortages: in the first zone from 06:30 to 09:00, the morning ramp, m5.2xlarge on-demand (the
 *   default pool falls back to m6i.2xlarge) and m5.xlarge spot (spot pods opt into spot only: they wait
 *   for the other zones' spot nodes);
 * - `network`: a /15 pod network of /24 node ranges, 512 nodes of 110 pods. The shop's /16 (default-day.ts)
 *   stops a cluster at 256 nodes, fewer than this evening needs (~280): the platform team sized the
 *   network for the cluster, so the peak measures the policies, not a full address space;
 * - `standardOnDemandVcpus` 1,280: the night and the morning fit, the evening peak (~1,900 vCPUs
 *   on-demand) does not; the quota loop asks at midnight and AWS answers in 3.5 h.
 */
export const FULL_DAY = {
  copies: 7,
  controlPlaneType: 'm6i.large',
  extraApiRequestsPerSecond: 450,
  shortages: [
    { instanceType: 'm5.2xlarge', capacityType: 'on-demand' },
    { instanceType: 'm5.xlarge', capacityType: 'spot' },
  ],
  shortageHours: { from: 6.5, until: 9 },
  standardOnDemandVcpus: 1_280,
  standardSpotVcpus: 1_024,
  scaleDownUtilizationThreshold: 0.65,
  network: { clusterCidr: '10.2.0.0/15', nodeCidrMaskSize: 24 },
} as const;

export interface FullDayOptions {
  /** @default 24 h */
  durationMs?: number;
  /** @default FULL_DAY.copies */
  copies?: number;
  /** Local hours after midnight the run starts at (a slice of the day, for tests). @default 0 */
  startHour?: number;
  seed?: number;
}

/**
 * @example const { figures } = await runSideBySide(createFullDayScenario());
 */
export function createFullDayScenario(options: FullDayOptions = {}): Scenario {
  const day = createDefaultDayScenario({
    copies: options.copies ?? FULL_DAY.copies,
    ...(options.startHour !== undefined ? { startHour: options.startHour } : {}),
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const zone = ZONES[0] as string;
  const durationMs = day.durationMs;
  const atMs = (hour: number) => (hour - (options.startHour ?? 0)) * HOUR_MS;
  const within = (hour: number) => atMs(hour) >= 0 && atMs(hour) <= durationMs;
  const shortageFaults = (available: boolean, hour: number) =>
    within(hour)
      ? FULL_DAY.shortages.map((offering) => ({
          kind: 'capacity' as const,
          ...offering,
          zone,
          atMs: atMs(hour),
          available,
        }))
      : [];
  return {
    ...day,
    name: 'full-day',
    description:
      `${day.description} A Prometheus under a VPA, a control plane of three ${FULL_DAY.controlPlaneType} ` +
      `that the day outgrows (its load alarm fires at the lunch plateau; without a swap the evening takes ` +
      `the API latency to seconds), ` +
      `${FULL_DAY.shortages.map((o) => `${o.instanceType} ${o.capacityType}`).join(' and ')} out of capacity in ` +
      `${zone} during the morning ramp, and a Standard on-demand quota of ` +
      `${FULL_DAY.standardOnDemandVcpus} vCPUs that the evening peak would exceed.`,
    services: [...day.services, VPA_DAY_PROMETHEUS],
    faults: [
      ...(day.faults ?? []),
      ...shortageFaults(false, FULL_DAY.shortageHours.from),
      ...shortageFaults(true, FULL_DAY.shortageHours.until),
    ],
    network: { ...FULL_DAY.network },
    nodePools: {
      ...day.nodePools,
      scaleDown: { utilizationThreshold: FULL_DAY.scaleDownUtilizationThreshold },
    },
    vpa: { objects: [VPA_DAY_PROMETHEUS_VPA] },
    controlPlane: {
      settings: { ladder: { families: ['m6i'], floor: FULL_DAY.controlPlaneType } },
      ec2: {
        instanceType: FULL_DAY.controlPlaneType,
        groups: ZONES.map((zone) => ({
          name: controlPlaneGroupName(zone),
          availabilityZones: [zone],
          instances: 1,
        })),
        deregistrationDelaySeconds: 60,
      },
      // The simulated cluster's own nodes and pods make the load, plus what people and tools send.
      load: {
        podsPerNode: 0,
        extraRequestsPerSecond: {
          kind: 'european-day',
          peakRps: FULL_DAY.extraApiRequestsPerSecond,
          noise: 0.05,
        },
      },
    },
    quotas: {
      account: {
        applied: {
          [STANDARD_ON_DEMAND_QUOTA_CODE]: FULL_DAY.standardOnDemandVcpus,
          [STANDARD_SPOT_QUOTA_CODE]: FULL_DAY.standardSpotVcpus,
        },
        requests: QUOTA_LIMIT_AWS,
      },
      settings: {},
    },
  };
}
