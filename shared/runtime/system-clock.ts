import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports/clock';

/** The wall clock, for Lambda and the CLI's real runs. The only place that reads the system time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(Math.max(0, ms)).then(() => undefined),
};
