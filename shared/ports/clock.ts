/**
 * Time as a port: cores never read the wall clock, loops ask this. The simulator's clock is virtual so a
 * day replays in seconds; Lambda uses the system clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time (virtual time in the simulator). */
  sleep(ms: number): Promise<void>;
}
