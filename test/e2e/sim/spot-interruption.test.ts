/**
 * The spot-interruption scenario as `npm start -- --scenario spot-interruption` runs it: the real HPA and
 * node-pool loops, their state in the DynamoDB store on dynalite, EC2's rebalance recommendation, spot
 * warning and state changes delivered as EventBridge JSON through the production parser and handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import {
  INTERRUPTION_RECORD_PREFIX,
  parseInterruption,
  SPOT_NOTICE_MS,
} from '../../../shared/loops/node-pool-interruptions';
import { drainRecordKey, isDaemonSetPod } from '../../../shared/nodepools/drain';
import type { Pod } from '../../../shared/ports/kubernetes';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { renderReport, renderSummary } from '../../../shared/sim/report';
import {
  createSpotInterruptionScenario,
  REBALANCE_LEAD_MS,
  SPOT_INTERRUPTION_START_HOUR,
  SPOT_WARNING,
} from '../../../shared/sim/scenarios/spot-interruption';
import { createSimWorld } from '../../../shared/sim/world';

const HOUR_MS = 3_600_000;
/**
 * To 11:30: past both events and their drains, and short of the interruption records' one-hour TTL,
 * after which the store no longer returns them.
 */
const DURATION_MS = 1.5 * HOUR_MS;

let dynamo: LocalDynamo | undefined;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo?.stop();
});

function ownerOf(pod: Pod): string {
  return pod.ownerReferences[0]?.uid ?? '';
}

describe('simulator e2e: spot interruption with DynamoDB on dynalite', () => {
  it('should drain the recommended node early and the warned node before EC2 takes it, with its pods Ready elsewhere in time', async () => {
    if (!dynamo) throw new Error('dynalite did not start');
    const scenario = createSpotInterruptionScenario({ durationMs: DURATION_MS });
    const world = createSimWorld(scenario);
    const state = new DynamoDbStateStore({
      client: dynamo.client,
      tableName: dynamo.tableName,
      clock: world.clock,
    });
    const cluster = scenario.clusterName;
    const warningAt = scenario.start + (SPOT_WARNING.atHour - SPOT_INTERRUPTION_START_HOUR) * HOUR_MS;
    const recommendedAt = warningAt - REBALANCE_LEAD_MS;
    const deadline = warningAt + SPOT_NOTICE_MS;

    // Independently of the recorder: the warned node's pods at the warning, and at the deadline whether
    // each has a pod of its workload, created after the warning, Ready on another node before then.
    let victim: { node: string; pods: Pod[] } | undefined;
    let readyElsewhereByDeadline: boolean | undefined;
    const observer: SimController = {
      name: 'observer',
      intervalMs: 5_000,
      // Listed before the node-pool loop, so it sees the node before the loop drains it.
      async deliverEvents(now) {
        if (victim || now < warningAt) return false;
        const [warning] = world.cloud.interruptionWarnings();
        if (!warning) return false;
        const pods = await world.cluster.listPods();
        victim = {
          node: warning.nodeName,
          pods: pods.filter((pod) => pod.nodeName === warning.nodeName && !isDaemonSetPod(pod)),
        };
        return false;
      },
      async tick(now) {
        if (!victim || now < deadline || readyElsewhereByDeadline !== undefined) return;
        const needed = new Map<string, number>();
        for (const pod of victim.pods) needed.set(ownerOf(pod), (needed.get(ownerOf(pod)) ?? 0) + 1);
        for (const pod of await world.cluster.listPods()) {
          const ready = pod.conditions.find((c) => c.type === 'Ready' && c.status === 'True');
          const left = needed.get(ownerOf(pod)) ?? 0;
          if (left === 0 || pod.creationTimestamp < warningAt || pod.nodeName === victim.node) continue;
          if (ready?.lastTransitionTime !== undefined && ready.lastTransitionTime < deadline)
            needed.set(ownerOf(pod), left - 1);
        }
        readyElsewhereByDeadline = [...needed.values()].every((left) => left === 0);
      },
    };

    const result = await runSimulation(world, {
      controllers: [observer, hpaController(world, { state }), nodePoolController(world, { state })],
    });
    const summary = renderSummary(result);
    console.log(`${summary}\n`);
    expect(result.controllers.map((controller) => [controller.name, controller.errors])).toEqual([
      ['observer', 0],
      ['hpa', 0],
      ['node-pools', 0],
    ]);
    const run = result.nodePools;
    if (!run || !victim) throw new Error('the node-pool loop recorded nothing, or no warning came');

    // Both events reached the loop at their instant and were recorded, each for its own instance.
    const [recommendation, warning] = run.interruptions;
    expect(run.interruptions).toHaveLength(2);
    expect(recommendation).toMatchObject({
      kind: 'rebalance-recommendation',
      warnedAt: recommendedAt,
      status: 'recorded',
    });
    expect(warning).toMatchObject({
      kind: 'spot-interruption',
      warnedAt: warningAt,
      deadline,
      status: 'recorded',
    });
    expect(warning?.node).toBe(victim.node);
    expect(recommendation?.node).not.toBe(victim.node);

    // The recommended node was drained without a deadline and was gone before the warning.
    const recommendedNode = recommendation?.node ?? '';
    expect(run.decisions.find((d) => d.kind === 'drain-started' && d.node === recommendedNode)).toMatchObject(
      {
        time: recommendedAt,
        reason: 'rebalance recommendation',
      },
    );
    const recommendedRemoved = run.decisions.find(
      (d) => d.kind === 'node-removed' && d.node === recommendedNode,
    );
    expect(recommendedRemoved?.time).toBeLessThan(warningAt);

    // The warned node's drain started at the warning and finished before the deadline: the loop
    // terminated the instance itself, so EC2 took nothing, and the drain's record is gone.
    expect(run.decisions.find((d) => d.kind === 'drain-started' && d.node === victim?.node)).toMatchObject({
      time: warningAt,
      reason: 'spot interruption warning',
    });
    const removed = run.decisions.find((d) => d.kind === 'node-removed' && d.node === victim?.node);
    expect(removed?.time).toBeLessThanOrEqual(deadline);
    expect(run.scaleDown.drainsFinished).toBeGreaterThanOrEqual(2);
    expect(run.scaleDown.drainsAborted).toBe(0);
    expect(await state.get(cluster, drainRecordKey(victim.node))).toBeUndefined();
    expect(await state.get(cluster, drainRecordKey(recommendedNode))).toBeUndefined();
    expect((await world.cluster.listNodes()).some((node) => node.name === victim?.node)).toBe(false);
    const causes = world.cloud.activities(SPOT_WARNING.group).map((activity) => activity.cause ?? '');
    expect(causes.filter((cause) => cause.includes('EC2 health check'))).toEqual([]);
    expect(
      causes.filter((cause) => cause.includes(`instance ${warning?.instanceId} was taken out`)),
    ).toHaveLength(1);

    // Its pods were Ready elsewhere before the deadline, by the recorder's measure and the observer's.
    expect(victim.pods.length).toBeGreaterThan(0);
    expect(warning?.podsToMove).toBe(victim.pods.length);
    const readyAt = warning?.podsReadyElsewhereAt ?? Number.POSITIVE_INFINITY;
    expect(readyAt).toBeLessThan(deadline);
    expect(readyElsewhereByDeadline).toBe(true);
    console.log(
      `spot warning → ${victim.pods.length} pods Ready elsewhere: ${(readyAt - warningAt) / 1000} s ` +
        `(deadline ${SPOT_NOTICE_MS / 1000} s); rebalance drain done ` +
        `${((recommendedRemoved?.time ?? 0) - recommendedAt) / 1000} s after the recommendation`,
    );

    // Nothing lost, no budget broken.
    expect(run.disruption).toMatchObject({ podsLost: 0, pdbViolations: 0 });

    // Both records are in the DynamoDB table, each naming the node whose drain it started.
    const records = (await state.query(cluster, INTERRUPTION_RECORD_PREFIX))
      .map((item) => parseInterruption(item.data))
      .sort((a, b) => a.at - b.at);
    expect(records).toEqual([
      {
        instanceId: recommendation?.instanceId,
        asgName: SPOT_WARNING.group,
        kind: 'rebalance-recommendation',
        at: recommendedAt,
        drainedNode: recommendedNode,
      },
      {
        instanceId: warning?.instanceId,
        asgName: SPOT_WARNING.group,
        kind: 'spot-interruption',
        at: warningAt,
        deadline,
        drainedNode: victim.node,
      },
    ]);

    // The report lists both events with their status and the spot goal as met.
    expect(summary).toMatch(
      /goal spot warning → pods Ready elsewhere < 120 s: \d+ s \(\d+ pods, 1 warning\) ✓/,
    );
    expect(summary).toMatch(/goal pods lost 0: 0 \(/);
    expect(summary).toContain(`rebalance recommendation 10:52:00: ${recommendation?.instanceId}`);
    const html = renderReport(result);
    expect(html).toContain('<h3>Spot warnings and rebalance recommendations</h3>');
    expect(html).toContain('<td class="name">rebalance recommendation</td>');
  });
});
