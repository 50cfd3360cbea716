/**
 * Which other tool wrote a file, told by its shape (the keys of its top-level object), not by its
 * name: promptfoo's `results.json`/`export.json`, promptfoo's `results.jsonl`, evalite's
 * `--outputPath` JSON.
 */
import { open } from 'node:fs/promises';

/** The tools whose results evaltrack imports. */
export type PeerTool = 'promptfoo' | 'evalite';

/** The files of those tools evaltrack reads. */
export type PeerFormat = 'promptfoo-json' | 'promptfoo-jsonl' | 'evalite-json';

/** The tool of each format. */
export const TOOL_OF: Readonly<Record<PeerFormat, PeerTool>> = {
  'promptfoo-json': 'promptfoo',
  'promptfoo-jsonl': 'promptfoo',
  'evalite-json': 'evalite',
};

/** What each format is, for messages. */
export const EXPECTED: Readonly<Record<PeerFormat, string>> = {
  'promptfoo-json':
    'a promptfoo results.json or export.json (an object with evalId, results.version 3 and results.results, one row per test and provider)',
  'promptfoo-jsonl':
    'a promptfoo results.jsonl (one result row a line: provider, testIdx, promptIdx, success, score, namedScores)',
  'evalite-json':
    'an evalite --outputPath file (an object with run {id, createdAt} and evals[], each with results[] and their scores[])',
};

/** What any file evaltrack imports from another tool is. */
export const ANY_PEER_FILE = `${EXPECTED['promptfoo-json']}, ${EXPECTED['promptfoo-jsonl']}, or ${EXPECTED['evalite-json']}`;

// A top-level key that tells the format; other keys ("cost" starts a promptfoo row) tell nothing.
const DECIDING_KEYS: Readonly<Record<string, PeerFormat>> = {
  evalId: 'promptfoo-json',
  results: 'promptfoo-json',
  shareableUrl: 'promptfoo-json',
  run: 'evalite-json',
  evals: 'evalite-json',
  gradingResult: 'promptfoo-jsonl',
  testIdx: 'promptfoo-jsonl',
  promptIdx: 'promptfoo-jsonl',
  promptId: 'promptfoo-jsonl',
  testCase: 'promptfoo-jsonl',
  failureReason: 'promptfoo-jsonl',
};

/** How much of a file is read to find a deciding key. */
const SNIFF_BYTES = 4 * 1024 * 1024;

/**
 * The format of `file` by the keys of its first top-level object, or `null` when it is none of
 * them (not JSON, not an object, or none of their keys in the first 4 MiB).
 */
export async function detectPeerFormat(file: string): Promise<PeerFormat | null> {
  const { Tokenizer, TokenType } = await import('@streamparser/json');
  const handle = await open(file, 'r');
  try {
    const tokenizer = new Tokenizer();
    let depth = 0;
    let key: string | null = null;
    let decided: PeerFormat | null | undefined;
    tokenizer.onToken = ({ token, value }) => {
      if (decided !== undefined) return;
      if (depth === 0 && token !== TokenType.LEFT_BRACE) decided = null;
      else if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) depth++;
      else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
        // The first object ended without a deciding key.
        if (--depth === 0) decided = null;
      } else if (depth === 1 && token === TokenType.STRING) key = value as string;
      else if (depth === 1 && token === TokenType.COLON && key !== null) {
        decided = Object.hasOwn(DECIDING_KEYS, key) ? (DECIDING_KEYS[key] ?? undefined) : undefined;
        key = null;
      }
    };
    tokenizer.onError = () => {
      decided ??= null;
    };
    const buf = Buffer.alloc(64 * 1024);
    for (let read = 0; read < SNIFF_BYTES && decided === undefined;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      // A byte-order mark is not JSON, but editors write one.
      const start = read === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
      read += bytesRead;
      try {
        tokenizer.write(buf.subarray(start, bytesRead));
      } catch {
        decided ??= null;
      }
    }
    return decided ?? null;
  } finally {
    await handle.close();
  }
}
