import { z } from 'zod';
import { EKS_TIERS } from '../ports/eks';
import { INSTANCE_TYPE_PATTERN } from './node-pools';

/**
 * The control-plane loop of one cluster: swap the control plane's instance type (EC2, kOps-style Auto
 * Scaling groups with launch templates) or its EKS Provisioned Control Plane tier, up and down a ladder.
 *
 * Defaults and where they come from:
 * - CPU 70 % for 5 min → up, below 25 % for 60 min → down: Zalando's alert fired on a few minutes of
 *   high load; going down waits an hour so an evening dip does not undo a morning swap.
 * - `farAboveFactor` 1.3 with `jumpSteps` 2: at 91 % CPU one step up would likely be followed by a
 *   second swap half an hour later; two steps at once spare that.
 * - cooldowns 30 min up, 2 h down; flapping: 2 reversals (up→down→up) in 24 h stop automatic swaps.
 * - `healthyTimeoutMinutes` 15: a control-plane node boots, joins and passes health checks in 3–8 min.
 * - `unavailableTypeMinutes` 60: a type that failed to launch or become healthy is skipped for an hour.
 * - `eksUpdateTimeoutMinutes` 60: EKS applies a tier change in minutes; an hour means it is stuck.
 */
export const CONTROL_PLANE_DEFAULTS = {
  intervalSeconds: 15,
  cpu: { highPercent: 70, highMinutes: 5, lowPercent: 25, lowMinutes: 60 },
  farAboveFactor: 1.3,
  jumpSteps: 2,
  cooldowns: { upMinutes: 30, downMinutes: 120 },
  flapping: { windowHours: 24, maxReversals: 2 },
  swap: {
    healthyTimeoutMinutes: 15,
    unavailableTypeMinutes: 60,
    drainTimeoutSeconds: 300,
    eksUpdateTimeoutMinutes: 60,
  },
} as const;

/** The label kubeadm and kOps give control-plane nodes. */
export const CONTROL_PLANE_NODE_LABEL = 'node-role.kubernetes.io/control-plane';

const asgName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^:]+$/, 'an Auto Scaling group name (no ":")');

const targetGroupArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    'a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)',
  );

const family = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'an instance family like m5, c7g or m7i-flex (the part before the dot)');

export const ec2ControlPlaneSchema = z
  .object({
    asgs: z
      .array(asgName)
      .min(1)
      .describe('The control-plane Auto Scaling groups (one for all zones, or kOps’s one per zone).'),
    launchTemplateIds: z
      .array(z.string().regex(/^lt-[0-9a-f]{8,17}$/, 'a launch template id like lt-0123456789abcdef0'))
      .min(1)
      .describe('The groups’ launch templates: the only ones the function may version and launch from.'),
    instanceRoleArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN'))
      .default([])
      .describe(
        'The role(s) of the templates’ instance profile: pointing a group at a template version passes it.',
      ),
    targetGroupArns: z
      .array(targetGroupArn)
      .optional()
      .describe(
        'The API load balancer’s target groups. Default: the groups’ own TargetGroupARNs (then the function may deregister from any target group of the account and region).',
      ),
    readyzPort: z.number().int().min(1).max(65535).default(443).describe('Where each API server listens.'),
    nodeLabel: z
      .string()
      .default(CONTROL_PLANE_NODE_LABEL)
      .describe('The label that marks control-plane nodes.'),
  })
  .strict();

export const eksControlPlaneSchema = z
  .object({
    clusterName: z
      .string()
      .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'an EKS cluster name')
      .optional()
      .describe('Default: the cluster’s name in this config.'),
    seatCapacity: z
      .record(z.string(), z.number().int().min(1))
      .optional()
      .describe('API request concurrency (seats) per tier, for the utilization alarm. Default: EKS’s.'),
  })
  .strict();

export const controlPlaneSchema = z
  .object({
    enabled: z.boolean().default(true),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN')
      .optional()
      .describe('Where the swap-failure alarm notifies (an existing topic).'),
    dryRun: z.boolean().default(false),
    intervalSeconds: z.number().int().min(5).max(300).default(CONTROL_PLANE_DEFAULTS.intervalSeconds),
    ec2: ec2ControlPlaneSchema.optional(),
    eks: eksControlPlaneSchema.optional(),
    ladder: z
      .object({
        allowBurstable: z.boolean().default(false).describe('t-family types may be on the ladder.'),
        families: z.array(family).default([]).describe('Only these families (empty: all).'),
        excludeFamilies: z.array(family).default([]),
        floor: z.string().optional().describe('Never below this instance type or tier.'),
        ceiling: z.string().optional().describe('Never above this instance type or tier.'),
      })
      .strict()
      .prefault({}),
    cpu: z
      .object({
        highPercent: z.number().gt(0).max(100).default(CONTROL_PLANE_DEFAULTS.cpu.highPercent),
        highMinutes: z.number().int().min(1).max(60).default(CONTROL_PLANE_DEFAULTS.cpu.highMinutes),
        lowPercent: z.number().min(0).lt(100).default(CONTROL_PLANE_DEFAULTS.cpu.lowPercent),
        lowMinutes: z.number().int().min(5).max(1440).default(CONTROL_PLANE_DEFAULTS.cpu.lowMinutes),
      })
      .strict()
      .prefault({})
      .refine((cpu) => cpu.lowPercent < cpu.highPercent, {
        message: 'lowPercent must be below highPercent',
        path: ['lowPercent'],
      })
      .describe('Load thresholds: CPU of the control-plane instances (EC2) or seat utilization (EKS).'),
    latency: z
      .object({
        cloudwatch: z
          .object({
            namespace: z.string().min(1),
            metricName: z.string().min(1),
            dimensions: z.record(z.string(), z.string()).default({}),
            statistic: z.string().default('Average'),
          })
          .strict()
          .optional(),
        prometheus: z
          .object({ url: z.url(), query: z.string().min(1) })
          .strict()
          .optional(),
        highSeconds: z.number().gt(0).default(1).describe('API latency above this is a scale-up signal.'),
        minutes: z.number().int().min(1).max(60).default(5),
      })
      .strict()
      .refine((latency) => (latency.cloudwatch === undefined) !== (latency.prometheus === undefined), {
        message: 'give exactly one of cloudwatch or prometheus',
      })
      .optional()
      .describe('Optional second signal: API-server request latency.'),
    farAboveFactor: z.number().min(1).default(CONTROL_PLANE_DEFAULTS.farAboveFactor),
    jumpSteps: z.number().int().min(1).max(5).default(CONTROL_PLANE_DEFAULTS.jumpSteps),
    cooldowns: z
      .object({
        upMinutes: z.number().int().min(0).default(CONTROL_PLANE_DEFAULTS.cooldowns.upMinutes),
        downMinutes: z.number().int().min(0).default(CONTROL_PLANE_DEFAULTS.cooldowns.downMinutes),
      })
      .strict()
      .prefault({}),
    flapping: z
      .object({
        windowHours: z.number().int().min(1).max(168).default(CONTROL_PLANE_DEFAULTS.flapping.windowHours),
        maxReversals: z.number().int().min(1).default(CONTROL_PLANE_DEFAULTS.flapping.maxReversals),
      })
      .strict()
      .prefault({}),
    swap: z
      .object({
        healthyTimeoutMinutes: z
          .number()
          .int()
          .min(1)
          .default(CONTROL_PLANE_DEFAULTS.swap.healthyTimeoutMinutes),
        unavailableTypeMinutes: z
          .number()
          .int()
          .min(1)
          .default(CONTROL_PLANE_DEFAULTS.swap.unavailableTypeMinutes),
        drainTimeoutSeconds: z.number().int().min(0).default(CONTROL_PLANE_DEFAULTS.swap.drainTimeoutSeconds),
        eksUpdateTimeoutMinutes: z
          .number()
          .int()
          .min(1)
          .default(CONTROL_PLANE_DEFAULTS.swap.eksUpdateTimeoutMinutes),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.ec2 === undefined) === (config.eks === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of ec2 (self-managed control plane) or eks (Provisioned Control Plane)',
      });
    }
    for (const key of ['floor', 'ceiling'] as const) {
      const step = config.ladder[key];
      if (step === undefined) continue;
      if (config.ec2 && !INSTANCE_TYPE_PATTERN.test(step)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ladder', key],
          message: 'an EC2 instance type like m5.xlarge',
        });
      }
      if (config.eks && !(EKS_TIERS as readonly string[]).includes(step)) {
        ctx.addIssue({ code: 'custom', path: ['ladder', key], message: `one of ${EKS_TIERS.join(', ')}` });
      }
    }
  });

export type ControlPlaneConfig = z.infer<typeof controlPlaneSchema>;
