/**
 * Quota limit: the default day's morning, 06:00 to 14:00 CEST, in an account whose Running On-Demand
 * Standard vCPU quota (L-1216C47A) is 160 vCPUs, raised once when the cluster was small. The nodes of
 * 06:00 use 120 of them; the node pools may grow to 1,080 at their maxima (default 75 and fallback 30
 * nodes of 8 vCPUs, search 30 of 8), so the morning ramp runs into the limit at about 08:15.
 *
 * The quota loop runs at 06:00 and then every two hours (QUOTA_SIM_INTERVAL_MS; production: daily). Its
 * first run files one request (the demand with 20 % headroom, 1,296 vCPUs); AWS opens the case 20
 * minutes later and approves it 3 h 30 min after filing, at 09:30. Until then every launch that would take
 * the quota above 160 vCPUs fails with EC2's VcpuLimitExceeded message, the node-pool loop backs the
 * default group off and tries the fallback pool, whose m6i nodes count against the same quota and fail
 * the same way, and pods wait. After the approval the next scale-ups succeed. The later runs follow the
 * request (no second one), report the approval once, and then find the quota enough.
 *
 * The spot pool's quota (L-34B43A08) has room (256 vCPUs for at most 120), so nothing else is limited.
 */
import type { Scenario } from '../scenario';
import {
  type SimQuotaRequestHandling,
  STANDARD_ON_DEMAND_QUOTA_CODE,
  STANDARD_SPOT_QUOTA_CODE,
} from '../service-quotas';
import { createDefaultDayScenario } from './default-day';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Local hour of the day the scenario starts at: before the morning ramp. */
export const QUOTA_LIMIT_START_HOUR = 6;

/**
 * The Standard on-demand value in force at the start: 20 nodes of 8 vCPUs, above the 15 the morning
 * starts with, below what the ramp needs from about 08:15 (without the limit the morning reaches 28).
 */
export const STANDARD_ON_DEMAND_LIMIT = 160;

/** The Standard spot value in force: room for the spot pool's 30 m5.xlarge (120 vCPUs) at its maximum. */
export const STANDARD_SPOT_LIMIT = 256;

/**
 * How AWS answers: the case within 20 minutes, the approval 3 h 30 min after filing, after the ramp hit
 * the limit and before the lunch plateau needs the most.
 */
export const QUOTA_LIMIT_AWS: Required<SimQuotaRequestHandling> = {
  caseOpenedAfterMs: 20 * MINUTE_MS,
  resolvedAfterMs: 3.5 * HOUR_MS,
  outcome: 'APPROVED',
};

export interface QuotaLimitOptions {
  /** @default 8 h (to 14:00) */
  durationMs?: number;
  /** @default the default day's */
  seed?: number;
  /** @default STANDARD_ON_DEMAND_LIMIT */
  standardOnDemandLimit?: number;
  /** @default QUOTA_LIMIT_AWS */
  aws?: SimQuotaRequestHandling;
  /** How often the quota loop runs. @default QUOTA_SIM_INTERVAL_MS */
  quotaIntervalMs?: number;
}

/**
 * @example
 * const result = await runSimulation(createQuotaLimitScenario(), { controllers });
 * result.quotas?.requests[0]; // filed 06:00, case opened 06:20, approved 09:30
 */
export function createQuotaLimitScenario(options: QuotaLimitOptions = {}): Scenario {
  const day = createDefaultDayScenario({
    startHour: QUOTA_LIMIT_START_HOUR,
    durationMs: options.durationMs ?? 8 * HOUR_MS,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const limit = options.standardOnDemandLimit ?? STANDARD_ON_DEMAND_LIMIT;
  const aws = { ...QUOTA_LIMIT_AWS, ...options.aws };
  return {
    ...day,
    name: 'quota-limit',
    description:
      `The default day's morning in an account whose Standard on-demand vCPU quota is ${limit} vCPUs while ` +
      'the node pools may use 1,080; the quota loop files one increase at 06:00 and AWS ' +
      `${aws.outcome === 'APPROVED' ? 'approves' : 'denies'} it ${formatHours(aws.resolvedAfterMs)} later. ` +
      'Until then scale-ups beyond the limit fail with VcpuLimitExceeded and pods wait.',
    quotas: {
      account: {
        applied: { [STANDARD_ON_DEMAND_QUOTA_CODE]: limit, [STANDARD_SPOT_QUOTA_CODE]: STANDARD_SPOT_LIMIT },
        requests: aws,
      },
      settings: {},
      ...(options.quotaIntervalMs !== undefined ? { intervalMs: options.quotaIntervalMs } : {}),
    },
  };
}

function formatHours(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}
