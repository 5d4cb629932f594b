import { describe, expect, it } from 'vitest';
import { createTrace, europeanDayShape, localHourOfDay } from '../../../shared/sim/traces';

const MIDNIGHT_CEST = Date.UTC(2025, 5, 2, 22, 0, 0);
const HOUR = 3_600_000;
const context = { start: MIDNIGHT_CEST, utcOffsetMinutes: 120, seed: 42, name: 'shop/web' };

function hourly(trace: (t: number) => number): number[] {
  return Array.from({ length: 24 }, (_, h) => trace(MIDNIGHT_CEST + h * HOUR));
}

describe('european-day trace', () => {
  it('should be low at night, ramp up in the morning, plateau at lunch and peak in the evening', () => {
    const trace = createTrace({ kind: 'european-day', peakRps: 1000, noise: 0 }, context);
    const load = hourly(trace);
    const peak = Math.max(...load);
    const peakHour = load.indexOf(peak);
    expect(peak).toBeCloseTo(1000, 0);
    expect(peakHour).toBeGreaterThanOrEqual(19);
    expect(peakHour).toBeLessThanOrEqual(21);
    const night = Math.min(...load.slice(2, 6));
    expect(night / peak).toBeGreaterThanOrEqual(0.1);
    expect(night / peak).toBeLessThanOrEqual(0.2);
    // Morning ramp 06:00–09:00.
    expect(load[6] ?? 0).toBeLessThan(load[7] ?? 0);
    expect(load[7] ?? 0).toBeLessThan(load[8] ?? 0);
    expect(load[8] ?? 0).toBeLessThan(load[9] ?? 0);
    expect((load[9] ?? 0) / peak).toBeGreaterThan(0.5);
    // Lunch plateau: 12:00 and 13:00 within 5 % of each other, above the afternoon.
    expect(Math.abs((load[12] ?? 0) - (load[13] ?? 0)) / peak).toBeLessThan(0.05);
    expect(load[12] ?? 0).toBeGreaterThan(load[16] ?? 0);
    // Decline after the peak.
    expect(load[23] ?? 0).toBeLessThan((load[21] ?? 0) * 0.75);
  });

  it('should never overshoot its knots and wrap smoothly at midnight', () => {
    for (let h = 0; h < 24; h += 0.05) {
      const value = europeanDayShape(h);
      expect(value).toBeGreaterThanOrEqual(0.15 - 1e-9);
      expect(value).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(europeanDayShape(23.999)).toBeCloseTo(europeanDayShape(0), 2);
  });

  it('given a night fraction and a phase, should scale the trough and shift the peak', () => {
    const trace = createTrace(
      { kind: 'european-day', peakRps: 100, noise: 0, nightFraction: 0.3, phaseHours: -6 },
      context,
    );
    const load = hourly(trace);
    expect(Math.min(...load)).toBeCloseTo(30, 0);
    expect(load.indexOf(Math.max(...load))).toBe(14);
  });

  it('given noise, should stay deterministic per seed and name and vary between services', () => {
    const spec = { kind: 'european-day', peakRps: 1000, noise: 0.05 } as const;
    const a = hourly(createTrace(spec, context));
    expect(hourly(createTrace(spec, context))).toEqual(a);
    expect(hourly(createTrace(spec, { ...context, name: 'shop/api' }))).not.toEqual(a);
    const clean = hourly(createTrace({ ...spec, noise: 0 }, context));
    for (const [i, value] of a.entries())
      expect(Math.abs(value / (clean[i] ?? 1) - 1)).toBeLessThanOrEqual(0.05);
  });

  it('given a burst, should multiply the load during it only', () => {
    const plain = createTrace({ kind: 'european-day', peakRps: 100, noise: 0 }, context);
    const burst = createTrace(
      {
        kind: 'european-day',
        peakRps: 100,
        noise: 0,
        bursts: [{ atHour: 20, durationMinutes: 30, factor: 2 }],
      },
      context,
    );
    const at = (hour: number) => MIDNIGHT_CEST + hour * HOUR;
    expect(burst(at(20.25)) / plain(at(20.25))).toBeCloseTo(2, 5);
    expect(burst(at(19.9))).toBe(plain(at(19.9)));
    expect(burst(at(20.6))).toBe(plain(at(20.6)));
  });
});

describe('other traces', () => {
  it('should serve constant and step loads', () => {
    expect(createTrace({ kind: 'constant', rps: 12 }, context)(0)).toBe(12);
    const steps = createTrace(
      {
        kind: 'steps',
        steps: [
          { atMinute: 10, rps: 50 },
          { atMinute: 0, rps: 5 },
        ],
      },
      context,
    );
    expect(steps(MIDNIGHT_CEST - 60_000)).toBe(5);
    expect(steps(MIDNIGHT_CEST + 9 * 60_000)).toBe(5);
    expect(steps(MIDNIGHT_CEST + 10 * 60_000)).toBe(50);
  });

  it('should compute local hours with the offset', () => {
    expect(localHourOfDay(MIDNIGHT_CEST, 120)).toBe(0);
    expect(localHourOfDay(MIDNIGHT_CEST + 90 * 60_000, 120)).toBe(1.5);
  });
});
