/**
 * Zonal volume: a ledger database, a StatefulSet whose volumes all live in eu-central-1b (EBS volumes are
 * zonal), is scaled by its HPA from 2 to a dozen replicas when its traffic jumps eightfold at 09:10,
 * beyond what the cluster's nodes hold. Every new replica can only run where its volume is, so the
 * node-pool loop must grow the default pool's eu-central-1b group for them, not the emptier groups of
 * the other zones; a web service that can run anywhere keeps a steady load meanwhile.
 */
import {
  CA_ENABLED_TAG,
  CLUSTER_TAG_VALUE,
  clusterTag,
  NODE_POOL_TAG,
  PRIORITY_TAG,
} from '../../nodepools/pools';
import type { SimGroupSpec } from '../cloud';
import type { Scenario, ScenarioService } from '../scenario';
import { DEFAULT_DAY_NETWORK, groupName, ZONES } from './default-day';

const CLUSTER_NAME = 'sim-zonal-volume';
/** Tuesday 3 June 2025, 09:00 CEST. */
const START = Date.UTC(2025, 5, 3, 7, 0, 0);
const MAX_PODS = 110;

/** The zone every ledger volume is in. */
export const VOLUME_ZONE = ZONES[1] as string;

const cpuTarget = (averageUtilization: number) => [
  {
    type: 'Resource' as const,
    resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization } },
  },
];

const LEDGER: ScenarioService = {
  namespace: 'ledger',
  name: 'ledger-db',
  kind: 'StatefulSet',
  podManagementPolicy: 'Parallel',
  volumeClaim: { zones: [VOLUME_ZONE] },
  replicas: 2,
  containers: [{ name: 'db', requests: { cpu: '1000m', memory: '2Gi' }, limits: { memory: '4Gi' } }],
  startupSeconds: 10,
  readinessSeconds: 20,
  terminationSeconds: 30,
  load: {
    kind: 'steps',
    steps: [
      { atMinute: 0, rps: 300 },
      { atMinute: 10, rps: 2400 },
    ],
  },
  cost: { cpuBaseMillis: 50, cpuMillisPerRps: 3, memoryBaseMi: 900, memoryMiPerRps: 0.1 },
  autoscaler: { minReplicas: 2, maxReplicas: 16, metrics: cpuTarget(70) },
};

const WEB: ScenarioService = {
  namespace: 'shop',
  name: 'web',
  replicas: 6,
  containers: [{ name: 'web', requests: { cpu: '500m', memory: '512Mi' } }],
  startupSeconds: 5,
  readinessSeconds: 10,
  load: { kind: 'constant', rps: 1000 },
  cost: { cpuBaseMillis: 30, cpuMillisPerRps: 1.2, memoryBaseMi: 200, memoryMiPerRps: 0.05 },
  autoscaler: { minReplicas: 3, maxReplicas: 20, metrics: cpuTarget(70) },
};

/** The default pool: one m5.xlarge group per zone, discovered by its tags. */
function groups(): SimGroupSpec[] {
  return ZONES.map((zone) => ({
    name: groupName('default', zone),
    minSize: 1,
    maxSize: 10,
    desiredCapacity: 2,
    availabilityZones: [zone],
    instanceType: 'm5.xlarge',
    capacityType: 'on-demand',
    tags: {
      [CA_ENABLED_TAG]: 'true',
      [clusterTag(CLUSTER_NAME)]: CLUSTER_TAG_VALUE,
      [NODE_POOL_TAG]: 'default',
      [PRIORITY_TAG]: '0',
    },
    maxPods: MAX_PODS,
  }));
}

export interface ZonalVolumeOptions {
  /** @default 90 min */
  durationMs?: number;
}

/**
 * @example
 * const result = await runSimulation(createZonalVolumeScenario(), { controllers });
 */
export function createZonalVolumeScenario(options: ZonalVolumeOptions = {}): Scenario {
  return {
    name: 'zonal-volume',
    description:
      `A ledger StatefulSet with its volumes in ${VOLUME_ZONE} grows from 2 to a dozen replicas at 09:10; ` +
      `only the default pool's ${VOLUME_ZONE} group can take them.`,
    clusterName: CLUSTER_NAME,
    region: 'eu-central-1',
    seed: 31,
    start: START,
    utcOffsetMinutes: 120,
    durationMs: options.durationMs ?? 90 * 60_000,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 60_000,
    nodeGroups: groups(),
    services: [LEDGER, WEB],
    nodePools: {},
    network: DEFAULT_DAY_NETWORK,
  };
}
