/**
 * An EKS cluster's Provisioned Control Plane tier, up and down through the simulated EKS update, driven
 * by the seat-utilization alarms, through the real control-plane loop with its state in DynamoDB on
 * dynalite.
 */
import { describe, expect, it } from 'vitest';
import { SWAP_HISTORY_KEY } from '../../../shared/controlplane/swap-record';
import { controlPlaneController } from '../../../shared/sim/control-plane/controller';
import { DEFAULT_TIER_UPDATE_MINUTES } from '../../../shared/sim/control-plane/eks';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import { HOUR, MINUTE, modelOf, testScenario, useDynamo, worldOf } from './control-plane-world';

const dynamo = useDynamo();

describe('simulator e2e: EKS Provisioned Control Plane tiers', () => {
  it('should move up a tier when seats run short, wait for EKS to apply it, and back down once idle after the cooldown', async () => {
    // 1,000 nodes need ~1,300 seats: 76 % of XL's 1,700. From the second hour 500 nodes need ~650: 19 %
    // of 2XL's 3,400, and 38 % of XL's (no further step down).
    const scenario = testScenario({
      eksTier: 'tier-xl',
      nodes: {
        kind: 'steps',
        steps: [
          { atMinute: 0, rps: 1000 },
          { atMinute: 60, rps: 500 },
        ],
      },
      settings: {},
      durationMs: 5 * HOUR,
    });
    const world = worldOf(scenario);
    const model = modelOf(world);
    const eks = model.eks;
    if (!eks) throw new Error('no EKS');
    const state = dynamo.store(world);
    const tiers: { time: number; tier: string; status: string }[] = [];
    const observer: SimController = {
      name: 'observer',
      intervalMs: HOUR,
      tick: async () => undefined,
      async deliverEvents(now) {
        const info = await eks.describeCluster(model.eksCluster);
        const last = tiers.at(-1);
        if (!last || last.tier !== info.tier || last.status !== info.status) {
          tiers.push({ time: now, tier: info.tier, status: info.status });
        }
        return false;
      },
    };
    const result = await runSimulation(world, {
      controllers: [controlPlaneController(world, { state }), observer],
    });
    const run = result.controlPlane;
    if (!run) throw new Error('no control-plane result');
    expect(run.kind).toBe('eks');
    expect(run.swaps.map((swap) => [swap.direction, swap.from, swap.to, swap.outcome])).toEqual([
      ['up', 'tier-xl', 'tier-2xl', 'done'],
      ['down', 'tier-2xl', 'tier-xl', 'done'],
    ]);
    const [up, down] = run.swaps as [(typeof run.swaps)[number], (typeof run.swaps)[number]];

    // Each swap is one UpdateClusterConfig, followed until EKS says Successful: the cluster is UPDATING
    // on its old tier for the update's minutes, then ACTIVE on the new one.
    const updates = eks.updates(model.eksCluster);
    expect(updates.map((update) => update.status)).toEqual(['Successful', 'Successful']);
    expect(tiers.map(({ tier, status }) => [tier, status])).toEqual([
      ['tier-xl', 'ACTIVE'],
      ['tier-xl', 'UPDATING'],
      ['tier-2xl', 'ACTIVE'],
      ['tier-2xl', 'UPDATING'],
      ['tier-xl', 'ACTIVE'],
    ]);
    const upDone = up.finishedAt ?? Number.NaN;
    expect(upDone - up.startedAt).toBeGreaterThanOrEqual(DEFAULT_TIER_UPDATE_MINUTES * MINUTE);
    expect(upDone - up.startedAt).toBeLessThan((DEFAULT_TIER_UPDATE_MINUTES + 1) * MINUTE);
    expect(up.steps.map((step) => step.kind)).toEqual(['start', 'update-tier', 'finish']);

    // Down: an hour of low seats after the drop at 60 min, and the two-hour down cooldown.
    expect(down.startedAt - scenario.start).toBeGreaterThanOrEqual(120 * MINUTE);
    expect(down.startedAt - upDone).toBeGreaterThanOrEqual(120 * MINUTE);
    const low = run.alarms.find((alarm) => alarm.name.endsWith('-load-low') && alarm.to === 'ALARM');
    expect(low?.time).toBeLessThanOrEqual(down.startedAt);

    // Seat utilization and latency follow the tier.
    const index = (t: number) => result.series.times.findIndex((time) => time >= t);
    expect(run.series.loadPercent[index(up.startedAt + 30 * MINUTE)]).toBeLessThan(45);
    expect(run.series.loadPercent[index(down.finishedAt ?? 0) + 5]).toBeGreaterThan(25);
    const history = await state.get(scenario.clusterName, SWAP_HISTORY_KEY);
    expect(((history?.data ?? {}) as { entries: unknown[] }).entries).toHaveLength(2);
  });
});
