import { describe, expect, it } from 'vitest';
import { kindOfColumn, RESERVED_COLUMNS } from '../../tracker/flatten-result.js';
import {
  extendHeader,
  JSON_COLUMNS,
  LEADING_COLUMNS,
  newHeader,
  OWN_COLUMNS,
} from './results-layout.js';

const config = (name: string) =>
  kindOfColumn(name, {
    scoreKey: 'score',
    companionFields: ['success'],
    extraScoreKeys: ['aggregate_score', 'aggregate_success'],
  });

describe('results layout', () => {
  it('reserves, in the tracker, exactly the columns of the results file', () => {
    expect([...RESERVED_COLUMNS].sort()).toEqual(
      [...LEADING_COLUMNS, ...JSON_COLUMNS, ...OWN_COLUMNS].sort(),
    );
  });

  it('puts new columns after the last of their group, keeping their order', () => {
    const header = newHeader(
      [
        { name: 'g.a.score', kind: 'score' },
        { name: 'g.a.success', kind: 'companion' },
        { name: 'g.aggregate_score', kind: 'extra' },
      ],
      config,
    );
    const grown = extendHeader(
      header,
      [
        { name: 'g.aggregate_success', kind: 'extra' },
        { name: 'g.b.score', kind: 'score' },
        { name: 'g.a.score', kind: 'score' },
        { name: 'g.b.success', kind: 'companion' },
        { name: 'g.c.score', kind: 'score' },
      ],
      config,
    );
    expect(grown).toEqual([
      ...LEADING_COLUMNS,
      'g.a.score',
      'g.b.score',
      'g.c.score',
      'g.a.success',
      'g.b.success',
      'g.aggregate_score',
      'g.aggregate_success',
      ...JSON_COLUMNS,
      ...OWN_COLUMNS,
    ]);
    // A header in another order (a hand-edited file) keeps it; a new column goes after the last
    // column of its group or an earlier one.
    expect(
      extendHeader(['data', 'x.score', 'run_id'], [{ name: 'y.score', kind: 'score' }], config),
    ).toEqual(['data', 'x.score', 'run_id', 'y.score']);
  });
});
