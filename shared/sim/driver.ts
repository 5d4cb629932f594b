/**
 * The simulation driver: moves virtual time from one interesting instant to the next (a controller due,
 * a sample due, a pod or instance changing state, a scenario fault, a sleeping controller waking), brings
 * the world to each instant, runs the controllers that are due, and records time series. Controllers are
 * the real loops (or test doubles) wired to the world's ports; the driver knows nothing about what they
 * decide, and takes what they recorded into the result when the run ends.
 */
import type { Logger } from '../ports/logger';
import { silentLogger } from '../ports/logger';
import { type ApiStats, diffStats, mergeStats, sumStats } from './api-calls';
import type { ControlPlaneRun } from './control-plane/run';
import type { QuotaRun } from './quota-record';
import type { ControllerOutcome, NodePoolRun, ServiceOutcome, SimulationResult } from './result';
import { Sampler } from './sampler';
import type { Scenario } from './scenario';
import type { VpaRun } from './vpa-record';
import { createSimWorld, SimWorld } from './world';

/**
 * Something that runs periodically against the world, like a loop in Lambda on its schedule. `tick`
 * may `await clock.sleep(...)` (virtual time) and real I/O; a tick still running when its next one is
 * due makes that one skipped, as a lease would.
 */
export interface SimController {
  name: string;
  intervalMs: number;
  /** First tick at the scenario start plus this. @default 0 */
  offsetMs?: number;
  tick(now: number): Promise<unknown>;
  /**
   * Events pushed to it as they happen (EventBridge rules, not a schedule), checked at every instant
   * the driver stops at, after the world has caught up. Resolves true to have a tick start at once,
   * as a handler that starts the loop would; the schedule is not shifted by it.
   */
  deliverEvents?(now: number): Promise<boolean>;
  /** Called at every sample instant (after the world's series), to record series of its own. */
  sample?(now: number): void;
  /** What it adds to the result, asked once when the run has ended. */
  finish?(end: number): SimControllerResults;
}

/** Parts of a result only a controller can tell. */
export interface SimControllerResults {
  nodePools?: NodePoolRun;
  controlPlane?: ControlPlaneRun;
  vpa?: VpaRun;
  quotas?: QuotaRun;
}

export interface SimProgress {
  now: number;
  start: number;
  end: number;
  /** 0..1 of the virtual duration. */
  fraction: number;
  wallTimeMs: number;
}

export interface RunOptions {
  /** Controllers, or a function building them from the world (to wire them to its ports). */
  controllers?: SimController[] | ((world: SimWorld) => SimController[]);
  /** @default scenario.durationMs */
  durationMs?: number;
  /** @default scenario.sampleIntervalMs */
  sampleIntervalMs?: number;
  onProgress?: (progress: SimProgress) => void;
  /** Virtual time between progress reports (a progress bar on a terminal moves every few seconds). @default 15 minutes */
  progressIntervalMs?: number;
  /** Where controller failures are logged. @default silentLogger */
  log?: Logger;
}

const DEFAULT_PROGRESS_INTERVAL_MS = 15 * 60_000;

interface ControllerState {
  controller: SimController;
  nextDue: number;
  /** An event asked for a tick outside the schedule. */
  eventDue: boolean;
  running: boolean;
  outcome: ControllerOutcome;
}

interface StatsSnapshot {
  kubernetes: ApiStats;
  autoScaling: ApiStats;
  metrics: ApiStats;
  state: ApiStats;
}

function snapshot(world: SimWorld): StatsSnapshot {
  return {
    // The VPA port talks to the same API server (VPA objects, workloads' templates).
    kubernetes: mergeStats(world.cluster.stats(), world.vpas.stats()),
    autoScaling: world.cloud.stats(),
    // Every metric backend a controller may ask: the metrics APIs and the simulated SQS and CloudWatch.
    metrics: sumStats({
      'metrics-api': world.metrics.stats(),
      sqs: world.sqs.stats(),
      cloudwatch: world.cloudwatch.stats(),
    }),
    state: world.state.stats(),
  };
}

/** Requests served so far, per kind of API: all a controller's costs need, taken around every tick. */
interface RequestTotals {
  kubernetes: number;
  autoScaling: number;
  metrics: number;
  state: number;
}

/** The totals of `snapshot`, without merging the per-request counts it does not need. */
function requestTotals(world: SimWorld): RequestTotals {
  return {
    kubernetes: world.cluster.stats().totalRequests + world.vpas.stats().totalRequests,
    autoScaling: world.cloud.stats().totalRequests,
    metrics:
      world.metrics.stats().totalRequests +
      world.sqs.stats().totalRequests +
      world.cloudwatch.stats().totalRequests,
    state: world.state.stats().totalRequests,
  };
}

/** Charges what the world's APIs served between two snapshots to the controller. */
function addCosts(state: ControllerState, before: RequestTotals, after: RequestTotals): void {
  state.outcome.kubernetesRequests += after.kubernetes - before.kubernetes;
  state.outcome.autoScalingRequests += after.autoScaling - before.autoScaling;
  state.outcome.metricRequests += after.metrics - before.metrics;
  state.outcome.stateRequests += after.state - before.state;
}

function readNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** What the autoscaler aiming at a workload asks for, read defensively from its raw spec. */
function describeAutoscaler(world: SimWorld, namespace: string, name: string): ServiceOutcome['autoscaler'] {
  for (const kind of ['HorizontalAutoscaler', 'HorizontalPodAutoscaler'] as const) {
    const object = world.cluster.getAutoscaler(kind, namespace, name);
    if (!object) continue;
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    const metrics = Array.isArray(spec.metrics) ? (spec.metrics as Record<string, unknown>[]) : [];
    let targetCpuUtilization: number | undefined;
    const names: string[] = [];
    for (const metric of metrics) {
      const type = String(metric.type);
      const source = (metric[type.charAt(0).toLowerCase() + type.slice(1)] ?? {}) as Record<string, unknown>;
      const metricName = String(source.name ?? (source.metric as { name?: string } | undefined)?.name ?? '?');
      names.push(`${type}/${metricName}`);
      const target = source.target as { averageUtilization?: unknown } | undefined;
      if (type === 'Resource' && metricName === 'cpu')
        targetCpuUtilization = readNumber(target?.averageUtilization);
    }
    const minReplicas = readNumber(spec.minReplicas);
    const maxReplicas = readNumber(spec.maxReplicas);
    return {
      kind,
      name,
      ...(minReplicas !== undefined ? { minReplicas } : {}),
      ...(maxReplicas !== undefined ? { maxReplicas } : {}),
      ...(targetCpuUtilization !== undefined ? { targetCpuUtilization } : {}),
      metrics: names,
    };
  }
  return undefined;
}

function serviceOutcomes(
  world: SimWorld,
  initialReplicas: Map<string, number>,
  since: number,
): ServiceOutcome[] {
  const out: ServiceOutcome[] = [];
  for (const workload of world.cluster.workloadRecords()) {
    const initial = initialReplicas.get(workload.key) ?? workload.specReplicas;
    let min = initial;
    let max = initial;
    let ups = 0;
    let downs = 0;
    for (const rescale of workload.rescales) {
      if (rescale.time < since) continue;
      min = Math.min(min, rescale.to);
      max = Math.max(max, rescale.to);
      if (rescale.to > rescale.from) ups++;
      else downs++;
    }
    const autoscaler = describeAutoscaler(world, workload.namespace, workload.name);
    out.push({
      key: workload.key,
      namespace: workload.namespace,
      name: workload.name,
      kind: workload.kind,
      ...(autoscaler ? { autoscaler } : {}),
      initialReplicas: initial,
      finalReplicas: workload.specReplicas,
      minReplicas: min,
      maxReplicas: max,
      rescales: ups + downs,
      scaleUps: ups,
      scaleDowns: downs,
      pendingPodSeconds: Math.round(workload.pendingPodSeconds),
    });
  }
  return out;
}

/**
 * Runs a scenario (or an already built world) with the given controllers and returns the series and
 * counters. Deterministic for deterministic controllers.
 *
 * @example
 * const result = await runSimulation(createDefaultDayScenario(), {
 *   controllers: (world) => [{ name: 'hpa', intervalMs: 15_000, tick: () => runHpaTick({ ...deps(world) }) }],
 * });
 * writeFileSync('report.html', renderReport(result));
 */
export async function runSimulation(
  input: Scenario | SimWorld,
  options: RunOptions = {},
): Promise<SimulationResult> {
  const wallStart = performance.now();
  const world = input instanceof SimWorld ? input : createSimWorld(input);
  const { scenario, clock } = world;
  const controllers =
    typeof options.controllers === 'function' ? options.controllers(world) : (options.controllers ?? []);
  const log = options.log ?? silentLogger;
  const start = clock.now();
  const durationMs = options.durationMs ?? scenario.durationMs;
  const end = start + durationMs;
  const sampleIntervalMs = options.sampleIntervalMs ?? scenario.sampleIntervalMs;
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  if (!(sampleIntervalMs > 0)) throw new RangeError('sampleIntervalMs must be > 0');
  for (const controller of controllers) {
    if (!(controller.intervalMs > 0))
      throw new RangeError(`controller ${controller.name}: intervalMs must be > 0`);
  }

  const initialReplicas = new Map<string, number>();
  for (const workload of world.cluster.workloadRecords())
    initialReplicas.set(workload.key, workload.specReplicas);
  const statsAtStart = snapshot(world);
  const rescalesAtStart = world.cluster.rescales().length;
  const eventsAtStart = world.cluster.events().length;
  const pendingAtStart = world.cluster.pendingPodSeconds();

  const states: ControllerState[] = controllers.map((controller) => ({
    controller,
    nextDue: start + (controller.offsetMs ?? 0),
    eventDue: false,
    running: false,
    outcome: {
      name: controller.name,
      intervalMs: controller.intervalMs,
      ticks: 0,
      errors: 0,
      skipped: 0,
      kubernetesRequests: 0,
      autoScalingRequests: 0,
      metricRequests: 0,
      stateRequests: 0,
    },
  }));

  // Wakes the driver when a tick settles or a controller starts sleeping on virtual time.
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const unsubscribe = clock.onSleep(notify);

  /** Waits until every running tick has settled or waits on virtual time. */
  const quiesce = async () => {
    for (;;) {
      const running = states.reduce((count, state) => count + (state.running ? 1 : 0), 0);
      if (running === 0 || running <= clock.pendingSleepers()) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const startTick = (state: ControllerState, now: number) => {
    state.running = true;
    state.outcome.ticks++;
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(state.controller.tick(now));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      () => {
        state.running = false;
        notify();
      },
      (error: unknown) => {
        state.running = false;
        state.outcome.errors++;
        state.outcome.lastError = error instanceof Error ? error.message : String(error);
        log.warn('simulated controller tick failed', {
          controller: state.controller.name,
          error: state.outcome.lastError,
        });
        notify();
      },
    );
  };

  const sampler = new Sampler(world);
  let nextSample = start;
  let nextProgress = start + progressIntervalMs;
  let steps = 0;

  try {
    world.reconcile();
    for (;;) {
      const now = clock.now();
      steps++;
      if (now >= nextSample && now <= end) {
        sampler.sample(now);
        for (const controller of controllers) controller.sample?.(now);
        nextSample += sampleIntervalMs;
      }
      if (now >= end) break;

      for (const state of states) {
        if (!state.controller.deliverEvents || state.running) continue;
        const before = requestTotals(world);
        try {
          if (await state.controller.deliverEvents(now)) state.eventDue = true;
        } catch (error) {
          state.outcome.errors++;
          state.outcome.lastError = error instanceof Error ? error.message : String(error);
          log.warn('simulated event delivery failed', {
            controller: state.controller.name,
            error: state.outcome.lastError,
          });
        }
        addCosts(state, before, requestTotals(world));
      }

      for (const state of states) {
        const scheduled = now >= state.nextDue;
        if (!scheduled && !state.eventDue) continue;
        while (state.nextDue <= now) state.nextDue += state.controller.intervalMs;
        if (state.running) {
          if (scheduled) state.outcome.skipped++;
          continue;
        }
        state.eventDue = false;
        const before = requestTotals(world);
        startTick(state, now);
        await quiesce();
        addCosts(state, before, requestTotals(world));
        world.reconcile();
      }

      let next = Math.min(end, nextSample, Math.max(world.nextEventAt(), now + 1));
      for (const state of states) next = Math.min(next, state.nextDue);
      const wakeAt = clock.nextWakeAt();
      if (wakeAt !== undefined) next = Math.min(next, Math.max(wakeAt, now));

      clock.advanceTo(next);
      world.reconcile();
      if (wakeAt !== undefined && wakeAt <= next) {
        await quiesce();
        world.reconcile();
      }

      if (options.onProgress && next >= nextProgress) {
        while (nextProgress <= next) nextProgress += progressIntervalMs;
        options.onProgress({
          now: next,
          start,
          end,
          fraction: (next - start) / durationMs,
          wallTimeMs: performance.now() - wallStart,
        });
      }
    }
  } finally {
    unsubscribe();
  }

  const statsAtEnd = snapshot(world);
  const extras: SimControllerResults = {};
  for (const controller of controllers) Object.assign(extras, controller.finish?.(end));
  return {
    scenario: {
      name: scenario.name,
      description: scenario.description,
      clusterName: scenario.clusterName,
      start,
      end,
      durationMs,
      utcOffsetMinutes: scenario.utcOffsetMinutes,
      tickIntervalMs: scenario.tickIntervalMs,
      sampleIntervalMs,
    },
    wallTimeMs: Math.round(performance.now() - wallStart),
    steps,
    series: { times: sampler.times, cluster: sampler.cluster, services: sampler.services },
    services: serviceOutcomes(world, initialReplicas, start),
    controllers: states.map((state) => state.outcome),
    api: {
      kubernetes: diffStats(statsAtEnd.kubernetes, statsAtStart.kubernetes),
      autoScaling: diffStats(statsAtEnd.autoScaling, statsAtStart.autoScaling),
      metrics: diffStats(statsAtEnd.metrics, statsAtStart.metrics),
      state: diffStats(statsAtEnd.state, statsAtStart.state),
    },
    rescales: world.cluster.rescales().length - rescalesAtStart,
    pendingPodSeconds: Math.round(world.cluster.pendingPodSeconds() - pendingAtStart),
    events: world.cluster.events().length - eventsAtStart,
    faults: world.appliedFaults().filter((applied) => applied.time >= start && applied.time <= end),
    ...extras,
  };
}
