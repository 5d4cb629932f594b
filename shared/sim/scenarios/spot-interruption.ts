/**
 * Spot interruption: the default day's late morning, 10:00 to 12:00 CEST. At 10:52 EC2 recommends
 * rebalancing the oldest of the spot pool's instances in eu-central-1a (m5.xlarge spot there is at
 * elevated risk); at 11:00 it warns that the oldest one still in service there will be taken two minutes
 * later. A recommendation some minutes ahead of an interruption in the same capacity pool is the pattern
 * AWS describes; it need not name the instance that is interrupted. The four stateless services that opt
 * into spot each have a PodDisruptionBudget of one pod at a time.
 *
 * What the node-pool loop must do, both events reaching it as EventBridge delivers them: drain the
 * recommended node early, without a deadline; on the warning, taint the node, evict its pods within
 * their budgets and have them Ready on other nodes before the deadline; then terminate the instance and
 * delete the node itself, so EC2 takes nothing that still runs. The instances' state changes finish the
 * drains.
 */
import type { Scenario } from '../scenario';
import { createDefaultDayScenario, groupName, ZONES } from './default-day';

const HOUR_MS = 3_600_000;

/** Local hour of the day the scenario starts at. */
export const SPOT_INTERRUPTION_START_HOUR = 10;
/** When the warning comes, and for which group's instance (its oldest in service). */
export const SPOT_WARNING = {
  atHour: 11,
  group: groupName('spot', ZONES[0] as string),
} as const;

/**
 * How long before the warning EC2 recommends rebalancing an instance of the same group (its oldest in
 * service then). Long enough for the loop to move that node's pods and give the instance back before
 * the warning, as a recommendation a few minutes ahead allows.
 */
export const REBALANCE_LEAD_MS = 8 * 60_000;

export interface SpotInterruptionOptions {
  /** @default 2 h (to 12:00) */
  durationMs?: number;
  /** @default the default day's */
  seed?: number;
}

/**
 * @example
 * const result = await runSimulation(createSpotInterruptionScenario(), { controllers });
 * result.nodePools?.interruptions; // the recommendation and the warning as the loop got them
 */
export function createSpotInterruptionScenario(options: SpotInterruptionOptions = {}): Scenario {
  const day = createDefaultDayScenario({
    startHour: SPOT_INTERRUPTION_START_HOUR,
    durationMs: options.durationMs ?? 2 * HOUR_MS,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const warningAtMs = (SPOT_WARNING.atHour - SPOT_INTERRUPTION_START_HOUR) * HOUR_MS;
  return {
    ...day,
    name: 'spot-interruption',
    description:
      `The default day's late morning; ${REBALANCE_LEAD_MS / 60_000} minutes before ${SPOT_WARNING.atHour}:00 ` +
      `EC2 recommends rebalancing a spot instance of ${SPOT_WARNING.group}, and at ${SPOT_WARNING.atHour}:00 ` +
      'it warns that another one there will be taken two minutes later. The spot services have a budget ' +
      'of one pod at a time; their pods must be Ready on other nodes before the instance goes.',
    services: day.services.map((service) =>
      service.tolerations?.some((toleration) => toleration.value === 'spot')
        ? { ...service, disruptionBudget: { maxUnavailable: 1 } }
        : service,
    ),
    faults: [
      {
        kind: 'rebalance-recommendation',
        atMs: warningAtMs - REBALANCE_LEAD_MS,
        group: SPOT_WARNING.group,
      },
      { kind: 'spot-interruption', atMs: warningAtMs, group: SPOT_WARNING.group },
    ],
  };
}
