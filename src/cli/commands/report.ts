import { buildReportModel } from '../../report/report-model.js';
import type { ReportModel } from '../../report/report-model.js';
import { reportRecord } from '../../report/report-record.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import { writeHtmlReport } from '../../report/html-report.js';
import { markdownReport } from '../../report/markdown-report.js';
import { UsageError } from '../command.js';
import type { Command, Context } from '../command.js';
import { loadComparison } from '../compare-named-runs.js';
import type { LoadedComparison } from '../compare-named-runs.js';
import { fileOutput, stdoutOutput, storePlaces } from '../export-output.js';
import {
  GATE_OPTIONS,
  GATE_USAGE,
  gateVerdict,
  hasGateOptions,
  readGateLimits,
} from '../gate-verdict.js';
import type { GateLimits } from '../gate-verdict.js';
import { wholeNumber } from '../whole-number.js';

const FORMATS = ['md', 'html'] as const;

/**
 * `evaltrack report`: a comparison written for people who review a change, as Markdown for a
 * pull-request comment or a job summary, or as one self-contained HTML file (a CI artifact). With
 * gate options it carries the gate's verdict and exits as `gate` does.
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'a comparison as Markdown for a pull request or one HTML file, with the gate verdict',
  usage: `evaltrack report <baseline> <candidate> [--format md|html] [--out FILE] [--force] [--ui-url URL] [--max-samples N] [--dataset NAME] [--metric COLUMN] [--gate] ${GATE_USAGE} [--allow-different-datasets]`,
  example:
    'evaltrack report main-baseline latest --gate --max-regressions 0 >> "$GITHUB_STEP_SUMMARY"',
  args: [2, 2],
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    'ui-url': { type: 'string' },
    'max-samples': { type: 'string' },
    dataset: { type: 'string' },
    metric: { type: 'string' },
    gate: { type: 'boolean' },
    ...GATE_OPTIONS,
    'allow-different-datasets': { type: 'boolean' },
  },
  async run({ values, positionals, io, json, tracker }) {
    // Every flag is read before anything is compared or written: a typo is a usage error.
    const format = values['format'] ?? 'md';
    if (!FORMATS.includes(format as (typeof FORMATS)[number]))
      throw new UsageError(
        `--format must be ${FORMATS.join(' or ')}, got ${JSON.stringify(format)}`,
      );
    const maxSamples =
      values['max-samples'] === undefined
        ? undefined
        : wholeNumber(values['max-samples'], '--max-samples', 0);
    const uiUrl = typeof values['ui-url'] === 'string' ? checkUrl(values['ui-url']) : null;
    const gated = values['gate'] === true || hasGateOptions(values);
    const limits = gated ? readGateLimits(values) : null;
    const outValue = values['out'];
    const out = typeof outValue === 'string' && outValue !== '-' ? outValue : null;
    const output =
      out === null
        ? stdoutOutput(io.stdout)
        : await fileOutput(
            out,
            format as string,
            values['force'] === true,
            await storePlaces(tracker),
          );
    try {
      const model = await loadReportModel(tracker, positionals, values, limits, uiUrl);
      const options = maxSamples === undefined ? {} : { maxSamples };
      if (json) await output.write(`${JSON.stringify(model)}\n`);
      else if (format === 'html') await writeHtmlReport(model, (s) => output.write(s), options);
      else await output.write(markdownReport(model, options));
      await output.commit();
      if (out !== null) io.stderr.write(`wrote the report to ${out}\n`);
      return model.gate?.passed === false ? 1 : 0;
    } catch (e) {
      await output.abort();
      throw e;
    }
  },
};

/**
 * The report's model of the two runs. Their results are released when this returns, before the
 * report is written.
 */
export async function loadReportModel(
  tracker: BaseExperimentTracker,
  positionals: string[],
  values: Context['values'],
  limits: GateLimits | null,
  uiUrl: string | null,
): Promise<ReportModel> {
  const loaded = await loadReportComparison(tracker, positionals, values);
  return buildReportModel(loaded, limits && gateVerdict(loaded, limits), uiUrl);
}

/**
 * The comparison of the two runs with their results, each kept only as far as the report reads
 * it ({@link reportRecord}): a RAG sample's retrieved context is dropped as it is read.
 */
export function loadReportComparison(
  tracker: BaseExperimentTracker,
  positionals: string[],
  values: Context['values'],
): Promise<LoadedComparison> {
  return loadComparison(tracker, positionals, values, reportRecord);
}

/** `--ui-url`: an http(s) address, the dashboard's (`evaltrack ui` prints it). */
function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--ui-url must be an http or https address, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--ui-url must be an http or https address, got ${JSON.stringify(text)}`);
  return url.href;
}
