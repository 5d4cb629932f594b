/**
 * The default day: a European online shop's cluster over one day (local midnight to midnight, CEST) with
 * 35 services in 7 namespaces, each with a HorizontalAutoscaler (CPU Utilization targets 60–80 %, a few
 * with behavior policies, two with a Pods metric), two node agents (DaemonSets) and four node pools of
 * zonal Auto Scaling groups that start with the night's capacity, so the node-pool loop grows them under
 * the HPAs through the morning ramp and the evening peak:
 * - `default` (priority 0): m5.2xlarge on-demand, the pool every ordinary pod lands in;
 * - `fallback` (priority -10, empty at night): m6i.2xlarge on-demand, for when the default type is out
 *   of capacity or at its max;
 * - `spot`: m5.xlarge spot, opt-in: its nodes carry the spot label and taint, and only the four stateless
 *   services that select and tolerate them run there;
 * - `search`: c5.2xlarge on-demand, dedicated to the search namespace by a taint.
 * `default` and `fallback` come from the config; `spot` and `search` from cluster-autoscaler's tags, as a
 * cluster moving from cluster-autoscaler keeps them. The two StatefulSets keep their volumes in all three
 * zones, so their pods are bound to the zone of their volume.
 *
 * Three autoscalers use the AWS metric sources (through the simulated SQS and CloudWatch, see
 * sim-sqs.ts and sim-cloudwatch.ts), next to their CPU target:
 * - `platform/event-consumer` on SQS queue length (kube-metrics-adapter's `sqs-queue-length`);
 * - `storefront/web` on ALB `RequestCount` and `checkout/cart` on ALB `RequestCountPerTarget`, both from
 *   CloudWatch as requests per second (the `cloudwatch` collector).
 */
import type { z } from 'zod';
import type { nodePoolsSchema } from '../../config/node-pools';
import type { NetworkInput } from '../../network/plan';
import {
  CA_ENABLED_TAG,
  CA_LABEL_TAG_PREFIX,
  CA_TAINT_TAG_PREFIX,
  CLUSTER_TAG_VALUE,
  clusterTag,
  NODE_POOL_TAG,
  PRIORITY_TAG,
} from '../../nodepools/pools';
import { CAPACITY_TYPE_LABEL, SPOT_TAINT } from '../../nodepools/template-node';
import type { HorizontalPodAutoscalerBehavior, MetricSpec } from '../../ports/autoscaling-v2';
import type { Taint, Toleration } from '../../ports/kubernetes';
import { parseMilliNumber, parseQuantityNumber } from '../../units/quantity';
import type { CapacityType, SimGroupSpec } from '../cloud';
import type { DaemonSetSpec } from '../daemon-set';
import { nodeResources } from '../instance-types';
import type { Scenario, ScenarioContainer, ScenarioService } from '../scenario';
import { ALB_NAMESPACE, albLoadBalancerName, albTargetGroupName } from '../sim-cloudwatch';
import { createTrace, DEFAULT_NIGHT_FRACTION, type TraceBurst, type TraceSpec } from '../traces';

/** Tuesday 3 June 2025, 00:00 CEST. */
const DEFAULT_START = Date.UTC(2025, 5, 2, 22, 0, 0);
const CEST_OFFSET_MINUTES = 120;
const DAY_MS = 24 * 3_600_000;
const REGION = 'eu-central-1';
const CLUSTER_NAME = 'sim-eu-central-1';
export const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

/** The node label that says which pool a node belongs to (what the search services select). */
export const NODE_POOL_LABEL = 'node-pool';

/**
 * The pod network: a /16 cut into /24 node ranges, 256 nodes of 110 pods (the kubelet's default), as
 * clusters with their own CNI and node CIDRs run it. Every group's nodes take 110 pods, as planned.
 */
export const DEFAULT_DAY_NETWORK: NetworkInput = { clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 24 };
const MAX_PODS = 110;

/**
 * The night's nodes are what the first pods need plus this share, so the pods of the first quiet hours
 * fit without a scale-up; the rest of the day is the node-pool loop's job.
 */
const NIGHT_HEADROOM = 1.15;

type PoolName = 'default' | 'fallback' | 'spot' | 'search';

interface PoolSpec {
  /** The value of the `node-pool` label of its nodes. */
  label: string;
  instanceType: string;
  capacityType: CapacityType;
  minPerZone: number;
  maxPerZone: number;
  taints?: Taint[];
}

const POOLS: Record<PoolName, PoolSpec> = {
  default: {
    label: 'default',
    instanceType: 'm5.2xlarge',
    capacityType: 'on-demand',
    minPerZone: 1,
    maxPerZone: 25,
  },
  fallback: {
    label: 'fallback',
    instanceType: 'm6i.2xlarge',
    capacityType: 'on-demand',
    minPerZone: 0,
    maxPerZone: 10,
  },
  spot: {
    label: 'spot',
    instanceType: 'm5.xlarge',
    capacityType: 'spot',
    minPerZone: 0,
    maxPerZone: 10,
    taints: [SPOT_TAINT],
  },
  search: {
    label: 'search-compute',
    instanceType: 'c5.2xlarge',
    capacityType: 'on-demand',
    minPerZone: 1,
    maxPerZone: 10,
    taints: [{ key: 'dedicated', value: 'search', effect: 'NoSchedule' }],
  },
};

/** What a pod needs to run on the spot pool: select its label, tolerate its taint. */
const SPOT_PLACEMENT: { nodeSelector: Record<string, string>; tolerations: Toleration[] } = {
  nodeSelector: { [CAPACITY_TYPE_LABEL]: 'spot' },
  tolerations: [{ key: CAPACITY_TYPE_LABEL, operator: 'Equal', value: 'spot', effect: 'NoSchedule' }],
};

/** Node agents on every node, whatever its taints. */
const DAEMON_SETS: DaemonSetSpec[] = [
  {
    namespace: 'kube-system',
    name: 'kube-proxy',
    containers: [
      {
        name: 'kube-proxy',
        requests: { cpu: '100m', memory: '64Mi' },
        fixedUsage: { cpuMillis: 20, memoryMi: 40 },
      },
    ],
    tolerations: [{ operator: 'Exists' }],
  },
  {
    namespace: 'logging',
    name: 'fluent-bit',
    containers: [
      {
        name: 'fluent-bit',
        requests: { cpu: '50m', memory: '128Mi' },
        limits: { memory: '256Mi' },
        fixedUsage: { cpuMillis: 15, memoryMi: 90 },
      },
    ],
    tolerations: [{ operator: 'Exists' }],
  },
];

/** How services start: JVMs pull big images, warm up long and burn CPU meanwhile; Go starts at once. */
type Runtime = 'jvm' | 'node' | 'go';

const RUNTIMES: Record<
  Runtime,
  { startupSeconds: number; readinessSeconds: number; startupCpuShare: number; memoryMi: number }
> = {
  jvm: { startupSeconds: 25, readinessSeconds: 45, startupCpuShare: 1.2, memoryMi: 1536 },
  node: { startupSeconds: 10, readinessSeconds: 15, startupCpuShare: 0.6, memoryMi: 512 },
  go: { startupSeconds: 5, readinessSeconds: 5, startupCpuShare: 0.2, memoryMi: 256 },
};

interface Row {
  ns: string;
  name: string;
  runtime: Runtime;
  /** Requests per second at the evening peak. */
  peak: number;
  /** CPU millicores per request per second. */
  cpuPerRps: number;
  cpuBase: number;
  cpuRequest: number;
  target: number;
  min: number;
  max: number;
  kind?: 'Deployment' | 'StatefulSet';
  phaseHours?: number;
  nightFraction?: number;
  bursts?: TraceBurst[];
  sidecar?: boolean;
  behavior?: HorizontalPodAutoscalerBehavior;
  /** Extra metrics next to the CPU one (or instead of it, with `cpu: false`). */
  metrics?: MetricSpec[];
  cpu?: boolean;
  queue?: { name: string; capacityPerPod: number };
  dedicated?: boolean;
  /** Opts into the spot pool (and only that pool). */
  spot?: boolean;
  /** A StatefulSet whose pods keep their volumes, spread over these zones. */
  volumeZones?: string[];
  /** Annotations of the autoscaler (kube-metrics-adapter's `metric-config.*`). */
  annotations?: Record<string, string>;
}

/**
 * An ALB request metric of the service's target group as requests per second, through the `cloudwatch`
 * collector: the annotations of the External metric `metric`.
 *
 * ALB publishes its request metrics once a minute, and `Sum` is the only meaningful statistic of both
 * (`RequestCountPerTarget`'s `Sum` already is the per-target average: the target group's requests
 * divided by its healthy targets). So the query asks for `Sum` over a period of 60 s, the metric's own
 * resolution: requests per minute (a longer period only smooths and delays more; a shorter one has no
 * data between the minutes). Metric math divides by `PERIOD(m1)` (60) to give requests per second. The
 * collector's default lag (60 s) skips the minute CloudWatch may still be ingesting, so the value is the
 * rate of the last complete minute, one to two minutes old.
 */
function albRequestsPerSecond(
  metric: string,
  ns: string,
  name: string,
  which: 'RequestCountPerTarget' | 'RequestCount',
): Record<string, string> {
  const prefix = `metric-config.external.${metric}.cloudwatch`;
  return {
    [`${prefix}/region`]: REGION,
    [`${prefix}/namespace`]: ALB_NAMESPACE,
    [`${prefix}/metric-name`]: which,
    [`${prefix}/dimension-TargetGroup`]: albTargetGroupName(ns, name),
    // RequestCount has no series by TargetGroup alone: CloudWatch matches the exact dimension set.
    ...(which === 'RequestCount'
      ? { [`${prefix}/dimension-LoadBalancer`]: albLoadBalancerName(CLUSTER_NAME) }
      : {}),
    [`${prefix}/statistic`]: 'Sum',
    [`${prefix}/period`]: '60',
    [`${prefix}/expression`]: 'm1 / PERIOD(m1)',
  };
}

/** Scale up fast (double or +4 pods every 15 s), down slowly (10 % a minute after 5 min). */
const FAST_UP_SLOW_DOWN: HorizontalPodAutoscalerBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Min',
    policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
  },
};

/** Careful: at most 2 pods a minute up, and a 10-minute window before scaling down. */
const CAREFUL: HorizontalPodAutoscalerBehavior = {
  scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
  scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
};

const ROWS: Row[] = [
  // storefront
  {
    ns: 'storefront',
    name: 'web',
    runtime: 'node',
    peak: 5200,
    cpuPerRps: 1.6,
    cpuBase: 40,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 60,
    sidecar: true,
    bursts: [{ atHour: 20.25, durationMinutes: 20, factor: 1.6 }],
    behavior: FAST_UP_SLOW_DOWN,
    // The target group's total requests per second (ALB `RequestCount` by target group), as an
    // `AverageValue` target: 180 requests per second per pod, a little below what the CPU target allows
    // (~195), so requests lead and CPU backs them up.
    annotations: albRequestsPerSecond('alb-requests', 'storefront', 'web', 'RequestCount'),
    metrics: [
      {
        type: 'External',
        external: {
          metric: { name: 'alb-requests' },
          target: { type: 'AverageValue', averageValue: '180' },
        },
      },
    ],
  },
  {
    ns: 'storefront',
    name: 'assets',
    spot: true,
    runtime: 'go',
    peak: 6500,
    cpuPerRps: 0.35,
    cpuBase: 20,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 30,
  },
  {
    ns: 'storefront',
    name: 'sessions',
    volumeZones: ZONES,
    runtime: 'go',
    kind: 'StatefulSet',
    peak: 2900,
    cpuPerRps: 0.9,
    cpuBase: 60,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 20,
  },
  {
    ns: 'storefront',
    name: 'recommendations',
    runtime: 'jvm',
    peak: 3200,
    cpuPerRps: 3.2,
    cpuBase: 80,
    cpuRequest: 1000,
    target: 65,
    min: 2,
    max: 40,
    phaseHours: 0.5,
  },
  {
    ns: 'storefront',
    name: 'personalisation',
    runtime: 'jvm',
    peak: 2200,
    cpuPerRps: 2.4,
    cpuBase: 60,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 40,
  },
  // catalog
  {
    ns: 'catalog',
    name: 'catalog-api',
    runtime: 'jvm',
    peak: 5000,
    cpuPerRps: 1.1,
    cpuBase: 50,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 40,
    sidecar: true,
  },
  {
    ns: 'catalog',
    name: 'product-details',
    runtime: 'jvm',
    peak: 7600,
    cpuPerRps: 0.8,
    cpuBase: 40,
    cpuRequest: 500,
    target: 75,
    min: 3,
    max: 40,
  },
  {
    ns: 'catalog',
    name: 'pricing',
    runtime: 'jvm',
    peak: 4700,
    cpuPerRps: 0.9,
    cpuBase: 40,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 30,
  },
  {
    ns: 'catalog',
    name: 'availability',
    runtime: 'go',
    peak: 3700,
    cpuPerRps: 0.7,
    cpuBase: 30,
    cpuRequest: 250,
    target: 70,
    min: 2,
    max: 40,
  },
  {
    ns: 'catalog',
    name: 'media-resizer',
    spot: true,
    runtime: 'go',
    peak: 830,
    cpuPerRps: 9,
    cpuBase: 50,
    cpuRequest: 1000,
    target: 60,
    min: 2,
    max: 30,
    phaseHours: -6,
    nightFraction: 0.3,
    behavior: CAREFUL,
  },
  // search (on the dedicated compute pool)
  {
    ns: 'search',
    name: 'search-api',
    runtime: 'jvm',
    peak: 3500,
    cpuPerRps: 3.5,
    cpuBase: 100,
    cpuRequest: 1000,
    target: 65,
    min: 3,
    max: 50,
    dedicated: true,
  },
  {
    ns: 'search',
    name: 'suggest',
    runtime: 'go',
    peak: 5400,
    cpuPerRps: 0.6,
    cpuBase: 30,
    cpuRequest: 250,
    target: 70,
    min: 2,
    max: 50,
    dedicated: true,
    metrics: [
      {
        type: 'Pods',
        pods: {
          metric: { name: 'requests-per-second' },
          target: { type: 'AverageValue', averageValue: '300' },
        },
      },
    ],
  },
  {
    ns: 'search',
    name: 'ranking',
    runtime: 'jvm',
    peak: 4100,
    cpuPerRps: 2,
    cpuBase: 80,
    cpuRequest: 1000,
    target: 70,
    min: 2,
    max: 30,
    dedicated: true,
  },
  {
    ns: 'search',
    name: 'indexer',
    runtime: 'jvm',
    peak: 520,
    cpuPerRps: 12,
    cpuBase: 100,
    cpuRequest: 1000,
    target: 80,
    min: 2,
    max: 20,
    dedicated: true,
    phaseHours: -4,
    nightFraction: 0.4,
  },
  // checkout
  {
    ns: 'checkout',
    name: 'cart',
    runtime: 'jvm',
    peak: 2200,
    cpuPerRps: 1.8,
    cpuBase: 50,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 30,
    sidecar: true,
    bursts: [{ atHour: 12, durationMinutes: 30, factor: 1.5 }],
    // ALB's requests per healthy target. It is already an average over the targets, so its target type is
    // `Value` (the HPA multiplies the ratio by the Ready pods); an `AverageValue` would divide it by the
    // replicas once more and hold the minimum. Because the HPA multiplies a per-target rate that is one to
    // two minutes old by the Ready pods of now, every scale-up (JVM pods: 70 s to Ready) briefly reads as
    // more load per target than there is, and with a 0-s scale-up window that compounds (the lunch burst
    // took cart to its maximum of 30 where 18 pods serve it); a scale-up window as long as that lag
    // (180 s) keeps it to 22. `RequestCount` with `AverageValue` (storefront/web) has no such feedback.
    behavior: {
      ...FAST_UP_SLOW_DOWN,
      scaleUp: { ...FAST_UP_SLOW_DOWN.scaleUp, stabilizationWindowSeconds: 180 },
    },
    annotations: albRequestsPerSecond('alb-requests-per-target', 'checkout', 'cart', 'RequestCountPerTarget'),
    metrics: [
      {
        type: 'External',
        external: {
          metric: { name: 'alb-requests-per-target' },
          target: { type: 'Value', value: '150' },
        },
      },
    ],
  },
  {
    ns: 'checkout',
    name: 'checkout-api',
    runtime: 'jvm',
    peak: 1200,
    cpuPerRps: 3,
    cpuBase: 60,
    cpuRequest: 500,
    target: 65,
    min: 3,
    max: 30,
    sidecar: true,
  },
  {
    ns: 'checkout',
    name: 'payments',
    runtime: 'jvm',
    peak: 650,
    cpuPerRps: 3,
    cpuBase: 80,
    cpuRequest: 500,
    target: 60,
    min: 3,
    max: 20,
    sidecar: true,
    behavior: { scaleDown: { stabilizationWindowSeconds: 900 } },
  },
  {
    ns: 'checkout',
    name: 'vouchers',
    runtime: 'node',
    peak: 1200,
    cpuPerRps: 1.2,
    cpuBase: 30,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 20,
  },
  {
    ns: 'checkout',
    name: 'tax',
    runtime: 'go',
    peak: 1700,
    cpuPerRps: 0.9,
    cpuBase: 20,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 20,
  },
  {
    ns: 'checkout',
    name: 'fraud-check',
    runtime: 'jvm',
    peak: 1300,
    cpuPerRps: 5,
    cpuBase: 100,
    cpuRequest: 1000,
    target: 60,
    min: 2,
    max: 30,
  },
  // customer
  {
    ns: 'customer',
    name: 'accounts',
    runtime: 'jvm',
    peak: 2900,
    cpuPerRps: 1.4,
    cpuBase: 50,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 30,
  },
  {
    ns: 'customer',
    name: 'auth',
    runtime: 'go',
    peak: 6200,
    cpuPerRps: 0.9,
    cpuBase: 40,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 40,
  },
  {
    ns: 'customer',
    name: 'wishlist',
    runtime: 'node',
    peak: 1400,
    cpuPerRps: 1,
    cpuBase: 30,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 20,
  },
  {
    ns: 'customer',
    name: 'reviews',
    runtime: 'node',
    peak: 2300,
    cpuPerRps: 1.3,
    cpuBase: 40,
    cpuRequest: 500,
    target: 75,
    min: 2,
    max: 20,
    phaseHours: 1,
  },
  {
    ns: 'customer',
    name: 'notifications',
    runtime: 'node',
    peak: 1200,
    cpuPerRps: 1.6,
    cpuBase: 40,
    cpuRequest: 250,
    target: 70,
    min: 2,
    max: 30,
    behavior: CAREFUL,
  },
  // logistics (office hours: earlier in the day)
  {
    ns: 'logistics',
    name: 'orders',
    runtime: 'jvm',
    peak: 1800,
    cpuPerRps: 2.2,
    cpuBase: 60,
    cpuRequest: 500,
    target: 70,
    min: 3,
    max: 30,
    phaseHours: -5,
  },
  {
    ns: 'logistics',
    name: 'shipping',
    runtime: 'jvm',
    peak: 1700,
    cpuPerRps: 1.8,
    cpuBase: 40,
    cpuRequest: 500,
    target: 75,
    min: 2,
    max: 20,
    phaseHours: -6,
  },
  {
    ns: 'logistics',
    name: 'tracking',
    runtime: 'go',
    peak: 2700,
    cpuPerRps: 0.8,
    cpuBase: 30,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 30,
  },
  {
    ns: 'logistics',
    name: 'warehouse-sync',
    volumeZones: ZONES,
    runtime: 'jvm',
    kind: 'StatefulSet',
    peak: 300,
    cpuPerRps: 4,
    cpuBase: 80,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 10,
    phaseHours: -7,
  },
  {
    ns: 'logistics',
    name: 'returns',
    runtime: 'node',
    peak: 700,
    cpuPerRps: 2,
    cpuBase: 30,
    cpuRequest: 250,
    target: 75,
    min: 2,
    max: 20,
    phaseHours: -3,
  },
  // platform
  {
    ns: 'platform',
    name: 'ingress-gateway',
    runtime: 'go',
    peak: 46000,
    cpuPerRps: 0.25,
    cpuBase: 60,
    cpuRequest: 1000,
    target: 70,
    min: 3,
    max: 40,
    cpu: false,
    metrics: [
      {
        type: 'Pods',
        pods: {
          metric: { name: 'requests-per-second' },
          target: { type: 'AverageValue', averageValue: '2500' },
        },
      },
    ],
    behavior: FAST_UP_SLOW_DOWN,
  },
  {
    ns: 'platform',
    name: 'auth-proxy',
    runtime: 'go',
    peak: 20700,
    cpuPerRps: 0.3,
    cpuBase: 30,
    cpuRequest: 500,
    target: 75,
    min: 3,
    max: 40,
  },
  {
    ns: 'platform',
    name: 'feature-flags',
    spot: true,
    runtime: 'go',
    peak: 10800,
    cpuPerRps: 0.15,
    cpuBase: 20,
    cpuRequest: 250,
    target: 80,
    min: 2,
    max: 20,
  },
  {
    ns: 'platform',
    name: 'image-cache',
    spot: true,
    runtime: 'go',
    peak: 9600,
    cpuPerRps: 0.45,
    cpuBase: 30,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 30,
  },
  {
    ns: 'platform',
    name: 'event-consumer',
    runtime: 'jvm',
    peak: 2700,
    cpuPerRps: 1.5,
    cpuBase: 50,
    cpuRequest: 500,
    target: 70,
    min: 2,
    max: 30,
    queue: { name: 'order-events', capacityPerPod: 220 },
    // The SQS backlog (ApproximateNumberOfMessages) as kube-metrics-adapter's users write it: 200 waiting
    // messages per replica. The backlog alone would scale to the minimum whenever the queue is empty (and
    // then flood it): the CPU target keeps the consumers that the steady flow needs.
    metrics: [
      {
        type: 'External',
        external: {
          metric: {
            name: 'sqs-queue-length',
            selector: { matchLabels: { 'queue-name': 'order-events', region: REGION } },
          },
          target: { type: 'AverageValue', averageValue: '200' },
        },
      },
    ],
  },
];

/** A tenant's night traffic, as a share of the shop's own night (see `copyRow`). */
const TENANT_NIGHT_SHARE = 1 / 4;

/**
 * Row `row` as the shop's `copy`-th tenant (2, 3, ...): its own namespace, queue and load-balancer target
 * group, and its own trace (the trace is seeded by the service's key), so copies are alike but not in
 * lockstep. Tenants keep half the original's minimum replicas and a quarter of its night traffic, and run
 * the shop's batch work (its rows shifted by hours) in their business hours, not ahead of them: the shop's
 * minima, night and batch hours were set for one consumer shop, and a cluster of many tenants (business
 * customers, one country each) shrinks further at night than one shop does.
 */
function copyRow(row: Row, copy: number): Row {
  if (copy === 1) return row;
  const ns = `${row.ns}-${copy}`;
  const queue = row.queue ? { ...row.queue, name: `${row.queue.name}-${copy}` } : undefined;
  const metrics = row.metrics?.map((metric) => {
    const selector = metric.external?.metric.selector?.matchLabels;
    if (!metric.external || !queue || !selector?.['queue-name']) return metric;
    return {
      ...metric,
      external: {
        ...metric.external,
        metric: {
          ...metric.external.metric,
          selector: { matchLabels: { ...selector, 'queue-name': queue.name } },
        },
      },
    };
  });
  const annotations = row.annotations
    ? Object.fromEntries(
        Object.entries(row.annotations).map(([key, value]) => [
          key,
          key.endsWith('/dimension-TargetGroup') ? albTargetGroupName(ns, row.name) : value,
        ]),
      )
    : undefined;
  return {
    ...row,
    ns,
    min: Math.max(1, Math.floor(row.min / 2)),
    nightFraction: (row.nightFraction ?? DEFAULT_NIGHT_FRACTION) * TENANT_NIGHT_SHARE,
    ...(row.phaseHours !== undefined && Math.abs(row.phaseHours) > 1 ? { phaseHours: 0 } : {}),
    ...(queue ? { queue } : {}),
    ...(metrics ? { metrics } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

const ENVOY: ScenarioContainer = {
  name: 'envoy',
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '256Mi' },
  fixedUsage: { cpuMillis: 25, memoryMi: 70 },
};

/** The pool a service's pods run in. */
function poolOf(row: Row): PoolName {
  return row.dedicated ? 'search' : row.spot ? 'spot' : 'default';
}

/** The name of a pool's group in a zone: `default-a`, `spot-c`. */
export function groupName(pool: string, zone: string): string {
  return `${pool}-${zone.slice(-1)}`;
}

/**
 * The tags of a pool's groups. Every group carries cluster-autoscaler's discovery tags (the cluster tag
 * is also what lets tideplane's IAM policy scale it) and the node-template label (and taint) tags that
 * describe its nodes while it has none; the tag-discovered pools name their pool and priority.
 */
function groupTags(pool: PoolName, spec: PoolSpec, fromTags: boolean): Record<string, string> {
  return {
    [CA_ENABLED_TAG]: 'true',
    [clusterTag(CLUSTER_NAME)]: CLUSTER_TAG_VALUE,
    [`${CA_LABEL_TAG_PREFIX}${NODE_POOL_LABEL}`]: spec.label,
    ...Object.fromEntries(
      (spec.taints ?? []).map((taint) => [
        `${CA_TAINT_TAG_PREFIX}${taint.key}`,
        `${taint.value ?? ''}:${taint.effect}`,
      ]),
    ),
    ...(fromTags ? { [NODE_POOL_TAG]: pool, [PRIORITY_TAG]: '0' } : {}),
  };
}

/** Per-pod CPU (millicores) and memory (bytes) requests of a service. */
function podRequests(service: ScenarioService): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const container of service.containers) {
    cpu += parseMilliNumber(container.requests.cpu ?? '0');
    memory += parseQuantityNumber(container.requests.memory ?? '0');
  }
  return { cpu, memory };
}

/**
 * Nodes per zone a pool starts with: what its services' first pods request, with the node agents on
 * every node and NIGHT_HEADROOM, over one node's allocatable, spread evenly over the zones.
 */
function nightNodesPerZone(spec: PoolSpec, services: ScenarioService[]): number {
  const allocatable = nodeResources(spec.instanceType, MAX_PODS).allocatable;
  let agentsCpu = 0;
  let agentsMemory = 0;
  for (const daemonSet of DAEMON_SETS) {
    for (const container of daemonSet.containers) {
      agentsCpu += parseMilliNumber(container.requests.cpu ?? '0');
      agentsMemory += parseQuantityNumber(container.requests.memory ?? '0');
    }
  }
  let cpu = 0;
  let memory = 0;
  for (const service of services) {
    const pod = podRequests(service);
    cpu += service.replicas * pod.cpu;
    memory += service.replicas * pod.memory;
  }
  const nodes = Math.max(
    (cpu * NIGHT_HEADROOM) / (parseMilliNumber(allocatable.cpu ?? '0') - agentsCpu),
    (memory * NIGHT_HEADROOM) / (parseQuantityNumber(allocatable.memory ?? '0') - agentsMemory),
  );
  return Math.max(spec.minPerZone, Math.ceil(nodes / ZONES.length));
}

function nodeGroups(services: Map<PoolName, ScenarioService[]>, copies = 1): SimGroupSpec[] {
  const groups: SimGroupSpec[] = [];
  for (const [pool, spec] of Object.entries(POOLS) as [PoolName, PoolSpec][]) {
    const perZone = nightNodesPerZone(spec, services.get(pool) ?? []);
    const fromTags = pool === 'spot' || pool === 'search';
    for (const zone of ZONES) {
      groups.push({
        name: groupName(pool, zone),
        minSize: spec.minPerZone,
        maxSize: spec.maxPerZone * copies,
        desiredCapacity: perZone,
        availabilityZones: [zone],
        instanceType: spec.instanceType,
        capacityType: spec.capacityType,
        tags: groupTags(pool, spec, fromTags),
        nodeLabels: { [NODE_POOL_LABEL]: spec.label },
        ...(spec.taints ? { nodeTaints: spec.taints } : {}),
        maxPods: MAX_PODS,
      });
    }
  }
  return groups;
}

/**
 * The node-pool loop's config: the default and fallback pools by name and priority (the fallback one of
 * another instance type, as Zalando runs them), the spot and search pools discovered by their tags.
 */
function nodePoolsConfig(): z.input<typeof nodePoolsSchema> {
  return {
    pools: [
      { name: 'default', priority: 0, asgs: ZONES.map((zone) => groupName('default', zone)) },
      { name: 'fallback', priority: -10, asgs: ZONES.map((zone) => groupName('fallback', zone)) },
    ],
  };
}

/** Replicas a row needs to meet its CPU target at `rps` (what an HPA converges to). */
export function replicasForLoad(
  rps: number,
  cost: { cpuMillisPerRps: number; cpuBaseMillis: number },
  cpuRequestMillis: number,
  targetPercent: number,
): number {
  return Math.ceil(
    (rps * cost.cpuMillisPerRps) / ((cpuRequestMillis * targetPercent) / 100 - cost.cpuBaseMillis),
  );
}

function toService(row: Row, start: number, seed: number): ScenarioService {
  const runtime = RUNTIMES[row.runtime];
  const load: TraceSpec = {
    kind: 'european-day',
    peakRps: row.peak,
    ...(row.phaseHours !== undefined ? { phaseHours: row.phaseHours } : {}),
    ...(row.nightFraction !== undefined ? { nightFraction: row.nightFraction } : {}),
    ...(row.bursts ? { bursts: row.bursts } : {}),
  };
  const cost = {
    cpuBaseMillis: row.cpuBase,
    cpuMillisPerRps: row.cpuPerRps,
    memoryBaseMi: Math.round(runtime.memoryMi * 0.55),
    memoryMiPerRps: 0.05,
    startupCpuMillis: Math.round(row.cpuRequest * runtime.startupCpuShare),
  };
  const key = `${row.ns}/${row.name}`;
  const startRps = createTrace(load, { start, utcOffsetMinutes: CEST_OFFSET_MINUTES, seed, name: key })(
    start,
  );
  const replicas = Math.min(
    row.max,
    Math.max(row.min, replicasForLoad(startRps, cost, row.cpuRequest, row.target)),
  );
  const containers: ScenarioContainer[] = [
    {
      name: row.name,
      requests: { cpu: `${row.cpuRequest}m`, memory: `${runtime.memoryMi}Mi` },
      limits: { memory: `${runtime.memoryMi * 2}Mi` },
    },
    ...(row.sidecar ? [ENVOY] : []),
  ];
  const metrics: MetricSpec[] = [
    ...(row.cpu === false
      ? []
      : [
          {
            type: 'Resource' as const,
            resource: {
              name: 'cpu',
              target: { type: 'Utilization' as const, averageUtilization: row.target },
            },
          },
        ]),
    ...(row.metrics ?? []),
  ];
  return {
    namespace: row.ns,
    name: row.name,
    kind: row.kind ?? 'Deployment',
    replicas,
    labels: { app: row.name },
    containers,
    startupSeconds: runtime.startupSeconds,
    readinessSeconds: runtime.readinessSeconds,
    terminationSeconds: row.runtime === 'jvm' ? 30 : 10,
    ...(row.kind === 'StatefulSet' ? { podManagementPolicy: 'Parallel' as const } : {}),
    ...(row.volumeZones ? { volumeClaim: { zones: row.volumeZones } } : {}),
    ...(row.spot ? SPOT_PLACEMENT : {}),
    ...(row.dedicated
      ? {
          nodeSelector: { [NODE_POOL_LABEL]: POOLS.search.label },
          tolerations: [
            { key: 'dedicated', operator: 'Equal' as const, value: 'search', effect: 'NoSchedule' as const },
          ],
        }
      : {}),
    load,
    cost,
    ...(row.queue ? { queue: row.queue } : {}),
    ...(row.annotations ? { autoscalerAnnotations: row.annotations } : {}),
    autoscaler: {
      minReplicas: row.min,
      maxReplicas: row.max,
      metrics,
      ...(row.behavior ? { behavior: row.behavior } : {}),
    },
  };
}

export interface DefaultDayOptions {
  /** @default 20250603 */
  seed?: number;
  /** Local hours after midnight the run starts at, its services and nodes sized for that hour. @default 0 */
  startHour?: number;
  /** @default 24 h */
  durationMs?: number;
  /** @default 15 s */
  tickIntervalMs?: number;
  /** @default 5 min */
  sampleIntervalMs?: number;
  /**
   * The shop's 35 services this many times over, as tenants of one cluster (`storefront`, `storefront-2`,
   * ...), the node pools' maxima scaled with them. @default 1
   */
  copies?: number;
}

/**
 * The default day. Options shorten it, start it later in the day or change the seed (tests, and the
 * scenarios built on it).
 *
 * @example
 * const result = await runSimulation(createDefaultDayScenario(), { controllers });
 */
export function createDefaultDayScenario(options: DefaultDayOptions = {}): Scenario {
  const seed = options.seed ?? 20250603;
  const start = DEFAULT_START + (options.startHour ?? 0) * 3_600_000;
  const byPool = new Map<PoolName, ScenarioService[]>();
  const copies = options.copies ?? 1;
  if (!(Number.isInteger(copies) && copies >= 1)) {
    throw new RangeError(`copies must be a whole number ≥ 1, got ${copies}`);
  }
  const rows = Array.from({ length: copies }, (_, i) => ROWS.map((row) => copyRow(row, i + 1))).flat();
  const services = rows.map((row) => {
    const service = toService(row, start, seed);
    byPool.set(poolOf(row), [...(byPool.get(poolOf(row)) ?? []), service]);
    return service;
  });
  return {
    name: 'default-day',
    description:
      `A European online shop over one day: ${services.length} services in ${7 * copies} namespaces with HorizontalAutoscalers, ` +
      'night trough, morning ramp, lunch plateau, evening peak with a TV-advert surge on the storefront; ' +
      "the cluster starts with the night's nodes and the node-pool loop grows it.",
    clusterName: CLUSTER_NAME,
    region: REGION,
    seed,
    start,
    utcOffsetMinutes: CEST_OFFSET_MINUTES,
    durationMs: options.durationMs ?? DAY_MS,
    tickIntervalMs: options.tickIntervalMs ?? 15_000,
    sampleIntervalMs: options.sampleIntervalMs ?? 5 * 60_000,
    nodeGroups: nodeGroups(byPool, copies),
    services,
    daemonSets: DAEMON_SETS,
    nodePools: nodePoolsConfig(),
    network: DEFAULT_DAY_NETWORK,
  };
}
