import { z } from 'zod';
import { EC2_SERVICE_CODE, ec2VcpuQuota } from '../quotas/ec2-vcpu-quotas';

/**
 * The quota loop of one account and region: raise AWS limits before the node pools hit them. Defaults and
 * why:
 * - `headroomFraction` 0.2: ask for 20 % above what the pools may use at their maxima, so the next pool or a
 *   larger instance type does not need a new request at once (AWS support takes hours to days).
 * - `maxIncreaseFactor` 10: one request asks at most ten times the applied value. A typo that adds a digit
 *   to a pool's max (the usual slip) then asks for at most one order of magnitude more; real growth beyond
 *   that takes one more round, or an explicit `maxRequestValues` entry for that quota.
 * - `recheckHours` 24: AWS answers quota requests within hours to days; a daily look follows them closely
 *   enough without a Support API call per hour.
 * - `retryDeniedAfterDays` 7: AWS support answers a repeated request the same way for a while; a denial is
 *   a person's task (the alarm says so), and a week later the loop asks again in case things changed.
 * - `alarmThresholdFraction` 0.9: usage or demand above 90 % of the applied value with nothing requested
 *   is the last moment a person can still get a limit raised before scale-ups fail.
 * - `supportPlan` `basic`: most accounts have no Business or Enterprise plan, and the Support API answers
 *   every call with SubscriptionRequiredException without one.
 */
export const QUOTA_DEFAULTS = {
  headroomFraction: 0.2,
  maxIncreaseFactor: 10,
  recheckHours: 24,
  retryDeniedAfterDays: 7,
  alarmThresholdFraction: 0.9,
  supportPlan: 'basic',
} as const;

/** AWS support plans; only Business and Enterprise may use the Support API. */
export const SUPPORT_PLANS = ['basic', 'developer', 'business', 'enterprise'] as const;
export type SupportPlan = (typeof SUPPORT_PLANS)[number];

/** A Service Quotas quota code: `L-` and eight hex digits. */
export const QUOTA_CODE_PATTERN = /^L-[0-9A-F]{8}$/;

const quotaCode = z.string().regex(QUOTA_CODE_PATTERN, 'a quota code like L-1216C47A');

/**
 * What an extra quota needs: a number, or a linear rule over the clusters of the region, so a new limit is
 * data: `fixed + perCluster × clusters + perNode × max nodes + perVcpu × max vCPUs`. Max nodes and vCPUs
 * are the node pools' at their maxima plus the control planes' (with the swap's surge instance).
 */
export const extraQuotaDemandSchema = z.union(
  [
    z.number().min(0).describe('A fixed demand for the region.'),
    z
      .object({
        fixed: z.number().min(0).default(0).describe('Once for the region.'),
        perCluster: z
          .number()
          .min(0)
          .default(0)
          .describe('Per cluster of the region (e.g. NAT gateway EIPs).'),
        perNode: z.number().min(0).default(0).describe('Per node at the pools’ maxima (e.g. ENIs per node).'),
        perVcpu: z.number().min(0).default(0).describe('Per vCPU at the pools’ maxima.'),
      })
      .strict()
      .refine((rule) => rule.fixed + rule.perCluster + rule.perNode + rule.perVcpu > 0, {
        message: 'give at least one of fixed, perCluster, perNode, perVcpu above 0',
      }),
  ],
  { error: 'a number, or a rule { fixed, perCluster, perNode, perVcpu }' },
);

export const extraQuotaSchema = z
  .object({
    serviceCode: z.string().regex(/^[a-z0-9-]{2,63}$/, 'a Service Quotas service code like ec2, ebs or vpc'),
    quotaCode,
    name: z.string().min(1).describe('The quota’s name as Service Quotas lists it (confirms the code).'),
    unit: z.string().default('').describe('What the value counts, for reports: "TiB", "addresses".'),
    demand: extraQuotaDemandSchema,
  })
  .strict();

/**
 * Documented examples of `extraQuotas` (not defaults: a limit is only checked when configured). Names and
 * codes as Service Quotas lists them.
 */
export const EXTRA_QUOTA_EXAMPLES = [
  {
    // Root volumes: a 100 GiB gp3 root volume per node is 100/1024 TiB.
    serviceCode: 'ebs',
    quotaCode: 'L-7A658B76',
    name: 'Storage for General Purpose SSD (gp3) volumes, in TiB',
    unit: 'TiB',
    demand: { perNode: 100 / 1024 },
  },
  {
    // One NAT gateway per zone and cluster, each with an Elastic IP.
    serviceCode: 'ec2',
    quotaCode: 'L-0263D0A3',
    name: 'EC2-VPC Elastic IPs',
    unit: 'addresses',
    demand: { perCluster: 3 },
  },
  {
    // aws-vpc-cni attaches up to a few ENIs per node; two covers typical m5/m6i pods per node.
    serviceCode: 'vpc',
    quotaCode: 'L-DF5E4CA3',
    name: 'Network interfaces per Region',
    unit: 'interfaces',
    demand: { perNode: 2 },
  },
] as const satisfies readonly z.input<typeof extraQuotaSchema>[];

export const quotasSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the quota loop for this account and region.'),
    dryRun: z.boolean().default(false).describe('Decide and report, request nothing.'),
    headroomFraction: z
      .number()
      .min(0)
      .max(10)
      .default(QUOTA_DEFAULTS.headroomFraction)
      .describe('Ask for this much above the demand at the pools’ maxima (0.2: 20 %).'),
    maxIncreaseFactor: z
      .number()
      .gt(1)
      .default(QUOTA_DEFAULTS.maxIncreaseFactor)
      .describe('One request asks at most this many times the applied value.'),
    maxRequestValues: z
      .record(z.string(), z.number().gt(0))
      .superRefine((values, ctx) => {
        for (const code of Object.keys(values)) {
          if (!QUOTA_CODE_PATTERN.test(code)) {
            ctx.addIssue({ code: 'custom', path: [code], message: 'a quota code like L-1216C47A' });
          }
        }
      })
      .default({})
      .describe(
        'Per quota code, the most one request may ask, instead of maxIncreaseFactor × applied (needed for ' +
          'a quota at 0, and to let a new account take one big step).',
      ),
    supportPlan: z
      .enum(SUPPORT_PLANS)
      .default(QUOTA_DEFAULTS.supportPlan)
      .describe('business or enterprise: follow the cases and add the justification with the Support API.'),
    recheckHours: z
      .number()
      .int()
      .min(1)
      .max(168)
      .default(QUOTA_DEFAULTS.recheckHours)
      .describe('How often an open request’s status is checked.'),
    retryDeniedAfterDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(QUOTA_DEFAULTS.retryDeniedAfterDays)
      .describe('After a denial, no new request for this long.'),
    alarmThresholdFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(QUOTA_DEFAULTS.alarmThresholdFraction)
      .describe(
        'Alarm when usage or demand is above this fraction of the applied value and nothing is open.',
      ),
    extraQuotas: z
      .array(extraQuotaSchema)
      .default([])
      .describe('Other limits scale-ups trip over (EBS storage, Elastic IPs, ENIs), as data.'),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Map<string, number>();
    for (const [index, quota] of settings.extraQuotas.entries()) {
      const key = `${quota.serviceCode}/${quota.quotaCode}`;
      if (quota.serviceCode === EC2_SERVICE_CODE && ec2VcpuQuota(quota.quotaCode)) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraQuotas', index, 'quotaCode'],
          message: `${quota.quotaCode} is an EC2 vCPU quota: its demand comes from the node pools already`,
        });
      }
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraQuotas', index, 'quotaCode'],
          message: `${key} is already checked by extraQuotas[${first}]`,
        });
      } else {
        seen.set(key, index);
      }
    }
  });

export type QuotasConfig = z.infer<typeof quotasSchema>;
export type ExtraQuotaConfig = z.infer<typeof extraQuotaSchema>;
export type ExtraQuotaDemand = z.infer<typeof extraQuotaDemandSchema>;

/**
 * Whether the loop may call the Support API (DescribeCases, AddCommunicationToCase).
 *
 * @example usesSupportApi({ supportPlan: 'business' }) // true
 */
export function usesSupportApi(settings: Pick<QuotasConfig, 'supportPlan'>): boolean {
  return settings.supportPlan === 'business' || settings.supportPlan === 'enterprise';
}
