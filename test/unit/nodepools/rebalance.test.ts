/**
 * Growing the preferred pool for fallback nodes (shared/nodepools/rebalance.ts), on m5.large nodes
 * (1930m CPU allocatable).
 */
import { describe, expect, it } from 'vitest';
import type { NodePool } from '../../../shared/nodepools/pool';
import { planRebalance, type RebalanceInput } from '../../../shared/nodepools/rebalance';
import type { RebalanceHint } from '../../../shared/nodepools/scale-down';
import type { Node, Pod } from '../../../shared/ports/kubernetes';
import { makeNode, makePod, makePool, TEST_LIMITS, ZONES } from './fixtures';

const [ZONE_A] = ZONES;
const NOW = Date.UTC(2025, 5, 3, 2, 0, 0);

function pod(name: string, node: string, cpu: string): Pod {
  return makePod(name, { owner: `rs-${name}`, cpu, nodeName: node });
}

function hint(node: string, pods: string[], overrides: Partial<RebalanceHint> = {}): RebalanceHint {
  return { node, pool: 'fallback', preferredPool: 'default', pods, since: NOW, due: true, ...overrides };
}

/** `default` (priority 10) with one busy node d1 in zone a; `fallback` with nodes f1 and f2 in zone a. */
function cluster(defaultOptions: Parameters<typeof makePool>[1] = {}) {
  const preferred = makePool('default', { priority: 10, zones: [ZONE_A], desired: 1, ...defaultOptions });
  const fallback = makePool('fallback', { zones: [ZONE_A], desired: 2 });
  const template = (pool: NodePool) => (pool.groups[0] as NodePool['groups'][number]).template;
  const nodes: Node[] = [
    makeNode('d1', template(preferred)),
    makeNode('f1', template(fallback)),
    makeNode('f2', template(fallback)),
  ];
  const pods = [
    pod('busy', 'd1', '1800m'),
    pod('web-0', 'f1', '1200m'),
    pod('web-1', 'f2', '1200m'),
    pod('web-2', 'f2', '400m'),
  ];
  return { pools: [preferred, fallback], nodes, pods };
}

function input(overrides: Partial<RebalanceInput> = {}): RebalanceInput {
  return {
    hints: [],
    nodes: [],
    pods: [],
    daemonSets: [],
    claims: [],
    volumes: [],
    pools: [],
    limits: TEST_LIMITS,
    ...overrides,
  };
}

describe('planRebalance', () => {
  it('should grow the preferred pool by the nodes the due hints’ pods need, and no other pool', () => {
    const world = cluster();
    const plan = planRebalance(
      input({
        ...world,
        hints: [hint('f1', ['shop/web-0']), hint('f2', ['shop/web-1', 'shop/web-2'])],
      }),
    );
    expect(plan.preferredPool).toBe('default');
    expect(plan.nodes).toEqual(['f1', 'f2']);
    // 1200m + 1200m + 400m on 1930m nodes: two new nodes.
    expect(plan.increases.map((i) => [i.asgName, i.from, i.to])).toEqual([['default-a', 1, 3]]);
    expect(plan.increases[0]?.pods.sort()).toEqual(['shop/web-0', 'shop/web-1', 'shop/web-2']);
    expect(plan.unplaceable).toEqual([]);
  });

  it('should do nothing while no hint is due', () => {
    const world = cluster();
    const plan = planRebalance(input({ ...world, hints: [hint('f1', ['shop/web-0'], { due: false })] }));
    expect(plan).toMatchObject({ increases: [], nodes: [] });
    expect(plan.preferredPool).toBeUndefined();
  });

  it('should count nodes already coming up in the preferred pool instead of adding more', () => {
    const world = cluster({ desired: 2, ready: 1 });
    const plan = planRebalance(input({ ...world, hints: [hint('f1', ['shop/web-0'])] }));
    expect(plan.increases).toEqual([]);
    expect(plan.fitsUpcoming).toEqual(['shop/web-0']);
  });

  it('should not give the pods room on the fallback nodes they are to leave', () => {
    const world = cluster();
    // f2's pods would fit f1's free room (730m), but f1 is leaving too.
    const plan = planRebalance(
      input({ ...world, hints: [hint('f1', ['shop/web-0']), hint('f2', ['shop/web-2'])] }),
    );
    expect(plan.fitsExisting).toEqual([]);
    expect(plan.increases.map((i) => i.to)).toEqual([2]);
  });

  it('should keep the preferred pool within its limits and say so', () => {
    const world = cluster({ maxSize: 2 });
    const plan = planRebalance(
      input({
        ...world,
        hints: [hint('f1', ['shop/web-0']), hint('f2', ['shop/web-1', 'shop/web-2'])],
      }),
    );
    expect(plan.increases.map((i) => [i.asgName, i.to])).toEqual([['default-a', 2]]);
    expect(plan.unplaceable.map((u) => u.pod).length).toBeGreaterThan(0);
  });

  it('should grow only the highest-priority preferred pool of one tick', () => {
    const world = cluster();
    const middle = makePool('middle', { priority: 5, zones: [ZONE_A], desired: 0 });
    const plan = planRebalance(
      input({
        ...world,
        pools: [...world.pools, middle],
        hints: [hint('f1', ['shop/web-0'], { preferredPool: 'middle' }), hint('f2', ['shop/web-1'])],
      }),
    );
    expect(plan.preferredPool).toBe('default');
    expect(plan.nodes).toEqual(['f2']);
    expect(plan.increases.map((i) => i.pool)).toEqual(['default']);
  });

  it('should leave a backed-off preferred pool alone', () => {
    const world = cluster({ blocked: { [ZONE_A]: 'backed off until later: capacity' } });
    const plan = planRebalance(input({ ...world, hints: [hint('f1', ['shop/web-0'])] }));
    expect(plan.increases).toEqual([]);
    expect(plan.unplaceable.map((u) => u.pod)).toEqual(['shop/web-0']);
  });
});
