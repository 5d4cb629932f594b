/**
 * Kubernetes label selectors, as apimachinery's `labels.Parse` and `metav1.LabelSelectorAsSelector` read
 * them: the string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`) and the structured form
 * (`matchLabels` / `matchExpressions`). A parsed selector matches a label map and prints back in the
 * canonical string form (requirements sorted by key, values sorted) — for a structured selector, the
 * string the API server writes to a `/scale` subresource's `status.selector`.
 */
import type { LabelSelector } from '../ports/autoscaling-v2';

/** Thrown for a selector that does not parse or has an invalid key, value or operator. */
export class LabelSelectorError extends Error {
  override readonly name = 'LabelSelectorError';
}

export type SelectorOperator =
  | 'In'
  | 'NotIn'
  | 'Equals'
  | 'DoubleEquals'
  | 'NotEquals'
  | 'Exists'
  | 'DoesNotExist'
  | 'GreaterThan'
  | 'LessThan';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /**
   * Sorted. De-duplicated when parsed from a string (`labels.Parse` reads a value set); kept as given
   * from a structured selector, as `LabelSelectorAsSelector` does (`in (a,b,b)` on `/scale`).
   */
  values: string[];
}

/**
 * A parsed selector. `matchesNothing` is the `labels.Nothing()` selector (what a nil structured selector
 * converts to); otherwise the requirements are ANDed and an empty list matches everything.
 */
export interface Selector {
  requirements: SelectorRequirement[];
  matchesNothing?: boolean;
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INTEGER = /^[+-]?[0-9]+$/;
const MAX_NAME_LENGTH = 63;
const MAX_PREFIX_LENGTH = 253;

/** Checks a label key (`[prefix/]name`); returns a problem description or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'key must not be empty';
  const parts = key.split('/');
  if (parts.length > 2) return `key "${key}" must be a qualified name ([prefix/]name) with at most one "/"`;
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  const prefix = parts.length === 2 ? (parts[0] ?? '') : undefined;
  if (prefix !== undefined) {
    if (prefix.length === 0) return `key "${key}" has an empty prefix`;
    if (prefix.length > MAX_PREFIX_LENGTH || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `key "${key}" has an invalid prefix: it must be a lowercase DNS subdomain`;
    }
  }
  if (name.length === 0) return `key "${key}" has an empty name`;
  if (name.length > MAX_NAME_LENGTH) return `key "${key}" has a name longer than 63 characters`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return `key "${key}" must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric`;
  }
  return undefined;
}

/** Checks a label value; returns a problem description or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > MAX_NAME_LENGTH) return `value "${value}" is longer than 63 characters`;
  if (!LABEL_VALUE.test(value)) {
    return `value "${value}" must be empty or consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric`;
  }
  return undefined;
}

/** Builds one validated requirement (like `labels.NewRequirement`: values sorted, not de-duplicated). */
export function newRequirement(
  key: string,
  operator: SelectorOperator,
  values: string[],
): SelectorRequirement {
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) throw new LabelSelectorError(keyProblem);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        throw new LabelSelectorError(`for 'in', 'notin' operators, values set can't be empty (key "${key}")`);
      }
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (values.length !== 1) {
        throw new LabelSelectorError(`exact-match compatibility requires one single value (key "${key}")`);
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) {
        throw new LabelSelectorError(`values set must be empty for exists and does not exist (key "${key}")`);
      }
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (values.length !== 1 || !INTEGER.test(values[0] ?? '')) {
        throw new LabelSelectorError(
          `for 'Gt', 'Lt' operators, exactly one integer value is required (key "${key}")`,
        );
      }
      break;
  }
  if (operator !== 'GreaterThan' && operator !== 'LessThan') {
    for (const value of values) {
      const problem = labelValueProblem(value);
      if (problem) throw new LabelSelectorError(problem);
    }
  }
  return { key, operator, values: [...values].sort() };
}

function sortRequirements(requirements: SelectorRequirement[]): SelectorRequirement[] {
  return [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

type Token =
  | { kind: 'identifier'; text: string; at: number }
  | { kind: 'symbol'; text: '!' | '!=' | '=' | '==' | '(' | ')' | ',' | '<' | '>'; at: number }
  | { kind: 'end'; at: number };

const SYMBOL_CHARS = new Set(['!', '(', ')', ',', '=', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (SYMBOL_CHARS.has(ch)) {
      const next = input[i + 1];
      if (ch === '!' && next === '=') {
        tokens.push({ kind: 'symbol', text: '!=', at: i });
        i += 2;
      } else if (ch === '=' && next === '=') {
        tokens.push({ kind: 'symbol', text: '==', at: i });
        i += 2;
      } else {
        tokens.push({ kind: 'symbol', text: ch as '!' | '=' | '(' | ')' | ',' | '<' | '>', at: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !/\s/.test(input[i] ?? '') && !SYMBOL_CHARS.has(input[i] ?? '')) i++;
    tokens.push({ kind: 'identifier', text: input.slice(start, i), at: start });
  }
  tokens.push({ kind: 'end', at: input.length });
  return tokens;
}

/**
 * Parses the string form of a selector (`labels.Parse`). The empty string selects everything.
 *
 * @example parseSelector('app=web,tier in (a,b),!canary')
 */
export function parseSelector(input: string): Selector {
  const cached = parsedSelectors.get(input);
  if (cached) return cached;
  const parsed = deepFreeze(parseSelectorUncached(input));
  if (parsedSelectors.size >= PARSED_SELECTOR_CACHE_SIZE) parsedSelectors.clear();
  parsedSelectors.set(input, parsed);
  return parsed;
}

/**
 * Parsed selectors by their text. A tick checks every autoscaler's selector against its namespace's
 * others (upstream's AmbiguousSelector), so the same few hundred strings are parsed thousands of times;
 * parsing is pure and the results are frozen, so sharing them is safe. Errors are not cached.
 */
const PARSED_SELECTOR_CACHE_SIZE = 10_000;
const parsedSelectors = new Map<string, Selector>();

function deepFreeze(selector: Selector): Selector {
  for (const requirement of selector.requirements) {
    Object.freeze(requirement.values);
    Object.freeze(requirement);
  }
  Object.freeze(selector.requirements);
  return Object.freeze(selector);
}

function parseSelectorUncached(input: string): Selector {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { kind: 'end', at: input.length };
  const take = (): Token => {
    const token = peek();
    pos++;
    return token;
  };
  function fail(token: Token, expected: string): never {
    const found = token.kind === 'end' ? 'end of string' : `'${token.text}'`;
    throw new LabelSelectorError(
      `unable to parse selector "${input}": found ${found} at position ${token.at}, expected ${expected}`,
    );
  }
  const isSymbol = (token: Token, text: string): boolean => token.kind === 'symbol' && token.text === text;

  function parseValueSet(): string[] {
    const open = take();
    if (!isSymbol(open, '(')) fail(open, '"("');
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const token = take();
      if (isSymbol(token, ')')) {
        if (expectValue) values.push('');
        return values;
      }
      if (isSymbol(token, ',')) {
        if (expectValue) values.push('');
        expectValue = true;
        continue;
      }
      if (token.kind === 'identifier' && expectValue) {
        values.push(token.text);
        expectValue = false;
        continue;
      }
      fail(token, 'a value, "," or ")"');
    }
  }

  function parseRequirement(): SelectorRequirement {
    const first = take();
    if (isSymbol(first, '!')) {
      const key = take();
      if (key.kind !== 'identifier') fail(key, 'a label key after "!"');
      return newRequirement(key.text, 'DoesNotExist', []);
    }
    if (first.kind !== 'identifier') fail(first, 'a label key or "!"');
    const key = first.text;
    const op = peek();
    if (op.kind === 'end' || isSymbol(op, ',')) return newRequirement(key, 'Exists', []);
    if (op.kind === 'identifier' && (op.text === 'in' || op.text === 'notin')) {
      take();
      return newRequirement(key, op.text === 'in' ? 'In' : 'NotIn', [...new Set(parseValueSet())]);
    }
    const operators: Record<string, SelectorOperator> = {
      '=': 'Equals',
      '==': 'DoubleEquals',
      '!=': 'NotEquals',
      '>': 'GreaterThan',
      '<': 'LessThan',
    };
    const operator = op.kind === 'symbol' ? operators[op.text] : undefined;
    if (operator === undefined) fail(op, 'an operator (=, ==, !=, in, notin, <, >), "," or end of string');
    take();
    const value = peek();
    if (value.kind === 'identifier') {
      take();
      return newRequirement(key, operator, [value.text]);
    }
    const exact = operator === 'Equals' || operator === 'DoubleEquals' || operator === 'NotEquals';
    if (exact && (value.kind === 'end' || isSymbol(value, ','))) return newRequirement(key, operator, ['']);
    fail(value, 'a value');
  }

  const requirements: SelectorRequirement[] = [];
  if (peek().kind === 'end') return { requirements };
  for (;;) {
    requirements.push(parseRequirement());
    const separator = take();
    if (separator.kind === 'end') break;
    if (!isSymbol(separator, ',')) fail(separator, '"," or end of string');
  }
  return { requirements: sortRequirements(requirements) };
}

/**
 * Converts a structured selector (`metav1.LabelSelectorAsSelector`): undefined matches nothing, `{}`
 * matches everything.
 */
export function selectorFromLabelSelector(selector: LabelSelector | undefined | null): Selector {
  if (selector === undefined || selector === null) return { requirements: [], matchesNothing: true };
  const requirements: SelectorRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(newRequirement(key, 'Equals', [value]));
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
      case 'Exists':
      case 'DoesNotExist':
        requirements.push(newRequirement(expression.key, expression.operator, values));
        break;
      default:
        throw new LabelSelectorError(
          `"${String(expression.operator)}" is not a valid label selector operator (key "${expression.key}")`,
        );
    }
  }
  return { requirements: sortRequirements(requirements) };
}

function requirementMatches(
  requirement: SelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'In':
    case 'Equals':
    case 'DoubleEquals':
      return has && requirement.values.includes(value ?? '');
    case 'NotIn':
    case 'NotEquals':
      return !has || !requirement.values.includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      if (!has || !INTEGER.test(value ?? '')) return false;
      const actual = BigInt(value ?? '0');
      const bound = BigInt(requirement.values[0] ?? '0');
      return requirement.operator === 'GreaterThan' ? actual > bound : actual < bound;
    }
  }
}

/** Whether the selector selects an object with these labels. */
export function selectorMatches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  if (selector.matchesNothing) return false;
  return selector.requirements.every((requirement) => requirementMatches(requirement, labels));
}

function requirementToString(requirement: SelectorRequirement): string {
  const { key, values } = requirement;
  switch (requirement.operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'Equals':
      return `${key}=${values[0] ?? ''}`;
    case 'DoubleEquals':
      return `${key}==${values[0] ?? ''}`;
    case 'NotEquals':
      return `${key}!=${values[0] ?? ''}`;
    case 'In':
      return `${key} in (${values.join(',')})`;
    case 'NotIn':
      return `${key} notin (${values.join(',')})`;
    case 'GreaterThan':
      return `${key}>${values[0] ?? ''}`;
    case 'LessThan':
      return `${key}<${values[0] ?? ''}`;
  }
}

/**
 * The canonical string form (`selector.String()`); empty for "everything" and for "nothing". Of a
 * structured selector, this is what the API server writes to `/scale`'s `status.selector` (and what
 * `labelSelector=` query parameters take): `''` for a missing or empty selector.
 *
 * @example selectorToString(selectorFromLabelSelector({ matchLabels: { tier: 'web', app: 'shop' } })) // 'app=shop,tier=web'
 */
export function selectorToString(selector: Selector): string {
  if (selector.matchesNothing) return '';
  return selector.requirements.map(requirementToString).join(',');
}

/**
 * A structured selector in string form, like `metav1.FormatLabelSelector`: `<none>` when it selects
 * everything or nothing, `<error>` when it is invalid.
 *
 * @example formatLabelSelector({ matchLabels: { app: 'web' } }) // 'app=web'
 */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  try {
    const text = selectorToString(selectorFromLabelSelector(selector));
    return text.length === 0 ? '<none>' : text;
  } catch {
    return '<error>';
  }
}
