/** Named scenarios, for the command line (`--scenario <name>`). */
import type { Scenario } from '../scenario';
import { createCapacityShortageScenario } from './capacity-shortage';
import { createControlPlaneDayScenario } from './control-plane-day';
import { createDefaultDayScenario } from './default-day';
import { createFullDayScenario } from './full-day';
import { createQuotaLimitScenario } from './quota-limit';
import { createSpotInterruptionScenario } from './spot-interruption';
import { createVpaDayScenario } from './vpa-day';
import { createVpaOomScenario } from './vpa-oom';
import { createZonalVolumeScenario } from './zonal-volume';

export const SCENARIOS: Readonly<Record<string, () => Scenario>> = Object.freeze({
  'default-day': () => createDefaultDayScenario(),
  'capacity-shortage': () => createCapacityShortageScenario(),
  'zonal-volume': () => createZonalVolumeScenario(),
  'spot-interruption': () => createSpotInterruptionScenario(),
  'control-plane-day': () => createControlPlaneDayScenario(),
  'quota-limit': () => createQuotaLimitScenario(),
  'full-day': () => createFullDayScenario(),
  'vpa-day': () => createVpaDayScenario(),
  // One run of the experiment (×4, 10 replicas, tideplane's policy); `simulate --scenario vpa-oom` runs
  // all of it (vpa-oom-experiment.ts).
  'vpa-oom': () => createVpaOomScenario(),
});
