import { z } from 'zod';
import { loopRequestFields } from './loop-request';

/** What the HPA function accepts: the shared fields, and one autoscaler to evaluate alone. */
export const hpaEventSchema = z
  .object({
    ...loopRequestFields,
    autoscaler: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'namespace/name')
      .optional()
      .describe('Evaluate only this autoscaler (namespace/name).'),
  })
  .strict();

export type HpaEvent = z.infer<typeof hpaEventSchema>;
