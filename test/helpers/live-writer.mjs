// A separate process that logs into a store when told, as an evaluation running beside an open
// dashboard would. Usage: node live-writer.mjs <store> <runId>
// Each line read from stdin is a number n: it logs n more results into run <runId> (dataset
// "live", project "live", sample ids live-0, live-1, …; the even ones pass) with log(), waits
// until they are stored (flush), and prints "stored <total>".
import { createInterface } from 'node:readline';
import { openTracker } from 'evaltrack';

const [store, runId] = process.argv.slice(2);
const tracker = await openTracker('live', { store });
let total = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const n = Number(line.trim());
  for (let k = 0; k < n; k++, total++) {
    tracker.log(
      {
        judge: {
          aggregate_success: total % 2 === 0,
          quality: { score: (total % 4) / 4, success: total % 2 === 0, explanation: 'why' },
        },
      },
      'live',
      { id: `live-${total}`, input: `question ${total}`, expected_response: `answer ${total}` },
      { runId },
    );
  }
  await tracker.flush();
  process.stdout.write(`stored ${total}\n`);
}
await tracker.close();
