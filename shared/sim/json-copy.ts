/**
 * Copies of plain data as the API server hands them back (what survives JSON, as on the wire), made
 * frozen in one walk. The simulated cluster copies every autoscaler status the HPA loop writes, every
 * tick; a JSON round trip followed by a second walk to freeze was a visible share of a simulated day.
 */
import { deepFreeze } from '../units/deep-freeze';

/** Whether JSON leaves an object member with this value out (and writes it as `null` in an array). */
function dropped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Objects whose JSON is just their own enumerable members: arrays and plain objects. */
function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function copyValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  // JSON throws for a BigInt; so does this copy.
  if (typeof value === 'bigint') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return value;
  // Anything JSON treats specially (toJSON, boxed primitives, class instances) takes the JSON road.
  if (!isPlain(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return deepFreeze(JSON.parse(JSON.stringify(value)));
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = dropped(item) ? null : copyValue(item);
    }
    return Object.freeze(out);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (dropped(member)) continue;
    // A `__proto__` member is data in JSON; an assignment would set the prototype instead.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: copyValue(member),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = copyValue(member);
    }
  }
  return Object.freeze(out);
}

/**
 * `JSON.parse(JSON.stringify(value))`, deeply frozen: undefined, function and symbol members dropped
 * (`null` in arrays), non-finite numbers `null`, `-0` as `0`, `toJSON` honoured. Throws where JSON
 * would: a BigInt, a value JSON cannot write at all (undefined at the top), a cycle (as a stack overflow
 * here).
 *
 * @example
 * frozenJsonCopy({ a: undefined, b: [undefined, 1] }) // { b: [null, 1] }, frozen
 */
export function frozenJsonCopy<T>(value: T): T {
  if (dropped(value)) return JSON.parse(JSON.stringify(value) as string) as T;
  return copyValue(value) as T;
}
