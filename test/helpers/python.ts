import { execFileSync } from 'node:child_process';
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
