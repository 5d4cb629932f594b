/**
 * What the VPA loop did over a simulation, for the result and the report: per VPA container its memory
 * and CPU request, limit, recommendation and usage over time (and the memory need, which only the
 * simulator knows), the OOM kills, the status writes, the template patches, and the checkpoints written
 * with their DynamoDB item sizes.
 */
import type { VpaTickSummary } from '../loops/vpa-loop';
import type { PodMetrics } from '../ports/kubernetes';
import type { VpaObject } from '../ports/vertical-pod-autoscalers';
import { parseMilliNumber, parseQuantityNumber } from '../units/quantity';
import type { OomKill } from './oom-killer';
import type { PodResizeRecord, TemplatePatchRecord } from './vpa-objects';
import { workloadKey } from './workload';
import type { SimWorld } from './world';

const MiB = 2 ** 20;

/** One VPA container's series at the driver's sample instants (`null`: nothing to show then). */
export interface VpaContainerSeries {
  /** `namespace/name` of the VPA. */
  vpa: string;
  /** `namespace/name` of its target workload. */
  workload: string;
  container: string;
  /** The highest and the mean working set over the workload's pods that report the container. */
  memoryUsageMaxMi: (number | null)[];
  memoryUsageMeanMi: (number | null)[];
  /** What the container needs (the simulator's memory model; the VPA never sees it). */
  memoryNeedMi: (number | null)[];
  /** The pod template's memory request and limit. */
  memoryRequestMi: (number | null)[];
  memoryLimitMi: (number | null)[];
  /** The VPA status' memory target. */
  memoryTargetMi: (number | null)[];
  cpuUsageMeanMillis: (number | null)[];
  cpuRequestMillis: (number | null)[];
  cpuTargetMillis: (number | null)[];
}

/** A checkpoint write and the size DynamoDB counts for its item. */
export interface CheckpointWrite {
  time: number;
  key: string;
  bytes: number;
}

/** The VPA loop's side of a run (present when it ran). */
export interface VpaRun {
  intervalMs: number;
  /** Ticks of one simulated invocation: checkpoints are written on its last tick. */
  ticksPerInvocation: number;
  oomPolicy: string;
  ticks: number;
  /** Sample instants of the container series (the driver's). */
  times: number[];
  containers: VpaContainerSeries[];
  oomKills: OomKill[];
  statusWrites: number;
  /** The most status writes one tick made. */
  maxStatusWritesPerTick: number;
  templatePatches: TemplatePatchRecord[];
  /** In-place resizes the loop made (pods of an older template raised after an OOM kill). */
  podResizes: PodResizeRecord[];
  checkpointWrites: CheckpointWrite[];
  /** The most checkpoint writes one tick made. */
  maxCheckpointWritesPerTick: number;
  events: number;
  /** Problems the last tick reported, by VPA. */
  problems: Record<string, string[]>;
}

function toMi(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

function targetRefOf(vpa: VpaObject): { kind: string; name: string } | undefined {
  const ref = (vpa.spec as { targetRef?: { kind?: unknown; name?: unknown } } | undefined)?.targetRef;
  return typeof ref?.kind === 'string' && typeof ref.name === 'string'
    ? { kind: ref.kind, name: ref.name }
    : undefined;
}

/**
 * Collects a run's VPA figures; the VPA controller feeds it.
 *
 * @example
 * const recorder = new VpaRecorder(world, { intervalMs: 60_000, ticksPerInvocation: 5, oomPolicy: 'fast' });
 * recorder.onTick(summary); recorder.sample(now); recorder.finish(start, end);
 */
export class VpaRecorder {
  private readonly times: number[] = [];
  private readonly series = new Map<string, VpaContainerSeries>();
  private readonly checkpoints: CheckpointWrite[] = [];
  private ticks = 0;
  private statusWrites = 0;
  private maxStatusWrites = 0;
  private maxCheckpointWrites = 0;
  private events = 0;
  private problems: Record<string, string[]> = {};
  private readonly patchesAtStart: number;
  private readonly resizesAtStart: number;
  private readonly killsAtStart: number;

  constructor(
    private readonly world: SimWorld,
    private readonly meta: Pick<VpaRun, 'intervalMs' | 'ticksPerInvocation' | 'oomPolicy'>,
  ) {
    this.patchesAtStart = world.vpas.templatePatches().length;
    this.resizesAtStart = world.vpas.podResizes().length;
    this.killsAtStart = world.cluster.oomKills().length;
  }

  onTick(summary: VpaTickSummary): void {
    this.ticks++;
    this.statusWrites += summary.counts.statusWrites;
    this.maxStatusWrites = Math.max(this.maxStatusWrites, summary.counts.statusWrites);
    this.maxCheckpointWrites = Math.max(this.maxCheckpointWrites, summary.counts.checkpointWrites);
    this.events += summary.counts.events;
    this.problems = Object.fromEntries(
      summary.vpas.filter((vpa) => vpa.problems.length > 0).map((vpa) => [vpa.vpa, vpa.problems]),
    );
  }

  onCheckpointWrite(write: CheckpointWrite): void {
    this.checkpoints.push(write);
  }

  /** Records every VPA container's values now (one metrics read, not counted as an API call). */
  sample(now: number): void {
    const index = this.times.length;
    this.times.push(now);
    let metrics: Map<string, PodMetrics> | undefined;
    const metricsOf = () => {
      metrics ??= new Map(this.world.cluster.podMetrics().map((m) => [workloadKey(m.namespace, m.name), m]));
      return metrics;
    };
    for (const key of this.world.vpas.vpaKeys()) {
      const [namespace = '', name = ''] = key.split('/');
      const vpa = this.world.vpas.getVpa(namespace, name);
      const ref = vpa && targetRefOf(vpa);
      if (!vpa || !ref) continue;
      const workload = this.world.cluster.workloadRecord(workloadKey(namespace, ref.name));
      if (!workload || workload.kind !== ref.kind) continue;
      for (const container of workload.containers) {
        const series = this.seriesOf(key, workload.key, container.name, index);
        const memory: number[] = [];
        const cpu: number[] = [];
        for (const pod of workload.pods) {
          const usage = metricsOf()
            .get(workloadKey(namespace, pod.name))
            ?.containers.find((c) => c.name === container.name)?.usage;
          if (usage?.memory !== undefined) memory.push(parseQuantityNumber(usage.memory));
          if (usage?.cpu !== undefined) cpu.push(parseMilliNumber(usage.cpu));
        }
        const spec = workload.spec.containers.find((c) => c.name === container.name);
        const recommendation = vpa.status?.recommendation?.containerRecommendations.find(
          (r) => r.containerName === container.name,
        );
        const bytes = (text: string | undefined) =>
          text === undefined ? null : toMi(parseQuantityNumber(text));
        const millis = (text: string | undefined) =>
          text === undefined ? null : Math.round(parseMilliNumber(text));
        series.memoryUsageMaxMi.push(memory.length > 0 ? toMi(Math.max(...memory)) : null);
        series.memoryUsageMeanMi.push(
          memory.length > 0 ? toMi(memory.reduce((a, b) => a + b, 0) / memory.length) : null,
        );
        series.memoryNeedMi.push(spec?.memoryNeed ? Math.round(spec.memoryNeed.needMi(now) * 10) / 10 : null);
        series.memoryRequestMi.push(bytes(container.requests.memory));
        series.memoryLimitMi.push(bytes(container.limits.memory));
        series.memoryTargetMi.push(bytes(recommendation?.target.memory));
        series.cpuUsageMeanMillis.push(
          cpu.length > 0 ? Math.round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : null,
        );
        series.cpuRequestMillis.push(millis(container.requests.cpu));
        series.cpuTargetMillis.push(millis(recommendation?.target.cpu));
      }
    }
  }

  finish(start: number, end: number): VpaRun {
    // Containers that appeared late get nulls up to the end, so every series spans every sample.
    for (const series of this.series.values()) {
      for (const values of Object.values(series)) {
        if (Array.isArray(values)) while (values.length < this.times.length) values.push(null);
      }
    }
    return {
      ...this.meta,
      ticks: this.ticks,
      times: [...this.times],
      containers: [...this.series.values()],
      oomKills: this.world.cluster
        .oomKills()
        .slice(this.killsAtStart)
        .filter((kill) => kill.time >= start && kill.time <= end),
      statusWrites: this.statusWrites,
      maxStatusWritesPerTick: this.maxStatusWrites,
      templatePatches: this.world.vpas.templatePatches().slice(this.patchesAtStart),
      podResizes: this.world.vpas.podResizes().slice(this.resizesAtStart),
      checkpointWrites: [...this.checkpoints],
      maxCheckpointWritesPerTick: this.maxCheckpointWrites,
      events: this.events,
      problems: this.problems,
    };
  }

  private seriesOf(vpa: string, workload: string, container: string, index: number): VpaContainerSeries {
    const key = `${vpa}#${container}`;
    let series = this.series.get(key);
    if (!series) {
      const empty = () => new Array<number | null>(index).fill(null);
      series = {
        vpa,
        workload,
        container,
        memoryUsageMaxMi: empty(),
        memoryUsageMeanMi: empty(),
        memoryNeedMi: empty(),
        memoryRequestMi: empty(),
        memoryLimitMi: empty(),
        memoryTargetMi: empty(),
        cpuUsageMeanMillis: empty(),
        cpuRequestMillis: empty(),
        cpuTargetMillis: empty(),
      };
      this.series.set(key, series);
    }
    return series;
  }
}
