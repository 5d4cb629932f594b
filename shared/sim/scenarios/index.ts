/** Named scenarios, for the command line (`--scenario <name>`). */
import type { Scenario } from '../scenario';
import { createDefaultDayScenario } from './default-day';

export const SCENARIOS: Readonly<Record<string, () => Scenario>> = Object.freeze({
  'default-day': () => createDefaultDayScenario(),
});
