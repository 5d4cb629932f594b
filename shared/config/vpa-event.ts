import { z } from 'zod';
import { loopRequestFields } from './loop-request';

/** What the VPA function accepts: the schedule's (or a person's) request. */
export const vpaRequestSchema = z.object({ ...loopRequestFields }).strict();

export type VpaRequest = z.infer<typeof vpaRequestSchema>;
