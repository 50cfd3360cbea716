/**
 * Live updates in the browser: one `EventSource` on `/api/events` for the whole page, opened by
 * the first view that asks. The server tells which runs changed (new results, context) and which
 * are running; a view re-reads its data when its runs changed, keeping what it shows meanwhile
 * (scroll position, selection, the URL), so nothing flashes and nothing is reset.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveEvent } from '../live-feed.js';

type ChangeListener = (changed: ReadonlySet<string>) => void;

const changeListeners = new Set<ChangeListener>();
const runningListeners = new Set<() => void>();
let running: ReadonlySet<string> = new Set();
let source: EventSource | null = null;
/** The server's count of changes last heard; a page read before the stream opened has it. */
let heard: number | null = null;

function connect(): void {
  if (source !== null || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/events');
  source.addEventListener('change', (e: MessageEvent<string>) => {
    const event = JSON.parse(e.data) as LiveEvent;
    // The first event of a stream lists every run: the views have just read them, unless this is
    // the stream opened again (the server restarted, the laptop slept) and the count moved.
    const fresh = heard === null || event.version !== heard;
    const first = heard === null;
    heard = event.version;
    if (!first && fresh && event.changed.length > 0) {
      const changed = new Set(event.changed);
      for (const listener of [...changeListeners]) listener(changed);
    }
    const now = new Set(event.running);
    if ([...now].join('\n') !== [...running].join('\n')) {
      running = now;
      for (const listener of [...runningListeners]) listener();
    }
  });
}

/**
 * Calls `onChange` whenever one of `runIds` changed in the store (any run when `null`), after the
 * view's first read; the latest `onChange` given is the one called.
 */
export function useOnRunChange(runIds: readonly string[] | null, onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  const ids = runIds === null ? null : runIds.join('\n');
  useEffect(() => {
    connect();
    const wanted = ids === null ? null : new Set(ids.split('\n'));
    const listener: ChangeListener = (changed) => {
      if (wanted === null || [...wanted].some((id) => changed.has(id))) latest.current();
    };
    changeListeners.add(listener);
    return () => void changeListeners.delete(listener);
  }, [ids]);
}

/** Whether `runId` is being logged now (its results changed within the server's window). */
export function useRunning(runId: string): boolean {
  const [is, setIs] = useState(running.has(runId));
  useEffect(() => {
    connect();
    const listener = () => setIs(running.has(runId));
    listener();
    runningListeners.add(listener);
    return () => void runningListeners.delete(listener);
  }, [runId]);
  return is;
}
