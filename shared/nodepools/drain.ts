/**
 * The drain of one node, as a state machine the node-pool loop moves on one step per call: taint the
 * node, evict its pods through the Eviction API (PodDisruptionBudgets hold; a 429 is retried, never
 * worked around), wait for the evicted pods to terminate, terminate the instance in its Auto Scaling
 * group, delete the Node object. A drain that cannot finish in time is aborted and the taint removed.
 * Spot interruptions use the same machine with a deadline. Pure: no I/O, time comes in as `now`.
 *
 * Every step is decided from the record and what the loop observed this tick, never from what the loop
 * believes it did: a Lambda that dies between persisting a record and acting on it (or the other way
 * round) re-runs the same step or finds it done. Tainting and deleting are idempotent, an eviction of a
 * pod that is gone answers `gone`, and termination is only asked for again when the instance is still in
 * service after `terminateRetryMs`, so an instance is never terminated twice.
 */

import { z } from 'zod';
import type { EvictionResult, Node, Pod, Taint } from '../ports/kubernetes';
import { parseStoredData } from '../units/stored-data';
import { NODE_POOL_STATE_PREFIX } from './failures';
import { podKey } from './pool';
import { isTerminal } from './scheduling';

/** The taint a drained node carries, so the scheduler places nothing new there (tideplane's own key). */
export const DRAIN_TAINT: Taint = { key: 'tideplane.io/draining', effect: 'NoSchedule' };

/** The annotation the kubelet puts on the API server's copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Kubernetes' default `terminationGracePeriodSeconds`. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/** A pod the DaemonSet controller owns: it stays until the node goes, and the controller never moves it. */
export function isDaemonSetPod(pod: Pick<Pod, 'ownerReferences'>): boolean {
  return pod.ownerReferences.some((owner) => owner.controller === true && owner.kind === 'DaemonSet');
}

/** A static pod's mirror: the kubelet runs it from a file, so evicting it would do nothing. */
export function isMirrorPod(pod: Pick<Pod, 'annotations'>): boolean {
  return pod.annotations[MIRROR_POD_ANNOTATION] !== undefined;
}

/**
 * Whether draining the node means moving this pod: everything still running that is neither a daemon
 * nor a static pod (cluster-autoscaler's drain skips the same ones).
 */
export function mustMove(pod: Pod): boolean {
  return !isTerminal(pod) && !isDaemonSetPod(pod) && !isMirrorPod(pod);
}

/** Whether the node carries the drain taint. */
export function hasDrainTaint(node: Pick<Node, 'taints'>): boolean {
  return node.taints.some((taint) => taint.key === DRAIN_TAINT.key && taint.effect === DRAIN_TAINT.effect);
}

export type DrainState =
  /** The taint is written, or is being written until the node shows it. */
  | 'tainted'
  /** Pods are being evicted, or terminating after their eviction. */
  | 'evicting'
  /** No pod that must move is left; the instance's termination was asked for. */
  | 'terminating'
  /** The instance is gone or going; the Node object is being deleted. */
  | 'deleting'
  /** Given up (see `abortReason`); the taint is being removed. */
  | 'aborted'
  /** Nothing left to do: the node is gone, or the drain was aborted and the taint removed. */
  | 'done';

/** What the drain knows about one pod it evicts. */
export interface PodEviction {
  /** A pod recreated under the same name (a StatefulSet's) is another pod: its entry starts over. */
  uid: string;
  /** Epoch ms of the latest eviction request. */
  requestedAt: number;
  /** The API server's answer to it, once the loop reported one. */
  result?: EvictionResult;
  /** Epoch ms of the first 429 in an unbroken run of them. */
  blockedSince?: number;
  /** Epoch ms the eviction was admitted: the pod's grace period runs from here. */
  evictedAt?: number;
}

/** One node's drain, as the state store keeps it (`pool#drain#<node>`). */
export interface DrainRecord {
  node: string;
  /** The Node object drained; a node of the same name with another uid is not this drain's business. */
  nodeUid: string;
  pool: string;
  asgName: string;
  instanceId: string;
  /** Why the node goes, for Events and reports ("scale-down: empty", "spot interruption warning"). */
  reason: string;
  startedAt: number;
  /**
   * When the instance goes whatever the drain does (a spot interruption: two minutes after the warning).
   * Such a drain evicts everything at once, caps grace periods at the time left and does not give up
   * before the deadline.
   */
  deadline?: number;
  state: DrainState;
  /** Epoch ms the drain entered `state`. */
  stateSince: number;
  /** By `namespace/name`; only pods still on the node are kept. */
  pods: Record<string, PodEviction>;
  /** Epoch ms of the latest TerminateInstanceInAutoScalingGroup request. */
  terminateRequestedAt?: number;
  /** Why the drain was given up; kept once done so reports can say it. */
  abortReason?: string;
}

export interface DrainSettings {
  /** A drain whose pods are not all evicted this long after it started is aborted. */
  timeoutMs: number;
  /** An eviction is asked for again after this long (429s, and admitted ones whose pod did not go). */
  evictionRetryMs: number;
  /** A pod whose evictions were refused (429) for this long in a row aborts the drain. */
  evictionBlockedTimeoutMs: number;
  /** Grace periods are capped at this: a pod asking for an hour does not hold the node for an hour. */
  maxGracePeriodMs: number;
  /** Termination is asked for again when the instance is still in service this long after the request. */
  terminateRetryMs: number;
}

/**
 * Defaults and why:
 * - `timeoutMs` 10 min: cluster-autoscaler's node deletion gives up on evictions after 2 min
 *   (`--max-pod-eviction-time`); a PodDisruptionBudget that lets one replica go at a time needs each
 *   replacement Ready before the next eviction, which takes minutes for real services.
 * - `evictionRetryMs` 15 s: one loop interval; a 429 means "not now", not "never".
 * - `evictionBlockedTimeoutMs` 5 min: a budget that admits nothing for five minutes is not waiting for a
 *   replacement to come up, it is stuck (a budget of 0, or a workload that cannot become Ready).
 * - `maxGracePeriodMs` 10 min: cluster-autoscaler's `--max-graceful-termination-sec` default.
 * - `terminateRetryMs` 60 s: Auto Scaling shows a terminating instance within seconds; a minute without
 *   that means the request was lost (a crash before the call), not that it is slow.
 */
export const DEFAULT_DRAIN_SETTINGS: Readonly<DrainSettings> = {
  timeoutMs: 10 * 60_000,
  evictionRetryMs: 15_000,
  evictionBlockedTimeoutMs: 5 * 60_000,
  maxGracePeriodMs: 10 * 60_000,
  terminateRetryMs: 60_000,
};

/** What the loop read this tick about the drained node. */
export interface DrainObservation {
  /** The Node object of that name, if it exists. */
  node?: { uid: string; tainted: boolean };
  /** Pods bound to the node (by `spec.nodeName`), as listed; daemons, static and finished pods included. */
  pods: readonly Pod[];
  /**
   * The instance in its Auto Scaling group: in service (any state before termination), terminating
   * (a `Terminating*` lifecycle state), or gone (not among the group's instances any more). Say `gone`
   * only from a group that was read this tick: a drain whose instance is gone deletes the Node object.
   */
  instance: 'in-service' | 'terminating' | 'gone';
}

export interface EvictionRequest {
  namespace: string;
  name: string;
  uid: string;
  /** Passed to the Eviction API when the pod's own grace period is longer than the drain allows. */
  gracePeriodSeconds?: number;
}

/** The one thing the loop does next for the drain. */
export type DrainAction =
  | { kind: 'taint' }
  | { kind: 'evict'; pods: EvictionRequest[] }
  /** Nothing to do before `until` (the loop looks again on a later tick). */
  | { kind: 'wait'; until: number; reason: string }
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity. */
  | { kind: 'terminate'; instanceId: string }
  | { kind: 'delete-node' }
  | { kind: 'untaint'; reason: string }
  | { kind: 'done' };

export interface DrainStep {
  action: DrainAction;
  /** The record to persist (before acting, so a second writer loses the conditional write). */
  drain: DrainRecord;
}

export interface DrainStart {
  node: string;
  nodeUid: string;
  pool: string;
  asgName: string;
  instanceId: string;
  reason: string;
  deadline?: number;
}

/**
 * A new drain. The loop persists it (a conditional create: one drain per node) and then steps it; the
 * first step taints the node.
 *
 * @example startDrain({ node: 'ip-10-0-1-5', nodeUid, pool: 'default', asgName: 'default-a',
 *   instanceId: 'i-0abc', reason: 'scale-down: empty' }, now).state // 'tainted'
 */
export function startDrain(start: DrainStart, now: number): DrainRecord {
  return {
    node: start.node,
    nodeUid: start.nodeUid,
    pool: start.pool,
    asgName: start.asgName,
    instanceId: start.instanceId,
    reason: start.reason,
    startedAt: now,
    ...(start.deadline !== undefined ? { deadline: start.deadline } : {}),
    state: 'tainted',
    stateSince: now,
    pods: {},
  };
}

function enter(drain: DrainRecord, state: DrainState, now: number): DrainRecord {
  return drain.state === state ? drain : { ...drain, state, stateSince: now };
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function names(pods: readonly Pod[]): string {
  const shown = pods.slice(0, 3).map(podKey).join(', ');
  return pods.length > 3 ? `${shown} and ${pods.length - 3} more` : shown;
}

function byKey(a: Pod, b: Pod): number {
  const ka = podKey(a);
  const kb = podKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The entry of this very pod (same uid), if the drain has one. */
function entryOf(drain: DrainRecord, pod: Pod): PodEviction | undefined {
  const entry = drain.pods[podKey(pod)];
  return entry?.uid === pod.uid ? entry : undefined;
}

/** Grace a pod gets from the drain, in ms: its own, capped, and never past a deadline. */
function graceMs(pod: Pod, drain: DrainRecord, settings: DrainSettings, now: number): number {
  const own = (pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
  const capped = Math.min(own, settings.maxGracePeriodMs);
  return drain.deadline === undefined ? capped : Math.max(0, Math.min(capped, drain.deadline - now));
}

/** When a terminating pod is gone at the latest: its grace period after its eviction (or deletion). */
function goneBy(pod: Pod, drain: DrainRecord, settings: DrainSettings, now: number): number {
  const entry = entryOf(drain, pod);
  const own = (pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
  // The API server sets deletionTimestamp to the deletion time plus the grace period: without our own
  // record of the eviction (a crash before it was saved, or someone else deleted the pod) that already
  // is the end of the grace period.
  const bound =
    entry?.evictedAt !== undefined
      ? entry.evictedAt + Math.min(own, settings.maxGracePeriodMs)
      : pod.deletionTimestamp !== undefined
        ? Math.min(pod.deletionTimestamp, now + settings.maxGracePeriodMs)
        : now + Math.min(own, settings.maxGracePeriodMs);
  return drain.deadline === undefined ? bound : Math.min(bound, drain.deadline);
}

/**
 * A drain given up from outside the machine (Auto Scaling refused the termination, e.g. the group's
 * minimum rose meanwhile): the next step removes the taint and says why.
 */
export function abandonDrain(drain: DrainRecord, reason: string, now: number): DrainRecord {
  return { ...enter(drain, 'aborted', now), abortReason: reason };
}

function abort(drain: DrainRecord, reason: string, observation: DrainObservation, now: number): DrainStep {
  return settleAbort({ ...enter(drain, 'aborted', now), abortReason: reason }, observation, now);
}

/** An aborted drain removes its taint from its own node; a node that is gone or replaced has none of it. */
function settleAbort(drain: DrainRecord, observation: DrainObservation, now: number): DrainStep {
  const node = observation.node;
  if (node && node.uid === drain.nodeUid && node.tainted) {
    return { action: { kind: 'untaint', reason: drain.abortReason ?? 'drain aborted' }, drain };
  }
  return { action: { kind: 'done' }, drain: enter(drain, 'done', now) };
}

function deleteNode(drain: DrainRecord, observation: DrainObservation, now: number): DrainStep {
  const next = enter(drain, 'deleting', now);
  // A node of the same name with another uid joined since: it is not the one this drain removed.
  if (observation.node && observation.node.uid === drain.nodeUid) {
    return { action: { kind: 'delete-node' }, drain: next };
  }
  return { action: { kind: 'done' }, drain: enter(next, 'done', now) };
}

function terminate(drain: DrainRecord, now: number): DrainStep {
  return {
    action: { kind: 'terminate', instanceId: drain.instanceId },
    drain: { ...enter(drain, 'terminating', now), terminateRequestedAt: now },
  };
}

/** Entries of pods no longer on the node are dropped, so a record stays as small as the node's pods. */
function keepPresent(drain: DrainRecord, present: readonly Pod[]): DrainRecord {
  const pods: Record<string, PodEviction> = {};
  for (const pod of present) {
    const entry = entryOf(drain, pod);
    if (entry) pods[podKey(pod)] = entry;
  }
  return { ...drain, pods };
}

/** Whether the drain may give up now: never before a deadline, since the instance goes regardless. */
function mayAbort(drain: DrainRecord, settings: DrainSettings, now: number): boolean {
  return drain.deadline === undefined || now >= drain.deadline + settings.timeoutMs;
}

function evictOrWait(
  drain: DrainRecord,
  observation: DrainObservation,
  now: number,
  settings: DrainSettings,
): DrainStep {
  const moving = observation.pods.filter(mustMove).sort(byKey);
  const current = keepPresent(enter(drain, 'evicting', now), moving);
  const pending = moving.filter((pod) => pod.deletionTimestamp === undefined);

  if (pending.length > 0) {
    if (mayAbort(current, settings, now)) {
      const stuck = pending.find((pod) => {
        const since = entryOf(current, pod)?.blockedSince;
        return since !== undefined && now - since >= settings.evictionBlockedTimeoutMs;
      });
      if (stuck) {
        const since = entryOf(current, stuck)?.blockedSince ?? now;
        return abort(
          current,
          `eviction of ${podKey(stuck)} refused by a PodDisruptionBudget for ${seconds(now - since)} s`,
          observation,
          now,
        );
      }
      const end = (current.deadline ?? current.startedAt) + settings.timeoutMs;
      if (now >= end) {
        return abort(
          current,
          `drain did not finish within ${seconds(settings.timeoutMs)} s; still to evict: ${names(pending)}`,
          observation,
          now,
        );
      }
    }

    const due: EvictionRequest[] = [];
    const pods = { ...current.pods };
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const pod of pending) {
      const entry = entryOf(current, pod);
      let retryAt = entry ? entry.requestedAt + settings.evictionRetryMs : now;
      // Before a deadline, a retry is never put off past it: the last chance is at the deadline itself.
      if (entry && current.deadline !== undefined && entry.requestedAt < current.deadline) {
        retryAt = Math.min(retryAt, current.deadline);
      }
      if (retryAt > now) {
        nextRetry = Math.min(nextRetry, retryAt);
        continue;
      }
      const own = (pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
      const grace = graceMs(pod, current, settings, now);
      due.push({
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        // At least a second: a grace period of 0 asks the API server for an immediate, forced delete.
        ...(grace < own ? { gracePeriodSeconds: Math.max(1, Math.floor(grace / 1000)) } : {}),
      });
      pods[podKey(pod)] = { ...(entry ?? {}), uid: pod.uid, requestedAt: now };
    }
    if (due.length > 0) return { action: { kind: 'evict', pods: due }, drain: { ...current, pods } };

    let until = Math.min(nextRetry, (current.deadline ?? current.startedAt) + settings.timeoutMs);
    if (current.deadline !== undefined && now < current.deadline) until = Math.min(until, current.deadline);
    const blocked = pending.filter((pod) => entryOf(current, pod)?.result === 'blocked');
    const reason =
      blocked.length > 0
        ? `evictions refused by a PodDisruptionBudget: ${names(blocked)}`
        : `waiting for evicted pods to start terminating: ${names(pending)}`;
    return { action: { kind: 'wait', until, reason }, drain: current };
  }

  // Only terminating pods are left: they get their grace period, then the instance goes regardless.
  let latest = Number.NEGATIVE_INFINITY;
  for (const pod of moving) latest = Math.max(latest, goneBy(pod, current, settings, now));
  if (moving.length > 0 && now < latest) {
    return {
      action: { kind: 'wait', until: latest, reason: `pods terminating: ${names(moving)}` },
      drain: current,
    };
  }
  return terminate({ ...current, pods: {} }, now);
}

/**
 * The next step of a drain: the one action for the loop and the record to persist before acting. Call it
 * again after acting (with the observation updated by what the action did) to go on within a tick.
 *
 * @example
 * nextDrainStep(drain, { node: { uid, tainted: false }, pods, instance: 'in-service' }, now, DEFAULT_DRAIN_SETTINGS)
 * // { action: { kind: 'taint' }, drain }
 * nextDrainStep(drain, { node: { uid, tainted: true }, pods, instance: 'in-service' }, now, DEFAULT_DRAIN_SETTINGS)
 * // { action: { kind: 'evict', pods: [{ namespace: 'shop', name: 'web-1', uid }] }, drain: { state: 'evicting', ... } }
 */
export function nextDrainStep(
  drain: DrainRecord,
  observation: DrainObservation,
  now: number,
  settings: DrainSettings = DEFAULT_DRAIN_SETTINGS,
): DrainStep {
  const node = observation.node;
  const replaced = node !== undefined && node.uid !== drain.nodeUid;
  switch (drain.state) {
    case 'done':
      return { action: { kind: 'done' }, drain };
    case 'aborted':
      return settleAbort(drain, observation, now);
    case 'deleting':
      return deleteNode(drain, observation, now);
    case 'terminating': {
      if (observation.instance !== 'in-service') return deleteNode(drain, observation, now);
      const retryAt = (drain.terminateRequestedAt ?? drain.stateSince) + settings.terminateRetryMs;
      if (now >= retryAt) return terminate(drain, now);
      return {
        action: { kind: 'wait', until: retryAt, reason: `instance ${drain.instanceId} still in service` },
        drain,
      };
    }
    case 'tainted':
    case 'evicting': {
      if (replaced) {
        const reason = `node ${drain.node} was replaced by another node of the same name`;
        return { action: { kind: 'done' }, drain: { ...enter(drain, 'done', now), abortReason: reason } };
      }
      // The instance went without us (a spot reclaim, someone else): its pods are lost either way, and
      // deleting the Node object lets their controllers replace them now, not after the node times out.
      if (observation.instance !== 'in-service') return deleteNode(drain, observation, now);
      if (node && !node.tainted) return { action: { kind: 'taint' }, drain };
      return evictOrWait(drain, observation, now, settings);
    }
  }
}

/**
 * The record after the loop evicted pods: an admitted eviction starts the pod's grace period, a 429
 * starts (or continues) its blocked run, `gone` ends it.
 *
 * @example recordEvictionResults(drain, [{ pod: 'shop/web-1', uid, result: 'blocked' }], now)
 * // drain.pods['shop/web-1'].blockedSince === now
 */
export function recordEvictionResults(
  drain: DrainRecord,
  results: readonly { pod: string; uid: string; result: EvictionResult }[],
  now: number,
): DrainRecord {
  const pods = { ...drain.pods };
  for (const { pod, uid, result } of results) {
    const previous = pods[pod]?.uid === uid ? pods[pod] : undefined;
    const entry: PodEviction = { uid, requestedAt: previous?.requestedAt ?? now, result };
    if (result === 'evicted') entry.evictedAt = now;
    if (result === 'blocked') entry.blockedSince = previous?.blockedSince ?? now;
    pods[pod] = entry;
  }
  return { ...drain, pods };
}

/**
 * What the loop sees of a drained node in its snapshot of the cluster.
 *
 * @example drainObservation(drain, nodes, pods, 'in-service')
 * // { node: { uid: 'uid-ip-10-0-1-5', tainted: true }, pods: [...pods bound to it], instance: 'in-service' }
 */
export function drainObservation(
  drain: Pick<DrainRecord, 'node'>,
  nodes: readonly Node[],
  pods: readonly Pod[],
  instance: DrainObservation['instance'],
): DrainObservation {
  const node = nodes.find((candidate) => candidate.name === drain.node);
  return {
    ...(node ? { node: { uid: node.uid, tainted: hasDrainTaint(node) } } : {}),
    pods: pods.filter((pod) => pod.nodeName === drain.node),
    instance,
  };
}

/** Sort-key prefix of the drain records. */
export const DRAIN_RECORD_PREFIX = `${NODE_POOL_STATE_PREFIX}drain#`;

/**
 * The state key of a node's drain.
 *
 * @example drainRecordKey('ip-10-0-1-5.eu-central-1.compute.internal') // 'pool#drain#ip-10-0-1-5.eu-central-1.compute.internal'
 */
export function drainRecordKey(node: string): string {
  return `${DRAIN_RECORD_PREFIX}${node}`;
}

const epochMs = z.number().finite();

const podEvictionSchema = z.object({
  uid: z.string(),
  requestedAt: epochMs,
  result: z.enum(['evicted', 'blocked', 'gone']).optional(),
  blockedSince: epochMs.optional(),
  evictedAt: epochMs.optional(),
});

/** The stored form of a drain; unknown fields are dropped on read, so older code reads newer items. */
export const drainRecordSchema = z.object({
  node: z.string().min(1),
  nodeUid: z.string(),
  pool: z.string(),
  asgName: z.string().min(1),
  instanceId: z.string().min(1),
  reason: z.string(),
  startedAt: epochMs,
  deadline: epochMs.optional(),
  state: z.enum(['tainted', 'evicting', 'terminating', 'deleting', 'aborted', 'done']),
  stateSince: epochMs,
  pods: z.record(z.string(), podEvictionSchema),
  terminateRequestedAt: epochMs.optional(),
  abortReason: z.string().optional(),
});

/** A drain as a JSON-safe plain object (no undefined fields, nothing shared with the input). */
export function encodeDrainRecord(drain: DrainRecord): DrainRecord {
  const pods: Record<string, PodEviction> = {};
  for (const [key, entry] of Object.entries(drain.pods)) {
    pods[key] = {
      uid: entry.uid,
      requestedAt: entry.requestedAt,
      ...(entry.result !== undefined ? { result: entry.result } : {}),
      ...(entry.blockedSince !== undefined ? { blockedSince: entry.blockedSince } : {}),
      ...(entry.evictedAt !== undefined ? { evictedAt: entry.evictedAt } : {}),
    };
  }
  return {
    node: drain.node,
    nodeUid: drain.nodeUid,
    pool: drain.pool,
    asgName: drain.asgName,
    instanceId: drain.instanceId,
    reason: drain.reason,
    startedAt: drain.startedAt,
    ...(drain.deadline !== undefined ? { deadline: drain.deadline } : {}),
    state: drain.state,
    stateSince: drain.stateSince,
    pods,
    ...(drain.terminateRequestedAt !== undefined ? { terminateRequestedAt: drain.terminateRequestedAt } : {}),
    ...(drain.abortReason !== undefined ? { abortReason: drain.abortReason } : {}),
  };
}

/**
 * A stored drain, validated; throws `CorruptStateError` saying what is wrong.
 *
 * @example parseDrainRecord({ node: 'n1', state: 'sleeping' }) // throws CorruptStateError('not a valid drain record: ...')
 */
export function parseDrainRecord(data: unknown): DrainRecord {
  return parseStoredData(drainRecordSchema, 'drain record', data);
}
