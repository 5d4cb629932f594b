/**
 * Failed scale-ups, backoff and unavailable offerings: what the node-pool loop remembers between ticks
 * (in the state store) and the pure rules that move it on. Pure: no I/O, time comes in as `now`.
 *
 * A scale-up has failed when Auto Scaling says so (a Failed or Cancelled launch activity, or an
 * `EC2 Instance Launch Unsuccessful` event the loop stored as a `ReportedFailure`), or when its nodes are
 * not Ready within the provision timeout. SetDesiredCapacity itself succeeds either way, so these are
 * the only signals (cluster-autoscaler learned the same and reads DescribeScalingActivities since 1.24).
 */

import { z } from 'zod';
import type { AutoScalingGroup, ScalingActivity } from '../ports/auto-scaling';
import { CorruptStateError, parseStoredData } from '../units/stored-data';
import type { CapacityType } from './pool';

export interface BackoffSettings {
  /** First backoff after a failure. */
  initialMs: number;
  /** Backoff doubles per failure up to this. */
  maxMs: number;
  /** A group with no failure for this long starts again at `initialMs`. */
  resetMs: number;
}

/** An instance type in a zone with a capacity type: what EC2 may have no capacity for. */
export interface Offering {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
}

export interface UnavailableOffering extends Offering {
  /** Epoch ms until which pools skip this offering. */
  until: number;
  reason: string;
}

/** A scale-up the loop asked for and follows until the nodes are Ready, or it fails. */
export interface InFlightScaleUp {
  /** Epoch ms of the SetDesiredCapacity. */
  since: number;
  from: number;
  to: number;
  /** How many pods it was for (the first few names are kept for reports). */
  podCount: number;
  pods: string[];
}

export interface GroupBackoff {
  /** Failures in a row (reset after `resetMs` without one). */
  failures: number;
  /** Epoch ms until which the group may not grow. */
  until: number;
  lastFailureAt: number;
  reason: string;
}

/** A failure an EventBridge event reported, waiting for the next tick under the lease to act on it. */
export interface ReportedFailure {
  at: number;
  message: string;
}

/** What the state store keeps per Auto Scaling group. */
export interface GroupRecord {
  asgName: string;
  inFlight?: InFlightScaleUp;
  backoff?: GroupBackoff;
  reportedFailure?: ReportedFailure;
  /** Epoch ms of the group's latest scale-up; no node of its pool goes for a while after it. */
  lastScaleUpAt?: number;
}

export type FailureKind =
  /** InsufficientInstanceCapacity, UnfulfillableCapacity, spot capacity not available. */
  | 'capacity'
  /** VcpuLimitExceeded, InstanceLimitExceeded, MaxSpotInstanceCountExceeded. */
  | 'quota'
  /** The type is not offered in the zone (Unsupported). */
  | 'unsupported'
  /** The nodes did not become Ready within the provision timeout. */
  | 'timeout'
  | 'other';

export interface ScaleUpFailure {
  asgName: string;
  kind: FailureKind;
  message: string;
  /**
   * Epoch ms when it became visible: the failed activity's end (its start while it has none), the
   * reported event's time, or `now` for a timeout.
   */
  at: number;
  /** Offerings to mark unavailable (capacity and unsupported failures only). */
  offerings: Offering[];
}

export interface FailureCheckInput {
  group: AutoScalingGroup;
  capacityType: CapacityType;
  /**
   * The pool's instance types, for offerings when the message names none (default: the group's own;
   * pass the pool's when the config names them, since a launch template may not tell the group's).
   */
  instanceTypes?: string[];
  record: GroupRecord | undefined;
  /** The group's activities since the in-flight scale-up started (newest first). */
  activities: ScalingActivity[];
  /** Ready nodes of the group now. */
  readyNodes: number;
  now: number;
  provisionTimeoutMs: number;
}

/**
 * EC2 error codes and message texts as Auto Scaling reports them in a failed activity's status message,
 * e.g. "Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have
 * sufficient m5.large capacity in the Availability Zone you requested (eu-central-1a). ...". Quota and
 * unsupported come first: their texts also say "capacity" ("more vCPU capacity than your current vCPU
 * limit"), and neither is a shortage that another pool of the same type could avoid by waiting.
 */
const FAILURE_PATTERNS: readonly { kind: Exclude<FailureKind, 'timeout' | 'other'>; pattern: RegExp }[] = [
  { kind: 'quota', pattern: /\bVcpuLimitExceeded\b/ },
  { kind: 'quota', pattern: /\bInstanceLimitExceeded\b/ },
  { kind: 'quota', pattern: /\bMaxSpotInstanceCountExceeded\b/ },
  { kind: 'quota', pattern: /requested more vCPU capacity than your current vCPU limit/i },
  { kind: 'quota', pattern: /requested more instances \(\d+\) than your current instance limit/i },
  { kind: 'quota', pattern: /max spot instance count exceeded/i },
  { kind: 'unsupported', pattern: /\bUnsupported\b/ },
  { kind: 'unsupported', pattern: /is not supported in your requested Availability Zone/i },
  { kind: 'capacity', pattern: /\bInsufficientInstanceCapacity\b/ },
  // Karpenter counts this fleet error code as a capacity shortage too; Auto Scaling reports it for spot.
  { kind: 'capacity', pattern: /\bUnfulfillableCapacity\b/ },
  { kind: 'capacity', pattern: /do not have sufficient \S+ capacity/i },
  { kind: 'capacity', pattern: /\bcapacity-not-available\b/i },
  { kind: 'capacity', pattern: /\bcapacity-oversubscribed\b/i },
  { kind: 'capacity', pattern: /There is no Spot capacity available/i },
  { kind: 'capacity', pattern: /There is no capacity available that matches your request/i },
];

/** Where a message names the instance type that failed. */
const INSTANCE_TYPE_IN_MESSAGE: readonly RegExp[] = [
  /do not have sufficient ([a-z][a-z0-9-]*\.[a-z0-9-]+) capacity/i,
  /requested instance type \(([a-z][a-z0-9-]*\.[a-z0-9-]+)\)/i,
];

/** Activity statuses that mean the launch did not happen. */
const FAILED_ACTIVITY_STATUSES: ReadonlySet<string> = new Set(['Failed', 'Cancelled']);

/**
 * A failed termination (scale-in, instance refresh) says nothing about launching; its description starts
 * with this, where a launch's starts with "Launching a new EC2 instance".
 */
const TERMINATION_ACTIVITY = /^\s*Terminating\b/i;

/** Reasons kept in state and shown to users are cut to this many characters. */
export const MAX_REASON_LENGTH = 200;

/**
 * The kind of a launch failure, from an Auto Scaling status message or an EC2 error code.
 *
 * @example classifyFailureMessage('Could not launch Spot Instances. UnfulfillableCapacity - ...') // 'capacity'
 * @example classifyFailureMessage('VcpuLimitExceeded - You have requested more vCPU capacity ...') // 'quota'
 */
export function classifyFailureMessage(message: string): FailureKind {
  for (const { kind, pattern } of FAILURE_PATTERNS) if (pattern.test(message)) return kind;
  return 'other';
}

/**
 * The instance type a failure message names, if any.
 *
 * @example instanceTypeInMessage('We currently do not have sufficient m5.large capacity in ...') // 'm5.large'
 */
export function instanceTypeInMessage(message: string): string | undefined {
  for (const pattern of INSTANCE_TYPE_IN_MESSAGE) {
    const match = pattern.exec(message);
    if (match?.[1]) return match[1].toLowerCase();
  }
  return undefined;
}

/**
 * A failure message without Auto Scaling's boilerplate around EC2's words, whitespace collapsed, cut to
 * `MAX_REASON_LENGTH`.
 *
 * @example shortFailureMessage('Launching a new EC2 instance.  Status Reason: Could not ... Launching EC2 instance failed.')
 * // 'Could not ...'
 */
export function shortFailureMessage(message: string): string {
  const text = message
    .replace(/^\s*Launching a new EC2 instance\.?\s*Status Reason:\s*/i, '')
    .replace(/\s*Launching EC2 instance failed\.?\s*$/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

/** `kind: message`, short, as backoffs and offerings keep it. */
function failureReason(failure: ScaleUpFailure): string {
  return `${failure.kind}: ${shortFailureMessage(failure.message)}`;
}

function activityMessage(activity: ScalingActivity): string {
  return activity.statusMessage?.trim() || activity.description.trim() || `activity ${activity.statusCode}`;
}

function failureOf(
  input: FailureCheckInput,
  message: string,
  at: number,
  kind = classifyFailureMessage(message),
): ScaleUpFailure {
  const zone = input.group.availabilityZones.length === 1 ? input.group.availabilityZones[0] : undefined;
  let offerings: Offering[] = [];
  if ((kind === 'capacity' || kind === 'unsupported') && zone !== undefined) {
    const named = instanceTypeInMessage(message);
    const types = named ? [named] : (input.instanceTypes ?? input.group.instanceTypes);
    offerings = [...new Set(types)].map((instanceType) => ({
      instanceType,
      zone,
      capacityType: input.capacityType,
    }));
  }
  return { asgName: input.group.name, kind, message, at, offerings };
}

/**
 * An event and the scaling activity it reports end within moments of each other; a report this close
 * to the failure the group was last backed off for is that failure, seen twice.
 */
export const SAME_FAILURE_WINDOW_MS = 60_000;

/**
 * Whether the record's reported failure is one a tick already acted on (found through the scaling
 * activities before the event arrived): the report is then dropped, not counted as a second failure.
 */
export function reportAlreadyHandled(record: GroupRecord): boolean {
  const { reportedFailure, backoff } = record;
  return (
    reportedFailure !== undefined &&
    backoff !== undefined &&
    reportedFailure.at <= backoff.lastFailureAt + SAME_FAILURE_WINDOW_MS
  );
}

/**
 * Whether the group's in-flight scale-up (or a reported event) has failed, and how. A failed activity
 * wins over a reported event (same words, but tied to this scale-up), which wins over the timeout.
 *
 * @example
 * detectFailure({ group, capacityType: 'on-demand', record, activities, readyNodes: 0, now,
 *   provisionTimeoutMs: 300_000 })?.kind // 'capacity'
 */
export function detectFailure(input: FailureCheckInput): ScaleUpFailure | undefined {
  const { record, now } = input;
  const inFlight = record?.inFlight;
  if (inFlight) {
    let newest: ScalingActivity | undefined;
    for (const activity of input.activities) {
      if (!FAILED_ACTIVITY_STATUSES.has(activity.statusCode)) continue;
      if (activity.startTime < inFlight.since || TERMINATION_ACTIVITY.test(activity.description)) continue;
      if (!newest || activity.startTime > newest.startTime) newest = activity;
    }
    if (newest) {
      const at = Math.min(now, newest.endTime ?? newest.startTime);
      return failureOf(input, activityMessage(newest), at);
    }
  }
  if (record?.reportedFailure && !reportAlreadyHandled(record)) {
    return failureOf(input, record.reportedFailure.message, record.reportedFailure.at);
  }
  if (inFlight && now - inFlight.since > input.provisionTimeoutMs && input.readyNodes < inFlight.to) {
    const waited = Math.round((now - inFlight.since) / 1000);
    const message =
      `${input.readyNodes} of ${inFlight.to} nodes Ready ${waited} s after raising desired capacity ` +
      `from ${inFlight.from} (provision timeout ${Math.round(input.provisionTimeoutMs / 1000)} s)`;
    return { asgName: input.group.name, kind: 'timeout', message, at: now, offerings: [] };
  }
  return undefined;
}

/**
 * The record after a failure: backed off (exponentially), in-flight and reported failure cleared.
 *
 * @example backOff(undefined, failure, { initialMs: 60_000, maxMs: 600_000, resetMs: 3_600_000 }).backoff
 * // { failures: 1, until: failure.at + 60_000, lastFailureAt: failure.at, reason: 'capacity: ...' }
 */
export function backOff(
  record: GroupRecord | undefined,
  failure: ScaleUpFailure,
  settings: BackoffSettings,
): GroupRecord {
  const previous = record?.backoff;
  const failures =
    previous && failure.at - previous.lastFailureAt <= settings.resetMs ? previous.failures + 1 : 1;
  const delay = Math.min(settings.maxMs, settings.initialMs * 2 ** (failures - 1));
  return {
    asgName: record?.asgName ?? failure.asgName,
    ...(record?.lastScaleUpAt !== undefined ? { lastScaleUpAt: record.lastScaleUpAt } : {}),
    backoff: {
      failures,
      until: failure.at + delay,
      lastFailureAt: failure.at,
      reason: failureReason(failure),
    },
  };
}

/** The record when the in-flight scale-up has all its nodes Ready (in-flight cleared), else unchanged. */
export function settleInFlight(record: GroupRecord, readyNodes: number): GroupRecord {
  if (!record.inFlight || readyNodes < record.inFlight.to) return record;
  const { inFlight: _settled, ...rest } = record;
  return rest;
}

/**
 * Why the group may not grow at `now` (backed off until ...), or undefined.
 *
 * @example backoffReason(record, now) // 'backed off until 2025-06-03T08:01:00.000Z after 1 failure: capacity: ...'
 */
export function backoffReason(record: GroupRecord | undefined, now: number): string | undefined {
  const backoff = record?.backoff;
  if (!backoff || backoff.until <= now) return undefined;
  const failures = `${backoff.failures} failure${backoff.failures === 1 ? '' : 's'}`;
  return `backed off until ${new Date(backoff.until).toISOString()} after ${failures}: ${backoff.reason}`;
}

/**
 * The offerings a failure shows to be out of capacity (or not offered), each remembered for `ttlMs` so
 * that every pool with the same type, zone and capacity type skips it; none when `ttlMs` is 0.
 *
 * @example unavailableOfferingsAfter(failure, 180_000) // [{ instanceType: 'm5.large', ..., until: failure.at + 180_000 }]
 */
export function unavailableOfferingsAfter(failure: ScaleUpFailure, ttlMs: number): UnavailableOffering[] {
  if (ttlMs <= 0 || (failure.kind !== 'capacity' && failure.kind !== 'unsupported')) return [];
  const reason = failureReason(failure);
  return failure.offerings.map((offering) => ({
    instanceType: offering.instanceType,
    zone: offering.zone,
    capacityType: offering.capacityType,
    until: failure.at + ttlMs,
    reason,
  }));
}

/**
 * An offering's identity.
 *
 * @example offeringKey({ instanceType: 'm5.large', zone: 'eu-central-1a', capacityType: 'spot' })
 * // 'm5.large#eu-central-1a#spot'
 */
export function offeringKey(offering: Offering): string {
  return `${offering.instanceType}#${offering.zone}#${offering.capacityType}`;
}

/** The entry that makes `offering` unavailable at `now` (the one lasting longest), or undefined. */
export function findUnavailableOffering(
  offerings: readonly UnavailableOffering[],
  offering: Offering,
  now: number,
): UnavailableOffering | undefined {
  const key = offeringKey(offering);
  let found: UnavailableOffering | undefined;
  for (const candidate of offerings) {
    if (candidate.until <= now || offeringKey(candidate) !== key) continue;
    if (!found || candidate.until > found.until) found = candidate;
  }
  return found;
}

/** Whether pools must skip `offering` at `now`. */
export function isOfferingUnavailable(
  offerings: readonly UnavailableOffering[],
  offering: Offering,
  now: number,
): boolean {
  return findUnavailableOffering(offerings, offering, now) !== undefined;
}

/** Sort-key prefix of every node-pool state item of a cluster. */
export const NODE_POOL_STATE_PREFIX = 'pool#';
/** Sort-key prefix of the group records. */
export const GROUP_RECORD_PREFIX = `${NODE_POOL_STATE_PREFIX}group#`;
/** Sort-key prefix of the unavailable offerings. */
export const OFFERING_RECORD_PREFIX = `${NODE_POOL_STATE_PREFIX}offering#`;

/**
 * The state key of a group's record.
 *
 * @example groupRecordKey('nodes-a') // 'pool#group#nodes-a'
 */
export function groupRecordKey(asgName: string): string {
  return `${GROUP_RECORD_PREFIX}${asgName}`;
}

/**
 * The state key of an unavailable offering: one item per offering, so concurrent writers of different
 * offerings never conflict, and its TTL is the offering's.
 *
 * @example unavailableOfferingKey({ instanceType: 'm5.large', zone: 'eu-central-1a', capacityType: 'spot' })
 * // 'pool#offering#m5.large#eu-central-1a#spot'
 */
export function unavailableOfferingKey(offering: Offering): string {
  return `${OFFERING_RECORD_PREFIX}${offeringKey(offering)}`;
}

const epochMs = z.number().finite();
const count = z.number().int().min(0);

export const offeringSchema = z.object({
  instanceType: z.string().min(1),
  zone: z.string().min(1),
  capacityType: z.enum(['on-demand', 'spot']),
});

export const unavailableOfferingSchema = offeringSchema.extend({ until: epochMs, reason: z.string() });

/** The stored form of a group record; unknown fields are dropped on read, so older code reads newer items. */
export const groupRecordSchema = z.object({
  asgName: z.string().min(1),
  inFlight: z
    .object({ since: epochMs, from: count, to: count, podCount: count, pods: z.array(z.string()) })
    .optional(),
  backoff: z
    .object({ failures: z.number().int().min(1), until: epochMs, lastFailureAt: epochMs, reason: z.string() })
    .optional(),
  reportedFailure: z.object({ at: epochMs, message: z.string() }).optional(),
  lastScaleUpAt: epochMs.optional(),
});

export { CorruptStateError };

/** A group record as a JSON-safe plain object (no undefined fields, no shared arrays). */
export function encodeGroupRecord(record: GroupRecord): GroupRecord {
  const stored: GroupRecord = { asgName: record.asgName };
  if (record.inFlight) stored.inFlight = { ...record.inFlight, pods: [...record.inFlight.pods] };
  if (record.backoff) stored.backoff = { ...record.backoff };
  if (record.reportedFailure) stored.reportedFailure = { ...record.reportedFailure };
  if (record.lastScaleUpAt !== undefined) stored.lastScaleUpAt = record.lastScaleUpAt;
  return stored;
}

/**
 * A stored group record, validated; throws `CorruptStateError` saying what is wrong, so the loop can
 * report and skip the item.
 *
 * @example parseGroupRecord({ asgName: 'nodes-a', inFlight: { since: 'soon' } })
 * // throws CorruptStateError('not a valid group record: inFlight.since: ...')
 */
export function parseGroupRecord(data: unknown): GroupRecord {
  return parseStoredData(groupRecordSchema, 'group record', data);
}

/** An unavailable offering as a JSON-safe plain object. */
export function encodeUnavailableOffering(offering: UnavailableOffering): UnavailableOffering {
  return {
    instanceType: offering.instanceType,
    zone: offering.zone,
    capacityType: offering.capacityType,
    until: offering.until,
    reason: offering.reason,
  };
}

/** A stored unavailable offering, validated; throws `CorruptStateError`. */
export function parseUnavailableOffering(data: unknown): UnavailableOffering {
  return parseStoredData(unavailableOfferingSchema, 'unavailable offering', data);
}
