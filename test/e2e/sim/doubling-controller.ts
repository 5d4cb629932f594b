/**
 * A deliberately simple controller for exercising the simulator (not tideplane's HPA): for each
 * HorizontalAutoscaler with a CPU Utilization target, it doubles the replicas when the Ready pods' CPU
 * usage is above the target and halves them when it is below 40 % of it, within min/max. It talks only
 * to the Kubernetes port, once per list per tick, like a real loop.
 */
import type { HorizontalPodAutoscalerSpec } from '../../../shared/ports/autoscaling-v2';
import {
  ConflictError,
  type KubernetesPort,
  resolveScaleTarget,
  scaleTargetKeyString,
} from '../../../shared/ports/kubernetes';
import type { SimController } from '../../../shared/sim/driver';
import { parseSelector, selectorMatches } from '../../../shared/units/label-selector';
import { parseMilliNumber } from '../../../shared/units/quantity';

export interface DoublingControllerStats {
  ticks: number;
  rescales: number;
  conflicts: number;
}

export function doublingController(
  kubernetes: KubernetesPort,
  intervalMs = 30_000,
): SimController & { stats: DoublingControllerStats } {
  const stats: DoublingControllerStats = { ticks: 0, rescales: 0, conflicts: 0 };
  return {
    name: 'doubling',
    intervalMs,
    stats,
    async tick() {
      stats.ticks++;
      const autoscalers = await kubernetes.listAutoscalers('HorizontalAutoscaler');
      const specs = autoscalers.map((object) => ({
        object,
        spec: object.spec as HorizontalPodAutoscalerSpec,
      }));
      const targets = specs.map(({ object, spec }) =>
        resolveScaleTarget(object.namespace, spec.scaleTargetRef),
      );
      const [scales, pods, metrics] = await Promise.all([
        kubernetes.getScales(targets),
        kubernetes.listPods(),
        kubernetes.listPodMetrics(),
      ]);
      const podsByNamespace = new Map<string, typeof pods>();
      for (const pod of pods) {
        const list = podsByNamespace.get(pod.namespace) ?? [];
        list.push(pod);
        podsByNamespace.set(pod.namespace, list);
      }
      const usageByPod = new Map<string, number>();
      for (const sample of metrics) {
        const cpu = sample.containers.reduce(
          (sum, container) => sum + parseMilliNumber(container.usage.cpu ?? '0'),
          0,
        );
        usageByPod.set(`${sample.namespace}/${sample.name}`, cpu);
      }
      for (const [index, { object, spec }] of specs.entries()) {
        const target = targets[index];
        const cpuTarget = spec.metrics?.find((metric) => metric.resource?.name === 'cpu')?.resource?.target
          .averageUtilization;
        if (!target || cpuTarget === undefined) continue;
        const scale = scales.get(scaleTargetKeyString(target));
        if (!scale) continue;
        const selector = parseSelector(scale.selector);
        let usage = 0;
        let requests = 0;
        for (const pod of podsByNamespace.get(object.namespace) ?? []) {
          if (pod.deletionTimestamp !== undefined || !selectorMatches(selector, pod.labels)) continue;
          if (!pod.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True'))
            continue;
          const cpu = usageByPod.get(`${pod.namespace}/${pod.name}`);
          if (cpu === undefined) continue;
          usage += cpu;
          requests += pod.containers.reduce(
            (sum, container) => sum + parseMilliNumber(container.requests.cpu ?? '0'),
            0,
          );
        }
        if (requests === 0) continue;
        const utilization = (usage / requests) * 100;
        const min = spec.minReplicas ?? 1;
        let desired = scale.specReplicas;
        if (utilization > cpuTarget) desired = Math.min(spec.maxReplicas, scale.specReplicas * 2);
        else if (utilization < cpuTarget * 0.4) desired = Math.max(min, Math.ceil(scale.specReplicas / 2));
        if (desired === scale.specReplicas) continue;
        try {
          await kubernetes.updateScale(target, desired, scale.resourceVersion);
          stats.rescales++;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          stats.conflicts++;
        }
      }
    },
  };
}
