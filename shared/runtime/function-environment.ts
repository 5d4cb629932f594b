import { z } from 'zod';
import { formatPath, type ResolvedCluster, resolvedClusterSchema } from '../config/load';

/** What every loop function's environment holds (set by infra/constructs/cluster-loop-function.ts). */
const environmentSchema = z.object({
  TIDEPLANE_TABLE: z.string().min(1),
  TIDEPLANE_CLUSTER: z.string().min(1),
  AWS_REGION: z.string().min(1),
});

export interface FunctionEnvironment {
  tableName: string;
  region: string;
  /** The cluster config, validated again with the schemas the config file went through. */
  config: ResolvedCluster;
}

/** Reads and validates a loop function's environment at cold start; a bad one fails loudly. */
export function readFunctionEnvironment(env: NodeJS.ProcessEnv = process.env): FunctionEnvironment {
  const parsedEnv = environmentSchema.parse(env);
  const parsed = resolvedClusterSchema.safeParse(JSON.parse(parsedEnv.TIDEPLANE_CLUSTER));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new Error(`TIDEPLANE_CLUSTER is not a valid cluster config: ${problems}`);
  }
  return { tableName: parsedEnv.TIDEPLANE_TABLE, region: parsedEnv.AWS_REGION, config: parsed.data };
}

/**
 * A connection made once and reused while the function is warm (its token cache with it); a failed
 * attempt is forgotten, so the next invocation tries again instead of failing on a stale rejection.
 */
export function reusable<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
