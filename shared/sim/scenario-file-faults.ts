/**
 * Faults in scenario files: when (`at`: an offset, a local time of day or an instant), what, and for
 * the window kinds how long (`for` a duration, or `until` a time). They compile to the simulator's
 * `ScenarioFault`s (faults.ts), a capacity shortage with `until` to two (gone, then back).
 */
import { z } from 'zod';
import { type ScenarioFault, SIM_LOOP_NAMES } from './faults';
import {
  AWS_THROTTLING_APIS,
  HTTP_VERBS,
  KUBERNETES_API_ERRORS,
  KUBERNETES_API_METHODS,
  type KubernetesApiError,
} from './faults-windows';
import { INSTANCE_TYPES } from './instance-types';
import { SCENARIO_TIME_HINT, scenarioTimeOffsetMs } from './scenario-file-time';
import { durationSchema } from './scenario-file-traces';
import type { FileProblem } from './scenario-file-workloads';

const time = z.string().min(1).describe(SCENARIO_TIME_HINT);
const awsApi = z.enum(Object.keys(AWS_THROTTLING_APIS) as [string, ...string[]]);
const KUBERNETES_METHOD_NAMES: string[] = [...Object.keys(KUBERNETES_API_METHODS), ...HTTP_VERBS];
const kubernetesMethod = z.enum(KUBERNETES_METHOD_NAMES as [string, ...string[]]);

const windowFields = {
  at: time,
  for: durationSchema.optional().describe('How long the window lasts (or give until).'),
  until: time.optional().describe('When the window ends (or give for).'),
};

export const faultSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('capacity'),
      at: time,
      until: time.optional().describe('When the capacity comes back (default: not within the run).'),
      instanceType: z.enum(Object.keys(INSTANCE_TYPES) as [string, ...string[]]),
      zone: z.string().min(1),
      capacityType: z.enum(['on-demand', 'spot']).default('on-demand'),
      available: z.boolean().default(false).describe('false: the offering runs out; true: it comes back.'),
    })
    .strict()
    .describe('EC2 has no capacity for an instance type in a zone (InsufficientInstanceCapacity).'),
  z
    .object({
      kind: z.literal('spot-interruption'),
      at: time,
      group: z.string().min(1),
      instanceId: z.string().min(1).optional().describe('Default: the oldest spot instance in service.'),
      notice: durationSchema.optional().describe('Warning to interruption (default 2m, as EC2).'),
    })
    .strict()
    .describe('EC2 warns that a spot instance of the group goes, and takes it after the notice.'),
  z
    .object({
      kind: z.literal('rebalance-recommendation'),
      at: time,
      group: z.string().min(1),
      instanceId: z.string().min(1).optional(),
    })
    .strict()
    .describe('EC2 recommends rebalancing a spot instance of the group (nothing is taken).'),
  z
    .object({
      kind: z.literal('aws-throttling'),
      ...windowFields,
      api: z.union([awsApi, z.array(awsApi).min(1)]).describe('AWS API name(s), e.g. SetDesiredCapacity.'),
    })
    .strict()
    .describe('The AWS API answers "Rate exceeded" for a window (after the SDK’s retries).'),
  z
    .object({
      kind: z.literal('api-errors'),
      ...windowFields,
      method: z
        .union([kubernetesMethod, z.array(kubernetesMethod).min(1)])
        .describe(
          'Kubernetes port method(s) like updateScale, or HTTP verbs (GET, PUT, PATCH, POST, DELETE).',
        ),
      error: z
        .enum(KUBERNETES_API_ERRORS as [KubernetesApiError, ...KubernetesApiError[]])
        .default('server-error'),
    })
    .strict()
    .describe('Kubernetes API calls of the method(s) fail for a window.'),
  z
    .object({
      kind: z.literal('lambda-crash'),
      at: time,
      loop: z.enum(SIM_LOOP_NAMES),
      afterCalls: z
        .number()
        .int()
        .min(0)
        .default(1)
        .describe('The invocation dies right after this many port calls took effect (0: before the first).'),
      invocations: z.number().int().min(1).default(1).describe('How many invocations in a row die.'),
    })
    .strict()
    .describe('The next invocation(s) of the loop’s Lambda die part-way.'),
]);

type FaultInput = z.output<typeof faultSchema>;

export interface FaultCompileContext {
  start: number;
  utcOffsetMinutes: number;
  durationMs: number;
  /** The Auto Scaling groups of the scenario (spot faults must name one). */
  groups: ReadonlySet<string>;
}

function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The faults a file entry stands for; problems go to `problems` with their paths. */
export function compileFault(
  fault: FaultInput,
  index: number,
  context: FaultCompileContext,
  problems: FileProblem[],
): ScenarioFault[] {
  const at = ['faults', index];
  const offset = (text: string, field: string): number | undefined => {
    const ms = scenarioTimeOffsetMs(text, context.start, context.utcOffsetMinutes);
    if (ms === undefined) {
      problems.push({
        path: [...at, field],
        message: `${JSON.stringify(text)} is not ${SCENARIO_TIME_HINT}`,
      });
      return undefined;
    }
    if (ms < 0 || ms > context.durationMs) {
      problems.push({ path: [...at, field], message: `${JSON.stringify(text)} lies outside the scenario` });
      return undefined;
    }
    return ms;
  };
  const atMs = offset(fault.at, 'at');
  const windowMs = (): number | undefined => {
    if (fault.kind !== 'aws-throttling' && fault.kind !== 'api-errors') return undefined;
    if ((fault.for === undefined) === (fault.until === undefined)) {
      problems.push({ path: at, message: 'give exactly one of for (a duration) or until (a time)' });
      return undefined;
    }
    if (fault.for !== undefined) {
      if (fault.for > 0) return fault.for;
      problems.push({ path: [...at, 'for'], message: 'must be longer than 0' });
      return undefined;
    }
    const untilMs = offset(fault.until as string, 'until');
    if (untilMs === undefined || atMs === undefined) return undefined;
    if (untilMs > atMs) return untilMs - atMs;
    problems.push({ path: [...at, 'until'], message: 'must lie after at' });
    return undefined;
  };
  if (
    (fault.kind === 'spot-interruption' || fault.kind === 'rebalance-recommendation') &&
    !context.groups.has(fault.group)
  ) {
    problems.push({
      path: [...at, 'group'],
      message: `no Auto Scaling group ${fault.group} (groups: ${[...context.groups].join(', ') || 'none'})`,
    });
    return [];
  }
  const durationMs = windowMs();
  if (atMs === undefined) return [];
  switch (fault.kind) {
    case 'capacity': {
      const offering = {
        kind: 'capacity' as const,
        instanceType: fault.instanceType,
        zone: fault.zone,
        capacityType: fault.capacityType,
      };
      const out: ScenarioFault[] = [{ ...offering, atMs, available: fault.available }];
      if (fault.until !== undefined) {
        const untilMs = offset(fault.until, 'until');
        if (untilMs !== undefined && untilMs <= atMs) {
          problems.push({ path: [...at, 'until'], message: 'must lie after at' });
        } else if (untilMs !== undefined) {
          out.push({ ...offering, atMs: untilMs, available: !fault.available });
        }
      }
      return out;
    }
    case 'spot-interruption':
      return [
        {
          kind: 'spot-interruption',
          atMs,
          group: fault.group,
          ...(fault.instanceId ? { instanceId: fault.instanceId } : {}),
          ...(fault.notice !== undefined ? { terminateAfterMs: fault.notice } : {}),
        },
      ];
    case 'rebalance-recommendation':
      return [
        {
          kind: 'rebalance-recommendation',
          atMs,
          group: fault.group,
          ...(fault.instanceId ? { instanceId: fault.instanceId } : {}),
        },
      ];
    case 'aws-throttling':
      return durationMs === undefined
        ? []
        : [{ kind: 'aws-throttling', atMs, apis: list(fault.api), durationMs }];
    case 'api-errors':
      return durationMs === undefined
        ? []
        : [{ kind: 'api-errors', atMs, methods: list(fault.method), durationMs, error: fault.error }];
    case 'lambda-crash':
      return [
        {
          kind: 'lambda-crash',
          atMs,
          loop: fault.loop,
          afterCalls: fault.afterCalls,
          invocations: fault.invocations,
        },
      ];
  }
}
