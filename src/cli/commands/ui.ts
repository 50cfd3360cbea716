import { UsageError } from '../command.js';
import type { Command } from '../command.js';

/** `evaltrack ui`: the read-only dashboard, served until the command is stopped. */
export const uiCommand: Command = {
  name: 'ui',
  summary: 'the dashboard in your browser: runs, one run, two runs compared (read-only)',
  usage: 'evaltrack ui [--port 3737] [--host 127.0.0.1] [--open]',
  example: 'evaltrack ui --store sqlite:evals.sqlite --open',
  options: { port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' } },
  async run({ values, io, json, tracker }) {
    const port = Number(values['port'] ?? 3737);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError('--port must be a port number (0 picks a free one)');
    }
    const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    // Loaded when the dashboard is asked for, so that other commands do not load its HTTP server.
    const { LOOPBACK, serveUi } = await import('../../ui/serve-ui.js');
    const server = await serveUi(tracker, { host, port });
    if (!LOOPBACK.includes(host)) {
      io.stderr.write(
        `evaltrack ui: listening on ${host}: whoever can reach it can read every result (there is no login)\n`,
      );
    }
    try {
      io.stdout.write(
        json
          ? `${JSON.stringify({ url: server.url })}\n`
          : `evaltrack dashboard on ${server.url} (read-only); Ctrl+C stops it\n`,
      );
      if (values['open']) io.openUrl?.(server.url);
      await new Promise<void>((resolve) => {
        if (io.signal?.aborted) resolve();
        io.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await server.close();
    }
    return 0;
  },
};
