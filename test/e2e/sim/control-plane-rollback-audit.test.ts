/**
 * Two things the simulator once caught the control-plane loop getting wrong: a rollback of a group that
 * launches `$Latest` (which by then names the swap's own version) must launch the original type again,
 * and the tick that starts a swap must keep an audit record of the start and of its first step.
 */
import { describe, expect, it } from 'vitest';
import { SWAP_KEY } from '../../../shared/controlplane/swap-record';
import {
  BUSY_NODES,
  finishedSwap,
  HandTicker,
  MINUTE,
  modelOf,
  testScenario,
  useDynamo,
  worldOf,
  ZONES,
} from './control-plane-world';

const dynamo = useDynamo();

describe('rollback of a group that launches $Latest', () => {
  // ec2-swap.ts `rollBackStep` points the group back at `originalVersion` as the group named it. For
  // `$Latest` that is the version the swap itself created (the new type): after the rollback the group
  // still launches the type that failed, and the loop reads it as the current type.
  it('should launch the original type again after the rollback', async () => {
    const world = worldOf(
      testScenario({
        nodes: { kind: 'constant', rps: BUSY_NODES },
        ec2: { launchTemplateVersion: '$Latest' },
      }),
    );
    const model = modelOf(world);
    for (const zone of ZONES) {
      world.cloud.setCapacityAvailable(
        { instanceType: 'm6i.2xlarge', zone, capacityType: 'on-demand' },
        false,
      );
    }
    const state = dynamo.store(world);
    const ticker = new HandTicker(world, { state });
    await ticker.tickUntil(finishedSwap);
    expect((await state.get(world.scenario.clusterName, SWAP_KEY))?.data).toMatchObject({
      state: 'rolled-back',
    });

    const [group] = await world.cloud.describeGroups([model.groupNames[0] as string]);
    expect(group?.instanceTypes).toEqual(['m6i.xlarge']);
    ticker.advance(30 * MINUTE);
    const next = await ticker.tick();
    if (next instanceof Error) throw next;
    expect(next.current).toBe('m6i.xlarge');
  });
});

describe('audit records of a swap', () => {
  // control-plane-loop.ts `audit` keys a record by the tick's time and the swap id only; the tick that
  // starts a swap writes "started" and then its first step under the same key, so the conditional put of
  // the step fails (VersionConflictError, swallowed) and the first step has no audit record.
  it('should keep an audit record of the start and of the first step', async () => {
    const world = worldOf(testScenario({ nodes: { kind: 'constant', rps: BUSY_NODES } }));
    const state = dynamo.store(world);
    const ticker = new HandTicker(world, { state });
    const first = await ticker.tick();
    if (first instanceof Error) throw first;
    expect(first.swap?.step).toMatch(/^suspend/);
    const records = await state.query(world.scenario.clusterName, 'decision#control-plane#');
    expect(records.map((record) => (record.data as { what: string }).what)).toEqual(['started', 'suspend']);
  });
});
