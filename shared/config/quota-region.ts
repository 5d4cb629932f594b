/**
 * What the quota function of one account and region needs from the config: its `quotas` settings and, of
 * every cluster of the region, the sections that make demand (node pools, control plane). It travels in
 * the function's environment without the values its schemas default, gzipped and base64-encoded: a
 * region's pools as JSON outgrow Lambda's 4 KB environment at a handful of clusters, config repeats itself
 * so much that gzip buys roughly tenfold, and the defaults (every pool's dozen settings) are half of what is
 * left. Decoding parses with the same schemas, which put the defaults back.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { controlPlaneSchema } from './control-plane';
import { formatPath } from './load';
import { nodePoolsSchema } from './node-pools';
import { quotasSchema } from './quotas';
import type { DeploymentConfig } from './schema';

export const quotaClusterSchema = z
  .object({
    name: z.string().min(1),
    nodePools: nodePoolsSchema.optional(),
    controlPlane: controlPlaneSchema.optional(),
  })
  .strict();

export const quotaRegionSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    quotas: quotasSchema,
    clusters: z.array(quotaClusterSchema),
  })
  .strict();

export type QuotaRegion = z.infer<typeof quotaRegionSchema>;
export type QuotaCluster = z.infer<typeof quotaClusterSchema>;

/**
 * The quota regions of a config: one per account and region that has `quotas`, with every cluster of that
 * account and region (account entries with the same id merge, as stacks do).
 *
 * @example quotaRegionsOf(config).map((r) => `${r.accountId}/${r.region}`) // ['123456789012/eu-central-1']
 */
export function quotaRegionsOf(config: DeploymentConfig): QuotaRegion[] {
  const regions = new Map<string, QuotaRegion>();
  for (const account of config.accounts) {
    for (const region of account.regions) {
      const key = `${account.id}/${region.name}`;
      let entry = regions.get(key);
      if (region.quotas && !entry) {
        entry = { accountId: account.id, region: region.name, quotas: region.quotas, clusters: [] };
        regions.set(key, entry);
      }
    }
  }
  for (const account of config.accounts) {
    for (const region of account.regions) {
      const entry = regions.get(`${account.id}/${region.name}`);
      if (!entry) continue;
      for (const cluster of region.clusters) {
        entry.clusters.push({
          name: cluster.name,
          ...(cluster.nodePools ? { nodePools: cluster.nodePools } : {}),
          ...(cluster.controlPlane ? { controlPlane: cluster.controlPlane } : {}),
        });
      }
    }
  }
  return [...regions.values()];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `value` without the object fields whose absence the schema fills in with the same value: each field, the
 * deepest first, is dropped when parsing without it gives the same result as parsing with it.
 *
 * @example withoutDefaults({ enabled: true, dryRun: true }, quotasSchema) // { dryRun: true }
 */
export function withoutDefaults<T>(value: T, schema: z.ZodType): T {
  const copy = structuredClone(value);
  const parsed = schema.safeParse(copy);
  // Invalid as it is: nothing to compare with; decoding will say what is wrong.
  if (!parsed.success) return copy;
  const canonical = JSON.stringify(parsed.data);
  const same = () => {
    const again = schema.safeParse(copy);
    return again.success && JSON.stringify(again.data) === canonical;
  };
  const prune = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) prune(item);
      return;
    }
    if (!isPlainObject(node)) return;
    for (const key of Object.keys(node)) {
      const field = node[key];
      prune(field);
      delete node[key];
      if (!same()) node[key] = field;
    }
  };
  prune(copy);
  return copy;
}

/** The region as the environment carries it: defaults left out, gzipped JSON, base64. */
export function encodeQuotaRegion(region: QuotaRegion): string {
  const compact = {
    accountId: region.accountId,
    region: region.region,
    quotas: withoutDefaults(region.quotas, quotasSchema),
    clusters: region.clusters.map((cluster) => ({
      name: cluster.name,
      ...(cluster.nodePools ? { nodePools: withoutDefaults(cluster.nodePools, nodePoolsSchema) } : {}),
      ...(cluster.controlPlane
        ? { controlPlane: withoutDefaults(cluster.controlPlane, controlPlaneSchema) }
        : {}),
    })),
  };
  return gzipSync(Buffer.from(JSON.stringify(compact), 'utf8'), { level: 9 }).toString('base64');
}

/**
 * The region back from the environment, validated with the config's own schemas; a bad value fails
 * loudly at cold start, saying where.
 */
export function decodeQuotaRegion(encoded: string): QuotaRegion {
  let document: unknown;
  try {
    document = JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8'));
  } catch (error) {
    throw new Error(`the quota region is not gzipped, base64-encoded JSON: ${(error as Error).message}`);
  }
  const parsed = quotaRegionSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new Error(`the quota region is not a valid config: ${problems}`);
  }
  return parsed.data;
}
