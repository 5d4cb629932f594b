/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/model/container_test.go and
 * aggregate_container_state_test.go. Upstream checks the histogram calls with mocks; here the same
 * facts are read off the real histograms: which bucket got which weight, at which window end.
 *
 * Times: testTimestamp = 2017-04-18T17:35:05Z. With a 24 h half-life a histogram's first sample moves
 * its reference to that sample's time rounded to a day: the CPU histogram's (first sample at T) to
 * 2017-04-19T00:00Z, the memory histogram's (first peak at the window end T + 24 h) to 2017-04-20T00:00Z.
 * A sample 6 h 24 m 55 s before its reference weighs 2^(−0.2673) = 0.8309, 12 h later 1.1750, 24 h later
 * 1.6617.
 */
import { describe, expect, it } from 'vitest';
import {
  addCpuSample,
  addMemorySample,
  type ContainerAggregateState,
  isContainerStateExpired,
  newContainerState,
  recordUpstreamOom,
} from '../../../shared/vpa/container-state';
import { DEFAULT_RECOMMENDER_OPTIONS, type RecommenderOptions } from '../../../shared/vpa/options';
import { DAY, HOUR, MiB, TEST_TIMESTAMP } from './fixtures';

const T = TEST_TIMESTAMP;
const INTERVAL = DAY;
/** 2^((t − ref)/24 h) for t = ref − 6 h 24 m 55 s, 12 h later, 24 h later. */
const DECAY_AT_T = 0.830871202034529;
const DECAY_AT_T_PLUS_12H = 1.17502932250247;
const DECAY_AT_T_PLUS_24H = 1.66174240406906;
/** A memory histogram's first peak (at T + 24 h) relative to its own reference. */
const FIRST_PEAK = DECAY_AT_T;
const POD = 'pod-1';

function fresh(): ContainerAggregateState {
  return newContainerState(T, DEFAULT_RECOMMENDER_OPTIONS);
}

function oomOptions(overrides: Partial<RecommenderOptions> = {}): RecommenderOptions {
  return { ...DEFAULT_RECOMMENDER_OPTIONS, ...overrides };
}

describe('container state: usage samples', () => {
  // container_test.go: TestAggregateContainerUsageSamples
  it('should add CPU samples at weight 0.1 and keep one memory peak per pod and interval', () => {
    const s = fresh();
    const step = INTERVAL / 2;
    expect(addCpuSample(s, POD, T, 3140, 0.1)).toBe('added');
    expect(addMemorySample(s, POD, T, 5, INTERVAL)).toBe('added');
    expect(addCpuSample(s, POD, T + step, 6280, 0.1)).toBe('added');
    expect(addMemorySample(s, POD, T + step, 10, INTERVAL)).toBe('added');
    expect(addCpuSample(s, POD, T + 2 * step, 1570, 0.1)).toBe('added');
    expect(addMemorySample(s, POD, T + 2 * step, 2, INTERVAL)).toBe('added');

    expect(addCpuSample(s, POD, T + 2 * step, 1000, 0.1)).toBe('out-of-order');
    expect(addCpuSample(s, POD, T + 4 * step, -1000, 0.1)).toBe('invalid');
    expect(addMemorySample(s, POD, T + 4 * step, -1000, INTERVAL)).toBe('invalid');

    // 3.14, 6.28 and 1.57 cores fall in buckets 57, 71 and 44.
    expect(s.cpu.bucketWeight(57)).toBeCloseTo(0.1 * DECAY_AT_T, 14);
    expect(s.cpu.bucketWeight(71)).toBeCloseTo(0.1 * DECAY_AT_T_PLUS_12H, 14);
    expect(s.cpu.bucketWeight(44)).toBeCloseTo(0.1 * DECAY_AT_T_PLUS_24H, 14);
    expect(s.totalSamplesCount).toBe(3);
    expect(s.firstSampleStart).toBe(T);
    expect(s.lastSampleStart).toBe(T + DAY);
    // Peaks 5 then 10 (replacing 5) at the first window end T+24h, then 2 at T+48h; all in bucket 0.
    expect(s.memory.bucketWeight(0)).toBeCloseTo(FIRST_PEAK + DECAY_AT_T_PLUS_24H, 14);
    expect(s.pods.get(POD)).toMatchObject({ windowEnd: T + 2 * DAY, memoryPeak: 2, oomPeak: 0 });
  });

  // aggregate_container_state_test.go: TestAggregateStateByContainerName (app-A in two pods)
  it('given the same container in two pods, should aggregate both into one state', () => {
    const s = fresh();
    addCpuSample(s, 'pod-1', T, 1000, 0.1);
    addCpuSample(s, 'pod-2', T, 3000, 0.1);
    addMemorySample(s, 'pod-1', T, 2e9, INTERVAL);
    addMemorySample(s, 'pod-2', T, 4e9, INTERVAL);
    expect(s.totalSamplesCount).toBe(2);
    // 1.0 and 3.0 cores: buckets 36 and 56; 2e9 and 4e9 bytes: buckets 49 and 62, at T+24h.
    expect(s.cpu.bucketWeight(36)).toBeCloseTo(0.1 * DECAY_AT_T, 14);
    expect(s.cpu.bucketWeight(56)).toBeCloseTo(0.1 * DECAY_AT_T, 14);
    expect(s.memory.bucketWeight(49)).toBeCloseTo(FIRST_PEAK, 14);
    expect(s.memory.bucketWeight(62)).toBeCloseTo(FIRST_PEAK, 14);
  });

  // container_test.go: TestMemorySamplesWithCustomAggregationInterval
  it('given a 1 h interval, should put samples 2 h apart into separate windows', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 5, HOUR);
    expect(s.pods.get(POD)?.windowEnd).toBe(T + HOUR);
    addMemorySample(s, POD, T + 2 * HOUR, 10, HOUR);
    expect(s.pods.get(POD)?.windowEnd).toBe(T + 3 * HOUR);
    expect(s.pods.get(POD)?.memoryPeak).toBe(10);
  });

  // container_test.go: TestMemoryPeakUpdateWithinCustomInterval
  it('given a 1 h interval, should replace the peak of a sample 30 min later', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 5, HOUR);
    addMemorySample(s, POD, T + 30 * 60_000, 10, HOUR);
    expect(s.pods.get(POD)).toMatchObject({ windowEnd: T + HOUR, memoryPeak: 10 });
    expect(s.memory.totalWeight).toBeCloseTo(s.memory.bucketWeight(0), 15);
  });

  // aggregate_container_state_test.go: TestAggregateContainerStateIsExpired
  it('should expire after 8 days without a CPU sample, or 8 days after creation without any', () => {
    const s = fresh();
    s.lastSampleStart = T;
    s.totalSamplesCount = 1;
    expect(isContainerStateExpired(s, T + 7 * DAY, DEFAULT_RECOMMENDER_OPTIONS)).toBe(false);
    expect(isContainerStateExpired(s, T + 8 * DAY, DEFAULT_RECOMMENDER_OPTIONS)).toBe(true);
    const empty = fresh();
    expect(isContainerStateExpired(empty, T + 7 * DAY, DEFAULT_RECOMMENDER_OPTIONS)).toBe(false);
    expect(isContainerStateExpired(empty, T + 8 * DAY, DEFAULT_RECOMMENDER_OPTIONS)).toBe(true);
  });
});

describe('container state: upstream OOM samples', () => {
  // container_test.go: TestRecordOOMIncreasedByBumpUp
  it('given a 1000 MiB request, should add a 1200 MiB peak (+20%) at the window end', () => {
    const s = fresh();
    expect(recordUpstreamOom(s, POD, T, 1000 * MiB, undefined, oomOptions())).toEqual({
      kind: 'sample',
      sampleBytes: 1200 * MiB,
    });
    expect(s.pods.get(POD)).toMatchObject({ windowEnd: T + DAY, oomPeak: 1200 * MiB, memoryPeak: 0 });
    expect(s.memory.bucketWeight(40)).toBeCloseTo(FIRST_PEAK, 14);
  });

  // container_test.go: TestRecordOOMDontRunAway
  it('given repeated OOMs, should replace the OOM peak only when a larger request is killed', () => {
    const s = fresh();
    recordUpstreamOom(s, POD, T, 1000 * MiB, undefined, oomOptions());
    recordUpstreamOom(s, POD, T, 999 * MiB, undefined, oomOptions());
    recordUpstreamOom(s, POD, T, 999 * MiB, undefined, oomOptions());
    expect(s.pods.get(POD)?.oomPeak).toBe(1200 * MiB);
    expect(s.memory.totalWeight).toBeCloseTo(FIRST_PEAK, 14);
    recordUpstreamOom(s, POD, T, 2000 * MiB, undefined, oomOptions());
    expect(s.pods.get(POD)?.oomPeak).toBe(2400 * MiB);
    expect(s.memory.bucketWeight(40)).toBe(0);
    expect(s.memory.bucketWeight(53)).toBeCloseTo(FIRST_PEAK, 14);
  });

  // container_test.go: TestRecordOOMIncreasedByMin
  it('given a 1 MiB request, should add at least 100 MiB', () => {
    const s = fresh();
    expect(recordUpstreamOom(s, POD, T, 1 * MiB, undefined, oomOptions())).toEqual({
      kind: 'sample',
      sampleBytes: 101 * MiB,
    });
  });

  // container_test.go: TestRecordOOMMaxedWithKnownSample
  it('given a usage peak above the request, should bump the peak (3000 → 3600 MiB)', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 3000 * MiB, INTERVAL);
    expect(recordUpstreamOom(s, POD, T, 1000 * MiB, undefined, oomOptions())).toEqual({
      kind: 'sample',
      sampleBytes: 3600 * MiB,
    });
    expect(s.memory.bucketWeight(61)).toBeCloseTo(FIRST_PEAK, 14);
    expect(s.memory.totalWeight).toBeCloseTo(FIRST_PEAK, 14);
  });

  // container_test.go: TestRecordOOMDiscardsOldSample
  it('given an OOM older than the current interval, should discard it', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 1000 * MiB, INTERVAL);
    expect(recordUpstreamOom(s, POD, T - 30 * HOUR, 1000 * MiB, undefined, oomOptions())).toEqual({
      kind: 'too-old',
    });
    expect(s.pods.get(POD)?.oomPeak).toBe(0);
  });

  // container_test.go: TestRecordOOMInNewWindow
  it('given an OOM two intervals later, should open a new window and bump the old usage peak', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 2000 * MiB, INTERVAL);
    expect(recordUpstreamOom(s, POD, T + 2 * DAY, 1000 * MiB, undefined, oomOptions())).toEqual({
      kind: 'sample',
      sampleBytes: 2400 * MiB,
    });
    expect(s.pods.get(POD)).toMatchObject({ windowEnd: T + 3 * DAY, memoryPeak: 0, oomPeak: 2400 * MiB });
  });

  // container_test.go: TestRecordOOMDiscardsOldSampleWithCustomInterval
  it('given a 1 h interval, should discard an OOM 2 h old', () => {
    const s = fresh();
    addMemorySample(s, POD, T, 1000 * MiB, HOUR);
    const options = oomOptions({ memoryAggregationIntervalMs: HOUR });
    expect(recordUpstreamOom(s, POD, T - 2 * HOUR, 1000 * MiB, undefined, options)).toEqual({
      kind: 'too-old',
    });
  });

  // container_test.go: TestRecordOOMInNewWindowWithCustomInterval
  it('given a 1 h interval, should shift the window by hours', () => {
    const s = fresh();
    const options = oomOptions({ memoryAggregationIntervalMs: HOUR });
    addMemorySample(s, POD, T, 2000 * MiB, HOUR);
    recordUpstreamOom(s, POD, T + 2 * HOUR, 1000 * MiB, undefined, options);
    expect(s.pods.get(POD)).toMatchObject({ windowEnd: T + 3 * HOUR, oomPeak: 2400 * MiB });
  });

  // container_test.go: TestRecordOOMCapsAtMaxMemory, TestRecordOOMWithoutMaxMemory,
  // TestRecordOOMBelowMaxMemoryNotCapped, TestRecordOOMAtMaxMemoryBoundary
  it('should cap the OOM sample at maxAllowed memory', () => {
    const double = oomOptions({ oomBumpUpRatio: 2, oomMinBumpUpBytes: 0 });
    const cases: [RecommenderOptions, number | undefined, number][] = [
      [double, 1000 * MiB, 1000 * MiB],
      [double, undefined, 2000 * MiB],
      [oomOptions({ oomBumpUpRatio: 1.2, oomMinBumpUpBytes: 0 }), 3000 * MiB, 1200 * MiB],
      [oomOptions({ oomBumpUpRatio: 1.0, oomMinBumpUpBytes: 0 }), 1000 * MiB, 1000 * MiB],
    ];
    for (const [options, maxMemory, sample] of cases) {
      expect(recordUpstreamOom(fresh(), POD, T, 1000 * MiB, maxMemory, options)).toEqual({
        kind: 'sample',
        sampleBytes: sample,
      });
    }
  });
});
