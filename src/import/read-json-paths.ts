/**
 * Reads chosen values out of a JSON file of any size, streaming: only the values at the paths
 * asked for are built, one at a time, so a results file of gigabytes is read in little memory.
 */
import { createReadStream } from 'node:fs';
import type { PeerShape } from './peer-shape.js';

/** A value found at one of the paths, with the keys that lead to it (`['evals', 0, 'name']`). */
export interface JsonPathValue {
  path: (string | number)[];
  value: unknown;
}

/**
 * The values at `paths` (JSONPath as `@streamparser/json` takes them: `$.results.results.*`), in
 * file order. A file that is not one whole JSON value (cut short, or followed by more) is refused
 * through `shape`, naming the byte where reading stopped.
 */
export async function* readJsonPaths(
  file: string,
  paths: string[],
  shape: PeerShape,
): AsyncGenerator<JsonPathValue> {
  // Loaded on first use: importing evaltrack does not pay for it.
  const { JSONParser } = await import('@streamparser/json');
  const parser = new JSONParser({ paths, keepStack: false });
  let found: JsonPathValue[] = [];
  let failure: Error | undefined;
  parser.onValue = ({ value, key, stack }) => {
    const path = stack.slice(1).map((s) => s.key as string | number);
    if (key !== undefined) path.push(key);
    found.push({ path, value });
  };
  parser.onError = (e) => {
    failure = e;
  };
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    if (parser.isEnded) {
      // Only white space may follow the value.
      if (chunk.toString('latin1').trim() !== '')
        shape.fail('', `has more after its JSON value ends (byte ${bytes})`);
      bytes += chunk.length;
      continue;
    }
    try {
      parser.write(chunk);
    } catch (e) {
      failure ??= e as Error;
    }
    if (failure) {
      shape.fail(
        '',
        `is not JSON (${failure.message.replace(/\.$/, '')}, at byte ${bytes} or after)`,
      );
    }
    bytes += chunk.length;
    const ready = found;
    found = [];
    yield* ready;
  }
  if (!parser.isEnded) {
    shape.fail(
      '',
      bytes === 0
        ? 'is empty'
        : `ends before its JSON value does (${bytes} bytes read): the file is cut short`,
    );
  }
}
