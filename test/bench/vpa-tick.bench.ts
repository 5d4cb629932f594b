/**
 * `npm run bench`: one VPA tick for a simulated cluster with 200 and with 2,000 VPAs of two containers
 * each (over 20 namespaces), through the real loop, the simulator's cluster and VPAs, and the real
 * DynamoDB state store (dynalite in-process); and the size of the checkpoints a day of history makes.
 *
 * Figures are counts, sizes and ratios, not absolute times: status writes and checkpoint writes per
 * tick (ticks that only carry the aggregates, and the invocation's last tick that persists them),
 * DynamoDB reads and writes per tick, checkpoint item sizes as DynamoDB counts them (largest, median),
 * and how the time of a tick grows from 200 to 2,000 VPAs. The VPAs are in mode Off (recommend only):
 * updates roll pods, which is the workloads' cost, not the loop's. The big ticks run on a young history,
 * whose bounds move every minute (so every VPA's status is written); the day run shows the status writes
 * once the history has grown. Last, the OOM goal: kills until stable after a ×2/×3/×4 step of the memory
 * need, 1 and 10 replicas, tideplane's OOM policy and upstream's (the vpa-oom experiment).
 */

import { performance } from 'node:perf_hooks';
import { startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { vpaSchema } from '../../shared/config/vpa';
import { runVpaTick, VPA_STATE_PREFIX } from '../../shared/loops/vpa-loop';
import { silentLogger } from '../../shared/ports/logger';
import { SimCluster } from '../../shared/sim/cluster';
import { runSimulation } from '../../shared/sim/driver';
import { dynamoItemBytes } from '../../shared/sim/dynamo-item-size';
import type { Scenario, ScenarioService } from '../../shared/sim/scenario';
import { VirtualClock } from '../../shared/sim/virtual-clock';
import { vpaController } from '../../shared/sim/vpa-controller';
import { SimVpas } from '../../shared/sim/vpa-objects';
import { oomTableLines, runVpaOomExperiment } from '../../shared/sim/vpa-oom-experiment';
import { checkpointFigures } from '../../shared/sim/vpa-report';
import { createSimWorld } from '../../shared/sim/world';
import type { ContainerAggregateState } from '../../shared/vpa/container-state';
import { recordFigures } from './figures';

const NAMESPACES = 20;
const PODS_PER_WORKLOAD = 2;
const PODS_PER_NODE = 100;
const TICK_MS = 60_000;
/** Ticks of one invocation: carried on the first four, persisted on the fifth (the simulator's default). */
const TICKS_PER_INVOCATION = 5;
/** Two invocations: the first builds the aggregates and writes every checkpoint once. */
const INVOCATIONS = 2;
/** VPAs of the day run whose checkpoints are measured. */
const DAY_VPAS = 20;

interface TickFigures {
  ms: number;
  statusWrites: number;
  checkpointWrites: number;
  dynamoReads: number;
  dynamoWrites: number;
  kubernetesRequests: number;
}

interface SizeFigures {
  vpas: number;
  first: TickFigures;
  carrying: TickFigures & { medianMs: number };
  persisting: TickFigures;
  items: number;
  maxBytes: number;
  p50Bytes: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(vpas: number): Promise<SizeFigures> {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 8, 0, 0));
  const cluster = new SimCluster({ clock, seed: 11 });
  const objects = new SimVpas(cluster);
  const nodes = Math.ceil((vpas * PODS_PER_WORKLOAD * 1.2) / PODS_PER_NODE);
  for (let n = 0; n < nodes; n++) {
    cluster.addNode({
      name: `node-${n}`,
      capacity: { cpu: '96', memory: '384Gi', pods: String(PODS_PER_NODE) },
    });
  }
  for (let i = 0; i < vpas; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    const name = `svc-${i}`;
    cluster.addWorkload(
      {
        namespace,
        name,
        replicas: PODS_PER_WORKLOAD,
        containers: [
          { name: 'app', requests: { cpu: '250m', memory: '512Mi' } },
          {
            name: 'proxy',
            requests: { cpu: '50m', memory: '64Mi' },
            fixedUsage: { cpuMillis: 20, memoryMi: 40 },
          },
        ],
        load: () => 50 + (i % 7) * 20,
        cost: { cpuBaseMillis: 20, cpuMillisPerRps: 1.5, memoryBaseMi: 150, memoryMiPerRps: 0.8 },
        noise: 0.2,
      },
      { warm: true },
    );
    objects.addVpa({
      namespace,
      name,
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        updatePolicy: { updateMode: 'Off' },
        recommenders: [{ name: 'tideplane' }],
      },
    });
  }
  const dynamo = await startLocalDynamo();
  try {
    const state = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
    const settings = vpaSchema.parse({});
    const ticks: TickFigures[] = [];
    for (let invocation = 0; invocation < INVOCATIONS; invocation++) {
      const carry = new Map<string, ContainerAggregateState>();
      for (let t = 0; t < TICKS_PER_INVOCATION; t++) {
        clock.advance(TICK_MS);
        cluster.sync();
        cluster.resetStats();
        objects.resetStats();
        state.resetStats();
        const started = performance.now();
        const summary = await runVpaTick(
          {
            cluster: 'bench',
            kubernetes: cluster,
            vpas: objects,
            state,
            clock,
            log: silentLogger,
            settings,
            dryRun: false,
          },
          { carry, persistCheckpoints: t === TICKS_PER_INVOCATION - 1 },
        );
        ticks.push({
          ms: performance.now() - started,
          statusWrites: summary.counts.statusWrites,
          checkpointWrites: summary.counts.checkpointWrites,
          dynamoReads: state.stats.reads,
          dynamoWrites: state.stats.writes,
          kubernetesRequests: cluster.stats().totalRequests + objects.stats().totalRequests,
        });
      }
    }
    const items = await state.query('bench', VPA_STATE_PREFIX);
    const sizes = items.map((item) => dynamoItemBytes(item)).sort((a, b) => a - b);
    // The second invocation: ticks 1-4 carry, tick 5 persists.
    const second = ticks.slice(TICKS_PER_INVOCATION);
    const carrying = second.slice(0, -1);
    const last = carrying.at(-1) as TickFigures;
    return {
      vpas,
      first: ticks[0] as TickFigures,
      carrying: { ...last, medianMs: median(carrying.map((tick) => tick.ms)) },
      persisting: second.at(-1) as TickFigures,
      items: items.length,
      maxBytes: sizes.at(-1) ?? 0,
      p50Bytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
    };
  } finally {
    await dynamo.stop();
  }
}

/**
 * Checkpoint sizes and status writes over a day of history: services with a day-shaped load whose memory
 * follows it.
 */
async function dayFigures(): Promise<
  ReturnType<typeof checkpointFigures> & {
    firstHourStatusWrites: number;
    laterStatusWrites: number;
    ticks: number;
  }
> {
  const start = Date.UTC(2026, 5, 1, 22, 0, 0);
  const services: ScenarioService[] = Array.from({ length: DAY_VPAS }, (_, i) => ({
    namespace: `team-${i % 4}`,
    name: `svc-${i}`,
    replicas: 3,
    containers: [
      { name: 'app', requests: { cpu: '500m', memory: '1Gi' } },
      {
        name: 'proxy',
        requests: { cpu: '50m', memory: '64Mi' },
        fixedUsage: { cpuMillis: 20, memoryMi: 40 },
      },
    ],
    load: { kind: 'european-day', peakRps: 200 + 30 * i, noise: 0.1 },
    cost: { cpuBaseMillis: 30, cpuMillisPerRps: 2, memoryBaseMi: 200, memoryMiPerRps: 2 },
    noise: 0.15,
  }));
  const scenario: Scenario = {
    name: 'vpa-bench-day',
    description: 'checkpoint sizes after a day',
    clusterName: 'bench-day',
    seed: 5,
    start,
    utcOffsetMinutes: 120,
    durationMs: 24 * 3_600_000,
    tickIntervalMs: TICK_MS,
    sampleIntervalMs: 3_600_000,
    nodeGroups: [
      {
        name: 'bench-day',
        minSize: 4,
        maxSize: 4,
        desiredCapacity: 4,
        availabilityZones: ['eu-central-1a'],
        instanceType: 'm6i.8xlarge',
        capacityType: 'on-demand',
      },
    ],
    services,
    vpa: {
      objects: services.map((service) => ({
        namespace: service.namespace,
        name: service.name,
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: service.name },
          updatePolicy: { updateMode: 'Off' },
          recommenders: [{ name: 'tideplane' }],
        },
      })),
    },
  };
  const world = createSimWorld(scenario);
  const statusWrites: number[] = [];
  const result = await runSimulation(world, {
    controllers: [vpaController(world, { onTick: (tick) => statusWrites.push(tick.counts.statusWrites) })],
  });
  if (!result.vpa) throw new Error('no VPA record');
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const hour = 3_600_000 / TICK_MS;
  return {
    ...checkpointFigures(result.vpa),
    firstHourStatusWrites: sum(statusWrites.slice(0, hour)),
    laterStatusWrites: sum(statusWrites.slice(hour)),
    ticks: statusWrites.length,
  };
}

function line(label: string, f: TickFigures): string {
  return (
    `${label.padEnd(16)} ${String(f.statusWrites).padStart(5)} status writes, ` +
    `${String(f.checkpointWrites).padStart(5)} checkpoint writes, ${f.dynamoReads} DynamoDB reads, ` +
    `${f.dynamoWrites} writes, ${f.kubernetesRequests} Kubernetes requests, ${f.ms.toFixed(0)} ms`
  );
}

function print(f: SizeFigures): void {
  console.log(`  ${f.vpas} VPAs × 2 containers:`);
  console.log(`    ${line('first tick', f.first)}`);
  console.log(`    ${line('carrying tick', { ...f.carrying, ms: f.carrying.medianMs })}`);
  console.log(`    ${line('persisting tick', f.persisting)}`);
  console.log(
    `    checkpoint items: ${f.items}, DynamoDB item size max ${f.maxBytes} B, median ${f.p50Bytes} B ` +
      `(goal: well under 4 KB)`,
  );
}

const small = await measure(200);
const large = await measure(2000);
const day = await dayFigures();
console.log('VPA tick (simulated cluster, real loop, DynamoDB on dynalite; VPAs in mode Off)');
print(small);
print(large);
const hourTicks = 3_600_000 / TICK_MS;
console.log(
  `  a simulated day (${DAY_VPAS} VPAs × 2 containers, 3 pods each, day-shaped load, ${day.ticks} ticks): ` +
    `checkpoint items ≤ ${day.maxBytes} B (median ${day.p50Bytes} B); status writes per VPA and tick ` +
    `${(day.firstHourStatusWrites / (DAY_VPAS * hourTicks)).toFixed(2)} in the first hour, ` +
    `${(day.laterStatusWrites / (DAY_VPAS * (day.ticks - hourTicks))).toFixed(3)} after`,
);
const ratio = large.carrying.medianMs / small.carrying.medianMs;
const persistRatio = large.persisting.ms / small.persisting.ms;
console.log(
  `  time ratio 2,000 vs 200 VPAs: carrying ticks (median) ${ratio.toFixed(1)}x, persisting tick ` +
    `${persistRatio.toFixed(1)}x (10x is linear)`,
);

const experiment = await runVpaOomExperiment();
for (const text of oomTableLines(experiment)) console.log(`  ${text}`);
const oom = (policy: 'fast' | 'upstream', replicas: number) =>
  experiment.runs.find((r) => r.policy === policy && r.factor === 4 && r.replicas === replicas);
recordFigures('VPA', [
  { figure: 'Kubernetes requests per tick, 2,000 VPAs', value: String(large.carrying.kubernetesRequests) },
  {
    figure: 'checkpoint writes on the persisting tick, 2,000 VPAs',
    value: String(large.persisting.checkpointWrites),
  },
  {
    figure: 'largest checkpoint item',
    value: `${Math.max(large.maxBytes, day.maxBytes ?? 0)} B`,
    goal: '< 4 KB',
  },
  { figure: 'time, 2,000 vs 200 VPAs (carrying ticks)', value: `${ratio.toFixed(1)}x`, goal: '10x (linear)' },
  {
    figure: 'OOM kills per replica after a ×4 step, 10 replicas (tideplane / upstream)',
    value: `${oom('fast', 10)?.killsPerReplica.toFixed(1)} / ${oom('upstream', 10)?.killsPerReplica.toFixed(1)}`,
    goal: '≤ 2',
  },
]);
