import { describe, expect, it } from 'vitest';
import { edgeDigest, segmentLine } from './results-index.js';

/** A segment line as JSON.stringify writes it, with the digest of its fields' UTF-8 bytes. */
function reference(f: number, t: number, e: string, runs: Map<string, number[]>): string {
  const r = [...runs];
  const c = edgeDigest(Buffer.from(JSON.stringify({ f, t, e, r })));
  return JSON.stringify({ f, t, e, r, c }) + '\n';
}

describe('edgeDigest', () => {
  it('gives the digests an index holds (a changed digest would make readers pass over every line)', () => {
    const cases: [string, string][] = [
      ['', '488bdcb81aee8d83'],
      ['a', '501c2ba782c97901'],
      ['evaltrack', '36f63c41e5fd4477'],
      ['{"f":1,"t":2}', '949b1f392a88fcae'],
      ['x'.repeat(1000), '819a7942aee5273b'],
      // Leading zeros in either half.
      ['k3464', '00006ff1941edf9f'],
      ['k9244', 'b47f74ef00022087'],
    ];
    for (const [text, digest] of cases) expect(edgeDigest(Buffer.from(text))).toBe(digest);
    expect(edgeDigest(Buffer.from([0, 255, 128, 7]), Buffer.from('é🚀'))).toBe('c2f7d6cdf4cf5b4a');
  });
});

describe('segmentLine', () => {
  it('writes exactly the JSON line and digest of JSON.stringify, whatever the run ids', () => {
    const cases: [number, number, string, Map<string, number[]>][] = [
      [120, 5120, 'a1b2c3d4e5f60718', new Map([['run-1', [120, 5120]]])],
      [5120, 9000, '0000000000000000', new Map([['run-2', [5120, 9000]]])],
      // The run id's JSON is kept from the last call: another id must not reuse it.
      [9000, 9400, 'ffffffffffffffff', new Map([['run-1', [9000, 9400]]])],
      [
        2 ** 40,
        2 ** 40 + 300,
        '0123456789abcdef',
        new Map([
          ['run-1', [2 ** 40, 2 ** 40 + 100, 2 ** 40 + 200, 2 ** 40 + 300]],
          ['run-2', [2 ** 40 + 100, 2 ** 40 + 200]],
        ]),
      ],
      // Not ASCII: the digest is of UTF-8 bytes, as a reader computes it.
      [10, 20, 'abcdefabcdefabcd', new Map([['réponse-🚀', [10, 20]]])],
      [10, 20, 'abcdefabcdefabcd', new Map([['q"uo\\te\n\u2028', [10, 20]]])],
      [
        10,
        20,
        'abcdefabcdefabcd',
        new Map([
          ['réponse-🚀', [10, 15]],
          ['run-1', [15, 20]],
        ]),
      ],
    ];
    for (const [f, t, e, runs] of cases) {
      expect(segmentLine(f, t, e, runs)).toBe(reference(f, t, e, runs));
    }
  });
});
