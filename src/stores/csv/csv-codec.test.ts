import { describe, expect, it } from 'vitest';
import {
  decodeValue,
  encodeText,
  encodeValue,
  findRecordEnd,
  parseRecord,
  unescapeText,
} from './csv-codec.js';
import { RecordReader } from './record-reader.js';

describe('formula protection', () => {
  it('escapes cells a spreadsheet would run, and reads them back exactly', () => {
    for (const s of [
      '=HYPERLINK("http://x")',
      '+1',
      '-1+2',
      '@SUM(A1)',
      "'=x",
      "''=x",
      '\tTab',
      '\rcr',
    ]) {
      const cell = encodeText(s, 'v');
      expect(cell.replace(/^"|"$/g, '').replaceAll('""', '"').startsWith("'")).toBe(true);
      expect(unescapeText(parseRecord(cell)[0] ?? '')).toBe(s);
    }
  });

  it('leaves plain text and numbers alone', () => {
    expect(encodeText("it's", 'v')).toBe("it's");
    expect(encodeText("'quoted'", 'v')).toBe("'quoted'");
    expect(unescapeText("'quoted'")).toBe("'quoted'");
    expect(encodeValue(-0.5, 'v')).toBe('-0.5');
    expect(decodeValue('-0.5')).toBe(-0.5);
    expect(decodeValue(encodeValue('-0.5', 'v'))).toBe('-0.5');
  });

  it('refuses a lone surrogate in a text cell', () => {
    expect(() => encodeText('a\ud800', 'datasetName')).toThrow(/lone surrogate/);
  });
});

describe('values', () => {
  it('keeps the type of text that looks like a number or a boolean', () => {
    for (const s of [
      'True',
      'False',
      '1.0',
      '-0.5',
      "'1.0",
      "''True",
      "'",
      '0',
      '1e5',
      'good',
      "'=x",
    ]) {
      expect(decodeValue(parseRecord(encodeValue(s, 'v'))[0] ?? '')).toBe(s);
    }
    for (const v of [true, false, 1, -0.5, 1e-5, 0]) {
      expect(decodeValue(parseRecord(encodeValue(v, 'v'))[0] ?? '')).toBe(v);
    }
  });

  it('round-trips numbers and booleans as gllm-evals writes them', () => {
    expect(encodeValue(true, 'v')).toBe('True');
    expect(encodeValue(1, 'v')).toBe('1.0');
    expect(decodeValue('True')).toBe(true);
    expect(decodeValue('0.0')).toBe(0);
    expect(decodeValue('1e-05')).toBe(0.00001);
    expect(decodeValue('')).toBeUndefined();
    expect(decodeValue('good')).toBe('good');
  });
});

describe('records', () => {
  it('splits quoted cells with commas, quotes and newlines', () => {
    expect(parseRecord('a,"b,c","d""e","f\r\ng",')).toEqual(['a', 'b,c', 'd"e', 'f\r\ng', '']);
    expect(parseRecord('')).toEqual(['']);
  });

  it('finds record ends outside quotes only, with CRLF or LF', () => {
    const buf = Buffer.from('a,"x\r\ny"\r\nb,c\nd');
    const out = { contentEnd: 0 };
    const end = findRecordEnd(buf, 0, out);
    expect(buf.toString('utf8', 0, out.contentEnd)).toBe('a,"x\r\ny"');
    const end2 = findRecordEnd(buf, end, out);
    expect(buf.toString('utf8', end, out.contentEnd)).toBe('b,c');
    expect(findRecordEnd(buf, end2, out)).toBe(-1);
  });

  it('cuts records across chunk borders and grows for records larger than the buffer', () => {
    const big = 'x'.repeat(50_000);
    const text = `h1,h2\r\n"${big}",1\r\nsmall,"q""uote"\r\n`;
    const bytes = Buffer.from(text);
    const reader = new RecordReader(0, 16);
    const got: string[][] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const space = reader.space();
      const n = Math.min(space.length, 7, bytes.length - pos);
      bytes.copy(space.buf, space.offset, pos, pos + n);
      reader.filled(n);
      pos += n;
      for (let r = reader.next(); r; r = reader.next()) {
        got.push(parseRecord(r.buf.toString('utf8', r.start, r.contentEnd)));
      }
    }
    expect(got).toEqual([
      ['h1', 'h2'],
      [big, '1'],
      ['small', 'q"uote'],
    ]);
    expect(reader.position).toBe(bytes.length);
    expect(reader.pending.length).toBe(0);
  });
});
