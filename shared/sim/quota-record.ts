/**
 * What the quota loop did over a simulated run and what the account's quotas looked like meanwhile: each
 * run's decisions and filings, AWS's side of every increase request (when it was filed, when the case was
 * opened, when AWS answered), the launches a vCPU quota refused, and per quota its usage, the value in
 * force and the loop's demand at the sample instants, for the "quota demand vs limit" charts.
 */
import type { QuotaRunResult } from '../loops/quota-loop';
import type { QuotaRequestStatus } from '../ports/service-quotas';
import type { QuotaAction } from '../quotas/decide';
import type { SimQuotaRequestRecord } from './service-quotas';
import type { VcpuRefusal } from './vcpu-limits';

/** One quota's decision in one run, as a report shows it. */
export interface QuotaDecisionRecord {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  demand: number;
  required: number;
  applied?: number;
  usage?: number;
  action: QuotaAction['kind'];
  /** What a `wait` waits for. */
  awaiting?: 'aws' | 'applied-value' | 'filing';
  /** AWS answered since the last run (reported once). */
  outcome?: 'approved' | 'denied';
  alarm: boolean;
  reason: string;
}

/** One run of the quota loop. */
export interface QuotaLoopRunRecord {
  time: number;
  dryRun: boolean;
  decisions: QuotaDecisionRecord[];
  /** Requests this run filed (or found open at AWS when it tried). */
  filed: { quotaCode: string; desiredValue: number; requestId?: string; alreadyOpen: boolean }[];
  failures: string[];
  awsCalls: number;
  recordWrites: number;
}

/** A quota over the run, at the sample instants of `QuotaRun.times`. */
export interface QuotaSeries {
  serviceCode: string;
  quotaCode: string;
  quotaName: string;
  /** vCPUs in use (booting and in service). */
  usage: number[];
  /** The value in force (applied, else AWS's default). */
  limit: number[];
  /** The newest run's demand at the pools' maxima, and with headroom; null before the first run. */
  demand: (number | null)[];
  required: (number | null)[];
}

/** An increase request, AWS's side, with its status when the run ended. */
export interface QuotaRequestOutcome extends SimQuotaRequestRecord {
  statusAtEnd: QuotaRequestStatus;
}

/** The quota loop's side of a run (present when it ran). */
export interface QuotaRun {
  accountId: string;
  region: string;
  intervalMs: number;
  /** Sample instants (the run's `series.times`). */
  times: number[];
  runs: QuotaLoopRunRecord[];
  quotas: QuotaSeries[];
  requests: QuotaRequestOutcome[];
  refusals: VcpuRefusal[];
}

/** The run as a report keeps it (no ids of the ports' objects, nothing shared with them). */
export function quotaLoopRunRecord(result: QuotaRunResult): QuotaLoopRunRecord {
  return {
    time: result.time,
    dryRun: result.dryRun,
    decisions: result.decisions.map((decision) => ({
      serviceCode: decision.serviceCode,
      quotaCode: decision.quotaCode,
      quotaName: decision.quotaName,
      demand: decision.demand,
      required: decision.required,
      ...(decision.applied !== undefined ? { applied: decision.applied } : {}),
      ...(decision.usage !== undefined ? { usage: decision.usage } : {}),
      action: decision.action.kind,
      ...(decision.action.kind === 'wait' ? { awaiting: decision.action.awaiting } : {}),
      ...(decision.outcome ? { outcome: decision.outcome.result } : {}),
      alarm: decision.alarm,
      reason: decision.reason,
    })),
    filed: result.filed.map((filed) => ({
      quotaCode: filed.quotaCode,
      desiredValue: filed.desiredValue,
      ...(filed.requestId !== undefined ? { requestId: filed.requestId } : {}),
      alreadyOpen: filed.alreadyOpen,
    })),
    failures: result.failures.map(
      (failure) =>
        `${failure.step}${failure.quotaCode ? ` ${failure.quotaCode}` : ''}: ${failure.reason}: ${failure.message}`,
    ),
    awsCalls: result.counts.awsCalls,
    recordWrites: result.counts.recordWrites,
  };
}

/** Where the recorder reads the account: values in force at any instant, usage now, requests. */
export interface QuotaWorldView {
  accountId: string;
  region: string;
  value(quotaCode: string, at: number): number;
  definition(quotaCode: string): { serviceCode: string; name: string } | undefined;
  usage(): Map<string, number>;
  requests(): SimQuotaRequestRecord[];
  statusOf(request: SimQuotaRequestRecord, at: number): QuotaRequestStatus;
  refusals(): readonly VcpuRefusal[];
}

/**
 * Collects a run: `run` after each loop run, `sample` at each sample instant, `finish` once.
 *
 * @example
 * const recorder = new QuotaRecorder(view, 2 * 3_600_000);
 * recorder.run(await runQuotaTick(deps, region));
 * recorder.sample(now);
 * const run = recorder.finish(end);
 */
export class QuotaRecorder {
  private readonly runs: QuotaLoopRunRecord[] = [];
  private readonly times: number[] = [];
  private readonly usage: Map<string, number>[] = [];

  constructor(
    private readonly view: QuotaWorldView,
    private readonly intervalMs: number,
  ) {}

  run(result: QuotaRunResult): void {
    this.runs.push(quotaLoopRunRecord(result));
  }

  sample(now: number): void {
    this.times.push(now);
    this.usage.push(this.view.usage());
  }

  finish(end: number): QuotaRun {
    const requests = this.view.requests();
    const refusals = [...this.view.refusals()];
    // Quotas worth a chart: what the loop found demand for, what instances use, what was asked or refused.
    const codes = new Set<string>();
    for (const run of this.runs) {
      for (const decision of run.decisions) if (decision.demand > 0) codes.add(decision.quotaCode);
    }
    for (const sample of this.usage) for (const code of sample.keys()) codes.add(code);
    for (const request of requests) codes.add(request.quotaCode);
    for (const refusal of refusals) codes.add(refusal.quotaCode);
    const quotas: QuotaSeries[] = [];
    for (const code of codes) {
      const definition = this.view.definition(code);
      if (!definition) continue;
      let runIndex = -1;
      const demand: (number | null)[] = [];
      const required: (number | null)[] = [];
      for (const time of this.times) {
        while (
          runIndex + 1 < this.runs.length &&
          (this.runs[runIndex + 1] as QuotaLoopRunRecord).time <= time
        ) {
          runIndex++;
        }
        const decision = this.runs[runIndex]?.decisions.find((candidate) => candidate.quotaCode === code);
        demand.push(decision ? decision.demand : null);
        required.push(decision ? decision.required : null);
      }
      quotas.push({
        serviceCode: definition.serviceCode,
        quotaCode: code,
        quotaName: definition.name,
        usage: this.usage.map((sample) => sample.get(code) ?? 0),
        limit: this.times.map((time) => this.view.value(code, time)),
        demand,
        required,
      });
    }
    return {
      accountId: this.view.accountId,
      region: this.view.region,
      intervalMs: this.intervalMs,
      times: [...this.times],
      runs: this.runs,
      quotas,
      requests: requests.map((request) => ({ ...request, statusAtEnd: this.view.statusOf(request, end) })),
      refusals,
    };
  }
}
