import { z } from 'zod';

/**
 * Tunables of the HPA loop. Defaults are upstream kube-controller-manager's, so an HPA behaves here as it
 * did in the cluster: `--horizontal-pod-autoscaler-tolerance` 0.1,
 * `--horizontal-pod-autoscaler-cpu-initialization-period` 5 min,
 * `--horizontal-pod-autoscaler-initial-readiness-delay` 30 s,
 * `--horizontal-pod-autoscaler-downscale-stabilization` 5 min, `--horizontal-pod-autoscaler-sync-period`
 * 15 s.
 */
export const HPA_DEFAULTS = {
  intervalSeconds: 15,
  tolerance: 0.1,
  cpuInitializationPeriodSeconds: 300,
  initialReadinessDelaySeconds: 30,
  downscaleStabilizationSeconds: 300,
  /** How long audit records of decisions are kept (DynamoDB TTL). */
  decisionRetentionDays: 14,
} as const;

const hpaSettingsFields = {
  enabled: z.boolean().default(true).describe('Run the HPA loop for this cluster.'),
  intervalSeconds: z
    .number()
    .int()
    .min(5)
    .max(60)
    .default(HPA_DEFAULTS.intervalSeconds)
    .describe('Seconds between ticks inside one invocation.'),
  tolerance: z
    .number()
    .min(0)
    .max(1)
    .default(HPA_DEFAULTS.tolerance)
    .describe('Usage ratio band around 1.0 in which no scaling happens.'),
  cpuInitializationPeriodSeconds: z
    .number()
    .int()
    .min(0)
    .default(HPA_DEFAULTS.cpuInitializationPeriodSeconds)
    .describe('After a pod starts, CPU samples are trusted only once it has been ready this long.'),
  initialReadinessDelaySeconds: z
    .number()
    .int()
    .min(0)
    .default(HPA_DEFAULTS.initialReadinessDelaySeconds)
    .describe('After a pod starts, readiness flaps within this delay count as not yet ready.'),
  downscaleStabilizationSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(HPA_DEFAULTS.downscaleStabilizationSeconds)
    .describe('Scale-down stabilization window for autoscalers whose behavior does not set one.'),
  horizontalAutoscalers: z
    .boolean()
    .default(true)
    .describe('Evaluate tideplane HorizontalAutoscaler custom resources.'),
  horizontalPodAutoscalers: z
    .boolean()
    .default(false)
    .describe(
      'Also evaluate plain autoscaling/v2 HPAs. Only for clusters whose in-cluster HPA controller is off; ' +
        'the loop refuses to act on an HPA that another controller updated recently.',
    ),
  decisionRetentionDays: z
    .number()
    .int()
    .min(1)
    .max(365)
    .default(HPA_DEFAULTS.decisionRetentionDays)
    .describe('Days to keep audit records of decisions.'),
};

/** Per-cluster overrides: every field optional, no defaults (so cluster values never mask `defaults.hpa`). */
export const hpaOverridesSchema = z
  .object(
    Object.fromEntries(
      Object.entries(hpaSettingsFields).map(([key, field]) => [key, field.removeDefault().optional()]),
    ) as {
      [K in keyof typeof hpaSettingsFields]: z.ZodOptional<
        ReturnType<(typeof hpaSettingsFields)[K]['removeDefault']>
      >;
    },
  )
  .strict();

export const hpaSettingsSchema = z.object(hpaSettingsFields).strict();

export type HpaSettings = z.infer<typeof hpaSettingsSchema>;
