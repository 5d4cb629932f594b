/**
 * `npm run bench`: one HPA tick for a simulated cluster with 100 and with 1,000 autoscalers over 20
 * namespaces, through the real loop and the real DynamoDB state store (dynalite in-process).
 *
 * Figures are counts and ratios, not absolute times: Kubernetes API requests per tick, DynamoDB reads
 * and writes per tick, and how the time of a tick grows from 100 to 1,000 autoscalers.
 */

import { performance } from 'node:perf_hooks';
import { startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { hpaSettingsSchema } from '../../shared/config/hpa-settings';
import { runHpaTick } from '../../shared/loops/hpa-loop';
import { silentLogger } from '../../shared/ports/logger';
import { SimCluster } from '../../shared/sim/cluster';
import { SimMetrics } from '../../shared/sim/metrics';
import { VirtualClock } from '../../shared/sim/virtual-clock';
import { recordFigures } from './figures';

const NAMESPACES = 20;
const PODS_PER_WORKLOAD = 2;
const PODS_PER_NODE = 100;
const TICK_MS = 15_000;
/** Ticks measured per size after warm-up ticks; the median is reported. */
const MEASURED_TICKS = 5;
const WARMUP_TICKS = 3;

interface TickFigures {
  autoscalers: number;
  kubernetesRequests: number;
  kubernetesByRequest: Record<string, number>;
  dynamoReads: number;
  dynamoWrites: number;
  rescaled: number;
  statusWrites: number;
  medianMs: number;
}

async function measure(autoscalers: number): Promise<{ steady: TickFigures; changing: TickFigures }> {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 8, 0, 0));
  const cluster = new SimCluster({ clock, seed: 7 });
  const metrics = new SimMetrics(cluster);
  const nodes = Math.ceil((autoscalers * PODS_PER_WORKLOAD * 1.5) / PODS_PER_NODE);
  for (let n = 0; n < nodes; n++) {
    cluster.addNode({
      name: `node-${n}`,
      capacity: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE) },
    });
  }
  // A load that each workload's pods serve at 60% of request: steady ticks change no replica count.
  let loadFactor = 1;
  for (let i = 0; i < autoscalers; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    const name = `svc-${i}`;
    cluster.addWorkload(
      {
        namespace,
        name,
        replicas: PODS_PER_WORKLOAD,
        containers: [{ name: 'app', requests: { cpu: '500m', memory: '512Mi' } }],
        load: () => 100 * loadFactor,
        cost: { cpuBaseMillis: 0, cpuMillisPerRps: 6, memoryBaseMi: 200, memoryMiPerRps: 0 },
        noise: 0,
      },
      { warm: true },
    );
    cluster.addAutoscaler({
      namespace,
      name,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 1,
        maxReplicas: 50,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
        ],
      },
    });
  }
  const dynamo = await startLocalDynamo();
  try {
    const state = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
    const settings = hpaSettingsSchema.parse({});
    const tick = async (): Promise<Omit<TickFigures, 'medianMs' | 'autoscalers'> & { ms: number }> => {
      clock.advance(TICK_MS);
      cluster.sync();
      cluster.resetStats();
      state.resetStats();
      const started = performance.now();
      const summary = await runHpaTick({
        cluster: 'bench',
        kubernetes: cluster,
        metrics,
        state,
        clock,
        log: silentLogger,
        settings,
        dryRun: false,
      });
      const ms = performance.now() - started;
      const k8s = cluster.stats();
      return {
        ms,
        kubernetesRequests: k8s.totalRequests,
        kubernetesByRequest: k8s.requests,
        dynamoReads: state.stats.reads,
        dynamoWrites: state.stats.writes,
        rescaled: summary.counts.rescaled,
        statusWrites: summary.counts.statusWrites,
      };
    };
    const run = async (ticks: number) => {
      const results = [];
      for (let i = 0; i < ticks; i++) results.push(await tick());
      const sorted = [...results].sort((a, b) => a.ms - b.ms);
      const median = sorted[Math.floor(sorted.length / 2)] as (typeof results)[number];
      const { ms, ...rest } = results.at(-1) as (typeof results)[number];
      return { autoscalers, ...rest, medianMs: median.ms };
    };
    for (let i = 0; i < WARMUP_TICKS; i++) await tick();
    const steady = await run(MEASURED_TICKS);
    // A load step: every autoscaler proposes a new count in the same tick (the worst case for writes).
    loadFactor = 2;
    clock.advance(60_000);
    const changing = await run(1);
    return { steady, changing };
  } finally {
    await dynamo.stop();
  }
}

function print(label: string, f: TickFigures): void {
  const lists = Object.entries(f.kubernetesByRequest)
    .map(([request, count]) => `${request} ×${count}`)
    .join(', ');
  console.log(
    `  ${label.padEnd(9)} ${String(f.autoscalers).padStart(5)} HPAs: ` +
      `${f.kubernetesRequests} Kubernetes requests (${(f.kubernetesRequests / f.autoscalers).toFixed(2)} per HPA), ` +
      `${f.dynamoReads} DynamoDB reads, ${f.dynamoWrites} writes, ${f.rescaled} rescaled, ` +
      `${f.statusWrites} status writes, median tick ${f.medianMs.toFixed(0)} ms`,
  );
  console.log(`            requests: ${lists}`);
}

const small = await measure(100);
const large = await measure(1000);
console.log('HPA tick (simulated cluster, real loop, DynamoDB on dynalite)');
print('steady', small.steady);
print('steady', large.steady);
print('load step', small.changing);
print('load step', large.changing);
const ratio = large.steady.medianMs / small.steady.medianMs;
console.log(
  `  time ratio 1,000 vs 100 HPAs (steady ticks, median): ${ratio.toFixed(1)}x (goal: at most 12x)`,
);
recordFigures('HPA', [
  {
    figure: 'Kubernetes requests per steady tick, 1,000 HPAs',
    value: String(large.steady.kubernetesRequests),
  },
  {
    figure: 'Kubernetes requests per HPA when all rescale',
    value: (large.changing.kubernetesRequests / large.changing.autoscalers).toFixed(2),
  },
  { figure: 'DynamoDB writes per steady tick', value: String(large.steady.dynamoWrites) },
  { figure: 'time, 1,000 vs 100 HPAs (steady)', value: `${ratio.toFixed(1)}x`, goal: '≤ 12x' },
]);
