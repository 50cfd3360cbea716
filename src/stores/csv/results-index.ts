/**
 * The index of the results file, `.evaltrack-index.jsonl`: where each run's records are, so that
 * reading a run costs the run, not the folder. It is a cache, never the truth. Its first line names
 * the results file it describes (device, inode, the digest of its header); each further line is a
 * segment `[f, t)` of the file, with the byte ranges of each run's records in it and a digest of
 * its first and last bytes. Segments chain from the end of the header; the bytes past the chain
 * (rows Python appended, a writer killed before its line, a line lost) are scanned by the reader,
 * which appends a segment for them. A segment whose bytes no longer match its digest is passed
 * over; a first line that does not match the file (a header rewrite, a new file) makes the reader
 * scan the whole file once and write the index anew.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { fingerprint } from '../fs/file-identity.js';
import type { FileId } from '../fs/file-identity.js';

/** Bumped when the format changes: an index of another version is rebuilt. */
const VERSION = 1;
/** Bytes at each end of a segment that its digest covers. */
const EDGE = 128;
/** Above this many segment lines, a reader rewrites the index as one segment. */
const COMPACT_AT = 512;

/** The first line: which results file the index describes. */
interface IndexHead {
  v: number;
  dev: number;
  ino: number;
  /** Where the records begin (the header's end), and the digest of the file up to there. */
  from: number;
  fp: string;
}

/** A segment line: the records in `[f, t)`, as `[runId, [start, end, start, end, …]]` pairs. */
export interface Segment {
  f: number;
  t: number;
  /** Digest of the segment's first and last {@link EDGE} bytes. */
  e: string;
  r: [string, number[]][];
  /**
   * Digest of the line's other fields as written: a line changed and still valid JSON (a range
   * left out, a number altered) would otherwise have its reader drop records without a word.
   */
  c?: string;
}

/** What a reader learns from the index. */
export interface IndexView {
  /** The chain of segments covers `[from, covered)`; the rest of the file is not indexed. */
  covered: number;
  /** Each run's record ranges in the covered part, `[start, end, …]`, in file order. */
  runs: Map<string, number[]>;
  /** Segment lines in the file (chained or not): many of them call for a compaction. */
  lines: number;
  /** Whether the file ends inside a line (a writer killed mid-line): a line appended would join it. */
  torn: boolean;
}

/**
 * Digest of some bytes (a segment's edges, as the writer has them in its buffer and a reader in
 * the file; or a segment line's fields): cyrb53, two 32-bit lanes. It tells changed bytes from the same ones (nobody forges
 * an index to fool a reader of their own files), and costs a writer well under a microsecond.
 */
export function edgeDigest(...parts: Buffer[]): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const c = part[i] as number;
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  return finishDigest(h1, h2);
}

function finishDigest(h1: number, h2: number): string {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex32(h2) + hex32(h1);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `(n >>> 0).toString(16).padStart(8, '0')`, by table: radix conversion is slow, and a writer digests twice per call. */
const hex32 = (n: number): string =>
  (HEX[(n >>> 24) & 255] as string) +
  (HEX[(n >>> 16) & 255] as string) +
  (HEX[(n >>> 8) & 255] as string) +
  (HEX[n & 255] as string);

/**
 * {@link edgeDigest} of the UTF-8 bytes of `text`, without encoding it when it is ASCII (a
 * segment line's fields usually are: numbers, hex, run ids): its bytes are its char codes.
 */
function textDigest(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return edgeDigest(Buffer.from(text));
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finishDigest(h1, h2);
}

/** The edge digest of `[f, t)` of the file `fd`. */
function fileEdgeDigest(fd: number, f: number, t: number): string {
  const firstLen = Math.min(EDGE, t - f);
  const lastLen = Math.min(EDGE, t - f);
  const first = Buffer.alloc(firstLen);
  const last = Buffer.alloc(lastLen);
  if (readSync(fd, first, 0, firstLen, f) !== firstLen) return '';
  if (readSync(fd, last, 0, lastLen, t - lastLen) !== lastLen) return '';
  return edgeDigest(first, last);
}

/** The edge digest of a buffer about to be appended as one segment. */
export function bufferEdgeDigest(buf: Buffer): string {
  const n = Math.min(EDGE, buf.length);
  return edgeDigest(buf.subarray(0, n), buf.subarray(buf.length - n));
}

const isOffset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** A line as a segment, or undefined when it is not one (torn, garbage, out of its bounds). */
function parseSegment(line: string): Segment | undefined {
  let s: unknown;
  try {
    s = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const { f, t, e, r } = s as Partial<Segment>;
  if (!isOffset(f) || !isOffset(t) || f >= t || typeof e !== 'string' || !Array.isArray(r))
    return undefined;
  if ((s as Segment).c !== lineDigest({ f, t, e, r })) return undefined;
  for (const pair of r as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [runId, ranges] = pair as unknown[];
    if (typeof runId !== 'string' || !Array.isArray(ranges) || ranges.length % 2 !== 0)
      return undefined;
    let at = f;
    for (const x of ranges as unknown[]) {
      if (!isOffset(x) || x < at || x > t) return undefined;
      at = x;
    }
  }
  return s as Segment;
}

/** Adds the range `[start, end)` to a run's ranges, joining it to the last one when they touch. */
export function addRange(runs: Map<string, number[]>, runId: string, start: number, end: number) {
  const ranges = runs.get(runId);
  if (!ranges) runs.set(runId, [start, end]);
  else if (ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
  else ranges.push(start, end);
}

/** The head line for the results file `fd` (identity `st`) whose records begin at `from`. */
function headLine(fd: number, st: FileId, from: number): string {
  const head: IndexHead = {
    v: VERSION,
    dev: st.dev,
    ino: st.ino,
    from,
    fp: fingerprint(fd, from),
  };
  return JSON.stringify(head) + '\n';
}

/** A segment as a line of the index. */
export function segmentLine(
  f: number,
  t: number,
  e: string,
  runs: ReadonlyMap<string, number[]>,
): string {
  // Written once per log() call: the JSON of `{f, t, e, r}` built as text (what JSON.stringify
  // gives for these offsets and a hex digest), digested, and closed with the digest.
  let r = '';
  for (const [runId, ranges] of runs) {
    r += `${r === '' ? '' : ','}[${runIdJson(runId)},[${ranges.join(',')}]]`;
  }
  const fields = `{"f":${f},"t":${t},"e":${JSON.stringify(e)},"r":[${r}]`;
  return `${fields},"c":"${textDigest(`${fields}}`)}"}\n`;
}

let lastRunId = '';
let lastRunIdJson = '""';
/** A run id as JSON; the last one is kept, as a writer's calls go to the same run. */
function runIdJson(runId: string): string {
  if (runId !== lastRunId) {
    lastRunIdJson = JSON.stringify(runId);
    lastRunId = runId;
  }
  return lastRunIdJson;
}

/** The digest of a segment's fields but its own, serialised in the order they are written. */
function lineDigest({ f, t, e, r }: Segment): string {
  return textDigest(JSON.stringify({ f, t, e, r }));
}

/**
 * The index at `path` as it applies to the results file `fd` (identity and size `st`, records
 * from `from`), or `null` when there is none or it describes another file. Segments whose bytes
 * do not match their digest are passed over.
 */
export function loadIndex(
  path: string,
  fd: number,
  st: FileId & { size: number },
  from: number,
): IndexView | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  let head: Partial<IndexHead>;
  try {
    head = JSON.parse(lines[0] ?? '') as Partial<IndexHead>;
  } catch {
    return null;
  }
  if (
    head.v !== VERSION ||
    head.dev !== st.dev ||
    head.ino !== st.ino ||
    head.from !== from ||
    head.fp !== fingerprint(fd, from)
  )
    return null;
  const byStart = new Map<number, Segment[]>();
  let count = 0;
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k] as string;
    if (line === '') continue;
    count++;
    const s = parseSegment(line);
    if (!s || s.t > st.size) continue;
    const same = byStart.get(s.f);
    if (same) same.push(s);
    else byStart.set(s.f, [s]);
  }
  const runs = new Map<string, number[]>();
  let covered = from;
  for (;;) {
    // Two readers may both have indexed the same bytes: any segment whose digest holds will do.
    const next = byStart.get(covered)?.find((s) => s.e === fileEdgeDigest(fd, s.f, s.t));
    if (!next) break;
    for (const [runId, ranges] of next.r)
      for (let i = 0; i < ranges.length; i += 2)
        addRange(runs, runId, ranges[i] as number, ranges[i + 1] as number);
    covered = next.t;
  }
  return { covered, runs, lines: count, torn: !text.endsWith('\n') };
}

/** Appends a segment line to the index (one `write()`, so lines of concurrent writers stay whole). */
export function appendSegment(path: string, line: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the index anew for the results file `fd`: its head and one segment `[from, to)` holding
 * `runs`. Readers see the old index or the new one; lines appended to the old one meanwhile are
 * lost, which costs a later reader a scan of their bytes, nothing more.
 */
export function writeIndex(
  path: string,
  fd: number,
  st: FileId,
  from: number,
  to: number,
  runs: ReadonlyMap<string, number[]>,
): void {
  let content = headLine(fd, st, from);
  if (to > from) content += segmentLine(from, to, fileEdgeDigest(fd, from, to), runs);
  writeFileAtomic(path, content);
}

/** Whether a reader should rewrite the index as one segment (it has many lines, or a torn one). */
export const needsCompaction = (view: IndexView): boolean => view.lines > COMPACT_AT || view.torn;

/** The edge digest of `[f, t)` of the results file, for a segment a reader found by scanning. */
export const segmentDigest = fileEdgeDigest;

/** Creates the index of a results file that has only its header (the writer holds the lock). */
export function createIndex(path: string, fd: number, st: FileId, from: number): void {
  writeFileAtomic(path, headLine(fd, st, from));
}
