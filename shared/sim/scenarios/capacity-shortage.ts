/**
 * Capacity shortage: the default day's evening, 18:00 to 22:00 CEST, with a campaign on the shop's front
 * (storefront, catalog and checkout get 1.8× their traffic for 40 minutes from 20:15, on top of the TV
 * advert) — and at 20:00 EC2 runs out of m5.2xlarge on-demand capacity in eu-central-1a, the default
 * pool's type, until 21:30.
 *
 * What the node-pool loop must do: see the failed launch of default-a, back that group off, and place the
 * pending pods on the next pool by priority within a tick (plus the boot of the new nodes). Pods free to
 * go anywhere land on the default pool's other zones, which keep growing; pods bound to eu-central-1a by
 * their volume (the sessions StatefulSet's zone-a replicas) or packed behind them land on the fallback
 * pool's m6i.2xlarge nodes in that zone.
 */
import type { Scenario } from '../scenario';
import type { TraceBurst } from '../traces';
import { createDefaultDayScenario, ZONES } from './default-day';

const HOUR_MS = 3_600_000;

/** Local hour of the day the scenario starts at. */
export const SHORTAGE_START_HOUR = 18;
/** The offering that runs out, when, and for how long. */
export const SHORTAGE = {
  instanceType: 'm5.2xlarge',
  zone: ZONES[0] as string,
  capacityType: 'on-demand',
  fromHour: 20,
  untilHour: 21.5,
} as const;

const CAMPAIGN: TraceBurst = { atHour: 20.25, durationMinutes: 40, factor: 1.8 };
const CAMPAIGN_NAMESPACES = new Set(['storefront', 'catalog', 'checkout']);

export interface CapacityShortageOptions {
  /** @default 4 h (to 22:00) */
  durationMs?: number;
  /** @default the default day's */
  seed?: number;
}

/**
 * @example
 * const result = await runSimulation(createCapacityShortageScenario(), { controllers });
 * result.nodePools?.fallbacks[0]?.placedWithinMs; // how long the pods waited for the fallback pool
 */
export function createCapacityShortageScenario(options: CapacityShortageOptions = {}): Scenario {
  const day = createDefaultDayScenario({
    startHour: SHORTAGE_START_HOUR,
    durationMs: options.durationMs ?? 4 * HOUR_MS,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const offering = {
    kind: 'capacity' as const,
    instanceType: SHORTAGE.instanceType,
    zone: SHORTAGE.zone,
    capacityType: SHORTAGE.capacityType,
  };
  const atMs = (hour: number) => (hour - SHORTAGE_START_HOUR) * HOUR_MS;
  return {
    ...day,
    name: 'capacity-shortage',
    description:
      `The default day's evening with a campaign on the shop's front at 20:15; ${SHORTAGE.instanceType} ` +
      `${SHORTAGE.capacityType} runs out in ${SHORTAGE.zone} from 20:00 to 21:30, so the default pool's ` +
      'group there cannot grow and the fallback pool must take its pods.',
    services: day.services.map((service) =>
      CAMPAIGN_NAMESPACES.has(service.namespace) && service.load.kind === 'european-day'
        ? { ...service, load: { ...service.load, bursts: [...(service.load.bursts ?? []), CAMPAIGN] } }
        : service,
    ),
    faults: [
      { ...offering, atMs: atMs(SHORTAGE.fromHour), available: false },
      ...(atMs(SHORTAGE.untilHour) <= day.durationMs
        ? [{ ...offering, atMs: atMs(SHORTAGE.untilHour), available: true }]
        : []),
    ],
  };
}
