/**
 * The stored swap and its history (shared/controlplane/swap-record.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  encodeSwapRecord,
  isFinished,
  parseSwapHistory,
  parseSwapRecord,
  recordOutcome,
  type SwapRecord,
} from '../../../shared/controlplane/swap-record';
import { CorruptStateError } from '../../../shared/nodepools/failures';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const eks: SwapRecord = {
  kind: 'eks',
  id: 'swap-1',
  from: 'tier-xl',
  to: 'tier-2xl',
  direction: 'up',
  reason: 'load high',
  startedAt: NOW - HOUR,
  state: 'done',
  stateSince: NOW,
  eksCluster: 'prod',
};

describe('parseSwapRecord', () => {
  it('should read back what was encoded', () => {
    expect(parseSwapRecord(encodeSwapRecord(eks))).toEqual(eks);
  });

  it('should say what is wrong with a corrupt record', () => {
    expect(() => parseSwapRecord({ ...eks, state: 'sleeping' })).toThrow(CorruptStateError);
    expect(() => parseSwapRecord({ ...eks, state: 'sleeping' })).toThrow(
      /^not a valid control-plane swap record: state: /,
    );
    expect(() => parseSwapRecord({ kind: 'gke' })).toThrow(/kind/);
  });

  it('should drop undefined fields when encoding, as DynamoDB needs', () => {
    const encoded = encodeSwapRecord({ ...eks, failure: undefined } as unknown as SwapRecord);
    expect('failure' in encoded).toBe(false);
  });
});

describe('recordOutcome', () => {
  const options = { keepMs: 7 * DAY, unavailableMs: HOUR };

  it('should add the finished swap, and forget entries older than the retention', () => {
    const history = {
      entries: [
        {
          id: 'old',
          from: 'a',
          to: 'b',
          direction: 'up' as const,
          startedAt: 0,
          finishedAt: NOW - 8 * DAY,
          outcome: 'done' as const,
        },
        {
          id: 'recent',
          from: 'b',
          to: 'c',
          direction: 'up' as const,
          startedAt: 0,
          finishedAt: NOW - DAY,
          outcome: 'done' as const,
        },
      ],
      unavailable: {},
    };
    const next = recordOutcome(history, eks, NOW, options);
    expect(next.entries.map((e) => e.id)).toEqual(['recent', 'swap-1']);
    expect(next.entries[1]).toEqual({
      id: 'swap-1',
      from: 'tier-xl',
      to: 'tier-2xl',
      direction: 'up',
      startedAt: NOW - HOUR,
      finishedAt: NOW,
      outcome: 'done',
    });
    expect(parseSwapHistory(next)).toEqual(next);
  });

  it('should mark the new type unavailable when the swap blamed it, and drop expired marks', () => {
    const rolledBack: SwapRecord = {
      ...eks,
      state: 'rolled-back',
      failure: 'capacity',
      typeUnavailable: true,
    };
    const next = recordOutcome(
      { entries: [], unavailable: { 'tier-4xl': NOW - 1 } },
      rolledBack,
      NOW,
      options,
    );
    expect(next.unavailable).toEqual({ 'tier-2xl': NOW + HOUR });
    expect(next.entries[0]).toMatchObject({ outcome: 'rolled-back', failure: 'capacity' });
  });

  const ec2RolledBack = (failure: string): SwapRecord => ({
    kind: 'ec2',
    id: 'swap-2',
    from: 'm6i.large',
    to: 'm6i.xlarge',
    direction: 'up',
    reason: 'load high',
    startedAt: NOW - HOUR,
    state: 'rolled-back',
    stateSince: NOW,
    groups: [],
    targetGroupArns: [],
    healthyAtStart: 3,
    toReplace: [],
    replaced: [],
    failure: `m6i.xlarge could not launch: ${failure}`,
    typeUnavailable: true,
  });

  it('given a launch the vCPU quota refused, should also keep the type as refused by the quota', () => {
    const refused = ec2RolledBack(
      'You have requested more vCPU capacity than your current vCPU limit of 1280 allows for the instance bucket that the specified instance type belongs to.',
    );
    const next = recordOutcome(
      { entries: [], unavailable: {}, quotaRefused: { 'm6i.2xlarge': NOW - 1 } },
      refused,
      NOW,
      options,
    );
    expect(next.unavailable).toEqual({ 'm6i.xlarge': NOW + HOUR });
    expect(next.quotaRefused).toEqual({ 'm6i.xlarge': NOW + HOUR });
    expect(parseSwapHistory(next)).toEqual(next);
  });

  it('given a launch that failed for capacity, should not blame the quota', () => {
    const next = recordOutcome(
      { entries: [], unavailable: {} },
      ec2RolledBack('InsufficientInstanceCapacity - We currently do not have sufficient m6i.xlarge capacity'),
      NOW,
      options,
    );
    expect(next.unavailable).toEqual({ 'm6i.xlarge': NOW + HOUR });
    expect('quotaRefused' in next).toBe(false);
  });

  it('should record a swap once, however often it is reported', () => {
    const once = recordOutcome({ entries: [], unavailable: {} }, eks, NOW, options);
    expect(recordOutcome(once, eks, NOW + 1000, options).entries).toHaveLength(1);
  });
});

describe('isFinished', () => {
  it('should be true for done, rolled back and failed swaps only', () => {
    expect(
      ['done', 'rolled-back', 'failed'].map((state) => isFinished({ ...eks, state } as SwapRecord)),
    ).toEqual([true, true, true]);
    expect(isFinished({ ...eks, state: 'waiting' })).toBe(false);
  });
});
