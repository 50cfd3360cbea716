import type { Command } from '../command.js';

/** `evaltrack rebuild`: the leaderboard recomputed from the results. */
export const rebuildCommand: Command = {
  name: 'rebuild',
  summary: 'recompute the leaderboard from the results, setting aside damaged records',
  usage: 'evaltrack rebuild',
  example: 'evaltrack rebuild --store ./gllm_evals/experiments',
  options: {},
  args: [0, 0],
  async run({ io, json, tracker }) {
    const { setAside } = await tracker.rebuild();
    const runs = (await tracker.getExperimentHistory()).length;
    io.stdout.write(
      json
        ? `${JSON.stringify({ runs, setAside })}\n`
        : `rebuilt the leaderboard of ${runs} runs; ${setAside} damaged records set aside\n`,
    );
    return 0;
  },
};
