/**
 * Load traces: requests per second as a function of virtual time. Scenarios describe a trace as data
 * (`TraceSpec`), so they stay plain objects that a schema can check; `createTrace` turns the data into a
 * function. Every trace is deterministic: noise is a hash of the seed and the time, never a random draw.
 */
import { hashString, signedHash } from './random';

/** Requests per second at an epoch-ms instant; never negative. */
export type LoadTrace = (t: number) => number;

/** A short surge on top of a day shape (a campaign, a push notification, a TV advert). */
export interface TraceBurst {
  /** Local hour of day the surge starts (e.g. 20.5 for 20:30). */
  atHour: number;
  durationMinutes: number;
  /** Multiplier at the height of the surge (1.8 = +80%). */
  factor: number;
}

export type TraceSpec =
  | { kind: 'constant'; rps: number }
  /** Piecewise constant, minutes after the scenario start; before the first step, the first step's rps. */
  | { kind: 'steps'; steps: { atMinute: number; rps: number }[] }
  | {
      kind: 'european-day';
      /** Requests per second at the evening peak (before noise and bursts). */
      peakRps: number;
      /** The night trough as a share of the peak. @default 0.15 */
      nightFraction?: number;
      /** Shifts the whole day later by this many hours (negative: earlier). @default 0 */
      phaseHours?: number;
      /** Relative amplitude of the smooth per-service noise. @default 0.05 */
      noise?: number;
      /** Mixed into the scenario seed so services differ. @default hash of the service name */
      seed?: number;
      bursts?: TraceBurst[];
    };

export interface TraceContext {
  /** Scenario start, epoch ms (for `steps`). */
  start: number;
  /** The offset of local time from UTC, for day shapes (CEST: 120). */
  utcOffsetMinutes: number;
  /** The scenario's seed. */
  seed: number;
  /** A name to derive a default per-trace seed from (the service key). */
  name?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Spacing of the slow noise's knots. */
const SLOW_NOISE_KNOT_MS = 10 * 60_000;
/** Spacing of the fast noise's knots. */
const FAST_NOISE_KNOT_MS = 60_000;
/** Ramp of a burst's start and end. */
const BURST_RAMP_MINUTES = 5;

/**
 * Hourly share of the evening peak for a European consumer service (local time): a trough around 04:00,
 * the morning ramp 06:00–09:00, a lunch plateau, a dip in the afternoon, the evening peak 19:00–21:00 and
 * the decline towards midnight.
 */
const EUROPEAN_DAY_KNOTS = [
  0.42, 0.3, 0.22, 0.17, 0.15, 0.17, 0.25, 0.42, 0.58, 0.66, 0.7, 0.74, 0.8, 0.8, 0.76, 0.71, 0.7, 0.74, 0.84,
  0.96, 1, 0.97, 0.8, 0.6,
];
/** The `european-day` trough as a share of the peak when a trace does not say. */
export const DEFAULT_NIGHT_FRACTION = 0.15;
const EUROPEAN_DAY_TROUGH = Math.min(...EUROPEAN_DAY_KNOTS);

/** Monotone (Fritsch–Butland) slopes of the periodic knots, so the curve never overshoots its knots. */
const EUROPEAN_DAY_SLOPES = EUROPEAN_DAY_KNOTS.map((value, i, knots) => {
  const n = knots.length;
  const before = value - (knots[(i - 1 + n) % n] as number);
  const after = (knots[(i + 1) % n] as number) - value;
  return before * after <= 0 ? 0 : 2 / (1 / before + 1 / after);
});

/** The European-day shape at a local hour (any real number; wraps at 24), between the trough and 1. */
export function europeanDayShape(localHour: number): number {
  const n = EUROPEAN_DAY_KNOTS.length;
  const h = ((localHour % n) + n) % n;
  const i = Math.floor(h);
  const s = h - i;
  const y0 = EUROPEAN_DAY_KNOTS[i] as number;
  const y1 = EUROPEAN_DAY_KNOTS[(i + 1) % n] as number;
  const m0 = EUROPEAN_DAY_SLOPES[i] as number;
  const m1 = EUROPEAN_DAY_SLOPES[(i + 1) % n] as number;
  const s2 = s * s;
  const s3 = s2 * s;
  return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1;
}

/** Smooth noise in [-1, 1]: values at knots `knotMs` apart, eased between. */
function valueNoise(seed: number, t: number, knotMs: number): number {
  const position = t / knotMs;
  const k = Math.floor(position);
  const f = position - k;
  const ease = f * f * (3 - 2 * f);
  const a = signedHash(seed, k);
  const b = signedHash(seed, k + 1);
  return a + (b - a) * ease;
}

/** The multiplier of a burst at a local hour (1 outside it), raised-cosine ramps at both ends. */
function burstFactor(burst: TraceBurst, localHour: number): number {
  const minutes = ((((localHour - burst.atHour) % 24) + 24) % 24) * 60;
  if (minutes >= burst.durationMinutes) return 1;
  const ramp = Math.min(BURST_RAMP_MINUTES, burst.durationMinutes / 2);
  const edge = Math.min(minutes, burst.durationMinutes - minutes);
  const weight = edge >= ramp ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp);
  return 1 + (burst.factor - 1) * weight;
}

/** Local hour of day (0 ≤ h < 24) of an epoch-ms instant. */
export function localHourOfDay(t: number, utcOffsetMinutes: number): number {
  const local = (((t + utcOffsetMinutes * 60_000) % DAY_MS) + DAY_MS) % DAY_MS;
  return local / HOUR_MS;
}

/**
 * Turns a trace description into a function of time.
 *
 * @example
 * const trace = createTrace({ kind: 'european-day', peakRps: 400 }, { start, utcOffsetMinutes: 120, seed: 7 });
 * trace(start + 20 * 3_600_000); // ≈ 400 at 20:00 local
 */
export function createTrace(spec: TraceSpec, context: TraceContext): LoadTrace {
  switch (spec.kind) {
    case 'constant': {
      const rps = Math.max(0, spec.rps);
      return () => rps;
    }
    case 'steps': {
      const steps = [...spec.steps].sort((a, b) => a.atMinute - b.atMinute);
      if (steps.length === 0) return () => 0;
      return (t) => {
        const minute = (t - context.start) / 60_000;
        let rps = (steps[0] as { rps: number }).rps;
        for (const step of steps) {
          if (step.atMinute > minute) break;
          rps = step.rps;
        }
        return Math.max(0, rps);
      };
    }
    case 'european-day': {
      const night = spec.nightFraction ?? DEFAULT_NIGHT_FRACTION;
      const phase = spec.phaseHours ?? 0;
      const noise = spec.noise ?? 0.05;
      const seed = (context.seed ^ (spec.seed ?? hashString(context.name ?? ''))) >>> 0;
      const bursts = spec.bursts ?? [];
      return (t) => {
        const hour = localHourOfDay(t, context.utcOffsetMinutes);
        const shape = europeanDayShape(hour - phase);
        const share = night + ((shape - EUROPEAN_DAY_TROUGH) / (1 - EUROPEAN_DAY_TROUGH)) * (1 - night);
        const wobble =
          noise *
          (0.7 * valueNoise(seed, t, SLOW_NOISE_KNOT_MS) +
            0.3 * valueNoise(seed ^ 0x5bd1e995, t, FAST_NOISE_KNOT_MS));
        let factor = 1 + wobble;
        for (const burst of bursts) factor *= burstFactor(burst, hour);
        return Math.max(0, spec.peakRps * share * factor);
      };
    }
  }
}
