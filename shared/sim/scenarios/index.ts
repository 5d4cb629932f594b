/** Named scenarios, for the command line (`--scenario <name>`). */
import type { Scenario } from '../scenario';
import { createCapacityShortageScenario } from './capacity-shortage';
import { createControlPlaneDayScenario } from './control-plane-day';
import { createDefaultDayScenario } from './default-day';
import { createSpotInterruptionScenario } from './spot-interruption';
import { createZonalVolumeScenario } from './zonal-volume';

export const SCENARIOS: Readonly<Record<string, () => Scenario>> = Object.freeze({
  'default-day': () => createDefaultDayScenario(),
  'capacity-shortage': () => createCapacityShortageScenario(),
  'zonal-volume': () => createZonalVolumeScenario(),
  'spot-interruption': () => createSpotInterruptionScenario(),
  'control-plane-day': () => createControlPlaneDayScenario(),
});
