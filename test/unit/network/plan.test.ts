import { describe, expect, it } from 'vitest';
import { KUBELET_DEFAULT_MAX_PODS, parseCidr, planNetwork } from '../../../shared/network/plan';

const plan = (input: Parameters<typeof planNetwork>[0]) => {
  const result = planNetwork(input);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.plan;
};

describe('planNetwork', () => {
  it.each([
    // node mask, addresses per node, max pods per node, max nodes in a /16
    [22, 1024, 110, 64],
    [23, 512, 110, 128],
    [24, 256, 110, 256],
    [25, 128, 64, 512],
    [26, 64, 32, 1024],
  ])(
    'given a /16 and /%i node ranges, should give %i addresses, %i pods and %i nodes',
    (mask, addresses, pods, nodes) => {
      const p = plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: mask });
      expect(p).toMatchObject({
        addressesPerNode: addresses,
        maxPodsPerNode: pods,
        maxNodes: nodes,
        reservedRanges: 0,
      });
      expect(p.maxPods).toBe(nodes * pods);
      expect(p.warnings).toEqual([]);
    },
  );

  it('given a /27 or /28, should refuse it unless narrow ranges are allowed', () => {
    const refused = planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 27 });
    expect(refused).toEqual({
      ok: false,
      problems: [
        'nodeCidrMaskSize: /27 gives 16 pods per node; ranges narrower than /26 need allowNarrowNodeCidr: true',
      ],
    });
    expect(
      plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 28, allowNarrowNodeCidr: true }),
    ).toMatchObject({
      addressesPerNode: 16,
      maxPodsPerNode: 8,
      maxNodes: 4096,
    });
    expect(
      planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 29, allowNarrowNodeCidr: true }).ok,
    ).toBe(false);
  });

  it('given bad input, should name every problem', () => {
    expect(planNetwork({ clusterCidr: '10.2.0.0/33', nodeCidrMaskSize: 24 })).toEqual({
      ok: false,
      problems: ['clusterCidr: "10.2.0.0/33" is not an IPv4 CIDR like 10.2.0.0/16'],
    });
    expect(planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 12 })).toEqual({
      ok: false,
      problems: ['nodeCidrMaskSize: /12 is wider than the cluster CIDR /16'],
    });
    const several = planNetwork({
      clusterCidr: 'ten',
      nodeCidrMaskSize: 24,
      serviceCidr: 'x',
      maxPodsPerNode: 0,
    });
    expect(!several.ok && several.problems).toHaveLength(3);
  });

  it('given a service CIDR inside the cluster CIDR, should not count the node ranges it takes', () => {
    const p = plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 25, serviceCidr: '10.2.255.0/24' });
    expect(p).toMatchObject({ nodeRanges: 512, reservedRanges: 2, maxNodes: 510 });
    expect(p.warnings).toEqual(['the service CIDR 10.2.255.0/24 takes 2 node range(s) of the cluster CIDR']);
    expect(
      plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 24, serviceCidr: '10.3.0.0/16' }).reservedRanges,
    ).toBe(0);
    expect(
      plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 24, serviceCidr: '10.2.10.7/32' }).reservedRanges,
    ).toBe(1);
  });

  it('given a max pods override, should warn above the rule and refuse more pods than addresses', () => {
    const above = plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 25, maxPodsPerNode: 100 });
    expect(above.maxPodsPerNode).toBe(100);
    expect(above.warnings[0]).toContain('maxPodsPerNode 100 exceeds 64');
    expect(plan({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 24, maxPodsPerNode: 58 }).warnings).toEqual(
      [],
    );
    expect(planNetwork({ clusterCidr: '10.2.0.0/16', nodeCidrMaskSize: 25, maxPodsPerNode: 126 })).toEqual({
      ok: false,
      problems: ['maxPodsPerNode: 126 pods cannot fit in a /25 (125 usable addresses)'],
    });
  });

  it('should never give a node more pods than the kubelet’s default', () => {
    expect(plan({ clusterCidr: '10.0.0.0/8', nodeCidrMaskSize: 16 }).maxPodsPerNode).toBe(
      KUBELET_DEFAULT_MAX_PODS,
    );
  });
});

describe('parseCidr', () => {
  it('given valid and invalid text, should parse only IPv4 CIDRs', () => {
    expect(parseCidr('10.2.0.0/16')).toEqual({ address: 10 * 2 ** 24 + 2 * 2 ** 16, prefix: 16 });
    expect(parseCidr('256.0.0.0/8')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('fd00::/8')).toBeUndefined();
  });
});
