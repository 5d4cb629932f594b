/**
 * What a refusal by the account's vCPU quota rules out on the ladder. EC2 refuses a launch when the
 * quota that counts the type (On-Demand Standard counts the A, C, D, H, I, M, R, T and Z families) has
 * no room left for its vCPUs. A capacity shortage is the type's own, so the next rung is worth a try; a
 * quota refusal is not: every larger rung counted by the same quota needs more room still, and trying
 * each in turn only repeats the refusal, a rolled-back swap of minutes each on the live control plane.
 * Pure.
 */
import { vcpuQuotaFor } from '../quotas/ec2-vcpu-quotas';
import type { Ladder } from './ladder';

/** The quota code that counts an On-Demand control-plane instance of this type, if any is known. */
function quotaCode(instanceType: string): string | undefined {
  const lookup = vcpuQuotaFor(instanceType, 'on-demand');
  return lookup.ok ? lookup.quota.code : undefined;
}

function vcpusOf(ladder: Ladder, instanceType: string): number | undefined {
  const rung = ladder.steps.find(
    (step) => step.instanceType === instanceType || step.sameSize.includes(instanceType),
  );
  return rung?.vcpus ?? ladder.excluded.find((type) => type.instanceType === instanceType)?.vcpus;
}

/**
 * Every type the refusals still rule out, until when: each refused type, and each rung with at least
 * its vCPUs counted by the same quota. A refused type the ladder does not know rules out only itself.
 *
 * @example
 * quotaRefusedTypes(ladder, { 'm6i.xlarge': until }, now)
 * // { 'm6i.xlarge': until, 'm6i.2xlarge': until, 'm6i.4xlarge': until, 'm6i.8xlarge': until }
 */
export function quotaRefusedTypes(
  ladder: Ladder,
  refused: Readonly<Record<string, number>>,
  now: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [instanceType, until] of Object.entries(refused)) {
    if (until <= now) continue;
    extendUntil(out, instanceType, until);
    const vcpus = vcpusOf(ladder, instanceType);
    const code = quotaCode(instanceType);
    if (vcpus === undefined || code === undefined) continue;
    for (const rung of ladder.steps) {
      if (rung.vcpus >= vcpus && quotaCode(rung.instanceType) === code) {
        extendUntil(out, rung.instanceType, until);
      }
    }
  }
  return out;
}

/**
 * The types the decision skips: those marked unavailable and those the quota refusals rule out, the
 * later time where both name one (a capacity failure of a larger type may last longer than a refusal).
 *
 * @example withQuotaRefusals({ 'm6i.4xlarge': later }, { 'm6i.4xlarge': sooner }) // { 'm6i.4xlarge': later }
 */
export function withQuotaRefusals(
  unavailable: Readonly<Record<string, number>>,
  refused: Readonly<Record<string, number>>,
): Record<string, number> {
  const out = { ...unavailable };
  for (const [instanceType, until] of Object.entries(refused)) extendUntil(out, instanceType, until);
  return out;
}

/** Marks the type until `until`, or keeps its later mark. */
function extendUntil(marks: Record<string, number>, instanceType: string, until: number): void {
  marks[instanceType] = Math.max(marks[instanceType] ?? 0, until);
}
