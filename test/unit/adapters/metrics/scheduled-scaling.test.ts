import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CollectorRequest } from '../../../../shared/adapters/metrics/collector';
import { createMetricSources } from '../../../../shared/adapters/metrics/metric-sources';
import {
  DEFAULT_RAMP_STEPS,
  DEFAULT_SCALING_WINDOW_MINUTES,
  DEFAULT_SCHEDULE_TIME_ZONE,
  parseRfc3339,
  parseScalingScheduleSpec,
  type ScalingScheduleSpec,
  type Schedule,
  ScheduledScalingCollector,
  scheduledValue,
  scheduleWindow,
} from '../../../../shared/adapters/metrics/scheduled-scaling';
import { ForbiddenError } from '../../../../shared/ports/kubernetes';
import type { MetricSource } from '../../../../shared/ports/metric-source';
import { systemClock } from '../../../../shared/runtime/system-clock';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};
const MIN = 60_000;
const SEC = 1_000;
const settings = (overrides: Partial<Parameters<typeof scheduledValue>[2]> = {}) => ({
  defaultScalingWindowMinutes: DEFAULT_SCALING_WINDOW_MINUTES,
  rampSteps: DEFAULT_RAMP_STEPS,
  defaultTimeZone: DEFAULT_SCHEDULE_TIME_ZONE,
  ...overrides,
});
const valueAt = (spec: ScalingScheduleSpec, now: number, overrides = {}) =>
  scheduledValue(parseScalingScheduleSpec(spec), now, settings(overrides));
const repeating = (startTime: string, days: string[], timezone?: string, extra: Partial<Schedule> = {}) =>
  ({
    type: 'Repeating',
    value: 100,
    durationMinutes: 60,
    period: { startTime, days, ...(timezone === undefined ? {} : { timezone }) },
    ...extra,
  }) as Schedule;
const ALL_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('scheduleWindow: wall clock to instant, as Go time.Date resolves it', () => {
  // Expected starts were computed with Go 1.x `time.Date` on the same inputs (the upstream algorithm).
  it.each([
    [
      'Europe/Berlin',
      '2026-03-28T12:00:00Z',
      '08:00',
      '2026-03-28T07:00:00Z',
      'Saturday before the change: CET',
    ],
    ['Europe/Berlin', '2026-03-29T12:00:00Z', '08:00', '2026-03-29T06:00:00Z', 'last Sunday of March: CEST'],
    ['Europe/Berlin', '2026-03-29T12:00:00Z', '02:30', '2026-03-29T01:30:00Z', 'in the gap: moves forward'],
    [
      'Europe/Berlin',
      '2026-10-25T12:00:00Z',
      '02:30',
      '2026-10-25T01:30:00Z',
      'in the overlap: the later 02:30',
    ],
    [
      'America/New_York',
      '2026-03-08T12:00:00Z',
      '02:30',
      '2026-03-08T06:30:00Z',
      'gap west of UTC: 01:30 EST',
    ],
    ['America/New_York', '2026-11-01T12:00:00Z', '01:30', '2026-11-01T05:30:00Z', 'overlap west of UTC: EDT'],
    ['Europe/London', '2026-03-29T12:00:00Z', '01:30', '2026-03-29T01:30:00Z', 'gap at offset 0'],
    ['Europe/London', '2026-10-25T12:00:00Z', '01:30', '2026-10-25T01:30:00Z', 'overlap at offset 0'],
    ['Asia/Tokyo', '2026-03-29T12:00:00Z', '00:30', '2026-03-28T15:30:00Z', 'the day is the zone’s day'],
    ['Australia/Sydney', '2026-04-05T12:00:00Z', '02:30', '2026-04-04T16:30:00Z', 'southern overlap'],
    ['Australia/Sydney', '2026-10-04T12:00:00Z', '02:30', '2026-10-03T16:30:00Z', 'southern gap'],
  ])('given %s at %s and start %s, should start at %s (%s)', (zone, now, startTime, expected) => {
    const window = scheduleWindow(repeating(startTime, ALL_DAYS, zone), at(now), DEFAULT_SCHEDULE_TIME_ZONE);
    expect(window && new Date(window.start).toISOString()).toBe(new Date(at(expected)).toISOString());
    expect(window && window.end - window.start).toBe(60 * MIN);
  });

  it('given a day the schedule does not run on (in its zone), should give no window', () => {
    // 2026-03-29T15:30Z is Sunday in Berlin but already Monday 00:30 in Tokyo.
    const now = at('2026-03-29T15:30:00Z');
    expect(scheduleWindow(repeating('00:00', ['Sun'], 'Asia/Tokyo'), now, 'Europe/Berlin')).toBeUndefined();
    expect(scheduleWindow(repeating('00:00', ['Mon'], 'Asia/Tokyo'), now, 'Europe/Berlin')).toEqual({
      start: at('2026-03-29T15:00:00Z'),
      end: at('2026-03-29T16:00:00Z'),
    });
  });
});

describe('scheduledValue: a Repeating schedule across time zones and DST (no ramp)', () => {
  const spec = (timezone?: string): ScalingScheduleSpec => ({
    scalingWindowDurationMinutes: 0,
    schedules: [repeating('08:00', ['Sat', 'Sun'], timezone)],
  });
  it.each([
    ['2026-03-28T06:59:59Z', 0, 'Sat 07:59:59 CET: before'],
    ['2026-03-28T07:00:00Z', 100_000, 'Sat 08:00 CET: start is inclusive'],
    ['2026-03-28T07:59:59Z', 100_000, 'Sat 08:59:59 CET'],
    ['2026-03-28T08:00:00Z', 0, 'Sat 09:00 CET: end is exclusive'],
    ['2026-03-29T05:59:59Z', 0, 'Sun 07:59:59 CEST'],
    ['2026-03-29T06:00:00Z', 100_000, 'Sun 08:00 CEST (an hour earlier in UTC than Saturday)'],
    ['2026-03-29T07:00:00Z', 0, 'Sun 09:00 CEST: the Saturday UTC hour no longer counts'],
    ['2026-03-30T06:30:00Z', 0, 'Monday is not a listed day'],
    ['2026-10-24T06:00:00Z', 100_000, 'Sat 08:00 CEST'],
    ['2026-10-25T06:00:00Z', 0, 'Sun 07:00 CET'],
    ['2026-10-25T07:00:00Z', 100_000, 'Sun 08:00 CET'],
  ])('given Europe/Berlin at %s, should be %d milli (%s)', (now, milli) => {
    expect(valueAt(spec('Europe/Berlin'), at(now)) * 1000).toBe(milli);
  });

  it('given no timezone or an unknown one, should use Europe/Berlin like upstream; the default is configurable', () => {
    const now = at('2026-03-29T06:30:00Z');
    expect(valueAt(spec(), now)).toBe(100);
    expect(valueAt(spec('Mars/Olympus_Mons'), now)).toBe(100);
    expect(valueAt(spec(), now, { defaultTimeZone: 'UTC' })).toBe(0);
    expect(valueAt(spec(), at('2026-03-29T08:30:00Z'), { defaultTimeZone: 'UTC' })).toBe(100);
  });

  it('given a start in the DST gap, should start at the instant Go picks (03:30 CEST)', () => {
    const gap: ScalingScheduleSpec = {
      scalingWindowDurationMinutes: 0,
      schedules: [repeating('02:30', ['Sun'])],
    };
    expect(valueAt(gap, at('2026-03-29T01:29:59Z'))).toBe(0);
    expect(valueAt(gap, at('2026-03-29T01:30:00Z'))).toBe(100);
  });

  it('given a start in the DST overlap, should use the second 02:30 (CET)', () => {
    const overlap: ScalingScheduleSpec = {
      scalingWindowDurationMinutes: 0,
      schedules: [repeating('02:30', ['Sun'])],
    };
    expect(valueAt(overlap, at('2026-10-25T00:30:00Z'))).toBe(0); // the first 02:30 (CEST)
    expect(valueAt(overlap, at('2026-10-25T01:30:00Z'))).toBe(100);
  });

  it('given an endTime later than start + duration, should run until endTime; an earlier one changes nothing', () => {
    const until = (endTime: string) => ({
      scalingWindowDurationMinutes: 0,
      schedules: [
        repeating('08:00', ['Sat'], 'Europe/Berlin', {
          durationMinutes: 30,
          period: { startTime: '08:00', endTime, days: ['Sat'], timezone: 'Europe/Berlin' },
        }),
      ],
    });
    // Saturday 2026-03-28, CET: 10:59 local = 09:59Z.
    expect(valueAt(until('11:00'), at('2026-03-28T09:59:00Z'))).toBe(100);
    expect(valueAt(until('11:00'), at('2026-03-28T10:00:00Z'))).toBe(0);
    expect(valueAt(until('08:10'), at('2026-03-28T07:20:00Z'))).toBe(100); // start + 30 min wins
    expect(valueAt(until('07:00'), at('2026-03-28T07:20:00Z'))).toBe(100); // before the start: ignored
  });

  it('given a window past midnight, should stop at midnight like upstream (only the current day counts)', () => {
    const lateShow: ScalingScheduleSpec = {
      scalingWindowDurationMinutes: 0,
      schedules: [repeating('23:30', ['Mon', 'Tue'], 'Europe/Berlin', { durationMinutes: 120 })],
    };
    expect(valueAt(lateShow, at('2026-03-30T21:45:00Z'))).toBe(100); // Mon 23:45 CEST
    expect(valueAt(lateShow, at('2026-03-30T22:30:00Z'))).toBe(0); // Tue 00:30 CEST: upstream forgets Monday's
  });
});

describe('scheduledValue: OneTime windows and ramps', () => {
  const D = '2026-06-01T10:00:00+02:00';
  const start = at(D);
  const oneTime = (extra: Partial<Schedule> = {}, window?: number): ScalingScheduleSpec => ({
    ...(window === undefined ? {} : { scalingWindowDurationMinutes: window }),
    schedules: [{ type: 'OneTime', date: D, durationMinutes: 30, value: 100, ...extra }],
  });

  it.each([
    [-11 * MIN, 0, 'before the scaling window'],
    [-10 * MIN, 0, 'the window opens at 0 %'],
    [-5 * MIN, 50, 'half way'],
    [-1 * SEC, 90, 'the last bucket is 90 % with 10 steps'],
    [0, 100, 'start is inclusive'],
    [30 * MIN - 1, 100, 'just before the end'],
    [30 * MIN, 100, 'the ramp-down starts at 100 %'],
    [30 * MIN + SEC, 90, 'and drops a bucket at once'],
    [35 * MIN, 50, 'half way down'],
    [40 * MIN - 1, 0, 'last instant of the window'],
    [40 * MIN, 0, 'after the window'],
  ])(
    'given a 30 min schedule of 100 and the default 10 min window, at %d ms from the start, should be %d (%s)',
    (offset, expected) => {
      expect(valueAt(oneTime(), start + offset)).toBe(expected);
    },
  );

  it('given the timestamps upstream tests with a 1 min window, should return its values', () => {
    expect(valueAt(oneTime({}, 1), start - 20 * SEC)).toBe(60);
    expect(valueAt(oneTime({}, 1), start + 30 * MIN + 20 * SEC)).toBe(60);
    expect(valueAt(oneTime({}, 1), start - SEC)).toBe(90);
    expect(valueAt(oneTime({}, 1), start - SEC, { rampSteps: 5 })).toBe(80);
  });

  it('given values that do not divide by the steps, should truncate like int64(floor(f*steps)*(v/steps))', () => {
    // Expected values computed with Go on the same inputs.
    const windowOpen = start - 10 * MIN;
    expect(valueAt(oneTime({ value: 15 }), windowOpen + 150 * SEC)).toBe(3);
    expect(valueAt(oneTime({ value: 15 }), windowOpen + 599 * SEC)).toBe(13);
    expect(valueAt(oneTime({ value: 7 }), windowOpen + 599 * SEC, { rampSteps: 3 })).toBe(4);
    expect(valueAt(oneTime({ value: 1000 }), windowOpen + 599 * SEC, { rampSteps: 3 })).toBe(666);
  });

  it('given a scaling window of 0 (per spec or by default), should not ramp', () => {
    expect(valueAt(oneTime({}, 0), start - SEC)).toBe(0);
    expect(valueAt(oneTime(), start - SEC, { defaultScalingWindowMinutes: 0 })).toBe(0);
    expect(valueAt(oneTime({}, 0), start + 30 * MIN)).toBe(0);
  });

  it('given an endDate, should end at the later of endDate and date + durationMinutes', () => {
    const laterEnd = oneTime({ endDate: '2026-06-01T11:00:00+02:00' }, 0);
    expect(valueAt(laterEnd, start + 59 * MIN)).toBe(100);
    expect(valueAt(laterEnd, start + 60 * MIN)).toBe(0);
    const earlierEnd = oneTime({ endDate: '2026-06-01T10:05:00+02:00' }, 0);
    expect(valueAt(earlierEnd, start + 29 * MIN)).toBe(100);
    const endOnly = oneTime({ durationMinutes: undefined, endDate: '2026-06-01T10:45:00Z' }, 0);
    expect(valueAt(endOnly, at('2026-06-01T10:44:00Z'))).toBe(100);
  });

  it('given neither a duration nor an endDate, should be a zero-length schedule that only ramps', () => {
    const instant = oneTime({ durationMinutes: undefined }, 1);
    expect(valueAt(instant, start - MIN)).toBe(0);
    expect(valueAt(instant, start - 30 * SEC)).toBe(50);
    expect(valueAt(instant, start)).toBe(100); // the ramp-down begins at full value
  });

  it('given several schedules, should return the largest value; negative values never win over 0', () => {
    const spec: ScalingScheduleSpec = {
      scalingWindowDurationMinutes: 0,
      schedules: [
        { type: 'OneTime', date: D, durationMinutes: 30, value: 100 },
        { type: 'OneTime', date: D, durationMinutes: 30, value: 120 },
        { type: 'OneTime', date: D, durationMinutes: 60, value: 110 },
        { type: 'OneTime', date: '2026-06-02T10:00:00+02:00', durationMinutes: 30, value: 999 },
      ],
    };
    expect(valueAt(spec, start + MIN)).toBe(120);
    expect(valueAt(spec, start + 45 * MIN)).toBe(110);
    expect(
      valueAt(
        {
          scalingWindowDurationMinutes: 0,
          schedules: [{ type: 'OneTime', date: D, durationMinutes: 30, value: -5 }],
        },
        start,
      ),
    ).toBe(0);
  });
});

describe('parseScalingScheduleSpec', () => {
  it('given a bare list, should take it as the schedules', () => {
    expect(parseScalingScheduleSpec([{ type: 'OneTime', date: '2026-06-01T10:00:00Z', value: 1 }])).toEqual({
      schedules: [{ type: 'OneTime', date: '2026-06-01T10:00:00Z', value: 1 }],
    });
  });

  it.each([
    [{}, 'spec.schedules: is required'],
    [
      { schedules: [{ type: 'Weekly', value: 1 }] },
      'spec.schedules[0].type: "Weekly" is not OneTime or Repeating',
    ],
    [
      { schedules: [{ type: 'OneTime', date: '2026-06-01T10:00:00Z' }] },
      'spec.schedules[0].value: is required',
    ],
    [
      { schedules: [{ type: 'OneTime', date: '2026-06-01T10:00:00Z', value: 1.5 }] },
      'spec.schedules[0].value: 1.5 is not an integer',
    ],
    [
      { schedules: [{ type: 'OneTime', value: 1 }] },
      'spec.schedules[0].date: is required for a OneTime schedule',
    ],
    [{ schedules: [{ type: 'OneTime', date: '2026-06-01 10:00', value: 1 }] }, 'is not an RFC 3339 date'],
    [{ schedules: [{ type: 'OneTime', date: '2026-02-30T10:00:00Z', value: 1 }] }, 'is not an RFC 3339 date'],
    [
      { schedules: [{ type: 'Repeating', value: 1 }] },
      'spec.schedules[0].period: is required for a Repeating schedule',
    ],
    [
      { schedules: [{ type: 'Repeating', value: 1, period: { startTime: '8h', days: ['Mon'] } }] },
      'period.startTime: "8h" is not HH:MM',
    ],
    [
      { schedules: [{ type: 'Repeating', value: 1, period: { startTime: '24:00', days: ['Mon'] } }] },
      'is not HH:MM',
    ],
    [
      { schedules: [{ type: 'Repeating', value: 1, period: { startTime: '08:00', days: ['Monday'] } }] },
      'period.days[0]: "Monday" is not one of Sun',
    ],
    [
      { schedules: [{ type: 'Repeating', value: 1, period: { startTime: '08:00' } }] },
      'period.days: is required',
    ],
    [{ scalingWindowDurationMinutes: -1, schedules: [] }, 'scaling window duration cannot be negative'],
  ])('given %j, should throw an Invalid MetricError saying %s', (input, message) => {
    expect(() => parseScalingScheduleSpec(input)).toThrow(message);
    try {
      parseScalingScheduleSpec(input);
    } catch (error) {
      expect((error as { reason?: string }).reason).toBe('Invalid');
    }
  });

  it('given RFC 3339 forms Go accepts, should parse them to the right instant', () => {
    expect(parseRfc3339('2021-10-02T08:08:08+02:00')).toBe(Date.UTC(2021, 9, 2, 6, 8, 8));
    expect(parseRfc3339('2021-10-02T08:08:08.250Z')).toBe(Date.UTC(2021, 9, 2, 8, 8, 8, 250));
    expect(parseRfc3339('2021-10-02T08:08:08-05:30')).toBe(Date.UTC(2021, 9, 2, 13, 38, 8));
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2021-10-02t08:08:08z')).toBeUndefined();
    expect(parseRfc3339('2021-10-02T08:08:08')).toBeUndefined();
  });
});

describe('ScheduledScalingCollector', () => {
  const request = (overrides: Partial<CollectorRequest>): CollectorRequest => ({
    type: 'Object',
    namespace: 'shop',
    metricName: 'scheduling-event',
    config: {},
    now: at('2021-10-04T13:50:00Z'),
    ...overrides,
  });
  const signal = new AbortController().signal;

  // upstream README's ClusterScalingSchedule example, as tideplane's CRD-less annotation (YAML).
  const README_SPEC = `
schedules:
- type: OneTime
  date: "2021-10-02T08:08:08+02:00"
  durationMinutes: 30
  value: 100
- type: Repeating
  durationMinutes: 10
  value: 120
  period:
    startTime: "15:45"
    timezone: "Europe/Berlin"
    days:
    - Mon
    - Wed
    - Fri
`;

  it('given the spec as YAML in the annotation, should return the value in milli-units at request.now without reading the clock', async () => {
    vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('the collector read the clock');
    });
    const collector = new ScheduledScalingCollector();
    // Monday 2021-10-04 15:50 CEST: the repeating schedule (15:45 for 10 min) is active.
    const result = await collector.collect(request({ config: { spec: README_SPEC } }), signal);
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 120_000, timestamp: at('2021-10-04T13:50:00Z') }] },
    });
    const oneTime = await collector.collect(
      request({ config: { spec: README_SPEC }, now: at('2021-10-02T06:20:00Z') }),
      signal,
    );
    expect(oneTime.ok && oneTime.value).toEqual({
      kind: 'scalar',
      values: [{ milliValue: 100_000, timestamp: at('2021-10-02T06:20:00Z') }],
    });
    // Tuesday: nothing, not even a ramp.
    const tuesday = await collector.collect(
      request({ config: { spec: README_SPEC }, now: at('2021-10-05T13:50:00Z') }),
      signal,
    );
    expect(tuesday.ok && tuesday.value).toEqual({
      kind: 'scalar',
      values: [{ milliValue: 0, timestamp: at('2021-10-05T13:50:00Z') }],
    });
  });

  it('given the spec as JSON for an External metric, should serve it too', async () => {
    const spec = JSON.stringify([
      { type: 'OneTime', date: '2021-10-04T13:00:00Z', durationMinutes: 60, value: 7 },
    ]);
    const result = await new ScheduledScalingCollector().collect(
      request({ type: 'External', config: { spec } }),
      signal,
    );
    expect(result.ok && result.value).toEqual({
      kind: 'scalar',
      values: [{ milliValue: 7000, timestamp: at('2021-10-04T13:50:00Z') }],
    });
  });

  it('given a referenced ClusterScalingSchedule or ScalingSchedule, should read its spec through the lookup', async () => {
    const lookup = vi.fn((ref: { kind: string; name: string; namespace?: string }) =>
      ref.name === 'scheduling-event'
        ? {
            scalingWindowDurationMinutes: 0,
            schedules: [{ type: 'OneTime', date: '2021-10-04T13:45:00Z', durationMinutes: 10, value: 40 }],
          }
        : undefined,
    );
    const collector = new ScheduledScalingCollector({ lookup });
    const cluster = await collector.collect(
      request({
        describedObject: {
          apiVersion: 'zalando.org/v1',
          kind: 'ClusterScalingSchedule',
          name: 'scheduling-event',
        },
      }),
      signal,
    );
    expect(cluster.ok && cluster.value.kind === 'scalar' && cluster.value.values[0]?.milliValue).toBe(40_000);
    expect(lookup).toHaveBeenLastCalledWith({ kind: 'ClusterScalingSchedule', name: 'scheduling-event' });

    await collector.collect(
      request({
        describedObject: { apiVersion: 'zalando.org/v1', kind: 'ScalingSchedule', name: 'scheduling-event' },
      }),
      signal,
    );
    expect(lookup).toHaveBeenLastCalledWith({
      kind: 'ScalingSchedule',
      name: 'scheduling-event',
      namespace: 'shop',
    });

    const missing = await collector.collect(
      request({ describedObject: { apiVersion: 'zalando.org/v1', kind: 'ScalingSchedule', name: 'gone' } }),
      signal,
    );
    expect(missing).toMatchObject({
      ok: false,
      error: { reason: 'NotFound', message: 'referenced ScalingSchedule shop/gone not found' },
    });
  });

  it.each([
    [{ type: 'Pods' as const, config: { spec: '[]' } }, 'Invalid', 'not Pods'],
    [{ config: {} }, 'Invalid', 'no schedule'],
    [{ config: { spec: 'schedules: [' } }, 'Invalid', 'scheduled-scaling/spec: not YAML or JSON'],
    [
      {
        config: {
          spec: 'schedules:\n- type: Repeating\n  value: 1\n  period: {startTime: "8:00", days: [Lun]}',
        },
      },
      'Invalid',
      'scheduled-scaling/spec.schedules[0].period.days[0]: "Lun"',
    ],
    [
      { describedObject: { kind: 'ClusterScalingSchedule', name: 'x' } },
      'NotServed',
      'does not read ClusterScalingSchedule objects',
    ],
  ])('given %j, should fail with %s (%s)', async (overrides, reason, message) => {
    const result = await new ScheduledScalingCollector().collect(request(overrides), signal);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe(reason);
      expect(result.error.message).toContain(message);
    }
  });

  it('given a failing lookup, should report it as Unavailable', async () => {
    const collector = new ScheduledScalingCollector({
      lookup: () => Promise.reject(new Error('list clusterscalingschedules: 500')),
    });
    const result = await collector.collect(
      request({ describedObject: { kind: 'ClusterScalingSchedule', name: 'x' } }),
      signal,
    );
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'Unavailable', message: 'scheduled-scaling: list clusterscalingschedules: 500' },
    });
  });

  it('given requests for different specs, objects or ticks, should give different cache keys; the same ones the same', () => {
    const collector = new ScheduledScalingCollector();
    const a = request({ config: { spec: README_SPEC } });
    expect(collector.cacheKey(a)).toBe(collector.cacheKey({ ...a, metricName: 'other-name' }));
    expect(collector.cacheKey(a)).not.toBe(collector.cacheKey({ ...a, config: { spec: '[]' } }));
    expect(collector.cacheKey(a)).not.toBe(collector.cacheKey({ ...a, now: a.now + 1 }));
    const ref = request({ describedObject: { kind: 'ScalingSchedule', name: 'x' } });
    expect(collector.cacheKey(ref)).not.toBe(collector.cacheKey({ ...ref, namespace: 'other' }));
  });

  it('given bad options, should refuse to be built', () => {
    expect(() => new ScheduledScalingCollector({ rampSteps: 0 })).toThrow(RangeError);
    expect(() => new ScheduledScalingCollector({ defaultTimeZone: 'Nowhere/Land' })).toThrow(
      'unknown time zone',
    );
    expect(() => new ScheduledScalingCollector({ defaultScalingWindowMinutes: -1 })).toThrow(RangeError);
  });
});

describe('createMetricSources: ScalingSchedule objects through the cluster’s Kubernetes reader', () => {
  const NOW = at('2021-10-04T13:50:00Z');
  const SPEC = {
    scalingWindowDurationMinutes: 0,
    schedules: [{ type: 'OneTime', date: '2021-10-04T13:00:00Z', durationMinutes: 60, value: 25 }],
  };
  const deps = (kubernetes?: Parameters<typeof createMetricSources>[1]['kubernetes']) => ({
    fallback: {} as MetricSource,
    secretsManager: {} as SecretsManagerClient,
    clock: systemClock,
    ...(kubernetes ? { kubernetes } : {}),
  });
  const getIngressRouting = async () => undefined;
  const query = (kind: string, namespace = 'shop') => ({
    namespace,
    describedObject: { apiVersion: 'zalando.org/v1', kind, name: 'peak' },
    metricName: 'peak',
  });

  it('given a reader with getScalingSchedule, should look up the described schedule (namespace for ScalingSchedule only)', async () => {
    const getScalingSchedule = vi.fn(async () => SPEC);
    const router = await createMetricSources({}, deps({ getIngressRouting, getScalingSchedule }));
    router.beginTick({ now: NOW, pods: [] });
    await expect(router.getObjectMetric(query('ScalingSchedule'))).resolves.toEqual({
      ok: true,
      value: { milliValue: 25_000, timestamp: NOW },
    });
    await expect(router.getObjectMetric(query('ClusterScalingSchedule'))).resolves.toMatchObject({
      ok: true,
      value: { milliValue: 25_000 },
    });
    expect(getScalingSchedule.mock.calls).toEqual([
      [{ kind: 'ScalingSchedule', name: 'peak', namespace: 'shop' }],
      [{ kind: 'ClusterScalingSchedule', name: 'peak' }],
    ]);
  });

  it('given a reader that answers undefined or ForbiddenError, should be NotFound or Forbidden', async () => {
    const getScalingSchedule = vi.fn(async (ref: { namespace?: string }) => {
      if (ref.namespace === 'locked') throw new ForbiddenError('get scalingschedules.zalando.org: HTTP 403');
      return undefined;
    });
    const router = await createMetricSources({}, deps({ getIngressRouting, getScalingSchedule }));
    router.beginTick({ now: NOW, pods: [] });
    const missing = await router.getObjectMetric(query('ScalingSchedule'));
    expect(missing.ok ? undefined : missing.error.reason).toBe('NotFound');
    const forbidden = await router.getObjectMetric(query('ScalingSchedule', 'locked'));
    expect(forbidden.ok ? undefined : forbidden.error.reason).toBe('Forbidden');
  });

  it('given no reader, or one without getScalingSchedule, should answer NotServed', async () => {
    for (const router of [
      await createMetricSources({}, deps()),
      await createMetricSources({}, deps({ getIngressRouting })),
    ]) {
      router.beginTick({ now: NOW, pods: [] });
      const result = await router.getObjectMetric(query('ClusterScalingSchedule'));
      expect(result.ok ? undefined : result.error.reason).toBe('NotServed');
    }
  });
});
