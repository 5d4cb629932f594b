/**
 * The VPA OOM experiment: the vpa-oom scenario (a step of a cache's memory need) for each step size and
 * replica count, once under tideplane's OOM policy (`oomPolicy: 'fast'`) and once under upstream's, on
 * the same trace, through the real VPA loop; and how to read its result.
 *
 * Definitions, as the report prints them:
 * - **stable**: the workload went `STABLE_AFTER_MS` (6 h) without an OOM kill. A memory step is over in
 *   minutes when the VPA keeps up; six hours without a kill means the request covers the need.
 * - **OOM kills until stable**: every container OOM kill from the step to the last kill before that
 *   kill-free stretch (all kills after the step when there was none). Every replica is killed at least
 *   once by the step itself, so the goal compares **kills per replica** (kills ÷ replicas) with 2.
 * - **undersized limits**: distinct memory limits that were OOM-killed after the step, i.e. how often the
 *   VPA's memory turned out too small again (1 = its first raise sufficed).
 * - **pods killed**: distinct pods among those kills; the kills beyond them are restarts of a pod that
 *   was killed before (a crash loop until the rollout replaced it).
 * - **later kills**: kills after the workload had been stable (a scale-down gone wrong would show here).
 */
import type { z } from 'zod';
import type { vpaSchema } from '../config/vpa';
import type { StateStore } from '../ports/state-store';
import { runSimulation } from './driver';
import type { OomKill } from './oom-killer';
import type { SimulationResult } from './result';
import {
  createVpaOomScenario,
  VPA_OOM_NAMESPACE,
  VPA_OOM_WORKLOAD,
  type VpaOomScenarioOptions,
  vpaOomStepOffsetMs,
} from './scenarios/vpa-oom';
import { vpaController } from './vpa-controller';
import { createSimWorld, type SimWorld } from './world';

const HOUR_MS = 3_600_000;

/** A workload that went this long without an OOM kill runs stably. */
export const STABLE_AFTER_MS = 6 * HOUR_MS;

/** The issue's goal: after a step of up to 4×, at most 2 OOM kills (per replica) until stable, for 1 and 10 replicas. */
export const VPA_OOM_GOAL = {
  maxKillsPerReplica: 2,
  factors: [2, 3, 4],
  replicas: [1, 10],
} as const;

export type OomPolicyName = 'fast' | 'upstream';

export const OOM_POLICY_LABELS: Readonly<Record<OomPolicyName, string>> = {
  fast: 'tideplane (fast)',
  upstream: 'upstream',
};

export interface OomRecovery {
  killsUntilStable: number;
  killsPerReplica: number;
  undersizedLimits: number;
  podsKilled: number;
  stable: boolean;
  /** From the step to the last kill before the stable stretch (0 without a kill). */
  timeToStableMs?: number;
  laterKills: number;
}

/**
 * Reads kills after a step as the definitions above say. `kills` may hold kills before the step (ignored).
 *
 * @example measureOomRecovery([{ time: step + 5_000, limitBytes }], step, step + 12 * HOUR_MS, 1)
 * // { killsUntilStable: 1, killsPerReplica: 1, undersizedLimits: 1, podsKilled: 1, stable: true, timeToStableMs: 5000, laterKills: 0 }
 */
export function measureOomRecovery(
  kills: readonly (Pick<OomKill, 'time' | 'limitBytes'> & Partial<Pick<OomKill, 'pod'>>)[],
  step: number,
  end: number,
  replicas: number,
): OomRecovery {
  const after = kills.filter((kill) => kill.time >= step).sort((a, b) => a.time - b.time);
  let until = after.length;
  let stable = false;
  let last = step;
  for (let i = 0; i <= after.length; i++) {
    const next = after[i]?.time ?? end;
    if (next - last >= STABLE_AFTER_MS) {
      until = i;
      stable = true;
      break;
    }
    last = after[i]?.time ?? last;
  }
  const counted = after.slice(0, until);
  const lastCounted = counted.at(-1);
  return {
    killsUntilStable: counted.length,
    killsPerReplica: counted.length / Math.max(1, replicas),
    undersizedLimits: new Set(counted.map((kill) => kill.limitBytes)).size,
    podsKilled: new Set(counted.map((kill, i) => kill.pod ?? `#${i}`)).size,
    stable,
    ...(stable ? { timeToStableMs: lastCounted ? lastCounted.time - step : 0 } : {}),
    laterKills: after.length - counted.length,
  };
}

export interface OomExperimentRun extends OomRecovery {
  policy: OomPolicyName;
  factor: number;
  replicas: number;
  /** Epoch ms of the step. */
  step: number;
  /** Template patches after the step, and the memory request they came to (MiB). */
  patches: number;
  peakRequestMi: number;
  finalRequestMi: number;
  result: SimulationResult;
}

export interface OomExperiment {
  runs: OomExperimentRun[];
  factors: number[];
  replicas: number[];
  policies: OomPolicyName[];
}

export interface OomExperimentOptions {
  /** @default VPA_OOM_GOAL.factors */
  factors?: number[];
  /** @default VPA_OOM_GOAL.replicas */
  replicas?: number[];
  /** @default ['fast', 'upstream'] */
  policies?: OomPolicyName[];
  /** Scenario options other than the step and the replicas. */
  scenario?: Omit<VpaOomScenarioOptions, 'factor' | 'replicas'>;
  /** The VPA loop's config on top of the scenario's (the policy is set per run), to try other settings. */
  settings?: z.input<typeof vpaSchema>;
  /** The state store of a run (e.g. DynamoDB on dynalite). @default the world's in-memory store */
  stateFor?: (
    world: SimWorld,
    run: { policy: OomPolicyName; factor: number; replicas: number },
  ) => StateStore;
  /** Called after each run. */
  onRun?: (run: OomExperimentRun) => void;
}

function requestMi(memory: string | undefined): number | undefined {
  const match = memory === undefined ? null : /^(\d+)Mi$/.exec(memory);
  return match ? Number(match[1]) : undefined;
}

/**
 * Runs the experiment; every run is deterministic, so the same options give the same figures.
 *
 * @example
 * const experiment = await runVpaOomExperiment();
 * console.log(oomTableLines(experiment).join('\n'));
 */
export async function runVpaOomExperiment(options: OomExperimentOptions = {}): Promise<OomExperiment> {
  const factors = options.factors ?? [...VPA_OOM_GOAL.factors];
  const replicaCounts = options.replicas ?? [...VPA_OOM_GOAL.replicas];
  const policies = options.policies ?? (['fast', 'upstream'] as OomPolicyName[]);
  const runs: OomExperimentRun[] = [];
  for (const factor of factors) {
    for (const replicas of replicaCounts) {
      for (const policy of policies) {
        const base = createVpaOomScenario({ ...options.scenario, factor, replicas });
        // Each run its own cluster, so runs sharing a state store never read each other's checkpoints.
        const scenario = { ...base, clusterName: `${base.clusterName}-${policy}-x${factor}-r${replicas}` };
        const world = createSimWorld(scenario);
        const state = options.stateFor?.(world, { policy, factor, replicas });
        const result = await runSimulation(world, {
          controllers: [
            vpaController(world, {
              settings: { ...scenario.vpa?.settings, ...options.settings, oomPolicy: policy },
              ...(state ? { state } : {}),
            }),
          ],
        });
        const vpa = result.vpa;
        if (!vpa) throw new Error('the VPA controller recorded nothing');
        const step = scenario.start + vpaOomStepOffsetMs(options.scenario);
        const workload = `${VPA_OOM_NAMESPACE}/${VPA_OOM_WORKLOAD}`;
        const kills = vpa.oomKills.filter((kill) => kill.workload === workload);
        const patches = vpa.templatePatches.filter((patch) => patch.time >= step);
        const requests = patches
          .map((patch) => requestMi(patch.containers[0]?.requests.memory))
          .filter((value): value is number => value !== undefined);
        const initial = requestMi(scenario.services[0]?.containers[0]?.requests.memory) ?? 0;
        const run: OomExperimentRun = {
          policy,
          factor,
          replicas,
          step,
          ...measureOomRecovery(kills, step, result.scenario.end, replicas),
          patches: patches.length,
          peakRequestMi: Math.max(initial, ...requests),
          finalRequestMi: requests.at(-1) ?? initial,
          result,
        };
        runs.push(run);
        options.onRun?.(run);
      }
    }
  }
  return { runs, factors, replicas: replicaCounts, policies };
}

/** The run of a policy, step and replica count. */
export function findOomRun(
  experiment: OomExperiment,
  policy: OomPolicyName,
  factor: number,
  replicas: number,
): OomExperimentRun | undefined {
  return experiment.runs.find((r) => r.policy === policy && r.factor === factor && r.replicas === replicas);
}

/** Whether a policy met the goal on every run, and the runs where it did not. */
export function oomGoal(
  experiment: OomExperiment,
  policy: OomPolicyName = 'fast',
): { met: boolean; misses: string[] } {
  const misses = experiment.runs
    .filter((run) => run.policy === policy)
    .filter(
      (run) => !run.stable || run.laterKills > 0 || run.killsPerReplica > VPA_OOM_GOAL.maxKillsPerReplica,
    )
    .map(
      (run) =>
        `×${run.factor}, ${run.replicas} replica(s): ${describeKills(run)}` +
        (run.laterKills > 0 ? `, ${run.laterKills} later kill(s)` : ''),
    );
  return { met: misses.length === 0, misses };
}

function describeKills(run: OomExperimentRun): string {
  const perReplica = run.replicas > 1 ? ` (${formatPerReplica(run.killsPerReplica)}/replica)` : '';
  return `${run.stable ? '' : '≥ '}${run.killsUntilStable} kills${perReplica}`;
}

function formatPerReplica(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function minutes(ms: number | undefined): string {
  return ms === undefined ? 'never' : `${Math.round(ms / 6_000) / 10} min`;
}

/** One cell of the table: kills (per replica), undersized limits, time to stable. */
export function oomCell(run: OomExperimentRun | undefined): string {
  if (!run) return '–';
  return (
    `${describeKills(run)} of ${run.podsKilled} pod(s), ${run.undersizedLimits} undersized limit(s), ` +
    `${run.stable ? `stable after ${minutes(run.timeToStableMs)}` : 'not stable'}`
  );
}

/**
 * The terminal's table: per step and replica count, the kills until stable under each policy.
 *
 * @example oomTableLines(experiment)
 * // ×4, 10 replicas: tideplane (fast) 38 kills (3.8/replica), 2 undersized limit(s), stable after 3.5 min | upstream …
 */
export function oomTableLines(experiment: OomExperiment): string[] {
  const lines = [
    `OOM kills until stable (stable: no OOM kill for ${STABLE_AFTER_MS / HOUR_MS} h), ` +
      `goal ≤ ${VPA_OOM_GOAL.maxKillsPerReplica} per replica:`,
  ];
  for (const factor of experiment.factors) {
    for (const replicas of experiment.replicas) {
      const cells = experiment.policies.map(
        (policy) =>
          `${OOM_POLICY_LABELS[policy]} ${oomCell(findOomRun(experiment, policy, factor, replicas))}`,
      );
      lines.push(`  ×${factor}, ${replicas} replica(s): ${cells.join(' | ')}`);
    }
  }
  for (const policy of experiment.policies) {
    const goal = oomGoal(experiment, policy);
    lines.push(
      `goal for ${OOM_POLICY_LABELS[policy]}: ${goal.met ? 'met ✓' : `missed ✗ (${goal.misses.join('; ')})`}`,
    );
  }
  return lines;
}
