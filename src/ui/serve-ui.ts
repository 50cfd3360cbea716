import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { createUiApp } from './create-ui-app.js';
import type { LiveFeedOptions } from './live-feed.js';

export interface ServeUiOptions {
  /** @default '127.0.0.1': only this machine can connect. */
  host?: string;
  /** @default 3737; 0 picks a free port. */
  port?: number;
  /** The built browser assets. @default the `assets` folder shipped beside this module */
  assetsDir?: string;
  /**
   * Live updates: how often the store's change marker is polled while a page is open
   * (`pollMs`, default 500) and how long after its last change seen a run counts as running
   * (`runningMs`, default 10000).
   */
  live?: LiveFeedOptions;
}

/** A running dashboard. */
export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** Names of this machine only; the dashboard answers to these unless told to listen elsewhere. */
export const LOOPBACK: readonly string[] = ['127.0.0.1', 'localhost', '::1'];
const WILDCARD = ['0.0.0.0', '::'];

/** Serves the dashboard over `tracker` until `close()`. */
export function serveUi(
  tracker: BaseExperimentTracker,
  { host = '127.0.0.1', port = 3737, assetsDir, live }: ServeUiOptions = {},
): Promise<UiServer> {
  const stop = new AbortController();
  const app = createUiApp(tracker, {
    assetsDir: assetsDir ?? fileURLToPath(new URL('./assets/', import.meta.url)),
    // Listening everywhere was asked for: any name may reach it (there is no login).
    allowedHosts: WILDCARD.includes(host) ? null : [...LOOPBACK, host],
    signal: stop.signal,
    ...(live ? { live } : {}),
  });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const address = WILDCARD.includes(info.address) ? hostname() : info.address;
      const shown = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${shown}:${info.port}`,
        close: () => {
          // Runs still being read in the background, and the pages' event streams, stop here.
          stop.abort();
          return new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            // Connections a page keeps open (kept alive, or an event stream) end now, not when
            // the browser lets them go.
            if ('closeAllConnections' in server) server.closeAllConnections();
          });
        },
      });
    });
    server.once('error', reject);
  });
}
