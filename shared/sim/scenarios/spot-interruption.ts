/**
 * Spot interruption: the default day's late morning, 10:00 to 12:00 CEST, and at 11:00 EC2 warns that one
 * of the spot pool's instances in eu-central-1a will be taken two minutes later. The four stateless
 * services that opt into spot each have a PodDisruptionBudget of one pod at a time.
 *
 * What the node-pool loop must do: get the warning (EventBridge → the interruption handler → a tick at
 * once), taint the node, evict its pods within their budgets, and have them Running on the other spot
 * nodes before the deadline; then terminate the instance and delete the node itself, so EC2 takes nothing
 * that still runs.
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

export interface SpotInterruptionOptions {
  /** @default 2 h (to 12:00) */
  durationMs?: number;
  /** @default the default day's */
  seed?: number;
}

/**
 * @example
 * const result = await runSimulation(createSpotInterruptionScenario(), { controllers });
 * result.nodePools?.interruptions[0]; // the warning as the loop got it
 */
export function createSpotInterruptionScenario(options: SpotInterruptionOptions = {}): Scenario {
  const day = createDefaultDayScenario({
    startHour: SPOT_INTERRUPTION_START_HOUR,
    durationMs: options.durationMs ?? 2 * HOUR_MS,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  return {
    ...day,
    name: 'spot-interruption',
    description:
      `The default day's late morning; at ${SPOT_WARNING.atHour}:00 EC2 warns that a spot instance of ` +
      `${SPOT_WARNING.group} will be taken two minutes later. The spot services have a budget of one ` +
      'pod at a time; their pods must run on other nodes before the instance goes.',
    services: day.services.map((service) =>
      service.tolerations?.some((toleration) => toleration.value === 'spot')
        ? { ...service, disruptionBudget: { maxUnavailable: 1 } }
        : service,
    ),
    faults: [
      {
        kind: 'spot-interruption',
        atMs: (SPOT_WARNING.atHour - SPOT_INTERRUPTION_START_HOUR) * HOUR_MS,
        group: SPOT_WARNING.group,
      },
    ],
  };
}
