/**
 * The control-plane instance swap (shared/controlplane/ec2-swap.ts): every transition and failure path
 * on hand-made observations of two control-plane instances in one group behind one target group.
 */
import { describe, expect, it } from 'vitest';
import {
  type Ec2SwapObservation,
  type Ec2SwapSettings,
  HELD_PROCESSES,
  instancesToReplace,
  nextEc2SwapStep,
  type ObservedGroup,
  type ObservedInstance,
  recordNewVersion,
  rollBack,
} from '../../../shared/controlplane/ec2-swap';
import type { Ec2SwapRecord } from '../../../shared/controlplane/swap-record';
import { DEFAULT_DRAIN_SETTINGS } from '../../../shared/nodepools/drain';
import type { Pod } from '../../../shared/ports/kubernetes';
import type { TargetState } from '../../../shared/ports/load-balancing';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const TG = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/api/0123456789abcdef';
const SETTINGS: Ec2SwapSettings = { healthyTimeoutMs: 15 * MINUTE, drain: DEFAULT_DRAIN_SETTINGS };

function instance(id: string, type = 'm6i.xlarge', lifecycleState = 'InService'): ObservedInstance {
  return { instanceId: id, instanceType: type, lifecycleState };
}

function group(overrides: Partial<ObservedGroup> = {}): ObservedGroup {
  return {
    desiredCapacity: 2,
    minSize: 2,
    maxSize: 2,
    launchTemplate: { launchTemplateId: 'lt-1', version: '7' },
    suspendedProcesses: [],
    instances: [instance('i-old1'), instance('i-old2')],
    ...overrides,
  };
}

function swap(overrides: Partial<Ec2SwapRecord> = {}): Ec2SwapRecord {
  return {
    kind: 'ec2',
    id: 'swap-1',
    from: 'm6i.xlarge',
    to: 'm6i.2xlarge',
    direction: 'up',
    reason: 'load high',
    startedAt: NOW,
    state: 'preparing',
    stateSince: NOW,
    groups: [
      {
        name: 'cp',
        launchTemplateId: 'lt-1',
        originalVersion: '7',
        originalVersionNumber: 7,
        originalMinSize: 2,
        originalMaxSize: 2,
        originalDesired: 2,
      },
    ],
    targetGroupArns: [TG],
    healthyAtStart: 2,
    toReplace: [
      { instanceId: 'i-old1', group: 'cp' },
      { instanceId: 'i-old2', group: 'cp' },
    ],
    replaced: [],
    ...overrides,
  };
}

function observe(
  overrides: Partial<Ec2SwapObservation> = {},
  cp: Partial<ObservedGroup> = {},
): Ec2SwapObservation {
  return {
    groups: new Map([['cp', group(cp)]]),
    targets: new Map<string, readonly TargetState[]>([
      ['i-old1', ['healthy']],
      ['i-old2', ['healthy']],
    ]),
    readyz: new Map(),
    nodes: new Map([
      ['i-old1', { name: 'cp-1', uid: 'u1', ready: true, tainted: false }],
      ['i-old2', { name: 'cp-2', uid: 'u2', ready: true, tainted: false }],
    ]),
    oldNodePods: [],
    deregistrationDelayMs: 30 * SECOND,
    ...overrides,
  };
}

const PREPARED = {
  suspendedProcesses: [...HELD_PROCESSES],
  launchTemplate: { launchTemplateId: 'lt-1', version: '8' },
};

/** A swap prepared (version 8 created and pointed at) and in the replacing state. */
function prepared(overrides: Partial<Ec2SwapRecord> = {}): Ec2SwapRecord {
  return recordNewVersion(swap({ state: 'replacing', ...overrides }), 'cp', 8);
}

/** The surge instance i-new1 of the new type, fully healthy. */
function withHealthyNew(extra: Partial<ObservedGroup> = {}): Ec2SwapObservation {
  const base = observe({}, { ...PREPARED, desiredCapacity: 3, maxSize: 3, ...extra });
  return {
    ...base,
    groups: new Map([
      [
        'cp',
        group({
          ...PREPARED,
          desiredCapacity: 3,
          maxSize: 3,
          instances: [instance('i-old1'), instance('i-old2'), instance('i-new1', 'm6i.2xlarge')],
          ...extra,
        }),
      ],
    ]),
    targets: new Map<string, readonly TargetState[]>([
      ['i-old1', ['healthy']],
      ['i-old2', ['healthy']],
      ['i-new1', ['healthy']],
    ]),
    readyz: new Map([['i-new1', { ready: true }]]),
    nodes: new Map([
      ['i-old1', { name: 'cp-1', uid: 'u1', ready: true, tainted: false }],
      ['i-old2', { name: 'cp-2', uid: 'u2', ready: true, tainted: false }],
      ['i-new1', { name: 'cp-3', uid: 'u3', ready: true, tainted: false }],
    ]),
  };
}

describe('preparing', () => {
  it('should hold the group’s AZ rebalancing and other scaling first', () => {
    expect(nextEc2SwapStep(swap(), observe(), NOW, SETTINGS).action).toEqual({
      kind: 'suspend',
      groups: ['cp'],
      processes: ['AZRebalance', 'AlarmNotification', 'ScheduledActions'],
    });
  });

  it('should create a new launch template version from the original with a client token', () => {
    const step = nextEc2SwapStep(
      swap(),
      observe({}, { suspendedProcesses: [...HELD_PROCESSES] }),
      NOW,
      SETTINGS,
    );
    expect(step.action).toEqual({
      kind: 'create-version',
      group: 'cp',
      launchTemplateId: 'lt-1',
      sourceVersion: 7,
      instanceType: 'm6i.2xlarge',
      clientToken: 'swap-1-g0',
    });
  });

  it('should point the group at the new version, then start the surge', () => {
    const created = recordNewVersion(swap(), 'cp', 8);
    const suspended = { suspendedProcesses: [...HELD_PROCESSES] };
    expect(nextEc2SwapStep(created, observe({}, suspended), NOW, SETTINGS).action).toEqual({
      kind: 'point-group',
      group: 'cp',
      launchTemplateId: 'lt-1',
      version: '8',
    });
    const step = nextEc2SwapStep(created, observe({}, PREPARED), NOW, SETTINGS);
    expect(step.swap.state).toBe('replacing');
    expect(step.action).toEqual({ kind: 'set-size', group: 'cp', desiredCapacity: 3, maxSize: 3 });
    expect(step.swap.replacing).toMatchObject({
      old: 'i-old1',
      state: 'surging',
      desiredTarget: 3,
      maxTarget: 3,
      known: ['i-old1', 'i-old2'],
      surgeSince: NOW,
    });
    expect(step.swap.toReplace).toEqual([{ instanceId: 'i-old2', group: 'cp' }]);
  });
});

describe('replacing one instance', () => {
  it('should not surge twice when the Lambda died after raising desired capacity', () => {
    const first = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS);
    // Desired already 3 (the call went through before the crash): wait for the instance, no new set-size.
    const again = nextEc2SwapStep(
      first.swap,
      observe({}, { ...PREPARED, desiredCapacity: 3, maxSize: 3 }),
      NOW + 15 * SECOND,
      SETTINGS,
    );
    expect(again.action.kind).toBe('wait');
    expect(again.swap.replacing).toMatchObject({ state: 'waiting-new', desiredTarget: 3, surgeSince: NOW });
  });

  it('should say what the new instance still lacks', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const booting = withHealthyNew({
      instances: [instance('i-old1'), instance('i-old2'), instance('i-new1', 'm6i.2xlarge', 'Pending')],
    });
    const step = nextEc2SwapStep(
      surged,
      {
        ...booting,
        readyz: new Map([['i-new1', { ready: false, detail: 'connect ECONNREFUSED' }]]),
        nodes: new Map(),
        targets: new Map(),
      },
      NOW + MINUTE,
      SETTINGS,
    );
    expect(step.action).toEqual({
      kind: 'wait',
      until: NOW + MINUTE + 15 * SECOND,
      reason:
        'waiting for the new m6i.2xlarge instance: i-new1 is Pending; /readyz not ready (connect ECONNREFUSED); not healthy in every API target group; no Node yet',
    });
  });

  it('should deregister the old instance once the new one is healthy everywhere', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const step = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS);
    expect(step.action).toEqual({ kind: 'deregister', instanceId: 'i-old1', targetGroupArns: [TG] });
    expect(step.swap.replacing).toMatchObject({
      state: 'deregistering',
      newInstanceId: 'i-new1',
      deregisteredAt: NOW + 4 * MINUTE,
    });
  });

  it('should never deregister while fewer API servers than at the start would stay healthy', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const deregistering = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS).swap;
    const { deregisteredAt: _, ...notYet } = deregistering.replacing as NonNullable<
      Ec2SwapRecord['replacing']
    >;
    const observation = withHealthyNew();
    const sick = {
      ...observation,
      targets: new Map<string, readonly TargetState[]>([...observation.targets, ['i-old2', ['unhealthy']]]),
    };
    const step = nextEc2SwapStep({ ...deregistering, replacing: notYet }, sick, NOW + 5 * MINUTE, SETTINGS);
    expect(step.action).toMatchObject({
      kind: 'wait',
      reason: 'only 1 healthy API server(s) besides i-old1; 2 were healthy when the swap started',
    });
  });

  it('should wait out the deregistration delay, then drain the old node: taint, then terminate with decrement', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const deregistering = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS).swap;
    const draining = withHealthyNew();
    const targets = new Map<string, readonly TargetState[]>([...draining.targets, ['i-old1', ['draining']]]);
    const waiting = nextEc2SwapStep(
      deregistering,
      { ...draining, targets },
      NOW + 4 * MINUTE + 10 * SECOND,
      SETTINGS,
    );
    expect(waiting.action).toEqual({
      kind: 'wait',
      until: NOW + 4 * MINUTE + 30 * SECOND,
      reason: 'connections to i-old1 draining from the load balancer',
    });
    const gone = new Map<string, readonly TargetState[]>(
      [...draining.targets].filter(([id]) => id !== 'i-old1'),
    );
    const taint = nextEc2SwapStep(deregistering, { ...draining, targets: gone }, NOW + 5 * MINUTE, SETTINGS);
    expect(taint.action).toEqual({ kind: 'drain', node: 'cp-1', action: { kind: 'taint' } });
    expect(taint.swap.replacing?.drain).toMatchObject({
      node: 'cp-1',
      instanceId: 'i-old1',
      pool: 'control-plane',
    });

    const tainted = {
      ...draining,
      targets: gone,
      nodes: new Map([
        ...draining.nodes,
        ['i-old1', { name: 'cp-1', uid: 'u1', ready: true, tainted: true }],
      ]),
    };
    const terminate = nextEc2SwapStep(taint.swap, tainted, NOW + 5 * MINUTE + 15 * SECOND, SETTINGS);
    expect(terminate.action).toEqual({
      kind: 'drain',
      node: 'cp-1',
      action: { kind: 'terminate', instanceId: 'i-old1' },
    });
  });

  it('should move on to the next instance once the old one is gone and its Node deleted', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const deregistering = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS).swap;
    const healthy = withHealthyNew();
    const targets = new Map<string, readonly TargetState[]>(
      [...healthy.targets].filter(([id]) => id !== 'i-old1'),
    );
    const tainting = nextEc2SwapStep(deregistering, { ...healthy, targets }, NOW + 5 * MINUTE, SETTINGS).swap;
    const afterTerminate = {
      ...healthy,
      targets,
      groups: new Map([
        [
          'cp',
          group({
            ...PREPARED,
            desiredCapacity: 2,
            maxSize: 3,
            instances: [instance('i-old2'), instance('i-new1', 'm6i.2xlarge')],
          }),
        ],
      ]),
      nodes: new Map([
        ...healthy.nodes,
        ['i-old1', { name: 'cp-1', uid: 'u1', ready: false, tainted: true }],
      ]),
    };
    const deleting = nextEc2SwapStep(
      {
        ...tainting,
        replacing: {
          ...(tainting.replacing as NonNullable<Ec2SwapRecord['replacing']>),
          drain: {
            ...(tainting.replacing?.drain as NonNullable<NonNullable<Ec2SwapRecord['replacing']>['drain']>),
            state: 'terminating',
            terminateRequestedAt: NOW + 5 * MINUTE,
          },
        },
      },
      afterTerminate,
      NOW + 6 * MINUTE,
      SETTINGS,
    );
    expect(deleting.action).toEqual({ kind: 'drain', node: 'cp-1', action: { kind: 'delete-node' } });
    const { 'i-old1': _gone, ...rest } = Object.fromEntries(afterTerminate.nodes);
    const next = nextEc2SwapStep(
      deleting.swap,
      { ...afterTerminate, nodes: new Map(Object.entries(rest)) },
      NOW + 6 * MINUTE + 15 * SECOND,
      SETTINGS,
    );
    expect(next.swap.replaced).toEqual([{ old: 'i-old1', new: 'i-new1' }]);
    expect(next.swap.replacing).toMatchObject({
      old: 'i-old2',
      state: 'surging',
      desiredTarget: 3,
      known: ['i-old2', 'i-new1'],
    });
    expect(next.action).toEqual({ kind: 'set-size', group: 'cp', desiredCapacity: 3 });
  });

  it('should terminate an old instance without a Node directly, once', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const deregistering = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS).swap;
    const healthy = withHealthyNew();
    const noNode = {
      ...healthy,
      targets: new Map<string, readonly TargetState[]>(
        [...healthy.targets].filter(([id]) => id !== 'i-old1'),
      ),
      nodes: new Map([...healthy.nodes].filter(([id]) => id !== 'i-old1')),
    };
    const first = nextEc2SwapStep(deregistering, noNode, NOW + 5 * MINUTE, SETTINGS);
    expect(first.action).toEqual({ kind: 'terminate', instanceId: 'i-old1' });
    const again = nextEc2SwapStep(first.swap, noNode, NOW + 5 * MINUTE + 15 * SECOND, SETTINGS);
    expect(again.action).toMatchObject({ kind: 'wait', reason: 'instance i-old1 still in service' });
  });

  it('should skip instances already gone or already of the new type', () => {
    const observation = observe(
      {},
      { ...PREPARED, instances: [instance('i-old2', 'm6i.2xlarge')], desiredCapacity: 1 },
    );
    const step = nextEc2SwapStep(prepared(), observation, NOW, SETTINGS);
    expect(step.swap.state).toBe('finishing');
    expect(step.swap.toReplace).toEqual([]);
  });
});

describe('failures', () => {
  it('should roll back when the new type cannot launch: terminate nothing that is not there, point back, lower desired', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const failing = observe(
      { launchFailure: 'InsufficientInstanceCapacity' },
      { ...PREPARED, desiredCapacity: 3, maxSize: 3 },
    );
    const step = nextEc2SwapStep(surged, failing, NOW + MINUTE, SETTINGS);
    expect(step.swap).toMatchObject({
      state: 'rolling-back',
      failure: 'm6i.2xlarge could not launch: InsufficientInstanceCapacity',
      typeUnavailable: true,
    });
    expect(step.action).toEqual({ kind: 'point-group', group: 'cp', launchTemplateId: 'lt-1', version: '7' });
    const pointedBack = observe(
      {},
      {
        ...PREPARED,
        launchTemplate: { launchTemplateId: 'lt-1', version: '7' },
        desiredCapacity: 3,
        maxSize: 3,
      },
    );
    expect(nextEc2SwapStep(step.swap, pointedBack, NOW + MINUTE, SETTINGS).action).toEqual({
      kind: 'set-size',
      group: 'cp',
      desiredCapacity: 2,
      maxSize: 2,
    });
    const restored = observe({}, { suspendedProcesses: [...HELD_PROCESSES] });
    expect(nextEc2SwapStep(step.swap, restored, NOW + MINUTE, SETTINGS).action).toEqual({
      kind: 'resume',
      groups: ['cp'],
      processes: HELD_PROCESSES,
    });
    const done = nextEc2SwapStep(step.swap, observe(), NOW + MINUTE, SETTINGS);
    expect(done).toMatchObject({ action: { kind: 'done' }, swap: { state: 'rolled-back' } });
  });

  it('should roll back a new instance that is not healthy in time, terminating it first', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const sick = {
      ...withHealthyNew(),
      readyz: new Map([['i-new1', { ready: false, detail: '[-]etcd failed' }]]),
    };
    expect(nextEc2SwapStep(surged, sick, NOW + 14 * MINUTE, SETTINGS).action.kind).toBe('wait');
    const step = nextEc2SwapStep(surged, sick, NOW + 15 * MINUTE, SETTINGS);
    expect(step.swap.failure).toBe(
      'm6i.2xlarge not healthy within 900 s: /readyz not ready ([-]etcd failed)',
    );
    expect(step.action).toEqual({ kind: 'terminate', instanceId: 'i-new1' });
    // Asked once; the next tick waits for it to go.
    expect(nextEc2SwapStep(step.swap, sick, NOW + 15 * MINUTE + 15 * SECOND, SETTINGS).action.kind).toBe(
      'wait',
    );
  });

  it('should fail (not roll back) when the old node’s drain gives up, leaving the new instance serving', () => {
    const surged = nextEc2SwapStep(prepared(), observe({}, PREPARED), NOW, SETTINGS).swap;
    const deregistering = nextEc2SwapStep(surged, withHealthyNew(), NOW + 4 * MINUTE, SETTINGS).swap;
    const healthy = withHealthyNew();
    const targets = new Map<string, readonly TargetState[]>(
      [...healthy.targets].filter(([id]) => id !== 'i-old1'),
    );
    const tainting = nextEc2SwapStep(deregistering, { ...healthy, targets }, NOW + 5 * MINUTE, SETTINGS).swap;
    const stuckPod: Pod = {
      namespace: 'kube-system',
      name: 'stuck',
      uid: 'p1',
      nodeName: 'cp-1',
      phase: 'Running',
      labels: {},
      annotations: {},
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs', controller: true },
      ],
      conditions: [],
      containers: [],
      initContainers: [],
      creationTimestamp: 0,
    } as unknown as Pod;
    const observation = {
      ...healthy,
      targets,
      oldNodePods: [stuckPod],
      nodes: new Map([...healthy.nodes, ['i-old1', { name: 'cp-1', uid: 'u1', ready: true, tainted: true }]]),
    };
    const drain = tainting.replacing?.drain as NonNullable<NonNullable<Ec2SwapRecord['replacing']>['drain']>;
    const timedOut = {
      ...tainting,
      replacing: {
        ...(tainting.replacing as NonNullable<Ec2SwapRecord['replacing']>),
        drain: { ...drain, state: 'evicting' as const },
      },
    };
    const late = NOW + 5 * MINUTE + DEFAULT_DRAIN_SETTINGS.timeoutMs;
    const aborting = nextEc2SwapStep(timedOut, observation, late, SETTINGS);
    expect(aborting.action).toMatchObject({ kind: 'drain', action: { kind: 'untaint' } });
    const untainted = {
      ...observation,
      nodes: new Map([
        ...observation.nodes,
        ['i-old1', { name: 'cp-1', uid: 'u1', ready: true, tainted: false }],
      ]),
    };
    const failed = nextEc2SwapStep(aborting.swap, untainted, late + 15 * SECOND, SETTINGS);
    expect(failed.swap.state).toBe('failed');
    expect(failed.swap.failure).toMatch(
      /^the drain of cp-1 gave up \(drain did not finish within 600 s; still to evict: kube-system\/stuck\)/,
    );
    expect(nextEc2SwapStep(failed.swap, untainted, late + MINUTE, SETTINGS).action).toEqual({ kind: 'done' });
  });

  it('should blame the type only for launch and health failures', () => {
    expect(
      rollBack(swap(), 'someone deleted the launch template', NOW, false).typeUnavailable,
    ).toBeUndefined();
    expect(rollBack(swap(), 'capacity', NOW).typeUnavailable).toBe(true);
  });
});

describe('finishing', () => {
  it('should restore the maximum and resume the processes, then be done', () => {
    const finishing = prepared({ state: 'finishing', toReplace: [] });
    const swapped = [instance('i-new1', 'm6i.2xlarge'), instance('i-new2', 'm6i.2xlarge')];
    expect(
      nextEc2SwapStep(finishing, observe({}, { ...PREPARED, maxSize: 3, instances: swapped }), NOW, SETTINGS)
        .action,
    ).toEqual({
      kind: 'set-size',
      group: 'cp',
      maxSize: 2,
    });
    expect(
      nextEc2SwapStep(finishing, observe({}, { ...PREPARED, instances: swapped }), NOW, SETTINGS).action,
    ).toMatchObject({
      kind: 'resume',
    });
    const done = nextEc2SwapStep(
      finishing,
      observe({}, { instances: swapped, launchTemplate: PREPARED.launchTemplate }),
      NOW,
      SETTINGS,
    );
    expect(done).toMatchObject({ action: { kind: 'done' }, swap: { state: 'done' } });
  });
});

describe('instancesToReplace', () => {
  it('should list every instance not of the new type and not terminating, group by group', () => {
    expect(
      instancesToReplace(
        [
          {
            name: 'cp-a',
            instances: [
              instance('i-1'),
              instance('i-2', 'm6i.2xlarge'),
              instance('i-3', 'm6i.xlarge', 'Terminating'),
            ],
          },
          { name: 'cp-b', instances: [instance('i-4')] },
        ],
        'm6i.2xlarge',
      ),
    ).toEqual([
      { instanceId: 'i-1', group: 'cp-a' },
      { instanceId: 'i-4', group: 'cp-b' },
    ]);
  });
});
