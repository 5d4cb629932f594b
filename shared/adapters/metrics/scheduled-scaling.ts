/**
 * Time-based metrics: kube-metrics-adapter's ScalingSchedule / ClusterScalingSchedule collector, so a
 * service can pre-scale before a known peak. The value of a schedule spec at an instant is upstream's:
 *
 * - A `OneTime` schedule is active from `date` (RFC 3339) until the later of `endDate` and
 *   `date + durationMinutes`. A `Repeating` schedule is active on the listed `period.days` from
 *   `period.startTime` (HH:MM, wall clock in `period.timezone`, an IANA name; missing or unknown names
 *   fall back to the default zone, Europe/Berlin) until the later of `period.endTime` and start +
 *   `durationMinutes`. Like upstream, only the occurrence of the current day (in that zone) counts, so a
 *   repeating window stops at midnight and a ramp never reaches back into the previous day. A wall-clock
 *   start that does not exist or exists twice (daylight-saving changes) resolves as Go's `time.Date`
 *   resolves it.
 * - While a schedule is active its `value` is returned. During the scaling window
 *   (`scalingWindowDurationMinutes`, default 10) before the start and after the end the value ramps up
 *   and down in `rampSteps` (default 10) buckets: `trunc(floor(fraction * steps) * value / steps)`, so
 *   with 10 steps the last bucket before the start returns 90 %.
 * - Several schedules: the largest value. Outside every window: 0. The value is in units; the metric
 *   is that times 1000 in milli-units.
 *
 * Where the schedules come from:
 * - Upstream's form: an `Object` metric whose `describedObject` is a `ScalingSchedule` (in the
 *   autoscaler's namespace) or a `ClusterScalingSchedule` (apiVersion `zalando.org/v1`). The collector
 *   reads the object's spec through the `lookup` option (a snapshot of those objects for the tick).
 * - tideplane's CRD-less form: the annotation
 *   `metric-config.<object|external>.<metric>.scheduled-scaling/spec` holds the same spec as YAML or
 *   JSON (`{scalingWindowDurationMinutes?, schedules: [...]}`, or just the list of schedules). It wins
 *   over a referenced object and works for `External` metrics too.
 *
 * Pure: the only clock is `request.now`; time zones come from `Intl.DateTimeFormat`.
 */
import { parse as parseYaml } from 'yaml';
import { ForbiddenError } from '../../ports/kubernetes';
import { MetricError, type MetricResult } from '../../ports/metric-source';
import type { CollectedValues, Collector, CollectorRequest } from './collector';

export const SCHEDULED_SCALING_COLLECTOR_NAME = 'scheduled-scaling';
/** Upper bound on one `collect` (pure computation plus the optional lookup). */
export const SCHEDULED_SCALING_TIMEOUT_MS = 1_000;
/** Upstream's `--scaling-schedule-default-scaling-window` default (10m). */
export const DEFAULT_SCALING_WINDOW_MINUTES = 10;
/** Upstream's `--scaling-schedule-ramp-steps` default. */
export const DEFAULT_RAMP_STEPS = 10;
/** Upstream's default time zone for `Repeating` schedules without a (valid) `timezone`. */
export const DEFAULT_SCHEDULE_TIME_ZONE = 'Europe/Berlin';
export const SCALING_SCHEDULE_API_VERSION = 'zalando.org/v1';
export const SCALING_SCHEDULE_KINDS = ['ScalingSchedule', 'ClusterScalingSchedule'] as const;
export type ScalingScheduleKind = (typeof SCALING_SCHEDULE_KINDS)[number];
export const SCHEDULE_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type ScheduleDay = (typeof SCHEDULE_DAYS)[number];

const MINUTE_MS = 60_000;

export interface SchedulePeriod {
  /** HH:MM, wall clock in `timezone`. */
  startTime: string;
  /** HH:MM on the same day; the schedule ends at the later of this and start + durationMinutes. */
  endTime?: string;
  days: ScheduleDay[];
  /** IANA name, e.g. `Europe/Berlin`; missing or unknown: the default zone. */
  timezone?: string;
}

export interface Schedule {
  type: 'OneTime' | 'Repeating';
  /** OneTime: RFC 3339 start. */
  date?: string;
  /** OneTime: RFC 3339 end; the schedule ends at the later of this and date + durationMinutes. */
  endDate?: string;
  /** Repeating: when. */
  period?: SchedulePeriod;
  durationMinutes?: number;
  /** The metric value (units) while active. */
  value: number;
}

/** The spec of a ScalingSchedule / ClusterScalingSchedule (zalando.org/v1). */
export interface ScalingScheduleSpec {
  scalingWindowDurationMinutes?: number;
  schedules: Schedule[];
}

export interface ScalingScheduleRef {
  kind: ScalingScheduleKind;
  name: string;
  /** Set for a `ScalingSchedule` (the autoscaler's namespace); absent for a `ClusterScalingSchedule`. */
  namespace?: string;
}

/**
 * The spec of a referenced schedule object (raw, as the API server returns it; it is validated here),
 * or undefined when it does not exist.
 */
export type ScalingScheduleLookup = (ref: ScalingScheduleRef) => unknown | Promise<unknown>;

/** Reads schedule objects (`KubernetesAdapter.getScalingSchedule`): the raw spec, undefined when absent. */
export interface ScalingScheduleReader {
  getScalingSchedule(ref: ScalingScheduleRef): Promise<unknown | undefined>;
}

export interface ScheduledScalingCollectorOptions {
  /** Resolves `ScalingSchedule` / `ClusterScalingSchedule` references; without it only `spec` works. */
  lookup?: ScalingScheduleLookup;
  /** Scaling window of specs that set none (default `DEFAULT_SCALING_WINDOW_MINUTES`; 0 disables ramps). */
  defaultScalingWindowMinutes?: number;
  /** Ramp buckets (default `DEFAULT_RAMP_STEPS`, at least 1). */
  rampSteps?: number;
  /** Zone of `Repeating` schedules without a valid `timezone` (default `DEFAULT_SCHEDULE_TIME_ZONE`). */
  defaultTimeZone?: string;
  timeoutMs?: number;
}

export interface ScheduleEvaluationSettings {
  defaultScalingWindowMinutes: number;
  rampSteps: number;
  defaultTimeZone: string;
}

// ---------------------------------------------------------------------------------------------------
// Time zones, through Intl (pure: the result depends only on the instant and the zone's rules).

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: ScheduleDay;
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** A formatter for `zone`, or undefined when the zone is not a known IANA name. */
function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        weekday: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      formatter = null;
    }
    formatters.set(zone, formatter);
  }
  return formatter ?? undefined;
}

/** True when `zone` is an IANA time zone name this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  return zone !== '' && zoneFormatter(zone) !== undefined;
}

function wallClock(instant: number, formatter: Intl.DateTimeFormat): WallClock {
  const fields: Record<string, string> = {};
  for (const part of formatter.formatToParts(instant)) fields[part.type] = part.value;
  return {
    year: Number(fields.year),
    month: Number(fields.month),
    day: Number(fields.day),
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
    weekday: fields.weekday as ScheduleDay,
  };
}

/** Epoch ms of a UTC calendar time (Date.UTC, without its 0–99 → 1900s year mapping). */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** The zone's UTC offset at `instant`, ms (whole seconds, as the zone database has them). */
function offsetAt(instant: number, formatter: Intl.DateTimeFormat): number {
  const w = wallClock(instant, formatter);
  return utcMs(w.year, w.month, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in a zone, resolved as Go's `time.Date` resolves it: take the offset
 * in effect at the wall clock read as UTC; if the result falls outside that offset's period, use the
 * offset in effect at the result instead. In a spring-forward gap east of UTC (Europe/Berlin 02:30) this
 * moves forward (03:30 CEST); in a fall-back overlap it picks the later occurrence (02:30 CET).
 */
function zonedInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  f: Intl.DateTimeFormat,
) {
  const wall = utcMs(year, month, day, hour, minute);
  return wall - offsetAt(wall - offsetAt(wall, f), f);
}

// ---------------------------------------------------------------------------------------------------
// Parsing and validation.

const invalid = (where: string, message: string) => new MetricError('Invalid', `${where}: ${message}`);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch ms of an RFC 3339 date-time as Go's `time.Parse(time.RFC3339, …)` accepts it, or undefined. */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone, sign, oh = '0', om = '0'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(utcMs(year, month + 1, 1) - 1).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || Number(oh) > 23 || Number(om) > 59) return undefined;
  const offset = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * MINUTE_MS;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return utcMs(year, month, day, hour, minute, second) + ms - offset;
}

/** Hours and minutes of HH:MM as Go's `time.Parse("15:04", …)` accepts it (hour may have one digit). */
function parseClock(text: unknown): { hour: number; minute: number } | undefined {
  const match = typeof text === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(text) : null;
  if (!match) return undefined;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  return hour <= 23 && minute <= 59 ? { hour, minute } : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalInteger(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalid(where, `${JSON.stringify(value)} is not an integer`);
  return value;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(where, `${JSON.stringify(value)} is not a string`);
  return value;
}

function parseSchedule(input: unknown, where: string): Schedule {
  if (!isRecord(input)) throw invalid(where, 'a schedule is an object with type and value');
  const value = optionalInteger(input.value, `${where}.value`);
  if (value === undefined) throw invalid(`${where}.value`, 'is required');
  if (!Number.isSafeInteger(value * 1000)) throw invalid(`${where}.value`, `${value} is too large`);
  const schedule: Schedule = { type: 'OneTime', value };
  const duration = optionalInteger(input.durationMinutes, `${where}.durationMinutes`);
  if (duration !== undefined) schedule.durationMinutes = duration;

  if (input.type === 'OneTime') {
    const date = optionalString(input.date, `${where}.date`);
    if (date === undefined) throw invalid(`${where}.date`, 'is required for a OneTime schedule');
    if (parseRfc3339(date) === undefined)
      throw invalid(`${where}.date`, `${JSON.stringify(date)} is not an RFC 3339 date`);
    schedule.date = date;
    const endDate = optionalString(input.endDate, `${where}.endDate`);
    if (endDate !== undefined) {
      if (parseRfc3339(endDate) === undefined)
        throw invalid(`${where}.endDate`, `${JSON.stringify(endDate)} is not an RFC 3339 date`);
      schedule.endDate = endDate;
    }
    return schedule;
  }
  if (input.type !== 'Repeating')
    throw invalid(`${where}.type`, `${JSON.stringify(input.type)} is not OneTime or Repeating`);

  schedule.type = 'Repeating';
  const period = input.period;
  if (!isRecord(period)) throw invalid(`${where}.period`, 'is required for a Repeating schedule');
  if (parseClock(period.startTime) === undefined)
    throw invalid(`${where}.period.startTime`, `${JSON.stringify(period.startTime)} is not HH:MM`);
  const parsed: SchedulePeriod = { startTime: period.startTime as string, days: [] };
  const endTime = optionalString(period.endTime, `${where}.period.endTime`);
  if (endTime !== undefined) {
    if (parseClock(endTime) === undefined)
      throw invalid(`${where}.period.endTime`, `${JSON.stringify(endTime)} is not HH:MM`);
    parsed.endTime = endTime;
  }
  if (!Array.isArray(period.days))
    throw invalid(`${where}.period.days`, 'is required (a list of Sun, Mon, … Sat)');
  period.days.forEach((day, index) => {
    if (!SCHEDULE_DAYS.includes(day as ScheduleDay))
      throw invalid(
        `${where}.period.days[${index}]`,
        `${JSON.stringify(day)} is not one of ${SCHEDULE_DAYS.join(', ')}`,
      );
    parsed.days.push(day as ScheduleDay);
  });
  const timezone = optionalString(period.timezone, `${where}.period.timezone`);
  if (timezone !== undefined) parsed.timezone = timezone;
  schedule.period = parsed;
  return schedule;
}

/**
 * A ScalingSchedule spec from its raw form (an object with `schedules`, or a bare list of schedules),
 * validated like the CRD's schema; throws a `MetricError` (`Invalid`) naming the offending field.
 */
export function parseScalingScheduleSpec(input: unknown, where = 'spec'): ScalingScheduleSpec {
  const raw = Array.isArray(input) ? { schedules: input } : input;
  if (!isRecord(raw)) throw invalid(where, 'expected an object with schedules, or a list of schedules');
  if (!Array.isArray(raw.schedules)) throw invalid(`${where}.schedules`, 'is required (a list)');
  const spec: ScalingScheduleSpec = {
    schedules: raw.schedules.map((schedule, index) =>
      parseSchedule(schedule, `${where}.schedules[${index}]`),
    ),
  };
  const window = optionalInteger(raw.scalingWindowDurationMinutes, `${where}.scalingWindowDurationMinutes`);
  if (window !== undefined) {
    if (window < 0)
      throw invalid(`${where}.scalingWindowDurationMinutes`, 'scaling window duration cannot be negative');
    spec.scalingWindowDurationMinutes = window;
  }
  return spec;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation.

/**
 * The active window of one schedule around `now` (epoch ms), or undefined when a Repeating schedule
 * does not run on the current day of its zone. `end` is the later of the end time/date and start +
 * durationMinutes.
 */
export function scheduleWindow(
  schedule: Schedule,
  now: number,
  defaultTimeZone: string,
): { start: number; end: number } | undefined {
  let start: number;
  let end: number;
  if (schedule.type === 'OneTime') {
    start = parseRfc3339(schedule.date ?? '') ?? Number.NaN;
    end = schedule.endDate ? (parseRfc3339(schedule.endDate) ?? Number.NaN) : start;
  } else {
    const period = schedule.period as SchedulePeriod;
    const formatter =
      (period.timezone ? zoneFormatter(period.timezone) : undefined) ?? zoneFormatter(defaultTimeZone);
    if (!formatter)
      throw new MetricError('Invalid', `unknown default time zone ${JSON.stringify(defaultTimeZone)}`);
    const today = wallClock(now, formatter);
    if (!period.days.includes(today.weekday)) return undefined;
    const at = (clock: string) => {
      const { hour, minute } = parseClock(clock) as { hour: number; minute: number };
      return zonedInstant(today.year, today.month, today.day, hour, minute, formatter);
    };
    start = at(period.startTime);
    end = period.endTime ? at(period.endTime) : start;
  }
  const byDuration = start + (schedule.durationMinutes ?? 0) * MINUTE_MS;
  if (byDuration > end) end = byDuration;
  return { start, end };
}

/** Upstream's ramp bucket: `int64(floor(fraction * steps) * (value / steps))`. */
function rampValue(elapsed: number, windowMs: number, steps: number, value: number): number {
  if (windowMs === 0) return 0;
  return Math.trunc(Math.floor((Math.abs(elapsed) / windowMs) * steps) * (value / steps));
}

function valueForEntry(
  now: number,
  start: number,
  end: number,
  windowMs: number,
  steps: number,
  value: number,
) {
  if (now >= start && now < end) return value;
  if (now >= start - windowMs && now < start)
    return rampValue(now - (start - windowMs), windowMs, steps, value);
  if (now >= end && now < end + windowMs) return rampValue(end + windowMs - now, windowMs, steps, value);
  return 0;
}

/** The metric value (units, not milli) of a spec at `now`: the largest of its schedules', at least 0. */
export function scheduledValue(
  spec: ScalingScheduleSpec,
  now: number,
  settings: ScheduleEvaluationSettings,
): number {
  const windowMs = (spec.scalingWindowDurationMinutes ?? settings.defaultScalingWindowMinutes) * MINUTE_MS;
  let best = 0;
  for (const schedule of spec.schedules) {
    const window = scheduleWindow(schedule, now, settings.defaultTimeZone);
    if (!window) continue;
    best = Math.max(
      best,
      valueForEntry(now, window.start, window.end, windowMs, settings.rampSteps, schedule.value),
    );
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------
// The collector.

const isScheduleKind = (kind: string | undefined): kind is ScalingScheduleKind =>
  SCALING_SCHEDULE_KINDS.includes(kind as ScalingScheduleKind);

/**
 * @example
 *   const collector = new ScheduledScalingCollector({ lookup: (ref) => schedulesOfTick.get(ref.name) });
 *   await collector.collect(
 *     { type: 'Object', namespace: 'shop', metricName: 'morning', now, config: {},
 *       describedObject: { apiVersion: 'zalando.org/v1', kind: 'ClusterScalingSchedule', name: 'morning' } },
 *     signal,
 *   );
 */
export class ScheduledScalingCollector implements Collector {
  readonly name = SCHEDULED_SCALING_COLLECTOR_NAME;
  readonly timeoutMs: number;
  private readonly lookup: ScalingScheduleLookup | undefined;
  private readonly settings: ScheduleEvaluationSettings;

  constructor(options: ScheduledScalingCollectorOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? SCHEDULED_SCALING_TIMEOUT_MS;
    this.lookup = options.lookup;
    const rampSteps = options.rampSteps ?? DEFAULT_RAMP_STEPS;
    const window = options.defaultScalingWindowMinutes ?? DEFAULT_SCALING_WINDOW_MINUTES;
    const defaultTimeZone = options.defaultTimeZone ?? DEFAULT_SCHEDULE_TIME_ZONE;
    if (!Number.isInteger(rampSteps) || rampSteps < 1)
      throw new RangeError(`rampSteps must be an integer ≥ 1, got ${rampSteps}`);
    if (!(window >= 0)) throw new RangeError(`defaultScalingWindowMinutes must be ≥ 0, got ${window}`);
    if (!isKnownTimeZone(defaultTimeZone))
      throw new RangeError(`unknown time zone ${JSON.stringify(defaultTimeZone)}`);
    this.settings = { rampSteps, defaultScalingWindowMinutes: window, defaultTimeZone };
  }

  /** The schedule object a request references, if any. */
  private reference(request: CollectorRequest): ScalingScheduleRef | undefined {
    const object = request.describedObject;
    if (request.type !== 'Object' || !object || !isScheduleKind(object.kind)) return undefined;
    return object.kind === 'ScalingSchedule'
      ? { kind: object.kind, name: object.name, namespace: request.namespace }
      : { kind: object.kind, name: object.name };
  }

  cacheKey(request: CollectorRequest): string {
    return JSON.stringify([
      this.name,
      request.type,
      request.now,
      request.config.spec ?? null,
      this.reference(request) ?? null,
    ]);
  }

  async collect(request: CollectorRequest, signal: AbortSignal): Promise<MetricResult<CollectedValues>> {
    try {
      if (request.type === 'Pods')
        throw new MetricError('Invalid', 'scheduled-scaling serves Object and External metrics, not Pods');
      const spec = await this.spec(request);
      if (signal.aborted) throw new MetricError('Timeout', 'scheduled-scaling: aborted');
      const milliValue = scheduledValue(spec, request.now, this.settings) * 1000;
      return { ok: true, value: { kind: 'scalar', values: [{ milliValue, timestamp: request.now }] } };
    } catch (error) {
      if (error instanceof MetricError) return { ok: false, error };
      if (error instanceof ForbiddenError)
        return { ok: false, error: new MetricError('Forbidden', `scheduled-scaling: ${error.message}`) };
      return {
        ok: false,
        error: new MetricError(
          'Unavailable',
          `scheduled-scaling: ${error instanceof Error ? error.message : String(error)}`,
        ),
      };
    }
  }

  private async spec(request: CollectorRequest): Promise<ScalingScheduleSpec> {
    const text = request.config.spec;
    if (text !== undefined) {
      let document: unknown;
      try {
        document = parseYaml(text);
      } catch (error) {
        throw invalid(
          'scheduled-scaling/spec',
          `not YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      return parseScalingScheduleSpec(document, 'scheduled-scaling/spec');
    }
    const ref = this.reference(request);
    if (!ref)
      throw new MetricError(
        'Invalid',
        'scheduled-scaling: no schedule; reference a ScalingSchedule or ClusterScalingSchedule as the described object, or set the annotation metric-config.<type>.<metric>.scheduled-scaling/spec',
      );
    const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
    if (!this.lookup)
      throw new MetricError(
        'NotServed',
        `${ref.kind} ${name}: this deployment does not read ${ref.kind} objects`,
      );
    const raw = await this.lookup(ref);
    if (raw === undefined || raw === null)
      throw new MetricError('NotFound', `referenced ${ref.kind} ${name} not found`);
    return parseScalingScheduleSpec(raw, `${ref.kind} ${name}: spec`);
  }
}
