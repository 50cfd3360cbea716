// What `evaltrack report` holds while it works (issue 18): each result only as far as the report
// reads it (a RAG sample's retrieved context is dropped as it is read), and the HTML page's data
// made and gzipped one sample at a time, never whole as objects, JSON or page. The report it
// writes is the goldens', byte for byte, through the built binary.
import { createHash } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from 'evaltrack';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { loadComparison } from '../../dist/cli/compare-named-runs.js';
import { loadReportComparison } from '../../dist/cli/commands/report.js';
import { gateVerdict, readGateLimits } from '../../dist/cli/gate-verdict.js';
import { htmlReport, writeHtmlReport } from '../../dist/report/html-report.js';
import type { HtmlReportOptions } from '../../dist/report/html-report.js';
import { reportData, reportDataJson } from '../../dist/report/report-data.js';
import { buildReportModel } from '../../dist/report/report-model.js';
import type { ReportModel } from '../../dist/report/report-model.js';
import { reportRecord } from '../../dist/report/report-record.js';
import { GOLDEN_ARGS, GOLDEN_DIR, goldenModel } from '../../scripts/regenerate-report-goldens.mjs';
import { evaltrack } from '../helpers/evaltrack-binary.js';
import { retained } from '../helpers/retained-heap.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What {@link writeHtmlReport} writes, joined. */
async function written(model: ReportModel, options: HtmlReportOptions = {}): Promise<string> {
  const parts: string[] = [];
  await writeHtmlReport(model, async (s) => void parts.push(s), options);
  return parts.join('');
}

let model: ReportModel;
/** The goldens' samples 250 times over: 2,250 samples, 2.6 MB of data as JSON. */
let big: ReportModel;
/** 2,000 samples with 1,408 hex digits of input each: 1.5 MB gzipped, over one base64 piece. */
let noisy: ReportModel;
beforeAll(async () => {
  model = await goldenModel();
  const samples = Array.from({ length: 250 }, (_, k) =>
    model.samples.map((s) => ({ ...s, sampleId: `${s.sampleId}#${k}` })),
  ).flat();
  big = { ...model, samples };
  const hex = (i: number): string =>
    Array.from({ length: 22 }, (_, k) =>
      createHash('sha256').update(`${i}.${k}`).digest('hex'),
    ).join('');
  noisy = {
    ...model,
    samples: Array.from({ length: 2000 }, (_, i) => ({
      ...(model.samples[i % model.samples.length] as ReportModel['samples'][number]),
      sampleId: `n${i}`,
      input: hex(i),
    })),
  };
});

describe('evaltrack report as the built binary', () => {
  it('writes the goldens, byte for byte, in both formats', () => {
    using dir = tempDir();
    cpSync(fileURLToPath(new URL('../fixtures/report-store/store', import.meta.url)), dir.path, {
      recursive: true,
    });
    const flags = Object.entries(GOLDEN_ARGS.gate).flatMap(([k, v]) => [`--${k}`, v]);
    for (const [format, file] of [
      ['html', 'report.html'],
      ['md', 'report.md'],
    ] as const) {
      const r = evaltrack(
        'report',
        ...GOLDEN_ARGS.positionals,
        ...flags,
        '--ui-url',
        GOLDEN_ARGS.uiUrl,
        '--format',
        format,
        '--store',
        dir.path,
      );
      expect([r.code, r.stderr]).toEqual([1, '']);
      expect(r.stdout, file).toBe(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
    }
  });
});

describe('the HTML report written in pieces', () => {
  it("is htmlReport's document, byte for byte, plain, gzipped and through every fallback", async () => {
    const whole = Buffer.byteLength(htmlReport(big));
    const cases: [ReportModel, HtmlReportOptions][] = [
      [model, {}],
      [model, { compressAbove: 0 }],
      [model, { compressAbove: 0, maxBytes: 1 }],
      [big, {}],
      [big, { maxBytes: whole - 1 }],
      [big, { maxBytes: 1 }],
      [big, { compressAbove: 10_000_000 }],
      [big, { compressAbove: 10_000_000, maxBytes: 1 }],
      [noisy, {}],
    ];
    for (const [m, options] of cases) {
      // Compared by their hashes: a difference in a 2 MB page would print both whole.
      expect(sha256(await written(m, options)), JSON.stringify(options)).toBe(
        sha256(htmlReport(m, options)),
      );
    }
  });

  it('makes the JSON of the data one sample at a time, never whole', async () => {
    const json = JSON.stringify(reportData(big));
    expect(json.length).toBeGreaterThan(2_000_000);
    for (const brief of [{}, { brief: ['unchanged' as const], textLimit: 300 }])
      expect([...reportDataJson(big, brief).json].join('')).toBe(
        JSON.stringify(reportData(big, brief)),
      );
    // Every JSON text made while the page is written: the longest is a sample's or the frame's.
    const stringify = JSON.stringify;
    let longest = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      const text = stringify(...args);
      longest = Math.max(longest, text.length);
      return text;
    }) as typeof stringify;
    try {
      await written(big);
    } finally {
      JSON.stringify = stringify;
    }
    expect(longest).toBeGreaterThan(100);
    expect(longest).toBeLessThan(20_000);
  });
});

describe('the results a report reads', () => {
  it('keep the texts, columns, measures, explanations and errors, nothing else', () => {
    const record: ResultRecord = {
      resultId: 'r1',
      sampleId: 's1',
      runId: 'run',
      datasetName: 'rag',
      timestamp: '2026-01-01T00:00:00.000Z',
      evaluatorName: 'generation',
      modelName: 'm',
      values: { 'generation.score': 1, 'generation.success': true },
      data: { id: 's1', query: 'q?', generated_response: 'a', retrieved_context: 'x'.repeat(99) },
      metadata: { model_name: 'm', extra: 'y' },
      evaluationResult: {
        generation: {
          aggregate_explanation: 'all met',
          score: 1,
          completeness: { score: 1, explanation: 'complete', rubric: { explanation: 'deep' } },
          groundedness: { score: 1, explanation: '' },
          redundancy: { score: 0 },
          list: [{ explanation: 'in a list' }],
        },
        retrieval: { error: 'timed out', attempts: 3 },
        explanation: 'top',
        error: 'top-level, not an evaluator block',
      },
      measures: { task: { latencyMs: 5, cost: 0.1 } },
    };
    expect(reportRecord(record)).toEqual({
      ...record,
      data: { input: 'q?', actual_output: 'a', expected_output: null },
      metadata: {},
      evaluationResult: {
        generation: {
          aggregate_explanation: 'all met',
          completeness: { explanation: 'complete', rubric: { explanation: 'deep' } },
          groundedness: { explanation: '' },
        },
        retrieval: { error: 'timed out' },
        explanation: 'top',
      },
    });
    expect(reportRecord({ ...record, evaluationResult: null }).evaluationResult).toBeNull();
    expect(
      reportRecord({ ...record, evaluationResult: { j: { score: 1 } } }).evaluationResult,
    ).toEqual({});
  });

  it('hold a fraction of the results read whole, and make the same comparison', async () => {
    using dir = tempDir();
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'store.sqlite') });
    const n = 1000;
    for (const [runId, shift] of [
      ['base', 0],
      ['cand', 1],
    ] as const) {
      await t.logBatch(
        Array.from({ length: n }, (_, i) => ({
          judge: {
            aggregate_success: (i + shift) % 3 !== 0,
            aggregate_score: ((i + shift) % 4) / 4,
            correctness: { score: (i + shift) % 2, explanation: `because ${i} `.repeat(8) },
          },
        })),
        'rag',
        Array.from({ length: n }, (_, i) => ({
          id: `q${i}`,
          input: `question ${i}`,
          actual_output: `answer ${i + shift}`,
          // Each its own: a context of 4 KB.
          retrieved_context: `passage ${i}: ${'a retrieved passage. '.repeat(200)}`,
        })),
        { runId, metadata: { model_name: runId } },
      );
    }
    const whole = await retained(() => loadComparison(t, ['base', 'cand'], {}));
    const kept = await retained(() => loadReportComparison(t, ['base', 'cand'], {}));
    await t.close();
    const wholeLoaded = whole.value as Awaited<ReturnType<typeof loadComparison>>;
    const keptLoaded = kept.value as typeof wholeLoaded;
    const limits = readGateLimits({ 'max-regressions': '0', 'max-errors': '0' });
    const modelOf = (loaded: typeof wholeLoaded) =>
      buildReportModel(loaded, gateVerdict(loaded, limits), null);
    expect(modelOf(keptLoaded)).toEqual(modelOf(wholeLoaded));
    expect(modelOf(keptLoaded).samples).toHaveLength(n);
    // Each result read whole holds its own 4 KB context.
    expect(whole.bytes / (2 * n)).toBeGreaterThan(4_000);
    expect(kept.bytes / whole.bytes).toBeLessThan(0.3);
  });
});
