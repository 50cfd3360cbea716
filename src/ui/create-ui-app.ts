/**
 * The dashboard's HTTP app (Hono): the read-only JSON API over one tracker (`createUiApi`), the
 * built browser assets, and the page shell for every other path (the views route in the browser).
 * Every response forbids inline scripts (Content-Security-Policy) and sends no CORS header.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { createUiApi } from './create-ui-api.js';
import { LiveFeed } from './live-feed.js';
import type { LiveFeedOptions } from './live-feed.js';

export interface UiAppOptions {
  /** The folder of the built browser assets (app.js, app.css, index.html). */
  assetsDir: string;
  /**
   * Host names the app answers to; requests naming another host get 421, so that a web page
   * cannot reach a loopback dashboard through a DNS name it controls (DNS rebinding). `null`
   * (listening on every address, as asked) accepts any.
   */
  allowedHosts: readonly string[] | null;
  /** Stops reading runs in the background, and ends the pages' event streams, when the server closes. */
  signal?: AbortSignal;
  /** How often the store is polled while a page is open, and how long a run counts as running. */
  live?: LiveFeedOptions;
}

/**
 * The page runs only its own script and style (no inline code, nothing from elsewhere), so text
 * from a store can never run; HSTS is off, as the dashboard is served over plain HTTP on loopback.
 */
const SECURITY_HEADERS = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  strictTransportSecurity: false,
});

/** The app; `tracker` is the store it reads (never writes). */
export function createUiApp(tracker: BaseExperimentTracker, options: UiAppOptions): Hono {
  const app = new Hono();
  const shell = readFileSync(join(options.assetsDir, 'index.html'), 'utf8');

  app.use('*', SECURITY_HEADERS);
  app.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (options.allowedHosts !== null && !options.allowedHosts.includes(host)) {
      return c.text('unknown host', 421);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.text('read-only', 405, { Allow: 'GET, HEAD' });
    }
    await next();
  });

  app.route('/', createUiApi(tracker, { signal: options.signal }));
  // Live updates: one event stream per page, fed by one poll of the store's change marker.
  const feed = new LiveFeed(tracker, options.live);
  options.signal?.addEventListener('abort', () => feed.stop(), { once: true });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      if (options.signal?.aborted) return;
      let end = (): void => {};
      const ended = new Promise<void>((resolve) => (end = resolve));
      stream.onAbort(end);
      options.signal?.addEventListener('abort', end, { once: true });
      // A page that lost the stream (the server restarted) connects again after a second.
      await stream.writeSSE({ event: 'hello', data: '{}', retry: 1000 });
      const unsubscribe = await feed.subscribe((event) => {
        void stream.writeSSE({ event: 'change', data: JSON.stringify(event) });
      });
      try {
        await ended;
      } finally {
        unsubscribe();
        options.signal?.removeEventListener('abort', end);
      }
    }),
  );
  app.all('/api/*', (c) => c.json({ error: 'no such API' }, 404));
  app.onError((e, c) => {
    const status =
      e instanceof InvalidInputError
        ? 400
        : e instanceof EvaltrackError && e.code === 'E_NOT_COMPARABLE'
          ? 409
          : 500;
    return c.json({ error: e.message.replace(/^\[evaltrack\] /, '') }, status);
  });
  app.use(
    '/assets/*',
    serveStatic({ root: options.assetsDir, rewriteRequestPath: (p) => p.slice(7) }),
  );
  // Every other path is a view of the page: the browser routes it.
  app.get('*', (c) => c.html(shell));
  return app;
}
