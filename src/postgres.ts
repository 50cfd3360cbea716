/**
 * `evaltrack/postgres`: the tracker over a PostgreSQL database, for teams. Needs the optional peer
 * dependency pg 8, loaded when a tracker is created.
 */
export { PostgresExperimentTracker } from './stores/postgres/postgres-experiment-tracker.js';
export type { PostgresTrackerOptions } from './stores/postgres/postgres-experiment-tracker.js';
export { PostgresStore } from './stores/postgres/postgres-store.js';
export type { PostgresStoreOptions } from './stores/postgres/postgres-store.js';
export type { PushReport } from './stores/postgres/postgres-store.js';
export type { PendingFile } from './stores/postgres/pending-journal.js';
export type { UnstoredRunChange } from './errors.js';
