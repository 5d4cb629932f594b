/**
 * VPA OOM recovery: a cache Deployment whose memory need steps up (×2, ×3 or ×4) after a day at a steady
 * need, under a VPA in mode Auto with memory limit = request (Zalando's rule). The day before the step
 * gives the recommender a history and settles the request just above the need, as in a cluster that ran
 * for a while; the step then OOM-kills every replica, and what happens next is the OOM policy's doing.
 * `runVpaOomExperiment` (vpa-oom-experiment.ts) runs it for 1 and 10 replicas under tideplane's policy
 * and upstream's.
 */
import type { SimGroupSpec } from '../cloud';
import type { RollingUpdateSpec } from '../rolling-update';
import type { Scenario, ScenarioService } from '../scenario';

const CLUSTER_NAME = 'sim-vpa-oom';
/** Monday 1 June 2026, 00:00 CEST. */
const START = Date.UTC(2026, 4, 31, 22, 0, 0);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const VPA_OOM_NAMESPACE = 'oom-lab';
export const VPA_OOM_WORKLOAD = 'cache';

/**
 * The scenario's figures:
 * - `needMi` 800: the cache's working set before the step;
 * - `requestMi` 1000: the request (= limit) the team started with, 25 % above the need, which the VPA
 *   leaves alone (its target, need × 1.15 rounded to a bucket, is within 10 % of it);
 * - `warmupMs` 24 h: one memory aggregation interval of history before the step;
 * - `stepOffsetMs` 30 s: the step falls between two VPA ticks (a minute apart), as it would in life;
 * - `afterStepMs` 36 h: longer than the fast policy's 24-h hold, so a scale-down after it shows too.
 */
export const VPA_OOM_DEFAULTS = {
  needMi: 800,
  requestMi: 1000,
  warmupMs: 24 * HOUR_MS,
  stepOffsetMs: 30_000,
  afterStepMs: 36 * HOUR_MS,
  fillSeconds: 120,
} as const;

export interface VpaOomScenarioOptions {
  /** The step of the memory need (2 = twice the need). @default 4 */
  factor?: number;
  /** @default 10 */
  replicas?: number;
  /** @default VPA_OOM_DEFAULTS.warmupMs */
  warmupMs?: number;
  /** @default VPA_OOM_DEFAULTS.afterStepMs */
  afterStepMs?: number;
  /** Seconds a restarted container takes to fill its working set. @default VPA_OOM_DEFAULTS.fillSeconds */
  fillSeconds?: number;
  /** The Deployment's rollout. @default Kubernetes' 25 % / 25 % */
  rollingUpdate?: RollingUpdateSpec;
}

/** When the memory need steps up, as an offset from the scenario's start. */
export function vpaOomStepOffsetMs(options: Pick<VpaOomScenarioOptions, 'warmupMs'> = {}): number {
  return (options.warmupMs ?? VPA_OOM_DEFAULTS.warmupMs) + VPA_OOM_DEFAULTS.stepOffsetMs;
}

function cache(
  replicas: number,
  factor: number,
  stepMinute: number,
  fillSeconds: number,
  rollingUpdate: RollingUpdateSpec | undefined,
): ScenarioService {
  const request = `${VPA_OOM_DEFAULTS.requestMi}Mi`;
  return {
    namespace: VPA_OOM_NAMESPACE,
    name: VPA_OOM_WORKLOAD,
    replicas,
    ...(rollingUpdate ? { rollingUpdate } : {}),
    containers: [
      {
        name: 'cache',
        requests: { cpu: '250m', memory: request },
        limits: { memory: request },
        memoryNeed: {
          needMi: {
            kind: 'steps',
            steps: [
              { atMinute: 0, rps: VPA_OOM_DEFAULTS.needMi },
              { atMinute: stepMinute, rps: VPA_OOM_DEFAULTS.needMi * factor },
            ],
          },
          fillSeconds,
        },
      },
    ],
    startupSeconds: 10,
    readinessSeconds: 20,
    load: { kind: 'constant', rps: 200 },
    cost: { cpuBaseMillis: 60, cpuMillisPerRps: 1, memoryBaseMi: 0, memoryMiPerRps: 0 },
    noise: 0.05,
  };
}

/** Room for ten replicas at five times the need, with the rollout's surge. */
function groups(): SimGroupSpec[] {
  return [
    {
      name: `${CLUSTER_NAME}-default`,
      minSize: 3,
      maxSize: 3,
      desiredCapacity: 3,
      availabilityZones: ['eu-central-1a'],
      instanceType: 'm6i.4xlarge',
      capacityType: 'on-demand',
    },
  ];
}

/**
 * @example
 * const scenario = createVpaOomScenario({ factor: 3, replicas: 1 });
 */
export function createVpaOomScenario(options: VpaOomScenarioOptions = {}): Scenario {
  const factor = options.factor ?? 4;
  const replicas = options.replicas ?? 10;
  const warmupMs = options.warmupMs ?? VPA_OOM_DEFAULTS.warmupMs;
  const afterStepMs = options.afterStepMs ?? VPA_OOM_DEFAULTS.afterStepMs;
  const stepOffsetMs = vpaOomStepOffsetMs({ warmupMs });
  return {
    name: 'vpa-oom',
    description:
      `A cache Deployment of ${replicas} replica(s) whose memory need steps from ${VPA_OOM_DEFAULTS.needMi} MiB ` +
      `to ×${factor} after ${Math.round(warmupMs / HOUR_MS)} h, under a VPA in mode Auto (memory limit = request).`,
    clusterName: CLUSTER_NAME,
    region: 'eu-central-1',
    seed: 41,
    start: START,
    utcOffsetMinutes: 120,
    durationMs: stepOffsetMs + afterStepMs,
    tickIntervalMs: 60_000,
    sampleIntervalMs: 5 * MINUTE_MS,
    nodeGroups: groups(),
    services: [
      cache(
        replicas,
        factor,
        stepOffsetMs / MINUTE_MS,
        options.fillSeconds ?? VPA_OOM_DEFAULTS.fillSeconds,
        options.rollingUpdate,
      ),
    ],
    vpa: {
      objects: [
        {
          namespace: VPA_OOM_NAMESPACE,
          name: VPA_OOM_WORKLOAD,
          spec: {
            targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: VPA_OOM_WORKLOAD },
            updatePolicy: { updateMode: 'Auto' },
            resourcePolicy: { containerPolicies: [{ containerName: '*', controlledResources: ['memory'] }] },
            recommenders: [{ name: 'tideplane' }],
          },
        },
      ],
      settings: { oomPolicy: 'fast' },
    },
  };
}
