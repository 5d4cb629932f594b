/**
 * Time in scenario files: durations (`90m`, `1h30m`), instants (RFC 3339, with or without an offset),
 * the local time of day (`19:30`) and IANA time zones. A scenario runs on one fixed UTC offset (the
 * `Scenario` type has one), so a zone gives the offset in force at the start: a run across a daylight
 * saving change keeps the offset it started with.
 */

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One or more `<number><unit>` parts, largest first by convention: `2d`, `1h30m`, `1.5h`, `250ms`. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** What a duration looks like, for messages and the JSON Schema. */
export const DURATION_HINT = 'a duration like 90s, 15m, 1h30m or 2d';

/**
 * Milliseconds of a duration, undefined when the text is not one.
 *
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * (MS_PER_UNIT[unit as string] as number);
  }
  return Math.round(total);
}

/** `2025-06-03T06:00`, seconds and fractions optional, `T` or a space, then `Z`, `+02:00` or nothing. */
const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export interface ParsedInstant {
  /** Epoch ms; for a local time without offset, read at `defaultOffsetMinutes`. */
  epochMs: number;
  /** The offset written in the text, if any (`Z` is 0). */
  offsetMinutes?: number;
}

function offsetOf(text: string): number {
  if (text.toUpperCase() === 'Z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/**
 * An RFC 3339 instant (a space instead of `T` and a missing offset are accepted, as spreadsheets and
 * Grafana export them); a local time without offset is read at `defaultOffsetMinutes`.
 *
 * @example parseInstant('2025-06-03T06:00:00+02:00', 0)?.epochMs // Date.UTC(2025, 5, 3, 4)
 */
export function parseInstant(text: string, defaultOffsetMinutes: number): ParsedInstant | undefined {
  const match = INSTANT_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const fields = [year, month, day, hour, minute, second ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, s) + (fraction ? Math.round(Number(fraction) * 1000) : 0);
  // Date.UTC rolls 31 April over into May: such a date does not exist.
  if (new Date(local).getUTCDate() !== d) return undefined;
  const written = offset === undefined ? undefined : offsetOf(offset);
  const offsetMinutes = written ?? defaultOffsetMinutes;
  return {
    epochMs: local - offsetMinutes * MINUTE_MS,
    ...(written !== undefined ? { offsetMinutes: written } : {}),
  };
}

/** Whether the runtime knows the IANA zone (`Europe/Berlin`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's offset from UTC at an instant, in minutes (Europe/Berlin in June: 120).
 *
 * @example zoneOffsetMinutes('Europe/Berlin', Date.UTC(2025, 0, 1)) // 60
 */
export function zoneOffsetMinutes(zone: string, epochMs: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(epochMs)
    .find((part) => part.type === 'timeZoneName')?.value;
  // `GMT` alone is UTC; otherwise `GMT+02:00` or `GMT-09:30`.
  const match = /GMT([+-]\d{2}):?(\d{2})?/.exec(name ?? '');
  if (!match) return 0;
  const sign = match[1]?.startsWith('-') ? -1 : 1;
  return sign * (Math.abs(Number(match[1])) * 60 + Number(match[2] ?? '0'));
}

/**
 * The instant a local wall-clock time (given as if it were UTC) has in the zone: the offset is looked up
 * at the guess and once more at the result, which settles it except inside a daylight-saving gap.
 */
export function zonedEpochMs(zone: string, localAsUtcMs: number): number {
  const first = localAsUtcMs - zoneOffsetMinutes(zone, localAsUtcMs) * MINUTE_MS;
  return localAsUtcMs - zoneOffsetMinutes(zone, first) * MINUTE_MS;
}

/** `19:30` or `07:05:30`: a local time of day. */
export const CLOCK_PATTERN = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * Milliseconds from `start` to the first instant at or after it whose local time of day is `clock`.
 *
 * @example clockOffsetMs('19:30', Date.UTC(2025, 5, 3, 16), 120) // 1.5 h: 18:00 CEST → 19:30
 */
export function clockOffsetMs(clock: string, start: number, utcOffsetMinutes: number): number | undefined {
  const match = CLOCK_PATTERN.exec(clock);
  if (!match) return undefined;
  const target = (Number(match[1]) * 60 + Number(match[2])) * MINUTE_MS + Number(match[3] ?? '0') * 1000;
  const local = (((start + utcOffsetMinutes * MINUTE_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return (((target - local) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** What a point in a scenario's time may be written as, for messages and the JSON Schema. */
export const SCENARIO_TIME_HINT =
  'an offset from the start like 90m or 2h15m, a local time of day like 19:30, or an RFC 3339 instant';

/**
 * Milliseconds after the start of a point in time as a scenario file writes it: an offset (`2h15m`), the
 * next local time of day (`19:30`, at or after the start) or an instant (`2025-06-03T19:30:00+02:00`; a
 * local one without offset is read at the scenario's). Undefined when it is none of these.
 */
export function scenarioTimeOffsetMs(
  text: string,
  start: number,
  utcOffsetMinutes: number,
): number | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return duration;
  const clock = clockOffsetMs(text, start, utcOffsetMinutes);
  if (clock !== undefined) return clock;
  const instant = parseInstant(text, utcOffsetMinutes);
  return instant === undefined ? undefined : instant.epochMs - start;
}
