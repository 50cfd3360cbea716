/**
 * Where the PostgreSQL store's journal lives: a local folder (option, environment, or the user's
 * state folder), with one subfolder per database and schema, named after it without its password.
 */
import { createHash } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The folder for journals: `journalDir`, else `EVALTRACK_JOURNAL_DIR`, else the user's state folder
 * (`$XDG_STATE_HOME/evaltrack/pending`, by default `~/.local/state/evaltrack/pending`).
 */
export function resolveJournalDir(journalDir: string | undefined): string {
  if (journalDir !== undefined) return journalDir;
  const env = process.env['EVALTRACK_JOURNAL_DIR'];
  if (env) return env;
  const state = process.env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state');
  return join(state, 'evaltrack', 'pending');
}

/**
 * Which database a store writes, without its password: `user@host:port/database#schema`, read as
 * node-postgres does (the URL, else the `PG*` variables, else its defaults).
 */
export function describeTarget(connectionString: string | undefined, schema: string): string {
  const env = process.env;
  let user = env['PGUSER'] || safeUser();
  let host = env['PGHOST'] || 'localhost';
  let port = env['PGPORT'] || '5432';
  let database = env['PGDATABASE'] || '';
  if (connectionString !== undefined) {
    try {
      const url = new URL(connectionString);
      user = decodeURIComponent(url.username) || user;
      host = url.searchParams.get('host') || decodeURIComponent(url.hostname) || host;
      port = url.port || '5432';
      database = decodeURIComponent(url.pathname.slice(1)) || database;
    } catch {
      // Not a URL node-postgres would take either: name the folder after the text itself.
      return `${connectionString.replace(/:[^:@/]*@/, ':@')}#${schema}`;
    }
  }
  return `${user}@${host}:${port}/${database || user}#${schema}`;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** The folder of one database and schema inside the journal folder: readable, and unique. */
export function targetFolder(dir: string, target: string): string {
  const readable = target
    .replace(/^.*\//, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .slice(0, 60);
  const digest = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return join(dir, `${readable}-${digest}`);
}
