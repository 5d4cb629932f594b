/**
 * Freezes a value and everything it holds (own enumerable members), in place, and returns it. Objects
 * already frozen are taken as frozen all the way down.
 *
 * Shared data is frozen rather than copied: state items an invocation keeps between ticks, parsed specs
 * and histories reused by identity, the simulated API server's objects. A caller that tried to change
 * one gets a TypeError instead of silently changing what the next reader sees.
 *
 * @example const spec = deepFreeze(JSON.parse(text));
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
