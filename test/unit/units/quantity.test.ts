import { describe, expect, it } from 'vitest';
import {
  formatMilliDecimalSI,
  isQuantity,
  parseMilli,
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

describe('parseQuantityNumber / quantitySign / isQuantity', () => {
  it('given tolerances as quantities, should give the exact float', () => {
    expect(parseQuantityNumber('0.05')).toBe(0.05);
    expect(parseQuantityNumber('50m')).toBe(0.05);
    expect(parseQuantityNumber('0.0001')).toBe(0.0001);
    expect(parseQuantityNumber('2')).toBe(2);
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
