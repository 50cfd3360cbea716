import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { describeTrackerContract } from './tracker-contract.js';

const root = mkdtempSync(join(tmpdir(), 'evaltrack-conformance-'));
let n = 0;

describeTrackerContract('csv', {
  newLocation: () => join(root, `store-${++n}`),
  open: (outputDir, projectName, options) =>
    new CSVExperimentTracker(projectName, { ...options, outputDir }),
});
