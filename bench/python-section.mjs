// What reading one run costs on each side: Python gllm-evals' get_run_results against evaltrack's
// getRunResults, on the same 1,000-row run of a 200,000-row folder evaltrack wrote. Each side runs
// in a process of its own and times only the call (Python's import of gllm_evals, several
// seconds, is reported apart). Needs the environment of scripts/python-env.sh; skipped without it.
//
// Standalone: npm run build && node bench/python-section.mjs [--quick]
// (fills its own folder; bench/run.mjs passes the 200,000-row folder it already filled).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const PYTHON = fileURLToPath(new URL('../.python-env/bin/python', import.meta.url));
const READ_RUN = fileURLToPath(new URL('./read-run.mjs', import.meta.url));

// Times the library's own call; prints the time, the rows and the import time as JSON.
const PY_READ_RUN = `
import json, os, sys, time
os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
sys.stdout = sys.stderr  # the library logs to stdout; ours is one line of JSON
t0 = time.perf_counter()
from gllm_evals.experiment_tracker import CSVExperimentTracker
from importlib.metadata import version
imported = time.perf_counter() - t0
tracker = CSVExperimentTracker("bench", output_dir=sys.argv[1])
start = time.perf_counter()
out = tracker.get_run_results(sys.argv[2])
ms = (time.perf_counter() - start) * 1000
rows = len(out[0]["individual_results"]) if out else 0
sys.__stdout__.write(json.dumps({"ms": ms, "rows": rows, "importMs": imported * 1000, "version": version("gllm-evals-binary")}))
`;

/** Fills `dir` with `runs` runs of `perRun` results through logBatch. */
async function fill(dir, pool, runs, perRun) {
  const t = new CSVExperimentTracker('bench', { outputDir: dir });
  for (let r = 0; r < runs; r++) {
    const batch = Array.from({ length: perRun }, (_, i) => pool[(r * perRun + i) % pool.length]);
    await t.logBatch(
      batch.map((x) => x.evaluationResult),
      'rag',
      batch.map((x) => x.data),
      { runId: `run-${r}`, metadata: batch[0].metadata },
    );
  }
  await t.close();
}

/**
 * Python's get_run_results against ours on run-100 of `large` (200 runs of 1,000 results, as
 * bench/run.mjs fills it), median of `rounds` alternating rounds.
 */
export async function pythonSection({ large, scale, note, rounds = 3 }) {
  if (!existsSync(PYTHON)) {
    console.log('python section skipped: no .python-env (run scripts/python-env.sh)');
    return;
  }
  const runRows = Math.round(1000 * scale);
  const python = [];
  const ours = [];
  let last;
  for (let rep = 0; rep < rounds; rep++) {
    const readPython = () => {
      last = JSON.parse(
        execFileSync(PYTHON, ['-c', PY_READ_RUN, large, 'run-100'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          maxBuffer: 1 << 30,
        }),
      );
      if (last.rows !== runRows) throw new Error(`Python read ${last.rows} rows of run-100`);
      python.push(last);
    };
    const readOurs = () => {
      const r = JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', READ_RUN, large, 'run-100'], {
          encoding: 'utf8',
        }),
      );
      if (r.rows !== runRows) throw new Error(`evaltrack read ${r.rows} rows of run-100`);
      ours.push(r);
    };
    // Alternate which goes first, so that drift on a shared machine hits both alike.
    if (rep % 2 === 0) {
      readPython();
      readOurs();
    } else {
      readOurs();
      readPython();
    }
  }
  const pythonMs = median(python.map((r) => r.ms));
  const oursMs = median(ours.map((r) => r.ms));
  note(
    `Python gllm-evals ${last.version} get_run_results of a ${runRows}-row run in a ${200 * runRows}-row folder written by evaltrack, beside ours`,
    {
      pythonMs,
      oursMs,
      pythonImportMs: median(python.map((r) => r.importMs)),
      ratio: pythonMs / oursMs,
      target: 'reported',
    },
  );
}

// Run on its own: fill a folder, measure, print the row.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { realisticResult } = await import('./realistic-result.mjs');
  const scale = process.argv.includes('--quick') ? 0.1 : 1;
  const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-bench-python-'));
  try {
    const large = join(root, 'large');
    await fill(large, pool, 200, Math.round(1000 * scale));
    await pythonSection({
      large,
      scale,
      note: (name, value) => console.log(`${name}: ${JSON.stringify(value)}`),
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
