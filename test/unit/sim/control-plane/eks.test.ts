import { describe, expect, it } from 'vitest';
import { EksError } from '../../../../shared/ports/eks';
import { SimEks } from '../../../../shared/sim/control-plane/eks';
import { VirtualClock } from '../../../../shared/sim/virtual-clock';

const START = Date.UTC(2025, 5, 2, 8, 0, 0);

function setup() {
  const clock = new VirtualClock(START);
  const eks = new SimEks({ clock, updateMinutes: 8 });
  eks.addCluster('prod', 'tier-xl');
  return { clock, eks };
}

describe('SimEks', () => {
  it('should keep the old tier while an update runs, and the new one once it succeeded', async () => {
    const { clock, eks } = setup();
    const update = await eks.updateScalingTier('prod', 'tier-2xl', 'swap-1');
    expect(update).toMatchObject({ status: 'InProgress', createdAt: START, errors: [] });
    expect(await eks.describeCluster('prod')).toEqual({ name: 'prod', status: 'UPDATING', tier: 'tier-xl' });
    expect(eks.nextEventAt()).toBe(START + 8 * 60_000);
    clock.advance(8 * 60_000 - 1);
    expect((await eks.describeUpdate('prod', update.id)).status).toBe('InProgress');
    clock.advance(1);
    expect((await eks.describeUpdate('prod', update.id)).status).toBe('Successful');
    expect(await eks.describeCluster('prod')).toEqual({ name: 'prod', status: 'ACTIVE', tier: 'tier-2xl' });
  });

  it('should return the same update for the same client request token, and refuse a second one while it runs', async () => {
    const { eks } = setup();
    const first = await eks.updateScalingTier('prod', 'tier-2xl', 'swap-1');
    expect(await eks.updateScalingTier('prod', 'tier-2xl', 'swap-1')).toEqual(first);
    await expect(eks.updateScalingTier('prod', 'tier-4xl', 'swap-2')).rejects.toMatchObject({
      reason: 'Busy',
    });
    expect(eks.updates('prod')).toHaveLength(1);
  });

  it('should refuse an unknown tier, the current tier and an unknown cluster or update', async () => {
    const { eks } = setup();
    await expect(eks.updateScalingTier('prod', 'tier-16xl', 't1')).rejects.toMatchObject({
      reason: 'Invalid',
    });
    await expect(eks.updateScalingTier('prod', 'tier-xl', 't2')).rejects.toMatchObject({ reason: 'Invalid' });
    await expect(eks.describeCluster('nope')).rejects.toBeInstanceOf(EksError);
    await expect(eks.describeUpdate('prod', 'nope')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('should fail updates to a tier told to fail, keeping the old tier', async () => {
    const { clock, eks } = setup();
    eks.failTier('tier-2xl');
    const update = await eks.updateScalingTier('prod', 'tier-2xl', 'swap-1');
    clock.advance(8 * 60_000);
    expect(await eks.describeUpdate('prod', update.id)).toMatchObject({
      status: 'Failed',
      errors: [expect.stringMatching(/^InsufficientCapacity/)],
    });
    expect(eks.tierOf('prod')).toBe('tier-xl');
  });
});
