import { describe, expect, it } from 'vitest';
import {
  formatMilliDecimalSI,
  isQuantity,
  parseMilli,
  parseMilliNumber,
  parseQuantityExact,
  parseQuantityNumber,
  QuantityError,
  quantitySign,
} from '../../../shared/units/quantity';

describe('parseMilli', () => {
  it.each([
    ['250m', 250],
    ['1', 1000],
    ['1.5', 1500],
    ['0.1', 100],
    ['.5', 500],
    ['1.', 1000],
    ['+2', 2000],
    ['-2', -2000],
    ['0', 0],
    ['100n', 1],
    ['1n', 1],
    ['1500u', 2],
    ['1000u', 1],
    ['1k', 1_000_000],
    ['1M', 1_000_000_000],
    ['2G', 2_000_000_000_000],
    ['1T', 1e15],
    ['1P', 1e18],
    ['1Ki', 1_024_000],
    ['1Mi', 1_048_576_000],
    ['1.5Gi', 1_610_612_736_000],
    ['512Mi', 536_870_912_000],
    ['1e3', 1_000_000],
    ['1E3', 1_000_000],
    ['5e-3', 5],
    ['12e+0', 12_000],
  ])('given %s, should be %d milli-units', (text, milli) => {
    expect(parseMilli(text)).toBe(milli);
  });

  it('given a fraction of a milli-unit, should round away from zero like MilliValue()', () => {
    expect(parseMilli('0.0001')).toBe(1);
    expect(parseMilli('-0.0001')).toBe(-1);
    expect(parseMilli('1.0005')).toBe(1001);
  });

  it.each([
    ['', 'empty'],
    ['abc', 'no digits'],
    ['m', 'no digits'],
    ['1K', 'invalid suffix'],
    ['1 m', 'whitespace'],
    ['1mm', 'invalid suffix'],
    ['1e', 'invalid suffix'],
    ['1.2.3', 'invalid suffix'],
    ['--1', 'no digits'],
    ['1Gib', 'invalid suffix'],
  ])('given the malformed %j, should throw a QuantityError mentioning %s', (text, fragment) => {
    expect(() => parseMilli(text)).toThrow(QuantityError);
    expect(() => parseMilli(text)).toThrow(fragment);
  });

  it('given a value beyond int64 milli-units, should refuse it as out of range', () => {
    expect(() => parseMilli('10E')).toThrow('out of range');
  });
});

describe('parseMilliNumber', () => {
  it.each([
    ['250m', 250],
    ['1.5', 1500],
    ['0.1', 100],
    ['4', 4000],
    ['1Ki', 1_024_000],
    ['123456789n', 123.456789],
    ['30000000n', 30],
    ['123500000n', 123.5],
    ['1n', 0.000001],
    ['1500u', 1.5],
    ['-250m', -250],
    ['5e-3', 5],
  ])('given %s, should be %d milli-units, unrounded', (text, milli) => {
    expect(parseMilliNumber(text)).toBe(milli);
  });

  it('given nanocores, should equal the whole count divided by 1e6 (one correctly rounded division)', () => {
    for (const nanocores of [1, 7, 999_999, 123_456_789, 2_718_281_828, 4_999_999_999]) {
      expect(parseMilliNumber(`${nanocores}n`)).toBe(nanocores / 1e6);
    }
  });

  it('given any form, should be the exact value × 1000 in one correctly rounded division', () => {
    const exact = (text: string) => {
      const { numerator, denominator } = parseQuantityExact(text);
      return Number(numerator * 1000n) / Number(denominator);
    };
    const texts = [
      '0',
      '007m',
      '999999999999n',
      '1000000000000n',
      '-5n',
      '+5n',
      '1.5m',
      '3u',
      '12',
      '2Ki',
      '1e-9',
    ];
    for (let i = 1; i < 2 ** 40; i = i * 3 + 1) texts.push(`${i}n`, `${i}u`, `${i}m`, `${i}`);
    for (const text of texts) expect(parseMilliNumber(text), text).toBe(exact(text));
  });

  it('given something that is not a quantity, should throw a QuantityError', () => {
    expect(() => parseMilliNumber('lots')).toThrow(QuantityError);
    expect(() => parseMilliNumber('')).toThrow(QuantityError);
    expect(() => parseMilliNumber(' 250m')).toThrow('whitespace');
  });
});

describe('parseQuantityNumber / quantitySign / isQuantity', () => {
  it('given tolerances as quantities, should give the exact float', () => {
    expect(parseQuantityNumber('0.05')).toBe(0.05);
    expect(parseQuantityNumber('50m')).toBe(0.05);
    expect(parseQuantityNumber('0.0001')).toBe(0.0001);
    expect(parseQuantityNumber('2')).toBe(2);
  });

  it('given memory as pods and nodes state it, should give bytes', () => {
    expect(parseQuantityNumber('512Mi')).toBe(512 * 2 ** 20);
    expect(parseQuantityNumber('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantityNumber('1024Ki')).toBe(2 ** 20);
    expect(parseQuantityNumber('1G')).toBe(1e9);
    expect(parseQuantityNumber('1e3')).toBe(1000);
  });

  it('given signed quantities, should report their sign', () => {
    expect(quantitySign('-1m')).toBe(-1);
    expect(quantitySign('0')).toBe(0);
    expect(quantitySign('0.000000001')).toBe(1);
  });

  it('given valid and invalid values, should tell them apart', () => {
    expect(isQuantity('250m')).toBe(true);
    expect(isQuantity('2Gi')).toBe(true);
    expect(isQuantity('2 Gi')).toBe(false);
    expect(isQuantity(3)).toBe(false);
  });
});

describe('formatMilliDecimalSI', () => {
  it.each([
    [0, '0'],
    [250, '250m'],
    [1000, '1'],
    [2000, '2'],
    [1500, '1500m'],
    [1_500_000, '1500'],
    [2_000_000, '2k'],
    [20_000, '20'],
    [6667, '6667m'],
    [100_000_000, '100k'],
    [524_288_000_000, '524288k'],
    [1_073_741_824_000, '1073741824'],
    [3_000_000_000_000, '3G'],
    [-250, '-250m'],
  ])('given %d milli-units, should print %s as NewMilliQuantity(v, DecimalSI) does', (milli, text) => {
    expect(formatMilliDecimalSI(milli)).toBe(text);
  });

  it('given a formatted value, should parse back to the same milli-units', () => {
    for (const milli of [1, 999, 1001, 123_456_789, 42_000, 7_000_000_000]) {
      expect(parseMilli(formatMilliDecimalSI(milli))).toBe(milli);
    }
  });
});

describe('fast paths of parseMilli and parseQuantityNumber', () => {
  /** What the exact (BigInt) path gives, written out here as the reference. */
  const exactMilli = (input: string): number => {
    const { numerator, denominator } = parseQuantityExact(input);
    const scaled = numerator * 1000n;
    const quotient = scaled / denominator;
    const rounded =
      quotient * denominator === scaled ? quotient : scaled > 0n ? quotient + 1n : quotient - 1n;
    return Number(rounded);
  };
  const exactNumber = (input: string): number => {
    const { numerator, denominator } = parseQuantityExact(input);
    return Number(numerator) / Number(denominator);
  };
  const SUFFIXES = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  /** Digits near the edges that matter: powers of ten, one off them, the 12-digit limit, random ones. */
  const digitStrings = (): string[] => {
    const out = [
      '0',
      '1',
      '7',
      '999',
      '1000',
      '1001',
      '999999',
      '1000000',
      '1000001',
      '000123',
      '999999999999',
    ];
    let state = 12345;
    for (let i = 0; i < 400; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const length = 1 + (state % 12);
      let digits = '';
      for (let j = 0; j < length; j++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        digits += String(state % 10);
      }
      out.push(digits);
    }
    return out;
  };

  it('given whole numbers with any suffix, should equal the exact results to the bit', () => {
    for (const digits of digitStrings()) {
      for (const suffix of SUFFIXES) {
        const input = `${digits}${suffix}`;
        expect(Object.is(parseQuantityNumber(input), exactNumber(input)), input).toBe(true);
        if (['', 'n', 'u', 'm'].includes(suffix)) {
          expect(Object.is(parseMilli(input), exactMilli(input)), input).toBe(true);
        }
      }
    }
  });

  it('given forms the fast paths leave alone (signs, fractions, exponents, 13 digits), should still parse them exactly', () => {
    for (const input of ['-250m', '+2', '1.5', '.5Gi', '1e3', '1E-2', '1234567890123n', '0.1']) {
      expect(parseMilli(input)).toBe(exactMilli(input));
      expect(parseQuantityNumber(input)).toBe(exactNumber(input));
    }
  });
});
