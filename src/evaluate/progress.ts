import cliProgress from 'cli-progress';

/** Reports how far a long job is. */
export interface Progress {
  /** `count` more items done, `failed` of them failed. */
  add(count?: number, failed?: number): void;
  stop(): void;
}

/** Where progress goes: stderr, a bar when it is a terminal. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** @default process.stderr */
  stream?: ProgressStream;
  /** What is being done, e.g. `evaluating`, `copying`. @default 'evaluating' */
  verb?: string;
  /** What is counted. @default 'samples' */
  unit?: string;
  /** Whether failures are counted and shown. @default true */
  failures?: boolean;
}

const NONE: Progress = { add: () => {}, stop: () => {} };

/**
 * A progress bar with rate and ETA on a terminal, plain lines every 5 seconds and at the end
 * otherwise (CI logs), nothing when `enabled` is false. Never writes to stdout, which may be data.
 */
export function createProgress(
  total: number,
  enabled: boolean,
  {
    stream = process.stderr,
    verb = 'evaluating',
    unit = 'samples',
    failures = true,
  }: ProgressOptions = {},
): Progress {
  if (!enabled || total === 0) return NONE;
  let done = 0;
  let failed = 0;
  const start = Date.now();
  const rate = (): number => done / Math.max((Date.now() - start) / 1000, 0.001);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        // Only a terminal gets here, and cli-progress needs the full stream of one.
        stream: stream as NodeJS.WriteStream,
        format: `${verb} {bar} {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}${failures ? ' | {failed} failed' : ''}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      add(count = 1, newlyFailed = 0) {
        done += count;
        failed += newlyFailed;
        bar.update(done, { rate: rate().toFixed(1), failed });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = start;
  const line = (): void => {
    const r = rate();
    const eta = r > 0 ? Math.round((total - done) / r) : 0;
    stream.write(
      `${verb} ${done}/${total} ${unit} (${Math.floor((100 * done) / total)}%), ${r.toFixed(1)}/s, ETA ${eta} s${failures ? `, ${failed} failed` : ''}\n`,
    );
  };
  return {
    add(count = 1, newlyFailed = 0) {
      done += count;
      failed += newlyFailed;
      if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        line();
      }
    },
    stop: line,
  };
}
