import { Decimal } from 'decimal.js';
import jsep from 'jsep';

/**
 * The small expression language of service definitions: fee formulas (`area * rate`), guards
 * and conditions (`category == 'retail' && floors > 2`). jsep parses; this module evaluates a
 * whitelisted subset of the tree over plain data only. There is no `eval`, no property of
 * anything but the data given, and every number is a decimal, so money is exact.
 *
 * Values: decimals, strings, booleans, null, lists and records (tables). A name that the data
 * lacks is null; arithmetic on null is an error that names the empty value.
 */
export type Value = Decimal | string | boolean | null | Value[] | { [key: string]: Value };
export type Scope = Record<string, unknown>;

export class ExpressionError extends Error {
  constructor(message: string, readonly source: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export interface Expression {
  source: string;
  /** Dotted paths the expression reads, e.g. `plot.area`, `category`. */
  references: string[];
  /** Functions it calls. */
  functions: string[];
  evaluate(scope: Scope): Value;
}

const MAX_SOURCE = 2000;
const MAX_DEPTH = 40;
const BINARY = new Set(['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||']);
const UNARY = new Set(['!', '-', '+']);

type Fn = (args: Value[], source: string) => Value;

/** How decimal form answers arrive: as text, e.g. "250.5". */
const NUMERIC = /^-?\d+(\.\d+)?$/;

const isText = (v: Value): boolean => typeof v === 'string' && !NUMERIC.test(v);

const num = (v: Value, what: string, source: string): Decimal => {
  if (Decimal.isDecimal(v)) return v as Decimal;
  if (v === null) throw new ExpressionError(`${what} is empty`, source);
  if (typeof v === 'string' && NUMERIC.test(v)) return new Decimal(v);
  throw new ExpressionError(`${what} is not a number`, source);
};

const places = (v: Value, source: string): number => {
  const n = num(v, 'the places of round', source);
  if (!n.isInteger() || n.isNegative() || n.gt(20)) throw new ExpressionError('the places of round must be a whole number from 0 to 20', source);
  return n.toNumber();
};

const FUNCTIONS: Record<string, Fn> = {
  min: (args, s) => Decimal.min(...args.map((a, i) => num(a, `argument ${i + 1} of min`, s))),
  max: (args, s) => Decimal.max(...args.map((a, i) => num(a, `argument ${i + 1} of max`, s))),
  abs: ([a = null], s) => num(a, 'the argument of abs', s).abs(),
  round: ([a = null, digits = new Decimal(0)], s) => num(a, 'the argument of round', s).toDecimalPlaces(places(digits, s), Decimal.ROUND_HALF_UP),
  ceil: ([a = null], s) => num(a, 'the argument of ceil', s).ceil(),
  floor: ([a = null], s) => num(a, 'the argument of floor', s).floor(),
  /** lookup(table, key[, default]): a row of a fee table. */
  lookup: ([table = null, key = null, fallback], s) => {
    if (table === null || typeof table !== 'object' || Array.isArray(table) || Decimal.isDecimal(table)) throw new ExpressionError('the first argument of lookup must be a table', s);
    const k = Decimal.isDecimal(key) ? (key as Decimal).toString() : String(key);
    if (Object.hasOwn(table, k)) return (table as Record<string, Value>)[k]!;
    if (fallback !== undefined) return fallback;
    throw new ExpressionError(`the table has no row "${k}"`, s);
  },
  /** oneOf(x, a, b, …): whether x equals one of the values. */
  oneOf: ([x = null, ...options]) => options.some((o) => equal(x, o)),
  contains: ([list = null, x = null]) => (Array.isArray(list) ? list.some((item) => equal(item, x)) : typeof list === 'string' && typeof x === 'string' ? list.includes(x) : false),
  len: ([x = null]) => new Decimal(Array.isArray(x) || typeof x === 'string' ? x.length : 0),
  empty: ([x = null]) => x === null || x === '' || (Array.isArray(x) && x.length === 0),
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

/** How many arguments each function takes, checked when a definition is published, not when it runs. */
const ARITY: Record<string, [number, number]> = {
  min: [1, Infinity],
  max: [1, Infinity],
  abs: [1, 1],
  round: [1, 2],
  ceil: [1, 1],
  floor: [1, 1],
  lookup: [2, 3],
  oneOf: [2, Infinity],
  contains: [2, 2],
  len: [1, 1],
  empty: [1, 1],
};

function equal(a: Value, b: Value): boolean {
  if (Decimal.isDecimal(a) && Decimal.isDecimal(b)) return (a as Decimal).eq(b as Decimal);
  if (Decimal.isDecimal(a) && typeof b === 'string') return NUMERIC.test(b) && (a as Decimal).eq(b);
  if (Decimal.isDecimal(b) && typeof a === 'string') return equal(b, a);
  return a === b;
}

/** Data from forms and tables as expression values: numbers become decimals, nothing else gets in. */
export function toValue(data: unknown, depth = 0): Value {
  if (depth > 20) return null;
  if (data === null || data === undefined) return null;
  if (typeof data === 'number') return Number.isFinite(data) ? new Decimal(data) : null;
  if (typeof data === 'bigint') return new Decimal(data.toString());
  if (typeof data === 'string' || typeof data === 'boolean') return data;
  if (Decimal.isDecimal(data)) return data as Decimal;
  if (Array.isArray(data)) return data.map((d) => toValue(d, depth + 1));
  if (typeof data === 'object') {
    const out: Record<string, Value> = Object.create(null);
    for (const [k, v] of Object.entries(data as object)) out[k] = toValue(v, depth + 1);
    return out;
  }
  return null;
}

function compare(op: string, a: Value, b: Value, names: [string, string], source: string): boolean {
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  let c: number;
  // Two decimal answers are numbers, not words: '9' < '10'.
  if (typeof a === 'string' && typeof b === 'string' && (isText(a) || isText(b))) c = a < b ? -1 : a > b ? 1 : 0;
  else c = num(a, names[0], source).cmp(num(b, names[1], source));
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function truthy(v: Value): boolean {
  if (Decimal.isDecimal(v)) return !(v as Decimal).isZero();
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && v !== false && v !== '';
}

function pathOf(node: jsep.Expression): string | null {
  if (node.type === 'Identifier') return (node as jsep.Identifier).name;
  if (node.type === 'MemberExpression') {
    const m = node as jsep.MemberExpression;
    const base = pathOf(m.object);
    if (base === null) return null;
    if (!m.computed) return `${base}.${(m.property as jsep.Identifier).name}`;
    if (m.property.type === 'Literal') return `${base}.${String((m.property as jsep.Literal).value)}`;
  }
  return null;
}

/** An operand as an error names it: the value it reads (`floorArea is empty`), else its place. */
function nameOf(node: jsep.Expression, place: string): string {
  return pathOf(node) ?? place;
}

function check(node: jsep.Expression, source: string, depth: number, refs: Set<string>, fns: Set<string>): void {
  if (depth > MAX_DEPTH) throw new ExpressionError('the expression is nested too deeply', source);
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      if (!(typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null)) throw new ExpressionError('unsupported literal', source);
      return;
    }
    case 'Identifier':
    case 'MemberExpression': {
      const path = pathOf(node);
      if (path === null) throw new ExpressionError('only plain names like plot.area can be read', source);
      if (path.split('.').some((part) => part === '__proto__' || part === 'constructor' || part === 'prototype')) throw new ExpressionError(`"${path}" cannot be read`, source);
      refs.add(path);
      return;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (!BINARY.has(b.operator)) throw new ExpressionError(`the operator ${b.operator} is not supported`, source);
      check(b.left, source, depth + 1, refs, fns);
      check(b.right, source, depth + 1, refs, fns);
      return;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (!UNARY.has(u.operator)) throw new ExpressionError(`the operator ${u.operator} is not supported`, source);
      check(u.argument, source, depth + 1, refs, fns);
      return;
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      for (const part of [c.test, c.consequent, c.alternate]) check(part, source, depth + 1, refs, fns);
      return;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      if (call.callee.type !== 'Identifier' || !Object.hasOwn(FUNCTIONS, (call.callee as jsep.Identifier).name)) {
        throw new ExpressionError(`unknown function; use one of ${FUNCTION_NAMES.join(', ')}`, source);
      }
      const name = (call.callee as jsep.Identifier).name;
      const [least, most] = ARITY[name]!;
      if (call.arguments.length < least || call.arguments.length > most) {
        throw new ExpressionError(`${name}() takes ${least === most ? least : most === Infinity ? `at least ${least}` : `${least} to ${most}`} argument${most === 1 ? '' : 's'}`, source);
      }
      fns.add(name);
      for (const arg of call.arguments) check(arg, source, depth + 1, refs, fns);
      return;
    }
    case 'ArrayExpression':
      for (const el of (node as jsep.ArrayExpression).elements) if (el) check(el, source, depth + 1, refs, fns);
      return;
    default:
      throw new ExpressionError(`${node.type} is not supported in expressions`, source);
  }
}

function lookupPath(scope: Record<string, Value>, path: string): Value {
  let current: Value = scope;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Decimal.isDecimal(current)) return null;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(part)) return null;
      current = current[Number(part)] ?? null;
    } else {
      current = Object.hasOwn(current, part) ? (current as Record<string, Value>)[part]! : null;
    }
  }
  return current;
}

function run(node: jsep.Expression, scope: Record<string, Value>, source: string): Value {
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      // jsep reads numbers as floats; its raw text keeps the digits exactly.
      return typeof value === 'number' ? new Decimal((node as jsep.Literal).raw) : (value as Value);
    }
    case 'Identifier':
    case 'MemberExpression':
      return lookupPath(scope, pathOf(node)!);
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = run(u.argument, scope, source);
      if (u.operator === '!') return !truthy(v);
      const n = num(v, nameOf(u.argument, `the value after ${u.operator}`), source);
      return u.operator === '-' ? n.neg() : n;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (b.operator === '&&') return truthy(run(b.left, scope, source)) && truthy(run(b.right, scope, source));
      if (b.operator === '||') return truthy(run(b.left, scope, source)) || truthy(run(b.right, scope, source));
      const left = run(b.left, scope, source);
      const right = run(b.right, scope, source);
      const names: [string, string] = [nameOf(b.left, `the left side of ${b.operator}`), nameOf(b.right, `the right side of ${b.operator}`)];
      if (['==', '!=', '<', '<=', '>', '>='].includes(b.operator)) return compare(b.operator, left, right, names, source);
      // Text joins text; decimal answers (numeric text) add up like the numbers they are.
      if (b.operator === '+' && (isText(left) || isText(right)) && !Decimal.isDecimal(left) && !Decimal.isDecimal(right)) return `${left ?? ''}${right ?? ''}`;
      const l = num(left, names[0], source);
      const r = num(right, names[1], source);
      switch (b.operator) {
        case '+': return l.plus(r);
        case '-': return l.minus(r);
        case '*': return l.times(r);
        case '/':
          if (r.isZero()) throw new ExpressionError('division by zero', source);
          return l.dividedBy(r);
        default:
          if (r.isZero()) throw new ExpressionError('division by zero', source);
          return l.modulo(r);
      }
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return truthy(run(c.test, scope, source)) ? run(c.consequent, scope, source) : run(c.alternate, scope, source);
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const fn = FUNCTIONS[(call.callee as jsep.Identifier).name]!;
      return fn(call.arguments.map((a) => run(a, scope, source)), source);
    }
    case 'ArrayExpression':
      return (node as jsep.ArrayExpression).elements.map((el) => (el ? run(el, scope, source) : null));
    default:
      throw new ExpressionError(`${node.type} is not supported`, source);
  }
}

/** Parse and check an expression once; evaluate it as often as needed. */
export function compileExpression(source: string): Expression {
  if (source.length > MAX_SOURCE) throw new ExpressionError(`an expression may be at most ${MAX_SOURCE} characters`, source);
  let ast: jsep.Expression;
  try {
    ast = jsep(source);
  } catch (err) {
    throw new ExpressionError(`cannot read the expression: ${(err as Error).message}`, source);
  }
  if (ast.type === 'Compound') throw new ExpressionError('one expression only (no ";" or ",")', source);
  const refs = new Set<string>();
  const fns = new Set<string>();
  check(ast, source, 0, refs, fns);
  return {
    source,
    references: [...refs],
    functions: [...fns],
    evaluate(scope) {
      return run(ast, toValue(scope) as Record<string, Value>, source);
    },
  };
}

export function isTrue(value: Value): boolean {
  return truthy(value);
}

/** A decimal result as a fixed-point string for money (never a float). */
export function asMoney(value: Value, decimals: number, source: string): string {
  const n = num(value, 'the amount', source);
  if (n.isNegative()) throw new ExpressionError('an amount cannot be negative', source);
  return n.toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP).toFixed(decimals);
}
