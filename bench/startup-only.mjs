// How fast the command line starts (issue 18): the whole `evaltrack --version` process and the
// whole `evaltrack runs` on a 10-run CSV folder, beside `node -e 0` (Node starting and doing
// nothing, the floor) and Node running a one-line ES module that prints a version (what any
// command line written as a module pays), 20 rounds alternating the four, medians.
//
//   npm run build && node bench/startup-only.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The start-up figures; `note(name, figures)` records each. */
export async function startupSection({ root, note, rounds = 20 }) {
  const store = join(root, 'ten-runs');
  const t = new CSVExperimentTracker('bench', { outputDir: store });
  for (let r = 0; r < 10; r++) {
    await t.logBatch(
      Array.from({ length: 20 }, (_, i) => ({
        judge: { aggregate_score: ((i + r) % 4) / 4, aggregate_success: (i + r) % 2 === 0 },
      })),
      'd',
      Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, input: `question ${i}` })),
      { runId: `run-${r}` },
    );
  }
  await t.close();
  // What any command line written as an ES module pays: Node loading one file that prints a line.
  const printer = join(root, 'print-version.mjs');
  writeFileSync(printer, "process.stdout.write('0.0.0\\n');\n");
  const commands = {
    floor: [process.execPath, ['-e', '0']],
    esmFloor: [process.execPath, [printer]],
    version: [process.execPath, [BIN, '--version']],
    runs: [process.execPath, [BIN, 'runs', '--store', store]],
  };
  const times = { floor: [], esmFloor: [], version: [], runs: [] };
  for (let i = 0; i < rounds + 1; i++) {
    for (const [name, [file, args]] of Object.entries(commands)) {
      const start = now();
      execFileSync(file, args, { stdio: 'ignore' });
      // The first round warms the page cache and is not counted.
      if (i > 0) times[name].push(now() - start);
    }
  }
  const floor = median(times.floor);
  note('evaltrack --version, the whole process', {
    ms: median(times.version),
    nodeFloorMs: floor,
    oneLineModuleMs: median(times.esmFloor),
    aboveFloorMs: median(times.version) - floor,
    target: '< 100 ms',
  });
  note('evaltrack runs on a 10-run folder, the whole process', {
    ms: median(times.runs),
    nodeFloorMs: floor,
    aboveFloorMs: median(times.runs) - floor,
    target: '< 200 ms',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-startup-bench-'));
  try {
    await startupSection({
      root,
      note: (name, figures) => console.log(`${name}: ${JSON.stringify(figures)}`),
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
