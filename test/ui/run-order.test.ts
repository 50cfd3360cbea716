// The runs view's pure parts: run order within a dataset, the chart's date labels, flat context
// and its filters in the URL.
import { describe, expect, it } from 'vitest';
import { contextFilters, flatContext, matchesContext } from '../../src/ui/client/run-context.js';
import { dateSpan, dateTick, runOrder } from '../../src/ui/client/run-order.js';

const run = (
  runId: string,
  datasetName: string,
  createdAt: string | null,
  updatedAt = createdAt,
) => ({
  runId,
  datasetName,
  createdAt,
  updatedAt,
});

describe('runOrder', () => {
  it('numbers each dataset apart, oldest first, by start then run id; a run without a start by its update', () => {
    const order = runOrder([
      run('b', 'd', '2026-01-02T00:00:00.000Z'),
      run('a', 'd', '2026-01-02T00:00:00.000Z'),
      run('z', 'd', '2026-01-01T00:00:00.000Z'),
      run('old', 'd', null, '2025-12-31T00:00:00.000Z'),
      run('x', 'other', '2026-01-05T00:00:00.000Z'),
    ]);
    expect(Object.fromEntries(order)).toEqual({ old: 1, z: 2, a: 3, b: 4, x: 1 });
  });
});

describe('dateTick', () => {
  it('gives the day, then the time: to the second within an hour, the year across years', () => {
    const iso = '2026-11-29T20:54:07.968Z';
    expect(dateTick(iso, dateSpan([iso, '2026-11-29T20:54:09.000Z']))).toBe('Nov 29\n20:54:07');
    expect(dateTick(iso, dateSpan([iso, '2026-11-30T08:00:00.000Z']))).toBe('Nov 29\n20:54');
    expect(dateTick(iso, dateSpan([iso, '2027-01-02T00:00:00.000Z']))).toBe('Nov 29 2026\n20:54');
    expect(dateTick('not a date', dateSpan([]))).toBe('');
  });
});

describe('context', () => {
  it('is flat: nested objects by dotted keys, other values as JSON, texts as they are', () => {
    expect(
      flatContext({
        git: 'abc',
        prompt: { version: 3, name: 'p' },
        tags: ['a'],
        none: null,
        e: {},
      }),
    ).toEqual([
      ['git', 'abc'],
      ['prompt.version', '3'],
      ['prompt.name', 'p'],
      ['tags', '["a"]'],
      ['none', 'null'],
      ['e', '{}'],
    ]);
  });

  it('is filtered by ?ctx.<key>=<value>, every filter at once; keys and values with = or markup as they are', () => {
    const q = new URLSearchParams();
    q.append('ctx.a=b', '<i>x</i>');
    q.append('ctx.prompt.version', '3');
    q.append('ctx.prompt.version', '4');
    q.append('metric', 'm');
    const filters = contextFilters(q);
    expect(filters).toEqual([
      ['a=b', '<i>x</i>'],
      ['prompt.version', '3'],
    ]);
    const ctx = new Map([
      ['a=b', '<i>x</i>'],
      ['prompt.version', '3'],
    ]);
    expect(matchesContext(ctx, filters)).toBe(true);
    expect(matchesContext(new Map([['a=b', '<i>x</i>']]), filters)).toBe(false);
    expect(matchesContext(new Map(), [])).toBe(true);
  });
});
