#!/usr/bin/env node
// The only place that touches the process: arguments in, exit code out.
import { spawn } from 'node:child_process';
import { VERSION, asksVersion } from './version.js';

// `evaltrack runs | head`: a reader that stops early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

// Warnings (a damaged record set aside, a cell too large for Python's csv) as one readable line
// each, in place of Node's own format; `--quiet` silences them.
let quiet = false;
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!quiet) process.stderr.write(`evaltrack: warning: ${w.message}\n`);
});

// Ctrl+C ends the dashboard cleanly; other commands keep the default (stop at once).
const stop = new AbortController();
if (process.argv[2] === 'ui') {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
}

// The version needs nothing of the command line: answered before its modules load.
if (asksVersion(process.argv[2])) process.stdout.write(`${VERSION}\n`);
else process.exitCode = await cli();

async function cli(): Promise<number> {
  const { runCli } = await import('./run-cli.js');
  return runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    signal: stop.signal,
    quiet: () => {
      quiet = true;
    },
    openUrl: (url) => {
      const opener =
        process.platform === 'darwin'
          ? 'open'
          : process.platform === 'win32'
            ? 'explorer'
            : 'xdg-open';
      spawn(opener, [url], { stdio: 'ignore', detached: true })
        .on('error', () => process.stderr.write(`open ${url} in your browser\n`))
        .unref();
    },
  });
}
