/**
 * Kubernetes resource quantities (`250m`, `1.5`, `2Gi`, `1e3`) as the HPA controller reads and writes them.
 *
 * The grammar is apimachinery's `resource.ParseQuantity`: an optional sign, digits with an optional
 * fraction, then one suffix — decimal SI (`n u m "" k M G T P E`), binary SI (`Ki Mi Gi Ti Pi Ei`) or a
 * decimal exponent (`e3`, `E-2`). Values are converted exactly (BigInt rationals), so `MilliValue()`
 * matches upstream bit for bit, including its rounding away from zero.
 */

/** Thrown for anything that is not a valid Kubernetes quantity. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const DECIMAL_SUFFIX_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_SUFFIX_POWER: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

/** The largest magnitude `MilliValue()` can hold (int64). */
const INT64_MAX = (1n << 63n) - 1n;

/** An exact rational value of a quantity: `numerator / denominator`, denominator > 0. */
export interface ExactQuantity {
  numerator: bigint;
  denominator: bigint;
}

const QUANTITY_SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;
const EXPONENT_SUFFIX = /^[eE]([+-]?[0-9]+)$/;

/**
 * Parses a quantity into an exact rational.
 *
 * @example parseQuantityExact('1.5Gi') // { numerator: 1610612736n, denominator: 1n }
 */
export function parseQuantityExact(input: string): ExactQuantity {
  if (typeof input !== 'string') {
    throw new QuantityError(`quantity must be a string, got ${typeof input}`);
  }
  const text = input;
  if (text.length === 0) {
    throw new QuantityError('quantity is empty');
  }
  if (/\s/.test(text)) {
    throw new QuantityError(`quantity "${input}" contains whitespace`);
  }
  const shape = QUANTITY_SHAPE.exec(text);
  if (!shape) {
    throw new QuantityError(`quantity "${input}" is not of the form <number><suffix>`);
  }
  const [, sign = '', whole = '', fraction = '', suffix = ''] = shape;
  if (whole.length === 0 && fraction.length === 0) {
    throw new QuantityError(`quantity "${input}" has no digits`);
  }
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);

  if (suffix in DECIMAL_SUFFIX_EXPONENT) {
    const exponent = DECIMAL_SUFFIX_EXPONENT[suffix] ?? 0;
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  } else if (suffix in BINARY_SUFFIX_POWER) {
    numerator *= 1n << BigInt(BINARY_SUFFIX_POWER[suffix] ?? 0);
  } else {
    const exponentMatch = EXPONENT_SUFFIX.exec(suffix);
    if (!exponentMatch) {
      throw new QuantityError(
        `quantity "${input}" has an invalid suffix "${suffix}" (expected one of n, u, m, k, M, G, T, P, E, ` +
          'Ki, Mi, Gi, Ti, Pi, Ei or an exponent like e3)',
      );
    }
    const exponent = Number(exponentMatch[1]);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) {
      throw new QuantityError(`quantity "${input}" has an exponent out of range`);
    }
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  if (sign === '-') numerator = -numerator;
  return { numerator, denominator };
}

/** Divides rounding away from zero, as apimachinery's `ScaledValue` does. */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  if (quotient * denominator === numerator) return quotient;
  return numerator > 0n ? quotient + 1n : quotient - 1n;
}

/**
 * The quantity in milli-units, rounded away from zero like Kubernetes `Quantity.MilliValue()`.
 *
 * @example parseMilli('250m') // 250
 * @example parseMilli('1.5') // 1500
 * @example parseMilli('1Ki') // 1024000
 * @example parseMilli('1n') // 1 (rounded up)
 */
export function parseMilli(input: string): number {
  // Fast path for what pod specs and metrics mostly carry ("250m", "2", "123456789n"): whole numbers small
  // enough that every step below is exact in doubles, so the result is the BigInt path's to the bit (HPA
  // ticks parse every selected pod's usage and requests).
  const simple = typeof input === 'string' ? SIMPLE_QUANTITY.exec(input) : null;
  if (simple) {
    const digits = Number(simple[1]);
    const suffix = simple[2] ?? '';
    if (suffix === '') return digits * 1000;
    if (suffix === 'm') return digits;
    // Rounded away from zero (up, for these non-negative values): the float quotient is exact enough
    // for its floor, and the product check is exact.
    const divisor = suffix === 'u' ? 1e3 : 1e6;
    const quotient = Math.floor(digits / divisor);
    return quotient * divisor === digits ? quotient : quotient + 1;
  }
  const { numerator, denominator } = parseQuantityExact(input);
  const milli = divideAwayFromZero(numerator * 1000n, denominator);
  if (milli > INT64_MAX || milli < -INT64_MAX) {
    throw new QuantityError(`quantity "${input}" is out of range`);
  }
  return Number(milli);
}

/**
 * The quantity in milli-units as a float, not rounded (where `parseMilli` rounds like `MilliValue()`): for
 * readings finer than a milli-unit, such as the nanocores metrics-server reports. One correctly rounded
 * division of the exact value, so `'30000000n'` is exactly 30, not 30.000000000000004.
 *
 * @example parseMilliNumber('123456789n') // 123.456789
 * @example parseMilliNumber('250m') // 250
 * @example parseMilliNumber('1.5') // 1500
 */
export function parseMilliNumber(input: string): number {
  // Fast path for what metrics and pod specs mostly carry ("123456789n", "250m", "2"): the same two
  // exact doubles and the same division as below, without the BigInt work (readers call this per pod
  // per tick).
  const simple = typeof input === 'string' ? SIMPLE_QUANTITY.exec(input) : null;
  if (simple) return (Number(simple[1]) * 1000) / (SIMPLE_SUFFIX_DENOMINATOR[simple[2] ?? ''] ?? 1);
  const { numerator, denominator } = parseQuantityExact(input);
  return Number(numerator * 1000n) / Number(denominator);
}

/** Up to 12 digits, so that digits × 1000 stays an exact double. */
const SIMPLE_QUANTITY = /^([0-9]{1,12})([num]?)$/;
const SIMPLE_SUFFIX_DENOMINATOR: Readonly<Record<string, number>> = { n: 1e9, u: 1e6, m: 1e3, '': 1 };
/** A whole number of up to 12 digits with any SI or binary suffix, for `parseQuantityNumber`'s fast path. */
const SIMPLE_SUFFIXED_QUANTITY = /^([0-9]{1,12})(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/;
/**
 * The suffixes' factors as exact doubles: decimal powers written out (`**` may round them: V8's 10 ** 23
 * is not 1e23), binary ones as powers of two (always exact).
 */
const SIMPLE_SUFFIX_FACTOR: Readonly<Record<string, { multiply: number } | { divide: number }>> = {
  n: { divide: 1e9 },
  u: { divide: 1e6 },
  m: { divide: 1e3 },
  '': { multiply: 1 },
  k: { multiply: 1e3 },
  M: { multiply: 1e6 },
  G: { multiply: 1e9 },
  T: { multiply: 1e12 },
  P: { multiply: 1e15 },
  E: { multiply: 1e18 },
  Ki: { multiply: 2 ** 10 },
  Mi: { multiply: 2 ** 20 },
  Gi: { multiply: 2 ** 30 },
  Ti: { multiply: 2 ** 40 },
  Pi: { multiply: 2 ** 50 },
  Ei: { multiply: 2 ** 60 },
};

/**
 * The quantity as a float, like `Quantity.AsApproximateFloat64()` (used for tolerances).
 *
 * @example parseQuantityNumber('0.05') // 0.05
 */
export function parseQuantityNumber(input: string): number {
  // Fast path for whole numbers with a suffix ("1536Mi", "64", "2G"): digits and every power used are
  // exact doubles, and one multiplication or division of exact doubles rounds exactly as converting the
  // exact BigInt result does (readers call this per pod per tick for memory requests).
  const simple = typeof input === 'string' ? SIMPLE_SUFFIXED_QUANTITY.exec(input) : null;
  const factor = simple ? SIMPLE_SUFFIX_FACTOR[simple[2] ?? ''] : undefined;
  if (simple && factor) {
    const digits = Number(simple[1]);
    return 'multiply' in factor ? digits * factor.multiply : digits / factor.divide;
  }
  const { numerator, denominator } = parseQuantityExact(input);
  return Number(numerator) / Number(denominator);
}

/** The sign of a quantity: -1, 0 or 1 (`Quantity.Sign()`). */
export function quantitySign(input: string): -1 | 0 | 1 {
  const { numerator } = parseQuantityExact(input);
  return numerator === 0n ? 0 : numerator > 0n ? 1 : -1;
}

/** `true` when `input` parses as a quantity. */
export function isQuantity(input: unknown): input is string {
  if (typeof input !== 'string') return false;
  try {
    parseQuantityExact(input);
    return true;
  } catch {
    return false;
  }
}

const DECIMAL_SI_SUFFIX_BY_EXPONENT: Readonly<Record<number, string>> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};

/**
 * Formats a milli-value the way `resource.NewMilliQuantity(v, resource.DecimalSI).String()` does: trailing
 * zeros are folded into the largest SI suffix whose exponent is a multiple of three.
 *
 * @example formatMilliDecimalSI(250) // '250m'
 * @example formatMilliDecimalSI(2000) // '2'
 * @example formatMilliDecimalSI(1500) // '1500m'
 * @example formatMilliDecimalSI(524288000000) // '524288k'
 */
export function formatMilliDecimalSI(milli: number | bigint): string {
  let mantissa = typeof milli === 'bigint' ? milli : BigInt(Math.round(milli));
  if (mantissa === 0n) return '0';
  let exponent = -3;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const remainder = ((exponent % 3) + 3) % 3;
  if (remainder !== 0) {
    mantissa *= 10n ** BigInt(remainder);
    exponent -= remainder;
  }
  const suffix = DECIMAL_SI_SUFFIX_BY_EXPONENT[exponent];
  return suffix !== undefined ? `${mantissa}${suffix}` : `${mantissa}e${exponent}`;
}
