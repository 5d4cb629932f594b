import { describe, expect, it } from 'vitest';
import { extractValue, parseGoDuration, requestPath } from '../../../../shared/adapters/metrics/json-path';
import {
  compileJsonPath,
  evaluateJsonPath,
  JsonPathSyntaxError,
} from '../../../../shared/adapters/metrics/json-path-expression';

const doc = {
  http_server: { rps: 0.5, 'p-99': 12 },
  'some-metric': { value: 3 },
  queues: [
    { name: 'a', depth: 4 },
    { name: 'b', depth: 10 },
    { name: 'c', depth: 1 },
  ],
  latencies: [5, 7, 9, 11],
  nested: { x: { depth: 100 }, y: [{ depth: 200 }] },
  "it's": 1,
};

const select = (expression: string, document: unknown = doc) =>
  evaluateJsonPath(compileJsonPath(expression), document);

describe('evaluateJsonPath', () => {
  it.each([
    ['$', [doc]],
    ['$.http_server.rps', [0.5]],
    ['$.http_server.p-99', [12]],
    ['$.some-metric.value', [3]],
    ["$['http_server']['rps']", [0.5]],
    ['$["some-metric"]["value"]', [3]],
    ["$['it\\'s']", [1]],
    ["$.http_server['rps','p-99']", [0.5, 12]],
    ['$.latencies[0]', [5]],
    ['$.latencies[-1]', [11]],
    ['$.latencies[0,2]', [5, 9]],
    ['$.latencies[ 1 ]', [7]],
    ['$.latencies[1:3]', [7, 9]],
    ['$.latencies[:2]', [5, 7]],
    ['$.latencies[-2:]', [9, 11]],
    ['$.latencies[::2]', [5, 9]],
    ['$.latencies[::-1]', [11, 9, 7, 5]],
    ['$.latencies[*]', [5, 7, 9, 11]],
    ['$.queues[*].depth', [4, 10, 1]],
    ['$.queues.*.depth', [4, 10, 1]],
    ['$.queues[1].name', ['b']],
    ['$.http_server.*', [0.5, 12]],
    ['$..depth', [4, 10, 1, 100, 200]],
    ['$.nested..depth', [100, 200]],
    ['$.nested..[0].depth', [200]],
  ])('given %s, should select %j', (expression, expected) => {
    expect(select(expression)).toEqual(expected);
  });

  it.each([
    ['$.missing'],
    ['$.http_server.rps.deeper'],
    ['$.latencies[4]'],
    ['$.latencies[-5]'],
    ['$.latencies.length'],
    ['$.http_server[0]'],
    ["$.latencies['0']"],
  ])('given %s, which points at nothing, should select nothing', (expression) => {
    expect(select(expression)).toEqual([]);
  });

  it('given surrounding whitespace, should ignore it', () => {
    expect(select('  $.http_server.rps \n')).toEqual([0.5]);
  });
});

describe('compileJsonPath', () => {
  it.each([
    ['http_server.rps', 'a path starts with "$"'],
    ['', 'a path starts with "$"'],
    ['$.', 'expected a member name'],
    ['$.a[', 'expected an index'],
    ['$.a[0', 'expected "]"'],
    ["$['a", 'unterminated quoted name'],
    ['$.a[?(@.x > 1)]', 'filter and script expressions are not supported'],
    ['$.a[(@.length-1)]', 'filter and script expressions are not supported'],
    ['$.a[::0]', 'slice step cannot be 0'],
    ['$.a.[0]', '"." cannot be followed by "["'],
    ['$a', 'unexpected "a"'],
  ])('given %j, should throw a JsonPathSyntaxError saying %s', (expression, message) => {
    expect(() => compileJsonPath(expression)).toThrow(JsonPathSyntaxError);
    expect(() => compileJsonPath(expression)).toThrow(message);
  });
});

describe('extractValue (how json-path reads a value, as upstream does)', () => {
  const value = (body: unknown, key: string, aggregator?: 'avg' | 'min' | 'max' | 'sum') =>
    extractValue(typeof body === 'string' ? body : JSON.stringify(body), compileJsonPath(key), aggregator);

  it('given one number, should return it without an aggregator', () => {
    expect(value({ a: { b: 2.5 } }, '$.a.b')).toBe(2.5);
  });

  it('given an array node and each aggregator, should reduce it', () => {
    const body = { values: [4, 1, 10] };
    expect(value(body, '$.values', 'avg')).toBe(5);
    expect(value(body, '$.values', 'min')).toBe(1);
    expect(value(body, '$.values', 'max')).toBe(10);
    expect(value(body, '$.values', 'sum')).toBe(15);
  });

  it('given several matched nodes (a wildcard), should treat them as one array', () => {
    expect(value({ q: [{ d: 2 }, { d: 6 }] }, '$.q[*].d', 'avg')).toBe(4);
  });

  it('given an array without an aggregator, should refuse it', () => {
    expect(() => value({ values: [1, 2] }, '$.values')).toThrow('set an aggregator');
  });

  it('given a wildcard that matches a single number, should return it without an aggregator', () => {
    expect(value({ q: [{ d: 7 }] }, '$.q[*].d')).toBe(7);
  });

  it.each([
    [{ a: 'not a number' }, '$.a', 'matched a string, not a number'],
    [{ a: '12' }, '$.a', 'matched a string, not a number'],
    [{ a: null }, '$.a', 'matched a null'],
    [{ a: { b: 1 } }, '$.a', 'matched a object'],
    [{ a: true }, '$.a', 'matched a boolean'],
    [{ a: 1 }, '$.b', 'matched nothing'],
    [{ a: -1 }, '$.a', 'value -1 is negative'],
    ['<html>oops</html>', '$.a', 'the response is not JSON'],
    ['', '$.a', 'the response is not JSON'],
  ])('given %j and %s, should throw "%s"', (body, key, message) => {
    expect(() => value(body, key)).toThrow(message);
  });

  it('given an array with a non-number or an empty array, should refuse it', () => {
    expect(() => value({ v: [1, 'x'] }, '$.v', 'sum')).toThrow('matched a string among the numbers');
    expect(() => value({ v: [] }, '$.v', 'avg')).toThrow('matched an empty array');
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['2s', 2_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250us', 0.25],
    ['-3s', -3_000],
  ])('given %s, should give %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '2', 's', '2 s', '2d', '1m30'])('given %j, should throw', (text) => {
    expect(() => parseGoDuration(text)).toThrow('is not a duration');
  });
});

describe('requestPath', () => {
  it('given a path and a raw query, should join them like url.URL{Path, RawQuery}', () => {
    expect(requestPath('/metrics', 'foo=bar&baz=bop')).toBe('/metrics?foo=bar&baz=bop');
    expect(requestPath('metrics', '')).toBe('/metrics');
    expect(requestPath('', '')).toBe('/');
    expect(requestPath('/a b/c?d', '')).toBe('/a%20b/c%3Fd');
  });
});
