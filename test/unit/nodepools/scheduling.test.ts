import { describe, expect, it } from 'vitest';
import {
  antiAffinityConflict,
  emptyRoom,
  fitCount,
  formatAmount,
  hostnameAntiAffinity,
  nodeConstraints,
  nodeFilterFailure,
  nodeRoom,
  nodeSelectorTermMatches,
  podRequests,
  REASON_HOST_PORTS,
  REASON_NODE_AFFINITY,
  REASON_TOO_MANY_PODS,
  REASON_VOLUME_ZONE,
  ResourceIndex,
  resourceAmount,
  roomFailures,
  takeRoom,
  toleratesTaint,
  untoleratedTaint,
  volumeZones,
} from '../../../shared/nodepools/scheduling';
import { CAPACITY_TYPE_LABEL, SPOT_TAINT, ZONE_LABEL } from '../../../shared/nodepools/template-node';
import type {
  NodeSelectorRequirement,
  PersistentVolume,
  PersistentVolumeClaim,
  Taint,
} from '../../../shared/ports/kubernetes';
import { M5_LARGE, makePod, P3_2XLARGE, template } from './fixtures';

const GI = 1024 ** 3;
const MI = 1024 ** 2;

function container(name: string, requests: Record<string, string>, restartPolicy?: string) {
  return { name, requests, limits: {}, ...(restartPolicy ? { restartPolicy } : {}) };
}

describe('given a pod, podRequests', () => {
  it('given pods sharing a frozen container list, should sum it once and answer alike', () => {
    const containers = Object.freeze([
      Object.freeze({ name: 'a', requests: Object.freeze({ cpu: '250m', memory: '256Mi' }), limits: {} }),
    ]);
    const first = podRequests({ containers, initContainers: [] });
    const second = podRequests({ containers, initContainers: [] });
    expect(second).toBe(first);
    expect([...second]).toEqual([
      ['cpu', 250],
      ['memory', 256 * MI],
    ]);
  });

  it('given a container list that can change, should read it afresh every time', () => {
    const requests: Record<string, string> = { cpu: '250m' };
    const containers = [{ name: 'a', requests, limits: {} }];
    expect(podRequests({ containers, initContainers: [] }).get('cpu')).toBe(250);
    requests.cpu = '1';
    expect(podRequests({ containers, initContainers: [] }).get('cpu')).toBe(1000);
    // Frozen list, but the requests inside can still change: not remembered either.
    const frozenList = Object.freeze([
      { name: 'b', requests: { cpu: '100m' } as Record<string, string>, limits: {} },
    ]);
    expect(podRequests({ containers: frozenList, initContainers: [] }).get('cpu')).toBe(100);
    (frozenList[0] as { requests: Record<string, string> }).requests.cpu = '200m';
    expect(podRequests({ containers: frozenList, initContainers: [] }).get('cpu')).toBe(200);
  });

  it('should sum the app containers per resource', () => {
    const requests = podRequests({
      containers: [
        container('a', { cpu: '250m', memory: '256Mi' }),
        container('b', { cpu: '1', memory: '1Gi' }),
      ],
      initContainers: [],
    });
    expect(requests.get('cpu')).toBe(1250);
    expect(requests.get('memory')).toBe(1280 * MI);
  });

  it('should take a regular init container when it asks for more than the app containers', () => {
    const requests = podRequests({
      containers: [container('app', { cpu: '500m', memory: '256Mi' })],
      initContainers: [container('migrate', { cpu: '2', memory: '128Mi' })],
    });
    expect(requests.get('cpu')).toBe(2000);
    expect(requests.get('memory')).toBe(256 * MI);
  });

  it('should add sidecars to the app containers and to the init containers that start after them', () => {
    const requests = podRequests({
      containers: [container('app', { cpu: '500m' })],
      initContainers: [
        container('proxy', { cpu: '100m' }, 'Always'),
        container('migrate', { cpu: '1' }),
        container('log', { cpu: '50m' }, 'Always'),
      ],
    });
    // app + both sidecars = 650m; migrate runs next to the proxy only: 1100m.
    expect(requests.get('cpu')).toBe(1100);
  });

  it('should not add a sidecar that starts after a regular init container to that init container', () => {
    const requests = podRequests({
      containers: [container('app', { cpu: '500m' })],
      initContainers: [container('migrate', { cpu: '1' }), container('proxy', { cpu: '100m' }, 'Always')],
    });
    expect(requests.get('cpu')).toBe(1000);
  });

  it('should count GPUs, ephemeral storage and extended resources in whole units', () => {
    const requests = podRequests({
      containers: [
        container('train', {
          'nvidia.com/gpu': '1',
          'ephemeral-storage': '10Gi',
          'example.com/dongle': '2',
        }),
        container('side', { 'example.com/dongle': '1' }),
      ],
      initContainers: [],
    });
    expect(requests.get('nvidia.com/gpu')).toBe(1);
    expect(requests.get('ephemeral-storage')).toBe(10 * GI);
    expect(requests.get('example.com/dongle')).toBe(3);
  });

  it('should read CPU in millicores and round other resources up to whole units', () => {
    expect(resourceAmount('cpu', '0.5')).toBe(500);
    expect(resourceAmount('memory', '1Ki')).toBe(1024);
    expect(resourceAmount('memory', '1500m')).toBe(2);
  });
});

describe('given requested resources, ResourceIndex', () => {
  it('should order them as the scheduler reports them: cpu, memory, ephemeral-storage, then by name', () => {
    const index = ResourceIndex.of(['nvidia.com/gpu', 'ephemeral-storage', 'memory', 'amd.com/gpu', 'pods']);
    expect(index.names).toEqual(['cpu', 'memory', 'ephemeral-storage', 'amd.com/gpu', 'nvidia.com/gpu']);
  });
});

describe('given a node and its pods, nodeRoom', () => {
  const index = ResourceIndex.of(['cpu', 'memory']);
  const allocatable = { cpu: '1930m', memory: '6627Mi', pods: '3' };

  it('should subtract the requests of pods that are not finished, terminating ones included', () => {
    const room = nodeRoom(
      allocatable,
      [
        makePod('running', { cpu: '500m', memory: '1Gi', nodeName: 'n' }),
        { ...makePod('terminating', { cpu: '200m', nodeName: 'n' }), deletionTimestamp: 1 },
        makePod('done', { cpu: '1', memory: '1Gi', nodeName: 'n', phase: 'Succeeded' }),
        makePod('failed', { cpu: '1', nodeName: 'n', phase: 'Failed' }),
      ],
      index,
    );
    expect(room.free[0]).toBe(1230);
    expect(room.free[1]).toBe(5603 * MI);
    expect(room.podsLeft).toBe(1);
  });

  it('should say "Too many pods" when the node runs its allocatable pods', () => {
    const room = nodeRoom(
      allocatable,
      ['a', 'b', 'c'].map((name) => makePod(name, { nodeName: 'n' })),
      index,
    );
    expect(roomFailures(room, index.vector(new Map()), [], index)).toEqual([REASON_TOO_MANY_PODS]);
    expect(fitCount(room, index.vector(new Map()), [], 10)).toBe(0);
  });

  it('should treat a node without allocatable pods as full, as the kubelet reports it', () => {
    expect(emptyRoom({ cpu: '2' }, index).podsLeft).toBe(0);
  });
});

describe('given a pod that asks for more than the room, roomFailures', () => {
  const index = ResourceIndex.of([
    'cpu',
    'memory',
    'ephemeral-storage',
    'nvidia.com/gpu',
    'example.com/dongle',
  ]);
  const room = emptyRoom({ cpu: '2', memory: '4Gi', 'ephemeral-storage': '20Gi', pods: '110' }, index);
  const ask = (requests: Record<string, string>) =>
    index.vector(podRequests({ containers: [container('c', requests)], initContainers: [] }));

  it('should name each short resource', () => {
    expect(roomFailures(room, ask({ cpu: '3' }), [], index)).toEqual(['Insufficient cpu']);
    expect(roomFailures(room, ask({ memory: '5Gi' }), [], index)).toEqual(['Insufficient memory']);
    expect(roomFailures(room, ask({ 'ephemeral-storage': '30Gi' }), [], index)).toEqual([
      'Insufficient ephemeral-storage',
    ]);
    expect(roomFailures(room, ask({ 'nvidia.com/gpu': '1' }), [], index)).toEqual([
      'Insufficient nvidia.com/gpu',
    ]);
    expect(roomFailures(room, ask({ 'example.com/dongle': '1' }), [], index)).toEqual([
      'Insufficient example.com/dongle',
    ]);
    expect(roomFailures(room, ask({ cpu: '3', memory: '5Gi' }), [], index)).toEqual([
      'Insufficient cpu',
      'Insufficient memory',
    ]);
  });

  it('should say how much is asked and left when asked to', () => {
    expect(roomFailures(room, ask({ cpu: '9' }), [], index, { has: 'template has' })).toEqual([
      'Insufficient cpu (needs 9, template has 2)',
    ]);
    expect(formatAmount('cpu', 3870)).toBe('3.87');
    expect(formatAmount('memory', 1.5 * GI)).toBe('1.5Gi');
    expect(formatAmount('memory', 512 * MI)).toBe('512Mi');
  });

  it('should count how many pods fit, at most one with host ports and none on a taken port', () => {
    expect(fitCount(room, ask({ cpu: '500m', memory: '1Gi' }), [], 100)).toBe(4);
    expect(fitCount(room, ask({ cpu: '500m', memory: '1Gi' }), [], 3)).toBe(3);
    expect(fitCount(room, ask({ cpu: '100m' }), [8080], 100)).toBe(1);
    const taken = emptyRoom({ cpu: '2', memory: '4Gi', pods: '110' }, index);
    takeRoom(taken, ask({ cpu: '100m' }), [8080]);
    expect(fitCount(taken, ask({ cpu: '100m' }), [8080], 100)).toBe(0);
    expect(roomFailures(taken, ask({ cpu: '100m' }), [8080], index)).toEqual([REASON_HOST_PORTS]);
    expect(fitCount(taken, ask({ cpu: '100m' }), [9090], 100)).toBe(1);
  });
});

describe('given taints, the toleration rules', () => {
  const noSchedule: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const noExecute: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoExecute' };
  const prefer: Taint = { key: 'dedicated', value: 'gpu', effect: 'PreferNoSchedule' };

  it('should require NoSchedule and NoExecute taints to be tolerated, and ignore PreferNoSchedule', () => {
    expect(untoleratedTaint([noSchedule], [])).toEqual(noSchedule);
    expect(untoleratedTaint([noExecute], [])).toEqual(noExecute);
    expect(untoleratedTaint([prefer], [])).toBeUndefined();
  });

  it('should match Equal on key and value, Exists on key alone, and every key for Exists without key', () => {
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu' }, noSchedule)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'batch' }, noSchedule)).toBe(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, noSchedule)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, noExecute)).toBe(true);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, noSchedule)).toBe(false);
  });

  it('should match every effect when the toleration names none, and only its own effect otherwise', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, noExecute)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, noExecute)).toBe(
      false,
    );
    expect(
      untoleratedTaint(
        [noSchedule, noExecute],
        [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      ),
    ).toEqual(noExecute);
  });

  it("should report an untolerated taint in the scheduler's words", () => {
    const node = template(M5_LARGE, 'eu-central-1a', { capacityType: 'spot' });
    const view = { name: 'n', labels: node.labels, taints: node.taints };
    expect(nodeFilterFailure(nodeConstraints(undefined), view)).toBe(
      'node(s) had untolerated taint {node.kubernetes.io/lifecycle: spot}',
    );
    const optedIn = nodeConstraints({
      nodeSelector: { [CAPACITY_TYPE_LABEL]: 'spot' },
      tolerations: [{ key: SPOT_TAINT.key, operator: 'Equal', value: 'spot', effect: 'NoSchedule' }],
    });
    expect(nodeFilterFailure(optedIn, view)).toBeUndefined();
  });
});

describe('given node labels, the node selector and required node affinity', () => {
  const node = {
    name: 'ip-10-0-0-1',
    labels: { [ZONE_LABEL]: 'eu-central-1a', team: 'shop', cores: '8' },
    taints: [],
  };
  const term = (...matchExpressions: NodeSelectorRequirement[]) => ({ matchExpressions });

  it('should require every nodeSelector label', () => {
    expect(nodeFilterFailure(nodeConstraints({ nodeSelector: { team: 'shop' } }), node)).toBeUndefined();
    expect(nodeFilterFailure(nodeConstraints({ nodeSelector: { team: 'shop', disk: 'ssd' } }), node)).toBe(
      REASON_NODE_AFFINITY,
    );
  });

  it('should apply In, NotIn, Exists, DoesNotExist, Gt and Lt', () => {
    expect(
      nodeSelectorTermMatches(term({ key: 'team', operator: 'In', values: ['shop', 'ads'] }), node),
    ).toBe(true);
    expect(nodeSelectorTermMatches(term({ key: 'team', operator: 'In', values: ['ads'] }), node)).toBe(false);
    expect(nodeSelectorTermMatches(term({ key: 'team', operator: 'NotIn', values: ['ads'] }), node)).toBe(
      true,
    );
    expect(nodeSelectorTermMatches(term({ key: 'disk', operator: 'NotIn', values: ['hdd'] }), node)).toBe(
      true,
    );
    expect(nodeSelectorTermMatches(term({ key: 'team', operator: 'Exists' }), node)).toBe(true);
    expect(nodeSelectorTermMatches(term({ key: 'disk', operator: 'Exists' }), node)).toBe(false);
    expect(nodeSelectorTermMatches(term({ key: 'disk', operator: 'DoesNotExist' }), node)).toBe(true);
    expect(nodeSelectorTermMatches(term({ key: 'cores', operator: 'Gt', values: ['4'] }), node)).toBe(true);
    expect(nodeSelectorTermMatches(term({ key: 'cores', operator: 'Gt', values: ['8'] }), node)).toBe(false);
    expect(nodeSelectorTermMatches(term({ key: 'cores', operator: 'Lt', values: ['16'] }), node)).toBe(true);
    expect(nodeSelectorTermMatches(term({ key: 'team', operator: 'Gt', values: ['1'] }), node)).toBe(false);
  });

  it('should AND the requirements of a term and OR the terms', () => {
    const both = term({ key: 'team', operator: 'In', values: ['shop'] }, { key: 'disk', operator: 'Exists' });
    expect(nodeSelectorTermMatches(both, node)).toBe(false);
    const either = nodeConstraints({
      requiredNodeAffinity: [both, term({ key: 'cores', operator: 'Gt', values: ['2'] })],
    });
    expect(nodeFilterFailure(either, node)).toBeUndefined();
    const neither = nodeConstraints({ requiredNodeAffinity: [both] });
    expect(nodeFilterFailure(neither, node)).toBe(REASON_NODE_AFFINITY);
  });

  it('should match metadata.name through matchFields, and an empty or malformed term never', () => {
    const named = (operator: 'In' | 'NotIn', name: string) => ({
      matchFields: [{ key: 'metadata.name', operator, values: [name] }],
    });
    expect(nodeSelectorTermMatches(named('In', 'ip-10-0-0-1'), node)).toBe(true);
    expect(nodeSelectorTermMatches(named('In', 'ip-10-0-0-2'), node)).toBe(false);
    expect(nodeSelectorTermMatches(named('NotIn', 'ip-10-0-0-2'), node)).toBe(true);
    expect(nodeSelectorTermMatches({}, node)).toBe(false);
    expect(nodeSelectorTermMatches(term({ key: 'cores', operator: 'Gt', values: ['many'] }), node)).toBe(
      false,
    );
    expect(nodeConstraints({ requiredNodeAffinity: [named('In', 'x')] }).nodeSpecific).toBe(true);
  });

  it('should let a nodeSelector and the affinity both constrain', () => {
    const constraints = nodeConstraints({
      nodeSelector: { team: 'ads' },
      requiredNodeAffinity: [term({ key: 'team', operator: 'Exists' })],
    });
    expect(nodeFilterFailure(constraints, node)).toBe(REASON_NODE_AFFINITY);
  });
});

describe('given claims and volumes, volumeZones', () => {
  const claim = (name: string, volumeName?: string, phase: PersistentVolumeClaim['phase'] = 'Bound') => ({
    namespace: 'shop',
    name,
    phase,
    ...(volumeName ? { volumeName } : {}),
  });
  const claims = new Map(
    [
      claim('data', 'pv-b'),
      claim('logs', 'pv-bc'),
      claim('scratch', undefined, 'Pending'),
      claim('gone', 'pv-x'),
    ].map((c) => [`shop/${c.name}`, c as PersistentVolumeClaim]),
  );
  const volumes = new Map<string, PersistentVolume>([
    ['pv-b', { name: 'pv-b', zones: ['eu-central-1b'] }],
    ['pv-bc', { name: 'pv-bc', zones: ['eu-central-1b', 'eu-central-1c'] }],
  ]);
  const pod = (...persistentVolumeClaims: string[]) => ({
    namespace: 'shop',
    scheduling: { persistentVolumeClaims },
  });

  it('should pin a pod to the zones of its bound volumes', () => {
    const zones = volumeZones(pod('data', 'logs'), claims, volumes);
    expect(zones).toEqual({ zones: new Set(['eu-central-1b']) });
    const constraints = nodeConstraints(undefined, 'zones' in zones ? zones.zones : undefined);
    const at = (zone: string) => ({ name: 'n', labels: { [ZONE_LABEL]: zone }, taints: [] });
    expect(nodeFilterFailure(constraints, at('eu-central-1b'))).toBeUndefined();
    expect(nodeFilterFailure(constraints, at('eu-central-1a'))).toBe(REASON_VOLUME_ZONE);
  });

  it('should not pin a pod whose claim is not bound yet (WaitForFirstConsumer)', () => {
    expect(volumeZones(pod('scratch'), claims, volumes)).toEqual({});
    expect(volumeZones({ namespace: 'shop' }, claims, volumes)).toEqual({});
  });

  it('should refuse a pod whose claim or volume does not exist', () => {
    expect(volumeZones(pod('missing'), claims, volumes)).toEqual({
      error: 'persistentvolumeclaim "missing" not found',
    });
    expect(volumeZones(pod('gone'), claims, volumes)).toEqual({
      error: 'persistentvolumeclaim "gone" bound to non-existent persistentvolume "pv-x"',
    });
  });
});

describe('given required pod anti-affinity, the hostname rule', () => {
  const selfRepelling = makePod('web-0', {
    labels: { app: 'web' },
    scheduling: {
      requiredPodAntiAffinity: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'topology.kubernetes.io/zone' },
      ],
    },
  });
  const party = (pod: ReturnType<typeof makePod>) => ({
    namespace: pod.namespace,
    labels: pod.labels,
    terms: hostnameAntiAffinity(pod),
  });

  it('should keep only the hostname terms', () => {
    expect(hostnameAntiAffinity(selfRepelling)).toHaveLength(1);
  });

  it('should find a conflict in either direction, in the pod namespace by default', () => {
    const web = party(selfRepelling);
    const plain = party(makePod('other', { labels: { app: 'web' } }));
    expect(antiAffinityConflict(web, web)).toBe(true);
    expect(antiAffinityConflict(web, plain)).toBe(true);
    expect(antiAffinityConflict(plain, web)).toBe(true);
    const elsewhere = party(makePod('other', { namespace: 'ads', labels: { app: 'web' } }));
    expect(antiAffinityConflict(web, elsewhere)).toBe(false);
    expect(antiAffinityConflict(plain, party(makePod('x', { labels: { app: 'api' } })))).toBe(false);
  });

  it('should look in the namespaces a term names', () => {
    const wide = makePod('web-0', {
      labels: { app: 'web' },
      scheduling: {
        requiredPodAntiAffinity: [
          {
            labelSelector: { matchLabels: { app: 'web' } },
            namespaces: ['ads'],
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    });
    expect(
      antiAffinityConflict(party(wide), party(makePod('o', { namespace: 'ads', labels: { app: 'web' } }))),
    ).toBe(true);
  });
});

describe('given a GPU template, the filters', () => {
  it('should offer the GPU as a resource', () => {
    const index = ResourceIndex.of(['nvidia.com/gpu']);
    const room = emptyRoom(template(P3_2XLARGE, 'eu-central-1a').allocatable, index);
    expect(room.free[index.position('nvidia.com/gpu') as number]).toBe(1);
  });
});
