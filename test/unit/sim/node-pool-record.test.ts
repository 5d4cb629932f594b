import { describe, expect, it } from 'vitest';
import type { NodePoolTickSummary } from '../../../shared/loops/node-pool-loop';
import type { NodePool } from '../../../shared/nodepools/pool';
import type { AutoScalingGroup, ScalingActivity } from '../../../shared/ports/auto-scaling';
import type { Node, Pod } from '../../../shared/ports/kubernetes';
import { fallbackEpisodes, lowerBoundNodes, NodePoolRecorder } from '../../../shared/sim/node-pool-record';
import type { NodePoolRun, PendingPodRecord } from '../../../shared/sim/result';

const T0 = Date.UTC(2025, 5, 3, 18, 0, 0);
const SECOND = 1000;
const GIB = 1024 ** 3;

function pool(name: string, priority: number, asgs: string[], desired = 2): NodePool {
  return {
    name,
    priority,
    capacityType: 'on-demand',
    instanceTypes: ['m5.xlarge'],
    planningInstanceType: 'm5.xlarge',
    labels: {},
    taints: [],
    groups: asgs.map((asgName) => ({
      asgName,
      zone: `eu-central-1${asgName.slice(-1)}`,
      minSize: 0,
      maxSize: 10,
      desiredCapacity: desired,
      readyNodes: desired,
      template: {
        capacity: {},
        allocatable: { cpu: '4000m', memory: '16Gi', pods: '100' },
        labels: {},
        taints: [],
      },
    })),
  };
}

function group(name: string, instanceIds: string[]): AutoScalingGroup {
  return {
    name,
    minSize: 0,
    maxSize: 10,
    desiredCapacity: instanceIds.length,
    availabilityZones: [`eu-central-1${name.slice(-1)}`],
    tags: {},
    instances: instanceIds.map((instanceId) => ({
      instanceId,
      availabilityZone: `eu-central-1${name.slice(-1)}`,
      instanceType: 'm5.xlarge',
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
    })),
    instanceTypes: ['m5.xlarge'],
    purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
  };
}

function node(name: string, instanceId: string, zone: string, joinedAt = T0): Node {
  return {
    name,
    uid: name,
    labels: { 'topology.kubernetes.io/zone': zone },
    annotations: {},
    capacity: {},
    allocatable: {},
    unschedulable: false,
    taints: [],
    ready: true,
    creationTimestamp: joinedAt,
    providerID: `aws:///${zone}/${instanceId}`,
  };
}

function pod(
  name: string,
  cpu: string,
  memory: string,
  options: { node?: string; pendingSince?: number; boundAt?: number; daemon?: boolean } = {},
): Pod {
  return {
    namespace: 'shop',
    name,
    uid: name,
    labels: {},
    annotations: {},
    phase: options.node ? 'Running' : 'Pending',
    ...(options.node ? { nodeName: options.node } : {}),
    creationTimestamp: T0,
    conditions: options.node
      ? [{ type: 'PodScheduled', status: 'True', lastTransitionTime: options.boundAt ?? T0 }]
      : options.pendingSince !== undefined
        ? [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              lastTransitionTime: options.pendingSince,
            },
          ]
        : [],
    containers: [{ name: 'app', requests: { cpu, memory }, limits: {} }],
    initContainers: [],
    ownerReferences: options.daemon
      ? [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds' }]
      : [],
  };
}

function summary(time: number, overrides: Partial<NodePoolTickSummary> = {}): NodePoolTickSummary {
  return {
    cluster: 'c',
    time,
    dryRun: false,
    pools: [],
    pendingPods: 0,
    fitsExisting: 0,
    fitsUpcoming: 0,
    increases: [],
    failures: [],
    unplaceable: [],
    limitsReached: [],
    problems: [],
    scaleDown: { started: [], drains: [], unneeded: 0, blocked: [], rebalance: [], staleTaintsRemoved: [] },
    rebalance: { nodes: [], increases: [], unplaceable: [] },
    counts: { desiredCapacityWrites: 0, stateWrites: 0, events: 0 },
    ...overrides,
  };
}

describe('lowerBoundNodes', () => {
  it('should take the scarcest resource over one node after its DaemonSet pods', () => {
    const allocatable = { cpuMillis: 4000, memoryBytes: 16 * GIB, pods: 100 };
    const daemons = { cpuMillis: 500, memoryBytes: 0, pods: 2 };
    expect(lowerBoundNodes({ cpuMillis: 7000, memoryBytes: 8 * GIB, pods: 10 }, allocatable, daemons)).toBe(
      2,
    );
    expect(lowerBoundNodes({ cpuMillis: 1000, memoryBytes: 24 * GIB, pods: 10 }, allocatable, daemons)).toBe(
      1.5,
    );
    expect(lowerBoundNodes({ cpuMillis: 0, memoryBytes: 0, pods: 0 }, allocatable, daemons)).toBe(0);
  });
});

describe('NodePoolRecorder', () => {
  it('should count nodes per pool, integrate node-hours against the lower bound and follow pending pods', () => {
    const recorder = new NodePoolRecorder(15 * SECOND, 120);
    const pools = [pool('default', 0, ['default-a']), pool('fallback', -10, ['fallback-a'], 0)];
    const groups = [group('default-a', ['i-1', 'i-2']), group('fallback-a', [])];
    const nodes = [node('n1', 'i-1', 'eu-central-1a'), node('n2', 'i-2', 'eu-central-1a')];
    recorder.sample(T0);
    recorder.observe({
      summary: summary(T0, {
        increases: [
          {
            pool: 'fallback',
            asgName: 'fallback-a',
            zone: 'eu-central-1a',
            from: 0,
            to: 1,
            pods: ['shop/late'],
            result: 'applied',
          },
        ],
      }),
      nodes,
      pods: [
        pod('a', '3000m', '1Gi', { node: 'n1' }),
        pod('b', '2600m', '1Gi', { node: 'n2' }),
        pod('agent-1', '400m', '256Mi', { node: 'n1', daemon: true }),
        pod('agent-2', '400m', '256Mi', { node: 'n2', daemon: true }),
        pod('late', '2000m', '1Gi', { pendingSince: T0 - 5 * SECOND }),
        pod('gone', '2000m', '1Gi', { pendingSince: T0 - 5 * SECOND }),
      ],
      groups,
      pools,
    });
    const joined = T0 + 130 * SECOND;
    const fallbackGroup = group('fallback-a', ['i-3']);
    recorder.observe({
      summary: summary(T0 + 3_600 * SECOND),
      nodes: [...nodes, node('n3', 'i-3', 'eu-central-1a', joined)],
      pods: [
        pod('a', '3000m', '1Gi', { node: 'n1' }),
        pod('late', '2000m', '1Gi', { node: 'n3', boundAt: joined }),
      ],
      groups: [groups[0] as AutoScalingGroup, fallbackGroup],
      pools: [pools[0] as NodePool, pool('fallback', -10, ['fallback-a'], 1)],
    });
    recorder.sample(T0 + 3_600 * SECOND);
    const run = recorder.finish(T0 + 7_200 * SECOND, () => []);

    const [first, fallback] = run.pools;
    // Hour 1: 2 nodes; pods need 5.6 cores over 3.6 per node (after the 0.4-core agent): 1.56 nodes.
    // Hour 2: 2 nodes, 3 cores over 4 (no agents any more): 0.75.
    expect(first).toMatchObject({ name: 'default', minNodes: 2, maxNodes: 2, nodeHours: 4 });
    expect(first?.lowerBoundNodeHours).toBeCloseTo(5.6 / 3.6 + 0.75, 6);
    expect(fallback).toMatchObject({ name: 'fallback', nodeHours: 1, scaleUps: 1, nodesAdded: 1 });
    expect(run.series.default?.nodes).toEqual([2, 2]);
    expect(run.series.fallback?.desired).toEqual([1, 1]);
    expect(run.pendingPods).toEqual([
      {
        pod: 'shop/late',
        pendingSince: T0 - 5 * SECOND,
        boundAt: joined,
        node: 'n3',
        pool: 'fallback',
        zone: 'eu-central-1a',
        nodeJoinedAt: joined,
      },
      { pod: 'shop/gone', pendingSince: T0 - 5 * SECOND, deleted: true },
    ]);
    expect(run.decisions).toEqual([expect.objectContaining({ kind: 'scale-up', asgName: 'fallback-a' })]);
  });

  it('should put a rebalance growth of the preferred pool on the timeline and count it as a scale-up', () => {
    const recorder = new NodePoolRecorder(15 * SECOND, 120);
    const pools = [pool('default', 0, ['default-a']), pool('fallback', -10, ['fallback-a'], 1)];
    const groups = [group('default-a', ['i-1']), group('fallback-a', ['i-2'])];
    const nodes = [node('n1', 'i-1', 'eu-central-1a'), node('n2', 'i-2', 'eu-central-1a')];
    recorder.sample(T0);
    const increase = {
      pool: 'default',
      asgName: 'default-a',
      zone: 'eu-central-1a',
      from: 1,
      to: 2,
      pods: ['shop/web-0'],
      result: 'applied' as const,
    };
    recorder.observe({
      summary: summary(T0, {
        rebalance: { preferredPool: 'default', nodes: ['n2'], increases: [increase], unplaceable: [] },
      }),
      nodes,
      pods: [pod('web-0', '1000m', '1Gi', { node: 'n2' })],
      groups,
      pools,
    });
    const run = recorder.finish(T0 + 3_600 * SECOND, () => []);
    expect(run.decisions).toEqual([
      expect.objectContaining({ kind: 'scale-up', asgName: 'default-a', from: 1, to: 2, rebalance: true }),
    ]);
    expect(run.pools[0]).toMatchObject({ name: 'default', scaleUps: 1, nodesAdded: 1 });
    expect(run.series.default?.desired).toEqual([2]);
  });
});

describe('fallbackEpisodes', () => {
  const failedAt = T0 + 60 * SECOND;
  const activities = (groupName: string): ScalingActivity[] =>
    groupName === 'default-a'
      ? [
          {
            activityId: '1',
            groupName,
            startTime: T0,
            endTime: T0,
            statusCode: 'Successful',
            description: 'Launching a new EC2 instance: i-1',
            cause: '',
          },
          {
            activityId: '2',
            groupName,
            startTime: failedAt,
            endTime: failedAt,
            statusCode: 'Failed',
            statusMessage: 'InsufficientInstanceCapacity',
            description: 'Launching a new EC2 instance.',
            cause: '',
          },
        ]
      : [];
  const run = (
    pendingPods: PendingPodRecord[],
  ): Pick<NodePoolRun, 'decisions' | 'pools' | 'pendingPods'> => ({
    decisions: [
      {
        time: failedAt + 15 * SECOND,
        kind: 'failure',
        pool: 'default',
        asgName: 'default-a',
        failure: 'capacity',
        message: 'no capacity',
        backedOffUntil: failedAt + 75 * SECOND,
      },
    ],
    pools: [
      { name: 'default', priority: 0 },
      { name: 'fallback', priority: -10 },
    ] as NodePoolRun['pools'],
    pendingPods,
  });

  it('should date the failure by its activity and measure each fallback pod from the later of its pending start and the failure', () => {
    const [episode] = fallbackEpisodes(
      run([
        // Pending before the failure: counted from the failure.
        { pod: 'shop/a', pendingSince: T0, boundAt: failedAt + 135 * SECOND, pool: 'fallback' },
        // Pending after it: counted from its own start.
        {
          pod: 'shop/b',
          pendingSince: failedAt + 30 * SECOND,
          boundAt: failedAt + 150 * SECOND,
          pool: 'fallback',
        },
        // Placed in the same pool: no fallback.
        { pod: 'shop/c', pendingSince: T0, boundAt: failedAt + 200 * SECOND, pool: 'default' },
      ]),
      T0 + 3_600 * SECOND,
      activities,
    );
    expect(episode).toEqual({
      asgName: 'default-a',
      pool: 'default',
      failure: 'capacity',
      visibleAt: failedAt,
      detectedAt: failedAt + 15 * SECOND,
      fallbackPods: 2,
      fallbackPools: ['fallback'],
      placedWithinMs: 135 * SECOND,
      lastPlacedAt: failedAt + 150 * SECOND,
    });
  });

  it('given no pod went to a lower-priority pool, should report the failure without a fallback time', () => {
    const [episode] = fallbackEpisodes(run([]), T0 + 3_600 * SECOND, activities);
    expect(episode?.fallbackPods).toBe(0);
    expect(episode?.placedWithinMs).toBeUndefined();
  });
});

describe('NodePoolRecorder scale-down', () => {
  it('should count drains started, finished and aborted and each node removed once, as a timeline', () => {
    const recorder = new NodePoolRecorder(15_000, 120);
    const pools = [pool('default', 10, ['default-a'])];
    const groups = [group('default-a', ['i-1', 'i-2'])];
    const nodes = [node('n1', 'i-1', 'eu-central-1a'), node('n2', 'i-2', 'eu-central-1a')];
    const drain = (
      name: string,
      state: 'evicting' | 'terminating' | 'done',
      actions: string[],
      abortReason?: string,
    ) => ({
      node: name,
      pool: 'default',
      reason: 'scale-down: empty',
      state,
      actions,
      ...(abortReason ? { abortReason } : {}),
    });
    const tick = (time: number, scaleDown: Partial<NodePoolTickSummary['scaleDown']>) =>
      recorder.observe({
        summary: summary(time, {
          scaleDown: {
            started: [],
            drains: [],
            unneeded: 0,
            blocked: [],
            rebalance: [],
            staleTaintsRemoved: [],
            ...scaleDown,
          },
        }),
        nodes,
        pods: [],
        groups,
        pools,
      });
    tick(T0, {
      started: [
        { node: 'n1', pool: 'default', empty: true, reason: 'scale-down: empty' },
        {
          node: 'n2',
          pool: 'default',
          empty: false,
          reason: 'scale-down: utilization 20 %, 1 pod(s) to move',
        },
      ],
      drains: [
        drain('n1', 'terminating', ['taint', 'terminate']),
        drain('n2', 'evicting', ['taint', 'evict 1']),
      ],
    });
    tick(T0 + 15 * SECOND, {
      drains: [
        drain('n1', 'done', ['delete-node']),
        drain('n2', 'done', ['untaint'], 'evictions refused by a PodDisruptionBudget for 10 min'),
      ],
    });
    const run = recorder.finish(T0 + 30 * SECOND, () => []);
    expect(run.scaleDown).toEqual({ drainsStarted: 2, drainsFinished: 1, drainsAborted: 1, nodesRemoved: 1 });
    expect(run.decisions.map((d) => [d.time - T0, d.kind, 'node' in d ? d.node : ''])).toEqual([
      [0, 'drain-started', 'n1'],
      [0, 'drain-started', 'n2'],
      [0, 'node-removed', 'n1'],
      [15_000, 'drain-aborted', 'n2'],
    ]);
    expect(run.decisions.at(-1)).toMatchObject({
      reason: 'evictions refused by a PodDisruptionBudget for 10 min',
    });
    expect(run.disruption.podsLost).toBe(0);
  });

  it('should put spot warnings and rebalance recommendations on the timeline with their status', () => {
    const recorder = new NodePoolRecorder(15_000, 120);
    const recommendation = {
      kind: 'rebalance-recommendation' as const,
      instanceId: 'i-8',
      node: 'n8',
      warnedAt: T0 - 60 * SECOND,
      status: 'duplicate' as const,
    };
    const warning = {
      kind: 'spot-interruption' as const,
      instanceId: 'i-9',
      node: 'n9',
      warnedAt: T0,
      deadline: T0 + 120_000,
      status: 'not-ours' as const,
    };
    recorder.interruption(recommendation, 'spot');
    recorder.interruption(warning, '(not ours)');
    const run = recorder.finish(T0 + 60_000, () => []);
    // Only a warning the loop recorded is followed to its pods' replacements.
    expect(run.interruptions).toEqual([recommendation, warning]);
    expect(run.decisions).toEqual([
      {
        time: T0 - 60 * SECOND,
        kind: 'interruption',
        event: 'rebalance-recommendation',
        pool: 'spot',
        node: 'n8',
        instanceId: 'i-8',
        status: 'duplicate',
      },
      {
        time: T0,
        kind: 'interruption',
        event: 'spot-interruption',
        pool: '(not ours)',
        node: 'n9',
        instanceId: 'i-9',
        deadline: T0 + 120_000,
        status: 'not-ours',
      },
    ]);
  });

  it("should measure from the ticks when a recorded spot warning's pods were Ready on other nodes", () => {
    const recorder = new NodePoolRecorder(15_000, 120);
    recorder.interruption(
      {
        kind: 'spot-interruption',
        instanceId: 'i-9',
        node: 'n9',
        warnedAt: T0,
        deadline: T0 + 120_000,
        status: 'recorded',
      },
      'spot',
    );
    const owned = (p: Pod, owner: string, created = T0): Pod => ({
      ...p,
      creationTimestamp: created,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true },
      ],
    });
    const ready = (p: Pod, at: number): Pod => ({
      ...p,
      conditions: [...p.conditions, { type: 'Ready', status: 'True', lastTransitionTime: at }],
    });
    const onVictim = [
      owned(pod('web-1', '100m', '128Mi', { node: 'n9' }), 'web', T0 - 3_600_000),
      owned(pod('api-1', '100m', '128Mi', { node: 'n9' }), 'api', T0 - 3_600_000),
      {
        ...pod('agent-9', '50m', '64Mi', { node: 'n9' }),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds', controller: true },
        ],
      },
    ];
    const observe = (time: number, pods: Pod[]) =>
      recorder.observe({ summary: summary(time), nodes: [], pods, groups: [], pools: [] });
    // The tick the warning started saw the node's pods before evicting them.
    observe(T0, onVictim);
    observe(T0 + 15 * SECOND, [
      ready(owned(pod('web-2', '100m', '128Mi', { node: 'n1' }), 'web', T0 + SECOND), T0 + 12 * SECOND),
      owned(pod('api-2', '100m', '128Mi', { node: 'n2' }), 'api', T0 + SECOND),
    ]);
    observe(T0 + 30 * SECOND, [
      ready(owned(pod('web-2', '100m', '128Mi', { node: 'n1' }), 'web', T0 + SECOND), T0 + 12 * SECOND),
      ready(owned(pod('api-2', '100m', '128Mi', { node: 'n2' }), 'api', T0 + SECOND), T0 + 27 * SECOND),
    ]);
    const [outcome] = recorder.finish(T0 + 60_000, () => []).interruptions;
    expect(outcome).toMatchObject({ podsToMove: 2, podsReadyElsewhereAt: T0 + 27 * SECOND });
  });
});
