// SQLite log() against a raw single-row insert (issue 18) on its own, in about a minute:
//   npm run build && node --expose-gc bench/sqlite-log-only.mjs [rounds] [n per round]
// Realistic results; in each round ours and raw better-sqlite3 (same pragmas, one row per
// transaction) take turns by blocks of 200 on two fresh databases; medians over the rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realisticResult } from './realistic-result.mjs';
import { measureLog } from './sqlite-section.mjs';

const rounds = Number(process.argv[2] ?? 9);
const n = Number(process.argv[3] ?? 4000);
const root = mkdtempSync(join(tmpdir(), 'evaltrack-sqlite-log-'));
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
try {
  const { oursPerSec, rawPerSec, ratio, ours, raw } = await measureLog({ root, pool, n, rounds });
  const round = (xs) => xs.map((x) => Math.round(x));
  console.log(`rounds of ${n}: ours ${round(ours).join(' ')}; raw ${round(raw).join(' ')}`);
  console.log(
    `sqlite log() against a raw single-row insert: ${JSON.stringify({
      oursPerSec: Math.round(oursPerSec),
      rawPerSec: Math.round(rawPerSec),
      ratio: Number(ratio.toFixed(3)),
      target: '>= 0.5',
    })}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
