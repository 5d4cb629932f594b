/**
 * The part of CloudWatch metric math the simulated CloudWatch evaluates: numbers, query Ids, `+ - * /`,
 * unary minus, parentheses and `PERIOD(<id>)` (the metric's period in seconds, as a scalar). Arithmetic on
 * two time series keeps the timestamps both have; a datapoint that is not a finite number (a division by
 * zero) is dropped. Anything else (other functions, SEARCH, Metrics Insights) is refused with the reason,
 * which the simulated CloudWatch turns into `InvalidParameterValue`, as CloudWatch rejects a bad expression.
 */

/** A time series: ascending epoch-ms timestamps and their values, and the period it was built with. */
export interface MathSeries {
  timestamps: number[];
  values: number[];
  periodSeconds: number;
}

export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; series: MathSeries };

/** What an expression may refer to: the series of another query, or why it has none. */
export type ResolveId = (id: string) => MathValue;

export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: '+' | '-' | '*' | '/' | '(' | ')' | ',' };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const rest = expression.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    const c = rest.charAt(0);
    if (c === '+' || c === '-' || c === '*' || c === '/' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'op', value: c });
      i++;
      continue;
    }
    throw new MetricMathError(`unexpected character ${JSON.stringify(c)} at position ${i}`);
  }
  return tokens;
}

function combine(a: MathValue, b: MathValue, op: (x: number, y: number) => number): MathValue {
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: op(a.value, b.value) };
  const out: MathSeries = {
    timestamps: [],
    values: [],
    periodSeconds:
      a.kind === 'series' ? a.series.periodSeconds : (b as { series: MathSeries }).series.periodSeconds,
  };
  const push = (t: number, v: number) => {
    if (!Number.isFinite(v)) return;
    out.timestamps.push(t);
    out.values.push(v);
  };
  if (a.kind === 'series' && b.kind === 'series') {
    const right = new Map(b.series.timestamps.map((t, i) => [t, b.series.values[i] ?? Number.NaN]));
    a.series.timestamps.forEach((t, i) => {
      const y = right.get(t);
      if (y !== undefined) push(t, op(a.series.values[i] ?? Number.NaN, y));
    });
  } else if (a.kind === 'series' && b.kind === 'scalar') {
    a.series.timestamps.forEach((t, i) => {
      push(t, op(a.series.values[i] ?? Number.NaN, b.value));
    });
  } else if (a.kind === 'scalar' && b.kind === 'series') {
    b.series.timestamps.forEach((t, i) => {
      push(t, op(a.value, b.series.values[i] ?? Number.NaN));
    });
  }
  return { kind: 'series', series: out };
}

const OPERATIONS: Record<'+' | '-' | '*' | '/', (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
};

/**
 * Evaluates `expression`, looking Ids up with `resolve`; throws `MetricMathError` for what it cannot
 * evaluate.
 *
 * @example
 * evaluateMetricMath('m1 / PERIOD(m1)', (id) => series[id]); // requests per second from a Sum per minute
 */
export function evaluateMetricMath(expression: string, resolve: ResolveId): MathValue {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (token: Token | undefined, value: string): boolean =>
    token?.kind === 'op' && token.value === value;
  const expect = (value: string): void => {
    if (!isOp(peek(), value)) throw new MetricMathError(`expected "${value}" at token ${position + 1}`);
    position++;
  };

  const primary = (): MathValue => {
    const token = peek();
    if (!token) throw new MetricMathError('unexpected end of the expression');
    position++;
    if (token.kind === 'number') return { kind: 'scalar', value: token.value };
    if (token.kind === 'op') {
      if (token.value !== '(') throw new MetricMathError(`unexpected "${token.value}"`);
      const inner = sum();
      expect(')');
      return inner;
    }
    if (!isOp(peek(), '(')) return resolve(token.value);
    position++;
    const name = token.value.toUpperCase();
    if (name !== 'PERIOD')
      throw new MetricMathError(`the simulated CloudWatch does not implement the function ${token.value}`);
    const argument = peek();
    if (argument?.kind !== 'name') throw new MetricMathError('PERIOD takes the Id of a metric');
    position++;
    expect(')');
    const value = resolve(argument.value);
    if (value.kind !== 'series') throw new MetricMathError(`PERIOD(${argument.value}): not a metric`);
    return { kind: 'scalar', value: value.series.periodSeconds };
  };

  const unary = (): MathValue => {
    if (isOp(peek(), '-')) {
      position++;
      return combine({ kind: 'scalar', value: 0 }, unary(), OPERATIONS['-']);
    }
    return primary();
  };

  const product = (): MathValue => {
    let left = unary();
    for (;;) {
      const token = peek();
      if (!(isOp(token, '*') || isOp(token, '/'))) return left;
      position++;
      left = combine(left, unary(), OPERATIONS[(token as { value: '*' | '/' }).value]);
    }
  };

  const sum = (): MathValue => {
    let left = product();
    for (;;) {
      const token = peek();
      if (!(isOp(token, '+') || isOp(token, '-'))) return left;
      position++;
      left = combine(left, product(), OPERATIONS[(token as { value: '+' | '-' }).value]);
    }
  };

  const result = sum();
  if (position < tokens.length) throw new MetricMathError(`unexpected token ${position + 1}`);
  return result;
}
