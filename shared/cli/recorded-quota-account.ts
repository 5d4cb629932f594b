/**
 * A recorded account and region for the quota loop: what Service Quotas, CloudWatch's `AWS/Usage` metrics
 * and Auto Scaling answered, and the quota records the loop had stored, at one moment
 * (`<dir>/<account>-<region>.json`). `tideplane quotas plan --fixtures <dir>` runs the loop against it
 * without credentials, on a clock stopped at `recordedAt`, so a plan of a recording reads the same every
 * time.
 *
 * The shapes are the ports' domain shapes (not SDK shapes), with two conveniences for people who write or
 * read the file: times may be ISO 8601 strings (epoch ms are accepted too), and a quota carries both its
 * applied and its AWS default value, from which the recorded port answers `GetServiceQuota` as Service
 * Quotas does (the applied value when the account has one, else the default). Instance types come from the
 * region's instance-type recording (recorded-ec2.ts), so a recorded account needs a recorded region.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatPath } from '../config/load';
import type { AutoScalingGroup } from '../ports/auto-scaling';
import { QUOTA_REQUEST_STATUSES, type QuotaRequestStatus, type UsageMetric } from '../ports/service-quotas';
import { type QuotaRequestRecord, quotaRequestRecordSchema } from '../quotas/request-record';

/** An instant: epoch ms, or an ISO 8601 date-time with a zone (`2026-11-24T06:00:00Z`). */
const instant = z.union([
  z.number().finite(),
  z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
]);

const usageMetricSchema = z
  .object({
    namespace: z.string().min(1),
    name: z.string().min(1),
    dimensions: z.record(z.string(), z.string()).default({}),
    statistic: z.string().optional(),
  })
  .strict();

const recordedQuotaSchema = z
  .object({
    serviceCode: z.string().min(1),
    code: z.string().min(1),
    name: z.string(),
    /** The account's value (`GetServiceQuota`); absent when the account never had one applied. */
    applied: z.number().min(0).optional(),
    /** AWS's default (`GetAWSDefaultServiceQuota`). */
    defaultValue: z.number().min(0).optional(),
    unit: z.string().optional(),
    adjustable: z.boolean().optional(),
    global: z.boolean().optional(),
    usageMetric: usageMetricSchema.optional(),
    /** Service Quotas could not read the quota (`ErrorReason`): the value is unknown. */
    errorReason: z.string().optional(),
  })
  .strict();

const recordedRequestSchema = z
  .object({
    serviceCode: z.string().min(1),
    quotaCode: z.string().min(1),
    requestId: z.string().min(1),
    caseId: z.string().min(1).optional(),
    status: z.enum(QUOTA_REQUEST_STATUSES),
    desiredValue: z.number().gt(0),
    createdAt: instant,
    updatedAt: instant.optional(),
  })
  .strict();

const usageSchema = z
  .object({
    metric: usageMetricSchema,
    /** The newest datapoint; absent when CloudWatch had none (nothing in use). */
    value: z.number().min(0).optional(),
  })
  .strict();

const instanceSchema = z
  .object({
    instanceId: z.string().min(1),
    availabilityZone: z.string().min(1),
    instanceType: z.string().min(1),
    lifecycleState: z.string().default('InService'),
    healthStatus: z.enum(['Healthy', 'Unhealthy']).default('Healthy'),
  })
  .strict();

const groupSchema = z
  .object({
    name: z.string().min(1),
    minSize: z.number().int().min(0),
    maxSize: z.number().int().min(0),
    desiredCapacity: z.number().int().min(0),
    availabilityZones: z.array(z.string()).min(1),
    tags: z.record(z.string(), z.string()).default({}),
    instances: z.array(instanceSchema).default([]),
    instanceTypes: z.array(z.string()),
    instanceTypesError: z.string().optional(),
    purchase: z
      .object({
        onDemandBaseCapacity: z.number().int().min(0),
        onDemandPercentageAboveBase: z.number().min(0).max(100),
        spotAllocationStrategy: z.string().optional(),
      })
      .strict()
      .default({ onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 }),
    launchTemplate: z
      .object({
        launchTemplateId: z.string().min(1),
        launchTemplateName: z.string().optional(),
        version: z.string().min(1),
      })
      .strict()
      .optional(),
    targetGroupArns: z.array(z.string()).optional(),
    suspendedProcesses: z.array(z.string()).optional(),
  })
  .strict()
  .refine((group) => group.minSize <= group.maxSize, { message: 'minSize above maxSize' });

/** The stored record with readable times; checked once more by the record's own schema. */
const storedRecordSchema = z
  .looseObject({
    requestedAt: instant,
    lastCheckedAt: instant,
    justificationAddedAt: instant.optional(),
    resolvedAt: instant.optional(),
  })
  .pipe(quotaRequestRecordSchema);

export const quotaAccountRecordingSchema = z
  .object({
    /** Where the numbers come from and how they were recorded. */
    source: z.string().min(1),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region like eu-central-1'),
    /** The moment of the recording: the offline run's clock. */
    recordedAt: instant,
    quotas: z.array(recordedQuotaSchema),
    requests: z.array(recordedRequestSchema).default([]),
    usage: z.array(usageSchema).default([]),
    autoScalingGroups: z.array(groupSchema).default([]),
    /** What the loop had stored (`quota#<account>#<region>#<code>`) before the recorded moment. */
    stateRecords: z.array(storedRecordSchema).default([]),
  })
  .strict()
  .superRefine((recording, ctx) => {
    const seen = new Set<string>();
    for (const [index, quota] of recording.quotas.entries()) {
      const key = `${quota.serviceCode}/${quota.code}`;
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['quotas', index, 'code'], message: `${key} is listed twice` });
      }
      seen.add(key);
    }
    for (const [index, record] of recording.stateRecords.entries()) {
      if (record.accountId !== recording.accountId || record.region !== recording.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['stateRecords', index],
          message: `a record of ${record.accountId}/${record.region} in the recording of ${recording.accountId}/${recording.region}`,
        });
      }
    }
  });

export interface RecordedQuota {
  serviceCode: string;
  code: string;
  name: string;
  applied?: number;
  defaultValue?: number;
  unit?: string;
  adjustable?: boolean;
  global?: boolean;
  usageMetric?: UsageMetric;
  errorReason?: string;
}

export interface RecordedQuotaRequest {
  serviceCode: string;
  quotaCode: string;
  requestId: string;
  caseId?: string;
  status: QuotaRequestStatus;
  desiredValue: number;
  /** Epoch ms. */
  createdAt: number;
  updatedAt?: number;
}

/** A recorded account and region, times as epoch ms. */
export interface QuotaAccountRecording {
  source: string;
  accountId: string;
  region: string;
  recordedAt: number;
  quotas: RecordedQuota[];
  requests: RecordedQuotaRequest[];
  usage: { metric: UsageMetric; value?: number }[];
  autoScalingGroups: AutoScalingGroup[];
  stateRecords: QuotaRequestRecord[];
}

/** A recording that is missing, not JSON or not valid; the message says which file and where. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

/**
 * The file of an account and region in a fixtures directory.
 *
 * @example recordingPath('test/fixtures/quotas', '123456789012', 'eu-central-1')
 * // 'test/fixtures/quotas/123456789012-eu-central-1.json'
 */
export function recordingPath(dir: string, accountId: string, region: string): string {
  return join(dir, `${accountId}-${region}.json`);
}

/**
 * Validates a parsed recording; throws `RecordingError` listing every problem with its path.
 *
 * @example parseQuotaAccountRecording(JSON.parse(text), 'fixtures/123456789012-eu-central-1.json')
 */
export function parseQuotaAccountRecording(document: unknown, file: string): QuotaAccountRecording {
  const parsed = quotaAccountRecordingSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${file}: ${formatPath(issue.path) || '(root)'}: ${issue.message}`,
    );
    throw new RecordingError(`not a valid quota recording:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/**
 * Reads the recording of an account and region from a fixtures directory, and checks that it is the
 * account and region the file name says.
 *
 * @example
 * const recording = await loadQuotaAccountRecording('test/fixtures/quotas', '123456789012', 'eu-central-1');
 */
export async function loadQuotaAccountRecording(
  dir: string,
  accountId: string,
  region: string,
): Promise<QuotaAccountRecording> {
  const file = recordingPath(dir, accountId, region);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecordingError(
      code === 'ENOENT'
        ? `no recording of account ${accountId} in ${region}: ${file} does not exist`
        : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RecordingError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const recording = parseQuotaAccountRecording(document, file);
  if (recording.accountId !== accountId || recording.region !== region) {
    throw new RecordingError(
      `${file}: records account ${recording.accountId} in ${recording.region}, not ${accountId} in ${region}`,
    );
  }
  return recording;
}
