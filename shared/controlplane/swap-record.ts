/**
 * The control-plane swap as the state store keeps it (`cp#swap`, one per cluster): which type it goes
 * to, how far it got, and what it must put back if it rolls back. Written before every step, read back
 * validated, so a Lambda that dies anywhere resumes at the next tick. A finished swap stays until the
 * next one starts (its outcome is history for cooldowns and flapping, kept in `cp#history`).
 */
import { z } from 'zod';
import { drainRecordSchema } from '../nodepools/drain';
import { classifyFailureMessage } from '../nodepools/failures';
import { parseStoredData } from '../units/stored-data';

export const SWAP_KEY = 'cp#swap';
export const SWAP_HISTORY_KEY = 'cp#history';

const epochMs = z.number().finite();

export const swapGroupSchema = z.object({
  name: z.string().min(1),
  launchTemplateId: z.string().min(1),
  /** The version the group launched before the swap, as it named it (`3`, `$Latest`, `$Default`). */
  originalVersion: z.string().min(1),
  /** That version's number, the source of the new version. */
  originalVersionNumber: z.number().int().min(1),
  /** The version the swap created (same template, the new type). */
  newVersion: z.number().int().min(1).optional(),
  originalMinSize: z.number().int().min(0),
  originalMaxSize: z.number().int().min(0),
  originalDesired: z.number().int().min(0),
});

export const replacementSchema = z.object({
  /** The instance being replaced, and its group. */
  old: z.string().min(1),
  group: z.string().min(1),
  state: z.enum(['surging', 'waiting-new', 'deregistering', 'draining']),
  stateSince: epochMs,
  /** The group's desired capacity and maximum during the surge (absolute, so a retry adds nothing). */
  desiredTarget: z.number().int().min(1),
  maxTarget: z.number().int().min(1),
  /** The group's instances when the surge began: the new instance is the one not among them. */
  known: z.array(z.string()),
  surgeSince: epochMs.optional(),
  newInstanceId: z.string().optional(),
  deregisteredAt: epochMs.optional(),
  drain: drainRecordSchema.optional(),
  /** When the old instance is terminated without a drain (it has no Node), epoch ms of the request. */
  terminateRequestedAt: epochMs.optional(),
});

export const ec2SwapSchema = z.object({
  kind: z.literal('ec2'),
  id: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  direction: z.enum(['up', 'down']),
  reason: z.string(),
  startedAt: epochMs,
  state: z.enum(['preparing', 'replacing', 'finishing', 'rolling-back', 'done', 'rolled-back', 'failed']),
  stateSince: epochMs,
  groups: z.array(swapGroupSchema).min(1),
  targetGroupArns: z.array(z.string()),
  /** API servers healthy behind the load balancer when the swap started: never fewer until it ends. */
  healthyAtStart: z.number().int().min(0),
  /** Instances still to replace, in order. */
  toReplace: z.array(z.object({ instanceId: z.string().min(1), group: z.string().min(1) })),
  replacing: replacementSchema.optional(),
  replaced: z.array(z.object({ old: z.string(), new: z.string() })),
  /** Why it rolled back or failed. */
  failure: z.string().optional(),
  /** Set on rollback when the new type itself is to blame (launch failure, never healthy). */
  typeUnavailable: z.boolean().optional(),
});

export const eksSwapSchema = z.object({
  kind: z.literal('eks'),
  id: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  direction: z.enum(['up', 'down']),
  reason: z.string(),
  startedAt: epochMs,
  state: z.enum(['updating', 'waiting', 'done', 'rolled-back', 'failed']),
  stateSince: epochMs,
  eksCluster: z.string().min(1),
  updateId: z.string().optional(),
  failure: z.string().optional(),
  typeUnavailable: z.boolean().optional(),
});

export const swapRecordSchema = z.discriminatedUnion('kind', [ec2SwapSchema, eksSwapSchema]);

export type SwapGroup = z.infer<typeof swapGroupSchema>;
export type Replacement = z.infer<typeof replacementSchema>;
export type Ec2SwapRecord = z.infer<typeof ec2SwapSchema>;
export type EksSwapRecord = z.infer<typeof eksSwapSchema>;
export type SwapRecord = z.infer<typeof swapRecordSchema>;

const FINISHED = new Set(['done', 'rolled-back', 'failed']);

/** Whether the swap has nothing left to do (`failed` waits for a person, but acts no more). */
export function isFinished(swap: SwapRecord): boolean {
  return FINISHED.has(swap.state);
}

/** One finished swap, as cooldowns and flapping detection need it. */
export const historyEntrySchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  direction: z.enum(['up', 'down']),
  startedAt: epochMs,
  finishedAt: epochMs,
  outcome: z.enum(['done', 'rolled-back', 'failed']),
  failure: z.string().optional(),
});
export type SwapHistoryEntry = z.infer<typeof historyEntrySchema>;

export const swapHistorySchema = z.object({
  entries: z.array(historyEntrySchema),
  /** Types (or tiers) that failed, until when (epoch ms). */
  unavailable: z.record(z.string(), epochMs),
  /**
   * EC2 types whose launch the account's vCPU quota refused, until when. Not the type's fault: every
   * larger rung counted by the same quota would be refused too (see `quotaRefusedTypes`).
   */
  quotaRefused: z.record(z.string(), epochMs).optional(),
});
export type SwapHistory = z.infer<typeof swapHistorySchema>;

/** A stored swap, validated; throws `CorruptStateError` saying what is wrong. */
export function parseSwapRecord(data: unknown): SwapRecord {
  return parseStoredData(swapRecordSchema, 'control-plane swap record', data);
}

/** Stored history, validated; throws `CorruptStateError`. */
export function parseSwapHistory(data: unknown): SwapHistory {
  return parseStoredData(swapHistorySchema, 'control-plane swap history', data);
}

/** A JSON-safe copy (zod's parse drops undefined fields; the store must never see them). */
export function encodeSwapRecord(swap: SwapRecord): SwapRecord {
  return JSON.parse(JSON.stringify(swap)) as SwapRecord;
}

/**
 * The history with a finished swap added, entries older than `keepMs` dropped, and the new type marked
 * unavailable for `unavailableMs` when the swap blamed it.
 *
 * @example recordOutcome(history, swap, now, { keepMs: 7 * DAY, unavailableMs: HOUR }).entries.at(-1)
 * // { id, from: 'm6i.xlarge', to: 'm6i.2xlarge', direction: 'up', outcome: 'done', ... }
 */
export function recordOutcome(
  history: SwapHistory,
  swap: SwapRecord,
  now: number,
  options: { keepMs: number; unavailableMs: number },
): SwapHistory {
  const outcome = swap.state === 'done' ? 'done' : swap.state === 'failed' ? 'failed' : 'rolled-back';
  const entries = history.entries.filter(
    (entry) => entry.id !== swap.id && now - entry.finishedAt < options.keepMs,
  );
  entries.push({
    id: swap.id,
    from: swap.from,
    to: swap.to,
    direction: swap.direction,
    startedAt: swap.startedAt,
    finishedAt: now,
    outcome,
    ...(swap.failure !== undefined ? { failure: swap.failure } : {}),
  });
  const unavailable = stillUnavailable(history.unavailable, now);
  const quotaRefused = stillUnavailable(history.quotaRefused ?? {}, now);
  if (swap.typeUnavailable) {
    unavailable[swap.to] = now + options.unavailableMs;
    if (swap.kind === 'ec2' && classifyFailureMessage(swap.failure ?? '') === 'quota') {
      quotaRefused[swap.to] = now + options.unavailableMs;
    }
  }
  return { entries, unavailable, ...(Object.keys(quotaRefused).length > 0 ? { quotaRefused } : {}) };
}

function stillUnavailable(until: Readonly<Record<string, number>>, now: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [type, time] of Object.entries(until)) if (time > now) out[type] = time;
  return out;
}
