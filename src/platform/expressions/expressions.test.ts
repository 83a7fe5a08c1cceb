import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asMoney, compileExpression, ExpressionError, isTrue, type Scope, type Value } from './index.ts';

const evaluate = (source: string, scope: Scope = {}): Value => compileExpression(source).evaluate(scope);
const text = (source: string, scope: Scope = {}): string => String(evaluate(source, scope));

function refused(source: string, message: RegExp, scope?: Scope): void {
  assert.throws(() => (scope ? evaluate(source, scope) : compileExpression(source)), (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `${source}: ${String(err)}`);
    assert.match(err.message, message, source);
    return true;
  });
}

describe('numbers are exact decimals', () => {
  it('0.1 + 0.2 is 0.3, not 0.30000000000000004', () => {
    assert.equal(text('0.1 + 0.2'), '0.3');
    assert.equal(isTrue(evaluate('0.1 + 0.2 == 0.3')), true);
  });

  it('a rate times an area keeps every digit, from answers given as text or numbers', () => {
    assert.equal(text('rate * area', { rate: '0.07', area: '1234.56' }), '86.4192');
    assert.equal(text('rate * area', { rate: 1.1, area: 3 }), '3.3');
  });

  it('money rounds half up to the currency’s decimals, where floats would round 2.675 down', () => {
    assert.equal(asMoney(evaluate('2.675'), 2, '2.675'), '2.68');
    assert.equal(asMoney(evaluate('10 / 3'), 2, '10 / 3'), '3.33');
    assert.equal(asMoney(evaluate('1500.5'), 0, '1500.5'), '1501');
    assert.equal(asMoney(evaluate('7'), 2, '7'), '7.00');
    assert.equal(text('round(2.5)'), '3');
    assert.equal(text('round(1.005, 2)'), '1.01');
    assert.equal(text('ceil(2.1) + floor(2.9) + abs(-1)'), '6');
  });

  it('an amount cannot be negative, and division by zero is an error, not Infinity', () => {
    assert.throws(() => asMoney(evaluate('0 - 5'), 0, '0 - 5'), /cannot be negative/);
    refused('area / 0', /division by zero/, { area: 10 });
    refused('area % 0', /division by zero/, { area: 10 });
  });
});

describe('fee tables', () => {
  const tables = { zoneRate: { R1: '150', R2: 200, C1: '300.5' } };

  it('lookup(table, key) reads a row, and a default covers a missing one', () => {
    assert.equal(text('lookup(zoneRate, zone) * floorArea', { ...tables, zone: 'C1', floorArea: '100' }), '30050');
    assert.equal(text('lookup(zoneRate, zone) * 2', { ...tables, zone: 'R2' }), '400');
    assert.equal(text("lookup(zoneRate, 'X9', 0)", tables), '0');
  });

  it('a missing row names the key; a missing table is refused', () => {
    refused("lookup(zoneRate, 'X9')", /no row "X9"/, tables);
    refused("lookup(zone, 'R1')", /must be a table/, { zone: 'R1' });
  });

  it('max() gives a minimum charge', () => {
    const fee = 'max(lookup(zoneRate, zone) * floorArea, 20000)';
    assert.equal(text(fee, { ...tables, zone: 'R1', floorArea: '10' }), '20000');
    assert.equal(text(fee, { ...tables, zone: 'R1', floorArea: '1000' }), '150000');
  });
});

describe('conditions', () => {
  it('the conditional operator picks a branch', () => {
    assert.equal(text('area > 200 ? 5000 : 0', { area: '250.5' }), '5000');
    assert.equal(text('area > 200 ? 5000 : 0', { area: '199' }), '0');
  });

  it('&&, || and ! combine answers; an empty answer is false', () => {
    assert.equal(evaluate("category == 'restaurant' && seats > 50", { category: 'restaurant', seats: 80 }), true);
    assert.equal(evaluate("category == 'restaurant' || !licensed", { category: 'retail', licensed: false }), true);
    assert.equal(isTrue(evaluate('seats', {})), false);
    assert.equal(isTrue(evaluate("''")), false);
  });

  it('oneOf, contains, len and empty', () => {
    assert.equal(evaluate("oneOf(zone, 'R1', 'R2')", { zone: 'R2' }), true);
    assert.equal(evaluate("contains(checks, 'plans-signed')", { checks: ['deed', 'plans-signed'] }), true);
    assert.equal(evaluate("contains(name, 'port')", { name: 'Café du port' }), true);
    assert.equal(text('len(checks)', { checks: ['a', 'b'] }), '2');
    assert.equal(evaluate('empty(note)', { note: '' }), true);
    assert.equal(evaluate('empty(note)', {}), true);
  });

  it('nested answers are read by dotted names; names the data lacks are empty', () => {
    assert.equal(text('plot.area * 2', { plot: { area: '12.5' } }), '25');
    assert.equal(evaluate('plot.owner.name', { plot: {} }), null);
  });
});

describe('comparing answers given as text', () => {
  it('two decimal answers compare as numbers: 9 is less than 10', () => {
    assert.equal(evaluate('footprint < plotArea', { footprint: '9', plotArea: '10' }), true);
    assert.equal(evaluate('footprint > plotArea', { footprint: '250.5', plotArea: '1000' }), false);
    assert.equal(evaluate("'9' < '10'"), true);
  });

  it('two decimal answers add up; text joins text', () => {
    assert.equal(text('plotArea + floorArea', { plotArea: '600', floorArea: '240.5' }), '840.5');
    assert.equal(text("'Plot ' + parcel", { parcel: 'DJ-104-2231' }), 'Plot DJ-104-2231');
    refused('plotArea + extra', /extra is empty/, { plotArea: '600' });
  });

  it('a number and a numeric answer are equal when their values are', () => {
    assert.equal(evaluate('area == 250.50', { area: '250.5' }), true);
    assert.equal(evaluate('floors >= 2', { floors: '2' }), true);
  });

  it('words and dates still compare as text', () => {
    assert.equal(evaluate("zone < 'R2'", { zone: 'R1' }), true);
    assert.equal(evaluate('start < end', { start: '2026-01-31', end: '2026-02-01' }), true);
  });

  it('a word is not a number', () => {
    refused('area > 5', /area is not a number/, { area: 'large' });
  });
});

describe('empty answers are named in errors', () => {
  it('arithmetic names the empty field', () => {
    refused('lookup(zoneRate, zone) * floorArea', /floorArea is empty/, { zoneRate: { R1: 1 }, zone: 'R1' });
    refused('plot.area + 1', /plot\.area is empty/, { plot: {} });
    refused('-discount', /discount is empty/, {});
  });

  it('comparisons name the empty field', () => {
    refused('floors > 2', /floors is empty/, {});
  });

  it('functions name their empty argument', () => {
    refused('round(amount)', /the argument of round is empty/, {});
    refused('max(a, b)', /argument 2 of max is empty/, { a: 1 });
  });
});

describe('only the whitelist is accepted', () => {
  const outside: [string, RegExp][] = [
    ['plot.toString()', /unknown function/],
    ["name.constructor('return process')()", /unknown function/],
    ['constructor', /"constructor" cannot be read/],
    ['plot.constructor', /cannot be read/],
    ['__proto__', /cannot be read/],
    ['plot.__proto__.polluted', /cannot be read/],
    ["plot['__proto__']", /cannot be read/],
    ['plot.prototype', /cannot be read/],
    ['plot[key]', /only plain names/],
    ['area = 5', /cannot read the expression/],
    ['this', /ThisExpression is not supported/],
    ['this.area', /only plain names/],
    ['eval("1")', /unknown function; use one of min, max/],
    ['require("fs")', /unknown function/],
    ['fetch(url)', /unknown function/],
    ['a | b', /operator \| is not supported/],
    ['a & b', /operator & is not supported/],
    ['a ^ b', /operator \^ is not supported/],
    ['a << 2', /operator << is not supported/],
    ['a >>> 2', /operator >>> is not supported/],
    ['~a', /operator ~ is not supported/],
    ['a ** 2', /operator \*\* is not supported/],
    ['a === b', /operator === is not supported/],
    ['a ?? b', /operator \?\? is not supported/],
    ['a, b', /one expression only/],
    ['a; b', /one expression only/],
    ['(a, b)', /SequenceExpression is not supported/],
    ['x => x', /cannot read the expression/],
    ['`template`', /cannot read the expression/],
    ['/re/', /cannot read the expression/],
    ['{ a: 1 }', /cannot read the expression/],
  ];
  for (const [source, message] of outside) {
    it(`refuses ${source}`, () => refused(source, message));
  }

  it('refuses, before it ever runs, a function called with the wrong number of arguments', () => {
    refused('min()', /min\(\) takes at least 1 argument/);
    refused('max()', /max\(\) takes at least 1 argument/);
    refused('lookup(rates)', /lookup\(\) takes 2 to 3 arguments/);
    refused('contains(a, b, c)', /contains\(\) takes 2 arguments/);
    refused('abs(1, 2)', /abs\(\) takes 1 argument/);
  });

  it('refuses arguments that would crash the decimal library', () => {
    refused('round(1.5, 0 - 1)', /places of round must be a whole number/, {});
    refused('round(1.5, 0.5)', /places of round must be a whole number/, {});
  });

  it('reports what an expression reads and calls, so definitions can be checked before use', () => {
    const expr = compileExpression("max(lookup(zoneRate, zone) * plot.area, 100) + (urgent ? 10 : 0)");
    assert.deepEqual(expr.references.sort(), ['plot.area', 'urgent', 'zone', 'zoneRate']);
    assert.deepEqual(expr.functions.sort(), ['lookup', 'max']);
  });

  it('reads no property of anything but the data, whatever the scope holds', () => {
    assert.equal(evaluate('toString', {}), null);
    assert.equal(evaluate('hasOwnProperty', { a: 1 }), null);
    assert.equal(evaluate('list.length', { list: [1, 2, 3] }), null);
  });
});

describe('limits', () => {
  it('refuses an expression longer than 2000 characters', () => {
    refused(`a${' + a'.repeat(500)}`, /at most 2000 characters/);
  });

  it('refuses nesting deeper than 40 levels', () => {
    refused(Array.from({ length: 45 }, () => 'a').join(' + '), /nested too deeply/);
    refused(`${'-'.repeat(45)}a`, /nested too deeply/);
    refused(`${'max('.repeat(45)}1${')'.repeat(45)}`, /nested too deeply/);
  });

  it('accepts nesting within the limit', () => {
    assert.equal(text(Array.from({ length: 30 }, () => '1').join(' + ')), '30');
  });
});
