/**
 * A scenario: the cluster a simulation starts with (node groups, services with their autoscalers and
 * load), how long it runs and how often loops tick. It is plain data (traces are descriptions, not
 * functions), so it can be written to and read from a file and checked by a schema.
 */
import type { z } from 'zod';
import type { nodePoolsSchema } from '../config/node-pools';
import type { quotasSchema } from '../config/quotas';
import type { vpaSchema } from '../config/vpa';
import type { NetworkInput } from '../network/plan';
import type { CrossVersionObjectReference, HorizontalPodAutoscalerSpec } from '../ports/autoscaling-v2';
import type { AutoscalerKind } from '../ports/kubernetes';
import type { SimGroupSpec } from './cloud';
import type { SimControlPlaneSpec } from './control-plane/spec';
import type { DaemonSetSpec } from './daemon-set';
import type { ScenarioFault } from './faults';
import type { MemoryNeed } from './memory-need';
import type { SchedulingPolicy } from './scheduler';
import type { SimServiceQuotasSpec } from './service-quotas';
import type { TraceSpec } from './traces';
import type { SimVpaInput } from './vpa-objects';
import type { SimContainerSpec, WorkloadSpec } from './workload';

/** An autoscaler for a service; `scaleTargetRef` defaults to the service's workload. */
export type ScenarioAutoscaler = Omit<HorizontalPodAutoscalerSpec, 'scaleTargetRef'> & {
  scaleTargetRef?: CrossVersionObjectReference;
};

/** A container's memory need as data: the need in MiB is a trace description. */
export type ScenarioMemoryNeed = Omit<MemoryNeed, 'needMi'> & { needMi: TraceSpec };

export type ScenarioContainer = Omit<SimContainerSpec, 'memoryNeed'> & { memoryNeed?: ScenarioMemoryNeed };

export interface ScenarioService extends Omit<WorkloadSpec, 'load' | 'containers'> {
  load: TraceSpec;
  containers: ScenarioContainer[];
  autoscaler?: ScenarioAutoscaler;
  /** Annotations of the autoscaler object (kube-metrics-adapter's `metric-config.*` keys). */
  autoscalerAnnotations?: Record<string, string>;
  /** @default 'HorizontalAutoscaler' */
  autoscalerKind?: AutoscalerKind;
}

export interface Scenario {
  name: string;
  description: string;
  clusterName: string;
  /** @default 'eu-central-1' */
  region?: string;
  seed: number;
  /** Epoch ms the simulation starts at. */
  start: number;
  /** Local time's offset from UTC, for day-shaped traces and chart labels (CEST: 120). */
  utcOffsetMinutes: number;
  durationMs: number;
  /** The interval loops tick at (15 s like the HPA controller's sync period). */
  tickIntervalMs: number;
  /** How often the driver records time series. */
  sampleIntervalMs: number;
  /** @default 'LeastAllocated' */
  scheduling?: SchedulingPolicy;
  /** Node groups; their initial desired capacity is in service at the start. */
  nodeGroups: SimGroupSpec[];
  /** Services, running at their initial replicas at the start. */
  services: ScenarioService[];
  /** Node agents on every node that admits them; their pods were there before the services' pods. */
  daemonSets?: DaemonSetSpec[];
  /** The node-pool loop's config for this cluster, as written in the config file (defaults not applied). */
  nodePools?: z.input<typeof nodePoolsSchema>;
  /** The cluster's pod network: its plan bounds the node count and sets max pods per node. */
  network?: NetworkInput;
  /** Changes to the world at offsets from the start (capacity running out, coming back). */
  faults?: ScenarioFault[];
  /** The cluster's control plane and its load, for the control-plane loop (absent: not simulated). */
  controlPlane?: SimControlPlaneSpec;
  /** VerticalPodAutoscalers and the VPA loop's config, for the VPA loop (absent: it does not run). */
  vpa?: ScenarioVpa;
  /**
   * The account's quotas and the quota loop's config. Absent: EC2 limits no launch and the quota loop does
   * not run; present: launches beyond a vCPU quota fail as EC2 fails them (vcpu-limits.ts).
   */
  quotas?: ScenarioQuotas;
  /**
   * The services the report charts (`namespace/name`, in this order); each must be one of `services`
   * (scenario files check it; the report throws on an unknown key). The report's table lists every service.
   * @default all services when there are at most 12, else 12 chosen automatically (report-selection.ts)
   */
  reportServices?: string[];
}

export interface ScenarioQuotas {
  /** The account's applied values and how AWS answers increase requests (service-quotas.ts). */
  account: SimServiceQuotasSpec;
  /** The quota loop's config for the region, as written in the config file (defaults not applied). */
  settings?: z.input<typeof quotasSchema>;
  /**
   * How often the quota loop runs, from the scenario start. Production runs it daily; a scenario of hours
   * runs it every few hours so that a request is seen filed, followed and answered within the run.
   * @default QUOTA_SIM_INTERVAL_MS (quota-controller.ts)
   */
  intervalMs?: number;
}

export interface ScenarioVpa {
  /** `autoscaling.k8s.io/v1` objects, spec as a user writes it. */
  objects: SimVpaInput[];
  /** The VPA loop's config for this cluster, as written in the config file (defaults not applied). */
  settings?: z.input<typeof vpaSchema>;
}
