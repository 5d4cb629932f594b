/** A small simulated world for the simulator's unit tests: a clock, a cluster with nodes, a workload. */
import { SimCluster } from '../../../shared/sim/cluster';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import type { WorkloadSpec } from '../../../shared/sim/workload';

export const START = Date.UTC(2025, 5, 3, 8, 0, 0);

export function workload(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    namespace: 'shop',
    name: 'web',
    replicas: 2,
    containers: [{ name: 'app', requests: { cpu: '500m', memory: '512Mi' } }],
    startupSeconds: 10,
    readinessSeconds: 20,
    terminationSeconds: 15,
    load: () => 100,
    cost: { cpuBaseMillis: 50, cpuMillisPerRps: 2, memoryBaseMi: 200, memoryMiPerRps: 1 },
    noise: 0,
    ...overrides,
  };
}

/** A clock at START and a cluster with `nodes` nodes of 4 cores / 16 GiB / 58 pods. */
export function smallCluster(nodes = 2): { clock: VirtualClock; cluster: SimCluster } {
  const clock = new VirtualClock(START);
  const cluster = new SimCluster({ clock, seed: 7 });
  for (let i = 1; i <= nodes; i++) {
    cluster.addNode({ name: `node-${i}`, capacity: { cpu: '4', memory: '16Gi', pods: '58' } });
  }
  return { clock, cluster };
}

export const webTarget = {
  namespace: 'shop',
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web',
} as const;

export function isReady(pod: { conditions: { type: string; status: string }[] }): boolean {
  return pod.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/**
 * Moves the clock to `t` through every instant the cluster changes by itself in between (as the driver
 * does), so controllers that react to pods becoming Ready (rollouts) get to act at each step.
 */
export function runClusterUntil(
  clock: { now(): number; advanceTo(t: number): void },
  cluster: { nextEventAt(): number; reconcile(): void },
  t: number,
): void {
  cluster.reconcile();
  while (clock.now() < t) {
    clock.advanceTo(Math.min(t, Math.max(cluster.nextEventAt(), clock.now() + 1)));
    cluster.reconcile();
  }
}
