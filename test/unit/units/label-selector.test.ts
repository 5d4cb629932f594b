import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector,
  LabelSelectorError,
  parseSelector,
  selectorFromLabelSelector,
  selectorMatches,
  selectorToString,
} from '../../../shared/units/label-selector';

describe('parseSelector', () => {
  it('given every operator of the string form, should parse them and print them back sorted by key (not by text)', () => {
    const selector = parseSelector(
      'tier in (web,api), env!=prod, app=shop, !canary, version, zone notin (b,a), n>3, m<10',
    );
    expect(selectorToString(selector)).toBe(
      'app=shop,!canary,env!=prod,m<10,n>3,tier in (api,web),version,zone notin (a,b)',
    );
  });

  it('given an empty string, should select everything', () => {
    const selector = parseSelector('');
    expect(selector.requirements).toEqual([]);
    expect(selectorMatches(selector, {})).toBe(true);
  });

  it('given "==" and an empty value, should keep them', () => {
    expect(selectorToString(parseSelector('a==b'))).toBe('a==b');
    expect(selectorToString(parseSelector('a='))).toBe('a=');
    expect(selectorMatches(parseSelector('a='), { a: '' })).toBe(true);
  });

  it('given repeated values in a value set, should keep each once, as labels.Parse does', () => {
    expect(selectorToString(parseSelector('zone in (b,a,b)'))).toBe('zone in (a,b)');
    expect(parseSelector('zone notin (a,a)').requirements[0]?.values).toEqual(['a']);
  });

  it('given a prefixed key, should accept it', () => {
    expect(selectorToString(parseSelector('app.kubernetes.io/name=web'))).toBe('app.kubernetes.io/name=web');
  });

  it.each([
    ['a in b', 'expected "("'],
    ['a in (b', 'expected a value'],
    ['a=b=c', 'expected "," or end of string'],
    ['=b', 'expected a label key'],
    ['a b', 'expected an operator'],
    ['a>b', 'exactly one integer value'],
    ['a=b,', 'expected a label key'],
    ['-a=b', 'must consist of alphanumerics'],
    ['a=-b', 'must be empty or consist of alphanumerics'],
    ['Foo/a=b', 'invalid prefix'],
    ['a/b/c=d', 'at most one "/"'],
  ])('given the invalid selector %j, should throw a LabelSelectorError (%s)', (text, fragment) => {
    expect(() => parseSelector(text)).toThrow(LabelSelectorError);
    expect(() => parseSelector(text)).toThrow(fragment);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'shop', tier: 'web', n: '5' };

  it.each([
    ['app=shop', true],
    ['app=other', false],
    ['app!=other', true],
    ['missing!=x', true],
    ['tier in (web,api)', true],
    ['tier notin (web)', false],
    ['missing notin (web)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['app<6', false],
    ['app=shop,tier=api', false],
  ])('given %s, should match: %s', (text, expected) => {
    expect(selectorMatches(parseSelector(text), labels)).toBe(expected);
  });
});

describe('structured selectors', () => {
  it('given matchLabels and matchExpressions, should convert them like LabelSelectorAsSelector', () => {
    const selector = selectorFromLabelSelector({
      matchLabels: { app: 'shop' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(selectorToString(selector)).toBe('app=shop,!canary,tier in (api,web)');
    expect(selectorMatches(selector, { app: 'shop', tier: 'api' })).toBe(true);
    expect(selectorMatches(selector, { app: 'shop', tier: 'api', canary: 'yes' })).toBe(false);
  });

  it('given no selector, should match nothing; given an empty one, should match everything', () => {
    expect(selectorMatches(selectorFromLabelSelector(undefined), {})).toBe(false);
    expect(selectorMatches(selectorFromLabelSelector({}), { any: 'thing' })).toBe(true);
  });

  it('given a structured selector, should print what the API server writes to /scale status.selector', () => {
    // Each expectation below was checked against kube-apiserver's /scale of a Deployment.
    const toScaleString = (selector: Parameters<typeof selectorFromLabelSelector>[0]) =>
      selectorToString(selectorFromLabelSelector(selector));
    expect(
      toScaleString({
        matchLabels: { tier: 'web', app: 'shop' },
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['b', 'a'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'owner', operator: 'Exists' },
        ],
      }),
    ).toBe('app=shop,!canary,env notin (dev),owner,tier=web,zone in (a,b)');
    // Sorted by key only: on the same key, matchLabels come first, then expressions in their order.
    expect(
      toScaleString({
        matchLabels: { app: 'p' },
        matchExpressions: [
          { key: 'app', operator: 'Exists' },
          { key: 'app', operator: 'NotIn', values: ['x'] },
        ],
      }),
    ).toBe('app=p,app,app notin (x)');
    // LabelSelectorAsSelector sorts values but keeps repeats; an empty label value prints as `key=`.
    expect(
      toScaleString({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b', 'a', 'b'] }] }),
    ).toBe('zone in (a,b,b)');
    expect(toScaleString({ matchLabels: { app: 'p', e: '' } })).toBe('app=p,e=');
    expect(toScaleString(undefined)).toBe('');
    expect(toScaleString({})).toBe('');
    expect(toScaleString({ matchLabels: {}, matchExpressions: [] })).toBe('');
  });

  it('given In without values or Exists with values or an unknown operator, should throw', () => {
    expect(() =>
      selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ).toThrow("values set can't be empty");
    expect(() =>
      selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    ).toThrow('must be empty');
    expect(() =>
      selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt' as never, values: ['1'] }] }),
    ).toThrow('is not a valid label selector operator');
  });

  it('given selectors to format, should print like metav1.FormatLabelSelector', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' } })).toBe('a=1,b=2');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toBe('<error>');
  });
});
