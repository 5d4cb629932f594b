/**
 * `npm run bench`: the node-pool scale-up core (`planScaleUp`) at scale, and how well it packs.
 *
 * 1. Time: 500 and 5,000 pending pods (Deployments of 10 replicas in many sizes, some pinned to team or
 *    spot pools, some zonal, some spread one per host) over 1,000 existing full nodes and 30 pools × 3
 *    zones with DaemonSets. Goal: 10x the pods in at most 15x the time.
 * 2. Packing: a uniform workload on m5.xlarge pools and no room anywhere, nodes planned against the lower
 *    bound ceil(max(Σ cpu / allocatable cpu, Σ memory / allocatable memory)). Goal: within 10%.
 *
 * Times are the median of several plans after warm-up ones, so JIT compilation is not measured.
 */

import { performance } from 'node:perf_hooks';
import type { NodePool } from '../../shared/nodepools/pool';
import { planScaleUp, type ScaleUpInput, type ScaleUpPlan } from '../../shared/nodepools/scale-up';
import { podRequests, resourceAmount } from '../../shared/nodepools/scheduling';
import { CAPACITY_TYPE_LABEL, SPOT_TAINT, ZONE_LABEL } from '../../shared/nodepools/template-node';
import type { Node, Pod, PodScheduling } from '../../shared/ports/kubernetes';
import { INSTANCE_TYPES } from '../../shared/sim/instance-types';
import {
  makeDaemonSet,
  makeNode,
  makePod,
  makePool,
  replicas,
  scaleUpInput,
  TEST_LIMITS,
  ZONES,
} from '../unit/nodepools/fixtures';
import { type BenchFigure, recordFigures } from './figures';

const WARMUP_RUNS = 3;
const MEASURED_RUNS = 9;
const POOLS = 30;
const EXISTING_NODES = 1_000;
const BOUND_PODS_PER_NODE = 25;
const REPLICAS_PER_DEPLOYMENT = 10;
const TIME_RATIO_GOAL = 15;
const PACKING_GOAL = 0.1;

/** Pod sizes of the timing workload: [cpu, memory]. */
const SIZES: readonly [string, string][] = [
  ['100m', '128Mi'],
  ['250m', '512Mi'],
  ['500m', '1Gi'],
  ['750m', '1536Mi'],
  ['1', '2Gi'],
  ['1500m', '6Gi'],
  ['2', '4Gi'],
  ['3', '12Gi'],
];
const POOL_TYPES = ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm5.4xlarge', 'c5.2xlarge', 'r5.xlarge'];

function timingPools(): NodePool[] {
  return Array.from({ length: POOLS }, (_, i) => {
    const name = `pool-${String(i).padStart(2, '0')}`;
    const instanceType = INSTANCE_TYPES[POOL_TYPES[i % POOL_TYPES.length] as string];
    if (!instanceType) throw new Error('unknown instance type');
    // Pools 0-9: general purpose on three priority levels; 10-19: one team each (label + taint);
    // 20-29: spot fallbacks of the general pools.
    if (i < 10) return makePool(name, { instanceType, priority: -10 * Math.floor(i / 4), maxSize: 300 });
    if (i < 20) {
      const team = `team-${i - 10}`;
      return makePool(name, {
        instanceType,
        labels: { team },
        taints: [{ key: 'team', value: team, effect: 'NoSchedule' }],
        maxSize: 300,
      });
    }
    return makePool(name, { instanceType, capacityType: 'spot', priority: -10 * (i - 20), maxSize: 300 });
  });
}

/** Nodes of the pools, each filled by its bound pods up to a sliver below its allocatable. */
function fullNodes(pools: readonly NodePool[]): { nodes: Node[]; pods: Pod[] } {
  const nodes: Node[] = [];
  const pods: Pod[] = [];
  const groups = pools.flatMap((pool) => pool.groups);
  for (let n = 0; n < EXISTING_NODES; n++) {
    const group = groups[n % groups.length];
    if (!group) continue;
    const node = makeNode(`node-${n}`, group.template);
    nodes.push(node);
    const cpu = resourceAmount('cpu', node.allocatable.cpu ?? '0');
    const memory = resourceAmount('memory', node.allocatable.memory ?? '0');
    for (let p = 0; p < BOUND_PODS_PER_NODE; p++) {
      pods.push(
        makePod(`bound-${n}-${p}`, {
          namespace: 'running',
          owner: `rs-${n % 200}`,
          cpu: `${Math.floor(cpu / BOUND_PODS_PER_NODE)}m`,
          memory: String(Math.floor(memory / BOUND_PODS_PER_NODE)),
          nodeName: node.name,
          labels: { app: `app-${n % 200}` },
          scheduling: { tolerations: [{ operator: 'Exists' }] },
        }),
      );
    }
  }
  return { nodes, pods };
}

function pendingPods(count: number): Pod[] {
  const pods: Pod[] = [];
  for (let d = 0; pods.length < count; d++) {
    const [cpu, memory] = SIZES[d % SIZES.length] as [string, string];
    let scheduling: PodScheduling | undefined;
    const labels = { app: `deploy-${d}` };
    switch (d % 10) {
      case 3: {
        const team = `team-${Math.floor(d / 10) % 10}`;
        scheduling = {
          nodeSelector: { team },
          tolerations: [{ key: 'team', operator: 'Equal', value: team }],
        };
        break;
      }
      case 5:
        scheduling = {
          nodeSelector: { [CAPACITY_TYPE_LABEL]: 'spot' },
          tolerations: [{ key: SPOT_TAINT.key, operator: 'Exists' }],
        };
        break;
      case 7:
        scheduling = { nodeSelector: { [ZONE_LABEL]: ZONES[d % ZONES.length] as string } };
        break;
      case 9:
        scheduling = {
          requiredPodAntiAffinity: [
            { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
          ],
        };
        break;
    }
    pods.push(
      ...replicas(`deploy-${d}`, Math.min(REPLICAS_PER_DEPLOYMENT, count - pods.length), {
        cpu,
        memory,
        labels,
        ...(scheduling ? { scheduling } : {}),
      }),
    );
  }
  return pods;
}

function timePlans(input: ScaleUpInput): { medianMs: number; plan: ScaleUpPlan } {
  let plan = planScaleUp(input);
  for (let i = 1; i < WARMUP_RUNS; i++) planScaleUp(input);
  const times: number[] = [];
  for (let i = 0; i < MEASURED_RUNS; i++) {
    const started = performance.now();
    plan = planScaleUp(input);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, plan };
}

function newNodes(plan: ScaleUpPlan): number {
  return plan.increases.reduce((sum, increase) => sum + increase.to - increase.from, 0);
}

const limits = {
  ...TEST_LIMITS,
  maxNodes: 16_384,
  maxNodesSource: 'the network plan (10.0.0.0/12, /26 per node)',
  // The whole backlog in one plan, so that the time covers every pod.
  maxNodesPerTick: 100_000,
};
const daemonSets = [
  makeDaemonSet('aws-node', { cpu: '25m', memory: '64Mi' }, { tolerations: [{ operator: 'Exists' }] }),
  makeDaemonSet('kube-proxy', { cpu: '100m', memory: '128Mi' }, { tolerations: [{ operator: 'Exists' }] }),
  makeDaemonSet('node-exporter', { cpu: '50m', memory: '64Mi' }),
];

console.log('Node-pool scale-up plan (planScaleUp, pure core)');
const pools = timingPools();
const { nodes, pods } = fullNodes(pools);
const sizes = [500, 5_000];
const timed = sizes.map((count) => {
  const result = timePlans(
    scaleUpInput({ pendingPods: pendingPods(count), nodes, pods, daemonSets, pools, limits }),
  );
  const { plan } = result;
  console.log(
    `  ${String(count).padStart(5)} pending pods over ${EXISTING_NODES} full nodes, ${POOLS} pools × 3 zones: ` +
      `median ${result.medianMs.toFixed(1)} ms; ${newNodes(plan)} new nodes in ${plan.increases.length} groups, ` +
      `${plan.fitsExisting.length} fit existing, ${plan.unplaceable.length} unplaceable`,
  );
  return result.medianMs;
});
const ratio = (timed[1] as number) / (timed[0] as number);
console.log(
  `  time ratio 5,000 vs 500 pods (median): ${ratio.toFixed(1)}x ` +
    `(goal: at most ${TIME_RATIO_GOAL}x) — ${ratio <= TIME_RATIO_GOAL ? 'met' : 'NOT met'}`,
);

/**
 * Nodes planned for a workload on one m5.xlarge pool, against the lower bound of the goal (requests
 * over allocatable, as if pods could be split) and, for pods of one size, the bound with whole pods
 * (pods per node = the fewest that fit by any resource), which no plan can beat.
 */
const packingFigures: BenchFigure[] = [];

function packing(label: string, workload: Pod[]): void {
  const pool = makePool('general', { instanceType: INSTANCE_TYPES['m5.xlarge'], maxSize: 10_000 });
  const plan = planScaleUp(scaleUpInput({ pendingPods: workload, pools: [pool], limits }));
  const allocatable = pool.groups[0]?.template.allocatable ?? {};
  const cpuAllocatable = resourceAmount('cpu', allocatable.cpu ?? '0');
  const memoryAllocatable = resourceAmount('memory', allocatable.memory ?? '0');
  const requests = workload.map((pod) => {
    const amounts = podRequests(pod);
    return { cpu: amounts.get('cpu') ?? 0, memory: amounts.get('memory') ?? 0 };
  });
  const cpu = requests.reduce((sum, r) => sum + r.cpu, 0);
  const memory = requests.reduce((sum, r) => sum + r.memory, 0);
  const bound = Math.ceil(Math.max(cpu / cpuAllocatable, memory / memoryAllocatable));
  const planned = newNodes(plan);
  const over = planned / bound - 1;
  let whole = '';
  const first = requests[0];
  if (first && requests.every((r) => r.cpu === first.cpu && r.memory === first.memory)) {
    const perNode = Math.min(
      Math.floor(cpuAllocatable / first.cpu),
      Math.floor(memoryAllocatable / first.memory),
      resourceAmount('pods', allocatable.pods ?? '0'),
    );
    const wholeBound = Math.ceil(workload.length / perNode);
    whole = `; with whole pods (${perNode} per node) no plan can use fewer than ${wholeBound}: ${((planned / wholeBound - 1) * 100).toFixed(1)}% over`;
  }
  packingFigures.push({
    figure: `nodes over the lower bound, ${label.trim()}`,
    value: `${(over * 100).toFixed(1)} %`,
    goal: `≤ ${PACKING_GOAL * 100} %`,
  });
  console.log(
    `  ${label}: ${planned} nodes planned, lower bound ${bound}: ${(over * 100).toFixed(1)}% over ` +
      `(goal: within ${PACKING_GOAL * 100}%) — ${over <= PACKING_GOAL ? 'met' : 'NOT met'}${whole}` +
      (plan.unplaceable.length > 0 ? `; ${plan.unplaceable.length} unplaceable` : ''),
  );
}

console.log('  packing on an m5.xlarge pool (3920m, 14819 MiB allocatable), no room anywhere:');
packing('2,000 pods of 500m/1Gi  ', replicas('web', 2_000, { cpu: '500m', memory: '1Gi' }));
packing('2,000 pods of 250m/512Mi', replicas('web', 2_000, { cpu: '250m', memory: '512Mi' }));
packing(
  '2,000 pods of 8 sizes   ',
  Array.from({ length: 200 }, (_, d) => {
    const [cpu, memory] = SIZES[d % SIZES.length] as [string, string];
    return replicas(`mixed-${d}`, 10, { cpu, memory });
  }).flat(),
);
recordFigures('node pools', [
  {
    figure: 'plan time, 5,000 vs 500 pending pods',
    value: `${ratio.toFixed(1)}x`,
    goal: `≤ ${TIME_RATIO_GOAL}x`,
  },
  ...packingFigures,
]);
