/**
 * Reproduces upstream vertical-pod-autoscaler/pkg/recommender/util/decaying_histogram_test.go: the
 * linear test histogram (buckets of 1.0 up to 10) with a half-life of one hour.
 */
import { describe, expect, it } from 'vitest';
import {
  DecayingHistogram,
  GO_ZERO_TIME_MS,
  roundToMultipleSinceGoZero,
} from '../../../shared/vpa/decaying-histogram';
import { linearHistogramOptions } from '../../../shared/vpa/histogram-options';
import { expectRelative, HOUR } from './fixtures';

const testOptions = linearHistogramOptions(10.0, 1.0, 1e-15);
/** Upstream `startTime = time.Unix(1234567890, 0)` = 2009-02-13T23:31:30Z. */
const START = 1_234_567_890_000;

describe('DecayingHistogram', () => {
  // decaying_histogram_test.go: TestPercentilesEmptyDecayingHistogram
  it('given no samples, should return 0 for any percentile', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    for (const p of [-0.5, 0, 0.5, 1, 1.5]) expect(h.percentile(p)).toBe(0);
  });

  // decaying_histogram_test.go: TestSimpleDecay
  it('given a heavy sample 20 half-lives old, should let a light new sample dominate but not erase it', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    h.addSample(2, 1000, START);
    // 2^20 * 0.001 > 1000: the new sample weighs more than 99.9% of the total.
    h.addSample(1, 1, START + 20 * HOUR);
    expectRelative(h.percentile(0.999), 2);
    expectRelative(h.percentile(1.0), 3);
  });

  // decaying_histogram_test.go: TestLongtermDecay
  it('given samples more than 2^100 apart in decay, should renormalise and forget the old one', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    h.addSample(2, 1, START);
    h.addSample(1, 1, START + 101 * HOUR);
    expectRelative(h.percentile(1.0), 2);
  });

  // decaying_histogram_test.go: TestDecayingHistogramPercentiles
  it('given samples 1..4 one half-life apart, should weight them 1/8, 2/4, 3/2, 4', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    for (let i = 1; i <= 4; i++) h.addSample(i, i, START + (i - 1) * HOUR);
    const expected: [number, number][] = [
      [0.0, 2],
      [0.02, 2],
      [0.03, 3],
      [0.1, 3],
      [0.11, 4],
      [0.34, 4],
      [0.35, 5],
      [1.0, 5],
    ];
    for (const [p, value] of expected) expectRelative(h.percentile(p), value);
  });

  // decaying_histogram_test.go: TestNoDecay
  it('given samples at one time, should behave as a plain histogram', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    for (let i = 1; i <= 4; i++) h.addSample(i, i, START);
    const expected: [number, number][] = [
      [0.0, 2],
      [0.2, 3],
      [0.1, 2],
      [0.3, 3],
      [0.4, 4],
      [0.5, 4],
      [0.6, 4],
      [0.7, 5],
      [0.8, 5],
      [0.9, 5],
      [1.0, 5],
    ];
    for (const [p, value] of expected) expectRelative(h.percentile(p), value);
  });

  // decaying_histogram_test.go: TestDecayingHistogramMerge
  it('should merge by aligning the older reference timestamp with the younger one', () => {
    const h1 = new DecayingHistogram(testOptions, HOUR);
    h1.addSample(1, 1, START);
    h1.addSample(2, 1, START + HOUR);
    const h2 = new DecayingHistogram(testOptions, HOUR);
    h2.addSample(2, 1, START + 2 * HOUR);
    h2.addSample(3, 1, START + HOUR);
    const expected = new DecayingHistogram(testOptions, HOUR);
    expected.addSample(2, 1, START + 2 * HOUR);
    expected.addSample(2, 1, START + HOUR);
    expected.addSample(3, 1, START + HOUR);
    expected.addSample(1, 1, START);
    const h2Reference = h2.referenceTimestamp;
    h1.merge(h2);
    expect(h1.equals(expected)).toBe(true);
    expect(h2.referenceTimestamp).toBe(h2Reference);
  });

  // decaying_histogram_test.go: TestDecayingHistogramSaveToCheckpoint
  it('should save the reference timestamp, rounded to the half-life, with the buckets', () => {
    const h = new DecayingHistogram(testOptions, HOUR);
    h.addSample(2, 1, START + 100 * HOUR); // 2009-02-18T03:31:30Z
    const checkpoint = h.saveToCheckpoint();
    expect(checkpoint.referenceTimestamp).toBe(Date.parse('2009-02-18T04:00:00Z'));
    expect([...checkpoint.bucketWeights]).toEqual([[2, 10_000]]);
    // 2^(-28.5 min / 60 min)
    expect(checkpoint.totalWeight).toBeCloseTo(0.71946679, 8);
  });

  // decaying_histogram_test.go: TestDecayingHistogramLoadFromCheckpoint
  it('should load buckets and adopt the reference timestamp of a checkpoint', () => {
    const timestamp = Date.parse('2018-01-02T03:04:05Z');
    const h = new DecayingHistogram(testOptions, HOUR);
    h.loadFromCheckpoint({ totalWeight: 6, bucketWeights: new Map([[0, 1]]), referenceTimestamp: timestamp });
    expect(h.isEmpty()).toBe(false);
    expect(h.referenceTimestamp).toBe(timestamp);
  });

  it("should round like Go's Time.Round, counting from Go's zero time, halfway up", () => {
    expect(GO_ZERO_TIME_MS).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(roundToMultipleSinceGoZero(Date.parse('2017-04-18T17:35:05Z'), 24 * HOUR)).toBe(
      Date.parse('2017-04-19T00:00:00Z'),
    );
    expect(roundToMultipleSinceGoZero(Date.parse('2017-04-18T11:59:59Z'), 24 * HOUR)).toBe(
      Date.parse('2017-04-18T00:00:00Z'),
    );
    expect(roundToMultipleSinceGoZero(Date.parse('2017-04-18T12:00:00Z'), 24 * HOUR)).toBe(
      Date.parse('2017-04-19T00:00:00Z'),
    );
  });
});
