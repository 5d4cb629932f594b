/**
 * CloudWatch metric alarms in memory, evaluated the way CloudWatch evaluates them, behind the same
 * `AlarmsPort` the real adapter implements. At every minute boundary an alarm looks at the last
 * `evaluationPeriods` one-minute datapoints that are there to read: ALARM when `datapointsToAlarm` of
 * them breach the threshold, OK when too few do; while fewer datapoints than `datapointsToAlarm` are
 * there the state stays (missing data treated as `missing`; an alarm without data yet goes to OK), and
 * INSUFFICIENT_DATA when none is.
 * Like CloudWatch, the state reason's datapoints (`recentDatapoints`) are those of the last state
 * change, not of the latest evaluation. Evaluation is lazy: reading an alarm first evaluates every
 * minute boundary passed since, with the datapoints each would have seen.
 *
 * State changes are kept (`transitions`) so the simulator can deliver them as CloudWatch delivers alarm
 * actions.
 */

import type { AlarmState, AlarmStatus, AlarmsPort } from '../../ports/alarms';
import type { Clock } from '../../ports/clock';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';
import { MINUTE_MS, type MinuteMetric, minuteOf } from './minute-metric';

export type Comparison = 'GreaterThanThreshold' | 'LessThanThreshold';

export interface SimAlarmSpec {
  name: string;
  metric: MinuteMetric;
  comparison: Comparison;
  threshold: number;
  /** One-minute periods looked at. */
  evaluationPeriods: number;
  /** Breaching datapoints among them that make ALARM. @default evaluationPeriods */
  datapointsToAlarm?: number;
}

export interface AlarmTransition {
  name: string;
  from: AlarmState;
  to: AlarmState;
  time: number;
  recentDatapoints: number[];
}

interface AlarmRecord {
  spec: SimAlarmSpec;
  state: AlarmState;
  stateUpdatedAt: number;
  recentDatapoints: number[];
}

function breaches(spec: SimAlarmSpec, value: number): boolean {
  return spec.comparison === 'GreaterThanThreshold' ? value > spec.threshold : value < spec.threshold;
}

type PortMethod = keyof AlarmsPort;

/**
 * @example
 * const alarms = new SimAlarms(clock);
 * alarms.addAlarm({ name: 'cp-load-high', metric: cpu, comparison: 'GreaterThanThreshold', threshold: 70, evaluationPeriods: 5 });
 * (await alarms.describeAlarms(['cp-load-high']))[0]?.state; // 'OK' until five minutes above 70 %
 */
export class SimAlarms implements AlarmsPort {
  private readonly api = new ApiCallRecorder();
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly log: AlarmTransition[] = [];
  /** The last minute boundary evaluated (epoch minutes). */
  private evaluatedTo: number;

  constructor(private readonly clock: Clock) {
    this.evaluatedTo = minuteOf(clock.now());
  }

  async describeAlarms(names: string[]): Promise<AlarmStatus[]> {
    this.api.call('describeAlarms', 'DescribeAlarms');
    this.evaluate();
    return names.flatMap((name) => {
      const alarm = this.alarms.get(name);
      if (!alarm) return [];
      return [
        {
          name,
          state: alarm.state,
          stateUpdatedAt: alarm.stateUpdatedAt,
          threshold: alarm.spec.threshold,
          recentDatapoints: [...alarm.recentDatapoints],
        },
      ];
    });
  }

  // ---- the world ---------------------------------------------------------------------------------

  /** Adds an alarm and evaluates it at once (INSUFFICIENT_DATA when its metric has nothing yet). */
  addAlarm(spec: SimAlarmSpec): void {
    if (this.alarms.has(spec.name)) throw new Error(`alarm ${spec.name} exists`);
    const alarm: AlarmRecord = {
      spec,
      state: 'INSUFFICIENT_DATA',
      stateUpdatedAt: this.clock.now(),
      recentDatapoints: [],
    };
    this.alarms.set(spec.name, alarm);
    this.evaluateAt(alarm, this.evaluatedTo * MINUTE_MS);
  }

  /** Evaluates every minute boundary up to now (port calls do this by themselves). */
  evaluate(): void {
    const to = minuteOf(this.clock.now());
    for (let minute = this.evaluatedTo + 1; minute <= to; minute++) {
      for (const alarm of this.alarms.values()) this.evaluateAt(alarm, minute * MINUTE_MS);
    }
    this.evaluatedTo = Math.max(this.evaluatedTo, to);
  }

  /** The next minute boundary (when an alarm may change state). */
  nextEvaluationAt(): number {
    return (this.evaluatedTo + 1) * MINUTE_MS;
  }

  /** Every state change so far, oldest first. */
  transitions(): readonly AlarmTransition[] {
    return this.log;
  }

  /** An alarm's state now, without counting a call. */
  stateOf(name: string): AlarmState | undefined {
    this.evaluate();
    return this.alarms.get(name)?.state;
  }

  /** The longest look-back of any alarm, in minutes (how much metric history must be kept). */
  longestWindowMinutes(): number {
    let longest = 0;
    for (const alarm of this.alarms.values()) longest = Math.max(longest, alarm.spec.evaluationPeriods);
    return longest;
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private evaluateAt(alarm: AlarmRecord, at: number): void {
    const spec = alarm.spec;
    const needed = spec.datapointsToAlarm ?? spec.evaluationPeriods;
    // The newest period whose datapoint can be read at `at`, and the ones before it.
    const newest = minuteOf(at - spec.metric.delayMs) - 1;
    const values: number[] = [];
    for (let minute = newest - spec.evaluationPeriods + 1; minute <= newest; minute++) {
      const value = spec.metric.datapoint(minute, at);
      if (value !== undefined) values.push(value);
    }
    let next: AlarmState;
    if (values.length === 0) next = 'INSUFFICIENT_DATA';
    else if (values.length < needed) next = alarm.state === 'INSUFFICIENT_DATA' ? 'OK' : alarm.state;
    else next = values.filter((value) => breaches(spec, value)).length >= needed ? 'ALARM' : 'OK';
    if (next === alarm.state) return;
    const recent = values.map((value) => Math.round(value * 1000) / 1000);
    this.log.push({ name: spec.name, from: alarm.state, to: next, time: at, recentDatapoints: recent });
    alarm.state = next;
    alarm.stateUpdatedAt = at;
    alarm.recentDatapoints = recent;
  }
}
