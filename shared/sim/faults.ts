/**
 * Faults: changes a scenario makes to the world at fixed offsets from its start, such as "m5.2xlarge
 * on-demand in eu-central-1a runs out of capacity at 19:30". They are part of the world's own timeline,
 * so they happen at their instant, not at the next controller tick.
 */
import type { CapacityType, SimCloud } from './cloud';

/** An offering's capacity goes away (`available: false`) or comes back. */
export interface CapacityFault {
  /** Milliseconds after the scenario start. */
  atMs: number;
  kind: 'capacity';
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  available: boolean;
}

/**
 * EC2 warns that a spot instance will be interrupted and takes it two minutes later. The instance is
 * the one named, else the oldest in-service spot instance of the group not already being interrupted.
 */
export interface SpotInterruptionFault {
  atMs: number;
  kind: 'spot-interruption';
  /** The Auto Scaling group to take an instance from. */
  group: string;
  instanceId?: string;
  /** @default the spot notice (two minutes) */
  terminateAfterMs?: number;
}

/**
 * EC2 recommends rebalancing a spot instance (its capacity pool is at elevated risk of interruption);
 * nothing is taken by it. The instance is the one named, else the oldest in-service spot instance of the
 * group neither being interrupted nor recommended already.
 */
export interface RebalanceRecommendationFault {
  atMs: number;
  kind: 'rebalance-recommendation';
  /** The Auto Scaling group whose instance is at risk. */
  group: string;
  instanceId?: string;
}

export type ScenarioFault = CapacityFault | SpotInterruptionFault | RebalanceRecommendationFault;

/** A fault as it happened, for results and reports. */
export interface AppliedFault {
  /** Epoch ms it was applied at (the world applies it when its clock reaches `start + atMs`). */
  time: number;
  fault: ScenarioFault;
  description: string;
}

/** The fault in a few words, e.g. `m5.2xlarge on-demand in eu-central-1a: no capacity`. */
export function describeFault(fault: ScenarioFault, applied?: string): string {
  if (fault.kind === 'spot-interruption') {
    const instance = applied ?? fault.instanceId ?? 'a spot instance';
    return `spot interruption warning: ${instance} in ${fault.group}`;
  }
  if (fault.kind === 'rebalance-recommendation') {
    const instance = applied ?? fault.instanceId ?? 'a spot instance';
    return `rebalance recommendation: ${instance} in ${fault.group}`;
  }
  const offering = `${fault.instanceType} ${fault.capacityType} in ${fault.zone}`;
  return `${offering}: ${fault.available ? 'capacity restored' : 'no capacity'}`;
}

/**
 * Faults in the order they happen (ties keep the scenario's order), checked up front so that a typo in a
 * scenario fails when the world is built rather than hours into a run.
 */
export function scheduleFaults(faults: readonly ScenarioFault[], durationMs: number): ScenarioFault[] {
  for (const [index, fault] of faults.entries()) {
    if (!Number.isFinite(fault.atMs) || fault.atMs < 0 || fault.atMs > durationMs) {
      throw new RangeError(`faults[${index}]: atMs ${fault.atMs} is outside the scenario (0–${durationMs})`);
    }
  }
  return faults
    .map((fault, index) => ({ fault, index }))
    .sort((a, b) => a.fault.atMs - b.fault.atMs || a.index - b.index)
    .map(({ fault }) => fault);
}

/**
 * Applies one fault to the cloud. Returns what it acted on when the fault picks it (the interrupted or
 * recommended instance), undefined when it found nothing to act on.
 */
export function applyFault(cloud: SimCloud, fault: ScenarioFault): string | undefined {
  if (fault.kind === 'spot-interruption') {
    const victim = cloud
      .instances(fault.group)
      .find(
        (instance) =>
          instance.capacityType === 'spot' &&
          instance.state === 'InService' &&
          instance.interruptAt === undefined &&
          (fault.instanceId === undefined || instance.instanceId === fault.instanceId),
      );
    if (!victim) return undefined;
    cloud.interruptSpotInstance(
      victim.instanceId,
      fault.terminateAfterMs !== undefined ? { terminateAfterMs: fault.terminateAfterMs } : {},
    );
    return `${victim.instanceId} (node ${victim.nodeName})`;
  }
  if (fault.kind === 'rebalance-recommendation') {
    const atRisk = cloud
      .instances(fault.group)
      .find(
        (instance) =>
          instance.capacityType === 'spot' &&
          instance.state === 'InService' &&
          instance.interruptAt === undefined &&
          instance.rebalanceRecommendedAt === undefined &&
          (fault.instanceId === undefined || instance.instanceId === fault.instanceId),
      );
    if (!atRisk) return undefined;
    cloud.recommendRebalance(atRisk.instanceId);
    return `${atRisk.instanceId} (node ${atRisk.nodeName})`;
  }
  cloud.setCapacityAvailable(
    { instanceType: fault.instanceType, zone: fault.zone, capacityType: fault.capacityType },
    fault.available,
  );
  return describeFault(fault);
}
