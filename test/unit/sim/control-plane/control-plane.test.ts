import { describe, expect, it } from 'vitest';
import { controlPlaneAlarmNames } from '../../../../shared/controlplane/alarm-names';
import type { Scenario } from '../../../../shared/sim/scenario';
import { createSimWorld } from '../../../../shared/sim/world';

const START = Date.UTC(2025, 5, 2, 8, 0, 0);

function scenario(controlPlane: Scenario['controlPlane']): Scenario {
  return {
    name: 'unit',
    description: '',
    clusterName: 'unit-cp',
    seed: 1,
    start: START,
    utcOffsetMinutes: 0,
    durationMs: 3_600_000,
    tickIntervalMs: 15_000,
    sampleIntervalMs: 60_000,
    nodeGroups: [],
    services: [],
    ...(controlPlane ? { controlPlane } : {}),
  };
}

const ec2 = {
  instanceType: 'm6i.xlarge',
  groups: [
    { name: 'cp-a', availabilityZones: ['eu-central-1a'], instances: 1 },
    { name: 'cp-b', availabilityZones: ['eu-central-1b'], instances: 1 },
  ],
};

describe('SimControlPlane', () => {
  it('should fill in the groups and launch templates, and create the config’s alarms with its thresholds', async () => {
    const world = createSimWorld(
      scenario({
        settings: {
          cpu: { highPercent: 65 },
          latency: { cloudwatch: { namespace: 'Kube', metricName: 'ApiLatency' }, highSeconds: 2 },
        },
        ec2,
        load: { nodes: { kind: 'constant', rps: 300 }, podsPerNode: 30 },
      }),
    );
    const model = world.controlPlane;
    if (!model) throw new Error('no control plane');
    expect(model.settings.ec2).toMatchObject({
      asgs: ['cp-a', 'cp-b'],
      launchTemplateIds: [expect.stringMatching(/^lt-0/), expect.stringMatching(/^lt-0/)],
    });
    const names = controlPlaneAlarmNames('unit-cp', model.settings);
    expect(names.high).toHaveLength(2);
    const alarms = await model.alarms.describeAlarms([...names.high, ...names.low]);
    expect(alarms.map((alarm) => [alarm.name, alarm.state, alarm.threshold])).toEqual([
      [names.high[0], 'OK', 65],
      [names.high[1], 'OK', 2],
      [names.low[0], 'OK', 25],
    ]);
    const nodes = await world.cluster.listNodes();
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      expect(node.labels['node-role.kubernetes.io/control-plane']).toBe('');
      expect(node.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    }
    expect(model.snapshot()).toMatchObject({
      size: { nodes: 302, pods: 9000 },
      sizes: { 'm6i.xlarge': 2 },
      healthy: 2,
    });
  });

  it('should start the load alarm in ALARM when the control plane starts overloaded', async () => {
    const world = createSimWorld(
      scenario({ settings: {}, ec2, load: { nodes: { kind: 'constant', rps: 700 }, podsPerNode: 30 } }),
    );
    const model = world.controlPlane;
    if (!model) throw new Error('no control plane');
    expect(model.snapshot().loadPercent).toBeGreaterThan(90);
    expect(model.alarms.stateOf(model.alarmNames.high[0] as string)).toBe('ALARM');
  });

  it('should measure an EKS tier’s seat utilization against the config’s seat capacity', () => {
    const world = createSimWorld(
      scenario({
        settings: { eks: { seatCapacity: { 'tier-xl': 2600 } } },
        eks: { tier: 'tier-xl' },
        load: { nodes: { kind: 'constant', rps: 1000 }, podsPerNode: 30 },
      }),
    );
    const model = world.controlPlane;
    if (!model) throw new Error('no control plane');
    expect(model.kind).toBe('eks');
    expect(model.snapshot().loadPercent).toBeCloseTo(50, 0);
    expect(model.snapshot().sizes).toEqual({ 'tier-xl': 1 });
    expect(model.ports().aws).toBeUndefined();
  });
});
