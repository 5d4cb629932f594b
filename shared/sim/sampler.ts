/**
 * Records the world's time series at sample instants: per service load, replicas, ready pods and CPU
 * usage against requests; for the cluster nodes, pods and unscheduled pods.
 */
import type { ClusterSeries, ServiceSeries } from './result';
import type { SimWorld } from './world';

export class Sampler {
  readonly times: number[] = [];
  readonly cluster: ClusterSeries = {
    nodes: [],
    readyNodes: [],
    pods: [],
    pendingPods: [],
    cpuAllocatableMillis: [],
    cpuRequestedMillis: [],
  };
  readonly services: Record<string, ServiceSeries> = {};
  private readonly keys: string[];

  constructor(private readonly world: SimWorld) {
    this.keys = world.cluster.workloadKeys();
    for (const key of this.keys) {
      const queue = world.cluster.workloadRecord(key)?.spec.queue;
      this.services[key] = {
        rps: [],
        specReplicas: [],
        readyPods: [],
        notReadyPods: [],
        cpuUsageMillis: [],
        cpuRequestMillis: [],
        ...(queue ? { queueLength: [] } : {}),
      };
    }
  }

  sample(now: number): void {
    const cluster = this.world.cluster;
    this.times.push(now);
    const snapshot = cluster.clusterSnapshot();
    this.cluster.nodes.push(snapshot.nodes);
    this.cluster.readyNodes.push(snapshot.readyNodes);
    this.cluster.pods.push(snapshot.pods);
    this.cluster.pendingPods.push(snapshot.unscheduledPods);
    this.cluster.cpuAllocatableMillis.push(Math.round(snapshot.cpuAllocatableMillis));
    this.cluster.cpuRequestedMillis.push(Math.round(snapshot.cpuRequestedMillis));
    for (const key of this.keys) {
      const series = this.services[key];
      if (!series || !cluster.workloadRecord(key)) continue;
      const workload = cluster.workloadSnapshot(key);
      series.rps.push(round2(workload.rps));
      series.specReplicas.push(workload.specReplicas);
      series.readyPods.push(workload.readyPods);
      series.notReadyPods.push(workload.unscheduledPods + workload.startingPods + workload.runningPods);
      series.cpuUsageMillis.push(Math.round(workload.readyCpuUsageMillis));
      series.cpuRequestMillis.push(Math.round(workload.readyCpuRequestMillis));
      series.queueLength?.push(Math.round(workload.queueLength ?? 0));
    }
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
