// The log() row of `npm run bench` alone, in about a minute: CSVExperimentTracker.log() (one
// write() per call, durable against a process crash when it returns) against the raw JSONL
// logger (bench/log-baseline.mjs), 20,000 realistic results a round, each side in a fresh folder
// after `sync`, the two alternating round by round; medians, and their ratio.
//
//   npm run build && node --expose-gc bench/csv-log-only.mjs
//
// ROUNDS= and ROWS= change the size; ONLY=csv runs the tracker's rounds alone (for --cpu-prof);
// BEFORE_DIST=<dist of another build> times that build's log() too, in the same rounds (the two
// builds in turn, which goes first alternating), for a before/after on a busy machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { baselineLog, trackerLog } from './log-baseline.mjs';
import { realisticResult } from './realistic-result.mjs';

const rounds = Number(process.env.ROUNDS ?? 15);
const n = Number(process.env.ROWS ?? 20_000);
const only = process.env.ONLY;
const beforeDist = process.env.BEFORE_DIST;
const Before = beforeDist
  ? (await import(pathToFileURL(join(resolve(beforeDist), 'csv.js')).href)).CSVExperimentTracker
  : undefined;
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = mkdtempSync(join(tmpdir(), 'evaltrack-csvlog-'));
let dirs = 0;
const freshDir = () => {
  const d = join(root, `d${++dirs}`);
  mkdirSync(d);
  return d;
};
const gc = globalThis.gc ?? (() => {});

const base = [];
const ours = [];
const before = [];
for (let rep = 0; rep < rounds; rep++) {
  // Start each side with no dirty pages and no garbage of the other's.
  execFileSync('sync');
  gc();
  if (only !== 'csv') {
    const b = freshDir();
    base.push(baselineLog(pool, join(b, 'baseline.jsonl'), n));
    rmSync(b, { recursive: true });
    execFileSync('sync');
    gc();
  }
  if (only !== 'baseline') {
    const builds = Before ? [CSVExperimentTracker, Before] : [CSVExperimentTracker];
    if (rep % 2 === 1) builds.reverse();
    for (const Tracker of builds) {
      const d = freshDir();
      (Tracker === Before ? before : ours).push(await trackerLog(Tracker, pool, d, n));
      rmSync(d, { recursive: true });
      execFileSync('sync');
      gc();
    }
  }
}
rmSync(root, { recursive: true, force: true });
const round = (x) => (x === undefined ? null : Math.round(x));
console.log(
  JSON.stringify({
    rows: n,
    rounds,
    oursPerSec: round(median(ours)),
    baselinePerSec: round(median(base)),
    ratio: ours.length && base.length ? +(median(ours) / median(base)).toFixed(3) : null,
    oursUsPerRow: ours.length ? +(1e6 / median(ours)).toFixed(1) : null,
    baselineUsPerRow: base.length ? +(1e6 / median(base)).toFixed(1) : null,
    ...(Before
      ? {
          beforePerSec: round(median(before)),
          beforeRatio: base.length ? +(median(before) / median(base)).toFixed(3) : null,
          beforeUsPerRow: +(1e6 / median(before)).toFixed(1),
        }
      : {}),
  }),
);
