/**
 * EC2's running-instance quotas, kept as data: per purchasing option, the quota code, its name as Service
 * Quotas lists it (so the loop can confirm the code by name, see confirm-codes.ts) and the instance-family
 * prefixes it covers. Each quota counts vCPUs of running (on-demand) or requested (spot) instances of its
 * families, per account and region.
 *
 * An instance type maps to a quota by the longest prefix of its family (the part before the dot) among the
 * prefixes of its purchasing option, so `inf2` is Inf rather than Standard `i`, `dl1` DL rather than `d`,
 * `trn1` Trn rather than `t`, `hpc7a` HPC rather than `h`. Prefixes that have no quota for a purchasing
 * option are listed too (`UNCOVERED_FAMILIES`), so that a spot `hpc7a` stops at `hpc` and is reported
 * instead of falling through to Standard's `h`. A family no prefix matches is reported, never guessed.
 *
 * Names and codes: the AWS documentation's "Amazon EC2 instance type quotas" tables (On-Demand and Spot)
 * and Service Quotas listings. Two spot quotas were renamed over time; their former names stay accepted.
 */
import type { CapacityType } from '../nodepools/pool';

/** The Service Quotas service code of every quota here. */
export const EC2_SERVICE_CODE = 'ec2';

export interface Ec2VcpuQuota {
  /** Service Quotas code, e.g. `L-1216C47A`. */
  code: string;
  /** The name Service Quotas lists today. */
  name: string;
  /** Names the same code had before: a listing that still shows one confirms the code too. */
  formerNames: readonly string[];
  capacityType: CapacityType;
  /** Instance-family prefixes (lower case) this quota counts. */
  families: readonly string[];
}

/** A family prefix with no vCPU quota for one purchasing option, and why. */
export interface UncoveredFamily {
  prefix: string;
  capacityType: CapacityType;
  reason: string;
}

const STANDARD_FAMILIES = ['a', 'c', 'd', 'h', 'i', 'm', 'r', 't', 'z'] as const;

export const EC2_VCPU_QUOTAS: readonly Ec2VcpuQuota[] = [
  {
    code: 'L-1216C47A',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: STANDARD_FAMILIES,
  },
  {
    code: 'L-34B43A08',
    name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: STANDARD_FAMILIES,
  },
  {
    code: 'L-DB2E81BA',
    name: 'Running On-Demand G and VT instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['g', 'vt'],
  },
  {
    code: 'L-3819A6DF',
    name: 'All G and VT Spot Instance Requests',
    formerNames: ['All G Spot Instance Requests'],
    capacityType: 'spot',
    families: ['g', 'vt'],
  },
  {
    code: 'L-417A185B',
    name: 'Running On-Demand P instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['p'],
  },
  {
    // Spot P is split by generation: P2–P4 here, P5 below; newer P families have no known spot quota.
    code: 'L-7212CCBC',
    name: 'All P4, P3 and P2 Spot Instance Requests',
    formerNames: ['All P Spot Instance Requests'],
    capacityType: 'spot',
    families: ['p2', 'p3', 'p4'],
  },
  {
    code: 'L-C4BD4855',
    name: 'All P5 Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['p5'],
  },
  {
    code: 'L-7295265B',
    name: 'Running On-Demand X instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['x'],
  },
  {
    code: 'L-E3A00192',
    name: 'All X Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['x'],
  },
  {
    code: 'L-74FC7D96',
    name: 'Running On-Demand F instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['f'],
  },
  {
    code: 'L-88CF9481',
    name: 'All F Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['f'],
  },
  {
    code: 'L-1945791B',
    name: 'Running On-Demand Inf instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['inf'],
  },
  {
    code: 'L-B5D1601B',
    name: 'All Inf Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['inf'],
  },
  {
    code: 'L-6E869C2A',
    name: 'Running On-Demand DL instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['dl'],
  },
  {
    code: 'L-85EED4F7',
    name: 'All DL Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['dl'],
  },
  {
    code: 'L-2C3B7624',
    name: 'Running On-Demand Trn instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['trn'],
  },
  {
    code: 'L-6B0D517C',
    name: 'All Trn Spot Instance Requests',
    formerNames: [],
    capacityType: 'spot',
    families: ['trn'],
  },
  {
    code: 'L-F7808C92',
    name: 'Running On-Demand HPC instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['hpc'],
  },
  {
    // `u-6tb1` and the newer `u7i-12tb`, `u7in-16tb`, `u7inh-32tb`: AWS calls both lines High Memory.
    code: 'L-43DA4232',
    name: 'Running On-Demand High Memory instances',
    formerNames: [],
    capacityType: 'on-demand',
    families: ['u-', 'u7i'],
  },
];

/**
 * Prefixes that stop the lookup without a quota, so a family never falls through to a shorter prefix of
 * another line (spot `hpc7a` to Standard's `h`).
 */
export const UNCOVERED_FAMILIES: readonly UncoveredFamily[] = [
  {
    prefix: 'hpc',
    capacityType: 'spot',
    reason: 'HPC instances are not offered as Spot, so there is no Spot quota for them',
  },
  {
    prefix: 'u-',
    capacityType: 'spot',
    reason: 'High Memory instances are not offered as Spot, so there is no Spot quota for them',
  },
  {
    prefix: 'u7i',
    capacityType: 'spot',
    reason: 'High Memory instances are not offered as Spot, so there is no Spot quota for them',
  },
  {
    prefix: 'p',
    capacityType: 'spot',
    reason: 'only P2–P5 have a known Spot quota (L-7212CCBC, L-C4BD4855)',
  },
  {
    prefix: 'mac',
    capacityType: 'on-demand',
    reason: 'Mac instances run only on Dedicated Hosts, which have per-family host quotas, not a vCPU quota',
  },
  {
    prefix: 'mac',
    capacityType: 'spot',
    reason: 'Mac instances run only on Dedicated Hosts, which have per-family host quotas, not a vCPU quota',
  },
];

export type VcpuQuotaLookup =
  | { ok: true; quota: Ec2VcpuQuota; family: string; prefix: string }
  | { ok: false; family: string; reason: string };

/**
 * The family of an instance type: the part before the dot, lower case (`m7i-flex` of `m7i-flex.large`,
 * `u-6tb1` of `u-6tb1.metal`); undefined when there is no dot.
 *
 * @example instanceFamily('c7i.metal-48xl') // 'c7i'
 */
export function instanceFamily(instanceType: string): string | undefined {
  const dot = instanceType.indexOf('.');
  if (dot <= 0) return undefined;
  return instanceType.slice(0, dot).toLowerCase();
}

/**
 * The vCPU quota that counts `instanceType` bought as `capacityType`, by the longest family prefix, or why
 * there is none.
 *
 * @example vcpuQuotaFor('inf2.xlarge', 'on-demand') // { ok: true, quota: { code: 'L-1945791B', ... }, ... }
 * @example vcpuQuotaFor('hpc7a.96xlarge', 'spot') // { ok: false, reason: 'HPC instances are not offered ...' }
 */
export function vcpuQuotaFor(
  instanceType: string,
  capacityType: CapacityType,
  quotas: readonly Ec2VcpuQuota[] = EC2_VCPU_QUOTAS,
  uncovered: readonly UncoveredFamily[] = UNCOVERED_FAMILIES,
): VcpuQuotaLookup {
  const family = instanceFamily(instanceType);
  if (family === undefined) {
    return { ok: false, family: instanceType, reason: `"${instanceType}" is not an instance type (no ".")` };
  }
  let best: { prefix: string; quota?: Ec2VcpuQuota; reason?: string } | undefined;
  const consider = (prefix: string, found: { quota?: Ec2VcpuQuota; reason?: string }) => {
    if (family.startsWith(prefix) && (best === undefined || prefix.length > best.prefix.length)) {
      best = { prefix, ...found };
    }
  };
  for (const quota of quotas) {
    if (quota.capacityType !== capacityType) continue;
    for (const prefix of quota.families) consider(prefix, { quota });
  }
  for (const entry of uncovered) {
    if (entry.capacityType === capacityType) consider(entry.prefix, { reason: entry.reason });
  }
  if (best?.quota) return { ok: true, quota: best.quota, family, prefix: best.prefix };
  return {
    ok: false,
    family,
    reason: best?.reason ?? `no known ${capacityType} vCPU quota covers the ${family} family`,
  };
}

/** The table's entry for a quota code. */
export function ec2VcpuQuota(
  code: string,
  quotas: readonly Ec2VcpuQuota[] = EC2_VCPU_QUOTAS,
): Ec2VcpuQuota | undefined {
  return quotas.find((quota) => quota.code === code);
}
