import { describe, expect, it } from 'vitest';
import { SimAlarms } from '../../../../shared/sim/control-plane/alarms';
import { MINUTE_MS, MinuteMetric, minuteOf } from '../../../../shared/sim/control-plane/minute-metric';
import { VirtualClock } from '../../../../shared/sim/virtual-clock';

const START = Date.UTC(2025, 5, 2, 8, 0, 0);

/** A metric whose value the test sets, and the clock, stepped together in 15 s ticks. */
function setup(initial: number, prefillMinutes = 0) {
  const clock = new VirtualClock(START);
  const metric = new MinuteMetric(START);
  if (prefillMinutes > 0) metric.prefill(START, prefillMinutes, initial);
  metric.advance(START, initial);
  const alarms = new SimAlarms(clock);
  let value = initial;
  const set = (next: number) => {
    value = next;
    metric.advance(clock.now(), value);
  };
  const run = (ms: number) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advanceTo(Math.min(end, clock.now() + 15_000));
      metric.advance(clock.now(), value);
    }
  };
  return { clock, metric, alarms, set, run };
}

describe('MinuteMetric', () => {
  it('should average each minute over the time each value held, readable a minute after it ended', () => {
    const metric = new MinuteMetric(START);
    metric.advance(START, 80);
    metric.advance(START + 15_000, 40);
    metric.advance(START + 60_000, 40);
    const minute = minuteOf(START);
    expect(metric.datapoint(minute, START + 2 * MINUTE_MS - 1)).toBeUndefined();
    expect(metric.datapoint(minute, START + 2 * MINUTE_MS)).toBe(50);
    metric.advance(START + 90_000, undefined);
    metric.advance(START + 4 * MINUTE_MS, undefined);
    expect(metric.datapoint(minute + 1, START + 3 * MINUTE_MS)).toBe(40);
    expect(metric.datapoint(minute + 2, START + 4 * MINUTE_MS)).toBeUndefined();
  });
});

describe('SimAlarms', () => {
  it('should go into ALARM only after highMinutes datapoints above the threshold, as CloudWatch evaluates', async () => {
    const { alarms, metric, set, run } = setup(50, 10);
    alarms.addAlarm({
      name: 'high',
      metric,
      comparison: 'GreaterThanThreshold',
      threshold: 70,
      evaluationPeriods: 5,
    });
    expect((await alarms.describeAlarms(['high']))[0]?.state).toBe('OK');
    set(80);
    // Five whole minutes above, plus the minute the last one takes to be readable, and the boundary.
    run(5 * MINUTE_MS);
    expect(alarms.stateOf('high')).toBe('OK');
    run(MINUTE_MS);
    expect(alarms.stateOf('high')).toBe('ALARM');
    const [status] = await alarms.describeAlarms(['high', 'unknown']);
    expect(status).toMatchObject({
      name: 'high',
      state: 'ALARM',
      threshold: 70,
      recentDatapoints: [80, 80, 80, 80, 80],
    });
  });

  it('should not fire when one minute in the window dips below the threshold, and start counting again', () => {
    const { alarms, metric, set, run } = setup(80, 0);
    alarms.addAlarm({
      name: 'high',
      metric,
      comparison: 'GreaterThanThreshold',
      threshold: 70,
      evaluationPeriods: 5,
    });
    run(3 * MINUTE_MS);
    set(60);
    run(MINUTE_MS);
    set(80);
    run(5 * MINUTE_MS);
    expect(alarms.stateOf('high')).not.toBe('ALARM');
    run(MINUTE_MS);
    expect(alarms.stateOf('high')).toBe('ALARM');
  });

  it('should keep the datapoints of the last state change, not of the latest evaluation', async () => {
    const { alarms, metric, set, run } = setup(80, 10);
    alarms.addAlarm({
      name: 'high',
      metric,
      comparison: 'GreaterThanThreshold',
      threshold: 70,
      evaluationPeriods: 2,
    });
    expect(alarms.stateOf('high')).toBe('ALARM');
    set(95);
    run(10 * MINUTE_MS);
    const [status] = await alarms.describeAlarms(['high']);
    expect(status?.recentDatapoints).toEqual([80, 80]);
    expect(status?.stateUpdatedAt).toBe(START);
  });

  it('should fire a low alarm only after the whole long window below, and record each change once', () => {
    const { alarms, metric, set, run } = setup(40, 70);
    alarms.addAlarm({
      name: 'low',
      metric,
      comparison: 'LessThanThreshold',
      threshold: 25,
      evaluationPeriods: 60,
    });
    set(20);
    run(60 * MINUTE_MS);
    expect(alarms.stateOf('low')).toBe('OK');
    run(MINUTE_MS);
    expect(alarms.stateOf('low')).toBe('ALARM');
    set(30);
    run(2 * MINUTE_MS);
    expect(alarms.stateOf('low')).toBe('OK');
    expect(alarms.transitions().map((t) => `${t.from}→${t.to}`)).toEqual([
      'INSUFFICIENT_DATA→OK',
      'OK→ALARM',
      'ALARM→OK',
    ]);
  });

  it('should be INSUFFICIENT_DATA without datapoints', async () => {
    const { alarms, clock } = setup(0);
    const empty = new MinuteMetric(START);
    alarms.addAlarm({
      name: 'idle',
      metric: empty,
      comparison: 'LessThanThreshold',
      threshold: 25,
      evaluationPeriods: 5,
    });
    clock.advance(10 * MINUTE_MS);
    expect((await alarms.describeAlarms(['idle']))[0]?.state).toBe('INSUFFICIENT_DATA');
    expect(alarms.stats().calls.describeAlarms).toBe(1);
  });
});
