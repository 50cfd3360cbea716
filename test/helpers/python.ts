import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PythonView {
  header: string[];
  rows: Record<string, unknown>[];
  leaderboard: Record<string, string>[] | null;
}

/** Reads a results folder with Python's `csv` and `json` modules, as gllm-evals users do. */
export function readWithPython(folder: string): PythonView {
  const script = fileURLToPath(new URL('./read_results.py', import.meta.url));
  const out = execFileSync('python3', [script, folder], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return JSON.parse(out) as PythonView;
}

/** The gllm-evals version `scripts/python-env.sh` installs; the interop tests check they ran on it. */
export const GLLM_EVALS_VERSION = '0.1.41';

/** Why the gllm-evals interop tests are skipped, for describe.skipIf titles. */
export const NO_GLLM_EVALS =
  'no Python environment with gllm-evals here (run scripts/python-env.sh)';

/**
 * The Python interpreter of the environment `scripts/python-env.sh` made (`.python-env/`), or
 * the one `EVALTRACK_GLLM_PYTHON` names; null when there is none. In CI a missing environment is
 * an error: the interop tests must run there, not skip. A broken one fails the tests that use it.
 */
export function gllmPython(): string | null {
  const given = process.env['EVALTRACK_GLLM_PYTHON'];
  const python = given ?? fileURLToPath(new URL('../../.python-env/bin/python', import.meta.url));
  if (existsSync(python)) return python;
  if (process.env['CI']) {
    throw new Error(
      `CI must test against the real gllm-evals: ${python} is missing (run scripts/python-env.sh, see .ci/run)`,
    );
  }
  return null;
}

/** One step of test/helpers/gllm_driver.py. */
export type GllmStep = { op: string } & Record<string, unknown>;

/** What the driver prints: the installed gllm-evals version and one output per step. */
export interface GllmRun {
  version: string;
  outputs: unknown[];
}

/**
 * Runs steps with the real gllm-evals library in one Python process (its import takes seconds)
 * and returns its outputs, parsed. Throws with Python's stderr when the process fails.
 */
export function runGllm(python: string, steps: GllmStep[]): GllmRun {
  const script = fileURLToPath(new URL('./gllm_driver.py', import.meta.url));
  try {
    const out = execFileSync(python, [script], {
      input: JSON.stringify(steps),
      maxBuffer: 1 << 30,
      encoding: 'utf8',
      env: { ...process.env, DEEPEVAL_TELEMETRY_OPT_OUT: 'YES', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return JSON.parse(out) as GllmRun;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`gllm-evals driver failed:\n${stderr.slice(-4000)}`, { cause: error });
  }
}
