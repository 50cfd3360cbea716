/** `evaltrack/jsonl`: the lossless JSON Lines tracker. Loads no native module. */
export { JsonlExperimentTracker } from './stores/jsonl/jsonl-experiment-tracker.js';
export type { JsonlTrackerOptions } from './stores/jsonl/jsonl-experiment-tracker.js';
export { JsonlStore } from './stores/jsonl/jsonl-store.js';
export type { JsonlStoreOptions, WarningHandler } from './stores/jsonl/jsonl-store.js';
