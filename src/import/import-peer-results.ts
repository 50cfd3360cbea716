/** Another tool's results file, told by its shape, imported by that tool's importer. */
import { PeerFormatError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkOptions } from '../tracker/check-input.js';
import { ANY_PEER_FILE, detectPeerFormat, TOOL_OF } from './detect-peer-format.js';
import type { PeerTool } from './detect-peer-format.js';
import { importEvalite } from './import-evalite.js';
import type { PeerImportOptions, PeerImportReport } from './import-peer-records.js';
import { importPromptfoo } from './import-promptfoo.js';

/** Options of {@link importPeerResults}. */
export interface PeerResultsOptions extends PeerImportOptions {
  /** The tool that wrote the file; told by the file's shape when omitted. */
  from?: PeerTool;
}

/**
 * Imports a results file of promptfoo (`results.json`, `export.json`, `results.jsonl`) or evalite
 * (`--outputPath`) into `tracker`, telling which by its shape unless `options.from` says. A file of
 * neither shape, or not of the tool named, is refused with a {@link PeerFormatError} before
 * anything is stored. See {@link importPromptfoo} and {@link importEvalite}.
 */
export async function importPeerResults(
  tracker: BaseExperimentTracker,
  file: string,
  options?: PeerResultsOptions,
): Promise<PeerImportReport> {
  const { from, ...rest } = checkOptions(
    options,
    ['from', 'datasetName', 'onChecked', 'onResult'],
    'options',
  );
  const format = await detectPeerFormat(file);
  if (from !== undefined && from !== 'promptfoo' && from !== 'evalite') {
    throw new PeerFormatError(
      file,
      '',
      'promptfoo or evalite',
      `options.from is ${JSON.stringify(from)}`,
    );
  }
  const tool = from ?? (format === null ? null : TOOL_OF[format]);
  if (tool === 'promptfoo') return importPromptfoo(tracker, file, rest);
  if (tool === 'evalite') return importEvalite(tracker, file, rest);
  throw new PeerFormatError(
    file,
    '',
    ANY_PEER_FILE,
    'is not a results file of promptfoo or evalite',
  );
}
