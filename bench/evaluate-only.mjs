// The evaluate() rows of BENCHMARKS.md on their own: node --expose-gc bench/evaluate-only.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateSection } from './evaluate-section.mjs';
import { realisticResult } from './realistic-result.mjs';

const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
const root = mkdtempSync(join(tmpdir(), 'evaltrack-evaluate-'));
await evaluateSection({
  root,
  pool,
  scale: 1,
  note: (name, value) => console.log(`${name}: ${JSON.stringify(value)}`),
});
rmSync(root, { recursive: true, force: true });
