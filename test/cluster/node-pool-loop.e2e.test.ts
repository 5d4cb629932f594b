/**
 * Whole node-pool ticks (`runNodePoolTick`) through the real adapters: a real kube-apiserver + etcd,
 * acting as user `tideplane` with only the shipped ClusterRole; the real `AwsAutoScaling` and
 * `Ec2Adapter` on SDK clients whose `send` aws-sdk-client-mock answers (moto 5.2.5 always returns no
 * scaling activities and ignores min/max in SetDesiredCapacity, so the failure path needs the mock);
 * DynamoDB on dynalite. Every tick builds new adapters and a new state store, as a cold Lambda does.
 *
 * No kube-scheduler, kubelet or controller runs: the suite writes what they would (Unschedulable pods,
 * Ready nodes, DaemonSet pods, bindings). The mocked Auto Scaling keeps each group's desired capacity
 * (SetDesiredCapacity changes it); the suite adds the instances AWS launches and the scaling activities
 * it reports. Time is a FakeClock; the servers run in real time.
 *
 * The steps are one story (scale from zero, a capacity failure and its fallback, the nodes join, a
 * throttled call) and run in order on the same cluster.
 */
import {
  type Activity,
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  DescribeScalingActivitiesCommand,
  type DescribeScalingActivitiesCommandInput,
  type AutoScalingGroup as SdkAutoScalingGroup,
  SetDesiredCapacityCommand,
  type SetDesiredCapacityCommandInput,
  type SetDesiredCapacityCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandInput,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTO_SCALING_CLIENT_RETRY,
  AUTO_SCALING_MAX_ATTEMPTS,
  AwsAutoScaling,
  MAX_RECORDS,
} from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { type LocalDynamo, startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore, type DynamoDbStats } from '../../shared/adapters/dynamodb/state-store';
import { type NodePoolsConfig, nodePoolsSchema } from '../../shared/config/node-pools';
import { type NodePoolTickSummary, runNodePoolTick } from '../../shared/loops/node-pool-loop';
import {
  CA_ENABLED_TAG,
  CA_LABEL_TAG_PREFIX,
  CA_TAINT_TAG_PREFIX,
  clusterTag,
  NODE_POOL_TAG,
  PRIORITY_TAG,
} from '../../shared/nodepools/pools';
import { type KubeHttp, startTestCluster, type TestCluster } from './harness';
import { FakeClock } from './support/fake-clock';
import { type EventView, namespaceEvents } from './support/hpa-cluster';
import {
  bindPod,
  createDaemonPod,
  createReadyNode,
  createUnschedulablePod,
  createZonalVolume,
  failedLaunchActivity,
  groupInstance,
  INSTANCE_TYPES,
  insufficientCapacityMessage,
  type JoinedInstance,
  kubernetesAsTideplane,
  launchActivity,
  REGION,
  ThrottlingTransport,
  zonalGroup,
} from './support/node-pool-cluster';
import { RecordingLogger } from './support/recording-logger';

const CLUSTER = 'e2e-pools';
const NS = 'shop';
const REPORTING_INSTANCE = 'tideplane-node-pools-e2e';
const SECOND = 1000;
/** Virtual time of the first tick: now, whole seconds (condition times have second precision). */
const T0 = Math.floor(Date.now() / SECOND) * SECOND;
const at = (seconds: number) => T0 + seconds * SECOND;
const WEEK_SECONDS = 7 * 86_400;
const ZONE_A = `${REGION}a`;
const ZONE_B = `${REGION}b`;
const ZONE_C = `${REGION}c`;
/** An opaque token like the ones DescribeAutoScalingGroups hands out. */
const PAGE_TWO = 'eyJ2IjoyLCJjIjoiTmV4dFRva2VuIiwicyI6ImJhdGNoLWEifQ==';

const NO_NODES = 'no nodes available to schedule pods';
const ICE = insufficientCapacityMessage('m5.xlarge', ZONE_B, [ZONE_A, ZONE_C]);

// ---------------------------------------------------------------------------------------------------
// The account's Auto Scaling groups and launch templates

const poolTags = (pool: string, priority?: number): Record<string, string> => ({
  [CA_ENABLED_TAG]: 'true',
  [clusterTag(CLUSTER)]: 'owned',
  [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
  [NODE_POOL_TAG]: pool,
  ...(priority !== undefined ? { [PRIORITY_TAG]: String(priority) } : {}),
});
const DEFAULT_TEMPLATE = { id: 'lt-0d3f5a7c9e1b2d4f6', name: 'e2e-pools-default', version: '$Latest' };
const BATCH_TEMPLATE = { id: 'lt-0b4c6e8a0c2e4a6c8', name: 'e2e-pools-batch', version: '2' };
const FALLBACK_TEMPLATE = { id: 'lt-0f1e3d5c7b9a1f3e5', name: 'e2e-pools-fallback', version: '$Default' };
const BASTION_TEMPLATE = { id: 'lt-0a9b8c7d6e5f4a3b2', name: 'bastion', version: '1' };

/** Page 2: the cluster's groups. The default pool launches what its template says (m5.xlarge). */
const ours: SdkAutoScalingGroup[] = [
  zonalGroup('batch-a', {
    zone: ZONE_A,
    max: 5,
    launch: { template: BATCH_TEMPLATE },
    tags: {
      ...poolTags('batch'),
      [`${CA_LABEL_TAG_PREFIX}workload`]: 'batch',
      [`${CA_TAINT_TAG_PREFIX}workload`]: 'batch:NoSchedule',
    },
  }),
  ...[ZONE_A, ZONE_B, ZONE_C].map((zone) =>
    zonalGroup(`default-${zone.slice(-1)}`, {
      zone,
      max: 10,
      launch: { template: DEFAULT_TEMPLATE },
      tags: poolTags('default', 0),
    }),
  ),
  // The fallback pool: other instance types (AMD), a mixed-instances group all on-demand.
  ...[ZONE_A, ZONE_B, ZONE_C].map((zone) =>
    zonalGroup(`fallback-${zone.slice(-1)}`, {
      zone,
      max: 10,
      launch: {
        mixed: {
          template: FALLBACK_TEMPLATE,
          overrides: ['m5a.xlarge', 'm5ad.xlarge'],
          onDemandPercentageAboveBase: 100,
        },
      },
      tags: poolTags('fallback', -10),
    }),
  ),
];
/** Page 1: another cluster's group and a bastion host's. */
const foreign: SdkAutoScalingGroup[] = [
  zonalGroup('kube-other-workers-a', {
    zone: ZONE_A,
    max: 20,
    launch: {
      mixed: {
        template: { id: 'lt-0c1d2e3f4a5b6c7d8', name: 'kube-other', version: '$Latest' },
        overrides: ['c5.xlarge'],
        onDemandPercentageAboveBase: 100,
      },
    },
    tags: { [CA_ENABLED_TAG]: 'true', [clusterTag('kube-other')]: 'owned' },
  }),
  zonalGroup('bastion', {
    zone: ZONE_A,
    max: 1,
    launch: { template: BASTION_TEMPLATE },
    tags: { Name: 'bastion' },
  }),
];

const TEMPLATE_VERSIONS: Record<
  string,
  { name: string; versions: Record<string, { number: number; type: string }> }
> = {
  [DEFAULT_TEMPLATE.id]: {
    name: DEFAULT_TEMPLATE.name,
    versions: { $Latest: { number: 7, type: 'm5.xlarge' } },
  },
  [BATCH_TEMPLATE.id]: { name: BATCH_TEMPLATE.name, versions: { '2': { number: 2, type: 'm5.xlarge' } } },
  [BASTION_TEMPLATE.id]: { name: BASTION_TEMPLATE.name, versions: { '1': { number: 1, type: 't3.micro' } } },
};

const group = (name: string): SdkAutoScalingGroup => {
  const found = ours.find((g) => g.AutoScalingGroupName === name);
  if (!found) throw new Error(`no group ${name}`);
  return found;
};
/** Scaling activities per group, newest first, as DescribeScalingActivities returns them. */
const activities = new Map<string, Activity[]>();
/** Groups whose SetDesiredCapacity goes to the throttling transport instead of the mock. */
const throttled = new Set<string>();

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const transport = new ThrottlingTransport();
const autoScalingClient = new AutoScalingClient({
  region: REGION,
  credentials: CREDENTIALS,
  ...AUTO_SCALING_CLIENT_RETRY,
  requestHandler: transport.handler,
});
const ec2Client = new EC2Client({ region: REGION, credentials: CREDENTIALS, ...AUTO_SCALING_CLIENT_RETRY });
const autoScaling = mockClient(autoScalingClient);
const ec2 = mockClient(ec2Client);

/** Through the client's own middleware (serialize, sign, retry, deserialize), past the mocked `send`. */
const sendOverTheWire = (input: SetDesiredCapacityCommandInput) =>
  (AutoScalingClient.prototype.send as (command: unknown) => Promise<SetDesiredCapacityCommandOutput>).call(
    autoScalingClient,
    new SetDesiredCapacityCommand(input),
  );

function serveAws(): void {
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(async (input: DescribeAutoScalingGroupsCommandInput) => {
      if (input.AutoScalingGroupNames) throw new Error('the loop discovers by tags: no names expected');
      // Auto Scaling applies a tag-key filter before paging, as the API does.
      const tagKeys = input.Filters?.find((filter) => filter.Name === 'tag-key')?.Values;
      const filtered = (groups: typeof ours) =>
        structuredClone(groups).filter(
          (g) => !tagKeys || (g.Tags ?? []).some((tag) => tagKeys.includes(tag.Key ?? '')),
        );
      if (input.NextToken === undefined) return { AutoScalingGroups: filtered(foreign), NextToken: PAGE_TWO };
      if (input.NextToken === PAGE_TWO) return { AutoScalingGroups: filtered(ours) };
      throw new AutoScalingServiceException({
        name: 'InvalidNextToken',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The token is invalid.',
      });
    });
  autoScaling
    .on(DescribeScalingActivitiesCommand)
    .callsFake(async (input: DescribeScalingActivitiesCommandInput) => ({
      Activities: structuredClone(activities.get(input.AutoScalingGroupName ?? '') ?? []),
    }));
  autoScaling.on(SetDesiredCapacityCommand).callsFake(async (input: SetDesiredCapacityCommandInput) => {
    const name = input.AutoScalingGroupName ?? '';
    if (throttled.has(name)) return sendOverTheWire(input);
    const target = group(name);
    const desired = input.DesiredCapacity ?? 0;
    const [bound, limit] =
      desired > (target.MaxSize ?? 0) ? ['above max', target.MaxSize] : ['below min', target.MinSize];
    if (desired > (target.MaxSize ?? 0) || desired < (target.MinSize ?? 0)) {
      throw new AutoScalingServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `New SetDesiredCapacity value ${desired} is ${bound} value ${limit} for the AutoScalingGroup.`,
      });
    }
    target.DesiredCapacity = desired;
    return { $metadata: { httpStatusCode: 200 } };
  });
  ec2
    .on(DescribeLaunchTemplateVersionsCommand)
    .callsFake(async (input: DescribeLaunchTemplateVersionsCommandInput) => {
      const template = TEMPLATE_VERSIONS[input.LaunchTemplateId ?? ''];
      const version = template?.versions[input.Versions?.[0] ?? ''];
      if (!template || !version) {
        throw new EC2ServiceException({
          name: 'InvalidLaunchTemplateId.NotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `The specified launch template, with template ID ${input.LaunchTemplateId}, does not exist.`,
        });
      }
      return {
        LaunchTemplateVersions: [
          {
            LaunchTemplateId: input.LaunchTemplateId,
            LaunchTemplateName: template.name,
            VersionNumber: version.number,
            DefaultVersion: false,
            CreateTime: new Date('2025-11-03T09:10:02.000Z'),
            LaunchTemplateData: {
              ImageId: 'ami-0a1b2c3d4e5f60718',
              InstanceType: version.type as 'm5.xlarge',
              MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
            },
          },
        ],
      };
    });
  ec2.on(DescribeInstanceTypesCommand).callsFake(async (input: DescribeInstanceTypesCommandInput) => {
    const unknown = (input.InstanceTypes ?? []).filter((type) => !INSTANCE_TYPES[type]);
    if (unknown.length > 0) {
      throw new EC2ServiceException({
        name: 'InvalidInstanceType',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
      });
    }
    return {
      InstanceTypes: (input.InstanceTypes ?? []).map((type) => structuredClone(INSTANCE_TYPES[type])),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// The cluster

const WEB = ['web-0', 'web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
/** 1300m each: with the node agent's 200m, two fit the 3920m of an m5.xlarge; without it, three would. */
const WEB_POD = { cpu: '1300m', memory: '1Gi' };
const DB_POD = { cpu: '3', memory: '8Gi', claim: 'data-db-0' };
const BATCH_POD = {
  cpu: '2',
  memory: '4Gi',
  nodeSelector: { workload: 'batch' },
  tolerations: [{ key: 'workload', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
};
const BURST_POD = { cpu: '3500m', memory: '1Gi' };
const AGENT = { namespace: 'kube-system', name: 'node-agent', cpu: '200m', memory: '200Mi' };

let cluster: TestCluster;
let admin: KubeHttp;
let dynamo: LocalDynamo;
/** Reads state for assertions; the ticks use stores of their own. */
let store: DynamoDbStateStore;
let agentUid: string;
const clock = new FakeClock(T0);
const settings: NodePoolsConfig = nodePoolsSchema.parse({});

interface TickResult {
  summary: NodePoolTickSummary;
  /** Kubernetes requests of this tick, by verb and resource. */
  requests: Record<string, number>;
  dynamo: DynamoDbStats;
  log: RecordingLogger;
  /** What the adapters sent to AWS this tick (each call as its command input). */
  aws: {
    describeGroups: DescribeAutoScalingGroupsCommandInput[];
    templates: DescribeLaunchTemplateVersionsCommandInput[];
    instanceTypes: DescribeInstanceTypesCommandInput[];
    activities: DescribeScalingActivitiesCommandInput[];
    setDesired: SetDesiredCapacityCommandInput[];
  };
}

/** One tick as one cold Lambda invocation runs it: new adapters and state store. */
async function tick(time: number, options: { dryRun?: boolean } = {}): Promise<TickResult> {
  clock.set(time);
  autoScaling.resetHistory();
  ec2.resetHistory();
  const kubernetes = kubernetesAsTideplane(cluster, REPORTING_INSTANCE);
  const state = new DynamoDbStateStore({ client: dynamo.newClient(), tableName: dynamo.tableName, clock });
  const log = new RecordingLogger();
  try {
    const summary = await runNodePoolTick({
      cluster: CLUSTER,
      kubernetes,
      autoScaling: new AwsAutoScaling({ autoScaling: autoScalingClient, ec2: ec2Client }),
      ec2: new Ec2Adapter(ec2Client),
      state,
      clock,
      log,
      settings,
      dryRun: options.dryRun ?? false,
    });
    return {
      summary,
      requests: kubernetes.stats().byRequest,
      dynamo: state.stats,
      log,
      aws: {
        describeGroups: autoScaling
          .commandCalls(DescribeAutoScalingGroupsCommand)
          .map((c) => c.args[0].input),
        templates: ec2.commandCalls(DescribeLaunchTemplateVersionsCommand).map((c) => c.args[0].input),
        instanceTypes: ec2.commandCalls(DescribeInstanceTypesCommand).map((c) => c.args[0].input),
        activities: autoScaling.commandCalls(DescribeScalingActivitiesCommand).map((c) => c.args[0].input),
        setDesired: autoScaling.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input),
      },
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
/**
 * Every tick asks for the groups that carry the cluster's tag (two pages), the templates of those that
 * name no type in overrides, and the cluster's instance types once. Other teams' groups (the bastion)
 * are filtered out by Auto Scaling, so their templates are never looked up.
 */
const TAG_FILTER = [{ Name: 'tag-key', Values: [`k8s.io/cluster-autoscaler/${CLUSTER}`] }];
const DISCOVERY = {
  describeGroups: [
    { Filters: TAG_FILTER, MaxRecords: MAX_RECORDS },
    { Filters: TAG_FILTER, MaxRecords: MAX_RECORDS, NextToken: PAGE_TWO },
  ],
  templates: [
    { LaunchTemplateId: BATCH_TEMPLATE.id, Versions: ['2'] },
    { LaunchTemplateId: DEFAULT_TEMPLATE.id, Versions: ['$Latest'] },
  ],
  instanceTypes: [{ InstanceTypes: ['m5.xlarge', 'm5a.xlarge', 'm5ad.xlarge'] }],
};

const setDesired = (name: string, desired: number) => ({
  AutoScalingGroupName: name,
  DesiredCapacity: desired,
  HonorCooldown: false,
});
const activityQuery = (name: string) => ({ AutoScalingGroupName: name, MaxRecords: MAX_RECORDS });
const byGroup = (a: { AutoScalingGroupName?: string }, b: { AutoScalingGroupName?: string }) =>
  (a.AutoScalingGroupName ?? '').localeCompare(b.AutoScalingGroupName ?? '');

const triggered = (name: string, from: number, to: number, max: number, pool: string, zone: string) =>
  `pod triggered scale-up: [{${name} ${from}->${to} (max: ${max})}] in pool ${pool}, zone ${zone}`;

async function scaleUpEvents(): Promise<EventView[]> {
  return (await namespaceEvents(admin, NS)).filter((e) => e.reason === 'TriggeredScaleUp');
}

/** The notes of the TriggeredScaleUp Events by pod, in creation order. */
async function notesByPod(): Promise<Record<string, string[]>> {
  const notes: Record<string, string[]> = {};
  const events = (await scaleUpEvents()).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const event of events)
    notes[event.regarding.name] = [...(notes[event.regarding.name] ?? []), event.note];
  return notes;
}

const groupItem = (asg: string) => store.get(CLUSTER, `pool#group#${asg}`);

/** Lets AWS launch instances into a group (it already has the desired capacity the loop set). */
function launch(name: string, instances: { id: string; state: 'Pending' | 'InService' }[]): void {
  const target = group(name);
  const zone = target.AvailabilityZones?.[0] ?? '';
  const type = name.startsWith('fallback') ? 'm5a.xlarge' : 'm5.xlarge';
  target.Instances = instances.map((i) => groupInstance(i.id, zone, type, i.state));
}

beforeAll(async () => {
  serveAws();
  [cluster, dynamo] = await Promise.all([startTestCluster({ metricsApis: false }), startLocalDynamo()]);
  admin = cluster.client();
  store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  const [agent] = await cluster.apply([
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: AGENT.name, namespace: AGENT.namespace },
      spec: {
        selector: { matchLabels: { app: AGENT.name } },
        template: {
          metadata: { labels: { app: AGENT.name } },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
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
    },
  ]);
  agentUid = String((agent?.metadata as { uid?: string } | undefined)?.uid);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await createZonalVolume(cluster, NS, DB_POD.claim, {
    name: 'pvc-7c2e4a61-3b5d-4f8e-9a1c-0d2e4f6a8b0c',
    volumeId: 'vol-0f3c2a1b4d5e6f708',
    zone: ZONE_B,
  });
  const unschedulable = { time: at(-5), message: NO_NODES };
  for (const name of WEB) await createUnschedulablePod(admin, NS, name, WEB_POD, unschedulable);
  await createUnschedulablePod(admin, NS, 'db-0', DB_POD, unschedulable);
  await createUnschedulablePod(admin, NS, 'batch-0', BATCH_POD, unschedulable);
});

afterAll(async () => {
  autoScaling.restore();
  ec2.restore();
  autoScalingClient.destroy();
  ec2Client.destroy();
  await Promise.all([cluster?.stop(), dynamo?.stop()]);
});

/** Tick 1's plan: largest pod first (db-0, only 1b), then the web pods balanced over the zones. */
const FIRST_PLAN = [
  { pool: 'batch', asgName: 'batch-a', zone: ZONE_A, from: 0, to: 1, pods: ['shop/batch-0'] },
  {
    pool: 'default',
    asgName: 'default-a',
    zone: ZONE_A,
    from: 0,
    to: 2,
    pods: ['shop/web-0', 'shop/web-1', 'shop/web-4', 'shop/web-5'],
  },
  { pool: 'default', asgName: 'default-b', zone: ZONE_B, from: 0, to: 1, pods: ['shop/db-0'] },
  { pool: 'default', asgName: 'default-c', zone: ZONE_C, from: 0, to: 1, pods: ['shop/web-2', 'shop/web-3'] },
];

describe('whole node-pool ticks through the real adapters: API server, Auto Scaling and EC2, DynamoDB', () => {
  it('finds the cluster’s groups on page 2 of DescribeAutoScalingGroups and, on a dry run, changes nothing', async () => {
    const { summary, requests, dynamo: calls, log, aws } = await tick(at(0), { dryRun: true });
    expect(log.problems()).toEqual([]);
    expect(aws).toEqual({ ...DISCOVERY, activities: [], setDesired: [] });
    // Only the tagged groups of this cluster, by pool, higher priority first, then by name.
    expect(summary.pools).toEqual([
      { name: 'batch', priority: 0, capacityType: 'on-demand', groups: 1, nodes: 0 },
      { name: 'default', priority: 0, capacityType: 'on-demand', groups: 3, nodes: 0 },
      { name: 'fallback', priority: -10, capacityType: 'on-demand', groups: 3, nodes: 0 },
    ]);
    expect(summary.problems).toEqual([]);
    expect(summary.increases).toEqual(FIRST_PLAN.map((i) => ({ ...i, result: 'would-apply' })));
    expect(summary.counts).toEqual({ desiredCapacityWrites: 0, stateWrites: 0, events: 0 });
    expect(requests).toEqual(READS);
    expect(calls).toMatchObject({ queries: 1, writes: 0 });
    expect(await store.query(CLUSTER)).toEqual([]);
    expect(await scaleUpEvents()).toEqual([]);
  });

  it('scales from zero on the template nodes: exact SetDesiredCapacity calls, Events on the pods, in-flight state', async () => {
    const { summary, requests, dynamo: calls, log, aws } = await tick(at(0));
    expect(log.problems()).toEqual([]);
    expect(summary).toMatchObject({
      pendingPods: 8,
      fitsExisting: 0,
      fitsUpcoming: 0,
      unplaceable: [],
      failures: [],
    });
    expect(summary.increases).toEqual(FIRST_PLAN.map((i) => ({ ...i, result: 'applied' })));
    // The pod with the volume in 1b grows the 1b group; the web pods are spread over the other zones;
    // the node agent's 200m keeps the web pods at two per node (three nodes, not two).
    expect(aws).toEqual({
      ...DISCOVERY,
      activities: [],
      setDesired: [
        setDesired('batch-a', 1),
        setDesired('default-a', 2),
        setDesired('default-b', 1),
        setDesired('default-c', 1),
      ],
    });
    expect(ours.map((g) => [g.AutoScalingGroupName, g.DesiredCapacity])).toEqual([
      ['batch-a', 1],
      ['default-a', 2],
      ['default-b', 1],
      ['default-c', 1],
      ['fallback-a', 0],
      ['fallback-b', 0],
      ['fallback-c', 0],
    ]);
    expect(summary.counts).toEqual({ desiredCapacityWrites: 4, stateWrites: 4, events: 8 });
    expect(requests).toEqual({ ...READS, 'create events.k8s.io/events': 8 });

    // In the words cluster-autoscaler uses, as tideplane's node-pools controller.
    const events = await scaleUpEvents();
    expect(events).toHaveLength(8);
    for (const event of events) {
      expect(event).toMatchObject({
        type: 'Normal',
        reason: 'TriggeredScaleUp',
        action: 'TriggeredScaleUp',
        reportingController: 'tideplane.io/node-pools',
        reportingInstance: REPORTING_INSTANCE,
        regarding: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: NS,
          uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        },
      });
      expect(Date.parse(event.eventTime)).toBe(at(0));
    }
    const default1a = triggered('default-a', 0, 2, 10, 'default', ZONE_A);
    const default1c = triggered('default-c', 0, 1, 10, 'default', ZONE_C);
    expect(await notesByPod()).toEqual({
      'batch-0': [triggered('batch-a', 0, 1, 5, 'batch', ZONE_A)],
      'db-0': [triggered('default-b', 0, 1, 10, 'default', ZONE_B)],
      'web-0': [default1a],
      'web-1': [default1a],
      'web-2': [default1c],
      'web-3': [default1c],
      'web-4': [default1a],
      'web-5': [default1a],
    });

    // Each increase recorded as in flight before its SetDesiredCapacity, one conditional write each.
    expect(calls).toMatchObject({ queries: 1, writes: 4, conditionalFailures: 0 });
    const expiresAt = at(0) / SECOND + WEEK_SECONDS;
    expect(await store.query(CLUSTER)).toEqual(
      FIRST_PLAN.map(({ asgName, from, to, pods }) => ({
        cluster: CLUSTER,
        sk: `pool#group#${asgName}`,
        version: 1,
        expiresAt,
        data: {
          asgName,
          lastScaleUpAt: at(0),
          inFlight: { since: at(0), from, to, podCount: pods.length, pods },
        },
      })),
    );
  });

  it('backs off the group AWS could not launch for (InsufficientInstanceCapacity), sets it back and grows the fallback in the zone, in one tick', async () => {
    // What AWS did in the 15 s: launched into three groups; in 1b EC2 had no m5.xlarge, and Auto
    // Scaling keeps desired at 1 and retries.
    launch('batch-a', [{ id: 'i-0a7c3e91b2d4f6081', state: 'Pending' }]);
    launch('default-a', [
      { id: 'i-0d1e4c2b9a8f7e601', state: 'Pending' },
      { id: 'i-0d1e4c2b9a8f7e602', state: 'Pending' },
    ]);
    launch('default-c', [{ id: 'i-0c5b7a9d1e3f20461', state: 'Pending' }]);
    const launched = (name: string, id: string, from: number, to: number) =>
      launchActivity({
        group: name,
        instanceId: id,
        zone: group(name).AvailabilityZones?.[0] ?? '',
        from,
        to,
        askedAt: at(0),
        startTime: at(2),
        statusCode: 'InProgress',
      });
    activities.set('batch-a', [launched('batch-a', 'i-0a7c3e91b2d4f6081', 0, 1)]);
    activities.set('default-a', [
      launched('default-a', 'i-0d1e4c2b9a8f7e602', 0, 2),
      launched('default-a', 'i-0d1e4c2b9a8f7e601', 0, 2),
    ]);
    activities.set('default-c', [launched('default-c', 'i-0c5b7a9d1e3f20461', 0, 1)]);
    activities.set('default-b', [
      failedLaunchActivity({
        group: 'default-b',
        zone: ZONE_B,
        from: 0,
        to: 1,
        askedAt: at(0),
        startTime: at(2),
        endTime: at(5),
        statusMessage: ICE,
      }),
      // Yesterday's activity: older than the scale-up, so the adapter stops reading there.
      launchActivity({
        group: 'default-b',
        instanceId: 'i-0e9d8c7b6a5f4e3d2',
        zone: ZONE_B,
        from: 1,
        to: 0,
        askedAt: at(-86_400),
        startTime: at(-86_400),
        statusCode: 'Successful',
      }),
    ]);

    const { summary, requests, dynamo: calls, log, aws } = await tick(at(15));
    expect(aws.activities.sort(byGroup)).toEqual(
      ['batch-a', 'default-a', 'default-b', 'default-c'].map(activityQuery),
    );
    expect(summary.failures).toEqual([
      { asgName: 'default-b', kind: 'capacity', message: ICE, resetTo: 0, backedOffUntil: at(5 + 60) },
    ]);
    expect(log.problems()).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'scale-up failed; backing the group off',
        attributes: expect.objectContaining({ asg: 'default-b', kind: 'capacity' }),
      }),
    ]);
    // Desired back to the instances that exist (none), then the fallback pool's group in the same zone.
    expect(aws.setDesired).toEqual([setDesired('default-b', 0), setDesired('fallback-b', 1)]);
    expect(summary.increases).toEqual([
      {
        pool: 'fallback',
        asgName: 'fallback-b',
        zone: ZONE_B,
        from: 0,
        to: 1,
        pods: ['shop/db-0'],
        result: 'applied',
      },
    ]);
    // Everything else fits the nodes being launched.
    expect(summary).toMatchObject({ pendingPods: 8, fitsExisting: 0, fitsUpcoming: 7, unplaceable: [] });
    expect(summary.counts).toEqual({ desiredCapacityWrites: 2, stateWrites: 3, events: 1 });
    expect(requests).toEqual({ ...READS, 'create events.k8s.io/events': 1 });
    expect(calls).toMatchObject({ queries: 1, writes: 3, conditionalFailures: 0 });

    expect((await notesByPod())['db-0']).toEqual([
      triggered('default-b', 0, 1, 10, 'default', ZONE_B),
      triggered('fallback-b', 0, 1, 10, 'fallback', ZONE_B),
    ]);
    const reason = expect.stringMatching(
      /^capacity: Could not launch On-Demand Instances\. InsufficientInstanceCapacity - We currently do not have sufficient m5\.xlarge capacity in the Availability Zone you requested \(eu-central-1b\)\./,
    );
    expect(await groupItem('default-b')).toEqual({
      cluster: CLUSTER,
      sk: 'pool#group#default-b',
      version: 2,
      expiresAt: at(15) / SECOND + WEEK_SECONDS,
      data: {
        asgName: 'default-b',
        lastScaleUpAt: at(0),
        backoff: { failures: 1, until: at(65), lastFailureAt: at(5), reason },
      },
    });
    // Every pool launching m5.xlarge on demand in 1b skips it for the offering's TTL (180 s).
    expect(await store.query(CLUSTER, 'pool#offering#')).toEqual([
      {
        cluster: CLUSTER,
        sk: 'pool#offering#m5.xlarge#eu-central-1b#on-demand',
        version: 1,
        expiresAt: Math.ceil(at(5 + 180) / SECOND),
        data: { instanceType: 'm5.xlarge', zone: ZONE_B, capacityType: 'on-demand', until: at(185), reason },
      },
    ]);
    expect((await groupItem('fallback-b'))?.data).toEqual({
      asgName: 'fallback-b',
      lastScaleUpAt: at(15),
      inFlight: { since: at(15), from: 0, to: 1, podCount: 1, pods: ['shop/db-0'] },
    });
    // The groups still launching are followed, not rewritten.
    expect((await groupItem('default-a'))?.version).toBe(1);
  });

  it('counts the Ready nodes of the groups’ instances: the pending pods fit them, nothing is scaled, the scale-ups settle', async () => {
    // The instances are in service and their kubelets registered; the node agent runs on each.
    const joined: (JoinedInstance & { group: string })[] = [
      {
        group: 'batch-a',
        instanceId: 'i-0a7c3e91b2d4f6081',
        zone: ZONE_A,
        instanceType: 'm5.xlarge',
        privateIp: '10.0.32.17',
        labels: { workload: 'batch' },
        taints: [{ key: 'workload', value: 'batch', effect: 'NoSchedule' }],
      },
      {
        group: 'default-a',
        instanceId: 'i-0d1e4c2b9a8f7e601',
        zone: ZONE_A,
        instanceType: 'm5.xlarge',
        privateIp: '10.0.33.41',
      },
      {
        group: 'default-a',
        instanceId: 'i-0d1e4c2b9a8f7e602',
        zone: ZONE_A,
        instanceType: 'm5.xlarge',
        privateIp: '10.0.34.9',
      },
      {
        group: 'default-c',
        instanceId: 'i-0c5b7a9d1e3f20461',
        zone: ZONE_C,
        instanceType: 'm5.xlarge',
        privateIp: '10.0.96.120',
      },
      {
        group: 'fallback-b',
        instanceId: 'i-0f2b4d6e8a0c1e351',
        zone: ZONE_B,
        instanceType: 'm5a.xlarge',
        privateIp: '10.0.64.77',
      },
    ];
    const nodes: Record<string, string> = {};
    for (const instance of joined) {
      const node = await createReadyNode(admin, instance, at(25));
      nodes[instance.instanceId] = node;
      await createDaemonPod(admin, { ...AGENT, uid: agentUid }, node, at(26));
    }
    for (const name of ['batch-a', 'default-a', 'default-c', 'fallback-b']) {
      launch(
        name,
        joined
          .filter((j) => j.group === name)
          .map((j) => ({ id: j.instanceId, state: 'InService' as const })),
      );
      activities.set(
        name,
        joined
          .filter((j) => j.group === name)
          .map((j) =>
            launchActivity({
              group: name,
              instanceId: j.instanceId,
              zone: j.zone,
              from: 0,
              to: group(name).DesiredCapacity ?? 0,
              askedAt: name === 'fallback-b' ? at(15) : at(0),
              startTime: name === 'fallback-b' ? at(16) : at(2),
              statusCode: 'Successful',
            }),
          ),
      );
    }

    const { summary, requests, dynamo: calls, log, aws } = await tick(at(30));
    expect(log.problems()).toEqual([]);
    expect(aws.activities.sort(byGroup)).toEqual(
      ['batch-a', 'default-a', 'default-c', 'fallback-b'].map(activityQuery),
    );
    expect(aws.setDesired).toEqual([]);
    expect(summary).toMatchObject({
      pendingPods: 8,
      fitsExisting: 8,
      fitsUpcoming: 0,
      increases: [],
      failures: [],
      unplaceable: [],
    });
    expect(summary.pools.map((p) => [p.name, p.nodes])).toEqual([
      ['batch', 1],
      ['default', 3],
      ['fallback', 1],
    ]);
    // Four in-flight scale-ups have all their nodes Ready: each cleared with one write. No Event.
    expect(summary.counts).toEqual({ desiredCapacityWrites: 0, stateWrites: 4, events: 0 });
    expect(requests).toEqual(READS);
    expect(calls).toMatchObject({ queries: 1, writes: 4, conditionalFailures: 0 });
    for (const asg of ['batch-a', 'default-a', 'default-c', 'fallback-b']) {
      expect(await groupItem(asg)).toMatchObject({ version: 2, data: { asgName: asg } });
      expect((await groupItem(asg))?.data).not.toHaveProperty('inFlight');
    }
    expect((await groupItem('default-b'))?.version).toBe(2);

    // kube-scheduler binds them where the plan put them.
    const placement: [string, string][] = [
      ['batch-0', 'i-0a7c3e91b2d4f6081'],
      ['web-0', 'i-0d1e4c2b9a8f7e601'],
      ['web-1', 'i-0d1e4c2b9a8f7e601'],
      ['web-4', 'i-0d1e4c2b9a8f7e602'],
      ['web-5', 'i-0d1e4c2b9a8f7e602'],
      ['web-2', 'i-0c5b7a9d1e3f20461'],
      ['web-3', 'i-0c5b7a9d1e3f20461'],
      ['db-0', 'i-0f2b4d6e8a0c1e351'],
    ];
    for (const [pod, instance] of placement) await bindPod(admin, NS, pod, nodes[instance] ?? '', at(31));
  });

  it('reports a SetDesiredCapacity still throttled after the SDK’s retries and scales the other group; the next tick retries', async () => {
    // Two pods of 3.5 cores: no node has the room, each needs a new one.
    const noRoom =
      '0/5 nodes are available: 1 node(s) had untolerated taint {workload: batch}, 4 Insufficient cpu. ' +
      'preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.';
    for (const name of ['burst-0', 'burst-1']) {
      await createUnschedulablePod(admin, NS, name, BURST_POD, { time: at(40), message: noRoom });
    }
    throttled.add('default-a');

    const { summary, requests, dynamo: calls, log, aws } = await tick(at(45));
    // default-b stays backed off (until 65 s); default-c is the smaller of the others, then default-a.
    expect(aws.setDesired).toEqual([setDesired('default-a', 3), setDesired('default-c', 2)]);
    // The throttled call went through the SDK's retries: AUTO_SCALING_MAX_ATTEMPTS tries on the wire.
    const form =
      'Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=default-a&DesiredCapacity=3&HonorCooldown=false';
    expect(transport.requests).toEqual(
      Array.from({ length: AUTO_SCALING_MAX_ATTEMPTS }, (_, i) => ({
        attempt: `attempt=${i + 1}; max=${AUTO_SCALING_MAX_ATTEMPTS}`,
        body: form,
      })),
    );
    expect(summary.increases).toEqual([
      {
        pool: 'default',
        asgName: 'default-a',
        zone: ZONE_A,
        from: 2,
        to: 3,
        pods: ['shop/burst-1'],
        result: 'failed',
        error: 'Throttled: SetDesiredCapacity: Rate exceeded',
      },
      {
        pool: 'default',
        asgName: 'default-c',
        zone: ZONE_C,
        from: 1,
        to: 2,
        pods: ['shop/burst-0'],
        result: 'applied',
      },
    ]);
    expect(log.problems()).toEqual([
      {
        level: 'warn',
        message: 'SetDesiredCapacity failed',
        attributes: {
          cluster: CLUSTER,
          asg: 'default-a',
          error: 'Throttled: SetDesiredCapacity: Rate exceeded',
        },
      },
    ]);
    expect(summary).toMatchObject({ pendingPods: 2, fitsExisting: 0, fitsUpcoming: 0, unplaceable: [] });
    // default-a: in flight, then cleared again when the call failed; default-c: in flight.
    expect(summary.counts).toEqual({ desiredCapacityWrites: 1, stateWrites: 3, events: 1 });
    expect(calls).toMatchObject({ writes: 3, conditionalFailures: 0 });
    expect(requests).toEqual({ ...READS, 'create events.k8s.io/events': 1 });
    expect(group('default-a').DesiredCapacity).toBe(2);
    expect(await groupItem('default-a')).toMatchObject({ version: 4, data: { asgName: 'default-a' } });
    expect((await groupItem('default-a'))?.data).not.toHaveProperty('inFlight');
    expect((await groupItem('default-c'))?.data).toEqual({
      asgName: 'default-c',
      lastScaleUpAt: at(45),
      inFlight: { since: at(45), from: 1, to: 2, podCount: 1, pods: ['shop/burst-0'] },
    });
    // An Event only where a node is coming.
    const notes = await notesByPod();
    expect(notes['burst-0']).toEqual([triggered('default-c', 1, 2, 10, 'default', ZONE_C)]);
    expect(notes['burst-1']).toBeUndefined();

    // Next tick the throttling is over: burst-0 waits for default-c's node, burst-1 gets default-a's.
    throttled.clear();
    launch('default-c', [
      { id: 'i-0c5b7a9d1e3f20461', state: 'InService' },
      { id: 'i-0c5b7a9d1e3f20462', state: 'Pending' },
    ]);
    activities.set('default-c', [
      launchActivity({
        group: 'default-c',
        instanceId: 'i-0c5b7a9d1e3f20462',
        zone: ZONE_C,
        from: 1,
        to: 2,
        askedAt: at(45),
        startTime: at(47),
        statusCode: 'InProgress',
      }),
      ...(activities.get('default-c') ?? []),
    ]);
    const next = await tick(at(60));
    expect(next.log.problems()).toEqual([]);
    expect(next.aws.activities).toEqual([activityQuery('default-c')]);
    expect(next.aws.setDesired).toEqual([setDesired('default-a', 3)]);
    expect(transport.requests).toHaveLength(AUTO_SCALING_MAX_ATTEMPTS);
    expect(next.summary).toMatchObject({ pendingPods: 2, fitsExisting: 0, fitsUpcoming: 1, failures: [] });
    expect(next.summary.increases).toEqual([
      {
        pool: 'default',
        asgName: 'default-a',
        zone: ZONE_A,
        from: 2,
        to: 3,
        pods: ['shop/burst-1'],
        result: 'applied',
      },
    ]);
    expect((await notesByPod())['burst-1']).toEqual([triggered('default-a', 2, 3, 10, 'default', ZONE_A)]);
  });
});
