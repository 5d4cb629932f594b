/**
 * The HPA function's invocation (`runHpaInvocation`, what functions/hpa/handler.ts calls) against a
 * real kube-apiserver + etcd and DynamoDB (dynalite): event validation, the cluster check, dry run,
 * the DynamoDB lease, and a real tick as user `tideplane`. Every refused or dry-run invocation must
 * leave the cluster exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore, type DynamoDbStats } from '../../shared/adapters/dynamodb/state-store';
import type { KubernetesAdapter } from '../../shared/adapters/kubernetes/adapter';
import type { RequestStats } from '../../shared/adapters/kubernetes/request-stats';
import { hpaSettingsSchema } from '../../shared/config/hpa-settings';
import { type ResolvedCluster, resolvedClusterSchema } from '../../shared/config/load';
import { HPA_TICK_KEY } from '../../shared/loops/hpa-history-codec';
import { type HpaInvocationResponse, runHpaInvocation } from '../../shared/runtime/hpa-invocation';
import { type KubeHttp, startTestCluster, type TestCluster } from './harness';
import { FakeClock } from './support/fake-clock';
import {
  autoscalerEvents,
  connectAsTideplane,
  cpuUtilizationSpec,
  createWebWorkload,
  horizontalAutoscaler,
  observableState,
  podNames,
  readAutoscaler,
  readDeployment,
  setPodCpu,
} from './support/hpa-cluster';
import { RecordingLogger } from './support/recording-logger';

const CLUSTER = 'e2e-invocation';
const NS = 'hpa-invocation';
const SECOND = 1000;
const T0 = Math.floor(Date.now() / SECOND) * SECOND;
const CPU_ABOVE = 'cpu resource utilization (percentage of request) above target';

let cluster: TestCluster;
let admin: KubeHttp;
let dynamo: LocalDynamo;
let store: DynamoDbStateStore;
let config: ResolvedCluster;
const clock = new FakeClock(T0);
let invocations = 0;

interface Invocation {
  response: HpaInvocationResponse;
  /** How often the invocation asked for the cluster connection. */
  connects: number;
  /** Kubernetes requests of the invocation (undefined when it never connected). */
  requests: RequestStats | undefined;
  /** DynamoDB calls of the invocation. */
  dynamo: DynamoDbStats;
  log: RecordingLogger;
}

/** One Lambda invocation: a fresh state store and connection, a new request id. */
async function invoke(event: unknown): Promise<Invocation> {
  invocations++;
  const log = new RecordingLogger();
  let connects = 0;
  let adapter: KubernetesAdapter | undefined;
  const state = new DynamoDbStateStore({ client: dynamo.newClient(), tableName: dynamo.tableName, clock });
  try {
    const response = await runHpaInvocation(event, {
      config,
      state,
      clock,
      log,
      owner: `request-${invocations}`,
      remainingMs: () => 900 * SECOND,
      connect: async () => {
        connects++;
        const connection = connectAsTideplane(cluster, 'tideplane-hpa-e2e');
        adapter = connection.adapter;
        return { kubernetes: connection.adapter, metrics: connection.metrics };
      },
    });
    return { response, connects, requests: adapter?.stats(), dynamo: state.stats, log };
  } finally {
    await adapter?.close();
  }
}

/** What an invocation could change (see observableState). */
const clusterState = () => observableState(admin, store, CLUSTER, NS, 'web');

beforeAll(async () => {
  [cluster, dynamo] = await Promise.all([startTestCluster(), startLocalDynamo()]);
  admin = cluster.client();
  store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  // Validated with the schema the handler applies to TIDEPLANE_CLUSTER at cold start.
  config = resolvedClusterSchema.parse({
    accountId: '123456789012',
    region: 'eu-central-1',
    cluster: {
      name: CLUSTER,
      access: {
        kind: 'token',
        endpoint: cluster.server,
        secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:e2e-invocation-token',
        caData: cluster.caData,
      },
    },
    hpa: hpaSettingsSchema.parse({}),
  });
  await createWebWorkload(cluster, {
    namespace: NS,
    name: 'web',
    replicas: 2,
    pods: 2,
    cpuRequest: '100m',
    startedAt: T0 - 3600 * SECOND,
  });
  await cluster.apply(horizontalAutoscaler(NS, 'web', cpuUtilizationSpec('web', 60, 1, 10)));
  // 180 % against 60 %: the metrics propose 6, the default scale-up limit max(2 × 2, 4) allows 4.
  setPodCpu(cluster, NS, podNames('web', 2), '180m');
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), dynamo?.stop()]);
});

describe('the HPA invocation', () => {
  it.each([
    ['a cluster that is not a string', { cluster: 5 }, /^invalid event — cluster: .*expected string/],
    ['an unknown field', { cluster: CLUSTER, bogus: 1 }, /^invalid event — .*"bogus"/],
    ['ticks out of range', { cluster: CLUSTER, ticks: 0 }, /^invalid event — ticks: /],
    ['a payload that is not an object', 'run please', /^invalid event — \(event\): /],
  ])('refuses %s, naming the field, and touches nothing', async (_what, event, message) => {
    const before = await clusterState();
    const { response, connects, log } = await invoke(event);
    expect(response.ok).toBe(false);
    expect(response.ok ? undefined : response.error).toMatch(message);
    // Refused before connecting: no Kubernetes request, no credentials fetched, no lease taken.
    expect(connects).toBe(0);
    expect(log.problems()).toEqual([]);
    expect(await clusterState()).toEqual(before);
    expect(before.items).toEqual([]);
  });

  it('refuses an event for another cluster and touches nothing', async () => {
    const before = await clusterState();
    const { response, connects } = await invoke({ cluster: 'someone-else', dryRun: true });
    expect(response).toEqual({
      ok: false,
      error: `cluster: this function serves "${CLUSTER}", not "someone-else"`,
    });
    expect(connects).toBe(0);
    expect(await clusterState()).toEqual(before);
  });

  it('runs one tick in a dry run, reports what it would do and changes nothing', async () => {
    const before = await clusterState();
    const { response, connects, requests, log } = await invoke({ cluster: CLUSTER, dryRun: true });
    expect(log.problems()).toEqual([]);
    expect(connects).toBe(1);
    if (!response.ok) throw new Error(response.error);
    expect(response).toMatchObject({ cluster: CLUSTER, dryRun: true, status: 'ran' });
    expect(response.ticks).toHaveLength(1);
    expect(response.ticks[0]?.outcomes).toEqual([
      expect.objectContaining({
        name: 'web',
        action: 'would-rescale',
        currentReplicas: 2,
        desiredReplicas: 4,
      }),
    ]);
    expect(response.summary).toContain('(dry run: nothing changed)');
    expect(response.summary).toContain('1 would rescale');
    expect(response.summary).toContain(`tpa ${NS}/web: 2 → 4 [would-rescale] ${CPU_ABOVE}`);
    // Reads only.
    expect(Object.keys(requests?.byRequest ?? {}).every((r) => r.startsWith('list '))).toBe(true);
    expect(clock.sleeps).toEqual([]);
    // No scale, no status, no Event, no history or audit record; the lease was given back.
    const after = await clusterState();
    expect(after).toEqual(before);
    expect(after.replicas).toBe(2);
    expect(after.status).toBeUndefined();
  });

  it('does nothing while another invocation holds the lease', async () => {
    const other = await store.acquireLease(CLUSTER, 'hpa', 'another-invocation', 60 * SECOND);
    expect(other).toBeDefined();
    const before = await clusterState();
    const { response, requests } = await invoke({ cluster: CLUSTER });
    if (!response.ok) throw new Error(response.error);
    expect(response).toEqual({
      ok: true,
      cluster: CLUSTER,
      dryRun: false,
      status: 'lease-held',
      ticks: [],
      summary: `${CLUSTER}: another invocation holds the HPA lease; nothing done`,
    });
    expect(requests?.total ?? 0).toBe(0);
    expect(await clusterState()).toEqual(before);
    expect((await store.get(CLUSTER, 'lease#hpa'))?.data).toMatchObject({ owner: 'another-invocation' });
  });

  it('takes over an expired lease and acts: scale, status, Event, history, audit record', async () => {
    // The other invocation died without giving its lease back; its 60 s run out.
    clock.advance(61 * SECOND);
    const { response, requests, log } = await invoke({ cluster: CLUSTER, ticks: 1 });
    expect(log.problems()).toEqual([]);
    if (!response.ok) throw new Error(response.error);
    expect(response).toMatchObject({ cluster: CLUSTER, dryRun: false, status: 'ran' });
    expect(response.ticks).toHaveLength(1);
    expect(response.ticks[0]?.outcomes).toEqual([
      expect.objectContaining({ name: 'web', action: 'rescaled', currentReplicas: 2, desiredReplicas: 4 }),
    ]);
    expect(response.summary).toContain(`tpa ${NS}/web: 2 → 4 [rescaled] ${CPU_ABOVE}`);
    expect(requests?.byRequest).toMatchObject({
      'update apps/deployments/scale': 1,
      'patch autoscaling.tideplane.io/horizontalautoscalers/status': 1,
      'create events.k8s.io/events': 1,
    });
    // One tick asked for: no sleep for a next one.
    expect(clock.sleeps).toEqual([]);

    expect((await readDeployment(admin, NS, 'web')).spec.replicas).toBe(4);
    expect((await readAutoscaler(admin, NS, 'web')).status).toMatchObject({
      currentReplicas: 2,
      desiredReplicas: 4,
      lastScaleTime: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    expect(await autoscalerEvents(admin, NS, 'web')).toEqual([
      expect.objectContaining({ reason: 'SuccessfulRescale', note: `New size: 4; reason: ${CPU_ABOVE}` }),
    ]);
    // History, audit record and the tick marker of this full tick stored; the lease was released at
    // the end.
    const items = (await store.query(CLUSTER)).map((i) => i.sk);
    expect(items).toEqual([
      expect.stringMatching(new RegExp(`^decision#hpa#.*#${NS}/web$`)),
      `hpa#tpa#${NS}/web`,
      HPA_TICK_KEY,
    ]);
    expect((await store.get(CLUSTER, HPA_TICK_KEY))?.data).toEqual({ at: clock.now() });
    // The history in its compact form: this sync's recommendations, the first one as the open run.
    expect((await store.get(CLUSTER, `hpa#tpa#${NS}/web`))?.data).toEqual({
      recommendations: [{ timestamp: clock.now(), replicas: 6 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
      open: 2,
      openSince: clock.now(),
    });
    expect(await store.get(CLUSTER, 'lease#hpa')).toBeUndefined();
  });

  it('reads the history once for all its ticks, and its later ticks write on the versions it keeps', async () => {
    clock.advance(60 * SECOND);
    const { response, dynamo: calls, log } = await invoke({ cluster: CLUSTER, ticks: 3 });
    expect(log.problems()).toEqual([]);
    if (!response.ok) throw new Error(response.error);
    expect(response.ticks).toHaveLength(3);
    // One query of the histories for three ticks (each tick queried before).
    expect(calls.queries).toBe(1);
    // Every tick moved the tick marker on the version the previous tick's write left: none was refused.
    expect(calls.conditionalFailures).toBe(0);
    expect((await store.get(CLUSTER, HPA_TICK_KEY))?.data).toEqual({ at: response.ticks[2]?.time });
  });
});
