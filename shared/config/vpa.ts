import { z } from 'zod';

/**
 * The VPA loop of one cluster. Defaults and where they come from:
 * - `intervalSeconds` 60: upstream's recommender loop runs every minute, and its confidence assumes one
 *   sample a minute.
 * - `recommenderName` `tideplane`, `claimDefault` false: a VPA is tideplane's when its
 *   `spec.recommenders` names `tideplane`; VPAs naming none belong to the in-cluster default
 *   recommender unless `claimDefault` says there is none. Never both on one VPA.
 * - `oomPolicy` `fast`: tideplane's OOM floor (see the README); `upstream` reproduces upstream.
 * - `fastOom`: 2×, 2.5×, 3× the killed request within 24 h, at least +100 MiB, held 24 h; a kill within
 *   10 min of the container's start is "quick" (upstream updater's threshold).
 * - `update`: upstream updater's 10 % / 12 h rule; memory limit = request (Zalando's rule), so a memory
 *   target 10 % above the request is applied at once (the request is the limit, the pods are near it);
 *   `resizeInPlace` true: after an OOM kill the workload's live pods below the new memory request get it
 *   in place (`pods/resize`, Kubernetes 1.33+) while the rollout replaces them, so a pod of the old
 *   template is not killed again and again until its turn comes. Older clusters refuse it; the rollout
 *   alone then does the work.
 */
export const vpaSchema = z
  .object({
    enabled: z.boolean().default(true),
    dryRun: z.boolean().default(false),
    intervalSeconds: z.number().int().min(15).max(300).default(60),
    recommenderName: z.string().min(1).max(253).default('tideplane'),
    claimDefault: z
      .boolean()
      .default(false)
      .describe('Also recommend for VPAs that name no recommender (only when none runs in the cluster).'),
    oomPolicy: z.enum(['fast', 'upstream']).default('fast'),
    fastOom: z
      .object({
        bumpRatios: z.array(z.number().gt(1)).min(1).default([2, 2.5, 3]),
        minBumpMiB: z.number().min(0).default(100),
        escalationWindowHours: z.number().min(0).default(24),
        holdHours: z.number().min(0).default(24),
        quickOomMinutes: z.number().min(0).default(10),
      })
      .strict()
      .prefault({}),
    safetyMarginFraction: z.number().min(0).default(0.15),
    podMinCpuMillicores: z.number().min(0).default(25),
    podMinMemoryMiB: z.number().min(0).default(250),
    update: z
      .object({
        minChangeFraction: z.number().min(0).default(0.1),
        minPodAgeHours: z.number().min(0).default(12),
        memoryLimitEqualsRequest: z.boolean().default(true),
        resizeInPlace: z
          .boolean()
          .default(true)
          .describe('After an OOM kill, raise the memory of the live pods in place (pods/resize).'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type VpaConfig = z.infer<typeof vpaSchema>;
