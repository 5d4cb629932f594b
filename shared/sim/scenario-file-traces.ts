/**
 * Traces in scenario files: the `TraceSpec` kinds of traces.ts as they are (`constant`, `steps`,
 * `european-day`), and three that files add:
 * - `points`: `[[time, value], ...]` joined by straight lines (`linear`) or held until the next (`step`);
 * - `formula`: an expression over the time (scenario-file-formula.ts);
 * - `csv`: a file of timestamps and values (scenario-file-csv.ts), placed on the scenario's timeline.
 * The simulator takes `TraceSpec`s, so these compile to a `steps` trace: step points as they are, the
 * others sampled every `resolution` (a minute by default, four ticks of the HPA loop) over the scenario.
 * Before the first point a trace has the first value, after the last the last one.
 */
import { z } from 'zod';
import { parseTraceCsv } from './scenario-file-csv';
import { FormulaError, parseFormula } from './scenario-file-formula';
import { DURATION_HINT, DURATION_PATTERN, parseDuration, scenarioTimeOffsetMs } from './scenario-file-time';
import { localHourOfDay, type TraceSpec } from './traces';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The sampling of linear, formula and CSV traces unless a trace sets its own. */
export const DEFAULT_TRACE_RESOLUTION_MS = MINUTE_MS;
/** Finer sampling than this adds nothing: no loop reads a metric more often than every few seconds. */
const MIN_TRACE_RESOLUTION_MS = 1000;
/** A trace of more steps than this is refused; the message suggests a coarser resolution. */
export const MAX_TRACE_STEPS = 20_000;

export const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, DURATION_HINT)
  .transform((text) => parseDuration(text) as number);

const resolutionSchema = durationSchema
  .refine((ms) => ms >= MIN_TRACE_RESOLUTION_MS, `at least ${MIN_TRACE_RESOLUTION_MS / 1000} s`)
  .optional()
  .describe('How often the trace is sampled into steps (default 1m).');

const interpolationSchema = z
  .enum(['linear', 'step'])
  .default('linear')
  .describe('linear: straight lines between points; step: each value holds until the next point.');

const value = z.number().min(0);

const burstSchema = z
  .object({
    atHour: z.number().min(0).lt(24).describe('Local hour of day the surge starts (20.5 is 20:30).'),
    durationMinutes: z.number().gt(0),
    factor: z.number().min(0).describe('Multiplier at the height of the surge (1.8 = +80 %).'),
  })
  .strict();

/** A point's time: minutes after the start, an offset like `2h30m`, or an RFC 3339 instant. */
const pointTime = z.union([z.number(), z.string().min(1)]);

export const traceSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('constant'), rps: value }).strict(),
    z
      .object({
        kind: z.literal('steps'),
        steps: z
          .array(z.object({ atMinute: z.number(), rps: value }).strict())
          .min(1)
          .describe('Each rps holds from atMinute (after the start) until the next step.'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('european-day'),
        peakRps: value.describe('At the evening peak, before noise and bursts.'),
        nightFraction: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('The night trough as a share of the peak.'),
        phaseHours: z.number().optional().describe('Shifts the day later (negative: earlier).'),
        noise: z.number().min(0).max(1).optional().describe('Relative amplitude of smooth noise.'),
        seed: z.number().int().optional(),
        bursts: z.array(burstSchema).optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('points'),
        points: z
          .array(z.tuple([pointTime, value]))
          .min(1)
          .describe('[time, value] pairs in time order; time: minutes after the start, 2h30m, or RFC 3339.'),
        interpolation: interpolationSchema,
        resolution: resolutionSchema,
      })
      .strict(),
    z
      .object({
        kind: z.literal('formula'),
        expression: z
          .string()
          .min(1)
          .describe(
            'Arithmetic (+ - * / parentheses) over t (hours since the start), hour (local hour of day) and ' +
              'day (whole days since the start), with pi, e and min, max, sin, cos, exp, abs, sqrt, floor, pow. ' +
              'Negative values count as 0.',
          ),
        resolution: resolutionSchema,
      })
      .strict(),
    z
      .object({
        kind: z.literal('csv'),
        file: z.string().min(1).describe('Path relative to the scenario file.'),
        interpolation: interpolationSchema,
        align: z
          .enum(['start', 'absolute', 'time-of-day'])
          .default('start')
          .describe(
            'start: the first sample is at the scenario start; absolute: timestamps as they are; ' +
              'time-of-day: shifted by whole days so the samples keep their local time of day.',
          ),
        scale: z.number().gt(0).default(1).describe('Multiplies every value (e.g. messages to messages/s).'),
        columns: z
          .object({ timestamp: z.string().min(1).optional(), value: z.string().min(1).optional() })
          .strict()
          .optional()
          .describe('Header names of the columns to read, for files of more than two columns.'),
        resolution: resolutionSchema,
      })
      .strict(),
  ])
  .meta({
    id: 'Trace',
    description:
      'A trace: constant, steps, european-day, points, formula or csv (see README "Scenario files").',
  });

export type TraceInput = z.output<typeof traceSchema>;

/** A problem found while turning a trace into steps, with the path of the trace's field. */
export interface TraceProblem {
  path: (string | number)[];
  message: string;
}

export interface TraceCompileContext {
  start: number;
  utcOffsetMinutes: number;
  durationMs: number;
  /** The text of a file a trace names (relative to the scenario file); throws when it cannot be read. */
  readFile(path: string): string;
}

interface Knot {
  minute: number;
  value: number;
}

/** Drops steps that repeat the previous value, so flat stretches cost nothing at run time. */
function compact(steps: { atMinute: number; rps: number }[]): { atMinute: number; rps: number }[] {
  const out: { atMinute: number; rps: number }[] = [];
  for (const step of steps) {
    if (out.at(-1)?.rps !== step.rps) out.push(step);
  }
  return out;
}

/** The value of knots (in time order) at a minute: held before the first and after the last. */
function interpolate(knots: readonly Knot[], minute: number, linear: boolean, cursor: { i: number }): number {
  const first = knots[0] as Knot;
  if (minute <= first.minute) return first.value;
  while (cursor.i + 1 < knots.length && (knots[cursor.i + 1] as Knot).minute <= minute) cursor.i++;
  const a = knots[cursor.i] as Knot;
  const b = knots[cursor.i + 1];
  if (!b || !linear) return a.value;
  return a.value + ((b.value - a.value) * (minute - a.minute)) / (b.minute - a.minute);
}

function sampleCount(context: TraceCompileContext, resolutionMs: number): number {
  return Math.floor(context.durationMs / resolutionMs) + 1;
}

function tooManySteps(count: number, resolutionMs: number): string {
  return (
    `${count} steps at a resolution of ${resolutionMs / 1000} s is more than ${MAX_TRACE_STEPS}: ` +
    'set a coarser resolution'
  );
}

/** Knots as steps: step interpolation keeps them exact, linear samples the lines every `resolutionMs`. */
function stepsOfKnots(
  knots: readonly Knot[],
  linear: boolean,
  resolutionMs: number,
  context: TraceCompileContext,
): TraceSpec | string {
  if (!linear) {
    const horizon = context.durationMs / MINUTE_MS;
    const inRange = knots.filter((knot) => knot.minute > 0 && knot.minute <= horizon);
    const atStart = interpolate(knots, 0, false, { i: 0 });
    return {
      kind: 'steps',
      steps: compact([
        { atMinute: 0, rps: atStart },
        ...inRange.map((k) => ({ atMinute: k.minute, rps: k.value })),
      ]),
    };
  }
  const count = sampleCount(context, resolutionMs);
  if (count > MAX_TRACE_STEPS) return tooManySteps(count, resolutionMs);
  const cursor = { i: 0 };
  const steps: { atMinute: number; rps: number }[] = [];
  for (let k = 0; k < count; k++) {
    const minute = (k * resolutionMs) / MINUTE_MS;
    steps.push({ atMinute: minute, rps: interpolate(knots, minute, true, cursor) });
  }
  return { kind: 'steps', steps: compact(steps) };
}

function compilePoints(
  trace: Extract<TraceInput, { kind: 'points' }>,
  context: TraceCompileContext,
  problems: TraceProblem[],
): TraceSpec | undefined {
  const knots: Knot[] = [];
  let ok = true;
  for (const [index, [time, amount]] of trace.points.entries()) {
    const offsetMs =
      typeof time === 'number'
        ? time * MINUTE_MS
        : scenarioTimeOffsetMs(time, context.start, context.utcOffsetMinutes);
    if (offsetMs === undefined) {
      problems.push({
        path: ['points', index, 0],
        message: `${JSON.stringify(time)} is not minutes after the start, an offset like 2h30m or an RFC 3339 time`,
      });
      ok = false;
      continue;
    }
    const minute = offsetMs / MINUTE_MS;
    const previous = knots.at(-1);
    if (previous && minute <= previous.minute) {
      problems.push({
        path: ['points', index, 0],
        message: 'points must be in time order, each after the last',
      });
      ok = false;
      continue;
    }
    knots.push({ minute, value: amount });
  }
  if (!ok) return undefined;
  const compiled = stepsOfKnots(
    knots,
    trace.interpolation === 'linear',
    trace.resolution ?? DEFAULT_TRACE_RESOLUTION_MS,
    context,
  );
  if (typeof compiled === 'string') {
    problems.push({ path: ['resolution'], message: compiled });
    return undefined;
  }
  return compiled;
}

function compileFormula(
  trace: Extract<TraceInput, { kind: 'formula' }>,
  context: TraceCompileContext,
  problems: TraceProblem[],
): TraceSpec | undefined {
  let formula: ReturnType<typeof parseFormula>;
  try {
    formula = parseFormula(trace.expression);
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error;
    problems.push({ path: ['expression'], message: error.message });
    return undefined;
  }
  const resolutionMs = trace.resolution ?? DEFAULT_TRACE_RESOLUTION_MS;
  const count = sampleCount(context, resolutionMs);
  if (count > MAX_TRACE_STEPS) {
    problems.push({ path: ['resolution'], message: tooManySteps(count, resolutionMs) });
    return undefined;
  }
  const steps: { atMinute: number; rps: number }[] = [];
  for (let k = 0; k < count; k++) {
    const offsetMs = k * resolutionMs;
    const t = offsetMs / HOUR_MS;
    const result = formula({
      t,
      hour: localHourOfDay(context.start + offsetMs, context.utcOffsetMinutes),
      day: Math.floor(offsetMs / DAY_MS),
    });
    if (!Number.isFinite(result)) {
      problems.push({
        path: ['expression'],
        message: `is ${result} at t = ${Math.round(t * 1000) / 1000} h (a division by 0, or sqrt of a negative?)`,
      });
      return undefined;
    }
    steps.push({ atMinute: offsetMs / MINUTE_MS, rps: Math.max(0, result) });
  }
  return { kind: 'steps', steps: compact(steps) };
}

function compileCsv(
  trace: Extract<TraceInput, { kind: 'csv' }>,
  context: TraceCompileContext,
  problems: TraceProblem[],
): TraceSpec | undefined {
  let text: string;
  try {
    text = context.readFile(trace.file);
  } catch (error) {
    problems.push({ path: ['file'], message: `cannot read ${trace.file}: ${(error as Error).message}` });
    return undefined;
  }
  const parsed = parseTraceCsv(text, {
    utcOffsetMinutes: context.utcOffsetMinutes,
    ...(trace.columns ? { columns: trace.columns } : {}),
  });
  if (!parsed.ok) {
    for (const problem of parsed.problems) {
      problems.push({
        path: ['file'],
        message: `${trace.file}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.message}`,
      });
    }
    return undefined;
  }
  const first = (parsed.samples[0] as { time: number }).time;
  const shift =
    trace.align === 'absolute'
      ? 0
      : trace.align === 'start'
        ? context.start - first
        : Math.floor((context.start - first) / DAY_MS) * DAY_MS;
  const knots = parsed.samples.map((sample) => ({
    minute: (sample.time + shift - context.start) / MINUTE_MS,
    value: sample.value * trace.scale,
  }));
  const compiled = stepsOfKnots(
    knots,
    trace.interpolation === 'linear',
    trace.resolution ?? DEFAULT_TRACE_RESOLUTION_MS,
    context,
  );
  if (typeof compiled === 'string') {
    problems.push({ path: ['resolution'], message: compiled });
    return undefined;
  }
  return compiled;
}

/**
 * The `TraceSpec` of a trace as a file writes it; problems (with paths inside the trace) go to
 * `problems`, and the result is then undefined.
 *
 * @example
 * compileTrace({ kind: 'formula', expression: '100 + 10 * t' }, context, problems)
 * // { kind: 'steps', steps: [{ atMinute: 0, rps: 100 }, { atMinute: 1, rps: 100.1666… }, …] }
 */
export function compileTrace(
  trace: TraceInput,
  context: TraceCompileContext,
  problems: TraceProblem[],
): TraceSpec | undefined {
  switch (trace.kind) {
    case 'constant':
      return { kind: 'constant', rps: trace.rps };
    case 'steps':
      return { kind: 'steps', steps: trace.steps.map((step) => ({ ...step })) };
    case 'european-day': {
      const { kind, peakRps, nightFraction, phaseHours, noise, seed, bursts } = trace;
      return {
        kind,
        peakRps,
        ...(nightFraction !== undefined ? { nightFraction } : {}),
        ...(phaseHours !== undefined ? { phaseHours } : {}),
        ...(noise !== undefined ? { noise } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(bursts ? { bursts: bursts.map((burst) => ({ ...burst })) } : {}),
      };
    }
    case 'points':
      return compilePoints(trace, context, problems);
    case 'formula':
      return compileFormula(trace, context, problems);
    case 'csv':
      return compileCsv(trace, context, problems);
  }
}
