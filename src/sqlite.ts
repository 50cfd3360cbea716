/**
 * `evaltrack/sqlite`: the tracker over an embedded SQLite database. Needs the optional peer
 * dependency better-sqlite3 12, loaded when a tracker is created.
 */
export { SqliteExperimentTracker } from './stores/sqlite/sqlite-experiment-tracker.js';
export type { SqliteTrackerOptions } from './stores/sqlite/sqlite-experiment-tracker.js';
export { SqliteStore } from './stores/sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './stores/sqlite/sqlite-store.js';
