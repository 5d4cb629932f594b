import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { type HpaSettings, hpaSettingsSchema } from './hpa-settings';
import { type ClusterConfig, clusterSchema, type DeploymentConfig, deploymentConfigSchema } from './schema';

/** One problem in a config file, with where it is (`accounts[0].regions[0].clusters[1].name`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: DeploymentConfig } | { ok: false; problems: ConfigProblem[] };

/** A cluster with its account, region and fully resolved settings. */
export interface ResolvedCluster {
  accountId: string;
  region: string;
  cluster: ClusterConfig;
  hpa: HpaSettings;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

export function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path) || '(root)', message: issue.message }));
}

/** Validates an already parsed document. */
export function validateConfig(document: unknown): ConfigResult {
  const parsed = deploymentConfigSchema.safeParse(document);
  return parsed.success
    ? { ok: true, config: parsed.data }
    : { ok: false, problems: problemsOf(parsed.error) };
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseConfigText(text: string): ConfigResult {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message : String(error);
    return { ok: false, problems: [{ path: '(file)', message: `not valid YAML or JSON: ${message}` }] };
  }
  return validateConfig(document);
}

/**
 * Reads and validates a deployment config file.
 *
 * @example
 * const result = await loadConfigFile('tideplane.yaml');
 * if (!result.ok) for (const p of result.problems) console.error(`${p.path}: ${p.message}`);
 */
export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '(file)', message: `cannot read ${path}: ${(error as Error).message}` }],
    };
  }
  return parseConfigText(text);
}

/** Every cluster of the config with defaults and per-cluster overrides merged. */
export function resolveClusters(config: DeploymentConfig): ResolvedCluster[] {
  const defaults = config.defaults?.hpa ?? hpaSettingsSchema.parse({});
  return config.accounts.flatMap((account) =>
    account.regions.flatMap((region) =>
      region.clusters.map((cluster) => ({
        accountId: account.id,
        region: region.name,
        cluster,
        hpa: { ...defaults, ...stripUndefined(cluster.hpa ?? {}) },
      })),
    ),
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A `ResolvedCluster` as the stack hands it to a function (`TIDEPLANE_CLUSTER`), validated again at
 * cold start with the same schemas the config file went through.
 */
export const resolvedClusterSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    cluster: clusterSchema,
    hpa: hpaSettingsSchema,
  })
  .strict();
