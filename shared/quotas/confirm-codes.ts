/**
 * Confirming the table's quota codes against what Service Quotas lists for the account and region
 * (`ListServiceQuotas` for `ec2`), by name. Codes are AWS's stable identifiers, but the table is data
 * written by hand: a code that lists under another quota's name, or a name that lists under another code,
 * is a table to fix, and the run should say so rather than request an increase of the wrong quota.
 */
import type { Ec2VcpuQuota } from './ec2-vcpu-quotas';

/** One quota as `ListServiceQuotas` returns it (QuotaCode, QuotaName). */
export interface ListedQuota {
  code: string;
  name: string;
}

export type CodeCheck =
  /** Listed under this code with the table's name (or a former one). */
  | { status: 'confirmed'; code: string; name: string; useCode: string }
  /**
   * Listed under this code with a name the table does not know. The code is kept (AWS renames quotas, as
   * it did when P5 got its own Spot quota), and the new name is reported so the table can follow.
   */
  | { status: 'renamed'; code: string; name: string; listedName: string; useCode: string }
  /** The code is not listed, but the name is, under another code: that one is used, and reported. */
  | { status: 'moved'; code: string; name: string; listedCode: string; useCode: string }
  /** Neither code nor name is listed (the quota does not exist in this region or partition): skipped. */
  | { status: 'missing'; code: string; name: string };

function normalized(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Checks every quota of the table against the listing.
 *
 * @example
 * confirmQuotaCodes([{ code: 'L-7212CCBC', name: 'All P Spot Instance Requests' }], EC2_VCPU_QUOTAS)
 * // [..., { status: 'confirmed', code: 'L-7212CCBC', useCode: 'L-7212CCBC', ... }, ...] (a former name)
 */
export function confirmQuotaCodes(
  listed: readonly ListedQuota[],
  quotas: readonly Pick<Ec2VcpuQuota, 'code' | 'name' | 'formerNames'>[],
): CodeCheck[] {
  const byCode = new Map(listed.map((quota) => [quota.code, quota]));
  const byName = new Map(listed.map((quota) => [normalized(quota.name), quota]));
  return quotas.map((quota): CodeCheck => {
    const names = new Set([quota.name, ...quota.formerNames].map(normalized));
    const sameCode = byCode.get(quota.code);
    if (sameCode) {
      return names.has(normalized(sameCode.name))
        ? { status: 'confirmed', code: quota.code, name: quota.name, useCode: quota.code }
        : {
            status: 'renamed',
            code: quota.code,
            name: quota.name,
            listedName: sameCode.name,
            useCode: quota.code,
          };
    }
    for (const name of names) {
      const sameName = byName.get(name);
      if (sameName) {
        return {
          status: 'moved',
          code: quota.code,
          name: quota.name,
          listedCode: sameName.code,
          useCode: sameName.code,
        };
      }
    }
    return { status: 'missing', code: quota.code, name: quota.name };
  });
}
