import type Pg from 'pg';
import { loadPeer } from '../load-peer.js';

/** node-postgres, loaded when a PostgreSQL store is opened (an optional peer dependency). */
export const loadPg = (): typeof Pg => loadPeer<typeof Pg>('pg', 'PostgreSQL', 'pg@8');
