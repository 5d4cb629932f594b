/**
 * The control plane's instance-type ladder: the EC2 types a self-managed control plane may run on, one
 * per size, smallest first, and the step up or down from the type it runs on now. Pure: the types and
 * offerings come in (from `Ec2Port.listInstanceTypes` and `describeInstanceTypeOfferings`).
 *
 * A type is on the ladder when it is current generation, supports the control plane's architecture, has
 * no GPUs or other accelerators, is not bare metal, is not burstable (unless allowed), is offered in
 * every zone of the control plane and its family passes `families`/`excludeFamilies`. Rungs are sorted
 * by vCPUs, then memory; types of the same vCPUs and memory share one rung, and the rung keeps one of
 * them (`pickForRung`). Up is the next rung (more vCPUs, or as many with more memory), down the one
 * before. Without `families` the ladder mixes compute-, general- and memory-optimized families, so up
 * from 4 vCPUs / 32 GiB is 8 vCPUs / 16 GiB: name the families to climb one line.
 */
import type { Architecture, InstanceTypeInfo } from '../ports/ec2';
import {
  type LadderPosition,
  NO_STEP_MESSAGES,
  type NoStepReason,
  reachableIndexes,
  type StepBounds,
  type StepDirection,
  stepIndex,
} from './ladder-step';

export interface LadderOptions {
  /** Burstable (T) types may be on the ladder. */
  allowBurstable: boolean;
  /** Only these families (the part of the name before the dot); empty: every family. */
  families: readonly string[];
  excludeFamilies: readonly string[];
}

export interface LadderInput {
  /**
   * The region's instance types (any superset of the ladder). Include the current type, floor and
   * ceiling even when EC2's own filters would drop them (a previous-generation current type), so that
   * `stepFrom` can place them by size.
   */
  types: readonly InstanceTypeInfo[];
  /** Instance type → zones that offer it. */
  offerings: ReadonlyMap<string, readonly string[]>;
  /** The control plane's zones; a type must be offered in all of them. Empty: in at least one zone. */
  zones: readonly string[];
  architecture: Architecture;
  options: LadderOptions;
  /** The type the control plane runs on now: its family wins a shared rung. */
  current?: string | undefined;
}

export interface Rung {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  /** Other allowed types of the same vCPUs and memory, the ones `pickForRung` passed over. */
  sameSize: string[];
}

export type ExclusionReason =
  | 'architecture'
  | 'previous-generation'
  | 'bare-metal'
  | 'gpu'
  | 'accelerator'
  | 'burstable'
  | 'family-excluded'
  | 'family-not-allowed'
  | 'not-offered'
  /** Allowed, but another type of the same size holds the rung. */
  | 'same-size';

export interface ExcludedType {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  /** The first check it failed, in the order of `ExclusionReason`. */
  reason: ExclusionReason;
  /** For a person: `not offered in eu-central-1c`, `same size as m7i.xlarge`. */
  detail: string;
}

export interface Ladder {
  /** Smallest first. */
  steps: Rung[];
  /** Every input type that is not a rung, with why: the filtered ones in input order, then the same-size ones. */
  excluded: ExcludedType[];
}

/** `m7i-flex` of `m7i-flex.xlarge`. */
export function familyOf(instanceType: string): string {
  const dot = instanceType.indexOf('.');
  return dot < 0 ? instanceType : instanceType.slice(0, dot);
}

/** The generation digit(s) after the series letters (`7` of `m7i-flex`), 0 when there are none (`u-6tb1`). */
function generationOf(family: string): number {
  const match = /^[a-z]+(\d+)/.exec(family);
  return match?.[1] ? Number(match[1]) : 0;
}

/**
 * T types earn CPU credits; EC2 flags them with `BurstablePerformanceSupported`, but not every new T
 * family (t8i is unflagged in AWS's data as recorded), so the T series counts as burstable by name too.
 */
function isBurstable(info: InstanceTypeInfo): boolean {
  return info.burstable === true || /^t\d/.test(familyOf(info.instanceType));
}

const bySize = (a: Size, b: Size) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB;

interface Size {
  vcpus: number;
  memoryMiB: number;
}

/** Why `info` cannot be on the ladder, or undefined when it can. */
function exclusionOf(
  info: InstanceTypeInfo,
  input: LadderInput,
): { reason: ExclusionReason; detail: string } | undefined {
  const family = familyOf(info.instanceType);
  const { options, zones } = input;
  if (!info.architectures.includes(input.architecture)) {
    const supported = info.architectures.length > 0 ? info.architectures.join(', ') : 'none tideplane runs';
    return { reason: 'architecture', detail: `no ${input.architecture} (${supported})` };
  }
  if (info.currentGeneration === false)
    return { reason: 'previous-generation', detail: 'previous generation' };
  if (info.bareMetal === true) return { reason: 'bare-metal', detail: 'bare metal' };
  if (info.gpus > 0) return { reason: 'gpu', detail: `${info.gpus} GPU${info.gpus === 1 ? '' : 's'}` };
  if ((info.accelerators ?? 0) > 0) {
    return {
      reason: 'accelerator',
      detail: `${info.accelerators} accelerator${info.accelerators === 1 ? '' : 's'}`,
    };
  }
  if (!options.allowBurstable && isBurstable(info)) {
    return { reason: 'burstable', detail: 'burstable (allowBurstable is off)' };
  }
  if (options.excludeFamilies.includes(family)) {
    return { reason: 'family-excluded', detail: `family ${family} is excluded` };
  }
  if (options.families.length > 0 && !options.families.includes(family)) {
    return {
      reason: 'family-not-allowed',
      detail: `family ${family} is not in ${options.families.join(', ')}`,
    };
  }
  const offered = input.offerings.get(info.instanceType) ?? [];
  const missing = zones.filter((zone) => !offered.includes(zone));
  if (offered.length === 0) return { reason: 'not-offered', detail: 'not offered in the region' };
  if (missing.length > 0) return { reason: 'not-offered', detail: `not offered in ${missing.join(', ')}` };
  return undefined;
}

/**
 * Which of the allowed types of one size holds the rung: the current type, else its family, else the
 * family listed first in `options.families`, else the newest generation, then the plainest family (the
 * shortest name: `m7i` before `m7i-flex` and `m7id`), then the name. The last three rules only make
 * the choice stable; a configured `families` order is the way to say which family to prefer.
 */
export function pickForRung(
  candidates: readonly string[],
  options: Pick<LadderOptions, 'families'>,
  current?: string,
): string | undefined {
  const currentFamily = current === undefined ? undefined : familyOf(current);
  const familyRank = (name: string) => {
    const index = options.families.indexOf(familyOf(name));
    return index < 0 ? options.families.length : index;
  };
  const key = (name: string): (number | string)[] => {
    const family = familyOf(name);
    return [
      name === current ? 0 : 1,
      family === currentFamily ? 0 : 1,
      familyRank(name),
      -generationOf(family),
      family.length,
      name,
    ];
  };
  return [...candidates].sort((a, b) => compareKeys(key(a), key(b)))[0];
}

function compareKeys(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (x === y) continue;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  }
  return 0;
}

/**
 * The ladder of `input.types` for a control plane in `input.zones`.
 *
 * @example
 * const ladder = buildLadder({
 *   types: await ec2.listInstanceTypes({ architecture: 'x86_64', currentGenerationOnly: true }),
 *   offerings: await ec2.describeInstanceTypeOfferings(zones),
 *   zones, architecture: 'x86_64',
 *   options: { allowBurstable: false, families: ['m7i'], excludeFamilies: [] },
 * });
 * ladder.steps.map((rung) => rung.instanceType); // ['m7i.large', 'm7i.xlarge', 'm7i.2xlarge', ...]
 */
export function buildLadder(input: LadderInput): Ladder {
  const excluded: ExcludedType[] = [];
  const allowed: InstanceTypeInfo[] = [];
  const seen = new Set<string>();
  for (const info of input.types) {
    if (seen.has(info.instanceType)) continue;
    seen.add(info.instanceType);
    const why = exclusionOf(info, input);
    if (why) {
      excluded.push({
        instanceType: info.instanceType,
        vcpus: info.vcpus,
        memoryMiB: info.memoryMiB,
        ...why,
      });
    } else {
      allowed.push(info);
    }
  }

  const bySizeKey = new Map<string, InstanceTypeInfo[]>();
  for (const info of allowed) {
    const key = `${info.vcpus}/${info.memoryMiB}`;
    bySizeKey.set(key, [...(bySizeKey.get(key) ?? []), info]);
  }
  const steps: Rung[] = [];
  for (const group of bySizeKey.values()) {
    const names = group.map((info) => info.instanceType);
    const chosen = pickForRung(names, input.options, input.current) as string;
    const first = group[0] as InstanceTypeInfo;
    steps.push({
      instanceType: chosen,
      vcpus: first.vcpus,
      memoryMiB: first.memoryMiB,
      sameSize: names.filter((name) => name !== chosen).sort(),
    });
  }
  steps.sort(bySize);
  const passedOver = new Map(steps.flatMap((rung) => rung.sameSize.map((name) => [name, rung.instanceType])));
  for (const info of allowed) {
    const holder = passedOver.get(info.instanceType);
    if (holder === undefined) continue;
    excluded.push({
      instanceType: info.instanceType,
      vcpus: info.vcpus,
      memoryMiB: info.memoryMiB,
      reason: 'same-size',
      detail: `same size as ${holder}`,
    });
  }
  return { steps, excluded };
}

export interface LadderBounds {
  /** Never below this type; one off the ladder bounds by its vCPUs and memory. */
  floor?: string | undefined;
  /** Never above this type; one off the ladder bounds by its vCPUs and memory. */
  ceiling?: string | undefined;
}

export type LadderStep =
  | {
      ok: true;
      instanceType: string;
      /** Index of the target rung in `ladder.steps`. */
      rung: number;
      /** Set when the target is not `steps` rungs away (see `stepIndex`). */
      clamped?: 'floor' | 'ceiling' | 'top' | 'bottom';
    }
  /** `message` reads after "up from m7i.xlarge: none, ". */
  | { ok: false; reason: NoStepReason | 'unknown-type'; message: string };

/**
 * Where `instanceType` sits on the ladder: on its rung; on the rung of its size when another type holds
 * it (a move there would change nothing); else between the rungs around its vCPUs and memory. Undefined
 * for a type the ladder was not built from.
 */
export function positionOn(ladder: Ladder, instanceType: string): LadderPosition | undefined {
  const on = ladder.steps.findIndex((rung) => rung.instanceType === instanceType);
  if (on >= 0) return { on };
  const size = ladder.excluded.find((type) => type.instanceType === instanceType);
  if (!size) return undefined;
  const same = ladder.steps.findIndex((rung) => bySize(rung, size) === 0);
  if (same >= 0) return { on: same };
  const above = ladder.steps.findIndex((rung) => bySize(rung, size) > 0);
  return { below: above < 0 ? ladder.steps.length : above };
}

type Placed =
  | { ok: true; current: LadderPosition; bounds: StepBounds }
  | { ok: false; reason: 'unknown-type'; message: string };

/** The positions of the current type, the floor and the ceiling; an unknown one is an error. */
function place(ladder: Ladder, current: string, bounds: LadderBounds): Placed {
  const named = { current, floor: bounds.floor, ceiling: bounds.ceiling };
  const positions: Partial<Record<keyof typeof named, LadderPosition>> = {};
  for (const [role, name] of Object.entries(named) as [keyof typeof named, string | undefined][]) {
    if (name === undefined) continue;
    const position = positionOn(ladder, name);
    if (!position) {
      return {
        ok: false,
        reason: 'unknown-type',
        message: `${role} ${name} is not an instance type of the region`,
      };
    }
    positions[role] = position;
  }
  return {
    ok: true,
    current: positions.current as LadderPosition,
    bounds: { floor: positions.floor, ceiling: positions.ceiling },
  };
}

/**
 * The type `steps` rungs `direction` from `current`, within `bounds`, or why there is none. `current`,
 * `floor` and `ceiling` must be among the types the ladder was built from (on it or excluded).
 *
 * @example
 * stepFrom(ladder, 'm7i.xlarge', 'up', 1, {}) // { ok: true, instanceType: 'm7i.2xlarge', rung: 2 }
 * stepFrom(ladder, 'm7i.large', 'down', 1, { floor: 'm7i.large' }) // { ok: false, reason: 'floor', ... }
 */
export function stepFrom(
  ladder: Ladder,
  current: string,
  direction: StepDirection,
  steps: number,
  bounds: LadderBounds,
): LadderStep {
  const placed = place(ladder, current, bounds);
  if (!placed.ok) return placed;
  const step = stepIndex(ladder.steps.length, placed.current, direction, steps, placed.bounds);
  if (!step.ok) {
    const bound =
      step.reason === 'floor' ? bounds.floor : step.reason === 'ceiling' ? bounds.ceiling : undefined;
    return {
      ok: false,
      reason: step.reason,
      message: `${NO_STEP_MESSAGES[step.reason]}${bound ? ` (${bound})` : ''}`,
    };
  }
  const rung = ladder.steps[step.index] as Rung;
  return {
    ok: true,
    instanceType: rung.instanceType,
    rung: step.index,
    ...(step.clamped ? { clamped: step.clamped } : {}),
  };
}

/**
 * Every type reachable from `current` in `direction` within `bounds`, nearest first (the decision's
 * up or down candidates: when the nearest recently failed, the next is tried). Empty when none is, or
 * when `current`, `floor` or `ceiling` is unknown (`stepFrom` says why).
 *
 * @example
 * candidatesFrom(ladder, 'm7i.xlarge', 'up', { ceiling: 'm7i.4xlarge' }) // ['m7i.2xlarge', 'm7i.4xlarge']
 */
export function candidatesFrom(
  ladder: Ladder,
  current: string,
  direction: StepDirection,
  bounds: LadderBounds,
): string[] {
  const placed = place(ladder, current, bounds);
  if (!placed.ok) return [];
  return reachableIndexes(ladder.steps.length, placed.current, direction, placed.bounds).map(
    (index) => (ladder.steps[index] as Rung).instanceType,
  );
}
