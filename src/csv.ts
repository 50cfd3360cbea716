/** `evaltrack/csv`: the CSV trackers, file-compatible with gllm-evals. Loads no native module. */
export { CSVExperimentTracker } from './stores/csv/csv-experiment-tracker.js';
export type { CsvTrackerOptions } from './stores/csv/csv-experiment-tracker.js';
export { SimpleExperimentTracker } from './stores/csv/simple-experiment-tracker.js';
export type { SimpleTrackerOptions } from './stores/csv/simple-experiment-tracker.js';
export { CsvStore } from './stores/csv/csv-store.js';
export type { CsvStoreOptions, WarningHandler } from './stores/csv/csv-store.js';
