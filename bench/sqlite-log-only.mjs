// SQLite log() against a raw single-row insert (issue 18) on its own, in about a minute:
//   npm run build && node --expose-gc bench/sqlite-log-only.mjs [rounds] [n per round]
// Realistic results; in each round ours and raw better-sqlite3 (same pragmas, one row per
// transaction) take turns by blocks of 200 on fresh databases; medians over the rounds.
// BEFORE_DIST=<dist of another build> times that build's log() too, as a third side of the same
// rounds, for a before/after on a busy machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realisticResult } from './realistic-result.mjs';
import { measureLog } from './sqlite-section.mjs';

const rounds = Number(process.argv[2] ?? 9);
const n = Number(process.argv[3] ?? 4000);
const beforeDist = process.env.BEFORE_DIST;
const Before = beforeDist
  ? (await import(pathToFileURL(join(resolve(beforeDist), 'sqlite.js')).href))
      .SqliteExperimentTracker
  : undefined;
const root = mkdtempSync(join(tmpdir(), 'evaltrack-sqlite-log-'));
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
try {
  const m = await measureLog({ root, pool, n, rounds, Before });
  const round = (xs) => xs.map((x) => Math.round(x));
  const fixed = (xs) => xs.map((x) => x.toFixed(3));
  console.log(`rounds of ${n}: ours ${round(m.ours).join(' ')}; raw ${round(m.raw).join(' ')}`);
  console.log(`ratios: ${fixed(m.ratios).join(' ')}`);
  if (m.before) console.log(`before: ${round(m.before).join(' ')}`);
  console.log(
    `sqlite log() against a raw single-row insert: ${JSON.stringify({
      oursPerSec: Math.round(m.oursPerSec),
      rawPerSec: Math.round(m.rawPerSec),
      ratio: Number(m.ratio.toFixed(3)),
      ...(Before
        ? {
            beforePerSec: Math.round(m.beforePerSec),
            beforeRatio: Number(m.beforeRatio.toFixed(3)),
          }
        : {}),
      target: '>= 0.5',
    })}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
