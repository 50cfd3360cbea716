import cliProgress from 'cli-progress';

/** Reports how far an evaluation is. */
export interface Progress {
  tick(failed: boolean): void;
  stop(): void;
}

const NONE: Progress = { tick: () => {}, stop: () => {} };

/**
 * A progress bar with rate and ETA on a terminal, plain lines every few seconds otherwise (CI
 * logs), nothing when `enabled` is false. Writes to `stream` (stderr), never to stdout.
 */
export function createProgress(
  total: number,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
  verb = 'evaluating',
): Progress {
  if (!enabled || total === 0) return NONE;
  let done = 0;
  let failed = 0;
  const start = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${verb} {bar} {value}/{total} | {rate}/s | ETA {eta_formatted} | {failed} failed`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      tick(isFailed) {
        done++;
        if (isFailed) failed++;
        const rate = (done / Math.max((Date.now() - start) / 1000, 0.001)).toFixed(1);
        bar.update(done, { rate, failed });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = start;
  const line = (): void => {
    const seconds = (Date.now() - start) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    stream.write(
      `${done}/${total} ${verb === 'evaluating' ? 'evaluated' : 'done'} (${Math.floor((100 * done) / total)}%), ${rate.toFixed(1)}/s, ETA ${eta} s, ${failed} failed\n`,
    );
  };
  return {
    tick(isFailed) {
      done++;
      if (isFailed) failed++;
      if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        line();
      }
    },
    stop: line,
  };
}
