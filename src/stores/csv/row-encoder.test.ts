import { describe, expect, it } from 'vitest';
import { writeQuoted } from './row-encoder.js';

describe('writeQuoted', () => {
  it('writes a quoted cell, its quotes doubled, exactly as replaceAll would', () => {
    const texts = [
      '',
      'no quotes',
      '"',
      '""',
      '"a"',
      'a""b',
      '{"input":"say \\"hi\\"","n":1}',
      'é"ü"🚀"',
      '"🚀',
      '🚀"',
      'ünï"cödé',
      '\r\n"x"\r\n',
      '"'.repeat(300) + 'x'.repeat(5000) + '"',
    ];
    for (const text of texts) {
      const expected = Buffer.from(`"${text.replaceAll('"', '""')}"`);
      // Garbage around it: the cell must not read or leave bytes outside its own.
      const buf = Buffer.alloc(8 + text.length * 3 + 2 + 8, 0x2a);
      const length = writeQuoted(buf, 8, text);
      expect(length).toBe(expected.length);
      expect(buf.subarray(8, 8 + length).equals(expected)).toBe(true);
      expect(buf.subarray(0, 8).equals(Buffer.alloc(8, 0x2a))).toBe(true);
    }
  });
});
