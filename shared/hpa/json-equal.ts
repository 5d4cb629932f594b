/**
 * Equality of two values as JSON sees them, without building the JSON: the same answer as comparing
 * `JSON.stringify` of both with object keys sorted and undefined members dropped, which is what
 * upstream's status comparison amounts to. The HPA loop compares every autoscaler's status every tick,
 * so the strings (and the sorted copies behind them) were a large share of a tick's work.
 *
 * As in JSON: an object member whose value is undefined, a function or a symbol is absent; such an array
 * element, and a number that is not finite, is `null`; `-0` is `0`; only own enumerable keys count, in
 * any order; an array is never equal to an object. The two values themselves compare as array elements
 * would (undefined equals null). Values are plain data (no `toJSON`, no BigInt, no
 * cycles), as an autoscaler status is.
 */

/** Whether JSON leaves an object member with this value out. */
function absentMember(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Whether JSON writes this value (as an array element) as `null`. */
function writtenAsNull(value: unknown): boolean {
  return value === null || absentMember(value) || (typeof value === 'number' && !Number.isFinite(value));
}

/** Own enumerable keys whose members JSON writes. */
function presentKeys(value: object): string[] {
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return keys.some((key) => absentMember(record[key]))
    ? keys.filter((key) => !absentMember(record[key]))
    : keys;
}

/**
 * @example
 * jsonEqual({ a: 1, b: undefined }, { a: 1 }) // true
 * jsonEqual([undefined], [null]) // true
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const nullA = writtenAsNull(a);
  const nullB = writtenAsNull(b);
  if (nullA || nullB) return nullA && nullB;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') return a === b;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) if (!jsonEqual(left[i], right[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = presentKeys(left);
  if (keys.length !== presentKeys(right).length) return false;
  for (const key of keys) {
    if (!Object.prototype.propertyIsEnumerable.call(right, key)) return false;
    const value = right[key];
    if (absentMember(value) || !jsonEqual(left[key], value)) return false;
  }
  return true;
}
