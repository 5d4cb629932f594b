/**
 * The load model: how a workload's requests per second become CPU and memory usage of its pods. The load
 * is split evenly across Ready pods (a load balancer's view); pods that run but are not Ready yet burn
 * their start-up CPU; terminating pods idle while they drain. Each pod's usage carries a small
 * deterministic noise that depends on the pod and the scrape, never on how often someone reads it.
 */
import type { PodState } from './pod';
import { signedHash } from './random';
import type { WorkloadRecord } from './workload-record';

const MiB = 2 ** 20;

export interface ContainerUsage {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
}

/** Requests per second the workload's pods serve at `t` (queue workers: what they processed lately). */
export function servedRps(workload: WorkloadRecord, t: number): number {
  return workload.spec.queue ? workload.servedRps : workload.spec.load(t);
}

/**
 * Usage of each container of a pod in `state`, with `readyPods` sharing `rps`. `noiseKey` identifies the
 * sample (the scrape) so that the same pod and sample always get the same noise.
 */
export function podUsage(
  workload: WorkloadRecord,
  state: PodState,
  readyPods: number,
  rps: number,
  seed: number,
  podSerial: number,
  noiseKey: number,
): ContainerUsage[] {
  const spec = workload.spec;
  const cost = spec.cost;
  const amplitude = spec.noise ?? 0.03;
  const jitter = 1 + amplitude * signedHash(seed, podSerial, noiseKey);
  const usage: ContainerUsage[] = [];
  for (let i = 0; i < spec.containers.length; i++) {
    const container = spec.containers[i];
    if (!container) continue;
    if (i > 0) {
      usage.push({
        name: container.name,
        cpuMillis: (container.fixedUsage?.cpuMillis ?? 0) * jitter,
        memoryBytes: (container.fixedUsage?.memoryMi ?? 0) * MiB,
      });
      continue;
    }
    let cpu: number;
    let memoryMi = cost.memoryBaseMi;
    if (state === 'Ready') {
      const share = readyPods > 0 ? rps / readyPods : 0;
      cpu = (cost.cpuBaseMillis + share * cost.cpuMillisPerRps) * jitter;
      memoryMi += share * cost.memoryMiPerRps;
    } else if (state === 'Running') {
      cpu = (cost.startupCpuMillis ?? cost.cpuBaseMillis) * jitter;
    } else {
      cpu = cost.cpuBaseMillis * jitter;
    }
    if (workload.mainCpuLimitMillis > 0) cpu = Math.min(cpu, workload.mainCpuLimitMillis);
    usage.push({
      name: container.name,
      cpuMillis: Math.max(0, cpu),
      memoryBytes: Math.max(0, memoryMi) * MiB,
    });
  }
  return usage;
}
