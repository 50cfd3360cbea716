import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../errors.js';
import type { MetricInput } from '../types.js';

/** The samples of `data` (an array, a `.jsonl` file or a `.csv` file) and the dataset's name. */
export function loadDataset(data: MetricInput[] | string): {
  samples: MetricInput[];
  name?: string;
} {
  if (Array.isArray(data)) {
    data.forEach((s, i) => {
      if (typeof s !== 'object' || s === null || Array.isArray(s)) {
        throw new InvalidInputError(
          'E_INVALID_ARGUMENT',
          `data[${i}] must be an object`,
          `data[${i}]`,
        );
      }
    });
    return { samples: data };
  }
  if (typeof data !== 'string') {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      'data must be an array of samples or a path to a .jsonl or .csv file',
    );
  }
  const ext = extname(data).toLowerCase();
  const name = basename(data, extname(data));
  const text = readFileSync(data, 'utf8');
  if (ext === '.jsonl') {
    const samples = text
      .split(/\r?\n/)
      .map((line, i) => [line, i] as const)
      .filter(([line]) => line.trim() !== '')
      .map(([line, i]) => {
        try {
          return JSON.parse(line) as MetricInput;
        } catch (cause) {
          throw new InvalidInputError(
            'E_INVALID_ARGUMENT',
            `${data}:${i + 1} is not valid JSON: ${(cause as Error).message}`,
          );
        }
      });
    return { samples, name };
  }
  if (ext === '.csv') {
    // The columns as they are (text); a sample's fields are what the file's header names.
    const samples = parse<MetricInput>(text, { columns: true, bom: true, skip_empty_lines: true });
    return { samples, name };
  }
  throw new InvalidInputError(
    'E_INVALID_ARGUMENT',
    `cannot read ${data}: give a .jsonl or .csv file, or an array`,
  );
}
