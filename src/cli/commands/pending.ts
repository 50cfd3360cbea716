/**
 * `evaltrack pending`: what the PostgreSQL store's local journal holds for a database (results
 * queued by processes that ended before writing them, refused batches, damaged lines set aside),
 * and with `--push`, stores what ended processes left.
 */
import { PostgresExperimentTracker } from '../../stores/postgres/postgres-experiment-tracker.js';
import type { PendingFile } from '../../stores/postgres/pending-journal.js';
import type { Command } from '../command.js';
import { renderTable } from '../render.js';

const STATE_NOTES: Record<PendingFile['state'], string> = {
  mine: 'this command',
  running: 'a running process: it writes them itself',
  ended: 'its process ended first: --push stores them',
  released: 'a close() that could not store them: --push stores them',
  'other host': 'written under another host name: --push --all-hosts once its process is gone',
  refused: 'refused by PostgreSQL for good: inspect, fix, import by hand, then delete',
  damaged: 'unreadable lines set aside: inspect, then delete',
};

/** Totals of the files that a push would store (ended and released ones). */
function waiting(files: readonly PendingFile[]): { results: number; runChanges: number } {
  const take = files.filter((f) => f.state === 'ended' || f.state === 'released');
  return {
    results: take.reduce((n, f) => n + f.results, 0),
    runChanges: take.reduce((n, f) => n + f.runChanges, 0),
  };
}

/** `evaltrack pending`: what the PostgreSQL journal holds, and `--push`. */
export const pendingCommand: Command = {
  name: 'pending',
  summary:
    'PostgreSQL: results queued by processes that ended before storing them; --push stores them',
  usage: 'evaltrack pending --store postgres://… [--push [--all-hosts]]',
  example: 'evaltrack pending --store "$EVALTRACK_PG_URL" --push',
  options: {
    push: { type: 'boolean' },
    'all-hosts': { type: 'boolean' },
  },
  async run({ values, io, json, tracker }) {
    if (!(tracker instanceof PostgresExperimentTracker)) {
      // CSV and SQLite write before log() returns: they have no queue.
      io.stdout.write(
        json
          ? `${JSON.stringify({ folder: null, files: [] })}\n`
          : 'nothing is ever pending here: this store writes each result before log() returns\n',
      );
      return 0;
    }
    const folder = tracker.journalFolder;
    const before = tracker.pending();
    const pushed =
      values['push'] === true
        ? await tracker.pushPending({ anyHost: values['all-hosts'] === true })
        : null;
    const files = pushed ? tracker.pending() : before;
    if (json) {
      io.stdout.write(`${JSON.stringify({ folder, pushed, files })}\n`);
      return 0;
    }
    const out: string[] = [`journal folder: ${folder}`];
    if (pushed) {
      out.push(
        `pushed ${pushed.files} journal files: ${pushed.stored} results stored, ` +
          `${pushed.alreadyStored} already stored; ${pushed.runChanges} run changes applied, ` +
          `${pushed.runChangesAlreadyApplied} already applied`,
      );
    }
    if (files.length === 0) {
      out.push('nothing pending');
    } else {
      out.push(
        renderTable(
          ['file', 'state', 'pid', 'results', 'run changes', 'damaged lines', 'runs'],
          files.map((f) => [
            f.file.slice(folder.length + 1),
            `${f.state} (${STATE_NOTES[f.state]})`,
            f.pid === null ? '-' : String(f.pid),
            String(f.results),
            String(f.runChanges),
            String(f.damagedLines),
            Object.entries(f.runs)
              .map(([run, n]) => `${JSON.stringify(run)}: ${n}`)
              .join(', '),
          ]),
        ).trimEnd(),
      );
      const { results, runChanges } = waiting(files);
      if (!pushed && results + runChanges > 0) {
        out.push(
          `${results} results and ${runChanges} run changes wait for a tracker of this database; ` +
            '`evaltrack pending --push` stores them now',
        );
      }
    }
    io.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
};
