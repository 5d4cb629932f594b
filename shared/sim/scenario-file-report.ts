/**
 * The `report` block of scenario files: what the report (report.html) shows beyond its fixed sections.
 * `services` names the services to chart (`namespace/name`), each one of the file's services; without it
 * the report charts all services up to 12 and a selection of 12 beyond (report-selection.ts).
 */
import { z } from 'zod';
import { reportServiceProblems } from './report-selection';
import type { FileProblem } from './scenario-file-workloads';

export const reportBlockSchema = z
  .object({
    services: z
      .array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a service as namespace/name, e.g. shop/web'))
      .min(1)
      .optional()
      .describe(
        'Services to chart, as namespace/name, in this order (default: all up to 12, else 12 chosen to show ' +
          'the policy at work). The services table lists every service either way.',
      ),
  })
  .strict()
  .describe('What report.html shows.');

export type ReportBlock = z.output<typeof reportBlockSchema>;

/**
 * The scenario's `reportServices`: the block's list, each key checked against the file's services
 * (`keys`); problems at `report.services[i]`.
 *
 * @example compileReport({ services: ['shop/web'] }, ['shop/web'], problems) // ['shop/web']
 */
export function compileReport(
  block: ReportBlock | undefined,
  keys: readonly string[],
  problems: FileProblem[],
): string[] | undefined {
  if (!block?.services) return undefined;
  for (const problem of reportServiceProblems(block.services, keys)) {
    problems.push({ path: ['report', 'services', problem.index], message: problem.message });
  }
  return [...block.services];
}
