/**
 * The EMF line a loop function prints after an invocation (shared/runtime/tick-metrics.ts), as
 * CloudWatch reads it: one metric per counter, summed over the ticks, with the cluster as dimension.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishTickMetrics } from '../../../shared/runtime/tick-metrics';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('publishTickMetrics', () => {
  it('should sum each counter over the ticks and say whether the lease was held elsewhere', () => {
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: 'Tideplane', serviceName: 'tideplane-test' });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    publishTickMetrics(
      metrics,
      { cluster: 'kube-1', status: 'ran', ticks: [{ writes: 2 }, { writes: 3 }] },
      { Writes: (t) => t.writes },
      { Ratio: 0.5 },
    );
    log.mockRestore();
    const emf = lines
      .map((line) => line.trim())
      .find((line) => line.startsWith('{') && line.includes('_aws'));
    if (!emf) throw new Error(`no EMF line in ${JSON.stringify(lines)}`);
    const record = JSON.parse(emf) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Dimensions: string[][]; Namespace: string }[] };
    };
    expect(record).toMatchObject({ cluster: 'kube-1', Ticks: 2, Writes: 5, Ratio: 0.5, LeaseHeld: 0 });
    expect(record._aws.CloudWatchMetrics[0]?.Namespace).toBe('Tideplane');
    expect(record._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['cluster', 'service']),
    );
  });
});
