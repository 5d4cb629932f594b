/**
 * Reading back what the loops stored: an item that does not match its schema (hand-edited, or written by
 * a buggy version) is a `CorruptStateError` naming every problem, which each loop logs and gets past.
 */
import type { z } from 'zod';

/** A stored item that is not what its key says it is. */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
}

/**
 * The data validated by `schema`; throws `CorruptStateError` saying what is wrong.
 *
 * @example parseStoredData(drainRecordSchema, 'drain record', { node: 'n1', state: 'sleeping' })
 * // throws CorruptStateError('not a valid drain record: state: Invalid option: ...')
 */
export function parseStoredData<T>(schema: z.ZodType<T>, what: string, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new CorruptStateError(`not a valid ${what}: ${issues.join('; ')}`);
}
