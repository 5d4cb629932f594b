/**
 * Node-pool scale-down through the real adapters: whole ticks (`runNodePoolTick`) against a real
 * kube-apiserver + etcd as user `tideplane` with only the shipped ClusterRole, the real `AwsAutoScaling`
 * and `Ec2Adapter` on SDK clients answered by aws-sdk-client-mock, DynamoDB on dynalite. Every tick
 * builds new adapters and a new state store, as a cold Lambda does.
 *
 * No kubelet, scheduler or controller runs. An evicted pod therefore gets its deletionTimestamp and
 * stays (no kubelet confirms it gone), which is what the drain has to cope with anyway: it waits the
 * grace period, then lets the instance go. PodDisruptionBudget status is written as the disruption
 * controller would. The mocked Auto Scaling keeps state: TerminateInstanceInAutoScalingGroup marks the
 * instance Terminating and lowers desired capacity, refusing (as AWS does) to go below the minimum.
 *
 * Each case is its own tideplane cluster (own groups, own state items) on the one API server, with its
 * own namespace; its nodes and pods are removed afterwards so later cases see only theirs.
 */
import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  DescribeScalingActivitiesCommand,
  type AutoScalingGroup as SdkAutoScalingGroup,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type TerminateInstanceInAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_SCALING_CLIENT_RETRY, AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { type LocalDynamo, startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { type NodePoolsConfig, nodePoolsSchema } from '../../shared/config/node-pools';
import { type NodePoolTickSummary, runNodePoolTick } from '../../shared/loops/node-pool-loop';
import { DRAIN_TAINT, drainRecordKey } from '../../shared/nodepools/drain';
import { CA_ENABLED_TAG, clusterTag, NODE_POOL_TAG } from '../../shared/nodepools/pools';
import type { AutoScalingPort } from '../../shared/ports/auto-scaling';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import { type KubeHttp, startTestCluster, type TestCluster } from './harness';
import { FakeClock } from './support/fake-clock';
import { type EventView, namespaceEvents } from './support/hpa-cluster';
import {
  createDaemonPod,
  createReadyNode,
  groupInstance,
  INSTANCE_TYPES,
  kubernetesAsTideplane,
  REGION,
  zonalGroup,
} from './support/node-pool-cluster';
import {
  createDeployment,
  createOwnedPod,
  forceDeletePod,
  Invocation,
  readNode,
  readPod,
  type ServedNode,
  wrapPort,
  writeBudgetStatus,
} from './support/node-pool-drain';
import { RecordingLogger } from './support/recording-logger';

const REPORTING_INSTANCE = 'tideplane-node-pools-e2e';
const SECOND = 1000;
/** Virtual time of the first tick: now, whole seconds (condition times have second precision). */
const T0 = Math.floor(Date.now() / SECOND) * SECOND;
const at = (seconds: number) => T0 + seconds * SECOND;
const ZONE_A = `${REGION}a`;
const TEMPLATE = { id: 'lt-0e5d7c9b1a3f5e7d9', name: 'e2e-down-default', version: '$Latest' };
const AGENT = { namespace: 'kube-system', name: 'node-agent', cpu: '200m', memory: '200Mi' };

/** Small times so a case runs in a few virtual minutes; the rest are the shipped defaults. */
const UNNEEDED_SECONDS = 60;
const EVICTION_RETRY_SECONDS = 15;
const EVICTION_BLOCKED_TIMEOUT_SECONDS = 60;
const settings: NodePoolsConfig = nodePoolsSchema.parse({
  scaleDown: { unneededSeconds: UNNEEDED_SECONDS, delayAfterAddSeconds: 0 },
  drain: {
    evictionRetrySeconds: EVICTION_RETRY_SECONDS,
    evictionBlockedTimeoutSeconds: EVICTION_BLOCKED_TIMEOUT_SECONDS,
  },
});

// ---------------------------------------------------------------------------------------------------
// The account: one zonal group per case, tagged for that case's cluster

const groups = new Map<string, SdkAutoScalingGroup>();

/** A group of the cluster's default pool, already at `instances` in service, min 1. */
function addGroup(cluster: string, name: string, instances: string[]): SdkAutoScalingGroup {
  const group = zonalGroup(name, {
    zone: ZONE_A,
    max: 10,
    launch: { template: TEMPLATE },
    tags: {
      [CA_ENABLED_TAG]: 'true',
      [clusterTag(cluster)]: 'owned',
      [`kubernetes.io/cluster/${cluster}`]: 'owned',
      [NODE_POOL_TAG]: 'default',
    },
  });
  group.MinSize = 1;
  group.DesiredCapacity = instances.length;
  group.Instances = instances.map((id) => groupInstance(id, ZONE_A, 'm5.xlarge', 'InService'));
  groups.set(name, group);
  return group;
}

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const autoScalingClient = new AutoScalingClient({
  region: REGION,
  credentials: CREDENTIALS,
  ...AUTO_SCALING_CLIENT_RETRY,
});
const ec2Client = new EC2Client({ region: REGION, credentials: CREDENTIALS, ...AUTO_SCALING_CLIENT_RETRY });
const autoScaling = mockClient(autoScalingClient);
const ec2 = mockClient(ec2Client);

const validationError = (message: string) =>
  new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  });

function serveAws(): void {
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(async (input: DescribeAutoScalingGroupsCommandInput) => {
      const tagKeys = input.Filters?.find((filter) => filter.Name === 'tag-key')?.Values ?? [];
      const tagged = [...groups.values()].filter((g) =>
        (g.Tags ?? []).some((tag) => tagKeys.includes(tag.Key ?? '')),
      );
      return { AutoScalingGroups: structuredClone(tagged) };
    });
  autoScaling.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
  autoScaling.on(SetDesiredCapacityCommand).rejects(new Error('scale-down never sets desired capacity'));
  // As AWS answers: the instance leaves service at once (Terminating), desired drops with it, and the
  // minimum is enforced; an instance in no group is a ValidationError saying it was not found.
  autoScaling
    .on(TerminateInstanceInAutoScalingGroupCommand)
    .callsFake(async (input: TerminateInstanceInAutoScalingGroupCommandInput) => {
      for (const group of groups.values()) {
        const instance = group.Instances?.find((i) => i.InstanceId === input.InstanceId);
        if (!instance) continue;
        if (input.ShouldDecrementDesiredCapacity) {
          const desired = group.DesiredCapacity ?? 0;
          if (desired <= (group.MinSize ?? 0)) {
            throw validationError(
              `Currently, desiredSize equals minSize (${group.MinSize}). Terminating instance without ` +
                "replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity " +
                "flag to false or lower group's min size.",
            );
          }
          group.DesiredCapacity = desired - 1;
        }
        instance.LifecycleState = 'Terminating';
        return {
          Activity: {
            ActivityId: `5a6b7c8d-${input.InstanceId?.slice(-4)}-4e5f-8a9b-0c1d2e3f4a5b`,
            AutoScalingGroupName: group.AutoScalingGroupName,
            Description: `Terminating EC2 instance: ${input.InstanceId}`,
            Cause: `At ${new Date(clock.now()).toISOString()} instance ${input.InstanceId} was taken out of service in response to a user request, shrinking the capacity from ${(group.DesiredCapacity ?? 0) + 1} to ${group.DesiredCapacity}.`,
            StartTime: new Date(clock.now()),
            StatusCode: 'InProgress',
            Progress: 0,
          },
        };
      }
      throw validationError(
        `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId}`,
      );
    });
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [
      {
        LaunchTemplateId: TEMPLATE.id,
        LaunchTemplateName: TEMPLATE.name,
        VersionNumber: 3,
        DefaultVersion: false,
        CreateTime: new Date('2025-11-03T09:10:02.000Z'),
        LaunchTemplateData: { ImageId: 'ami-0a1b2c3d4e5f60718', InstanceType: 'm5.xlarge' },
      },
    ],
  });
  ec2.on(DescribeInstanceTypesCommand).callsFake(async (input: DescribeInstanceTypesCommandInput) => ({
    InstanceTypes: (input.InstanceTypes ?? []).map((type) => structuredClone(INSTANCE_TYPES[type])),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Ticks

let cluster: TestCluster;
let admin: KubeHttp;
let dynamo: LocalDynamo;
/** Reads state for assertions; the ticks use stores of their own. */
let store: DynamoDbStateStore;
let agentUid: string;
const clock = new FakeClock(T0);

interface TickResult {
  summary: NodePoolTickSummary;
  /** Kubernetes requests of this tick, by verb and resource. */
  requests: Record<string, number>;
  log: RecordingLogger;
  terminations: TerminateInstanceInAutoScalingGroupCommandInput[];
}

interface Ports {
  kubernetes: KubernetesPort;
  autoScaling: AutoScalingPort;
}

/**
 * One tick as one cold Lambda invocation runs it. `wrap` lets a case put wrappers around the ports
 * (to act between two calls, or to kill the invocation).
 */
async function tick(
  name: string,
  time: number,
  wrap: (ports: Ports) => Ports = (ports) => ports,
): Promise<TickResult> {
  clock.set(time);
  autoScaling.resetHistory();
  ec2.resetHistory();
  const kubernetes = kubernetesAsTideplane(cluster, REPORTING_INSTANCE);
  const log = new RecordingLogger();
  const ports = wrap({
    kubernetes,
    autoScaling: new AwsAutoScaling({ autoScaling: autoScalingClient, ec2: ec2Client }),
  });
  try {
    const summary = await runNodePoolTick({
      cluster: name,
      kubernetes: ports.kubernetes,
      autoScaling: ports.autoScaling,
      ec2: new Ec2Adapter(ec2Client),
      state: new DynamoDbStateStore({ client: dynamo.newClient(), tableName: dynamo.tableName, clock }),
      clock,
      log,
      settings,
      dryRun: false,
    });
    return {
      summary,
      requests: kubernetes.stats().byRequest,
      log,
      terminations: autoScaling
        .commandCalls(TerminateInstanceInAutoScalingGroupCommand)
        .map((c) => c.args[0].input),
    };
  } finally {
    await kubernetes.close();
  }
}

/** The reads of every tick: one cluster-wide list per kind. */
const READS = {
  'list pods': 1,
  'list nodes': 1,
  'list persistentvolumeclaims': 1,
  'list persistentvolumes': 1,
  'list apps/daemonsets': 1,
  'list policy/poddisruptionbudgets': 1,
};

/** Requests on pods other than the per-tick list: the loop may only ever evict. */
function podWrites(requests: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(requests).filter(([key]) => / pods(\/|$)/.test(key) && key !== 'list pods'),
  );
}

/** Events about the node; they live in `default`, as upstream's recorder puts cluster-scoped ones. */
async function nodeEvents(node: string): Promise<EventView[]> {
  return (await namespaceEvents(admin, 'default')).filter(
    (e) => e.regarding.kind === 'Node' && e.regarding.name === node,
  );
}

const terminate = (instanceId: string) => ({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true });

const hasDrainTaint = (node: ServedNode | undefined) =>
  (node?.spec.taints ?? []).some((t) => t.key === DRAIN_TAINT.key && t.effect === DRAIN_TAINT.effect);

const lifecycle = (groupName: string) =>
  (groups.get(groupName)?.Instances ?? []).map((i) => [i.InstanceId, i.LifecycleState]);

/** Joins the group's instances as Ready nodes running the node agent; returns the node names. */
async function joinNodes(instances: { id: string; ip: string }[], time: number): Promise<string[]> {
  const names: string[] = [];
  for (const instance of instances) {
    const node = await createReadyNode(
      admin,
      { instanceId: instance.id, zone: ZONE_A, instanceType: 'm5.xlarge', privateIp: instance.ip },
      time,
    );
    await createDaemonPod(admin, { ...AGENT, uid: agentUid }, node, time);
    names.push(node);
  }
  return names;
}

const namespaces: string[] = [];

async function useNamespace(name: string): Promise<string> {
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  namespaces.push(name);
  return name;
}

beforeAll(async () => {
  serveAws();
  [cluster, dynamo] = await Promise.all([startTestCluster({ metricsApis: false }), startLocalDynamo()]);
  admin = cluster.client();
  store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  const [agent] = await cluster.apply({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: AGENT.name, namespace: AGENT.namespace },
    spec: {
      selector: { matchLabels: { app: AGENT.name } },
      template: {
        metadata: { labels: { app: AGENT.name } },
        spec: {
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'agent',
              image: `registry.example/${AGENT.name}:1`,
              resources: { requests: { cpu: AGENT.cpu, memory: AGENT.memory } },
            },
          ],
        },
      },
    },
  });
  agentUid = String((agent?.metadata as { uid?: string } | undefined)?.uid);
});

// What a case leaves behind (nodes no kubelet will ever remove, pods no kubelet confirms gone) is
// cleared, so the next case's plan sees only its own nodes.
afterEach(async () => {
  const nodes = await admin.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes');
  for (const node of nodes.items) await admin.request('DELETE', `/api/v1/nodes/${node.metadata.name}`);
  for (const namespace of [...namespaces, AGENT.namespace]) {
    const pods = await admin.get<{ items: { metadata: { name: string } }[] }>(
      `/api/v1/namespaces/${namespace}/pods`,
    );
    for (const pod of pods.items) await forceDeletePod(admin, namespace, pod.metadata.name);
  }
});

afterAll(async () => {
  autoScaling.restore();
  ec2.restore();
  autoScalingClient.destroy();
  ec2Client.destroy();
  await Promise.all([cluster?.stop(), dynamo?.stop()]);
});

describe('node-pool scale-down through the real adapters: API server, Auto Scaling, DynamoDB', () => {
  it('removes an empty node after the unneeded time: taint, TerminateInstanceInAutoScalingGroup with decrement, Node deleted, drain record removed, ScaleDown Event', async () => {
    const CLUSTER = 'e2e-down-empty';
    const EMPTY = 'i-0e1a2b3c4d5e6f701';
    const BUSY = 'i-0e1a2b3c4d5e6f702';
    addGroup(CLUSTER, 'empty-default-a', [EMPTY, BUSY]);
    const ns = await useNamespace('down-empty');
    const [emptyNode, busyNode] = (await joinNodes(
      [
        { id: EMPTY, ip: '10.1.1.11' },
        { id: BUSY, ip: '10.1.1.12' },
      ],
      at(-30),
    )) as [string, string];
    // Above the 0.5 threshold: the group's other node is needed.
    const api = await createDeployment(cluster, ns, 'api', 1);
    await createOwnedPod(
      admin,
      ns,
      api,
      { name: 'api-7c9d5b8f4-x2k8q', node: busyNode, cpu: '2500m', memory: '2Gi', graceSeconds: 30 },
      at(-20),
    );

    const first = await tick(CLUSTER, at(0));
    expect(first.log.problems()).toEqual([]);
    expect(first.summary.scaleDown).toMatchObject({ started: [], drains: [], unneeded: 1 });
    expect(first.summary.scaleDown.blocked).toEqual([
      { node: emptyNode, reason: `unneeded for 0 s of ${UNNEEDED_SECONDS} s` },
      { node: busyNode, reason: 'utilization 0.64 (cpu) is not below the threshold 0.5' },
    ]);
    expect(first.requests).toEqual(READS);
    expect((await store.get(CLUSTER, 'pool#unneeded'))?.data).toEqual({
      since: { [emptyNode]: at(0) },
      rebalanceSince: {},
    });

    const waiting = await tick(CLUSTER, at(30));
    expect(waiting.summary.scaleDown).toMatchObject({ started: [], drains: [], unneeded: 1 });
    expect(waiting.requests).toEqual(READS);
    expect(waiting.terminations).toEqual([]);

    // The taint as the API server stored it, read right after the loop wrote it (the node is gone by
    // the end of the tick).
    let taintedNode: ServedNode | undefined;
    const nodeUid = (await readNode(admin, emptyNode))?.metadata.uid;
    const removal = await tick(CLUSTER, at(UNNEEDED_SECONDS), (ports) => ({
      ...ports,
      kubernetes: afterCall(ports.kubernetes, 'setNodeTaint', async () => {
        taintedNode = await readNode(admin, emptyNode);
      }),
    }));
    expect(removal.log.problems()).toEqual([]);
    expect(removal.summary.scaleDown.started).toEqual([
      { node: emptyNode, pool: 'default', empty: true, reason: 'scale-down: empty' },
    ]);
    expect(removal.summary.scaleDown.drains).toEqual([
      {
        node: emptyNode,
        pool: 'default',
        reason: 'scale-down: empty',
        state: 'done',
        actions: ['taint', 'terminate', 'delete-node'],
      },
    ]);
    expect(hasDrainTaint(taintedNode)).toBe(true);
    expect(taintedNode?.spec.taints).toContainEqual(expect.objectContaining(DRAIN_TAINT));
    expect(removal.terminations).toEqual([terminate(EMPTY)]);
    expect(groups.get('empty-default-a')?.DesiredCapacity).toBe(1);
    expect(lifecycle('empty-default-a')).toEqual([
      [EMPTY, 'Terminating'],
      [BUSY, 'InService'],
    ]);
    expect(await readNode(admin, emptyNode)).toBeUndefined();
    expect(await readNode(admin, busyNode)).toBeDefined();
    expect(await store.get(CLUSTER, drainRecordKey(emptyNode))).toBeUndefined();
    expect(removal.requests).toEqual({
      ...READS,
      'get nodes': 1,
      'patch nodes': 1,
      'delete nodes': 1,
      'create events.k8s.io/events': 1,
    });
    expect(await nodeEvents(emptyNode)).toEqual([
      expect.objectContaining({
        type: 'Normal',
        reason: 'ScaleDown',
        note: 'removing the node (tideplane): scale-down: empty',
        reportingController: 'tideplane.io/node-pools',
        reportingInstance: REPORTING_INSTANCE,
        regarding: expect.objectContaining({ kind: 'Node', name: emptyNode, uid: nodeUid }),
      }),
    ]);

    // Auto Scaling finished the termination; the group is at its minimum and nothing else goes.
    const group = groups.get('empty-default-a');
    if (group) group.Instances = group.Instances?.filter((i) => i.InstanceId !== EMPTY);
    const after = await tick(CLUSTER, at(UNNEEDED_SECONDS + 15));
    expect(after.log.problems()).toEqual([]);
    expect(after.summary.scaleDown).toMatchObject({ started: [], drains: [], unneeded: 0 });
    expect(after.terminations).toEqual([]);
    expect(await store.query(CLUSTER, 'pool#drain#')).toEqual([]);
  });

  it('drains a node of Deployment pods with room elsewhere: Eviction API only, waits the grace period, then terminates and deletes it', async () => {
    const CLUSTER = 'e2e-down-drain';
    const LIGHT = 'i-0d2a3b4c5d6e7f801';
    const STEADY = 'i-0d2a3b4c5d6e7f802';
    const GRACE = 20;
    addGroup(CLUSTER, 'drain-default-a', [LIGHT, STEADY]);
    const ns = await useNamespace('down-drain');
    const [lightNode, steadyNode] = (await joinNodes(
      [
        { id: LIGHT, ip: '10.1.2.11' },
        { id: STEADY, ip: '10.1.2.12' },
      ],
      at(970),
    )) as [string, string];
    const web = await createDeployment(cluster, ns, 'web', 2);
    const steady = await createDeployment(cluster, ns, 'steady', 1);
    const WEB_PODS = ['web-7c9d5b8f4-4xq2m', 'web-7c9d5b8f4-9tz7p'];
    for (const name of WEB_PODS) {
      await createOwnedPod(
        admin,
        ns,
        web,
        { name, node: lightNode, cpu: '500m', memory: '512Mi', graceSeconds: GRACE },
        at(980),
      );
    }
    await createOwnedPod(
      admin,
      ns,
      steady,
      { name: 'steady-7c9d5b8f4-h5w2c', node: steadyNode, cpu: '2000m', memory: '1Gi', graceSeconds: 30 },
      at(980),
    );
    const allRequests: Record<string, number>[] = [];

    const first = await tick(CLUSTER, at(1000));
    allRequests.push(first.requests);
    expect(first.log.problems()).toEqual([]);
    expect(first.summary.scaleDown.blocked).toEqual([
      { node: lightNode, reason: `unneeded for 0 s of ${UNNEEDED_SECONDS} s` },
      { node: steadyNode, reason: 'utilization 0.51 (cpu) is not below the threshold 0.5' },
    ]);

    const start = await tick(CLUSTER, at(1000 + UNNEEDED_SECONDS));
    allRequests.push(start.requests);
    expect(start.log.problems()).toEqual([]);
    const reason = 'scale-down: utilization 26 %, 2 pod(s) to move';
    expect(start.summary.scaleDown.started).toEqual([
      { node: lightNode, pool: 'default', empty: false, reason },
    ]);
    expect(start.summary.scaleDown.drains).toEqual([
      { node: lightNode, pool: 'default', reason, state: 'evicting', actions: ['taint', 'evict 2'] },
    ]);
    // The node agent is a daemon: it stays with its node and is not evicted.
    expect(start.requests).toEqual({
      ...READS,
      'get nodes': 1,
      'patch nodes': 1,
      'create pods/eviction': 2,
      'create events.k8s.io/events': 1,
    });
    expect(hasDrainTaint(await readNode(admin, lightNode))).toBe(true);
    for (const name of WEB_PODS) {
      const pod = await readPod(admin, ns, name);
      expect(pod?.metadata.deletionTimestamp).toBeDefined();
      expect(pod?.metadata.deletionGracePeriodSeconds).toBe(GRACE);
      // The API server stamps the end of the grace period, not the eviction (wall clock: it has no other).
      expect(Date.parse(pod?.metadata.deletionTimestamp ?? '')).toBeGreaterThan(
        Date.now() + (GRACE - 5) * SECOND,
      );
      expect(pod?.status.conditions).toContainEqual(
        expect.objectContaining({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
        }),
      );
    }
    expect(start.terminations).toEqual([]);
    expect((await store.get(CLUSTER, drainRecordKey(lightNode)))?.data).toMatchObject({
      state: 'evicting',
      pods: Object.fromEntries(
        WEB_PODS.map((name) => [
          `${ns}/${name}`,
          { requestedAt: at(1060), result: 'evicted', evictedAt: at(1060) },
        ]),
      ),
    });

    // Within the grace period: the evicted pods are still terminating (no kubelet ends them).
    const graced = await tick(CLUSTER, at(1060 + GRACE - 5));
    allRequests.push(graced.requests);
    expect(graced.log.problems()).toEqual([]);
    expect(graced.summary.scaleDown.drains).toEqual([
      { node: lightNode, pool: 'default', reason, state: 'evicting', actions: [] },
    ]);
    expect(graced.requests).toEqual(READS);
    expect(graced.terminations).toEqual([]);

    const done = await tick(CLUSTER, at(1060 + GRACE));
    allRequests.push(done.requests);
    expect(done.log.problems()).toEqual([]);
    expect(done.summary.scaleDown.drains).toEqual([
      { node: lightNode, pool: 'default', reason, state: 'done', actions: ['terminate', 'delete-node'] },
    ]);
    expect(done.terminations).toEqual([terminate(LIGHT)]);
    expect(done.requests).toEqual({ ...READS, 'delete nodes': 1 });
    expect(lifecycle('drain-default-a')).toEqual([
      [LIGHT, 'Terminating'],
      [STEADY, 'InService'],
    ]);
    expect(await readNode(admin, lightNode)).toBeUndefined();
    expect(await store.get(CLUSTER, drainRecordKey(lightNode))).toBeUndefined();
    // The daemon pod and the untouched pod on the other node are still there, not terminating.
    expect((await readPod(admin, ns, 'steady-7c9d5b8f4-h5w2c'))?.metadata.deletionTimestamp).toBeUndefined();

    // Over the whole drain, the only pod write was the Eviction API (the ClusterRole has no pod delete).
    const podCalls: Record<string, number> = {};
    for (const requests of allRequests) {
      for (const [key, count] of Object.entries(podWrites(requests)))
        podCalls[key] = (podCalls[key] ?? 0) + count;
    }
    expect(podCalls).toEqual({ 'create pods/eviction': 2 });
  });

  it('leaves a node whose pods a PodDisruptionBudget guards; a drain whose evictions then get 429 retries, gives up, untaints and says why', async () => {
    const CLUSTER = 'e2e-down-budget';
    const GUARDED = 'i-0b3a4b5c6d7e8f901';
    const OTHER = 'i-0b3a4b5c6d7e8f902';
    const GROUP = 'budget-default-a';
    addGroup(CLUSTER, GROUP, [GUARDED, OTHER]);
    const ns = await useNamespace('down-budget');
    const [guardedNode, otherNode] = (await joinNodes(
      [
        { id: GUARDED, ip: '10.1.3.11' },
        { id: OTHER, ip: '10.1.3.12' },
      ],
      at(1970),
    )) as [string, string];
    const api = await createDeployment(cluster, ns, 'api', 2);
    const steady = await createDeployment(cluster, ns, 'steady', 1);
    const GUARDED_POD = 'api-7c9d5b8f4-q8r4v';
    await createOwnedPod(
      admin,
      ns,
      api,
      { name: GUARDED_POD, node: guardedNode, cpu: '500m', memory: '512Mi', graceSeconds: 30 },
      at(1980),
    );
    await createOwnedPod(
      admin,
      ns,
      api,
      { name: 'api-7c9d5b8f4-m3n6b', node: otherNode, cpu: '500m', memory: '512Mi', graceSeconds: 30 },
      at(1980),
    );
    await createOwnedPod(
      admin,
      ns,
      steady,
      { name: 'steady-7c9d5b8f4-z9d1k', node: otherNode, cpu: '2000m', memory: '1Gi', graceSeconds: 30 },
      at(1980),
    );
    await admin.post(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'api' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } },
    });
    // One replica is not healthy: the budget has no disruption left.
    const oneUnhealthy = { expectedPods: 2, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0 };
    const allHealthy = { expectedPods: 2, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 };
    await writeBudgetStatus(admin, ns, 'api', oneUnhealthy);

    const budgetReason =
      `not enough pod disruption budget to move ${ns}/${GUARDED_POD} ` +
      `(PodDisruptionBudget ${ns}/api allows 0, 1 needed)`;
    for (const seconds of [2000, 2000 + UNNEEDED_SECONDS, 2000 + 2 * UNNEEDED_SECONDS]) {
      const blocked = await tick(CLUSTER, at(seconds));
      expect(blocked.log.problems()).toEqual([]);
      expect(blocked.summary.scaleDown).toMatchObject({ started: [], drains: [], unneeded: 0 });
      expect(blocked.summary.scaleDown.blocked).toContainEqual({ node: guardedNode, reason: budgetReason });
      expect(blocked.summary.scaleDown.blocked.find((b) => b.node === guardedNode)?.reason).toMatch(
        /PodDisruptionBudget/,
      );
      expect(blocked.requests).toEqual(READS);
      expect(blocked.terminations).toEqual([]);
    }
    expect(hasDrainTaint(await readNode(admin, guardedNode))).toBe(false);

    // The replica recovers: the node becomes unneeded and, after the unneeded time, its drain starts.
    // Between the taint and the eviction the other replica goes unready again, so the API server's
    // own budget check answers 429.
    await writeBudgetStatus(admin, ns, 'api', allHealthy);
    const unneeded = await tick(CLUSTER, at(2130));
    expect(unneeded.summary.scaleDown.unneeded).toBe(1);
    const startAt = 2130 + UNNEEDED_SECONDS;
    const started = await tick(CLUSTER, at(startAt), (ports) => ({
      ...ports,
      kubernetes: afterCall(ports.kubernetes, 'setNodeTaint', () =>
        writeBudgetStatus(admin, ns, 'api', oneUnhealthy),
      ),
    }));
    expect(started.log.problems()).toEqual([]);
    const reason = 'scale-down: utilization 13 %, 1 pod(s) to move';
    expect(started.summary.scaleDown.drains).toEqual([
      {
        node: guardedNode,
        pool: 'default',
        reason,
        state: 'evicting',
        actions: ['taint', 'evict 1 (1 blocked by a PDB)'],
      },
    ]);
    expect(started.requests).toMatchObject({ 'create pods/eviction': 1 });
    expect(hasDrainTaint(await readNode(admin, guardedNode))).toBe(true);
    expect((await store.get(CLUSTER, drainRecordKey(guardedNode)))?.data).toMatchObject({
      pods: { [`${ns}/${GUARDED_POD}`]: { result: 'blocked', blockedSince: at(startAt) } },
    });

    // Retried every evictionRetrySeconds, refused each time, until the blocked timeout.
    for (
      let seconds = EVICTION_RETRY_SECONDS;
      seconds < EVICTION_BLOCKED_TIMEOUT_SECONDS;
      seconds += EVICTION_RETRY_SECONDS
    ) {
      const retry = await tick(CLUSTER, at(startAt + seconds));
      expect(retry.log.problems()).toEqual([]);
      expect(retry.summary.scaleDown.drains).toEqual([
        {
          node: guardedNode,
          pool: 'default',
          reason,
          state: 'evicting',
          actions: ['evict 1 (1 blocked by a PDB)'],
        },
      ]);
      expect(retry.requests).toEqual({ ...READS, 'create pods/eviction': 1 });
      expect(retry.terminations).toEqual([]);
    }

    const givenUp = await tick(CLUSTER, at(startAt + EVICTION_BLOCKED_TIMEOUT_SECONDS));
    expect(givenUp.log.problems()).toEqual([]);
    const abortReason = `eviction of ${ns}/${GUARDED_POD} refused by a PodDisruptionBudget for ${EVICTION_BLOCKED_TIMEOUT_SECONDS} s`;
    expect(givenUp.summary.scaleDown.drains).toEqual([
      { node: guardedNode, pool: 'default', reason, state: 'done', actions: ['untaint'], abortReason },
    ]);
    expect(givenUp.terminations).toEqual([]);
    expect(hasDrainTaint(await readNode(admin, guardedNode))).toBe(false);
    expect((await readPod(admin, ns, GUARDED_POD))?.metadata.deletionTimestamp).toBeUndefined();
    expect(await store.get(CLUSTER, drainRecordKey(guardedNode))).toBeUndefined();
    expect(lifecycle(GROUP)).toEqual([
      [GUARDED, 'InService'],
      [OTHER, 'InService'],
    ]);
    expect(groups.get(GROUP)?.DesiredCapacity).toBe(2);
    const events = await nodeEvents(guardedNode);
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'ScaleDown'],
      ['Warning', 'ScaleDownFailed'],
    ]);
    expect(events.find((e) => e.reason === 'ScaleDownFailed')?.note).toBe(`drain given up: ${abortReason}`);

    // The budget still allows nothing: the node is blocked again, not drained again.
    const after = await tick(CLUSTER, at(startAt + EVICTION_BLOCKED_TIMEOUT_SECONDS + 15));
    expect(after.summary.scaleDown).toMatchObject({ started: [], drains: [] });
    expect(after.summary.scaleDown.blocked).toContainEqual({ node: guardedNode, reason: budgetReason });
    expect(after.requests).toEqual(READS);
  });

  it('finishes a drain whose Lambda died right after the eviction: no second eviction, exactly one termination', async () => {
    const CLUSTER = 'e2e-down-crash';
    const LEAVING = 'i-0a4a5b6c7d8e9f001';
    const STAYING = 'i-0a4a5b6c7d8e9f002';
    const GROUP = 'crash-default-a';
    addGroup(CLUSTER, GROUP, [LEAVING, STAYING]);
    const ns = await useNamespace('down-crash');
    const [leavingNode, stayingNode] = (await joinNodes(
      [
        { id: LEAVING, ip: '10.1.4.11' },
        { id: STAYING, ip: '10.1.4.12' },
      ],
      at(2970),
    )) as [string, string];
    const web = await createDeployment(cluster, ns, 'web', 1);
    const steady = await createDeployment(cluster, ns, 'steady', 1);
    const WEB_POD = 'web-7c9d5b8f4-r2d2x';
    await createOwnedPod(
      admin,
      ns,
      web,
      { name: WEB_POD, node: leavingNode, cpu: '500m', memory: '512Mi', graceSeconds: 10 },
      at(2980),
    );
    await createOwnedPod(
      admin,
      ns,
      steady,
      { name: 'steady-7c9d5b8f4-c3p0y', node: stayingNode, cpu: '2000m', memory: '1Gi', graceSeconds: 30 },
      at(2980),
    );

    await tick(CLUSTER, at(3000));
    const invocation = new Invocation();
    const crashed = await tick(CLUSTER, at(3000 + UNNEEDED_SECONDS), (ports) => ({
      ...ports,
      kubernetes: afterCall(ports.kubernetes, 'evictPod', async () => invocation.die('evictPod'), invocation),
      autoScaling: afterCall(ports.autoScaling, 'terminateInstance', async () => undefined, invocation),
    }));
    expect(invocation.diedAfter).toBe('evictPod');
    expect(crashed.log.problems()).toEqual([
      expect.objectContaining({
        message: 'drain step failed; retrying next tick',
        attributes: expect.objectContaining({ error: 'the Lambda died right after evictPod' }),
      }),
    ]);
    expect(crashed.requests).toMatchObject({ 'patch nodes': 1, 'create pods/eviction': 1 });
    expect(crashed.terminations).toEqual([]);
    // The eviction reached the API server; the record says it was asked for, not what came of it.
    expect((await readPod(admin, ns, WEB_POD))?.metadata.deletionTimestamp).toBeDefined();
    const record = (await store.get(CLUSTER, drainRecordKey(leavingNode)))?.data as {
      state: string;
      pods: Record<string, { requestedAt: number; result?: string }>;
    };
    expect(record.state).toBe('evicting');
    expect(record.pods[`${ns}/${WEB_POD}`]).toMatchObject({ requestedAt: at(3060) });
    expect(record.pods[`${ns}/${WEB_POD}`]?.result).toBeUndefined();

    // The next invocation, after the pod's grace period, goes on from the record and what it sees.
    const healthy = await tick(CLUSTER, at(3060 + EVICTION_RETRY_SECONDS));
    expect(healthy.log.problems()).toEqual([]);
    expect(healthy.summary.scaleDown.drains).toEqual([
      expect.objectContaining({ node: leavingNode, state: 'done', actions: ['terminate', 'delete-node'] }),
    ]);
    expect(podWrites(healthy.requests)).toEqual({});
    expect(healthy.terminations).toEqual([terminate(LEAVING)]);
    expect(groups.get(GROUP)?.DesiredCapacity).toBe(1);
    expect(await readNode(admin, leavingNode)).toBeUndefined();
    expect(await store.get(CLUSTER, drainRecordKey(leavingNode))).toBeUndefined();

    const quiet = await tick(CLUSTER, at(3060 + 2 * EVICTION_RETRY_SECONDS));
    expect(quiet.terminations).toEqual([]);
    expect(quiet.summary.scaleDown.drains).toEqual([]);
  });

  it('finishes a drain whose Lambda died right after TerminateInstanceInAutoScalingGroup: the Node is deleted, the instance not terminated again', async () => {
    const CLUSTER = 'e2e-down-crash-terminate';
    const LEAVING = 'i-0f5a6b7c8d9e0f101';
    const STAYING = 'i-0f5a6b7c8d9e0f102';
    const GROUP = 'crash-terminate-default-a';
    addGroup(CLUSTER, GROUP, [LEAVING, STAYING]);
    const ns = await useNamespace('down-crash-terminate');
    const [leavingNode, stayingNode] = (await joinNodes(
      [
        { id: LEAVING, ip: '10.1.5.11' },
        { id: STAYING, ip: '10.1.5.12' },
      ],
      at(3970),
    )) as [string, string];
    const steady = await createDeployment(cluster, ns, 'steady', 1);
    await createOwnedPod(
      admin,
      ns,
      steady,
      { name: 'steady-7c9d5b8f4-b8k4w', node: stayingNode, cpu: '2000m', memory: '1Gi', graceSeconds: 30 },
      at(3980),
    );

    await tick(CLUSTER, at(4000));
    const invocation = new Invocation();
    const crashed = await tick(CLUSTER, at(4000 + UNNEEDED_SECONDS), (ports) => ({
      kubernetes: afterCall(ports.kubernetes, 'evictPod', async () => undefined, invocation),
      autoScaling: afterCall(
        ports.autoScaling,
        'terminateInstance',
        async () => invocation.die('terminateInstance'),
        invocation,
      ),
    }));
    expect(invocation.diedAfter).toBe('terminateInstance');
    expect(crashed.terminations).toEqual([terminate(LEAVING)]);
    expect(await readNode(admin, leavingNode)).toBeDefined();
    expect((await store.get(CLUSTER, drainRecordKey(leavingNode)))?.data).toMatchObject({
      state: 'terminating',
      terminateRequestedAt: at(4060),
    });

    const healthy = await tick(CLUSTER, at(4060 + 15));
    expect(healthy.log.problems()).toEqual([]);
    expect(healthy.summary.scaleDown.drains).toEqual([
      expect.objectContaining({ node: leavingNode, state: 'done', actions: ['delete-node'] }),
    ]);
    expect(healthy.terminations).toEqual([]);
    expect(groups.get(GROUP)?.DesiredCapacity).toBe(1);
    expect(await readNode(admin, leavingNode)).toBeUndefined();
    expect(await store.get(CLUSTER, drainRecordKey(leavingNode))).toBeUndefined();
  });
});

/**
 * The port with `hook` run after each successful `method` call, and every call refused once the
 * invocation has died.
 */
function afterCall<T extends object>(
  port: T,
  method: keyof T & string,
  hook: () => Promise<unknown>,
  invocation: Invocation = new Invocation(),
): T {
  const after: Partial<Record<keyof T & string, () => Promise<void>>> = {};
  after[method] = async () => void (await hook());
  return wrapPort(port, invocation, after);
}
