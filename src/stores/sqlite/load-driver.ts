import type BetterSqlite3 from 'better-sqlite3';
import { loadPeer } from '../load-peer.js';

/** better-sqlite3, loaded when a SQLite store is opened (an optional peer, and a native module). */
export const loadBetterSqlite3 = (): typeof BetterSqlite3 =>
  loadPeer<typeof BetterSqlite3>('better-sqlite3', 'SQLite', 'better-sqlite3@12');
