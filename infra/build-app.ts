import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type ConfigProblem,
  formatPath,
  type ResolvedCluster,
  resolveClusters,
  validateConfig,
} from '../shared/config/load';
import { type QuotaRegion, quotaRegionsOf } from '../shared/config/quota-region';
import type { DeploymentConfig } from '../shared/config/schema';
import { TideplaneStack, type TideplaneStackProps } from './stack';

/** The config cannot become an app; `problems` say where and why, as the config loader reports them. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid tideplane config:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** One stack's worth of config: an account and region with their clusters. */
export interface StackPlan {
  readonly stackName: string;
  readonly accountId: string;
  readonly accountName?: string;
  readonly region: string;
  readonly clusters: readonly ResolvedCluster[];
  /** The region's quota loop, when its config has `quotas`. */
  readonly quotaRegion?: QuotaRegion;
}

export interface BuildAppOptions {
  /** Context for the `App` (tests pass `{ 'aws:cdk:bundling-stacks': [] }` to skip bundling). */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory. @default the CDK default (`cdk.out` under the CLI, a temp dir otherwise) */
  readonly outdir?: string;
  /** Options for every stack. */
  readonly stackProps?: Pick<TideplaneStackProps, 'logRetention' | 'logLevel' | 'hpaEntry'>;
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: readonly TideplaneStack[];
}

/**
 * Longest stack description CDK accepts: CloudFormation takes 1,024 bytes, CDK checks 512 characters (so
 * that any UTF-8 text fits).
 */
const MAX_DESCRIPTION_LENGTH = 512;

/** `tideplane-<account name or id>-<region>`. */
export function stackNameFor(account: { id: string; name?: string | undefined }, region: string): string {
  return `tideplane-${account.name ?? account.id}-${region}`;
}

/**
 * One plan per (account, region) of the config, in config order. Account entries with the same id are
 * merged; two different accounts whose stack names would collide are a config problem.
 */
export function planStacks(config: DeploymentConfig): { plans: StackPlan[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const nameOwner = new Map<string, { id: string; index: number }>();
  config.accounts.forEach((account, index) => {
    const name = account.name ?? account.id;
    const owner = nameOwner.get(name);
    if (owner === undefined) nameOwner.set(name, { id: account.id, index });
    else if (owner.id !== account.id) {
      problems.push({
        path: formatPath(['accounts', index, account.name === undefined ? 'id' : 'name']),
        message: `stack name prefix "${name}" is already used by accounts[${owner.index}] (${owner.id})`,
      });
    }
  });

  const quotaRegions = new Map(
    quotaRegionsOf(config).map((region) => [`${region.accountId}/${region.region}`, region]),
  );
  const plans = new Map<string, StackPlan & { clusters: ResolvedCluster[] }>();
  for (const resolved of resolveClusters(config)) {
    const key = `${resolved.accountId}/${resolved.region}`;
    let plan = plans.get(key);
    if (!plan) {
      const named = config.accounts.find((a) => a.id === resolved.accountId && a.name !== undefined);
      const account: { id: string; name?: string | undefined } = {
        id: resolved.accountId,
        name: named?.name,
      };
      const quotaRegion = quotaRegions.get(key);
      plan = {
        stackName: stackNameFor(account, resolved.region),
        accountId: resolved.accountId,
        ...(account.name !== undefined ? { accountName: account.name } : {}),
        region: resolved.region,
        clusters: [],
        ...(quotaRegion ? { quotaRegion } : {}),
      };
      plans.set(key, plan);
    }
    plan.clusters.push(resolved);
  }
  return { plans: [...plans.values()], problems };
}

/** What the stack is for, shown in the CloudFormation console. */
export function stackDescription(plan: StackPlan): string {
  const account = plan.accountName ? `${plan.accountName} (${plan.accountId})` : plan.accountId;
  const text =
    `tideplane capacity control plane for account ${account}, region ${plan.region}; ` +
    `deploy with that account's credentials in that region. ` +
    `Each cluster's loops are in stack ${plan.stackName}-<cluster>: ${plan.clusters.map((c) => c.cluster.name).join(', ')}`;
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…`;
}

/**
 * Adds one `TideplaneStack` per (account, region) of `document` to `app`, and cdk-nag's AwsSolutions
 * checks as a validation plugin, so synth fails on any unacknowledged finding. Throws
 * `InvalidConfigError` when `document` is not a valid deployment config.
 */
export function addTideplaneStacks(
  app: App,
  document: unknown,
  options: Pick<BuildAppOptions, 'stackProps'> = {},
): TideplaneStack[] {
  const validated = validateConfig(document);
  if (!validated.ok) throw new InvalidConfigError(validated.problems);
  const { plans, problems } = planStacks(validated.config);
  if (problems.length > 0) throw new InvalidConfigError(problems);

  const stacks = plans.map(
    (plan) =>
      new TideplaneStack(app, plan.stackName, {
        // No `env`: environment-agnostic, so synth needs no credentials and no lookups.
        stackName: plan.stackName,
        description: stackDescription(plan),
        accountId: plan.accountId,
        region: plan.region,
        clusters: plan.clusters,
        ...(plan.quotaRegion ? { quotaRegion: plan.quotaRegion } : {}),
        ...options.stackProps,
      }),
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}

/**
 * Builds the whole CDK app from a deployment config (a parsed document or an already validated config),
 * without touching the file system.
 *
 * @example
 * const { app, stacks } = buildApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });
 */
export function buildApp(document: unknown, options: BuildAppOptions = {}): BuiltApp {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stacks = addTideplaneStacks(app, document, options);
  return { app, stacks };
}
