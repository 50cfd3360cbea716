import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { describeTrackerContract } from './tracker-contract.js';

const root = mkdtempSync(join(tmpdir(), 'evaltrack-conformance-sqlite-'));
let n = 0;

describeTrackerContract('sqlite', {
  newLocation: () => join(root, `store-${++n}.sqlite`),
  open: (file, projectName, options) =>
    new SqliteExperimentTracker(projectName, { ...options, file }),
});
