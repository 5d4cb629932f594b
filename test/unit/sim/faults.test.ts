import { describe, expect, it } from 'vitest';
import { SimCloud } from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { applyFault, describeFault, type ScenarioFault } from '../../../shared/sim/faults';
import {
  createSpotInterruptionScenario,
  REBALANCE_LEAD_MS,
  SPOT_WARNING,
} from '../../../shared/sim/scenarios/spot-interruption';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { START } from './fixtures';

function spotCloud() {
  const clock = new VirtualClock(START);
  const cloud = new SimCloud({ clock, cluster: new SimCluster({ clock }) });
  cloud.addGroup({
    name: 'spot-a',
    minSize: 0,
    maxSize: 5,
    desiredCapacity: 3,
    availabilityZones: ['eu-central-1a'],
    instanceType: 'm5.xlarge',
    capacityType: 'spot',
  });
  return cloud;
}

describe('rebalance-recommendation fault', () => {
  const fault: ScenarioFault = { atMs: 0, kind: 'rebalance-recommendation', group: 'spot-a' };

  it('should recommend the oldest in-service spot instance not recommended or interrupted yet', () => {
    const cloud = spotCloud();
    const [first, second, third] = cloud.instances('spot-a');
    cloud.interruptSpotInstance(first?.instanceId ?? '');
    expect(applyFault(cloud, fault)).toBe(`${second?.instanceId} (node ${second?.nodeName})`);
    expect(applyFault(cloud, fault)).toBe(`${third?.instanceId} (node ${third?.nodeName})`);
    expect(applyFault(cloud, fault)).toBeUndefined();
    expect(cloud.takeInstanceEvents().map((event) => [event.kind, event.instanceId])).toEqual([
      ['spot-interruption', first?.instanceId],
      ['rebalance-recommendation', second?.instanceId],
      ['rebalance-recommendation', third?.instanceId],
    ]);
  });

  it('given an instance, should recommend that one', () => {
    const cloud = spotCloud();
    const [, second] = cloud.instances('spot-a');
    applyFault(cloud, { ...fault, instanceId: second?.instanceId ?? '' });
    expect(cloud.takeInstanceEvents()).toMatchObject([
      { kind: 'rebalance-recommendation', instanceId: second?.instanceId },
    ]);
    expect(describeFault(fault, 'i-1 (node n1)')).toBe('rebalance recommendation: i-1 (node n1) in spot-a');
  });
});

describe('spot-interruption scenario', () => {
  it('should recommend rebalancing in the warned group some minutes before the warning', () => {
    const faults = createSpotInterruptionScenario().faults ?? [];
    const warning = faults.find((f) => f.kind === 'spot-interruption');
    expect(faults.map((f) => f.kind)).toEqual(['rebalance-recommendation', 'spot-interruption']);
    expect(faults[0]).toEqual({
      kind: 'rebalance-recommendation',
      atMs: (warning?.atMs ?? 0) - REBALANCE_LEAD_MS,
      group: SPOT_WARNING.group,
    });
  });
});
