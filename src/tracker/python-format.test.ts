import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { pyFloatRepr, pyJsonString, pyRound, toPythonJson } from './python-format.js';

const python = (code: string, input: unknown): unknown =>
  JSON.parse(
    execFileSync('python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' }),
  );

describe('pyFloatRepr', () => {
  it('prints floats as Python repr does', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(0.5)).toBe('0.5');
    expect(pyFloatRepr(2 / 3)).toBe('0.6666666666666666');
    expect(pyFloatRepr(5 / 6)).toBe('0.8333333333333334');
    expect(pyFloatRepr(-0.5)).toBe('-0.5');
    expect(pyFloatRepr(0)).toBe('0.0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(123456789012345.6)).toBe('123456789012345.6');
    expect(pyFloatRepr(1.5e-7)).toBe('1.5e-07');
    expect(pyFloatRepr(1e300)).toBe('1e+300');
  });

  it('agrees with python3 on a spread of values', () => {
    const values = [
      3,
      0.1,
      0.30000000000000004,
      1 / 3,
      12345.678,
      1e15,
      9.999e15,
      2.5e-5,
      7e22,
      -1.25e-10,
      100,
    ];
    const expected = python(
      'import json,sys; print(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))',
      values,
    );
    expect(values.map(pyFloatRepr)).toEqual(expected);
  });
});

describe('pyRound', () => {
  it('rounds the exact binary value, ties to even, as round(x, 2)', () => {
    const values = [2 / 3, 0.125, 0.375, 0.005, 1.005, 0.665, 0.675, 1 / 8, 5 / 8, 0.994999, 1, 0];
    const expected = python(
      'import json,sys; print(json.dumps([round(x, 2) for x in json.load(sys.stdin)]))',
      values,
    );
    expect(values.map((v) => pyRound(v, 2))).toEqual(expected);
    expect(pyRound(0.125, 2)).toBe(0.12);
    expect(pyRound(2 / 3, 2)).toBe(0.67);
  });
});

describe('toPythonJson', () => {
  it('writes what json.dumps writes', () => {
    const value = {
      text: 'caf\u00e9 \u2019quoted\u2019 "x" \\ \n\t\u0001\u007f \ud83d\ude00',
      list: [1, 2.5, true, null, 'a'],
      nested: { 'k\u00e9y': { deep: -0.5 } },
    };
    const expected = python(
      'import json,sys; print(json.dumps(json.dumps(json.load(sys.stdin))))',
      value,
    );
    expect(toPythonJson(value, 'value')).toBe(expected);
  });

  it('escapes lone surrogates in a string literal, and refuses them in stored JSON', () => {
    expect(pyJsonString('a\ud800b')).toBe('"a\\ud800b"');
    expect(() => toPythonJson({ s: '\udfff' }, 'v')).toThrow(
      expect.objectContaining({ code: 'E_NOT_SERIALIZABLE', path: 'v.s' }),
    );
  });

  it('refuses what JSON cannot hold, naming where it is', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const cases: [unknown, string][] = [
      [{ a: 1n }, 'data.a'],
      [{ a: { b: NaN } }, 'data.a.b'],
      [{ a: Infinity }, 'data.a'],
      [{ f: () => 1 }, 'data.f'],
      [cyclic, 'data.self'],
      [{ m: new Map() }, 'data.m'],
      [{ l: [1, undefined] }, 'data.l[1]'],
    ];
    for (const [value, path] of cases) {
      let error: unknown;
      try {
        toPythonJson(value, 'data');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'E_NOT_SERIALIZABLE', path });
    }
  });

  it('leaves out undefined properties and uses toJSON, as JSON.stringify does', () => {
    expect(toPythonJson({ a: undefined, d: new Date(0) }, 'v')).toBe(
      '{"d": "1970-01-01T00:00:00.000Z"}',
    );
  });
});
