/**
 * The quota loop in the simulator (issue 8): node pools whose maxima exceed the account's Standard
 * on-demand vCPU quota. The loop files exactly one request and follows it until AWS approves it; until
 * then EC2 refuses launches beyond the quota (VcpuLimitExceeded), the node-pool loop backs the groups off
 * and pods wait; after the approval they are scheduled. Every figure is read from what the run recorded
 * (AWS's request history, scaling activities, the loops' results), never assumed from the settings.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_POOL_DEFAULTS } from '../../../shared/config/node-pools';
import { quotasSchema } from '../../../shared/config/quotas';
import { type QuotaLoopDeps, type QuotaRunResult, runQuotaTick } from '../../../shared/loops/quota-loop';
import { classifyFailureMessage } from '../../../shared/nodepools/failures';
import { silentLogger } from '../../../shared/ports/logger';
import { ServiceQuotasError } from '../../../shared/ports/service-quotas';
import { vcpuQuotaFor } from '../../../shared/quotas/ec2-vcpu-quotas';
import { DEFAULT_BOOT_SECONDS } from '../../../shared/sim/cloud';
import { runSimulation } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { instanceType } from '../../../shared/sim/instance-types';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { QUOTA_SIM_INTERVAL_MS, quotaController, quotaRegionOf } from '../../../shared/sim/quota-controller';
import { QUOTA_CHART_TITLE_PREFIX, quotaFigures } from '../../../shared/sim/quota-report';
import { renderReport, renderSummary, reportChartTitles } from '../../../shared/sim/report';
import type { Scenario } from '../../../shared/sim/scenario';
import {
  createQuotaLimitScenario,
  QUOTA_LIMIT_AWS,
  STANDARD_ON_DEMAND_LIMIT,
} from '../../../shared/sim/scenarios/quota-limit';
import {
  SimServiceQuotas,
  STANDARD_ON_DEMAND_QUOTA_CODE,
  STANDARD_SPOT_QUOTA_CODE,
} from '../../../shared/sim/service-quotas';
import { SimStateStore } from '../../../shared/sim/state-store';
import { vcpuLimitMessage } from '../../../shared/sim/vcpu-limits';
import { VirtualClock } from '../../../shared/sim/virtual-clock';
import { createSimWorld, type SimWorld } from '../../../shared/sim/world';

const MINUTE_MS = 60_000;
const BOOT_MS = DEFAULT_BOOT_SECONDS * 1000;
/** A whole 8-hour morning with three loops takes about a minute; leave room on a busy machine. */
const RUN_TIMEOUT_MS = 300_000;
/** The config's default headroom (20 %). */
const HEADROOM = 1.2;

/** vCPUs the scenario's Standard on-demand groups may run at their maxima: what the loop must ask for. */
function standardOnDemandMaxima(scenario: Scenario): number {
  return scenario.nodeGroups
    .filter((group) => {
      const lookup = vcpuQuotaFor(group.instanceType, group.capacityType);
      return lookup.ok && lookup.quota.code === STANDARD_ON_DEMAND_QUOTA_CODE;
    })
    .reduce((sum, group) => sum + group.maxSize * instanceType(group.instanceType).vcpus, 0);
}

function loopDeps(world: SimWorld, state = world.state): QuotaLoopDeps {
  const quotas = world.quotas;
  if (!quotas) throw new Error('the scenario has no quotas');
  return {
    serviceQuotas: quotas.serviceQuotas,
    usage: quotas.usage,
    autoScaling: world.cloud,
    ec2: world.ec2,
    state,
    clock: world.clock,
    log: silentLogger,
  };
}

describe('simulator e2e: quota limit', () => {
  it(
    'should file one request, refuse scale-ups beyond the quota until AWS approves it, then schedule the waiting pods',
    async () => {
      const scenario = createQuotaLimitScenario();
      const world = createSimWorld(scenario);
      const runs: QuotaRunResult[] = [];
      const result = await runSimulation(world, {
        controllers: [
          hpaController(world),
          nodePoolController(world),
          quotaController(world, { onRun: (run) => runs.push(run) }),
        ],
      });
      const summary = renderSummary(result);
      console.log(`${summary}\n`);
      expect(result.controllers.map((controller) => [controller.name, controller.errors])).toEqual([
        ['hpa', 0],
        ['node-pools', 0],
        ['quotas', 0],
      ]);
      const quotas = result.quotas;
      const nodePools = result.nodePools;
      if (!quotas || !nodePools || !world.quotas)
        throw new Error('the quota or node-pool loop recorded nothing');

      // The loop ran at the start and every two hours (the run at the end instant is not a tick).
      expect(runs.map((run) => run.time - scenario.start)).toEqual(
        [0, 1, 2, 3].map((k) => k * QUOTA_SIM_INTERVAL_MS),
      );
      expect(runs.every((run) => run.failures.length === 0 && !run.dryRun)).toBe(true);

      // Exactly one request at AWS, for the Standard on-demand quota: the maxima with headroom.
      const demand = standardOnDemandMaxima(scenario);
      expect(demand).toBe(1080);
      const requests = world.quotas.serviceQuotas.requests();
      expect(requests).toHaveLength(1);
      const request = requests[0];
      if (!request) throw new Error('no request');
      expect(request).toMatchObject({
        quotaCode: STANDARD_ON_DEMAND_QUOTA_CODE,
        desiredValue: Math.ceil(demand * HEADROOM),
        valueAtRequest: STANDARD_ON_DEMAND_LIMIT,
        createdAt: scenario.start,
        outcome: 'APPROVED',
      });
      const approvedAt = request.resolvedAt;
      expect(approvedAt - request.createdAt).toBe(QUOTA_LIMIT_AWS.resolvedAfterMs);
      expect(world.quotas.serviceQuotas.stats().calls.requestIncrease).toBe(1);

      // Followed until approved: filed, waited on while the case was open, the approval reported once.
      const standard = (run: QuotaRunResult) =>
        run.decisions.find((decision) => decision.quotaCode === STANDARD_ON_DEMAND_QUOTA_CODE);
      expect(runs.map((run) => run.filed.length)).toEqual([1, 0, 0, 0]);
      expect(runs[0]?.filed[0]).toMatchObject({ desiredValue: request.desiredValue, alreadyOpen: false });
      expect(runs.map((run) => standard(run)?.action.kind)).toEqual(['request', 'wait', 'ok', 'ok']);
      const waiting = standard(runs[1] as QuotaRunResult)?.action;
      expect(waiting).toMatchObject({ kind: 'wait', awaiting: 'aws', request: { status: 'CASE_OPENED' } });
      expect(runs.map((run) => standard(run)?.outcome?.result)).toEqual([
        undefined,
        undefined,
        'approved',
        undefined,
      ]);
      expect(runs.map((run) => standard(run)?.applied)).toEqual([160, 160, 1296, 1296]);
      // Every run read AWS's history of both quotas the pools need.
      expect(world.quotas.serviceQuotas.stats().calls.listRequestedChanges).toBe(2 * runs.length);
      expect(
        runs.every(
          (run) => run.decisions.find((d) => d.quotaCode === STANDARD_SPOT_QUOTA_CODE)?.action.kind === 'ok',
        ),
      ).toBe(true);

      // Before the approval, launches beyond the quota failed with EC2's words; none after it.
      const refusals = quotas.refusals;
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((refusal) => refusal.time > scenario.start && refusal.time < approvedAt)).toBe(
        true,
      );
      expect(refusals.every((refusal) => refusal.inUse + refusal.vcpus > refusal.limit)).toBe(true);
      expect(refusals.every((refusal) => refusal.limit === STANDARD_ON_DEMAND_LIMIT)).toBe(true);
      const failed = world.cloud.activities().filter((activity) => activity.statusCode === 'Failed');
      expect(failed).toHaveLength(refusals.length);
      for (const activity of failed) {
        expect(activity.startTime).toBeLessThan(approvedAt);
        expect(activity.statusMessage).toBe(
          vcpuLimitMessage({ capacityType: 'on-demand' }, STANDARD_ON_DEMAND_LIMIT),
        );
        expect(classifyFailureMessage(activity.statusMessage ?? '')).toBe('quota');
      }

      // The node-pool loop classified them as quota failures and backed the groups off: the default
      // pool's, then the fallback pool's it turned to (its m6i nodes count against the same quota).
      const failures = nodePools.decisions.flatMap((decision) =>
        decision.kind === 'failure' ? [decision] : [],
      );
      expect(failures.length).toBeGreaterThan(0);
      expect(
        failures.every((failure) => failure.failure === 'quota' && failure.backedOffUntil > failure.time),
      ).toBe(true);
      const failedPools = new Set(failures.map((failure) => failure.pool));
      expect(failedPools.has('default')).toBe(true);
      expect(failedPools.has('fallback')).toBe(true);
      const firstDefaultFailure = failures.find((failure) => failure.pool === 'default');
      const fallbackTried = nodePools.decisions.some(
        (decision) =>
          decision.kind === 'scale-up' &&
          decision.pool === 'fallback' &&
          decision.time >= (firstDefaultFailure?.time ?? Number.POSITIVE_INFINITY) &&
          decision.time < approvedAt,
      );
      expect(fallbackTried).toBe(true);

      // The quota held: usage never above the value in force, and beyond the old value once it grew.
      const series = quotas.quotas.find((quota) => quota.quotaCode === STANDARD_ON_DEMAND_QUOTA_CODE);
      if (!series) throw new Error('no series of the Standard on-demand quota');
      expect(series.usage.every((used, i) => used <= (series.limit[i] ?? 0))).toBe(true);
      expect(Math.max(...series.usage)).toBeGreaterThan(STANDARD_ON_DEMAND_LIMIT);
      const afterApproval = quotas.times.findIndex((time) => time >= approvedAt);
      expect(series.limit[afterApproval - 1]).toBe(STANDARD_ON_DEMAND_LIMIT);
      expect(series.limit[afterApproval]).toBe(request.desiredValue);

      // Pods waited while the quota blocked, and those waiting at the approval were bound within the
      // group's backoff, a tick and a boot of it.
      const waitingAtApproval = nodePools.pendingPods.filter(
        (pod) =>
          pod.pendingSince < approvedAt &&
          !pod.deleted &&
          (pod.boundAt === undefined || pod.boundAt >= approvedAt),
      );
      expect(waitingAtApproval.length).toBeGreaterThan(0);
      const boundAt = waitingAtApproval.map((pod) => pod.boundAt ?? Number.POSITIVE_INFINITY);
      const lastBound = Math.max(...boundAt);
      const bound =
        NODE_POOL_DEFAULTS.backoff.maxSeconds * 1000 + nodePools.intervalMs + BOOT_MS + nodePools.intervalMs;
      expect(lastBound - approvedAt).toBeLessThanOrEqual(bound);
      const figures = quotaFigures(quotas);
      console.log(
        `quota pending before approval ${Math.round((approvedAt - request.createdAt) / MINUTE_MS)} min; ` +
          `${figures.refusedLaunches} launches refused; ${waitingAtApproval.length} pods waiting at the approval, ` +
          `the last bound ${Math.round((lastBound - approvedAt) / 1000)} s after it; ` +
          `pending pod-seconds ${result.pendingPodSeconds}`,
      );
      expect(figures).toMatchObject({ requestsFiled: 1, refusedLaunches: refusals.length });
      expect(figures.answered).toEqual([
        {
          quotaCode: STANDARD_ON_DEMAND_QUOTA_CODE,
          outcome: 'APPROVED',
          afterMs: QUOTA_LIMIT_AWS.resolvedAfterMs,
        },
      ]);

      // The terminal summary and the report carry the quota figures and the "quota demand vs limit" chart.
      expect(summary).toContain('1 request filed');
      expect(summary).toContain('approved 09:30 (3 h 30 min pending)');
      expect(summary).toMatch(
        /\d+ launches refused \(VcpuLimitExceeded\) 08:\d\d–09:\d\d on \d+ groups; pending pod-seconds [\d,]+/,
      );
      const html = renderReport(result);
      writeFileSync(join(tmpdir(), 'tideplane-sim-quota-limit.html'), html);
      expect(html).toContain('<h2>Quotas</h2>');
      expect(html).toContain('<h3>Launches refused by a vCPU quota</h3>');
      const titles = reportChartTitles(result);
      const quotaTitles = titles.filter((title) => title.startsWith(QUOTA_CHART_TITLE_PREFIX));
      expect(quotaTitles).toEqual([
        `${QUOTA_CHART_TITLE_PREFIX}: On-Demand Standard (${STANDARD_ON_DEMAND_QUOTA_CODE})`,
        `${QUOTA_CHART_TITLE_PREFIX}: Standard Spot (${STANDARD_SPOT_QUOTA_CODE})`,
      ]);
      const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      expect(svgs).toHaveLength(titles.length);
      for (const title of quotaTitles) {
        const svg = svgs[titles.indexOf(title)];
        expect(svg).toContain(`>${title}</text>`);
        expect(svg).toContain('>limit</text>');
        expect(svg).toContain('>pending pods</text>');
      }
    },
    RUN_TIMEOUT_MS,
  );

  it('should file nothing on a second run while the request is pending, even without its record', async () => {
    const world = createSimWorld(createQuotaLimitScenario());
    const quotas = world.quotas;
    if (!quotas) throw new Error('the scenario has no quotas');
    const region = quotaRegionOf(world, quotasSchema.parse({}));

    const first = await runQuotaTick(loopDeps(world), region);
    expect(first.filed).toHaveLength(1);
    world.clock.advance(5 * MINUTE_MS);
    expect(QUOTA_LIMIT_AWS.caseOpenedAfterMs).toBeGreaterThan(5 * MINUTE_MS);

    const second = await runQuotaTick(loopDeps(world), region);
    expect(second.filed).toEqual([]);
    expect(second.failures).toEqual([]);
    expect(second.decisions.find((d) => d.quotaCode === STANDARD_ON_DEMAND_QUOTA_CODE)?.action).toMatchObject(
      {
        kind: 'wait',
        awaiting: 'aws',
        request: { status: 'PENDING' },
      },
    );

    // The record gone (another store): AWS's history still shows the open request, so nothing is filed.
    const forgetful = await runQuotaTick(loopDeps(world, new SimStateStore(world.clock)), region);
    expect(forgetful.filed).toEqual([]);
    expect(quotas.serviceQuotas.requests()).toHaveLength(1);
    expect(quotas.serviceQuotas.stats().calls.requestIncrease).toBe(1);

    // And AWS itself refuses a second open request for the quota.
    await expect(
      quotas.serviceQuotas.requestIncrease('ec2', STANDARD_ON_DEMAND_QUOTA_CODE, 2000),
    ).rejects.toMatchObject({ name: 'ServiceQuotasError', reason: 'AlreadyOpen' });
  });
});

describe('simulator: Service Quotas, usage metrics and vCPU limits', () => {
  it('should move a request through PENDING, CASE_OPENED and its answer, raising the value only on approval', async () => {
    const clock = new VirtualClock(Date.UTC(2025, 5, 3, 4));
    const quotas = new SimServiceQuotas({
      clock,
      applied: { [STANDARD_ON_DEMAND_QUOTA_CODE]: 640 },
      requests: { caseOpenedAfterMs: 10 * MINUTE_MS, resolvedAfterMs: 60 * MINUTE_MS },
      requestsByQuota: { [STANDARD_SPOT_QUOTA_CODE]: { outcome: 'DENIED' } },
    });
    expect(await quotas.getServiceQuota('ec2', STANDARD_ON_DEMAND_QUOTA_CODE)).toMatchObject({
      value: 640,
      source: 'applied',
      usageMetric: {
        namespace: 'AWS/Usage',
        name: 'ResourceCount',
        dimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
        statistic: 'Maximum',
      },
    });
    expect(await quotas.getServiceQuota('ec2', STANDARD_SPOT_QUOTA_CODE)).toMatchObject({
      value: 5,
      source: 'default',
    });
    await expect(quotas.requestIncrease('ec2', STANDARD_ON_DEMAND_QUOTA_CODE, 640)).rejects.toMatchObject({
      reason: 'Invalid',
    });
    await expect(quotas.getServiceQuota('ec2', 'L-00000000')).rejects.toBeInstanceOf(ServiceQuotasError);

    const filed = await quotas.requestIncrease('ec2', STANDARD_ON_DEMAND_QUOTA_CODE, 1296);
    expect(filed).toMatchObject({ status: 'PENDING', desiredValue: 1296, createdAt: clock.now() });
    expect(filed.caseId).toBeUndefined();
    await quotas.requestIncrease('ec2', STANDARD_SPOT_QUOTA_CODE, 144);
    clock.advance(10 * MINUTE_MS);
    const [opened] = await quotas.listRequestedChanges('ec2', STANDARD_ON_DEMAND_QUOTA_CODE);
    expect(opened).toMatchObject({ requestId: filed.requestId, status: 'CASE_OPENED' });
    expect(opened?.caseId).toMatch(/^\d{11}$/);
    await expect(quotas.requestIncrease('ec2', STANDARD_ON_DEMAND_QUOTA_CODE, 1400)).rejects.toMatchObject({
      reason: 'AlreadyOpen',
    });
    expect(quotas.value(STANDARD_ON_DEMAND_QUOTA_CODE)).toBe(640);

    clock.advance(50 * MINUTE_MS);
    const [approved] = await quotas.listRequestedChanges('ec2', STANDARD_ON_DEMAND_QUOTA_CODE);
    expect(approved).toMatchObject({ status: 'APPROVED', updatedAt: clock.now() });
    expect(await quotas.getServiceQuota('ec2', STANDARD_ON_DEMAND_QUOTA_CODE)).toMatchObject({ value: 1296 });
    const [denied] = await quotas.listRequestedChanges('ec2', STANDARD_SPOT_QUOTA_CODE);
    expect(denied?.status).toBe('DENIED');
    expect(quotas.value(STANDARD_SPOT_QUOTA_CODE)).toBe(5);
    // A new request once the old one is answered is AWS's to take.
    expect((await quotas.requestIncrease('ec2', STANDARD_ON_DEMAND_QUOTA_CODE, 2000)).status).toBe('PENDING');
  });

  it('should count running vCPUs per quota, refuse the launch beyond it in EC2 words, and answer usage by its metric', async () => {
    const world = createSimWorld(createQuotaLimitScenario());
    const quotas = world.quotas;
    if (!quotas) throw new Error('the scenario has no quotas');
    const inUse = quotas.vcpuLimits.inUse(STANDARD_ON_DEMAND_QUOTA_CODE);
    const running = world.cloud
      .groupNames()
      .flatMap((group) => world.cloud.instances(group))
      .filter((instance) => instance.capacityType === 'on-demand')
      .reduce((sum, instance) => sum + instanceType(instance.instanceType).vcpus, 0);
    expect(inUse).toBe(running);
    const metric = quotas.serviceQuotas.definition(STANDARD_ON_DEMAND_QUOTA_CODE)?.usageMetric;
    if (!metric) throw new Error('no usage metric');
    expect(await quotas.usage.usage(metric)).toBe(inUse);
    expect(
      await quotas.usage.usage({ ...metric, dimensions: { ...metric.dimensions, Class: 'P/OnDemand' } }),
    ).toBeUndefined();

    // Grow a default group past what the quota leaves: the launches that fit go, the next one fails.
    const group = 'default-a';
    const room = Math.floor((STANDARD_ON_DEMAND_LIMIT - inUse) / instanceType('m5.2xlarge').vcpus);
    const before = world.cloud.instances(group).length;
    await world.cloud.setDesiredCapacity(group, before + room + 2);
    expect(world.cloud.instances(group)).toHaveLength(before + room);
    const [failure] = world.cloud.activities(group).filter((activity) => activity.statusCode === 'Failed');
    expect(failure?.statusMessage).toBe(
      vcpuLimitMessage({ capacityType: 'on-demand' }, STANDARD_ON_DEMAND_LIMIT),
    );
    expect(failure?.statusMessage).toContain(`current vCPU limit of ${STANDARD_ON_DEMAND_LIMIT} allows`);
    expect(quotas.vcpuLimits.refusals()).toHaveLength(1);
    expect(quotas.vcpuLimits.inUse(STANDARD_ON_DEMAND_QUOTA_CODE)).toBeLessThanOrEqual(
      STANDARD_ON_DEMAND_LIMIT,
    );
    // Mixed groups and spot get the fleet's prefix and code, which the node-pool core reads the same way.
    for (const message of [
      vcpuLimitMessage({ capacityType: 'on-demand', fallbackInstanceTypes: ['m6i.2xlarge'] }, 160),
      vcpuLimitMessage({ capacityType: 'spot' }, 160),
    ]) {
      expect(classifyFailureMessage(message)).toBe('quota');
    }
  });
});
