/**
 * A day of vertical scaling: a Prometheus StatefulSet whose memory grows with the cluster it scrapes,
 * under a VPA in mode Auto. Its series follow the cluster's pods over a European day (a third of the
 * evening peak at night), so its memory need does too; the VPA raises the pod template's request (and
 * the limit with it, limit = request) a step ahead of the usage as it grows, each step a rolling restart
 * of the two replicas, and keeps the day's peak through the evening (upstream's recommender remembers
 * one peak a day). A config-reloader sidecar gets its own recommendation (the per-pod minimum's share).
 */
import type { SimGroupSpec } from '../cloud';
import type { Scenario, ScenarioService } from '../scenario';
import type { SimVpaInput } from '../vpa-objects';

const CLUSTER_NAME = 'sim-vpa-day';
/** Tuesday 2 June 2026, 04:00 CEST: the night's trough, before the cluster grows into the day. */
const START = Date.UTC(2026, 5, 2, 2, 0, 0);
const HOUR_MS = 3_600_000;

/**
 * - `peakNeedMi` 9,600 and `nightFraction` 0.35: a Prometheus of a cluster of a few hundred pods at
 *   peak needs about 10 GiB, and a third of that in the night's trough;
 * - `requestMi` 4,608: what the team set by hand after looking at the quiet night;
 * - `fillSeconds` 300: a restarted Prometheus replays its WAL for about five minutes.
 */
export const VPA_DAY_DEFAULTS = {
  peakNeedMi: 9_600,
  nightFraction: 0.35,
  requestMi: 4_608,
  fillSeconds: 300,
} as const;

export interface VpaDayOptions {
  /** @default 24 h */
  durationMs?: number;
}

/** A Prometheus StatefulSet whose memory need follows the cluster over the day (also in the full day). */
export const VPA_DAY_PROMETHEUS: ScenarioService = {
  namespace: 'monitoring',
  name: 'prometheus',
  kind: 'StatefulSet',
  // As prometheus-operator runs it: a crash-looping replica must not block the other's update.
  podManagementPolicy: 'Parallel',
  replicas: 2,
  containers: [
    {
      name: 'prometheus',
      requests: { cpu: '500m', memory: `${VPA_DAY_DEFAULTS.requestMi}Mi` },
      limits: { memory: `${VPA_DAY_DEFAULTS.requestMi}Mi` },
      memoryNeed: {
        needMi: {
          kind: 'european-day',
          peakRps: VPA_DAY_DEFAULTS.peakNeedMi,
          nightFraction: VPA_DAY_DEFAULTS.nightFraction,
          noise: 0.02,
        },
        fillSeconds: VPA_DAY_DEFAULTS.fillSeconds,
      },
    },
    {
      name: 'config-reloader',
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '128Mi' },
      fixedUsage: { cpuMillis: 5, memoryMi: 24 },
    },
  ],
  startupSeconds: 10,
  readinessSeconds: 30,
  terminationSeconds: 60,
  terminationGracePeriodSeconds: 600,
  // Samples ingested per second, which drive its CPU; the same day shape as its series.
  load: { kind: 'european-day', peakRps: 1000, nightFraction: VPA_DAY_DEFAULTS.nightFraction, noise: 0.05 },
  cost: { cpuBaseMillis: 100, cpuMillisPerRps: 0.7, memoryBaseMi: 0, memoryMiPerRps: 0 },
  noise: 0.05,
};

/** The VPA of `VPA_DAY_PROMETHEUS`: mode Auto, memory between 2 and 24 GiB, tideplane's. */
export const VPA_DAY_PROMETHEUS_VPA: SimVpaInput = {
  namespace: 'monitoring',
  name: 'prometheus',
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'prometheus' },
    updatePolicy: { updateMode: 'Auto' },
    resourcePolicy: {
      containerPolicies: [
        {
          containerName: 'prometheus',
          minAllowed: { memory: '2Gi' },
          maxAllowed: { memory: '24Gi' },
        },
        { containerName: 'config-reloader', controlledResources: ['memory'] },
      ],
    },
    recommenders: [{ name: 'tideplane' }],
  },
};

function groups(): SimGroupSpec[] {
  return [
    {
      name: `${CLUSTER_NAME}-monitoring`,
      minSize: 2,
      maxSize: 2,
      desiredCapacity: 2,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'r5.2xlarge',
      capacityType: 'on-demand',
    },
  ];
}

/**
 * @example
 * const result = await runSimulation(createVpaDayScenario(), { controllers: (world) => [vpaController(world)] });
 */
export function createVpaDayScenario(options: VpaDayOptions = {}): Scenario {
  return {
    name: 'vpa-day',
    description:
      'A Prometheus StatefulSet whose memory follows the cluster over a European day, under a VPA in mode ' +
      'Auto (memory limit = request); tideplane raises its request ahead of the usage.',
    clusterName: CLUSTER_NAME,
    region: 'eu-central-1',
    seed: 43,
    start: START,
    utcOffsetMinutes: 120,
    durationMs: options.durationMs ?? 24 * HOUR_MS,
    tickIntervalMs: 60_000,
    sampleIntervalMs: 5 * 60_000,
    nodeGroups: groups(),
    services: [VPA_DAY_PROMETHEUS],
    vpa: {
      objects: [VPA_DAY_PROMETHEUS_VPA],
    },
  };
}
