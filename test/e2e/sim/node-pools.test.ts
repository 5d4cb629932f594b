/**
 * The node-pool loop in the simulator, under the HPA loop, in the two scenarios of issue 4 that need
 * more than the day replay: a capacity shortage of the default pool's type in one zone at the evening
 * peak, and a StatefulSet whose volumes live in one zone. Every figure is read from what the run
 * recorded (scaling activities, tick summaries, pod bindings), never assumed from the settings.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPOT_NOTICE_MS } from '../../../shared/loops/node-pool-interruptions';
import type { NodePoolTickSummary } from '../../../shared/loops/node-pool-loop';
import { DRAIN_TAINT } from '../../../shared/nodepools/drain';
import { ZONE_LABEL } from '../../../shared/nodepools/template-node';
import type { Pod } from '../../../shared/ports/kubernetes';
import { DEFAULT_BOOT_SECONDS } from '../../../shared/sim/cloud';
import type { SimController } from '../../../shared/sim/driver';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import type { PendingPodRecord } from '../../../shared/sim/result';
import {
  createCapacityShortageScenario,
  SHORTAGE,
  SHORTAGE_START_HOUR,
} from '../../../shared/sim/scenarios/capacity-shortage';
import {
  createSpotInterruptionScenario,
  SPOT_INTERRUPTION_START_HOUR,
  SPOT_WARNING,
} from '../../../shared/sim/scenarios/spot-interruption';
import { createZonalVolumeScenario, VOLUME_ZONE } from '../../../shared/sim/scenarios/zonal-volume';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';

const HOUR_MS = 3_600_000;
const BOOT_MS = DEFAULT_BOOT_SECONDS * 1000;

async function run(
  world: SimWorld,
  onTick?: (summary: NodePoolTickSummary) => void,
  observers: SimController[] = [],
) {
  const result = await runSimulation(world, {
    controllers: [...observers, hpaController(world), nodePoolController(world, onTick ? { onTick } : {})],
  });
  const nodePools = result.nodePools;
  if (!nodePools) throw new Error('the node-pool controller recorded nothing');
  return { result, nodePools };
}

/** The zone of the volume a StatefulSet pod (`namespace/name-<ordinal>`) mounts, if it has one. */
async function volumeZone(world: SimWorld, podKey: string): Promise<string | undefined> {
  const [namespace = '', name = ''] = podKey.split('/');
  const claim = world.cluster.getPersistentVolumeClaim(namespace, `data-${name}`);
  if (!claim) return undefined;
  const volumes = await world.cluster.listPersistentVolumes();
  return volumes.find((volume) => volume.name === claim.volumeName)?.zones[0];
}

describe('simulator e2e: node pools', () => {
  it('should back off the group out of capacity and put its pending pods on the fallback pool within a tick plus boot', async () => {
    const scenario = createCapacityShortageScenario();
    const world = createSimWorld(scenario);
    const { result, nodePools } = await run(world);
    console.log(`${renderSummary(result)}\n`);
    const tickMs = nodePools.intervalMs;
    const shortageFrom = scenario.start + (SHORTAGE.fromHour - SHORTAGE_START_HOUR) * HOUR_MS;
    const shortageUntil = scenario.start + (SHORTAGE.untilHour - SHORTAGE_START_HOUR) * HOUR_MS;
    expect(result.faults.map((fault) => fault.time)).toEqual([shortageFrom, shortageUntil]);
    expect(result.controllers.every((controller) => controller.errors === 0)).toBe(true);

    // The failure becomes visible as a failed scaling activity of the zone's default group, in AWS's words.
    const failedGroup = `default-${SHORTAGE.zone.slice(-1)}`;
    const failed = world.cloud.activities(failedGroup).filter((activity) => activity.statusCode === 'Failed');
    expect(failed.length).toBeGreaterThan(0);
    const firstFailure = failed[0];
    if (!firstFailure) throw new Error('no failed activity');
    expect(firstFailure.startTime).toBeGreaterThanOrEqual(shortageFrom);
    expect(firstFailure.statusMessage).toContain(`sufficient ${SHORTAGE.instanceType} capacity`);

    // The next tick backs the group off and sets its desired capacity back.
    const episode = nodePools.fallbacks[0];
    if (!episode) throw new Error('no fallback episode');
    expect(episode).toMatchObject({ asgName: failedGroup, pool: 'default', failure: 'capacity' });
    expect(episode.visibleAt).toBe(firstFailure.startTime);
    expect(episode.detectedAt - episode.visibleAt).toBeGreaterThan(0);
    expect(episode.detectedAt - episode.visibleAt).toBeLessThanOrEqual(tickMs);
    const backoffs = nodePools.decisions.flatMap((decision) =>
      decision.kind === 'failure' && decision.asgName === failedGroup ? [decision] : [],
    );
    expect(backoffs[0]?.backedOffUntil).toBeGreaterThan(episode.detectedAt);
    expect(backoffs[0]?.resetTo).toBeDefined();
    // No instance of that group was launched while its type had no capacity there.
    expect(
      world.cloud
        .instances(failedGroup)
        .filter((instance) => instance.launchedAt >= shortageFrom && instance.launchedAt < shortageUntil),
    ).toEqual([]);

    // Pending pods went to the fallback pool's nodes within one tick + boot + the scheduler's binding,
    // each counted from the later of its own pending start and the failure becoming visible.
    const onFallback = nodePools.pendingPods.filter(
      (pod): pod is PendingPodRecord & { boundAt: number; nodeJoinedAt: number } =>
        pod.pool === 'fallback' &&
        pod.boundAt !== undefined &&
        pod.nodeJoinedAt !== undefined &&
        pod.boundAt >= episode.visibleAt,
    );
    expect(onFallback.length).toBeGreaterThan(0);
    expect(episode.fallbackPods).toBeGreaterThan(0);
    expect(episode.fallbackPools).toEqual(['fallback']);
    expect(new Set(onFallback.map((pod) => pod.zone))).toEqual(new Set([SHORTAGE.zone]));
    const bindingMs = Math.max(...onFallback.map((pod) => pod.boundAt - pod.nodeJoinedAt));
    expect(bindingMs).toBeGreaterThanOrEqual(0);
    expect(bindingMs).toBeLessThan(tickMs);
    const boundMs = tickMs + BOOT_MS + bindingMs;
    expect(episode.placedWithinMs).toBeLessThanOrEqual(boundMs);
    const firstWindow = onFallback.filter(
      (pod) => pod.boundAt < (nodePools.fallbacks[1]?.visibleAt ?? Infinity),
    );
    const measured = Math.max(
      ...firstWindow.map((pod) => pod.boundAt - Math.max(pod.pendingSince, episode.visibleAt)),
    );
    expect(measured).toBe(episode.placedWithinMs);
    console.log(
      `capacity failure → pods on fallback: ${measured / 1000} s for ${firstWindow.length} pods ` +
        `(bound ${boundMs / 1000} s: tick ${tickMs / 1000} s + boot ${BOOT_MS / 1000} s + binding ${bindingMs / 1000} s)`,
    );

    // Pods whose volume is in the zone could only go to the fallback pool there.
    const pendingInShortage = nodePools.pendingPods.filter(
      (pod) => pod.pendingSince >= shortageFrom && pod.pendingSince < shortageUntil,
    );
    let pinned = 0;
    for (const pod of pendingInShortage) {
      if ((await volumeZone(world, pod.pod)) !== SHORTAGE.zone || pod.deleted) continue;
      pinned++;
      expect(pod, pod.pod).toMatchObject({ pool: 'fallback', zone: SHORTAGE.zone });
    }
    expect(pinned).toBeGreaterThan(0);

    // No pod waited longer than the bound because of the shortage: every pod seen pending was placed
    // within a tick plus boot of its pending start or of the latest failure before its placement.
    const failureTimes = nodePools.fallbacks.map((failure) => failure.visibleAt);
    for (const pod of nodePools.pendingPods) {
      if (pod.deleted) continue;
      expect(pod.boundAt, pod.pod).toBeDefined();
      const boundAt = pod.boundAt ?? Infinity;
      const since = Math.max(pod.pendingSince, ...failureTimes.filter((time) => time <= boundAt));
      expect(boundAt - since, pod.pod).toBeLessThanOrEqual(boundMs);
    }

    // One failing group never blocks the others: the default pool's other zones kept growing.
    for (const zone of ['b', 'c']) {
      const grown = nodePools.decisions.filter(
        (decision) =>
          decision.kind === 'scale-up' &&
          decision.asgName === `default-${zone}` &&
          decision.result === 'applied' &&
          decision.time >= episode.visibleAt,
      );
      expect(grown.length, `default-${zone}`).toBeGreaterThan(0);
    }

    const html = renderReport(result);
    writeFileSync(join(tmpdir(), 'tideplane-sim-capacity-shortage.html'), html);
    expect(html).toContain('<h2>Node pools</h2>');
    expect(html).toContain(`Capacity failure → pods on fallback: <strong>`);
    expect(html).toContain('failure: capacity');
    expect(html).toContain('no capacity at 20:00:00');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\((?!#)/i);
    const titles = reportChartTitles(result);
    // After the three cluster charts, the timeline of decisions (scale-ups, the failure, the fallback).
    expect(titles[3]).toBe('Timeline of decisions');
    expect(html).toMatch(/\d+ decisions: \d+ scale-up, (\d+ move back, )?\d+ scale-up failed/);
    expect(titles.slice(4, 9)).toEqual([
      'Node-hours vs lower bound',
      'Pool default (m5.2xlarge on-demand)',
      'Pool search (c5.2xlarge on-demand)',
      'Pool spot (m5.xlarge spot)',
      'Pool fallback (m6i.2xlarge on-demand)',
    ]);
    expect(html.match(/<svg/g)).toHaveLength(titles.length);
    expect(renderSummary(result)).toMatch(
      /capacity failure → pods on fallback: \d+ min \d+ s \(\d+ pods on fallback/,
    );
  });

  it('should grow only the group of the zone where a StatefulSet keeps its volumes', async () => {
    const world = createSimWorld(createZonalVolumeScenario());
    const summaries: NodePoolTickSummary[] = [];
    const desiredAtStart = new Map(
      (await world.cloud.describeGroups()).map((group) => [group.name, group.desiredCapacity]),
    );
    const { result, nodePools } = await run(world, (summary) => summaries.push(summary));
    console.log(`${renderSummary(result)}\n`);

    const ledger = result.services.find((service) => service.key === 'ledger/ledger-db');
    expect(ledger?.maxReplicas).toBeGreaterThanOrEqual(8);
    const pods = (await world.cluster.listPods()).filter((pod) => pod.namespace === 'ledger');
    expect(pods.length).toBe(ledger?.finalReplicas);

    // Its pods asked for new nodes, and only in the zone of their volumes.
    const forLedger = summaries.flatMap((summary) =>
      summary.increases.filter((increase) => increase.pods.some((pod) => pod.startsWith('ledger/'))),
    );
    expect(forLedger.length).toBeGreaterThan(0);
    for (const increase of forLedger) {
      expect(increase).toMatchObject({ zone: VOLUME_ZONE, asgName: `default-${VOLUME_ZONE.slice(-1)}` });
    }
    expect(summaries.every((summary) => summary.unplaceable.length === 0)).toBe(true);

    // The other zones' groups never grew (scale-down may shrink them); the volume zone's did.
    const grewElsewhere = summaries.flatMap((summary) =>
      summary.increases.filter((increase) => increase.zone !== VOLUME_ZONE),
    );
    expect(grewElsewhere).toEqual([]);
    const groups = await world.cloud.describeGroups();
    for (const group of groups) {
      const start = desiredAtStart.get(group.name) ?? 0;
      if (group.availabilityZones[0] === VOLUME_ZONE) expect(group.desiredCapacity).toBeGreaterThan(start);
      else expect(group.desiredCapacity, group.name).toBeLessThanOrEqual(start);
    }

    // Every ledger pod runs, in the zone of its volume.
    const nodes = new Map((await world.cluster.listNodes()).map((node) => [node.name, node]));
    for (const pod of pods) {
      expect(pod.phase, pod.name).toBe('Running');
      expect(nodes.get(pod.nodeName ?? '')?.labels[ZONE_LABEL], pod.name).toBe(VOLUME_ZONE);
      expect(await volumeZone(world, `ledger/${pod.name}`)).toBe(VOLUME_ZONE);
    }
    const waited = nodePools.pendingPods
      .filter((pod) => pod.pod.startsWith('ledger/') && pod.boundAt !== undefined)
      .map((pod) => (pod.boundAt ?? 0) - pod.pendingSince);
    expect(waited.length).toBeGreaterThan(0);
    expect(Math.max(...waited)).toBeLessThanOrEqual(nodePools.intervalMs + BOOT_MS);
  });

  it('should drain a spot node on its interruption warning and have its pods Ready elsewhere before EC2 takes it', async () => {
    const scenario = createSpotInterruptionScenario();
    const world = createSimWorld(scenario);
    const warningAt = scenario.start + (SPOT_WARNING.atHour - SPOT_INTERRUPTION_START_HOUR) * HOUR_MS;
    const deadline = warningAt + SPOT_NOTICE_MS;
    const ownerOf = (pod: Pod) => pod.ownerReferences[0]?.uid ?? '';
    // What was on the node at the warning, the node's taint as the loop left it, and when each pod
    // created after the warning in those workloads became Ready (the condition's own time, exact).
    let victim: { node: string; pods: Pod[] } | undefined;
    let tainted = false;
    const readyAt = new Map<string, { owner: string; node: string; at: number }>();
    const observer: SimController = {
      name: 'observer',
      intervalMs: 5_000,
      // Listed first, so it sees the warning before the node-pool loop acts on it.
      async deliverEvents(now) {
        if (victim || now < warningAt) return false;
        const [warning] = world.cloud.interruptionWarnings();
        if (!warning) return false;
        const pods = await world.cluster.listPods();
        victim = {
          node: warning.nodeName,
          pods: pods.filter(
            (pod) => pod.nodeName === warning.nodeName && pod.ownerReferences[0]?.kind !== 'DaemonSet',
          ),
        };
        return false;
      },
      async tick(now) {
        if (!victim || now > deadline + 60_000) return;
        const node = (await world.cluster.listNodes()).find((n) => n.name === victim?.node);
        if (node?.taints.some((taint) => taint.key === DRAIN_TAINT.key)) tainted = true;
        const owners = new Set(victim.pods.map(ownerOf));
        for (const pod of await world.cluster.listPods()) {
          if (pod.creationTimestamp < warningAt || !owners.has(ownerOf(pod)) || readyAt.has(pod.uid))
            continue;
          const ready = pod.conditions.find((c) => c.type === 'Ready' && c.status === 'True');
          if (ready?.lastTransitionTime !== undefined && pod.nodeName) {
            readyAt.set(pod.uid, { owner: ownerOf(pod), node: pod.nodeName, at: ready.lastTransitionTime });
          }
        }
      },
    };
    const { result, nodePools } = await run(world, undefined, [observer]);
    console.log(`${renderSummary(result)}\n`);
    expect(result.controllers.every((controller) => controller.errors === 0)).toBe(true);

    // The warning reached the loop at its instant and became a drain of that node at once (the
    // rebalance recommendation before it was another instance's).
    const interruption = nodePools.interruptions.find((event) => event.kind === 'spot-interruption');
    expect(interruption).toMatchObject({ warnedAt: warningAt, deadline, status: 'recorded' });
    if (!victim) throw new Error('no warning was seen');
    const node = victim.node;
    expect(interruption?.node).toBe(node);
    expect(victim.pods.length).toBeGreaterThan(0);
    const started = nodePools.decisions.find((d) => d.kind === 'drain-started' && d.node === node);
    expect(started).toMatchObject({ time: warningAt, reason: 'spot interruption warning' });
    expect(tainted || nodePools.decisions.some((d) => d.kind === 'node-removed' && d.node === node)).toBe(
      true,
    );

    // Each evicted pod has a replacement Ready on another node before the deadline.
    const replacements = [...readyAt.values()].sort((a, b) => a.at - b.at);
    const latest: number[] = [];
    for (const pod of victim.pods) {
      const index = replacements.findIndex((r) => r.owner === ownerOf(pod) && r.node !== node);
      expect(index, `${pod.namespace}/${pod.name}`).toBeGreaterThanOrEqual(0);
      const [replacement] = replacements.splice(index, 1);
      if (replacement) latest.push(replacement.at);
    }
    const lastReady = Math.max(...latest);
    expect(lastReady).toBeLessThan(deadline);
    console.log(
      `spot warning → ${victim.pods.length} pods Ready elsewhere: ${(lastReady - warningAt) / 1000} s ` +
        `(deadline ${SPOT_NOTICE_MS / 1000} s)`,
    );

    // Nothing was lost, no budget broken; the loop removed the node itself.
    expect(nodePools.disruption).toMatchObject({ podsLost: 0, pdbViolations: 0 });
    expect(nodePools.disruption.evictions).toBeGreaterThanOrEqual(victim.pods.length);
    const removed = nodePools.decisions.find((d) => d.kind === 'node-removed' && d.node === node);
    expect(removed?.time).toBeLessThanOrEqual(deadline);
    expect((await world.cluster.listNodes()).some((n) => n.name === node)).toBe(false);
    expect(renderSummary(result)).toMatch(/goal pods lost 0: 0 \(/);
  });
});
