/**
 * A simulated DaemonSet: one pod on every Ready node whose labels and taints admit its template, created
 * when the node joins or becomes Ready, and pinned to that node the way the DaemonSet controller pins it
 * (required node affinity on the node's name, plus the tolerations every daemon pod gets). The pods take
 * room on their node like any other pod and go through the same scheduler.
 */
import { DAEMONSET_DEFAULT_TOLERATIONS } from '../nodepools/scheduling';
import type { NodeSelectorTerm, PodScheduling, Toleration } from '../ports/kubernetes';
import type { SchedulingSpec, SimContainerSpec, WorkloadSpec } from './workload';

export interface DaemonSetSpec extends SchedulingSpec {
  namespace: string;
  name: string;
  /** Pod template labels, also the selector's matchLabels. @default { app: name } */
  labels?: Record<string, string>;
  /** Every container uses its `fixedUsage` (a node agent's usage does not follow a workload's load). */
  containers: SimContainerSpec[];
  /** @default 5 */
  startupSeconds?: number;
  /** @default 5 */
  readinessSeconds?: number;
  /**
   * @default SYSTEM_NODE_CRITICAL_PRIORITY, so that a daemon pod goes before pending pods of ordinary
   * workloads to a new node (the simulator does not preempt).
   */
  priority?: number;
}

/** The priority of the `system-node-critical` class, which kube-proxy, CNI and most node agents use. */
export const SYSTEM_NODE_CRITICAL_PRIORITY = 2_000_001_000;

/** Node agents start faster than applications: small images, no warm-up. */
export const DAEMON_POD_DEFAULTS = { startupSeconds: 5, readinessSeconds: 5 } as const;

/**
 * What the DaemonSet controller adds to each of its pods (upstream `AddOrUpdateDaemonPodTolerations`):
 * the same list the node-pool core assumes for daemon pods on template nodes.
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = DAEMONSET_DEFAULT_TOLERATIONS;

/** The template's tolerations and the daemon pod defaults: what decides whether a node admits the pod. */
export function daemonPodTolerations(template: PodScheduling | undefined): Toleration[] {
  return [...(template?.tolerations ?? []), ...DAEMON_POD_TOLERATIONS];
}

/**
 * The constraints of the daemon pod for `nodeName`. Like upstream, the pinning term replaces the
 * template's node affinity terms, which the controller already checked against the node.
 */
export function daemonPodScheduling(template: PodScheduling | undefined, nodeName: string): PodScheduling {
  const pin: NodeSelectorTerm = {
    matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }],
  };
  return { ...template, tolerations: daemonPodTolerations(template), requiredNodeAffinity: [pin] };
}

/** The DaemonSet's pods as a workload record sees them: no replicas to manage, no load to follow. */
export function daemonWorkloadSpec(spec: DaemonSetSpec): WorkloadSpec {
  const main = spec.containers[0]?.fixedUsage;
  return {
    namespace: spec.namespace,
    name: spec.name,
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    replicas: 0,
    ...(spec.labels ? { labels: spec.labels } : {}),
    containers: spec.containers,
    startupSeconds: spec.startupSeconds ?? DAEMON_POD_DEFAULTS.startupSeconds,
    readinessSeconds: spec.readinessSeconds ?? DAEMON_POD_DEFAULTS.readinessSeconds,
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
    ...(spec.requiredNodeAffinity ? { requiredNodeAffinity: spec.requiredNodeAffinity } : {}),
    ...(spec.requiredPodAntiAffinity ? { requiredPodAntiAffinity: spec.requiredPodAntiAffinity } : {}),
    priority: spec.priority ?? SYSTEM_NODE_CRITICAL_PRIORITY,
    load: () => 0,
    cost: {
      cpuBaseMillis: main?.cpuMillis ?? 0,
      cpuMillisPerRps: 0,
      memoryBaseMi: main?.memoryMi ?? 0,
      memoryMiPerRps: 0,
    },
    noise: 0,
  };
}
