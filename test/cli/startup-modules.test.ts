// The command line loads what the invoked command needs and nothing else: `--version` not even
// the command line; `runs` on a CSV folder neither the other stores, the report, the
// dashboard's server nor the packages it does not use. Each module loaded by a run of the built
// binary is logged by a module hook.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { BIN } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOOK = fileURLToPath(new URL('../helpers/module-log.mjs', import.meta.url));

/** The modules (`dist/…`, `node_modules/…`) a run of the binary with `args` loads. */
function modulesOf(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('module '))
    .map((l) => l.slice('module '.length));
}

describe('what the command line loads', () => {
  it('--version loads the binary and the version only, not the command line', () => {
    for (const word of ['--version', '-V', 'version']) {
      expect(modulesOf([word]).sort()).toEqual(['dist/cli/bin.js', 'dist/cli/version.js']);
    }
  });

  it('runs on a CSV folder loads that store and the statistics, no other store or command', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    t.log({ judge: { aggregate_score: 0.5 } }, 'd', { id: 'q1' });
    await t.close();
    const loaded = modulesOf(['runs', '--store', dir.path]);
    expect(loaded).toContain('dist/cli/commands/runs.js');
    expect(loaded).toContain('dist/stores/csv/csv-store.js');
    const unwanted = loaded.filter((m) =>
      /^dist\/(cli\/commands\/(?!runs)|stores\/(sqlite|postgres|jsonl\/jsonl-(store|experiment))|report\/|ui\/|evaluate\/|export\/)|^node_modules\/(jstat|fastest-levenshtein|hono|@hono|better-sqlite3|pg|cli-progress|csv-parse)\//.test(
        m,
      ),
    );
    expect(unwanted).toEqual([]);
  });
});
