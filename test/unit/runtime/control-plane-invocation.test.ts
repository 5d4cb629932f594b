/**
 * The control-plane function's invocation (shared/runtime/control-plane-invocation.ts): what it refuses
 * before it touches anything, and that an alarm of its own cluster or the schedule runs a tick.
 */
import { describe, expect, it } from 'vitest';
import { type ResolvedCluster, resolvedClusterSchema } from '../../../shared/config/load';
import type { AlarmStatus } from '../../../shared/ports/alarms';
import type { EksPort } from '../../../shared/ports/eks';
import type { KubernetesPort } from '../../../shared/ports/kubernetes';
import { silentLogger } from '../../../shared/ports/logger';
import { runControlPlaneInvocation } from '../../../shared/runtime/control-plane-invocation';
import { SimStateStore } from '../../../shared/sim/state-store';
import { VirtualClock } from '../../../shared/sim/virtual-clock';

const REGION = 'eu-central-1';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function config(controlPlane: Record<string, unknown> | null = { eks: {} }, enabled = true): ResolvedCluster {
  return resolvedClusterSchema.parse({
    accountId: '123456789012',
    region: REGION,
    cluster: {
      name: 'prod-1',
      enabled,
      access: {
        kind: 'token',
        endpoint: 'https://kube.example.com',
        secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:kube-AbCdEf',
      },
      ...(controlPlane ? { controlPlane } : {}),
    },
    hpa: {},
  });
}

function alarmPayload(alarmName: string, region = REGION) {
  return {
    source: 'aws.cloudwatch',
    alarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:${alarmName}`,
    accountId: '123456789012',
    time: '2026-11-25T12:00:00.000+0000',
    region,
    alarmData: { alarmName, state: { value: 'ALARM', timestamp: '2026-11-25T12:00:00.000+0000' } },
  };
}

/** A world where every call is counted; the EKS cluster sits on tier-xl and its load is high. */
function harness(resolved = config(), alarms: AlarmStatus[] = []) {
  const clock = new VirtualClock(NOW);
  const state = new SimStateStore(clock);
  const calls: string[] = [];
  const eks: EksPort = {
    describeCluster: async (name) => {
      calls.push(`describeCluster ${name}`);
      return { name, status: 'ACTIVE', tier: 'tier-xl' };
    },
    updateScalingTier: async (name, tier, token) => {
      calls.push(`updateScalingTier ${name} ${tier}`);
      return { id: `u-${token}`, status: 'InProgress', errors: [] };
    },
    describeUpdate: async (_name, id) => {
      calls.push(`describeUpdate ${id}`);
      return { id, status: 'InProgress', errors: [] };
    },
  };
  const invoke = (payload: unknown) =>
    runControlPlaneInvocation(payload, {
      config: resolved,
      connect: async () => {
        calls.push('connect');
        return { kubernetes: {} as KubernetesPort };
      },
      eks,
      alarms: {
        describeAlarms: async (names) => {
          calls.push(`describeAlarms ${names.length}`);
          return alarms.filter((alarm) => names.includes(alarm.name));
        },
      },
      state,
      clock,
      log: silentLogger,
      owner: 'req-1',
      remainingMs: () => 1_000,
    });
  return { invoke, calls, state };
}

describe('runControlPlaneInvocation: refused before anything is touched', () => {
  it.each([
    ['a garbled payload', { cluster: 7 }, /^invalid event — cluster: /],
    [
      'another cluster’s request',
      { cluster: 'prod-2' },
      'cluster: this function serves "prod-1", not "prod-2"',
    ],
    [
      'an alarm of another region',
      alarmPayload('tideplane-prod-1-control-plane-load-high', 'us-east-1'),
      'region: this function serves eu-central-1, not us-east-1',
    ],
    [
      'another cluster’s alarm',
      alarmPayload('tideplane-prod-2-control-plane-load-high'),
      "alarm: tideplane-prod-2-control-plane-load-high is not one of prod-1's control-plane alarms (tideplane-prod-1-control-plane-load-high, tideplane-prod-1-control-plane-load-low)",
    ],
  ])('given %s, should say why and call nothing', async (_name, payload, error) => {
    const { invoke, calls, state } = harness();
    const response = await invoke(payload);
    expect(response.ok).toBe(false);
    if (!response.ok) expect(response.error).toMatch(error);
    expect(calls).toEqual([]);
    expect(state.stats().totalCalls).toBe(0);
  });

  it('given a cluster without a control-plane loop (or switched off), should say so and call nothing', async () => {
    for (const resolved of [config(null), config({ eks: {}, enabled: false }), config({ eks: {} }, false)]) {
      const { invoke, calls } = harness(resolved);
      const response = await invoke({ cluster: 'prod-1' });
      expect(response).toMatchObject({ ok: true, status: 'disabled' });
      expect(calls).toEqual([]);
    }
  });
});

describe('runControlPlaneInvocation: ticks', () => {
  const high: AlarmStatus = {
    name: 'tideplane-prod-1-control-plane-load-high',
    state: 'ALARM',
    stateUpdatedAt: NOW - 60_000,
    threshold: 70,
    recentDatapoints: [74, 75, 78],
  };

  it('given its own alarm, should read every alarm again and start the swap up the tier ladder', async () => {
    const { invoke, calls } = harness(config(), [high]);
    const response = await invoke(alarmPayload(high.name));
    expect(response).toMatchObject({
      ok: true,
      status: 'ran',
      alarm: { name: high.name, state: 'ALARM', via: 'alarm-action' },
    });
    if (!response.ok) return;
    expect(response.ticks[0]?.decision).toMatchObject({ action: 'swap', from: 'tier-xl', to: 'tier-2xl' });
    expect(calls).toContain('describeAlarms 2');
    expect(calls).toContain('updateScalingTier prod-1 tier-2xl');
    expect(response.summary).toContain(
      'decision: swap up tier-xl → tier-2xl (load high: tideplane-prod-1-control-plane-load-high (78))',
    );
  });

  it('given a dry run, should decide and say what it would do, writing nothing and updating nothing', async () => {
    const { invoke, calls, state } = harness(config(), [high]);
    const response = await invoke({ cluster: 'prod-1', dryRun: true });
    expect(response).toMatchObject({ ok: true, dryRun: true, status: 'ran' });
    if (!response.ok) return;
    expect(response.ticks).toHaveLength(1);
    expect(response.ticks[0]?.swap).toMatchObject({ from: 'tier-xl', to: 'tier-2xl', step: 'would start' });
    expect(response.ticks[0]?.plan).toEqual([
      'UpdateClusterConfig prod-1: controlPlaneScalingConfig.tier tier-xl → tier-2xl',
      'follow DescribeUpdate until Successful (Failed or Cancelled: the tier is skipped for a while)',
    ]);
    expect(response.summary).toContain('  would 1. UpdateClusterConfig prod-1');
    expect(calls.filter((call) => call.startsWith('updateScalingTier'))).toEqual([]);
    expect((await state.query('prod-1', 'cp#')).length).toBe(0);
  });
});
