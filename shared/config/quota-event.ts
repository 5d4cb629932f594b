import { z } from 'zod';

/**
 * What the quota function accepts. The schedule sends `{"quotas": "<account id>/<region>"}`: the quota
 * loop serves an account and region, not a cluster, so the field names that pair rather than reusing
 * `cluster`. A person testing from the Lambda console may add `"dryRun": true` (decide and report, file
 * nothing, write nothing, call no Support API).
 */
export const quotaEventSchema = z
  .object({
    quotas: z
      .string()
      .regex(/^\d{12}\/[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an account id and region like 123456789012/eu-central-1')
      .describe('The account and region this function serves; anything else is refused.'),
    dryRun: z
      .boolean()
      .optional()
      .describe('Decide and report without filing or writing anything. The config can force dry run on.'),
  })
  .strict();

export type QuotaEvent = z.infer<typeof quotaEventSchema>;

/**
 * The `quotas` value naming an account and region.
 *
 * @example quotaTarget({ accountId: '123456789012', region: 'eu-central-1' }) // '123456789012/eu-central-1'
 */
export function quotaTarget(region: { accountId: string; region: string }): string {
  return `${region.accountId}/${region.region}`;
}

/**
 * The event the schedule sends for an account and region (what the CDK puts in the schedule's input).
 *
 * @example JSON.stringify(quotaScheduleEvent(region)) // '{"quotas":"123456789012/eu-central-1"}'
 */
export function quotaScheduleEvent(region: { accountId: string; region: string }): QuotaEvent {
  return { quotas: quotaTarget(region) };
}
