/**
 * Whether a VPA's recommendation goes into its workload now, and as what: the pod template's requests
 * (and limits) are rewritten, so the workload's own controller rolls the pods within its update strategy
 * and PodDisruptionBudgets are never bypassed. Pure: no I/O, time comes in as `now`.
 *
 * Why the template and not evictions: a Lambda outside the cluster cannot run upstream's admission
 * webhook, which is what makes an evicted pod come back with new requests; without it an eviction only
 * recreates the same pod. Rewriting the template is the one way the new requests reach new pods. The
 * price: the workload's spec changes (a GitOps tool that owns it would revert it; exclude such workloads
 * or let the tool own the resources), and `Initial` cannot be honoured without restarting running pods,
 * so it is reported as unsupported.
 *
 * Upstream's rules decide when (updater `priority_processor`): a container whose request lies outside
 * [lowerBound, upperBound] is updated at once; after an OOM kill at once; otherwise only when the change
 * is at least `minChangeFraction` and the youngest pod has run for `minPodAgeMs` (the last rollout is
 * that long ago). One addition for memory limit = request: a memory target at least `minChangeFraction`
 * above the request is applied at once too. Upstream can wait because its limits keep their ratio above
 * the request; here the request is the limit, so a target above it says the pods' peaks are close to
 * being killed, and waiting 12 h would mean waiting for the OOM kill.
 */
import { parseMilli } from '../units/quantity';
import {
  type ControlledValues,
  containerPolicyFor,
  controlledResourcesOf,
  type PodResourcePolicy,
  scalingModeOf,
} from './policy';
import type { ContainerRecommendation } from './recommender';
import type { ResourceName } from './resource-amount';
import type { UpdateMode } from './vpa-spec';

const MIB = 1024 * 1024;

export interface UpdaterSettings {
  /** A change smaller than this (of the current request) waits. */
  minChangeFraction: number;
  /** Small changes wait until the youngest pod is this old. */
  minPodAgeMs: number;
  /** Memory limit = memory request (Zalando's rule: no overcommit, OOM means "too small"). */
  memoryLimitEqualsRequest: boolean;
}

export const DEFAULT_UPDATER_SETTINGS: Readonly<UpdaterSettings> = {
  minChangeFraction: 0.1,
  minPodAgeMs: 12 * 3_600_000,
  memoryLimitEqualsRequest: true,
};

export interface TemplateContainer {
  name: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
}

export interface UpdateInput {
  updateMode: UpdateMode;
  policy?: PodResourcePolicy;
  recommendations: readonly ContainerRecommendation[];
  template: readonly TemplateContainer[];
  /** Start times (epoch ms) of the workload's live pods. */
  podStarts: readonly number[];
  /** An OOM kill was seen this step (any pod), or a pod was OOM-killed soon after it started. */
  oom: boolean;
  now: number;
  settings: UpdaterSettings;
}

export type UpdateDecision =
  | { action: 'none'; reason: string }
  | { action: 'unsupported'; reason: string }
  | { action: 'patch'; reason: string; containers: TemplateContainer[] };

function cpuText(millicores: number): string {
  return `${Math.ceil(millicores)}m`;
}

function memoryText(bytes: number): string {
  return `${Math.ceil(bytes / MIB)}Mi`;
}

function current(list: Record<string, string>, resource: ResourceName): number | undefined {
  const text = list[resource];
  if (text === undefined) return undefined;
  const milli = parseMilli(text);
  return resource === 'cpu' ? milli : milli / 1000;
}

function format(resource: ResourceName, amount: number): string {
  return resource === 'cpu' ? cpuText(amount) : memoryText(amount);
}

/**
 * @example
 * decideUpdate({ updateMode: 'Auto', recommendations, template, podStarts, oom: false, now, settings })
 * // { action: 'patch', reason: 'app memory request 256Mi is below the lower bound 400Mi', containers: [...] }
 */
export function decideUpdate(input: UpdateInput): UpdateDecision {
  const { updateMode, settings, now } = input;
  if (updateMode === 'Off') return { action: 'none', reason: 'updateMode Off: recommendations only' };
  if (updateMode === 'Initial') {
    return {
      action: 'unsupported',
      reason:
        'updateMode Initial needs an admission webhook in the cluster, which tideplane (outside the cluster) does not run; use Off, or Auto/Recreate to have the pod template updated',
    };
  }
  const youngest = input.podStarts.length > 0 ? Math.max(...input.podStarts) : undefined;
  const settled = youngest !== undefined && now - youngest >= settings.minPodAgeMs;

  const urgent: string[] = [];
  const worthIt: string[] = [];
  const containers: TemplateContainer[] = [];
  for (const container of input.template) {
    const recommendation = input.recommendations.find((r) => r.containerName === container.name);
    const policy = containerPolicyFor(container.name, input.policy);
    if (!recommendation || scalingModeOf(policy) === 'Off') continue;
    const controlledValues: ControlledValues = policy?.controlledValues ?? 'RequestsAndLimits';
    const requests = { ...container.requests };
    const limits = { ...container.limits };
    let changed = false;
    for (const resource of controlledResourcesOf(policy)) {
      const target = recommendation.target[resource];
      if (target === undefined) continue;
      const request = current(container.requests, resource);
      const lower = recommendation.lowerBound[resource];
      const upper = recommendation.upperBound[resource];
      const shown = (amount: number) => format(resource, amount);
      if (request === undefined) {
        urgent.push(`${container.name} has no ${resource} request`);
      } else if (lower !== undefined && request < lower) {
        urgent.push(
          `${container.name} ${resource} request ${shown(request)} is below the lower bound ${shown(lower)}`,
        );
      } else if (upper !== undefined && request > upper) {
        urgent.push(
          `${container.name} ${resource} request ${shown(request)} is above the upper bound ${shown(upper)}`,
        );
      } else if (
        resource === 'memory' &&
        settings.memoryLimitEqualsRequest &&
        controlledValues !== 'RequestsOnly' &&
        (target - request) / request >= settings.minChangeFraction
      ) {
        urgent.push(
          `${container.name} memory target ${shown(target)} is above the request ${shown(request)}, which is the limit`,
        );
      } else if (Math.abs(target - request) / request >= settings.minChangeFraction) {
        worthIt.push(`${container.name} ${resource} ${shown(request)} → ${shown(target)}`);
      } else {
        continue;
      }
      const text = format(resource, target);
      if (requests[resource] === text) continue;
      requests[resource] = text;
      changed = true;
      if (controlledValues === 'RequestsOnly') continue;
      const limit = current(container.limits, resource);
      if (resource === 'memory' && settings.memoryLimitEqualsRequest) {
        limits.memory = text;
      } else if (limit !== undefined && request !== undefined && request > 0) {
        // Upstream keeps the limit-to-request ratio.
        limits[resource] = format(resource, (limit / request) * target);
      }
    }
    if (changed) containers.push({ name: container.name, requests, limits });
  }
  if (containers.length === 0) return { action: 'none', reason: 'requests match the recommendation' };
  if (input.oom) {
    return {
      action: 'patch',
      reason: `after an OOM kill: ${[...urgent, ...worthIt].join('; ')}`,
      containers,
    };
  }
  if (urgent.length > 0) return { action: 'patch', reason: urgent.join('; '), containers };
  if (!settled) {
    const age =
      youngest === undefined ? 'no pods' : `youngest pod ${Math.round((now - youngest) / 60_000)} min old`;
    return {
      action: 'none',
      reason: `${worthIt.join('; ')} waits until the pods have run ${Math.round(settings.minPodAgeMs / 3_600_000)} h (${age})`,
    };
  }
  return { action: 'patch', reason: worthIt.join('; '), containers };
}
