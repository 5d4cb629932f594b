/**
 * Records what the control-plane loop did over a run, from its tick summaries and the simulated control
 * plane: swaps (start, each acting step, finish and outcome, the fewest healthy API servers while each
 * ran), the control plane's size, load, latency and healthy API servers at the sample instants, the
 * alarms' state changes, and the port calls each tick made.
 */
import type { ControlPlaneTickSummary } from '../../loops/control-plane-loop';
import type { ControlPlaneSnapshot, SimControlPlane } from './control-plane';
import { SLOW_API_SECONDS } from './control-plane';
import type { ControlPlaneRun, SwapRecordOutcome, TickCost } from './run';

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function cost(calls: readonly number[]): TickCost {
  if (calls.length === 0) return { ticks: 0, meanCalls: 0, maxCalls: 0 };
  return {
    ticks: calls.length,
    meanCalls: round(calls.reduce((sum, n) => sum + n, 0) / calls.length, 1),
    maxCalls: Math.max(...calls),
  };
}

/**
 * @example
 * const recorder = new ControlPlaneRecorder(model, 15_000);
 * recorder.tick(summary, calls); recorder.sample(now);
 * const run = recorder.finish(end);
 */
export class ControlPlaneRecorder {
  private readonly swaps = new Map<string, SwapRecordOutcome>();
  private readonly samples: ControlPlaneSnapshot[] = [];
  private readonly idleCalls: number[] = [];
  private readonly swapCalls: number[] = [];
  private ticks = 0;
  private errors = 0;
  private readonly startSize: string;

  constructor(
    private readonly model: SimControlPlane,
    private readonly intervalMs: number,
  ) {
    this.startSize = this.sizeNow();
  }

  /** A tick that returned, with the port calls it made. */
  tick(summary: ControlPlaneTickSummary, calls: number): void {
    this.ticks++;
    (summary.swap ? this.swapCalls : this.idleCalls).push(calls);
    const swap = summary.swap;
    if (!swap || summary.dryRun) return;
    let record = this.swaps.get(swap.id);
    if (!record) {
      const decision = summary.decision?.action === 'swap' ? summary.decision : undefined;
      record = {
        id: swap.id,
        direction: decision?.direction ?? 'up',
        from: swap.from,
        to: swap.to,
        reason: decision?.reason ?? '',
        startedAt: summary.time,
        steps: [{ time: summary.time, kind: 'start' }],
        ...(this.model.kind === 'ec2'
          ? { healthyAtStart: this.model.targets.healthyInstances(summary.time).length }
          : {}),
      };
      this.swaps.set(swap.id, record);
    }
    const [kind, ...rest] = swap.step.split(': ');
    if (kind && kind !== 'wait' && kind !== 'done') {
      record.steps.push({
        time: summary.time,
        kind,
        ...(rest.length > 0 ? { detail: rest.join(': ') } : {}),
      });
    }
    if (summary.finished) {
      record.finishedAt = summary.time;
      record.outcome = summary.finished.outcome;
      if (summary.finished.failure !== undefined) record.failure = summary.finished.failure;
      record.steps.push({ time: summary.time, kind: 'finish', detail: summary.finished.outcome });
    }
  }

  /** A tick that threw. */
  tickFailed(calls: number): void {
    this.ticks++;
    this.errors++;
    this.swapCalls.push(calls);
  }

  sample(_now: number): void {
    this.samples.push(this.model.snapshot());
  }

  finish(end: number): ControlPlaneRun {
    const sizes = new Set<string>();
    for (const sample of this.samples) for (const size of Object.keys(sample.sizes)) sizes.add(size);
    const bySize: Record<string, number[]> = {};
    for (const size of sizes) bySize[size] = this.samples.map((sample) => sample.sizes[size] ?? 0);
    const swaps = [...this.swaps.values()].sort((a, b) => a.startedAt - b.startedAt);
    if (this.model.kind === 'ec2') {
      for (const swap of swaps)
        swap.minHealthy = this.model.targets.minHealthy(swap.startedAt, swap.finishedAt ?? end);
    }
    const slow = this.model.slowApi();
    const cpu = this.model.settings.cpu;
    const watched = new Set([...this.model.alarmNames.high, ...this.model.alarmNames.low]);
    return {
      kind: this.model.kind,
      intervalMs: this.intervalMs,
      ticks: this.ticks,
      errors: this.errors,
      startSize: this.startSize,
      endSize: this.sizeNow(),
      thresholds: { highPercent: cpu.highPercent, lowPercent: cpu.lowPercent },
      series: {
        nodes: this.samples.map((sample) => sample.size.nodes),
        pods: this.samples.map((sample) => sample.size.pods),
        loadPercent: this.samples.map((sample) =>
          sample.loadPercent === undefined ? null : round(sample.loadPercent, 1),
        ),
        latencySeconds: this.samples.map((sample) => round(sample.latencySeconds, 3)),
        baselineLatencySeconds: this.samples.map((sample) => round(sample.baselineLatencySeconds, 3)),
        healthy: this.samples.map((sample) => sample.healthy),
        sizes: bySize,
      },
      swaps,
      alarms: this.model.alarms
        .transitions()
        .filter((transition) => watched.has(transition.name) && transition.time <= end)
        .map((transition) => ({
          time: transition.time,
          name: transition.name,
          from: transition.from,
          to: transition.to,
          ...(transition.recentDatapoints.length > 0
            ? { value: transition.recentDatapoints.at(-1) as number }
            : {}),
        })),
      latency: {
        thresholdSeconds: SLOW_API_SECONDS,
        minutesAbove: round(slow.slowMs / 60_000, 1),
        peakSeconds: round(slow.peakLatencySeconds, 2),
        baselineMinutesAbove: this.baselineSlowMinutes(end),
      },
      calls: { idle: cost(this.idleCalls), swapping: cost(this.swapCalls) },
    };
  }

  /** Sampled time the starting control plane would have been slow (each sample held until the next). */
  private baselineSlowMinutes(end: number): number {
    let ms = 0;
    for (const [i, sample] of this.samples.entries()) {
      const until = this.samples[i + 1]?.time ?? end;
      if (sample.baselineLatencySeconds > SLOW_API_SECONDS) ms += Math.max(0, until - sample.time);
    }
    return round(ms / 60_000, 1);
  }

  /** The type the groups launch (EC2) or the tier (EKS), as of now. */
  private sizeNow(): string {
    const sizes = Object.entries(this.model.snapshot().sizes).sort((a, b) => b[1] - a[1]);
    return sizes.map(([size]) => size).join(' + ') || 'none';
  }
}
