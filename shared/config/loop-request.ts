import { z } from 'zod';

/**
 * The fields every loop function's console event shares: the schedule sends `{"cluster": "<name>"}`; a
 * person testing from the Lambda console adds `dryRun` or `ticks`. Documented in the README ("Console
 * test events").
 */
export const loopRequestFields = {
  cluster: z.string().min(1).describe('The cluster this function serves; anything else is refused.'),
  dryRun: z
    .boolean()
    .optional()
    .describe('Decide and report without changing anything. The cluster config can force dry-run on.'),
  ticks: z
    .number()
    .int()
    .min(1)
    .max(8)
    .optional()
    .describe('How many ticks to run. Default: 1 for a dry run, otherwise as many as fit the invocation.'),
};
