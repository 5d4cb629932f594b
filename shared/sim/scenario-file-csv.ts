/**
 * CSV traces: a time series of timestamps and values, as exported from Prometheus (the HTTP API's
 * `[epoch seconds, "value"]` pairs written out as rows) or from a Grafana panel (`"Time","<series>"`
 * with local wall-clock times). Every problem names its line, so a broken export is found quickly.
 *
 * Rules:
 * - Comma-separated (a file whose first line has tabs or semicolons but no comma uses those). Empty
 *   lines and lines starting with `#` are skipped; fields may be double-quoted.
 * - An optional header: the first row when none of its fields is a number. With two columns they are
 *   the timestamp and the value whatever their names; with more, the header must name a `timestamp`
 *   (or `time`) and a `value` column, or the trace names them (`columns`).
 * - Timestamps: epoch seconds (fractions allowed; 13 digits are read as milliseconds) or RFC 3339 (a
 *   space for `T`, and no offset, as Grafana writes them: then local time at the scenario's offset).
 * - Values: finite numbers, not negative. Timestamps strictly increasing.
 */
import { parseInstant } from './scenario-file-time';

export interface CsvSample {
  /** Epoch ms. */
  time: number;
  value: number;
  /** 1-based line of the file. */
  line: number;
}

export interface CsvProblem {
  /** 1-based line; absent for the file as a whole. */
  line?: number;
  message: string;
}

export type CsvParse = { ok: true; samples: CsvSample[] } | { ok: false; problems: CsvProblem[] };

export interface CsvOptions {
  /** How to read timestamps without an offset (the scenario's local time). */
  utcOffsetMinutes: number;
  /** Header names of the columns to read, when the file has more than two. */
  columns?: { timestamp?: string; value?: string };
}

/** A file with more problems than this stops being read: the rest is most likely the same mistake. */
const MAX_PROBLEMS = 10;
/** More samples than a week at one a second is not a trace but a dump. */
export const MAX_CSV_SAMPLES = 604_800;
/** Epoch values at or above this are milliseconds (as seconds they would lie after the year 5000). */
const EPOCH_MS_THRESHOLD = 1e11;

const TIMESTAMP_NAMES = ['timestamp', 'time'];
const VALUE_NAMES = ['value'];

function splitFields(line: string, separator: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
    } else if (char === '"' && current.trim() === '') {
      quoted = true;
      current = '';
    } else if (char === separator) {
      fields.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  fields.push(current.trim());
  return fields;
}

function separatorOf(line: string): string {
  if (line.includes(',')) return ',';
  if (line.includes('\t')) return '\t';
  if (line.includes(';')) return ';';
  return ',';
}

/** Epoch ms of a timestamp field, or why it is none. */
function parseTimestamp(field: string, utcOffsetMinutes: number): number | string {
  if (/^\d+(\.\d+)?$/.test(field)) {
    const epoch = Number(field);
    return epoch >= EPOCH_MS_THRESHOLD ? Math.round(epoch) : Math.round(epoch * 1000);
  }
  const instant = parseInstant(field, utcOffsetMinutes);
  if (instant) return instant.epochMs;
  return `timestamp ${JSON.stringify(field)} is neither epoch seconds nor an RFC 3339 time`;
}

function isNumberField(field: string): boolean {
  return field !== '' && !Number.isNaN(Number(field));
}

interface Layout {
  timestamp: number;
  value: number;
}

/** Which columns to read, from the header (if any) and the trace's `columns`. */
function layoutOf(header: string[] | undefined, width: number, options: CsvOptions): Layout | string {
  const wanted = options.columns;
  if (!header) {
    if (wanted?.timestamp !== undefined || wanted?.value !== undefined) {
      return 'the trace names columns but the file has no header row';
    }
    return width === 2 ? { timestamp: 0, value: 1 } : `expected 2 columns (timestamp, value), found ${width}`;
  }
  const names = header.map((name) => name.toLowerCase());
  const find = (given: string | undefined, defaults: string[], fallback: number): number | string => {
    if (given !== undefined) {
      const index = names.indexOf(given.toLowerCase());
      return index >= 0 ? index : `no column named ${JSON.stringify(given)} in the header`;
    }
    const index = names.findIndex((name) => defaults.includes(name));
    if (index >= 0) return index;
    return header.length === 2 ? fallback : `the header names no ${defaults.join(' or ')} column`;
  };
  const timestamp = find(wanted?.timestamp, TIMESTAMP_NAMES, 0);
  if (typeof timestamp === 'string') return timestamp;
  const value = find(wanted?.value, VALUE_NAMES, 1);
  if (typeof value === 'string') return value;
  return { timestamp, value };
}

/**
 * Reads a CSV trace.
 *
 * @example
 * parseTraceCsv('timestamp,value\n1717430400,12\n1717430460,15\n', { utcOffsetMinutes: 0 })
 * // { ok: true, samples: [{ time: 1717430400000, value: 12, line: 2 }, { time: 1717430460000, value: 15, line: 3 }] }
 */
export function parseTraceCsv(text: string, options: CsvOptions): CsvParse {
  const lines = text.split(/\r?\n/);
  const problems: CsvProblem[] = [];
  const samples: CsvSample[] = [];
  let separator: string | undefined;
  let layout: Layout | undefined;
  let header: string[] | undefined;
  for (const [index, raw] of lines.entries()) {
    if (problems.length >= MAX_PROBLEMS) break;
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    separator ??= separatorOf(trimmed);
    const fields = splitFields(trimmed, separator);
    if (!layout) {
      // A header names columns: no field of it is a number (a timestamp in epoch seconds is one).
      if (!fields.some(isNumberField)) {
        header = fields;
        const found = layoutOf(header, fields.length, options);
        if (typeof found === 'string') return { ok: false, problems: [{ line, message: found }] };
        layout = found;
        continue;
      }
      const found = layoutOf(undefined, fields.length, options);
      if (typeof found === 'string') return { ok: false, problems: [{ line, message: found }] };
      layout = found;
    }
    const width = header?.length ?? 2;
    if (fields.length !== width) {
      problems.push({ line, message: `expected ${width} fields, found ${fields.length}` });
      continue;
    }
    const timeField = fields[layout.timestamp] as string;
    const valueField = fields[layout.value] as string;
    const time = parseTimestamp(timeField, options.utcOffsetMinutes);
    if (typeof time === 'string') {
      problems.push({ line, message: time });
      continue;
    }
    const value = Number(valueField);
    if (valueField === '' || !Number.isFinite(value)) {
      problems.push({ line, message: `value ${JSON.stringify(valueField)} is not a finite number` });
      continue;
    }
    if (value < 0) {
      problems.push({ line, message: `value ${valueField} is negative` });
      continue;
    }
    const previous = samples.at(-1);
    if (previous && time <= previous.time) {
      problems.push({
        line,
        message: `timestamp ${JSON.stringify(timeField)} is not after the one on line ${previous.line}`,
      });
      continue;
    }
    if (samples.length >= MAX_CSV_SAMPLES) {
      problems.push({ line, message: `more than ${MAX_CSV_SAMPLES} samples` });
      break;
    }
    samples.push({ time, value, line });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (samples.length === 0) return { ok: false, problems: [{ message: 'no samples' }] };
  return { ok: true, samples };
}
