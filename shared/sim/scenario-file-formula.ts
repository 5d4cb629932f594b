/**
 * The formula language of scenario traces: a load written as arithmetic over the time, e.g.
 * `120 + 80 * max(0, sin(pi * (hour - 6) / 14))`. It is parsed by hand into a tree of closures, never
 * handed to `eval` or `Function`: a scenario file is data, and a formula can do nothing but compute a
 * number. Everything outside this grammar is refused with the column where it went wrong.
 *
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/") unary)*
 *   unary      := ("+" | "-") unary | primary
 *   primary    := number | variable | constant | function "(" expression ("," expression)* ")"
 *               | "(" expression ")"
 *
 * Variables: `t` (hours since the scenario start), `hour` (local hour of day, 0 ≤ hour < 24, fractional),
 * `day` (whole days since the start). Constants: `pi`, `e`. Functions: see FORMULA_FUNCTIONS.
 */

/** What a formula reads at an instant. */
export interface FormulaVariables {
  /** Hours since the scenario start. */
  t: number;
  /** Local hour of day, 0 ≤ hour < 24. */
  hour: number;
  /** Whole days since the scenario start. */
  day: number;
}

export type Formula = (variables: FormulaVariables) => number;

export class FormulaError extends Error {
  override readonly name = 'FormulaError';
  constructor(
    message: string,
    /** 1-based column of the offending character. */
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
  }
}

/** Formulas longer than this are refused: a trace is a shape, not a program. */
export const MAX_FORMULA_LENGTH = 2000;
/** Deeper nesting is refused, so a hostile file cannot exhaust the parser's stack. */
const MAX_DEPTH = 64;

const VARIABLES: readonly (keyof FormulaVariables)[] = ['t', 'hour', 'day'];
const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  apply: (args: number[]) => number;
}

const unary = (apply: (x: number) => number): FunctionSpec => ({
  minArgs: 1,
  maxArgs: 1,
  apply: (args) => apply(args[0] as number),
});

export const FORMULA_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  min: { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, apply: (args) => Math.min(...args) },
  max: { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, apply: (args) => Math.max(...args) },
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  exp: unary(Math.exp),
  abs: unary(Math.abs),
  sqrt: unary(Math.sqrt),
  floor: unary(Math.floor),
  pow: { minArgs: 2, maxArgs: 2, apply: (args) => (args[0] as number) ** (args[1] as number) },
};

type TokenKind = 'number' | 'name' | 'op' | 'open' | 'close' | 'comma' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based column. */
  column: number;
}

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    const column = i + 1;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      i++;
      continue;
    }
    const rest = source.slice(i);
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], column });
      i += number[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], column });
      i += name[0].length;
      continue;
    }
    if ('+-*/'.includes(char)) tokens.push({ kind: 'op', text: char, column });
    else if (char === '(') tokens.push({ kind: 'open', text: char, column });
    else if (char === ')') tokens.push({ kind: 'close', text: char, column });
    else if (char === ',') tokens.push({ kind: 'comma', text: char, column });
    else throw new FormulaError(`unexpected ${JSON.stringify(char)}`, column);
    i++;
  }
  tokens.push({ kind: 'end', text: '', column: source.length + 1 });
  return tokens;
}

function describeToken(token: Token): string {
  return token.kind === 'end' ? 'the end of the formula' : JSON.stringify(token.text);
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Formula {
    const formula = this.expression();
    const next = this.peek();
    if (next.kind !== 'end') throw new FormulaError(`unexpected ${describeToken(next)}`, next.column);
    return formula;
  }

  private peek(): Token {
    return this.tokens[this.position] as Token;
  }

  private take(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }

  private nested<T>(column: number, parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new FormulaError(`nested deeper than ${MAX_DEPTH} levels`, column);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expression(): Formula {
    let left = this.term();
    for (;;) {
      const op = this.peek();
      if (op.kind !== 'op' || (op.text !== '+' && op.text !== '-')) return left;
      this.take();
      const a = left;
      const b = this.term();
      left = op.text === '+' ? (v) => a(v) + b(v) : (v) => a(v) - b(v);
    }
  }

  private term(): Formula {
    let left = this.unary();
    for (;;) {
      const op = this.peek();
      if (op.kind !== 'op' || (op.text !== '*' && op.text !== '/')) return left;
      this.take();
      const a = left;
      const b = this.unary();
      left = op.text === '*' ? (v) => a(v) * b(v) : (v) => a(v) / b(v);
    }
  }

  private unary(): Formula {
    const op = this.peek();
    if (op.kind === 'op' && (op.text === '-' || op.text === '+')) {
      this.take();
      const operand = this.nested(op.column, () => this.unary());
      return op.text === '-' ? (v) => -operand(v) : operand;
    }
    return this.primary();
  }

  private primary(): Formula {
    const token = this.take();
    if (token.kind === 'number') {
      const value = Number(token.text);
      return () => value;
    }
    if (token.kind === 'open') {
      const inner = this.nested(token.column, () => this.expression());
      this.expect('close', token);
      return inner;
    }
    if (token.kind === 'name') return this.name(token);
    throw new FormulaError(
      `expected a number, a name or "(" but found ${describeToken(token)}`,
      token.column,
    );
  }

  private name(token: Token): Formula {
    const name = token.text;
    const fn = Object.hasOwn(FORMULA_FUNCTIONS, name) ? FORMULA_FUNCTIONS[name] : undefined;
    if (this.peek().kind === 'open') {
      if (!fn)
        throw new FormulaError(`unknown function "${name}" (functions: ${functionNames()})`, token.column);
      const open = this.take();
      const args = this.nested(open.column, () => this.arguments(open));
      if (args.length < fn.minArgs || args.length > fn.maxArgs) {
        const wanted =
          fn.minArgs === fn.maxArgs
            ? `${fn.minArgs} argument${fn.minArgs === 1 ? '' : 's'}`
            : `at least ${fn.minArgs} argument${fn.minArgs === 1 ? '' : 's'}`;
        throw new FormulaError(`"${name}" takes ${wanted}, got ${args.length}`, token.column);
      }
      return (v) => fn.apply(args.map((arg) => arg(v)));
    }
    if (fn) throw new FormulaError(`"${name}" is a function: call it as ${name}(...)`, token.column);
    if ((VARIABLES as readonly string[]).includes(name)) {
      const variable = name as keyof FormulaVariables;
      return (v) => v[variable];
    }
    if (Object.hasOwn(CONSTANTS, name)) {
      const value = CONSTANTS[name] as number;
      return () => value;
    }
    throw new FormulaError(
      `unknown name "${name}" (variables: ${VARIABLES.join(', ')}; constants: ${Object.keys(CONSTANTS).join(', ')})`,
      token.column,
    );
  }

  private arguments(open: Token): Formula[] {
    const args = [this.expression()];
    while (this.peek().kind === 'comma') {
      this.take();
      args.push(this.expression());
    }
    this.expect('close', open);
    return args;
  }

  private expect(kind: TokenKind, opening: Token): void {
    const token = this.take();
    if (token.kind !== kind) {
      throw new FormulaError(
        `expected ")" to close the "(" at column ${opening.column} but found ${describeToken(token)}`,
        token.column,
      );
    }
  }
}

function functionNames(): string {
  return Object.keys(FORMULA_FUNCTIONS).join(', ');
}

/**
 * Parses a formula into a function of the time variables; throws `FormulaError` for anything outside the
 * grammar. The function may return NaN or ±Infinity (`sqrt(-1)`, `1 / 0`): the caller checks its values.
 *
 * @example parseFormula('100 + 50 * sin(pi * hour / 12)')({ t: 0, hour: 6, day: 0 }) // 150
 */
export function parseFormula(source: string): Formula {
  if (source.length > MAX_FORMULA_LENGTH) {
    throw new FormulaError(`longer than ${MAX_FORMULA_LENGTH} characters`, MAX_FORMULA_LENGTH + 1);
  }
  const tokens = tokenize(source);
  if (tokens.length === 1) throw new FormulaError('empty formula', 1);
  return new Parser(tokens).parse();
}
