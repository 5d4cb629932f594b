/**
 * Scenario files (version 1): a simulation scenario as YAML or JSON, checked by a schema and turned into
 * the simulator's `Scenario`. What a file holds: when and how long (`start`, `timeZone` or
 * `utcOffsetMinutes`, `duration`), the cluster (`cluster`: name, region, zones, pod network), its node
 * pools and the node-pool loop's settings (`nodePools`), DaemonSets, services with their load traces,
 * HPAs, budgets and VPAs (`services`), VPA objects and the VPA loop's settings (`vpa`), a control plane
 * (`controlPlane`), the account's quotas (`quotas`), injected faults (`faults`) and the services the
 * report charts (`report`, scenario-file-report.ts). Traces may be
 * inline points, a formula or a CSV file next to the scenario (scenario-file-traces.ts).
 *
 * Checking runs in three passes, and nothing runs unless all pass: the shape (zod, every problem with
 * its path), the meaning (traces evaluated, CSV files read, HPA and VPA specs checked with the loops'
 * own rules, times inside the run), and a trial build of the simulated world. Problems carry the path
 * in the file (`services[3].hpa.metrics[0].resource.target.averageUtilization`).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { controlPlaneSchema, ec2ControlPlaneSchema, eksControlPlaneSchema } from '../config/control-plane';
import { type ConfigProblem, formatPath } from '../config/load';
import { quotasSchema } from '../config/quotas';
import { networkInputOf, networkSchema } from '../config/schema';
import { vpaSchema } from '../config/vpa';
import type { SimControlPlaneSpec } from './control-plane/spec';
import type { Scenario, ScenarioQuotas, ScenarioVpa } from './scenario';
import { compileFault, faultSchema } from './scenario-file-faults';
import { compilePools, nodePoolsBlockSchema } from './scenario-file-pools';
import { compileReport, reportBlockSchema } from './scenario-file-report';
import { isTimeZone, parseInstant, zonedEpochMs, zoneOffsetMinutes } from './scenario-file-time';
import {
  compileTrace,
  durationSchema,
  type TraceCompileContext,
  type TraceProblem,
  traceSchema,
} from './scenario-file-traces';
import {
  checkVpaObject,
  compileDaemonSet,
  compileService,
  daemonSetSchema,
  type FileProblem,
  serviceSchema,
  vpaObjectSchema,
} from './scenario-file-workloads';
import type { SimQuotaRequestHandling, SimServiceQuotasSpec } from './service-quotas';
import type { SimVpaInput } from './vpa-objects';
import { createSimWorld } from './world';

export const SCENARIO_FILE_VERSION = 1;

/** HPA and node-pool loops tick every 15 s by default; the result's series every 5 minutes. */
const DEFAULT_TICK_INTERVAL_MS = 15_000;
const DEFAULT_SAMPLE_INTERVAL_MS = 5 * 60_000;
const DEFAULT_REGION = 'eu-central-1';
const DEFAULT_SEED = 1;
const MINUTE_MS = 60_000;
/** Longer runs than a week are not what a day replay is for (and `--hours` stops at 168 too). */
const MAX_DURATION_MS = 7 * 24 * 3_600_000;
/** UTC−12:00 to UTC+14:00: every offset in use. */
const MIN_UTC_OFFSET_MINUTES = -720;
const MAX_UTC_OFFSET_MINUTES = 840;

const clusterSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/,
        'lower-case letters, digits and "-", at most 40 characters',
      ),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region like eu-central-1')
      .default(DEFAULT_REGION),
    zones: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Availability zones node pools spread over (default: the region’s a, b and c).'),
    network: networkSchema
      .optional()
      .describe('The pod network: it bounds the node count and pods per node.'),
  })
  .strict();

/** The control-plane loop's settings; `ec2.asgs` and `ec2.launchTemplateIds` come from the groups below. */
const controlPlaneSettingsSchema = z
  .object({
    ...controlPlaneSchema.shape,
    ec2: ec2ControlPlaneSchema.partial().optional(),
    eks: eksControlPlaneSchema.optional(),
  })
  .strict();

const controlPlaneBlockSchema = z
  .object({
    settings: controlPlaneSettingsSchema.prefault({}),
    ec2: z
      .object({
        instanceType: z.string().min(1),
        groups: z
          .array(
            z
              .object({
                name: z.string().min(1),
                availabilityZones: z.array(z.string().min(1)).min(1),
                instances: z.number().int().min(1),
              })
              .strict(),
          )
          .min(1),
        launchTemplateVersion: z.string().min(1).optional(),
        bootSeconds: z.number().min(0).optional(),
        apiStartSeconds: z.number().min(0).optional(),
        deregistrationDelaySeconds: z.number().min(0).optional(),
      })
      .strict()
      .optional()
      .describe('A self-managed control plane: Auto Scaling groups behind the API load balancer.'),
    eks: z
      .object({ tier: z.string().min(1), updateMinutes: z.number().gt(0).optional() })
      .strict()
      .optional()
      .describe('An EKS cluster’s provisioned control-plane tier.'),
    load: z
      .object({
        nodes: traceSchema.optional().describe('Nodes served beyond the simulated cluster’s own.'),
        podsPerNode: z.number().min(0),
        extraRequestsPerSecond: traceSchema.optional(),
        coefficients: z
          .object({
            requestsPerNode: z.number().min(0),
            requestsPerPod: z.number().min(0),
            coresPerRequestPerSecond: z.number().min(0),
            coresPerThousandObjects: z.number().min(0),
            idleCores: z.number().min(0),
            seatSecondsPerRequest: z.number().min(0),
            seatsPerThousandPods: z.number().min(0),
            baseLatencySeconds: z.number().min(0),
          })
          .partial()
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict()
  .refine((block) => (block.ec2 === undefined) !== (block.eks === undefined), {
    message: 'give exactly one of ec2 or eks',
  });

const requestHandlingSchema = z
  .object({
    caseOpenedAfter: durationSchema.optional().describe('Filing to the support case (default 15m).'),
    resolvedAfter: durationSchema.optional().describe('Filing to AWS’s answer (default 4h).'),
    outcome: z.enum(['APPROVED', 'DENIED']).optional(),
  })
  .strict();

const quotasBlockSchema = z
  .object({
    settings: quotasSchema
      .optional()
      .describe('The quota loop’s config, as a deployment config’s quotas block.'),
    account: z
      .object({
        applied: z
          .record(z.string(), z.number().min(0))
          .optional()
          .describe('Values applied before the run, by quota code (L-1216C47A: Standard on-demand vCPUs).'),
        requests: requestHandlingSchema.optional(),
        requestsByQuota: z.record(z.string(), requestHandlingSchema).optional(),
      })
      .strict()
      .default({}),
    interval: durationSchema.optional().describe('How often the quota loop runs (default 2h).'),
  })
  .strict();

export const scenarioFileSchema = z
  .object({
    $schema: z.string().optional().describe('For editors: the JSON Schema of this file.'),
    version: z.literal(SCENARIO_FILE_VERSION),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$/, 'lower-case letters, digits and "-"'),
    description: z.string().optional(),
    start: z
      .string()
      .describe('RFC 3339, e.g. 2025-06-03T06:00:00+02:00; without an offset: local time (timeZone).'),
    timeZone: z
      .string()
      .refine(isTimeZone, 'an IANA time zone like Europe/Berlin')
      .optional()
      .describe('Local time of the traces and reports; its offset at the start holds for the whole run.'),
    utcOffsetMinutes: z
      .number()
      .int()
      .min(MIN_UTC_OFFSET_MINUTES)
      .max(MAX_UTC_OFFSET_MINUTES)
      .optional()
      .describe('Local time as a fixed offset (CEST: 120), instead of timeZone.'),
    duration: durationSchema.refine((ms) => ms > 0 && ms <= MAX_DURATION_MS, 'between 1 s and 7 days'),
    seed: z.number().int().default(DEFAULT_SEED),
    tickInterval: durationSchema.optional().describe('Informational: the loops’ cadence (default 15s).'),
    sampleInterval: durationSchema
      .refine((ms) => ms >= 1000, 'at least 1s')
      .optional()
      .describe('How often series are recorded (default 5m).'),
    scheduling: z.enum(['LeastAllocated', 'MostAllocated']).optional(),
    cluster: clusterSchema,
    nodePools: nodePoolsBlockSchema.optional(),
    daemonSets: z.array(daemonSetSchema).default([]),
    services: z.array(serviceSchema).default([]),
    vpa: z
      .object({
        settings: vpaSchema.optional().describe('The VPA loop’s config, as a deployment config’s vpa block.'),
        objects: z.array(vpaObjectSchema).default([]),
      })
      .strict()
      .optional(),
    controlPlane: controlPlaneBlockSchema.optional(),
    quotas: quotasBlockSchema.optional(),
    faults: z.array(faultSchema).default([]),
    report: reportBlockSchema.optional(),
  })
  .strict()
  .refine((file) => file.timeZone === undefined || file.utcOffsetMinutes === undefined, {
    message: 'give timeZone or utcOffsetMinutes, not both',
    path: ['utcOffsetMinutes'],
  });

export type ScenarioFile = z.output<typeof scenarioFileSchema>;

export type ScenarioFileResult = { ok: true; scenario: Scenario } | { ok: false; problems: ConfigProblem[] };

export interface ScenarioFileOptions {
  /** The file's path: CSV traces are read relative to its folder. */
  file: string;
  /** Reads a file a trace names (a path relative to the scenario file). @default the file system */
  readFile?: (path: string) => string;
}

// ---- problems ---------------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

/**
 * A union's issues from the option that came closest: the one whose problems are not merely "wrong type
 * here", so `cpu: abc` reports the quantity rule, not "expected number".
 */
function closestBranch(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  let best: Issue[] | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const branch of issue.errors) {
    const score = branch.filter((inner) => inner.code === 'invalid_type' && inner.path.length === 0).length;
    if (branch.length > 0 && score < bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function flattenIssues(issues: readonly Issue[], prefix: readonly PropertyKey[], out: ConfigProblem[]): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestBranch(issue);
      if (branch) {
        flattenIssues(branch, path, out);
        continue;
      }
    }
    out.push({ path: formatPath(path) || '(root)', message: issue.message });
  }
}

function fileProblems(problems: readonly (FileProblem | TraceProblem)[]): ConfigProblem[] {
  return problems.map((problem) => ({
    path: formatPath(problem.path) || '(root)',
    message: problem.message,
  }));
}

// ---- compiling --------------------------------------------------------------------------------------

interface Timing {
  start: number;
  utcOffsetMinutes: number;
}

function timingOf(file: ScenarioFile, problems: FileProblem[]): Timing | undefined {
  const written = parseInstant(file.start, 0);
  if (!written) {
    problems.push({ path: ['start'], message: 'an RFC 3339 time like 2025-06-03T06:00:00+02:00' });
    return undefined;
  }
  const hasOffset = written.offsetMinutes !== undefined;
  if (file.timeZone !== undefined) {
    const start = hasOffset ? written.epochMs : zonedEpochMs(file.timeZone, written.epochMs);
    return { start, utcOffsetMinutes: zoneOffsetMinutes(file.timeZone, start) };
  }
  const utcOffsetMinutes = file.utcOffsetMinutes ?? written.offsetMinutes ?? 0;
  return {
    start: hasOffset ? written.epochMs : written.epochMs - utcOffsetMinutes * MINUTE_MS,
    utcOffsetMinutes,
  };
}

function handlingOf(handling: z.output<typeof requestHandlingSchema>): SimQuotaRequestHandling {
  return {
    ...(handling.caseOpenedAfter !== undefined ? { caseOpenedAfterMs: handling.caseOpenedAfter } : {}),
    ...(handling.resolvedAfter !== undefined ? { resolvedAfterMs: handling.resolvedAfter } : {}),
    ...(handling.outcome ? { outcome: handling.outcome } : {}),
  };
}

function compileQuotas(block: z.output<typeof quotasBlockSchema>): ScenarioQuotas {
  const { applied, requests, requestsByQuota } = block.account;
  const account: SimServiceQuotasSpec = {
    ...(applied ? { applied } : {}),
    ...(requests ? { requests: handlingOf(requests) } : {}),
    ...(requestsByQuota
      ? {
          requestsByQuota: Object.fromEntries(
            Object.entries(requestsByQuota).map(([code, handling]) => [code, handlingOf(handling)]),
          ),
        }
      : {}),
  };
  return {
    account,
    ...(block.settings ? { settings: block.settings } : {}),
    ...(block.interval !== undefined ? { intervalMs: block.interval } : {}),
  };
}

/** Placeholder launch template ids for checking the settings as the simulated control plane fills them. */
function placeholderTemplateId(index: number): string {
  return `lt-${index.toString(16).padStart(17, '0')}`;
}

function compileControlPlane(
  block: z.output<typeof controlPlaneBlockSchema>,
  context: TraceCompileContext,
  problems: FileProblem[],
): SimControlPlaneSpec {
  const trace = (value: z.output<typeof traceSchema> | undefined, field: string) => {
    if (!value) return undefined;
    const traceProblems: TraceProblem[] = [];
    const compiled = compileTrace(value, context, traceProblems);
    for (const problem of traceProblems) {
      problems.push({ path: ['controlPlane', 'load', field, ...problem.path], message: problem.message });
    }
    return compiled;
  };
  const { ec2: ec2Settings, eks: eksSettings, ...rest } = block.settings;
  const groups = block.ec2?.groups ?? [];
  // The same completion the simulated control plane does, so its settings fail here, with their paths.
  const completed = controlPlaneSchema.safeParse({
    ...rest,
    ...(block.ec2
      ? {
          ec2: {
            asgs: groups.map((group) => group.name),
            launchTemplateIds: groups.map((_, index) => placeholderTemplateId(index)),
            ...ec2Settings,
          },
        }
      : {}),
    ...(block.eks ? { eks: { ...eksSettings } } : {}),
  });
  if (!completed.success) {
    const out: ConfigProblem[] = [];
    flattenIssues(completed.error.issues, ['controlPlane', 'settings'], out);
    for (const problem of out) problems.push({ path: [problem.path], message: problem.message });
  }
  const nodes = trace(block.load.nodes, 'nodes');
  const extra = trace(block.load.extraRequestsPerSecond, 'extraRequestsPerSecond');
  return {
    settings: block.settings,
    ...(block.ec2 ? { ec2: block.ec2 } : {}),
    ...(block.eks ? { eks: block.eks } : {}),
    load: {
      podsPerNode: block.load.podsPerNode,
      ...(nodes ? { nodes } : {}),
      ...(extra ? { extraRequestsPerSecond: extra } : {}),
      ...(block.load.coefficients ? { coefficients: block.load.coefficients } : {}),
    },
  };
}

function compileScenario(
  file: ScenarioFile,
  options: ScenarioFileOptions,
  problems: FileProblem[],
): Scenario | undefined {
  const timing = timingOf(file, problems);
  if (!timing) return undefined;
  const { start, utcOffsetMinutes } = timing;
  const durationMs = file.duration;
  const folder = dirname(resolve(options.file));
  const context: TraceCompileContext = {
    start,
    utcOffsetMinutes,
    durationMs,
    readFile: options.readFile ?? ((path) => readFileSync(resolve(folder, path), 'utf8')),
  };
  const region = file.cluster.region;
  const zones = file.cluster.zones ?? ['a', 'b', 'c'].map((letter) => `${region}${letter}`);
  const pools = compilePools(file.nodePools, { name: file.cluster.name, zones }, problems);

  const seen = new Map<string, number>();
  const vpaObjects: SimVpaInput[] = [];
  const services = file.services.map((service, index) => {
    const key = `${service.namespace}/${service.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ path: ['services', index, 'name'], message: `${key} is already services[${first}]` });
    } else {
      seen.set(key, index);
    }
    const compiled = compileService(service, index, context, problems);
    if (compiled.vpa) vpaObjects.push(compiled.vpa);
    return compiled.service;
  });
  const daemonSets = file.daemonSets.map(compileDaemonSet);
  for (const [index, object] of (file.vpa?.objects ?? []).entries())
    vpaObjects.push(checkVpaObject(object, index, problems));
  const vpa: ScenarioVpa | undefined =
    file.vpa || vpaObjects.length > 0
      ? { objects: vpaObjects, ...(file.vpa?.settings ? { settings: file.vpa.settings } : {}) }
      : undefined;
  const controlPlane = file.controlPlane
    ? compileControlPlane(file.controlPlane, context, problems)
    : undefined;
  const groupNames = new Set(pools.groups.map((group) => group.name));
  const faults = file.faults.flatMap((fault, index) =>
    compileFault(fault, index, { start, utcOffsetMinutes, durationMs, groups: groupNames }, problems),
  );
  const reportServices = compileReport(file.report, [...seen.keys()], problems);
  return {
    name: file.name,
    description: file.description ?? `Scenario file ${options.file}.`,
    clusterName: file.cluster.name,
    region,
    seed: file.seed,
    start,
    utcOffsetMinutes,
    durationMs,
    tickIntervalMs: file.tickInterval ?? DEFAULT_TICK_INTERVAL_MS,
    sampleIntervalMs: file.sampleInterval ?? DEFAULT_SAMPLE_INTERVAL_MS,
    ...(file.scheduling ? { scheduling: file.scheduling } : {}),
    nodeGroups: pools.groups,
    services,
    ...(daemonSets.length > 0 ? { daemonSets } : {}),
    ...(pools.settings ? { nodePools: pools.settings } : {}),
    ...(file.cluster.network ? { network: networkInputOf(file.cluster.network) } : {}),
    ...(faults.length > 0 ? { faults } : {}),
    ...(controlPlane ? { controlPlane } : {}),
    ...(vpa ? { vpa } : {}),
    ...(file.quotas ? { quotas: compileQuotas(file.quotas) } : {}),
    ...(reportServices ? { reportServices } : {}),
  };
}

/**
 * Checks an already parsed document (YAML or JSON) and turns it into a scenario.
 *
 * @example
 * const result = parseScenarioDocument(parseYaml(text), { file: 'scenarios/small-shop.yaml' });
 * if (!result.ok) for (const p of result.problems) console.error(`${p.path}: ${p.message}`);
 */
export function parseScenarioDocument(document: unknown, options: ScenarioFileOptions): ScenarioFileResult {
  const parsed = scenarioFileSchema.safeParse(document);
  if (!parsed.success) {
    const problems: ConfigProblem[] = [];
    flattenIssues(parsed.error.issues, [], problems);
    return { ok: false, problems };
  }
  const problems: FileProblem[] = [];
  const scenario = compileScenario(parsed.data, options, problems);
  if (!scenario || problems.length > 0) return { ok: false, problems: fileProblems(problems) };
  try {
    createSimWorld(scenario);
  } catch (error) {
    return {
      ok: false,
      problems: [
        { path: '(scenario)', message: `the simulated world cannot be built: ${(error as Error).message}` },
      ],
    };
  }
  return { ok: true, scenario };
}

/** Parses YAML or JSON text (JSON is YAML) and checks it. */
export function parseScenarioText(text: string, options: ScenarioFileOptions): ScenarioFileResult {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message : String(error);
    return { ok: false, problems: [{ path: '(file)', message: `not valid YAML or JSON: ${message}` }] };
  }
  return parseScenarioDocument(document, options);
}

/**
 * Reads and checks a scenario file.
 *
 * @example
 * const result = await loadScenarioFile('scenarios/small-shop.yaml');
 * if (result.ok) await runSimulation(result.scenario, { controllers });
 */
export async function loadScenarioFile(path: string): Promise<ScenarioFileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '(file)', message: `cannot read ${path}: ${(error as Error).message}` }],
    };
  }
  return parseScenarioText(text, { file: path });
}

/** Whether a command-line scenario names a file rather than a built-in scenario. */
export function isScenarioFilePath(name: string): boolean {
  return /\.(ya?ml|json)$/i.test(name);
}

/**
 * The JSON Schema (draft 2020-12) of scenario files, for editors (`# yaml-language-server: $schema=...`
 * or `"$schema"` in JSON). It describes the shape; the meaning checks (formulas, CSV files, the HPA and
 * VPA rules) run in `tideplane simulate`.
 */
export function scenarioFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: `tideplane scenario file (version ${SCENARIO_FILE_VERSION})`,
    description: 'A simulation scenario for `tideplane simulate <file>`; see README "Scenario files".',
  };
}
