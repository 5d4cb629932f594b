/**
 * Whole HPA ticks (`runHpaTick`) against a real kube-apiserver + etcd and DynamoDB (dynalite), acting
 * as user `tideplane` with only the shipped ClusterRole. Every tick builds a new adapter, metric source
 * and state store, as each Lambda invocation does: whatever the loop remembers between ticks it must
 * have stored in DynamoDB. Time is a FakeClock, so five minutes of stabilization window pass in a few
 * ticks while the API server and DynamoDB run in real time.
 *
 * The history is stored in its compact form (shared/loops/hpa-history-codec.ts): the latest sample of
 * each recommended count, the count recommended at every tick up to the last completed one as an `open`
 * run, and one tick marker per cluster written once per tick. A steady tick writes the marker only.
 *
 * The steps build on each other (one Deployment's story): they run in order and share the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore, type DynamoDbStats } from '../../shared/adapters/dynamodb/state-store';
import type { KubernetesAdapter } from '../../shared/adapters/kubernetes/adapter';
import { type HpaSettings, hpaSettingsSchema } from '../../shared/config/hpa-settings';
import type { HpaHistory } from '../../shared/hpa/history';
import { expandHistory, HPA_TICK_KEY, type StoredHpaHistory } from '../../shared/loops/hpa-history-codec';
import { type HpaTickSummary, runHpaTick } from '../../shared/loops/hpa-loop';
import type { KubernetesPort } from '../../shared/ports/kubernetes';
import { type KubeHttp, startTestCluster, type TestCluster } from './harness';
import { FakeClock } from './support/fake-clock';
import {
  autoscalerEvents,
  connectAsTideplane,
  cpuUtilizationSpec,
  createWebWorkload,
  HA_API_VERSION,
  horizontalAutoscaler,
  MERGE_PATCH,
  podNames,
  readAutoscaler,
  readDeployment,
  setPodCpu,
} from './support/hpa-cluster';
import { RecordingLogger } from './support/recording-logger';

const CLUSTER = 'e2e-hpa-loop';
const NS = 'hpa-e2e';
const PODS = podNames('web', 2);
const SECOND = 1000;
/** Virtual time of the first tick: now, whole seconds (status times have second precision). */
const T0 = Math.floor(Date.now() / SECOND) * SECOND;
const at = (seconds: number) => T0 + seconds * SECOND;
/** RFC 3339 with whole seconds, as Kubernetes writes metav1.Time. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const CPU_METRIC = 'cpu resource utilization (percentage of request)';
const CPU_ABOVE = `${CPU_METRIC} above target`;
const HISTORY_KEY = `hpa#tpa#${NS}/web`;

let cluster: TestCluster;
let admin: KubeHttp;
let dynamo: LocalDynamo;
/** Reads state for assertions; the ticks use stores of their own. */
let store: DynamoDbStateStore;
const clock = new FakeClock(T0);
const settings: HpaSettings = hpaSettingsSchema.parse({});

interface TickResult {
  summary: HpaTickSummary;
  /** Kubernetes requests of this tick, by verb and resource. */
  requests: Record<string, number>;
  dynamo: DynamoDbStats;
  log: RecordingLogger;
}

/** One tick as one Lambda invocation runs it: fresh adapter, metric source and state store. */
async function tick(wrap?: (adapter: KubernetesAdapter) => KubernetesPort): Promise<TickResult> {
  const { adapter, metrics } = connectAsTideplane(cluster);
  const state = new DynamoDbStateStore({ client: dynamo.newClient(), tableName: dynamo.tableName, clock });
  const log = new RecordingLogger();
  try {
    const summary = await runHpaTick({
      cluster: CLUSTER,
      kubernetes: wrap ? wrap(adapter) : adapter,
      metrics,
      state,
      clock,
      log,
      settings,
      dryRun: false,
    });
    return { summary, requests: adapter.stats().byRequest, dynamo: state.stats, log };
  } finally {
    await adapter.close();
  }
}

async function storedHistory(): Promise<{ version: number; data: StoredHpaHistory } | undefined> {
  const item = await store.get(CLUSTER, HISTORY_KEY);
  return item as { version: number; data: StoredHpaHistory } | undefined;
}

async function tickMarker(): Promise<{ version: number; data: { at: number } } | undefined> {
  const item = await store.get(CLUSTER, HPA_TICK_KEY);
  return item as { version: number; data: { at: number } } | undefined;
}

/** The history the next tick's core will work with: the stored one expanded at the tick marker. */
async function rememberedHistory(): Promise<HpaHistory | undefined> {
  const [history, marker] = await Promise.all([storedHistory(), tickMarker()]);
  return expandHistory(history?.data, marker?.data.at);
}

/** Recommendations in time order, then by count (two samples can share an instant). */
const inOrder = (history: HpaHistory | undefined) =>
  [...(history?.recommendations ?? [])].sort((a, b) => a.timestamp - b.timestamp || a.replicas - b.replicas);

const replicas = async () => (await readDeployment(admin, NS, 'web')).spec.replicas;
const condition = async (name: string, type: string) =>
  (await readAutoscaler(admin, NS, name)).status?.conditions?.find((c) => c.type === type);

/** The reads of every tick here: one cluster-wide list per kind, whatever the number of autoscalers. */
const READS = {
  'list autoscaling.tideplane.io/horizontalautoscalers': 1,
  'list pods': 1,
  'list apps/deployments': 1,
  'list metrics.k8s.io/pods': 1,
};

beforeAll(async () => {
  [cluster, dynamo] = await Promise.all([startTestCluster(), startLocalDynamo()]);
  admin = cluster.client();
  store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock });
  // Started an hour before the first tick: past the 5 min CPU initialization period and the 30 s
  // initial readiness delay, so every sample counts as a ready pod's.
  await createWebWorkload(cluster, {
    namespace: NS,
    name: 'web',
    replicas: 2,
    pods: 2,
    cpuRequest: '100m',
    startedAt: T0 - 3600 * SECOND,
  });
  await cluster.apply(horizontalAutoscaler(NS, 'web', cpuUtilizationSpec('web', 60, 1, 10)));
  setPodCpu(cluster, NS, PODS, '180m');
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), dynamo?.stop()]);
});

describe('whole HPA ticks against a real API server and DynamoDB', () => {
  it('scales up to upstream’s answer and records status, an Event, the history and an audit record', async () => {
    clock.set(at(0));
    const { summary, requests, dynamo: writes, log } = await tick();

    // 2 pods at 180m of a 100m request: 180 % against a 60 % target, a usage ratio of 3.0, so the
    // metrics propose ceil(3.0 × 2 ready pods) = 6. Without `behavior`, upstream's
    // normalizeDesiredReplicas limits one sync's scale-up to max(2 × current, 4) = max(4, 4) = 4
    // (maxReplicas 10 does not bind), so upstream sets 4 and reports ScalingLimited/ScaleUpLimit.
    expect(log.problems()).toEqual([]);
    expect(summary.outcomes).toEqual([
      {
        kind: 'HorizontalAutoscaler',
        namespace: NS,
        name: 'web',
        currentReplicas: 2,
        desiredReplicas: 4,
        action: 'rescaled',
        reason: CPU_ABOVE,
      },
    ]);
    expect(summary.counts).toEqual({
      rescaled: 1,
      wouldRescale: 0,
      unchanged: 0,
      blocked: 0,
      failed: 0,
      skipped: 0,
      statusWrites: 1,
      // The history, the audit record and the tick marker.
      stateWrites: 3,
      events: 1,
    });
    expect(await replicas()).toBe(4);

    // One list per kind, then exactly the writes: scale, status, one Event.
    expect(requests).toEqual({
      ...READS,
      'update apps/deployments/scale': 1,
      'patch autoscaling.tideplane.io/horizontalautoscalers/status': 1,
      'create events.k8s.io/events': 1,
    });
    // The pod metrics went through the aggregator with tideplane's identity.
    expect(
      cluster.metrics?.requests.filter((r) => r.url.startsWith('/apis/metrics.k8s.io/v1beta1/pods')).at(-1),
    ).toMatchObject({
      user: 'tideplane',
      status: 200,
    });

    const autoscaler = await readAutoscaler(admin, NS, 'web');
    expect(autoscaler.status).toEqual({
      observedGeneration: 1,
      currentReplicas: 2,
      desiredReplicas: 4,
      lastScaleTime: rfc3339(at(0)),
      currentMetrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: 180, averageValue: '180m' } },
        },
      ],
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          reason: 'SucceededRescale',
          message: 'the HPA controller was able to update the target scale to 4',
          lastTransitionTime: rfc3339(at(0)),
        },
        {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ValidMetricFound',
          message: `the HPA was able to successfully calculate a replica count from ${CPU_METRIC}`,
          lastTransitionTime: rfc3339(at(0)),
        },
        {
          type: 'ScalingLimited',
          status: 'True',
          reason: 'ScaleUpLimit',
          message: 'the desired replica count is increasing faster than the maximum scale rate',
          lastTransitionTime: rfc3339(at(0)),
        },
      ],
    });
    expect(autoscaler.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'tideplane', subresource: 'status' }),
    );

    const events = await autoscalerEvents(admin, NS, 'web');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Normal',
      reason: 'SuccessfulRescale',
      action: 'Rescale',
      note: `New size: 4; reason: ${CPU_ABOVE}`,
      reportingController: 'tideplane.io/hpa',
      regarding: {
        apiVersion: HA_API_VERSION,
        kind: 'HorizontalAutoscaler',
        namespace: NS,
        name: 'web',
        uid: autoscaler.metadata.uid,
      },
    });

    // DynamoDB: one query; the history, the audit record and the tick marker, each one conditional write.
    expect(writes).toMatchObject({ queries: 1, writes: 3, conditionalFailures: 0 });
    // Upstream's recordInitialRecommendation (2, the current count) plus this sync's proposal (6), both
    // made now: the first is stored as the open run (recommended from t = 0 through the last completed
    // tick), the other as the latest sample of its count. The marker says this tick completed.
    expect(await store.query(CLUSTER, 'hpa#')).toEqual([
      {
        cluster: CLUSTER,
        sk: HISTORY_KEY,
        version: 1,
        expiresAt: at(0) / SECOND + 7 * 86_400,
        data: {
          recommendations: [{ timestamp: at(0), replicas: 6 }],
          scaleUpEvents: [],
          scaleDownEvents: [],
          open: 2,
          openSince: at(0),
        },
      },
      {
        cluster: CLUSTER,
        sk: HPA_TICK_KEY,
        version: 1,
        expiresAt: at(0) / SECOND + 7 * 86_400,
        data: { at: at(0) },
      },
    ]);
    // What the next tick will work with is upstream's history: both samples of this sync.
    expect(inOrder(await rememberedHistory())).toEqual([
      { timestamp: at(0), replicas: 2 },
      { timestamp: at(0), replicas: 6 },
    ]);
    const decisions = await store.query(CLUSTER, 'decision#hpa#');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      sk: `decision#hpa#${new Date(at(0)).toISOString()}#${NS}/web`,
      version: 1,
      expiresAt: at(0) / SECOND + settings.decisionRetentionDays * 86_400,
      data: {
        autoscaler: `${NS}/web`,
        kind: 'HorizontalAutoscaler',
        from: 2,
        to: 4,
        reason: CPU_ABOVE,
        // The audit record says why 4 and not 6.
        explanation: {
          maxAcrossMetrics: { replicas: 6, metric: CPU_METRIC },
          rateLimit: { limited: true, reason: 'ScaleUpLimit', defaultScaleUpLimit: 4, input: 6, result: 4 },
          desiredReplicas: 4,
          rescale: true,
        },
      },
    });
  });

  it('reaches the full answer on the next tick, then holds steady without writing to the cluster', async () => {
    // Same pods, same metrics. The proposal is computed from the pods that report (2 at 180 %), not
    // from spec.replicas, so upstream proposes 6 again; the limit is now max(2 × 4, 4) = 8, so 6 it is.
    // (A "no change" expectation for this tick would contradict upstream.)
    clock.set(at(15));
    const second = await tick();
    expect(second.log.problems()).toEqual([]);
    expect(second.summary.outcomes).toEqual([
      expect.objectContaining({
        action: 'rescaled',
        currentReplicas: 4,
        desiredReplicas: 6,
        reason: CPU_ABOVE,
      }),
    ]);
    expect(await replicas()).toBe(6);
    // The count recommended changed (the run of 2 ended at t = 0, a run of 6 opened): written.
    expect(second.summary.counts).toMatchObject({ stateWrites: 3 });
    const historyAtRunStart = await storedHistory();
    expect(historyAtRunStart?.data).toEqual({
      recommendations: [{ timestamp: at(0), replicas: 2 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
      open: 6,
      openSince: at(15),
    });
    expect(await condition('web', 'ScalingLimited')).toMatchObject({
      status: 'False',
      reason: 'DesiredWithinRange',
      lastTransitionTime: rfc3339(at(15)),
    });
    expect((await autoscalerEvents(admin, NS, 'web')).map((e) => e.note)).toEqual(
      expect.arrayContaining([`New size: 4; reason: ${CPU_ABOVE}`, `New size: 6; reason: ${CPU_ABOVE}`]),
    );

    // 6 is what the metrics propose: nothing to scale. The status changes once more (AbleToScale is
    // now ReadyForNewScale, currentReplicas 6), so this tick writes it, but no scale and no Event.
    clock.set(at(30));
    const third = await tick();
    expect(third.log.problems()).toEqual([]);
    expect(third.summary.outcomes).toEqual([
      expect.objectContaining({ action: 'unchanged', currentReplicas: 6, desiredReplicas: 6 }),
    ]);
    expect(third.requests).toEqual({
      ...READS,
      'patch autoscaling.tideplane.io/horizontalautoscalers/status': 1,
    });
    // 6 again: the open run goes on, so the history item is not rewritten; only the marker moves.
    expect(third.summary.counts).toMatchObject({ statusWrites: 1, events: 0, stateWrites: 1 });
    expect(third.dynamo).toMatchObject({ queries: 1, writes: 1, conditionalFailures: 0 });
    expect(await storedHistory()).toEqual(historyAtRunStart);
    expect((await tickMarker())?.data).toEqual({ at: at(30) });
    const steady = await readAutoscaler(admin, NS, 'web');
    expect(steady.status).toMatchObject({
      currentReplicas: 6,
      desiredReplicas: 6,
      lastScaleTime: rfc3339(at(15)),
    });
    expect(steady.status?.conditions?.find((c) => c.type === 'AbleToScale')).toEqual({
      type: 'AbleToScale',
      status: 'True',
      reason: 'ReadyForNewScale',
      message: 'recommended size matches current size',
      // The status never changed from True, so the transition time is still the first tick's.
      lastTransitionTime: rfc3339(at(0)),
    });

    // Nothing changes any more: only the reads, no scale, status or Event write.
    const deploymentBefore = await readDeployment(admin, NS, 'web');
    const historyBefore = await storedHistory();
    const markerBefore = await tickMarker();
    const eventsBefore = (await autoscalerEvents(admin, NS, 'web')).length;
    clock.set(at(45));
    const fourth = await tick();
    expect(fourth.log.problems()).toEqual([]);
    expect(fourth.summary.outcomes).toEqual([
      expect.objectContaining({ action: 'unchanged', currentReplicas: 6, desiredReplicas: 6 }),
    ]);
    expect(fourth.requests).toEqual(READS);
    expect(fourth.summary.counts).toMatchObject({ statusWrites: 0, events: 0 });
    expect((await readAutoscaler(admin, NS, 'web')).metadata.resourceVersion).toBe(
      steady.metadata.resourceVersion,
    );
    expect((await readDeployment(admin, NS, 'web')).metadata.resourceVersion).toBe(
      deploymentBefore.metadata.resourceVersion,
    );
    expect(await autoscalerEvents(admin, NS, 'web')).toHaveLength(eventsBefore);

    // Like upstream's controller, this sync recorded its recommendation (it is what a later
    // scale-down is stabilized against), but 6 continues the open run: the history item stays as it
    // was, and the one conditional write of the tick is the marker moving to t = 45 s, which dates the
    // run's latest sample for every autoscaler at once. No audit record.
    expect(fourth.summary.counts.stateWrites).toBe(1);
    expect(fourth.dynamo).toMatchObject({ queries: 1, writes: 1, conditionalFailures: 0 });
    expect(await storedHistory()).toEqual(historyBefore);
    const markerAfter = await tickMarker();
    expect(markerAfter).toMatchObject({ version: (markerBefore?.version ?? 0) + 1, data: { at: at(45) } });
    expect(inOrder(await rememberedHistory()).at(-1)).toEqual({ timestamp: at(45), replicas: 6 });
    expect(await store.query(CLUSTER, 'decision#hpa#')).toHaveLength(2);
  });

  it('holds a scale-down for the 300 s stabilization window, remembered only in DynamoDB', async () => {
    // 45 % against 60 %: ratio 0.75, the metrics propose ceil(0.75 × 2) = 2. The recommendations of
    // the last 300 s include 6 (the latest at t = 45 s), so upstream keeps 6: ScaleDownStabilized.
    setPodCpu(cluster, NS, PODS, '45m');
    clock.set(at(60));
    const first = await tick();
    expect(first.log.problems()).toEqual([]);
    expect(first.summary.outcomes).toEqual([
      expect.objectContaining({
        action: 'unchanged',
        currentReplicas: 6,
        desiredReplicas: 6,
        reason: 'no change at 6: metrics propose 2 (ScaleDownStabilized)',
      }),
    ]);
    expect(first.requests['update apps/deployments/scale']).toBeUndefined();
    // The recommendation changed from 6 to 2: the history is written (the run of 6 closed at its last
    // tick, t = 45 s, a run of 2 opened), and the marker.
    expect(first.summary.counts).toMatchObject({ statusWrites: 1, events: 0, stateWrites: 2 });
    expect(first.dynamo).toMatchObject({ queries: 1, writes: 2, conditionalFailures: 0 });
    const openedRun = await storedHistory();
    expect(openedRun?.data).toEqual({
      recommendations: [{ timestamp: at(45), replicas: 6 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
      open: 2,
      openSince: at(60),
    });
    const stabilized = await readAutoscaler(admin, NS, 'web');
    expect(stabilized.status?.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'ScaleDownStabilized',
      message:
        'recent recommendations were higher than current one, applying the highest recent recommendation',
    });
    expect(stabilized.status?.currentMetrics?.[0]?.resource?.current).toEqual({
      averageUtilization: 45,
      averageValue: '45m',
    });

    // More ticks while the window still reaches back to t = 45 s. A window includes a sample exactly
    // at its edge (upstream skips only samples Before(now - window)), so t = 345 s still holds.
    // Each tick runs with a new adapter and state store: all it knows of t = 45 s is what DynamoDB holds.
    for (const seconds of [120, 180, 240, 300, 345]) {
      clock.set(at(seconds));
      const held = await tick();
      expect(held.log.problems()).toEqual([]);
      expect(held.summary.outcomes, `t = ${seconds} s`).toEqual([
        expect.objectContaining({ action: 'unchanged', currentReplicas: 6, desiredReplicas: 6 }),
      ]);
      // The status is unchanged, and 2 continues the open run: only the tick marker is written.
      expect(held.requests, `t = ${seconds} s`).toEqual(READS);
      expect(held.summary.counts, `t = ${seconds} s`).toMatchObject({
        statusWrites: 0,
        events: 0,
        stateWrites: 1,
      });
      expect(held.dynamo, `t = ${seconds} s`).toMatchObject({
        queries: 1,
        writes: 1,
        conditionalFailures: 0,
      });
      expect(await storedHistory(), `t = ${seconds} s`).toEqual(openedRun);
      expect((await tickMarker())?.data, `t = ${seconds} s`).toEqual({ at: at(seconds) });
    }
    expect(await replicas()).toBe(6);
    // Everything the next tick will remember of this autoscaler: its history item and the marker.
    expect((await store.query(CLUSTER, 'hpa#')).map((i) => i.sk)).toEqual([HISTORY_KEY, HPA_TICK_KEY]);
    const kept = await rememberedHistory();
    // Pruned to the window: the oldest kept is the edge sample of t = 45 s, the one still holding 6,
    // and the open run of 2 reaches the last tick, t = 345 s.
    expect(inOrder(kept)).toEqual([
      { timestamp: at(45), replicas: 6 },
      { timestamp: at(345), replicas: 2 },
    ]);
    expect(inOrder(kept)[0]).toEqual({ timestamp: at(45), replicas: 6 });
    expect(Math.max(...(kept?.recommendations.map((r) => r.timestamp) ?? []))).toBe(at(345));

    // One second later the last 6 has left the window: every remembered proposal is 2.
    clock.set(at(346));
    const down = await tick();
    expect(down.log.problems()).toEqual([]);
    expect(down.summary.outcomes).toEqual([
      expect.objectContaining({
        action: 'rescaled',
        currentReplicas: 6,
        desiredReplicas: 2,
        reason: 'All metrics below target',
      }),
    ]);
    expect(down.requests['update apps/deployments/scale']).toBe(1);
    // The audit record and the marker. The history is not rewritten: the core only pruned the 6 that left
    // the window, and that stale sample, read back next tick, is pruned again and read by no decision.
    expect(down.summary.counts).toMatchObject({ statusWrites: 1, events: 1, stateWrites: 2 });
    expect(await replicas()).toBe(2);
    const after = await readAutoscaler(admin, NS, 'web');
    expect(after.status).toMatchObject({
      currentReplicas: 6,
      desiredReplicas: 2,
      lastScaleTime: rfc3339(at(346)),
    });
    expect(after.status?.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({
      reason: 'SucceededRescale',
      message: 'the HPA controller was able to update the target scale to 2',
    });
    expect((await autoscalerEvents(admin, NS, 'web')).map((e) => e.note)).toContain(
      'New size: 2; reason: All metrics below target',
    );
    // The stored item still holds the stale 6 (without behavior no scale event is kept); what the core
    // reads next tick is that 6, outside every window, and the run of 2 dated at t = 346 s.
    expect((await storedHistory())?.data).toEqual({
      recommendations: [{ timestamp: at(45), replicas: 6 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
      open: 2,
      openSince: at(60),
    });
    const remembered = await rememberedHistory();
    expect(remembered?.recommendations).toEqual([
      { timestamp: at(45), replicas: 6 },
      { timestamp: at(346), replicas: 2 },
    ]);
    expect(
      remembered?.recommendations
        .filter((r) => r.timestamp >= at(346) - 300_000)
        .every((r) => r.replicas === 2),
    ).toBe(true);
    expect(
      (await store.query(CLUSTER, 'decision#hpa#')).map((d) => [
        (d.data as { from: number }).from,
        (d.data as { to: number }).to,
      ]),
    ).toEqual([
      [2, 4],
      [4, 6],
      [6, 2],
    ]);
  });

  it('reports a malformed autoscaler the CRD let through, and still scales the other one in the same tick', async () => {
    // Upstream's API validation requires at least one policy per direction (validateScalingRules:
    // "must specify at least one Policy"); the CRD schema has no minItems on `policies`, so the API
    // server stores this and only the core's validation catches it. It targets the same Deployment:
    // an autoscaler without a valid spec must not make `web` ambiguous either.
    await cluster.apply(
      horizontalAutoscaler(NS, 'web-broken', {
        ...cpuUtilizationSpec('web', 60, 1, 10),
        behavior: { scaleUp: { policies: [] } },
      }),
    );
    // 120 %: ratio 2.0, ceil(2.0 × 2) = 4, within max(2 × 2, 4) = 4.
    setPodCpu(cluster, NS, PODS, '120m');
    clock.set(at(360));
    const { summary, requests, log } = await tick();
    expect(log.problems()).toEqual([]);

    const problem = 'spec.behavior.scaleUp.policies: Required value: must specify at least one Policy';
    expect(summary.outcomes).toEqual([
      expect.objectContaining({
        name: 'web',
        action: 'rescaled',
        currentReplicas: 2,
        desiredReplicas: 4,
        reason: CPU_ABOVE,
      }),
      // It cannot be evaluated, and says why on its status: blocked, not merely unchanged.
      expect.objectContaining({
        name: 'web-broken',
        action: 'blocked',
        reason: `invalid spec: ${problem}`,
      }),
    ]);
    expect(summary.counts).toMatchObject({
      rescaled: 1,
      unchanged: 0,
      blocked: 1,
      failed: 0,
      statusWrites: 2,
      events: 2,
      // `web`'s history and audit record, and the marker; nothing for the broken one.
      stateWrites: 3,
    });
    expect(requests).toMatchObject({
      'update apps/deployments/scale': 1,
      'patch autoscaling.tideplane.io/horizontalautoscalers/status': 2,
      'create events.k8s.io/events': 2,
    });
    expect(await replicas()).toBe(4);

    const broken = await readAutoscaler(admin, NS, 'web-broken');
    expect(broken.status).toEqual({
      observedGeneration: 1,
      desiredReplicas: 0,
      conditions: [
        {
          type: 'ScalingActive',
          status: 'False',
          reason: 'InvalidSpec',
          message: `the HPA spec is invalid and was not evaluated: ${problem}`,
          lastTransitionTime: rfc3339(at(360)),
        },
      ],
    });
    const brokenEvents = await autoscalerEvents(admin, NS, 'web-broken');
    expect(brokenEvents).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'InvalidSpec',
        note: `the HPA spec is invalid and was not evaluated: ${problem}`,
        regarding: expect.objectContaining({ name: 'web-broken', uid: broken.metadata.uid }),
      }),
    ]);

    // `web` is untouched by its broken neighbour: a valid metric, no AmbiguousSelector, no warning.
    expect(await condition('web', 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ValidMetricFound',
    });
    const webEvents = await autoscalerEvents(admin, NS, 'web');
    expect(webEvents.filter((e) => e.type !== 'Normal')).toEqual([]);
    expect(webEvents.map((e) => e.note)).toContain(`New size: 4; reason: ${CPU_ABOVE}`);
    // The broken autoscaler never reached a scale: nothing to remember for it.
    expect((await store.query(CLUSTER, 'hpa#')).map((i) => i.sk)).toEqual([HISTORY_KEY, HPA_TICK_KEY]);
  });

  it('re-reads the scale after a 409 and writes on fresh data', async () => {
    // 150 %: ratio 2.5, ceil(2.5 × 2) = 5, within max(2 × 4, 4) = 8.
    setPodCpu(cluster, NS, PODS, '150m');
    clock.set(at(375));
    let bumps = 0;
    // Between the loop's list and its write, someone else changes the Deployment.
    const interleave = (adapter: KubernetesAdapter): KubernetesPort =>
      new Interleaved(adapter, async () => {
        if (bumps++ > 0) return;
        await admin.call('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web`, {
          body: { metadata: { annotations: { 'e2e.tideplane.io/touched': 'yes' } } },
          contentType: MERGE_PATCH,
        });
      });
    const { summary, requests, log } = await tick(interleave);
    expect(log.problems()).toEqual([]);
    expect(summary.outcomes).toEqual([
      expect.objectContaining({ name: 'web', action: 'rescaled', currentReplicas: 4, desiredReplicas: 5 }),
      expect.objectContaining({ name: 'web-broken', action: 'blocked' }),
    ]);
    // The first write met a real 409, the loop read /scale again and the second write went through.
    expect(requests['update apps/deployments/scale']).toBe(2);
    expect(requests['get apps/deployments/scale']).toBe(1);
    expect(bumps).toBe(2);
    const deployment = await readDeployment(admin, NS, 'web');
    expect(deployment.spec.replicas).toBe(5);
    // The other writer's change survives: a /scale write touches only replicas.
    expect(deployment.metadata.annotations?.['e2e.tideplane.io/touched']).toBe('yes');

    // One rescale, one status, one Event: the broken autoscaler's warning is not repeated while its
    // condition stays the same, and its status is not rewritten.
    expect(summary.counts).toMatchObject({ rescaled: 1, statusWrites: 1, events: 1 });
    expect(await autoscalerEvents(admin, NS, 'web-broken')).toHaveLength(1);
    expect((await autoscalerEvents(admin, NS, 'web')).map((e) => e.note)).toContain(
      `New size: 5; reason: ${CPU_ABOVE}`,
    );
    const decisions = await store.query(CLUSTER, 'decision#hpa#');
    expect(decisions.at(-1)?.data).toMatchObject({ from: 4, to: 5 });
  });

  it('forgets the history of a deleted autoscaler and keeps the audit records', async () => {
    await admin.delete(`/apis/${HA_API_VERSION}/namespaces/${NS}/horizontalautoscalers/web`);
    clock.set(at(390));
    const { summary, dynamo: writes, log } = await tick();
    expect(log.problems()).toEqual([]);
    expect(summary.outcomes.map((o) => o.name)).toEqual(['web-broken']);
    // One delete (`web`'s history) and the marker's write: nothing else was touched.
    expect(writes).toMatchObject({ queries: 1, writes: 2, conditionalFailures: 0 });
    // `web`'s history is gone; the cluster's tick marker is no autoscaler's and stays, moved to this tick.
    expect(await store.query(CLUSTER, 'hpa#')).toEqual([
      expect.objectContaining({ sk: HPA_TICK_KEY, data: { at: at(390) } }),
    ]);
    expect(await store.query(CLUSTER, 'decision#hpa#')).toHaveLength(5);
  });

  it('keeps the tick marker when no autoscaler is left, and writes nothing', async () => {
    await admin.delete(`/apis/${HA_API_VERSION}/namespaces/${NS}/horizontalautoscalers/web-broken`);
    const marker = await tickMarker();
    clock.set(at(405));
    const { summary, requests, dynamo: writes, log } = await tick();
    expect(log.problems()).toEqual([]);
    expect(summary.outcomes).toEqual([]);
    expect(summary.counts).toMatchObject({ statusWrites: 0, stateWrites: 0, events: 0 });
    expect(writes).toMatchObject({ queries: 1, writes: 0, conditionalFailures: 0 });
    expect(requests['update apps/deployments/scale']).toBeUndefined();
    // Neither deleted as a leftover nor moved: no autoscaler recorded anything at t = 405 s.
    expect(await tickMarker()).toEqual(marker);
    expect((await store.query(CLUSTER, 'hpa#')).map((i) => i.sk)).toEqual([HPA_TICK_KEY]);
  });
});

/** A KubernetesPort that runs `beforeScaleWrite` before every `updateScale`, then delegates. */
class Interleaved implements KubernetesPort {
  constructor(
    private readonly inner: KubernetesPort,
    private readonly beforeScaleWrite: () => Promise<void>,
  ) {}

  listPods: KubernetesPort['listPods'] = () => this.inner.listPods();
  listNodes: KubernetesPort['listNodes'] = () => this.inner.listNodes();
  listAutoscalers: KubernetesPort['listAutoscalers'] = (kind) => this.inner.listAutoscalers(kind);
  getScales: KubernetesPort['getScales'] = (targets) => this.inner.getScales(targets);
  getScale: KubernetesPort['getScale'] = (target) => this.inner.getScale(target);
  updateAutoscalerStatus: KubernetesPort['updateAutoscalerStatus'] = (a, s) =>
    this.inner.updateAutoscalerStatus(a, s);
  createEvent: KubernetesPort['createEvent'] = (event) => this.inner.createEvent(event);
  listPodMetrics: KubernetesPort['listPodMetrics'] = () => this.inner.listPodMetrics();
  listPersistentVolumeClaims: KubernetesPort['listPersistentVolumeClaims'] = () =>
    this.inner.listPersistentVolumeClaims();
  listPersistentVolumes: KubernetesPort['listPersistentVolumes'] = () => this.inner.listPersistentVolumes();
  listDaemonSets: KubernetesPort['listDaemonSets'] = () => this.inner.listDaemonSets();
  listPodDisruptionBudgets: KubernetesPort['listPodDisruptionBudgets'] = () =>
    this.inner.listPodDisruptionBudgets();
  setNodeTaint: KubernetesPort['setNodeTaint'] = (node, taint, present) =>
    this.inner.setNodeTaint(node, taint, present);
  evictPod: KubernetesPort['evictPod'] = (namespace, name, options) =>
    this.inner.evictPod(namespace, name, options);
  deleteNode: KubernetesPort['deleteNode'] = (node) => this.inner.deleteNode(node);

  updateScale: KubernetesPort['updateScale'] = async (target, replicas, resourceVersion) => {
    await this.beforeScaleWrite();
    return this.inner.updateScale(target, replicas, resourceVersion);
  };
}
