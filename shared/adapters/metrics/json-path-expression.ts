/**
 * The JSONPath subset that kube-metrics-adapter's `json-path` collector users write in `json-key`
 * (upstream evaluates them with github.com/spyzhov/ajson):
 *
 *   $                      the document
 *   .name  ['name']  ["name"]  ['a','b']   object members (dot names may hold any character but `.`,
 *                                          `[` and whitespace, so `$.some-metric.value` works)
 *   [0]  [-1]  [0,2]                      array elements (negative counts from the end)
 *   [start:end:step]                      array slices, Python style, every part optional
 *   .*  [*]                               every member of an object or element of an array
 *   ..name  ..*  ..[0]                    the same, applied to the node and all its descendants
 *
 * Filters (`[?(...)]`), script expressions (`[(...)]`) and functions are not supported: compiling
 * them throws a `JsonPathSyntaxError` that names the construct, so a bad `json-key` is reported
 * instead of silently matching nothing.
 *
 * `evaluateJsonPath` returns the matched nodes in document order; what a collector makes of them
 * (one number, or an array to aggregate) is the caller's business.
 */

export class JsonPathSyntaxError extends Error {
  override readonly name = 'JsonPathSyntaxError';
}

export type JsonPathSelector =
  | { kind: 'names'; names: string[] }
  | { kind: 'indices'; indices: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'wildcard' };

export interface JsonPathSegment {
  /** True for `..`: the selector applies to the node and every descendant. */
  descendant: boolean;
  selector: JsonPathSelector;
}

export interface CompiledJsonPath {
  readonly source: string;
  readonly segments: readonly JsonPathSegment[];
}

const DOT_NAME_STOP = /[.[\s]/;

class Scanner {
  position = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }
  peek(offset = 0): string {
    return this.text[this.position + offset] ?? '';
  }
  skipSpaces(): void {
    while (!this.done && /\s/.test(this.peek())) this.position++;
  }
  fail(message: string): never {
    throw new JsonPathSyntaxError(
      `invalid JSONPath ${JSON.stringify(this.text)} at ${this.position}: ${message}`,
    );
  }
  expect(char: string): void {
    if (this.peek() !== char)
      this.fail(`expected "${char}"${this.done ? ' before the end' : `, found "${this.peek()}"`}`);
    this.position++;
  }
}

function readDotName(scanner: Scanner): string {
  const start = scanner.position;
  while (!scanner.done && !DOT_NAME_STOP.test(scanner.peek()) && scanner.peek() !== ']') scanner.position++;
  if (scanner.position === start) scanner.fail('expected a member name');
  return scanner.text.slice(start, scanner.position);
}

function readQuoted(scanner: Scanner): string {
  const quote = scanner.peek();
  scanner.position++;
  let value = '';
  while (true) {
    if (scanner.done) scanner.fail('unterminated quoted name');
    const char = scanner.peek();
    scanner.position++;
    if (char === quote) return value;
    if (char === '\\') {
      if (scanner.done) scanner.fail('unterminated escape');
      const escaped = scanner.peek();
      scanner.position++;
      value += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
    } else {
      value += char;
    }
  }
}

function readInteger(scanner: Scanner): number | undefined {
  scanner.skipSpaces();
  const match = /^-?\d+/.exec(scanner.text.slice(scanner.position));
  if (!match) return undefined;
  scanner.position += match[0].length;
  const value = Number(match[0]);
  if (!Number.isSafeInteger(value)) scanner.fail(`index ${match[0]} is too large`);
  return value;
}

function readBracket(scanner: Scanner): JsonPathSelector {
  scanner.expect('[');
  scanner.skipSpaces();
  const first = scanner.peek();
  let selector: JsonPathSelector;
  if (first === '?' || first === '(') {
    scanner.fail('filter and script expressions are not supported');
  } else if (first === '*') {
    scanner.position++;
    selector = { kind: 'wildcard' };
  } else if (first === "'" || first === '"') {
    const names = [readQuoted(scanner)];
    scanner.skipSpaces();
    while (scanner.peek() === ',') {
      scanner.position++;
      scanner.skipSpaces();
      if (scanner.peek() !== "'" && scanner.peek() !== '"') scanner.fail('expected a quoted name after ","');
      names.push(readQuoted(scanner));
      scanner.skipSpaces();
    }
    selector = { kind: 'names', names };
  } else {
    selector = readIndexOrSlice(scanner);
  }
  scanner.skipSpaces();
  scanner.expect(']');
  return selector;
}

function readIndexOrSlice(scanner: Scanner): JsonPathSelector {
  const first = readInteger(scanner);
  scanner.skipSpaces();
  if (scanner.peek() === ':') {
    const parts: (number | undefined)[] = [first];
    while (scanner.peek() === ':' && parts.length < 3) {
      scanner.position++;
      parts.push(readInteger(scanner));
      scanner.skipSpaces();
    }
    const [start, end, step] = parts;
    if (step === 0) scanner.fail('slice step cannot be 0');
    const slice: JsonPathSelector = { kind: 'slice' };
    if (start !== undefined) slice.start = start;
    if (end !== undefined) slice.end = end;
    if (step !== undefined) slice.step = step;
    return slice;
  }
  if (first === undefined) scanner.fail('expected an index, a slice, "*" or a quoted name');
  const indices = [first];
  while (scanner.peek() === ',') {
    scanner.position++;
    const next = readInteger(scanner);
    if (next === undefined) scanner.fail('expected an index after ","');
    indices.push(next);
    scanner.skipSpaces();
  }
  return { kind: 'indices', indices };
}

/** Parses a JSONPath expression of the supported subset; throws `JsonPathSyntaxError`. */
export function compileJsonPath(expression: string): CompiledJsonPath {
  const source = expression.trim();
  const scanner = new Scanner(source);
  if (scanner.peek() !== '$') scanner.fail('a path starts with "$"');
  scanner.position++;
  const segments: JsonPathSegment[] = [];
  while (!scanner.done) {
    const char = scanner.peek();
    if (char === '.') {
      scanner.position++;
      const descendant = scanner.peek() === '.';
      if (descendant) scanner.position++;
      if (scanner.peek() === '*') {
        scanner.position++;
        segments.push({ descendant, selector: { kind: 'wildcard' } });
      } else if (scanner.peek() === '[') {
        if (!descendant) scanner.fail('"." cannot be followed by "["');
        segments.push({ descendant, selector: readBracket(scanner) });
      } else {
        segments.push({ descendant, selector: { kind: 'names', names: [readDotName(scanner)] } });
      }
    } else if (char === '[') {
      segments.push({ descendant: false, selector: readBracket(scanner) });
    } else {
      scanner.fail(`unexpected "${char}"`);
    }
  }
  return { source, segments };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function normaliseIndex(index: number, length: number): number | undefined {
  const resolved = index < 0 ? length + index : index;
  return resolved >= 0 && resolved < length ? resolved : undefined;
}

function sliceIndices(length: number, selector: { start?: number; end?: number; step?: number }): number[] {
  const step = selector.step ?? 1;
  const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
  const bound = (value: number | undefined, fallback: number, low: number, high: number) =>
    value === undefined ? fallback : clamp(value < 0 ? length + value : value, low, high);
  const out: number[] = [];
  if (step > 0) {
    const start = bound(selector.start, 0, 0, length);
    const end = bound(selector.end, length, 0, length);
    for (let i = start; i < end; i += step) out.push(i);
  } else {
    const start = bound(selector.start, length - 1, -1, length - 1);
    const end = bound(selector.end, -1, -1, length - 1);
    for (let i = start; i > end; i += step) out.push(i);
  }
  return out;
}

function select(node: unknown, selector: JsonPathSelector, out: unknown[]): void {
  switch (selector.kind) {
    case 'names':
      if (isObject(node)) {
        for (const name of selector.names) if (Object.hasOwn(node, name)) out.push(node[name]);
      }
      return;
    case 'indices':
      if (Array.isArray(node)) {
        for (const index of selector.indices) {
          const resolved = normaliseIndex(index, node.length);
          if (resolved !== undefined) out.push(node[resolved]);
        }
      }
      return;
    case 'slice':
      if (Array.isArray(node)) for (const i of sliceIndices(node.length, selector)) out.push(node[i]);
      return;
    case 'wildcard':
      if (Array.isArray(node)) out.push(...node);
      else if (isObject(node)) out.push(...Object.values(node));
      return;
  }
}

function selectDescendants(node: unknown, selector: JsonPathSelector, out: unknown[]): void {
  select(node, selector, out);
  const children = Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
  for (const child of children) selectDescendants(child, selector, out);
}

/** The nodes `path` selects in `document` (a parsed JSON value), in document order. */
export function evaluateJsonPath(path: CompiledJsonPath, document: unknown): unknown[] {
  let nodes: unknown[] = [document];
  for (const segment of path.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (segment.descendant) selectDescendants(node, segment.selector, next);
      else select(node, segment.selector, next);
    }
    nodes = next;
  }
  return nodes;
}
