// A stand-in for a model's HTTP API, on 127.0.0.1: `GET /answer?id=s3&trial=0` answers a fixed
// body after a fixed delay, or 429 to the first request of the pairs the plan names, or never
// (a hang, until the client gives up). It counts every request by `<id>/<trial>`.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnswerPlan {
  /** How long a 200 answer waits, in ms. */
  delayMs: number;
  /** Whether the first request of (id, trial) gets a 429. */
  rateLimited: (id: string, trial: number) => boolean;
  /** Whether (id, trial) never gets an answer. */
  hangs: (id: string, trial: number) => boolean;
}

/** The answer to sample `s<i>`: right for even i, wrong for odd i. */
export const answerOf = (id: string): string => {
  const i = Number(id.slice(1));
  return i % 2 === 0 ? `answer ${i}` : `wrong ${i}`;
};

/** What each 200 answer reports beside the answer. */
export const ANSWER_USAGE = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
export const ANSWER_COST = 0.25;
export const ANSWER_MODEL = 'stub-model-1';

export interface AnswerServer extends AsyncDisposable {
  base: string;
  plan: AnswerPlan;
  /** Requests by `<id>/<trial>`, in arrival order of their first one. */
  requests: Map<string, number>;
  /** `<id>/<trial> <status>` of every answer sent. */
  answered: string[];
}

export async function startAnswerServer(plan: AnswerPlan): Promise<AnswerServer> {
  const requests = new Map<string, number>();
  const answered: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state = { plan };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const id = url.searchParams.get('id') ?? '';
    const trial = Number(url.searchParams.get('trial'));
    const key = `${id}/${trial}`;
    const n = (requests.get(key) ?? 0) + 1;
    requests.set(key, n);
    const send = (status: number, body: string): void => {
      answered.push(`${key} ${status}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    };
    const { plan: p } = state;
    if (p.hangs(id, trial)) return; // never answered: the client's time limit must end it
    if (n === 1 && p.rateLimited(id, trial)) {
      send(429, JSON.stringify({ error: 'rate limited' }));
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(
        200,
        JSON.stringify({
          answer: answerOf(id),
          usage: ANSWER_USAGE,
          cost: ANSWER_COST,
          model: ANSWER_MODEL,
        }),
      );
    }, p.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    get plan() {
      return state.plan;
    },
    set plan(p: AnswerPlan) {
      state.plan = p;
    },
    requests,
    answered,
    async [Symbol.asyncDispose]() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
