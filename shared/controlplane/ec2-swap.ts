/**
 * The swap of a self-managed control plane's instance type, as a state machine the control-plane loop
 * moves on one step per call. Pure: no I/O, time comes in as `now`.
 *
 * 1. Preparing: hold Auto Scaling's own processes that would fight the swap (AZ rebalancing, alarm and
 *    scheduled scaling), give each group's launch template a new version with the new type (idempotent
 *    by client token) and point the group at it.
 * 2. Replacing, one old instance at a time, surge first: raise the group's desired capacity by one (and
 *    its maximum if needed); wait until the new instance is InService, its API server answers `/readyz`,
 *    every API target group reports it healthy and its Node is Ready; deregister the old instance from
 *    the target groups and wait out the deregistration delay; drain its node and terminate it with
 *    decrement (the node-pool drain machine); delete its Node. Never fewer healthy API servers than when
 *    the swap started.
 * 3. Finishing: restore the groups' maximum, resume their processes.
 *
 * A new instance that cannot launch or does not become healthy in time rolls the swap back: the surge
 * instance is terminated, the groups point at their original version again, sizes and processes are
 * restored, and the type is marked unavailable. A drain that gives up fails the swap (a person looks):
 * the old instance stays deregistered but running, the new one serves.
 *
 * Every step is decided from the record and what the loop observed this tick, never from what the loop
 * believes it did, and every action is idempotent or confirmed by observation, so a Lambda that dies
 * between persisting and acting re-runs the same step or finds it done.
 */

import {
  type DrainAction,
  type DrainObservation,
  type DrainSettings,
  nextDrainStep,
  startDrain,
} from '../nodepools/drain';
import type { Pod } from '../ports/kubernetes';
import type { TargetState } from '../ports/load-balancing';
import type { Ec2SwapRecord, Replacement, SwapGroup } from './swap-record';

/** Processes held while a swap runs (see `SWAP_SUSPENDED_PROCESSES` in the group-updates port). */
export const HELD_PROCESSES = ['AZRebalance', 'AlarmNotification', 'ScheduledActions'] as const;

export interface ObservedInstance {
  instanceId: string;
  instanceType: string;
  /** Auto Scaling's lifecycle state (`Pending`, `InService`, `Terminating`, ...). */
  lifecycleState: string;
}

export interface ObservedGroup {
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
  launchTemplate?: { launchTemplateId: string; version: string };
  suspendedProcesses: readonly string[];
  instances: readonly ObservedInstance[];
}

export interface ObservedNode {
  name: string;
  uid: string;
  ready: boolean;
  tainted: boolean;
}

/** What the loop read this tick. */
export interface Ec2SwapObservation {
  /** The swap's groups by name; a group missing here was not read (nothing is concluded from it). */
  groups: ReadonlyMap<string, ObservedGroup>;
  /** Per instance, its state in each API target group it is registered with. */
  targets: ReadonlyMap<string, readonly TargetState[]>;
  /** `/readyz` of the instances the loop probed (the candidate new instance). */
  readyz: ReadonlyMap<string, { ready: boolean; detail?: string }>;
  /** Nodes by the instance ID in their provider ID. */
  nodes: ReadonlyMap<string, ObservedNode>;
  /** Pods bound to the old instance's node (for its drain). */
  oldNodePods: readonly Pod[];
  /** A failed launch of the surge group since the surge began (capacity, unsupported type...). */
  launchFailure?: string;
  /** The longest deregistration delay of the target groups. */
  deregistrationDelayMs: number;
}

export interface Ec2SwapSettings {
  /** A new instance not healthy this long after its surge rolls the swap back. */
  healthyTimeoutMs: number;
  drain: DrainSettings;
}

export type Ec2SwapAction =
  | { kind: 'suspend'; groups: string[]; processes: readonly string[] }
  | {
      kind: 'create-version';
      group: string;
      launchTemplateId: string;
      sourceVersion: number;
      instanceType: string;
      clientToken: string;
    }
  | { kind: 'point-group'; group: string; launchTemplateId: string; version: string }
  | { kind: 'set-size'; group: string; desiredCapacity?: number; maxSize?: number }
  | { kind: 'deregister'; instanceId: string; targetGroupArns: string[] }
  | { kind: 'drain'; node: string; action: DrainAction }
  /** TerminateInstanceInAutoScalingGroup with decrement (an old instance without a node, or a surge one). */
  | { kind: 'terminate'; instanceId: string }
  | { kind: 'resume'; groups: string[]; processes: readonly string[] }
  | { kind: 'wait'; until: number; reason: string }
  | { kind: 'done' };

export interface Ec2SwapStep {
  action: Ec2SwapAction;
  /** The record to persist before acting. */
  swap: Ec2SwapRecord;
}

/** Termination of an instance is asked for again when it is still in service this long after. */
const TERMINATE_RETRY_MS = 60_000;
/** How long a `wait` lasts at most before the loop looks again (one tick is shorter anyway). */
const RECHECK_MS = 15_000;

function enter<S extends { state: string; stateSince: number }>(
  record: S,
  state: S['state'],
  now: number,
): S {
  return record.state === state ? record : { ...record, state, stateSince: now };
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function isTerminating(instance: ObservedInstance): boolean {
  return instance.lifecycleState.startsWith('Terminat');
}

function healthyEverywhere(states: readonly TargetState[] | undefined, targetGroups: number): boolean {
  return states !== undefined && states.length >= targetGroups && states.every((s) => s === 'healthy');
}

/** API servers healthy in every target group, leaving out `except`. */
function healthyCount(swap: Ec2SwapRecord, observation: Ec2SwapObservation, except?: string): number {
  let count = 0;
  for (const [instanceId, states] of observation.targets) {
    if (instanceId !== except && healthyEverywhere(states, swap.targetGroupArns.length)) count++;
  }
  return count;
}

function wait(swap: Ec2SwapRecord, now: number, reason: string, until = now + RECHECK_MS): Ec2SwapStep {
  return { action: { kind: 'wait', until, reason }, swap };
}

/**
 * Rolls back: the new type is to blame (`typeUnavailable`) when it could not launch or become healthy.
 */
export function rollBack(
  swap: Ec2SwapRecord,
  failure: string,
  now: number,
  typeUnavailable = true,
): Ec2SwapRecord {
  return { ...enter(swap, 'rolling-back', now), failure, ...(typeUnavailable ? { typeUnavailable } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Preparing

function prepare(swap: Ec2SwapRecord, observation: Ec2SwapObservation): Ec2SwapStep | undefined {
  const unsuspended = swap.groups
    .filter((group) => {
      const seen = observation.groups.get(group.name);
      return seen !== undefined && HELD_PROCESSES.some((p) => !seen.suspendedProcesses.includes(p));
    })
    .map((group) => group.name);
  if (unsuspended.length > 0) {
    return { action: { kind: 'suspend', groups: unsuspended, processes: HELD_PROCESSES }, swap };
  }
  for (const [index, group] of swap.groups.entries()) {
    if (group.newVersion === undefined) {
      return {
        action: {
          kind: 'create-version',
          group: group.name,
          launchTemplateId: group.launchTemplateId,
          sourceVersion: group.originalVersionNumber,
          instanceType: swap.to,
          // Same token on a retry: EC2 returns the version the first call created (tokens: 64 chars).
          clientToken: `${swap.id}-g${index}`,
        },
        swap,
      };
    }
  }
  for (const group of swap.groups) {
    const seen = observation.groups.get(group.name);
    const version = String(group.newVersion);
    if (seen && seen.launchTemplate?.version !== version) {
      return {
        action: { kind: 'point-group', group: group.name, launchTemplateId: group.launchTemplateId, version },
        swap,
      };
    }
  }
  return undefined;
}

/** The record after the loop created a group's new launch template version. */
export function recordNewVersion(swap: Ec2SwapRecord, group: string, version: number): Ec2SwapRecord {
  return {
    ...swap,
    groups: swap.groups.map((g) => (g.name === group ? { ...g, newVersion: version } : g)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Replacing

function startReplacement(
  swap: Ec2SwapRecord,
  observation: Ec2SwapObservation,
  now: number,
): Ec2SwapRecord | undefined {
  let toReplace = swap.toReplace;
  while (toReplace.length > 0) {
    const [next, ...rest] = toReplace as [Ec2SwapRecord['toReplace'][number], ...Ec2SwapRecord['toReplace']];
    const group = observation.groups.get(next.group);
    if (!group) return { ...swap, toReplace };
    const instance = group.instances.find((i) => i.instanceId === next.instanceId);
    // Gone or going already (someone else replaced it), or already the new type: nothing to do.
    if (!instance || isTerminating(instance) || instance.instanceType === swap.to) {
      toReplace = rest;
      continue;
    }
    const desiredTarget = group.desiredCapacity + 1;
    const replacing: Replacement = {
      old: next.instanceId,
      group: next.group,
      state: 'surging',
      stateSince: now,
      desiredTarget,
      maxTarget: Math.max(group.maxSize, desiredTarget),
      known: group.instances.map((i) => i.instanceId),
    };
    return { ...swap, toReplace: rest, replacing };
  }
  return undefined;
}

/** The instance the surge launched: in the group, not there when the surge began, not terminating. */
function surgeInstance(
  replacing: Replacement,
  group: ObservedGroup | undefined,
): ObservedInstance | undefined {
  return group?.instances.find((i) => !replacing.known.includes(i.instanceId) && !isTerminating(i));
}

function withReplacement(swap: Ec2SwapRecord, replacing: Replacement | undefined): Ec2SwapRecord {
  if (replacing) return { ...swap, replacing };
  const { replacing: _done, ...rest } = swap;
  return rest;
}

function enterReplacement(replacing: Replacement, state: Replacement['state'], now: number): Replacement {
  return replacing.state === state ? replacing : { ...replacing, state, stateSince: now };
}

function replace(
  swap: Ec2SwapRecord,
  observation: Ec2SwapObservation,
  now: number,
  settings: Ec2SwapSettings,
): Ec2SwapStep {
  let current = swap;
  for (let guard = 0; guard < 16; guard++) {
    let replacing = current.replacing;
    if (!replacing) {
      const started = startReplacement(current, observation, now);
      if (!started) return finish(enter({ ...current, toReplace: [] }, 'finishing', now), observation, now);
      current = started;
      replacing = current.replacing;
      if (!replacing)
        return wait(current, now, `group ${current.toReplace[0]?.group} was not read this tick`);
    }
    const group = observation.groups.get(replacing.group);
    if (!group) return wait(current, now, `group ${replacing.group} was not read this tick`);

    switch (replacing.state) {
      case 'surging': {
        if (group.desiredCapacity >= replacing.desiredTarget) {
          current = withReplacement(current, {
            ...enterReplacement(replacing, 'waiting-new', now),
            surgeSince: replacing.surgeSince ?? now,
          });
          continue;
        }
        const next = withReplacement(current, { ...replacing, surgeSince: replacing.surgeSince ?? now });
        return {
          action: {
            kind: 'set-size',
            group: replacing.group,
            desiredCapacity: replacing.desiredTarget,
            ...(group.maxSize < replacing.maxTarget ? { maxSize: replacing.maxTarget } : {}),
          },
          swap: next,
        };
      }
      case 'waiting-new': {
        if (observation.launchFailure) {
          return rollBackStep(
            rollBack(current, `${current.to} could not launch: ${observation.launchFailure}`, now),
            observation,
            now,
          );
        }
        const candidate = surgeInstance(replacing, group);
        const missing: string[] = [];
        if (!candidate) missing.push('no new instance yet');
        else {
          if (candidate.lifecycleState !== 'InService')
            missing.push(`${candidate.instanceId} is ${candidate.lifecycleState}`);
          const probe = observation.readyz.get(candidate.instanceId);
          if (!probe?.ready) missing.push(`/readyz not ready${probe?.detail ? ` (${probe.detail})` : ''}`);
          if (
            !healthyEverywhere(observation.targets.get(candidate.instanceId), current.targetGroupArns.length)
          ) {
            missing.push('not healthy in every API target group');
          }
          const node = observation.nodes.get(candidate.instanceId);
          if (!node) missing.push('no Node yet');
          else if (!node.ready) missing.push(`node ${node.name} not Ready`);
        }
        if (missing.length === 0 && candidate) {
          current = withReplacement(current, {
            ...enterReplacement(replacing, 'deregistering', now),
            newInstanceId: candidate.instanceId,
          });
          continue;
        }
        const since = replacing.surgeSince ?? replacing.stateSince;
        if (now - since >= settings.healthyTimeoutMs) {
          return rollBackStep(
            rollBack(
              current,
              `${current.to} not healthy within ${seconds(settings.healthyTimeoutMs)} s: ${missing.join('; ')}`,
              now,
            ),
            observation,
            now,
          );
        }
        return wait(current, now, `waiting for the new ${current.to} instance: ${missing.join('; ')}`);
      }
      case 'deregistering': {
        const healthy = healthyCount(current, observation, replacing.old);
        if (healthy < current.healthyAtStart) {
          // The new one became unhealthy again, or another server failed: the old one keeps serving.
          return wait(
            current,
            now,
            `only ${healthy} healthy API server(s) besides ${replacing.old}; ${current.healthyAtStart} were healthy when the swap started`,
          );
        }
        if (replacing.deregisteredAt === undefined) {
          return {
            action: {
              kind: 'deregister',
              instanceId: replacing.old,
              targetGroupArns: current.targetGroupArns,
            },
            swap: withReplacement(current, { ...replacing, deregisteredAt: now }),
          };
        }
        const states = observation.targets.get(replacing.old) ?? [];
        const drainingUntil = replacing.deregisteredAt + observation.deregistrationDelayMs;
        if (states.some((s) => s !== 'unused' && s !== 'unavailable') && now < drainingUntil) {
          return wait(
            current,
            now,
            `connections to ${replacing.old} draining from the load balancer`,
            drainingUntil,
          );
        }
        const node = observation.nodes.get(replacing.old);
        const next: Replacement = enterReplacement(replacing, 'draining', now);
        if (node) {
          next.drain = startDrain(
            {
              node: node.name,
              nodeUid: node.uid,
              pool: 'control-plane',
              asgName: replacing.group,
              instanceId: replacing.old,
              reason: `control-plane swap ${current.from} → ${current.to}`,
            },
            now,
          );
        }
        current = withReplacement(current, next);
        continue;
      }
      case 'draining': {
        const instance = group.instances.find((i) => i.instanceId === replacing.old);
        const instanceState = !instance ? 'gone' : isTerminating(instance) ? 'terminating' : 'in-service';
        if (!replacing.drain) {
          // The old instance never had a Node (or lost it): terminate it directly.
          if (instanceState === 'in-service') {
            const retryAt = (replacing.terminateRequestedAt ?? 0) + TERMINATE_RETRY_MS;
            if (now < retryAt)
              return wait(current, now, `instance ${replacing.old} still in service`, retryAt);
            return {
              action: { kind: 'terminate', instanceId: replacing.old },
              swap: withReplacement(current, { ...replacing, terminateRequestedAt: now }),
            };
          }
          current = completeReplacement(current, replacing);
          continue;
        }
        const step = nextDrainStep(
          replacing.drain,
          oldNodeObservation(replacing.drain.node, replacing.old, observation, instanceState),
          now,
          settings.drain,
        );
        const next = withReplacement(current, { ...replacing, drain: step.drain });
        if (step.action.kind !== 'done') {
          return { action: { kind: 'drain', node: replacing.drain.node, action: step.action }, swap: next };
        }
        if (step.drain.abortReason !== undefined) {
          return {
            action: { kind: 'done' },
            swap: {
              ...enter(next, 'failed', now),
              failure: `the drain of ${replacing.drain.node} gave up (${step.drain.abortReason}); the old instance ${replacing.old} is out of the load balancer but running, the new one serves`,
            },
          };
        }
        current = completeReplacement(next, replacing);
        continue;
      }
    }
  }
  return wait(current, now, 'too many steps in one call');
}

/** What the drain machine needs to know about the old node, from this tick's observation. */
function oldNodeObservation(
  drainedNode: string,
  oldInstance: string,
  observation: Ec2SwapObservation,
  instance: DrainObservation['instance'],
): DrainObservation {
  const node = observation.nodes.get(oldInstance);
  return {
    ...(node && node.name === drainedNode ? { node: { uid: node.uid, tainted: node.tainted } } : {}),
    pods: observation.oldNodePods.filter((pod) => pod.nodeName === drainedNode),
    instance,
  };
}

function completeReplacement(swap: Ec2SwapRecord, replacing: Replacement): Ec2SwapRecord {
  const replaced = [...swap.replaced, { old: replacing.old, new: replacing.newInstanceId ?? '' }];
  return withReplacement({ ...swap, replaced }, undefined);
}

// ---------------------------------------------------------------------------------------------------
// Finishing and rolling back

/** Sizes and processes back as they were; shared by finishing and the end of a rollback. */
function restore(
  swap: Ec2SwapRecord,
  observation: Ec2SwapObservation,
  desiredOf: (group: SwapGroup, seen: ObservedGroup) => number | undefined,
): Ec2SwapAction | undefined {
  for (const group of swap.groups) {
    const seen = observation.groups.get(group.name);
    if (!seen) continue;
    const desired = desiredOf(group, seen);
    const maxSize = seen.maxSize > group.originalMaxSize ? group.originalMaxSize : undefined;
    if (desired !== undefined || (maxSize !== undefined && seen.desiredCapacity <= group.originalMaxSize)) {
      return {
        kind: 'set-size',
        group: group.name,
        ...(desired !== undefined ? { desiredCapacity: desired } : {}),
        ...(maxSize !== undefined ? { maxSize } : {}),
      };
    }
  }
  const held = swap.groups
    .filter((group) => {
      const seen = observation.groups.get(group.name);
      return seen !== undefined && HELD_PROCESSES.some((p) => seen.suspendedProcesses.includes(p));
    })
    .map((group) => group.name);
  if (held.length > 0) return { kind: 'resume', groups: held, processes: HELD_PROCESSES };
  return undefined;
}

function finish(swap: Ec2SwapRecord, observation: Ec2SwapObservation, now: number): Ec2SwapStep {
  const action = restore(swap, observation, () => undefined);
  if (action) return { action, swap };
  return { action: { kind: 'done' }, swap: enter(swap, 'done', now) };
}

function rollBackStep(swap: Ec2SwapRecord, observation: Ec2SwapObservation, now: number): Ec2SwapStep {
  const replacing = swap.replacing;
  // The surge instance goes first (with decrement), so the group never launches another of the new type.
  if (replacing && replacing.state !== 'draining') {
    const group = observation.groups.get(replacing.group);
    const surge = surgeInstance(replacing, group);
    if (surge && surge.instanceType === swap.to) {
      const retryAt = (replacing.terminateRequestedAt ?? 0) + TERMINATE_RETRY_MS;
      if (now < retryAt)
        return wait(swap, now, `surge instance ${surge.instanceId} still in service`, retryAt);
      return {
        action: { kind: 'terminate', instanceId: surge.instanceId },
        swap: withReplacement(swap, { ...replacing, terminateRequestedAt: now }),
      };
    }
  }
  for (const group of swap.groups) {
    const seen = observation.groups.get(group.name);
    // Back to the original version by number: `$Latest` now names the version this swap created.
    const original = String(group.originalVersionNumber);
    if (seen && group.newVersion !== undefined && seen.launchTemplate?.version !== original) {
      return {
        action: {
          kind: 'point-group',
          group: group.name,
          launchTemplateId: group.launchTemplateId,
          version: original,
        },
        swap,
      };
    }
  }
  const action = restore(swap, observation, (group, seen) => {
    // A surge that never launched still holds the raised desired capacity.
    if (replacing && replacing.group === group.name && seen.desiredCapacity >= replacing.desiredTarget) {
      return replacing.desiredTarget - 1;
    }
    return undefined;
  });
  if (action) return { action, swap };
  return { action: { kind: 'done' }, swap: enter(swap, 'rolled-back', now) };
}

// ---------------------------------------------------------------------------------------------------

/**
 * The next step of a swap: the one action for the loop and the record to persist before acting.
 *
 * @example
 * nextEc2SwapStep(swap, observation, now, settings)
 * // { action: { kind: 'set-size', group: 'cp-a', desiredCapacity: 2, maxSize: 2 }, swap: { state: 'replacing', ... } }
 */
export function nextEc2SwapStep(
  swap: Ec2SwapRecord,
  observation: Ec2SwapObservation,
  now: number,
  settings: Ec2SwapSettings,
): Ec2SwapStep {
  switch (swap.state) {
    case 'done':
    case 'rolled-back':
    case 'failed':
      return { action: { kind: 'done' }, swap };
    case 'rolling-back':
      return rollBackStep(swap, observation, now);
    case 'finishing':
      return finish(swap, observation, now);
    case 'preparing': {
      const step = prepare(swap, observation);
      if (step) return step;
      return replace(enter(swap, 'replacing', now), observation, now, settings);
    }
    case 'replacing':
      return replace(swap, observation, now, settings);
  }
}

/** Instances of the groups that are not of the new type, oldest group order first: what a swap replaces. */
export function instancesToReplace(
  groups: readonly { name: string; instances: readonly ObservedInstance[] }[],
  to: string,
): { instanceId: string; group: string }[] {
  return groups.flatMap((group) =>
    group.instances
      .filter((i) => !isTerminating(i) && i.instanceType !== to)
      .map((i) => ({ instanceId: i.instanceId, group: group.name })),
  );
}
